package server

import (
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/pubsub"
	"github.com/kiwidb/kiwi/internal/resp"
)

// Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, entirely in the network
// runtime (see docs/pubsub.md).
//
// A connection's first subscription switches it to asynchronous output
// for the rest of its life: flush hands the replies to an outbound queue
// (outQueue) that a writer goroutine drains to the socket, and PUBLISH,
// on the publisher's goroutine, appends each message's frame (encoded once
// per protocol by pubsub.Message) to every receiver's queue under that
// queue's lock. Nothing in PUBLISH waits for a socket. The queue of a
// subscribed connection is bounded by client-output-buffer-limit's pubsub
// class: at the hard limit, or above the soft limit for longer than its
// seconds, the connection is closed and its queue dropped.
//
// Order. A message never overtakes the confirmation of the subscription
// that delivers it, nor follows the confirmation of its unsubscription:
// the registry's lock is held during delivery; SUBSCRIBE writes its
// confirmations before registering, and from then until the replies are
// flushed the connection "holds" deliveries, each marked with the output
// position of the last (un)subscribe confirmation written, and flush
// splices them into the replies at those positions. The publishing
// connection's own copies are written into its replies at once, before
// PUBLISH's reply, as Redis does.

// pubsubServer is the server's Pub/Sub state.
type pubsubServer struct {
	reg *pubsub.Registry
	// limit caches the pubsub class of client-output-buffer-limit for
	// the configuration it was read from.
	limit atomic.Pointer[limitCache]
}

type limitCache struct {
	src *config.Config
	lim config.OutputBufferLimit
}

func newPubsubServer() *pubsubServer { return &pubsubServer{reg: pubsub.New()} }

// pubsubLimit returns the output buffer limits of subscribed connections.
func (s *Server) pubsubLimit() config.OutputBufferLimit {
	cfg := s.Config()
	if lc := s.ps.limit.Load(); lc != nil && lc.src == cfg {
		return lc.lim
	}
	lc := &limitCache{src: cfg, lim: cfg.OutputBufferLimitOf(config.OutputClassPubSub)}
	s.ps.limit.Store(lc)
	return lc.lim
}

// PubSubStats are the Pub/Sub figures of INFO stats.
type PubSubStats struct {
	// Channels, Patterns and ShardChannels count the distinct channels,
	// patterns and shard channels with at least one subscriber.
	Channels, Patterns, ShardChannels int
	// OutputLimitDisconnections counts the connections closed for
	// reaching client-output-buffer-limit (cumulative).
	OutputLimitDisconnections uint64
}

// PubSubStats returns the current Pub/Sub figures.
func (s *Server) PubSubStats() PubSubStats {
	return PubSubStats{
		Channels:                  s.ps.reg.Count(pubsub.Channel),
		Patterns:                  s.ps.reg.Count(pubsub.Pattern),
		ShardChannels:             s.ps.reg.Count(pubsub.Shard),
		OutputLimitDisconnections: uint64(s.stats.outputLimitKills.Load()),
	}
}

// pubsubInfo writes INFO stats' Pub/Sub fields (Redis 7.0's names).
func (s *Server) pubsubInfo(sb *strings.Builder) {
	field(sb, "pubsub_channels", s.ps.reg.Count(pubsub.Channel))
	field(sb, "pubsub_patterns", s.ps.reg.Count(pubsub.Pattern))
	field(sb, "pubsubshard_channels", s.ps.reg.Count(pubsub.Shard))
}

// pubsubConn is a connection's Pub/Sub state, created by its first
// subscription.
type pubsubConn struct {
	// subs are the connection's subscriptions: changed only by the
	// connection's goroutine (or by EXEC's job on its behalf), counted
	// by anyone.
	subs pubsub.Subscriptions
	q    outQueue
	// orderFD is the socket's registration in the server's inputOrder.
	orderFD int32
}

