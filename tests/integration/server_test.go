package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// rawConn is a plain TCP connection for byte-exact protocol checks.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.nc.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// readReply reads one complete RESP reply and returns its raw bytes.
func (r *rawConn) readReply() string {
	r.t.Helper()
	var sb strings.Builder
	if err := readRESP(r.br, &sb); err != nil {
		r.t.Fatalf("read reply: %v (so far %q)", err, sb.String())
	}
	return sb.String()
}

func readRESP(br *bufio.Reader, sb *strings.Builder) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	sb.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		sb.Write(buf)
		return nil
	case '*', '~', '>', '%':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readRESP(br, sb); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}

// expectClosed asserts the server closes the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := r.br.ReadByte()
	if err == nil {
		r.t.Fatalf("connection still open, read %q", b)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		r.t.Fatalf("connection not closed within 10s")
	}
}

func TestConnectionCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
			t.Fatalf("PING = %q, %v", v, err)
		}
		if v, err := c.Echo(ctx, "hi\r\nthere").Result(); err != nil || v != "hi\r\nthere" {
			t.Fatalf("ECHO = %q, %v", v, err)
		}
		r := dialRaw(t, p.Addr)
		cases := []struct{ in, want string }{
			{"*1\r\n$4\r\nPING\r\n", "+PONG\r\n"},
			{"PING hello\r\n", "$5\r\nhello\r\n"},
			{"ping a b\r\n", "-ERR wrong number of arguments for 'ping' command\r\n"},
			{"NOSUCH a b\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"},
			{"GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
			{"SELECT x\r\n", "-ERR value is not an integer or out of range\r\n"},
			{"SELECT 16\r\n", "-ERR DB index is out of range\r\n"},
			{"SELECT 15\r\n", "+OK\r\n"},
			{"AUTH x\r\n", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
			{"HELLO 4\r\n", "-NOPROTO unsupported protocol version\r\n"},
			{"HELLO x\r\n", "-ERR Protocol version is not an integer or out of range\r\n"},
			{"CLIENT SETNAME\r\n", "-ERR wrong number of arguments for 'client|setname' command\r\n"},
			{"CLIENT FOO\r\n", "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"},
			{"CLIENT SETNAME \"a b\"\r\n", "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
			{"CLIENT GETNAME\r\n", "$-1\r\n"},
			{"CLIENT SETNAME worker-1\r\n", "+OK\r\n"},
			{"CLIENT GETNAME\r\n", "$8\r\nworker-1\r\n"},
			{"SHUTDOWN ABORT\r\n", "-ERR No shutdown in progress.\r\n"},
			{"SHUTDOWN FOO\r\n", "-ERR syntax error\r\n"},
			{"CONFIG SET port\r\n", "-ERR wrong number of arguments for 'config|set' command\r\n"},
			{"COMMAND INFO nosuch\r\n", "*1\r\n*-1\r\n"},
		}
		for _, tc := range cases {
			r.send(tc.in)
			if got := r.readReply(); got != tc.want {
				t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
			}
		}
		// Pipelined mix of network and storage commands keeps order.
		r.send("SELECT 0\r\nSET k v\r\nPING\r\nGET k\r\nECHO e\r\nDEL k\r\n")
		var got []string
		for i := 0; i < 6; i++ {
			got = append(got, r.readReply())
		}
		want := []string{"+OK\r\n", "+OK\r\n", "+PONG\r\n", "$1\r\nv\r\n", "$1\r\ne\r\n", ":1\r\n"}
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("pipeline replies %q, want %q", got, want)
		}
		r.send("QUIT\r\n")
		if got := r.readReply(); got != "+OK\r\n" {
			t.Errorf("QUIT → %q", got)
		}
		r.expectClosed()
	})
}

func TestSelectIsolatesDatabases(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, _ *redis.Client) {
		ctx := ctxT(t)
		c0 := p.Client(t)
		c9 := p.Client(t, func(o *redis.Options) { o.DB = 9 })
		if err := c0.Set(ctx, "k", "zero", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c9.Set(ctx, "k", "nine", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := c0.Get(ctx, "k").Val(); v != "zero" {
			t.Errorf("db0 k = %q", v)
		}
		if v := c9.Get(ctx, "k").Val(); v != "nine" {
			t.Errorf("db9 k = %q", v)
		}
		if n := c9.DBSize(ctx).Val(); n != 1 {
			t.Errorf("db9 DBSIZE = %d", n)
		}
		if err := c9.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if n := c9.DBSize(ctx).Val(); n != 0 {
			t.Errorf("db9 DBSIZE after FLUSHDB = %d", n)
		}
		if v := c0.Get(ctx, "k").Val(); v != "zero" {
			t.Errorf("FLUSHDB of db9 touched db0: k = %q", v)
		}
	})
}

