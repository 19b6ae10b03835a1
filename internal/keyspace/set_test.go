package keyspace

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestSetModel runs random set operations, including the multi-key ones
// and the STORE variants, against a map model and checks the invariants.
func TestSetModel(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(3, 4))
	model := map[string]map[string]bool{}
	keys := []string{"a", "b", "c", "d"}
	member := func() []byte { return []byte(fmt.Sprintf("m%d", rng.IntN(10))) }
	set := func(key string, ms map[string]bool) {
		if len(ms) == 0 {
			delete(model, key)
		} else {
			model[key] = ms
		}
	}
	for step := range 3000 {
		key := keys[rng.IntN(len(keys))]
		k := []byte(key)
		commit(t, ks, func(tx *Tx) {
			switch rng.IntN(6) {
			case 0, 1:
				ms := [][]byte{member(), member()}
				n := must[int64](t)(tx.SetAdd(0, k, ms, t0))
				cur := maps.Clone(model[key])
				if cur == nil {
					cur = map[string]bool{}
				}
				var want int64
				for _, m := range ms {
					if !cur[string(m)] {
						want++
						cur[string(m)] = true
					}
				}
				set(key, cur)
				if n != want {
					t.Fatalf("step %d: SetAdd = %d, want %d", step, n, want)
				}
			case 2:
				ms := [][]byte{member(), member()}
				n := must[int64](t)(tx.SetRem(0, k, ms, t0))
				cur := maps.Clone(model[key])
				var want int64
				for _, m := range ms {
					if cur[string(m)] {
						want++
						delete(cur, string(m))
					}
				}
				set(key, cur)
				if n != want {
					t.Fatalf("step %d: SetRem = %d, want %d", step, n, want)
				}
			case 3:
				dst := keys[rng.IntN(len(keys))]
				m := member()
				moved, _, err := tx.SetMove(0, k, []byte(dst), m, t0)
				if err != nil {
					t.Fatal(err)
				}
				want := model[key][string(m)]
				if moved != want {
					t.Fatalf("step %d: SetMove = %v, want %v", step, moved, want)
				}
				if moved && dst != key {
					src := maps.Clone(model[key])
					delete(src, string(m))
					set(key, src)
					d := maps.Clone(model[dst])
					if d == nil {
						d = map[string]bool{}
					}
					d[string(m)] = true
					set(dst, d)
				}
			case 4:
				op := SetOp(rng.IntN(3))
				srcs := []string{keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]}
				e := must[*Elems](t)(tx.SetCombine(0, op, [][]byte{[]byte(srcs[0]), []byte(srcs[1])}, t0, 0))
				want := map[string]bool{}
				for m := range model[srcs[0]] {
					in := model[srcs[1]][m]
					if op == SetUnion || (op == SetInter) == in {
						want[m] = true
					}
				}
				if op == SetUnion {
					for m := range model[srcs[1]] {
						want[m] = true
					}
				}
				got := map[string]bool{}
				for i := range e.Len() {
					if got[string(e.At(i))] {
						t.Fatalf("step %d: duplicate %q", step, e.At(i))
					}
					got[string(e.At(i))] = true
				}
				if !maps.Equal(got, want) {
					t.Fatalf("step %d: op %d of %v = %v, want %v", step, op, srcs, got, want)
				}
				must[int64](t)(tx.SetStore(0, k, e, t0))
				set(key, want)
			case 5:
				e := must[*Elems](t)(tx.SetPop(0, k, t0, func(n int) []int {
					if n == 0 {
						return nil
					}
					return []int{rng.IntN(n)}
				}))
				cur := maps.Clone(model[key])
				if e.Len() != min(1, len(cur)) || (e.Len() == 1 && !cur[string(e.At(0))]) {
					t.Fatalf("step %d: SetPop = %d members", step, e.Len())
				}
				if e.Len() == 1 {
					delete(cur, string(e.At(0)))
				}
				set(key, cur)
			}
		})
		if step%100 == 0 {
			checkInvariants(t, ks)
		}
	}
	read(t, ks, func(tx *Tx) {
		for _, key := range keys {
			e := must[*Elems](t)(tx.SetMembers(0, []byte(key), t0))
			got := map[string]bool{}
			for i := range e.Len() {
				got[string(e.At(i))] = true
			}
			if len(got)+len(model[key]) > 0 && !maps.Equal(got, model[key]) {
				t.Fatalf("%s: %v, want %v", key, got, model[key])
			}
		}
	})
	checkInvariants(t, ks)
}
