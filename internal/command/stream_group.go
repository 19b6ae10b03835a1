package command

import (
	"math"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
// XAUTOCLAIM.

// streamGroupCommands returns the consumer group commands.
func streamGroupCommands() []*Command {
	one := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.KeyStep, c.Group = 1, 1, 1, "stream"
		return c
	}
	return []*Command{
		xgroupCommand(),
		{Name: "xreadgroup", Arity: -7, Flags: Write | Blocking | MovableKeys, Keys: xreadKeys, Group: "stream", Since: "5.0.0",
			ACLCategories: []string{"@write", "@stream", "@slow", "@blocking"},
			Summary:       "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
			Complexity:    "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
			Run:           func(c *Ctx) { xread(c, true) }},
		one(&Command{Name: "xack", Arity: -4, Flags: Write | Fast, ACLCategories: aclStreamWriteFast, Since: "5.0.0",
			Summary:    "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
			Complexity: "O(1) for each message ID processed.", Run: cmdXAck}),
		one(&Command{Name: "xpending", Arity: -3, Flags: ReadOnly, ACLCategories: aclStreamReadSlow, Tips: tipNondet, Since: "5.0.0",
			Summary:    "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
			Complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
			Run:        cmdXPending}),
		one(&Command{Name: "xclaim", Arity: -6, Flags: Write | Fast, ACLCategories: aclStreamWriteFast, Tips: tipNondet, Since: "5.0.0",
			Summary:    "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
			Complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.", Run: cmdXClaim}),
		one(&Command{Name: "xautoclaim", Arity: -6, Flags: Write | Fast, ACLCategories: aclStreamWriteFast, Tips: tipNondet, Since: "6.2.0",
			Summary:    "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
			Complexity: "O(1) if COUNT is small.", Run: cmdXAutoClaim}),
	}
}

// xgroupCommand returns XGROUP.
func xgroupCommand() *Command {
	sub := func(name string, arity int, flags Flags, summary, since, complexity string) *Command {
		c := &Command{Name: "xgroup|" + name, Arity: arity, Flags: flags, Group: "stream", Since: since,
			Summary: summary, Complexity: complexity, ACLCategories: aclStreamWriteSlow}
		if name == "help" {
			c.ACLCategories = []string{"@stream", "@slow"}
		} else {
			c.FirstKey, c.LastKey, c.KeyStep = 2, 2, 1
		}
		return c
	}
	return &Command{Name: "xgroup", Arity: -2, Group: "stream", Since: "5.0.0",
		Summary: "A container for consumer groups commands", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}, Run: cmdXGroup, Keys: xgroupKeys,
		Subcommands: []*Command{
			sub("create", -5, Write|DenyOOM, "Create a consumer group.", "5.0.0", "O(1)"),
			sub("createconsumer", 5, Write|DenyOOM, "Create a consumer in a consumer group.", "6.2.0", "O(1)"),
			sub("delconsumer", 5, Write, "Delete a consumer from a consumer group.", "5.0.0", "O(1)"),
			sub("destroy", 4, Write, "Destroy a consumer group.", "5.0.0",
				"O(N) where N is the number of entries in the group's pending entries list (PEL)."),
			sub("help", 2, Loading|Stale, "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
			sub("setid", -5, Write, "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", "O(1)"),
		}}
}

// xgroupKeys returns the key of an XGROUP subcommand (none for HELP).
func xgroupKeys(args [][]byte) [][]byte {
	if len(args) < 3 || isWord(args[1], "help") {
		return nil
	}
	return args[2:3]
}

// noGroupError is the NOGROUP reply naming the group and the key.
func noGroupError(c *Ctx, group, key []byte) {
	c.Error("NOGROUP No such consumer group '" + string(cstr(group)) + "' for key name '" + string(cstr(key)) + "'")
}

// noKeyOrGroupError is the NOGROUP reply of XPENDING, XCLAIM and
// XAUTOCLAIM.
func noKeyOrGroupError(c *Ctx) {
	c.Error("NOGROUP No such key '" + string(cstr(c.Args[1])) + "' or consumer group '" + string(cstr(c.Args[2])) + "'")
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...
func cmdXGroup(c *Ctx) {
	sub, ok := subcommand(c)
	if !ok {
		return
	}
	if sub == "help" {
		writeHelp(c,
			"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CREATE <key> <groupname> <id|$> [option]",
			"    Create a new consumer group. Options are:",
			"    * MKSTREAM",
			"      Create the empty stream if it does not exist.",
			"    * ENTRIESREAD entries_read",
			"      Set the group's entries_read counter (internal use).",
			"CREATECONSUMER <key> <groupname> <consumer>",
			"    Create a new consumer in the specified group.",
			"DELCONSUMER <key> <groupname> <consumer>",
			"    Remove the specified consumer.",
			"DESTROY <key> <groupname>",
			"    Remove the specified group.",
			"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
			"    Set the current group ID and entries_read counter.",
			"HELP",
			"    Prints this help.")
		return
	}
	args := c.Args
	mkstream, entriesRead := false, int64(-1)
	for i := 5; i < len(args); {
		switch {
		case sub == "create" && isWord(args[i], "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && isWord(args[i], "entriesread") && i+1 < len(args):
			if entriesRead, ok = intArg(c, args[i+1]); !ok {
				return
			}
			if entriesRead < 0 && entriesRead != -1 {
				c.Error("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			i += 2
		default:
			subcommandSyntaxError(c)
			return
		}
	}
	s := openStream(c, args[2])
	if s == nil {
		return
	}
	name := args[3]
	var g *keyspace.StreamGroup
	if !mkstream {
		if !s.Exists() {
			c.Error("ERR The XGROUP subcommand requires the key to exist. " +
				"Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		var err error
		if g, err = s.Group(name); err != nil {
			replyErr(c, err)
			return
		}
		if g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
			noGroupError(c, name, args[2])
			return
		}
	}
	var err error
	switch {
	case sub == "create" && len(args) <= 8:
		err = xgroupCreate(c, s, name, entriesRead)
	case sub == "setid" && (len(args) == 5 || len(args) == 7):
		id := s.Meta().LastID
		if !isExactly(args[4], "$") {
			if id, ok = streamIDArg(c, args[4], 0, false); !ok {
				return
			}
		}
		g.SetID(id, entriesRead)
		c.Notify(notify.Stream, "xgroup-setid", args[2])
		c.Out.WriteOK()
	case sub == "destroy" && len(args) == 4:
		var done bool
		if g != nil {
			done, err = s.DestroyGroup(name)
		}
		if done {
			c.Notify(notify.Stream, "xgroup-destroy", args[2])
		}
		writeFlag(c, done)
	case sub == "createconsumer" && len(args) == 5:
		var created bool
		_, created, err = g.CreateConsumer(args[4], c.Now)
		writeFlag(c, created)
	case sub == "delconsumer" && len(args) == 5:
		var pending int64
		var deleted bool
		pending, deleted, err = g.DeleteConsumer(args[4])
		if deleted {
			c.Notify(notify.Stream, "xgroup-delconsumer", args[2])
		}
		c.Out.WriteInt(pending)
	default:
		subcommandSyntaxError(c)
		return
	}
	if err != nil {
		replyErr(c, err)
		return
	}
	s.Save()
}

// xgroupCreate is XGROUP CREATE once the stream is open.
func xgroupCreate(c *Ctx, s *keyspace.Stream, name []byte, entriesRead int64) error {
	var id keyspace.StreamID
	if isExactly(c.Args[4], "$") {
		id = s.Meta().LastID
	} else {
		var ok bool
		if id, ok = streamIDArg(c, c.Args[4], 0, true); !ok {
			return nil
		}
	}
	s.Create()
	created, err := s.CreateGroup(name, id, entriesRead)
	switch {
	case err != nil:
		return err
	case !created:
		c.Error("BUSYGROUP Consumer Group name already exists")
	default:
		s.Save() // MKSTREAM's "new" event comes first, as in Redis
		c.Notify(notify.Stream, "xgroup-create", c.Args[2])
		c.Out.WriteOK()
	}
	return nil
}

// XACK key group id [id ...]
func cmdXAck(c *Ctx) {
	s := openStream(c, c.Args[1])
	if s == nil {
		return
	}
	var g *keyspace.StreamGroup
	if s.Exists() {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			replyErr(c, err)
			return
		}
	}
	if g == nil {
		c.Out.WriteInt(0)
		return
	}
	ids, ok := streamIDArgs(c, c.Args[3:])
	if !ok {
		return
	}
	n, err := g.Ack(ids)
	if err != nil {
		replyErr(c, err)
		return
	}
	s.Save()
	c.Out.WriteInt(n)
}

// streamGroupArg opens the stream at args[1] and its group args[2],
// replying NOGROUP (nil) when either is missing.
func streamGroupArg(c *Ctx) (*keyspace.Stream, *keyspace.StreamGroup) {
	s := openStream(c, c.Args[1])
	if s == nil {
		return nil, nil
	}
	var g *keyspace.StreamGroup
	if s.Exists() {
		var err error
		if g, err = s.Group(c.Args[2]); err != nil {
			replyErr(c, err)
			return nil, nil
		}
	}
	if g == nil {
		noKeyOrGroupError(c)
		return nil, nil
	}
	return s, g
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func cmdXPending(c *Ctx) {
	args := c.Args
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.Error(ErrSyntax)
		return
	}
	var start, end keyspace.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		ok := true
		i := 3
		if isWord(args[3], "idle") {
			if minIdle, ok = intArg(c, args[4]); !ok {
				return
			}
			if len(args) < 8 {
				c.Error(ErrSyntax)
				return
			}
			i += 2
		}
		if count, ok = intArg(c, args[i+2]); !ok {
			return
		}
		count = max(count, 0)
		if start, ok = intervalIDArg(c, args[i], 0, true); !ok {
			return
		}
		if end, ok = intervalIDArg(c, args[i+1], math.MaxUint64, false); !ok {
			return
		}
		if i+3 < len(args) {
			consumer = args[i+3]
		}
	}
	_, g := streamGroupArg(c)
	if g == nil {
		return
	}
	var err error
	if len(args) == 3 {
		err = xpendingSummary(c, g)
	} else {
		err = xpendingRange(c, g, start, end, count, minIdle, consumer)
	}
	if err != nil {
		replyErr(c, err)
	}
}

// xpendingSummary answers XPENDING key group.
func xpendingSummary(c *Ctx, g *keyspace.StreamGroup) error {
	first, last, ok, err := g.PendingBounds()
	if err != nil {
		return err
	}
	if !ok {
		c.Out.WriteArrayLen(4)
		c.Out.WriteInt(g.Pending)
		c.Out.WriteNull()
		c.Out.WriteNull()
		c.Out.WriteNullArray()
		return nil
	}
	cons, err := g.ListConsumers()
	if err != nil {
		return err
	}
	n := 0
	for _, con := range cons {
		if con.Pending > 0 {
			n++
		}
	}
	c.Out.WriteArrayLen(4)
	c.Out.WriteInt(g.Pending)
	writeStreamID(c, first)
	writeStreamID(c, last)
	c.Out.WriteArrayLen(n)
	for _, con := range cons {
		if con.Pending > 0 {
			c.Out.WriteArrayLen(2)
			c.Out.WriteBulk(con.Name)
			c.Out.WriteBulkInt(con.Pending)
		}
	}
	return nil
}

// xpendingRange answers XPENDING with a range.
func xpendingRange(c *Ctx, g *keyspace.StreamGroup, start, end keyspace.StreamID, count, minIdle int64, consumer []byte) error {
	if consumer != nil {
		con, err := g.Consumer(consumer, false, c.Now)
		if err != nil {
			return err
		}
		if con == nil {
			c.Out.WriteArrayLen(0)
			return nil
		}
	}
	if count == 0 {
		c.Out.WriteArrayLen(0)
		return nil
	}
	pel, err := g.PendingRange(start, end, count, consumer, minIdle, c.Now)
	if err != nil {
		return err
	}
	c.Out.WriteArrayLen(len(pel))
	for _, p := range pel {
		c.Out.WriteArrayLen(4)
		writeStreamID(c, p.ID)
		c.Out.WriteBulk(p.Consumer)
		c.Out.WriteInt(max(c.Now-p.DeliveryTime, 0))
		c.Out.WriteInt(p.Deliveries)
	}
	return nil
}

// intArgMsg parses an integer argument, replying "ERR msg" on failure.
func intArgMsg(c *Ctx, b []byte, msg string) (int64, bool) {
	n, ok := redisnum.ParseInt(b)
	if !ok {
		c.Error("ERR " + msg)
	}
	return n, ok
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func cmdXClaim(c *Ctx) {
	s, g := streamGroupArg(c)
	if g == nil {
		return
	}
	args := c.Args
	minIdle, ok := intArgMsg(c, args[4], "Invalid min-idle-time argument for XCLAIM")
	if !ok {
		return
	}
	opts := keyspace.ClaimOptions{MinIdle: max(minIdle, 0), RetryCount: -1}
	var ids []keyspace.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, ok := parseStreamID(args[j], 0, true, nil)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	deliveryTime := int64(-1)
	var lastID keyspace.StreamID
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case isWord(opt, "force"):
			opts.Force = true
		case isWord(opt, "justid"):
			opts.JustID = true
		case isWord(opt, "idle") && more > 0:
			j++
			idle, ok := intArgMsg(c, args[j], "Invalid IDLE option argument for XCLAIM")
			if !ok {
				return
			}
			deliveryTime = c.Now - idle
		case isWord(opt, "time") && more > 0:
			j++
			if deliveryTime, ok = intArgMsg(c, args[j], "Invalid TIME option argument for XCLAIM"); !ok {
				return
			}
		case isWord(opt, "retrycount") && more > 0:
			j++
			if opts.RetryCount, ok = intArgMsg(c, args[j], "Invalid RETRYCOUNT option argument for XCLAIM"); !ok {
				return
			}
		case isWord(opt, "lastid") && more > 0:
			j++
			if lastID, ok = streamIDArg(c, args[j], 0, true); !ok {
				return
			}
		default:
			c.Error("ERR Unrecognized XCLAIM option '" + string(cstr(opt)) + "'")
			return
		}
	}
	if lastID.Compare(g.LastID) > 0 {
		g.SetID(lastID, g.EntriesRead)
	}
	if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > c.Now {
		deliveryTime = c.Now
	}
	opts.DeliveryTime = deliveryTime
	e, err := g.Claim(args[3], ids, &opts, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	s.Save()
	writeClaimed(c, e, opts.JustID)
}

// writeClaimed writes the entries claimed by XCLAIM or XAUTOCLAIM: their
// IDs with justID, else the entries.
func writeClaimed(c *Ctx, e *keyspace.StreamEntries, justID bool) {
	if !justID {
		writeStreamEntries(c, e)
		return
	}
	c.Out.WriteArrayLen(e.Len())
	for i := range e.Len() {
		writeStreamID(c, e.ID(i))
	}
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXAutoClaim(c *Ctx) {
	args := c.Args
	minIdle, ok := intArgMsg(c, args[4], "Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	start, ok := intervalIDArg(c, args[5], 0, true)
	if !ok {
		return
	}
	count, justID := int64(100), false
	for j := 6; j < len(args); j++ {
		switch {
		case isWord(args[j], "count") && j+1 < len(args):
			n, ok := redisnum.ParseInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case isWord(args[j], "justid"):
			justID = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	s, g := streamGroupArg(c)
	if g == nil {
		return
	}
	e, next, deleted, err := g.AutoClaim(args[3], start, count, max(minIdle, 0), justID, c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	s.Save()
	c.Out.WriteArrayLen(3)
	writeStreamID(c, next)
	writeClaimed(c, e, justID)
	c.Out.WriteArrayLen(len(deleted))
	for _, id := range deleted {
		writeStreamID(c, id)
	}
}
