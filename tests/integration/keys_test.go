package integration

// Integration tests of the generic key commands (DEL … SCAN, FLUSHDB,
// DBSIZE), expiry (lazy and active), the key counters of DBSIZE and INFO
// keyspace, and persistence of every command family over a restart.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var keyGroups = []stepGroup{
	{"del-unlink-exists-type-touch", []step{
		{"MSET a 1 b 2 c 3", "OK"},
		{"EXISTS a", 1},
		{"EXISTS a a b missing", 3},
		{"TOUCH a b missing a", 3},
		{"TOUCH missing", 0},
		{"TYPE a", "string"},
		{"TYPE missing", "none"},
		{"DEL a missing", 1},
		{"DEL a", 0},
		{"DEL b b", 1},
		{"UNLINK c missing", 1},
		{"UNLINK c", 0},
		{"EXISTS a b c", 0},
		{"DBSIZE", 0},
		{"DEL", errReply("ERR wrong number of arguments for 'del' command")},
		{"UNLINK", errReply("ERR wrong number of arguments for 'unlink' command")},
		{"EXISTS", errReply("ERR wrong number of arguments for 'exists' command")},
		{"TOUCH", errReply("ERR wrong number of arguments for 'touch' command")},
		{"TYPE", errReply("ERR wrong number of arguments for 'type' command")},
		{"TYPE a b", errReply("ERR wrong number of arguments for 'type' command")},
		{"DBSIZE x", errReply("ERR wrong number of arguments for 'dbsize' command")},
	}},
	{"ttl-family", []step{
		{"SET k v", "OK"},
		{"TTL k", -1},
		{"PTTL k", -1},
		{"EXPIRETIME k", -1},
		{"PEXPIRETIME k", -1},
		{"TTL missing", -2},
		{"PTTL missing", -2},
		{"EXPIRETIME missing", -2},
		{"PEXPIRETIME missing", -2},
		{"EXPIRE k 100", 1},
		{"TTL k", intIn{95, 100}},
		{"PTTL k", intIn{95000, 100000}},
		{"PEXPIRE k 200000", 1},
		{"TTL k", intIn{195, 200}},
		{"EXPIREAT k " + farFuture, 1},
		{"EXPIRETIME k", 4102444800},
		{"PEXPIRETIME k", 4102444800000},
		{"PEXPIREAT k 4102444800123", 1},
		{"PEXPIRETIME k", 4102444800123},
		{"EXPIRETIME k", 4102444800},
		{"PEXPIREAT k 4102444800500", 1},
		{"EXPIRETIME k", 4102444801},
		{"EXPIRE missing 100", 0},
		{"PEXPIRE missing 100", 0},
		{"EXPIREAT missing " + farFuture, 0},
		{"PEXPIREAT missing 1", 0},
		{"PERSIST k", 1},
		{"TTL k", -1},
		{"PERSIST k", 0},
		{"PERSIST missing", 0},
		{"PEXPIREAT k 9223372036854775807", 1},
		{"PEXPIRETIME k", 9223372036854775807},
		{"PERSIST k", 1},
		{"EXPIRE k 9223372036854775807", errReply("ERR invalid expire time in 'expire' command")},
		{"EXPIRE k -9223372036854775808", errReply("ERR invalid expire time in 'expire' command")},
		{"PEXPIRE k 9223372036854775807", errReply("ERR invalid expire time in 'pexpire' command")},
		{"EXPIREAT k 9223372036854775807", errReply("ERR invalid expire time in 'expireat' command")},
		{"EXPIRE k abc", errReply("ERR value is not an integer or out of range")},
		{"EXPIRE k 1.5", errReply("ERR value is not an integer or out of range")},
		{"PEXPIREAT k x", errReply("ERR value is not an integer or out of range")},
		{"TTL k", -1},
		{"EXPIRE k", errReply("ERR wrong number of arguments for 'expire' command")},
		{"PEXPIRE k", errReply("ERR wrong number of arguments for 'pexpire' command")},
		{"EXPIREAT k", errReply("ERR wrong number of arguments for 'expireat' command")},
		{"PEXPIREAT k", errReply("ERR wrong number of arguments for 'pexpireat' command")},
		{"TTL", errReply("ERR wrong number of arguments for 'ttl' command")},
		{"PTTL a b", errReply("ERR wrong number of arguments for 'pttl' command")},
		{"EXPIRETIME", errReply("ERR wrong number of arguments for 'expiretime' command")},
		{"PEXPIRETIME", errReply("ERR wrong number of arguments for 'pexpiretime' command")},
		{"PERSIST", errReply("ERR wrong number of arguments for 'persist' command")},
	}},
	{"expire-conditions", []step{
		{"SET k v", "OK"},
		{"EXPIRE k 100 XX", 0},
		{"EXPIRE k 100 GT", 0},
		{"TTL k", -1},
		{"EXPIRE k 100 LT", 1},
		{"TTL k", intIn{95, 100}},
		{"EXPIRE k 200 NX", 0},
		{"EXPIRE k 200 LT", 0},
		{"EXPIRE k 200 GT", 1},
		{"TTL k", intIn{195, 200}},
		{"EXPIRE k 50 GT", 0},
		{"EXPIRE k 50 XX", 1},
		{"TTL k", intIn{45, 50}},
		{"EXPIRE k 100 XX GT", 1},
		{"EXPIRE k 100 XX LT", 0},
		{"expire k 1000 gt", 1},
		{"TTL k", intIn{995, 1000}},
		{"PEXPIRE k 5000 LT", 1},
		{"PTTL k", intIn{4000, 5000}},
		{"EXPIREAT k " + farFuture + " GT", 1},
		{"EXPIRETIME k", 4102444800},
		{"PEXPIREAT k 4102444800001 LT", 0},
		{"PEXPIREAT k 4102444799999 LT", 1},
		{"PEXPIRETIME k", 4102444799999},
		{"PERSIST k", 1},
		{"EXPIRE k 100 NX", 1},
		{"TTL k", intIn{95, 100}},
		{"EXPIRE missing 100 NX", 0},
		{"EXPIRE k 100 NX XX", errReply("ERR NX and XX, GT or LT options at the same time are not compatible")},
		{"EXPIRE k 100 NX GT", errReply("ERR NX and XX, GT or LT options at the same time are not compatible")},
		{"EXPIRE k 100 LT NX", errReply("ERR NX and XX, GT or LT options at the same time are not compatible")},
		{"EXPIRE k 100 GT LT", errReply("ERR GT and LT options at the same time are not compatible")},
		{"EXPIRE k 100 FOO", errReply("ERR Unsupported option FOO")},
		{"PEXPIRE k 100 NX bar", errReply("ERR Unsupported option bar")},
		{"TTL k", intIn{95, 100}},
	}},
	{"expire-past-deletes", []step{
		{"SET k v", "OK"},
		{"EXPIRE k -1", 1},
		{"EXISTS k", 0},
		{"TTL k", -2},
		{"SET k v", "OK"},
		{"EXPIRE k 0", 1},
		{"EXISTS k", 0},
		{"SET k v", "OK"},
		{"PEXPIRE k -1000", 1},
		{"EXISTS k", 0},
		{"SET k v", "OK"},
		{"EXPIREAT k 1", 1},
		{"GET k", null},
		{"SET k v", "OK"},
		{"PEXPIREAT k 0", 1},
		{"GET k", null},
		{"SET k v", "OK"},
		{"EXPIREAT k -100", 1},
		{"EXISTS k", 0},
		{"SET k v EX 100", "OK"},
		{"EXPIRE k -10 GT", 0},
		{"EXISTS k", 1},
		{"EXPIRE k -10 XX", 1},
		{"EXISTS k", 0},
		{"SET k v", "OK"},
		{"EXPIRE k -10 XX", 0},
		{"EXPIRE k -10 GT", 0},
		{"EXISTS k", 1},
		{"EXPIRE k -10 NX", 1},
		{"EXISTS k", 0},
		{"SET k v", "OK"},
		{"EXPIRE k -10 LT", 1},
		{"EXISTS k", 0},
		{"EXPIRE k -10", 0},
		{"DBSIZE", 0},
	}},
	{"keys-patterns", []step{
		{`MSET user:1 a user:2 b user:10 c admin x "h\x00llo" y hello z hallo z "h*llo" z "" e`, "OK"},
		{"KEYS user:?", unordered{"user:1", "user:2"}},
		{"KEYS user:*", unordered{"user:1", "user:2", "user:10"}},
		{"KEYS *", unordered{"user:1", "user:2", "user:10", "admin", "h\x00llo", "hello", "hallo", "h*llo", ""}},
		{"KEYS h?llo", unordered{"h\x00llo", "hello", "hallo", "h*llo"}},
		{"KEYS h[ae]llo", unordered{"hello", "hallo"}},
		{"KEYS h[^e]llo", unordered{"h\x00llo", "hallo", "h*llo"}},
		{"KEYS h[a-f]llo", unordered{"hello", "hallo"}},
		{`KEYS h\*llo`, unordered{"h*llo"}},
		{"KEYS *10", unordered{"user:10"}},
		{"KEYS *dm*", unordered{"admin"}},
		{"KEYS nomatch*", unordered{}},
		{"KEYS admin", unordered{"admin"}},
		{`KEYS ""`, unordered{""}},
		{"KEYS", errReply("ERR wrong number of arguments for 'keys' command")},
		{"KEYS a b", errReply("ERR wrong number of arguments for 'keys' command")},
	}},
	{"scan-errors", []step{
		{"SCAN 0", []any{"0", unordered{}}},
		{"SET k v", "OK"},
		{"SCAN 0", []any{"0", unordered{"k"}}},
		{"SCAN 0 MATCH k COUNT 10 TYPE string", []any{"0", unordered{"k"}}},
		{"SCAN 0 TYPE hash", []any{"0", unordered{}}},
		{"SCAN 0 MATCH x*", []any{"0", unordered{}}},
		{"SCAN abc", errReply("ERR invalid cursor")},
		{"SCAN 1x", errReply("ERR invalid cursor")},
		{"SCAN 0 COUNT 0", errReply("ERR syntax error")},
		{"SCAN 0 COUNT -1", errReply("ERR syntax error")},
		{"SCAN 0 COUNT abc", errReply("ERR value is not an integer or out of range")},
		{"SCAN 0 FOO bar", errReply("ERR syntax error")},
		{"SCAN 0 MATCH", errReply("ERR syntax error")},
		{"SCAN 0 COUNT", errReply("ERR syntax error")},
		{"SCAN 0 TYPE", errReply("ERR syntax error")},
		{"SCAN", errReply("ERR wrong number of arguments for 'scan' command")},
	}},
	{"randomkey", []step{
		{"RANDOMKEY", null},
		{"SET only v", "OK"},
		{"RANDOMKEY", "only"},
		{"DEL only", 1},
		{"RANDOMKEY", null},
		{"RANDOMKEY x", errReply("ERR wrong number of arguments for 'randomkey' command")},
	}},
	{"rename-renamenx", []step{
		{"SET a v EX 100", "OK"},
		{"RENAME a b", "OK"},
		{"EXISTS a", 0},
		{"GET b", "v"},
		{"TTL b", intIn{95, 100}},
		{"RENAME missing x", errReply("ERR no such key")},
		{"RENAMENX missing x", errReply("ERR no such key")},
		{"RENAME missing missing", errReply("ERR no such key")},
		{"EXISTS x", 0},
		{"SET c w", "OK"},
		{"RENAMENX b c", 0},
		{"GET c", "w"},
		{"RENAMENX b d", 1},
		{"EXISTS b", 0},
		{"GET d", "v"},
		{"TTL d", intIn{95, 100}},
		{"RENAME d c", "OK"},
		{"GET c", "v"},
		{"TTL c", intIn{95, 100}},
		{"DBSIZE", 1},
		{"RENAME c c", "OK"},
		{"RENAMENX c c", 0},
		{"GET c", "v"},
		{"TTL c", intIn{95, 100}},
		{"SET e plain", "OK"},
		{"SET f x EX 100", "OK"},
		{"RENAME e f", "OK"},
		{"GET f", "plain"},
		{"TTL f", -1},
		{`RENAME f "new\x00key"`, "OK"},
		{`GET "new\x00key"`, "plain"},
		{"DBSIZE", 2},
		{"RENAME a", errReply("ERR wrong number of arguments for 'rename' command")},
		{"RENAMENX a", errReply("ERR wrong number of arguments for 'renamenx' command")},
	}},
	{"flush", []step{
		{"MSET a 1 b 2", "OK"},
		{"SET t v EX 100", "OK"},
		{"FLUSHDB", "OK"},
		{"DBSIZE", 0},
		{"GET a", null},
		{"SET a 1", "OK"},
		{"FLUSHDB ASYNC", "OK"},
		{"DBSIZE", 0},
		{"SET a 1", "OK"},
		{"flushdb sync", "OK"},
		{"DBSIZE", 0},
		{"SET a 1", "OK"},
		{"FLUSHDB FOO", errReply("ERR syntax error")},
		{"FLUSHDB SYNC ASYNC", errReply("ERR syntax error")},
		{"FLUSHALL FOO", errReply("ERR syntax error")},
		{"DBSIZE", 1},
		{"FLUSHALL ASYNC", "OK"},
		{"DBSIZE", 0},
		{"SET a 1", "OK"},
		{"FLUSHALL SYNC", "OK"},
		{"FLUSHALL", "OK"},
		{"DBSIZE", 0},
	}},
}

