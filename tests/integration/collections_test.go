package integration

// Integration tests of the collection types (hashes, lists, sets, sorted
// sets) shared by hash_test.go, list_test.go, set_test.go and zset_test.go:
// the reply matchers for unordered and random replies, the step runner, the
// comparison with a real redis-server, and the tests that span the four
// families (expiry, large collections, durability, concurrency).
//
// The step tables hold Redis 7.0's exact replies (or, for replies whose
// order or content Redis leaves open, their shape). TestCollectionStepsMatchRedis
// replays them against a real redis-server when KIWI_COMPARE_REDIS names
// one, e.g.
//
//	redis-server --port 16475 --save '' --appendonly no --daemonize yes
//	KIWI_COMPARE_REDIS=127.0.0.1:16475 go test -run TestCollectionStepsMatchRedis ./tests/integration/
//	redis-cli -p 16475 shutdown nosave

import (
	"context"
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

// ---- reply matchers for collections ----

// fieldPairs is an expected flat array of field/value (member/score) pairs
// in any pair order (HGETALL, HSCAN, ZSCAN, whose order Redis leaves open).
type fieldPairs []string

// pickOf is an expected bulk string that is one of the listed ones (a
// random element).
type pickOf []string

// picksOf is an expected array of n bulk strings each drawn from `from`,
// all different when distinct is set (HRANDFIELD, SRANDMEMBER, SPOP,
// ZRANDMEMBER with a count).
type picksOf struct {
	n        int
	from     []string
	distinct bool
}

// pairPicksOf is an expected flat array of n pairs (k, v) with from[k] ==
// v, the keys all different when distinct is set (HRANDFIELD WITHVALUES,
// ZRANDMEMBER WITHSCORES).
type pairPicksOf struct {
	n        int
	from     map[string]string
	distinct bool
}

// bulkStrings converts a reply to a slice of strings, if it is an array of
// bulk strings.
func bulkStrings(got any) ([]string, bool) {
	arr, ok := got.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(arr))
	for i, a := range arr {
		if out[i], ok = a.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// collMatches extends replyMatches (strings_test.go) with the matchers
// above, at the top level and inside arrays.
func collMatches(got any, err error, want any) bool {
	switch want.(type) {
	case fieldPairs, pickOf, picksOf, pairPicksOf, []any:
		if err != nil {
			return false
		}
	default:
		return replyMatches(got, err, want)
	}
	switch w := want.(type) {
	case fieldPairs:
		gs, ok := bulkStrings(got)
		if !ok || len(gs) != len(w) || len(gs)%2 != 0 {
			return false
		}
		join := func(s []string) []string {
			var p []string
			for i := 0; i+1 < len(s); i += 2 {
				p = append(p, strconv.Quote(s[i])+"="+strconv.Quote(s[i+1]))
			}
			sort.Strings(p)
			return p
		}
		return strings.Join(join(gs), ",") == strings.Join(join(w), ",")
	case pickOf:
		g, ok := got.(string)
		if !ok {
			return false
		}
		for _, s := range w {
			if g == s {
				return true
			}
		}
		return false
	case picksOf:
		gs, ok := bulkStrings(got)
		if !ok || len(gs) != w.n {
			return false
		}
		seen := map[string]bool{}
		for _, g := range gs {
			if !contains(w.from, g) || (w.distinct && seen[g]) {
				return false
			}
			seen[g] = true
		}
		return true
	case pairPicksOf:
		gs, ok := bulkStrings(got)
		if !ok || len(gs) != 2*w.n {
			return false
		}
		seen := map[string]bool{}
		for i := 0; i < len(gs); i += 2 {
			v, ok := w.from[gs[i]]
			if !ok || v != gs[i+1] || (w.distinct && seen[gs[i]]) {
				return false
			}
			seen[gs[i]] = true
		}
		return true
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
			if !collMatches(arr[i], nil, w[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// runCollSteps flushes the server and runs the steps in order on one
// client.
func runCollSteps(t *testing.T, c *redis.Client, steps []step) {
	t.Helper()
	ctx := ctxT(t)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	for i, st := range steps {
		args := splitCmd(t, st.cmd)
		got, err := c.Do(ctx, args...).Result()
		if !collMatches(got, err, st.want) {
			t.Errorf("step %d: %s → %s, want %#v", i, st.cmd, describeReply(got, err), st.want)
		}
	}
}

// runCollGroups runs each group as a subtest.
func runCollGroups(t *testing.T, c *redis.Client, groups []stepGroup) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runCollSteps(t, c, g.steps) })
	}
}

// collectionGroups are every step table of the four families, and SORT's.
func collectionGroups() []stepGroup {
	var all []stepGroup
	for _, gs := range [][]stepGroup{hashGroups, listGroups, setGroups, zsetGroups, sortGroups, collectionCommonGroups} {
		all = append(all, gs...)
	}
	return all
}

// TestCollectionStepsMatchRedis replays the collection step tables against
// a real redis-server named by KIWI_COMPARE_REDIS, to check the
// expectations themselves. Skipped when the variable is unset.
func TestCollectionStepsMatchRedis(t *testing.T) {
	addr := os.Getenv("KIWI_COMPARE_REDIS")
	if addr == "" {
		t.Skip("set KIWI_COMPARE_REDIS=127.0.0.1:<port> of a disposable redis-server 7.0 to run")
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	runCollGroups(t, c, collectionGroups())
}

// collectionCommonGroups check what the four families share: WRONGTYPE
// across types, TYPE, overwrite by SET, and the TTL of a collection kept
// by element writes and dropped with its last element.
var collectionCommonGroups = []stepGroup{
	{"types-and-overwrite", []step{
		{"HSET h f v", 1},
		{"RPUSH l a", 1},
		{"SADD s m", 1},
		{"ZADD z 1 m", 1},
		{"SET str v", "OK"},
		{"TYPE h", "hash"},
		{"TYPE l", "list"},
		{"TYPE s", "set"},
		{"TYPE z", "zset"},
		{"TYPE str", "string"},
		{"GET h", errReply(collWrongType)},
		{"APPEND l x", errReply(collWrongType)},
		{"INCR s", errReply(collWrongType)},
		{"STRLEN z", errReply(collWrongType)},
		{"HSET l f v", errReply(collWrongType)},
		{"LPUSH s x", errReply(collWrongType)},
		{"SADD z x", errReply(collWrongType)},
		{"ZADD h 1 x", errReply(collWrongType)},
		{"HGET z f", errReply(collWrongType)},
		{"LLEN h", errReply(collWrongType)},
		{"SCARD l", errReply(collWrongType)},
		{"ZCARD s", errReply(collWrongType)},
		// SET replaces a collection of any type (and its TTL).
		{"EXPIRE h 100", 1},
		{"SET h v", "OK"},
		{"TYPE h", "string"},
		{"TTL h", -1},
		{"SET l v", "OK"},
		{"SET s v", "OK"},
		{"SET z v", "OK"},
		{"MGET h l s z", []any{"v", "v", "v", "v"}},
		{"DBSIZE", 5},
		// RENAME moves a collection with its TTL.
		{"ZADD z2 1 a 2 b", 2},
		{"EXPIRE z2 100", 1},
		{"RENAME z2 z3", "OK"},
		{"ZRANGE z3 0 -1 WITHSCORES", []any{"a", "1", "b", "2"}},
		{"TTL z3", intIn{95, 100}},
		{"RENAME z3 str", "OK"},
		{"TYPE str", "zset"},
		{"DEL h l s z str", 5},
		{"DBSIZE", 0},
	}},
	{"ttl-kept-by-element-writes", []step{
		{"HSET h a 1", 1},
		{"RPUSH l a b c", 3},
		{"SADD s a b", 2},
		{"ZADD z 1 a 2 b", 2},
		{"EXPIRE h 100", 1},
		{"EXPIRE l 100", 1},
		{"EXPIRE s 100", 1},
		{"EXPIRE z 100", 1},
		{"HSET h b 2", 1},
		{"HDEL h a", 1},
		{"HINCRBY h b 1", 3},
		{"RPUSH l d", 4},
		{"LPOP l", "a"},
		{"LSET l 0 x", "OK"},
		{"SADD s c", 1},
		{"SREM s a", 1},
		{"ZADD z 5 c", 1},
		{"ZINCRBY z 1 a", "2"},
		{"ZREM z b", 1},
		{"TTL h", intIn{95, 100}},
		{"TTL l", intIn{95, 100}},
		{"TTL s", intIn{95, 100}},
		{"TTL z", intIn{95, 100}},
		// Removing the last element removes the key and its TTL: the next
		// write starts a fresh collection without one.
		{"HDEL h b", 1},
		{"LTRIM l 1 0", "OK"},
		{"SPOP s 10", unordered{"b", "c"}},
		{"ZREMRANGEBYRANK z 0 -1", 2},
		{"DBSIZE", 0},
		{"TTL h", -2},
		{"HSET h a 1", 1},
		{"RPUSH l a", 1},
		{"SADD s a", 1},
		{"ZADD z 1 a", 1},
		{"TTL h", -1},
		{"TTL l", -1},
		{"TTL s", -1},
		{"TTL z", -1},
	}},
}

// collWrongType is Redis's WRONGTYPE error text.
const collWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

// wrongTypeSteps returns, for each command line (with the key "str"), a
// step expecting WRONGTYPE.
func wrongTypeSteps(lines ...string) []step {
	steps := []step{{"SET str v", "OK"}}
	for _, l := range lines {
		steps = append(steps, step{l, errReply(collWrongType)})
	}
	return append(steps, step{"GET str", "v"})
}

// TestCollectionCommon runs the cross-family step tables on every engine
// and mode.
func TestCollectionCommon(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		runCollGroups(t, c, collectionCommonGroups)
	})
}

// ---- expiry ----

// TestCollectionExpiredIsFresh: with active expiry practically off, an
// expired collection of each type is invisible to reads, and a write that
// meets it starts a fresh collection (no old elements, no TTL), of the
// same or of another type; with active expiry on, expired collections are
// removed.
func TestCollectionExpiredIsFresh(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		setExpireInterval(t, c, "1h")
		must := func(cmds ...redis.Cmder) {
			t.Helper()
			for _, cmd := range cmds {
				if err := cmd.Err(); err != nil {
					t.Fatalf("%v: %v", cmd.Args(), err)
				}
			}
		}
		fill := func() {
			t.Helper()
			must(
				c.FlushAll(ctx),
				c.HSet(ctx, "h", "a", "1", "b", "2"),
				c.RPush(ctx, "l", "a", "b", "c"),
				c.SAdd(ctx, "s", "a", "b"),
				c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}),
			)
			for _, k := range []string{"h", "l", "s", "z"} {
				must(c.PExpire(ctx, k, 50*time.Millisecond))
			}
			if !waitFor(5*time.Second, func() bool {
				return c.Exists(ctx, "h", "l", "s", "z").Val() == 0
			}) {
				t.Fatalf("collections still alive 5s after PEXPIRE 50")
			}
		}
		fill()
		// Expired but not removed: DBSIZE counts them, as Redis's does.
		if n := c.DBSize(ctx).Val(); n != 4 {
			t.Fatalf("DBSIZE with 4 expired, unremoved keys = %d", n)
		}
		reads := []struct {
			cmd  []any
			want any
		}{
			{[]any{"HGET", "h", "a"}, null},
			{[]any{"HLEN", "h"}, 0},
			{[]any{"HGETALL", "h"}, fieldPairs{}},
			{[]any{"HEXISTS", "h", "a"}, 0},
			{[]any{"LLEN", "l"}, 0},
			{[]any{"LRANGE", "l", 0, -1}, []any{}},
			{[]any{"LINDEX", "l", 0}, null},
			{[]any{"SCARD", "s"}, 0},
			{[]any{"SISMEMBER", "s", "a"}, 0},
			{[]any{"SMEMBERS", "s"}, unordered{}},
			{[]any{"ZCARD", "z"}, 0},
			{[]any{"ZSCORE", "z", "a"}, null},
			{[]any{"ZRANGE", "z", 0, -1}, []any{}},
			{[]any{"TYPE", "z"}, "none"},
			{[]any{"TTL", "h"}, -2},
			{[]any{"HSCAN", "h", 0}, []any{"0", fieldPairs{}}},
			{[]any{"SUNION", "s", "s"}, unordered{}},
			{[]any{"ZUNION", 2, "z", "s", "WITHSCORES"}, []any{}},
		}
		for _, r := range reads {
			got, err := c.Do(ctx, r.cmd...).Result()
			if !collMatches(got, err, r.want) {
				t.Errorf("%v on an expired key → %s, want %#v", r.cmd, describeReply(got, err), r.want)
			}
		}
		// Writes of the same type start fresh: the replies count the old
		// elements as absent.
		writes := []struct {
			cmd  []any
			want any
		}{
			{[]any{"HSET", "h", "a", "new"}, 1},
			{[]any{"HGETALL", "h"}, fieldPairs{"a", "new"}},
			{[]any{"TTL", "h"}, -1},
			{[]any{"RPUSH", "l", "x"}, 1},
			{[]any{"LRANGE", "l", 0, -1}, []any{"x"}},
			{[]any{"TTL", "l"}, -1},
			{[]any{"SADD", "s", "a", "c"}, 2},
			{[]any{"SMEMBERS", "s"}, unordered{"a", "c"}},
			{[]any{"TTL", "s"}, -1},
			{[]any{"ZADD", "z", "INCR", 5, "a"}, "5"},
			{[]any{"ZRANGE", "z", 0, -1, "WITHSCORES"}, []any{"a", "5"}},
			{[]any{"TTL", "z"}, -1},
			{[]any{"DBSIZE"}, 4},
		}
		run := func(what string, steps []struct {
			cmd  []any
			want any
		}) {
			t.Helper()
			for _, w := range steps {
				got, err := c.Do(ctx, w.cmd...).Result()
				if !collMatches(got, err, w.want) {
					t.Errorf("%s: %v → %s, want %#v", what, w.cmd, describeReply(got, err), w.want)
				}
			}
		}
		run("same type", writes)

		// Element writes that only work on an existing collection see
		// none, and writes of another type are not WRONGTYPE.
		fill()
		run("conditional and other types", []struct {
			cmd  []any
			want any
		}{
			{[]any{"LPUSHX", "l", "x"}, 0},
			{[]any{"RPUSHX", "l", "x"}, 0},
			{[]any{"LSET", "l", 0, "x"}, errReply("ERR no such key")},
			{[]any{"ZADD", "z", "XX", 5, "a"}, 0},
			{[]any{"HINCRBY", "h", "a", 10}, 10},
			{[]any{"SMOVE", "s", "s2", "a"}, 0},
			{[]any{"ZINCRBY", "z", 1, "a"}, "1"},
			{[]any{"LPOP", "l"}, null},
			{[]any{"SADD", "l", "m"}, 1},
			{[]any{"TYPE", "l"}, "set"},
			{[]any{"ZADD", "s", 1, "m"}, 1},
			{[]any{"TYPE", "s"}, "zset"},
			{[]any{"DBSIZE"}, 4},
			{[]any{"TTL", "h"}, -1},
			{[]any{"TTL", "z"}, -1},
		})
		// STORE commands over expired sources store nothing; over an
		// expired destination they replace it.
		fill()
		must(c.SAdd(ctx, "live", "m"), c.ZAdd(ctx, "zlive", redis.Z{Score: 3, Member: "m"}))
		run("store", []struct {
			cmd  []any
			want any
		}{
			{[]any{"SINTERSTORE", "d", "s", "live"}, 0},
			{[]any{"EXISTS", "d"}, 0},
			{[]any{"SUNIONSTORE", "h", "live", "s"}, 1},
			{[]any{"TYPE", "h"}, "set"},
			{[]any{"TTL", "h"}, -1},
			{[]any{"ZUNIONSTORE", "l", 2, "z", "zlive"}, 1},
			{[]any{"ZRANGE", "l", 0, -1, "WITHSCORES"}, []any{"m", "3"}},
			{[]any{"RPUSH", "src", "e"}, 1},
			{[]any{"LMOVE", "src", "z", "LEFT", "LEFT"}, "e"},
			{[]any{"LRANGE", "z", 0, -1}, []any{"e"}},
			{[]any{"TTL", "z"}, -1},
		})

		// With active expiry back on, expired collections go away.
		if err := c.ConfigSet(ctx, "storage.expire-interval", "100ms").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		fill()
		if !waitFor(10*time.Second, func() bool { return c.DBSize(ctx).Val() == 0 }) {
			t.Fatalf("expired collections not removed by active expiry: DBSIZE %d", c.DBSize(ctx).Val())
		}
	})
}

