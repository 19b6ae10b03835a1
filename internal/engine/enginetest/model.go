package enginetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// model is the reference ordered map the randomized tests compare against.
type model map[string]string

func (m model) clone() model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// sortedIn returns the model's keys within [lower, upper), sorted.
func (m model) sortedIn(lower, upper []byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if lower != nil && k < string(lower) {
			continue
		}
		if upper != nil && k >= string(upper) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// modelKey draws a key of 1 to 3 bytes from a small binary alphabet
// (including 0x00 and 0xff) so that random operations collide often.
func modelKey(rng *rand.Rand) []byte {
	return randKey(rng, 1)
}

// seekKey is like modelKey but may also be empty; it is used for seeks,
// bounds and lookups.
func seekKey(rng *rand.Rand) []byte {
	return randKey(rng, 0)
}

func randKey(rng *rand.Rand, minLen int) []byte {
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	k := make([]byte, minLen+rng.IntN(4-minLen))
	for i := range k {
		k[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return k
}

func modelValue(rng *rand.Rand) []byte {
	v := make([]byte, rng.IntN(12))
	for i := range v {
		v[i] = byte(rng.IntN(256))
	}
	return v
}

// modelBound returns nil (unbounded) or a random key.
func modelBound(rng *rand.Rand) []byte {
	if rng.IntN(3) == 0 {
		return nil
	}
	return seekKey(rng)
}

// checkGet compares r.Get(key) with the model.
func checkGet(t testing.TB, r engine.Reader, m model, key []byte) {
	t.Helper()
	got, err := r.Get(key)
	want, ok := m[string(key)]
	switch {
	case !ok && !errors.Is(err, engine.ErrNotFound):
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	case ok && err != nil:
		t.Fatalf("Get(%q): %v; want %q", key, err, want)
	case ok && string(got) != want:
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
}

// checkScan compares full forward and backward iteration within bounds.
func checkScan(t testing.TB, r engine.Reader, m model, lower, upper []byte) {
	t.Helper()
	keys := m.sortedIn(lower, upper)
	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = k + "=" + m[k]
	}
	if got := scan(t, r, lower, upper); !equalStrings(got, want) {
		t.Fatalf("scan [%q,%q):\n got %q\nwant %q", lower, upper, got, want)
	}
	if got := scanReverse(t, r, lower, upper); !equalStrings(got, reversed(want)) {
		t.Fatalf("reverse scan [%q,%q):\n got %q\nwant %q", lower, upper, got, reversed(want))
	}
}

// checkWalk moves an iterator at random (seeks, First/Last, Next/Prev with
// direction changes) and compares every position with the model.
func checkWalk(t testing.TB, r engine.Reader, m model, rng *rand.Rand, lower, upper []byte, steps int) {
	t.Helper()
	it := newIter(t, r, lower, upper)
	defer closeIter(t, it)
	keys := m.sortedIn(lower, upper)
	pos := -1 // index into keys; -1 or len(keys) = not positioned
	valid := false
	var trace []string
	for step := range steps {
		var ok bool
		var op string
		switch n := rng.IntN(10); {
		case n == 0:
			op, ok = "First", it.First()
			pos, valid = 0, len(keys) > 0
		case n == 1:
			op, ok = "Last", it.Last()
			pos, valid = len(keys)-1, len(keys) > 0
		case n == 2:
			k := seekKey(rng)
			op, ok = fmt.Sprintf("SeekGE(%q)", k), it.SeekGE(k)
			pos, _ = slices.BinarySearch(keys, string(k))
			valid = pos < len(keys)
		case n == 3:
			k := seekKey(rng)
			op, ok = fmt.Sprintf("SeekLT(%q)", k), it.SeekLT(k)
			i, _ := slices.BinarySearch(keys, string(k))
			pos, valid = i-1, i > 0
		case n < 7:
			op, ok = "Next", it.Next()
			if valid {
				pos++
				valid = pos < len(keys)
			}
		default:
			op, ok = "Prev", it.Prev()
			if valid {
				pos--
				valid = pos >= 0
			}
		}
		trace = append(trace, op)
		if ok != valid || it.Valid() != valid {
			t.Fatalf("walk [%q,%q) step %d: %s returned %v (Valid %v), want %v; trace %v", lower, upper, step, op, ok, it.Valid(), valid, trace)
		}
		if !valid {
			continue
		}
		if string(it.Key()) != keys[pos] || string(it.Value()) != m[keys[pos]] {
			t.Fatalf("walk [%q,%q) step %d: %s at %q=%q, want %q=%q; trace %v", lower, upper, step, op, it.Key(), it.Value(), keys[pos], m[keys[pos]], trace)
		}
	}
	if err := it.Error(); err != nil {
		t.Fatalf("walk: %v", err)
	}
}

// checkAll runs Get on every key of the alphabet up to length 2 plus the
// model's keys, a full scan, a few bounded scans and walks.
func checkAll(t testing.TB, r engine.Reader, m model, rng *rand.Rand) {
	t.Helper()
	for k := range m {
		checkGet(t, r, m, []byte(k))
	}
	for range 20 {
		checkGet(t, r, m, seekKey(rng))
	}
	checkScan(t, r, m, nil, nil)
	for range 3 {
		checkScan(t, r, m, modelBound(rng), modelBound(rng))
	}
	for range 3 {
		checkWalk(t, r, m, rng, modelBound(rng), modelBound(rng), 40)
	}
}

type modelSnapshot struct {
	s engine.Snapshot
	m model
}

// testModel applies random batches to the engine and a model and compares
// them: point reads, full and bounded scans both ways, random walks, and
// snapshots taken along the way.
func testModel(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x6b697769))
			e := open(t)
			m := model{}
			var snaps []modelSnapshot
			defer func() {
				for _, s := range snaps {
					s.s.Close()
				}
			}()
			for step := range 400 {
				switch n := rng.IntN(100); {
				case n < 60:
					b := e.NewBatch()
					pending := model{}
					var deleted []string
					for range 1 + rng.IntN(8) {
						k := modelKey(rng)
						if rng.IntN(3) == 0 {
							b.Delete(k)
							delete(pending, string(k))
							deleted = append(deleted, string(k))
						} else {
							v := modelValue(rng)
							b.Set(k, v)
							pending[string(k)] = string(v)
							deleted = slices.DeleteFunc(deleted, func(d string) bool { return d == string(k) })
						}
					}
					if rng.IntN(5) == 0 {
						// Discarded: nothing may change.
						if err := b.Close(); err != nil {
							t.Fatal(err)
						}
						for k := range pending {
							checkGet(t, e, m, []byte(k))
						}
						for _, k := range deleted {
							checkGet(t, e, m, []byte(k))
						}
						continue
					}
					if err := b.Commit(rng.IntN(10) == 0); err != nil {
						t.Fatalf("step %d: Commit: %v", step, err)
					}
					for _, k := range deleted {
						delete(m, k)
					}
					for k, v := range pending {
						m[k] = v
					}
				case n < 62:
					if err := e.Flush(); err != nil {
						t.Fatalf("step %d: Flush: %v", step, err)
					}
				case n < 72:
					for range 5 {
						checkGet(t, e, m, seekKey(rng))
					}
				case n < 76:
					if len(snaps) >= 3 {
						s := snaps[0]
						checkAll(t, s.s, s.m, rng)
						if err := s.s.Close(); err != nil {
							t.Fatal(err)
						}
						snaps = snaps[1:]
					}
					s, err := e.NewSnapshot()
					if err != nil {
						t.Fatal(err)
					}
					snaps = append(snaps, modelSnapshot{s: s, m: m.clone()})
				case n < 90:
					checkWalk(t, e, m, rng, modelBound(rng), modelBound(rng), 30)
				default:
					checkScan(t, e, m, modelBound(rng), modelBound(rng))
				}
			}
			checkAll(t, e, m, rng)
			for _, s := range snaps {
				checkAll(t, s.s, s.m, rng)
			}
		})
	}
}