// TestKeyCommands runs the key step tables on every engine and mode.
func TestKeyCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		runGroups(t, c, keyGroups)
	})
}

// setExpireInterval changes storage.expire-interval on a (shared) server
// and restores the default at cleanup.
func setExpireInterval(t *testing.T, c *redis.Client, d string) {
	t.Helper()
	ctx := ctxT(t)
	if err := c.ConfigSet(ctx, "storage.expire-interval", d).Err(); err != nil {
		t.Fatalf("CONFIG SET storage.expire-interval %s: %v", d, err)
	}
	t.Cleanup(func() {
		if err := c.ConfigSet(ctxT(t), "storage.expire-interval", "100ms").Err(); err != nil {
			t.Errorf("restoring storage.expire-interval: %v", err)
		}
	})
}

// expireSoon sets key with a 50 ms TTL and waits until PTTL reports it
// gone (a read never deletes, so with active expiry off the key stays in
// the engine, expired).
func expireSoon(t *testing.T, c *redis.Client, key string) {
	t.Helper()
	ctx := ctxT(t)
	if err := c.Set(ctx, key, "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if pttl := c.PTTL(ctx, key).Val(); pttl == -1 || pttl > 50*time.Millisecond {
		t.Fatalf("PTTL right after SET PX 50 = %v", pttl)
	}
	ok := waitFor(5*time.Second, func() bool { return c.PTTL(ctx, key).Val() == -2 })
	if !ok {
		t.Fatalf("%s still alive 5s after SET PX 50 (PTTL %v)", key, c.PTTL(ctx, key).Val())
	}
}

