package command

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/resp"
)

// Transcript tests.
//
// Each file in testdata/*.txt is a session: commands sent to Kiwi through
// command.Batch (read-only commands on a read transaction, others on a
// committed write group, as the storage runtime does), each followed by the
// exact reply it must produce, rendered readably (see render):
//
//	# a comment
//	> SET k "hello world"
//	+OK
//	> MGET k nokey
//	*2
//	  "hello world"
//	  (nil)
//
// Directives: "@db N" selects a database, "@proto 2|3" the protocol,
// "@sleep MS" advances Kiwi's clock (and sleeps when rewriting). A command
// line may start with options in brackets: "> [sorted] KEYS *" sorts the
// elements of an array reply before comparing (KEYS order is unspecified);
// "> [fixed] PTTL k" marks an expectation that is written by hand because
// redis-server's reply depends on timing: -rewrite keeps it.
//
// The expectations come from a real redis-server 7.0:
//
//	redis-server --port 16379 --save '' --appendonly no --daemonize yes
//	go test ./internal/command -run TestTranscripts -rewrite [-redis 127.0.0.1:16379]
//	redis-cli -p 16379 shutdown nosave
//
// -rewrite runs every file against that server (after FLUSHALL) and
// rewrites the expected replies; review the diff before committing. The
// normal test run needs no redis-server.
var (
	rewrite   = flag.Bool("rewrite", false, "rewrite testdata/*.txt expectations from a real redis-server")
	redisAddr = flag.String("redis", "127.0.0.1:16379", "redis-server address used by -rewrite")
)

// transcriptNow is Kiwi's clock at the start of every transcript.
var transcriptNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

type transcriptEntry struct {
	raw    string   // comment, blank or directive line (kept verbatim)
	cmd    string   // command line, without "> " and options
	opts   []string // bracketed options
	args   [][]byte
	expect []string
	line   int
}

func parseTranscript(t *testing.T, path string) []transcriptEntry {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []transcriptEntry
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "> ") {
			out = append(out, transcriptEntry{raw: l, line: i + 1})
			continue
		}
		e := transcriptEntry{line: i + 1, cmd: l[2:]}
		if strings.HasPrefix(e.cmd, "[") {
			end := strings.Index(e.cmd, "] ")
			if end < 0 {
				t.Fatalf("%s:%d: unterminated options", path, i+1)
			}
			e.opts = strings.Split(e.cmd[1:end], ",")
			e.cmd = e.cmd[end+2:]
		}
		e.args, err = splitArgs(e.cmd)
		if err != nil || len(e.args) == 0 {
			t.Fatalf("%s:%d: bad command line: %v", path, i+1, err)
		}
		for i+1 < len(lines) && lines[i+1] != "" && !strings.HasPrefix(lines[i+1], "> ") &&
			!strings.HasPrefix(lines[i+1], "#") && !strings.HasPrefix(lines[i+1], "@") {
			i++
			e.expect = append(e.expect, lines[i])
		}
		out = append(out, e)
	}
	return out
}

// splitArgs splits a command line on spaces; "double quoted" arguments use
// Go string syntax.
func splitArgs(s string) ([][]byte, error) {
	var args [][]byte
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return args, nil
		}
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			u, _ := strconv.Unquote(q)
			args = append(args, []byte(u))
			s = s[len(q):]
			continue
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		args = append(args, []byte(s[:end]))
		s = s[end:]
	}
}

func (e *transcriptEntry) has(opt string) bool { return slices.Contains(e.opts, opt) }

// respValue is a parsed RESP reply.
type respValue struct {
	kind  byte
	str   string
	null  bool
	elems []respValue
}

func readLine(rd *bufio.Reader) (string, error) {
	l, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(l, "\r\n") {
		return "", fmt.Errorf("line without CRLF: %q", l)
	}
	return l[:len(l)-2], nil
}

