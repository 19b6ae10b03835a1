package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/logging"
	"github.com/kiwidb/kiwi/internal/logging/logtest"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// These tests check the logging rules of docs/logging.md on the storage
// runtime: a failure is logged once, by the layer that decides about it,
// with its context, and a failure repeating every tick does not flood.

// failingEngine wraps an engine: while fail is set, every batch commit
// fails (the batch is discarded), as on a full or broken disk.
type failingEngine struct {
	engine.Engine
	fail   atomic.Bool
	failed atomic.Int64 // commits failed
}

func (e *failingEngine) NewBatch() engine.Batch {
	return &failingBatch{Batch: e.Engine.NewBatch(), e: e}
}

type failingBatch struct {
	engine.Batch
	e *failingEngine
}

func (b *failingBatch) Commit(sync bool) error {
	if b.e.fail.Load() {
		b.e.failed.Add(1)
		_ = b.Batch.Close()
		return fmt.Errorf("pebble: commit: %w", errDisk)
	}
	return b.Batch.Commit(sync)
}

// openFailingKeyspace is openKeyspace over a failingEngine.
func openFailingKeyspace(t testing.TB) (*keyspace.Keyspace, *failingEngine) {
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
	fe := &failingEngine{Engine: eng}
	ks, err := keyspace.Open(fe, keyspace.Options{Databases: 16})
	if err != nil {
		t.Fatalf("open keyspace: %v", err)
	}
	return ks, fe
}

// lifecycle is what these tests need of both executors.
type lifecycle interface {
	Executor
	Start()
	Stop(context.Context) error
	Stats() Stats
}

// startLogged starts a Runtime ("dual") or an Inline ("single") over ks
// that logs, as cmd/kiwi wires it, to a runtime=storage child of a
// captured logger. setup runs before Start.
func startLogged(t *testing.T, mode string, ks *keyspace.Keyspace, cfg Config, setup func(*core)) (lifecycle, *logtest.Buffer) {
	t.Helper()
	l, buf := logtest.New(t)
	l = l.With("runtime", "storage")
	var e lifecycle
	if mode == "single" {
		in := NewInline(ks, cfg, l)
		if setup != nil {
			setup(in.core)
		}
		e = in
	} else {
		r := New(ks, cfg, l)
		if setup != nil {
			setup(r.core)
		}
		e = r
	}
	e.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if t.Failed() {
			t.Logf("log:\n%s", buf.String())
		}
	})
	return e, buf
}

// checkFields fails the test unless r has every field of want (string
// values compared exactly, except "err", which must contain want's).
func checkFields(t *testing.T, r logtest.Record, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got := r.Str(k)
		if k == "err" && strings.Contains(got, v) || got == v {
			continue
		}
		t.Errorf("record %v: %s = %q, want %q", r, k, got, v)
	}
}

// TestCommitFailureLoggedOnce: each failed group commit is logged exactly
// once, at Error, by the executor, with runtime, component, operation,
// group size and cause; the failed jobs log nothing more.
func TestCommitFailureLoggedOnce(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			ks, eng := openFailingKeyspace(t)
			e, buf := startLogged(t, mode, ks, quietConfig(Config{Sync: true}), nil)
			eng.fail.Store(true)
			const writers = 8
			jobs := make([]*tjob, writers)
			var wg sync.WaitGroup
			for i := range jobs {
				jobs[i] = setJob(t, fmt.Sprint("k", i), "v")
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.Submit(jobs[i], msgchan.Normal, time.Time{})
				}()
			}
			wg.Wait()
			for _, j := range jobs {
				if err := j.wait(t); !errors.Is(err, ErrCommit) || !errors.Is(err, errDisk) {
					t.Fatalf("job: %v, want ErrCommit wrapping the engine error", err)
				}
			}
			checkOnce(t, jobs)

			recs := buf.Find("storage: group commit failed")
			s := e.Stats()
			if len(recs) == 0 || uint64(len(recs)) != s.CommitErrors || int64(len(recs)) != eng.failed.Load() {
				t.Fatalf("%d records for %d failed group commits (%d engine commits failed)", len(recs), s.CommitErrors, eng.failed.Load())
			}
			jobsLogged := 0
			for _, r := range recs {
				checkFields(t, r, map[string]string{
					"level": "ERROR", "runtime": "storage", "component": "executor",
					"op": "commit", "err": "injected disk failure",
				})
				if r["sync"] != true {
					t.Errorf("record %v: sync = %v, want true", r, r["sync"])
				}
				n, _ := r["jobs"].(float64)
				jobsLogged += int(n)
			}
			if jobsLogged != writers {
				t.Errorf("records count %d jobs, want %d", jobsLogged, writers)
			}
			if all := buf.AtLeast(slog.LevelWarn); len(all) != len(recs) {
				t.Errorf("%d warn/error records, want only the %d commit failures:\n%s", len(all), len(recs), buf.String())
			}

			// Recovery: nothing more is logged.
			eng.fail.Store(false)
			j := setJob(t, "after", "v")
			e.Submit(j, msgchan.Normal, time.Time{})
			if err := j.wait(t); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			if n := len(buf.AtLeast(slog.LevelWarn)); n != len(recs) {
				t.Errorf("%d warn/error records after recovery, want %d", n, len(recs))
			}
		})
	}
}

