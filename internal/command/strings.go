package command

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// String and bitmap commands (Redis 7.0 semantics and replies).

func stringCommands() []*Command {
	return []*Command{
		{Name: "get", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get the value of a key", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclReadString, Run: cmdGet},
		{Name: "set", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Set the string value of a key", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteStringS, Run: cmdSet},
		{Name: "setnx", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Set the value of a key, only if the key does not exist", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdSetNX},
		{Name: "setex", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Set the value and expiration of a key", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteStringS, Run: cmdSetEX},
		{Name: "psetex", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Set the value and expiration in milliseconds of a key", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclWriteStringS, Run: cmdSetEX},
		{Name: "getset", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Set the string value of a key and return its old value", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdGetSet},
		{Name: "getdel", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get the value of a key and delete the key", Since: "6.2.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdGetDel},
		{Name: "getex", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get the value of a key and optionally set its expiration", Since: "6.2.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdGetEx},
		{Name: "mget", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "string",
			Summary: "Get the values of all the given keys", Since: "1.0.0",
			Complexity: "O(N) where N is the number of keys to retrieve.", ACLCategories: aclReadString,
			Tips: []string{"request_policy:multi_shard"}, Run: cmdMGet},
		{Name: "mset", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, KeyStep: 2, Group: "string",
			Summary: "Set multiple keys to multiple values", Since: "1.0.1",
			Complexity: "O(N) where N is the number of keys to set.", ACLCategories: aclWriteStringS,
			Tips: []string{"request_policy:multi_shard", "response_policy:all_succeeded"}, Run: cmdMSet},
		{Name: "msetnx", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, KeyStep: 2, Group: "string",
			Summary: "Set multiple keys to multiple values, only if none of the keys exist", Since: "1.0.1",
			Complexity: "O(N) where N is the number of keys to set.", ACLCategories: aclWriteStringS,
			Tips: []string{"request_policy:multi_shard", "response_policy:agg_min"}, Run: cmdMSet},
		{Name: "append", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Append a value to a key", Since: "2.0.0",
			Complexity:    "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
			ACLCategories: aclWriteString, Run: cmdAppend},
		{Name: "strlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get the length of the value stored in a key", Since: "2.2.0", Complexity: "O(1)",
			ACLCategories: aclReadString, Run: cmdStrLen},
		{Name: "incr", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Increment the integer value of a key by one", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdIncrDecr},
		{Name: "decr", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Decrement the integer value of a key by one", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdIncrDecr},
		{Name: "incrby", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Increment the integer value of a key by the given amount", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdIncrDecr},
		{Name: "decrby", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Decrement the integer value of a key by the given number", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdIncrDecr},
		{Name: "incrbyfloat", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Increment the float value of a key by the given amount", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclWriteString, Run: cmdIncrByFloat},
		{Name: "getrange", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get a substring of the string stored at a key", Since: "2.4.0",
			Complexity:    "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
			ACLCategories: aclReadStringS, Run: cmdGetRange},
		{Name: "substr", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Get a substring of the string stored at a key", Since: "1.0.0",
			Complexity:    "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
			ACLCategories: aclReadStringS, Run: cmdGetRange},
		{Name: "setrange", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "string",
			Summary: "Overwrite part of a string at key starting at the specified offset", Since: "2.2.0",
			Complexity:    "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
			ACLCategories: aclWriteStringS, Run: cmdSetRange},
	}
}

func bitmapCommands() []*Command {
	return []*Command{
		{Name: "setbit", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "bitmap",
			Summary: "Sets or clears the bit at offset in the string value stored at key", Since: "2.2.0", Complexity: "O(1)",
			ACLCategories: []string{"@write", "@bitmap", "@slow"}, Run: cmdSetBit},
		{Name: "getbit", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "bitmap",
			Summary: "Returns the bit value at offset in the string value stored at key", Since: "2.2.0", Complexity: "O(1)",
			ACLCategories: []string{"@read", "@bitmap", "@fast"}, Run: cmdGetBit},
		{Name: "bitcount", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "bitmap",
			Summary: "Count set bits in a string", Since: "2.6.0", Complexity: "O(N)",
			ACLCategories: []string{"@read", "@bitmap", "@slow"}, Run: cmdBitCount},
		{Name: "bitpos", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "bitmap",
			Summary: "Find first bit set or clear in a string", Since: "2.8.7", Complexity: "O(N)",
			ACLCategories: []string{"@read", "@bitmap", "@slow"}, Run: cmdBitPos},
		{Name: "bitop", Arity: -4, Flags: Write | DenyOOM, FirstKey: 2, LastKey: -1, KeyStep: 1, Group: "bitmap",
			Summary: "Perform bitwise operations between strings", Since: "2.6.0", Complexity: "O(N)",
			ACLCategories: []string{"@write", "@bitmap", "@slow"}, Run: cmdBitOp},
	}
}

// GET key
func cmdGet(c *Ctx) {
	v, ok, err := c.Tx.GetString(c.DB, c.Args[1], c.Now)
	replyOptionalBulk(c, v, ok, err)
}

// Flags of SET and GETEX options (parseExtendedStringArgumentsOrReply).
const (
	optNX = 1 << iota
	optXX
	optEX
	optPX
	optKeepTTL
	optGet
	optEXAT
	optPXAT
	optPersist

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOpts parses SET options (set) or GETEX options (!set) with the
// exact acceptance rules of Redis's parseExtendedStringArgumentsOrReply,
// replying "ERR syntax error" on failure. It returns the flags and the
// argument of the expiry option.
func parseStringOpts(c *Ctx, args [][]byte, set bool) (flags int, expire []byte, ok bool) {
	for j := 0; j < len(args); j++ {
		opt := args[j]
		f := 0
		switch {
		case equalFold(opt, "ex"):
			f = optEX
		case equalFold(opt, "px"):
			f = optPX
		case equalFold(opt, "exat"):
			f = optEXAT
		case equalFold(opt, "pxat"):
			f = optPXAT
		}
		switch {
		// An expiry option excludes KEEPTTL, PERSIST and the other three
		// (it may repeat itself, the last one winning) and needs an
		// argument.
		case f != 0 && j+1 < len(args) && flags&(optKeepTTL|optPersist|(optExpire&^f)) == 0:
			flags |= f
			expire = args[j+1]
			j++
		case set && equalFold(opt, "nx") && flags&optXX == 0:
			flags |= optNX
		case set && equalFold(opt, "xx") && flags&optNX == 0:
			flags |= optXX
		case set && equalFold(opt, "get"):
			flags |= optGet
		case set && equalFold(opt, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
		case !set && equalFold(opt, "persist") && flags&(optExpire|optKeepTTL) == 0:
			flags |= optPersist
		default:
			c.Error(ErrSyntax)
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// invalidExpire is Redis's error for an out-of-range expiry.
func invalidExpire(c *Ctx) string {
	return "ERR invalid expire time in '" + c.Cmd.Name + "' command"
}

// expireAt converts the argument of EX/PX/EXAT/PXAT (flag f) to an absolute
// Unix time in ms, as getExpireMillisecondsOrReply does.
func expireAt(c *Ctx, arg []byte, f int) (int64, bool) {
	ms, ok := intArg(c, arg)
	if !ok {
		return 0, false
	}
	seconds := f&(optEX|optEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.Error(invalidExpire(c))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if f&(optEX|optPX) != 0 {
		ms += c.Now // wraps negative on overflow, caught below
	}
	if ms <= 0 {
		c.Error(invalidExpire(c))
		return 0, false
	}
	return ms, true
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
func cmdSet(c *Ctx) {
	flags, expire, ok := parseStringOpts(c, c.Args[3:], true)
	if !ok {
		return
	}
	opts := keyspace.SetOptions{
		KeepTTL: flags&optKeepTTL != 0, NX: flags&optNX != 0, XX: flags&optXX != 0, Get: flags&optGet != 0,
	}
	if flags&optExpire != 0 {
		if opts.ExpireAt, ok = expireAt(c, expire, flags&optExpire); !ok {
			return
		}
	}
	res, err := c.Tx.SetString(c.DB, c.Args[1], c.Args[2], c.Now, opts)
	if err == nil && res.Written {
		notifySet(c, c.Args[1], opts.ExpireAt != 0)
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case opts.Get && res.OldFound:
		c.Out.WriteBulk(res.Old)
	case opts.Get || !res.Written:
		c.Out.WriteNull()
	default:
		c.Out.WriteOK()
	}
}

// SETNX key value
func cmdSetNX(c *Ctx) {
	res, err := c.Tx.SetString(c.DB, c.Args[1], c.Args[2], c.Now, keyspace.SetOptions{NX: true})
	if err != nil {
		replyErr(c, err)
		return
	}
	if res.Written {
		notifySet(c, c.Args[1], false)
	}
	writeFlag(c, res.Written)
}

// SETEX key seconds value, PSETEX key milliseconds value
func cmdSetEX(c *Ctx) {
	f := optEX
	if c.Cmd.Name == "psetex" {
		f = optPX
	}
	at, ok := expireAt(c, c.Args[2], f)
	if !ok {
		return
	}
	if _, err := c.Tx.SetString(c.DB, c.Args[1], c.Args[3], c.Now, keyspace.SetOptions{ExpireAt: at}); err != nil {
		replyErr(c, err)
		return
	}
	notifySet(c, c.Args[1], true)
	c.Out.WriteOK()
}

// GETSET key value
func cmdGetSet(c *Ctx) {
	res, err := c.Tx.SetString(c.DB, c.Args[1], c.Args[2], c.Now, keyspace.SetOptions{Get: true})
	if err == nil {
		notifySet(c, c.Args[1], false)
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case res.OldFound:
		c.Out.WriteBulk(res.Old)
	default:
		c.Out.WriteNull()
	}
}

// GETDEL key
func cmdGetDel(c *Ctx) {
	v, ok, err := c.Tx.GetDel(c.DB, c.Args[1], c.Now)
	if err == nil && ok {
		c.Notify(notify.Generic, "del", c.Args[1])
	}
	replyOptionalBulk(c, v, ok, err)
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]
func cmdGetEx(c *Ctx) {
	flags, expire, ok := parseStringOpts(c, c.Args[2:], false)
	if !ok {
		return
	}
	key := c.Args[1]
	v, ok, err := c.Tx.GetStringForWrite(c.DB, key, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if !ok {
		c.Out.WriteNull()
		return
	}
	switch {
	case flags&optExpire != 0:
		at, ok := expireAt(c, expire, flags&optExpire)
		if !ok {
			return
		}
		// A past EXAT/PXAT deletes the key (Tx.Expire does that).
		if _, err = c.Tx.Expire(c.DB, key, at, c.Now, 0); err == nil {
			notifyExpire(c, key, at)
		}
	case flags&optPersist != 0:
		var persisted bool
		if persisted, err = c.Tx.Persist(c.DB, key, c.Now); err == nil && persisted {
			c.Notify(notify.Generic, "persist", key)
		}
	}
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteBulk(v)
}

// MGET key [key ...]
func cmdMGet(c *Ctx) {
	keys := c.Args[1:]
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		v, ok, err := c.Tx.GetString(c.DB, k, c.Now)
		switch {
		case err == nil && ok:
			vals[i] = v
			if v == nil {
				vals[i] = []byte{}
			}
		case err != nil && !isWrongType(err):
			c.Fail(err)
			return
		}
	}
	replyBulksOrNull(c, vals)
}

// MSET key value [key value ...], MSETNX key value [key value ...]
func cmdMSet(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(WrongArgs(c.Cmd.Name))
		return
	}
	nx := c.Cmd.Name == "msetnx"
	if nx {
		for j := 1; j < len(c.Args); j += 2 {
			_, ok, err := c.Tx.GetMetaForWrite(c.DB, c.Args[j], c.Now)
			if err != nil {
				replyErr(c, err)
				return
			}
			if ok {
				c.Out.WriteInt(0)
				return
			}
		}
	}
	for j := 1; j < len(c.Args); j += 2 {
		if _, err := c.Tx.SetString(c.DB, c.Args[j], c.Args[j+1], c.Now, keyspace.SetOptions{}); err != nil {
			replyErr(c, err)
			return
		}
		c.Notify(notify.String, "set", c.Args[j])
	}
	if nx {
		c.Out.WriteInt(1)
	} else {
		c.Out.WriteOK()
	}
}

// APPEND key value
func cmdAppend(c *Ctx) {
	n, err := c.Tx.Append(c.DB, c.Args[1], c.Args[2], c.Now, maxBulk(c))
	if err == nil {
		c.Notify(notify.String, "append", c.Args[1])
	}
	replyCount(c, n, err)
}

// STRLEN key
func cmdStrLen(c *Ctx) {
	n, err := c.Tx.StrLen(c.DB, c.Args[1], c.Now)
	replyCount(c, n, err)
}

// INCR key, DECR key, INCRBY key increment, DECRBY key decrement
func cmdIncrDecr(c *Ctx) {
	var incr int64
	switch c.Cmd.Name {
	case "incr":
		incr = 1
	case "decr":
		incr = -1
	case "incrby":
		n, ok := intArg(c, c.Args[2])
		if !ok {
			return
		}
		incr = n
	case "decrby":
		n, ok := intArg(c, c.Args[2])
		if !ok {
			return
		}
		if n == math.MinInt64 {
			c.Error("ERR decrement would overflow")
			return
		}
		incr = -n
	}
	v, found, err := c.Tx.GetStringForWrite(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	var cur int64
	if found {
		var ok bool
		if cur, ok = redisnum.ParseInt(v); !ok {
			c.Error(ErrNotInteger)
			return
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.Error(ErrOverflow)
		return
	}
	cur += incr
	var buf [20]byte
	if _, err := c.Tx.SetString(c.DB, c.Args[1], strconv.AppendInt(buf[:0], cur, 10), c.Now, keyspace.SetOptions{KeepTTL: true}); err != nil {
		replyErr(c, err)
		return
	}
	c.Notify(notify.String, "incrby", c.Args[1])
	c.Out.WriteInt(cur)
}

// INCRBYFLOAT key increment
func cmdIncrByFloat(c *Ctx) {
	v, found, err := c.Tx.GetStringForWrite(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	cur := new(big.Float).SetPrec(ldPrec)
	if found {
		var ok bool
		if cur, ok = parseLongDouble(v); !ok {
			c.Error(ErrNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(c.Args[2])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.Error(ErrNotFloatIncr)
		return
	}
	out := formatLongDouble(sum)
	if _, err := c.Tx.SetString(c.DB, c.Args[1], out, c.Now, keyspace.SetOptions{KeepTTL: true}); err != nil {
		replyErr(c, err)
		return
	}
	c.Notify(notify.String, "incrbyfloat", c.Args[1])
	c.Out.WriteBulk(out)
}

// GETRANGE key start end, SUBSTR key start end
func cmdGetRange(c *Ctx) {
	start, ok := intArg(c, c.Args[2])
	if !ok {
		return
	}
	end, ok := intArg(c, c.Args[3])
	if !ok {
		return
	}
	v, err := c.Tx.GetRange(c.DB, c.Args[1], start, end, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteBulk(v)
}

// SETRANGE key offset value
func cmdSetRange(c *Ctx) {
	off, ok := intArg(c, c.Args[2])
	if !ok {
		return
	}
	if off < 0 {
		c.Error("ERR offset is out of range")
		return
	}
	n, err := c.Tx.SetRange(c.DB, c.Args[1], off, c.Args[3], c.Now, maxBulk(c))
	if err == nil && len(c.Args[3]) > 0 {
		c.Notify(notify.String, "setrange", c.Args[1])
	}
	replyCount(c, n, err)
}

// bitOffset parses a SETBIT/GETBIT offset (getBitOffsetFromArgument).
func bitOffset(c *Ctx, b []byte) (int64, bool) {
	off, ok := redisnum.ParseInt(b)
	if !ok || off < 0 || off>>3 >= maxBulk(c) {
		c.Error(ErrBitOffset)
		return 0, false
	}
	return off, true
}

// SETBIT key offset value
func cmdSetBit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2])
	if !ok {
		return
	}
	on, ok := redisnum.ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Error(ErrBitValue)
		return
	}
	old, err := c.Tx.SetBit(c.DB, c.Args[1], off, on == 1, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Notify(notify.String, "setbit", c.Args[1])
	c.Out.WriteInt(int64(old))
}

// GETBIT key offset
func cmdGetBit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2])
	if !ok {
		return
	}
	bit, err := c.Tx.GetBit(c.DB, c.Args[1], off, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteInt(int64(bit))
}

// bitUnit parses BYTE|BIT.
func bitUnit(c *Ctx, b []byte) (isBit, ok bool) {
	switch {
	case equalFold(b, "bit"):
		return true, true
	case equalFold(b, "byte"):
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

// clampRange applies Redis's negative-index and clipping rules to an
// inclusive range over totlen units.
func clampRange(start, end, totlen int64) (int64, int64) {
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	start, end = max(start, 0), max(end, 0)
	if end >= totlen {
		end = totlen - 1
	}
	return start, end
}

// stringMeta looks up a string key for BITCOUNT/BITPOS; ok false means the
// caller is done (missing key: missing is set; or an error was replied).
func stringMeta(c *Ctx) (m keyspace.Meta, found, ok bool) {
	m, found, err := c.Tx.GetMeta(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return m, false, false
	}
	if found && m.Type != keyspace.TypeString {
		c.Error(ErrWrongType)
		return m, false, false
	}
	return m, found, true
}

// readBits returns the bytes holding bits [sb, eb] of the string m.
func readBits(c *Ctx, m *keyspace.Meta, sb, eb int64) ([]byte, bool) {
	data, err := c.Tx.ReadString(c.DB, c.Args[1], m, sb>>3, eb>>3-sb>>3+1)
	if err != nil {
		replyErr(c, err)
		return nil, false
	}
	return data, true
}

// BITCOUNT key [start end [BYTE|BIT]]
func cmdBitCount(c *Ctx) {
	m, found, ok := stringMeta(c)
	if !ok {
		return
	}
	if !found {
		c.Out.WriteInt(0)
		return
	}
	var start, end int64
	isBit := false
	switch len(c.Args) {
	case 4, 5:
		if start, ok = intArg(c, c.Args[2]); !ok {
			return
		}
		if end, ok = intArg(c, c.Args[3]); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.Out.WriteInt(0)
			return
		}
		if len(c.Args) == 5 {
			if isBit, ok = bitUnit(c, c.Args[4]); !ok {
				return
			}
		}
		totlen := m.Len
		if isBit {
			totlen <<= 3
		}
		start, end = clampRange(start, end, totlen)
	case 2:
		start, end = 0, m.Len-1
	default:
		c.Error(ErrSyntax)
		return
	}
	if start > end {
		c.Out.WriteInt(0)
		return
	}
	sb, eb := start*8, end*8+7
	if isBit {
		sb, eb = start, end
	}
	data, ok := readBits(c, &m, sb, eb)
	if !ok {
		return
	}
	n := popcount(data)
	// Drop the bits of the edge bytes outside [sb, eb].
	n -= int64(bits.OnesCount8(data[0] >> (8 - uint(sb&7))))
	n -= int64(bits.OnesCount8(data[len(data)-1] << (1 + uint(eb&7))))
	c.Out.WriteInt(n)
}

func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// BITPOS key bit [start [end [BYTE|BIT]]]
func cmdBitPos(c *Ctx) {
	bit, ok := intArg(c, c.Args[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	m, found, ok := stringMeta(c)
	if !ok {
		return
	}
	if !found {
		// A missing key is an infinite run of zero bits.
		c.Out.WriteInt(-bit)
		return
	}
	var start, end int64
	isBit, endGiven := false, false
	switch len(c.Args) {
	case 4, 5, 6:
		if start, ok = intArg(c, c.Args[3]); !ok {
			return
		}
		if len(c.Args) == 6 {
			if isBit, ok = bitUnit(c, c.Args[5]); !ok {
				return
			}
		}
		totlen := m.Len
		if len(c.Args) >= 5 {
			if end, ok = intArg(c, c.Args[4]); !ok {
				return
			}
			endGiven = true
		} else {
			end = totlen - 1
		}
		if isBit {
			totlen <<= 3
		}
		start, end = clampRange(start, end, totlen)
	case 3:
		start, end = 0, m.Len-1
	default:
		c.Error(ErrSyntax)
		return
	}
	if start > end {
		c.Out.WriteInt(-1)
		return
	}
	sb, eb := start*8, end*8+7
	if isBit {
		sb, eb = start, end
	}
	data, ok := readBits(c, &m, sb, eb)
	if !ok {
		return
	}
	base := sb &^ 7
	for pos := sb; pos <= eb; pos++ {
		// Skip whole bytes that cannot hold the bit sought.
		if pos&7 == 0 && pos+7 <= eb {
			skip := byte(0)
			if bit == 0 {
				skip = 0xff
			}
			if data[(pos-base)>>3] == skip {
				pos += 7
				continue
			}
		}
		if int64(data[(pos-base)>>3]>>(7-uint(pos&7))&1) == bit {
			c.Out.WriteInt(pos)
			return
		}
	}
	if bit == 1 || endGiven {
		c.Out.WriteInt(-1)
		return
	}
	// Looking for a clear bit without an explicit end: the string is
	// considered zero-padded on the right.
	c.Out.WriteInt(eb + 1)
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
func cmdBitOp(c *Ctx) {
	op := c.Args[1]
	switch {
	case equalFold(op, "and"), equalFold(op, "or"), equalFold(op, "xor"):
	case equalFold(op, "not"):
		if len(c.Args) != 4 {
			c.Error("ERR BITOP NOT must be called with a single source key.")
			return
		}
	default:
		c.Error(ErrSyntax)
		return
	}
	srcs := make([][]byte, 0, len(c.Args)-3)
	maxLen := 0
	for _, k := range c.Args[3:] {
		v, _, err := c.Tx.GetStringForWrite(c.DB, k, c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		srcs = append(srcs, v)
		maxLen = max(maxLen, len(v))
	}
	dest := c.Args[2]
	if maxLen == 0 {
		deleted, err := c.Tx.Delete(c.DB, dest, c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		if deleted {
			c.Notify(notify.Generic, "del", dest)
		}
		c.Out.WriteInt(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op[0] | 0x20 {
	case 'n':
		for i := range res {
			res[i] = ^res[i]
		}
	case 'a':
		for _, s := range srcs[1:] {
			for i := range res {
				if i < len(s) {
					res[i] &= s[i]
				} else {
					res[i] = 0
				}
			}
		}
	case 'o':
		for _, s := range srcs[1:] {
			for i := range s {
				res[i] |= s[i]
			}
		}
	case 'x':
		for _, s := range srcs[1:] {
			for i := range s {
				res[i] ^= s[i]
			}
		}
	}
	if _, err := c.Tx.SetString(c.DB, dest, res, c.Now, keyspace.SetOptions{}); err != nil {
		replyErr(c, err)
		return
	}
	c.Notify(notify.String, "set", dest)
	c.Out.WriteInt(int64(maxLen))
}

func isWrongType(err error) bool { return errors.Is(err, keyspace.ErrWrongType) }

// notifySet emits SET's events: "set", and "expire" when the command set
// a time to live (setGenericCommand).
func notifySet(c *Ctx, key []byte, expire bool) {
	c.Notify(notify.String, "set", key)
	if expire {
		c.Notify(notify.Generic, "expire", key)
	}
}
