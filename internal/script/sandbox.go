package script

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/kiwidb/kiwi/internal/resp"
)

// The VM's limits: Lua 5.1's call depth (LUAI_MAXCALLS) and a data stack
// that may grow well beyond what unpack may push (maxUnpack).
const (
	callStackSize   = 20000
	registrySize    = 1024 * 20
	registryMaxSize = 1 << 20
	// maxUnpack is Lua 5.1's LUAI_MAXCSTACK: unpack of this many values
	// or more fails with "too many results to unpack", as in Redis.
	maxUnpack = 8000
)

// chunkName is the name scripts are compiled under: errors read
// "user_script:LINE: ...", and the error location "@user_script:LINE".
const chunkName = "user_script"

// errReadonly is raised by any write to a protected table.
const errReadonly = "Attempt to modify a readonly table"

// vm is one sandboxed Lua state, as Redis sets its up: the base, table,
// string, math and coroutine libraries, bit, cjson, the redis table; no io, os,
// loadfile, dofile, print; globals and library tables read-only; reading
// an undefined global is an error.
type vm struct {
	L   *lua.LState
	gen uint64 // Engine.gen when built
	// globals is the real global table (KEYS and ARGV are set here);
	// env is the read-only proxy scripts see as their environment and
	// as _G.
	globals, env *lua.LTable
	// readonly are the proxies that refuse writes (rawset and
	// setmetatable included).
	readonly map[*lua.LTable]struct{}
	deny     *lua.LFunction
	errh     *lua.LFunction // the error handler of a script run
	// out receives the replies of the commands a script calls.
	out *resp.Writer
	// redis is the (real) redis table.
	redis *lua.LTable
	// run is the running script's context (nil between runs); load the
	// library being loaded (functions VM, FUNCTION LOAD).
	run  *runCtx
	load *loadCtx
}

// newVM builds a VM for e.
func newVM(e *Engine) *vm {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: callStackSize, MinimizeStackMemory: true,
		RegistrySize: registrySize, RegistryMaxSize: registryMaxSize})
	v := &vm{L: L, gen: e.gen, readonly: make(map[*lua.LTable]struct{}), out: resp.NewWriter(2)}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	v.globals = g
	for _, name := range []string{"dofile", "loadfile", "print", "module", "require", "_printregs",
		"newproxy", "setfenv", "getfenv", "_GOPHER_LUA_VERSION"} {
		g.RawSetString(name, lua.LNil)
	}
	if s, ok := g.RawGetString("string").(*lua.LTable); ok {
		s.RawSetString("dump", lua.LNil) // no bytecode: loadstring takes source only
	}
	v.deny = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errReadonly)
		return 0
	})
	v.errh = L.NewFunction(v.errorHandler)
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("unpack", L.NewFunction(luaUnpack))
	g.RawSetString("rawset", L.NewFunction(v.rawset))
	g.RawSetString("setmetatable", L.NewFunction(v.setmetatable))
	g.RawSetString("tostring", L.NewFunction(luaTostring))
	v.redis = v.redisTable(e)
	g.RawSetString("redis", v.redis)
	g.RawSetString("bit", bitTable(L))
	g.RawSetString("cjson", cjsonTable(L))
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(func(L *lua.LState) int { return mathRandom(L, &e.rng) }))
	math.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int { return mathRandomseed(L, &e.rng) }))
	v.protect()
	return v
}

// protect makes every library table read-only, the globals too, and
// reading an undefined global an error (Redis's
// luaSetTableProtectionRecursively and luaSetErrorMetatable).
func (v *vm) protect() {
	L, g := v.L, v.globals
	g.ForEach(func(k, val lua.LValue) {
		if t, ok := val.(*lua.LTable); ok && t != g {
			g.RawSet(k, v.readonlyView(t))
		}
	})
	missing := L.NewTable()
	missing.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	g.Metatable = missing
	v.env = v.readonlyView(g)
	g.RawSetString("_G", v.env)
	// The metatables of the basic types (only strings have one in
	// gopher-lua) are read-only too: getmetatable gives a read-only view.
	thread, cancel := L.NewThread()
	if cancel != nil {
		cancel()
	}
	for _, val := range []lua.LValue{lua.LNil, lua.LTrue, lua.LNumber(0), lua.LString(""), v.deny, thread} {
		mt, ok := L.GetMetatable(val).(*lua.LTable)
		if !ok {
			mt = L.NewTable()
			L.SetMetatable(val, mt)
		}
		mt.RawSetString("__metatable", v.readonlyView(L.NewTable()))
	}
}

// readonlyView returns an empty table that reads through to t and refuses
// writes; getmetatable on it returns the view itself.
func (v *vm) readonlyView(t *lua.LTable) *lua.LTable {
	p := v.L.NewTable()
	mt := v.L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", v.deny)
	mt.RawSetString("__metatable", p)
	p.Metatable = mt
	v.readonly[p] = struct{}{}
	return p
}

// isReadonly reports whether lv is a read-only view.
func (v *vm) isReadonly(lv lua.LValue) bool {
	t, ok := lv.(*lua.LTable)
	if !ok {
		return false
	}
	_, ro := v.readonly[t]
	return ro
}

