package script

import (
	"context"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/redisnum"
	"github.com/kiwidb/kiwi/internal/resp"
)

// Host is what scripts need from the server: the command table, the
// network commands (PING, SELECT, PUBLISH... run for the script as Redis
// runs them for its Lua client), and the per-command statistics. Its
// methods are called on the goroutine running the script.
type Host interface {
	// Lookup returns the command named name (any case), or nil.
	Lookup(name []byte) *command.Command
	// Network runs a Network command (Run nil) for the script, in
	// database db; it writes the reply to out and returns the database
	// selected afterwards (SELECT) and whether the reply is an error.
	Network(cmd *command.Command, args [][]byte, db int, out *resp.Writer) (newDB int, failed bool)
	// Called accounts a command the script ran: it took d and failed or
	// not. Rejected accounts one refused before it ran.
	Called(cmd *command.Command, args [][]byte, d time.Duration, failed bool)
	Rejected(cmd *command.Command)
}

// Error replies of redis.call, byte-identical to Redis 7.0 (without the ERR
// code, added as Redis's luaPushError adds it).
const (
	errUnknownCommand = "Unknown Redis command called from script"
	errScriptArity    = "Wrong number of args calling Redis command from script"
	errNoScriptCmd    = "This Redis command is not allowed from script"
	errROWrite        = "Write commands are not allowed from read-only scripts."
	errROFlags        = "ERR Can not execute a script with write flag using *_ro command."
)

// runCtx is the context of the script being run: what redis.call needs.
type runCtx struct {
	r    *Run
	c    *command.Ctx
	host Host
	// db is the script's database (SELECT inside a script does not
	// change the caller's); resp its protocol (redis.setresp).
	db, resp int
	// ro: write commands are refused (EVAL_RO, no-writes flag).
	ro bool
}

// Commands returns EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL and FCALL_RO,
// which run their scripts and functions on e with host.
func (e *Engine) Commands(host Host) []*command.Command {
	acl := []string{"@slow", "@scripting"}
	flags := command.NoScript | command.SkipMonitor | command.NoMandatoryKeys | command.Stale | command.MovableKeys | command.Atomic
	keys := command.NumKeysAt(2, 0)
	cmd := func(name, summary, since string, ro, bySHA bool) *command.Command {
		f := flags
		if ro {
			f |= command.ReadOnly
		}
		return &command.Command{Name: name, Arity: -3, Flags: f, Keys: keys, Group: "scripting", Summary: summary,
			Since: since, Complexity: "Depends on the script that is executed.", ACLCategories: acl,
			Run: func(c *command.Ctx) { e.Eval(c, host, bySHA, ro) }}
	}
	fcall := func(name, summary string, ro bool) *command.Command {
		f := flags
		if ro {
			f |= command.ReadOnly
		}
		return &command.Command{Name: name, Arity: -3, Flags: f, Keys: keys, Group: "scripting", Summary: summary,
			Since: "7.0.0", Complexity: "Depends on the function that is executed.", ACLCategories: acl,
			Run: func(c *command.Ctx) { e.FCall(c, host, ro) }}
	}
	return []*command.Command{
		fcall("fcall", "Invoke a function", false),
		fcall("fcall_ro", "Invoke a read-only function", true),
		cmd("eval", "Execute a Lua script server side", "2.6.0", false, false),
		cmd("evalsha", "Execute a Lua script server side", "2.6.0", false, true),
		cmd("eval_ro", "Execute a read-only Lua script server side", "7.0.0", true, false),
		cmd("evalsha_ro", "Execute a read-only Lua script server side", "7.0.0", true, true),
	}
}

// Eval runs EVAL (bySHA false) or EVALSHA, or their _RO forms (ro), with
// the arguments of c: script numkeys key... arg...
func (e *Engine) Eval(c *command.Ctx, host Host, bySHA, ro bool) {
	args := c.Args
	keys, argv, ok := keysAndArgs(c, command.ErrNotInteger)
	if !ok {
		return
	}
	var s *Script
	if bySHA {
		if s = e.lookup(string(args[1])); s == nil {
			c.Error(ErrNoScript)
			return
		}
	} else {
		var msg string
		if s, msg = e.get(string(args[1]), false); s == nil {
			c.Error(msg)
			return
		}
	}
	declared := s.Flags&FlagCompat == 0
	if ro && declared && s.Flags&FlagNoWrites == 0 {
		c.Error(errROFlags)
		return
	}
	e.run(c, host, s, keys, argv, ro || (declared && s.Flags&FlagNoWrites != 0))
}