// TestKeyLazyExpiry: with active expiry practically off, an expired key is
// invisible to every read, and writes that meet it treat it as missing
// (and keep DBSIZE exact).
func TestKeyLazyExpiry(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		setExpireInterval(t, c, "1h")
		if err := c.Set(ctx, "keep", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		expireSoon(t, c, "k")
		if err := c.Get(ctx, "k").Err(); err != redis.Nil {
			t.Errorf("GET of an expired key: %v", err)
		}
		if n := c.Exists(ctx, "k").Val(); n != 0 {
			t.Errorf("EXISTS = %d", n)
		}
		if n := c.Touch(ctx, "k", "keep").Val(); n != 1 {
			t.Errorf("TOUCH = %d", n)
		}
		if ty := c.Type(ctx, "k").Val(); ty != "none" {
			t.Errorf("TYPE = %q", ty)
		}
		if n := c.StrLen(ctx, "k").Val(); n != 0 {
			t.Errorf("STRLEN = %d", n)
		}
		if v := c.GetRange(ctx, "k", 0, -1).Val(); v != "" {
			t.Errorf("GETRANGE = %q", v)
		}
		if n := c.GetBit(ctx, "k", 1).Val(); n != 0 {
			t.Errorf("GETBIT = %d", n)
		}
		if v := c.MGet(ctx, "k", "keep").Val(); len(v) != 2 || v[0] != nil || v[1] != "v" {
			t.Errorf("MGET = %q", v)
		}
		for _, cmd := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
			if n, err := c.Do(ctx, cmd, "k").Int64(); err != nil || n != -2 {
				t.Errorf("%s = %d, %v", cmd, n, err)
			}
		}
		if keys := c.Keys(ctx, "*").Val(); !sameSet(keys, []string{"keep"}) {
			t.Errorf("KEYS * = %q", keys)
		}
		if keys := scanAll(t, c, "", 0, ""); !sameSet(keys, []string{"keep"}) {
			t.Errorf("SCAN = %q", keys)
		}
		for i := 0; i < 20; i++ {
			if k := c.RandomKey(ctx).Val(); k != "keep" {
				t.Fatalf("RANDOMKEY = %q", k)
			}
		}
		// Like Redis, DBSIZE counts an expired key until it is removed.
		if n := c.DBSize(ctx).Val(); n != 2 {
			t.Errorf("DBSIZE with one expired, unremoved key = %d, want 2", n)
		}
		// Writes meeting expired keys.
		if ok := c.SetNX(ctx, "k", "new", 0).Val(); !ok {
			t.Errorf("SETNX on an expired key = false")
		}
		if ttl := c.TTL(ctx, "k").Val(); ttl != -1 {
			t.Errorf("TTL of the re-created key = %v", ttl)
		}
		expireSoon(t, c, "i")
		if n := c.Incr(ctx, "i").Val(); n != 1 {
			t.Errorf("INCR on an expired key = %d", n)
		}
		expireSoon(t, c, "a")
		if n := c.Append(ctx, "a", "x").Val(); n != 1 {
			t.Errorf("APPEND on an expired key = %d", n)
		}
		expireSoon(t, c, "s")
		if n := c.SetRange(ctx, "s", 2, "x").Val(); n != 3 {
			t.Errorf("SETRANGE on an expired key = %d", n)
		}
		expireSoon(t, c, "b")
		if n := c.SetBit(ctx, "b", 0, 1).Val(); n != 0 {
			t.Errorf("SETBIT on an expired key = %d", n)
		}
		expireSoon(t, c, "g")
		if err := c.Do(ctx, "GETSET", "g", "x").Err(); err != redis.Nil {
			t.Errorf("GETSET on an expired key: %v", err)
		}
		expireSoon(t, c, "x")
		if err := c.SetXX(ctx, "x", "x", 0).Err(); err != nil || c.Exists(ctx, "x").Val() != 0 {
			t.Errorf("SET XX on an expired key set it: %v", err)
		}
		expireSoon(t, c, "m")
		if ok := c.MSetNX(ctx, "m", "1", "m2", "2").Val(); !ok {
			t.Errorf("MSETNX over an expired key = false")
		}
		expireSoon(t, c, "d")
		if n := c.Del(ctx, "d").Val(); n != 0 {
			t.Errorf("DEL of an expired key = %d, want 0", n)
		}
		expireSoon(t, c, "e")
		if ok := c.Expire(ctx, "e", time.Hour).Val(); ok {
			t.Errorf("EXPIRE of an expired key = true")
		}
		expireSoon(t, c, "pe")
		if ok := c.Persist(ctx, "pe").Val(); ok {
			t.Errorf("PERSIST of an expired key = true")
		}
		if err := c.Rename(ctx, "keep", "d").Err(); err != nil {
			t.Errorf("RENAME onto an expired key: %v", err)
		}
		if err := c.Rename(ctx, "d", "keep").Err(); err != nil {
			t.Fatal(err)
		}
		expireSoon(t, c, "src")
		if ok, err := c.RenameNX(ctx, "keep", "src").Result(); err != nil || !ok {
			t.Errorf("RENAMENX onto an expired key = %v, %v", ok, err)
		}
		if err := c.Rename(ctx, "src", "keep").Err(); err != nil {
			t.Fatal(err)
		}
		// Live: keep k i a s b g m m2 (9). Expired, and removed by the writes
		// above as Redis's lookupKeyWrite does: x d e pe src. (GETDEL, GETEX
		// and RENAME are in TestKeyExpiredKeyRemovedByWrites.)
		live := []string{"keep", "k", "i", "a", "s", "b", "g", "m", "m2"}
		if keys := c.Keys(ctx, "*").Val(); !sameSet(keys, live) {
			t.Errorf("KEYS * = %q, want %q", keys, live)
		}
		if n := c.DBSize(ctx).Val(); n != int64(len(live)) {
			t.Errorf("DBSIZE after writes met expired keys = %d, want %d", n, len(live))
		}
		if ks := keyspaceInfo(t, ctx, c); ks[0] != [2]int64{int64(len(live)), 0} {
			t.Errorf("INFO keyspace = %v, want db0 %d keys, 0 expires", ks, len(live))
		}
	})
}

