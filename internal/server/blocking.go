package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (and the
// sorted-set ones).
//
// A blocking command runs alone, as its own storage request, like any
// write. Its handler serves the first key with data; when none has, it
// asks to block (command.Ctx.Block) and writes nothing. The connection's
// goroutine then waits in the network runtime, holding neither a network
// slot nor a storage worker, until
//
//   - a write command modifies one of its keys (blockRegistry, told by the
//     same key events as WATCH): it runs the command again, which may block
//     again if another client took the data first;
//   - its timeout passes: it answers a null array, as Redis does;
//   - the client disconnects (watchPeerClose): it gives up, so no element
//     is ever popped for a client that is gone.
//
// Wake-up order is Redis's: the clients blocked on a key are served first
// come, first served. A write to a key wakes only the longest-waiting
// client on it; a client that leaves the queue (served, timed out, gone)
// wakes the next one, which runs again and finds the data if any is left.
// Inside MULTI a blocking command does not block (command.Batch.NoBlock).

// blockRegistry holds the clients blocked on each key, in arrival order.
// Safe for concurrent use.
type blockRegistry struct {
	n    atomic.Int64 // blocked clients: the fast path
	mu   sync.Mutex
	keys map[watchKey][]*waiter
}

// waiter is one blocked command.
type waiter struct {
	keys []watchKey
	// wake has room for one signal: a write to one of keys since the
	// waiter last ran its command.
	wake chan struct{}
}

func newBlockRegistry() *blockRegistry {
	return &blockRegistry{keys: make(map[watchKey][]*waiter)}
}

// add queues a waiter on keys of db.
func (r *blockRegistry) add(db int, keys [][]byte) *waiter {
	w := &waiter{wake: make(chan struct{}, 1)}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		wk := watchKey{db: db, key: string(k)}
		if queued(r.keys[wk], w) {
			continue // a key given twice
		}
		w.keys = append(w.keys, wk)
		r.keys[wk] = append(r.keys[wk], w)
	}
	r.n.Add(1)
	return w
}

func queued(ws []*waiter, w *waiter) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// remove takes w out of every queue and wakes the new first waiter of each
// key it was first on, so a signal w received but did not use is passed on.
func (r *blockRegistry) remove(w *waiter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, wk := range w.keys {
		ws := r.keys[wk]
		for i, x := range ws {
			if x != w {
				continue
			}
			ws = append(ws[:i], ws[i+1:]...)
			if i == 0 && len(ws) > 0 {
				signal(ws[0])
			}
			break
		}
		if len(ws) == 0 {
			delete(r.keys, wk)
		} else {
			r.keys[wk] = ws
		}
	}
	r.n.Add(-1)
}

func signal(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// touch wakes the first client blocked on key.
func (r *blockRegistry) touch(db int, key []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ws := r.keys[watchKey{db: db, key: string(key)}]; len(ws) > 0 {
		signal(ws[0])
	}
}

// blockedClients returns the number of clients blocked now.
func (r *blockRegistry) blockedClients() int64 { return r.n.Load() }

// keyEvents is what write commands report their keys to (command.Watches):
// the WATCH registry and the blocked clients.
type keyEvents struct {
	watches *watchRegistry
	blocked *blockRegistry
}

var _ command.Watches = keyEvents{}

// Active implements command.Watches.
func (e keyEvents) Active() bool { return e.watches.Active() || e.blocked.n.Load() > 0 }

// Touch implements command.Watches.
func (e keyEvents) Touch(db int, key []byte) {
	if e.watches.Active() {
		e.watches.Touch(db, key)
	}
	if e.blocked.n.Load() > 0 {
		e.blocked.touch(db, key)
	}
}

// Watched implements command.Watches.
func (e keyEvents) Watched(db int) [][]byte { return e.watches.Watched(db) }

// runBlocking runs a Blocking command (see the top of this file) and
// writes its reply. It returns false when the client disconnected while
// blocked (nothing is written then).
func (c *client) runBlocking(cmd *command.Command, args [][]byte, st *cmdStat, cfg *config.Config) bool {
	db := c.selectedDB()
	w := c.s.blocked.add(db, cmd.KeyArgs(args))
	defer c.s.blocked.remove(w)
	start := time.Now()
	var deadline time.Time
	for attempt := 0; ; attempt++ {
		call, ok := c.runAlone(cmd, args, cfg)
		if !ok || !call.Blocked {
			c.called(st, args, time.Since(start), call.Failed)
			return true
		}
		if attempt == 0 && call.BlockTimeout > 0 {
			deadline = start.Add(call.BlockTimeout)
		}
		// Replies of the commands before this one go out now, as Redis
		// sends them before the client blocks.
		if !c.flush() {
			return false
		}
		switch c.awaitWake(w, deadline) {
		case wakeTimeout:
			c.out.WriteNullArray()
			c.called(st, args, time.Since(start), false)
			return true
		case wakeGone:
			return false
		}
		// Cap the rounds only by time: each is one cheap storage request
		// caused by a write to a watched key.
		cfg = c.s.Config()
	}
}

// runAlone runs one storage command as its own request and returns its
// call (Blocked set if it asked to block). ok is false when the storage
// runtime failed the request (its error reply is written).
func (c *client) runAlone(cmd *command.Command, args [][]byte, cfg *config.Config) (command.Call, bool) {
	j := &c.job
	b := &j.batch
	b.Reset()
	b.Calls = append(b.Calls, command.Call{Cmd: cmd, Args: args})
	now := time.Now()
	b.DB = c.selectedDB()
	b.Now = now.UnixMilli()
	b.MaxBulk = cfg.ProtoMaxBulkLen
	b.Out = c.out
	b.Logger = c.s.log
	b.Watches = c.s.events
	j.write = true

	c.s.slots.Release()
	c.s.exec.Submit(j, msgchan.Normal, now.Add(cfg.Runtime.RequestTimeout))
	err := <-j.done
	_ = c.s.slots.Acquire(context.Background())

	ok := err == nil
	if !ok {
		b.FailAll(storageErrorReply(err))
	}
	c.s.stats.errorReplies.Add(int64(b.Errors))
	call := b.Calls[0]
	b.Reset()
	return call, ok
}

// Why awaitWake returned.
const (
	wakeSignal = iota
	wakeTimeout
	wakeGone
)

// awaitWake waits, without a network slot, for a signal on w, the
// deadline (zero: none), or the peer closing the connection.
func (c *client) awaitWake(w *waiter, deadline time.Time) int {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return wakeTimeout
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	gone, stop := c.watchPeerClose()
	defer stop()
	c.s.slots.Release()
	defer func() { _ = c.s.slots.Acquire(context.Background()) }()
	select {
	case <-w.wake:
		return wakeSignal
	case <-timeout:
		return wakeTimeout
	case <-gone:
		return wakeGone
	}
}
