package command

import (
	"bytes"
	"math"
	"math/rand/v2"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

var (
	aclReadSet   = []string{"@read", "@set", "@fast"}
	aclReadSetS  = []string{"@read", "@set", "@slow"}
	aclWriteSet  = []string{"@write", "@set", "@fast"}
	aclWriteSetS = []string{"@write", "@set", "@slow"}
)

// setCommands returns the set commands.
func setCommands() []*Command {
	orderTip := []string{"nondeterministic_output_order"}
	randTip := []string{"nondeterministic_output"}
	return []*Command{
		{Name: "sadd", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Add one or more members to a set", Since: "1.0.0",
			Complexity:    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
			ACLCategories: aclWriteSet, Run: cmdSAdd},
		{Name: "srem", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Remove one or more members from a set", Since: "1.0.0", Complexity: "O(N) where N is the number of members to be removed.",
			ACLCategories: aclWriteSet, Run: cmdSRem},
		{Name: "scard", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Get the number of members in a set", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclReadSet, Run: cmdSCard},
		{Name: "sismember", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Determine if a given value is a member of a set", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclReadSet, Run: cmdSIsMember},
		{Name: "smismember", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Returns the membership associated with the given elements for a set", Since: "6.2.0",
			Complexity:    "O(N) where N is the number of elements being checked for membership",
			ACLCategories: aclReadSet, Run: cmdSIsMember},
		{Name: "smembers", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Get all the members in a set", Since: "1.0.0", Complexity: "O(N) where N is the set cardinality.",
			ACLCategories: aclReadSetS, Tips: orderTip, Run: cmdSMembers},
		{Name: "srandmember", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Get one or multiple random members from a set", Since: "1.0.0",
			Complexity:    "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
			ACLCategories: aclReadSetS, Tips: randTip, Run: cmdSRandMember},
		{Name: "spop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Remove and return one or multiple random members from a set", Since: "1.0.0",
			Complexity:    "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
			ACLCategories: aclWriteSet, Tips: randTip, Run: cmdSPop},
		{Name: "smove", Arity: 4, Flags: Write | Fast, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "set",
			Summary: "Move a member from one set to another", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclWriteSet, Run: cmdSMove},
		{Name: "sinter", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Intersect multiple sets", Since: "1.0.0",
			Complexity:    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			ACLCategories: aclReadSetS, Tips: orderTip, Run: cmdSCombine},
		{Name: "sintercard", Arity: -3, Flags: ReadOnly | MovableKeys, Keys: NumKeysAt(1, 0), Group: "set",
			Summary: "Intersect multiple sets and return the cardinality of the result", Since: "7.0.0",
			Complexity:    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			ACLCategories: aclReadSetS, Run: cmdSInterCard},
		{Name: "sinterstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Intersect multiple sets and store the resulting set in a key", Since: "1.0.0",
			Complexity:    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			ACLCategories: aclWriteSetS, Run: cmdSCombine},
		{Name: "sunion", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Add multiple sets", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets.",
			ACLCategories: aclReadSetS, Tips: orderTip, Run: cmdSCombine},
		{Name: "sunionstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Add multiple sets and store the resulting set in a key", Since: "1.0.0",
			Complexity:    "O(N) where N is the total number of elements in all given sets.",
			ACLCategories: aclWriteSetS, Run: cmdSCombine},
		{Name: "sdiff", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Subtract multiple sets", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets.",
			ACLCategories: aclReadSetS, Tips: orderTip, Run: cmdSCombine},
		{Name: "sdiffstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "set",
			Summary: "Subtract multiple sets and store the resulting set in a key", Since: "1.0.0",
			Complexity:    "O(N) where N is the total number of elements in all given sets.",
			ACLCategories: aclWriteSetS, Run: cmdSCombine},
		{Name: "sscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "set",
			Summary: "Incrementally iterate Set elements", Since: "2.8.0",
			Complexity:    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			ACLCategories: aclReadSetS, Tips: randTip, Run: cmdSScan},
	}
}

// SADD key member [member ...]
func cmdSAdd(c *Ctx) {
	n, err := c.Tx.SetAdd(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err == nil && n > 0 {
		c.Notify(notify.Set, "sadd", c.Args[1])
	}
	replyCount(c, n, err)
}

// SREM key member [member ...]
func cmdSRem(c *Ctx) {
	n, err := c.Tx.SetRem(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err == nil && n > 0 {
		c.notifyRemoval(notify.Set, "srem", c.Args[1])
	}
	replyCount(c, n, err)
}

// SCARD key
func cmdSCard(c *Ctx) {
	n, err := c.Tx.SetCard(c.DB, c.Args[1], c.Now)
	replyCount(c, n, err)
}

// SISMEMBER key member, SMISMEMBER key member [member ...]
func cmdSIsMember(c *Ctx) {
	in, err := c.Tx.SetIsMember(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if c.Cmd.Name == "sismember" {
		writeFlag(c, in[0])
		return
	}
	c.Out.WriteArrayLen(len(in))
	for _, b := range in {
		writeFlag(c, b)
	}
}

// SMEMBERS key
func cmdSMembers(c *Ctx) {
	e, err := c.Tx.SetMembers(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	replySet(c, e)
}

// replySet writes e as a set reply (RESP3 set, RESP2 array).
func replySet(c *Ctx, e *keyspace.Elems) {
	c.Out.WriteSetLen(e.Len())
	for i := range e.Len() {
		c.Out.WriteBulk(e.At(i))
	}
}

// SRANDMEMBER key [count]
func cmdSRandMember(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	count := int64(1)
	if len(c.Args) == 3 {
		var ok bool
		if count, ok = randCountArg(c, c.Args[2]); !ok || !randCountFits(c, count) {
			return
		}
	}
	e, err := c.Tx.SetMembers(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if len(c.Args) == 2 {
		if e.Len() == 0 {
			c.Out.WriteNull()
		} else {
			c.Out.WriteBulk(e.At(rand.IntN(e.Len())))
		}
		return
	}
	picks := randomPicks(e.Len(), count)
	c.Out.WriteArrayLen(len(picks))
	for _, i := range picks {
		c.Out.WriteBulk(e.At(i))
	}
}

// SPOP key [count]
func cmdSPop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	count := int64(1)
	if len(c.Args) == 3 {
		var ok bool
		if count, ok = redisnum.ParseInt(c.Args[2]); !ok || count < 0 {
			c.Error("ERR value is out of range, must be positive")
			return
		}
	}
	e, err := c.Tx.SetPop(c.DB, c.Args[1], c.Now, func(n int) []int { return randomPicks(n, count) })
	if err == nil && e.Len() > 0 {
		c.notifyRemoval(notify.Set, "spop", c.Args[1])
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case len(c.Args) == 3:
		replySet(c, e)
	case e.Len() == 0:
		c.Out.WriteNull()
	default:
		c.Out.WriteBulk(e.At(0))
	}
}

// SMOVE source destination member
func cmdSMove(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	moved, added, err := c.Tx.SetMove(c.DB, src, dst, c.Args[3], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if moved && !bytes.Equal(src, dst) {
		c.notifyRemoval(notify.Set, "srem", src)
		if added {
			c.Notify(notify.Set, "sadd", dst)
		} else {
			c.Modified(src) // dst already held the member: unchanged
		}
	}
	writeFlag(c, moved)
}

// SINTER, SUNION, SDIFF key [key ...]; SINTERSTORE, SUNIONSTORE,
// SDIFFSTORE destination key [key ...]
func cmdSCombine(c *Ctx) {
	name := c.Cmd.Name
	var op keyspace.SetOp
	switch name[1:3] {
	case "in":
		op = keyspace.SetInter
	case "un":
		op = keyspace.SetUnion
	default:
		op = keyspace.SetDiff
	}
	store := c.Cmd.IsWrite()
	keys := c.Args[1:]
	if store {
		keys = c.Args[2:]
	}
	e, err := c.Tx.SetCombine(c.DB, op, keys, c.Now, 0)
	if err != nil {
		replyErr(c, err)
		return
	}
	if !store {
		replySet(c, e)
		return
	}
	existed := c.existsForEvent(c.Args[1])
	n, err := c.Tx.SetStore(c.DB, c.Args[1], e, c.Now)
	if err == nil {
		c.notifyStored(notify.Set, name, c.Args[1], n, existed)
	}
	replyCount(c, n, err)
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSInterCard(c *Ctx) {
	keys, rest, ok := numKeysArg(c, c.Args[1], c.Args[2:], "ERR numkeys should be greater than 0")
	if !ok {
		return
	}
	limit := int64(0)
	for i := 0; i < len(rest); i += 2 {
		if !equalFold(rest[i], "limit") || i+1 >= len(rest) {
			c.Error(ErrSyntax)
			return
		}
		n, ok := redisnum.ParseInt(rest[i+1])
		if !ok || n < 0 {
			c.Error("ERR LIMIT can't be negative")
			return
		}
		limit = n
	}
	e, err := c.Tx.SetCombine(c.DB, keyspace.SetInter, keys, c.Now, int(min(limit, math.MaxInt32)))
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteInt(int64(e.Len()))
}

// numKeysArg splits "numkeys key [key ...] rest..." (SINTERCARD, LMPOP...)
// into the keys and the arguments after them. A count that is no
// positive integer is answered with badCount (each command has its own
// text), one beyond the arguments with Redis's common error.
func numKeysArg(c *Ctx, numkeys []byte, args [][]byte, badCount string) (keys, rest [][]byte, ok bool) {
	n, ok := redisnum.ParseInt(numkeys)
	switch {
	case !ok || n <= 0:
		c.Error(badCount)
		return nil, nil, false
	case n > int64(len(args)):
		c.Error("ERR Number of keys can't be greater than number of args")
		return nil, nil, false
	}
	return args[:n], args[n:], true
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func cmdSScan(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	opts, ok := parseElemScan(c, keyspace.TypeSet)
	if !ok {
		return
	}
	next, e, err := c.Tx.SetScan(c.DB, c.Args[1], c.Now, cursor, opts.Count, opts.Match)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeScanReply(c, next, e.Len(), e.At)
}
