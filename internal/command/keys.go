package command

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
)

// Generic key commands (Redis 7.0 semantics and replies).

func keyCommands() []*Command {
	multi := func(agg string) []string { return []string{"request_policy:multi_shard", "response_policy:" + agg} }
	return []*Command{
		{Name: "del", Arity: -2, Flags: Write, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "generic",
			Summary: "Delete a key", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
			ACLCategories: aclKeyWriteS, Tips: multi("agg_sum"), Run: cmdDel},
		{Name: "unlink", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "generic",
			Summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", Since: "4.0.0",
			Complexity:    "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
			ACLCategories: aclKeyWrite, Tips: multi("agg_sum"), Run: cmdDel},
		{Name: "exists", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "generic",
			Summary: "Determine if a key exists", Since: "1.0.0", Complexity: "O(N) where N is the number of keys to check.",
			ACLCategories: aclKeyRead, Tips: multi("agg_sum"), Run: cmdExists},
		{Name: "touch", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "generic",
			Summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", Since: "3.2.1",
			Complexity: "O(N) where N is the number of keys that will be touched.", ACLCategories: aclKeyRead,
			Tips: multi("agg_sum"), Run: cmdExists},
		{Name: "type", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Determine the type stored at key", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyRead, Run: cmdType},
		{Name: "expire", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Set a key's time to live in seconds", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdExpire},
		{Name: "pexpire", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Set a key's time to live in milliseconds", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdExpire},
		{Name: "expireat", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Set the expiration for a key as a UNIX timestamp", Since: "1.2.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdExpire},
		{Name: "pexpireat", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdExpire},
		{Name: "ttl", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Get the time to live for a key in seconds", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyRead, Tips: []string{"nondeterministic_output"}, Run: cmdTTL},
		{Name: "pttl", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Get the time to live for a key in milliseconds", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclKeyRead, Tips: []string{"nondeterministic_output"}, Run: cmdTTL},
		{Name: "expiretime", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Get the expiration Unix timestamp for a key", Since: "7.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyRead, Run: cmdTTL},
		{Name: "pexpiretime", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Get the expiration Unix timestamp for a key in milliseconds", Since: "7.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyRead, Run: cmdTTL},
		{Name: "persist", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Remove the expiration from a key", Since: "2.2.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdPersist},
		{Name: "keys", Arity: 2, Flags: ReadOnly, Group: "generic",
			Summary: "Find all keys matching the given pattern", Since: "1.0.0",
			Complexity:    "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
			ACLCategories: []string{"@keyspace", "@read", "@slow", "@dangerous"},
			Tips:          []string{"request_policy:all_shards", "nondeterministic_output_order"}, Run: cmdKeys},
		{Name: "scan", Arity: -2, Flags: ReadOnly, Group: "generic",
			Summary: "Incrementally iterate the keys space", Since: "2.8.0",
			Complexity:    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
			ACLCategories: []string{"@keyspace", "@read", "@slow"},
			Tips:          []string{"nondeterministic_output", "request_policy:special"}, Run: cmdScan},
		{Name: "randomkey", Arity: 1, Flags: ReadOnly, Group: "generic",
			Summary: "Return a random key from the keyspace", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: []string{"@keyspace", "@read", "@slow"},
			Tips:          []string{"request_policy:all_shards", "nondeterministic_output"}, Run: cmdRandomKey},
		{Name: "rename", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "generic",
			Summary: "Rename a key", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyWriteS, Run: cmdRename},
		{Name: "renamenx", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "generic",
			Summary: "Rename a key, only if the new key does not exist", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdRename},
	}
}

// DEL key [key ...], UNLINK key [key ...]
func cmdDel(c *Ctx) {
	countKeys(c, func(db int, key []byte, now int64) (bool, error) {
		deleted, err := c.Tx.Delete(db, key, now)
		if deleted {
			c.Notify(notify.Generic, "del", key)
		}
		return deleted, err
	})
}

// EXISTS key [key ...], TOUCH key [key ...] (a repeated key counts each
// time; there is no access time to update).
func cmdExists(c *Ctx) { countKeys(c, c.Tx.Exists) }

// countKeys applies op to every key argument and replies with how many
// times it reported true, or with the first error.
func countKeys(c *Ctx, op func(db int, key []byte, now int64) (bool, error)) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := op(c.DB, k, c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		if ok {
			n++
		}
	}
	c.Out.WriteInt(n)
}

// TYPE key
func cmdType(c *Ctx) {
	t, err := c.Tx.Type(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteSimple(t.String())
}

// EXPIRE key seconds [NX|XX|GT|LT], PEXPIRE key ms [...],
// EXPIREAT key ts [...], PEXPIREAT key ms-ts [...]
func cmdExpire(c *Ctx) {
	var cond keyspace.ExpireCond
	for _, opt := range c.Args[3:] {
		switch {
		case equalFold(opt, "nx"):
			cond |= keyspace.ExpireNX
		case equalFold(opt, "xx"):
			cond |= keyspace.ExpireXX
		case equalFold(opt, "gt"):
			cond |= keyspace.ExpireGT
		case equalFold(opt, "lt"):
			cond |= keyspace.ExpireLT
		default:
			c.Error("ERR Unsupported option " + string(opt))
			return
		}
	}
	if cond&keyspace.ExpireNX != 0 && cond&(keyspace.ExpireXX|keyspace.ExpireGT|keyspace.ExpireLT) != 0 {
		c.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if cond&keyspace.ExpireGT != 0 && cond&keyspace.ExpireLT != 0 {
		c.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := intArg(c, c.Args[2])
	if !ok {
		return
	}
	var base int64
	name := c.Cmd.Name
	if name == "expire" || name == "pexpire" {
		base = c.Now
	}
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Error(invalidExpire(c))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.Error(invalidExpire(c))
		return
	}
	when += base
	done, err := c.Tx.Expire(c.DB, c.Args[1], when, c.Now, cond)
	if err != nil {
		replyErr(c, err)
		return
	}
	if done {
		notifyExpire(c, c.Args[1], when)
	}
	writeFlag(c, done)
}

// TTL key, PTTL key, EXPIRETIME key, PEXPIRETIME key
func cmdTTL(c *Ctx) {
	at, ok, err := c.Tx.Expiry(c.DB, c.Args[1], c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
		return
	case !ok:
		c.Out.WriteInt(-2)
		return
	case at == 0:
		c.Out.WriteInt(-1)
		return
	}
	name := c.Cmd.Name
	ttl := at
	if name == "ttl" || name == "pttl" {
		ttl = max(at-c.Now, 0)
	}
	if name == "ttl" || name == "expiretime" {
		ttl = (ttl + 500) / 1000
	}
	c.Out.WriteInt(ttl)
}

// PERSIST key
func cmdPersist(c *Ctx) {
	done, err := c.Tx.Persist(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if done {
		c.Notify(notify.Generic, "persist", c.Args[1])
	}
	writeFlag(c, done)
}

// KEYS pattern
func cmdKeys(c *Ctx) {
	keys, err := c.Tx.Keys(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteArrayLen(len(keys))
	for _, k := range keys {
		c.Out.WriteBulk(k)
	}
}

// parseCursor parses a SCAN cursor as Redis does (strtoul in base 10: an
// optional sign, negative values wrapping; no leading space; the empty
// string is 0).
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '+' || b[0] == '-' {
		neg, i = b[0] == '-', 1
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' || v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
func cmdScan(c *Ctx) {
	cursor, ok := parseCursor(c.Args[1])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	opts, ok := parseScanOpts(c, c.Args[2:], true)
	if !ok {
		return
	}
	next, keys, err := c.Tx.Scan(c.DB, cursor, c.Now, opts)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeScanReply(c, next, len(keys), func(i int) []byte { return keys[i] })
}

// parseScanOpts parses the [MATCH pattern] [COUNT count] options of SCAN
// and the element scans, and [TYPE type] where withType is set, replying
// with the error on failure.
func parseScanOpts(c *Ctx, args [][]byte, withType bool) (opts keyspace.ScanOptions, ok bool) {
	for i := 0; i < len(args); i += 2 {
		opt, more := args[i], i+1 < len(args)
		switch {
		case equalFold(opt, "count") && more:
			n, ok := intArg(c, args[i+1])
			if !ok {
				return opts, false
			}
			if n < 1 {
				c.Error(ErrSyntax)
				return opts, false
			}
			opts.Count = int(min(n, math.MaxInt32))
		case equalFold(opt, "match") && more:
			opts.Match = args[i+1]
			if opts.Match == nil {
				opts.Match = []byte{} // an empty pattern matches only ""
			}
		case withType && equalFold(opt, "type") && more:
			opts.Type = string(args[i+1])
		default:
			c.Error(ErrSyntax)
			return opts, false
		}
	}
	return opts, true
}

// writeScanReply writes a SCAN-family reply: the cursor, then the items.
func writeScanReply(c *Ctx, next uint64, n int, item func(i int) []byte) {
	var buf [20]byte
	c.Out.WriteArrayLen(2)
	c.Out.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	c.Out.WriteArrayLen(n)
	for i := range n {
		c.Out.WriteBulk(item(i))
	}
}

// RANDOMKEY
func cmdRandomKey(c *Ctx) {
	k, ok, err := c.Tx.RandomKey(c.DB, c.Now, rand.Uint64())
	replyOptionalBulk(c, k, ok, err)
}

// RENAME key newkey, RENAMENX key newkey
func cmdRename(c *Ctx) {
	nx := c.Cmd.Name == "renamenx"
	done, err := c.Tx.Rename(c.DB, c.Args[1], c.Args[2], c.Now, nx)
	if done && !bytes.Equal(c.Args[1], c.Args[2]) {
		c.Notify(notify.Generic, "rename_from", c.Args[1])
		c.Notify(notify.Generic, "rename_to", c.Args[2])
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case nx:
		writeFlag(c, done)
	default:
		c.Out.WriteOK()
	}
}

// notifyExpire emits the event of an expiry set to at: "expire", or "del"
// when at had already passed and the key was deleted (expireGenericCommand).
func notifyExpire(c *Ctx, key []byte, at int64) {
	if at <= c.Now {
		c.Notify(notify.Generic, "del", key)
	} else {
		c.Notify(notify.Generic, "expire", key)
	}
}
