package integration

// Integration tests of streams against real kiwi processes through
// go-redis: entries, ranges and trimming; XREAD and XREADGROUP blocking
// and woken by other clients; consumer groups (PEL, acknowledgements,
// claims); concurrent producers and consumers; durability across a
// restart.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// streamIDs returns the IDs of msgs.
func streamIDs(msgs []redis.XMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func TestStreamEntries(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		var ids []string
		for i := 0; i < 5; i++ {
			id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"n", fmt.Sprint(i)}}).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) > 0 && id <= ids[len(ids)-1] && len(id) == len(ids[len(ids)-1]) {
				t.Fatalf("generated ID %s not after %s", id, ids[len(ids)-1])
			}
			ids = append(ids, id)
		}
		if n := c.XLen(ctx, "s").Val(); n != 5 {
			t.Fatalf("XLEN = %d", n)
		}
		msgs, err := c.XRange(ctx, "s", "-", "+").Result()
		if err != nil || !reflect.DeepEqual(streamIDs(msgs), ids) || msgs[2].Values["n"] != "2" {
			t.Fatalf("XRANGE = %v, %v", msgs, err)
		}
		msgs, err = c.XRevRangeN(ctx, "s", "+", "-", 2).Result()
		if err != nil || !reflect.DeepEqual(streamIDs(msgs), []string{ids[4], ids[3]}) {
			t.Fatalf("XREVRANGE COUNT 2 = %v, %v", msgs, err)
		}
		msgs, err = c.XRange(ctx, "s", "("+ids[1], ids[3]).Result()
		if err != nil || !reflect.DeepEqual(streamIDs(msgs), ids[2:4]) {
			t.Fatalf("XRANGE exclusive = %v, %v", msgs, err)
		}
		if n := c.XDel(ctx, "s", ids[0], ids[0], "9-9").Val(); n != 1 {
			t.Fatalf("XDEL = %d", n)
		}
		if n := c.XTrimMaxLen(ctx, "s", 2).Val(); n != 2 {
			t.Fatalf("XTRIM MAXLEN 2 = %d", n)
		}
		info, err := c.XInfoStream(ctx, "s").Result()
		if err != nil || info.Length != 2 || info.FirstEntry.ID != ids[3] || info.LastEntry.ID != ids[4] ||
			info.LastGeneratedID != ids[4] || info.MaxDeletedEntryID != ids[0] || info.EntriesAdded != 5 {
			t.Fatalf("XINFO STREAM = %+v, %v", info, err)
		}
		// Explicit IDs, their errors, NOMKSTREAM and the type checks.
		if id := c.XAdd(ctx, &redis.XAddArgs{Stream: "e", ID: "5-*", Values: []string{"a", "b"}}).Val(); id != "5-0" {
			t.Fatalf("XADD 5-* = %q", id)
		}
		err = c.XAdd(ctx, &redis.XAddArgs{Stream: "e", ID: "5-0", Values: []string{"a", "b"}}).Err()
		if err == nil || !strings.Contains(err.Error(), "equal or smaller than the target stream top item") {
			t.Fatalf("XADD of an old ID: %v", err)
		}
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "none", NoMkStream: true, Values: []string{"a", "b"}}).Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("XADD NOMKSTREAM: %v", err)
		}
		c.Set(ctx, "str", "v", 0)
		if err := c.XLen(ctx, "str").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("XLEN of a string: %v", err)
		}
		if typ := c.Type(ctx, "s").Val(); typ != "stream" {
			t.Fatalf("TYPE = %q", typ)
		}
		// Approximate trimming as Redis's nodes do it: 100-entry nodes.
		for i := 0; i < 1000; i++ {
			c.XAdd(ctx, &redis.XAddArgs{Stream: "big", MaxLen: 555, Approx: true, Values: []string{"xitem", fmt.Sprint(i)}})
		}
		if n := c.XLen(ctx, "big").Val(); n != 600 {
			t.Fatalf("XADD MAXLEN ~ 555 left %d entries, want 600 (as Redis)", n)
		}
		// COPY, RENAME, EXPIRE and DEL treat a stream as any value.
		if err := c.Copy(ctx, "s", "s2", 0, false).Err(); err != nil {
			t.Fatal(err)
		}
		c.Rename(ctx, "s2", "s3")
		if msgs := c.XRange(ctx, "s3", "-", "+").Val(); !reflect.DeepEqual(streamIDs(msgs), ids[3:]) {
			t.Fatalf("copied and renamed stream: %v", msgs)
		}
		c.PExpire(ctx, "s3", 20*time.Millisecond)
		for c.Exists(ctx, "s3").Val() != 0 {
			if ctx.Err() != nil {
				t.Fatal("expired stream still exists")
			}
		}
		if n := c.Del(ctx, "big").Val(); n != 1 {
			t.Fatal("DEL big")
		}
	})
}

