package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/config"
)

// testConn is a minimal RESP2 client for these tests.
type testConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

// respErr is an error reply.
type respErr string

func dialTest(t testing.TB, addr string) *testConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &testConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// do sends one command and returns its reply: string, int64, respErr,
// []any or nil.
func (c *testConn) do(args ...string) any {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.nc.Write([]byte(b.String())); err != nil {
		c.t.Fatal(err)
	}
	v, err := c.read()
	if err != nil {
		c.t.Fatalf("%q: %v", args, err)
	}
	return v
}

func (c *testConn) read() (any, error) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respErr(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.br, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply line %q", line)
}

func (c *testConn) str(args ...string) string {
	c.t.Helper()
	v := c.do(args...)
	s, ok := v.(string)
	if !ok {
		c.t.Fatalf("%q = %#v, want a string", args, v)
	}
	return s
}

func (c *testConn) ok(args ...string) {
	c.t.Helper()
	if v := c.do(args...); v != "OK" {
		c.t.Fatalf("%q = %#v, want OK", args, v)
	}
}

// headers returns the section titles of an INFO reply, in order.
func headers(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if t, ok := strings.CutPrefix(l, "# "); ok {
			out = append(out, t)
		}
	}
	return out
}

// infoFields parses an INFO reply into field → value; it fails on a line
// that is neither a header, empty nor field:value.
func infoFields(t testing.TB, info string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(info, "\r\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("INFO line %q is not field:value", l)
		}
		m[k] = v
	}
	return m
}

func TestInfoSections(t *testing.T) {
	_, addr, _ := startInProcessServer(t, "dual", nil)
	c := dialTest(t, addr)
	def := strings.Join(headers(c.str("INFO")), ",")
	want := "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Cluster,Runtime,Storage,Keyspace"
	if def != want {
		t.Errorf("INFO sections = %s, want %s", def, want)
	}
	if got := strings.Join(headers(c.str("INFO", "default")), ","); got != want {
		t.Errorf("INFO default sections = %s", got)
	}
	all := "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Commandstats,Cluster,Runtime,Storage,Keyspace"
	for _, arg := range []string{"all", "everything", "ALL"} {
		if got := strings.Join(headers(c.str("INFO", arg)), ","); got != all {
			t.Errorf("INFO %s sections = %s", arg, got)
		}
	}
	if got := strings.Join(headers(c.str("INFO", "Keyspace", "MEMORY", "server", "nosuch")), ","); got != "Server,Memory,Keyspace" {
		t.Errorf("INFO Keyspace MEMORY server nosuch = %s", got)
	}
	if got := c.str("INFO", "nosuch"); got != "" {
		t.Errorf("INFO nosuch = %q", got)
	}
	if got := strings.Join(headers(c.str("INFO", "commandstats", "default")), ","); !strings.Contains(got, "Commandstats") || !strings.Contains(got, "Persistence") {
		t.Errorf("INFO commandstats default = %s", got)
	}

	f := infoFields(t, c.str("INFO", "everything"))
	for k, want := range map[string]string{
		"maxmemory": "0", "mem_allocator": "go", "loading": "0", "aof_enabled": "0",
		"rdb_changes_since_last_save": "0", "rdb_last_bgsave_status": "ok", "storage_engine": "pebble",
		"storage_sync": "0", "role": "master", "engine": "pebble", "cluster_enabled": "0",
	} {
		if f[k] != want {
			t.Errorf("INFO %s = %q, want %q", k, f[k], want)
		}
	}
	for _, k := range []string{"used_memory", "used_memory_rss", "engine_memtable_bytes", "engine_l0_files",
		"engine_pending_compaction_bytes", "engine_compactions", "engine_flushes", "engine_write_stalls",
		"engine_disk_usage_bytes", "rdb_last_save_time", "total_commands_processed"} {
		if _, err := strconv.ParseInt(f[k], 10, 64); err != nil {
			t.Errorf("INFO %s = %q, want an integer", k, f[k])
		}
	}
	if !regexp.MustCompile(`^\d+(\.\d+)?[BKMGTPE]$`).MatchString(f["used_memory_human"]) {
		t.Errorf("used_memory_human = %q", f["used_memory_human"])
	}
	if !regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(f["used_cpu_user"]) {
		t.Errorf("used_cpu_user = %q", f["used_cpu_user"])
	}
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.00K", 914536: "893.10K",
		6684672: "6.38M", 25276514304: "23.54G"} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}