func TestHelloRESP3(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, _ *redis.Client) {
		ctx := ctxT(t)
		c3 := p.Client(t, func(o *redis.Options) { o.Protocol = 3 })
		if err := c3.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := c3.Get(ctx, "k").Val(); v != "v" {
			t.Fatalf("GET over RESP3 = %q", v)
		}
		r := dialRaw(t, p.Addr)
		r.send("HELLO 3\r\n")
		got := r.readReply()
		if !strings.HasPrefix(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n") ||
			!strings.Contains(got, "$5\r\nproto\r\n:3\r\n") {
			t.Fatalf("HELLO 3 = %q", got)
		}
		r.send("GET nosuch\r\n")
		if got := r.readReply(); got != "_\r\n" {
			t.Errorf("RESP3 null = %q, want _", got)
		}
		r.send("HELLO 2\r\nGET nosuch\r\n")
		r.readReply()
		if got := r.readReply(); got != "$-1\r\n" {
			t.Errorf("RESP2 null = %q", got)
		}
	})
}

func TestRequirePass(t *testing.T) {
	p := startKiwi(t, "--requirepass", "s3cret")
	r := dialRaw(t, p.Addr)
	steps := []struct{ in, want string }{
		{"GET k\r\n", "-NOAUTH Authentication required.\r\n"},
		{"PING\r\n", "-NOAUTH Authentication required.\r\n"},
		{"AUTH wrong\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH someone s3cret\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH s3cret\r\n", "+OK\r\n"},
		{"PING\r\n", "+PONG\r\n"},
	}
	for _, s := range steps {
		r.send(s.in)
		if got := r.readReply(); got != s.want {
			t.Errorf("%q → %q, want %q", s.in, got, s.want)
		}
	}
	ctx := ctxT(t)
	good := p.Client(t, func(o *redis.Options) { o.Password = "s3cret" })
	if err := good.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("authenticated SET: %v", err)
	}
	bad := p.Client(t, func(o *redis.Options) { o.Password = "nope" })
	if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v", err)
	}
	// HELLO with AUTH authenticates and switches protocol at once.
	r2 := dialRaw(t, p.Addr)
	r2.send("HELLO 3 AUTH default s3cret SETNAME app\r\n")
	if got := r2.readReply(); !strings.HasPrefix(got, "%7\r\n") {
		t.Fatalf("HELLO AUTH = %q", got)
	}
	r2.send("CLIENT GETNAME\r\n")
	if got := r2.readReply(); got != "$3\r\napp\r\n" {
		t.Errorf("name after HELLO SETNAME = %q", got)
	}
}

func TestMaxClients(t *testing.T) {
	p := startKiwi(t, "--maxclients", "2")
	a, b := dialRaw(t, p.Addr), dialRaw(t, p.Addr)
	a.send("PING\r\n")
	b.send("PING\r\n")
	a.readReply()
	b.readReply()
	c := dialRaw(t, p.Addr)
	if got := c.readReply(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", got)
	}
	c.expectClosed()
	a.nc.Close()
	// A slot frees up once the server has noticed the close.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := dialRaw(t, p.Addr)
		d.send("PING\r\n")
		if got := d.readReply(); got == "+PONG\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no client slot freed after a client disconnected")
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	p := startKiwi(t, "--timeout", "1")
	r := dialRaw(t, p.Addr)
	r.send("PING\r\n")
	r.readReply()
	start := time.Now()
	r.expectClosed()
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("idle client closed after %v, want ≥ 1s", el)
	}
}

