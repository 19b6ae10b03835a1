package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// checkLists checks the list layout on top of checkInvariants: the data
// records of every list are exactly the sequences ListHead..ListHead+Len-1.
func checkLists(t testing.TB, ks *Keyspace) {
	t.Helper()
	it, err := ks.eng.NewIter(engine.IterOptions{LowerBound: []byte{kindMeta}, UpperBound: []byte{kindMeta + 1}})
	noErr(t, err)
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		m, err := decodeMeta(bytes.Clone(it.Value()))
		noErr(t, err)
		if m.Type != TypeList {
			continue
		}
		if m.ListHead > math.MaxUint64-uint64(m.Len) {
			t.Errorf("list %q: head %d + len %d overflows", it.Key()[2:], m.ListHead, m.Len)
		}
		seq := m.ListHead
		p := dataPrefix(m.Version)
		dit, err := ks.eng.NewIter(engine.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		noErr(t, err)
		for ok := dit.First(); ok; ok = dit.Next() {
			k := dit.Key()
			if len(k) != dataPrefixLen+8 || binary.BigEndian.Uint64(k[dataPrefixLen:]) != seq {
				t.Errorf("list %q: record %q, want sequence %d", it.Key()[2:], k, seq)
				break
			}
			seq++
		}
		noErr(t, dit.Close())
		if seq != m.ListHead+uint64(m.Len) {
			t.Errorf("list %q: records end at %d, want %d", it.Key()[2:], seq, m.ListHead+uint64(m.Len))
		}
	}
}

// listModel is the reference for TestListModel: Redis semantics on slices.
type listModel map[string][]string

func (lm listModel) set(key string, l []string) {
	if len(l) == 0 {
		delete(lm, key)
	} else {
		lm[key] = l
	}
}

// modelRange is LRANGE's index arithmetic on a list of n elements.
func modelRange(start, stop int64, n int) (int, int) {
	from, to := listRange(start, stop, int64(n))
	return int(from), int(to)
}

func elemsStrings(e *Elems) []string {
	out := []string{}
	for i := range e.Len() {
		out = append(out, string(e.At(i)))
	}
	return out
}

// TestListModel runs random list operations against a slice model, several
// commands per commit group (so scans see the group's uncommitted writes),
// checking every reply, the list contents, and the store's invariants.
func TestListModel(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(3, 4))
	model := listModel{}
	keys := []string{"a", "b", "c"}
	val := func() string { return fmt.Sprintf("v%d", rng.IntN(6)) }
	idx := func(n int) int64 { return int64(rng.IntN(2*n+6) - n - 3) }
	for step := range 3000 {
		g := ks.BeginGroup()
		for range 1 + rng.IntN(4) {
			c := g.Begin()
			listModelOp(t, c, rng, model, keys, val, idx, step)
			c.Merge()
		}
		noErr(t, g.Commit(false))
		if step%100 == 0 {
			checkInvariants(t, ks)
			checkLists(t, ks)
		}
	}
	checkInvariants(t, ks)
	checkLists(t, ks)
	read(t, ks, func(tx *Tx) {
		for _, key := range keys {
			got := elemsStrings(must[*Elems](t)(tx.ListRange(0, []byte(key), 0, -1, t0)))
			if !slices.Equal(got, model[key]) && len(got)+len(model[key]) > 0 {
				t.Fatalf("%s: %q, want %q", key, got, model[key])
			}
		}
	})
}