// readValue parses one RESP2/RESP3 reply.
func readValue(rd *bufio.Reader) (respValue, error) {
	l, err := readLine(rd)
	if err != nil {
		return respValue{}, err
	}
	if l == "" {
		return respValue{}, fmt.Errorf("empty reply line")
	}
	v := respValue{kind: l[0], str: l[1:]}
	switch v.kind {
	case '+', '-', ':', ',', '#', '(', '_':
		return v, nil
	case '$', '=':
		n, err := strconv.Atoi(v.str)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return v, err
		}
		if string(buf[n:]) != "\r\n" {
			return v, fmt.Errorf("bulk string without CRLF")
		}
		v.str = string(buf[:n])
		return v, nil
	case '*', '~', '>', '%':
		n, err := strconv.Atoi(v.str)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		if v.kind == '%' {
			n *= 2
		}
		for range n {
			e, err := readValue(rd)
			if err != nil {
				return v, err
			}
			v.elems = append(v.elems, e)
		}
		return v, nil
	}
	return v, fmt.Errorf("unknown reply type %q", v.kind)
}

// render turns a reply into lines: +simple, -error, :int, "bulk" (Go
// quoted; long ones as length and digest), (nil), (nil array), *N then the
// elements indented, and the RESP3 types by their prefix.
func render(v respValue, indent string, sorted bool) []string {
	switch v.kind {
	case '$', '=':
		switch {
		case v.null:
			return []string{indent + "(nil)"}
		case len(v.str) > 200:
			return []string{fmt.Sprintf("%s%c%d sha256:%x", indent, v.kind, len(v.str), sha256.Sum256([]byte(v.str)))}
		case v.kind == '=':
			return []string{indent + "=" + strconv.Quote(v.str)}
		}
		return []string{indent + strconv.Quote(v.str)}
	case '*', '~', '>', '%':
		if v.null {
			return []string{indent + "(nil array)"}
		}
		n := len(v.elems)
		if v.kind == '%' {
			n /= 2
		}
		out := []string{fmt.Sprintf("%s%c%d", indent, v.kind, n)}
		var elems [][]string
		for _, e := range v.elems {
			elems = append(elems, render(e, indent+"  ", false))
		}
		if sorted {
			slices.SortFunc(elems, func(a, b []string) int { return strings.Compare(strings.Join(a, "\n"), strings.Join(b, "\n")) })
		}
		for _, e := range elems {
			out = append(out, e...)
		}
		return out
	case '_':
		return []string{indent + "(null)"}
	}
	return []string{indent + string(v.kind) + v.str}
}

func encodeCommand(args [][]byte) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n", len(a))
		b = append(append(b, a...), '\r', '\n')
	}
	return b
}

// kiwiSession runs transcript commands against a keyspace through Batch.
type kiwiSession struct {
	t     testing.TB
	eng   engine.Engine
	ks    *keyspace.Keyspace
	table *Table
	db    int
	now   int64
	proto int
	// watches, if set, is handed to every batch (see watch_test.go).
	watches Watches
}

func newKiwiSession(t testing.TB) *kiwiSession {
	eng, err := pebble.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	table := NewTable()
	Register(table)
	return &kiwiSession{t: t, eng: eng, ks: ks, table: table, now: transcriptNow, proto: 2}
}

func (s *kiwiSession) do(args [][]byte) []byte {
	cmd := s.table.Lookup(args[0])
	out := resp.NewWriter(s.proto)
	if cmd == nil {
		s.t.Errorf("unknown command %q", args[0])
		out.WriteError("ERR unknown command")
		return out.Bytes()
	}
	if !cmd.CheckArity(len(args)) {
		out.WriteError(WrongArgs(cmd.Name))
		return out.Bytes()
	}
	b := &Batch{Calls: []Call{{Cmd: cmd, Args: args}}, DB: s.db, Now: s.now, MaxBulk: 512 << 20, Out: out, Watches: s.watches,
		NoBlock:      true, // a blocking command with no data answers as on timeout
		StreamLimits: keyspace.StreamLimits{NodeMaxEntries: 100, NodeMaxBytes: 4096}}
	if b.HasWrite() {
		g := s.ks.BeginGroup()
		b.Run(g)
		if err := g.Commit(false); err != nil {
			s.t.Fatal(err)
		}
	} else {
		tx, err := s.ks.ReadTx()
		if err != nil {
			s.t.Fatal(err)
		}
		b.Run(tx)
		tx.Close()
	}
	return out.Bytes()
}

// redisSession sends transcript commands to a real redis-server.
type redisSession struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func (r *redisSession) do(args [][]byte) []byte {
	if _, err := r.conn.Write(encodeCommand(args)); err != nil {
		r.t.Fatal(err)
	}
	var raw bytes.Buffer
	v, err := readValue(bufio.NewReader(io.TeeReader(r.rd, &raw)))
	_ = v
	if err != nil {
		r.t.Fatalf("reading redis reply to %q: %v", args, err)
	}
	return raw.Bytes()
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			entries := parseTranscript(t, path)
			if *rewrite {
				rewriteTranscript(t, path, entries)
				return
			}
			runTranscript(t, path, entries)
		})
	}
}

