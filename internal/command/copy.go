package command

import "github.com/kiwidb/kiwi/internal/notify"

// copyCommands returns MOVE and COPY.
func copyCommands() []*Command {
	return []*Command{
		{Name: "move", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Move a key to another database", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: aclKeyWrite, Run: cmdMove},
		{Name: "copy", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "generic",
			Summary: "Copy a key", Since: "6.2.0",
			Complexity:    "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
			ACLCategories: aclKeyWriteS, Run: cmdCopy},
	}
}

// dbArg parses a database number argument, replying with Redis's errors.
func dbArg(c *Ctx, b []byte) (int, bool) {
	n, ok := intArg(c, b)
	if !ok {
		return 0, false
	}
	if n < 0 || n >= int64(c.Tx.Databases()) {
		c.Error("ERR DB index is out of range")
		return 0, false
	}
	return int(n), true
}

// MOVE key db
func cmdMove(c *Ctx) {
	db, ok := dbArg(c, c.Args[2])
	if !ok {
		return
	}
	if db == c.DB {
		c.Error("ERR source and destination objects are the same")
		return
	}
	moved, err := c.Tx.Move(c.DB, c.Args[1], db, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if moved {
		c.Notify(notify.Generic, "move_from", c.Args[1])
		c.NotifyDB(notify.Generic, "move_to", db, c.Args[1])
	}
	writeFlag(c, moved)
}

// COPY source destination [DB destination-db] [REPLACE]
func cmdCopy(c *Ctx) {
	db, replace := c.DB, false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case equalFold(c.Args[i], "replace"):
			replace = true
		case equalFold(c.Args[i], "db") && i+1 < len(c.Args):
			i++
			var ok bool
			if db, ok = dbArg(c, c.Args[i]); !ok {
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if db == c.DB && string(c.Args[1]) == string(c.Args[2]) {
		c.Error("ERR source and destination objects are the same")
		return
	}
	copied, err := c.Tx.Copy(c.DB, c.Args[1], db, c.Args[2], replace, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if copied {
		c.NotifyDB(notify.Generic, "copy_to", db, c.Args[2])
	}
	writeFlag(c, copied)
}
