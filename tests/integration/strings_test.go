package integration

// Integration tests of the string and bitmap commands: go-redis (and raw
// RESP where bytes matter) against real kiwi processes, on every compiled
// engine and both runtime modes.
//
// The table-driven steps (stringGroups here, keyGroups in keys_test.go)
// hold Redis 7.0's exact replies. TestStringStepsMatchRedis replays them
// against a real redis-server when KIWI_COMPARE_REDIS names one, e.g.
//
//	redis-server --port 16471 --save '' --appendonly no --daemonize yes
//	KIWI_COMPARE_REDIS=127.0.0.1:16471 go test -run TestStringStepsMatchRedis ./tests/integration/
//	redis-cli -p 16471 shutdown nosave

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ---- step tables ----

// errReply is an expected error reply, by its exact text (without '-').
type errReply string

// nilReply is an expected null reply.
type nilReply struct{}

var null = nilReply{}

// intIn is an expected integer reply in [lo, hi] (TTLs).
type intIn struct{ lo, hi int64 }

// unordered is an expected array of bulk strings in any order (KEYS).
type unordered []string

// step is one command, written as a line (split on spaces; a token in
// double quotes is a Go string literal, so binary bytes can be written as
// escapes), and its expected reply: string (bulk or status), int, intIn,
// nilReply, errReply, unordered, or []any of those.
type step struct {
	cmd  string
	want any
}

type stepGroup struct {
	name  string
	steps []step
}

// splitCmd splits a step's command line into arguments.
func splitCmd(t testing.TB, line string) []any {
	var out []any
	for {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			return out
		}
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				t.Fatalf("bad quoted token in %q: %v", line, err)
			}
			v, _ := strconv.Unquote(q)
			out = append(out, v)
			line = line[len(q):]
			continue
		}
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
}

