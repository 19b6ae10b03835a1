package script

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// cjson is the lua-cjson library Redis ships: encode, decode, null, and
// the settings the Redis test suite uses. Encoding follows lua-cjson:
// numbers as %.14g, "/" escaped, tables with only positive integer keys
// as arrays (nil holes as null, excessively sparse ones refused), other
// tables as objects with string or number keys, an empty table as {}.
type cjson struct {
	null             *lua.LUserData
	encodeMaxDepth   int
	decodeMaxDepth   int
	encodeInvalidNum bool
}

// defaultJSONDepth is lua-cjson's default nesting limit, both ways.
const defaultJSONDepth = 1000

// cjsonTable builds the cjson global.
func cjsonTable(L *lua.LState) *lua.LTable {
	j := &cjson{null: L.NewUserData(), encodeMaxDepth: defaultJSONDepth, decodeMaxDepth: defaultJSONDepth}
	t := L.NewTable()
	setDepth := func(p *int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				n := checkInt(L, 1)
				if n < 1 {
					L.ArgError(1, "expected integer between 1 and 2147483647")
				}
				*p = n
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	fns := map[string]lua.LGFunction{
		"encode":           j.encode,
		"decode":           j.decode,
		"encode_max_depth": setDepth(&j.encodeMaxDepth),
		"decode_max_depth": setDepth(&j.decodeMaxDepth),
		"encode_invalid_numbers": func(L *lua.LState) int {
			if L.GetTop() >= 1 {
				j.encodeInvalidNum = lua.LVAsBool(L.Get(1))
			}
			L.Push(lua.LBool(j.encodeInvalidNum))
			return 1
		},
		"encode_keep_buffer":      func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"decode_invalid_numbers":  func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"encode_number_precision": func(L *lua.LState) int { L.Push(lua.LNumber(14)); return 1 },
		"encode_sparse_array":     func(L *lua.LState) int { return 0 },
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("null", j.null)
	return t
}

func (j *cjson) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	var buf bytes.Buffer
	if msg := j.encodeValue(&buf, L.Get(1), 0); msg != "" {
		L.RaiseError("%s", msg)
	}
	L.Push(lua.LString(buf.String()))
	return 1
}

// encodeValue appends v's JSON to buf, or returns an error message.
func (j *cjson) encodeValue(buf *bytes.Buffer, v lua.LValue, depth int) string {
	switch v := v.(type) {
	case *lua.LNilType:
		buf.WriteString("null")
	case lua.LBool:
		buf.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			if !j.encodeInvalidNum {
				return "Cannot serialise number: must not be NaN or Inf"
			}
		}
		buf.WriteString(formatNumber(f))
	case lua.LString:
		encodeJSONString(buf, string(v))
	case *lua.LTable:
		return j.encodeTable(buf, v, depth+1)
	case *lua.LUserData:
		if v == j.null {
			buf.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	default:
		return fmt.Sprintf("Cannot serialise %s: type not supported", v.Type())
	}
	return ""
}

func (j *cjson) encodeTable(buf *bytes.Buffer, t *lua.LTable, depth int) string {
	if depth > j.encodeMaxDepth {
		return fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth)
	}
	n, isArray, msg := arrayLength(t)
	if msg != "" {
		return msg
	}
	if isArray && n > 0 {
		buf.WriteByte('[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				buf.WriteByte(',')
			}
			if msg := j.encodeValue(buf, t.RawGetInt(i), depth); msg != "" {
				return msg
			}
		}
		buf.WriteByte(']')
		return ""
	}
	buf.WriteByte('{')
	first := true
	t.ForEach(func(k, val lua.LValue) {
		if msg != "" {
			return
		}
		var key string
		switch k := k.(type) {
		case lua.LString:
			key = string(k)
		case lua.LNumber:
			key = formatNumber(float64(k))
		default:
			msg = "Cannot serialise table: table key must be a number or string"
			return
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		encodeJSONString(buf, key)
		buf.WriteByte(':')
		msg = j.encodeValue(buf, val, depth)
	})
	if msg != "" {
		return msg
	}
	buf.WriteByte('}')
	return ""
}

// arrayLength reports whether t is an array for lua-cjson (only positive
// integer keys) and its length; an array whose length is more than twice
// its number of items (and above 10) is refused as excessively sparse.
func arrayLength(t *lua.LTable) (int, bool, string) {
	maxKey, items, isArray := 0, 0, true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
			isArray = false
			return
		}
		maxKey = max(maxKey, int(n))
		items++
	})
	if !isArray {
		return 0, false, ""
	}
	if maxKey > 10 && maxKey > 2*items {
		return 0, false, "Cannot serialise table: excessively sparse array"
	}
	return maxKey, true, ""
}

// encodeJSONString appends s as a JSON string, escaped as lua-cjson does.
func encodeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '/':
			buf.WriteString(`\/`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(buf, `\u%04x`, c)
			} else {
				buf.WriteByte(c)
			}
		}
	}
	buf.WriteByte('"')
}

func (j *cjson) decode(L *lua.LState) int {
	s := L.CheckString(1)
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		L.RaiseError("Expected value but found invalid token at character 1")
	}
	if dec.More() {
		L.RaiseError("Expected the end but found invalid token")
	}
	out, msg := j.toLua(L, v, 1)
	if msg != "" {
		L.RaiseError("%s", msg)
	}
	L.Push(out)
	return 1
}

// toLua converts a decoded JSON value to Lua: null is cjson.null.
func (j *cjson) toLua(L *lua.LState, v any, depth int) (lua.LValue, string) {
	switch v := v.(type) {
	case nil:
		return j.null, ""
	case bool:
		return lua.LBool(v), ""
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, "Expected value but found invalid number"
		}
		return lua.LNumber(f), ""
	case string:
		return lua.LString(v), ""
	case []any:
		if depth > j.decodeMaxDepth {
			return nil, fmt.Sprintf("Found too many nested data structures (%d)", depth)
		}
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			lv, msg := j.toLua(L, e, depth+1)
			if msg != "" {
				return nil, msg
			}
			t.RawSetInt(i+1, lv)
		}
		return t, ""
	case map[string]any:
		if depth > j.decodeMaxDepth {
			return nil, fmt.Sprintf("Found too many nested data structures (%d)", depth)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t := L.CreateTable(0, len(v))
		for _, k := range keys {
			lv, msg := j.toLua(L, v[k], depth+1)
			if msg != "" {
				return nil, msg
			}
			t.RawSetString(k, lv)
		}
		return t, ""
	}
	return nil, "Expected value but found invalid token"
}
