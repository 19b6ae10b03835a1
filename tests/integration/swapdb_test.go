package integration

// SWAPDB against real kiwi processes: contents and TTLs move with the
// database, counters follow, the swap survives a restart and a crash,
// WATCH sees it, and blocked clients are served by it.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// dbClient returns a client of p on database db.
func dbClient(t *testing.T, p *proc, db int) *redis.Client {
	return p.Client(t, func(o *redis.Options) { o.DB = db })
}

// fillSwapDBs stores different keys in databases 0 and 1.
func fillSwapDBs(t *testing.T, c0, c1 *redis.Client) {
	t.Helper()
	ctx := ctxT(t)
	for _, err := range []error{
		c0.Set(ctx, "a", "zero", 100*time.Second).Err(),
		c0.RPush(ctx, "l", "x", "y").Err(),
		c0.HSet(ctx, "big", "f", strings.Repeat("v", 10000)).Err(),
		c1.Set(ctx, "a", "one", 0).Err(),
		c1.Set(ctx, "b", "only1", 0).Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkSwapped checks the contents fillSwapDBs stored, swapped when
// swapped is set.
func checkSwapped(t *testing.T, c0, c1 *redis.Client, swapped bool) {
	t.Helper()
	ctx := ctxT(t)
	if swapped {
		c0, c1 = c1, c0
	}
	if v := c0.Get(ctx, "a").Val(); v != "zero" {
		t.Errorf("a = %q, want zero", v)
	}
	if ttl := c0.TTL(ctx, "a").Val(); ttl <= 0 || ttl > 100*time.Second {
		t.Errorf("TTL a = %v", ttl)
	}
	if v := c0.LRange(ctx, "l", 0, -1).Val(); strings.Join(v, ",") != "x,y" {
		t.Errorf("l = %v", v)
	}
	if n := c0.HStrLen(ctx, "big", "f").Val(); n != 10000 {
		t.Errorf("big f of %d bytes", n)
	}
	if n := c0.DBSize(ctx).Val(); n != 3 {
		t.Errorf("DBSIZE = %d, want 3", n)
	}
	if v := c1.Get(ctx, "a").Val(); v != "one" {
		t.Errorf("other a = %q, want one", v)
	}
	if ttl := c1.TTL(ctx, "a").Val(); ttl != -1 {
		t.Errorf("other TTL a = %v", ttl)
	}
	if n := c1.DBSize(ctx).Val(); n != 2 {
		t.Errorf("other DBSIZE = %d, want 2", n)
	}
}

func TestSwapDB(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		c1 := dbClient(t, p, 1)
		fillSwapDBs(t, c, c1)
		if err := c.Do(ctx, "SWAPDB", "0", "1").Err(); err != nil {
			t.Fatal(err)
		}
		checkSwapped(t, c, c1, true)
		info := c.Info(ctx, "keyspace").Val()
		if !strings.Contains(info, "db0:keys=2,expires=0,") || !strings.Contains(info, "db1:keys=3,expires=1,") {
			t.Errorf("INFO keyspace:\n%s", info)
		}
		// Writes land in the swapped database; KEYS and SCAN see it.
		if err := c.Set(ctx, "c", "new", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if keys := c.Keys(ctx, "*").Val(); len(keys) != 3 {
			t.Errorf("KEYS db 0 = %v", keys)
		}
		if keys, _ := c1.Scan(ctx, 0, "*", 100).Val(); len(keys) != 3 {
			t.Errorf("SCAN db 1 = %v", keys)
		}
		if err := c.Do(ctx, "SWAPDB", "1", "0").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Del(ctx, "c").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c1.Del(ctx, "c").Err(); err != nil {
			t.Fatal(err)
		}
		checkSwapped(t, c, c1, false)

		for args, want := range map[[2]string]string{
			{"0", "16"}: "ERR DB index is out of range",
			{"x", "0"}:  "ERR invalid first DB index",
			{"0", "x"}:  "ERR invalid second DB index",
		} {
			err := c.Do(ctx, "SWAPDB", args[0], args[1]).Err()
			if err == nil || err.Error() != want {
				t.Errorf("SWAPDB %s %s: %v, want %s", args[0], args[1], err, want)
			}
		}
	})
}

// TestSwapDBDurable: the swap is committed with the data, so it survives
// a restart and a crash, and swapping back restores the identity.
func TestSwapDBDurable(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng, func(t *testing.T) {
			p := startKiwi(t, "--storage.engine", eng)
			ctx := ctxT(t)
			fillSwapDBs(t, dbClient(t, p, 0), dbClient(t, p, 1))
			if err := p.Client(t).Do(ctx, "SWAPDB", "0", "1").Err(); err != nil {
				t.Fatal(err)
			}
			p.Restart()
			checkSwapped(t, dbClient(t, p, 0), dbClient(t, p, 1), true)
			if err := p.Client(t).Do(ctx, "SWAPDB", "1", "0").Err(); err != nil {
				t.Fatal(err)
			}
			p.Kill()
			p.Restart()
			checkSwapped(t, dbClient(t, p, 0), dbClient(t, p, 1), false)
		})
	}
}