// replyMatches reports whether a go-redis Do result matches want.
func replyMatches(got any, err error, want any) bool {
	switch w := want.(type) {
	case errReply:
		return err != nil && err.Error() == string(w)
	case nilReply:
		return errors.Is(err, redis.Nil)
	}
	if err != nil {
		return false
	}
	switch w := want.(type) {
	case int:
		g, ok := got.(int64)
		return ok && g == int64(w)
	case int64:
		g, ok := got.(int64)
		return ok && g == w
	case intIn:
		g, ok := got.(int64)
		return ok && g >= w.lo && g <= w.hi
	case string:
		g, ok := got.(string)
		return ok && g == w
	case unordered:
		arr, ok := got.([]any)
		if !ok || len(arr) != len(w) {
			return false
		}
		gs := make([]string, len(arr))
		for i, a := range arr {
			if gs[i], ok = a.(string); !ok {
				return false
			}
		}
		ws := append([]string(nil), w...)
		sort.Strings(gs)
		sort.Strings(ws)
		return strings.Join(gs, "\x00") == strings.Join(ws, "\x00")
	case []any:
		arr, ok := got.([]any)
		if !ok || len(arr) != len(w) {
			return false
		}
		for i := range w {
			if w[i] == nil {
				if arr[i] != nil {
					return false
				}
				continue
			}
			if !replyMatches(arr[i], nil, w[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func describeReply(got any, err error) string {
	if err != nil {
		if errors.Is(err, redis.Nil) {
			return "(nil)"
		}
		return fmt.Sprintf("error %q", err.Error())
	}
	return fmt.Sprintf("%#v", got)
}

// runSteps flushes the server and runs the steps in order on one client.
func runSteps(t *testing.T, c *redis.Client, steps []step) {
	t.Helper()
	ctx := ctxT(t)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	for i, st := range steps {
		args := splitCmd(t, st.cmd)
		got, err := c.Do(ctx, args...).Result()
		if !replyMatches(got, err, st.want) {
			t.Errorf("step %d: %s → %s, want %#v", i, st.cmd, describeReply(got, err), st.want)
		}
	}
}

// runGroups runs each group as a subtest.
func runGroups(t *testing.T, c *redis.Client, groups []stepGroup) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runSteps(t, c, g.steps) })
	}
}

// farFuture is 2100-01-01T00:00:00Z, for EXAT/EXPIREAT with exact replies.
const farFuture = "4102444800"

var stringGroups = []stepGroup{
	{"get-set", []step{
		{"GET k", null},
		{"SET k v", "OK"},
		{"GET k", "v"},
		{`SET k "hello world"`, "OK"},
		{"GET k", "hello world"},
		{`SET empty ""`, "OK"},
		{"GET empty", ""},
		{"EXISTS empty", 1},
		{"SET k v NX", null},
		{"GET k", "hello world"},
		{"SET n v NX", "OK"},
		{"SET k v2 XX", "OK"},
		{"GET k", "v2"},
		{"SET missing v XX", null},
		{"EXISTS missing", 0},
		{"SET k v3 GET", "v2"},
		{"GET k", "v3"},
		{"SET fresh v GET", null},
		{"GET fresh", "v"},
		{"SET k v4 NX GET", "v3"},
		{"GET k", "v3"},
		{"SET nx2 v NX GET", null},
		{"GET nx2", "v"},
		{"SET k v5 XX GET", "v3"},
		{"GET k", "v5"},
		{"SET nope v XX GET", null},
		{"EXISTS nope", 0},
		// Option errors leave the value alone.
		{"SET k x NX XX", errReply("ERR syntax error")},
		{"SET k x XX NX", errReply("ERR syntax error")},
		{"SET k x EX", errReply("ERR syntax error")},
		{"SET k x EX 10 PX 10", errReply("ERR syntax error")},
		{"SET k x EX 10 KEEPTTL", errReply("ERR syntax error")},
		{"SET k x KEEPTTL PX 10", errReply("ERR syntax error")},
		{"SET k x EXAT 10 PXAT 10", errReply("ERR syntax error")},
		{"SET k x PERSIST", errReply("ERR syntax error")},
		{"SET k x FOO", errReply("ERR syntax error")},
		{"SET k x EX abc", errReply("ERR value is not an integer or out of range")},
		{"SET k x EX 1.5", errReply("ERR value is not an integer or out of range")},
		{"SET k x EX 0", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x EX -1", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x PX 0", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x EXAT 0", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x PXAT -5", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x EX 9223372036854775807", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x PX 9223372036854775807", errReply("ERR invalid expire time in 'set' command")},
		{"SET k x EX 99999999999999999999", errReply("ERR value is not an integer or out of range")},
		{"GET k", "v5"},
		{"TTL k", -1},
		// Expiry options.
		{"set k v ex 100", "OK"},
		{"TTL k", intIn{95, 100}},
		{"SET k v6 KEEPTTL", "OK"},
		{"GET k", "v6"},
		{"TTL k", intIn{95, 100}},
		{"SET k v7", "OK"},
		{"TTL k", -1},
		{"SET k v PX 100000", "OK"},
		{"PTTL k", intIn{95000, 100000}},
		{"SET k v EXAT " + farFuture, "OK"},
		{"EXPIRETIME k", 4102444800},
		{"SET k v PXAT 4102444800123", "OK"},
		{"PEXPIRETIME k", 4102444800123},
		{"SET k v EX 10 EX 20", "OK"},
		{"TTL k", intIn{15, 20}},
		{"SET k v XX GET EX 100", "v"},
		{"TTL k", intIn{95, 100}},
		// An expiry in the past deletes at once, replying as if set.
		{"SET k v EXAT 1", "OK"},
		{"EXISTS k", 0},
		{"SET k v GET PXAT 1", null},
		{"EXISTS k", 0},
		{"SET k old", "OK"},
		{"SET k new PXAT 1 GET", "old"},
		{"EXISTS k", 0},
		// Arity.
		{"SET", errReply("ERR wrong number of arguments for 'set' command")},
		{"SET k", errReply("ERR wrong number of arguments for 'set' command")},
		{"GET", errReply("ERR wrong number of arguments for 'get' command")},
		{"GET a b", errReply("ERR wrong number of arguments for 'get' command")},
	}},
	{"setnx-setex-psetex", []step{
		{"SETNX k v", 1},
		{"SETNX k w", 0},
		{"GET k", "v"},
		{"SETEX k 100 v2", "OK"},
		{"GET k", "v2"},
		{"TTL k", intIn{95, 100}},
		{"SETNX k v3", 0},
		{"SETEX k 0 x", errReply("ERR invalid expire time in 'setex' command")},
		{"SETEX k -5 x", errReply("ERR invalid expire time in 'setex' command")},
		{"SETEX k abc x", errReply("ERR value is not an integer or out of range")},
		{"SETEX k 9223372036854775807 x", errReply("ERR invalid expire time in 'setex' command")},
		{"GET k", "v2"},
		{"PSETEX k 100000 v3", "OK"},
		{"GET k", "v3"},
		{"PTTL k", intIn{95000, 100000}},
		{"PSETEX k 0 x", errReply("ERR invalid expire time in 'psetex' command")},
		{"PSETEX k 9223372036854775807 x", errReply("ERR invalid expire time in 'psetex' command")},
		{"PSETEX k x x", errReply("ERR value is not an integer or out of range")},
		{"GET k", "v3"},
		{"SETNX k", errReply("ERR wrong number of arguments for 'setnx' command")},
		{"SETEX k 10", errReply("ERR wrong number of arguments for 'setex' command")},
		{"PSETEX k 10 v x", errReply("ERR wrong number of arguments for 'psetex' command")},
	}},
	{"getset-getdel-getex", []step{
		{"GETSET k v", null},
		{"GETSET k w", "v"},
		{"GET k", "w"},
		{"SET k v EX 100", "OK"},
		{"GETSET k x", "v"},
		{"TTL k", -1},
		{"GETDEL k", "x"},
		{"GETDEL k", null},
		{"EXISTS k", 0},
		{"GETEX missing", null},
		{"GETEX missing EX 0", null},
		{"GETEX missing FOO", errReply("ERR syntax error")},
		{"SET k v", "OK"},
		{"GETEX k", "v"},
		{"TTL k", -1},
		{"GETEX k EX 100", "v"},
		{"TTL k", intIn{95, 100}},
		{"GETEX k PX 50000", "v"},
		{"PTTL k", intIn{45000, 50000}},
		{"GETEX k EXAT " + farFuture, "v"},
		{"EXPIRETIME k", 4102444800},
		{"GETEX k PXAT 4102444800123", "v"},
		{"PEXPIRETIME k", 4102444800123},
		{"GETEX k", "v"},
		{"PEXPIRETIME k", 4102444800123},
		{"GETEX k PERSIST", "v"},
		{"TTL k", -1},
		{"GETEX k EX 100 PERSIST", errReply("ERR syntax error")},
		{"GETEX k PERSIST EX 100", errReply("ERR syntax error")},
		{"GETEX k KEEPTTL", errReply("ERR syntax error")},
		{"GETEX k NX", errReply("ERR syntax error")},
		{"GETEX k GET", errReply("ERR syntax error")},
		{"GETEX k EX", errReply("ERR syntax error")},
		{"GETEX k EX 0", errReply("ERR invalid expire time in 'getex' command")},
		{"GETEX k PX -1", errReply("ERR invalid expire time in 'getex' command")},
		{"GETEX k EX abc", errReply("ERR value is not an integer or out of range")},
		{"TTL k", -1},
		{"GETEX k EXAT 1", "v"},
		{"EXISTS k", 0},
		{"GETSET k", errReply("ERR wrong number of arguments for 'getset' command")},
		{"GETDEL", errReply("ERR wrong number of arguments for 'getdel' command")},
		{"GETDEL a b", errReply("ERR wrong number of arguments for 'getdel' command")},
		{"GETEX", errReply("ERR wrong number of arguments for 'getex' command")},
	}},
	{"mget-mset-msetnx", []step{
		{"MSET a 1 b 2 c 3", "OK"},
		{"MGET a b c missing", []any{"1", "2", "3", nil}},
		{"MGET missing", []any{nil}},
		{"MSET a 1 b", errReply("ERR wrong number of arguments for 'mset' command")},
		{"MSET a", errReply("ERR wrong number of arguments for 'mset' command")},
		{"MSET a 1 a 2", "OK"},
		{"GET a", "2"},
		{"MSETNX a 9 x 1", 0},
		{"EXISTS x", 0},
		{"GET a", "2"},
		{"MSETNX x 1 y 2", 1},
		{"MGET x y", []any{"1", "2"}},
		{"MSETNX z 1 z 2", 1},
		{"GET z", "2"},
		{"MSETNX p 1 q", errReply("ERR wrong number of arguments for 'msetnx' command")},
		{"MGET", errReply("ERR wrong number of arguments for 'mget' command")},
		{"SET t v EX 100", "OK"},
		{"MSET t w", "OK"},
		{"TTL t", -1},
		{`MSET "" empty "with space" "a b"`, "OK"},
		{`MGET "" "with space"`, []any{"empty", "a b"}},
	}},
	{"append-strlen-getrange-setrange", []step{
		{"APPEND k hello", 5},
		{`APPEND k " world"`, 11},
		{"GET k", "hello world"},
		{"STRLEN k", 11},
		{"STRLEN missing", 0},
		{"GETRANGE k 0 4", "hello"},
		{"GETRANGE k -5 -1", "world"},
		{"GETRANGE k 0 -1", "hello world"},
		{"GETRANGE k 5 3", ""},
		{"GETRANGE k -100 2", "hel"},
		{"GETRANGE k 6 100", "world"},
		{"GETRANGE k 100 200", ""},
		{"GETRANGE k -1 -5", ""},
		{"GETRANGE k 5 -100", ""},
		{"GETRANGE missing 0 -1", ""},
		{"GETRANGE k a 1", errReply("ERR value is not an integer or out of range")},
		{"GETRANGE k 0 9223372036854775808", errReply("ERR value is not an integer or out of range")},
		{"SUBSTR k 0 4", "hello"},
		{"SUBSTR k -3 -1", "rld"},
		{"SETRANGE k 6 WORLD", 11},
		{"GET k", "hello WORLD"},
		{"SETRANGE k 15 x", 16},
		{"GET k", "hello WORLD\x00\x00\x00\x00x"},
		{"SETRANGE k -1 x", errReply("ERR offset is out of range")},
		{"SETRANGE k a x", errReply("ERR value is not an integer or out of range")},
		{`SETRANGE missing 0 ""`, 0},
		{"EXISTS missing", 0},
		{`SETRANGE missing 536870912 ""`, 0},
		{`SETRANGE k 2 ""`, 16},
		{`SETRANGE k 536870912 ""`, 16},
		{"SETRANGE new 3 ab", 5},
		{"GET new", "\x00\x00\x00ab"},
		{"SETRANGE k 536870911 ab", errReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)")},
		{"SETRANGE k 9223372036854775807 ab", errReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)")},
		{"SETRANGE nokey 536870911 ab", errReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)")},
		{"EXISTS nokey", 0},
		{"STRLEN k", 16},
		{`SET e ""`, "OK"},
		{"GETRANGE e 0 -1", ""},
		{"STRLEN e", 0},
		{`APPEND e ""`, 0},
		{"EXISTS e", 1},
		{`APPEND fresh ""`, 0},
		{"EXISTS fresh", 1},
		{"SET t v EX 100", "OK"},
		{"APPEND t x", 2},
		{"SETRANGE t 0 y", 2},
		{"GET t", "yx"},
		{"TTL t", intIn{95, 100}},
		{"APPEND k", errReply("ERR wrong number of arguments for 'append' command")},
		{"STRLEN", errReply("ERR wrong number of arguments for 'strlen' command")},
		{"GETRANGE k 0", errReply("ERR wrong number of arguments for 'getrange' command")},
		{"SUBSTR k 0", errReply("ERR wrong number of arguments for 'substr' command")},
		{"SETRANGE k 0", errReply("ERR wrong number of arguments for 'setrange' command")},
	}},
	{"incr-decr", []step{
		{"INCR n", 1},
		{"INCR n", 2},
		{"DECR n", 1},
		{"INCRBY n 10", 11},
		{"DECRBY n 20", -9},
		{"INCRBY n -1", -10},
		{"DECRBY n -3", -7},
		{"GET n", "-7"},
		{"DECR fresh", -1},
		{"SET n 9223372036854775806", "OK"},
		{"INCR n", 9223372036854775807},
		{"INCR n", errReply("ERR increment or decrement would overflow")},
		{"INCRBY n 1", errReply("ERR increment or decrement would overflow")},
		{"DECRBY n -1", errReply("ERR increment or decrement would overflow")},
		{"GET n", "9223372036854775807"},
		{"SET n -9223372036854775807", "OK"},
		{"DECR n", -9223372036854775808},
		{"DECR n", errReply("ERR increment or decrement would overflow")},
		{"DECRBY n 1", errReply("ERR increment or decrement would overflow")},
		{"INCRBY n -1", errReply("ERR increment or decrement would overflow")},
		{"INCRBY n 9223372036854775807", -1},
		{"DECRBY n -9223372036854775808", errReply("ERR decrement would overflow")},
		{"INCRBY n abc", errReply("ERR value is not an integer or out of range")},
		{"INCRBY n 9223372036854775808", errReply("ERR value is not an integer or out of range")},
		{"INCRBY n 1.0", errReply("ERR value is not an integer or out of range")},
		{"GET n", "-1"},
		{"SET s abc", "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{`SET s " 1"`, "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{"SET s 01", "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{"SET s +1", "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{"SET s -0", "OK"},
		{"DECR s", errReply("ERR value is not an integer or out of range")},
		{"SET s 1.5", "OK"},
		{"INCRBY s 1", errReply("ERR value is not an integer or out of range")},
		{`SET s ""`, "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{"SET s 12345678901234567890", "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{`SET s "1\x00"`, "OK"},
		{"INCR s", errReply("ERR value is not an integer or out of range")},
		{"GET s", "1\x00"},
		// Counters keep the TTL.
		{"SET t 5 EX 100", "OK"},
		{"INCR t", 6},
		{"TTL t", intIn{95, 100}},
		{"INCRBYFLOAT t 0.5", "6.5"},
		{"TTL t", intIn{95, 100}},
		// INCRBYFLOAT.
		{"INCRBYFLOAT f 10.5", "10.5"},
		{"INCRBYFLOAT f 0.1", "10.6"},
		{"INCRBYFLOAT f -5", "5.6"},
		{"INCRBYFLOAT f 5.0e3", "5005.60000000000000009"}, // x87 long double, as Redis
		{"INCRBYFLOAT f -5005.6", "0"},
		{"SET f 3", "OK"},
		{"INCRBYFLOAT f 1.5", "4.5"},
		{"INCRBYFLOAT f 1.5", "6"},
		{"GET f", "6"},
		{"INCR f", 7},
		{"INCRBYFLOAT g 0x10", "16"},
		{"INCRBYFLOAT g 1e-5", "16.00001"},
		{"INCRBYFLOAT f abc", errReply("ERR value is not a valid float")},
		{`INCRBYFLOAT f ""`, errReply("ERR value is not a valid float")},
		{`INCRBYFLOAT f " 1"`, errReply("ERR value is not a valid float")},
		{"INCRBYFLOAT f nan", errReply("ERR value is not a valid float")},
		{"INCRBYFLOAT f 1e5000", errReply("ERR value is not a valid float")},
		{"INCRBYFLOAT f inf", errReply("ERR increment would produce NaN or Infinity")},
		{"INCRBYFLOAT f -inf", errReply("ERR increment would produce NaN or Infinity")},
		{"GET f", "7"},
		{"SET s abc", "OK"},
		{"INCRBYFLOAT s 1", errReply("ERR value is not a valid float")},
		{"INCR", errReply("ERR wrong number of arguments for 'incr' command")},
		{"INCR a b", errReply("ERR wrong number of arguments for 'incr' command")},
		{"DECR", errReply("ERR wrong number of arguments for 'decr' command")},
		{"INCRBY k", errReply("ERR wrong number of arguments for 'incrby' command")},
		{"DECRBY k", errReply("ERR wrong number of arguments for 'decrby' command")},
		{"INCRBYFLOAT k", errReply("ERR wrong number of arguments for 'incrbyfloat' command")},
	}},
	{"setbit-getbit", []step{
		{"SETBIT b 7 1", 0},
		{"GET b", "\x01"},
		{"SETBIT b 7 1", 1},
		{"SETBIT b 0 1", 0},
		{"GET b", "\x81"},
		{"GETBIT b 0", 1},
		{"GETBIT b 1", 0},
		{"GETBIT b 7", 1},
		{"GETBIT b 100", 0},
		{"GETBIT missing 5", 0},
		{"SETBIT b 100 1", 0},
		{"STRLEN b", 13},
		{"GETBIT b 100", 1},
		{"SETBIT b 100 0", 1},
		{"STRLEN b", 13},
		{"SETBIT b -1 1", errReply("ERR bit offset is not an integer or out of range")},
		{"SETBIT b 4294967296 1", errReply("ERR bit offset is not an integer or out of range")},
		{"SETBIT b x 1", errReply("ERR bit offset is not an integer or out of range")},
		{"SETBIT b 1 2", errReply("ERR bit is not an integer or out of range")},
		{"SETBIT b 1 -1", errReply("ERR bit is not an integer or out of range")},
		{"SETBIT b 1 x", errReply("ERR bit is not an integer or out of range")},
		{"GETBIT b x", errReply("ERR bit offset is not an integer or out of range")},
		{"GETBIT b -1", errReply("ERR bit offset is not an integer or out of range")},
		{"GETBIT b 4294967296", errReply("ERR bit offset is not an integer or out of range")},
		{"GETBIT b 4294967295", 0},
		{"STRLEN b", 13},
		{"SET t v EX 100", "OK"},
		{"SETBIT t 0 1", 0},
		{"TTL t", intIn{95, 100}},
		{"GET t", "\xf6"},
		{"SETBIT b 1", errReply("ERR wrong number of arguments for 'setbit' command")},
		{"GETBIT b", errReply("ERR wrong number of arguments for 'getbit' command")},
	}},
	{"bitcount-bitpos", []step{
		{"SET s foobar", "OK"},
		{"BITCOUNT s", 26},
		{"BITCOUNT s 0 0", 4},
		{"BITCOUNT s 1 1", 6},
		{"BITCOUNT s 1 1 BYTE", 6},
		{"BITCOUNT s 1 1 byte", 6},
		{"BITCOUNT s 5 30 BIT", 17},
		{"BITCOUNT s 0 -1 BIT", 26},
		{"BITCOUNT s -1 -1", 4},
		{"BITCOUNT s -2 -1", 7},
		{"BITCOUNT s -100 100", 26},
		{"BITCOUNT s 2 1", 0},
		{"BITCOUNT s -1 -2", 0},
		{"BITCOUNT s 47 47 BIT", 0},
		{"BITCOUNT s 46 46 BIT", 1},
		{"BITCOUNT missing", 0},
		{"BITCOUNT missing 0 -1", 0},
		{"BITCOUNT s 0", errReply("ERR syntax error")},
		{"BITCOUNT s 0 1 FOO", errReply("ERR syntax error")},
		{"BITCOUNT s 0 1 BIT x", errReply("ERR syntax error")},
		{"BITCOUNT s a 1", errReply("ERR value is not an integer or out of range")},
		{"BITCOUNT", errReply("ERR wrong number of arguments for 'bitcount' command")},
		{`SET p "\xff\xf0\x00"`, "OK"},
		{"BITPOS p 0", 12},
		{"BITPOS p 1", 0},
		{`SET p "\x00\xff\xf0"`, "OK"},
		{"BITPOS p 1 0", 8},
		{"BITPOS p 1 2", 16},
		{"BITPOS p 1 2 -1 BYTE", 16},
		{"BITPOS p 1 7 15 BIT", 8},
		{"BITPOS p 1 17 -1 BIT", 17},
		{"BITPOS p 0 8 -1 BIT", 20},
		{"BITPOS p 0 16 19 BIT", -1},
		{"BITPOS p 0", 0},
		{"BITPOS p 1 -1", 16},
		{"BITPOS p 1 3", -1},
		{"BITPOS p 1 2 1", -1},
		{`SET q "\xff\xff\xff"`, "OK"},
		{"BITPOS q 0", 24},
		{"BITPOS q 0 0", 24},
		{"BITPOS q 0 0 -1", -1},
		{"BITPOS q 0 0 -1 BIT", -1},
		{"BITPOS q 1 -1", 16},
		{`SET z "\x00\x00\x00"`, "OK"},
		{"BITPOS z 1", -1},
		{"BITPOS z 0", 0},
		{"BITPOS missing 0", 0},
		{"BITPOS missing 1", -1},
		{"BITPOS missing 1 0 -1 BIT", -1},
		{"BITPOS p 2", errReply("ERR The bit argument must be 1 or 0.")},
		{"BITPOS p -1", errReply("ERR The bit argument must be 1 or 0.")},
		{"BITPOS p x", errReply("ERR value is not an integer or out of range")},
		{"BITPOS p 1 a", errReply("ERR value is not an integer or out of range")},
		{"BITPOS p 1 0 b", errReply("ERR value is not an integer or out of range")},
		{"BITPOS p 1 0 1 FOO", errReply("ERR syntax error")},
		{"BITPOS p 1 0 1 BIT x", errReply("ERR syntax error")},
		{"BITPOS p", errReply("ERR wrong number of arguments for 'bitpos' command")},
	}},
	{"bitop", []step{
		{`SET a "\xff\x0f"`, "OK"},
		{`SET b "\x0f"`, "OK"},
		{"BITOP AND d a b", 2},
		{"GET d", "\x0f\x00"},
		{"BITOP OR d a b", 2},
		{"GET d", "\xff\x0f"},
		{"BITOP XOR d a b", 2},
		{"GET d", "\xf0\x0f"},
		{"BITOP NOT d a", 2},
		{"GET d", "\x00\xf0"},
		{"BITOP not d b", 1},
		{"GET d", "\xf0"},
		{"BITOP and d a a", 2},
		{"GET d", "\xff\x0f"},
		{"BITOP OR d a missing", 2},
		{"GET d", "\xff\x0f"},
		{"BITOP AND d a missing", 2},
		{"GET d", "\x00\x00"},
		{"BITOP XOR d a b a", 2},
		{"GET d", "\x0f\x00"},
		{"BITOP AND d missing other", 0},
		{"EXISTS d", 0},
		{"SET t v EX 100", "OK"},
		{"BITOP OR t a", 2},
		{"TTL t", -1},
		{"BITOP OR a a b", 2},
		{"GET a", "\xff\x0f"},
		{"BITOP NOT d a b", errReply("ERR BITOP NOT must be called with a single source key.")},
		{"BITOP FOO d a", errReply("ERR syntax error")},
		{"BITOP AND d", errReply("ERR wrong number of arguments for 'bitop' command")},
	}},
}

// TestStringCommands runs the string step tables on every engine and mode.
func TestStringCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		runGroups(t, c, stringGroups)
	})
}

// TestStringStepsMatchRedis replays every step table (strings and keys)
// against a real redis-server named by KIWI_COMPARE_REDIS, to check the
// expectations themselves. Skipped when the variable is unset.
func TestStringStepsMatchRedis(t *testing.T) {
	addr := os.Getenv("KIWI_COMPARE_REDIS")
	if addr == "" {
		t.Skip("set KIWI_COMPARE_REDIS=127.0.0.1:<port> of a disposable redis-server 7.0 to run")
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	runGroups(t, c, append(append([]stepGroup(nil), stringGroups...), keyGroups...))
}

// ---- binary safety ----

func TestStringBinarySafe(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		key, val := "k\x00\r\nkey", "\x00\x01\r\n\xff end\r\n"
		if err := c.Set(ctx, key, val, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, key).Result(); err != nil || v != val {
			t.Fatalf("GET binary key = %q, %v", v, err)
		}
		if n := c.StrLen(ctx, key).Val(); n != int64(len(val)) {
			t.Errorf("STRLEN = %d, want %d", n, len(val))
		}
		if n := c.Append(ctx, key, "\x00\r\n").Val(); n != int64(len(val)+3) {
			t.Errorf("APPEND = %d", n)
		}
		if v := c.GetRange(ctx, key, 1, 3).Val(); v != "\x01\r\n" {
			t.Errorf("GETRANGE = %q", v)
		}
		if err := c.Set(ctx, "all", string(all), 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := c.Get(ctx, "all").Val(); v != string(all) {
			t.Errorf("every byte value round trip = %q", v)
		}
		if err := c.Set(ctx, "", "empty key", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := c.Get(ctx, "").Val(); v != "empty key" {
			t.Errorf("GET \"\" = %q", v)
		}
		if keys := c.Keys(ctx, "*").Val(); !sameSet(keys, []string{key, "all", ""}) {
			t.Errorf("KEYS * = %q", keys)
		}
		if keys := c.Keys(ctx, "k\x00*").Val(); !sameSet(keys, []string{key}) {
			t.Errorf("KEYS k\\x00* = %q", keys)
		}
		if err := c.Rename(ctx, key, "n\x00\n").Err(); err != nil {
			t.Fatal(err)
		}
		if v := c.Get(ctx, "n\x00\n").Val(); v != val+"\x00\r\n" {
			t.Errorf("GET after RENAME = %q", v)
		}
		if v := c.MGet(ctx, "n\x00\n", key, "").Val(); len(v) != 3 || v[0] != val+"\x00\r\n" || v[1] != nil || v[2] != "empty key" {
			t.Errorf("MGET = %q", v)
		}

		// Byte-exact replies over a raw connection. v is 6 bytes that look
		// like protocol: CR LF NUL CR LF CR.
		const v = "\r\n\x00\r\n\r"
		r := dialRaw(t, p.Addr)
		_ = r.nc.SetDeadline(time.Now().Add(10 * time.Second))
		cases := []struct{ in, want string }{
			{"*3\r\n$3\r\nSET\r\n$3\r\na\x00b\r\n$6\r\n" + v + "\r\n", "+OK\r\n"},
			{"*2\r\n$3\r\nGET\r\n$3\r\na\x00b\r\n", "$6\r\n" + v + "\r\n"},
			{"*3\r\n$4\r\nMGET\r\n$3\r\na\x00b\r\n$1\r\nz\r\n", "*2\r\n$6\r\n" + v + "\r\n$-1\r\n"},
			{"*2\r\n$4\r\nKEYS\r\n$2\r\na\x00\r\n", "*0\r\n"},
			{"*2\r\n$4\r\nKEYS\r\n$3\r\na\x00*\r\n", "*1\r\n$3\r\na\x00b\r\n"},
			{"*4\r\n$8\r\nGETRANGE\r\n$3\r\na\x00b\r\n$1\r\n2\r\n$1\r\n3\r\n", "$2\r\n\x00\r\r\n"},
			{"*2\r\n$6\r\nSTRLEN\r\n$3\r\na\x00b\r\n", ":6\r\n"},
			{"*2\r\n$4\r\nINCR\r\n$3\r\na\x00b\r\n", "-ERR value is not an integer or out of range\r\n"},
			{"*1\r\n$4\r\nincr\r\n", "-ERR wrong number of arguments for 'incr' command\r\n"},
			{"*4\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n$2\r\nNX\r\n", "+OK\r\n"},
			{"*4\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n$2\r\nNX\r\n", "$-1\r\n"},
			{"*3\r\n$6\r\nAPPEND\r\n$1\r\nx\r\n$0\r\n\r\n", ":1\r\n"},
			{"*2\r\n$3\r\nTTL\r\n$7\r\nmissing\r\n", ":-2\r\n"},
			{"*2\r\n$4\r\nTYPE\r\n$1\r\nx\r\n", "+string\r\n"},
			{"*2\r\n$4\r\nTYPE\r\n$7\r\nmissing\r\n", "+none\r\n"},
			{"*3\r\n$11\r\nINCRBYFLOAT\r\n$1\r\nf\r\n$3\r\n1.5\r\n", "$3\r\n1.5\r\n"},
			{"*4\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n$3\r\nBAD\r\n", "-ERR syntax error\r\n"},
			{"*2\r\n$6\r\nGETDEL\r\n$3\r\na\x00b\r\n", "$6\r\n" + v + "\r\n"},
			{"*2\r\n$6\r\nEXISTS\r\n$3\r\na\x00b\r\n", ":0\r\n"},
		}
		for _, tc := range cases {
			r.send(tc.in)
			if got := r.readReply(); got != tc.want {
				t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
			}
		}
	})
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// ---- large values ----

// pattern returns n non-trivial bytes (zeros included) starting at seed.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*7 + seed) % 251)
	}
	return b
}

func TestStringLargeValues(t *testing.T) {
	const mib = 1 << 20
	big1 := pattern(mib, 1)
	big5 := pattern(5*mib, 3)
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		mustOK := func(cmd *redis.StatusCmd) {
			t.Helper()
			if err := cmd.Err(); err != nil {
				t.Fatalf("%v: %v", cmd.Args()[:2], err)
			}
		}
		getRange := func(key string, start, end int64) string {
			t.Helper()
			v, err := c.GetRange(ctx, key, start, end).Result()
			if err != nil {
				t.Fatalf("GETRANGE %s %d %d: %v", key, start, end, err)
			}
			return v
		}
		wantLen := func(key string, n int64) {
			t.Helper()
			if got, err := c.StrLen(ctx, key).Result(); err != nil || got != n {
				t.Fatalf("STRLEN %s = %d, %v; want %d", key, got, err, n)
			}
		}
		mustOK(c.Set(ctx, "L1", big1, 0))
		mustOK(c.Set(ctx, "L5", big5, 0))
		if v := c.Get(ctx, "L1").Val(); v != string(big1) {
			t.Fatalf("GET of 1 MiB value differs (len %d)", len(v))
		}
		if v := c.Get(ctx, "L5").Val(); v != string(big5) {
			t.Fatalf("GET of 5 MiB value differs (len %d)", len(v))
		}
		wantLen("L1", mib)
		wantLen("L5", 5*mib)

		// GETRANGE across 4 KiB chunk boundaries and at the ends.
		for _, r := range [][2]int64{{0, 10}, {4090, 4105}, {4095, 4096}, {8191, 8192}, {mib - 10, mib + 10},
			{3*mib - 5000, 3*mib + 5000}, {5*mib - 7, 5*mib - 1}, {5*mib - 7, 10 * mib}} {
			end := min(r[1]+1, int64(len(big5)))
			if got := getRange("L5", r[0], r[1]); got != string(big5[r[0]:end]) {
				t.Errorf("GETRANGE L5 %d %d differs (len %d)", r[0], r[1], len(got))
			}
		}
		if got := getRange("L5", -5000, -1); got != string(big5[len(big5)-5000:]) {
			t.Errorf("GETRANGE L5 -5000 -1 differs")
		}
		if got := getRange("L5", 0, -1); got != string(big5) {
			t.Errorf("GETRANGE L5 0 -1 differs")
		}

		// APPEND across chunk boundaries.
		tail := pattern(10000, 5)
		if n := c.Append(ctx, "L1", string(tail)).Val(); n != mib+10000 {
			t.Fatalf("APPEND L1 = %d", n)
		}
		want1 := append(append([]byte(nil), big1...), tail...)
		if got := getRange("L1", mib-3, mib+5000); got != string(want1[mib-3:mib+5001]) {
			t.Errorf("GETRANGE over the old end after APPEND differs")
		}
		if v := c.Get(ctx, "L1").Val(); v != string(want1) {
			t.Errorf("GET after APPEND differs (len %d)", len(v))
		}

		// SETRANGE across a chunk boundary, then growing with a gap.
		if n := c.SetRange(ctx, "L5", 4094, "ABCDEFGH").Val(); n != 5*mib {
			t.Fatalf("SETRANGE L5 4094 = %d", n)
		}
		want5 := append([]byte(nil), big5...)
		copy(want5[4094:], "ABCDEFGH")
		if got := getRange("L5", 4090, 4105); got != string(want5[4090:4106]) {
			t.Errorf("GETRANGE after SETRANGE = %q, want %q", got, want5[4090:4106])
		}
		if n := c.SetRange(ctx, "L5", 5*mib+100, "tail").Val(); n != 5*mib+104 {
			t.Fatalf("SETRANGE past the end = %d", n)
		}
		want5 = append(want5, make([]byte, 100)...)
		want5 = append(want5, "tail"...)
		if got := getRange("L5", 5*mib-2, -1); got != string(want5[5*mib-2:]) {
			t.Errorf("GETRANGE of the grown end = %q", got)
		}
		if v := c.Get(ctx, "L5").Val(); v != string(want5) {
			t.Errorf("GET after SETRANGE differs (len %d)", len(v))
		}

		// SETBIT at high offsets grows the string.
		off := int64(8*3*mib + 3)
		if old := c.SetBit(ctx, "L1", off, 1).Val(); old != 0 {
			t.Errorf("SETBIT L1 %d = %d", off, old)
		}
		wantLen("L1", 3*mib+1)
		if b := c.GetBit(ctx, "L1", off).Val(); b != 1 {
			t.Errorf("GETBIT L1 %d = %d", off, b)
		}
		if n := c.BitCount(ctx, "L1", &redis.BitCount{Start: mib + 10000, End: -1}).Val(); n != 1 {
			t.Errorf("BITCOUNT of the zero gap and the set bit = %d", n)
		}
		if pos := c.BitPos(ctx, "L1", 1, mib+10000).Val(); pos != off {
			t.Errorf("BITPOS L1 1 from the gap = %d, want %d", pos, off)
		}
		if got := getRange("L1", mib+9998, mib+10001); got != string(tail[9998:])+"\x00\x00" {
			t.Errorf("end of APPENDed data then zeros = %q", got)
		}

		// A sparse string of 500 MB: stored as one chunk, read by range.
		if old := c.SetBit(ctx, "sparse", 4_000_000_000, 1).Val(); old != 0 {
			t.Errorf("SETBIT sparse = %d", old)
		}
		wantLen("sparse", 500_000_001)
		if b := c.GetBit(ctx, "sparse", 4_000_000_000).Val(); b != 1 {
			t.Errorf("GETBIT sparse = %d", b)
		}
		if n := c.BitCount(ctx, "sparse", &redis.BitCount{Start: -1, End: -1}).Val(); n != 1 {
			t.Errorf("BITCOUNT sparse -1 -1 = %d", n)
		}
		if pos := c.BitPos(ctx, "sparse", 1, -3).Val(); pos != 4_000_000_000 {
			t.Errorf("BITPOS sparse 1 -3 = %d", pos)
		}
		if got := getRange("sparse", 499_999_998, -1); got != "\x00\x00\x80" {
			t.Errorf("GETRANGE of the sparse end = %q", got)
		}
		if got := getRange("sparse", 0, 9); got != strings.Repeat("\x00", 10) {
			t.Errorf("GETRANGE of the sparse start = %q", got)
		}
		// The largest string allowed (proto-max-bulk-len 512 MB), then one
		// byte more is refused.
		if old := c.SetBit(ctx, "max", 8*512*mib-1, 1).Val(); old != 0 {
			t.Errorf("SETBIT at the last allowed bit = %d", old)
		}
		wantLen("max", 512*mib)
		if err := c.Append(ctx, "max", "x").Err(); err == nil || err.Error() != "ERR string exceeds maximum allowed size (proto-max-bulk-len)" {
			t.Errorf("APPEND past proto-max-bulk-len: %v", err)
		}
		if err := c.SetRange(ctx, "max", 512*mib-1, "xy").Err(); err == nil || err.Error() != "ERR string exceeds maximum allowed size (proto-max-bulk-len)" {
			t.Errorf("SETRANGE past proto-max-bulk-len: %v", err)
		}
		wantLen("max", 512*mib)

		// A bit cleared so that a whole chunk becomes zero reads as zeros.
		z := make([]byte, 10000)
		z[5000] = 0x80
		mustOK(c.Set(ctx, "Z", z, 0))
		if old := c.SetBit(ctx, "Z", 40000, 0).Val(); old != 1 {
			t.Errorf("SETBIT Z 40000 0 = %d", old)
		}
		if v := c.Get(ctx, "Z").Val(); v != string(make([]byte, 10000)) {
			t.Errorf("GET after clearing the only set bit is not all zeros")
		}
		if n := c.BitCount(ctx, "Z", nil).Val(); n != 0 {
			t.Errorf("BITCOUNT Z = %d", n)
		}
		if pos := c.BitPos(ctx, "Z", 1).Val(); pos != -1 {
			t.Errorf("BITPOS Z 1 = %d", pos)
		}

		// RENAME of a large value keeps its bytes and TTL.
		mustOK(c.Set(ctx, "R", big1, time.Hour))
		mustOK(c.Rename(ctx, "R", "R2"))
		if v := c.Get(ctx, "R2").Val(); v != string(big1) {
			t.Errorf("GET after RENAME of a large value differs (len %d)", len(v))
		}
		if ttl := c.TTL(ctx, "R2").Val(); ttl < 59*time.Minute || ttl > time.Hour {
			t.Errorf("TTL after RENAME = %v", ttl)
		}
		if n := c.Exists(ctx, "R").Val(); n != 0 {
			t.Errorf("old name of a renamed large value exists")
		}

		// DEL of large values is fast, and they are really gone.
		start := time.Now()
		if n := c.Del(ctx, "L5", "L1", "sparse").Val(); n != 3 {
			t.Fatalf("DEL = %d", n)
		}
		if n := c.Unlink(ctx, "max", "R2").Val(); n != 2 {
			t.Fatalf("UNLINK = %d", n)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("DEL/UNLINK of large values took %v", el)
		}
		for _, k := range []string{"L5", "L1", "sparse", "max", "R2"} {
			if err := c.Get(ctx, k).Err(); err != redis.Nil {
				t.Errorf("GET %s after DEL: %v", k, err)
			}
			wantLen(k, 0)
		}
		if n := c.DBSize(ctx).Val(); n != 1 {
			t.Errorf("DBSIZE after DEL = %d, want 1 (Z)", n)
		}
		// New values under the same names see none of the old bytes.
		if n := c.SetRange(ctx, "L5", mib, "x").Val(); n != mib+1 {
			t.Fatalf("SETRANGE on a deleted large key = %d", n)
		}
		if v := c.Get(ctx, "L5").Val(); v != string(make([]byte, mib))+"x" {
			t.Errorf("old data visible through a new value at the same key")
		}
		if old := c.SetBit(ctx, "sparse", 8, 1).Val(); old != 0 {
			t.Errorf("SETBIT on a deleted sparse key = %d", old)
		}
		if v := c.Get(ctx, "sparse").Val(); v != "\x00\x80" {
			t.Errorf("GET of a new small value at a deleted sparse key = %q", v)
		}
		// Overwriting a large value with a smaller one, then growing it.
		mustOK(c.Set(ctx, "L1", big1, 0))
		mustOK(c.Set(ctx, "L1", "small", 0))
		if n := c.SetRange(ctx, "L1", 20000, "end").Val(); n != 20003 {
			t.Fatalf("SETRANGE after overwrite = %d", n)
		}
		if v := c.Get(ctx, "L1").Val(); v != "small"+string(make([]byte, 20000-5))+"end" {
			t.Errorf("old large value visible after overwrite and growth")
		}
	})
}