// vmLocked returns the VM, (re)built if none exists or SCRIPT FLUSH
// happened since it was. e.vmMu is held.
func (e *Engine) vmLocked() *vm {
	e.mu.Lock()
	gen := e.gen
	e.mu.Unlock()
	if e.vm == nil || e.vm.gen != gen {
		if e.vm != nil {
			e.vm.L.Close()
		}
		e.vm = newVM(e)
		e.vm.gen = gen
	}
	return e.vm
}

// run runs script s and writes its reply to c.Out.
func (e *Engine) run(c *command.Ctx, host Host, s *Script, keys, argv [][]byte, ro bool) {
	e.vmMu.Lock()
	defer e.vmMu.Unlock()
	v := e.vmLocked()
	v.globals.RawSetString("KEYS", luaArray(v.L, keys))
	v.globals.RawSetString("ARGV", luaArray(v.L, argv))
	fn := v.L.NewFunctionFromProto(s.proto)
	fn.Env = v.env
	e.execute(c, host, v, call{fn: fn, name: s.SHA}, ro)
}

// call is what execute runs: fn with params; name is the script's SHA or
// the function's name (error replies, FUNCTION STATS).
type call struct {
	fn       *lua.LFunction
	params   []lua.LValue
	name     string
	function bool
}

// execute runs a script or function on v and writes its reply to c.Out.
// The script's writes stand even when it ends with an error (Redis does
// not roll scripts back), unless it was aborted by a shutdown. The VM's
// lock is held.
func (e *Engine) execute(c *command.Ctx, host Host, v *vm, fc call, ro bool) {
	L := v.L
	ctx, cancel := context.WithCancel(context.Background())
	r := &Run{start: time.Now(), cancel: cancel}
	if fc.function {
		r.function = fc.name
		for _, a := range c.Args {
			r.args = append(r.args, string(a))
		}
	}
	v.run = &runCtx{r: r, c: c, host: host, db: c.DB, resp: 2, ro: ro}
	e.running.Store(r)
	defer func() {
		e.running.Store(nil)
		v.run = nil
		cancel()
		L.SetTop(0)
	}()
	L.SetContext(ctx)
	L.Push(fc.fn)
	for _, p := range fc.params {
		L.Push(p)
	}
	err := L.PCall(len(fc.params), 1, v.errh)
	L.RemoveContext()
	switch {
	case r.aborted.Load():
		c.Error(errKilled)
	case err != nil:
		c.ErrorKeepWrites(runError(fc.name, err))
	default:
		ret := L.Get(-1)
		if t, ok := ret.(*lua.LTable); ok {
			if msg, ok := t.RawGetString("err").(lua.LString); ok {
				c.ErrorKeepWrites(string(msg))
				return
			}
		}
		writeReply(c.Out, ret, v.run.resp, 0)
	}
}

// luaArray returns a Lua array of the given strings (KEYS, ARGV).
func luaArray(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}

// runError formats the error reply of a script (name: its SHA, or the
// function's name) that raised an error, as Redis's luaCallFunction: the
// message, then where it was raised.
func runError(name string, err error) string {
	obj := lua.LValue(lua.LString(err.Error()))
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := luaToString(obj)
		if len(msg) > 100 {
			msg = msg[:100]
		}
		return fmt.Sprintf("ERR Error running script %s, %s", name, msg)
	}
	msg := "ERR unknown error"
	if m, ok := t.RawGetString("err").(lua.LString); ok {
		msg = string(m)
	}
	src, okSrc := t.RawGetString("source").(lua.LString)
	line, okLine := t.RawGetString("line").(lua.LNumber)
	if okSrc && okLine {
		msg = fmt.Sprintf("%s script: %s, on %s:%d.", msg, name, src, int(line))
	}
	return msg
}

