package integration

// Integration tests of Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT)
// against real kiwi processes: replies, errors, atomicity against
// concurrent writers, busy scripts (BUSY, SCRIPT KILL, UNKILLABLE,
// MULTI/EXEC while busy, SHUTDOWN NOSAVE).

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestScriptCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		mustEqual := func(got, want any, what string) {
			t.Helper()
			if !equalReply(got, want) {
				t.Fatalf("%s = %#v, want %#v", what, got, want)
			}
		}
		mustErr := func(err error, prefix, what string) {
			t.Helper()
			if err == nil || !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("%s: error %v, want %q...", what, err, prefix)
			}
		}
		if err := c.Set(ctx, "mykey", "myval", 0).Err(); err != nil {
			t.Fatal(err)
		}
		body := "return redis.call('get',KEYS[1])"
		got, err := c.Eval(ctx, body, []string{"mykey"}).Result()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(got, "myval", "EVAL get")
		sha, err := c.ScriptLoad(ctx, body).Result()
		if err != nil || sha != "fd758d1589d044dd850a6f05d52f2eefd27f033f" {
			t.Fatalf("SCRIPT LOAD = %q, %v", sha, err)
		}
		got, err = c.EvalSha(ctx, strings.ToUpper(sha), []string{"mykey"}).Result()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(got, "myval", "EVALSHA")
		got, err = c.EvalRO(ctx, body, []string{"mykey"}).Result()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(got, "myval", "EVAL_RO")
		exists, err := c.ScriptExists(ctx, sha, "ffd632c7d33e571e9f24556ebed26c3479a87130").Result()
		if err != nil || len(exists) != 2 || !exists[0] || exists[1] {
			t.Fatalf("SCRIPT EXISTS = %v, %v", exists, err)
		}
		got, err = c.Eval(ctx, "return {1, 'two', {3}, true, false, {ok='fine'}, 3.99}", nil).Result()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(got, []any{int64(1), "two", []any{int64(3)}, int64(1), nil, "fine", int64(3)}, "EVAL conversions")

		_, err = c.EvalSha(ctx, "ffd632c7d33e571e9f24556ebed26c3479a87130", nil).Result()
		mustErr(err, "NOSCRIPT No matching script. Please use EVAL.", "EVALSHA unknown")
		_, err = c.Eval(ctx, "return 1", []string{"a", "b"}, "x").Result()
		mustEqual(err, nil, "EVAL 2 keys")
		_, err = c.Do(ctx, "EVAL", "return 1", "3", "a").Result()
		mustErr(err, "ERR Number of keys can't be greater than number of args", "EVAL numkeys > args")
		_, err = c.Do(ctx, "EVAL", "return 1", "-1").Result()
		mustErr(err, "ERR Number of keys can't be negative", "EVAL numkeys < 0")
		_, err = c.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"mykey"}).Result()
		mustErr(err, "ERR value is not an integer or out of range script: ", "EVAL incr of a string")
		_, err = c.EvalRO(ctx, "return redis.call('del', KEYS[1])", []string{"mykey"}).Result()
		mustErr(err, "ERR Write commands are not allowed from read-only scripts.", "EVAL_RO del")
		_, err = c.Eval(ctx, "return a", nil).Result()
		mustErr(err, "ERR user_script:1: Script attempted to access nonexistent global variable 'a'", "EVAL global")

		// A script's SELECT stays in the script; EVAL runs in MULTI.
		got, err = c.Eval(ctx, "redis.call('select', 3) return redis.call('set', 'k', 'db3')", nil).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := c.Exists(ctx, "k").Result(); n != 0 {
			t.Fatal("SELECT in a script changed the caller's database")
		}
		cmds, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"counter"})
			pipe.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"counter"})
			return nil
		})
		if err != nil || cmds[1].(*redis.Cmd).Val() != int64(2) {
			t.Fatalf("EVAL in MULTI: %v %v", cmds, err)
		}

		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		_, err = c.EvalSha(ctx, sha, []string{"mykey"}).Result()
		mustErr(err, "NOSCRIPT", "EVALSHA after SCRIPT FLUSH")
		info, err := c.Info(ctx, "memory").Result()
		if err != nil || !strings.Contains(info, "number_of_cached_scripts:0") {
			t.Fatalf("INFO memory after SCRIPT FLUSH: %v\n%s", err, info)
		}
	})
}

