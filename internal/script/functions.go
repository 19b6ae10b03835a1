package script

import (
	"context"
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/kiwidb/kiwi/internal/command"
)

// Functions (FUNCTION LOAD, FCALL, FCALL_RO): libraries of named Lua
// functions, loaded into a VM of their own (SCRIPT FLUSH does not touch
// them, FUNCTION FLUSH rebuilds it). Kiwi keeps them in memory only: they
// do not survive a restart (FUNCTION DUMP/RESTORE are not supported).

// Error replies of the function commands, byte-identical to Redis 7.0.
const (
	// ErrBusyFunction is the BUSY reply while a function runs.
	ErrBusyFunction  = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errFuncNotFound  = "ERR Function not found"
	errBadNumKeys    = "ERR Bad number of keys provided"
	errLibNotFound   = "ERR Library not found"
	errBadName       = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	loadTimeout      = 500 * time.Millisecond
	functionChunk    = "user_function"
	errLoadTimeout   = "ERR FUNCTION LOAD timeout"
	errRegisterOnly  = "redis.register_function can only be called on FUNCTION LOAD command"
	errRegisterArity = "wrong number of arguments to redis.register_function"
)

// Library is a loaded function library.
type Library struct {
	Name, Code string
	// Functions in registration order.
	Functions []*Function
}

// Function is one registered function.
type Function struct {
	Name, Description string
	Flags             Flags
	lib               *Library
	fn                *lua.LFunction
}

// loadCtx collects what a library registers while FUNCTION LOAD runs it.
type loadCtx struct {
	lib *Library
}

// fvmLocked returns the functions VM, built on first use. e.fnMu is held.
func (e *Engine) fvmLocked() *vm {
	if e.fvm == nil {
		e.fvm = newVM(e)
		e.fvm.redis.RawSetString("register_function", e.fvm.L.NewFunction(e.fvm.registerFunction))
	}
	return e.fvm
}

// LoadLibrary runs FUNCTION LOAD [REPLACE] code: it returns the library
// name, or the error reply.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	name, body, msg := libraryMetadata(code)
	if msg != "" {
		return "", "ERR " + msg
	}
	chunk, err := parse.Parse(strings.NewReader(body), functionChunk)
	var proto *lua.FunctionProto
	if err == nil {
		proto, err = lua.Compile(chunk, functionChunk)
	}
	if err != nil {
		return "", "ERR Error compiling function: " + compileError(err.Error(), body)
	}
	e.fnMu.Lock()
	defer e.fnMu.Unlock()
	e.libMu.Lock()
	exists := e.libs[name] != nil
	e.libMu.Unlock()
	if exists && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	lib := &Library{Name: name, Code: code}
	if msg := e.runLibrary(proto, lib); msg != "" {
		return "", msg
	}
	if len(lib.Functions) == 0 {
		return "", "ERR No functions registered"
	}
	e.libMu.Lock()
	defer e.libMu.Unlock()
	old := e.libs[name]
	for _, f := range lib.Functions {
		if other := e.funcs[f.Name]; other != nil && other.lib != old {
			return "", "ERR Function " + f.Name + " already exists"
		}
	}
	if old != nil {
		e.unlinkLocked(old)
	}
	e.libs[name] = lib
	for _, f := range lib.Functions {
		e.funcs[f.Name] = f
	}
	return name, ""
}

// runLibrary runs a library's code so that it registers its functions,
// within loadTimeout. e.fnMu is held.
func (e *Engine) runLibrary(proto *lua.FunctionProto, lib *Library) string {
	v := e.fvmLocked()
	L := v.L
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	v.load = &loadCtx{lib: lib}
	defer func() {
		v.load = nil
		L.SetTop(0)
	}()
	fn := L.NewFunctionFromProto(proto)
	fn.Env = v.env
	L.SetContext(ctx)
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	L.RemoveContext()
	if err == nil {
		return ""
	}
	msg := errLoadTimeout
	if ctx.Err() == nil {
		msg = luaErrorMessage(err)
	}
	return "ERR Error registering functions: " + msg
}

// luaErrorMessage returns the message of a Lua error: a Redis error
// table's err field, or "ERR " and the error string.
func luaErrorMessage(err error) string {
	obj := lua.LValue(lua.LString(err.Error()))
	if aerr, ok := err.(*lua.ApiError); ok {
		obj = aerr.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if m, ok := t.RawGetString("err").(lua.LString); ok {
			return string(m)
		}
	}
	return "ERR " + luaToString(obj)
}

// unlinkLocked removes a library and its functions. e.libMu is held.
func (e *Engine) unlinkLocked(lib *Library) {
	delete(e.libs, lib.Name)
	for _, f := range lib.Functions {
		if e.funcs[f.Name] == f {
			delete(e.funcs, f.Name)
		}
	}
}

// libraryMetadata parses the "#!lua name=<lib>" first line of a library
// (Redis's functionExtractLibMetaData): the name, the code after the line
// (its newline kept), or an error message.
func libraryMetadata(code string) (string, string, string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "Missing library metadata"
	}
	end := strings.IndexByte(code, '\n')
	if end < 0 {
		return "", "", "Invalid library metadata"
	}
	parts := strings.Fields(code[:end])
	if len(parts) == 0 {
		return "", "", "Invalid library metadata"
	}
	name, named := "", false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return "", "", "Invalid metadata value, name argument was given multiple times"
			}
			name, named = p[5:], true
			continue
		}
		return "", "", "Invalid metadata value given: " + p
	}
	if !named {
		return "", "", "Library name was not given"
	}
	if !validName(name) {
		return "", "", errBadName
	}
	if engine := parts[0][2:]; !strings.EqualFold(engine, "lua") {
		return "", "", "Engine '" + engine + "' not found"
	}
	return name, code[end:], ""
}