func TestStreamBlockingRead(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"old", "x"}})

		// XREAD BLOCK 0 with $: woken by another client's XADD, and
		// served only what came after it blocked.
		res := make(chan []redis.XStream, 1)
		go func() {
			got, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"nokey", "s", "$", "$"}, Block: 0}).Result()
			if err != nil {
				t.Errorf("XREAD BLOCK: %v", err)
			}
			res <- got
		}()
		waitBlocked(t, other, 1)
		other.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"new", "y"}})
		got := <-res
		if len(got) != 1 || got[0].Stream != "s" || !reflect.DeepEqual(streamIDs(got[0].Messages), []string{"2-1"}) {
			t.Fatalf("woken XREAD = %+v", got)
		}
		waitBlocked(t, other, 0)

		// A blocked XREAD is not woken by a write that leaves nothing
		// new, and times out with a null reply.
		start := time.Now()
		errc := make(chan error, 1)
		go func() {
			errc <- c.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 300 * time.Millisecond}).Err()
		}()
		waitBlocked(t, other, 1)
		other.XDel(ctx, "s", "1-1")
		if err := <-errc; !errors.Is(err, redis.Nil) || time.Since(start) < 300*time.Millisecond {
			t.Fatalf("XREAD BLOCK 300: %v after %v", err, time.Since(start))
		}

		// XREADGROUP BLOCK, woken by XADD.
		if err := c.XGroupCreateMkStream(ctx, "q", "g", "$").Err(); err != nil {
			t.Fatal(err)
		}
		gres := make(chan []redis.XStream, 1)
		go func() {
			got, _ := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "alice", Streams: []string{"q", ">"}, Block: 0}).Result()
			gres <- got
		}()
		waitBlocked(t, other, 1)
		other.XAdd(ctx, &redis.XAddArgs{Stream: "q", ID: "1-0", Values: []string{"job", "1"}})
		if got := <-gres; len(got) != 1 || !reflect.DeepEqual(streamIDs(got[0].Messages), []string{"1-0"}) {
			t.Fatalf("woken XREADGROUP = %+v", got)
		}
		if pe := other.XPending(ctx, "q", "g").Val(); pe == nil || pe.Count != 1 || pe.Consumers["alice"] != 1 {
			t.Fatalf("XPENDING after the woken read = %+v", pe)
		}

		// XGROUP DESTROY and DEL answer the blocked XREADGROUP with
		// Redis's errors.
		for _, c2 := range []struct {
			kill func()
			want string
		}{
			{func() { other.XGroupDestroy(ctx, "q", "g") }, "NOGROUP the consumer group this client was blocked on no longer exists"},
			{func() { other.Del(ctx, "q") }, "UNBLOCKED the stream key no longer exists"},
		} {
			other.XGroupCreateMkStream(ctx, "q", "g", "$")
			errc = make(chan error, 1)
			go func() {
				errc <- c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "bob", Streams: []string{"q", ">"}, Block: 0}).Err()
			}()
			waitBlocked(t, other, 1)
			c2.kill()
			if err := <-errc; err == nil || err.Error() != c2.want {
				t.Fatalf("blocked XREADGROUP: %v, want %q", err, c2.want)
			}
			waitBlocked(t, other, 0)
		}

		// Inside MULTI a blocking read answers at once.
		cmds, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.XRead(ctx, &redis.XReadArgs{Streams: []string{"empty", "$"}, Block: 0})
			return nil
		})
		if !errors.Is(err, redis.Nil) || len(cmds) != 1 || !errors.Is(cmds[0].Err(), redis.Nil) {
			t.Fatalf("XREAD BLOCK in MULTI: %v %v", cmds, err)
		}
	})
}

