package slots

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var bg = context.Background()

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

// waitFor polls (bounded) until cond holds: used only to observe that
// goroutines have reached Acquire's blocking point.
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

func TestBasic(t *testing.T) {
	p := New(2)
	if p.Size() != 2 {
		t.Fatalf("size %d", p.Size())
	}
	if err := p.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	if !p.TryAcquire() {
		t.Fatal("TryAcquire failed with a free slot")
	}
	if p.TryAcquire() {
		t.Fatal("TryAcquire succeeded on a full pool")
	}
	if p.InUse() != 2 {
		t.Fatalf("in use %d", p.InUse())
	}
	p.Release()
	p.Release()
	if p.InUse() != 0 {
		t.Fatalf("in use %d", p.InUse())
	}
	if st := p.Stats(); st.Acquired != 2 || st.Waited != 0 {
		t.Fatalf("stats %+v", st)
	}
	if New(0).Size() != 1 || New(-3).Size() != 1 {
		t.Fatal("size below 1")
	}
}

func TestReleaseWithoutAcquirePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(1).Release()
}

func TestFIFOWaiters(t *testing.T) {
	p := New(1)
	if err := p.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	const n = 5
	order := make(chan int, n)
	for i := range n {
		go func() {
			if err := p.Acquire(bg); err != nil {
				t.Error(err)
				return
			}
			order <- i
		}()
		waitFor(t, func() bool { return p.Waiting() == i+1 })
	}
	if p.TryAcquire() {
		t.Fatal("TryAcquire jumped the queue")
	}
	for i := range n {
		p.Release()
		select {
		case got := <-order:
			if got != i {
				t.Fatalf("waiter %d served before %d", got, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiter not woken")
		}
	}
	p.Release()
	st := p.Stats()
	if st.Waited != n || st.Acquired != n+1 || st.WaitTime <= 0 || st.InUse != 0 || st.Waiting != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAcquireContextCancel(t *testing.T) {
	p := New(1)
	_ = p.Acquire(bg)
	ctx, cancel := context.WithCancel(bg)
	res := make(chan error, 1)
	go func() { res <- p.Acquire(ctx) }()
	waitFor(t, func() bool { return p.Waiting() == 1 })
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Acquire: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not wake waiter")
	}
	if p.Waiting() != 0 || p.InUse() != 1 {
		t.Fatalf("waiting %d in use %d", p.Waiting(), p.InUse())
	}
	// An already-cancelled context on a full pool fails at once.
	if err := p.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire: %v", err)
	}
	p.Release()
	// On a free pool it succeeds: a slot is free, nothing to wait for.
	if err := p.Acquire(ctx); err != nil {
		t.Fatalf("Acquire on free pool with done ctx: %v", err)
	}
	if st := p.Stats(); st.Canceled != 2 {
		t.Fatalf("canceled %d", st.Canceled)
	}
}

func TestResizeUpWakesWaiters(t *testing.T) {
	p := New(1)
	_ = p.Acquire(bg)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Acquire(bg); err != nil {
				t.Error(err)
			}
		}()
	}
	waitFor(t, func() bool { return p.Waiting() == 3 })
	p.Resize(4)
	within(t, 5*time.Second, "waiters after grow", wg.Wait)
	if p.InUse() != 4 || p.Waiting() != 0 {
		t.Fatalf("in use %d waiting %d", p.InUse(), p.Waiting())
	}
}

func TestResizeDown(t *testing.T) {
	p := New(4)
	for range 4 {
		_ = p.Acquire(bg)
	}
	p.Resize(2)
	p.Resize(0)
	if p.Size() != 1 {
		t.Fatalf("size %d", p.Size())
	}
	p.Resize(2)
	res := make(chan error, 1)
	go func() { res <- p.Acquire(bg) }()
	waitFor(t, func() bool { return p.Waiting() == 1 })
	p.Release() // 3 in use, still >= 2
	p.Release() // 2 in use
	select {
	case <-res:
		t.Fatal("waiter got a slot while in use >= size")
	default:
	}
	p.Release() // 1 in use < 2: hand over
	within(t, 5*time.Second, "waiter", func() {
		if err := <-res; err != nil {
			t.Error(err)
		}
	})
	if p.InUse() != 2 {
		t.Fatalf("in use %d", p.InUse())
	}
}

// TestBoundUnderConcurrency checks the number of holders never exceeds the
// size in force, while the size changes and some acquires are cancelled.
func TestBoundUnderConcurrency(t *testing.T) {
	p := New(3)
	var (
		holders atomic.Int64
		maxSize atomic.Int64 // largest size ever set
		bad     atomic.Bool
		done    atomic.Int64
		wg      sync.WaitGroup
	)
	maxSize.Store(3)
	const workers, iters = 32, 500
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range iters {
				ctx, cancel := context.WithCancel(bg)
				if (w+i)%7 == 0 {
					cancel() // some acquires give up
				}
				if err := p.Acquire(ctx); err != nil {
					cancel()
					continue
				}
				if h := holders.Add(1); h > maxSize.Load() {
					bad.Store(true)
				}
				holders.Add(-1)
				p.Release()
				cancel()
				done.Add(1)
			}
		}()
	}
	stop := make(chan struct{})
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		sizes := []int{1, 5, 2, 8, 3}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			n := sizes[i%len(sizes)]
			if int64(n) > maxSize.Load() {
				maxSize.Store(int64(n))
			}
			p.Resize(n)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	within(t, 60*time.Second, "workers", wg.Wait)
	close(stop)
	<-resized
	if bad.Load() {
		t.Fatal("more holders than the largest size")
	}
	if st := p.Stats(); st.InUse != 0 || st.Waiting != 0 {
		t.Fatalf("leaked: %+v", st)
	}
}

// TestStrictBound checks under the pool's lock that in-use never exceeds a
// fixed size.
func TestStrictBound(t *testing.T) {
	p := New(3)
	var holders, peak atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if err := p.Acquire(bg); err != nil {
					t.Error(err)
					return
				}
				h := holders.Add(1)
				for {
					m := peak.Load()
					if h <= m || peak.CompareAndSwap(m, h) {
						break
					}
				}
				holders.Add(-1)
				p.Release()
			}
		}()
	}
	within(t, 60*time.Second, "workers", wg.Wait)
	if peak.Load() > 3 {
		t.Fatalf("peak holders %d > 3", peak.Load())
	}
	if st := p.Stats(); st.Acquired != 16000 {
		t.Fatalf("acquired %d", st.Acquired)
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	p := New(4)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Acquire(bg)
		p.Release()
	}
}

func BenchmarkAcquireReleaseParallel(b *testing.B) {
	p := New(64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = p.Acquire(bg)
			p.Release()
		}
	})
}
