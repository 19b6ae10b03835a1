package msgchan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var bg = context.Background()

// within fails the test if f does not return within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: did not finish within %v", what, d)
	}
}

func mustSend(t *testing.T, c *Channel[int], lane, v int, p Priority) {
	t.Helper()
	if err := c.Send(bg, lane, v, p, time.Time{}, 0); err != nil {
		t.Fatalf("Send(%d): %v", v, err)
	}
}

func mustRecv(t *testing.T, c *Channel[int], lane int) Envelope[int] {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	e, err := c.Recv(ctx, lane)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return e
}

func TestPriorityString(t *testing.T) {
	for p, want := range map[Priority]string{High: "high", Normal: "normal", Low: "low", 7: "priority(7)"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
}

func TestPriorityOrderAndFIFO(t *testing.T) {
	c := New[int](1, 100)
	// Interleave priorities; expect all High (in order), then Normal, then Low.
	prios := []Priority{Low, Normal, High, Low, High, Normal, Normal, Low, High}
	for i, p := range prios {
		mustSend(t, c, 0, i, p)
	}
	var got []int
	for range prios {
		e := mustRecv(t, c, 0)
		got = append(got, e.Item)
		if e.Priority != prios[e.Item] {
			t.Errorf("item %d carries %v, sent with %v", e.Item, e.Priority, prios[e.Item])
		}
		if e.Enqueued.IsZero() {
			t.Errorf("item %d has no enqueue time", e.Item)
		}
	}
	want := []int{2, 4, 8, 1, 5, 6, 0, 3, 7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestLanesAreIndependent(t *testing.T) {
	c := New[int](2, 4)
	mustSend(t, c, 1, 10, Low)
	mustSend(t, c, 0, 20, Low)
	mustSend(t, c, 1, 11, High)
	if c.LaneLen(0) != 1 || c.LaneLen(1) != 2 || c.Len() != 3 {
		t.Fatalf("lens %d %d %d", c.LaneLen(0), c.LaneLen(1), c.Len())
	}
	if e := mustRecv(t, c, 0); e.Item != 20 {
		t.Fatalf("lane 0 got %d", e.Item)
	}
	if e := mustRecv(t, c, 1); e.Item != 11 {
		t.Fatalf("lane 1 got %d", e.Item)
	}
	// Capacity is shared: 2 queued of 4.
	mustSend(t, c, 0, 1, Normal)
	mustSend(t, c, 0, 2, Normal)
	mustSend(t, c, 0, 3, Normal)
	if err := c.Send(bg, 1, 4, Normal, time.Time{}, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("Send to full channel: %v, want ErrFull", err)
	}
}

func TestDeadlineRecorded(t *testing.T) {
	c := New[int](1, 1)
	dl := time.Now().Add(time.Hour)
	if err := c.Send(bg, 0, 1, Normal, dl, 0); err != nil {
		t.Fatal(err)
	}
	if e := mustRecv(t, c, 0); !e.Deadline.Equal(dl) {
		t.Fatalf("deadline %v, want %v", e.Deadline, dl)
	}
}

func TestBackpressureTimesOut(t *testing.T) {
	c := New[int](1, 2)
	mustSend(t, c, 0, 1, Normal)
	mustSend(t, c, 0, 2, Normal)
	start := time.Now()
	err := c.Send(bg, 0, 3, Normal, time.Time{}, 30*time.Millisecond)
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Send: %v, want ErrFull", err)
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("returned after %v, before maxWait", el)
	}
	st := c.Stats()
	if st.Backpressure != 1 || st.RejectedFull != 1 || st.Blocked < 30*time.Millisecond || st.Len != 2 {
		t.Fatalf("stats %+v", st)
	}
	// maxWait 0: immediate ErrFull.
	if err := c.Send(bg, 0, 3, Normal, time.Time{}, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("Send: %v", err)
	}
}

func TestBlockedSenderWakesWhenSpaceFrees(t *testing.T) {
	c := New[int](1, 1)
	mustSend(t, c, 0, 1, Normal)
	res := make(chan error, 1)
	go func() { res <- c.Send(bg, 0, 2, Normal, time.Time{}, time.Minute) }()
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 1 })
	if e := mustRecv(t, c, 0); e.Item != 1 {
		t.Fatalf("got %d", e.Item)
	}
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked sender not woken")
	}
	if e := mustRecv(t, c, 0); e.Item != 2 {
		t.Fatalf("got %d", e.Item)
	}
}