// TestKeyExpiredKeyRemovedByWrites: the write commands GETDEL, GETEX and
// RENAME/RENAMENX that meet an expired key remove it at once, as Redis does
// (and as docs/keyspace.md promises: "Write operations that meet an expired
// key delete it first"), so DBSIZE and INFO keyspace drop without waiting
// for active expiry. Their replies are checked in TestKeyLazyExpiry.
func TestKeyExpiredKeyRemovedByWrites(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		setExpireInterval(t, c, "1h")
		cases := []struct {
			name string
			run  func(key string) error
		}{
			{"GETDEL", func(k string) error { return c.GetDel(ctx, k).Err() }},
			{"GETEX", func(k string) error { return c.Do(ctx, "GETEX", k).Err() }},
			{"GETEX PERSIST", func(k string) error { return c.Do(ctx, "GETEX", k, "PERSIST").Err() }},
			{"GETEX EX", func(k string) error { return c.Do(ctx, "GETEX", k, "EX", 100).Err() }},
			{"RENAME", func(k string) error { return c.Rename(ctx, k, "dst").Err() }},
			{"RENAMENX", func(k string) error { return c.RenameNX(ctx, k, "dst").Err() }},
		}
		for i, tc := range cases {
			key := fmt.Sprintf("k%d", i)
			expireSoon(t, c, key)
			if n := c.DBSize(ctx).Val(); n != 1 {
				t.Fatalf("%s: DBSIZE with one expired key = %d", tc.name, n)
			}
			err := tc.run(key)
			if err != redis.Nil && (err == nil || err.Error() != "ERR no such key") {
				t.Errorf("%s of an expired key: %v", tc.name, err)
			}
			if n := c.DBSize(ctx).Val(); n != 0 {
				t.Errorf("%s of an expired key left it counted: DBSIZE = %d, want 0", tc.name, n)
			}
			if ks := keyspaceInfo(t, ctx, c); len(ks) != 0 {
				t.Errorf("%s of an expired key: INFO keyspace = %v, want no db0", tc.name, ks)
			}
			c.Del(ctx, key) // in case it was left behind
		}
	})
}

// TestKeyActiveExpiry: keys with a short TTL disappear from DBSIZE and
// INFO keyspace within a bounded time, with no client touching them.
func TestKeyActiveExpiry(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const volatile, persistent = 600, 25
		pipe := c.Pipeline()
		for i := 0; i < volatile; i++ {
			pipe.Set(ctx, fmt.Sprintf("ae:%d", i), "v", time.Duration(100+i%50)*time.Millisecond)
		}
		for i := 0; i < persistent; i++ {
			pipe.Set(ctx, fmt.Sprintf("stay:%d", i), "v", 0)
		}
		// A large (chunked) volatile value too.
		pipe.Set(ctx, "ae:big", strings.Repeat("b", 50000), 100*time.Millisecond)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var n int64
		ok := waitFor(15*time.Second, func() bool {
			n = c.DBSize(ctx).Val()
			return n == persistent
		})
		if !ok {
			t.Fatalf("DBSIZE = %d %v after SET with 100–150 ms TTLs, want %d", n, time.Since(start), persistent)
		}
		if ks := keyspaceInfo(t, ctx, c); ks[0] != [2]int64{persistent, 0} {
			t.Errorf("INFO keyspace after active expiry = %v", ks)
		}
		if keys := c.Keys(ctx, "ae:*").Val(); len(keys) != 0 {
			t.Errorf("KEYS ae:* after active expiry = %d keys", len(keys))
		}
		if v := c.Get(ctx, "stay:7").Val(); v != "v" {
			t.Errorf("a key without TTL was lost: %q", v)
		}
	})
}

