package msgchan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrFull is returned by Send when the channel stayed full for the whole of
// the sender's maxWait.
var ErrFull = errors.New("msgchan: channel full")

// ErrClosed is returned by Send once the channel is closed (also to senders
// that were waiting when it closed), and by Recv/RecvBatch once the channel
// is closed and the lane has no item left.
var ErrClosed = errors.New("msgchan: channel closed")

// DefaultCapacity is the capacity of a channel created with capacity <= 0.
const DefaultCapacity = 10000

// Priority orders items within a lane: every High item is received before
// any Normal item, and every Normal item before any Low item.
type Priority uint8

// Priorities, most urgent first.
const (
	// High is for work that must overtake client traffic: health probes,
	// Raft's own log and state writes.
	High Priority = iota
	// Normal is for client requests.
	Normal
	// Low is for background work: expiry sweeps, garbage collection,
	// manual compaction.
	Low

	// NumPriorities is the number of priority levels.
	NumPriorities = 3
)

// String returns "high", "normal" or "low".
func (p Priority) String() string {
	switch p {
	case High:
		return "high"
	case Normal:
		return "normal"
	case Low:
		return "low"
	}
	return fmt.Sprintf("priority(%d)", uint8(p))
}

// Envelope is a queued item with its routing data.
type Envelope[T any] struct {
	Item     T
	Priority Priority
	// Deadline is the deadline given to Send (zero: none). The channel does
	// not act on it; consumers drop expired items.
	Deadline time.Time
	// Enqueued is when Send accepted the item.
	Enqueued time.Time
}

// Stats is a snapshot of a channel's counters. Counters only grow.
type Stats struct {
	// Len and Cap are the current number of queued items and the capacity.
	Len, Cap int
	// Queued is the number of queued items per lane and priority.
	Queued [][NumPriorities]int
	// Sent and Received count accepted and handed-out items (Drain counts as
	// received).
	Sent, Received uint64
	// Backpressure counts Sends that found the channel full and had to wait.
	Backpressure uint64
	// Blocked is the total time senders spent waiting for space.
	Blocked time.Duration
	// RejectedFull counts Sends that gave up with ErrFull.
	RejectedFull uint64
	// SendersWaiting is the number of senders blocked right now.
	SendersWaiting int
}

// Channel is a bounded multi-lane priority queue. All methods are safe for
// concurrent use. Create one with New.
type Channel[T any] struct {
	mu       sync.Mutex
	lanes    []lane[T]
	length   int
	capacity int
	closed   bool
	done     chan struct{} // closed by Close
	senders  waitq         // senders blocked on a full channel, FIFO

	pool sync.Pool // of *waiter

	// Counters, guarded by mu.
	sent, received, backpressure, rejectedFull uint64
	blocked                                    time.Duration
}

type lane[T any] struct {
	prio [NumPriorities]ring[Envelope[T]]
	n    int   // items in this lane
	recv waitq // receivers blocked on this lane
}

// New returns a channel with the given number of lanes (>= 1) and total
// capacity (<= 0 means DefaultCapacity).
func New[T any](lanes, capacity int) *Channel[T] {
	if lanes < 1 {
		panic(fmt.Sprintf("msgchan: New with %d lanes", lanes))
	}
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	c := &Channel[T]{
		lanes:    make([]lane[T], lanes),
		capacity: capacity,
		done:     make(chan struct{}),
	}
	c.pool.New = func() any { return &waiter{ch: make(chan struct{}, 1)} }
	return c
}

func (c *Channel[T]) lane(i int) *lane[T] {
	if i < 0 || i >= len(c.lanes) {
		panic(fmt.Sprintf("msgchan: lane %d out of range [0,%d)", i, len(c.lanes)))
	}
	return &c.lanes[i]
}

func (c *Channel[T]) getWaiter() *waiter { return c.pool.Get().(*waiter) }

func (c *Channel[T]) putWaiter(w *waiter) { c.pool.Put(w) }