// ---- pipelines ----

func TestStringPipeline(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const n = 300
		pipe := c.Pipeline()
		type check func() error
		var checks []check
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("pk:%d", i)
			set := pipe.Set(ctx, k, i, 0)
			incr := pipe.Incr(ctx, "ctr")
			get := pipe.Get(ctx, k)
			bad := pipe.Incr(ctx, "notnum") // set below; fails every time
			app := pipe.Append(ctx, k, "x")
			var ping *redis.StatusCmd
			if i%50 == 0 {
				ping = pipe.Ping(ctx) // a network command splits the run
			}
			ex := pipe.Expire(ctx, k, time.Hour)
			ttl := pipe.TTL(ctx, k)
			del := pipe.Del(ctx, k, "never")
			exists := pipe.Exists(ctx, k)
			want := int64(i + 1)
			checks = append(checks, func() error {
				if err := set.Err(); err != nil {
					return fmt.Errorf("SET: %v", err)
				}
				if v, err := incr.Result(); err != nil || v != want {
					return fmt.Errorf("INCR ctr = %d, %v; want %d", v, err, want)
				}
				if v, err := get.Result(); err != nil || v != strconv.Itoa(i) {
					return fmt.Errorf("GET = %q, %v", v, err)
				}
				if err := bad.Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
					return fmt.Errorf("INCR notnum: %v", err)
				}
				if v := app.Val(); v != int64(len(strconv.Itoa(i))+1) {
					return fmt.Errorf("APPEND = %d", v)
				}
				if ping != nil && ping.Val() != "PONG" {
					return fmt.Errorf("PING = %q, %v", ping.Val(), ping.Err())
				}
				if !ex.Val() {
					return fmt.Errorf("EXPIRE = false, %v", ex.Err())
				}
				if v := ttl.Val(); v < 59*time.Minute || v > time.Hour {
					return fmt.Errorf("TTL = %v, %v", v, ttl.Err())
				}
				if v := del.Val(); v != 1 {
					return fmt.Errorf("DEL = %d, %v", v, del.Err())
				}
				if v := exists.Val(); v != 0 {
					return fmt.Errorf("EXISTS = %d, %v", v, exists.Err())
				}
				return nil
			})
		}
		if err := c.Set(ctx, "notnum", "abc", 0).Err(); err != nil {
			t.Fatal(err)
		}
		cmds, err := pipe.Exec(ctx)
		if err == nil {
			t.Fatalf("pipeline with failing commands returned no error")
		}
		if len(cmds) != n*9+n/50 {
			t.Fatalf("pipeline returned %d replies", len(cmds))
		}
		for i, chk := range checks {
			if err := chk(); err != nil {
				t.Fatalf("pipeline iteration %d: %v", i, err)
			}
		}
		if v := c.Get(ctx, "ctr").Val(); v != strconv.Itoa(n) {
			t.Errorf("ctr after pipeline = %q", v)
		}
		if v := c.DBSize(ctx).Val(); v != 2 {
			t.Errorf("DBSIZE after pipeline = %d, want 2", v)
		}

		// A pipeline longer than runtime.max-pipeline (1024) of writes and
		// reads: every reply in order.
		pipe = c.Pipeline()
		var sets []*redis.StatusCmd
		var gets []*redis.StringCmd
		for i := 0; i < 1500; i++ {
			sets = append(sets, pipe.Set(ctx, fmt.Sprintf("q:%d", i), strings.Repeat("v", i%7)+strconv.Itoa(i), 0))
			gets = append(gets, pipe.Get(ctx, fmt.Sprintf("q:%d", i)))
		}
		mget := pipe.MGet(ctx, "q:0", "q:1499", "q:none")
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("long pipeline: %v", err)
		}
		for i := range gets {
			want := strings.Repeat("v", i%7) + strconv.Itoa(i)
			if sets[i].Err() != nil || gets[i].Val() != want {
				t.Fatalf("long pipeline reply %d: SET %v, GET %q want %q", i, sets[i].Err(), gets[i].Val(), want)
			}
		}
		if v := mget.Val(); len(v) != 3 || v[0] != "0" || v[1] != strings.Repeat("v", 1499%7)+"1499" || v[2] != nil {
			t.Errorf("MGET at the end of the pipeline = %q", v)
		}
	})
}

