package command

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//
// A blocking command's handler is its non-blocking form: it serves the
// first key with data. When none has data it calls Ctx.Block with its
// timeout, and the network runtime waits (never holding a storage worker)
// for a write to one of its keys, then runs it again; or, inside
// MULTI/EXEC (Ctx.NoBlock), it answers at once as Redis does on timeout.

var aclBlockingList = []string{"@write", "@list", "@slow", "@blocking"}

// blockingListCommands returns the blocking list commands.
func blockingListCommands() []*Command {
	return []*Command{
		{Name: "blpop", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, KeyStep: 1, Group: "list",
			Summary: "Remove and get the first element in a list, or block until one is available", Since: "2.0.0",
			Complexity: "O(N) where N is the number of provided keys.", ACLCategories: aclBlockingList, Run: cmdBPop},
		{Name: "brpop", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, KeyStep: 1, Group: "list",
			Summary: "Remove and get the last element in a list, or block until one is available", Since: "2.0.0",
			Complexity: "O(N) where N is the number of provided keys.", ACLCategories: aclBlockingList, Run: cmdBPop},
		{Name: "blmove", Arity: 6, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "list",
			Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "6.2.0",
			Complexity: "O(1)", ACLCategories: aclBlockingList, Run: cmdBLMove},
		{Name: "brpoplpush", Arity: 4, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "list",
			Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "2.2.0",
			Complexity: "O(1)", ACLCategories: aclBlockingList, Run: cmdBLMove},
		{Name: "blmpop", Arity: -5, Flags: Write | Blocking | MovableKeys, Keys: NumKeysAt(2, 0), Group: "list",
			Summary: "Pop elements from a list, or block until one is available", Since: "7.0.0",
			Complexity:    "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
			ACLCategories: aclBlockingList, Run: cmdBLMPop},
	}
}

// timeoutArg parses a blocking command's timeout in seconds (a float, as
// Redis's getTimeoutFromObjectOrReply), replying with Redis's errors. 0
// means forever.
func timeoutArg(c *Ctx, b []byte) (time.Duration, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(f) || len(b) == 0 {
		c.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	ms := math.Trunc(f * 1000) // (long long)(ftval * 1000.0)
	switch {
	case ms < 0 || ms >= math.MaxInt64:
		// C's conversion of an out-of-range double gives LLONG_MIN.
		c.Error("ERR timeout is negative")
		return 0, false
	case ms > float64(math.MaxInt64-c.Now):
		c.Error("ERR timeout is out of range")
		return 0, false
	case ms >= float64(maxBlockTimeout/time.Millisecond):
		return maxBlockTimeout, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// maxBlockTimeout caps block timeouts (Redis allows up to the year
// 292 million; a time.Duration ends at 292 years): a longer one waits
// "forever" too.
const maxBlockTimeout = 100 * 365 * 24 * time.Hour

// blockOrNull ends a blocking command that found no data: it blocks, or
// under NoBlock (or timeout < 0: the non-blocking form) answers null.
func blockOrNull(c *Ctx, timeout time.Duration, null func()) {
	if timeout < 0 || c.NoBlock {
		null()
		return
	}
	c.Block(timeout)
}

// BLPOP key [key ...] timeout, BRPOP key [key ...] timeout
func cmdBPop(c *Ctx) {
	timeout, ok := timeoutArg(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	left := c.Cmd.Name == "blpop"
	for _, key := range c.Args[1 : len(c.Args)-1] {
		e, found, err := c.Tx.ListPop(c.DB, key, left, 1, c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		if found {
			notifyPopped(c, key, left)
			c.Out.WriteArrayLen(2)
			c.Out.WriteBulk(key)
			c.Out.WriteBulk(e.At(0))
			return
		}
	}
	blockOrNull(c, timeout, c.Out.WriteNullArray)
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout,
// BRPOPLPUSH source destination timeout
func cmdBLMove(c *Ctx) { lmove(c, true) }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdBLMPop(c *Ctx) {
	timeout, ok := timeoutArg(c, c.Args[1])
	if !ok {
		return
	}
	lmpop(c, 2, timeout)
}

var aclBlockingZSet = []string{"@write", "@sortedset", "@fast", "@blocking"}

// blockingZSetCommands returns the blocking sorted-set commands.
func blockingZSetCommands() []*Command {
	return []*Command{
		{Name: "bzpopmin", Arity: -3, Flags: Write | NoScript | Blocking | Fast, FirstKey: 1, LastKey: -2, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
			Since:   "5.0.0", Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			ACLCategories: aclBlockingZSet, Run: cmdBZPop},
		{Name: "bzpopmax", Arity: -3, Flags: Write | NoScript | Blocking | Fast, FirstKey: 1, LastKey: -2, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
			Since:   "5.0.0", Complexity: "O(log(N)) with N being the number of elements in the sorted set.",
			ACLCategories: aclBlockingZSet, Run: cmdBZPop},
		{Name: "bzmpop", Arity: -5, Flags: Write | Blocking | MovableKeys, Keys: NumKeysAt(2, 0), Group: "sorted-set",
			Summary: "Remove and return members with scores in a sorted set or block until one is available", Since: "7.0.0",
			Complexity:    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
			ACLCategories: []string{"@write", "@sortedset", "@slow", "@blocking"}, Run: cmdBZMPop},
	}
}

// BZPOPMIN key [key ...] timeout, BZPOPMAX key [key ...] timeout
func cmdBZPop(c *Ctx) {
	timeout, ok := timeoutArg(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	idx, sm, err := c.Tx.ZSetPop(c.DB, keys, c.Now, c.Cmd.Name == "bzpopmax", 1)
	switch {
	case err != nil:
		replyErr(c, err)
	case idx < 0:
		blockOrNull(c, timeout, c.Out.WriteNullArray)
	default:
		notifyZPopped(c, keys[idx], sm, c.Cmd.Name == "bzpopmax")
		c.Out.WriteArrayLen(3)
		c.Out.WriteBulk(keys[idx])
		c.Out.WriteBulk(sm.Members.At(0))
		c.Out.WriteDouble(sm.Scores[0])
	}
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func cmdBZMPop(c *Ctx) {
	timeout, ok := timeoutArg(c, c.Args[1])
	if !ok {
		return
	}
	zmpop(c, 2, timeout)
}
