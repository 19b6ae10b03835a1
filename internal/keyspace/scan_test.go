package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// scanAll runs a full SCAN of db, calling between() after every call, and
// returns how many times each key was returned.
func scanAll(t testing.TB, ks *Keyspace, db int, opts ScanOptions, r *rand.Rand, between func()) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := uint64(0)
	for calls := 0; ; calls++ {
		if calls > 100000 {
			t.Fatal("SCAN does not terminate")
		}
		if r != nil {
			opts.Count = 1 + r.IntN(20)
		}
		var keys [][]byte
		read(t, ks, func(tx *Tx) {
			var err error
			cursor, keys, err = tx.Scan(db, cursor, t0, opts)
			noErr(t, err)
		})
		for _, k := range keys {
			seen[string(k)]++
		}
		if cursor == 0 {
			return seen
		}
		if cursor >= 1<<53 {
			t.Fatalf("cursor %d not below 2^53", cursor)
		}
		if between != nil {
			between()
		}
	}
}

// TestScanGuarantee checks Redis's SCAN guarantee while keys are inserted
// and deleted between calls: every key present for the whole scan is
// returned (here exactly once), and nothing that never existed is.
func TestScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ks := newTestKS(t)
	stable := map[string]bool{}
	ever := map[string]bool{}
	var churn []string
	commit(t, ks, func(tx *Tx) {
		for i := range 400 {
			k := fmt.Sprintf("s:%04d", i*3)
			stable[k], ever[k] = true, true
			must[SetResult](t)(tx.SetString(0, []byte(k), []byte("v"), t0, SetOptions{}))
		}
	})
	n := 0
	between := func() {
		commit(t, ks, func(tx *Tx) {
			for range 3 {
				// New keys land before and after the cursor.
				k := fmt.Sprintf("s:%04d.%d", r.IntN(1200), n)
				n++
				ever[k] = true
				churn = append(churn, k)
				must[SetResult](t)(tx.SetString(0, []byte(k), []byte("v"), t0, SetOptions{}))
			}
			if len(churn) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(churn))
				must[bool](t)(tx.Delete(0, []byte(churn[i]), t0))
				churn = append(churn[:i], churn[i+1:]...)
			}
		})
	}
	seen := scanAll(t, ks, 0, ScanOptions{}, r, between)
	for k := range stable {
		if seen[k] != 1 {
			t.Errorf("stable key %s returned %d times", k, seen[k])
		}
	}
	for k := range seen {
		if !ever[k] {
			t.Errorf("SCAN returned %s, which never existed", k)
		}
	}
}

func TestScanOptions(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		for i := range 50 {
			must[SetResult](t)(tx.SetString(1, fmt.Appendf(nil, "user:%d", i), []byte("v"), t0, SetOptions{}))
			must[SetResult](t)(tx.SetString(1, fmt.Appendf(nil, "order:%d", i), []byte("v"), t0, SetOptions{}))
		}
		must[SetResult](t)(tx.SetString(1, []byte("user:expired"), []byte("v"), t0, SetOptions{ExpireAt: t0}))
		v := tx.nextVersion()
		tx.putMeta(1, []byte("user:hash"), nil, &Meta{Type: TypeHash, Version: v, Len: 1})
	})
	r := rand.New(rand.NewPCG(9, 10))
	if seen := scanAll(t, ks, 1, ScanOptions{Match: []byte("user:*")}, r, nil); len(seen) != 51 {
		t.Errorf("MATCH user:* returned %d keys, want 51", len(seen))
	}
	if seen := scanAll(t, ks, 1, ScanOptions{Match: []byte("*:1?")}, r, nil); len(seen) != 20 {
		t.Errorf("MATCH *:1? returned %d keys, want 20", len(seen))
	}
	if seen := scanAll(t, ks, 1, ScanOptions{Type: "HASH"}, r, nil); len(seen) != 1 || seen["user:hash"] != 1 {
		t.Errorf("TYPE hash returned %v", seen)
	}
	if seen := scanAll(t, ks, 1, ScanOptions{Type: "stream"}, r, nil); len(seen) != 0 {
		t.Errorf("TYPE stream returned %v", seen)
	}
	if seen := scanAll(t, ks, 1, ScanOptions{}, nil, nil); len(seen) != 101 {
		t.Errorf("full scan returned %d keys, want 101", len(seen))
	}
	// Another database has its own keys; a cursor of db 1 means nothing
	// in db 2 and restarts the scan there.
	var cur uint64
	read(t, ks, func(tx *Tx) {
		var err error
		cur, _, err = tx.Scan(1, 0, t0, ScanOptions{Count: 5})
		noErr(t, err)
		next, keys, err := tx.Scan(2, cur, t0, ScanOptions{})
		noErr(t, err)
		if next != 0 || len(keys) != 0 {
			t.Errorf("db 2 scan: %d %q", next, keys)
		}
	})
}

// TestScanForgottenCursor checks that a scan whose cursors are evicted
// from a tiny table still returns every key (restarting, with repeats).
func TestScanForgottenCursor(t *testing.T) {
	ks, err := Open(newTestEngine(t), Options{Databases: 1, ScanCursors: 1})
	noErr(t, err)
	commit(t, ks, func(tx *Tx) {
		for i := range 30 {
			must[SetResult](t)(tx.SetString(0, fmt.Appendf(nil, "k%02d", i), []byte("v"), t0, SetOptions{}))
		}
	})
	var cursor uint64
	seen := map[string]int{}
	read(t, ks, func(tx *Tx) {
		cursor, _, err = tx.Scan(0, 0, t0, ScanOptions{Count: 10})
		noErr(t, err)
		// Another scan takes the only slot.
		_, _, err = tx.Scan(0, 0, t0, ScanOptions{Count: 10})
		noErr(t, err)
		for calls := 0; ; calls++ {
			var keys [][]byte
			cursor, keys, err = tx.Scan(0, cursor, t0, ScanOptions{Count: 10})
			noErr(t, err)
			for _, k := range keys {
				seen[string(k)]++
			}
			if cursor == 0 {
				break
			}
		}
	})
	if len(seen) != 30 {
		t.Fatalf("restarted scan returned %d distinct keys, want 30", len(seen))
	}
}

// TestScanConcurrent runs full scans from several goroutines at once
// (the cursor table is shared; run with -race).
func TestScanConcurrent(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		for i := range 200 {
			must[SetResult](t)(tx.SetString(0, fmt.Appendf(nil, "k%03d", i), []byte("v"), t0, SetOptions{}))
		}
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			seen := scanAll(t, ks, 0, ScanOptions{}, r, nil)
			if len(seen) != 200 {
				t.Errorf("goroutine %d saw %d keys", g, len(seen))
			}
		})
	}
	wg.Wait()
}