// ---- concurrency ----

// TestStringConcurrentIncr: 20 clients × 200 INCRs on one key end at
// exactly 4000, and INCRBY/DECRBY from other clients on another key
// balance out.
func TestStringConcurrentIncr(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const workers, per = 20, 200
		c = p.Client(t, func(o *redis.Options) { o.PoolSize = workers })
		var wg sync.WaitGroup
		var failed atomic.Int64
		var maxSeen atomic.Int64
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < per; i++ {
					v, err := c.Incr(ctx, "hits").Result()
					if err != nil {
						failed.Add(1)
						continue
					}
					for {
						m := maxSeen.Load()
						if v <= m || maxSeen.CompareAndSwap(m, v) {
							break
						}
					}
					// Every fourth worker also moves a balance up and down.
					if w%4 == 0 {
						if err := c.IncrBy(ctx, "bal", 7).Err(); err != nil {
							failed.Add(1)
						}
						if err := c.DecrBy(ctx, "bal", 7).Err(); err != nil {
							failed.Add(1)
						}
					}
				}
			}(w)
		}
		wg.Wait()
		if f := failed.Load(); f != 0 {
			t.Fatalf("%d commands failed", f)
		}
		if v := c.Get(ctx, "hits").Val(); v != strconv.Itoa(workers*per) {
			t.Fatalf("hits = %s, want %d", v, workers*per)
		}
		if m := maxSeen.Load(); m != workers*per {
			t.Errorf("largest INCR reply = %d, want %d", m, workers*per)
		}
		if v := c.Get(ctx, "bal").Val(); v != "0" {
			t.Errorf("bal = %s, want 0", v)
		}
	})
}

