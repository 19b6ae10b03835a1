package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/keyspace"
)

// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP, and XREAD and XREADGROUP with BLOCK. See
// docs/blocking.md.
//
// A blocking command first runs alone, as its own storage request. Its
// handler serves the first key with data; when none has, it asks to
// block (command.Ctx.Block) and writes nothing. The client then waits in
// the network runtime, holding neither a network slot nor a storage
// worker, in the queues of its keys (blockRegistry).
//
// Blocked clients are served the way Redis serves them: right after the
// write command that gave one of their keys data (after a whole EXEC), on
// the storage goroutine that ran the write, before any other command
// runs (command.Watches.Serve). The clients blocked on a key are tried in
// the order they blocked; each runs its own command in the same commit
// group, and its reply goes straight to its connection's buffer. A client
// that found nothing (another took the data first) stays blocked. The
// client's goroutine then only sends the reply. Its timeout answers a
// null array; a disconnect (watchPeerClose) removes it. A key of another
// type than the command pops never serves it, as in Redis.

// Waiter states.
const (
	waitAttempting = iota // running its own attempt: not to be served
	waitWaiting           // blocked: may be served
	waitServing           // being served by a storage goroutine
	waitDone              // served, timed out or gone
)

// waiter is one blocked command.
type waiter struct {
	c    *client
	cmd  *command.Command
	args [][]byte
	db   int
	keys []watchKey
	typ  keyspace.Type // the type its keys must hold to serve it

	state atomic.Int32
	// missed is set when one of keys was written while the waiter was
	// attempting: the attempt may have run before that write.
	missed atomic.Bool
	// served is signalled once when a storage goroutine has served the
	// waiter (its reply is in c.out); settled after every serving
	// attempt, served or not.
	served, settled chan struct{}
	// call is the served call (Failed for the reply's kind).
	call command.Call
}

// blockRegistry holds the clients blocked on each key, in arrival order,
// and the keys written since the last Serve. Safe for concurrent use.
type blockRegistry struct {
	n     atomic.Int64 // registered waiters: the fast path
	mu    sync.Mutex
	keys  map[watchKey][]*waiter
	all   map[*waiter]struct{}
	ready []watchKey // keys with waiters written since the last Serve
	// serving is set while a storage goroutine runs Serve (it is only
	// ever run by the one writer, and re-entered by the commands it runs).
	serving bool
	// deps for running the served commands.
	s *Server
}

func newBlockRegistry(s *Server) *blockRegistry {
	return &blockRegistry{keys: make(map[watchKey][]*waiter), all: make(map[*waiter]struct{}), s: s}
}

// add queues a waiter for cmd on its keys, in the attempting state.
func (r *blockRegistry) add(c *client, cmd *command.Command, args [][]byte, db int) *waiter {
	w := &waiter{c: c, cmd: cmd, args: args, db: db, typ: blockingType(cmd),
		served: make(chan struct{}, 1), settled: make(chan struct{}, 1)}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range cmd.KeyArgs(args) {
		wk := watchKey{db: db, key: string(k)}
		if queued(r.keys[wk], w) {
			continue // a key given twice
		}
		w.keys = append(w.keys, wk)
		r.keys[wk] = append(r.keys[wk], w)
	}
	r.all[w] = struct{}{}
	r.n.Add(1)
	return w
}

// blockingType returns the type a blocking command pops.
func blockingType(cmd *command.Command) keyspace.Type {
	switch cmd.Group {
	case "sorted-set":
		return keyspace.TypeZSet
	case "stream":
		return keyspace.TypeStream
	}
	return keyspace.TypeList
}

// servedWhenGone reports whether a blocked command is run again when its
// key is deleted or replaced by another type: XREADGROUP then answers an
// error (its group is gone), as Redis unblocks it.
func servedWhenGone(cmd *command.Command) bool { return cmd.Name == "xreadgroup" }

func queued(ws []*waiter, w *waiter) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// remove takes w out of every queue.
func (r *blockRegistry) remove(w *waiter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, wk := range w.keys {
		ws := r.keys[wk]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(r.keys, wk)
		} else {
			r.keys[wk] = ws
		}
	}
	delete(r.all, w)
	r.n.Add(-1)
}

// keysIn returns the keys of db that clients wait on.
func (r *blockRegistry) keysIn(db int) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return keysOfDB(r.keys, db)
}

