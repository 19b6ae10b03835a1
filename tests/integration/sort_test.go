package integration

// Integration tests of SORT and SORT_RO against real kiwi processes: a step
// table (checked against redis-server by TestCollectionStepsMatchRedis),
// large inputs through go-redis's typed API, and SORT ... STORE as a write
// that WATCH and blocked clients see.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

var sortGroups = []stepGroup{
	{"sort", []step{
		{"RPUSH l 3 1 2 10", 4},
		{"SORT l", []any{"1", "2", "3", "10"}},
		{"SORT l DESC LIMIT 1 2", []any{"3", "2"}},
		{"SORT l ALPHA", []any{"1", "10", "2", "3"}},
		{"SORT_RO l ALPHA DESC", []any{"3", "2", "10", "1"}},
		{"MSET w_1 d w_2 c w_3 b w_10 a", "OK"},
		{"SORT l BY w_* ALPHA", []any{"10", "3", "2", "1"}},
		{"HSET h_1 n 40 name one", 2},
		{"HSET h_2 n 30", 1},
		{"SORT l BY h_*->n GET # GET h_*->name", []any{"10", nil, "3", nil, "2", nil, "1", "one"}},
		{"LPUSH nat 2 1 4 3", 4},
		{"SORT nat BY nosort", []any{"3", "4", "1", "2"}},
		{"SORT nat BY nosort DESC LIMIT 0 2", []any{"2", "1"}},
		{"SADD s b a c", 3},
		{"SORT s BY nosort STORE d", 3},
		{"LRANGE d 0 -1", []any{"a", "b", "c"}},
		{"ZADD z 3 a 1 b 2 c", 3},
		{"SORT z BY nosort", []any{"b", "c", "a"}},
		{"SORT z ALPHA DESC", []any{"c", "b", "a"}},
		{"SORT l GET w_* STORE d", 4},
		{"LRANGE d 0 -1", []any{"d", "c", "b", "a"}},
		{"SORT nokey STORE d", 0},
		{"EXISTS d", 0},
		{"SORT s", errReply("ERR One or more scores can't be converted into double")},
		{"SORT l LIMIT 0", errReply("ERR syntax error")},
		{"SORT l LIMIT x 1", errReply("ERR value is not an integer or out of range")},
		{"SORT_RO l STORE d", errReply("ERR syntax error")},
		{"SORT h_1", errReply(collWrongType)},
		{"SORT", errReply("ERR wrong number of arguments for 'sort' command")},
	}},
}

// TestSortCommands runs the SORT step table on every engine and mode.
func TestSortCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		runCollGroups(t, c, sortGroups)
	})
}

// TestSortLarge sorts collections larger than any batch or buffer: a list
// by weight keys and hash fields with GET, a set numerically, a sorted set
// unsorted with LIMIT, and stores the result.
func TestSortLarge(t *testing.T) {
	const n = 3000
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		pipe := c.Pipeline()
		elems := make([]any, n)
		for i := range n {
			id := strconv.Itoa(i)
			elems[i] = id
			w := (i * 7919) % n // a permutation of 0..n-1
			pipe.Set(ctx, "w_"+id, w, 0)
			pipe.HSet(ctx, "h_"+id, "w", n-w, "name", "n"+id)
			pipe.ZAdd(ctx, "z", redis.Z{Score: float64(w), Member: id})
		}
		pipe.RPush(ctx, "l", elems...)
		pipe.SAdd(ctx, "s", elems...)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		byWeight := make([]string, n) // the ids in weight order
		for i := range n {
			byWeight[(i*7919)%n] = strconv.Itoa(i)
		}

		got, err := c.Sort(ctx, "l", &redis.Sort{By: "w_*"}).Result()
		if err != nil || !slices.Equal(got, byWeight) {
			t.Fatalf("SORT l BY w_*: %v, %d elements", err, len(got))
		}
		got, err = c.Sort(ctx, "l", &redis.Sort{By: "h_*->w", Order: "DESC", Offset: 10, Count: 5, Get: []string{"#", "h_*->name"}}).Result()
		want := []string{}
		for _, id := range byWeight[10:15] {
			want = append(want, id, "n"+id)
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("SORT l BY h_*->w DESC LIMIT 10 5 GET # GET h_*->name = %v, %v, want %v", got, err, want)
		}
		numeric := make([]string, n)
		for i := range n {
			numeric[i] = strconv.Itoa(i)
		}
		if got, err = c.SortRO(ctx, "s", &redis.Sort{}).Result(); err != nil || !slices.Equal(got, numeric) {
			t.Fatalf("SORT_RO s: %v, %d elements", err, len(got))
		}
		got, err = c.Sort(ctx, "z", &redis.Sort{By: "nosort", Order: "DESC", Offset: 100, Count: 3}).Result()
		if want := []string{byWeight[n-101], byWeight[n-102], byWeight[n-103]}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("SORT z BY nosort DESC LIMIT 100 3 = %v, %v, want %v", got, err, want)
		}
		if stored, err := c.SortStore(ctx, "s", "dst", &redis.Sort{By: "w_*"}).Result(); err != nil || stored != n {
			t.Fatalf("SORT s BY w_* STORE dst = %d, %v", stored, err)
		}
		if got, err = c.LRange(ctx, "dst", 0, -1).Result(); err != nil || !slices.Equal(got, byWeight) {
			t.Fatalf("stored list: %v, %d elements", err, len(got))
		}
	})
}