// ---- large collections ----

// largeSizes returns the element counts of the large collections: lists
// 100k everywhere (a push writes without reading); hashes, sets and sorted
// sets, whose every new element costs a point read that the race-enabled
// server makes ~50× slower than a normal build (on Pebble, 100k ZADDs take
// 15-30 s with -race, 0.4 s without), 30k on pebble/dual and 20k on the
// other engines and modes, so the whole test stays under a minute.
// KIWI_LARGE_ELEMENTS=100000 sets every count (for a longer, full-size run).
func largeSizes(t *testing.T) map[string]int {
	if v := os.Getenv("KIWI_LARGE_ELEMENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 || n%1000 != 0 {
			t.Fatalf("KIWI_LARGE_ELEMENTS=%q: want a multiple of 1000", v)
		}
		return map[string]int{"H": n, "L": n, "S": n, "Z": n}
	}
	m := 20_000
	if strings.HasSuffix(t.Name(), "/pebble/dual") {
		m = 30_000
	}
	return map[string]int{"H": m, "L": 100_000, "S": m, "Z": m}
}

// fillPipelined sends n commands built by mk in pipelines of batch and
// fails on the first error.
func fillPipelined(t *testing.T, ctx context.Context, c *redis.Client, n, batch int, mk func(p redis.Pipeliner, from, to int)) {
	t.Helper()
	for i := 0; i < n; i += batch {
		pipe := c.Pipeline()
		mk(pipe, i, min(i+batch, n))
		cmds, err := pipe.Exec(ctx)
		if err != nil {
			for _, cmd := range cmds {
				if cmd.Err() != nil {
					t.Fatalf("pipeline at %d: %.200v: %v", i, cmd.Args(), cmd.Err())
				}
			}
			t.Fatalf("pipeline at %d: %v", i, err)
		}
	}
}