// touch records that key was written: waiting clients on it will be
// served by the next Serve, attempting ones must attempt again.
func (r *blockRegistry) touch(db int, key []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	wk := watchKey{db: db, key: string(key)}
	ws := r.keys[wk]
	if len(ws) == 0 {
		return
	}
	for _, w := range ws {
		if w.state.Load() == waitAttempting {
			w.missed.Store(true)
		}
	}
	for _, k := range r.ready {
		if k == wk {
			return
		}
	}
	r.ready = append(r.ready, wk)
}

// serve runs, in tx, the commands of the clients blocked on the keys
// written since the last call, oldest waiter first, until no written key
// has a waiter that can be served. The commands it runs report their own
// writes (a BLMOVE's destination), which are served in the same loop.
func (r *blockRegistry) serve(tx *keyspace.Tx) {
	r.mu.Lock()
	if r.serving || len(r.ready) == 0 {
		r.mu.Unlock()
		return
	}
	r.serving = true
	defer func() {
		r.mu.Lock()
		r.serving = false
		r.mu.Unlock()
	}()
	for {
		if len(r.ready) == 0 {
			r.mu.Unlock()
			return
		}
		wk := r.ready[0]
		r.ready = r.ready[1:]
		waiters := append([]*waiter(nil), r.keys[wk]...)
		r.mu.Unlock()
		r.serveKey(tx, wk, waiters)
		r.mu.Lock()
	}
}

// serveKey tries the waiters of one written key in order.
func (r *blockRegistry) serveKey(tx *keyspace.Tx, wk watchKey, waiters []*waiter) {
	now := time.Now()
	for _, w := range waiters {
		typ, err := tx.Type(wk.db, []byte(wk.key), now.UnixMilli())
		if err != nil {
			return
		}
		if typ != w.typ && !servedWhenGone(w.cmd) {
			continue // gone, or of another type: does not serve w
		}
		if !w.state.CompareAndSwap(waitWaiting, waitServing) {
			continue
		}
		c := w.c
		cfg := r.s.Config()
		mark := c.out.Len()
		b := &command.Batch{Calls: []command.Call{{Cmd: w.cmd, Args: w.args, Retry: true}}, DB: w.db, Now: now.UnixMilli(),
			MaxBulk: cfg.ProtoMaxBulkLen, StreamLimits: streamLimits(cfg), Out: c.out, Logger: r.s.cmdLog, Watches: r.s.events}
		b.Run(tx)
		call := b.Calls[0]
		if call.Blocked {
			c.out.Truncate(mark)
			w.state.Store(waitWaiting)
		} else {
			w.call = call
			r.s.stats.errorReplies.Add(int64(b.Errors))
			w.state.Store(waitDone)
			w.served <- struct{}{}
		}
		select {
		case w.settled <- struct{}{}:
		default:
		}
	}
}

// blockedClients returns the number of clients blocked now: waiting to be
// served (not those still running their first attempt).
func (r *blockRegistry) blockedClients() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for w := range r.all {
		if w.state.Load() == waitWaiting {
			n++
		}
	}
	return n
}

// keyEvents is what write commands report their keys to (command.Watches):
// the WATCH registry and the blocked clients.
type keyEvents struct {
	watches *watchRegistry
	blocked *blockRegistry
}

var _ command.Watches = (*keyEvents)(nil)

// Active implements command.Watches.
func (e *keyEvents) Active() bool { return e.watches.Active() || e.blocked.n.Load() > 0 }

// Touch implements command.Watches.
func (e *keyEvents) Touch(db int, key []byte) {
	if e.watches.Active() {
		e.watches.Touch(db, key)
	}
	if e.blocked.n.Load() > 0 {
		e.blocked.touch(db, key)
	}
}

// Watched implements command.Watches: the keys watched (WATCH) or waited
// on by blocked clients in db. A flush touches those that exist: a
// blocked XREADGROUP is then answered that its key is gone; a SWAPDB
// serves the clients whose key it brings.
func (e *keyEvents) Watched(db int) [][]byte {
	out := e.watches.Watched(db)
	if e.blocked.n.Load() > 0 {
		out = append(out, e.blocked.keysIn(db)...)
	}
	return out
}

// Serve implements command.Watches.
func (e *keyEvents) Serve(tx *keyspace.Tx) {
	if e.blocked.n.Load() > 0 {
		e.blocked.serve(tx)
	}
}

