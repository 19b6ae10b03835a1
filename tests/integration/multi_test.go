package integration

// Integration tests of MULTI/EXEC/DISCARD/WATCH/UNWATCH against real kiwi
// processes, on every engine and runtime mode.

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMultiExec(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		// Replies of queued commands, network commands and SELECT
		// included, come back as one array.
		conn := c.Conn()
		defer conn.Close()
		do := func(args ...any) (any, error) { return conn.Do(ctx, args...).Result() }
		mustDo := func(want any, args ...any) {
			t.Helper()
			got, err := do(args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if !equalReply(got, want) {
				t.Fatalf("%v = %#v, want %#v", args, got, want)
			}
		}
		mustErr := func(want string, args ...any) {
			t.Helper()
			_, err := do(args...)
			if err == nil || err.Error() != want {
				t.Fatalf("%v: error %v, want %q", args, err, want)
			}
		}
		mustDo("OK", "MULTI")
		mustDo("QUEUED", "SET", "a", "1")
		mustDo("QUEUED", "INCR", "a")
		mustDo("QUEUED", "PING")
		mustDo("QUEUED", "HSET", "a", "f", "v") // fails at run time alone
		mustDo("QUEUED", "SELECT", "1")
		mustDo("QUEUED", "SET", "a", "db1")
		mustDo("QUEUED", "GET", "a")
		res, err := do("EXEC")
		if err != nil {
			t.Fatalf("EXEC: %v", err)
		}
		arr, ok := res.([]any)
		if !ok || len(arr) != 7 {
			t.Fatalf("EXEC = %#v", res)
		}
		if arr[0] != "OK" || arr[1] != int64(2) || arr[2] != "PONG" || arr[4] != "OK" || arr[5] != "OK" || arr[6] != "db1" {
			t.Fatalf("EXEC = %#v", arr)
		}
		if e, ok := arr[3].(error); !ok || e.Error() != "WRONGTYPE Operation against a key holding the wrong kind of value" {
			t.Fatalf("EXEC[3] = %#v", arr[3])
		}
		// The SELECT stays in effect after EXEC, as in Redis.
		mustDo("db1", "GET", "a")
		mustDo("OK", "SELECT", "0")
		mustDo("2", "GET", "a")

		// Errors while queueing abort the whole transaction.
		mustDo("OK", "MULTI")
		mustDo("QUEUED", "SET", "b", "1")
		mustErr("ERR unknown command 'NOSUCH', with args beginning with: ", "NOSUCH")
		mustErr("ERR wrong number of arguments for 'get' command", "GET")
		mustErr("EXECABORT Transaction discarded because of previous errors.", "EXEC")
		mustDo(int64(0), "EXISTS", "b")

		// Control commands.
		mustErr("ERR EXEC without MULTI", "EXEC")
		mustErr("ERR DISCARD without MULTI", "DISCARD")
		mustDo("OK", "MULTI")
		mustErr("ERR MULTI calls can not be nested", "MULTI")
		mustErr("ERR WATCH inside MULTI is not allowed", "WATCH", "x")
		mustDo("QUEUED", "SET", "b", "1")
		mustDo("OK", "DISCARD")
		mustDo(int64(0), "EXISTS", "b")
		mustDo("OK", "MULTI")
		mustErr("ERR Command not allowed inside a transaction", "SHUTDOWN")
		mustErr("EXECABORT Transaction discarded because of previous errors.", "EXEC")
		// An empty transaction.
		mustDo("OK", "MULTI")
		mustDo([]any{}, "EXEC")
	})
}