// TestStringConcurrentMSetMGet: MSET is atomic for concurrent MGETs (all
// keys of one MSET are seen together), and MSETNX lets exactly one of
// several racing clients win.
func TestStringConcurrentMSetMGet(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		c = p.Client(t, func(o *redis.Options) { o.PoolSize = 16 })
		keys := make([]string, 8)
		for i := range keys {
			keys[i] = fmt.Sprintf("m:%d", i)
		}
		mset := func(v string) error {
			args := make([]any, 0, 2*len(keys))
			for _, k := range keys {
				args = append(args, k, v)
			}
			return c.MSet(ctx, args...).Err()
		}
		if err := mset("init"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					if err := mset(fmt.Sprintf("w%d-%d", w, i)); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					vals, err := c.MGet(ctx, keys...).Result()
					if err != nil {
						errs <- err
						return
					}
					for _, v := range vals[1:] {
						if v != vals[0] {
							errs <- fmt.Errorf("MGET saw a torn MSET: %q", vals)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		// A write acknowledged to one client is seen by the next read of
		// another client.
		other := p.Client(t)
		for i := 0; i < 100; i++ {
			if err := c.Set(ctx, "seq", i, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v := other.Get(ctx, "seq").Val(); v != strconv.Itoa(i) {
				t.Fatalf("GET from another client after SET %d = %q", i, v)
			}
		}
		if err := c.Del(ctx, "seq").Err(); err != nil {
			t.Fatal(err)
		}

		// Racing MSETNX on overlapping keys: exactly one wins per round.
		for round := 0; round < 10; round++ {
			var wins atomic.Int64
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					ok, err := c.MSetNX(ctx, fmt.Sprintf("nx:%d:a", round), w, fmt.Sprintf("nx:%d:%d", round, w), w).Result()
					if err != nil {
						t.Errorf("MSETNX: %v", err)
					}
					if ok {
						wins.Add(1)
					}
				}(w)
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Errorf("round %d: %d MSETNX winners, want 1", round, n)
			}
		}
		if n := c.DBSize(ctx).Val(); n != int64(len(keys)+20) {
			t.Errorf("DBSIZE = %d, want %d", n, len(keys)+20)
		}
	})
}