// cmdstats parses INFO commandstats into command → its fields.
func cmdstats(t testing.TB, info string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	re := regexp.MustCompile(`^cmdstat_([a-z|-]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	for _, l := range strings.Split(info, "\r\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("commandstats line %q not in Redis's format", l)
		}
		out[m[1]] = map[string]string{"calls": m[2], "usec": m[3], "usec_per_call": m[4], "rejected_calls": m[5], "failed_calls": m[6]}
	}
	return out
}

func TestCommandStatsAndResetStat(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			srv, addr, _ := startInProcessServer(t, mode, nil)
			c := dialTest(t, addr)
			c.ok("SET", "a", "x")
			c.ok("SET", "b", "1")
			c.str("GET", "a")
			c.str("GET", "a")
			c.str("GET", "b")
			if _, ok := c.do("GET").(respErr); !ok { // arity: rejected
				t.Fatal("GET without a key succeeded")
			}
			if _, ok := c.do("INCR", "a").(respErr); !ok { // runs, fails
				t.Fatal("INCR of a non-integer succeeded")
			}
			c.do("NOSUCH")
			cs := cmdstats(t, c.str("INFO", "commandstats"))
			check := func(cmd, field, want string) {
				t.Helper()
				if got := cs[cmd][field]; got != want {
					t.Errorf("cmdstat_%s %s = %q, want %q (%v)", cmd, field, got, want, cs)
				}
			}
			check("set", "calls", "2")
			check("get", "calls", "3")
			check("get", "rejected_calls", "1")
			check("get", "failed_calls", "0")
			check("incr", "calls", "1")
			check("incr", "failed_calls", "1")
			if _, ok := cs["other"]; ok {
				t.Error("unknown commands listed in commandstats")
			}
			if _, ok := cs["info"]; ok {
				t.Error("INFO counted before it ran")
			}
			// The metrics see the same counters: received = calls + rejected.
			metricsBefore := map[string]CommandStats{}
			for _, pc := range srv.Stats().PerCommand {
				metricsBefore[pc.Name] = pc
			}
			if g := metricsBefore["get"]; g.Calls != 4 || g.Errors != 1 || g.Ran != 3 || g.Rejected != 1 {
				t.Errorf("Stats get = %+v", g)
			}
			if o := metricsBefore[OtherCommand]; o.Calls != 1 || o.Errors != 1 {
				t.Errorf("Stats other = %+v", o)
			}
			st := infoFields(t, c.str("INFO", "stats"))
			if st["total_commands_processed"] != "7" { // 2 SET, 3 GET, INCR, INFO commandstats
				t.Errorf("total_commands_processed = %s, want 7", st["total_commands_processed"])
			}
			if st["total_error_replies"] != "3" {
				t.Errorf("total_error_replies = %s, want 3", st["total_error_replies"])
			}

			c.ok("CONFIG", "RESETSTAT")
			cs = cmdstats(t, c.str("INFO", "commandstats"))
			if len(cs) != 1 || cs["config"]["calls"] != "1" {
				t.Errorf("commandstats after RESETSTAT = %v, want only config (the RESETSTAT itself)", cs)
			}
			st = infoFields(t, c.str("INFO", "stats"))
			for k, want := range map[string]string{"total_commands_processed": "2", "total_error_replies": "0",
				"total_connections_received": "0", "rejected_connections": "0", "expired_keys": "0"} {
				if st[k] != want {
					t.Errorf("after RESETSTAT %s = %s, want %s", k, st[k], want)
				}
			}
			// Counters keep counting from the reset.
			c.str("GET", "a")
			cs = cmdstats(t, c.str("INFO", "commandstats"))
			check = func(cmd, field, want string) {
				t.Helper()
				if got := cs[cmd][field]; got != want {
					t.Errorf("after RESETSTAT cmdstat_%s %s = %q, want %q", cmd, field, got, want)
				}
			}
			check("get", "calls", "1")
			check("get", "rejected_calls", "0")
			// The metrics' counters did not go back.
			for _, pc := range srv.Stats().PerCommand {
				if b := metricsBefore[pc.Name]; pc.Calls < b.Calls || pc.Errors < b.Errors || pc.Time < b.Time {
					t.Errorf("Stats %s went back after RESETSTAT: %+v < %+v", pc.Name, pc, b)
				}
			}
		})
	}
}

func TestCommandStatsUsec(t *testing.T) {
	srv, _, _ := startInProcessServer(t, "dual", nil)
	c := &client{s: srv, raddr: "127.0.0.1:1"}
	st := srv.cmdStat(srv.table.Lookup([]byte("get")))
	c.called(st, [][]byte{[]byte("get"), []byte("k")}, 1500*time.Microsecond, false)
	c.called(st, [][]byte{[]byte("get"), []byte("k")}, 500*time.Microsecond, true)
	cs := cmdstats(t, srv.info([][]byte{[]byte("commandstats")}))
	if got := cs["get"]; got["calls"] != "2" || got["usec"] != "2000" || got["usec_per_call"] != "1000.00" || got["failed_calls"] != "1" {
		t.Fatalf("cmdstat_get = %v", got)
	}
}

// slowEntry is one SLOWLOG GET entry.
type slowEntry struct {
	id, time, micros int64
	args             []string
	addr, name       string
}

func getSlowlog(t testing.TB, c *testConn, args ...string) []slowEntry {
	t.Helper()
	v := c.do(append([]string{"SLOWLOG", "GET"}, args...)...)
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("SLOWLOG GET = %#v", v)
	}
	var out []slowEntry
	for _, it := range list {
		e, ok := it.([]any)
		if !ok || len(e) != 6 {
			t.Fatalf("slowlog entry %#v", it)
		}
		var se slowEntry
		se.id, _ = e[0].(int64)
		se.time, _ = e[1].(int64)
		se.micros, _ = e[2].(int64)
		for _, a := range e[3].([]any) {
			se.args = append(se.args, a.(string))
		}
		se.addr, _ = e[4].(string)
		se.name, _ = e[5].(string)
		out = append(out, se)
	}
	return out
}

func TestSlowlog(t *testing.T) {
	_, addr, _ := startInProcessServer(t, "dual", func(cfg *config.Config, _ *Deps) {
		cfg.RequirePass = "pw"
		cfg.SlowlogLogSlowerThan = -1
	})
	c := dialTest(t, addr)
	c.ok("AUTH", "pw")
	if n := c.do("SLOWLOG", "LEN"); n != int64(0) {
		t.Fatalf("SLOWLOG LEN at start = %v", n)
	}
	c.ok("CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.ok("CLIENT", "SETNAME", "tester")
	c.ok("SET", "k", strings.Repeat("v", 200))
	c.do("AUTH", "default", "pw")
	c.ok("CONFIG", "SET", "requirepass", "pw", "maxclients", "100")
	c.do("GET") // rejected: not logged
	es := getSlowlog(t, c, "-1")
	// Newest first: CONFIG SET, AUTH, SET, CLIENT SETNAME, CONFIG SET.
	if len(es) != 5 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	for i := 1; i < len(es); i++ {
		if es[i].id >= es[i-1].id {
			t.Errorf("entries not newest first: %+v", es)
		}
	}
	now := time.Now().Unix()
	set := es[2]
	if set.args[0] != "SET" || set.args[1] != "k" || set.args[2] != strings.Repeat("v", 128)+"... (72 more bytes)" {
		t.Errorf("SET entry args = %q", set.args)
	}
	if set.name != "tester" || set.addr != c.nc.LocalAddr().String() || set.time < now-60 || set.time > now+1 || set.micros < 0 {
		t.Errorf("SET entry = %+v", set)
	}
	if got := strings.Join(es[1].args, " "); got != "AUTH (redacted) (redacted)" {
		t.Errorf("AUTH entry args = %q", got)
	}
	if got := strings.Join(es[0].args, " "); got != "CONFIG SET requirepass (redacted) maxclients 100" {
		t.Errorf("CONFIG SET entry args = %q", got)
	}
	if got := getSlowlog(t, c, "2"); len(got) != 2 || got[0].id <= es[0].id {
		t.Errorf("SLOWLOG GET 2 = %+v", got)
	}
	if got := getSlowlog(t, c); len(got) != 7 { // default 10; 5 + two SLOWLOG GET
		t.Errorf("SLOWLOG GET = %d entries", len(got))
	}
	if got := getSlowlog(t, c, "0"); len(got) != 0 {
		t.Errorf("SLOWLOG GET 0 = %+v", got)
	}
	for _, bad := range []string{"-2", "x"} {
		if v := c.do("SLOWLOG", "GET", bad); v != respErr("ERR count should be greater than or equal to -1") {
			t.Errorf("SLOWLOG GET %s = %#v", bad, v)
		}
	}

	// Many arguments.
	args := []string{"DEL"}
	for i := range 40 {
		args = append(args, fmt.Sprint("key", i))
	}
	c.do(args...)
	del := getSlowlog(t, c, "1")[0]
	if len(del.args) != 32 || del.args[30] != "key29" || del.args[31] != "... (10 more arguments)" {
		t.Errorf("DEL entry args = %q", del.args)
	}

	// max-len bounds it; RESET empties it.
	c.ok("CONFIG", "SET", "slowlog-max-len", "3")
	if n := c.do("SLOWLOG", "LEN"); n != int64(3) {
		t.Errorf("SLOWLOG LEN with max-len 3 = %v", n)
	}
	for range 5 {
		c.do("PING")
	}
	if n := c.do("SLOWLOG", "LEN"); n != int64(3) {
		t.Errorf("SLOWLOG LEN with max-len 3 after more commands = %v", n)
	}
	c.ok("SLOWLOG", "RESET")
	if n := c.do("SLOWLOG", "LEN"); n != int64(1) { // the RESET itself, logged after it ran
		t.Errorf("SLOWLOG LEN after RESET = %v, want 1", n)
	}

	// -1 disables it.
	c.ok("CONFIG", "SET", "slowlog-log-slower-than", "-1")
	c.ok("SLOWLOG", "RESET")
	for range 5 {
		c.ok("SET", "k", "v")
	}
	if n := c.do("SLOWLOG", "LEN"); n != int64(0) {
		t.Errorf("SLOWLOG LEN with threshold -1 = %v", n)
	}
	// A high threshold records nothing fast.
	c.ok("CONFIG", "SET", "slowlog-log-slower-than", "10000000")
	c.ok("SET", "k", "v")
	if n := c.do("SLOWLOG", "LEN"); n != int64(0) {
		t.Errorf("SLOWLOG LEN with threshold 10s = %v", n)
	}

	help, ok := c.do("SLOWLOG", "HELP").([]any)
	if !ok || len(help) < 5 || !strings.HasPrefix(help[0].(string), "SLOWLOG <subcommand>") {
		t.Errorf("SLOWLOG HELP = %#v", help)
	}
	for _, tc := range []struct{ args []string }{{[]string{"SLOWLOG", "LEN", "x"}}, {[]string{"SLOWLOG", "NOSUCH"}}, {[]string{"SLOWLOG", "GET", "1", "2"}}} {
		if _, ok := c.do(tc.args...).(respErr); !ok {
			t.Errorf("%q did not fail", tc.args)
		}
	}
	if v := c.do("CONFIG", "SET", "slowlog-log-slower-than", "-2"); fmt.Sprint(v) == "OK" {
		t.Errorf("slowlog-log-slower-than -2 accepted")
	}
}

func TestLatencyMonitor(t *testing.T) {
	srv, addr, _ := startInProcessServer(t, "dual", nil)
	c := dialTest(t, addr)
	fake := &client{s: srv, raddr: "127.0.0.1:1"}
	get := srv.cmdStat(srv.table.Lookup([]byte("get")))
	set := srv.cmdStat(srv.table.Lookup([]byte("set")))
	args := [][]byte{[]byte("x")}

	// Off by default.
	fake.called(set, args, time.Second, false)
	if v := c.do("LATENCY", "LATEST"); fmt.Sprint(v) != "[]" {
		t.Fatalf("LATENCY LATEST with the monitor off = %v", v)
	}
	c.ok("CONFIG", "SET", "latency-monitor-threshold", "10")
	fake.called(set, args, 5*time.Millisecond, false) // under the threshold
	fake.called(set, args, 25*time.Millisecond, false)
	fake.called(set, args, 12*time.Millisecond, false) // same second: the worst stays
	fake.called(get, args, 15*time.Millisecond, false)
	latest, _ := c.do("LATENCY", "LATEST").([]any)
	if len(latest) != 2 {
		t.Fatalf("LATENCY LATEST = %v", latest)
	}
	now := time.Now().Unix()
	cmd := latest[0].([]any)
	if cmd[0] != "command" || cmd[1].(int64) < now-60 || cmd[2] != int64(25) || cmd[3] != int64(25) {
		t.Errorf("command event = %v", cmd)
	}
	if fast := latest[1].([]any); fast[0] != "fast-command" || fast[2] != int64(15) {
		t.Errorf("fast-command event = %v", fast)
	}
	hist, _ := c.do("LATENCY", "HISTORY", "command").([]any)
	if len(hist) != 1 || hist[0].([]any)[1] != int64(25) {
		t.Errorf("LATENCY HISTORY command = %v", hist)
	}
	if v := c.do("LATENCY", "HISTORY", "nosuch"); fmt.Sprint(v) != "[]" {
		t.Errorf("LATENCY HISTORY nosuch = %v", v)
	}
	if v := c.do("LATENCY", "RESET", "command", "nosuch"); v != int64(1) {
		t.Errorf("LATENCY RESET command nosuch = %v", v)
	}
	if v := c.do("LATENCY", "RESET"); v != int64(1) {
		t.Errorf("LATENCY RESET = %v", v)
	}
	if v := c.do("LATENCY", "LATEST"); fmt.Sprint(v) != "[]" {
		t.Errorf("LATENCY LATEST after RESET = %v", v)
	}
	if help, ok := c.do("LATENCY", "HELP").([]any); !ok || !strings.HasPrefix(help[0].(string), "LATENCY <subcommand>") {
		t.Errorf("LATENCY HELP = %v", help)
	}
	if v := c.do("LATENCY", "DOCTOR"); v != respErr("ERR unknown subcommand 'DOCTOR'. Try LATENCY HELP.") {
		t.Errorf("LATENCY DOCTOR = %v", v)
	}
}

func TestConfigRewriteWithoutFile(t *testing.T) {
	_, addr, _ := startInProcessServer(t, "dual", nil)
	c := dialTest(t, addr)
	if v := c.do("CONFIG", "REWRITE"); v != respErr("ERR The server is running without a config file") {
		t.Fatalf("CONFIG REWRITE = %#v", v)
	}
	if v := c.do("CONFIG", "RESETSTAT", "x"); v != respErr("ERR wrong number of arguments for 'config|resetstat' command") {
		t.Fatalf("CONFIG RESETSTAT x = %#v", v)
	}
}

func TestConfigRewrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kiwi.toml")
	if err := os.WriteFile(file, []byte("# operator comment\nmaxclients = 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, addr, _ := startInProcessServer(t, "dual", func(_ *config.Config, d *Deps) { d.ConfigFile = file })
	c := dialTest(t, addr)
	c.ok("CONFIG", "SET", "maxclients", "55", "slowlog-max-len", "7")
	c.ok("CONFIG", "REWRITE")
	got, err := config.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxClients != 55 || got.SlowlogMaxLen != 7 {
		t.Errorf("rewritten file: maxclients %d, slowlog-max-len %d", got.MaxClients, got.SlowlogMaxLen)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "# operator comment") {
		t.Errorf("rewrite lost the comment:\n%s", b)
	}
	if f := infoFields(t, c.str("INFO", "server")); f["config_file"] != file {
		t.Errorf("config_file = %q, want %q", f["config_file"], file)
	}
}
