package storage

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// These tests write real data through the keyspace's string commands, so
// they check what the runtime promises about data: committed before Finish,
// visible to later jobs, all-or-nothing per job and per group.

func nowMs() int64 { return time.Now().UnixMilli() }

func setJob(t testing.TB, key, val string) *tjob {
	return newJob(true, func(tx *keyspace.Tx) {
		if _, err := tx.SetString(0, []byte(key), []byte(val), nowMs(), keyspace.SetOptions{}); err != nil {
			t.Errorf("SetString(%s): %v", key, err)
		}
	})
}

// get reads key through the executor, as a read job.
func get(t testing.TB, e Executor, key string) (string, bool) {
	t.Helper()
	var val []byte
	var ok bool
	j := newJob(false, func(tx *keyspace.Tx) {
		var err error
		if val, ok, err = tx.GetString(0, []byte(key), nowMs()); err != nil {
			t.Errorf("GetString(%s): %v", key, err)
		}
	})
	e.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(val), ok
}

// incrJob adds one to the decimal string at key, reading the value left by
// the jobs before it (in the same group or committed).
func incrJob(t testing.TB, key string) *tjob {
	return newJob(true, func(tx *keyspace.Tx) {
		v, _, err := tx.GetString(0, []byte(key), nowMs())
		if err != nil {
			t.Errorf("GetString: %v", err)
			return
		}
		n := 0
		if len(v) > 0 {
			n, _ = strconv.Atoi(string(v))
		}
		if _, err := tx.SetString(0, []byte(key), []byte(strconv.Itoa(n+1)), nowMs(), keyspace.SetOptions{}); err != nil {
			t.Errorf("SetString: %v", err)
		}
	})
}

func executors(t *testing.T, cfg Config) map[string]func(t *testing.T) Executor {
	return map[string]func(t *testing.T) Executor{
		"dual":   func(t *testing.T) Executor { return startRuntime(t, cfg) },
		"single": func(t *testing.T) Executor { return startInline(t, cfg) },
	}
}

func TestWritesVisibleAfterFinish(t *testing.T) {
	for name, mk := range executors(t, quietConfig(Config{Sync: true})) {
		t.Run(name, func(t *testing.T) {
			e := mk(t)
			const writers = 40
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					key, val := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)
					j := setJob(t, key, val)
					e.Submit(j, msgchan.Normal, time.Time{})
					if err := j.wait(t); err != nil {
						t.Errorf("write: %v", err)
						return
					}
					// Finished means committed: a read submitted now sees it.
					if got, ok := get(t, e, key); !ok || got != val {
						t.Errorf("read %s after Finish = %q %v, want %q", key, got, ok, val)
					}
				}()
			}
			waitDone(t, &wg)
		})
	}
}

// TestGroupMembersSeeEarlierWrites queues increments of one key behind a
// stalled applier, with panicking and expired jobs mixed in: every good
// increment sees the one before it in the same group, the bad ones leave
// nothing behind.
func TestGroupMembersSeeEarlierWrites(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{MaxGroupSize: 1000}))
	g, _ := stall(t, r, true)
	const n = 100
	var jobs []*tjob
	for i := range n {
		j := incrJob(t, "ctr")
		jobs = append(jobs, j)
		r.Submit(j, msgchan.Normal, time.Time{})
		if i%10 == 5 {
			bad := newJob(true, func(tx *keyspace.Tx) {
				_, _ = tx.SetString(0, []byte("ctr"), []byte("9999"), nowMs(), keyspace.SetOptions{})
				panic("after writing")
			})
			r.Submit(bad, msgchan.Normal, time.Time{})
			late := incrJob(t, "ctr")
			r.Submit(late, msgchan.Normal, time.Now().Add(-time.Second))
			defer func() {
				if !errors.Is(bad.wait(t), ErrPanic) || !errors.Is(late.wait(t), ErrTimeout) {
					t.Errorf("bad=%v late=%v", bad.err, late.err)
				}
			}()
		}
	}
	g.open()
	for _, j := range jobs {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := get(t, r, "ctr"); got != strconv.Itoa(n) {
		t.Fatalf("ctr = %q, want %d", got, n)
	}
	if s := r.Stats(); s.Groups != 2 {
		t.Fatalf("%d groups, want 2 (blocker, then all increments)", s.Groups)
	}
}