// call is redis.call (raiseErr) and redis.pcall: it runs a command for the
// script and returns its reply as a Lua value; redis.call raises an error
// reply instead of returning it.
func (v *vm) call(L *lua.LState, raiseErr bool) int {
	rc := v.run
	if rc == nil {
		return raise(L, "redis.call/pcall can only be called inside a script invocation")
	}
	args, msg := callArgs(L)
	var cmd *command.Command
	if msg == "" {
		cmd, msg = rc.check(args)
	}
	if msg != "" {
		t := errTable(L, msg)
		if raiseErr {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	out := v.out
	out.Reset()
	out.SetProto(rc.resp)
	failed := rc.exec(cmd, args, out)
	val, _, err := parseReply(L, out.Bytes())
	if err != nil {
		val, failed = errTable(L, "internal error: cannot convert the reply of '"+cmd.Name+"'"), true
	}
	if failed && raiseErr {
		L.Error(val, 0)
	}
	L.Push(val)
	return 1
}

// check looks up the command a script calls and applies Redis's checks
// (scriptCall): known, arity, allowed in scripts, no write from a
// read-only script. It returns the command, or the error message. A write
// command makes the script unkillable.
func (rc *runCtx) check(args [][]byte) (*command.Command, string) {
	cmd := rc.host.Lookup(args[0])
	if cmd == nil {
		return nil, errUnknownCommand
	}
	sub := cmd
	if len(cmd.Subcommands) > 0 && len(args) >= 2 {
		if sub = subcommand(cmd, args[1]); sub == nil {
			return nil, errUnknownCommand
		}
	}
	switch {
	case !sub.CheckArity(len(args)):
		rc.host.Rejected(cmd)
		return nil, errScriptArity
	case sub.Flags&command.NoScript != 0:
		rc.host.Rejected(cmd)
		return nil, errNoScriptCmd
	case rc.ro && (sub.IsWrite() || mayReplicate(sub)):
		rc.host.Rejected(cmd)
		return nil, errROWrite
	}
	if sub.IsWrite() {
		rc.r.wrote.Store(true)
	}
	return cmd, ""
}

// subcommand returns the subcommand of container cmd named name, or nil.
func subcommand(cmd *command.Command, name []byte) *command.Command {
	full := cmd.Name + "|" + strings.ToLower(string(name))
	for _, sc := range cmd.Subcommands {
		if sc.Name == full {
			return sc
		}
	}
	return nil
}

// mayReplicate reports the commands Redis flags may_replicate that a
// read-only script may not call although they do not write the keyspace.
func mayReplicate(cmd *command.Command) bool {
	return cmd.Name == "publish" || cmd.Name == "spublish"
}

// exec runs a checked command for the script, its reply to out, and
// reports whether the reply is an error.
func (rc *runCtx) exec(cmd *command.Command, args [][]byte, out *resp.Writer) bool {
	start := time.Now()
	var failed bool
	if cmd.Run != nil {
		failed = rc.c.Call(cmd, args, rc.db, out).Failed
	} else {
		rc.db, failed = rc.host.Network(cmd, args, rc.db, out)
	}
	rc.host.Called(cmd, args, time.Since(start), failed)
	return failed
}

// keysAndArgs splits the arguments of EVAL and FCALL (name numkeys key...
// arg...) into keys and the other arguments, replying with Redis's errors
// (badNumKeys when numkeys is no integer, in string2ll's strict form:
// "+1" and "01" are not) when numkeys does not fit.
func keysAndArgs(c *command.Ctx, badNumKeys string) (keys, argv [][]byte, ok bool) {
	args := c.Args
	numkeys, isInt := redisnum.ParseInt(args[2])
	switch {
	case !isInt:
		c.Error(badNumKeys)
		return nil, nil, false
	case numkeys > int64(len(args)-3):
		c.Error(errTooManyKeys)
		return nil, nil, false
	case numkeys < 0:
		c.Error(errNegKeys)
		return nil, nil, false
	}
	return args[3 : 3+numkeys], args[3+numkeys:], true
}
