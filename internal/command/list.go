package command

import (
	"errors"
	"math"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// List commands (Redis 7.0 semantics and replies). The blocking ones
// (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) need the network runtime to
// park clients; once a key has data they are keyspace.ListPop and
// keyspace.ListMove, like their non-blocking forms here.

var (
	aclReadList   = []string{"@read", "@list", "@fast"}
	aclReadListS  = []string{"@read", "@list", "@slow"}
	aclWriteList  = []string{"@write", "@list", "@fast"}
	aclWriteListS = []string{"@write", "@list", "@slow"}
)

// List error replies, byte-identical to Redis 7.0.
const (
	errPopCount    = "ERR value is out of range, must be positive"
	errRankZero    = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNeg    = "ERR COUNT can't be negative"
	errMaxLenNeg   = "ERR MAXLEN can't be negative"
	errNumKeys     = "ERR numkeys should be greater than 0"
	errMPopCount   = "ERR count should be greater than 0"
	pushComplexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
)

// listCommands returns the list commands.
func listCommands() []*Command {
	return []*Command{
		{Name: "lpush", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Prepend one or multiple elements to a list", Since: "1.0.0", Complexity: pushComplexity,
			ACLCategories: aclWriteList, Run: cmdPush},
		{Name: "rpush", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Append one or multiple elements to a list", Since: "1.0.0", Complexity: pushComplexity,
			ACLCategories: aclWriteList, Run: cmdPush},
		{Name: "lpushx", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Prepend an element to a list, only if the list exists", Since: "2.2.0", Complexity: pushComplexity,
			ACLCategories: aclWriteList, Run: cmdPush},
		{Name: "rpushx", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Append an element to a list, only if the list exists", Since: "2.2.0", Complexity: pushComplexity,
			ACLCategories: aclWriteList, Run: cmdPush},
		{Name: "lpop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Remove and get the first elements in a list", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of elements returned",
			ACLCategories: aclWriteList, Run: cmdPop},
		{Name: "rpop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Remove and get the last elements in a list", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of elements returned",
			ACLCategories: aclWriteList, Run: cmdPop},
		{Name: "llen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Get the length of a list", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclReadList, Run: cmdLLen},
		{Name: "lindex", Arity: 3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Get an element from a list by its index", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
			ACLCategories: aclReadListS, Run: cmdLIndex},
		{Name: "lrange", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Get a range of elements from a list", Since: "1.0.0",
			Complexity:    "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
			ACLCategories: aclReadListS, Run: cmdLRange},
		{Name: "lset", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Set the value of an element in a list by its index", Since: "1.0.0",
			Complexity:    "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
			ACLCategories: aclWriteListS, Run: cmdLSet},
		{Name: "ltrim", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Trim a list to the specified range", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of elements to be removed by the operation.",
			ACLCategories: aclWriteListS, Run: cmdLTrim},
		{Name: "lrem", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Remove elements from a list", Since: "1.0.0",
			Complexity:    "O(N+M) where N is the length of the list and M is the number of elements removed.",
			ACLCategories: aclWriteListS, Run: cmdLRem},
		{Name: "linsert", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Insert an element before or after another element in a list", Since: "2.2.0",
			Complexity:    "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
			ACLCategories: aclWriteListS, Run: cmdLInsert},
		{Name: "lpos", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "list",
			Summary: "Return the index of matching elements on a list", Since: "6.0.6",
			Complexity:    "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
			ACLCategories: aclReadListS, Run: cmdLPos},
		{Name: "lmove", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "list",
			Summary: "Pop an element from a list, push it to another list and return it", Since: "6.2.0", Complexity: "O(1)",
			ACLCategories: aclWriteListS, Run: cmdLMove},
		{Name: "rpoplpush", Arity: 3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "list",
			Summary: "Remove the last element in a list, prepend it to another list and return it", Since: "1.2.0", Complexity: "O(1)",
			ACLCategories: aclWriteListS, Run: cmdLMove},
		{Name: "lmpop", Arity: -4, Flags: Write | MovableKeys, Keys: NumKeysAt(1, 0), Group: "list",
			Summary: "Pop elements from a list", Since: "7.0.0",
			Complexity:    "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
			ACLCategories: aclWriteListS, Run: cmdLMPop},
	}
}

// LPUSH key element [element ...], RPUSH, LPUSHX, RPUSHX
func cmdPush(c *Ctx) {
	name := c.Cmd.Name
	left, create := name[0] == 'l', name[len(name)-1] != 'x'
	n, err := c.Tx.ListPush(c.DB, c.Args[1], c.Args[2:], left, create, c.Now)
	if err == nil && n > 0 {
		c.Notify(notify.List, pushEvent(left), c.Args[1])
	}
	replyCount(c, n, err)
}

// LPOP key [count], RPOP key [count]
func cmdPop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(WrongArgs(c.Cmd.Name))
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		var ok bool
		if count, ok = redisnum.ParseInt(c.Args[2]); !ok || count < 0 {
			c.Error(errPopCount)
			return
		}
	}
	left := c.Cmd.Name == "lpop"
	e, found, err := c.Tx.ListPop(c.DB, c.Args[1], left, count, c.Now)
	if found && e.Len() > 0 {
		notifyPopped(c, c.Args[1], left)
	}
	switch {
	case err != nil:
		replyErr(c, err)
	case !found && hasCount:
		c.Out.WriteNullArray()
	case !found:
		c.Out.WriteNull()
	case hasCount:
		replyElems(c, e)
	default:
		c.Out.WriteBulk(e.At(0))
	}
}

