package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Redis's version as the redis table reports it.
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// Log levels of redis.log (Redis's LL_*).
const (
	logDebug = iota
	logVerbose
	logNotice
	logWarning
)

// redisTable builds the redis global: call, pcall, the reply helpers, log,
// setresp, sha1hex, the replication and debugger no-ops.
func (v *vm) redisTable(e *Engine) *lua.LTable {
	L := v.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return v.call(L, true) },
		"pcall":              func(L *lua.LState) int { return v.call(L, false) },
		"sha1hex":            luaSha1hex,
		"error_reply":        luaErrorReply,
		"status_reply":       luaStatusReply,
		"log":                func(L *lua.LState) int { return luaLog(L, e) },
		"setresp":            v.setresp,
		"set_repl":           v.setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(*lua.LState) int { return 0 },
		"acl_check_cmd":      v.aclCheckCmd,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, n := range map[string]int{
		"LOG_DEBUG": logDebug, "LOG_VERBOSE": logVerbose, "LOG_NOTICE": logNotice, "LOG_WARNING": logWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": redisVersionNum,
	} {
		t.RawSetString(name, lua.LNumber(n))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	return t
}

// raise raises a Redis error: a table {err=msg} (msg without its code
// gets ERR), as Redis's luaPushError + luaError.
func raise(L *lua.LState, msg string) int {
	L.Error(errTable(L, msg), 0)
	return 0
}

// errTable returns the Lua error table of msg: "-CODE text" or "CODE text"
// keeps its code, a message without one gets ERR (luaPushErrorBuff).
func errTable(L *lua.LState, msg string) *lua.LTable {
	return newErrTable(L, errorWithCode(msg))
}

// errorWithCode returns "CODE text" for a "-CODE text" Redis error, or
// "ERR text" for a bare message; trailing line breaks are dropped.
func errorWithCode(msg string) string {
	code := "ERR"
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		if c, text, ok := strings.Cut(rest, " "); ok {
			code, msg = c, text
		} else {
			msg = rest
		}
	}
	return code + " " + strings.TrimRight(msg, "\r\n")
}

func luaSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "wrong number of arguments")
	}
	L.Push(lua.LString(SHA1Hex(L.ToString(1))))
	return 1
}

func luaErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errTable(L, msg))
	return 1
}

func luaStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

// luaLog is redis.log(level, ...): the arguments joined by spaces, logged
// at the matching level.
func luaLog(L *lua.LState, e *Engine) int {
	argc := L.GetTop()
	if argc < 2 {
		return raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		return raise(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < logDebug || level > logWarning {
		return raise(L, "Invalid debug level.")
	}
	parts := make([]string, 0, argc-1)
	for i := 2; i <= argc; i++ {
		parts = append(parts, L.ToString(i))
	}
	msg := strings.Join(parts, " ")
	switch level {
	case logDebug, logVerbose:
		e.log.Debug(msg)
	case logNotice:
		e.log.Info(msg)
	default:
		e.log.Warn(msg)
	}
	return 0
}

func (v *vm) setresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.setresp() requires one argument.")
	}
	n := L.ToInt(1)
	if n != 2 && n != 3 {
		return raise(L, "RESP version must be 2 or 3.")
	}
	if v.run != nil {
		v.run.resp = n
	}
	return 0
}