// Tuning of the asynchronous output.
const (
	// asyncHighWater: once a connection has no subscription left, flush
	// waits (as a blocking socket write would) while more than this many
	// bytes are pending, so that a client that sends commands without
	// reading the replies is held back by TCP, as in synchronous mode.
	asyncHighWater = 1 << 20
	// coalesceMax: frames and replies up to this size are copied into a
	// shared tail buffer (fewer, larger writes); larger ones are queued
	// as they are.
	coalesceMax = 1 << 10
	// spareTailMax bounds the tail buffer kept for reuse.
	spareTailMax = 64 << 10
	// drainTimeout bounds the final write of pending output when a
	// subscribed connection ends normally (QUIT, protocol error).
	drainTimeout = 10 * time.Second
)

// outQueue is a connection's outbound byte queue in asynchronous mode.
type outQueue struct {
	mu   sync.Mutex
	more sync.Cond // the writer waits for data or stop
	room sync.Cond // flush waits for the queue to drain

	bufs [][]byte // pending chunks, in order
	tail []byte   // small chunks coalesced, after bufs
	// spare is a drained tail buffer kept for reuse.
	spare []byte
	// size counts the bytes queued, held or being written.
	size int64
	// softSince is when size first reached the soft limit (zero: below);
	// softTimer checks the soft limit again when its time is up, even if
	// nothing is added meanwhile (softArmed: it is pending).
	softSince time.Time
	softTimer *time.Timer
	softArmed bool
	owner     *client

	// holding: deliveries go to held (see the top of this file) until
	// the next flush; mark is the output position they are spliced at.
	holding bool
	mark    int
	held    []heldFrame

	stop bool // no more input: the writer exits once the queue is empty
	dead bool // closing: everything pending is dropped, input ignored
	done chan struct{}
}

type heldFrame struct {
	at    int
	frame []byte
}

// startPubSub returns the connection's Pub/Sub state, switching it to
// asynchronous output on first use.
func (c *client) startPubSub() *pubsubConn {
	if ps := c.ps.Load(); ps != nil {
		return ps
	}
	ps := &pubsubConn{}
	q := &ps.q
	q.more.L, q.room.L = &q.mu, &q.mu
	q.done = make(chan struct{})
	q.owner = c
	go c.writeLoop(q)
	ps.orderFD = c.s.inorder.add(c)
	c.ps.Store(ps)
	return ps
}

// subscribed reports whether the connection has a subscription (Redis's
// CLIENT_PUBSUB flag).
func (c *client) subscribed() bool {
	ps := c.ps.Load()
	return ps != nil && ps.subs.Total() > 0
}

// protocol returns the connection's RESP version.
func (c *client) protocol() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proto
}

// Deliver implements pubsub.Subscriber: it queues the message (or holds
// it, see the top of this file). It runs on the publisher's goroutine.
func (c *client) Deliver(m *pubsub.Message) {
	ps := c.ps.Load()
	frame := m.Frame(c.protocol())
	lim := c.s.pubsubLimit()
	q := &ps.q
	q.mu.Lock()
	if q.dead {
		q.mu.Unlock()
		return
	}
	if q.holding {
		q.held = append(q.held, heldFrame{at: q.mark, frame: frame})
		q.size += int64(len(frame))
	} else {
		q.push(frame, false)
		q.more.Signal()
	}
	kill := q.overLimit(lim)
	q.mu.Unlock()
	if kill != "" {
		c.outputLimitReached(kill, lim)
	}
}

// push appends b to the queue; owned says b may be kept as it is
// (otherwise a large b is copied). Called with q.mu held.
func (q *outQueue) push(b []byte, owned bool) {
	if len(b) == 0 {
		return
	}
	q.size += int64(len(b))
	if len(b) <= coalesceMax {
		if q.tail == nil && q.spare != nil {
			q.tail, q.spare = q.spare[:0], nil
		}
		q.tail = append(q.tail, b...)
		return
	}
	if len(q.tail) > 0 {
		q.bufs = append(q.bufs, q.tail)
		q.tail = nil
	}
	if !owned {
		b = append([]byte(nil), b...)
	}
	q.bufs = append(q.bufs, b)
}