func TestProtocolErrorsCloseConnection(t *testing.T) {
	p := startKiwi(t, "--proto-max-bulk-len", "1mb")
	cases := []struct{ in, want string }{
		{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
		{"*1\r\n$2000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	}
	for _, tc := range cases {
		r := dialRaw(t, p.Addr)
		r.send(tc.in)
		if got := r.readReply(); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
		r.expectClosed()
	}
	// A large inline request without a newline is refused.
	r := dialRaw(t, p.Addr)
	r.send(strings.Repeat("a", 70*1024))
	if got := r.readReply(); got != "-ERR Protocol error: too big inline request\r\n" {
		t.Errorf("big inline → %q", got)
	}
	r.expectClosed()
}

func TestClientListAndKill(t *testing.T) {
	p := startKiwi(t)
	ctx := ctxT(t)
	victim := dialRaw(t, p.Addr)
	victim.send("CLIENT SETNAME victim\r\nCLIENT ID\r\n")
	victim.readReply()
	idReply := victim.readReply()
	id := strings.TrimSuffix(strings.TrimPrefix(idReply, ":"), "\r\n")
	c := p.Client(t)
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "id="+id+" ") || !strings.Contains(list, "name=victim") {
		t.Fatalf("CLIENT LIST misses the victim:\n%s", list)
	}
	n, err := c.ClientKillByFilter(ctx, "ID", id).Result()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID = %d, %v", n, err)
	}
	victim.expectClosed()
	info, err := c.ClientInfo(ctx).Result()
	if err != nil || info.ID == 0 {
		t.Fatalf("CLIENT INFO = %+v, %v", info, err)
	}
}

func TestCommandAndConfig(t *testing.T) {
	p := startKiwi(t)
	ctx := ctxT(t)
	c := p.Client(t)
	infos, err := c.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	get := infos["get"]
	if get == nil || get.Arity != 2 || get.FirstKeyPos != 1 || !get.ReadOnly {
		t.Fatalf("COMMAND get = %+v", get)
	}
	if set := infos["set"]; set == nil || set.Arity != -3 || set.ReadOnly {
		t.Fatalf("COMMAND set = %+v", set)
	}
	n, err := c.Do(ctx, "COMMAND", "COUNT").Int()
	if err != nil || n != len(infos) {
		t.Fatalf("COMMAND COUNT = %d, %v (COMMAND listed %d)", n, err, len(infos))
	}
	docs, err := c.Do(ctx, "COMMAND", "DOCS", "get").Result()
	if err != nil || docs == nil {
		t.Fatalf("COMMAND DOCS get = %v, %v", docs, err)
	}
	// redis-benchmark asks for these two at start.
	cfg, err := c.ConfigGet(ctx, "save").Result()
	if err != nil || len(cfg) != 1 {
		t.Fatalf("CONFIG GET save = %v, %v", cfg, err)
	}
	if v := c.ConfigGet(ctx, "appendonly").Val(); v["appendonly"] != "no" {
		t.Fatalf("CONFIG GET appendonly = %v", v)
	}
	if err := c.ConfigSet(ctx, "maxclients", "123").Err(); err != nil {
		t.Fatal(err)
	}
	if v := c.ConfigGet(ctx, "maxclients").Val(); v["maxclients"] != "123" {
		t.Fatalf("maxclients after CONFIG SET = %v", v)
	}
	err = c.ConfigSet(ctx, "storage.engine", "leveldb").Err()
	if err == nil || !strings.Contains(err.Error(), "storage.engine") {
		t.Fatalf("CONFIG SET of a restart-only option: %v", err)
	}
	if err := c.ConfigSet(ctx, "nosuch", "1").Err(); err == nil {
		t.Fatal("CONFIG SET of an unknown option succeeded")
	}
	if v := c.ConfigGet(ctx, "storage.*").Val(); v["storage.engine"] != "pebble" {
		t.Fatalf("CONFIG GET storage.* = %v", v)
	}
	// Live resize of the network slots under traffic.
	if err := c.ConfigSet(ctx, "runtime.network-slots", "1").Err(); err != nil {
		t.Fatal(err)
	}
	info := c.Info(ctx, "clients").Val()
	if !strings.Contains(info, "network_slots:1\r\n") {
		t.Fatalf("INFO clients after resizing slots:\n%s", info)
	}
}

func TestInfo(t *testing.T) {
	p := startKiwi(t)
	ctx := ctxT(t)
	c := p.Client(t)
	for i := 0; i < 5; i++ {
		if err := c.Set(ctx, fmt.Sprint("k", i), "v", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(ctx, "plain", "v", 0)
	info := c.Info(ctx).Val()
	for _, want := range []string{"# Server\r\n", "redis_version:7.0.15\r\n", "# Clients\r\n", "connected_clients:",
		"# Stats\r\n", "total_commands_processed:", "expired_keys:", "# Runtime\r\n", "storage_commit_groups:",
		"# Keyspace\r\n", "db0:keys=6,expires=5,avg_ttl=0\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
	if only := c.Info(ctx, "keyspace").Val(); strings.Contains(only, "# Server") {
		t.Errorf("INFO keyspace returned other sections:\n%s", only)
	}
	// Six SETs went through the applier: at least one commit group, and
	// every grouped job accounted for.
	rt := c.Info(ctx, "runtime").Val()
	groups, jobs := infoInt(t, rt, "storage_commit_groups"), infoInt(t, rt, "storage_grouped_jobs")
	if groups < 1 || jobs < 6 || groups > jobs {
		t.Errorf("storage_commit_groups=%d storage_grouped_jobs=%d after 6 SETs:\n%s", groups, jobs, rt)
	}
	tm, err := c.Time(ctx).Result()
	if err != nil || time.Since(tm).Abs() > time.Minute {
		t.Fatalf("TIME = %v, %v", tm, err)
	}
}

func TestShutdownCommand(t *testing.T) {
	p := startKiwi(t)
	ctx := ctxT(t)
	c := p.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_ = c.Shutdown(ctx).Err() // the connection closes without a reply
	exited, err := p.Exited(30 * time.Second)
	if !exited {
		t.Fatal("kiwi still running 30s after SHUTDOWN")
	}
	if err != nil {
		t.Fatalf("kiwi exited with %v after SHUTDOWN", err)
	}
	p.Restart()
	if v := p.Client(t).Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("after SHUTDOWN and restart k = %q", v)
	}
}

// TestPersistence checks that data survives a clean restart on every engine
// and runtime mode, and that acknowledged writes survive kill -9 with
// storage.sync on.
func TestPersistence(t *testing.T) {
	for _, eng := range engines() {
		for _, mode := range modes {
			t.Run(eng+"/"+mode, func(t *testing.T) {
				p := startKiwi(t, "--storage.engine", eng, "--runtime.mode", mode, "--storage.sync", "yes")
				ctx := ctxT(t)
				c := p.Client(t)
				big := strings.Repeat("x", 300_000)
				if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
					t.Fatal(err)
				}
				if err := c.Set(ctx, "ttl", "v", time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				p.Restart()
				c = p.Client(t)
				if v := c.Get(ctx, "big").Val(); v != big {
					t.Fatalf("big value lost over restart (len %d)", len(v))
				}
				if ttl := c.TTL(ctx, "ttl").Val(); ttl <= 0 || ttl > time.Hour {
					t.Fatalf("TTL after restart = %v", ttl)
				}
				if n := c.DBSize(ctx).Val(); n != 2 {
					t.Fatalf("DBSIZE after restart = %d", n)
				}

				// Concurrent acknowledged writes, then a crash.
				var wg sync.WaitGroup
				acked := make([][]string, 8)
				for w := 0; w < 8; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						for i := 0; i < 50; i++ {
							k := fmt.Sprintf("w%d:%d", w, i)
							if c.Set(ctx, k, k, 0).Err() == nil {
								acked[w] = append(acked[w], k)
							}
						}
					}(w)
				}
				wg.Wait()
				p.Kill()
				p.start(append(baseArgs(), p.args...))
				c = p.Client(t)
				for _, keys := range acked {
					for _, k := range keys {
						if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
							t.Fatalf("acknowledged write %s lost after kill -9: %q, %v", k, v, err)
						}
					}
				}
			})
		}
	}
}