// TestKeyCountersExact follows DBSIZE and INFO keyspace (keys, expires)
// through every kind of change.
func TestKeyCountersExact(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		c9 := p.Client(t, func(o *redis.Options) { o.DB = 9 })
		step := 0
		expect := func(keys, expires int64, cmds ...redis.Cmder) {
			t.Helper()
			step++
			for _, cmd := range cmds {
				if err := cmd.Err(); err != nil && err != redis.Nil {
					t.Fatalf("step %d: %v: %v", step, cmd.Args(), err)
				}
			}
			if n := c.DBSize(ctx).Val(); n != keys {
				t.Errorf("step %d: DBSIZE = %d, want %d", step, n, keys)
			}
			ks := keyspaceInfo(t, ctx, c)
			if keys == 0 {
				if _, ok := ks[0]; ok {
					t.Errorf("step %d: INFO keyspace lists db0 with no keys: %v", step, ks)
				}
			} else if ks[0] != [2]int64{keys, expires} {
				t.Errorf("step %d: INFO keyspace db0 = %v, want [%d %d]", step, ks[0], keys, expires)
			}
		}
		big := strings.Repeat("B", 20000)
		expect(0, 0)
		expect(1, 0, c.Set(ctx, "a", "1", 0))
		expect(2, 1, c.Set(ctx, "b", "2", time.Hour))
		expect(2, 1, c.Set(ctx, "a", "x", 0))         // overwrite
		expect(2, 0, c.Set(ctx, "b", "y", 0))         // overwrite clears the TTL
		expect(2, 1, c.Expire(ctx, "a", time.Hour))   // add a TTL
		expect(2, 1, c.Expire(ctx, "a", 2*time.Hour)) // change it
		expect(2, 0, c.Persist(ctx, "a"))             // remove it
		expect(2, 1, c.Expire(ctx, "a", time.Hour))
		expect(2, 1, c.Rename(ctx, "a", "c"))           // rename keeps the TTL
		expect(1, 1, c.Rename(ctx, "c", "b"))           // onto an existing key
		expect(2, 2, c.Set(ctx, "big", big, time.Hour)) // chunked value with TTL
		expect(2, 2, c.Rename(ctx, "big", "big2"))
		expect(2, 1, c.Set(ctx, "big2", big+"x", 0)) // overwrite a chunked value
		expect(2, 1, c.Append(ctx, "big2", "more"))
		expect(1, 1, c.Del(ctx, "big2", "none"))
		expect(0, 0, c.GetDel(ctx, "b"))
		expect(3, 0, c.MSet(ctx, "x", 1, "y", 2, "z", 3))
		expect(3, 1, c.Do(ctx, "SETEX", "x", 3600, "v"))
		expect(3, 2, c.GetEx(ctx, "y", time.Hour))
		expect(3, 1, c.Do(ctx, "GETEX", "y", "PERSIST"))
		expect(3, 1, c.Incr(ctx, "z"))
		expect(3, 2, c.Expire(ctx, "z", time.Hour))
		expect(3, 2, c.IncrByFloat(ctx, "z", 1.5)) // INCRBYFLOAT keeps the TTL
		expect(3, 2, c.SetRange(ctx, "z", 10, "r"))
		expect(3, 2, c.SetBit(ctx, "z", 200, 1))
		expect(3, 1, c.Do(ctx, "GETSET", "z", "plain")) // GETSET clears the TTL
		expect(2, 0, c.Expire(ctx, "x", -time.Second))  // a past TTL deletes
		expect(1, 0, c.Do(ctx, "SET", "y", "v", "PXAT", 1))
		expect(2, 0, c.SetNX(ctx, "n", "v", 0))
		expect(2, 0, c.SetNX(ctx, "n", "v", 0))
		expect(3, 0, c.BitOpOr(ctx, "dest", "n", "z"))
		expect(2, 0, c.BitOpAnd(ctx, "dest", "nothing")) // an empty result deletes
		expect(3, 1, c.Set(ctx, "short", "v", 500*time.Millisecond))
		// The short TTL expires: counted until removed, then exact.
		if !waitFor(10*time.Second, func() bool { return c.DBSize(ctx).Val() == 2 }) {
			t.Fatalf("DBSIZE stuck at %d after a 500 ms TTL", c.DBSize(ctx).Val())
		}
		expect(2, 0)
		// Other databases are counted apart.
		if err := c9.Set(ctx, "k", "v", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if ks := keyspaceInfo(t, ctx, c); ks[9] != [2]int64{1, 1} || ks[0] != [2]int64{2, 0} {
			t.Errorf("INFO keyspace with db9 = %v", ks)
		}
		if n := c9.DBSize(ctx).Val(); n != 1 {
			t.Errorf("db9 DBSIZE = %d", n)
		}
		expect(0, 0, c.FlushDB(ctx))
		if n := c9.DBSize(ctx).Val(); n != 1 {
			t.Errorf("FLUSHDB of db0 changed db9: DBSIZE = %d", n)
		}
		expect(1, 0, c.Set(ctx, "again", "v", 0))
		expect(0, 0, c.FlushAll(ctx))
		if n := c9.DBSize(ctx).Val(); n != 0 {
			t.Errorf("db9 DBSIZE after FLUSHALL = %d", n)
		}
		if ks := keyspaceInfo(t, ctx, c); len(ks) != 0 {
			t.Errorf("INFO keyspace after FLUSHALL = %v", ks)
		}
	})
}

// scanAll iterates SCAN to completion (bounded) and returns every key in
// the order returned.
func scanAll(t testing.TB, c *redis.Client, match string, count int64, typ string) []string {
	t.Helper()
	ctx := ctxT(t)
	var all []string
	var cursor uint64
	for calls := 0; ; calls++ {
		if calls > 100000 {
			t.Fatalf("SCAN did not finish after %d calls", calls)
		}
		var keys []string
		var err error
		if typ != "" {
			keys, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
		} else {
			keys, cursor, err = c.Scan(ctx, cursor, match, count).Result()
		}
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		all = append(all, keys...)
		if cursor == 0 {
			return all
		}
	}
}

