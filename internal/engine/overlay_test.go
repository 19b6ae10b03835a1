package engine_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
)

// The conformance suite (enginetest) runs Overlay as an engine; these tests
// cover its savepoints.

func openBase(t *testing.T, keys []string) engine.Engine {
	t.Helper()
	eng, err := pebble.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	b := eng.NewBatch()
	for i, k := range keys {
		if i%2 == 0 {
			b.Set([]byte(k), []byte("base-"+k))
		}
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	return eng
}

// spModel is the expected state of one savepoint level.
type spModel struct {
	state    map[string]string // visible key → value before the level opened
	buffered map[string]bool   // keys with a buffered write before it opened
	written  map[string]bool   // keys written since it opened
	handle   engine.Savepoint
}

// TestOverlaySavepointsModel drives random writes, nested savepoints,
// rollbacks, releases and resets against a model, checking Get, full and
// bounded iteration, Len and Written after every step.
func TestOverlaySavepointsModel(t *testing.T) {
	var keys []string
	for i := range 24 {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			base := openBase(t, keys)
			r := rand.New(rand.NewPCG(seed, 99))
			ov := engine.NewOverlay(base)
			baseState := map[string]string{}
			for i, k := range keys {
				if i%2 == 0 {
					baseState[k] = "base-" + k
				}
			}
			state := maps.Clone(baseState)
			buffered := map[string]bool{}
			var stack []spModel
			for step := 0; step < 3000; step++ {
				desc := ""
				switch op := r.IntN(20); {
				case op < 9:
					k := keys[r.IntN(len(keys))]
					v := fmt.Sprintf("v%d", step)
					if r.IntN(8) == 0 {
						v = "" // empty values are values, not deletions
					}
					desc = "set " + k
					ov.Set([]byte(k), []byte(v))
					state[k] = v
					buffered[k] = true
					if n := len(stack); n > 0 {
						stack[n-1].written[k] = true
					}
				case op < 13:
					k := keys[r.IntN(len(keys))]
					desc = "delete " + k
					ov.Delete([]byte(k))
					delete(state, k)
					buffered[k] = true
					if n := len(stack); n > 0 {
						stack[n-1].written[k] = true
					}
				case op < 16:
					desc = "savepoint"
					stack = append(stack, spModel{state: maps.Clone(state), buffered: maps.Clone(buffered),
						written: map[string]bool{}, handle: ov.Savepoint()})
					if int(stack[len(stack)-1].handle) != len(stack) {
						t.Fatalf("savepoint handle %d at depth %d", stack[len(stack)-1].handle, len(stack))
					}
				case op < 18 && len(stack) > 0:
					i := len(stack) - 1 - r.IntN(min(len(stack), 2))
					desc = fmt.Sprintf("rollback %d of %d", i+1, len(stack))
					ov.Rollback(stack[i].handle)
					state, buffered = stack[i].state, stack[i].buffered
					stack = stack[:i]
				case op < 20 && len(stack) > 0:
					i := len(stack) - 1 - r.IntN(min(len(stack), 2))
					desc = fmt.Sprintf("release %d of %d", i+1, len(stack))
					ov.Release(stack[i].handle)
					if i > 0 {
						for j := i; j < len(stack); j++ {
							maps.Copy(stack[i-1].written, stack[j].written)
						}
					}
					stack = stack[:i]
				default:
					if r.IntN(10) != 0 {
						continue
					}
					desc = "reset"
					if r.IntN(2) == 0 {
						ov.Reset()
					} else {
						ov.Recycle()
					}
					state, buffered, stack = maps.Clone(baseState), map[string]bool{}, nil
				}
				checkOverlay(t, ov, keys, state, r)
				if got := ov.Len(); got != len(buffered) {
					t.Fatalf("step %d (%s): Len %d, want %d", step, desc, got, len(buffered))
				}
				size := 0 // a buffered key's entry holds its visible value
				for k := range buffered {
					size += len(k) + len(state[k])
				}
				if got := ov.Size(); got != size {
					t.Fatalf("step %d (%s): Size %d, want %d", step, desc, got, size)
				}
				if n := len(stack); n > 0 {
					if got, want := ov.Written(stack[n-1].handle), len(stack[n-1].written); got != want {
						t.Fatalf("step %d (%s): Written %d, want %d", step, desc, got, want)
					}
				}
				if t.Failed() {
					t.Fatalf("after step %d: %s", step, desc)
				}
			}
		})
	}
}