// waitFor waits (bounded) until cond holds, yielding between checks. It is
// used only to observe that a goroutine has reached a blocking point.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBlockedSendersFIFO(t *testing.T) {
	c := New[int](1, 1)
	mustSend(t, c, 0, 0, Normal)
	const n = 5
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		go func() { errs <- c.Send(bg, 0, i, Normal, time.Time{}, time.Minute) }()
		waitFor(t, func() bool { return c.Stats().SendersWaiting == i })
	}
	for i := 0; i <= n; i++ {
		if e := mustRecv(t, c, 0); e.Item != i {
			t.Fatalf("recv #%d got %d: blocked senders not served FIFO", i, e.Item)
		}
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestSendContextCancel(t *testing.T) {
	c := New[int](1, 1)
	mustSend(t, c, 0, 1, Normal)
	ctx, cancel := context.WithCancel(bg)
	res := make(chan error, 1)
	go func() { res <- c.Send(ctx, 0, 2, Normal, time.Time{}, time.Minute) }()
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 1 })
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send: %v, want Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not wake sender")
	}
	if c.Len() != 1 || c.Stats().SendersWaiting != 0 {
		t.Fatalf("len %d, waiting %d", c.Len(), c.Stats().SendersWaiting)
	}
}

func TestRecvContextCancel(t *testing.T) {
	c := New[int](1, 1)
	ctx, cancel := context.WithCancel(bg)
	res := make(chan error, 1)
	go func() { _, err := c.Recv(ctx, 0); res <- err }()
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Recv: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not wake receiver")
	}
	// A cancelled receiver takes nothing, even if items are queued.
	mustSend(t, c, 0, 1, Normal)
	if _, err := c.Recv(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv with done ctx: %v", err)
	}
	if c.Len() != 1 {
		t.Fatal("cancelled Recv consumed an item")
	}
	ctx2, cancel2 := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel2()
	mustRecv(t, c, 0)
	if _, err := c.Recv(ctx2, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv: %v", err)
	}
}

func TestCloseWakesEveryone(t *testing.T) {
	c := New[int](2, 1)
	mustSend(t, c, 0, 1, Normal)
	var wg sync.WaitGroup
	sendErr := make(chan error, 3)
	recvErr := make(chan error, 3)
	for range 3 {
		wg.Add(2)
		go func() { defer wg.Done(); sendErr <- c.Send(bg, 0, 9, Normal, time.Time{}, time.Minute) }()
		go func() { defer wg.Done(); _, err := c.Recv(bg, 1); recvErr <- err }()
	}
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 3 })
	c.Close()
	c.Close() // idempotent
	within(t, 5*time.Second, "waiters after Close", wg.Wait)
	for range 3 {
		if err := <-sendErr; !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked Send after Close: %v", err)
		}
		if err := <-recvErr; !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked Recv after Close: %v", err)
		}
	}
	if err := c.Send(bg, 0, 2, High, time.Time{}, time.Minute); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	// The item queued before Close is still delivered, then ErrClosed.
	if e := mustRecv(t, c, 0); e.Item != 1 {
		t.Fatalf("got %d", e.Item)
	}
	if _, err := c.Recv(bg, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv on drained closed channel: %v", err)
	}
	if !c.Closed() {
		t.Fatal("Closed() = false")
	}
}