// testOverlayMergeModel stacks depth overlays over a populated engine, fills
// each with random writes that mostly hit keys of the layers below
// (overwrites and deletions that shadow them) and compares Get, scans and
// random walks with a model, then applies the overlays down into a batch and
// checks the engine alone.
func testOverlayMergeModel(t *testing.T, open func(t *testing.T) engine.Engine, depth int) {
	for _, seed := range []uint64{3, 4, 5} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(depth)))
			e := openClosing(t, open)
			m := model{}
			b := e.NewBatch()
			for range 60 {
				k, v := modelKey(rng), modelValue(rng)
				b.Set(k, v)
				m[string(k)] = string(v)
			}
			if err := b.Commit(false); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 {
				if err := e.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			var r engine.Reader = e
			layers := make([]*engine.Overlay, depth)
			for d := range depth {
				o := engine.NewOverlay(r)
				for range 40 {
					var k []byte
					if len(m) > 0 && rng.IntN(3) != 0 {
						keys := m.sortedIn(nil, nil)
						k = []byte(keys[rng.IntN(len(keys))])
					} else {
						k = modelKey(rng)
					}
					if rng.IntN(2) == 0 {
						o.Delete(k)
						delete(m, string(k))
					} else {
						v := modelValue(rng)
						o.Set(k, v)
						m[string(k)] = string(v)
					}
				}
				layers[d] = o
				r = o
			}
			for range 3 {
				checkAll(t, r, m, rng)
			}
			for range 10 {
				checkWalk(t, r, m, rng, modelBound(rng), modelBound(rng), 60)
			}
			// Apply the layers down, bottom first, in one batch.
			b = e.NewBatch()
			for _, o := range layers {
				o.ApplyTo(b)
			}
			if err := b.Commit(false); err != nil {
				t.Fatal(err)
			}
			checkAll(t, e, m, rng)
		})
	}
}
