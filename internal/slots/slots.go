// Package slots implements the network runtime's pool of network slots: a
// resizable counting semaphore with FIFO waiters.
//
// A connection holds a slot while it does network-stage CPU work (parse,
// validate, dispatch, encode) and never while it waits for storage or the
// socket. Connections waiting for a slot form the network request queue,
// whose length is Waiting. The scaling controller changes the pool size live
// with Resize.
package slots

import (
	"context"
	"sync"
	"time"
)

// Stats is a snapshot of a pool's state and counters.
type Stats struct {
	// Size is the configured number of slots; InUse may exceed it for a
	// while after a shrink.
	Size, InUse int
	// Waiting is the number of goroutines blocked in Acquire: the network
	// request queue length.
	Waiting int
	// Acquired counts successful acquisitions (Acquire and TryAcquire).
	Acquired uint64
	// Waited counts acquisitions that had to wait for a slot.
	Waited uint64
	// WaitTime is the total time successful waiters spent waiting.
	WaitTime time.Duration
	// Canceled counts Acquires that gave up because their context ended.
	Canceled uint64
}

// Pool is a resizable counting semaphore. All methods are safe for
// concurrent use. Waiters are served in arrival order, and a newcomer never
// takes a slot while others wait. Create one with New.
type Pool struct {
	mu      sync.Mutex
	size    int
	inUse   int
	head    *waiter // FIFO of blocked Acquires
	tail    *waiter
	waiting int

	acquired, waited, canceled uint64
	waitTime                   time.Duration
}

// waiter is a blocked Acquire. A slot is handed to it directly (inUse is not
// decremented) by closing ready, after it has been unlinked.
type waiter struct {
	ready      chan struct{}
	prev, next *waiter
	granted    bool
}

// New returns a pool of n slots (n < 1 is taken as 1).
func New(n int) *Pool {
	return &Pool{size: max(n, 1)}
}

// Acquire takes a slot, waiting in FIFO order if none is free. It returns
// ctx.Err() if ctx ends first; the caller then holds no slot. On nil the
// caller must call Release exactly once.
func (p *Pool) Acquire(ctx context.Context) error {
	p.mu.Lock()
	if p.inUse < p.size && p.head == nil {
		p.inUse++
		p.acquired++
		p.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		p.canceled++
		p.mu.Unlock()
		return err
	}
	w := &waiter{ready: make(chan struct{})}
	p.push(w)
	p.mu.Unlock()

	start := time.Now()
	select {
	case <-w.ready:
		wait := time.Since(start)
		p.mu.Lock()
		p.waitTime += wait
		p.mu.Unlock()
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if w.granted {
			// The slot arrived as we gave up: hand it on.
			p.acquired--
			p.waited--
			p.release()
		} else {
			p.unlink(w)
		}
		p.canceled++
		p.mu.Unlock()
		return ctx.Err()
	}
}

// TryAcquire takes a slot if one is free and nobody is waiting, without
// blocking. It reports whether it did; on true the caller must Release.
func (p *Pool) TryAcquire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inUse < p.size && p.head == nil {
		p.inUse++
		p.acquired++
		return true
	}
	return false
}

// Release returns a slot taken by Acquire or TryAcquire, handing it to the
// first waiter if the pool size allows. It panics if no slot is held.
func (p *Pool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inUse <= 0 {
		panic("slots: Release without Acquire")
	}
	p.release()
}

// release frees one slot. Called with p.mu held.
func (p *Pool) release() {
	if p.head != nil && p.inUse <= p.size {
		// Hand the slot over directly: inUse stays the same.
		p.grant()
		return
	}
	p.inUse--
}

// grant gives the first waiter a slot that is already counted in inUse.
// Called with p.mu held.
func (p *Pool) grant() {
	w := p.head
	p.unlink(w)
	w.granted = true
	p.acquired++
	p.waited++
	close(w.ready)
}

// Resize sets the number of slots (n < 1 is taken as 1). Growing wakes
// waiters at once; shrinking takes effect as held slots are released.
func (p *Pool) Resize(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.size = max(n, 1)
	for p.head != nil && p.inUse < p.size {
		p.inUse++
		p.grant()
	}
}

// Size returns the configured number of slots.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size
}

// InUse returns the number of slots held.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

// Waiting returns the number of goroutines blocked in Acquire.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{
		Size:     p.size,
		InUse:    p.inUse,
		Waiting:  p.waiting,
		Acquired: p.acquired,
		Waited:   p.waited,
		WaitTime: p.waitTime,
		Canceled: p.canceled,
	}
}

func (p *Pool) push(w *waiter) {
	w.prev = p.tail
	if p.tail != nil {
		p.tail.next = w
	} else {
		p.head = w
	}
	p.tail = w
	p.waiting++
}

func (p *Pool) unlink(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		p.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		p.tail = w.prev
	}
	w.prev, w.next = nil, nil
	p.waiting--
}
