package storage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// startInline starts an Inline executor, stopped at the end of the test.
// setup functions run before Start.
func startInline(t testing.TB, cfg Config, setup ...func(*Inline)) *Inline {
	t.Helper()
	in := NewInline(openKeyspace(t), cfg, testLogger(t))
	for _, f := range setup {
		f(in)
	}
	in.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := in.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return in
}

func TestInlineRunsBeforeSubmitReturns(t *testing.T) {
	var hook commitHook
	in := startInline(t, quietConfig(Config{Sync: true}), func(in *Inline) { hook.install(in.core) })
	r := newJob(false, nil)
	in.Submit(r, msgchan.Normal, time.Time{})
	if r.finished.Load() != 1 || r.err != nil || !r.readOnly.Load() {
		t.Fatalf("read: finished %d err %v readOnly %v", r.finished.Load(), r.err, r.readOnly.Load())
	}
	w := newJob(true, nil)
	in.Submit(w, msgchan.Low, time.Time{})
	if w.finished.Load() != 1 || w.err != nil || w.readOnly.Load() {
		t.Fatalf("write: finished %d err %v readOnly %v", w.finished.Load(), w.err, w.readOnly.Load())
	}
	if c, s := hook.counts(); c != 1 || s != 1 {
		t.Fatalf("commits %d syncs %d", c, s)
	}
	in.SetSync(false)
	in.Submit(newJob(true, nil), msgchan.Normal, time.Time{})
	if c, s := hook.counts(); c != 2 || s != 1 {
		t.Fatalf("after SetSync(false): commits %d syncs %d", c, s)
	}
	if s := in.Stats(); s.Mode != "single" || s.Completed != 3 || s.Groups != 2 || s.Workers != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestInlineFailures(t *testing.T) {
	hook := commitHook{}
	in := startInline(t, quietConfig(Config{}), func(in *Inline) { hook.install(in.core) })
	past := time.Now().Add(-time.Second)
	for _, write := range []bool{false, true} {
		j := newJob(write, nil)
		in.Submit(j, msgchan.Normal, past)
		if !errors.Is(j.err, ErrTimeout) || j.ran.Load() != 0 {
			t.Fatalf("expired (write=%v): %v, ran %d", write, j.err, j.ran.Load())
		}
		p := newJob(write, func(*keyspace.Tx) { panic("boom") })
		in.Submit(p, msgchan.Normal, time.Time{})
		if !errors.Is(p.err, ErrPanic) {
			t.Fatalf("panic (write=%v): %v", write, p.err)
		}
	}
	hook.mu.Lock()
	hook.fail = errDisk
	hook.mu.Unlock()
	c := newJob(true, nil)
	in.Submit(c, msgchan.Normal, time.Time{})
	if !errors.Is(c.err, ErrCommit) || !errors.Is(c.err, errDisk) {
		t.Fatalf("commit failure: %v", c.err)
	}
	// The write lock was released after each failure.
	hook.mu.Lock()
	hook.fail = nil
	hook.mu.Unlock()
	ok := newJob(true, nil)
	in.Submit(ok, msgchan.Normal, time.Time{})
	if ok.err != nil {
		t.Fatal(ok.err)
	}
	if s := in.Stats(); s.TimedOut != 2 || s.Panics != 2 || s.CommitErrors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestInlineSingleWriter: concurrent writes never run at the same time;
// reads may run alongside.
func TestInlineSingleWriter(t *testing.T) {
	in := startInline(t, quietConfig(Config{}))
	var inWrite, overlap atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				j := newJob(i%2 == 0, func(tx *keyspace.Tx) {
					if tx.ReadOnly() {
						return
					}
					if inWrite.Add(1) > 1 {
						overlap.Add(1)
					}
					inWrite.Add(-1)
				})
				in.Submit(j, msgchan.Normal, time.Time{})
				if j.err != nil {
					t.Error(j.err)
				}
			}
		}()
	}
	waitDone(t, &wg)
	if overlap.Load() != 0 {
		t.Fatalf("%d overlapping writes", overlap.Load())
	}
	if v, _ := get(t, in, "none"); v != "" {
		t.Fatal("unexpected value")
	}
}

func TestInlineStop(t *testing.T) {
	in := NewInline(openKeyspace(t), quietConfig(Config{}), testLogger(t))
	before := newJob(false, nil)
	in.Submit(before, msgchan.Normal, time.Time{})
	if !errors.Is(before.err, ErrUnavailable) {
		t.Fatalf("Submit before Start: %v", before.err)
	}
	in.Start()
	g, running := stall(t, in, true) // a write in progress
	stopped := make(chan error, 1)
	go func() { stopped <- in.Stop(context.Background()) }()
	waitFor(t, "stopping", func() bool { return runState(in.state.Load()) == stateStopped })
	after := newJob(false, nil)
	in.Submit(after, msgchan.Normal, time.Time{})
	if !errors.Is(after.err, ErrUnavailable) {
		t.Fatalf("Submit after Stop: %v", after.err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a Submit in progress", err)
	default:
	}
	g.open()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Stop did not return")
	}
	if err := running.wait(t); err != nil {
		t.Fatalf("in-progress write: %v", err)
	}
	checkOnce(t, []*tjob{before, running, after})

	// Stop with a context that ends while a Submit is stuck.
	in2 := NewInline(openKeyspace(t), quietConfig(Config{}), testLogger(t))
	in2.Start()
	g2, stuck := stall(t, in2, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := in2.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop: %v", err)
	}
	g2.open()
	if err := stuck.wait(t); err != nil {
		t.Fatal(err)
	}
	if err := in2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestInlineHealthyAndReconfigure(t *testing.T) {
	in := startInline(t, quietConfig(Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := in.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	in.Reconfigure(Config{Sync: true, MaxGroupKeys: 5, ExpireInterval: -1, GCInterval: -1, ExpireBatch: 3, GCBatch: 4})
	if !in.sync.Load() || in.maxKeys.Load() != 5 || in.bg.expireBatch.Load() != 3 || in.bg.gcBatch.Load() != 4 {
		t.Fatal("Reconfigure not applied")
	}
	in.SetExpireInterval(time.Millisecond)
	in.SetGCInterval(time.Millisecond)
	waitFor(t, "background steps", func() bool {
		s := in.Stats()
		return s.ExpireCycles >= 2 && s.GCRuns >= 2
	})
	in.SetMaxGroupKeys(0)
	in.SetExpireBatch(0)
	in.SetGCBatch(0)
	if in.maxKeys.Load() != 1 || in.bg.expireBatch.Load() != 1 || in.bg.gcBatch.Load() != 1 {
		t.Fatal("setters do not clamp to 1")
	}
}

func BenchmarkInlineWrite(b *testing.B) {
	in := startInline(b, quietConfig(Config{}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		j := &benchJob{write: true, done: make(chan error, 1)}
		for pb.Next() {
			in.Submit(j, msgchan.Normal, time.Time{})
			<-j.done
		}
	})
}
