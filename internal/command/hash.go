package command

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

var (
	aclReadHash  = []string{"@read", "@hash", "@fast"}
	aclReadHashS = []string{"@read", "@hash", "@slow"}
	aclWriteHash = []string{"@write", "@hash", "@fast"}
)

// hashCommands returns the hash commands.
func hashCommands() []*Command {
	return []*Command{
		{Name: "hset", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Set the string value of a hash field", Since: "2.0.0",
			Complexity:    "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
			ACLCategories: aclWriteHash, Run: cmdHSet},
		{Name: "hmset", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Set multiple hash fields to multiple values", Since: "2.0.0", Complexity: "O(N) where N is the number of fields being set.",
			ACLCategories: aclWriteHash, Run: cmdHSet},
		{Name: "hsetnx", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Set the value of a hash field, only if the field does not exist", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteHash, Run: cmdHSetNX},
		{Name: "hget", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get the value of a hash field", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclReadHash, Run: cmdHGet},
		{Name: "hmget", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get the values of all the given hash fields", Since: "2.0.0", Complexity: "O(N) where N is the number of fields being requested.",
			ACLCategories: aclReadHash, Run: cmdHMGet},
		{Name: "hdel", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Delete one or more hash fields", Since: "2.0.0", Complexity: "O(N) where N is the number of fields to be removed.",
			ACLCategories: aclWriteHash, Run: cmdHDel},
		{Name: "hexists", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Determine if a hash field exists", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclReadHash, Run: cmdHExists},
		{Name: "hlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get the number of fields in a hash", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclReadHash, Run: cmdHLen},
		{Name: "hstrlen", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get the length of the value of a hash field", Since: "3.2.0", Complexity: "O(1)",
			ACLCategories: aclReadHash, Run: cmdHStrLen},
		{Name: "hkeys", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get all the fields in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash.",
			ACLCategories: aclReadHashS, Tips: []string{"nondeterministic_output_order"}, Run: cmdHGetAll},
		{Name: "hvals", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get all the values in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash.",
			ACLCategories: aclReadHashS, Tips: []string{"nondeterministic_output_order"}, Run: cmdHGetAll},
		{Name: "hgetall", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get all the fields and values in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash.",
			ACLCategories: aclReadHashS, Tips: []string{"nondeterministic_output_order"}, Run: cmdHGetAll},
		{Name: "hincrby", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Increment the integer value of a hash field by the given number", Since: "2.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteHash, Run: cmdHIncrBy},
		{Name: "hincrbyfloat", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Increment the float value of a hash field by the given amount", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: aclWriteHash, Run: cmdHIncrByFloat},
		{Name: "hrandfield", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Get one or multiple random fields from a hash", Since: "6.2.0",
			Complexity:    "O(N) where N is the number of fields returned",
			ACLCategories: aclReadHashS, Tips: []string{"nondeterministic_output"}, Run: cmdHRandField},
		{Name: "hscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "hash",
			Summary: "Incrementally iterate hash fields and associated values", Since: "2.8.0",
			Complexity:    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			ACLCategories: aclReadHashS, Tips: []string{"nondeterministic_output"}, Run: cmdHScan},
	}
}

// HSET key field value [field value ...], HMSET (same, replies +OK)
func cmdHSet(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.Error(WrongArgs(c.Cmd.Name))
		return
	}
	added, err := c.Tx.HashSet(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err == nil {
		c.Notify(notify.Hash, "hset", c.Args[1])
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case c.Cmd.Name == "hmset":
		c.Out.WriteOK()
	default:
		c.Out.WriteInt(added)
	}
}

// HSETNX key field value
func cmdHSetNX(c *Ctx) {
	set := false
	err := c.Tx.HashUpdate(c.DB, c.Args[1], c.Args[2], c.Now, func(_ []byte, exists bool) ([]byte, bool, error) {
		set = !exists
		return c.Args[3], set, nil
	})
	if err != nil {
		replyErr(c, err)
		return
	}
	if set {
		c.Notify(notify.Hash, "hset", c.Args[1])
	}
	writeFlag(c, set)
}

// HGET key field
func cmdHGet(c *Ctx) {
	v, ok, err := c.Tx.HashGet(c.DB, c.Args[1], c.Args[2], c.Now)
	replyOptionalBulk(c, v, ok, err)
}

// HMGET key field [field ...]
func cmdHMGet(c *Ctx) {
	vals, err := c.Tx.HashMGet(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	replyBulksOrNull(c, vals)
}

// HDEL key field [field ...]
func cmdHDel(c *Ctx) {
	n, err := c.Tx.HashDel(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err == nil && n > 0 {
		c.notifyRemoval(notify.Hash, "hdel", c.Args[1])
	}
	replyCount(c, n, err)
}

// HEXISTS key field
func cmdHExists(c *Ctx) {
	_, ok, err := c.Tx.HashGet(c.DB, c.Args[1], c.Args[2], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeFlag(c, ok)
}

// HLEN key
func cmdHLen(c *Ctx) {
	n, err := c.Tx.HashLen(c.DB, c.Args[1], c.Now)
	replyCount(c, n, err)
}

// HSTRLEN key field
func cmdHStrLen(c *Ctx) {
	v, _, err := c.Tx.HashGet(c.DB, c.Args[1], c.Args[2], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteInt(int64(len(v)))
}

// HGETALL key, HKEYS key, HVALS key
func cmdHGetAll(c *Ctx) {
	keys, vals := c.Cmd.Name != "hvals", c.Cmd.Name != "hkeys"
	e, err := c.Tx.HashFields(c.DB, c.Args[1], c.Now, keys, vals)
	if err != nil {
		replyErr(c, err)
		return
	}
	if !keys || !vals {
		replyElems(c, e)
		return
	}
	c.Out.WriteMapLen(e.Len() / 2)
	for i := range e.Len() {
		c.Out.WriteBulk(e.At(i))
	}
}

// HINCRBY key field increment
func cmdHIncrBy(c *Ctx) {
	incr, ok := intArg(c, c.Args[3])
	if !ok {
		return
	}
	var result int64
	var msg string
	var buf [20]byte
	err := c.Tx.HashUpdate(c.DB, c.Args[1], c.Args[2], c.Now, func(old []byte, exists bool) ([]byte, bool, error) {
		var cur int64
		if exists {
			var ok bool
			if cur, ok = redisnum.ParseInt(old); !ok {
				msg = "ERR hash value is not an integer"
				return nil, false, nil
			}
		}
		if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
			msg = ErrOverflow
			return nil, false, nil
		}
		result = cur + incr
		return strconv.AppendInt(buf[:0], result, 10), true, nil
	})
	switch {
	case err != nil:
		replyErr(c, err)
	case msg != "":
		c.Error(msg)
	default:
		c.Notify(notify.Hash, "hincrby", c.Args[1])
		c.Out.WriteInt(result)
	}
}

// HINCRBYFLOAT key field increment
func cmdHIncrByFloat(c *Ctx) {
	incr, ok := parseLongDouble(c.Args[3])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error("ERR value is NaN or Infinity")
		return
	}
	var out []byte
	var msg string
	err := c.Tx.HashUpdate(c.DB, c.Args[1], c.Args[2], c.Now, func(old []byte, exists bool) ([]byte, bool, error) {
		cur := new(big.Float).SetPrec(ldPrec)
		if exists {
			var ok bool
			if cur, ok = parseLongDouble(old); !ok {
				msg = "ERR hash value is not a float"
				return nil, false, nil
			}
		}
		sum, ok := addLongDouble(cur, incr)
		if !ok {
			msg = ErrNotFloatIncr
			return nil, false, nil
		}
		out = formatLongDouble(sum)
		return out, true, nil
	})
	switch {
	case err != nil:
		replyErr(c, err)
	case msg != "":
		c.Error(msg)
	default:
		c.Notify(notify.Hash, "hincrbyfloat", c.Args[1])
		c.Out.WriteBulk(out)
	}
}

// HRANDFIELD key [count [WITHVALUES]]
func cmdHRandField(c *Ctx) {
	if len(c.Args) == 2 {
		e, err := c.Tx.HashFields(c.DB, c.Args[1], c.Now, true, false)
		if err != nil {
			replyErr(c, err)
			return
		}
		if e.Len() == 0 {
			c.Out.WriteNull()
			return
		}
		c.Out.WriteBulk(e.At(rand.IntN(e.Len())))
		return
	}
	count, ok := randCountArg(c, c.Args[2])
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 3 {
		if len(c.Args) > 4 || !equalFold(c.Args[3], "withvalues") {
			c.Error(ErrSyntax)
			return
		}
		withValues = true
	}
	if count < -math.MaxInt64/2 && withValues {
		// Redis's bound: the reply would need more than LONG_MAX items.
		c.Error("ERR value is out of range")
		return
	}
	if !randCountFits(c, count) {
		return
	}
	e, err := c.Tx.HashFields(c.DB, c.Args[1], c.Now, true, true)
	if err != nil {
		replyErr(c, err)
		return
	}
	picks := randomPicks(e.Len()/2, count)
	pair := func(i int) {
		if withValues && c.Out.Proto() == 3 {
			c.Out.WriteArrayLen(2)
		}
		c.Out.WriteBulk(e.At(2 * i))
		if withValues {
			c.Out.WriteBulk(e.At(2*i + 1))
		}
	}
	n := len(picks)
	if withValues && c.Out.Proto() == 2 {
		n *= 2
	}
	c.Out.WriteArrayLen(n)
	for _, i := range picks {
		pair(i)
	}
}

// randCountArg parses the count of HRANDFIELD, SRANDMEMBER and
// ZRANDMEMBER: an integer in [-LONG_MAX, LONG_MAX].
func randCountArg(c *Ctx, b []byte) (int64, bool) {
	n, ok := intArg(c, b)
	if ok && n == math.MinInt64 {
		c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, ok
}

// randCountFits refuses (false, with an error reply) a negative count
// beyond maxRandomCount, once the command's own checks passed.
func randCountFits(c *Ctx, n int64) bool {
	if n < -maxRandomCount {
		// Redis would try to build the reply and run out of memory.
		c.Error("ERR count is too large: Kiwi returns at most 16777216 random elements with repetitions")
		return false
	}
	return true
}

// maxRandomCount bounds the reply of a random-members command with a
// negative count (elements may repeat, so the collection does not bound
// it): 2^24 elements, far beyond any useful sample.
const maxRandomCount = 1 << 24

// randomPicks returns the indexes of n elements that a random-members
// command with count returns (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER): for
// count >= 0, min(count, n) distinct indexes (all of them, in order, when
// count >= n); for count < 0, -count indexes drawn with repetition.
func randomPicks(n int, count int64) []int {
	switch {
	case n == 0 || count == 0:
		return nil
	case count < 0:
		picks := make([]int, min(-count, math.MaxInt32))
		for i := range picks {
			picks[i] = rand.IntN(n)
		}
		return picks
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if count >= int64(n) {
		return idx
	}
	// Partial Fisher–Yates: the first count slots get a uniform sample.
	for i := range int(count) {
		j := i + rand.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:count]
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
func cmdHScan(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	opts, ok := parseElemScan(c, keyspace.TypeHash)
	if !ok {
		return
	}
	next, e, err := c.Tx.HashScan(c.DB, c.Args[1], c.Now, cursor, opts.Count, opts.Match)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeScanReply(c, next, e.Len(), e.At)
}

// parseElemScan is the start of HSCAN, SSCAN and ZSCAN (key cursor
// [MATCH pattern] [COUNT count]) once the cursor parsed, in Redis's
// order: a missing key answers an empty scan and a key of another type
// WRONGTYPE, whatever the options; then the options are parsed. ok is
// false when a reply was written.
func parseElemScan(c *Ctx, typ keyspace.Type) (opts keyspace.ScanOptions, ok bool) {
	t, err := c.Tx.Type(c.DB, c.Args[1], c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
		return opts, false
	case t == keyspace.TypeNone:
		writeScanReply(c, 0, 0, nil)
		return opts, false
	case t != typ:
		c.Error(ErrWrongType)
		return opts, false
	}
	return parseScanOpts(c, c.Args[3:], false)
}

// replyElems writes e as an array of bulk strings.
func replyElems(c *Ctx, e *keyspace.Elems) {
	c.Out.WriteArrayLen(e.Len())
	for i := range e.Len() {
		c.Out.WriteBulk(e.At(i))
	}
}
