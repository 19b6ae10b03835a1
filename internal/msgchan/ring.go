package msgchan

// ring is a growable FIFO ring buffer. Its size is always a power of two so
// indexes wrap with a mask. Not safe for concurrent use.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest element
	n    int // number of elements
}

// minRing is the initial allocation of a ring on first push.
const minRing = 16

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

// pop removes and returns the oldest element. The ring must not be empty.
func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the GC reclaim what the item references
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	if r.n == 0 {
		r.head = 0
		r.maybeShrink()
	}
	return v
}

func (r *ring[T]) grow() {
	size := len(r.buf) * 2
	if size == 0 {
		size = minRing
	}
	buf := make([]T, size)
	if r.n > 0 {
		k := copy(buf, r.buf[r.head:])
		copy(buf[k:], r.buf[:r.head])
	}
	r.buf, r.head = buf, 0
}

// shrinkAbove is the allocation above which an empty ring gives its buffer
// back, so a burst does not pin a large buffer forever.
const shrinkAbove = 4096

func (r *ring[T]) maybeShrink() {
	if len(r.buf) > shrinkAbove {
		r.buf = nil
	}
}

// waiter is one goroutine blocked in Send or Recv. It is signalled by a send
// on ch (buffered, capacity 1) after it has been unlinked from its queue, so
// it receives at most one signal per wait.
type waiter struct {
	ch         chan struct{}
	prev, next *waiter
	queued     bool
}

// waitq is an intrusive doubly linked FIFO of waiters: O(1) push, pop and
// removal of a waiter that gave up. Guarded by the Channel's mutex.
type waitq struct {
	head, tail *waiter
	n          int
}

func (q *waitq) pushBack(w *waiter) {
	w.prev, w.next, w.queued = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.n++
}

func (q *waitq) pushFront(w *waiter) {
	w.prev, w.next, w.queued = nil, q.head, true
	if q.head != nil {
		q.head.prev = w
	} else {
		q.tail = w
	}
	q.head = w
	q.n++
}

func (q *waitq) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.n--
}

// signal unlinks the first waiter and wakes it. It reports whether there was
// one.
func (q *waitq) signal() bool {
	w := q.head
	if w == nil {
		return false
	}
	q.remove(w)
	w.ch <- struct{}{} // never blocks: one signal per wait, buffer of one
	return true
}