// checkScan asserts that got holds every key of want exactly once and no
// other key.
func checkScan(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
	}
	missing, dup := 0, 0
	for _, k := range want {
		switch seen[k] {
		case 0:
			missing++
			if missing <= 5 {
				t.Errorf("%s: key %q never returned", what, k)
			}
		case 1:
		default:
			dup++
			if dup <= 5 {
				t.Errorf("%s: key %q returned %d times", what, k, seen[k])
			}
		}
		delete(seen, k)
	}
	if len(seen) != 0 {
		t.Errorf("%s: returned %d unexpected keys (e.g. %q)", what, len(seen), firstKey(seen))
	}
	if missing+dup > 0 {
		t.Errorf("%s: %d keys missing, %d duplicated of %d", what, missing, dup, len(want))
	}
}

func firstKey(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}

// TestKeyScan iterates SCAN to completion with MATCH, COUNT and TYPE and
// checks that every key is seen (exactly once, as docs/keyspace.md
// promises), also while other clients insert and delete keys.
func TestKeyScan(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		var all, users, sessions, others []string
		pipe := c.Pipeline()
		for i := 0; i < 1200; i++ {
			var k string
			switch i % 3 {
			case 0:
				k = fmt.Sprintf("user:%04d", i)
				users = append(users, k)
			case 1:
				k = fmt.Sprintf("session:%d", i)
				sessions = append(sessions, k)
			default:
				k = fmt.Sprintf("x\x00%d", i)
				others = append(others, k)
			}
			all = append(all, k)
			var ttl time.Duration
			if i%5 == 0 {
				ttl = time.Hour
			}
			pipe.Set(ctx, k, i, ttl)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		checkScan(t, "SCAN (default COUNT)", scanAll(t, c, "", 0, ""), all)
		checkScan(t, "SCAN COUNT 1", scanAll(t, c, "", 1, ""), all)
		checkScan(t, "SCAN COUNT 37", scanAll(t, c, "", 37, ""), all)
		checkScan(t, "SCAN COUNT 100000", scanAll(t, c, "", 100000, ""), all)
		checkScan(t, "SCAN MATCH user:*", scanAll(t, c, "user:*", 50, ""), users)
		checkScan(t, "SCAN MATCH *ss*", scanAll(t, c, "*ss*", 100, ""), sessions)
		checkScan(t, "SCAN MATCH x\\x00*", scanAll(t, c, "x\x00*", 0, ""), others)
		var u1 []string
		for _, k := range users {
			if strings.HasPrefix(k, "user:01") && strings.HasSuffix(k, "5") {
				u1 = append(u1, k)
			}
		}
		checkScan(t, "SCAN MATCH user:01?5", scanAll(t, c, "user:01?5", 10, ""), u1)
		checkScan(t, "SCAN MATCH nomatch*", scanAll(t, c, "nomatch*", 10, ""), nil)
		checkScan(t, "SCAN TYPE string", scanAll(t, c, "", 64, "string"), all)
		checkScan(t, "SCAN TYPE STRING", scanAll(t, c, "", 64, "STRING"), all)
		checkScan(t, "SCAN MATCH user:* TYPE string", scanAll(t, c, "user:*", 64, "string"), users)
		checkScan(t, "SCAN TYPE hash", scanAll(t, c, "", 64, "hash"), nil)
		checkScan(t, "SCAN TYPE nosuch", scanAll(t, c, "", 64, "nosuch"), nil)

		// Keys present for the whole scan are returned exactly once while
		// other clients insert and delete keys all around them.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := fmt.Sprintf("user:%04d~%d", (i*37)%1200, w)
					if err := c.Set(ctx, k, "v", 0).Err(); err != nil {
						t.Errorf("SET during scan: %v", err)
						return
					}
					if i%2 == 0 {
						c.Del(ctx, k)
					}
					c.Del(ctx, others[(i*7+w)%len(others)])
				}
			}(w)
		}
		got := scanAll(t, c, "user:*", 20, "")
		close(stop)
		wg.Wait()
		var stable []string
		for _, k := range got {
			if !strings.Contains(k, "~") {
				stable = append(stable, k)
			}
		}
		checkScan(t, "SCAN MATCH user:* under concurrent writes", stable, users)
	})
}

// TestKeyRandomKey: RANDOMKEY returns existing keys, more than one of them.
func TestKeyRandomKey(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		keys := map[string]bool{}
		pipe := c.Pipeline()
		for i := 0; i < 100; i++ {
			k := fmt.Sprintf("rk:%03d", i)
			keys[k] = true
			pipe.Set(ctx, k, i, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i := 0; i < 100; i++ {
			k, err := c.RandomKey(ctx).Result()
			if err != nil || !keys[k] {
				t.Fatalf("RANDOMKEY = %q, %v", k, err)
			}
			seen[k] = true
		}
		if len(seen) < 5 {
			t.Errorf("RANDOMKEY returned only %d distinct keys of 100 in 100 calls", len(seen))
		}
		// Delete all but one: RANDOMKEY finds it.
		var dels []string
		for k := range keys {
			if k != "rk:042" {
				dels = append(dels, k)
			}
		}
		if n := c.Del(ctx, dels...).Val(); n != 99 {
			t.Fatalf("DEL of 99 keys = %d", n)
		}
		for i := 0; i < 10; i++ {
			if k := c.RandomKey(ctx).Val(); k != "rk:042" {
				t.Fatalf("RANDOMKEY with one key left = %q", k)
			}
		}
	})
}