// overLimit applies lim to the pending output; it returns why the
// connection must be closed ("" if it need not), after marking the queue
// dead and dropping its content. Called with q.mu held.
func (q *outQueue) overLimit(lim config.OutputBufferLimit) string {
	reason := ""
	switch {
	case lim.Hard > 0 && q.size >= lim.Hard:
		reason = "hard"
	case lim.Soft > 0 && q.size >= lim.Soft:
		now := time.Now()
		if q.softSince.IsZero() {
			q.softSince = now
		}
		limit := time.Duration(lim.SoftSeconds) * time.Second
		if over := now.Sub(q.softSince); over > limit {
			reason = "soft"
		} else if !q.softArmed {
			q.softArmed = true
			d := limit - over + time.Millisecond
			if q.softTimer == nil {
				q.softTimer = time.AfterFunc(d, q.owner.softLimitCheck)
			} else {
				q.softTimer.Reset(d)
			}
		}
	default:
		q.softSince = time.Time{}
	}
	if reason != "" {
		q.kill()
	}
	return reason
}

// kill marks the queue dead and drops everything pending. Called with
// q.mu held.
func (q *outQueue) kill() {
	q.dead = true
	clear(q.bufs)
	clear(q.held)
	q.bufs, q.tail, q.held, q.spare = nil, nil, nil, nil
	q.size = 0
	if q.softTimer != nil {
		q.softTimer.Stop()
	}
	q.more.Broadcast()
	q.room.Broadcast()
}

// softLimitCheck runs when a subscribed connection's output may have
// stayed over the soft limit for its whole time with nothing added since
// (Redis checks this from its cron).
func (c *client) softLimitCheck() {
	ps := c.ps.Load()
	q := &ps.q
	var lim config.OutputBufferLimit
	if ps.subs.Total() > 0 {
		lim = c.s.pubsubLimit()
	}
	q.mu.Lock()
	q.softArmed = false
	kill := ""
	if !q.dead && !q.softSince.IsZero() {
		kill = q.overLimit(lim)
	}
	q.mu.Unlock()
	if kill != "" {
		c.outputLimitReached(kill, lim)
	}
}

// outputLimitReached closes a connection whose queue went over its limit
// (once: the queue is dead from then on).
func (c *client) outputLimitReached(which string, lim config.OutputBufferLimit) {
	c.s.stats.outputLimitKills.Add(1)
	limit := lim.Hard
	if which == "soft" {
		limit = lim.Soft
	}
	c.s.log.Warn("closing client that reached client-output-buffer-limit",
		"client", c.id, "addr", c.raddr, "class", "pubsub", "limit", which, "bytes", limit)
	c.closeConn()
}

// writeLoop is the writer goroutine of an asynchronous connection: it
// writes the queue to the socket until the queue is stopped and empty, or
// dead, or a write fails (then it closes the connection).
func (c *client) writeLoop(q *outQueue) {
	defer close(q.done)
	var spare [][]byte
	for {
		q.mu.Lock()
		for len(q.bufs) == 0 && len(q.tail) == 0 && !q.stop && !q.dead {
			q.more.Wait()
		}
		if q.dead || (q.stop && len(q.bufs) == 0 && len(q.tail) == 0) {
			q.mu.Unlock()
			return
		}
		bufs := q.bufs
		q.bufs = spare[:0]
		var tail []byte
		if len(q.tail) > 0 {
			tail = q.tail
			bufs = append(bufs, tail)
			q.tail = nil
		}
		q.mu.Unlock()

		var n int64
		for _, b := range bufs {
			n += int64(len(b))
		}
		nb := net.Buffers(bufs)
		written, err := nb.WriteTo(c.nc)
		c.s.stats.netOutput.Add(written)

		q.mu.Lock()
		if !q.dead {
			q.size -= n
			if q.size == 0 {
				q.softSince = time.Time{}
			}
			if tail != nil && cap(tail) <= spareTailMax && q.spare == nil {
				q.spare = tail
			}
		}
		q.room.Broadcast()
		if err != nil {
			q.kill()
		}
		q.mu.Unlock()
		clear(bufs)
		spare = bufs
		if err != nil {
			c.closeConn()
			return
		}
	}
}