func TestConfigValidationAtStart(t *testing.T) {
	cases := [][]string{
		{"--port", "70000"},
		{"--storage.engine", "foo"},
		{"--nosuch", "1"},
		{"--runtime.mode", "triple"},
	}
	for _, args := range cases {
		out, code := runKiwi(t, args...)
		if code == 0 {
			t.Errorf("kiwi %v exited 0", args)
		}
		name := strings.TrimPrefix(args[0], "--")
		if !strings.Contains(out, name) {
			t.Errorf("kiwi %v: message does not name the option:\n%s", args, out)
		}
	}
	out, code := runKiwi(t, "--help")
	if code != 0 || !strings.Contains(out, "storage.engine") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

// infoInt returns the integer value of field in an INFO reply.
func infoInt(t testing.TB, info, field string) int64 {
	t.Helper()
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s = %q: %v", field, v, err)
			}
			return n
		}
	}
	t.Fatalf("INFO lacks %s:\n%s", field, info)
	return 0
}

// TestClientReply checks CLIENT REPLY OFF, SKIP and ON on the wire: the
// suppressed commands run, only their replies are dropped.
func TestClientReply(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		conn := dialRaw(t, p.Addr)
		conn.send("CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\n" +
			"CLIENT REPLY SKIP\r\nPING\r\nPING skipped-no-more\r\n")
		var got string
		for range 3 {
			got += conn.readReply()
		}
		if want := "+OK\r\n$1\r\n1\r\n$15\r\nskipped-no-more\r\n"; got != want {
			t.Fatalf("replies %q, want %q", got, want)
		}
		// Nothing more was sent: the next reply is the next command's.
		conn.send("PING\r\n")
		if r := conn.readReply(); r != "+PONG\r\n" {
			t.Fatalf("then %q", r)
		}
	})
}