func listModelOp(t *testing.T, tx *Tx, rng *rand.Rand, model listModel, keys []string,
	val func() string, idx func(n int) int64, step int) {
	key := keys[rng.IntN(len(keys))]
	k := []byte(key)
	l := model[key]
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d, key %s %q: %s", step, key, l, fmt.Sprintf(format, args...))
	}
	switch op := rng.IntN(14); op {
	case 0, 1, 2: // LPUSH, RPUSH, LPUSHX, RPUSHX
		left, create := op != 1, op != 2 || rng.IntN(2) == 0
		var elems [][]byte
		var strs []string
		for range 1 + rng.IntN(4) {
			v := val()
			elems = append(elems, []byte(v))
			strs = append(strs, v)
		}
		n := must[int64](t)(tx.ListPush(0, k, elems, left, create, t0))
		if len(l) > 0 || create {
			if left {
				slices.Reverse(strs)
				l = append(strs, l...)
			} else {
				l = append(slices.Clone(l), strs...)
			}
		}
		if n != int64(len(l)) {
			fail("push returned %d, want %d", n, len(l))
		}
		model.set(key, l)
	case 3, 4: // LPOP, RPOP
		count := int64(rng.IntN(4))
		left := op == 3
		e, found := mustPair[*Elems, bool](t)(tx.ListPop(0, k, left, count, t0))
		if found != (len(l) > 0) {
			fail("pop found %v", found)
		}
		n := min(int(count), len(l))
		var want []string
		if left {
			want, l = slices.Clone(l[:n]), l[n:]
		} else {
			want = slices.Clone(l[len(l)-n:])
			slices.Reverse(want)
			l = l[:len(l)-n]
		}
		if got := elemsStrings(e); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			fail("pop %d = %q, want %q", count, got, want)
		}
		model.set(key, l)
	case 5: // LSET
		i := idx(len(l))
		v := val()
		err := tx.ListSet(0, k, i, []byte(v), t0)
		j, ok := listIndex(i, int64(len(l)))
		switch {
		case len(l) == 0:
			if err != ErrNoSuchKey {
				fail("LSET on a missing key: %v", err)
			}
		case !ok:
			if err != ErrIndexOutOfRange {
				fail("LSET %d: %v", i, err)
			}
		default:
			noErr(t, err)
			l = slices.Clone(l)
			l[j] = v
			model.set(key, l)
		}
	case 6, 7: // LINSERT
		pivot, v := val(), val()
		after := op == 7
		n := must[int64](t)(tx.ListInsert(0, k, after, []byte(pivot), []byte(v), t0))
		p := slices.Index(l, pivot)
		switch {
		case len(l) == 0:
			if n != 0 {
				fail("LINSERT on a missing key = %d", n)
			}
		case p < 0:
			if n != -1 {
				fail("LINSERT without pivot = %d", n)
			}
		default:
			if after {
				p++
			}
			l = slices.Insert(slices.Clone(l), p, v)
			if n != int64(len(l)) {
				fail("LINSERT = %d, want %d", n, len(l))
			}
			model.set(key, l)
		}
	case 8: // LREM
		count := int64(rng.IntN(7) - 3)
		v := val()
		n := must[int64](t)(tx.ListRem(0, k, count, []byte(v), t0))
		var keep []string
		removed := int64(0)
		limit := count
		if limit < 0 {
			limit = -limit
		}
		order := slices.Clone(l)
		if count < 0 {
			slices.Reverse(order)
		}
		for _, e := range order {
			if e == v && (limit == 0 || removed < limit) {
				removed++
				continue
			}
			keep = append(keep, e)
		}
		if count < 0 {
			slices.Reverse(keep)
		}
		if n != removed {
			fail("LREM %d %s = %d, want %d", count, v, n, removed)
		}
		model.set(key, keep)
	case 9: // LTRIM
		start, stop := idx(len(l)), idx(len(l))
		noErr(t, tx.ListTrim(0, k, start, stop, t0))
		from, to := modelRange(start, stop, len(l))
		model.set(key, slices.Clone(l[from:to]))
	case 10, 11: // LMOVE, RPOPLPUSH, including rotations
		dkey := keys[rng.IntN(len(keys))]
		srcLeft, dstLeft := rng.IntN(2) == 0, rng.IntN(2) == 0
		v, ok := mustPair[[]byte, bool](t)(tx.ListMove(0, k, []byte(dkey), srcLeft, dstLeft, t0))
		if ok != (len(l) > 0) {
			fail("LMOVE ok %v", ok)
		}
		if !ok {
			break
		}
		var want string
		if srcLeft {
			want, l = l[0], slices.Clone(l[1:])
		} else {
			want, l = l[len(l)-1], slices.Clone(l[:len(l)-1])
		}
		model.set(key, l)
		d := model[dkey]
		if dstLeft {
			d = append([]string{want}, d...)
		} else {
			d = append(slices.Clone(d), want)
		}
		model.set(dkey, d)
		if string(v) != want {
			fail("LMOVE = %q, want %q", v, want)
		}
	case 12: // LINDEX, LRANGE, LLEN, LPOS (through the write transaction)
		i := idx(len(l))
		v, ok := mustPair[[]byte, bool](t)(tx.ListIndex(0, k, i, t0))
		j, inRange := listIndex(i, int64(len(l)))
		if ok != inRange || ok && string(v) != l[j] {
			fail("LINDEX %d = %q %v", i, v, ok)
		}
		start, stop := idx(len(l)), idx(len(l))
		from, to := modelRange(start, stop, len(l))
		if got := elemsStrings(must[*Elems](t)(tx.ListRange(0, k, start, stop, t0))); !slices.Equal(got, l[from:to]) && to > from {
			fail("LRANGE %d %d = %q", start, stop, got)
		}
		if n := must[int64](t)(tx.ListLen(0, k, t0)); n != int64(len(l)) {
			fail("LLEN = %d", n)
		}
		rank := int64(rng.IntN(5) - 2)
		if rank == 0 {
			rank = 1
		}
		count, maxlen := int64(rng.IntN(3)), int64(rng.IntN(len(l)+2))
		v2 := val()
		got := must[[]int64](t)(tx.ListPos(0, k, []byte(v2), rank, count, maxlen, t0))
		if want := modelPos(l, v2, rank, count, maxlen); !slices.Equal(got, want) {
			fail("LPOS %s RANK %d COUNT %d MAXLEN %d = %v, want %v", v2, rank, count, maxlen, got, want)
		}
	case 13:
		if rng.IntN(5) == 0 {
			must[bool](t)(tx.Delete(0, k, t0))
			delete(model, key)
		}
	}
}

