package storage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 20 * time.Second

// openKeyspace returns a keyspace over an in-memory Pebble engine, closed at
// the end of the test (after anything registered later with Cleanup).
func openKeyspace(t testing.TB) *keyspace.Keyspace {
	t.Helper()
	eng, err := pebble.Open(engine.Options{Dir: "storage-test", InMemory: true})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: 16})
	if err != nil {
		t.Fatalf("open keyspace: %v", err)
	}
	return ks
}

// testLogger sends log lines to t.Log, so they show only on failure.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// quietConfig disables the background tasks so tests count only their jobs.
func quietConfig(c Config) Config {
	c.ExpireInterval = -1
	c.GCInterval = -1
	return c
}

// startRuntime starts a Runtime, stopped at the end of the test. setup
// functions run before Start.
func startRuntime(t testing.TB, cfg Config, setup ...func(*Runtime)) *Runtime {
	t.Helper()
	r := New(openKeyspace(t), cfg, testLogger(t))
	for _, f := range setup {
		f(r)
	}
	r.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r
}

// tjob is a test Job that checks it is finished exactly once.
type tjob struct {
	write    bool
	run      func(tx *keyspace.Tx)
	ran      atomic.Int32
	finished atomic.Int32
	done     chan struct{}
	err      error // valid after done is closed
	readOnly atomic.Bool
}

func newJob(write bool, run func(tx *keyspace.Tx)) *tjob {
	return &tjob{write: write, run: run, done: make(chan struct{})}
}

func (j *tjob) Write() bool { return j.write }

func (j *tjob) Run(tx *keyspace.Tx) {
	j.ran.Add(1)
	j.readOnly.Store(tx.ReadOnly())
	if j.run != nil {
		j.run(tx)
	}
}

func (j *tjob) Finish(err error) {
	if j.finished.Add(1) != 1 {
		// Reported by wait/checkOnce; never close twice.
		return
	}
	j.err = err
	close(j.done)
}

// wait waits for the job's Finish and returns its error.
func (j *tjob) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-j.done:
		return j.err
	case <-time.After(testTimeout):
		t.Fatal("job not finished in time")
		return nil
	}
}

// checkOnce fails the test unless every job was finished exactly once.
func checkOnce(t testing.TB, jobs []*tjob) {
	t.Helper()
	for i, j := range jobs {
		if n := j.finished.Load(); n != 1 {
			t.Fatalf("job %d finished %d times", i, n)
		}
		if n := j.ran.Load(); n > 1 {
			t.Fatalf("job %d ran %d times", i, n)
		}
	}
}

// gate is a job body that blocks until released, and signals when entered.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) run(*keyspace.Tx) {
	close(g.entered)
	<-g.release
}

func (g *gate) waitEntered(t testing.TB) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(testTimeout):
		t.Fatal("gate job never started")
	}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// stall submits a job that occupies the applier (write) or one read worker
// until the returned gate is opened, and waits until it runs.
func stall(t testing.TB, e Executor, write bool) (*gate, *tjob) {
	t.Helper()
	g := newGate()
	j := newJob(write, g.run)
	t.Cleanup(g.open)
	go e.Submit(j, msgchan.High, time.Time{}) // Inline runs it in this goroutine
	g.waitEntered(t)
	return g, j
}

// waitFor polls cond until it holds or the test times out. It is used to
// observe state that has no event to wait on (a goroutine count, a timer
// having fired).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// commitHook wraps the real group commit to count commits and inject
// failures.
type commitHook struct {
	mu      sync.Mutex
	commits int
	syncs   int
	fail    error
}

func (h *commitHook) install(x *core) {
	real := x.commit
	x.commit = func(g *keyspace.Tx, sync bool) error {
		h.mu.Lock()
		h.commits++
		if sync {
			h.syncs++
		}
		fail := h.fail
		h.mu.Unlock()
		if fail != nil {
			g.Close()
			return fail
		}
		return real(g, sync)
	}
}

func (h *commitHook) counts() (commits, syncs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.commits, h.syncs
}

var errDisk = errors.New("injected disk failure")