// Send enqueues item on lane at priority prio. If the channel is full it
// waits up to maxWait (maxWait <= 0: not at all) for space, in FIFO order
// with other blocked senders, then returns ErrFull. It returns ErrClosed if
// the channel is or becomes closed, and ctx.Err() if ctx ends while it
// waits (ctx is not consulted when there is room). On any error the item was
// not enqueued. deadline is recorded in the Envelope (zero: none). Send
// panics on an invalid lane or priority.
func (c *Channel[T]) Send(ctx context.Context, lane int, item T, prio Priority, deadline time.Time, maxWait time.Duration) error {
	if prio >= NumPriorities {
		panic(fmt.Sprintf("msgchan: invalid %v", prio))
	}
	l := c.lane(lane)
	now := time.Now()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	// Enqueue at once only if no earlier sender is still waiting: blocked
	// senders keep their turn.
	if c.length < c.capacity && c.senders.n == 0 {
		c.enqueue(l, item, prio, deadline, now)
		c.mu.Unlock()
		return nil
	}
	return c.sendSlow(ctx, l, item, prio, deadline, maxWait, now)
}

// sendSlow waits for space. Called with c.mu held; returns with it released.
func (c *Channel[T]) sendSlow(ctx context.Context, l *lane[T], item T, prio Priority, deadline time.Time, maxWait time.Duration, start time.Time) error {
	if maxWait <= 0 {
		c.rejectedFull++
		c.mu.Unlock()
		return ErrFull
	}
	if err := ctx.Err(); err != nil {
		c.mu.Unlock()
		return err
	}
	c.backpressure++
	w := c.getWaiter()
	c.senders.pushBack(w)
	c.mu.Unlock()

	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	for {
		var err error
		select {
		case <-w.ch:
			// Woken by a receiver (we are unlinked). Take the space if it is
			// still there, else wait again at the head of the queue.
			now := time.Now()
			c.mu.Lock()
			if c.closed {
				c.blocked += now.Sub(start)
				c.mu.Unlock()
				c.putWaiter(w)
				return ErrClosed
			}
			if c.length < c.capacity {
				c.blocked += now.Sub(start)
				c.enqueue(l, item, prio, deadline, now)
				c.mu.Unlock()
				c.putWaiter(w)
				return nil
			}
			c.senders.pushFront(w)
			c.mu.Unlock()
			continue
		case <-timer.C:
			err = ErrFull
		case <-ctx.Done():
			err = ctx.Err()
		case <-c.done:
			err = ErrClosed
		}
		now := time.Now()
		c.mu.Lock()
		c.blocked += now.Sub(start)
		if err == ErrFull {
			c.rejectedFull++
		}
		c.senderGiveUp(w)
		c.mu.Unlock()
		c.putWaiter(w)
		return err
	}
}

// senderGiveUp unlinks a sender that stops waiting. If it had already been
// signalled, the signal is passed on so a free slot is not left unclaimed.
// Called with c.mu held.
func (c *Channel[T]) senderGiveUp(w *waiter) {
	if w.queued {
		c.senders.remove(w)
		return
	}
	<-w.ch // the signal was sent under c.mu, so it is there
	if !c.closed && c.length < c.capacity {
		c.senders.signal()
	}
}

// enqueue adds an item. Called with c.mu held and space available.
func (c *Channel[T]) enqueue(l *lane[T], item T, prio Priority, deadline, now time.Time) {
	l.prio[prio].push(Envelope[T]{Item: item, Priority: prio, Deadline: deadline, Enqueued: now})
	l.n++
	c.length++
	c.sent++
	l.recv.signal()
}

// dequeue removes the most urgent item of a non-empty lane. Called with c.mu
// held.
func (c *Channel[T]) dequeue(l *lane[T]) Envelope[T] {
	for p := range l.prio {
		if l.prio[p].len() > 0 {
			l.n--
			c.length--
			c.received++
			return l.prio[p].pop()
		}
	}
	panic("msgchan: dequeue from an empty lane")
}

// wakeSenders wakes up to k blocked senders, no more than there is space
// for. Called with c.mu held.
func (c *Channel[T]) wakeSenders(k int) {
	if free := c.capacity - c.length; k > free {
		k = free
	}
	for ; k > 0 && c.senders.signal(); k-- {
	}
}

// Recv returns the most urgent item of lane, waiting for one if the lane is
// empty. It returns ctx.Err() if ctx is done (checked first, so a cancelled
// consumer takes nothing), and ErrClosed once the channel is closed and the
// lane is empty. An item is handed to exactly one receiver.
func (c *Channel[T]) Recv(ctx context.Context, lane int) (Envelope[T], error) {
	var zero Envelope[T]
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return zero, ctx.Err()
		default:
		}
	}
	l := c.lane(lane)
	c.mu.Lock()
	for {
		if l.n > 0 {
			e := c.dequeue(l)
			c.wakeSenders(1)
			c.mu.Unlock()
			return e, nil
		}
		if err := c.waitRecv(ctx, l); err != nil {
			return zero, err
		}
	}
}