// TestSwapDBWatch: a watched key that exists in either database is
// modified by the swap; one that exists in neither is not; WATCH keeps
// the database a key was watched in.
func TestSwapDBWatch(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		c1 := dbClient(t, p, 1)
		conn := c.Conn()
		defer conn.Close()
		execAfterSwap := func(key string) (any, error) {
			t.Helper()
			for _, args := range [][]any{{"WATCH", key}} {
				if err := conn.Do(ctx, args...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := other.Do(ctx, "SWAPDB", "0", "1").Err(); err != nil {
				t.Fatal(err)
			}
			if err := conn.Do(ctx, "MULTI").Err(); err != nil {
				t.Fatal(err)
			}
			if err := conn.Do(ctx, "PING").Err(); err != nil {
				t.Fatal(err)
			}
			return conn.Do(ctx, "EXEC").Result()
		}
		if err := c.Set(ctx, "x", "30", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if res, err := execAfterSwap("x"); !errors.Is(err, redis.Nil) {
			t.Errorf("key that existed: EXEC = %v, %v; want a null reply", res, err)
		}
		// x is in db 1 now: watched in db 0, where it is missing, and
		// the swap brings it back.
		if res, err := execAfterSwap("x"); !errors.Is(err, redis.Nil) {
			t.Errorf("key that did not exist: EXEC = %v, %v; want a null reply", res, err)
		}
		if res, err := execAfterSwap("nokey"); err != nil || !equalReply(res, []any{"PONG"}) {
			t.Errorf("key in neither database: EXEC = %v, %v; want [PONG]", res, err)
		}
		// A key watched in db 5 is not touched by writes to db 1.
		c5 := dbClient(t, p, 5)
		conn5 := c5.Conn()
		defer conn5.Close()
		if err := conn5.Do(ctx, "WATCH", "x").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c1.Set(ctx, "x", "10", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := conn5.Do(ctx, "MULTI").Err(); err != nil {
			t.Fatal(err)
		}
		if err := conn5.Do(ctx, "PING").Err(); err != nil {
			t.Fatal(err)
		}
		if res, err := conn5.Do(ctx, "EXEC").Result(); err != nil || !equalReply(res, []any{"PONG"}) {
			t.Errorf("db 5: EXEC = %v, %v; want [PONG]", res, err)
		}
	})
}

// TestSwapDBWakesBlocked: a client blocked on a key of a swapped database
// is served when the key holds data after the swap.
func TestSwapDBWakesBlocked(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		c1 := dbClient(t, p, 1)
		c9 := dbClient(t, p, 9)
		if err := c1.RPush(ctx, "k", "hello").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c1.Set(ctx, "s", "string", 0).Err(); err != nil {
			t.Fatal(err)
		}
		res := make(chan string, 2)
		for _, key := range []string{"k", "s"} {
			go func() {
				got, err := c9.BRPop(ctx, 10*time.Second, key).Result()
				res <- strings.Join(got, " ") + errString(err)
			}()
		}
		waitBlocked(t, c, 2)
		if err := c.Do(ctx, "SWAPDB", "1", "9").Err(); err != nil {
			t.Fatal(err)
		}
		if got := <-res; got != "k hello" {
			t.Errorf("BRPOP k = %q", got)
		}
		// The string does not serve the client blocked on s.
		waitBlocked(t, c, 1)
		if err := c9.Del(ctx, "s").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c9.RPush(ctx, "s", "list now").Err(); err != nil {
			t.Fatal(err)
		}
		if got := <-res; got != "s list now" {
			t.Errorf("BRPOP s = %q", got)
		}
		if n := c1.Exists(ctx, "k").Val(); n != 0 {
			t.Errorf("k still in db 1")
		}
	})
}