func TestDrain(t *testing.T) {
	c := New[int](2, 10)
	mustSend(t, c, 0, 1, Low)
	mustSend(t, c, 0, 2, High)
	mustSend(t, c, 1, 3, Normal)
	c.Close()
	got := c.Drain(0)
	if len(got) != 2 || got[0].Item != 2 || got[1].Item != 1 {
		t.Fatalf("Drain(0) = %v", got)
	}
	if c.Drain(0) != nil {
		t.Fatal("second Drain returned items")
	}
	if c.Len() != 1 || c.LaneLen(1) != 1 {
		t.Fatalf("len %d", c.Len())
	}
	got, err := c.RecvBatch(bg, 1, 10, nil)
	if err != nil || len(got) != 1 || got[0].Item != 3 {
		t.Fatalf("RecvBatch after close: %v %v", got, err)
	}
	if _, err := c.RecvBatch(bg, 1, 10, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("RecvBatch: %v", err)
	}
}

func TestDrainWakesSenders(t *testing.T) {
	c := New[int](1, 1)
	mustSend(t, c, 0, 1, Normal)
	res := make(chan error, 1)
	go func() { res <- c.Send(bg, 0, 2, Normal, time.Time{}, time.Minute) }()
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 1 })
	if got := c.Drain(0); len(got) != 1 {
		t.Fatalf("Drain %v", got)
	}
	within(t, 5*time.Second, "sender after Drain", func() {
		if err := <-res; err != nil {
			t.Error(err)
		}
	})
}

func TestRecvBatch(t *testing.T) {
	c := New[int](1, 100)
	for i := range 10 {
		p := Normal
		if i%3 == 0 {
			p = High
		}
		mustSend(t, c, 0, i, p)
	}
	buf := make([]Envelope[int], 0, 4)
	buf, err := c.RecvBatch(bg, 0, 4, buf[:0])
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, e := range buf {
		got = append(got, e.Item)
	}
	if fmt.Sprint(got) != "[0 3 6 9]" {
		t.Fatalf("first batch %v", got)
	}
	buf, _ = c.RecvBatch(bg, 0, 100, buf[:0])
	if len(buf) != 6 || buf[0].Item != 1 || buf[5].Item != 8 {
		t.Fatalf("second batch %v", buf)
	}
	// Blocks for the first item, returns as soon as there is one.
	res := make(chan []Envelope[int], 1)
	go func() {
		b, err := c.RecvBatch(bg, 0, 100, nil)
		if err != nil {
			t.Error(err)
		}
		res <- b
	}()
	mustSend(t, c, 0, 42, Low)
	select {
	case b := <-res:
		if len(b) != 1 || b[0].Item != 42 {
			t.Fatalf("batch %v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RecvBatch not woken")
	}
}

func TestRecvBatchWakesSenders(t *testing.T) {
	c := New[int](1, 3)
	for i := range 3 {
		mustSend(t, c, 0, i, Normal)
	}
	var wg sync.WaitGroup
	for i := 3; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Send(bg, 0, i, Normal, time.Time{}, time.Minute); err != nil {
				t.Error(err)
			}
		}()
	}
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 3 })
	if b, _ := c.RecvBatch(bg, 0, 3, nil); len(b) != 3 {
		t.Fatalf("batch %v", b)
	}
	within(t, 5*time.Second, "three senders after a batch of three", wg.Wait)
	if c.Len() != 3 {
		t.Fatalf("len %d", c.Len())
	}
}

func TestSetCapacity(t *testing.T) {
	c := New[int](1, 2)
	mustSend(t, c, 0, 1, Normal)
	mustSend(t, c, 0, 2, Normal)
	var wg sync.WaitGroup
	for i := 3; i <= 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Send(bg, 0, i, Normal, time.Time{}, time.Minute); err != nil {
				t.Error(err)
			}
		}()
	}
	waitFor(t, func() bool { return c.Stats().SendersWaiting == 2 })
	c.SetCapacity(4) // grow: both blocked senders get in
	within(t, 5*time.Second, "senders after grow", wg.Wait)
	if c.Len() != 4 || c.Cap() != 4 {
		t.Fatalf("len %d cap %d", c.Len(), c.Cap())
	}
	c.SetCapacity(2) // shrink: nothing dropped
	if c.Len() != 4 {
		t.Fatalf("shrink dropped items: len %d", c.Len())
	}
	if err := c.Send(bg, 0, 5, Normal, time.Time{}, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("Send over shrunk capacity: %v", err)
	}
	mustRecv(t, c, 0)
	mustRecv(t, c, 0) // len 2 == cap: still full
	if err := c.Send(bg, 0, 5, Normal, time.Time{}, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("Send at capacity: %v", err)
	}
	mustRecv(t, c, 0)
	mustSend(t, c, 0, 5, Normal)
	c.SetCapacity(0)
	if c.Cap() != 1 {
		t.Fatalf("cap %d after SetCapacity(0)", c.Cap())
	}
}