// modelPos is LPOS on a slice.
func modelPos(l []string, v string, rank, count, maxlen int64) []int64 {
	var out []int64
	matches := int64(0)
	n := int64(len(l))
	if maxlen > 0 && maxlen < n {
		n = maxlen
	}
	for k := range n {
		i := k
		if rank < 0 {
			i = int64(len(l)) - 1 - k
		}
		if l[i] != v {
			continue
		}
		matches++
		if matches >= max(rank, -rank) {
			out = append(out, i)
			if count != 0 && int64(len(out)) >= count {
				break
			}
		}
	}
	return out
}

// mustPair is must for functions returning two values and an error.
func mustPair[A, B any](t testing.TB) func(a A, b B, err error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		noErr(t, err)
		return a, b
	}
}

// TestListLarge checks that the operations on one end or one range of a
// large list touch only those elements: LINDEX is point reads, LRANGE
// iterates exactly the range, LTRIM deletes without reading, pops read
// what they return.
func TestListLarge(t *testing.T) {
	moves := &iterMoves{}
	ks := openKS(t, movesEngine{newTestEngine(t), moves})
	k := []byte("big")
	const n = 100_000
	for b := 0; b < n; b += 10_000 {
		commit(t, ks, func(tx *Tx) {
			var elems [][]byte
			for i := b; i < b+10_000; i++ {
				elems = append(elems, fmt.Appendf(nil, "e%06d", i))
			}
			must[int64](t)(tx.ListPush(0, k, elems, false, true, t0))
		})
	}
	bounded := func(what string, limit int, fn func(tx *Tx)) {
		t.Helper()
		*moves = iterMoves{}
		read(t, ks, fn)
		if moves.next+moves.backward > limit {
			t.Fatalf("%s: %d iterator moves", what, moves.next+moves.backward)
		}
	}
	for _, i := range []int64{0, n / 2, n - 1, -1, -n} {
		bounded(fmt.Sprint("LINDEX ", i), 0, func(tx *Tx) {
			v, ok := mustPair[[]byte, bool](t)(tx.ListIndex(0, k, i, t0))
			j, _ := listIndex(i, n)
			if want := fmt.Sprintf("e%06d", j); !ok || string(v) != want {
				t.Fatalf("LINDEX %d = %q %v, want %s", i, v, ok, want)
			}
		})
	}
	for _, r := range [][2]int64{{0, 9}, {n/2 - 5, n/2 + 4}, {-10, -1}} {
		bounded(fmt.Sprint("LRANGE ", r), 10, func(tx *Tx) {
			e := must[*Elems](t)(tx.ListRange(0, k, r[0], r[1], t0))
			from, _ := listRange(r[0], r[1], n)
			if e.Len() != 10 || string(e.At(0)) != fmt.Sprintf("e%06d", from) {
				t.Fatalf("LRANGE %v = %d elements from %q", r, e.Len(), e.At(0))
			}
		})
	}
	bounded("LPOS with MAXLEN", 100, func(tx *Tx) {
		got := must[[]int64](t)(tx.ListPos(0, k, []byte("e099990"), -1, 1, 100, t0))
		if !slices.Equal(got, []int64{99990}) {
			t.Fatalf("LPOS = %v", got)
		}
	})
	// LTRIM 1000 elements off each end: point deletions, no reads.
	*moves = iterMoves{}
	commit(t, ks, func(tx *Tx) { noErr(t, tx.ListTrim(0, k, 1000, -1001, t0)) })
	if moves.next+moves.backward != 0 {
		t.Fatalf("LTRIM: %d iterator moves", moves.next+moves.backward)
	}
	*moves = iterMoves{}
	commit(t, ks, func(tx *Tx) {
		e, _ := mustPair[*Elems, bool](t)(tx.ListPop(0, k, true, 3, t0))
		if got := elemsStrings(e); !slices.Equal(got, []string{"e001000", "e001001", "e001002"}) {
			t.Fatalf("LPOP 3 = %q", got)
		}
		e, _ = mustPair[*Elems, bool](t)(tx.ListPop(0, k, false, 2, t0))
		if got := elemsStrings(e); !slices.Equal(got, []string{"e098999", "e098998"}) {
			t.Fatalf("RPOP 2 = %q", got)
		}
		// LINSERT near an end shifts the few elements on that side.
		if n := must[int64](t)(tx.ListInsert(0, k, true, []byte("e001004"), []byte("x"), t0)); n != 100_000-2000-5+1 {
			t.Fatalf("LINSERT = %d", n)
		}
	})
	if moves.next+moves.backward > 20 {
		t.Fatalf("pops and LINSERT: %d iterator moves", moves.next+moves.backward)
	}
	read(t, ks, func(tx *Tx) {
		e := must[*Elems](t)(tx.ListRange(0, k, 0, 3, t0))
		if got := elemsStrings(e); !slices.Equal(got, []string{"e001003", "e001004", "x", "e001005"}) {
			t.Fatalf("head after LINSERT: %q", got)
		}
		if n := must[int64](t)(tx.ListLen(0, k, t0)); n != 100_000-2000-5+1 {
			t.Fatalf("LLEN = %d", n)
		}
	})
	checkInvariants(t, ks)
	checkLists(t, ks)
}

