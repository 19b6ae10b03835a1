package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// notifyStep is one command and the keyspace events it must publish, as
// "event key" strings in order.
type notifyStep struct {
	cmd    []any
	events []string
}

// notifySteps covers every event class and the rules around them: the
// "del" after a collection was emptied, STORE commands that delete their
// destination, no event for a command that changed nothing or failed.
var notifySteps = []notifyStep{
	{[]any{"set", "n:s", "v"}, []string{"new n:s", "set n:s"}},
	{[]any{"set", "n:s", "v2", "ex", "100"}, []string{"set n:s", "expire n:s"}},
	{[]any{"set", "n:s", "v3", "nx"}, nil},
	{[]any{"append", "n:s", "x"}, []string{"append n:s"}},
	{[]any{"setrange", "n:s", "0", "ab"}, []string{"setrange n:s"}},
	{[]any{"persist", "n:s"}, []string{"persist n:s"}},
	{[]any{"persist", "n:s"}, nil},
	{[]any{"incrby", "n:i", "5"}, []string{"new n:i", "incrby n:i"}},
	{[]any{"incrbyfloat", "n:i", "1.5"}, []string{"incrbyfloat n:i"}},
	{[]any{"incr", "n:s"}, nil}, // not an integer: fails, no event
	{[]any{"mset", "n:a", "1", "n:b", "2"}, []string{"new n:a", "set n:a", "new n:b", "set n:b"}},
	{[]any{"setbit", "n:bits", "3", "1"}, []string{"new n:bits", "setbit n:bits"}},
	{[]any{"getdel", "n:bits"}, []string{"del n:bits"}},
	{[]any{"expire", "n:a", "100"}, []string{"expire n:a"}},
	{[]any{"pexpireat", "n:a", "1"}, []string{"del n:a"}}, // in the past: deleted
	{[]any{"rename", "n:b", "n:c"}, []string{"new n:c", "rename_from n:b", "rename_to n:c"}},
	{[]any{"del", "n:c", "n:nokey"}, []string{"del n:c"}},
	{[]any{"rpush", "n:l", "a", "b", "c"}, []string{"new n:l", "rpush n:l"}},
	{[]any{"lpush", "n:l", "z"}, []string{"lpush n:l"}},
	{[]any{"lpushx", "n:nolist", "z"}, nil},
	{[]any{"lset", "n:l", "0", "y"}, []string{"lset n:l"}},
	{[]any{"linsert", "n:l", "before", "a", "q"}, []string{"linsert n:l"}},
	{[]any{"lrem", "n:l", "0", "q"}, []string{"lrem n:l"}},
	{[]any{"ltrim", "n:l", "0", "2"}, []string{"ltrim n:l"}},
	{[]any{"lmove", "n:l", "n:l2", "left", "right"}, []string{"new n:l2", "rpush n:l2", "lpop n:l"}},
	{[]any{"rpop", "n:l", "5"}, []string{"rpop n:l", "del n:l"}},
	{[]any{"hset", "n:h", "f", "1"}, []string{"new n:h", "hset n:h"}},
	{[]any{"hsetnx", "n:h", "f", "2"}, nil},
	{[]any{"hincrby", "n:h", "f", "2"}, []string{"hincrby n:h"}},
	{[]any{"hincrbyfloat", "n:h", "f", "0.5"}, []string{"hincrbyfloat n:h"}},
	{[]any{"hdel", "n:h", "f"}, []string{"hdel n:h", "del n:h"}},
	{[]any{"sadd", "n:set", "a", "b"}, []string{"new n:set", "sadd n:set"}},
	{[]any{"sadd", "n:set", "a"}, nil},
	{[]any{"sadd", "n:set2", "a"}, []string{"new n:set2", "sadd n:set2"}},
	{[]any{"smove", "n:set", "n:set2", "a"}, []string{"srem n:set"}}, // n:set2 held a
	{[]any{"smove", "n:set", "n:set2", "b"}, []string{"srem n:set", "del n:set", "sadd n:set2"}},
	{[]any{"sinterstore", "n:set3", "n:set2", "n:nokey"}, nil},
	{[]any{"sunionstore", "n:set3", "n:set2"}, []string{"new n:set3", "sunionstore n:set3"}},
	{[]any{"sdiffstore", "n:set3", "n:set2", "n:set2"}, []string{"del n:set3"}},
	{[]any{"spop", "n:set2", "10"}, []string{"spop n:set2", "del n:set2"}},
	{[]any{"zadd", "n:z", "1", "a", "2", "b", "3", "c"}, []string{"new n:z", "zadd n:z"}},
	{[]any{"zadd", "n:z", "1", "a"}, nil},
	{[]any{"zincrby", "n:z", "1", "a"}, []string{"zincr n:z"}},
	{[]any{"zrem", "n:z", "nomember"}, nil},
	{[]any{"zremrangebyscore", "n:z", "3", "3"}, []string{"zremrangebyscore n:z"}},
	{[]any{"zunionstore", "n:z2", "1", "n:z"}, []string{"new n:z2", "zunionstore n:z2"}},
	{[]any{"zrangestore", "n:z2", "n:z", "5", "9"}, []string{"del n:z2"}},
	{[]any{"zpopmin", "n:z"}, []string{"zpopmin n:z"}},
	{[]any{"zpopmax", "n:z", "5"}, []string{"zpopmax n:z", "del n:z"}},
	{[]any{"rpush", "n:sl", "3", "1", "2"}, []string{"new n:sl", "rpush n:sl"}},
	{[]any{"sort", "n:sl", "store", "n:sorted"}, []string{"new n:sorted", "sortstore n:sorted"}},
	{[]any{"sort", "n:nokey", "store", "n:sorted"}, []string{"del n:sorted"}},
	{[]any{"swapdb", "0", "0"}, nil},
	{[]any{"xgroup", "create", "n:x", "g", "$", "mkstream"}, []string{"new n:x", "xgroup-create n:x"}},
	{[]any{"xgroup", "createconsumer", "n:x", "g", "bob"}, []string{"xgroup-createconsumer n:x"}},
	{[]any{"xadd", "n:x", "1-1", "f", "v"}, []string{"xadd n:x"}},
	{[]any{"xadd", "n:x", "maxlen", "1", "2-1", "f", "v"}, []string{"xadd n:x", "xtrim n:x"}},
	{[]any{"xreadgroup", "group", "g", "alice", "streams", "n:x", ">"}, []string{"xgroup-createconsumer n:x"}},
	{[]any{"xdel", "n:x", "2-1"}, []string{"xdel n:x"}},
	{[]any{"xgroup", "setid", "n:x", "g", "0"}, []string{"xgroup-setid n:x"}},
	{[]any{"xgroup", "delconsumer", "n:x", "g", "nobody"}, nil},
	{[]any{"xgroup", "delconsumer", "n:x", "g", "bob"}, []string{"xgroup-delconsumer n:x"}},
	{[]any{"xsetid", "n:x", "5-0"}, []string{"xsetid n:x"}},
	{[]any{"xgroup", "destroy", "n:x", "g"}, []string{"xgroup-destroy n:x"}},
	{[]any{"set", "n:m", "v"}, []string{"new n:m", "set n:m"}},
	{[]any{"copy", "n:m", "n:m2"}, []string{"new n:m2", "copy_to n:m2"}},
	{[]any{"del", "n:m", "n:m2", "n:i", "n:s", "n:sl", "n:x"}, []string{"del n:m", "del n:m2", "del n:i", "del n:s", "del n:sl", "del n:x"}},
}