// scanElems iterates HSCAN/SSCAN/ZSCAN (kind) to completion, bounded, and
// returns the flat list of returned items.
func scanElems(t *testing.T, ctx context.Context, c *redis.Client, kind, key string, count int64) []string {
	t.Helper()
	var all []string
	var cursor uint64
	for calls := 0; ; calls++ {
		if calls > 1_000_000 {
			t.Fatalf("%s did not finish after %d calls", kind, calls)
		}
		var items []string
		var err error
		switch kind {
		case "HSCAN":
			items, cursor, err = c.HScan(ctx, key, cursor, "", count).Result()
		case "SSCAN":
			items, cursor, err = c.SScan(ctx, key, cursor, "", count).Result()
		case "ZSCAN":
			items, cursor, err = c.ZScan(ctx, key, cursor, "", count).Result()
		}
		if err != nil {
			t.Fatalf("%s %s: %v", kind, key, err)
		}
		all = append(all, items...)
		if cursor == 0 {
			return all
		}
	}
}

// elemName is the i-th element of a large collection. Its bytes do not
// sort as its number does, so byte order differs from insertion order.
func elemName(i int) string { return fmt.Sprintf("e%d", i) }

func elemNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = elemName(i)
	}
	return out
}

// TestCollectionLarge builds one collection of each type with many
// elements (largeSizes) through pipelines and checks sizes, point reads,
// ranges at both ends, a full element scan returning every element exactly
// once, and that DEL of the large key takes about as long as DEL of a
// small one.
func TestCollectionLarge(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		sizes := largeSizes(t)
		start := time.Now()
		// 100 elements per command, 10 commands per pipeline.
		const per, batch = 100, 10
		fillTime := map[string]time.Duration{}
		for _, typ := range []string{"Z", "S", "H", "L"} {
			ts := time.Now()
			fillPipelined(t, ctx, c, sizes[typ]/per, batch, func(pipe redis.Pipeliner, from, to int) {
				for j := from; j < to; j++ {
					a := make([]any, 0, 2*per)
					for i := j * per; i < (j+1)*per; i++ {
						switch typ {
						case "H":
							a = append(a, elemName(i), "v"+strconv.Itoa(i))
						case "Z":
							a = append(a, i, elemName(i))
						default:
							a = append(a, elemName(i))
						}
					}
					switch typ {
					case "H":
						pipe.HSet(ctx, "H", a...)
					case "L":
						pipe.RPush(ctx, "L", a...)
					case "S":
						pipe.SAdd(ctx, "S", a...)
					case "Z":
						pipe.Do(ctx, append([]any{"ZADD", "Z"}, a...)...)
					}
				}
			})
			fillTime[typ] = time.Since(ts)
			t.Logf("%s: %d elements in %v", typ, sizes[typ], fillTime[typ])
		}

		check := func(what string, got, want any) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		nh, nl, ns, nz := sizes["H"], sizes["L"], sizes["S"], sizes["Z"]
		check("HLEN", c.HLen(ctx, "H").Val(), nh)
		check("LLEN", c.LLen(ctx, "L").Val(), nl)
		check("SCARD", c.SCard(ctx, "S").Val(), ns)
		check("ZCARD", c.ZCard(ctx, "Z").Val(), nz)

		// Point reads.
		check("HGET first", c.HGet(ctx, "H", "e0").Val(), "v0")
		check("HGET middle", c.HGet(ctx, "H", elemName(nh/2)).Val(), "v"+strconv.Itoa(nh/2))
		check("HMGET", c.HMGet(ctx, "H", elemName(nh-1), "nope").Val(), []any{"v" + strconv.Itoa(nh-1), nil})
		check("HEXISTS", c.HExists(ctx, "H", elemName(nh)).Val(), false)
		check("HSTRLEN", c.HStrLen(ctx, "H", elemName(nh-1)).Val(), len(strconv.Itoa(nh-1))+1)
		check("LINDEX 0", c.LIndex(ctx, "L", 0).Val(), "e0")
		check("LINDEX -1", c.LIndex(ctx, "L", -1).Val(), elemName(nl-1))
		check("LINDEX middle", c.LIndex(ctx, "L", int64(nl/2)).Val(), elemName(nl/2))
		check("LINDEX -middle", c.LIndex(ctx, "L", -int64(nl/3)).Val(), elemName(nl-nl/3))
		check("SISMEMBER", c.SIsMember(ctx, "S", elemName(ns/3)).Val(), true)
		check("SMISMEMBER", c.SMIsMember(ctx, "S", elemName(ns-1), elemName(ns)).Val(), []bool{true, false})
		check("ZSCORE", c.ZScore(ctx, "Z", elemName(nz-1)).Val(), nz-1)
		check("ZMSCORE", c.ZMScore(ctx, "Z", "e0", "nope").Val(), []float64{0, 0})
		check("ZRANK", c.ZRank(ctx, "Z", elemName(nz/2)).Val(), nz/2)
		check("ZREVRANK", c.ZRevRank(ctx, "Z", elemName(10)).Val(), nz-11)
		check("ZCOUNT", c.ZCount(ctx, "Z", "10", "(20").Val(), 10)

		// Ranges at both ends.
		check("LRANGE head", c.LRange(ctx, "L", 0, 2).Val(), []string{"e0", "e1", "e2"})
		check("LRANGE tail", c.LRange(ctx, "L", -2, -1).Val(), []string{elemName(nl - 2), elemName(nl - 1)})
		check("LPOS from the tail", c.LPos(ctx, "L", elemName(nl-5), redis.LPosArgs{Rank: -1}).Val(), nl-5)
		check("LPOS MAXLEN", c.LPos(ctx, "L", elemName(nl-5), redis.LPosArgs{MaxLen: 100}).Err(), redis.Nil)
		check("ZRANGE head", c.ZRange(ctx, "Z", 0, 2).Val(), []string{"e0", "e1", "e2"})
		check("ZRANGE tail", c.ZRange(ctx, "Z", -2, -1).Val(), []string{elemName(nz - 2), elemName(nz - 1)})
		strs := func(args ...any) []string {
			t.Helper()
			v, err := c.Do(ctx, args...).StringSlice()
			if err != nil {
				t.Errorf("%v: %v", args, err)
			}
			return v
		}
		check("ZREVRANGE", strs("ZREVRANGE", "Z", 0, 1), []string{elemName(nz - 1), elemName(nz - 2)})
		check("ZRANGEBYSCORE tail", strs("ZRANGEBYSCORE", "Z", nz-2, "+inf"), []string{elemName(nz - 2), elemName(nz - 1)})
		check("ZRANGEBYSCORE LIMIT", strs("ZRANGEBYSCORE", "Z", "-inf", "+inf", "LIMIT", 5, 2), []string{"e5", "e6"})
		check("ZREVRANGEBYSCORE", strs("ZREVRANGEBYSCORE", "Z", "+inf", "-inf", "LIMIT", 0, 2), []string{elemName(nz - 1), elemName(nz - 2)})
		check("ZRANGE BYSCORE REV LIMIT", strs("ZRANGE", "Z", nz/2, "-inf", "BYSCORE", "REV", "LIMIT", 1, 2),
			[]string{elemName(nz/2 - 1), elemName(nz/2 - 2)})
		check("HRANDFIELD", len(c.HRandField(ctx, "H", 5).Val()), 5)
		check("SRANDMEMBER", len(c.SRandMemberN(ctx, "S", 5).Val()), 5)
		check("ZRANDMEMBER", len(c.ZRandMember(ctx, "Z", 5).Val()), 5)

		// Full element scans: every element exactly once.
		scanStart := time.Now()
		hs := scanElems(t, ctx, c, "HSCAN", "H", 1000)
		var fields []string
		for i := 0; i+1 < len(hs); i += 2 {
			fields = append(fields, hs[i])
			if want := "v" + hs[i][1:]; hs[i+1] != want {
				t.Fatalf("HSCAN pair %q=%q, want value %q", hs[i], hs[i+1], want)
			}
		}
		checkScan(t, "HSCAN", fields, elemNames(nh))
		checkScan(t, "SSCAN", scanElems(t, ctx, c, "SSCAN", "S", 1000), elemNames(ns))
		zs := scanElems(t, ctx, c, "ZSCAN", "Z", 1000)
		var members []string
		for i := 0; i+1 < len(zs); i += 2 {
			members = append(members, zs[i])
			if want := zs[i][1:]; zs[i+1] != want {
				t.Fatalf("ZSCAN pair %q=%q, want score %q", zs[i], zs[i+1], want)
			}
		}
		checkScan(t, "ZSCAN", members, elemNames(nz))
		t.Logf("three full scans in %v", time.Since(scanStart))

		// DEL of a large collection costs about what DEL of a small one
		// does (the data records go to the background sweep).
		var smallMax time.Duration
		for i := 0; i < 3; i++ {
			if err := c.RPush(ctx, "small", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j").Err(); err != nil {
				t.Fatal(err)
			}
			s := time.Now()
			if n := c.Del(ctx, "small").Val(); n != 1 {
				t.Fatalf("DEL small = %d", n)
			}
			smallMax = max(smallMax, time.Since(s))
		}
		for _, k := range []string{"H", "L", "S", "Z"} {
			s := time.Now()
			if n := c.Del(ctx, k).Val(); n != 1 {
				t.Fatalf("DEL %s = %d", k, n)
			}
			el := time.Since(s)
			// Generous slack for a shared machine and a -race server: a
			// delete of every record would take about as long as writing
			// them did, so only a DEL both far slower than the small one and
			// a sizeable part of the fill time fails.
			if el > 20*smallMax+100*time.Millisecond && el > fillTime[k]/4 {
				t.Errorf("DEL of a %d-element %s took %v (a 10-element DEL: %v, writing it: %v)", sizes[k], k, el, smallMax, fillTime[k])
			}
			t.Logf("DEL %s (%d elements): %v; 10-element DEL: %v", k, sizes[k], el, smallMax)
		}
		check("DBSIZE after DEL", c.DBSize(ctx).Val(), 0)
		check("HLEN after DEL", c.HLen(ctx, "H").Val(), 0)
		check("LRANGE after DEL", c.LRange(ctx, "L", 0, 2).Val(), []string{})
		check("SSCAN after DEL", len(scanElems(t, ctx, c, "SSCAN", "S", 1000)), 0)
		check("ZCARD after DEL", c.ZCard(ctx, "Z").Val(), 0)
		// A new collection under the same name sees none of the old data.
		if err := c.SAdd(ctx, "S", "fresh").Err(); err != nil {
			t.Fatal(err)
		}
		check("SMEMBERS of a new set at a deleted large key", c.SMembers(ctx, "S").Val(), []string{"fresh"})
		if err := c.RPush(ctx, "L", "fresh").Err(); err != nil {
			t.Fatal(err)
		}
		check("LRANGE of a new list at a deleted large key", c.LRange(ctx, "L", 0, -1).Val(), []string{"fresh"})
		t.Logf("total %v", time.Since(start))
	})
}