// putRawList stores a list directly at the given head (to test the ends of
// the sequence space).
func putRawList(tx *Tx, key []byte, head uint64, elems ...string) {
	m := Meta{Type: TypeList, Version: tx.nextVersion(), ListHead: head, Len: int64(len(elems))}
	for i, e := range elems {
		tx.listPut(&m, int64(i), []byte(e))
	}
	tx.putMeta(0, key, nil, &m)
}

// TestListRenumber: pushes and inserts that would run off either end of the
// sequence space renumber the list under a new version.
func TestListRenumber(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		putRawList(tx, []byte("low"), 1, "a", "b")
		putRawList(tx, []byte("high"), math.MaxUint64-3, "a", "b")
		putRawList(tx, []byte("ins-low"), 0, "a", "b", "c")
		putRawList(tx, []byte("ins-high"), math.MaxUint64-3, "a", "b", "c")
		putRawList(tx, []byte("edge"), math.MaxUint64-3, "a", "b")
	})
	checkInvariants(t, ks)
	checkLists(t, ks)
	commit(t, ks, func(tx *Tx) {
		must[int64](t)(tx.ListPush(0, []byte("low"), [][]byte{[]byte("x")}, true, false, t0))              // fits at 0
		must[int64](t)(tx.ListPush(0, []byte("low"), [][]byte{[]byte("y"), []byte("z")}, true, false, t0)) // renumbers
		must[int64](t)(tx.ListPush(0, []byte("high"), [][]byte{[]byte("x")}, false, false, t0))            // fits: last seq MaxUint64-1
		must[int64](t)(tx.ListPush(0, []byte("high"), [][]byte{[]byte("y")}, false, false, t0))            // renumbers
		must[int64](t)(tx.ListInsert(0, []byte("ins-low"), false, []byte("a"), []byte("x"), t0))
		must[int64](t)(tx.ListInsert(0, []byte("ins-high"), true, []byte("c"), []byte("x"), t0))
		must[int64](t)(tx.ListPush(0, []byte("edge"), [][]byte{[]byte("x")}, false, false, t0))
		v, _ := mustPair[[]byte, bool](t)(tx.ListMove(0, []byte("edge"), []byte("edge"), true, false, t0)) // rotation at the end
		if string(v) != "a" {
			t.Fatalf("LMOVE = %q", v)
		}
	})
	checkInvariants(t, ks)
	checkLists(t, ks)
	read(t, ks, func(tx *Tx) {
		for key, want := range map[string][]string{
			"low":      {"z", "y", "x", "a", "b"},
			"high":     {"a", "b", "x", "y"},
			"ins-low":  {"x", "a", "b", "c"},
			"ins-high": {"a", "b", "c", "x"},
			"edge":     {"b", "x", "a"},
		} {
			got := elemsStrings(must[*Elems](t)(tx.ListRange(0, []byte(key), 0, -1, t0)))
			if !slices.Equal(got, want) {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
			m, _ := mustPair[Meta, bool](t)(tx.getList(0, []byte(key), t0))
			if m.ListHead < 1<<62 || m.ListHead > 3<<62 {
				t.Errorf("%s: head %d not renumbered", key, m.ListHead)
			}
		}
	})
	// The old versions went to the sweep.
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
	checkInvariants(t, ks)
	checkLists(t, ks)
	if c := countRange(t, ks.eng, []byte{kindGarbage}); c != 0 {
		t.Fatalf("%d garbage markers left", c)
	}
}

