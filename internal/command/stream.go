package command

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// Streams: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD and
// XINFO (consumer groups are in stream_group.go). Handlers follow Redis
// 7.0's t_stream.c step by step, so that argument errors, key errors and
// results come in the same order; the data model is keyspace.Stream
// (docs/keyspace.md, Streams).

var (
	aclStreamWriteFast = []string{"@write", "@stream", "@fast"}
	aclStreamReadSlow  = []string{"@read", "@stream", "@slow"}
	aclStreamWriteSlow = []string{"@write", "@stream", "@slow"}
	tipNondet          = []string{"nondeterministic_output"}
)

// streamCommands returns the stream commands.
func streamCommands() []*Command {
	one := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.KeyStep, c.Group, c.Since = 1, 1, 1, "stream", "5.0.0"
		return c
	}
	return []*Command{
		one(&Command{Name: "xadd", Arity: -5, Flags: Write | DenyOOM | Fast, ACLCategories: aclStreamWriteFast, Tips: tipNondet,
			Summary:    "Appends a new entry to a stream",
			Complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", Run: cmdXAdd}),
		one(&Command{Name: "xlen", Arity: 2, Flags: ReadOnly | Fast, ACLCategories: []string{"@read", "@stream", "@fast"},
			Summary: "Return the number of entries in a stream", Complexity: "O(1)", Run: cmdXLen}),
		one(&Command{Name: "xrange", Arity: -4, Flags: ReadOnly, ACLCategories: aclStreamReadSlow,
			Summary:    "Return a range of elements in a stream, with IDs matching the specified IDs interval",
			Complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			Run:        cmdXRange}),
		one(&Command{Name: "xrevrange", Arity: -4, Flags: ReadOnly, ACLCategories: aclStreamReadSlow,
			Summary:    "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
			Complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			Run:        cmdXRange}),
		one(&Command{Name: "xdel", Arity: -3, Flags: Write | Fast, ACLCategories: aclStreamWriteFast,
			Summary:    "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
			Complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.", Run: cmdXDel}),
		one(&Command{Name: "xtrim", Arity: -4, Flags: Write, ACLCategories: aclStreamWriteSlow, Tips: tipNondet,
			Summary:    "Trims the stream to (approximately if '~' is passed) a certain size",
			Complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
			Run:        cmdXTrim}),
		one(&Command{Name: "xsetid", Arity: -3, Flags: Write | DenyOOM | Fast, ACLCategories: aclStreamWriteFast,
			Summary: "An internal command for replicating stream values", Complexity: "O(1)", Run: cmdXSetID}),
		{Name: "xread", Arity: -4, Flags: ReadOnly | Blocking | MovableKeys, Keys: xreadKeys, Group: "stream", Since: "5.0.0",
			ACLCategories: []string{"@read", "@stream", "@slow", "@blocking"},
			Summary:       "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
			Complexity:    "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
			Run:           cmdXRead},
		xinfoCommand(),
	}
}

// Stream error replies.
const (
	errStreamID       = "ERR Invalid stream ID specified as stream command argument"
	errStreamIDSmall  = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamTooLarge = "ERR Elements are too large to be stored"
	errStreamStartID  = "ERR invalid start ID for the interval"
	errStreamEndID    = "ERR invalid end ID for the interval"
)

// cstr returns b up to its first NUL byte: Redis reads these arguments as
// C strings.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// isWord reports whether the C string of b is s, ignoring case
// (strcasecmp).
func isWord(b []byte, s string) bool { return equalFold(cstr(b), s) }

// isExactly reports whether the C string of b is s (strcmp).
func isExactly(b []byte, s string) bool { return string(cstr(b)) == s }

// parseStreamID parses a stream ID as Redis's streamGenericParseIDOrReply:
// "-" and "+" (unless strict), "ms" (sequence missingSeq), "ms-seq", and,
// when seqGiven is not nil, "ms-*" (then *seqGiven is false).
func parseStreamID(b []byte, missingSeq uint64, strict bool, seqGiven *bool) (keyspace.StreamID, bool) {
	if len(b) > 127 {
		return keyspace.StreamID{}, false
	}
	b = cstr(b)
	special := len(b) == 1 && (b[0] == '-' || b[0] == '+')
	if strict && special {
		return keyspace.StreamID{}, false
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	if special {
		if b[0] == '-' {
			return keyspace.StreamID{}, true
		}
		return keyspace.MaxStreamID, true
	}
	msPart, seqPart, dash := bytes.Cut(b, []byte{'-'})
	ms, ok := string2ull(msPart)
	if !ok {
		return keyspace.StreamID{}, false
	}
	seq := missingSeq
	switch {
	case !dash:
	case seqGiven != nil && len(seqPart) == 1 && seqPart[0] == '*':
		seq, *seqGiven = 0, false
	default:
		if seq, ok = string2ull(seqPart); !ok {
			return keyspace.StreamID{}, false
		}
	}
	return keyspace.StreamID{Ms: ms, Seq: seq}, true
}

// string2ull is Redis's string2ull: string2ll's strict form when it
// applies (negative values refused), else strtoull (leading white space,
// a sign, and wrap-around of negative values included).
func string2ull(b []byte) (uint64, bool) {
	if v, ok := redisnum.ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if i == start || i != len(b) || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// streamIDArg parses a stream ID argument, replying Redis's error.
func streamIDArg(c *Ctx, b []byte, missingSeq uint64, strict bool) (keyspace.StreamID, bool) {
	id, ok := parseStreamID(b, missingSeq, strict, nil)
	if !ok {
		c.Error(errStreamID)
	}
	return id, ok
}

// streamIDArgs parses IDs strictly, replying the first error.
func streamIDArgs(c *Ctx, args [][]byte) ([]keyspace.StreamID, bool) {
	ids := make([]keyspace.StreamID, len(args))
	for i, a := range args {
		var ok bool
		if ids[i], ok = streamIDArg(c, a, 0, true); !ok {
			return nil, false
		}
	}
	return ids, true
}

// intervalIDArg parses a range bound as Redis's
// streamParseIntervalIDOrReply: "(" makes it exclusive (the ID after or
// before it: next is set for a start bound), replying Redis's errors.
func intervalIDArg(c *Ctx, b []byte, missingSeq uint64, start bool) (keyspace.StreamID, bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok := streamIDArg(c, b[1:], missingSeq, true)
		if !ok {
			return id, false
		}
		if start {
			if id, ok = id.Incr(); !ok {
				c.Error(errStreamStartID)
			}
		} else if id, ok = id.Decr(); !ok {
			c.Error(errStreamEndID)
		}
		return id, ok
	}
	return streamIDArg(c, b, missingSeq, false)
}

// writeStreamID writes id as a bulk string.
func writeStreamID(c *Ctx, id keyspace.StreamID) {
	var buf [48]byte
	c.Out.WriteBulk(id.AppendText(buf[:0]))
}

// writeStreamEntry writes entry i of e as Redis does: [id, [field, value,
// ...]], a null array for an entry that no longer exists.
func writeStreamEntry(c *Ctx, e *keyspace.StreamEntries, i int) {
	c.Out.WriteArrayLen(2)
	writeStreamID(c, e.ID(i))
	fv, ok := e.Fields(i)
	if !ok {
		c.Out.WriteNullArray()
		return
	}
	c.Out.WriteArrayLen(len(fv))
	for _, b := range fv {
		c.Out.WriteBulk(b)
	}
}

// writeStreamEntries writes e as an array of entries.
func writeStreamEntries(c *Ctx, e *keyspace.StreamEntries) {
	c.Out.WriteArrayLen(e.Len())
	for i := range e.Len() {
		writeStreamEntry(c, e, i)
	}
}

// openStream opens the stream at key for the command, replying
// WRONGTYPE (nil) for another type.
func openStream(c *Ctx, key []byte) *keyspace.Stream {
	s, err := c.Tx.OpenStream(c.DB, key, c.Now, c.Cmd.IsWrite())
	if err != nil {
		replyErr(c, err)
		return nil
	}
	return s
}

// addTrimArgs are the parsed options of XADD and XTRIM.
type addTrimArgs struct {
	id                          keyspace.StreamID
	idGiven, seqGiven, noMkStrm bool
	trim                        *keyspace.StreamTrim
}

// parseAddTrim parses the options of XADD (xadd set) or XTRIM as Redis's
// streamParseAddOrTrimArgsOrReply, and returns the position of XADD's ID.
func parseAddTrim(c *Ctx, a *addTrimArgs, xadd bool) (int, bool) {
	var tr keyspace.StreamTrim
	strategy, limitGiven := false, false // a MAXLEN or MINID was given
	args := c.Args
	i := 2
loop:
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && isExactly(opt, "*"):
			break loop
		case (isWord(opt, "maxlen") || isWord(opt, "minid")) && more > 0:
			if strategy {
				c.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return 0, false
			}
			strategy = true
			tr.MinID = isWord(opt, "minid")
			tr.Approx = false
			if next := args[i+1]; more >= 2 && isExactly(next, "~") {
				tr.Approx = true
				i++
			} else if more >= 2 && isExactly(next, "=") {
				i++
			}
			if tr.MinID {
				id, ok := streamIDArg(c, args[i+1], 0, true)
				if !ok {
					return 0, false
				}
				tr.ID = id
			} else {
				n, ok := intArg(c, args[i+1])
				if !ok {
					return 0, false
				}
				if n < 0 {
					c.Error("ERR The MAXLEN argument must be >= 0.")
					return 0, false
				}
				tr.MaxLen = n
			}
			i++
		case isWord(opt, "limit") && more > 0:
			n, ok := intArg(c, args[i+1])
			if !ok {
				return 0, false
			}
			if n < 0 {
				c.Error("ERR The LIMIT argument must be >= 0.")
				return 0, false
			}
			tr.Limit, limitGiven = n, true
			i++
		case xadd && isWord(opt, "nomkstream"):
			a.noMkStrm = true
		case xadd:
			id, ok := parseStreamID(opt, 0, true, &a.seqGiven)
			if !ok {
				c.Error(errStreamID)
				return 0, false
			}
			a.id, a.idGiven = id, true
			break loop
		default:
			c.Error(ErrSyntax)
			return 0, false
		}
	}
	switch {
	case tr.Limit != 0 && !strategy:
		c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return 0, false
	case !xadd && !strategy:
		c.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return 0, false
	case limitGiven && !tr.Approx:
		c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return 0, false
	case !limitGiven && tr.Approx:
		// Redis bounds approximate trimming to 100 nodes' worth.
		tr.Limit = 100 * c.StreamLimits.NodeMaxEntries
		if tr.Limit <= 0 {
			tr.Limit = 10000
		}
		tr.Limit = min(tr.Limit, 1000000)
	case !limitGiven:
		tr.Limit = 0
	}
	if strategy {
		a.trim = &tr
	}
	return i, true
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
func cmdXAdd(c *Ctx) {
	var a addTrimArgs
	idPos, ok := parseAddTrim(c, &a, true)
	if !ok {
		return
	}
	fv := c.Args[min(idPos+1, len(c.Args)):]
	if len(c.Args)-(idPos+1) < 2 || len(fv)%2 == 1 {
		c.Error(WrongArgs(c.Cmd.Name))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Error("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	s := openStream(c, c.Args[1])
	if s == nil {
		return
	}
	if !s.Exists() {
		if a.noMkStrm {
			c.Out.WriteNull()
			return
		}
		s.Create()
	}
	id, err := s.Add(fv, a.id, a.idGiven, a.seqGiven, c.StreamLimits, c.Now)
	switch {
	case errors.Is(err, keyspace.ErrStreamExhausted):
		c.Error("ERR The stream has exhausted the last possible ID, unable to add more items")
		return
	case errors.Is(err, keyspace.ErrStreamIDTooSmall):
		c.Error(errStreamIDSmall)
		return
	case errors.Is(err, keyspace.ErrStreamTooLarge):
		c.Error(errStreamTooLarge)
		return
	case err != nil:
		replyErr(c, err)
		return
	}
	var trimmed int64
	if a.trim != nil {
		if trimmed, err = s.Trim(a.trim); err != nil {
			replyErr(c, err)
			return
		}
	}
	s.Save() // a new stream's "new" event comes first, as in Redis
	c.Notify(notify.Stream, "xadd", c.Args[1])
	if trimmed > 0 {
		c.Notify(notify.Stream, "xtrim", c.Args[1])
	}
	writeStreamID(c, id)
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func cmdXTrim(c *Ctx) {
	var a addTrimArgs
	if _, ok := parseAddTrim(c, &a, false); !ok {
		return
	}
	s := openStream(c, c.Args[1])
	if s == nil {
		return
	}
	n, err := s.Trim(a.trim)
	if err != nil {
		replyErr(c, err)
		return
	}
	if n > 0 {
		c.Notify(notify.Stream, "xtrim", c.Args[1])
	}
	s.Save()
	c.Out.WriteInt(n)
}

// XLEN key
func cmdXLen(c *Ctx) {
	if s := openStream(c, c.Args[1]); s != nil {
		c.Out.WriteInt(s.Len())
	}
}

// XRANGE key start end [COUNT count], XREVRANGE key end start [COUNT count]
func cmdXRange(c *Ctx) {
	rev := c.Cmd.Name == "xrevrange"
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := intervalIDArg(c, startArg, 0, true)
	if !ok {
		return
	}
	end, ok := intervalIDArg(c, endArg, math.MaxUint64, false)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if !isWord(c.Args[j], "count") || j+1 >= len(c.Args) {
			c.Error(ErrSyntax)
			return
		}
		if count, ok = intArg(c, c.Args[j+1]); !ok {
			return
		}
		count = max(count, 0)
		j++
	}
	s := openStream(c, c.Args[1])
	switch {
	case s == nil:
		return
	case !s.Exists():
		c.Out.WriteArrayLen(0)
		return
	case count == 0:
		c.Out.WriteNullArray()
		return
	}
	e, err := s.Range(start, end, max(count, 0), rev)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeStreamEntries(c, e)
}

// XDEL key id [id ...]
func cmdXDel(c *Ctx) {
	s := openStream(c, c.Args[1])
	if s == nil {
		return
	}
	if !s.Exists() {
		c.Out.WriteInt(0)
		return
	}
	ids, ok := streamIDArgs(c, c.Args[2:])
	if !ok {
		return
	}
	n, err := s.Delete(ids)
	if err != nil {
		replyErr(c, err)
		return
	}
	if n > 0 {
		c.Notify(notify.Stream, "xdel", c.Args[1])
	}
	s.Save()
	c.Out.WriteInt(n)
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func cmdXSetID(c *Ctx) {
	id, ok := streamIDArg(c, c.Args[2], 0, true)
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel keyspace.StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		switch {
		case isWord(c.Args[i], "entriesadded") && more > 0:
			if added, ok = intArg(c, c.Args[i+1]); !ok {
				return
			}
			if added < 0 {
				c.Error("ERR entries_added must be positive")
				return
			}
		case isWord(c.Args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = streamIDArg(c, c.Args[i+1], 0, true); !ok {
				return
			}
			if id.Compare(maxDel) < 0 {
				c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	s := openStream(c, c.Args[1])
	switch {
	case s == nil:
		return
	case !s.Exists():
		c.Error(ErrNoSuchKey)
		return
	}
	if s.Len() > 0 {
		top, _, err := s.LastEntryID()
		if err != nil {
			replyErr(c, err)
			return
		}
		if id.Compare(top) < 0 {
			c.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if added != -1 && s.Len() > added {
			c.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.SetID(id, added, maxDel)
	s.Save()
	c.Notify(notify.Stream, "xsetid", c.Args[1])
	c.Out.WriteOK()
}

// xreadKeys returns the keys of XREAD and XREADGROUP (Redis's
// xreadGetKeys): the first half of the arguments after STREAMS.
func xreadKeys(args [][]byte) [][]byte {
	pos := -1
loop:
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case isWord(a, "block"), isWord(a, "count"):
			i++
		case isWord(a, "group"):
			i += 2
		case isWord(a, "noack"):
		case isWord(a, "streams"):
			pos = i
			break loop
		default:
			break loop
		}
	}
	n := len(args) - pos - 1
	if pos < 0 || n == 0 || n%2 != 0 {
		return nil
	}
	return args[pos+1 : pos+1+n/2]
}

// xreadArgs are the parsed arguments of XREAD and XREADGROUP.
type xreadArgs struct {
	timeout         int64 // -1: no BLOCK
	count           int64
	streams, nKeys  int // position of the first key, number of keys
	noack           bool
	group, consumer []byte
}

// parseXRead parses the options of XREAD or XREADGROUP (group set).
func parseXRead(c *Ctx, group bool) (xreadArgs, bool) {
	a := xreadArgs{timeout: -1}
	args := c.Args
loop:
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case isWord(o, "block") && more > 0:
			i++
			ms, ok := redisnum.ParseInt(args[i])
			if !ok {
				c.Error("ERR timeout is not an integer or out of range")
				return a, false
			}
			if ms < 0 {
				c.Error("ERR timeout is negative")
				return a, false
			}
			a.timeout = ms
		case isWord(o, "count") && more > 0:
			i++
			n, ok := intArg(c, args[i])
			if !ok {
				return a, false
			}
			a.count = max(n, 0)
		case isWord(o, "streams") && more > 0:
			a.streams = i + 1
			n := len(args) - a.streams
			if n%2 != 0 {
				c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return a, false
			}
			a.nKeys = n / 2
			break loop
		case isWord(o, "group") && more >= 2:
			if !group {
				c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case isWord(o, "noack"):
			if !group {
				c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.noack = true
		default:
			c.Error(ErrSyntax)
			return a, false
		}
	}
	switch {
	case a.streams == 0:
		c.Error(ErrSyntax)
		return a, false
	case group && a.group == nil:
		c.Error("ERR Missing GROUP option for XREADGROUP")
		return a, false
	}
	return a, true
}

// xreadStream is one key of an XREAD or XREADGROUP call.
type xreadStream struct {
	key []byte
	s   *keyspace.Stream
	g   *keyspace.StreamGroup
	id  keyspace.StreamID
	// newOnly: XREADGROUP's ">"; dollar: XREAD's "$".
	newOnly, dollar bool
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
func cmdXRead(c *Ctx) { xread(c, false) }

// xread is XREAD and (group set) XREADGROUP, as Redis's xreadCommand.
func xread(c *Ctx, group bool) {
	a, ok := parseXRead(c, group)
	if !ok {
		return
	}
	keys, ok := xreadResolve(c, &a, group)
	if !ok {
		return
	}
	type served struct {
		key []byte
		e   *keyspace.StreamEntries
	}
	var out []served
	for i := range keys {
		k := &keys[i]
		e, err := xreadServe(c, &a, k)
		if err != nil {
			replyErr(c, err)
			return
		}
		if e != nil {
			out = append(out, served{k.key, e})
		}
	}
	if group {
		for i := range keys {
			keys[i].s.Save()
		}
	}
	if len(out) > 0 {
		resp2 := c.Out.Proto() == 2
		if resp2 {
			c.Out.WriteArrayLen(len(out))
		} else {
			c.Out.WriteMapLen(len(out))
		}
		for _, r := range out {
			if resp2 {
				c.Out.WriteArrayLen(2)
			}
			c.Out.WriteBulk(r.key)
			writeStreamEntries(c, r.e)
		}
		return
	}
	if a.timeout < 0 || c.NoBlock {
		c.Out.WriteNullArray()
		return
	}
	timeout := maxBlockTimeout
	if a.timeout < int64(maxBlockTimeout/time.Millisecond) {
		timeout = time.Duration(a.timeout) * time.Millisecond
	}
	c.BlockWith(timeout, xreadRetryArgs(c, &a, keys))
}

// xreadResolve opens the streams of the call and parses their IDs, in
// Redis's order: per key, its type, its group, its ID.
func xreadResolve(c *Ctx, a *xreadArgs, group bool) ([]xreadStream, bool) {
	keys := make([]xreadStream, a.nKeys)
	opened := map[string]*keyspace.Stream{}
	for i := range keys {
		k := &keys[i]
		k.key = c.Args[a.streams+i]
		idArg := c.Args[a.streams+a.nKeys+i]
		s, ok := opened[string(k.key)]
		if !ok {
			var err error
			s, err = c.Tx.OpenStream(c.DB, k.key, c.Now, group)
			switch {
			case errors.Is(err, keyspace.ErrWrongType) && c.Retry && group:
				c.Error("UNBLOCKED the stream key no longer exists")
				return nil, false
			case errors.Is(err, keyspace.ErrWrongType) && c.Retry:
				// A blocked XREAD is not served by a key of another
				// type, as in Redis: it counts as missing.
			case err != nil:
				replyErr(c, err)
				return nil, false
			}
			opened[string(k.key)] = s
		}
		k.s = s
		if group && !xreadGroup(c, a, k) {
			return nil, false
		}
		switch {
		case isExactly(idArg, "$"):
			if group {
				c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return nil, false
			}
			k.dollar = true
			if s != nil && s.Exists() {
				k.id = s.Meta().LastID
			}
		case isExactly(idArg, ">"):
			if !group {
				c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return nil, false
			}
			k.newOnly, k.id = true, keyspace.MaxStreamID
		default:
			if k.id, ok = streamIDArg(c, idArg, 0, true); !ok {
				return nil, false
			}
		}
	}
	return keys, true
}

// xreadGroup resolves the group of an XREADGROUP key, replying Redis's
// error when the key or the group is missing.
func xreadGroup(c *Ctx, a *xreadArgs, k *xreadStream) bool {
	if !k.s.Exists() && c.Retry {
		c.Error("UNBLOCKED the stream key no longer exists")
		return false
	}
	if k.s.Exists() {
		g, err := k.s.Group(a.group)
		if err != nil {
			replyErr(c, err)
			return false
		}
		k.g = g
	}
	if k.g != nil {
		return true
	}
	if c.Retry {
		c.Error("NOGROUP the consumer group this client was blocked on no longer exists")
	} else {
		c.Error("NOGROUP No such key '" + string(cstr(k.key)) + "' or consumer group '" + string(cstr(a.group)) +
			"' in XREADGROUP with GROUP option")
	}
	return false
}

// xreadServe returns what one key of the call serves, or nil when it
// serves nothing (then the call may block).
func xreadServe(c *Ctx, a *xreadArgs, k *xreadStream) (*keyspace.StreamEntries, error) {
	s := k.s
	if s == nil || !s.Exists() {
		return nil, nil
	}
	gt := k.id
	history := false
	switch {
	case k.g != nil && !k.newOnly:
		history = true
	case s.Len() == 0:
		return nil, nil
	default:
		top, _, err := s.LastEntryID()
		if err != nil {
			return nil, err
		}
		if k.g != nil {
			gt = k.g.LastID
		}
		if top.Compare(gt) <= 0 {
			return nil, nil
		}
	}
	start, _ := gt.Incr()
	if k.g == nil {
		return s.Range(start, keyspace.MaxStreamID, a.count, false)
	}
	consumer, err := k.g.LookupOrCreateConsumer(a.consumer, c.Now)
	if err != nil {
		return nil, err
	}
	if history {
		return k.g.ReadHistory(consumer, start, a.count, c.Now)
	}
	return k.g.ReadNew(consumer, a.count, a.noack, c.Now)
}

// xreadRetryArgs returns the arguments a blocked XREAD or XREADGROUP runs
// again with: "$" replaced by the ID it stood for at the first attempt,
// and Redis's default COUNT for a blocked read when none was given.
func xreadRetryArgs(c *Ctx, a *xreadArgs, keys []xreadStream) [][]byte {
	args := make([][]byte, 0, len(c.Args)+2)
	for i, arg := range c.Args {
		if i == a.streams-1 && a.count == 0 {
			args = append(args, []byte("COUNT"), []byte("1000"))
		}
		if j := i - a.streams - a.nKeys; j >= 0 && keys[j].dollar {
			arg = keys[j].id.AppendText(nil)
		} else {
			arg = bytes.Clone(arg)
		}
		args = append(args, arg)
	}
	return args
}

// xinfoCommand returns XINFO.
func xinfoCommand() *Command {
	sub := func(name string, arity int, flags Flags, acl []string, summary string) *Command {
		c := &Command{Name: "xinfo|" + name, Arity: arity, Flags: flags, Group: "stream", Since: "5.0.0",
			Summary: summary, Complexity: "O(1)", ACLCategories: acl}
		if name != "help" {
			c.FirstKey, c.LastKey, c.KeyStep = 2, 2, 1
		}
		return c
	}
	consumers := sub("consumers", 4, ReadOnly, aclStreamReadSlow, "List the consumers in a consumer group")
	consumers.Tips = tipNondet
	return &Command{Name: "xinfo", Arity: -2, Group: "stream", Since: "5.0.0",
		Summary: "A container for stream introspection commands", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}, Run: cmdXInfo,
		Subcommands: []*Command{
			consumers,
			sub("groups", 3, ReadOnly, aclStreamReadSlow, "List the consumer groups of a stream"),
			sub("help", 2, Loading|Stale, []string{"@stream", "@slow"}, "Show helpful text about the different subcommands"),
			sub("stream", -3, ReadOnly, aclStreamReadSlow, "Get information about a stream"),
		}}
}

// subcommandSyntaxError replies Redis's addReplySubcommandSyntaxError.
func subcommandSyntaxError(c *Ctx) {
	c.Error("ERR unknown subcommand or wrong number of arguments for '" + truncateArg(cstr(c.Args[1])) +
		"'. Try " + strings.ToUpper(string(c.Args[0])) + " HELP.")
}

// XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT count]] | HELP
func cmdXInfo(c *Ctx) {
	sub, ok := subcommand(c)
	if !ok {
		return
	}
	if sub == "help" {
		writeHelp(c,
			"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CONSUMERS <key> <groupname>",
			"    Show consumers of <groupname>.",
			"GROUPS <key>",
			"    Show the stream consumer groups.",
			"STREAM <key> [FULL [COUNT <count>]",
			"    Show information about the stream.",
			"HELP",
			"    Prints this help.")
		return
	}
	s := openStream(c, c.Args[2])
	switch {
	case s == nil:
		return
	case !s.Exists():
		c.Error(ErrNoSuchKey)
		return
	}
	var err error
	mark := c.Out.Len()
	switch sub {
	case "consumers":
		err = xinfoConsumers(c, s)
	case "groups":
		err = xinfoGroups(c, s)
	default:
		err = xinfoStream(c, s)
	}
	if err != nil {
		c.Out.Truncate(mark)
		replyErr(c, err)
	}
}

// xinfoConsumers answers XINFO CONSUMERS.
func xinfoConsumers(c *Ctx, s *keyspace.Stream) error {
	g, err := s.Group(c.Args[3])
	if err != nil {
		return err
	}
	if g == nil {
		c.Error("NOGROUP No such consumer group '" + string(cstr(c.Args[3])) + "' for key name '" + string(cstr(c.Args[2])) + "'")
		return nil
	}
	cons, err := g.ListConsumers()
	if err != nil {
		return err
	}
	c.Out.WriteArrayLen(len(cons))
	for _, con := range cons {
		c.Out.WriteMapLen(3)
		c.Out.WriteBulkString("name")
		c.Out.WriteBulk(con.Name)
		c.Out.WriteBulkString("pending")
		c.Out.WriteInt(con.Pending)
		c.Out.WriteBulkString("idle")
		c.Out.WriteInt(max(c.Now-con.SeenTime, 0))
	}
	return nil
}

// xinfoGroups answers XINFO GROUPS.
func xinfoGroups(c *Ctx, s *keyspace.Stream) error {
	groups, err := s.Groups()
	if err != nil {
		return err
	}
	c.Out.WriteArrayLen(len(groups))
	for _, g := range groups {
		c.Out.WriteMapLen(6)
		c.Out.WriteBulkString("name")
		c.Out.WriteBulk(g.Name())
		c.Out.WriteBulkString("consumers")
		c.Out.WriteInt(g.Consumers)
		c.Out.WriteBulkString("pending")
		c.Out.WriteInt(g.Pending)
		c.Out.WriteBulkString("last-delivered-id")
		writeStreamID(c, g.LastID)
		writeGroupCounters(c, g)
	}
	return nil
}

// writeGroupCounters writes a group's entries-read and lag fields.
func writeGroupCounters(c *Ctx, g *keyspace.StreamGroup) {
	c.Out.WriteBulkString("entries-read")
	if g.EntriesRead != -1 {
		c.Out.WriteInt(g.EntriesRead)
	} else {
		c.Out.WriteNull()
	}
	c.Out.WriteBulkString("lag")
	if lag, ok := g.Lag(); ok {
		c.Out.WriteInt(lag)
	} else {
		c.Out.WriteNull()
	}
}

// xinfoStream answers XINFO STREAM.
func xinfoStream(c *Ctx, s *keyspace.Stream) error {
	full, count := false, int64(10)
	switch opts := c.Args[3:]; {
	case len(opts) == 0:
	case len(opts) != 1 && len(opts) != 3 || !isWord(opts[0], "full") || len(opts) == 3 && !isWord(opts[1], "count"):
		subcommandSyntaxError(c)
		return nil
	default:
		full = true
		if len(opts) == 3 {
			n, ok := intArg(c, opts[2])
			if !ok {
				return nil
			}
			if n >= 0 {
				count = n
			}
		}
	}
	keys, nodes, err := s.RaxSize()
	if err != nil {
		return err
	}
	m := s.Meta()
	if full {
		c.Out.WriteMapLen(9)
	} else {
		c.Out.WriteMapLen(10)
	}
	c.Out.WriteBulkString("length")
	c.Out.WriteInt(s.Len())
	c.Out.WriteBulkString("radix-tree-keys")
	c.Out.WriteInt(keys)
	c.Out.WriteBulkString("radix-tree-nodes")
	c.Out.WriteInt(nodes)
	c.Out.WriteBulkString("last-generated-id")
	writeStreamID(c, m.LastID)
	c.Out.WriteBulkString("max-deleted-entry-id")
	writeStreamID(c, m.MaxDeletedID)
	c.Out.WriteBulkString("entries-added")
	c.Out.WriteInt(m.EntriesAdded)
	c.Out.WriteBulkString("recorded-first-entry-id")
	writeStreamID(c, m.FirstID)
	groups, err := s.Groups()
	if err != nil {
		return err
	}
	if !full {
		c.Out.WriteBulkString("groups")
		c.Out.WriteInt(int64(len(groups)))
		for _, last := range []bool{false, true} {
			if last {
				c.Out.WriteBulkString("last-entry")
			} else {
				c.Out.WriteBulkString("first-entry")
			}
			e, err := s.Range(keyspace.StreamID{}, keyspace.MaxStreamID, 1, last)
			if err != nil {
				return err
			}
			if e.Len() == 0 {
				c.Out.WriteNull()
			} else {
				writeStreamEntry(c, e, 0)
			}
		}
		return nil
	}
	c.Out.WriteBulkString("entries")
	e, err := s.Range(keyspace.StreamID{}, keyspace.MaxStreamID, count, false)
	if err != nil {
		return err
	}
	writeStreamEntries(c, e)
	c.Out.WriteBulkString("groups")
	c.Out.WriteArrayLen(len(groups))
	for _, g := range groups {
		if err := xinfoFullGroup(c, g, count); err != nil {
			return err
		}
	}
	return nil
}

// xinfoFullGroup writes one group of XINFO STREAM FULL.
func xinfoFullGroup(c *Ctx, g *keyspace.StreamGroup, count int64) error {
	c.Out.WriteMapLen(7)
	c.Out.WriteBulkString("name")
	c.Out.WriteBulk(g.Name())
	c.Out.WriteBulkString("last-delivered-id")
	writeStreamID(c, g.LastID)
	writeGroupCounters(c, g)
	c.Out.WriteBulkString("pel-count")
	c.Out.WriteInt(g.Pending)
	pel, err := g.PendingRange(keyspace.StreamID{}, keyspace.MaxStreamID, count, nil, 0, c.Now)
	if err != nil {
		return err
	}
	c.Out.WriteBulkString("pending")
	c.Out.WriteArrayLen(len(pel))
	for _, p := range pel {
		c.Out.WriteArrayLen(4)
		writeStreamID(c, p.ID)
		c.Out.WriteBulk(p.Consumer)
		c.Out.WriteInt(p.DeliveryTime)
		c.Out.WriteInt(p.Deliveries)
	}
	cons, err := g.ListConsumers()
	if err != nil {
		return err
	}
	c.Out.WriteBulkString("consumers")
	c.Out.WriteArrayLen(len(cons))
	for _, con := range cons {
		c.Out.WriteMapLen(4)
		c.Out.WriteBulkString("name")
		c.Out.WriteBulk(con.Name)
		c.Out.WriteBulkString("seen-time")
		c.Out.WriteInt(con.SeenTime)
		c.Out.WriteBulkString("pel-count")
		c.Out.WriteInt(con.Pending)
		pel, err := g.PendingRange(keyspace.StreamID{}, keyspace.MaxStreamID, count, con.Name, 0, c.Now)
		if err != nil {
			return err
		}
		c.Out.WriteBulkString("pending")
		c.Out.WriteArrayLen(len(pel))
		for _, p := range pel {
			c.Out.WriteArrayLen(3)
			writeStreamID(c, p.ID)
			c.Out.WriteInt(p.DeliveryTime)
			c.Out.WriteInt(p.Deliveries)
		}
	}
	return nil
}