func TestStreamConsumerGroups(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		for i := 1; i <= 6; i++ {
			c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-0", i), Values: []string{"n", fmt.Sprint(i)}})
		}
		if err := c.XGroupCreate(ctx, "s", "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.XGroupCreate(ctx, "s", "g", "0").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			t.Fatalf("duplicate group: %v", err)
		}
		read := func(consumer, id string, count int64) []string {
			t.Helper()
			got, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: consumer, Streams: []string{"s", id}, Count: count, Block: -1}).Result()
			if errors.Is(err, redis.Nil) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			return streamIDs(got[0].Messages)
		}
		if got := read("alice", ">", 2); !reflect.DeepEqual(got, []string{"1-0", "2-0"}) {
			t.Fatalf("alice > = %v", got)
		}
		if got := read("bob", ">", 3); !reflect.DeepEqual(got, []string{"3-0", "4-0", "5-0"}) {
			t.Fatalf("bob > = %v", got)
		}
		if got := read("alice", "0", 0); !reflect.DeepEqual(got, []string{"1-0", "2-0"}) {
			t.Fatalf("alice history = %v", got)
		}
		pe, err := c.XPending(ctx, "s", "g").Result()
		if err != nil || pe.Count != 5 || pe.Lower != "1-0" || pe.Higher != "5-0" || pe.Consumers["alice"] != 2 || pe.Consumers["bob"] != 3 {
			t.Fatalf("XPENDING = %+v, %v", pe, err)
		}
		ext, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 10, Consumer: "alice"}).Result()
		if err != nil || len(ext) != 2 || ext[0].ID != "1-0" || ext[0].RetryCount != 2 || ext[1].Consumer != "alice" {
			t.Fatalf("XPENDING alice = %+v, %v", ext, err)
		}
		if n := c.XAck(ctx, "s", "g", "1-0", "3-0", "9-0").Val(); n != 2 {
			t.Fatalf("XACK = %d", n)
		}
		// XCLAIM: min idle not reached, then claimed.
		if got := c.XClaimJustID(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "carol", MinIdle: time.Hour, Messages: []string{"2-0"}}).Val(); len(got) != 0 {
			t.Fatalf("XCLAIM before min idle = %v", got)
		}
		claimed, err := c.XClaim(ctx, &redis.XClaimArgs{Stream: "s", Group: "g", Consumer: "carol", Messages: []string{"2-0", "4-0"}}).Result()
		if err != nil || !reflect.DeepEqual(streamIDs(claimed), []string{"2-0", "4-0"}) || claimed[1].Values["n"] != "4" {
			t.Fatalf("XCLAIM = %v, %v", claimed, err)
		}
		// XAUTOCLAIM walks the PEL; a deleted entry leaves it.
		c.XDel(ctx, "s", "5-0")
		msgs, next, err := c.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "dave", Start: "0", Count: 10}).Result()
		if err != nil || next != "0-0" || !reflect.DeepEqual(streamIDs(msgs), []string{"2-0", "4-0"}) {
			t.Fatalf("XAUTOCLAIM = %v %q, %v", msgs, next, err)
		}
		groups, err := c.XInfoGroups(ctx, "s").Result()
		if err != nil || len(groups) != 1 || groups[0].Pending != 2 || groups[0].Consumers != 4 || groups[0].LastDeliveredID != "5-0" {
			t.Fatalf("XINFO GROUPS = %+v, %v", groups, err)
		}
		cons, err := c.XInfoConsumers(ctx, "s", "g").Result()
		if err != nil || len(cons) != 4 || cons[3].Name != "dave" || cons[3].Pending != 2 || cons[0].Pending != 0 {
			t.Fatalf("XINFO CONSUMERS = %+v, %v", cons, err)
		}
		if n := c.XGroupDelConsumer(ctx, "s", "g", "dave").Val(); n != 2 {
			t.Fatalf("XGROUP DELCONSUMER = %d", n)
		}
		if pe := c.XPending(ctx, "s", "g").Val(); pe.Count != 0 {
			t.Fatalf("XPENDING after DELCONSUMER = %+v", pe)
		}
		if got := read("erin", ">", 0); !reflect.DeepEqual(got, []string{"6-0"}) {
			t.Fatalf("erin > = %v", got)
		}
	})
}