// ---- durability ----

// collState reads the whole of the four collections of the durability
// test in a comparable form.
func collState(t *testing.T, ctx context.Context, c *redis.Client, keys []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range keys {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			t.Fatalf("TYPE %s: %v", k, err)
		}
		var v any
		switch typ {
		case "hash":
			m := c.HGetAll(ctx, k).Val()
			v = m
		case "list":
			v = c.LRange(ctx, k, 0, -1).Val()
		case "set":
			m := c.SMembers(ctx, k).Val()
			sort.Strings(m)
			v = m
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "none":
			v = nil
		default:
			t.Fatalf("TYPE %s = %s", k, typ)
		}
		out[k] = typ + " " + fmt.Sprint(v)
	}
	return out
}

// TestCollectionDurability writes collections with storage.sync on, then
// checks their exact contents after a clean restart and after kill -9,
// including every acknowledged write of concurrent clients just before
// the crash, on every engine and mode.
func TestCollectionDurability(t *testing.T) {
	for _, eng := range engines() {
		for _, mode := range modes {
			t.Run(eng+"/"+mode, func(t *testing.T) {
				p := startKiwi(t, "--storage.engine", eng, "--runtime.mode", mode, "--storage.sync", "yes")
				ctx := ctxT(t)
				c := p.Client(t)
				must := func(cmds ...redis.Cmder) {
					t.Helper()
					for _, cmd := range cmds {
						if err := cmd.Err(); err != nil && err != redis.Nil {
							t.Fatalf("%v: %v", cmd.Args(), err)
						}
					}
				}
				// Every family, with updates, removals and a TTL.
				must(
					c.HSet(ctx, "h", "a", "1", "b", "2", "c", "3", "bin\x00", "\r\n\x00"),
					c.HDel(ctx, "h", "b"),
					c.HIncrBy(ctx, "h", "n", 41), c.HIncrBy(ctx, "h", "n", 1),
					c.HIncrByFloat(ctx, "h", "f", 1.5),
					c.HSetNX(ctx, "h", "a", "x"),
					c.RPush(ctx, "l", "a", "b", "c", "d"),
					c.LPush(ctx, "l", "z"),
					c.LPop(ctx, "l"),
					c.LSet(ctx, "l", 1, "B"),
					c.LInsertBefore(ctx, "l", "c", "ins"),
					c.LRem(ctx, "l", 0, "d"),
					c.RPush(ctx, "l", "e", "f"),
					c.LMove(ctx, "l", "l2", "RIGHT", "LEFT"),
					c.SAdd(ctx, "s", "a", "b", "c", "d"),
					c.SRem(ctx, "s", "c"),
					c.SMove(ctx, "s", "s2", "d"),
					c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"}),
					c.ZIncrBy(ctx, "z", 10, "a"),
					c.ZRem(ctx, "z", "b"),
					c.ZAdd(ctx, "z", redis.Z{Score: -1.25, Member: "neg"}),
					c.ZUnionStore(ctx, "zu", &redis.ZStore{Keys: []string{"z", "s"}, Weights: []float64{2, 1}}),
					c.SInterStore(ctx, "si", "s", "s2"),
					c.SUnionStore(ctx, "su", "s", "s2"),
					c.HSet(ctx, "ttl", "f", "v"), c.Expire(ctx, "ttl", time.Hour),
					c.RPush(ctx, "gone", "x"), c.RPop(ctx, "gone"),
					c.ZAdd(ctx, "zgone", redis.Z{Score: 1, Member: "x"}), c.ZPopMin(ctx, "zgone"),
				)
				keys := []string{"h", "l", "l2", "s", "s2", "z", "zu", "si", "su", "ttl", "gone", "zgone"}
				want := map[string]string{
					"h":     "hash map[a:1 bin\x00:\r\n\x00 c:3 f:1.5 n:42]",
					"l":     "list [a B ins c e]",
					"l2":    "list [f]",
					"s":     "set [a b]",
					"s2":    "set [d]",
					"z":     "zset [{-1.25 neg} {3 c} {11 a}]",
					"zu":    "zset [{-2.5 neg} {1 b} {6 c} {23 a}]",
					"si":    "none <nil>",
					"su":    "set [a b d]",
					"ttl":   "hash map[f:v]",
					"gone":  "none <nil>",
					"zgone": "none <nil>",
				}
				checkState := func(when string) {
					t.Helper()
					got := collState(t, ctx, c, keys)
					for _, k := range keys {
						if got[k] != want[k] {
							t.Errorf("%s: %s = %q, want %q", when, k, got[k], want[k])
						}
					}
					if ttl := c.TTL(ctx, "ttl").Val(); ttl < 55*time.Minute || ttl > time.Hour {
						t.Errorf("%s: TTL ttl = %v", when, ttl)
					}
					if ttl := c.TTL(ctx, "h").Val(); ttl != -1 {
						t.Errorf("%s: TTL h = %v", when, ttl)
					}
					if n := c.DBSize(ctx).Val(); n != 9 {
						t.Errorf("%s: DBSIZE = %d, want 9", when, n)
					}
				}
				checkState("before restart")
				p.Restart()
				c = p.Client(t)
				checkState("after restart")

				// Concurrent acknowledged element writes, then kill -9.
				const workers, per = 4, 60
				type acked struct {
					h map[string]string
					l []string
					s []string
					z map[string]float64
				}
				acks := make([]acked, workers)
				cw := p.Client(t, func(o *redis.Options) { o.PoolSize = workers })
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					acks[w] = acked{h: map[string]string{}, z: map[string]float64{}}
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						a := &acks[w]
						for i := 0; i < per; i++ {
							e := fmt.Sprintf("w%d:%d", w, i)
							if cw.HSet(ctx, "ch", e, i).Err() == nil {
								a.h[e] = strconv.Itoa(i)
							}
							if cw.RPush(ctx, fmt.Sprintf("cl%d", w), e).Err() == nil {
								a.l = append(a.l, e)
							}
							if cw.SAdd(ctx, "cs", e).Err() == nil {
								a.s = append(a.s, e)
							}
							if cw.ZAdd(ctx, "cz", redis.Z{Score: float64(w*1000 + i), Member: e}).Err() == nil {
								a.z[e] = float64(w*1000 + i)
							}
						}
					}(w)
				}
				wg.Wait()
				// The last acknowledged writes come right before the kill.
				must(c.HSet(ctx, "h", "last", "yes"), c.RPush(ctx, "l", "last"), c.SAdd(ctx, "s", "last"), c.ZAdd(ctx, "z", redis.Z{Score: 100, Member: "last"}))
				p.Kill()
				p.start(append(baseArgs(), p.args...))
				c = p.Client(t)

				want["h"] = "hash map[a:1 bin\x00:\r\n\x00 c:3 f:1.5 last:yes n:42]"
				want["l"] = "list [a B ins c e last]"
				want["s"] = "set [a b last]"
				want["z"] = "zset [{-1.25 neg} {3 c} {11 a} {100 last}]"
				got := collState(t, ctx, c, keys)
				for _, k := range keys {
					if got[k] != want[k] {
						t.Errorf("after kill -9: %s = %q, want %q", k, got[k], want[k])
					}
				}
				h := c.HGetAll(ctx, "ch").Val()
				sm := c.SMembers(ctx, "cs").Val()
				zm := c.ZRangeWithScores(ctx, "cz", 0, -1).Val()
				zmap := map[string]float64{}
				for _, z := range zm {
					zmap[z.Member.(string)] = z.Score
				}
				var nh, ns, nz int
				for w, a := range acks {
					for k, v := range a.h {
						if h[k] != v {
							t.Errorf("after kill -9: acknowledged HSET ch %s %s lost (got %q)", k, v, h[k])
						}
					}
					nh += len(a.h)
					if l := c.LRange(ctx, fmt.Sprintf("cl%d", w), 0, -1).Val(); strings.Join(l, ",") != strings.Join(a.l, ",") {
						t.Errorf("after kill -9: list cl%d = %v, want the acknowledged %v", w, l, a.l)
					}
					for _, m := range a.s {
						if !contains(sm, m) {
							t.Errorf("after kill -9: acknowledged SADD cs %s lost", m)
						}
					}
					ns += len(a.s)
					for m, sc := range a.z {
						if s, ok := zmap[m]; !ok || s != sc {
							t.Errorf("after kill -9: acknowledged ZADD cz %v %s lost (got %v, %v)", sc, m, s, ok)
						}
					}
					nz += len(a.z)
				}
				if nh != workers*per || ns != workers*per || nz != workers*per {
					t.Errorf("not every write was acknowledged: %d %d %d of %d", nh, ns, nz, workers*per)
				}
				// Nothing unacknowledged appears either.
				if len(h) != nh || len(sm) != ns || len(zm) != nz {
					t.Errorf("after kill -9: sizes %d %d %d, acknowledged %d %d %d", len(h), len(sm), len(zm), nh, ns, nz)
				}
			})
		}
	}
}