// TestKeyFlushDatabases: FLUSHDB empties only the selected database,
// FLUSHALL every one, including large values.
func TestKeyFlushDatabases(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		dbs := []int{0, 3, 15}
		clients := map[int]*redis.Client{}
		for _, db := range dbs {
			db := db
			clients[db] = p.Client(t, func(o *redis.Options) { o.DB = db })
			for i := 0; i < 20; i++ {
				var ttl time.Duration
				if i%2 == 0 {
					ttl = time.Hour
				}
				if err := clients[db].Set(ctx, fmt.Sprintf("k%d", i), db, ttl).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := clients[db].Set(ctx, "big", strings.Repeat("z", 100000), 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := clients[3].FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for _, db := range dbs {
			want := int64(21)
			if db == 3 {
				want = 0
			}
			if n := clients[db].DBSize(ctx).Val(); n != want {
				t.Errorf("db%d DBSIZE after FLUSHDB in db3 = %d, want %d", db, n, want)
			}
		}
		if v := clients[15].Get(ctx, "k1").Val(); v != "15" {
			t.Errorf("db15 k1 = %q", v)
		}
		if ks := keyspaceInfo(t, ctx, c); len(ks) != 2 || ks[0] != [2]int64{21, 10} || ks[15] != [2]int64{21, 10} {
			t.Errorf("INFO keyspace after FLUSHDB in db3 = %v", ks)
		}
		// Values written after a flush are fresh.
		if n := clients[3].Append(ctx, "big", "x").Val(); n != 1 {
			t.Errorf("APPEND to a flushed large key = %d", n)
		}
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for _, db := range dbs {
			if n := clients[db].DBSize(ctx).Val(); n != 0 {
				t.Errorf("db%d DBSIZE after FLUSHALL = %d", db, n)
			}
		}
		if n := clients[15].SetRange(ctx, "big", 99990, "y").Val(); n != 99991 {
			t.Errorf("SETRANGE on a flushed large key = %d", n)
		}
		if v := clients[15].GetRange(ctx, "big", 0, 99989).Val(); v != string(make([]byte, 99990)) {
			t.Errorf("a flushed large value shows through a new one")
		}
	})
}

// TestKeyDataSurvivesRestart writes with every command family, restarts
// the server, and checks values, TTLs, counters and deletions, on every
// engine (alternating the runtime mode); then does it again over kill -9.
func TestKeyDataSurvivesRestart(t *testing.T) {
	for i, eng := range engines() {
		mode := modes[i%len(modes)]
		t.Run(eng+"/"+mode, func(t *testing.T) {
			p := startKiwi(t, "--storage.engine", eng, "--runtime.mode", mode)
			ctx := ctxT(t)
			c := p.Client(t)
			c5 := p.Client(t, func(o *redis.Options) { o.DB = 5 })
			c6 := p.Client(t, func(o *redis.Options) { o.DB = 6 })
			big := string(pattern(300_000, 9))
			must := func(cmds ...redis.Cmder) {
				t.Helper()
				for _, cmd := range cmds {
					if err := cmd.Err(); err != nil && err != redis.Nil {
						t.Fatalf("%v: %v", cmd.Args(), err)
					}
				}
			}
			must(
				c.Set(ctx, "plain", "v", 0),
				c.Set(ctx, "bin\x00\r\n", "\x00\r\n\xff", 0),
				c.Set(ctx, "ttl", "v", time.Hour),
				c.Do(ctx, "SET", "exat", "v", "EXAT", farFuture),
				c.Do(ctx, "SETEX", "setex", 3600, "v"),
				c.Do(ctx, "PSETEX", "psetex", 3_600_000, "v"),
				c.SetNX(ctx, "setnx", "v", 0),
				c.Set(ctx, "getset", "old", time.Hour),
				c.Do(ctx, "GETSET", "getset", "new"),
				c.MSet(ctx, "m1", "a", "m2", "b"),
				c.MSetNX(ctx, "mn1", "a", "mn2", "b"),
				c.Append(ctx, "append", "hello"),
				c.Append(ctx, "append", " world"),
				c.SetRange(ctx, "setrange", 5, "x"),
				c.Incr(ctx, "ctr"), c.IncrBy(ctx, "ctr", 10), c.Decr(ctx, "ctr"), c.DecrBy(ctx, "ctr", 3),
				c.IncrByFloat(ctx, "float", 1.5), c.IncrByFloat(ctx, "float", 0.25),
				c.SetBit(ctx, "bits", 100, 1),
				c.SetBit(ctx, "sparse", 80_000_000, 1),
				c.Set(ctx, "src1", "\x0f\xf0", 0), c.Set(ctx, "src2", "\xff", 0),
				c.BitOpXor(ctx, "bitop", "src1", "src2"),
				c.Set(ctx, "big", big, 0),
				c.Append(ctx, "big", "tail"),
				c.SetRange(ctx, "big", 4094, "SPAN"),
				c.Set(ctx, "getex", "v", time.Hour),
				c.Do(ctx, "GETEX", "getex", "PERSIST"),
				c.Set(ctx, "getex2", "v", 0),
				c.GetEx(ctx, "getex2", time.Hour),
				c.Set(ctx, "ren", "v", time.Hour),
				c.Rename(ctx, "ren", "renamed"),
				c.Set(ctx, "bigren", big, 0),
				c.Rename(ctx, "bigren", "bigrenamed"),
				c.Set(ctx, "rnx", "v", 0),
				c.RenameNX(ctx, "rnx", "renamednx"),
				c.Set(ctx, "persist", "v", time.Hour),
				c.Persist(ctx, "persist"),
				c.Set(ctx, "expireat", "v", 0),
				c.Do(ctx, "PEXPIREAT", "expireat", "4102444800123"),
				c.Set(ctx, "del", "v", 0), c.Del(ctx, "del"),
				c.Set(ctx, "bigdel", big, 0), c.Unlink(ctx, "bigdel"),
				c.Set(ctx, "getdel", "v", 0), c.GetDel(ctx, "getdel"),
				c.Set(ctx, "pastexp", "v", 0), c.Expire(ctx, "pastexp", -time.Second),
				c5.Set(ctx, "k", "db5", time.Hour),
				c6.Set(ctx, "k", "db6", 0),
				c6.FlushDB(ctx),
			)
			wantBig := []byte(big + "tail")
			copy(wantBig[4094:], "SPAN")
			want := map[string]string{
				"plain": "v", "bin\x00\r\n": "\x00\r\n\xff", "ttl": "v", "exat": "v", "setex": "v", "psetex": "v",
				"setnx": "v", "getset": "new", "m1": "a", "m2": "b", "mn1": "a", "mn2": "b",
				"append": "hello world", "setrange": "\x00\x00\x00\x00\x00x", "ctr": "7", "float": "1.75",
				"bits": string(make([]byte, 12)) + "\x08", "bitop": "\xf0\xf0", "src1": "\x0f\xf0", "src2": "\xff",
				"big": string(wantBig), "getex": "v", "getex2": "v", "renamed": "v", "bigrenamed": big,
				"renamednx": "v", "persist": "v", "expireat": "v",
			}
			gone := []string{"del", "bigdel", "getdel", "pastexp", "gone", "ren", "bigren", "rnx"}
			// TTL kind per key: 0 none, 1 about an hour, or an exact PEXPIRETIME.
			hour := map[string]bool{"ttl": true, "setex": true, "psetex": true, "getex2": true, "renamed": true}
			exact := map[string]int64{"exat": 4102444800000, "expireat": 4102444800123}
			check := func(when string) {
				t.Helper()
				for k, v := range want {
					if got, err := c.Get(ctx, k).Result(); err != nil || got != v {
						t.Errorf("%s: GET %q = %q (len %d), %v; want len %d", when, k, trunc(got), len(got), err, len(v))
					}
					pexp := c.PExpireTime(ctx, k).Val()
					switch {
					case exact[k] != 0:
						if pexp != time.Duration(exact[k])*time.Millisecond {
							t.Errorf("%s: PEXPIRETIME %q = %v, want %d ms", when, k, pexp, exact[k])
						}
					case hour[k]:
						if ttl := c.TTL(ctx, k).Val(); ttl < 55*time.Minute || ttl > time.Hour {
							t.Errorf("%s: TTL %q = %v", when, k, ttl)
						}
					default:
						if ttl := c.TTL(ctx, k).Val(); ttl != -1 {
							t.Errorf("%s: TTL %q = %v, want -1", when, k, ttl)
						}
					}
				}
				for _, k := range gone {
					if n := c.Exists(ctx, k).Val(); n != 0 {
						t.Errorf("%s: deleted key %q exists", when, k)
					}
				}
				if n := c.StrLen(ctx, "sparse").Val(); n != 10_000_001 {
					t.Errorf("%s: STRLEN sparse = %d", when, n)
				}
				if b := c.GetBit(ctx, "sparse", 80_000_000).Val(); b != 1 {
					t.Errorf("%s: GETBIT sparse = %d", when, b)
				}
				if n := c.BitCount(ctx, "sparse", nil).Val(); n != 1 {
					t.Errorf("%s: BITCOUNT sparse = %d", when, n)
				}
				wantKeys := int64(len(want) + 1)
				if n := c.DBSize(ctx).Val(); n != wantKeys {
					t.Errorf("%s: DBSIZE = %d, want %d", when, n, wantKeys)
				}
				if v := c5.Get(ctx, "k").Val(); v != "db5" {
					t.Errorf("%s: db5 k = %q", when, v)
				}
				if n := c6.DBSize(ctx).Val(); n != 0 {
					t.Errorf("%s: db6 DBSIZE = %d", when, n)
				}
				ks := keyspaceInfo(t, ctx, c)
				wantKS := map[int][2]int64{0: {wantKeys, int64(len(hour) + len(exact))}, 5: {1, 1}}
				if fmt.Sprint(ks) != fmt.Sprint(wantKS) {
					t.Errorf("%s: INFO keyspace = %v, want %v", when, ks, wantKS)
				}
			}
			// One key that expires (and is removed) before the restart.
			must(c.Set(ctx, "gone", "v", 30*time.Millisecond))
			if !waitFor(10*time.Second, func() bool { return c.DBSize(ctx).Val() == int64(len(want)+1) }) {
				t.Fatalf("gone not removed by active expiry: DBSIZE %d", c.DBSize(ctx).Val())
			}
			check("before restart")
			p.Restart()
			c = p.Client(t)
			c5 = p.Client(t, func(o *redis.Options) { o.DB = 5 })
			c6 = p.Client(t, func(o *redis.Options) { o.DB = 6 })
			check("after restart")
			// The restarted server keeps working on the restored data.
			if n := c.Incr(ctx, "ctr").Val(); n != 8 {
				t.Errorf("INCR after restart = %d", n)
			}
			if n := c.Append(ctx, "big", "!").Val(); n != int64(len(wantBig)+1) {
				t.Errorf("APPEND to big after restart = %d", n)
			}
			if err := c.Set(ctx, "fresh", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if n := c.DBSize(ctx).Val(); n != int64(len(want)+2) {
				t.Errorf("DBSIZE after a write following the restart = %d", n)
			}

			// Acknowledged writes and the counters also survive kill -9
			// (storage.sync is on by default).
			must(
				c.Del(ctx, "plain", "bigrenamed"),
				c.Set(ctx, "crash", "v", time.Hour),
				c.Persist(ctx, "ttl"),
				c.Rename(ctx, "renamed", "renamed2"),
			)
			p.Kill()
			p.start(append(baseArgs(), p.args...))
			c = p.Client(t)
			keys, err := c.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			wantN := int64(len(want) + 2 - 2 + 1)
			if int64(len(keys)) != wantN {
				t.Errorf("after kill -9: %d keys, want %d", len(keys), wantN)
			}
			if n := c.DBSize(ctx).Val(); n != wantN {
				t.Errorf("after kill -9: DBSIZE = %d, want %d", n, wantN)
			}
			// Volatile now: exat expireat setex psetex getex2 renamed2 crash.
			if ks := keyspaceInfo(t, ctx, c); ks[0] != [2]int64{wantN, 7} || ks[5] != [2]int64{1, 1} {
				t.Errorf("after kill -9: INFO keyspace = %v, want db0 [%d 7], db5 [1 1]", ks, wantN)
			}
			if v := c.Get(ctx, "ctr").Val(); v != "8" {
				t.Errorf("after kill -9: ctr = %q", v)
			}
			if v := c.Get(ctx, "big").Val(); v != string(wantBig)+"!" {
				t.Errorf("after kill -9: big differs (len %d)", len(v))
			}
			if ttl := c.TTL(ctx, "ttl").Val(); ttl != -1 {
				t.Errorf("after kill -9: TTL of a persisted key = %v", ttl)
			}
			if ttl := c.TTL(ctx, "renamed2").Val(); ttl < 55*time.Minute {
				t.Errorf("after kill -9: TTL of a renamed key = %v", ttl)
			}
			if n := c.Exists(ctx, "plain", "bigrenamed", "renamed").Val(); n != 0 {
				t.Errorf("after kill -9: %d deleted keys are back", n)
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