// rawset is Lua's rawset, refusing read-only tables.
func (v *vm) rawset(L *lua.LState) int {
	t := L.CheckTable(1)
	if v.isReadonly(t) {
		L.Error(lua.LString(errReadonly), 0)
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	return 0
}

// setmetatable is Lua's setmetatable, refusing read-only tables.
func (v *vm) setmetatable(L *lua.LState) int {
	if v.isReadonly(L.Get(1)) {
		L.Error(lua.LString(errReadonly), 0)
	}
	L.CheckTypes(2, lua.LTNil, lua.LTTable)
	obj := L.CheckTable(1)
	if mt, ok := obj.Metatable.(*lua.LTable); ok && mt.RawGetString("__metatable") != lua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	obj.Metatable = L.Get(2)
	L.SetTop(1)
	return 1
}

// luaPcall is Redis's pcall: like Lua's, but an error table with an err
// field (a Redis error raised by redis.call) is returned as its message,
// as Lua scripts written for Redis 6 expect.
func luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	err := L.PCall(nargs, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	obj := lua.LValue(lua.LString(err.Error()))
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if msg, ok := t.RawGetString("err").(lua.LString); ok {
			obj = msg
		}
	}
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

// luaUnpack is Lua 5.1's unpack, with its limit on the number of results.
func luaUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	start := int64(L.OptInt(2, 1))
	end := int64(t.Len())
	if L.Get(3) != lua.LNil {
		end = int64(L.CheckInt(3))
	}
	if start > end {
		return 0
	}
	n := end - start + 1
	if n >= maxUnpack {
		L.RaiseError("too many results to unpack")
	}
	for i := start; i <= end; i++ {
		L.Push(t.RawGetInt(int(i)))
	}
	return int(n)
}

// errorHandler is the message handler of a script run (Redis's
// __redis__err__handler): it turns the error into a table {err=...,
// source=..., line=...}, a string error getting the ERR code, with the
// script location where it was raised.
func (v *vm) errorHandler(L *lua.LState) int {
	obj := L.Get(1)
	t, ok := obj.(*lua.LTable)
	if v.run != nil && v.run.r.killed.Load() {
		t, ok = newErrTable(L, errKilled), true
	}
	if !ok {
		t = newErrTable(L, "ERR "+luaToString(obj))
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// newErrTable returns {err=msg}.
func newErrTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// luaTostring is Lua's tostring, numbers formatted as Lua 5.1 formats
// them (%.14g; gopher-lua prints every digit).
func luaTostring(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(formatNumber(float64(n))))
		return 1
	}
	if fn := L.GetMetaField(v, "__tostring"); fn != lua.LNil {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	L.Push(lua.LString(luaToString(v)))
	return 1
}

// formatNumber formats n as Lua 5.1's LUAI_NUMFFORMAT, %.14g.
func formatNumber(n float64) string {
	switch {
	case math.IsInf(n, 1):
		return "inf"
	case math.IsInf(n, -1):
		return "-inf"
	case math.IsNaN(n):
		return "nan"
	}
	return strconv.FormatFloat(n, 'g', 14, 64)
}

// luaToString converts v as Lua's tostring does for error messages.
func luaToString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return formatNumber(float64(v))
	case *lua.LNilType:
		return "nil"
	}
	return v.String()
}

// compile parses a script body (after its shebang line, kept as an empty
// line so line numbers hold) into a cached Script, or returns the error
// reply.
func compile(sha, body string) (*Script, string) {
	flags, shebangLen, err := parseShebang(body)
	if err != "" {
		return nil, "ERR " + err
	}
	chunk, perr := parse.Parse(strings.NewReader(body[shebangLen:]), chunkName)
	if perr != nil {
		return nil, "ERR Error compiling script (new function): " + compileError(perr.Error(), body)
	}
	proto, cerr := lua.Compile(chunk, chunkName)
	if cerr != nil {
		return nil, "ERR Error compiling script (new function): " + compileError(cerr.Error(), body)
	}
	return &Script{SHA: sha, Body: body, Flags: flags, proto: proto}, ""
}

// gopher-lua's syntax errors read "user_script line:3(column:7) near
// 'x':   syntax error"; Lua's "user_script:3: syntax error near 'x'".
var syntaxErr = regexp.MustCompile(`^(\S+) line:(\d+)\(column:\d+\) near '(.*)':\s+(.*)$`)

// compileError rewords a gopher-lua compile error the way Lua words it,
// where it can (an error at the end of body is on its last line).
func compileError(msg, body string) string {
	msg = strings.TrimSpace(msg)
	if m := syntaxErr.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s near '%s'", m[1], m[2], m[4], m[3])
	}
	if rest, ok := strings.CutPrefix(msg, chunkName+" at EOF:"); ok {
		return fmt.Sprintf("%s:%d: %s near '<eof>'", chunkName, strings.Count(body, "\n")+1, strings.TrimSpace(rest))
	}
	return msg
}