// TestScriptAtomicity: a script's read-modify-write of a key never
// interleaves with other clients' writes to it.
func TestScriptAtomicity(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const workers, rounds = 4, 50
		incr := redis.NewScript("local v = tonumber(redis.call('get', KEYS[1]) or '0') redis.call('set', KEYS[1], v + 1) return v + 1")
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers)
		for w := range 2 * workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := p.Client(t)
				for range rounds {
					var err error
					if w%2 == 0 {
						err = incr.Run(ctx, cl, []string{"n"}).Err()
					} else {
						err = cl.Incr(ctx, "n").Err()
					}
					if err != nil {
						errs <- err
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
		if n, err := c.Get(ctx, "n").Int(); err != nil || n != 2*workers*rounds {
			t.Fatalf("n = %d (%v), want %d: a script interleaved with other writes", n, err, 2*workers*rounds)
		}
	})
}

// busyServer starts a server whose scripts become busy after 50ms, and a
// client with no read timeout to run scripts on.
func busyServer(t *testing.T, mode string) (*proc, *redis.Client, *redis.Client) {
	p := startKiwi(t, "--runtime.mode", mode, "--lua-time-limit", "50")
	runner := p.Client(t, func(o *redis.Options) { o.ReadTimeout = -1 })
	return p, runner, p.Client(t)
}

// waitBusy waits until c's PING is refused with BUSY.
func waitBusy(t *testing.T, c *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no BUSY reply: last PING error %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScriptBusyAndKill(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			_, runner, c := busyServer(t, mode)
			ctx := ctxT(t)
			if err := c.Set(ctx, "xx", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			tx := c.Conn() // a transaction opened before the script
			defer tx.Close()
			if err := tx.Do(ctx, "MULTI").Err(); err != nil {
				t.Fatal(err)
			}
			if err := tx.Do(ctx, "INCR", "xx").Err(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- runner.Eval(context.Background(), "while true do end", nil).Err() }()
			waitBusy(t, c)
			// The network runtime answers at once while the applier is
			// held by the script.
			start := time.Now()
			if err := c.Get(ctx, "xx").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY Redis is busy running a script.") {
				t.Fatalf("GET while busy: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("BUSY reply took %v", d)
			}
			err := tx.Do(ctx, "EXEC").Err()
			if err == nil || err.Error() != "EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." {
				t.Fatalf("EXEC while busy: %v", err)
			}
			// MULTI is allowed while busy; a command queued then is
			// refused and dooms the transaction.
			if err := tx.Do(ctx, "MULTI").Err(); err != nil {
				t.Fatalf("MULTI while busy: %v", err)
			}
			if err := tx.Do(ctx, "INCR", "xx").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
				t.Fatalf("INCR in MULTI while busy: %v", err)
			}
			if err := c.Do(ctx, "FUNCTION", "KILL").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
				t.Fatalf("FUNCTION KILL on an EVAL script: %v", err)
			}
			if err := c.ScriptKill(ctx).Err(); err != nil {
				t.Fatalf("SCRIPT KILL: %v", err)
			}
			if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
				t.Fatalf("killed script's reply: %v", err)
			}
			if err := tx.Do(ctx, "INCR", "xx").Err(); err != nil {
				t.Fatalf("INCR queued after the kill: %v", err)
			}
			if err := tx.Do(ctx, "EXEC").Err(); err == nil || !strings.HasPrefix(err.Error(), "EXECABORT Transaction discarded because of previous errors") {
				t.Fatalf("EXEC after a BUSY refusal: %v", err)
			}
			if v, err := c.Get(ctx, "xx").Result(); err != nil || v != "1" {
				t.Fatalf("xx = %q (%v): a transaction ran in part", v, err)
			}
			if err := c.ScriptKill(ctx).Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
				t.Fatalf("SCRIPT KILL with nothing running: %v", err)
			}
		})
	}
}

func TestScriptUnkillable(t *testing.T) {
	p, runner, c := busyServer(t, "dual")
	ctx := ctxT(t)
	done := make(chan error, 1)
	go func() {
		done <- runner.Eval(context.Background(), "redis.call('set', KEYS[1], 'y') while true do end", []string{"x"}).Err()
	}()
	waitBusy(t, c)
	err := c.ScriptKill(ctx).Err()
	want := "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	if err == nil || err.Error() != want {
		t.Fatalf("SCRIPT KILL after a write: %v", err)
	}
	if err := c.Shutdown(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Fatalf("SHUTDOWN (saving) while busy: %v", err)
	}
	// SHUTDOWN NOSAVE stops the server, script included.
	err = c.ShutdownNoSave(ctx).Err()
	if err != nil && !errors.Is(err, redis.ErrClosed) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("SHUTDOWN NOSAVE: %v", err)
	}
	if exited, _ := p.Exited(30 * time.Second); !exited {
		t.Fatal("kiwi still runs after SHUTDOWN NOSAVE")
	}
	<-done
}