// TestListMoveChecksDestination: LMOVE to a key of another type fails
// before popping anything; a missing source never touches the destination.
func TestListMoveChecksDestination(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		must[int64](t)(tx.ListPush(0, []byte("l"), [][]byte{[]byte("a")}, false, true, t0))
		must[SetResult](t)(tx.SetString(0, []byte("s"), []byte("v"), t0, SetOptions{}))
	})
	commit(t, ks, func(tx *Tx) {
		if _, _, err := tx.ListMove(0, []byte("l"), []byte("s"), true, true, t0); err != ErrWrongType {
			t.Fatalf("LMOVE to a string: %v", err)
		}
		if n := tx.Pending(); n != 0 {
			t.Fatalf("LMOVE to a string wrote %d keys", n)
		}
		if _, ok := mustPair[[]byte, bool](t)(tx.ListMove(0, []byte("nokey"), []byte("s"), true, true, t0)); ok {
			t.Fatal("LMOVE from a missing key moved something")
		}
	})
	read(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.ListLen(0, []byte("l"), t0)); n != 1 {
			t.Fatalf("LLEN = %d", n)
		}
	})
	checkInvariants(t, ks)
}

// TestListPopAllLeavesRecordsToSweep: emptying a list by LPOP count or
// LTRIM removes the key in O(1) writes; the sweep deletes the records.
func TestListPopAllLeavesRecordsToSweep(t *testing.T) {
	ks := newTestKS(t)
	var elems [][]byte
	for i := range 1000 {
		elems = append(elems, fmt.Appendf(nil, "%d", i))
	}
	commit(t, ks, func(tx *Tx) {
		must[int64](t)(tx.ListPush(0, []byte("a"), elems, false, true, t0))
		must[int64](t)(tx.ListPush(0, []byte("b"), elems, false, true, t0))
	})
	g := ks.BeginGroup()
	c := g.Begin()
	e, _ := mustPair[*Elems, bool](t)(c.ListPop(0, []byte("a"), true, 5000, t0))
	noErr(t, c.ListTrim(0, []byte("b"), 1, 0, t0))
	c.Merge()
	if e.Len() != 1000 {
		t.Fatalf("popped %d", e.Len())
	}
	// Per key: meta record and garbage marker.
	if n := g.Pending(); n > 4 {
		t.Fatalf("emptying two lists wrote %d records", n)
	}
	noErr(t, g.Commit(false))
	checkInvariants(t, ks)
	commit(t, ks, func(tx *Tx) {
		removed, more, err := tx.SweepGarbage(10_000)
		noErr(t, err)
		if more || removed != 2000+2 {
			t.Fatalf("SweepGarbage = %d %v", removed, more)
		}
	})
}