// TestSortStoreTouchesWatch: SORT ... STORE modifies its destination for
// WATCH, also when an empty result deletes it (Redis's "EXEC fail on
// WATCHed key modified by SORT with STORE even if the result is empty"). A
// destination that did not exist and stays missing is not modified, as in
// Redis.
func TestSortStoreTouchesWatch(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		if err := c.RPush(ctx, "src", "2", "1").Err(); err != nil {
			t.Fatal(err)
		}
		watchWhile := func(key string, args ...any) error {
			return c.Watch(ctx, func(tx *redis.Tx) error {
				if err := other.Do(ctx, args...).Err(); err != nil {
					return err
				}
				_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Ping(ctx)
					return nil
				})
				return err
			}, key)
		}
		for _, tc := range []struct {
			name    string
			setup   []any
			sort    []any
			aborted bool
		}{
			{"stores a list", nil, []any{"SORT", "src", "STORE", "dst"}, true},
			{"empty result deletes dst", []any{"LPUSH", "dst", "bar"}, []any{"SORT", "emptylist", "STORE", "dst"}, true},
			{"empty result, no dst", []any{"DEL", "dst"}, []any{"SORT", "emptylist", "STORE", "dst"}, false},
			{"no STORE", []any{"LPUSH", "dst", "x"}, []any{"SORT", "dst", "ALPHA"}, false},
		} {
			if tc.setup != nil {
				if err := c.Do(ctx, tc.setup...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			err := watchWhile("dst", tc.sort...)
			if aborted := errors.Is(err, redis.TxFailedErr); aborted != tc.aborted || (!aborted && err != nil) {
				t.Errorf("%s: EXEC after %v: %v, want aborted=%v", tc.name, tc.sort, err, tc.aborted)
			}
		}
	})
}

// TestSortStoreWakesBlocked: a client blocked on a list is served when
// SORT ... STORE creates it (Redis's "BLPOP when result key is created by
// SORT..STORE").
func TestSortStoreWakesBlocked(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		res := make(chan string, 2)
		go func() {
			got, err := c.BLPop(ctx, 0, "foo").Result()
			res <- fmt.Sprint(strings.Join(got, ","), errString(err))
		}()
		waitBlocked(t, other, 1)
		if err := other.LPush(ctx, "notfoo", "hello", "hola", "aguacate", "konichiwa", "zanzibar").Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := other.SortStore(ctx, "notfoo", "foo", &redis.Sort{Alpha: true}).Result(); err != nil || n != 5 {
			t.Fatalf("SORT notfoo ALPHA STORE foo = %d, %v", n, err)
		}
		if got := <-res; got != "foo,aguacate" {
			t.Fatalf("woken BLPOP = %q, want foo,aguacate", got)
		}
		if got, err := other.LRange(ctx, "foo", 0, -1).Result(); err != nil || strings.Join(got, ",") != "hello,hola,konichiwa,zanzibar" {
			t.Fatalf("foo after the pop = %v, %v", got, err)
		}
	})
}
