package command

// FLUSHDB and FLUSHALL.
//
// Both delete every meta and expiry record of the database(s) inside the
// command's transaction, O(number of keys), and leave the data records of
// large values to the garbage sweep. ASYNC and SYNC are accepted and behave
// the same: the reply comes when the deletion is committed.

func flushCommands() []*Command {
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