// flushAsync is flush in asynchronous mode: the replies (with held
// deliveries spliced in) go to the queue. A connection that is no longer
// subscribed waits while the queue is over asyncHighWater (a subscribed
// one is bounded by its output buffer limit instead, and must go on
// reading commands, UNSUBSCRIBE included, however busy its channels are).
// It reports false when the connection is closing.
func (c *client) flushAsync(ps *pubsubConn) bool {
	q := &ps.q
	out := c.out.Bytes()
	// A large reply buffer is handed over instead of copied.
	handOver := len(out) > maxIdleOutput
	subscribed := ps.subs.Total() > 0
	var lim config.OutputBufferLimit
	if subscribed {
		lim = c.s.pubsubLimit()
	}
	q.mu.Lock()
	if !q.dead {
		if q.holding {
			pos := 0
			for _, h := range q.held {
				at := min(max(h.at, pos), len(out))
				q.push(out[pos:at], false)
				pos = at
				q.size -= int64(len(h.frame)) // counted when held
				q.push(h.frame, true)
			}
			q.push(out[pos:], handOver && pos == 0)
			clear(q.held)
			q.held, q.holding = q.held[:0], false
		} else {
			q.push(out, handOver)
		}
		q.more.Signal()
	}
	kill := ""
	if !q.dead {
		kill = q.overLimit(lim)
	}
	for !subscribed && q.size > asyncHighWater && !q.dead {
		q.room.Wait()
	}
	dead := q.dead
	q.mu.Unlock()
	if kill != "" {
		c.outputLimitReached(kill, lim)
	}
	if handOver {
		c.out = resp.NewWriter(c.out.Proto())
	} else {
		c.out.Reset()
	}
	return !dead
}

// holdFrom makes deliveries wait for the next flush, spliced in at the
// current end of the replies. Called after writing (un)subscribe
// confirmations.
func (c *client) holdFrom(ps *pubsubConn, subscribing bool) {
	q := &ps.q
	q.mu.Lock()
	if subscribing {
		q.holding = true
	}
	if q.holding {
		q.mark = c.out.Len()
	}
	q.mu.Unlock()
}

// pubsubKeepAlive: subscribed connections are exempt from the idle
// timeout, as in Redis.
func (c *client) pubsubKeepAlive(cfg *config.Config) {
	if cfg.Timeout > 0 && c.subscribed() {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
}

// pubsubClose runs when the connection's goroutine ends: it removes the
// connection's subscriptions and stops its writer, after the pending
// output was written if the connection ends normally (QUIT).
func (c *client) pubsubClose() {
	ps := c.ps.Load()
	if ps == nil {
		return
	}
	c.s.inorder.remove(c, ps.orderFD)
	for _, k := range []pubsub.Kind{pubsub.Channel, pubsub.Pattern, pubsub.Shard} {
		names := ps.subs.List(k)
		c.s.ps.reg.UnsubscribeAll(c, k, names)
		for _, n := range names {
			ps.subs.Remove(k, []byte(n))
		}
	}
	q := &ps.q
	q.mu.Lock()
	q.stop = true
	drain := !q.dead && !c.closed.Load()
	if !drain {
		q.kill()
	}
	q.more.Broadcast()
	q.mu.Unlock()
	if drain {
		_ = c.nc.SetWriteDeadline(time.Now().Add(drainTimeout))
	}
	<-q.done
}

// pubsubFlags returns CLIENT LIST's flags, sub, psub and ssub fields, and
// omem: the output pending in the queue of an asynchronous connection.
func (c *client) pubsubFlags() (flags string, sub, psub, ssub int, omem int64) {
	ps := c.ps.Load()
	if ps == nil {
		return "N", 0, 0, 0, 0
	}
	ps.q.mu.Lock()
	omem = ps.q.size
	ps.q.mu.Unlock()
	sub, psub, ssub = ps.subs.Count(pubsub.Channel), ps.subs.Count(pubsub.Pattern), ps.subs.Count(pubsub.Shard)
	if sub+psub+ssub > 0 {
		return "P", sub, psub, ssub, omem
	}
	return "N", sub, psub, ssub, omem
}

// clientType is the connection's class for CLIENT LIST/KILL TYPE.
func (c *client) clientType() string {
	if c.subscribed() {
		return "pubsub"
	}
	return "normal"
}

// pubsubAllowed are the commands a RESP2 connection may run while
// subscribed (Redis 7.0's list; Kiwi has no RESET).
var pubsubAllowed = map[string]bool{
	"subscribe": true, "ssubscribe": true, "psubscribe": true,
	"unsubscribe": true, "sunsubscribe": true, "punsubscribe": true,
	"ping": true, "quit": true, "reset": true,
}

// pubsubDenied reports whether cmd is refused because the connection is
// in RESP2 subscribed mode (pubsubDeniedError is then the reply).
func (c *client) pubsubDenied(cmd *command.Command) bool {
	return !pubsubAllowed[cmd.Name] && c.out.Proto() != 3 && c.subscribed()
}

// pubsubDeniedError is the reply to a command refused in subscribed mode.
// Redis resolves a container's subcommand first: an unknown one or a wrong
// arity gets the error it always gets.
func pubsubDeniedError(cmd *command.Command, args [][]byte) string {
	name := cmd.Name
	if len(cmd.Subcommands) > 0 && len(args) >= 2 {
		full := cmd.Name + "|" + strings.ToLower(string(args[1]))
		var sub *command.Command
		for _, sc := range cmd.Subcommands {
			if sc.Name == full {
				sub = sc
			}
		}
		switch {
		case sub == nil:
			return "ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(cmd.Name) + " HELP."
		case !sub.CheckArity(len(args)):
			return command.WrongArgs(full)
		}
		name = full
	}
	msg := "Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	if name == "exec" {
		// Redis 7.0 answers a refused EXEC with EXECABORT.
		return "EXECABORT Transaction discarded because of: " + msg
	}
	return "ERR " + msg
}