// directive applies an "@..." line to the Kiwi session (and, when
// rewriting, to the redis one).
func directive(t *testing.T, line string, k *kiwiSession, r *redisSession) {
	f := strings.Fields(line)
	if len(f) != 2 {
		t.Fatalf("bad directive %q", line)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("bad directive %q", line)
	}
	switch f[0] {
	case "@db":
		if k != nil {
			k.db = n
		}
		if r != nil {
			r.do([][]byte{[]byte("SELECT"), []byte(f[1])})
		}
	case "@proto":
		if k != nil {
			k.proto = n
		}
		if r != nil {
			r.do([][]byte{[]byte("HELLO"), []byte(f[1])})
		}
	case "@sleep":
		if k != nil {
			k.now += int64(n)
		}
		if r != nil {
			time.Sleep(time.Duration(n) * time.Millisecond)
		}
	default:
		t.Fatalf("unknown directive %q", line)
	}
}

func renderReply(t *testing.T, e *transcriptEntry, raw []byte) []string {
	rd := bufio.NewReader(bytes.NewReader(raw))
	v, err := readValue(rd)
	if err != nil {
		t.Errorf("line %d: %s: malformed reply %q: %v", e.line, e.cmd, raw, err)
		return nil
	}
	if rd.Buffered() != 0 {
		t.Errorf("line %d: %s: %d bytes after the reply in %q", e.line, e.cmd, rd.Buffered(), raw)
	}
	return render(v, "", e.has("sorted"))
}

func runTranscript(t *testing.T, path string, entries []transcriptEntry) {
	k := newKiwiSession(t)
	for i := range entries {
		e := &entries[i]
		if e.cmd == "" {
			if strings.HasPrefix(e.raw, "@") {
				directive(t, e.raw, k, nil)
			}
			continue
		}
		got := renderReply(t, e, k.do(e.args))
		if !slices.Equal(got, e.expect) {
			t.Errorf("%s:%d: > %s\n got:\n\t%s\nwant:\n\t%s", path, e.line, e.cmd,
				strings.Join(got, "\n\t"), strings.Join(e.expect, "\n\t"))
		}
	}
}