// TestKeyspaceNotifications checks the events of notifySteps with
// notify-keyspace-events "KEA" plus "n" on both channels, against a real
// redis-server too when KIWI_COMPARE_REDIS is set.
func TestKeyspaceNotifications(t *testing.T) {
	run := func(t *testing.T, c *redis.Client) {
		ctx := ctxT(t)
		if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.ConfigSet(context.Background(), "notify-keyspace-events", "") })
		if got := c.ConfigGet(ctx, "notify-keyspace-events").Val()["notify-keyspace-events"]; got != "AKE" {
			t.Fatalf("CONFIG GET notify-keyspace-events = %q, want AKE", got)
		}
		if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEz?").Err(); err == nil ||
			!strings.Contains(err.Error(), "Invalid event class character") {
			t.Fatalf("bad class accepted: %v", err)
		}
		if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEAn").Err(); err != nil {
			t.Fatal(err)
		}
		db := c.Options().DB
		ps := c.PSubscribe(ctx, fmt.Sprintf("__keyspace@%d__:n:*", db), fmt.Sprintf("__keyevent@%d__:*", db))
		defer ps.Close()
		for range 2 {
			receive(ctx, t, ps) // confirmations
		}
		for _, st := range notifySteps {
			c.Do(ctx, st.cmd...) // errors are part of the table (no event)
			// A PING through the same subscription marks the end of
			// this step's events: nothing after it belongs to the step.
			if err := ps.Ping(ctx, "end"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				m := receive(ctx, t, ps)
				if _, ok := m.(*redis.Pong); ok {
					break
				}
				msg, ok := m.(*redis.Message)
				if !ok {
					t.Fatalf("%v: unexpected %T %v", st.cmd, m, m)
				}
				if strings.HasPrefix(msg.Channel, "__keyspace@") {
					key := msg.Channel[strings.Index(msg.Channel, "__:")+3:]
					got = append(got, "space "+msg.Payload+" "+key)
				} else {
					ev := msg.Channel[strings.Index(msg.Channel, "__:")+3:]
					got = append(got, "event "+ev+" "+msg.Payload)
				}
			}
			var want []string
			for _, e := range st.events {
				want = append(want, "space "+e, "event "+e)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("%v:\n got %q\nwant %q", st.cmd, got, want)
			}
		}
	}
	if addr := os.Getenv("KIWI_COMPARE_REDIS"); addr != "" {
		t.Run("redis", func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: addr, DB: 9})
			defer c.Close()
			c.FlushDB(ctxT(t))
			run(t, c)
		})
	}
	forEachMode(t, func(t *testing.T, p *proc) {
		c := p.Client(t, func(o *redis.Options) { o.DB = 11 })
		c.FlushDB(ctxT(t))
		run(t, c)
	})
}

// TestKeyspaceNotificationsExpired: active expiry publishes "expired" for a
// key nobody touches, and a write that meets an expired key first
// publishes "expired" too.
func TestKeyspaceNotificationsExpired(t *testing.T) {
	forEachMode(t, func(t *testing.T, p *proc) {
		c := p.Client(t, func(o *redis.Options) { o.DB = 12 })
		ctx := ctxT(t)
		if err := c.ConfigSet(ctx, "notify-keyspace-events", "Ex").Err(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.ConfigSet(context.Background(), "notify-keyspace-events", "") })
		ps := c.PSubscribe(ctx, "__keyevent@12__:expired")
		defer ps.Close()
		receive(ctx, t, ps)
		if err := c.Set(ctx, "exp:bg", "v", 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		m, ok := receive(ctx, t, ps).(*redis.Message)
		if !ok || m.Payload != "exp:bg" {
			t.Fatalf("active expiry: got %v", m)
		}
	})
}