func TestWatch(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		conn := c.Conn()
		defer conn.Close()
		execAfter := func(watch []string, between func()) (any, error) {
			t.Helper()
			args := []any{"WATCH"}
			for _, k := range watch {
				args = append(args, k)
			}
			if err := conn.Do(ctx, args...).Err(); err != nil {
				t.Fatal(err)
			}
			between()
			if err := conn.Do(ctx, "MULTI").Err(); err != nil {
				t.Fatal(err)
			}
			if err := conn.Do(ctx, "SET", "result", "done").Err(); err != nil {
				t.Fatal(err)
			}
			return conn.Do(ctx, "EXEC").Result()
		}
		aborted := func(name string, res any, err error) {
			t.Helper()
			if !errors.Is(err, redis.Nil) {
				t.Fatalf("%s: EXEC = %#v, %v; want a null reply", name, res, err)
			}
		}
		ran := func(name string, res any, err error) {
			t.Helper()
			if err != nil || !equalReply(res, []any{"OK"}) {
				t.Fatalf("%s: EXEC = %#v, %v; want [OK]", name, res, err)
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}

		res, err := execAfter([]string{"k"}, func() { must(other.Set(ctx, "k", "x", 0).Err()) })
		aborted("other client SET", res, err)
		res, err = execAfter([]string{"k"}, func() { must(other.Set(ctx, "unrelated", "x", 0).Err()) })
		ran("unrelated key", res, err)
		res, err = execAfter([]string{"k"}, func() { must(conn.Do(ctx, "SET", "k", "mine").Err()) })
		aborted("own SET before MULTI", res, err)
		res, err = execAfter([]string{"h"}, func() { must(other.HSet(ctx, "h", "f", "v").Err()) })
		aborted("HSET", res, err)
		res, err = execAfter([]string{"h"}, func() { must(other.HSet(ctx, "h", "f", "v2").Err()) })
		aborted("HSET of an existing field", res, err)
		res, err = execAfter([]string{"s"}, func() { must(other.SAdd(ctx, "t", "m").Err()) })
		ran("other set", res, err)
		res, err = execAfter([]string{"k"}, func() { must(other.SetNX(ctx, "k", "y", 0).Err()) })
		ran("SETNX that wrote nothing", res, err)
		res, err = execAfter([]string{"nokey"}, func() { must(other.Del(ctx, "nokey").Err()) })
		ran("DEL of a missing key", res, err)
		res, err = execAfter([]string{"k"}, func() { must(other.Do(ctx, "SELECT", "0").Err()); must(other.Del(ctx, "k").Err()) })
		aborted("DEL", res, err)
		res, err = execAfter([]string{"k", "k2"}, func() { must(other.Set(ctx, "k2", "x", 0).Err()) })
		aborted("second watched key", res, err)
		// A key watched in another database is another key.
		db1 := p.Client(t, func(o *redis.Options) { o.DB = 1 })
		res, err = execAfter([]string{"k"}, func() { must(db1.Set(ctx, "k", "x", 0).Err()) })
		ran("same name in db 1", res, err)
		// FLUSHDB touches the watched keys that exist.
		must(other.Set(ctx, "k", "x", 0).Err())
		res, err = execAfter([]string{"k"}, func() { must(other.FlushDB(ctx).Err()) })
		aborted("FLUSHDB", res, err)
		res, err = execAfter([]string{"nokey"}, func() { must(other.FlushAll(ctx).Err()) })
		ran("FLUSHALL of a missing watched key", res, err)
		// A watched key that expires before EXEC counts as modified.
		must(other.Set(ctx, "exp", "v", 100*time.Millisecond).Err())
		res, err = execAfter([]string{"exp"}, func() {
			for other.Exists(ctx, "exp").Val() != 0 {
				if ctx.Err() != nil {
					t.Fatal("key never expired")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		aborted("expired watched key", res, err)

		// UNWATCH forgets; EXEC and DISCARD unwatch.
		emptyExec := func(name string) {
			t.Helper()
			must(conn.Do(ctx, "MULTI").Err())
			res, err := conn.Do(ctx, "EXEC").Result()
			if err != nil || !equalReply(res, []any{}) {
				t.Fatalf("%s: EXEC = %#v, %v; want []", name, res, err)
			}
		}
		must(conn.Do(ctx, "WATCH", "k").Err())
		must(conn.Do(ctx, "UNWATCH").Err())
		must(other.Set(ctx, "k", "x", 0).Err())
		emptyExec("after UNWATCH")
		must(conn.Do(ctx, "WATCH", "k").Err())
		emptyExec("watching k")
		must(other.Set(ctx, "k", "y", 0).Err())
		emptyExec("after an EXEC")
		must(conn.Do(ctx, "WATCH", "k").Err())
		must(conn.Do(ctx, "MULTI").Err())
		must(conn.Do(ctx, "DISCARD").Err())
		must(other.Set(ctx, "k", "z", 0).Err())
		emptyExec("after DISCARD")
		if err := conn.Do(ctx, "WATCH").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'watch' command" {
			t.Fatalf("WATCH without keys: %v", err)
		}
	})
}

// TestWatchOptimisticLocking runs the classic check-and-set loop from
// several clients at once: every increment done through WATCH/MULTI/EXEC
// must be counted exactly once.
func TestWatchOptimisticLocking(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const clients, perClient = 6, 40
		var wg sync.WaitGroup
		var aborts atomic.Int64
		errs := make(chan error, clients)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := p.Client(t)
				for done := 0; done < perClient; {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						v, err := tx.Get(ctx, "counter").Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
							pipe.Set(ctx, "counter", strconv.Itoa(v+1), 0)
							return nil
						})
						return err
					}, "counter")
					switch {
					case err == nil:
						done++
					case errors.Is(err, redis.TxFailedErr):
						aborts.Add(1)
					default:
						errs <- err
						return
					}
					if ctx.Err() != nil {
						errs <- ctx.Err()
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, "counter").Int()
		if err != nil || got != clients*perClient {
			t.Fatalf("counter = %d, %v; want %d (%d aborts)", got, err, clients*perClient, aborts.Load())
		}
	})
}

// TestExecIsAtomic checks that no other client's command runs between the
// commands of a transaction: a reader never sees the two keys a
// transaction sets together disagree.
func TestExecIsAtomic(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx, cancel := context.WithCancel(ctxT(t))
		defer cancel()
		writer := p.Client(t)
		var bad atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := p.Client(t)
			for ctx.Err() == nil {
				// Read both keys in one MULTI: a consistent view.
				cmds, err := r.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Get(ctx, "x")
					pipe.Get(ctx, "y")
					return nil
				})
				if err != nil && !errors.Is(err, redis.Nil) {
					return
				}
				if len(cmds) == 2 && cmds[0].(*redis.StringCmd).Val() != cmds[1].(*redis.StringCmd).Val() {
					bad.Add(1)
				}
			}
		}()
		for i := range 200 {
			_, err := writer.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, "x", i, 0)
				pipe.Set(ctx, "y", i, 0)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		wg.Wait()
		if n := bad.Load(); n > 0 {
			t.Fatalf("%d reads saw x != y", n)
		}
	})
}

// equalReply compares a go-redis Do result with an expected value: strings,
// int64s and []any of those (an empty array equals a nil one).
func equalReply(got, want any) bool {
	ga, gok := got.([]any)
	wa, wok := want.([]any)
	if gok || wok {
		if !gok || !wok || len(ga) != len(wa) {
			return gok == wok && len(ga) == 0 && len(wa) == 0
		}
		for i := range ga {
			if !equalReply(ga[i], wa[i]) {
				return false
			}
		}
		return true
	}
	return got == want
}