func rewriteTranscript(t *testing.T, path string, entries []transcriptEntry) {
	conn, err := net.Dial("tcp", *redisAddr)
	if err != nil {
		t.Fatalf("-rewrite needs a redis-server at %s: %v", *redisAddr, err)
	}
	defer conn.Close()
	r := &redisSession{t: t, conn: conn, rd: bufio.NewReader(conn)}
	r.do([][]byte{[]byte("HELLO"), []byte("2")})
	r.do([][]byte{[]byte("FLUSHALL")})
	r.do([][]byte{[]byte("SELECT"), []byte("0")})
	var out strings.Builder
	for i := range entries {
		e := &entries[i]
		if e.cmd == "" {
			if strings.HasPrefix(e.raw, "@") {
				directive(t, e.raw, nil, r)
			}
			out.WriteString(e.raw + "\n")
			continue
		}
		got := renderReply(t, e, r.do(e.args))
		if !e.has("fixed") {
			e.expect = got
		}
		out.WriteString("> ")
		if len(e.opts) > 0 {
			out.WriteString("[" + strings.Join(e.opts, ",") + "] ")
		}
		out.WriteString(e.cmd + "\n")
		for _, l := range e.expect {
			out.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run executes one command given as strings and returns its raw reply.
func (s *kiwiSession) run(args ...string) string {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	return string(s.do(bs))
}

// TestCommandTable checks the registered commands' metadata for internal
// consistency (the values themselves are copied from Redis 7.0's COMMAND
// INFO and COMMAND DOCS).
func TestCommandTable(t *testing.T) {
	table := NewTable()
	Register(table)
	want := strings.Fields(`get set setnx setex psetex getset getdel getex mget mset msetnx append strlen
		incr decr incrby decrby incrbyfloat getrange substr setrange setbit getbit bitcount bitpos bitop
		del unlink exists touch type expire pexpire expireat pexpireat ttl pttl expiretime pexpiretime
		persist keys scan randomkey rename renamenx flushdb flushall swapdb move copy lcs object memory
		hset hmset hsetnx hget hmget hdel hexists hlen hstrlen hkeys hvals hgetall hincrby hincrbyfloat
		hrandfield hscan
		lpush rpush lpushx rpushx lpop rpop llen lindex lrange lset ltrim lrem linsert lpos lmove rpoplpush lmpop
		blpop brpop blmove brpoplpush blmpop bzpopmin bzpopmax bzmpop
		sadd srem scard sismember smismember smembers srandmember spop smove sinter sintercard sinterstore
		sunion sunionstore sdiff sdiffstore sscan
		zadd zincrby zrem zcard zcount zlexcount zscore zmscore zrank zrevrank zrange zrangestore
		zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zrevrange zremrangebyrank zremrangebyscore
		zremrangebylex zpopmin zpopmax zmpop zrandmember zunion zunionstore zinter zinterstore zintercard
		zdiff zdiffstore zscan
		sort sort_ro
		xadd xlen xrange xrevrange xdel xtrim xsetid xread xinfo xgroup xreadgroup xack xpending xclaim xautoclaim`)
	if table.Len() != len(want) {
		t.Errorf("%d commands registered, want %d", table.Len(), len(want))
	}
	for _, name := range want {
		c := table.Lookup([]byte(strings.ToUpper(name)))
		if c == nil {
			t.Errorf("%s not registered", name)
			continue
		}
		if c.Run == nil {
			t.Errorf("%s: no handler", name)
		}
		if c.Subcommands != nil {
			c = c.Subcommands[0] // a container: its subcommands are checked
		}
		if (c.Flags&Write != 0) == (c.Flags&ReadOnly != 0) {
			t.Errorf("%s: must be exactly one of write and readonly: %v", name, c.Flags.Names())
		}
		acl := strings.Join(c.ACLCategories, " ")
		if c.IsWrite() != strings.Contains(acl, "@write") || (c.Flags&ReadOnly != 0) != strings.Contains(acl, "@read") {
			t.Errorf("%s: flags %v disagree with ACL categories %v", name, c.Flags.Names(), c.ACLCategories)
		}
		if (c.Flags&Fast != 0) != strings.Contains(acl, "@fast") {
			t.Errorf("%s: fast flag disagrees with ACL categories", name)
		}
		if c.Arity == 0 || c.Group == "" || c.Summary == "" || c.Since == "" || c.Complexity == "" {
			t.Errorf("%s: incomplete description %+v", name, c)
		}
		if c.FirstKey == 0 && (c.LastKey != 0 || c.KeyStep != 0) || c.FirstKey != 0 && c.KeyStep == 0 {
			t.Errorf("%s: bad key spec %d %d %d", name, c.FirstKey, c.LastKey, c.KeyStep)
		}
	}
}

// TestBatchPipeline runs a pipeline as one Batch in one commit group, as
// the applier does: each command sees the writes of the ones before it, and
// a failing command leaves nothing behind.
func TestBatchPipeline(t *testing.T) {
	s := newKiwiSession(t)
	var calls []Call
	for _, line := range []string{
		"SET a 1", "INCR a", "SETRANGE big 5000 x", "APPEND a x", "INCR a", "GET a",
		"SETEX a -1 v", "GET a", "STRLEN big", "DEL big", "EXISTS big",
	} {
		args := toArgs(strings.Fields(line))
		calls = append(calls, Call{Cmd: s.table.Lookup(args[0]), Args: args})
	}
	out := resp.NewWriter(2)
	b := &Batch{Calls: calls, Now: s.now, Out: out}
	g := s.ks.BeginGroup()
	b.Run(g)
	if err := g.Commit(true); err != nil {
		t.Fatal(err)
	}
	want := "+OK\r\n:2\r\n:5001\r\n:2\r\n-ERR value is not an integer or out of range\r\n$2\r\n2x\r\n" +
		"-ERR invalid expire time in 'setex' command\r\n$2\r\n2x\r\n:5001\r\n:1\r\n:0\r\n"
	if got := string(out.Bytes()); got != want {
		t.Fatalf("replies:\n%q\nwant:\n%q", got, want)
	}
	if n := s.ks.KeyCount(0); n != 1 {
		t.Fatalf("KeyCount = %d, want 1", n)
	}
}
