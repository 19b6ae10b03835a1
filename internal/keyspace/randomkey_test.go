package keyspace

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// movesEngine counts the moves of every iterator opened on it (directly or
// on one of its snapshots).
type movesEngine struct {
	engine.Engine
	moves *iterMoves
}

type iterMoves struct {
	backward int // Last, SeekLT, Prev
	next     int
}

func (e movesEngine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	it, err := e.Engine.NewIter(opts)
	return movesIter{it, e.moves}, err
}

func (e movesEngine) NewSnapshot() (engine.Snapshot, error) {
	s, err := e.Engine.NewSnapshot()
	return movesSnapshot{s, e.moves}, err
}

type movesSnapshot struct {
	engine.Snapshot
	moves *iterMoves
}

func (s movesSnapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	it, err := s.Snapshot.NewIter(opts)
	return movesIter{it, s.moves}, err
}

type movesIter struct {
	engine.Iterator
	moves *iterMoves
}

func (i movesIter) Last() bool           { i.moves.backward++; return i.Iterator.Last() }
func (i movesIter) SeekLT(k []byte) bool { i.moves.backward++; return i.Iterator.SeekLT(k) }
func (i movesIter) Prev() bool           { i.moves.backward++; return i.Iterator.Prev() }
func (i movesIter) Next() bool           { i.moves.next++; return i.Iterator.Next() }

// TestRandomKeyDeletedTail: many deleted keys sorting after the last live
// one (the case that made RANDOMKEY walk backwards over their tombstones
// on every call). RandomKey never moves backwards, returns live keys, soon
// stops drawing points in the deleted range, and still spreads its picks.
func TestRandomKeyDeletedTail(t *testing.T) {
	moves := &iterMoves{}
	ks := openKS(t, movesEngine{newTestEngine(t), moves})
	// Live keys evenly spaced in the first 8 bytes, so that the draw
	// spreads over them.
	const live, dead = 50, 2000
	liveKey := func(i int) []byte { return []byte{'a', ':', byte(i * 5)} }
	deadKey := func(i int) []byte { return fmt.Appendf(nil, "z:%04d", i) }
	commit(t, ks, func(tx *Tx) {
		for i := range live {
			must[SetResult](t)(tx.SetString(0, liveKey(i), []byte("v"), t0, SetOptions{}))
		}
		for i := range dead {
			must[SetResult](t)(tx.SetString(0, deadKey(i), []byte("v"), t0, SetOptions{}))
		}
	})
	commit(t, ks, func(tx *Tx) {
		for i := range dead {
			must[bool](t)(tx.Delete(0, deadKey(i), t0))
		}
	})
	if hi := ks.keyHi[0].Load(); hi != keyNumber(deadKey(dead-1)) {
		t.Fatalf("hint %x, want the last key ever written", hi)
	}
	*moves = iterMoves{}
	seen := map[string]int{}
	pick := func(tx *Tx, seed uint64) {
		t.Helper()
		before := moves.next
		k, ok, err := tx.RandomKey(0, t0, seed)
		if err != nil || !ok || !strings.HasPrefix(string(k), "a:") {
			t.Fatalf("RANDOMKEY = %q, %v, %v", k, ok, err)
		}
		if n := moves.next - before; n > randomKeySteps+1 {
			t.Fatalf("RANDOMKEY took %d steps", n)
		}
		seen[string(k)]++
	}
	for i := range uint64(300) {
		read(t, ks, func(tx *Tx) { pick(tx, i*0x9e3779b97f4a7c15+7) })
	}
	// In a write transaction too (the overlay's merging iterator).
	g := ks.BeginGroup()
	c := g.Begin()
	for i := range uint64(20) {
		pick(c, i*0xbf58476d1ce4e5b9)
	}
	c.Discard()
	g.Close()
	if moves.backward != 0 {
		t.Errorf("RandomKey moved backwards %d times", moves.backward)
	}
	if hi := ks.keyHi[0].Load(); hi >= keyNumber([]byte("b")) {
		t.Errorf("hint %x still past the live keys (%x)", hi, keyNumber(liveKey(live-1)))
	}
	if len(seen) < 20 {
		t.Errorf("RANDOMKEY returned only %d distinct keys of %d: %v", len(seen), live, seen)
	}
}