// TestListCorrupt: a list whose records do not match its meta record is
// reported as ErrCorrupt, never answered with wrong elements.
func TestListCorrupt(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("l")
	commit(t, ks, func(tx *Tx) {
		putRawList(tx, k, listStartHead, "a", "b", "c", "d")
		m, _ := mustPair[Meta, bool](t)(tx.listForWrite(0, k, t0))
		tx.listDel(&m, 2) // a hole
	})
	read(t, ks, func(tx *Tx) {
		if _, err := tx.ListRange(0, k, 0, -1, t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LRANGE over a hole: %v", err)
		}
		if _, err := tx.ListRange(0, k, 2, -1, t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LRANGE from the hole: %v", err)
		}
		if _, err := tx.ListRange(0, k, 1, 2, t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LRANGE up to the hole: %v", err)
		}
		if _, err := tx.ListPos(0, k, []byte("d"), -1, 0, 0, t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LPOS from the tail over the hole: %v", err)
		}
		if _, _, err := tx.ListIndex(0, k, 2, t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LINDEX of the hole: %v", err)
		}
		if e, err := tx.ListRange(0, k, 0, 1, t0); err != nil || e.Len() != 2 {
			t.Errorf("LRANGE before the hole: %v", err)
		}
	})
	commit(t, ks, func(tx *Tx) {
		m, _ := mustPair[Meta, bool](t)(tx.listForWrite(0, k, t0))
		tx.listPut(&m, 2, []byte("c"))
		tx.listPut(&m, 4, []byte("extra")) // a record past the tail
	})
	read(t, ks, func(tx *Tx) {
		if _, err := tx.ListRange(0, k, 0, -1, t0); err != nil {
			t.Errorf("LRANGE ignores records outside the list: %v", err)
		}
	})
	// A meta record whose range runs off the sequence space.
	commit(t, ks, func(tx *Tx) {
		m := Meta{Type: TypeList, Version: tx.nextVersion(), ListHead: math.MaxUint64 - 1, Len: 2}
		tx.putMeta(0, []byte("bad"), nil, &m)
	})
	read(t, ks, func(tx *Tx) {
		if _, err := tx.ListLen(0, []byte("bad"), t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LLEN of a list off the sequence space: %v", err)
		}
	})
}