func TestCommitFailureWritesNothing(t *testing.T) {
	hook := commitHook{fail: errDisk}
	r := startRuntime(t, quietConfig(Config{}), func(r *Runtime) { hook.install(r.core) })
	j := setJob(t, "lost", "x")
	r.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); !errors.Is(err, ErrCommit) {
		t.Fatalf("%v, want ErrCommit", err)
	}
	hook.mu.Lock()
	hook.fail = nil
	hook.mu.Unlock()
	if _, ok := get(t, r, "lost"); ok {
		t.Fatal("a write of a failed group is visible")
	}
	k := setJob(t, "kept", "y")
	r.Submit(k, msgchan.Normal, time.Time{})
	if err := k.wait(t); err != nil {
		t.Fatal(err)
	}
	if v, ok := get(t, r, "kept"); !ok || v != "y" {
		t.Fatalf("kept = %q %v", v, ok)
	}
}

// TestMaxGroupKeys: a group is committed early once it holds MaxGroupKeys
// pending keys, and the rest of the batch goes into the next group.
func TestMaxGroupKeys(t *testing.T) {
	var hook commitHook
	r := startRuntime(t, quietConfig(Config{MaxGroupSize: 1000, MaxGroupKeys: 10}), func(r *Runtime) { hook.install(r.core) })
	g, _ := stall(t, r, true)
	const n = 30
	var jobs []*tjob
	for i := range n {
		j := newJob(true, func(tx *keyspace.Tx) {
			for k := range 3 {
				key := fmt.Sprintf("g%d-%d", i, k)
				if _, err := tx.SetString(0, []byte(key), []byte("v"), nowMs(), keyspace.SetOptions{}); err != nil {
					t.Error(err)
				}
			}
		})
		jobs = append(jobs, j)
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	g.open()
	for _, j := range jobs {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	commits, _ := hook.counts()
	// 90 keys at >= 10 per group, at least 3 keys per job: 4 jobs a group
	// at most; the blocker had its own group.
	if groups := commits - 1; groups < n/4 || groups > n {
		t.Fatalf("%d groups for %d jobs of 3 keys with MaxGroupKeys 10", groups, n)
	}
	for i := range n {
		if _, ok := get(t, r, fmt.Sprintf("g%d-2", i)); !ok {
			t.Fatalf("key of job %d missing", i)
		}
	}
}

// TestActiveExpiry: keys with a TTL are deleted by the background expiry
// cycle, in bounded steps, without any client touching them.
func TestActiveExpiry(t *testing.T) {
	for name, mk := range executors(t, Config{ExpireInterval: time.Millisecond, ExpireBatch: 7, GCInterval: time.Millisecond}) {
		t.Run(name, func(t *testing.T) {
			e := mk(t)
			const n = 50
			j := newJob(true, func(tx *keyspace.Tx) {
				// One request time, as a command batch has: every key is
				// stored with a future expiry, whatever the load.
				now := nowMs()
				for i := range n {
					opts := keyspace.SetOptions{ExpireAt: now + 30}
					if _, err := tx.SetString(0, []byte(fmt.Sprintf("ttl%d", i)), []byte("v"), now, opts); err != nil {
						t.Error(err)
					}
				}
				if _, err := tx.SetString(0, []byte("forever"), []byte("v"), nowMs(), keyspace.SetOptions{}); err != nil {
					t.Error(err)
				}
			})
			e.Submit(j, msgchan.Normal, time.Time{})
			if err := j.wait(t); err != nil {
				t.Fatal(err)
			}
			stats := func() Stats {
				if r, ok := e.(*Runtime); ok {
					return r.Stats()
				}
				return e.(*Inline).Stats()
			}
			waitFor(t, "keys expired", func() bool { return stats().ExpiredKeys >= n })
			if s := stats(); s.ExpiredKeys != n || s.BackgroundErrors != 0 {
				t.Fatalf("expired %d keys (want %d), %d errors", s.ExpiredKeys, n, s.BackgroundErrors)
			}
			if _, ok := get(t, e, "forever"); !ok {
				t.Fatal("key without TTL deleted")
			}
		})
	}
}