// TestStringErrorRepliesCounted: INFO stats total_error_replies counts
// every error reply, as Redis does, including those of storage commands.
func TestStringErrorRepliesCounted(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		count := func() int64 {
			t.Helper()
			info := c.Info(ctx, "stats").Val()
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "total_error_replies:"); ok {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						t.Fatalf("total_error_replies %q", v)
					}
					return n
				}
			}
			t.Fatalf("INFO stats lacks total_error_replies:\n%s", info)
			return 0
		}
		if err := c.Set(ctx, "s", "abc", 0).Err(); err != nil {
			t.Fatal(err)
		}
		before := count()
		errs := [][]any{
			{"INCR", "s"},                // storage command error
			{"SET", "k", "v", "EX", "0"}, // storage command error
			{"RENAME", "nokey", "x"},     // storage command error
			{"GET"},                      // arity, answered by the network runtime
		}
		for _, args := range errs {
			if err := c.Do(ctx, args...).Err(); err == nil || err == redis.Nil {
				t.Fatalf("%v did not fail", args)
			}
		}
		if n := count() - before; n != int64(len(errs)) {
			t.Errorf("total_error_replies grew by %d after %d error replies", n, len(errs))
		}
	})
}

// ---- helpers shared with keys_test.go ----

// waitFor polls cond every few milliseconds until it holds or timeout
// passes; it reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// keyspaceInfo parses INFO keyspace into db → [keys, expires].
func keyspaceInfo(t testing.TB, ctx context.Context, c *redis.Client) map[int][2]int64 {
	t.Helper()
	info, err := c.Info(ctx, "keyspace").Result()
	if err != nil {
		t.Fatalf("INFO keyspace: %v", err)
	}
	out := map[int][2]int64{}
	for _, line := range strings.Split(info, "\r\n") {
		if !strings.HasPrefix(line, "db") {
			continue
		}
		var db int
		var keys, expires, avg int64
		if _, err := fmt.Sscanf(line, "db%d:keys=%d,expires=%d,avg_ttl=%d", &db, &keys, &expires, &avg); err != nil {
			t.Fatalf("INFO keyspace line %q: %v", line, err)
		}
		out[db] = [2]int64{keys, expires}
	}
	return out
}