// TestListWritesRemoveExpired: list writes meeting an expired list remove
// it, also when the command then fails (LSET: no such key) and is
// discarded; a missing source of LMOVE does not touch the destination.
func TestListWritesRemoveExpired(t *testing.T) {
	ks := newTestKS(t)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		commit(t, ks, func(tx *Tx) {
			must[int64](t)(tx.ListPush(0, []byte(name), [][]byte{[]byte("x"), []byte("y")}, false, true, t0))
			must[bool](t)(tx.Expire(0, []byte(name), t0+10, t0, 0))
		})
	}
	later := t0 + 20
	g := ks.BeginGroup()
	c := g.Begin()
	if n := must[int64](t)(c.ListPush(0, []byte("a"), [][]byte{[]byte("z")}, true, false, later)); n != 0 {
		t.Fatalf("LPUSHX on an expired list = %d", n)
	}
	c.Merge()
	c = g.Begin()
	if err := c.ListSet(0, []byte("b"), 0, []byte("z"), later); err != ErrNoSuchKey {
		t.Fatalf("LSET on an expired list: %v", err)
	}
	c.Discard()
	c = g.Begin()
	if _, ok := mustPair[[]byte, bool](t)(c.ListMove(0, []byte("c"), []byte("d"), true, true, later)); ok {
		t.Fatal("LMOVE from an expired list")
	}
	c.Merge()
	c = g.Begin()
	if n := must[int64](t)(c.ListPush(0, []byte("e"), [][]byte{[]byte("z")}, false, true, later)); n != 1 {
		t.Fatalf("RPUSH on an expired list = %d", n)
	}
	c.Merge()
	noErr(t, g.Commit(false))
	// a, b, c removed; d untouched (still there, expired); e recreated
	// without a TTL.
	if n, e := ks.KeyCount(0), ks.ExpireCount(0); n != 2 || e != 1 {
		t.Fatalf("counts %d %d, want 2 1", n, e)
	}
	checkInvariants(t, ks)
	checkLists(t, ks)
}

// TestListStore: ListStore replaces any value (and its TTL) with a list in
// the given order that pushes and pops then treat like any other, and an
// empty store deletes the destination.
func TestListStore(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("dst")
	var e Elems
	for _, s := range []string{"b", "a", "", "c"} {
		e.Add([]byte(s))
	}
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, k, []byte("v"), t0, SetOptions{ExpireAt: t0 + 1000}))
		if n := must[int64](t)(tx.ListStore(0, k, &e, t0)); n != 4 {
			t.Fatalf("ListStore = %d, want 4", n)
		}
		must[int64](t)(tx.ListPush(0, k, [][]byte{[]byte("head")}, true, true, t0))
	})
	read(t, ks, func(tx *Tx) {
		got := elemsStrings(must[*Elems](t)(tx.ListRange(0, k, 0, -1, t0)))
		if want := []string{"head", "b", "a", "", "c"}; !slices.Equal(got, want) {
			t.Fatalf("LRANGE = %q, want %q", got, want)
		}
		if at, _ := mustPair[int64, bool](t)(tx.Expiry(0, k, t0)); at != 0 {
			t.Fatal("ListStore kept the old TTL")
		}
	})
	checkLists(t, ks)
	commit(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.ListStore(0, k, &Elems{}, t0)); n != 0 {
			t.Fatalf("empty ListStore = %d", n)
		}
	})
	read(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Exists(0, k, t0)); ok {
			t.Fatal("empty ListStore left the key")
		}
	})
	checkInvariants(t, ks)
}
