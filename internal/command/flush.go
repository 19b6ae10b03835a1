package command

import (
	"math"

	"github.com/kiwidb/kiwi/internal/redisnum"
)

// Whole-database commands: FLUSHDB, FLUSHALL and SWAPDB.
//
// FLUSHDB and FLUSHALL delete every meta and expiry record of the
// database(s) inside the command's transaction, O(number of keys), and
// leave the data records of large values to the garbage sweep. ASYNC and
// SYNC are accepted and behave the same: the reply comes when the
// deletion is committed.
//
// SWAPDB changes the keyspace's database mapping (keyspace.Tx.SwapDB):
// O(1) whatever the databases hold, plus the watched and waited keys of
// both databases (see cmdSwapDB).

func databaseCommands() []*Command {
	acl := []string{"@keyspace", "@write", "@slow", "@dangerous"}
	tips := []string{"request_policy:all_shards", "response_policy:all_succeeded"}
	return []*Command{
		{Name: "flushdb", Arity: -1, Flags: Write, Group: "server",
			Summary: "Remove all keys from the current database", Since: "1.0.0",
			Complexity:    "O(N) where N is the number of keys in the selected database",
			ACLCategories: acl, Tips: tips, Run: cmdFlush},
		{Name: "flushall", Arity: -1, Flags: Write, Group: "server",
			Summary: "Remove all keys from all databases", Since: "1.0.0",
			Complexity:    "O(N) where N is the total number of keys in all databases",
			ACLCategories: acl, Tips: tips, Run: cmdFlush},
		{Name: "swapdb", Arity: 3, Flags: Write | Fast, Group: "server",
			Summary: "Swaps two Redis databases", Since: "4.0.0",
			Complexity:    "O(N) where N is the count of clients watching or blocking on keys from both databases.",
			ACLCategories: []string{"@keyspace", "@write", "@fast", "@dangerous"}, Run: cmdSwapDB},
	}
}

// FLUSHDB [ASYNC|SYNC], FLUSHALL [ASYNC|SYNC]
func cmdFlush(c *Ctx) {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !equalFold(c.Args[1], "async") && !equalFold(c.Args[1], "sync")) {
		c.Error(ErrSyntax)
		return
	}
	if w := c.Watches; w != nil && w.Active() {
		// Watched keys that exist are modified by the flush (Redis's
		// touchAllWatchedKeysInDb).
		first, last := c.DB, c.DB
		if c.Cmd.Name == "flushall" {
			first, last = 0, c.Tx.Databases()-1
		}
		for db := first; db <= last; db++ {
			for _, k := range w.Watched(db) {
				ok, err := c.Tx.Exists(db, k, c.Now)
				if err != nil {
					replyErr(c, err)
					return
				}
				if ok {
					w.Touch(db, k)
				}
			}
		}
	}
	var err error
	if c.Cmd.Name == "flushall" {
		_, err = c.Tx.FlushAll()
	} else {
		_, err = c.Tx.FlushDB(c.DB)
	}
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteOK()
}

// SWAPDB index1 index2
//
// As Redis's dbSwapDatabases: a watched key of either database is
// modified if it exists (live) in either one before the swap, so a
// stale (expired) key replaced with nothing or with another stale key
// touches no one (touchAllWatchedKeysInDb); and the clients blocked on a
// key of either database are tried again, as the key may hold data now
// (scanDatabaseForReadyKeys: the same existence test, the blocked
// command checks the type).
func cmdSwapDB(c *Ctx) {
	a, ok := swapDBArg(c, c.Args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := swapDBArg(c, c.Args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	if n := int64(c.Tx.Databases()); a < 0 || a >= n || b < 0 || b >= n {
		c.Error("ERR DB index is out of range")
		return
	}
	if a != b {
		if err := touchSwapped(c, int(a), int(b)); err != nil {
			replyErr(c, err)
			return
		}
	}
	if err := c.Tx.SwapDB(int(a), int(b)); err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteOK()
}

// swapDBArg parses a SWAPDB index as Redis's getIntFromObjectOrReply:
// an integer within C's int, else the error msg.
func swapDBArg(c *Ctx, arg []byte, msg string) (int64, bool) {
	n, ok := redisnum.ParseInt(arg)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// touchSwapped reports to c.Watches the watched and waited keys of
// databases a and b that exist in either: the keys whose value the swap
// of a and b changes.
func touchSwapped(c *Ctx, a, b int) error {
	w := c.Watches
	if w == nil || !w.Active() {
		return nil
	}
	for _, db := range [2]int{a, b} {
		for _, k := range w.Watched(db) {
			inA, err := c.Tx.Exists(a, k, c.Now)
			if err != nil {
				return err
			}
			inB := false
			if !inA {
				if inB, err = c.Tx.Exists(b, k, c.Now); err != nil {
					return err
				}
			}
			if inA || inB {
				w.Touch(db, k)
			}
		}
	}
	return nil
}