// TestStreamConcurrentConsumers: producers add entries while consumers of
// one group read, acknowledge and claim: every entry is delivered and
// acknowledged exactly once, and nothing stays pending.
func TestStreamConcurrentConsumers(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const producers, per, consumers = 3, 100, 3
		if err := c.XGroupCreateMkStream(ctx, "jobs", "g", "$").Err(); err != nil {
			t.Fatal(err)
		}
		pool := p.Client(t, func(o *redis.Options) { o.PoolSize = producers + consumers })
		var wg sync.WaitGroup
		for w := 0; w < producers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					if err := pool.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", Values: []string{"job", fmt.Sprintf("%d/%d", w, i)}}).Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		var mu sync.Mutex
		seen := map[string]int{}
		done := make(chan struct{})
		var cwg sync.WaitGroup
		for w := 0; w < consumers; w++ {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				name := fmt.Sprint("c", w)
				for {
					got, err := pool.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"jobs", ">"},
						Count: 7, Block: 20 * time.Millisecond}).Result()
					if err != nil && !errors.Is(err, redis.Nil) {
						t.Error(err)
						return
					}
					for _, s := range got {
						for _, m := range s.Messages {
							mu.Lock()
							seen[m.Values["job"].(string)]++
							mu.Unlock()
							if err := pool.XAck(ctx, "jobs", "g", m.ID).Err(); err != nil {
								t.Error(err)
							}
						}
					}
					if len(got) == 0 {
						select {
						case <-done:
							return
						default:
						}
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		cwg.Wait()
		if len(seen) != producers*per {
			t.Fatalf("%d distinct jobs delivered, want %d", len(seen), producers*per)
		}
		for job, n := range seen {
			if n != 1 {
				t.Fatalf("job %s delivered %d times", job, n)
			}
		}
		if pe := c.XPending(ctx, "jobs", "g").Val(); pe.Count != 0 {
			t.Fatalf("pending after all acks: %+v", pe)
		}
		if n := c.XLen(ctx, "jobs").Val(); n != producers*per {
			t.Fatalf("XLEN = %d", n)
		}
	})
}

// TestStreamDurability: a stream with groups, consumers and pending
// entries is the same after a restart (XINFO STREAM FULL, delivery times
// included), and after kill -9 keeps every acknowledged XADD.
func TestStreamDurability(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng, func(t *testing.T) {
			p := startKiwi(t, "--storage.engine", eng, "--storage.sync", "yes")
			ctx := ctxT(t)
			c := p.Client(t)
			for i := 1; i <= 120; i++ {
				c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-1", i), Values: []string{"n", fmt.Sprint(i)}})
			}
			c.XDel(ctx, "s", "7-1")
			c.XTrimMaxLenApprox(ctx, "s", 10, 0)
			c.XGroupCreate(ctx, "s", "g1", "0")
			c.XGroupCreate(ctx, "s", "g2", "$")
			c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "a", Streams: []string{"s", ">"}, Count: 3, Block: -1})
			c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "b", Streams: []string{"s", ">"}, Count: 2, Block: -1})
			c.XAck(ctx, "s", "g1", "102-1")
			c.XGroupCreateConsumer(ctx, "s", "g2", "idle")
			full := func() string {
				t.Helper()
				info, err := c.XInfoStreamFull(ctx, "s", 0).Result()
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprintf("%+v", *info)
			}
			before := full()
			if !strings.Contains(before, "Length:20") {
				t.Fatalf("before restart: %s", before)
			}
			p.Restart()
			c = p.Client(t)
			if after := full(); after != before {
				t.Fatalf("after restart:\n%s\nbefore:\n%s", after, before)
			}
			// Acknowledged XADDs survive kill -9.
			var acked []string
			for i := 0; i < 50; i++ {
				id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "k", Values: []string{"i", fmt.Sprint(i)}}).Result()
				if err != nil {
					t.Fatal(err)
				}
				acked = append(acked, id)
			}
			p.Kill()
			p.Restart()
			c = p.Client(t)
			got := streamIDs(c.XRange(ctx, "k", "-", "+").Val())
			if !reflect.DeepEqual(got, acked) {
				t.Fatalf("after kill -9: %d entries, want the %d acknowledged", len(got), len(acked))
			}
		})
	}
}