// TestRandomKeyBounded: RandomKey examines at most randomKeySteps meta
// records; it never returns an expired key, and in a db with fewer
// records than that it always finds a live key if there is one.
func TestRandomKeyBounded(t *testing.T) {
	moves := &iterMoves{}
	ks := openKS(t, movesEngine{newTestEngine(t), moves})
	const expired = 2 * randomKeySteps
	commit(t, ks, func(tx *Tx) {
		for i := range expired {
			must[SetResult](t)(tx.SetString(0, fmt.Appendf(nil, "e:%05d", i), []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
		}
		must[SetResult](t)(tx.SetString(0, []byte("z"), []byte("v"), t0, SetOptions{}))
		// db 1: fewer records than the limit, one live key in the middle.
		for i := range 500 {
			must[SetResult](t)(tx.SetString(1, fmt.Appendf(nil, "e:%03d", i), []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
		}
		must[SetResult](t)(tx.SetString(1, []byte("e:250x"), []byte("v"), t0, SetOptions{}))
		// db 2: expired keys only.
		for i := range 10 {
			must[SetResult](t)(tx.SetString(2, fmt.Appendf(nil, "e:%d", i), []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
		}
	})
	now := t0 + 20
	read(t, ks, func(tx *Tx) {
		// Seed 0 draws the first key: 2·randomKeySteps expired keys follow.
		*moves = iterMoves{}
		k, ok, err := tx.RandomKey(0, now, 0)
		if err != nil || ok {
			t.Fatalf("RANDOMKEY from the first key = %q, %v, %v; want none (step limit)", k, ok, err)
		}
		if moves.next > randomKeySteps+1 {
			t.Fatalf("RANDOMKEY took %d steps, limit %d", moves.next, randomKeySteps)
		}
		found := 0
		for seed := range uint64(200) {
			*moves = iterMoves{}
			k, ok, err := tx.RandomKey(0, now, seed*0x9e3779b97f4a7c15)
			if err != nil || (ok && string(k) != "z") {
				t.Fatalf("RANDOMKEY = %q, %v, %v", k, ok, err)
			}
			if moves.next > randomKeySteps+1 {
				t.Fatalf("RANDOMKEY took %d steps, limit %d", moves.next, randomKeySteps)
			}
			if ok {
				found++
			}
		}
		if found == 0 {
			t.Error("RANDOMKEY never found the live key")
		}
		for seed := range uint64(200) {
			k, ok, err := tx.RandomKey(1, now, seed*0x9e3779b97f4a7c15)
			if err != nil || !ok || string(k) != "e:250x" {
				t.Fatalf("db 1: RANDOMKEY = %q, %v, %v", k, ok, err)
			}
		}
		for seed := range uint64(20) {
			if k, ok, err := tx.RandomKey(2, now, seed); ok || err != nil {
				t.Fatalf("db of expired keys: RANDOMKEY = %q, %v, %v", k, ok, err)
			}
			if k, ok, err := tx.RandomKey(3, now, seed); ok || err != nil {
				t.Fatalf("empty db: RANDOMKEY = %q, %v, %v", k, ok, err)
			}
		}
	})
}

// TestRandomKeyHint: the estimate of each db's last key is set at Open,
// raised by new keys, and never needed for correctness.
func TestRandomKeyHint(t *testing.T) {
	ks := newTestKS(t)
	for db := range testDBs {
		if hi := ks.keyHi[db].Load(); hi != 0 {
			t.Fatalf("db %d: hint %x on an empty keyspace", db, hi)
		}
	}
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("b"), []byte("v"), t0, SetOptions{}))
		must[SetResult](t)(tx.SetString(0, []byte("q"), []byte("v"), t0, SetOptions{}))
		must[SetResult](t)(tx.SetString(2, []byte("m"), []byte("v"), t0, SetOptions{}))
		must[bool](t)(tx.Rename(2, []byte("m"), []byte("x"), t0, false))
	})
	want := map[int]string{0: "q", 2: "x"}
	check := func(ks *Keyspace, want map[int]string) {
		t.Helper()
		for db := range testDBs {
			w := uint64(0)
			if k, ok := want[db]; ok {
				w = keyNumber([]byte(k))
			}
			if hi := ks.keyHi[db].Load(); hi != w {
				t.Errorf("db %d: hint %x, want %x (%q)", db, hi, w, want[db])
			}
		}
	}
	check(ks, want)
	check(openKS(t, ks.eng), want)
	// Deleting the last key leaves the hint high until RandomKey draws
	// past the end; a reopen reads the true last key.
	commit(t, ks, func(tx *Tx) { must[bool](t)(tx.Delete(0, []byte("q"), t0)) })
	check(ks, want)
	read(t, ks, func(tx *Tx) {
		for seed := range uint64(50) {
			if k, ok, err := tx.RandomKey(0, t0, seed*0x9e3779b97f4a7c15); err != nil || string(k) != "b" {
				t.Fatalf("RANDOMKEY = %q, %v, %v", k, ok, err)
			}
		}
	})
	if hi := ks.keyHi[0].Load(); hi >= keyNumber([]byte("q")) {
		t.Errorf("hint %x not lowered by draws past the last key", hi)
	}
	want[0] = "b"
	check(openKS(t, ks.eng), want)
}