// pubsubPing answers PING in RESP2 subscribed mode, as Redis does: the
// array ["pong", message or ""]. It reports false when PING answers as
// usual.
func (c *client) pubsubPing(args [][]byte) bool {
	if len(args) > 2 || c.out.Proto() == 3 || !c.subscribed() {
		return false
	}
	c.out.WriteArrayLen(2)
	c.out.WriteBulkString("pong")
	if len(args) == 2 {
		c.out.WriteBulk(args[1])
	} else {
		c.out.WriteBulkString("")
	}
	return true
}

// subscribe is SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE: one confirmation per
// argument, [verb, name, count], as an array (RESP2) or a push (RESP3).
func (c *client) subscribe(kind pubsub.Kind, verb string, names [][]byte) {
	ps := c.startPubSub()
	var added [][]byte
	for _, n := range names {
		if ps.subs.Add(kind, n) {
			added = append(added, n)
		}
		c.writeSubReply(ps, kind, verb, n, false)
	}
	c.holdFrom(ps, true)
	for _, n := range added {
		c.s.ps.reg.Subscribe(c, kind, n)
	}
}

// unsubscribe is UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE; with no
// names, every subscription of the kind, or one reply with a null name
// when there is none.
func (c *client) unsubscribe(kind pubsub.Kind, verb string, names [][]byte) {
	ps := c.ps.Load()
	if len(names) == 0 && ps != nil {
		for _, n := range ps.subs.List(kind) {
			names = append(names, []byte(n))
		}
	}
	if len(names) == 0 {
		c.writeSubReply(ps, kind, verb, nil, true)
		return
	}
	for _, n := range names {
		if ps != nil && ps.subs.Remove(kind, n) {
			c.s.ps.reg.Unsubscribe(c, kind, n)
		}
		c.writeSubReply(ps, kind, verb, n, false)
	}
	if ps != nil {
		c.holdFrom(ps, false)
	}
}

// writeSubReply writes one (un)subscribe confirmation. Its count is the
// connection's channels and patterns, or its shard channels for the
// shard verbs (Redis 7.0).
func (c *client) writeSubReply(ps *pubsubConn, kind pubsub.Kind, verb string, name []byte, null bool) {
	count := 0
	if ps != nil {
		if kind == pubsub.Shard {
			count = ps.subs.Count(pubsub.Shard)
		} else {
			count = ps.subs.Count(pubsub.Channel) + ps.subs.Count(pubsub.Pattern)
		}
	}
	c.out.WritePushLen(3)
	c.out.WriteBulkString(verb)
	if null {
		c.out.WriteNull()
	} else {
		c.out.WriteBulk(name)
	}
	c.out.WriteInt(int64(count))
	c.pushedTo = c.out.Len()
}