// RecvBatch waits like Recv for at least one item of lane, then appends to
// dst, in priority order, up to limit (>= 1) items that are queued right now,
// without waiting for more. It returns the extended dst. Errors are those of
// Recv; dst is then returned unchanged.
func (c *Channel[T]) RecvBatch(ctx context.Context, lane, limit int, dst []Envelope[T]) ([]Envelope[T], error) {
	if limit < 1 {
		limit = 1
	}
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return dst, ctx.Err()
		default:
		}
	}
	l := c.lane(lane)
	c.mu.Lock()
	for {
		if l.n > 0 {
			k := 0
			for ; k < limit && l.n > 0; k++ {
				dst = append(dst, c.dequeue(l))
			}
			c.wakeSenders(k)
			c.mu.Unlock()
			return dst, nil
		}
		if err := c.waitRecv(ctx, l); err != nil {
			return dst, err
		}
	}
}

// waitRecv blocks until lane l may have an item. Called with c.mu held and
// l empty. It returns nil with c.mu held again (the caller re-checks), or an
// error with c.mu released.
func (c *Channel[T]) waitRecv(ctx context.Context, l *lane[T]) error {
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	w := c.getWaiter()
	l.recv.pushBack(w)
	c.mu.Unlock()
	select {
	case <-w.ch:
		c.putWaiter(w)
		c.mu.Lock()
		return nil
	case <-c.done:
		c.mu.Lock()
		if w.queued {
			l.recv.remove(w)
		} else {
			<-w.ch
		}
		c.putWaiter(w)
		return nil // closed now: the caller takes what is left, then ErrClosed
	case <-ctx.Done():
		c.mu.Lock()
		if w.queued {
			l.recv.remove(w)
		} else {
			// We were handed a wake-up we will not use: pass it on.
			<-w.ch
			if l.n > 0 {
				l.recv.signal()
			}
		}
		c.mu.Unlock()
		c.putWaiter(w)
		return ctx.Err()
	}
}

// Drain removes and returns every item queued on lane, most urgent first. It
// never blocks; blocked senders are woken for the space freed.
func (c *Channel[T]) Drain(lane int) []Envelope[T] {
	l := c.lane(lane)
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.n == 0 {
		return nil
	}
	out := make([]Envelope[T], 0, l.n)
	for l.n > 0 {
		out = append(out, c.dequeue(l))
	}
	c.wakeSenders(len(out))
	return out
}

// Close closes the channel: Send fails with ErrClosed from now on, blocked
// senders return ErrClosed, and blocked receivers wake up to take what is
// left. Queued items stay queued. Close is idempotent.
func (c *Channel[T]) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}

// Closed reports whether Close has been called.
func (c *Channel[T]) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// SetCapacity changes the total capacity (n < 1 is taken as 1). Growing
// wakes blocked senders at once; shrinking below the current length drops
// nothing: senders block until the length falls below the new capacity.
func (c *Channel[T]) SetCapacity(n int) {
	if n < 1 {
		n = 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capacity = n
	c.wakeSenders(c.senders.n)
}

// Len returns the number of queued items over all lanes.
func (c *Channel[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.length
}

// LaneLen returns the number of items queued on lane.
func (c *Channel[T]) LaneLen(lane int) int {
	l := c.lane(lane)
	c.mu.Lock()
	defer c.mu.Unlock()
	return l.n
}

// Cap returns the capacity.
func (c *Channel[T]) Cap() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capacity
}

// Lanes returns the number of lanes.
func (c *Channel[T]) Lanes() int { return len(c.lanes) }

// Stats returns a snapshot of the channel's counters.
func (c *Channel[T]) Stats() Stats {
	q := make([][NumPriorities]int, len(c.lanes))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.lanes {
		for p := range c.lanes[i].prio {
			q[i][p] = c.lanes[i].prio[p].len()
		}
	}
	return Stats{
		Len:            c.length,
		Cap:            c.capacity,
		Queued:         q,
		Sent:           c.sent,
		Received:       c.received,
		Backpressure:   c.backpressure,
		Blocked:        c.blocked,
		RejectedFull:   c.rejectedFull,
		SendersWaiting: c.senders.n,
	}
}