// TestCapacityBoundUnderLoad runs many producers and consumers while the
// capacity changes and checks the bound after every Send, and that every
// item is received exactly once.
func TestCapacityBoundUnderLoad(t *testing.T) {
	const (
		producers = 16
		perProd   = 2000
		consumers = 4
		lanes     = 2
	)
	c := New[int](lanes, 50)
	var maxCap atomic.Int64
	maxCap.Store(50)
	seen := make([]atomic.Int32, producers*perProd)
	var prodWG, consWG sync.WaitGroup
	var overflow atomic.Bool
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()

	for p := range producers {
		prodWG.Add(1)
		go func() {
			defer prodWG.Done()
			for i := range perProd {
				v := p*perProd + i
				prio := Priority(v % NumPriorities)
				for {
					err := c.Send(ctx, v%lanes, v, prio, time.Time{}, time.Millisecond)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Errorf("Send: %v", err)
						return
					}
				}
				if l := int64(c.Len()); l > maxCap.Load() {
					overflow.Store(true)
				}
			}
		}()
	}
	for l := range lanes {
		for range consumers {
			consWG.Add(1)
			go func() {
				defer consWG.Done()
				var buf []Envelope[int]
				for {
					var err error
					buf, err = c.RecvBatch(ctx, l, 7, buf[:0])
					if err != nil {
						if !errors.Is(err, ErrClosed) {
							t.Errorf("RecvBatch: %v", err)
						}
						return
					}
					for _, e := range buf {
						seen[e.Item].Add(1)
					}
				}
			}()
		}
	}
	// Resize while traffic flows. Shrinking first lowers the bound we check
	// only after the length has fallen below it.
	resizeDone := make(chan struct{})
	go func() {
		defer close(resizeDone)
		for i := range 200 {
			n := 10 + (i*37)%90
			if int64(n) > maxCap.Load() {
				maxCap.Store(int64(n))
				c.SetCapacity(n)
			} else {
				c.SetCapacity(n) // bound checked above stays the larger one
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	within(t, 60*time.Second, "producers", prodWG.Wait)
	<-resizeDone
	c.Close()
	within(t, 60*time.Second, "consumers", consWG.Wait)
	if overflow.Load() {
		t.Fatal("length exceeded the largest capacity ever set")
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d received %d times", i, n)
		}
	}
	st := c.Stats()
	if st.Sent != producers*perProd || st.Received != producers*perProd {
		t.Fatalf("stats %+v", st)
	}
}

// TestCapacityStrictBound checks, under the channel's own lock, that the
// length never exceeds a fixed capacity with many producers and slow
// consumers.
func TestCapacityStrictBound(t *testing.T) {
	const capacity = 8
	c := New[int](1, capacity)
	var wg sync.WaitGroup
	var bad atomic.Int32
	stop := make(chan struct{})
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := c.Send(bg, 0, i, Priority(i%3), time.Time{}, time.Millisecond)
				if err != nil && !errors.Is(err, ErrFull) && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
				c.mu.Lock()
				if c.length > c.capacity {
					bad.Add(1)
				}
				c.mu.Unlock()
			}
		}()
	}
	for range 5000 {
		mustRecv(t, c, 0)
	}
	close(stop)
	c.Close()
	within(t, 10*time.Second, "producers", wg.Wait)
	if bad.Load() > 0 {
		t.Fatal("length exceeded capacity")
	}
}