// setRepl is redis.set_repl: Kiwi replicates nothing, so it only checks
// its argument.
func (v *vm) setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raise(L, "redis.set_repl() requires two arguments.")
	}
	if n := L.ToInt(1); n&^3 != 0 {
		return raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// aclCheckCmd is redis.acl_check_cmd: Kiwi's only user may run every
// command, so it checks that the command exists.
func (v *vm) aclCheckCmd(L *lua.LState) int {
	if L.GetTop() < 1 || v.run == nil {
		return raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	if v.run.host.Lookup([]byte(L.ToString(1))) == nil {
		return raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}

// callArgs converts redis.call's arguments: strings as they are, numbers
// formatted as %.17g (Lua's own conversion loses precision).
func callArgs(L *lua.LState) ([][]byte, string) {
	argc := L.GetTop()
	if argc == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	args := make([][]byte, argc)
	for i := range args {
		switch a := L.Get(i + 1).(type) {
		case lua.LString:
			args[i] = []byte(a)
		case lua.LNumber:
			args[i] = strconv.AppendFloat(nil, float64(a), 'g', 17, 64)
		default:
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
	}
	return args, ""
}

// rand48 is the 48-bit linear congruential generator of POSIX lrand48,
// which Redis's math.random uses.
type rand48 struct{ x uint64 }

const rand48Max = math.MaxInt32

func (r *rand48) seed(s int64) { r.x = (uint64(uint32(s)) << 16) | 0x330e }

func (r *rand48) next() int64 {
	r.x = (0x5deece66d*r.x + 0xb) & (1<<48 - 1)
	return int64(r.x >> 17)
}

// mathRandom is Redis's math.random.
func mathRandom(L *lua.LState, r *rand48) int {
	f := float64(r.next()%rand48Max) / rand48Max
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := checkInt(L, 1), checkInt(L, 2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// mathRandomseed is Redis's math.randomseed.
func mathRandomseed(L *lua.LState, r *rand48) int {
	r.seed(int64(checkInt(L, 1)))
	return 0
}

// checkNumber is Lua's luaL_checknumber: a number, or a string that
// converts to one.
func checkNumber(L *lua.LState, i int) float64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return f
		}
	}
	return float64(L.CheckNumber(i)) // raises the bad argument error
}

// checkInt is Lua's luaL_checkint.
func checkInt(L *lua.LState, i int) int { return int(checkNumber(L, i)) }

// bitTable builds the bit library (LuaBitOp, as Redis ships it): 32-bit
// operations on numbers.
func bitTable(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	unary := func(f func(int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(f(toBit(L, 1))))
			return 1
		}
	}
	fold := func(f func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			acc := toBit(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				acc = f(acc, toBit(L, i))
			}
			L.Push(lua.LNumber(acc))
			return 1
		}
	}
	shift := func(f func(x int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(f(toBit(L, 1), uint(toBit(L, 2))&31)))
			return 1
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit": unary(func(x int32) int32 { return x }),
		"bnot":  unary(func(x int32) int32 { return ^x }),
		"bswap": unary(func(x int32) int32 {
			u := uint32(x)
			return int32(u>>24 | (u>>8)&0xff00 | (u&0xff00)<<8 | u<<24)
		}),
		"band":    fold(func(a, b int32) int32 { return a & b }),
		"bor":     fold(func(a, b int32) int32 { return a | b }),
		"bxor":    fold(func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift(func(x int32, n uint) int32 { return int32(uint32(x) << n) }),
		"rshift":  shift(func(x int32, n uint) int32 { return int32(uint32(x) >> n) }),
		"arshift": shift(func(x int32, n uint) int32 { return x >> n }),
		"rol":     shift(func(x int32, n uint) int32 { u := uint32(x); return int32(u<<n | u>>(32-n)) }),
		"ror":     shift(func(x int32, n uint) int32 { u := uint32(x); return int32(u>>n | u<<(32-n)) }),
		"tohex":   bitTohex,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// toBit converts argument i to a 32-bit integer as LuaBitOp does (modulo
// 2^32, the double's integer part).
func toBit(L *lua.LState, i int) int32 {
	f := checkNumber(L, i)
	return int32(uint32(int64(math.Mod(math.Trunc(f), 1<<32))))
}

// bitTohex is bit.tohex(x [,n]): n hex digits (default 8), upper case
// when n is negative.
func bitTohex(L *lua.LState) int {
	x := uint32(toBit(L, 1))
	n := int32(8)
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		n = toBit(L, 2)
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n, digits = -n, "0123456789ABCDEF"
	}
	if n > 8 || n < 0 { // n < 0: -2^31 negated
		n = 8
	}
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[x&15]
		x >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
