package script

import (
	"fmt"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/resp"
)

// testHost is a script.Host over a command table, with PING and SELECT as
// its only network commands.
type testHost struct {
	table *command.Table
	calls map[string]int
}

func (h *testHost) Lookup(name []byte) *command.Command { return h.table.Lookup(name) }

func (h *testHost) Network(cmd *command.Command, args [][]byte, db int, out *resp.Writer) (int, bool) {
	switch cmd.Name {
	case "select":
		var n int
		if _, err := fmt.Sscan(string(args[1]), &n); err != nil || n < 0 || n > 15 {
			out.WriteError("ERR DB index is out of range")
			return db, true
		}
		out.WriteOK()
		return n, false
	default:
		out.WriteSimple("PONG")
		return db, false
	}
}

func (h *testHost) Called(cmd *command.Command, _ [][]byte, _ time.Duration, _ bool) {
	h.calls[cmd.Name]++
}
func (h *testHost) Rejected(*command.Command) {}

// session runs commands, EVAL included, against an in-memory keyspace.
type session struct {
	t     *testing.T
	ks    *keyspace.Keyspace
	table *command.Table
	eng   *Engine
	host  *testHost
	proto int
}

func newSession(t *testing.T) *session {
	t.Helper()
	e, err := pebble.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ks, err := keyspace.Open(e, keyspace.Options{Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	table := command.NewTable()
	command.Register(table)
	host := &testHost{table: table, calls: map[string]int{}}
	eng := NewEngine(nil)
	table.Add(eng.Commands(host)...)
	for _, name := range []string{"ping", "select", "publish"} {
		table.Add(&command.Command{Name: name, Arity: -1, Flags: command.Network | command.Fast})
	}
	table.Add(&command.Command{Name: "multi", Arity: 1, Flags: command.Network | command.NoScript})
	return &session{t: t, ks: ks, table: table, eng: eng, host: host, proto: 2}
}

// do runs one command on the applier's path and returns its raw reply.
func (s *session) do(args ...string) string {
	s.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd := s.table.Lookup(argv[0])
	if cmd == nil || cmd.Run == nil {
		s.t.Fatalf("not a storage command: %q", args[0])
	}
	out := resp.NewWriter(s.proto)
	b := &command.Batch{Calls: []command.Call{{Cmd: cmd, Args: argv}}, Now: time.Now().UnixMilli(), Out: out, NoBlock: true}
	g := s.ks.BeginGroup()
	b.Run(g)
	if err := g.Commit(false); err != nil {
		s.t.Fatal(err)
	}
	return string(out.Bytes())
}

func (s *session) eval(script string, args ...string) string {
	s.t.Helper()
	return s.do(append([]string{"EVAL", script}, args...)...)
}

func TestEvalReplies(t *testing.T) {
	s := newSession(t)
	s.do("SET", "mykey", "myval")
	s.do("RPUSH", "mylist", "a", "b", "c")
	for _, tc := range []struct {
		script string
		args   []string
		want   string
	}{
		// Lua -> RESP.
		{"return 'hello'", []string{"0"}, "$5\r\nhello\r\n"},
		{"return 100.5", []string{"0"}, ":100\r\n"},
		{"return -3.99", []string{"0"}, ":-3\r\n"},
		{"return true", []string{"0"}, ":1\r\n"},
		{"return false", []string{"0"}, "$-1\r\n"},
		{"return nil", []string{"0"}, "$-1\r\n"},
		{"return {ok='fine'}", []string{"0"}, "+fine\r\n"},
		{"return {ok='a\\r\\nb'}", []string{"0"}, "+a  b\r\n"},
		{"return {err='ERR this is an error'}", []string{"0"}, "-ERR this is an error\r\n"},
		{"return {1,2,3,'ciao',{1,2}}", []string{"0"}, "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n"},
		{"return {1,2,nil,4}", []string{"0"}, "*2\r\n:1\r\n:2\r\n"},
		{"return {double=3.5}", []string{"0"}, "$3\r\n3.5\r\n"},
		{"return _G", []string{"0"}, "*0\r\n"},
		{"return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}", []string{"2", "a", "b", "c", "d"},
			"*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
		// RESP -> Lua.
		{"return redis.call('get',KEYS[1])", []string{"1", "mykey"}, "$5\r\nmyval\r\n"},
		{"local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo['err']}", []string{"1", "mykey"},
			"*2\r\n$5\r\ntable\r\n" + bulk("ERR value is not an integer or out of range")},
		{"local foo = redis.pcall('get','nokey') return {type(foo),foo == false}", []string{"0"}, "*2\r\n$7\r\nboolean\r\n:1\r\n"},
		{"local foo = redis.call('lrange',KEYS[1],0,-1) return {type(foo),foo[1],foo[3],#foo}", []string{"1", "mylist"},
			"*4\r\n$5\r\ntable\r\n$1\r\na\r\n$1\r\nc\r\n:3\r\n"},
		{"local foo = redis.call('ping') return foo['ok']", []string{"0"}, "$4\r\nPONG\r\n"},
		{"local v = 9007199254740991 redis.call('set','n',v) return redis.call('get','n')", []string{"0"}, "$16\r\n9007199254740991\r\n"},
		{"return redis.call('echo', 0.1)", []string{"0"}, "-ERR Unknown Redis command called from script script: "},
		// Redis's error texts.
		{"return 1", []string{"-1"}, "-ERR Number of keys can't be negative\r\n"},
		{"return 1", []string{"3", "a"}, "-ERR Number of keys can't be greater than number of args\r\n"},
		{"return 1", []string{"x"}, "-ERR value is not an integer or out of range\r\n"},
		{"return 1", []string{"+0"}, "-ERR value is not an integer or out of range\r\n"},
		{"return 1", []string{"00"}, "-ERR value is not an integer or out of range\r\n"},
		{"return a", []string{"0"}, "-ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: "},
		{"a=10", []string{"0"}, "-ERR user_script:1: Attempt to modify a readonly table script: "},
		{"error({err='MY boom'})", []string{"0"}, "-MY boom script: "},
		{"redis.call('nosuch')", []string{"0"}, "-ERR Unknown Redis command called from script script: "},
		{"return redis.pcall('nosuch')", []string{"0"}, "-ERR Unknown Redis command called from script\r\n"},
		{"redis.call('set','x')", []string{"0"}, "-ERR Wrong number of args calling Redis command from script script: "},
		{"redis.call()", []string{"0"}, "-ERR Please specify at least one argument for this redis lib call script: "},
		{"redis.call('multi')", []string{"0"}, "-ERR This Redis command is not allowed from script script: "},
		{"redis.call('blpop','x',0)", []string{"0"}, "-ERR This Redis command is not allowed from script script: "},
		{"return redis.call('ping', {})", []string{"0"}, "-ERR Lua redis lib command arguments must be strings or integers script: "},
		{"redis.call('lpush','mykey','a')", []string{"0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value script: "},
		{"setmetatable(_G, {})", []string{"0"}, "-ERR Attempt to modify a readonly table script: "},
		{"local g = getmetatable(_G) g.__index = {}", []string{"0"}, "-ERR user_script:1: Attempt to modify a readonly table script: "},
		{"redis.call = function() return 1 end", []string{"0"}, "-ERR user_script:1: Attempt to modify a readonly table script: "},
		{"getmetatable('').__index = function() return 1 end", []string{"0"}, "-ERR user_script:1: Attempt to modify a readonly table"},
		{"print('x')", []string{"0"}, "-ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: "},
		{"return {unpack({1,2,3}, -2, 2147483647)}", []string{"0"}, "-ERR user_script:1: too many results to unpack script: "},
		{"return 1 +", []string{"0"}, "-ERR Error compiling script (new function): user_script:1: "},
		{"#!not-lua\nreturn 1", []string{"0"}, "-ERR Unexpected engine in script shebang: #!not-lua\r\n"},
		{"#!lua badger=data\nreturn 1", []string{"0"}, "-ERR Unknown lua shebang option: badger=data\r\n"},
		{"#!lua flags=allow-oom,what?\nreturn 1", []string{"0"}, "-ERR Unexpected flag in script shebang: what?\r\n"},
		{"#!lua flags=no-writes\nreturn redis.call('set','a',1)", []string{"0"},
			"-ERR Write commands are not allowed from read-only scripts. script: "},
		// The redis library.
		{"return redis.sha1hex('Pizza & Mandolino')", []string{"0"}, "$40\r\n74822d82031af7493c20eefa13bd07ec4fada82f\r\n"},
		{"return redis.error_reply('MY_ERR_CODE custom msg')", []string{"0"}, "-MY_ERR_CODE custom msg\r\n"},
		{"return redis.error_reply('')", []string{"0"}, "-ERR \r\n"},
		{"return redis.status_reply('MY_OK')", []string{"0"}, "+MY_OK\r\n"},
		{"return redis.setresp(4)", []string{"0"}, "-ERR RESP version must be 2 or 3. script: "},
		{"return redis.log(99, 'x')", []string{"0"}, "-ERR Invalid debug level. script: "},
		{"return redis.REDIS_VERSION_NUM", []string{"0"}, ":458767\r\n"},
		{"return bit.tohex(65535, -2147483648)", []string{"0"}, "$8\r\n0000FFFF\r\n"},
		{"return bit.bor(1,2,4,8,16,32,64,128)", []string{"0"}, ":255\r\n"},
		{"return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')", []string{"0"}, bulk("0 -5000 -1 0.0003 1023.2 0")},
		{"local d = cjson.decode('{\"keya\": \"a\", \"n\": null}') return {d.keya, d.n == cjson.null}", []string{"0"}, "*2\r\n$1\r\na\r\n:1\r\n"},
		{"return cjson.encode({1, 'a/b', true, {x=1.5}})", []string{"0"}, bulk(`[1,"a\/b",true,{"x":1.5}]`)},
		{"return cjson.encode({})", []string{"0"}, bulk("{}")},
		{"local ok = pcall(cjson.encode, {[false]=1}) return ok", []string{"0"}, "$-1\r\n"},
		{"cjson.encode = 1", []string{"0"}, "-ERR user_script:1: Attempt to modify a readonly table"},
		{"math.randomseed(10) return tostring(math.random())", []string{"0"}, "$16\r\n0.87885112309775\r\n"},
		{"math.randomseed(ARGV[1]) return tostring(math.random())", []string{"0", "10"}, "$16\r\n0.87885112309775\r\n"},
		{"local status, res = pcall(function() return foo end) return tostring(status) .. ' ' .. res", []string{"0"},
			bulk("false user_script:1: Script attempted to access nonexistent global variable 'foo'")},
		{"local ok, e = pcall(redis.call, 'nosuch') return e", []string{"0"}, "$44\r\nERR Unknown Redis command called from script\r\n"},
	} {
		got := s.eval(tc.script, tc.args...)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("EVAL %q %v = %q, want %q", tc.script, tc.args, got, tc.want)
		}
	}
}

// bulk encodes s as a RESP bulk string.
func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

func TestEvalSHAAndCache(t *testing.T) {
	s := newSession(t)
	s.do("SET", "mykey", "myval")
	body := "return redis.call('get',KEYS[1])"
	sha := SHA1Hex(body)
	if got := s.do("EVALSHA", sha, "1", "mykey"); got != "-"+ErrNoScript+"\r\n" {
		t.Fatalf("EVALSHA before EVAL = %q", got)
	}
	s.eval(body, "1", "mykey")
	for _, h := range []string{sha, strings.ToUpper(sha)} {
		if got := s.do("EVALSHA", h, "1", "mykey"); got != "$5\r\nmyval\r\n" {
			t.Fatalf("EVALSHA %s = %q", h, got)
		}
	}
	if got := s.do("EVALSHA_RO", sha, "1", "mykey"); got != "$5\r\nmyval\r\n" {
		t.Fatalf("EVALSHA_RO = %q", got)
	}
	if !s.eng.Exists(sha) || s.eng.Exists(strings.ToUpper(sha)) {
		t.Fatal("SCRIPT EXISTS is case-sensitive, as in Redis")
	}
	loaded, msg := s.eng.Load("return 'loaded'")
	if msg != "" || loaded != "b534286061d4b9e4026607613b95c06c06015ae8" {
		t.Fatalf("Load = %q %q", loaded, msg)
	}
	// EVAL-added scripts are bounded; loaded ones stay.
	for i := range MaxEvalScripts + 10 {
		s.eval(fmt.Sprintf("return %d", i), "0")
	}
	if st := s.eng.Stats(); st.Scripts != MaxEvalScripts+1 {
		t.Fatalf("%d scripts cached, want %d", st.Scripts, MaxEvalScripts+1)
	}
	if s.eng.Exists(sha) || !s.eng.Exists(loaded) {
		t.Fatal("the least recently used EVAL script must go, the loaded one stay")
	}
	s.eng.Flush()
	if st := s.eng.Stats(); st.Scripts != 0 || st.Bytes != 0 || s.eng.Exists(loaded) {
		t.Fatalf("after Flush: %+v", st)
	}
	if got := s.eval("return 1", "0"); got != ":1\r\n" {
		t.Fatalf("EVAL after Flush = %q", got)
	}
}

func TestEvalRO(t *testing.T) {
	s := newSession(t)
	s.do("SET", "foo", "bar")
	if got := s.do("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "foo"); got != "$3\r\nbar\r\n" {
		t.Fatalf("EVAL_RO get = %q", got)
	}
	got := s.do("EVAL_RO", "redis.call('del', KEYS[1])", "1", "foo")
	if !strings.HasPrefix(got, "-ERR Write commands are not allowed from read-only scripts. script: ") {
		t.Fatalf("EVAL_RO del = %q", got)
	}
	if got := s.do("EVAL_RO", "#!lua\nreturn 1", "0"); got != "-"+errROFlags+"\r\n" {
		t.Fatalf("EVAL_RO of a script with write flag = %q", got)
	}
	if got := s.do("EVAL_RO", "return redis.pcall('publish', 'c', 'm')['err']", "0"); !strings.Contains(got, errROWrite) {
		t.Fatalf("EVAL_RO publish = %q", got)
	}
}

// TestEvalKeepsWritesOnError: a script that fails after writing keeps its
// writes, as in Redis (scripts are not rolled back).
func TestEvalKeepsWritesOnError(t *testing.T) {
	s := newSession(t)
	got := s.eval("redis.call('set','k','v') error('boom')", "0")
	if !strings.HasPrefix(got, "-ERR user_script:1: boom script: ") {
		t.Fatalf("EVAL = %q", got)
	}
	if got := s.do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET k = %q, want the script's write", got)
	}
}

func TestEvalSelectStaysInScript(t *testing.T) {
	s := newSession(t)
	if got := s.eval("redis.call('select', 5) redis.call('set','x','5') return redis.call('get','x')", "0"); got != "$1\r\n5\r\n" {
		t.Fatalf("EVAL = %q", got)
	}
	if got := s.do("GET", "x"); got != "$-1\r\n" {
		t.Fatalf("GET x in db 0 = %q: SELECT leaked out of the script", got)
	}
}

func TestEvalRESP3(t *testing.T) {
	s := newSession(t)
	s.do("HSET", "h", "field", "value")
	s.proto = 3
	for script, want := range map[string]string{
		"redis.setresp(3) return redis.call('hgetall', KEYS[1])": "%1\r\n$5\r\nfield\r\n$5\r\nvalue\r\n",
		"redis.setresp(2) return redis.call('hgetall', KEYS[1])": "*2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n",
		"redis.setresp(3) return true":                           "#t\r\n",
		"return {double=1.5}":                                    ",1.5\r\n",
		"return {big_number='123\\r\\n123'}":                     "(123  123\r\n",
		"return {map={a=1}}":                                     "%1\r\n$1\r\na\r\n:1\r\n",
		"return {set={a=true}}":                                  "~1\r\n$1\r\na\r\n",
		"return false":                                           "_\r\n",
	} {
		if got := s.eval(script, "1", "h"); got != want {
			t.Errorf("EVAL %q = %q, want %q", script, got, want)
		}
	}
}

func TestParseReply(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for in, want := range map[string]string{
		":5\r\n":                        "5",
		"$3\r\nabc\r\n":                 "abc",
		"$-1\r\n":                       "false",
		"*-1\r\n":                       "false",
		"_\r\n":                         "nil",
		"#t\r\n":                        "true",
		"+OK\r\n":                       "{ok=OK}",
		"-ERR x\r\n":                    "{err=ERR x}",
		"*2\r\n:1\r\n$1\r\na\r\n":       "{1,a}",
		",1.5\r\n":                      "{double=1.5}",
		"(12\r\n":                       "{big_number=12}",
		"%1\r\n$1\r\nk\r\n:1\r\n":       "{map={k=1}}",
		"~1\r\n$1\r\nk\r\n":             "{set={k=true}}",
		"=8\r\ntxt:abcd\r\n":            "{verbatim_string={format=txt,string=abcd}}",
		"|1\r\n$1\r\na\r\n:1\r\n:7\r\n": "7",
	} {
		v, n, err := parseReply(L, []byte(in))
		if err != nil || n != len(in) {
			t.Errorf("parseReply(%q): used %d, err %v", in, n, err)
			continue
		}
		if got := dump(v); got != want {
			t.Errorf("parseReply(%q) = %s, want %s", in, got, want)
		}
	}
}

// dump renders a Lua value for TestParseReply: tables as {k=v,...} with
// keys sorted, arrays as {a,b}.
func dump(v lua.LValue) string {
	t, ok := v.(*lua.LTable)
	if !ok {
		return v.String()
	}
	var parts []string
	if t.Len() > 0 {
		for i := 1; i <= t.Len(); i++ {
			parts = append(parts, dump(t.RawGetInt(i)))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	t.ForEach(func(k, val lua.LValue) { parts = append(parts, k.String()+"="+dump(val)) })
	sortStrings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestWriteReplyDepth(t *testing.T) {
	s := newSession(t)
	got := s.eval("local a = {} local b = {a} a[1] = b return a", "0")
	if !strings.HasSuffix(got, "-ERR reached lua stack limit\r\n") {
		t.Fatalf("recursive reply ends with %q", got[max(0, len(got)-40):])
	}
}

// TestKill: a script that has not written is killed by Kill; one that has
// written is not; Busy follows the threshold.
func TestKill(t *testing.T) {
	s := newSession(t)
	if msg := s.eng.Kill(true); msg != ErrNotBusy {
		t.Fatalf("Kill with nothing running = %q", msg)
	}
	for _, tc := range []struct {
		script, kill, reply string
	}{
		{"while true do end", "", "-" + errKilled + " script: "},
		{"local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", "", "-" + errKilled},
		{"redis.call('set','x','y') while true do end", ErrUnkillable, ""},
	} {
		done := make(chan string, 1)
		go func() { done <- s.eval(tc.script, "0") }()
		for !s.eng.Busy(time.Millisecond) {
			time.Sleep(time.Millisecond)
		}
		if tc.kill != "" {
			for !s.eng.running.Load().wrote.Load() {
				time.Sleep(time.Millisecond)
			}
		}
		if msg := s.eng.Kill(true); msg != tc.kill {
			t.Fatalf("Kill during %q = %q, want %q", tc.script, msg, tc.kill)
		}
		if tc.kill != "" {
			if !s.eng.Abort() {
				t.Fatal("Abort found nothing running")
			}
			<-done
			if got := s.do("GET", "x"); got != "$-1\r\n" {
				t.Fatalf("GET x after an aborted script = %q: its writes must be dropped", got)
			}
			continue
		}
		if got := <-done; !strings.HasPrefix(got, tc.reply) {
			t.Fatalf("killed script replied %q, want %q", got, tc.reply)
		}
	}
	if s.eng.Running() || s.eng.Busy(time.Nanosecond) {
		t.Fatal("a script still runs")
	}
}

func TestFunctions(t *testing.T) {
	s := newSession(t)
	lib := "#!lua name=mylib\nredis.register_function('echo1', function(keys, args) return {keys[1], args[1]} end)\n" +
		"redis.register_function{function_name='ro', callback=function() return redis.call('set','k','v') end, flags={'no-writes'}}\n" +
		"redis.register_function('spin', function() while true do end end)"
	if name, msg := s.eng.LoadLibrary(lib, false); name != "mylib" || msg != "" {
		t.Fatalf("LoadLibrary = %q %q", name, msg)
	}
	if _, msg := s.eng.LoadLibrary(lib, false); msg != "ERR Library 'mylib' already exists" {
		t.Fatalf("LoadLibrary again = %q", msg)
	}
	for _, tc := range []struct{ code, msg string }{
		{"return 1", "ERR Missing library metadata"},
		{"#!lua\nreturn 1", "ERR Library name was not given"},
		{"#!lua name=x\nreturn 1", "ERR No functions registered"},
		{"#!lua name=x\nredis.register_function('a', 1)", "ERR Error registering functions: ERR second argument to redis.register_function must be a function"},
		{"#!lua name=x\nredis.register_function('echo1', function() end)", "ERR Function echo1 already exists"},
	} {
		if _, msg := s.eng.LoadLibrary(tc.code, false); msg != tc.msg {
			t.Errorf("LoadLibrary(%q) = %q, want %q", tc.code, msg, tc.msg)
		}
	}
	for args, want := range map[string]string{
		"FCALL echo1 1 k a":   "*2\r\n$1\r\nk\r\n$1\r\na\r\n",
		"FCALL nosuch 0":      "-ERR Function not found\r\n",
		"FCALL echo1 x":       "-ERR Bad number of keys provided\r\n",
		"FCALL echo1 +0":      "-ERR Bad number of keys provided\r\n",
		"FCALL_RO echo1 0":    "-" + errROFlags + "\r\n",
		"FCALL ro 0":          "-ERR Write commands are not allowed from read-only scripts. script: ro, on @user_function:3.\r\n",
		"FCALL echo1 2 k":     "-ERR Number of keys can't be greater than number of args\r\n",
		"FCALL_RO ro 0 x y z": "-ERR Write commands are not allowed from read-only scripts. script: ro, on @user_function:3.\r\n",
	} {
		if got := s.do(strings.Fields(args)...); got != want {
			t.Errorf("%s = %q, want %q", args, got, want)
		}
	}
	done := make(chan string, 1)
	go func() { done <- s.do("FCALL", "spin", "0") }()
	for !s.eng.Busy(time.Millisecond) {
		time.Sleep(time.Millisecond)
	}
	if name, args, _, ok := s.eng.RunningFunction(); !ok || name != "spin" || strings.Join(args, " ") != "FCALL spin 0" {
		t.Fatalf("RunningFunction = %q %q %v", name, args, ok)
	}
	if libs, funcs := s.eng.FunctionCount(); libs != 1 || funcs != 3 {
		t.Fatalf("FunctionCount = %d %d while a function runs", libs, funcs)
	}
	if msg := s.eng.Kill(true); msg != ErrBusyFunction {
		t.Fatalf("SCRIPT KILL of a function = %q", msg)
	}
	if s.eng.BusyError() != ErrBusyFunction {
		t.Fatal("BUSY reply must name FUNCTION KILL")
	}
	if msg := s.eng.Kill(false); msg != "" {
		t.Fatalf("FUNCTION KILL = %q", msg)
	}
	if got := <-done; !strings.HasPrefix(got, "-"+errKilled+" script: spin, on @user_function:") {
		t.Fatalf("killed function replied %q", got)
	}
	if msg := s.eng.DeleteLibrary("mylib"); msg != "" {
		t.Fatal(msg)
	}
	if msg := s.eng.DeleteLibrary("mylib"); msg != errLibNotFound {
		t.Fatalf("DeleteLibrary twice = %q", msg)
	}
	s.eng.FlushFunctions()
	if libs, funcs := s.eng.FunctionCount(); libs != 0 || funcs != 0 {
		t.Fatal("FlushFunctions left functions")
	}
}
