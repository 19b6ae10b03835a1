package keyspace

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHashModel runs random hash operations against a map model, checking
// every reply and the store's invariants (element counts, garbage, counters).
func TestHashModel(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]map[string]string{}
	keys := []string{"a", "b", "c"}
	field := func() []byte { return []byte(fmt.Sprintf("f%d", rng.IntN(12))) }
	for step := range 2000 {
		key := keys[rng.IntN(len(keys))]
		k := []byte(key)
		commit(t, ks, func(tx *Tx) {
			switch rng.IntN(4) {
			case 0, 1:
				var pairs [][]byte
				for range 1 + rng.IntN(3) {
					pairs = append(pairs, field(), []byte(fmt.Sprint(step)))
				}
				added := must[int64](t)(tx.HashSet(0, k, pairs, t0))
				m := model[key]
				if m == nil {
					m = map[string]string{}
					model[key] = m
				}
				var want int64
				for i := 0; i < len(pairs); i += 2 {
					if _, ok := m[string(pairs[i])]; !ok {
						want++
					}
					m[string(pairs[i])] = string(pairs[i+1])
				}
				if added != want {
					t.Fatalf("step %d: HashSet added %d, want %d", step, added, want)
				}
			case 2:
				fs := [][]byte{field(), field()}
				n := must[int64](t)(tx.HashDel(0, k, fs, t0))
				var want int64
				for _, f := range fs {
					if _, ok := model[key][string(f)]; ok {
						delete(model[key], string(f))
						want++
					}
				}
				if len(model[key]) == 0 {
					delete(model, key)
				}
				if n != want {
					t.Fatalf("step %d: HashDel = %d, want %d", step, n, want)
				}
			case 3:
				if rng.IntN(10) == 0 {
					must[bool](t)(tx.Delete(0, k, t0))
					delete(model, key)
				}
			}
		})
		if step%100 == 0 {
			checkInvariants(t, ks)
		}
	}
	read(t, ks, func(tx *Tx) {
		for _, key := range keys {
			e := must[*Elems](t)(tx.HashGetAll(0, []byte(key), t0))
			got := map[string]string{}
			for i := 0; i < e.Len(); i += 2 {
				got[string(e.At(i))] = string(e.At(i + 1))
			}
			if !maps.Equal(got, model[key]) && len(got)+len(model[key]) > 0 {
				t.Fatalf("%s: %v, want %v", key, got, model[key])
			}
			if n := must[int64](t)(tx.HashLen(0, []byte(key), t0)); n != int64(len(model[key])) {
				t.Fatalf("%s: HashLen %d, want %d", key, n, len(model[key]))
			}
			fields := slices.Sorted(maps.Keys(model[key]))
			if len(fields) == 0 {
				continue
			}
			vals := must[[][]byte](t)(tx.HashMGet(0, []byte(key), [][]byte{[]byte(fields[0]), []byte("nofield")}, t0))
			if string(vals[0]) != model[key][fields[0]] || vals[1] != nil {
				t.Fatalf("%s: HashMGet = %q", key, vals)
			}
		}
	})
	checkInvariants(t, ks)
}

// TestHashScanLarge scans a hash of many fields in small steps while it
// changes, and checks that every field present throughout is returned
// exactly once.
func TestHashScanLarge(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("big")
	const n = 5000
	commit(t, ks, func(tx *Tx) {
		var pairs [][]byte
		for i := range n {
			pairs = append(pairs, []byte(fmt.Sprintf("f%05d", i)), []byte("v"))
		}
		must[int64](t)(tx.HashSet(0, k, pairs, t0))
	})
	seen := map[string]int{}
	var cursor uint64
	for round := 0; ; round++ {
		var e *Elems
		read(t, ks, func(tx *Tx) {
			var err error
			cursor, e, err = tx.HashScan(0, k, t0, cursor, 97, nil)
			noErr(t, err)
		})
		for i := 0; i < e.Len(); i += 2 {
			seen[string(e.At(i))]++
		}
		// Churn: add new fields (above the untouched range) between calls.
		commit(t, ks, func(tx *Tx) {
			must[int64](t)(tx.HashSet(0, k, [][]byte{[]byte(fmt.Sprintf("z%d", round)), []byte("x")}, t0))
		})
		if cursor == 0 {
			break
		}
		if round > n {
			t.Fatal("scan does not end")
		}
	}
	for i := range n {
		if f := fmt.Sprintf("f%05d", i); seen[f] != 1 {
			t.Fatalf("%s seen %d times", f, seen[f])
		}
	}
	// DEL is O(1): the fields become garbage and the sweep removes them.
	commit(t, ks, func(tx *Tx) { must[bool](t)(tx.Delete(0, k, t0)) })
	checkInvariants(t, ks)
	for {
		var more bool
		commit(t, ks, func(tx *Tx) {
			var err error
			_, more, err = tx.SweepGarbage(1000)
			noErr(t, err)
		})
		if !more {
			break
		}
	}
	if c := countRange(t, ks.eng, []byte{kindData}); c != 0 {
		t.Fatalf("%d data records left after the sweep", c)
	}
}