// publish is PUBLISH and SPUBLISH.
func (c *client) publish(kind pubsub.Kind, channel, payload []byte) {
	c.awaitSubscriberInput()
	n, own := c.s.ps.reg.Publish(kind, channel, payload, c)
	for _, m := range own {
		c.out.WriteRaw(m.Frame(c.out.Proto()))
	}
	c.out.WriteInt(int64(n))
}

func (s *Server) pubsubCommands() []netCommand {
	ps := []string{"@pubsub", "@slow"}
	sub := command.PubSub | command.NoScript | command.Loading | command.Stale
	shardKeys := func(cmd *command.Command) *command.Command {
		cmd.FirstKey, cmd.LastKey, cmd.KeyStep = 1, -1, 1
		return cmd
	}
	return []netCommand{
		{&command.Command{Name: "subscribe", Arity: -2, Flags: sub, Group: "pubsub",
			Summary: "Listen for messages published to the given channels", Since: "2.0.0",
			Complexity: "O(N) where N is the number of channels to subscribe to.", ACLCategories: ps},
			func(c *client, args [][]byte) { c.subscribe(pubsub.Channel, "subscribe", args[1:]) }},
		{&command.Command{Name: "unsubscribe", Arity: -1, Flags: sub, Group: "pubsub",
			Summary: "Stop listening for messages posted to the given channels", Since: "2.0.0",
			Complexity: "O(N) where N is the number of clients already subscribed to a channel.", ACLCategories: ps},
			func(c *client, args [][]byte) { c.unsubscribe(pubsub.Channel, "unsubscribe", args[1:]) }},
		{&command.Command{Name: "psubscribe", Arity: -2, Flags: sub, Group: "pubsub",
			Summary: "Listen for messages published to channels matching the given patterns", Since: "2.0.0",
			Complexity: "O(N) where N is the number of patterns the client is already subscribed to.", ACLCategories: ps},
			func(c *client, args [][]byte) { c.subscribe(pubsub.Pattern, "psubscribe", args[1:]) }},
		{&command.Command{Name: "punsubscribe", Arity: -1, Flags: sub, Group: "pubsub",
			Summary: "Stop listening for messages posted to channels matching the given patterns", Since: "2.0.0",
			Complexity:    "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
			ACLCategories: ps},
			func(c *client, args [][]byte) { c.unsubscribe(pubsub.Pattern, "punsubscribe", args[1:]) }},
		{shardKeys(&command.Command{Name: "ssubscribe", Arity: -2, Flags: sub, Group: "pubsub",
			Summary: "Listen for messages published to the given shard channels", Since: "7.0.0",
			Complexity: "O(N) where N is the number of shard channels to subscribe to.", ACLCategories: ps}),
			cmdSSubscribe},
		{shardKeys(&command.Command{Name: "sunsubscribe", Arity: -1, Flags: sub, Group: "pubsub",
			Summary: "Stop listening for messages posted to the given shard channels", Since: "7.0.0",
			Complexity: "O(N) where N is the number of clients already subscribed to a shard channel.", ACLCategories: ps}),
			func(c *client, args [][]byte) { c.unsubscribe(pubsub.Shard, "sunsubscribe", args[1:]) }},
		{&command.Command{Name: "publish", Arity: 3, Flags: command.PubSub | command.Loading | command.Stale | command.Fast, Group: "pubsub",
			Summary: "Post a message to a channel", Since: "2.0.0",
			Complexity:    "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
			ACLCategories: []string{"@pubsub", "@fast"}},
			func(c *client, args [][]byte) { c.publish(pubsub.Channel, args[1], args[2]) }},
		{&command.Command{Name: "spublish", Arity: 3, Flags: command.PubSub | command.Loading | command.Stale | command.Fast,
			FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "pubsub",
			Summary: "Post a message to a shard channel", Since: "7.0.0",
			Complexity:    "O(N) where N is the number of clients subscribed to the receiving shard channel.",
			ACLCategories: []string{"@pubsub", "@fast"}},
			func(c *client, args [][]byte) { c.publish(pubsub.Shard, args[1], args[2]) }},
		s.pubsubCommand(),
	}
}