// LLEN key
func cmdLLen(c *Ctx) {
	n, err := c.Tx.ListLen(c.DB, c.Args[1], c.Now)
	replyCount(c, n, err)
}

// LINDEX key index
func cmdLIndex(c *Ctx) {
	index, ok := redisnum.ParseInt(c.Args[2])
	if !ok {
		// Redis looks the key up before parsing the index: a missing key
		// answers nil and another type WRONGTYPE whatever the index.
		t, err := c.Tx.Type(c.DB, c.Args[1], c.Now)
		switch {
		case err != nil:
			replyErr(c, err)
		case t == keyspace.TypeNone:
			c.Out.WriteNull()
		case t != keyspace.TypeList:
			c.Error(ErrWrongType)
		default:
			c.Error(ErrNotInteger)
		}
		return
	}
	v, ok, err := c.Tx.ListIndex(c.DB, c.Args[1], index, c.Now)
	replyOptionalBulk(c, v, ok, err)
}

// LSET key index element
func cmdLSet(c *Ctx) {
	index, ok := redisnum.ParseInt(c.Args[2])
	if !ok {
		// As LINDEX: the key is looked up before the index is parsed.
		m, found, err := c.Tx.GetMetaForWrite(c.DB, c.Args[1], c.Now)
		switch {
		case err != nil:
			replyErr(c, err)
		case !found:
			c.Error(ErrNoSuchKey)
		case m.Type != keyspace.TypeList:
			c.Error(ErrWrongType)
		default:
			c.Error(ErrNotInteger)
		}
		return
	}
	err := c.Tx.ListSet(c.DB, c.Args[1], index, c.Args[3], c.Now)
	switch {
	case errors.Is(err, keyspace.ErrIndexOutOfRange):
		c.Error(ErrOutOfRange)
	case err != nil:
		replyErr(c, err)
	default:
		c.Notify(notify.List, "lset", c.Args[1])
		c.Out.WriteOK()
	}
}

// startStop parses the start and stop arguments of LRANGE and LTRIM.
func startStop(c *Ctx) (start, stop int64, ok bool) {
	if start, ok = intArg(c, c.Args[2]); !ok {
		return 0, 0, false
	}
	stop, ok = intArg(c, c.Args[3])
	return start, stop, ok
}