// TestStress moves many items through a small channel with many producers
// and consumers using Recv, RecvBatch, cancellation and Close, checking each
// item is received exactly once.
func TestStress(t *testing.T) {
	const (
		producers = 32
		perProd   = 1000
	)
	c := New[int](1, 16)
	seen := make([]atomic.Int32, producers*perProd)
	var prodWG, consWG sync.WaitGroup
	for p := range producers {
		prodWG.Add(1)
		go func() {
			defer prodWG.Done()
			for i := range perProd {
				v := p*perProd + i
				if err := c.Send(bg, 0, v, Priority(v%3), time.Time{}, time.Minute); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		}()
	}
	for k := range 8 {
		consWG.Add(1)
		go func() {
			defer consWG.Done()
			var buf []Envelope[int]
			for i := 0; ; i++ {
				// Some receives use a short-lived context that may be
				// cancelled while waiting: a cancelled wake-up must be
				// passed on, never swallow an item.
				ctx, cancel := context.WithTimeout(bg, time.Duration(i%5)*50*time.Microsecond+time.Microsecond)
				if k%2 == 0 {
					ctx, cancel = context.WithCancel(bg)
				}
				var err error
				buf, err = c.RecvBatch(ctx, 0, 1+k, buf[:0])
				cancel()
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					continue
				}
				for _, e := range buf {
					seen[e.Item].Add(1)
				}
			}
		}()
	}
	within(t, 60*time.Second, "producers", prodWG.Wait)
	c.Close()
	within(t, 60*time.Second, "consumers", consWG.Wait)
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d received %d times", i, n)
		}
	}
}

func TestInvalidLanePanics(t *testing.T) {
	c := New[int](2, 1)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for lane 2")
		}
	}()
	_ = c.Send(bg, 2, 1, Normal, time.Time{}, 0)
}

func TestRingGrowAndShrink(t *testing.T) {
	var r ring[int]
	for round := range 3 {
		for i := range 10000 {
			r.push(i)
			if i%3 == 0 {
				r.pop()
			}
		}
		for r.len() > 0 {
			r.pop()
		}
		if r.buf != nil {
			t.Fatalf("round %d: large empty ring kept its buffer", round)
		}
	}
	// FIFO across wrap-around.
	for i := range 20 {
		r.push(i)
	}
	for i := range 10 {
		if v := r.pop(); v != i {
			t.Fatalf("pop %d want %d", v, i)
		}
	}
	for i := 20; i < 40; i++ {
		r.push(i)
	}
	for i := 10; i < 40; i++ {
		if v := r.pop(); v != i {
			t.Fatalf("pop %d want %d", v, i)
		}
	}
}

func BenchmarkSendRecv(b *testing.B) {
	c := New[int](1, DefaultCapacity)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := c.Send(bg, 0, i, Normal, time.Time{}, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Recv(bg, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendRecvParallel has parallel producers and 4 consumers.
func BenchmarkSendRecvParallel(b *testing.B) {
	c := New[int](1, DefaultCapacity)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []Envelope[int]
			for {
				var err error
				if buf, err = c.RecvBatch(bg, 0, 64, buf[:0]); err != nil {
					return
				}
			}
		}()
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := c.Send(bg, 0, i, Priority(i%3), time.Time{}, time.Second); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	c.Close()
	wg.Wait()
}

// BenchmarkPingPong measures a full hand-off: a sender waits for a
// consumer goroutine to receive each item (the request/response shape).
func BenchmarkPingPong(b *testing.B) {
	c := New[int](1, DefaultCapacity)
	ack := make(chan struct{})
	go func() {
		for {
			if _, err := c.Recv(bg, 0); err != nil {
				return
			}
			ack <- struct{}{}
		}
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := c.Send(bg, 0, i, Normal, time.Time{}, 0); err != nil {
			b.Fatal(err)
		}
		<-ack
	}
	c.Close()
}