func checkOverlay(t *testing.T, ov *engine.Overlay, keys []string, state map[string]string, r *rand.Rand) {
	t.Helper()
	for _, k := range keys {
		v, err := ov.Get([]byte(k))
		want, ok := state[k]
		switch {
		case !ok && !errors.Is(err, engine.ErrNotFound):
			t.Fatalf("Get %s = %q, %v; want not found", k, v, err)
		case ok && (err != nil || string(v) != want):
			t.Fatalf("Get %s = %q, %v; want %q", k, v, err, want)
		}
	}
	lo, hi := keys[r.IntN(len(keys))], keys[r.IntN(len(keys))]
	if lo > hi {
		lo, hi = hi, lo
	}
	var want []string
	for _, k := range slices.Sorted(maps.Keys(state)) {
		if k >= lo && k < hi {
			want = append(want, k+"="+state[k])
		}
	}
	it, err := ov.NewIter(engine.IterOptions{LowerBound: []byte(lo), UpperBound: []byte(hi)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("iterate [%s, %s) = %q, want %q", lo, hi, got, want)
	}
}

// TestOverlayIteratorSurvivesRollbackAndReset: an iterator keeps the view
// of its creation through later rollbacks and Reset.
func TestOverlayIteratorSurvivesRollbackAndReset(t *testing.T) {
	base := openBase(t, nil)
	ov := engine.NewOverlay(base)
	ov.Set([]byte("a"), []byte("1"))
	sp := ov.Savepoint()
	ov.Set([]byte("a"), []byte("2"))
	ov.Set([]byte("b"), []byte("3"))
	it, err := ov.NewIter(engine.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	ov.Rollback(sp)
	if v, _ := ov.Get([]byte("a")); string(v) != "1" {
		t.Fatalf("a after rollback = %q", v)
	}
	ov.Reset()
	ov.Set([]byte("a"), []byte("XX")) // must not overwrite what it sees
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	if want := []string{"a=2", "b=3"}; !slices.Equal(got, want) {
		t.Fatalf("iterator sees %q, want %q", got, want)
	}
	// Savepoints that are no longer open are ignored.
	ov.Rollback(sp)
	ov.Release(sp)
	if ov.Written(sp) != 0 {
		t.Fatal("Written of a closed savepoint")
	}
}

func BenchmarkOverlaySavepoint(b *testing.B) {
	eng, err := pebble.Open(engine.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	ov := engine.NewOverlay(eng)
	key, val := []byte("Mkey:000000"), []byte("value-0123456789")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sp := ov.Savepoint()
		key[len(key)-1] = byte('0' + i%10)
		ov.Set(key, val)
		ov.Release(sp)
		if i%100 == 99 {
			ov.Recycle()
		}
	}
}

func TestOverlayBuffered(t *testing.T) {
	o := engine.NewOverlay(openBase(t, []string{"a1"}))
	if o.Buffered([]byte("a")) || o.BufferedKey([]byte("a1")) {
		t.Fatal("empty overlay reports buffered writes")
	}
	o.Set([]byte("b2"), []byte("v"))
	o.Delete([]byte("a1"))
	for p, want := range map[string]bool{"a": true, "a1": true, "a10": false, "b": true, "b2": true, "b3": false, "c": false, "": true} {
		if got := o.Buffered([]byte(p)); got != want {
			t.Errorf("Buffered(%q) = %v, want %v", p, got, want)
		}
	}
	for k, want := range map[string]bool{"a": false, "a1": true, "b2": true, "b": false} {
		if got := o.BufferedKey([]byte(k)); got != want {
			t.Errorf("BufferedKey(%q) = %v, want %v", k, got, want)
		}
	}
}