// ---- concurrency ----

// TestCollectionConcurrency: clients pushing and popping a shared list,
// incrementing shared sorted-set members and hash fields, and adding
// overlapping members to a shared set; the final state is exactly what the
// acknowledged operations dictate.
func TestCollectionConcurrency(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const workers, per = 8, 150
		c = p.Client(t, func(o *redis.Options) { o.PoolSize = 2 * workers })
		var prod, cons sync.WaitGroup
		var failed atomic.Int64
		fail := func(err error) {
			if failed.Add(1) <= 5 {
				t.Errorf("worker: %v", err)
			}
		}
		pushed := make([][]string, workers)
		popped := make([][]string, workers)
		moved := make([][]string, workers)
		var saddOnes atomic.Int64
		var producersDone atomic.Bool
		for w := 0; w < workers; w++ {
			prod.Add(1)
			cons.Add(1)
			// Producer: LPUSH unique elements; ZINCRBY and HINCRBY on a few
			// shared members and fields; SADD of overlapping members.
			go func(w int) {
				defer prod.Done()
				for i := 0; i < per; i++ {
					e := fmt.Sprintf("w%d:%d", w, i)
					if err := c.LPush(ctx, "q", e).Err(); err != nil {
						fail(err)
					} else {
						pushed[w] = append(pushed[w], e)
					}
					m := "m" + strconv.Itoa(i%5)
					if err := c.ZIncrBy(ctx, "z", float64(w+1), m).Err(); err != nil {
						fail(err)
					}
					if err := c.HIncrBy(ctx, "h", "f"+strconv.Itoa(i%3), int64(w+1)).Err(); err != nil {
						fail(err)
					}
					n, err := c.SAdd(ctx, "s", "x"+strconv.Itoa(i), "y"+strconv.Itoa((i+w)%per)).Result()
					if err != nil {
						fail(err)
					}
					saddOnes.Add(n)
				}
			}(w)
			// Consumer: RPOP, RPOP with a count and RPOPLPUSH to a second
			// list (BRPOP while the queue is empty), until it has taken 3/4
			// of a producer's share (so some elements stay queued) or the
			// queue is empty after the producers finished.
			go func(w int) {
				defer cons.Done()
				for op, taken := 0, 0; taken < per*3/4; op++ {
					var got []string
					var err error
					switch op % 3 {
					case 0:
						var v string
						if v, err = c.RPop(ctx, "q").Result(); err == nil {
							got = []string{v}
						}
					case 1:
						got, err = c.RPopCount(ctx, "q", 2).Result()
					case 2:
						var v string
						if v, err = c.Do(ctx, "RPOPLPUSH", "q", "done").Text(); err == nil {
							moved[w] = append(moved[w], v)
							taken++
							continue
						}
					}
					if err == redis.Nil {
						if producersDone.Load() {
							return
						}
						// Empty for now: wait for a push (or 100 ms).
						var kv []string
						if kv, err = c.BRPop(ctx, 100*time.Millisecond, "q").Result(); err == redis.Nil {
							continue
						} else if err == nil {
							got = kv[1:]
						}
					}
					if err != nil {
						fail(err)
						return
					}
					popped[w] = append(popped[w], got...)
					taken += len(got)
				}
			}(w)
		}
		prod.Wait()
		producersDone.Store(true)
		cons.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d operations failed", failed.Load())
		}

		// Every pushed element is popped, moved or still queued, exactly
		// once.
		count := map[string]int{}
		for w := 0; w < workers; w++ {
			for _, e := range popped[w] {
				count[e]++
			}
		}
		done := c.LRange(ctx, "done", 0, -1).Val()
		q := c.LRange(ctx, "q", 0, -1).Val()
		for _, e := range append(append([]string(nil), done...), q...) {
			count[e]++
		}
		var nMoved int
		for w := 0; w < workers; w++ {
			nMoved += len(moved[w])
			for _, e := range moved[w] {
				if !contains(done, e) {
					t.Errorf("RPOPLPUSH reply %q not in the destination", e)
				}
			}
		}
		if len(done) != nMoved {
			t.Errorf("destination holds %d elements, RPOPLPUSH replied %d", len(done), nMoved)
		}
		for w := 0; w < workers; w++ {
			if len(pushed[w]) != per {
				t.Errorf("producer %d: %d pushes acknowledged", w, len(pushed[w]))
			}
			for _, e := range pushed[w] {
				if count[e] != 1 {
					t.Errorf("element %s seen %d times after the run", e, count[e])
				}
				delete(count, e)
			}
		}
		if len(count) != 0 {
			t.Errorf("%d elements never pushed appeared (e.g. %q)", len(count), firstKey(count))
		}
		if len(q) == 0 {
			t.Errorf("queue empty: consumers took more than they should")
		}
		// FIFO: what is still queued of each producer is newer than all
		// it had popped or moved, and newest first from the head.
		idx := func(e string) (w, i int) {
			if _, err := fmt.Sscanf(e, "w%d:%d", &w, &i); err != nil {
				t.Fatalf("element %q: %v", e, err)
			}
			return w, i
		}
		oldestQueued := map[int]int{}
		for _, e := range q {
			w, i := idx(e)
			if prev, ok := oldestQueued[w]; ok && i >= prev {
				t.Errorf("queue order: %s after w%d:%d", e, w, prev)
			}
			oldestQueued[w] = i
		}
		for _, e := range done {
			w, i := idx(e)
			if o, ok := oldestQueued[w]; ok && i >= o {
				t.Errorf("%s left the queue before the older w%d:%d", e, w, o)
			}
		}
		for w := 0; w < workers; w++ {
			for _, e := range popped[w] {
				pw, i := idx(e)
				if o, ok := oldestQueued[pw]; ok && i >= o {
					t.Errorf("%s popped before the older w%d:%d", e, pw, o)
				}
			}
		}

		// Increments: each member/field got the same per-worker sums.
		var sumW int64
		for w := 0; w < workers; w++ {
			sumW += int64(w + 1)
		}
		for i := 0; i < 5; i++ {
			want := float64(sumW * int64(per/5))
			if s := c.ZScore(ctx, "z", "m"+strconv.Itoa(i)).Val(); s != want {
				t.Errorf("ZSCORE z m%d = %v, want %v", i, s, want)
			}
		}
		if n := c.ZCard(ctx, "z").Val(); n != 5 {
			t.Errorf("ZCARD z = %d", n)
		}
		for i := 0; i < 3; i++ {
			want := strconv.FormatInt(sumW*int64(per/3), 10)
			if v := c.HGet(ctx, "h", "f"+strconv.Itoa(i)).Val(); v != want {
				t.Errorf("HGET h f%d = %s, want %s", i, v, want)
			}
		}
		// SADD: each member was added by exactly one reply, whichever
		// client won it.
		if n := c.SCard(ctx, "s").Val(); n != 2*per || saddOnes.Load() != 2*per {
			t.Errorf("SCARD s = %d, sum of SADD replies = %d, want %d", n, saddOnes.Load(), 2*per)
		}
	})
}