// validName reports whether a library or function name is made of
// letters, digits and underscores only, and not empty.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// registerFunction is redis.register_function(name, callback) or
// redis.register_function{function_name=..., callback=..., flags=...,
// description=...}, only valid while FUNCTION LOAD runs the library.
func (v *vm) registerFunction(L *lua.LState) int {
	if v.load == nil {
		return raise(L, errRegisterOnly)
	}
	var f *Function
	var msg string
	switch L.GetTop() {
	case 1:
		f, msg = namedRegisterArgs(L)
	case 2:
		f, msg = &Function{}, ""
		name, ok := L.Get(1).(lua.LString)
		fn, okFn := L.Get(2).(*lua.LFunction)
		switch {
		case !ok:
			msg = "first argument to redis.register_function must be a string"
		case !okFn:
			msg = "second argument to redis.register_function must be a function"
		default:
			f.Name, f.fn = string(name), fn
		}
	default:
		msg = errRegisterArity
	}
	if msg != "" {
		return raise(L, msg)
	}
	if !validName(f.Name) {
		return raise(L, errBadName)
	}
	lib := v.load.lib
	if slices.ContainsFunc(lib.Functions, func(g *Function) bool { return g.Name == f.Name }) {
		return raise(L, "Function already exists in the library")
	}
	f.lib = lib
	lib.Functions = append(lib.Functions, f)
	return 0
}

// namedRegisterArgs reads register_function's table form.
func namedRegisterArgs(L *lua.LState) (*Function, string) {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		return nil, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."
	}
	f := &Function{}
	var msg string
	named := false
	t.ForEach(func(k, val lua.LValue) {
		if msg != "" {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			msg = "named argument key given to redis.register_function is not a string"
			return
		}
		switch strings.ToLower(string(key)) {
		case "function_name":
			s, ok := val.(lua.LString)
			if !ok {
				msg = "function_name argument given to redis.register_function must be a string"
			}
			f.Name, named = string(s), true
		case "description":
			s, ok := val.(lua.LString)
			if !ok {
				msg = "description argument given to redis.register_function must be a string"
			}
			f.Description = string(s)
		case "callback":
			fn, ok := val.(*lua.LFunction)
			if !ok {
				msg = "callback argument given to redis.register_function must be a function"
			}
			f.fn = fn
		case "flags":
			ft, ok := val.(*lua.LTable)
			if !ok {
				msg = "flags argument to redis.register_function must be a table representing function flags"
				return
			}
			ft.ForEach(func(_, fv lua.LValue) {
				flag, ok := flagNames[lua.LVAsString(fv)]
				if !ok || fv.Type() != lua.LTString {
					msg = "unknown flag given"
				}
				f.Flags |= flag
			})
		default:
			msg = "unknown argument given to redis.register_function"
		}
	})
	switch {
	case msg != "":
	case !named:
		msg = "redis.register_function must get a function name argument"
	case f.fn == nil:
		msg = "redis.register_function must get a callback argument"
	}
	return f, msg
}

// DeleteLibrary runs FUNCTION DELETE: "" or the error reply.
func (e *Engine) DeleteLibrary(name string) string {
	e.libMu.Lock()
	defer e.libMu.Unlock()
	lib := e.libs[name]
	if lib == nil {
		return errLibNotFound
	}
	e.unlinkLocked(lib)
	return ""
}

// FlushFunctions runs FUNCTION FLUSH: no library left, a new VM.
func (e *Engine) FlushFunctions() {
	e.fnMu.Lock()
	defer e.fnMu.Unlock()
	e.libMu.Lock()
	e.libs = make(map[string]*Library)
	e.funcs = make(map[string]*Function)
	e.libMu.Unlock()
	if e.fvm != nil {
		e.fvm.L.Close()
		e.fvm = nil
	}
}

// Libraries returns the loaded libraries sorted by name (FUNCTION LIST).
// Their contents must not be modified.
func (e *Engine) Libraries() []*Library {
	e.libMu.Lock()
	defer e.libMu.Unlock()
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *Library) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FunctionCount returns the number of libraries and of functions.
func (e *Engine) FunctionCount() (libs, funcs int) {
	e.libMu.Lock()
	defer e.libMu.Unlock()
	return len(e.libs), len(e.funcs)
}

// FlagNames returns the names of the flags, in Redis's order.
func (f Flags) FlagNames() []string {
	var out []string
	for _, n := range []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"} {
		if f&flagNames[n] != 0 {
			out = append(out, n)
		}
	}
	return out
}

// FCall runs FCALL (ro false) or FCALL_RO with the arguments of c:
// function numkeys key... arg...
func (e *Engine) FCall(c *command.Ctx, host Host, ro bool) {
	e.fnMu.Lock()
	defer e.fnMu.Unlock()
	e.libMu.Lock()
	f := e.funcs[string(c.Args[1])]
	e.libMu.Unlock()
	if f == nil {
		c.Error(errFuncNotFound)
		return
	}
	keys, argv, ok := keysAndArgs(c, errBadNumKeys)
	if !ok {
		return
	}
	if ro && f.Flags&FlagNoWrites == 0 {
		c.Error(errROFlags)
		return
	}
	v := e.fvmLocked()
	params := []lua.LValue{luaArray(v.L, keys), luaArray(v.L, argv)}
	e.execute(c, host, v, call{fn: f.fn, params: params, name: f.Name, function: true},
		ro || f.Flags&FlagNoWrites != 0)
}
