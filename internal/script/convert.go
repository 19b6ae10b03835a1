package script

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/kiwidb/kiwi/internal/resp"
)

// maxReplyDepth bounds the nesting of a script's reply (a table that
// contains itself): deeper, the element is the error "reached lua stack
// limit", as Redis answers when its Lua stack is exhausted.
const maxReplyDepth = 1000

// writeReply converts a script's return value to RESP, as Redis's
// luaReplyToRedisReply: strings are bulk strings, numbers integers
// (truncated), true 1 and false null (with RESP2 as the script's
// protocol, redis.setresp), tables with an err, ok, double, big_number,
// verbatim_string, map or set field the matching reply, other tables
// arrays up to their first nil, anything else null.
func writeReply(w *resp.Writer, v lua.LValue, luaResp, depth int) {
	if depth > maxReplyDepth {
		w.WriteError("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.WriteBulkString(string(v))
	case lua.LBool:
		switch {
		case luaResp == 3:
			w.WriteBool(bool(v))
		case bool(v):
			w.WriteInt(1)
		default:
			w.WriteNull()
		}
	case lua.LNumber:
		w.WriteInt(int64(float64(v)))
	case *lua.LTable:
		writeTable(w, v, luaResp, depth)
	default:
		w.WriteNull()
	}
}

// writeTable writes a table reply (see writeReply).
func writeTable(w *resp.Writer, t *lua.LTable, luaResp, depth int) {
	if msg, ok := t.RawGetString("err").(lua.LString); ok {
		w.WriteError(string(msg))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.WriteSimple(oneLine(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.WriteDouble(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		writeBigNumber(w, oneLine(string(s)))
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		format, okf := vt.RawGetString("format").(lua.LString)
		s, oks := vt.RawGetString("string").(lua.LString)
		if okf && oks {
			w.WriteVerbatim(string(format), string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(lua.LValue, lua.LValue) { n++ })
		w.WriteMapLen(n)
		m.ForEach(func(k, val lua.LValue) {
			writeReply(w, k, luaResp, depth+1)
			writeReply(w, val, luaResp, depth+1)
		})
		return
	}
	if set, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		set.ForEach(func(lua.LValue, lua.LValue) { n++ })
		w.WriteSetLen(n)
		set.ForEach(func(k, _ lua.LValue) { writeReply(w, k, luaResp, depth+1) })
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.WriteArrayLen(n)
	for i := 1; i <= n; i++ {
		writeReply(w, t.RawGetInt(i), luaResp, depth+1)
	}
}

// oneLine replaces the line breaks of a status or big number reply by
// spaces, as Redis does.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// writeBigNumber writes a RESP3 big number, or a bulk string in RESP2.
func writeBigNumber(w *resp.Writer, s string) {
	if w.Proto() != 3 {
		w.WriteBulkString(s)
		return
	}
	w.WriteRaw([]byte("(" + s + "\r\n"))
}

// errBadReply is returned for a reply the parser does not understand (a
// bug: replies come from Kiwi's own writer).
var errBadReply = errors.New("script: malformed reply")

// parseReply converts the RESP reply at the start of b to a Lua value, as
// Redis's redisProtocolToLuaType: integers are numbers, bulk strings
// strings, null false (RESP2) or nil (RESP3), status {ok=...}, errors
// {err=...}, arrays tables; RESP3 maps {map={...}}, sets {set={...}},
// doubles {double=n}, big numbers {big_number=s}, verbatim strings
// {verbatim_string={format=..., string=...}}, booleans booleans; attributes
// are skipped. It returns the value and the bytes it used.
func parseReply(L *lua.LState, b []byte) (lua.LValue, int, error) {
	if len(b) < 3 {
		return nil, 0, errBadReply
	}
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 {
		return nil, 0, errBadReply
	}
	line, next := string(b[1:end]), end+2
	switch b[0] {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, next, nil
	case '-':
		return newErrTable(L, line), next, nil
	case ':':
		n, err := strconv.ParseInt(line, 10, 64)
		return lua.LNumber(n), next, err
	case '$', '=':
		return parseBulk(L, b, b[0], line, next)
	case '*', '~', '%', '>':
		return parseAggregate(L, b, b[0], line, next)
	case '_':
		return lua.LNil, next, nil
	case '#':
		return lua.LBool(line == "t"), next, nil
	case ',':
		f, err := strconv.ParseFloat(line, 64) // inf, -inf and nan too
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, next, err
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, next, nil
	case '|':
		_, used, err := parseAggregate(L, b, '%', line, next)
		if err != nil {
			return nil, 0, err
		}
		v, rest, err := parseReply(L, b[used:])
		return v, used + rest, err
	}
	return nil, 0, errBadReply
}

// parseBulk parses a bulk string or a verbatim string.
func parseBulk(L *lua.LState, b []byte, kind byte, line string, next int) (lua.LValue, int, error) {
	n, err := strconv.Atoi(line)
	if err != nil {
		return nil, 0, errBadReply
	}
	if n < 0 {
		return lua.LFalse, next, nil
	}
	if next+n+2 > len(b) {
		return nil, 0, errBadReply
	}
	s := string(b[next : next+n])
	if kind == '=' && len(s) >= 4 {
		vt := L.NewTable()
		vt.RawSetString("format", lua.LString(s[:3]))
		vt.RawSetString("string", lua.LString(s[4:]))
		t := L.NewTable()
		t.RawSetString("verbatim_string", vt)
		return t, next + n + 2, nil
	}
	return lua.LString(s), next + n + 2, nil
}

// parseAggregate parses an array, set, map or push reply.
func parseAggregate(L *lua.LState, b []byte, kind byte, line string, next int) (lua.LValue, int, error) {
	n, err := strconv.Atoi(line)
	if err != nil {
		return nil, 0, errBadReply
	}
	if n < 0 {
		return lua.LFalse, next, nil
	}
	t := L.NewTable()
	pos := next
	elem := func() (lua.LValue, error) {
		v, used, err := parseReply(L, b[pos:])
		pos += used
		return v, err
	}
	for i := 1; i <= n; i++ {
		v, err := elem()
		if err != nil {
			return nil, 0, err
		}
		switch kind {
		case '%':
			val, err := elem()
			if err != nil {
				return nil, 0, err
			}
			t.RawSet(v, val)
		case '~':
			t.RawSet(v, lua.LTrue)
		default:
			t.RawSetInt(i, v)
		}
	}
	switch kind {
	case '%', '~':
		field := map[byte]string{'%': "map", '~': "set"}[kind]
		outer := L.NewTable()
		outer.RawSetString(field, t)
		return outer, pos, nil
	}
	return t, pos, nil
}