// TestCollectionConcurrentMove: clients moving elements between lists and
// sets in both directions (LMOVE, SMOVE) never lose or duplicate one.
func TestCollectionConcurrentMove(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const n, workers, moves = 50, 6, 150
		var elems []any
		for i := 0; i < n; i++ {
			elems = append(elems, "e"+strconv.Itoa(i))
		}
		if err := c.RPush(ctx, "a", elems...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.SAdd(ctx, "sa", elems...).Err(); err != nil {
			t.Fatal(err)
		}
		c = p.Client(t, func(o *redis.Options) { o.PoolSize = workers })
		var wg sync.WaitGroup
		var smoved atomic.Int64
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				src, dst, ssrc, sdst := "a", "b", "sa", "sb"
				if w%2 == 1 {
					src, dst, ssrc, sdst = dst, src, sdst, ssrc
				}
				for i := 0; i < moves; i++ {
					if err := c.LMove(ctx, src, dst, "LEFT", "RIGHT").Err(); err != nil && err != redis.Nil {
						errs <- err
						return
					}
					ok, err := c.SMove(ctx, ssrc, sdst, "e"+strconv.Itoa((i*7+w)%n)).Result()
					if err != nil {
						errs <- err
						return
					}
					if ok {
						smoved.Add(1)
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := append(c.LRange(ctx, "a", 0, -1).Val(), c.LRange(ctx, "b", 0, -1).Val()...)
		var want []string
		for _, e := range elems {
			want = append(want, e.(string))
		}
		checkScan(t, "lists after LMOVE", all, want)
		sets := append(c.SMembers(ctx, "sa").Val(), c.SMembers(ctx, "sb").Val()...)
		checkScan(t, "sets after SMOVE", sets, want)
		if smoved.Load() == 0 {
			t.Errorf("no SMOVE succeeded")
		}
	})
}

// ---- typed replies, RESP2 and RESP3 ----

// TestCollectionTypedReplies reads every family through go-redis's typed
// commands over RESP2 and RESP3 (maps, sets, doubles and pairs in RESP3),
// so both reply encodings parse to the same values.
func TestCollectionTypedReplies(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, _ *redis.Client) {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
				ctx := ctxT(t)
				c := p.Client(t, func(o *redis.Options) { o.Protocol = proto })
				if err := c.FlushAll(ctx).Err(); err != nil {
					t.Fatal(err)
				}
				check := func(what string, got any, err error, want any) {
					t.Helper()
					if err != nil && err != redis.Nil {
						t.Errorf("%s: %v", what, err)
						return
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s = %v, want %v", what, got, want)
					}
				}
				z := func(pairs ...any) []redis.Z {
					var out []redis.Z
					for i := 0; i < len(pairs); i += 2 {
						out = append(out, redis.Z{Member: pairs[i], Score: pairs[i+1].(float64)})
					}
					return out
				}
				// Hashes.
				n, err := c.HSet(ctx, "h", "a", "1", "b", "2.5").Result()
				check("HSET", n, err, 2)
				hm, err := c.HGetAll(ctx, "h").Result()
				check("HGETALL", hm, err, map[string]string{"a": "1", "b": "2.5"})
				f, err := c.HIncrByFloat(ctx, "h", "b", 0.25).Result()
				check("HINCRBYFLOAT", f, err, 2.75)
				kv, err := c.HRandFieldWithValues(ctx, "h", 5).Result()
				sort.Slice(kv, func(i, j int) bool { return kv[i].Key < kv[j].Key })
				check("HRANDFIELD WITHVALUES", kv, err, []redis.KeyValue{{Key: "a", Value: "1"}, {Key: "b", Value: "2.75"}})
				hk, err := c.HRandField(ctx, "h", -3).Result()
				check("HRANDFIELD -3 count", len(hk), err, 3)
				items, cur, err := c.HScan(ctx, "h", 0, "a*", 0).Result()
				check("HSCAN", fmt.Sprint(cur, items), err, "0 [a 1]")
				// Lists.
				check("RPUSH", c.RPush(ctx, "l", "a", "b", "c", "a").Val(), nil, 4)
				ps, err := c.LPosCount(ctx, "l", "a", 0, redis.LPosArgs{}).Result()
				check("LPOS COUNT", ps, err, []int64{0, 3})
				lk, lv, err := c.LMPop(ctx, "right", 2, "nokey", "l").Result()
				check("LMPOP", lk+" "+fmt.Sprint(lv), err, "l [a c]")
				lp, err := c.LPopCount(ctx, "l", 5).Result()
				check("LPOP count", lp, err, []string{"a", "b"})
				_, err = c.LPopCount(ctx, "l", 5).Result()
				check("LPOP count on a missing key", err, nil, redis.Nil)
				// Sets.
				check("SADD", c.SAdd(ctx, "s", "x", "y", "z").Val(), nil, 3)
				sm, err := c.SMembers(ctx, "s").Result()
				sort.Strings(sm)
				check("SMEMBERS", sm, err, []string{"x", "y", "z"})
				smm, err := c.SMembersMap(ctx, "s").Result()
				check("SMEMBERS map", len(smm), err, 3)
				mis, err := c.SMIsMember(ctx, "s", "x", "q").Result()
				check("SMISMEMBER", mis, err, []bool{true, false})
				sic, err := c.SInterCard(ctx, 0, "s", "s").Result()
				check("SINTERCARD", sic, err, 3)
				su, err := c.SUnion(ctx, "s", "nokey").Result()
				sort.Strings(su)
				check("SUNION", su, err, []string{"x", "y", "z"})
				// Sorted sets: doubles, pairs, and the nested ZMPOP reply.
				check("ZADD", c.ZAdd(ctx, "z", z("a", 1.0, "b", 2.5, "c", -3.0)...).Val(), nil, 3)
				zs, err := c.ZScore(ctx, "z", "b").Result()
				check("ZSCORE", zs, err, 2.5)
				zms, err := c.ZMScore(ctx, "z", "a", "c").Result()
				check("ZMSCORE", zms, err, []float64{1, -3})
				zi, err := c.ZIncrBy(ctx, "z", 0.5, "a").Result()
				check("ZINCRBY", zi, err, 1.5)
				za, err := c.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{Members: z("a", 1.0)}).Result()
				check("ZADD INCR", za, err, 2.5)
				_, err = c.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{NX: true, Members: z("a", 1.0)}).Result()
				check("ZADD NX INCR of an existing member", err, nil, redis.Nil)
				zr, err := c.ZRangeWithScores(ctx, "z", 0, -1).Result()
				check("ZRANGE WITHSCORES", zr, err, z("c", -3.0, "a", 2.5, "b", 2.5))
				zr, err = c.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: "z", Start: "(2.5", Stop: "-inf", ByScore: true, Rev: true}).Result()
				check("ZRANGE BYSCORE REV WITHSCORES", zr, err, z("c", -3.0))
				zr, err = c.ZRandMemberWithScores(ctx, "z", 5).Result()
				check("ZRANDMEMBER WITHSCORES", zr, err, z("b", 2.5, "a", 2.5, "c", -3.0))
				zr, err = c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"z", "s"}, Weights: []float64{2, 1}}).Result()
				check("ZUNION WITHSCORES", zr, err, z("c", -6.0, "x", 1.0, "y", 1.0, "z", 1.0, "a", 5.0, "b", 5.0))
				zr, err = c.ZInterWithScores(ctx, &redis.ZStore{Keys: []string{"z", "z"}, Aggregate: "MAX"}).Result()
				check("ZINTER WITHSCORES", zr, err, z("c", -3.0, "a", 2.5, "b", 2.5))
				zr, err = c.ZDiffWithScores(ctx, "z", "nokey").Result()
				check("ZDIFF WITHSCORES", zr, err, z("c", -3.0, "a", 2.5, "b", 2.5))
				zic, err := c.ZInterCard(ctx, 1, "z", "z").Result()
				check("ZINTERCARD", zic, err, 1)
				zrs, err := c.ZRangeStore(ctx, "zdst", redis.ZRangeArgs{Key: "z", Start: 0, Stop: 0}).Result()
				check("ZRANGESTORE", zrs, err, 1)
				zr, err = c.ZPopMin(ctx, "z").Result()
				check("ZPOPMIN", zr, err, z("c", -3.0))
				zr, err = c.ZPopMax(ctx, "z", 5).Result()
				check("ZPOPMAX", zr, err, z("b", 2.5, "a", 2.5))
				check("ZADD", c.ZAdd(ctx, "z", z("m", 1.0, "n", 2.0)...).Val(), nil, 2)
				zk, zr, err := c.ZMPop(ctx, "max", 5, "nokey", "z").Result()
				check("ZMPOP", fmt.Sprint(zk, zr), err, fmt.Sprint("z", z("n", 2.0, "m", 1.0)))
				_, _, err = c.ZMPop(ctx, "min", 1, "z").Result()
				check("ZMPOP of a missing key", err, nil, redis.Nil)
				items, cur, err = c.ZScan(ctx, "zdst", 0, "", 0).Result()
				check("ZSCAN", fmt.Sprint(cur, items), err, "0 [c -3]")
			})
		}
	})
}