// cmdSSubscribe is SSUBSCRIBE. Inside EXEC Redis 7.0 refuses it (the
// transaction runs as a "deny blocking" client, and unlike SUBSCRIBE it
// has no exception for MULTI).
func cmdSSubscribe(c *client, args [][]byte) {
	if c.multi.active {
		c.replyError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.subscribe(pubsub.Shard, "ssubscribe", args[1:])
}

func (s *Server) pubsubCommand() netCommand {
	cats := []string{"@pubsub", "@slow"}
	flags := command.Loading | command.Stale
	sub := func(name string, arity int, since, summary, complexity string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "pubsub",
			Summary: summary, Since: since, Complexity: complexity, ACLCategories: cats}, run}
	}
	help := sub("help", 2, "6.2.0", "Show helpful text about the different subcommands", "O(1)", pubsubHelp)
	help.cmd.ACLCategories = []string{"@slow"}
	return container(&command.Command{Name: "pubsub", Arity: -2, Group: "pubsub",
		Summary: "A container for Pub/Sub commands", Since: "2.8.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("channels", -2, "2.8.0", "List active channels",
			"O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
			func(c *client, args [][]byte) { c.pubsubChannels(pubsub.Channel, args) }),
		sub("numsub", -2, "2.8.0", "Get the count of subscribers for channels",
			"O(N) for the NUMSUB subcommand, where N is the number of requested channels",
			func(c *client, args [][]byte) { c.pubsubNumSub(pubsub.Channel, args) }),
		sub("numpat", 2, "2.8.0", "Get the count of unique patterns pattern subscriptions", "O(1)",
			func(c *client, _ [][]byte) { c.out.WriteInt(int64(c.s.ps.reg.Count(pubsub.Pattern))) }),
		sub("shardchannels", -2, "7.0.0", "List active shard channels",
			"O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
			func(c *client, args [][]byte) { c.pubsubChannels(pubsub.Shard, args) }),
		sub("shardnumsub", -2, "7.0.0", "Get the count of subscribers for shard channels",
			"O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
			func(c *client, args [][]byte) { c.pubsubNumSub(pubsub.Shard, args) }),
		help,
	})
}

// pubsubChannels is PUBSUB CHANNELS / SHARDCHANNELS [pattern].
func (c *client) pubsubChannels(kind pubsub.Kind, args [][]byte) {
	if len(args) > 3 {
		c.replyError("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try PUBSUB HELP.")
		return
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	names := c.s.ps.reg.Channels(kind, pattern)
	c.out.WriteArrayLen(len(names))
	for _, n := range names {
		c.out.WriteBulk(n)
	}
}

// pubsubNumSub is PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: a flat
// array of channel, count pairs (in RESP3 too, as Redis 7.0).
func (c *client) pubsubNumSub(kind pubsub.Kind, args [][]byte) {
	c.out.WriteArrayLen(2 * (len(args) - 2))
	for _, ch := range args[2:] {
		c.out.WriteBulk(ch)
		c.out.WriteInt(int64(c.s.ps.reg.NumSub(kind, ch)))
	}
}

func pubsubHelp(c *client, _ [][]byte) {
	lines := []string{
		"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
		"HELP",
		"    Prints this help.",
	}
	c.out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
}

// inputOrderWait bounds how long PUBLISH waits for subscribers to handle
// input they received before it (see inputOrder).
const inputOrderWait = 2 * time.Millisecond

// awaitSubscriberInput waits until the subscribed connections that have
// unread input (commands sent before this PUBLISH arrived, such as an
// UNSUBSCRIBE) have read and handled it, or inputOrderWait has passed.
func (c *client) awaitSubscriberInput() {
	var arr [16]*client
	ready := c.s.inorder.pending(c, arr[:0])
	if len(ready) == 0 {
		return
	}
	deadline := time.Now().Add(inputOrderWait)
	for spins := 0; time.Now().Before(deadline); spins++ {
		busy := false
		for _, sc := range ready {
			if sc.inputRead.Load() != sc.inputDone.Load() {
				busy = true // read, being handled
			}
		}
		if !busy && len(c.s.inorder.pending(c, arr[len(ready):len(ready)])) == 0 {
			return // drained and handled
		}
		if spins < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}