// runBlocking runs a Blocking command (see the top of this file) and
// writes its reply. It returns false when the client disconnected while
// blocked (nothing is written then).
func (c *client) runBlocking(cmd *command.Command, args [][]byte, st *cmdStat, cfg *config.Config) bool {
	r := c.s.blocked
	w := r.add(c, cmd, args, c.selectedDB())
	defer r.remove(w)
	start := time.Now()
	var deadline time.Time
	runArgs := args
	for attempt := 0; ; attempt++ {
		call, ok := c.runAlone(cmd, runArgs, cfg, attempt > 0)
		if !ok || !call.Blocked {
			c.called(st, args, time.Since(start), call.Failed)
			return true
		}
		if attempt == 0 && call.BlockTimeout > 0 {
			deadline = start.Add(call.BlockTimeout)
		}
		if call.RetryArgs != nil {
			// Runs again (here or by a storage goroutine, which reads
			// w.args only once w is waiting) with what the command
			// resolved at its first attempt.
			runArgs, w.args = call.RetryArgs, call.RetryArgs
		}
		// Replies of the commands before this one go out now, as Redis
		// sends them before the client blocks; c.out is then free for a
		// storage goroutine to write this command's reply into.
		if !c.flush() {
			return false
		}
		w.state.Store(waitWaiting)
		if !w.missed.Swap(false) {
			break
		}
		// A key was written during the attempt, which may have run
		// before the write: attempt again, unless a storage goroutine
		// is serving the waiter already.
		if c.reattempt(w) {
			c.called(st, args, time.Since(start), w.call.Failed)
			return true
		}
	}
	switch c.awaitServed(w, deadline) {
	case wakeTimeout:
		c.out.WriteNullArray()
		c.called(st, args, time.Since(start), false)
		return true
	case wakeGone:
		return false
	}
	c.called(st, args, time.Since(start), w.call.Failed)
	return true
}

// reattempt moves w back from waiting to attempting and reports false, or
// reports true if a storage goroutine served it first.
func (c *client) reattempt(w *waiter) (served bool) {
	for {
		if w.state.CompareAndSwap(waitWaiting, waitAttempting) {
			return false
		}
		if w.state.Load() == waitDone {
			<-w.served
			return true
		}
		<-w.settled
	}
}

// settle takes w out of the waiting state for good and reports whether a
// storage goroutine served it meanwhile (its reply is then in c.out).
func (c *client) settle(w *waiter) (served bool) {
	for {
		if w.state.CompareAndSwap(waitWaiting, waitDone) {
			return false
		}
		if w.state.Load() == waitDone {
			<-w.served
			return true
		}
		<-w.settled // being served: wait for the outcome
	}
}

// Why awaitServed returned.
const (
	wakeServed = iota
	wakeTimeout
	wakeGone
)

// awaitServed waits, without a network slot, until a storage goroutine
// serves w, the deadline passes (zero: none), or the peer closes the
// connection. A timeout or disconnect that races with serving counts as
// served (the reply is in c.out).
func (c *client) awaitServed(w *waiter, deadline time.Time) int {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	gone, stop := c.watchPeerClose()
	defer stop()
	c.s.slots.Release()
	defer func() { _ = c.s.slots.Acquire(context.Background()) }()
	select {
	case <-w.served:
		return wakeServed
	case <-timeout:
		if c.settle(w) {
			return wakeServed
		}
		return wakeTimeout
	case <-gone:
		if c.settle(w) {
			return wakeServed
		}
		return wakeGone
	}
}

// runAlone runs one storage command as its own request and returns its
// call (Blocked set if it asked to block; retry marks a run after it
// blocked). ok is false when the storage runtime failed the request (its
// error reply is written).
func (c *client) runAlone(cmd *command.Command, args [][]byte, cfg *config.Config, retry bool) (command.Call, bool) {
	j := &c.job
	b := &j.batch
	b.Reset()
	b.Calls = append(b.Calls, command.Call{Cmd: cmd, Args: args, Retry: retry})
	now := time.Now()
	c.prepareBatch(cfg, now)
	j.write = true
	err := c.submitAndWait(j, j.done, cfg, now)
	ok := err == nil
	if !ok {
		b.FailAll(storageErrorReply(err))
	}
	c.s.stats.errorReplies.Add(int64(b.Errors))
	call := b.Calls[0]
	b.Reset()
	return call, ok
}