// LRANGE key start stop
func cmdLRange(c *Ctx) {
	start, stop, ok := startStop(c)
	if !ok {
		return
	}
	e, err := c.Tx.ListRange(c.DB, c.Args[1], start, stop, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	replyElems(c, e)
}

// LTRIM key start stop
func cmdLTrim(c *Ctx) {
	start, stop, ok := startStop(c)
	if !ok {
		return
	}
	// Redis signals an existing list as modified even when LTRIM removes
	// nothing: WATCH must see it (Batch only reports commands that wrote).
	n, err := c.Tx.ListLen(c.DB, c.Args[1], c.Now)
	if err == nil {
		err = c.Tx.ListTrim(c.DB, c.Args[1], start, stop, c.Now)
	}
	if err != nil {
		replyErr(c, err)
		return
	}
	if n > 0 {
		c.touch(c.Args[1])
		c.notifyRemoval(notify.List, "ltrim", c.Args[1])
	}
	c.Out.WriteOK()
}

// LREM key count element
func cmdLRem(c *Ctx) {
	count, ok := intArg(c, c.Args[2])
	if !ok {
		return
	}
	n, err := c.Tx.ListRem(c.DB, c.Args[1], count, c.Args[3], c.Now)
	if err == nil && n > 0 {
		c.notifyRemoval(notify.List, "lrem", c.Args[1])
	}
	replyCount(c, n, err)
}

// LINSERT key BEFORE|AFTER pivot element
func cmdLInsert(c *Ctx) {
	var after bool
	switch {
	case equalFold(c.Args[2], "after"):
		after = true
	case equalFold(c.Args[2], "before"):
	default:
		c.Error(ErrSyntax)
		return
	}
	n, err := c.Tx.ListInsert(c.DB, c.Args[1], after, c.Args[3], c.Args[4], c.Now)
	if err == nil && n > 0 {
		c.Notify(notify.List, "linsert", c.Args[1])
	}
	replyCount(c, n, err)
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLPos(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: no COUNT
	for j := 3; j < len(c.Args); j++ {
		opt, more := c.Args[j], j+1 < len(c.Args)
		var ok bool
		switch {
		case equalFold(opt, "rank") && more:
			j++
			if rank, ok = intArg(c, c.Args[j]); !ok {
				return
			}
			if rank == 0 {
				c.Error(errRankZero)
				return
			}
		case equalFold(opt, "count") && more:
			j++
			if count, ok = redisnum.ParseInt(c.Args[j]); !ok || count < 0 {
				c.Error(errCountNeg)
				return
			}
		case equalFold(opt, "maxlen") && more:
			j++
			if maxlen, ok = redisnum.ParseInt(c.Args[j]); !ok || maxlen < 0 {
				c.Error(errMaxLenNeg)
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	n := count // matches to find
	if count < 0 {
		n = 1
	}
	if rank == math.MinInt64 {
		// Redis 7.0 negates the rank without a range check: -LONG_MIN
		// stays negative, so the scan is from the tail, the first match
		// qualifies and the COUNT test (which overflows) never ends it.
		rank = -1
		if count >= 0 {
			n = 0
		}
	}
	pos, err := c.Tx.ListPos(c.DB, c.Args[1], c.Args[2], rank, n, maxlen, c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
	case count >= 0:
		c.Out.WriteArrayLen(len(pos))
		for _, p := range pos {
			c.Out.WriteInt(p)
		}
	case len(pos) == 0:
		c.Out.WriteNull()
	default:
		c.Out.WriteInt(pos[0])
	}
}

// listEnd parses LEFT or RIGHT (LMOVE, LMPOP); ok is false (and a syntax
// error written) for anything else.
func listEnd(c *Ctx, b []byte) (left, ok bool) {
	switch {
	case equalFold(b, "left"):
		return true, true
	case equalFold(b, "right"):
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT, RPOPLPUSH source destination
func cmdLMove(c *Ctx) { lmove(c, false) }

// lmove is LMOVE and RPOPLPUSH and, blocking (the timeout last), BLMOVE
// and BRPOPLPUSH.
func lmove(c *Ctx, blocking bool) {
	srcLeft, dstLeft := false, true // RPOPLPUSH
	if strings.HasSuffix(c.Cmd.Name, "lmove") {
		var ok bool
		if srcLeft, ok = listEnd(c, c.Args[3]); !ok {
			return
		}
		if dstLeft, ok = listEnd(c, c.Args[4]); !ok {
			return
		}
	}
	timeout := time.Duration(-1)
	if blocking {
		var ok bool
		if timeout, ok = timeoutArg(c, c.Args[len(c.Args)-1]); !ok {
			return
		}
	}
	v, ok, err := c.Tx.ListMove(c.DB, c.Args[1], c.Args[2], srcLeft, dstLeft, c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
	case ok:
		// Redis's order (lmoveGenericCommand): the push, then the pop.
		c.Notify(notify.List, pushEvent(dstLeft), c.Args[2])
		notifyPopped(c, c.Args[1], srcLeft)
		c.Out.WriteBulk(v)
	default:
		blockOrNull(c, timeout, c.Out.WriteNull)
	}
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdLMPop(c *Ctx) { lmpop(c, 1, -1) }

// lmpop is LMPOP and BLMPOP: the arguments from index at are numkeys key
// [key ...] LEFT|RIGHT [COUNT count]; timeout < 0 means never block.
func lmpop(c *Ctx, at int, timeout time.Duration) {
	numkeys, ok := redisnum.ParseInt(c.Args[at])
	if !ok || numkeys < 1 {
		c.Error(errNumKeys)
		return
	}
	if numkeys > int64(len(c.Args)-at-2) {
		c.Error(ErrSyntax)
		return
	}
	keys := c.Args[at+1 : at+1+int(numkeys)]
	rest := c.Args[at+1+int(numkeys):]
	left, ok := listEnd(c, rest[0])
	if !ok {
		return
	}
	count := int64(-1)
	for j := 1; j < len(rest); j++ {
		if count != -1 || !equalFold(rest[j], "count") || j+1 == len(rest) {
			c.Error(ErrSyntax)
			return
		}
		j++
		if count, ok = redisnum.ParseInt(rest[j]); !ok || count < 1 {
			c.Error(errMPopCount)
			return
		}
	}
	if count == -1 {
		count = 1
	}
	for _, key := range keys {
		e, found, err := c.Tx.ListPop(c.DB, key, left, count, c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		if found {
			notifyPopped(c, key, left)
			c.Out.WriteArrayLen(2)
			c.Out.WriteBulk(key)
			replyElems(c, e)
			return
		}
	}
	blockOrNull(c, timeout, c.Out.WriteNullArray)
}

// pushEvent is the event of a push at the head (left) or the tail.
func pushEvent(left bool) string {
	if left {
		return "lpush"
	}
	return "rpush"
}

// notifyPopped emits the events of elements popped from the list at key:
// "lpop" or "rpop", then "del" if the list is gone.
func notifyPopped(c *Ctx, key []byte, left bool) {
	ev := "rpop"
	if left {
		ev = "lpop"
	}
	c.notifyRemoval(notify.List, ev, key)
}