// TestCommitPanicLoggedOnce: a panic in the commit path is one record (the
// failed group commit, with the panic and its stack), not two.
func TestCommitPanicLoggedOnce(t *testing.T) {
	ks, _ := openFailingKeyspace(t)
	e, buf := startLogged(t, "dual", ks, quietConfig(Config{}), func(x *core) {
		x.commit = func(g *keyspace.Tx, sync bool) error {
			g.Close()
			panic("commit bug")
		}
	})
	j := setJob(t, "k", "v")
	e.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); !errors.Is(err, ErrCommit) {
		t.Fatalf("job: %v, want ErrCommit", err)
	}
	all := buf.AtLeast(slog.LevelWarn)
	if len(all) != 1 {
		t.Fatalf("%d warn/error records, want 1:\n%s", len(all), buf.String())
	}
	checkFields(t, all[0], map[string]string{
		"msg": "storage: group commit failed", "level": "ERROR", "runtime": "storage",
		"component": "executor", "op": "commit", "panic": "commit bug",
	})
	if !strings.Contains(all[0].Str("stack"), "commitSafe") {
		t.Errorf("record has no stack: %v", all[0])
	}
}

// TestBackgroundStepFailureRateLimited: a background step that fails at
// every tick (a corrupt expiry index entry) is logged once at Warn, then
// at most once per interval with the number of failures in between.
func TestBackgroundStepFailureRateLimited(t *testing.T) {
	ks, eng := openFailingKeyspace(t)
	// An expiry index entry too short to name a key: ExpireCycle reports
	// keyspace.ErrCorrupt, and the next tick meets it again.
	b := eng.NewBatch()
	b.Set([]byte{'E', 0}, nil)
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	const every = 100 * time.Millisecond
	start := time.Now()
	e, buf := startLogged(t, "dual", ks, Config{ExpireInterval: time.Millisecond, GCInterval: -1},
		func(x *core) { x.setLogEvery(every) })

	const msg = "storage: background step failed"
	waitFor(t, "a rate-limited summary", func() bool {
		for _, r := range buf.Find(msg) {
			if _, ok := r[logging.SuppressedKey]; ok {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	failures := e.Stats().BackgroundErrors

	recs := buf.Find(msg)
	if _, ok := recs[0][logging.SuppressedKey]; ok {
		t.Errorf("first record carries %s: %v", logging.SuppressedKey, recs[0])
	}
	if max := int(elapsed/every) + 2; len(recs) > max {
		t.Errorf("%d records in %v, want at most %d (one per %v)", len(recs), elapsed, max, every)
	}
	var reported uint64
	for _, r := range recs {
		checkFields(t, r, map[string]string{
			"level": "WARN", "runtime": "storage", "component": "background",
			"op": "expire", "err": "corrupt record",
		})
		reported++
		if n, ok := r[logging.SuppressedKey].(float64); ok {
			reported += uint64(n)
		}
	}
	if reported > failures || reported <= uint64(len(recs)) {
		t.Errorf("records account for %d failures (%d records), %d counted", reported, len(recs), failures)
	}
	if all := buf.AtLeast(slog.LevelWarn); len(all) != len(recs) {
		t.Errorf("%d warn/error records, want only the %d step failures:\n%s", len(all), len(recs), buf.String())
	}
}

// TestBackgroundCommitFailureLoggedOnce: when a background step's group
// commit fails, the executor logs the failed commit and the step only
// counts it: no second record about the same failure.
func TestBackgroundCommitFailureLoggedOnce(t *testing.T) {
	ks, eng := openFailingKeyspace(t)
	e, buf := startLogged(t, "dual", ks, quietConfig(Config{}), nil)
	// Keys that expire at once: each expiry step has deletes to commit.
	j := newJob(true, func(tx *keyspace.Tx) {
		for i := range 20 {
			if _, err := tx.SetString(0, []byte(fmt.Sprint("ttl", i)), []byte("v"), nowMs(),
				keyspace.SetOptions{ExpireAt: nowMs() + 1}); err != nil {
				t.Errorf("SetString: %v", err)
			}
		}
	})
	e.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	eng.fail.Store(true)
	e.(*Runtime).Reconfigure(Config{ExpireInterval: time.Millisecond, GCInterval: -1})
	waitFor(t, "failed background commits", func() bool { return e.Stats().BackgroundErrors >= 3 })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(buf.Find("storage: background step failed")); n != 0 {
		t.Errorf("%d background step records for failures the executor logged", n)
	}
	recs := buf.Find("storage: group commit failed")
	if s := e.Stats(); uint64(len(recs)) != s.CommitErrors || len(recs) == 0 {
		t.Errorf("%d commit failure records, %d failed commits", len(recs), s.CommitErrors)
	}
	if all := buf.AtLeast(slog.LevelWarn); len(all) != len(recs) {
		t.Errorf("%d warn/error records, want only the %d commit failures:\n%s", len(all), len(recs), buf.String())
	}
}
