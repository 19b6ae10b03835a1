package keyspace

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// zmodel is a sorted set model: member → score.
type zmodel map[string]float64

type zentry struct {
	member string
	score  float64
}

// sorted returns the members in Redis's order: score, then member bytes.
func (z zmodel) sorted() []zentry {
	out := make([]zentry, 0, len(z))
	for m, s := range z {
		out = append(out, zentry{m, s})
	}
	slices.SortFunc(out, func(a, b zentry) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		return cmp.Compare(a.member, b.member)
	})
	return out
}

// zmodelAdd is Redis's zsetAdd on the model; nan reports an increment
// that produced NaN (nothing changed then).
func zmodelAdd(z zmodel, flags ZAddFlags, score float64, member string, res *ZAddResult) (nan bool) {
	cur, exists := z[member]
	switch {
	case exists && flags&ZAddNX != 0, !exists && flags&ZAddXX != 0:
		return false
	case exists:
		if flags&ZAddIncr != 0 {
			if score += cur; math.IsNaN(score) {
				return true
			}
		}
		if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
			return false
		}
		if score != cur {
			z[member] = score + 0 // -0 is stored as 0
			res.Updated++
		}
	default:
		z[member] = score + 0
		res.Added++
	}
	res.Processed++
	res.Score = score
	return false
}

// zmodelRange is Redis's range walk (of a listpack) over sorted entries.
func zmodelRange(all []zentry, spec *ZRangeSpec) []zentry {
	n := int64(len(all))
	if spec.By == ZByRank {
		from, to, ok := rankBounds(spec, n)
		if !ok {
			return nil
		}
		out := slices.Clone(all[from : to+1])
		if spec.Rev {
			slices.Reverse(out)
		}
		return out
	}
	var startOK, endOK func(e zentry) bool // the bound walked from, and the other
	if spec.By == ZByScore {
		r := spec.Score
		if r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx)) || n == 0 ||
			!r.gteMin(all[n-1].score) || !r.lteMax(all[0].score) {
			return nil
		}
		startOK, endOK = func(e zentry) bool { return r.gteMin(e.score) }, func(e zentry) bool { return r.lteMax(e.score) }
	} else {
		r := spec.Lex
		if r.empty() || n == 0 || !r.gteMin([]byte(all[n-1].member)) || !r.lteMax([]byte(all[0].member)) {
			return nil
		}
		startOK, endOK = func(e zentry) bool { return r.gteMin([]byte(e.member)) }, func(e zentry) bool { return r.lteMax([]byte(e.member)) }
	}
	seq := all
	if spec.Rev {
		seq = slices.Clone(all)
		slices.Reverse(seq)
		startOK, endOK = endOK, startOK
	}
	i := 0
	for i < len(seq) && !startOK(seq[i]) {
		i++
	}
	if i == len(seq) || !endOK(seq[i]) || spec.Offset < 0 {
		return nil
	}
	i += int(min(spec.Offset, n))
	var out []zentry
	for limit := spec.Limit; i < len(seq) && limit != 0 && endOK(seq[i]); i, limit = i+1, limit-1 {
		out = append(out, seq[i])
	}
	return out
}

func entriesOf(sm *ScoredMembers) []zentry {
	out := make([]zentry, sm.Len())
	for i := range out {
		out[i] = zentry{string(sm.Members.At(i)), sm.Scores[i]}
	}
	return out
}

// sameEntries compares entries, scores by their bits.
func sameEntries(a, b []zentry) bool {
	return slices.EqualFunc(a, b, func(x, y zentry) bool {
		return x.member == y.member && math.Float64bits(x.score) == math.Float64bits(y.score)
	})
}

var (
	zmembers = []string{"", "a", "a\x00", "ab", "b", "ba", "c", "d", "e", "\xff"}
	zscores  = []float64{math.Inf(-1), -2.5, -1, math.Copysign(0, -1), 0, 1, 1.5, 2, 1e300, math.Inf(1), 5e-324}
)

// randomSpec returns a random range over the model's members and scores.
func randomSpec(rng *rand.Rand) *ZRangeSpec {
	spec := &ZRangeSpec{By: ZRangeBy(rng.IntN(3)), Rev: rng.IntN(2) == 0, Limit: -1}
	spec.Start, spec.Stop = int64(rng.IntN(16)-8), int64(rng.IntN(16)-8)
	spec.Score = ScoreRange{Min: zscores[rng.IntN(len(zscores))], Max: zscores[rng.IntN(len(zscores))],
		MinEx: rng.IntN(3) == 0, MaxEx: rng.IntN(3) == 0}
	bound := func() LexBound {
		switch rng.IntN(6) {
		case 0:
			return LexBound{Inf: -1}
		case 1:
			return LexBound{Inf: 1}
		}
		return LexBound{Value: []byte(zmembers[rng.IntN(len(zmembers))]), Exclusive: rng.IntN(2) == 0}
	}
	spec.Lex = LexRange{Min: bound(), Max: bound()}
	if rng.IntN(3) == 0 {
		spec.Offset, spec.Limit = int64(rng.IntN(5)-1), int64(rng.IntN(6)-1)
	}
	return spec
}

// TestZSetModel runs random sorted set operations against a model,
// checking every reply, range queries of every kind (including BYLEX
// over mixed scores, against Redis's linear walk), ranks and the store's
// invariants (two data records per member, counters, garbage).
func TestZSetModel(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(3, 4))
	model := map[string]zmodel{}
	keys := []string{"x", "y"}
	flagSets := []ZAddFlags{0, 0, 0, ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddXX | ZAddGT, ZAddXX | ZAddLT, ZAddIncr, ZAddIncr | ZAddGT, ZAddIncr | ZAddXX}
	member := func() string { return zmembers[rng.IntN(len(zmembers))] }
	score := func() float64 { return zscores[rng.IntN(len(zscores))] }
	for step := range 5000 {
		key := keys[rng.IntN(len(keys))]
		k := []byte(key)
		z := model[key]
		if z == nil {
			z = zmodel{}
		}
		existed := len(z) > 0
		g := ks.BeginGroup()
		tx := g.Begin()
		ok := true
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			flags := flagSets[rng.IntN(len(flagSets))]
			n := 1 + rng.IntN(3)
			if flags&ZAddIncr != 0 {
				n = 1
			}
			var scores []float64
			var members [][]byte
			var want ZAddResult
			nan := false
			for range n {
				s, m := score(), member()
				scores, members = append(scores, s), append(members, []byte(m))
				nan = nan || zmodelAdd(z, flags, s, m, &want)
			}
			res, err := tx.ZSetAdd(0, k, t0, flags, scores, members)
			if nan {
				if !errors.Is(err, ErrNaNScore) {
					t.Fatalf("step %d: ZSetAdd = %v, want ErrNaNScore", step, err)
				}
				ok = false
				break
			}
			noErr(t, err)
			if res.Added != want.Added || res.Updated != want.Updated || res.Processed != want.Processed ||
				(res.Processed > 0 && math.Float64bits(res.Score) != math.Float64bits(want.Score)) {
				t.Fatalf("step %d: ZSetAdd(%v, %v, %q) = %+v, want %+v", step, flags, scores, members, res, want)
			}
		case 4:
			ms := [][]byte{[]byte(member()), []byte(member())}
			var want int64
			for _, m := range ms {
				if _, in := z[string(m)]; in {
					delete(z, string(m))
					want++
				}
			}
			if n := must[int64](t)(tx.ZSetRem(0, k, ms, t0)); n != want {
				t.Fatalf("step %d: ZSetRem = %d, want %d", step, n, want)
			}
		case 5, 6:
			spec := randomSpec(rng)
			spec.Offset, spec.Limit = 0, -1
			gone := zmodelRange(z.sorted(), spec)
			for _, e := range gone {
				delete(z, e.member)
			}
			if n := must[int64](t)(tx.ZSetRemRange(0, k, t0, spec)); n != int64(len(gone)) {
				t.Fatalf("step %d: ZSetRemRange(%+v) = %d, want %d", step, spec, n, len(gone))
			}
		case 7:
			isMax, count := rng.IntN(2) == 0, int64(rng.IntN(4))
			all := z.sorted()
			if isMax {
				slices.Reverse(all)
			}
			var want []zentry
			if len(z) > 0 {
				want = all[:min(count, int64(len(all)))]
			}
			for _, e := range want {
				delete(z, e.member)
			}
			idx, got, err := tx.ZSetPop(0, [][]byte{[]byte("nokey"), k}, t0, isMax, count)
			noErr(t, err)
			if wantIdx := map[bool]int{true: 1, false: -1}[existed]; idx != wantIdx || !sameEntries(entriesOf(got), want) {
				t.Fatalf("step %d: ZSetPop = %d %v, want %d %v", step, idx, entriesOf(got), wantIdx, want)
			}
		case 8:
			all := z.sorted()
			spec := randomSpec(rng)
			if got := must[*ScoredMembers](t)(tx.ZSetRange(0, k, t0, spec)); !sameEntries(entriesOf(got), zmodelRange(all, spec)) {
				t.Fatalf("step %d: ZSetRange(%+v) on %v = %v, want %v", step, spec, all, entriesOf(got), zmodelRange(all, spec))
			}
			spec.Offset, spec.Limit = 0, -1
			if n := must[int64](t)(tx.ZSetCount(0, k, t0, spec)); n != int64(len(zmodelRange(all, spec))) {
				t.Fatalf("step %d: ZSetCount(%+v) = %d, want %d", step, spec, n, len(zmodelRange(all, spec)))
			}
		case 9:
			if rng.IntN(5) == 0 {
				must[bool](t)(tx.Delete(0, k, t0))
				z = zmodel{}
			}
		}
		if ok {
			tx.Merge()
			if len(z) == 0 {
				delete(model, key)
			} else {
				model[key] = z
			}
		} else {
			tx.Discard()
		}
		noErr(t, g.Commit(true))
		if step%50 == 0 {
			checkInvariants(t, ks)
			checkZModel(t, ks, model, keys)
		}
	}
	checkInvariants(t, ks)
	checkZModel(t, ks, model, keys)
}

// checkZModel compares every sorted set with the model: contents, card,
// scores, ranks both ways, and members by rank.
func checkZModel(t *testing.T, ks *Keyspace, model map[string]zmodel, keys []string) {
	t.Helper()
	read(t, ks, func(tx *Tx) {
		for _, key := range keys {
			k := []byte(key)
			all := model[key].sorted()
			got := must[*ScoredMembers](t)(tx.ZSetRange(0, k, t0, &ZRangeSpec{Start: 0, Stop: -1}))
			if !sameEntries(entriesOf(got), all) {
				t.Fatalf("%s: %v, want %v", key, entriesOf(got), all)
			}
			if n := must[int64](t)(tx.ZSetCard(0, k, t0)); n != int64(len(all)) {
				t.Fatalf("%s: card %d, want %d", key, n, len(all))
			}
			var ranks []int64
			for i, e := range all {
				s, ok, err := tx.ZSetScore(0, k, []byte(e.member), t0)
				if err != nil || !ok || math.Float64bits(s) != math.Float64bits(e.score) {
					t.Fatalf("%s: score of %q = %v %v %v, want %v", key, e.member, s, ok, err, e.score)
				}
				for _, rev := range []bool{false, true} {
					want := int64(i)
					if rev {
						want = int64(len(all) - 1 - i)
					}
					r, ok, err := tx.ZSetRank(0, k, []byte(e.member), t0, rev)
					if err != nil || !ok || r != want {
						t.Fatalf("%s: rank of %q (rev %v) = %d %v %v, want %d", key, e.member, rev, r, ok, err, want)
					}
				}
				if i%2 == 1 {
					ranks = append(ranks, int64(i))
				}
			}
			if _, ok, err := tx.ZSetRank(0, k, []byte("nomember"), t0, false); ok || err != nil {
				t.Fatalf("%s: rank of a missing member: %v %v", key, ok, err)
			}
			at := must[*ScoredMembers](t)(tx.ZSetMembersAt(0, k, t0, ranks))
			for i, r := range ranks {
				if string(at.Members.At(i)) != all[r].member {
					t.Fatalf("%s: member at %d = %q, want %q", key, r, at.Members.At(i), all[r].member)
				}
			}
		}
	})
}

// TestZSetRangesExhaustive compares every range query over a few sorted
// sets (one score; mixed scores with members out of byte order; infinities
// and ties) with Redis's walk: all score and lex bounds from a pool, both
// directions, with and without LIMIT, and all rank ranges.
func TestZSetRangesExhaustive(t *testing.T) {
	sets := []zmodel{
		{"a": 0, "a\x00": 0, "b": 0, "ba": 0, "c": 0, "d": 0, "e": 0, "\xff": 0},
		{"b": 1, "d": 1, "a": 2, "c": 2, "e": 3, "ab": 3, "": 4, "ba": 0.5},
		{"a": math.Inf(-1), "b": math.Inf(-1), "c": 0, "d": -2.5, "e": math.Inf(1), "f": 1e300, "g": 5e-324, "h": 1.5, "i": 1.5},
	}
	var lexBounds []LexBound
	lexBounds = append(lexBounds, LexBound{Inf: -1}, LexBound{Inf: 1})
	for _, v := range append(slices.Clone(zmembers), "aa", "b\x00", "bb", "zz") {
		lexBounds = append(lexBounds, LexBound{Value: []byte(v)}, LexBound{Value: []byte(v), Exclusive: true})
	}
	var scoreBounds []struct {
		f  float64
		ex bool
	}
	for _, f := range append(slices.Clone(zscores), 3, -5, 0.5) {
		scoreBounds = append(scoreBounds, struct {
			f  float64
			ex bool
		}{f, false}, struct {
			f  float64
			ex bool
		}{f, true})
	}
	limits := [][2]int64{{0, -1}, {1, 2}, {0, 0}, {-1, 3}, {2, -1}}
	ks := newTestKS(t)
	for si, z := range sets {
		k := []byte(fmt.Sprintf("z%d", si))
		commit(t, ks, func(tx *Tx) {
			for m, s := range z {
				must[ZAddResult](t)(tx.ZSetAdd(0, k, t0, 0, []float64{s}, [][]byte{[]byte(m)}))
			}
		})
		all := z.sorted()
		var specs []*ZRangeSpec
		for _, rev := range []bool{false, true} {
			for start := int64(-12); start <= 12; start++ {
				for stop := int64(-12); stop <= 12; stop++ {
					specs = append(specs, &ZRangeSpec{Rev: rev, Start: start, Stop: stop})
				}
			}
			for _, lim := range limits {
				for _, lo := range lexBounds {
					for _, hi := range lexBounds {
						specs = append(specs, &ZRangeSpec{By: ZByLex, Rev: rev, Lex: LexRange{Min: lo, Max: hi}, Offset: lim[0], Limit: lim[1]})
					}
				}
				for _, lo := range scoreBounds {
					for _, hi := range scoreBounds {
						specs = append(specs, &ZRangeSpec{By: ZByScore, Rev: rev, Score: ScoreRange{Min: lo.f, MinEx: lo.ex, Max: hi.f, MaxEx: hi.ex},
							Offset: lim[0], Limit: lim[1]})
					}
				}
			}
		}
		read(t, ks, func(tx *Tx) {
			for _, spec := range specs {
				want := zmodelRange(all, spec)
				if got := must[*ScoredMembers](t)(tx.ZSetRange(0, k, t0, spec)); !sameEntries(entriesOf(got), want) {
					t.Fatalf("set %d: ZSetRange(%+v) = %v, want %v", si, spec, entriesOf(got), want)
				}
				if spec.Offset == 0 && spec.Limit == -1 {
					if n := must[int64](t)(tx.ZSetCount(0, k, t0, spec)); n != int64(len(want)) {
						t.Fatalf("set %d: ZSetCount(%+v) = %d, want %d", si, spec, n, len(want))
					}
				}
			}
		})
		// Removing each range from a copy.
		for i, spec := range specs {
			if i%7 != 0 || spec.Offset != 0 || spec.Limit != -1 {
				continue
			}
			g := ks.BeginGroup()
			tx := g.Begin()
			want := zmodelRange(all, spec)
			if n := must[int64](t)(tx.ZSetRemRange(0, k, t0, spec)); n != int64(len(want)) {
				t.Fatalf("set %d: ZSetRemRange(%+v) = %d, want %d", si, spec, n, len(want))
			}
			left := zmodel{}
			for m, s := range z {
				left[m] = s
			}
			for _, e := range want {
				delete(left, e.member)
			}
			got := must[*ScoredMembers](t)(tx.ZSetRange(0, k, t0, &ZRangeSpec{Start: 0, Stop: -1}))
			if !sameEntries(entriesOf(got), left.sorted()) {
				t.Fatalf("set %d: after ZSetRemRange(%+v): %v, want %v", si, spec, entriesOf(got), left.sorted())
			}
			tx.Discard()
			g.Discard()
		}
	}
}

// TestZSetRemRangeAll: a range covering the whole set removes the key
// without deleting records one by one (they go to the sweep).
func TestZSetRemRangeAll(t *testing.T) {
	for _, spec := range []*ZRangeSpec{
		{Start: 0, Stop: -1},
		{By: ZByScore, Score: ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}, Limit: -1},
		{By: ZByLex, Lex: LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Inf: 1}}, Limit: -1},
	} {
		ks := newTestKS(t)
		k := []byte("z")
		commit(t, ks, func(tx *Tx) {
			var ms [][]byte
			for i := range 100 {
				ms = append(ms, []byte(fmt.Sprintf("m%03d", i)))
			}
			must[ZAddResult](t)(tx.ZSetAdd(0, k, t0, 0, make([]float64, len(ms)), ms))
		})
		g := ks.BeginGroup()
		tx := g.Begin()
		if n := must[int64](t)(tx.ZSetRemRange(0, k, t0, spec)); n != 100 {
			t.Fatalf("%+v: removed %d", spec, n)
		}
		if p := tx.Pending(); p > 4 {
			t.Errorf("%+v: %d records written, want the meta record and a garbage marker", spec, p)
		}
		tx.Merge()
		noErr(t, g.Commit(true))
		checkInvariants(t, ks)
	}
}

// TestZSetCombine checks ZUNION, ZINTER, ZDIFF and ZINTERCARD over sorted
// sets, sets and missing keys against a model, and the STORE forms.
func TestZSetCombine(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(5, 6))
	type input struct {
		set bool
		z   zmodel
	}
	for round := range 300 {
		var keys [][]byte
		var inputs []input
		commit(t, ks, func(tx *Tx) {
			noErr(t, func() error { _, err := tx.FlushDB(0); return err }())
			for i := range 1 + rng.IntN(4) {
				k := []byte(fmt.Sprintf("k%d", i))
				in := input{set: rng.IntN(3) == 0, z: zmodel{}}
				for range rng.IntN(6) {
					m := zmembers[rng.IntN(len(zmembers))]
					if in.set {
						in.z[m] = 1
						must[int64](t)(tx.SetAdd(0, k, [][]byte{[]byte(m)}, t0))
					} else {
						var res ZAddResult
						s := zscores[rng.IntN(len(zscores))]
						zmodelAdd(in.z, 0, s, m, &res)
						must[ZAddResult](t)(tx.ZSetAdd(0, k, t0, 0, []float64{s}, [][]byte{[]byte(m)}))
					}
				}
				keys = append(keys, k)
				inputs = append(inputs, in)
			}
			if rng.IntN(4) == 0 { // a key named twice
				keys = append(keys, keys[0])
				inputs = append(inputs, inputs[0])
			}
		})
		var weights []float64
		if rng.IntN(2) == 0 {
			for range keys {
				weights = append(weights, []float64{1, 2, -1, 0, math.Inf(1), 0.5}[rng.IntN(6)])
			}
		}
		agg := ZAggregate(rng.IntN(3))
		op := ZSetOp(rng.IntN(3))

		// The model: Redis's algorithm, written from the maps.
		w := func(i int) float64 {
			if weights == nil || op == ZDiff {
				return 1
			}
			return weights[i]
		}
		order := make([]int, len(inputs))
		for i := range order {
			order[i] = i
		}
		if op != ZDiff {
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(inputs[a].z), len(inputs[b].z)) })
		}
		want := zmodel{}
		nan0 := func(f float64) float64 {
			if math.IsNaN(f) {
				return 0
			}
			return f
		}
		switch op {
		case ZUnion:
			for _, i := range order {
				for m, s := range inputs[i].z {
					v := nan0(w(i) * s)
					if cur, ok := want[m]; ok {
						agg.aggregate(&cur, v)
						want[m] = cur
					} else {
						want[m] = v
					}
				}
			}
		case ZInter:
			first := order[0]
		members:
			for m, s := range inputs[first].z {
				score := nan0(w(first) * s)
				for _, j := range order[1:] {
					v, ok := inputs[j].z[m]
					if !ok {
						continue members
					}
					agg.aggregate(&score, v*w(j))
				}
				want[m] = score
			}
		case ZDiff:
		diff:
			for m, s := range inputs[0].z {
				for _, in := range inputs[1:] {
					if _, ok := in.z[m]; ok {
						continue diff
					}
				}
				want[m] = s
			}
		}
		var got *ScoredMembers
		read(t, ks, func(tx *Tx) {
			got = must[*ScoredMembers](t)(tx.ZSetCombine(0, op, keys, weights, agg, t0, false))
			if op == ZInter {
				limit := int64(rng.IntN(3))
				wantN := int64(len(want))
				if limit > 0 {
					wantN = min(wantN, limit)
				}
				if n := must[int64](t)(tx.ZSetInterCard(0, keys, t0, limit)); n != wantN {
					t.Fatalf("round %d: ZSetInterCard(limit %d) = %d, want %d", round, limit, n, wantN)
				}
			}
		})
		// The result's order: score, then member (-0 sorting with 0).
		if !sameEntries(entriesOf(got), want.sorted()) {
			t.Fatalf("round %d: %v %v %v %v: %v, want %v", round, op, keys, weights, agg, entriesOf(got), want.sorted())
		}
		commit(t, ks, func(tx *Tx) {
			sm := must[*ScoredMembers](t)(tx.ZSetCombine(0, op, keys, weights, agg, t0, true))
			if n := must[int64](t)(tx.ZSetStore(0, keys[0], sm, t0)); n != int64(len(want)) {
				t.Fatalf("round %d: stored %d, want %d", round, n, len(want))
			}
		})
		checkInvariants(t, ks)
		stored := zmodel{}
		for m, s := range want {
			stored[m] = s + 0
		}
		checkZModel(t, ks, map[string]zmodel{"k0": stored}, []string{"k0"})
	}
	// A key of another type.
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("str"), []byte("v"), t0, SetOptions{}))
		if _, err := tx.ZSetCombine(0, ZUnion, [][]byte{[]byte("k0"), []byte("str")}, nil, ZAggSum, t0, true); !errors.Is(err, ErrWrongType) {
			t.Fatalf("ZSetCombine over a string: %v", err)
		}
	})
}

// countingEngine counts the iterator moves made over an engine.
type countingEngine struct {
	engine.Engine
	moves *atomic.Int64
}

func (e countingEngine) NewIter(o engine.IterOptions) (engine.Iterator, error) {
	it, err := e.Engine.NewIter(o)
	return countingIter{it, e.moves}, err
}

func (e countingEngine) NewSnapshot() (engine.Snapshot, error) {
	s, err := e.Engine.NewSnapshot()
	return countingSnapshot{s, e.moves}, err
}

type countingSnapshot struct {
	engine.Snapshot
	moves *atomic.Int64
}

func (s countingSnapshot) NewIter(o engine.IterOptions) (engine.Iterator, error) {
	it, err := s.Snapshot.NewIter(o)
	return countingIter{it, s.moves}, err
}

type countingIter struct {
	engine.Iterator
	moves *atomic.Int64
}

func (it countingIter) First() bool          { it.moves.Add(1); return it.Iterator.First() }
func (it countingIter) Last() bool           { it.moves.Add(1); return it.Iterator.Last() }
func (it countingIter) Next() bool           { it.moves.Add(1); return it.Iterator.Next() }
func (it countingIter) Prev() bool           { it.moves.Add(1); return it.Iterator.Prev() }
func (it countingIter) SeekGE(k []byte) bool { it.moves.Add(1); return it.Iterator.SeekGE(k) }
func (it countingIter) SeekLT(k []byte) bool { it.moves.Add(1); return it.Iterator.SeekLT(k) }

// TestZSetLarge builds a sorted set of 50,000 members and checks that
// queries near either end, by rank, score or member, touch only the
// records they need (counted iterator moves), and that ZRANK costs the
// distance to the nearer end.
func TestZSetLarge(t *testing.T) {
	const n = 50_000
	moves := &atomic.Int64{}
	ks := openKS(t, countingEngine{newTestEngine(t), moves})
	k := []byte("big")
	mem := func(i int) []byte { return []byte(fmt.Sprintf("m%06d", i)) }
	for base := 0; base < n; base += 10_000 {
		commit(t, ks, func(tx *Tx) {
			var scores []float64
			var ms [][]byte
			for i := base; i < base+10_000; i++ {
				// Scores 0, 0, 1, 1, ...: pairs share a score.
				scores, ms = append(scores, float64(i/2)), append(ms, mem(i))
			}
			must[ZAddResult](t)(tx.ZSetAdd(0, k, t0, 0, scores, ms))
		})
	}
	checkInvariants(t, ks)
	check := func(name string, maxMoves int64, fn func(tx *Tx) []zentry, want []zentry) {
		t.Helper()
		read(t, ks, func(tx *Tx) {
			moves.Store(0)
			got := fn(tx)
			if m := moves.Load(); m > maxMoves {
				t.Errorf("%s: %d iterator moves, want at most %d", name, m, maxMoves)
			}
			if want != nil && !sameEntries(got, want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		})
	}
	e := func(i int) zentry { return zentry{string(mem(i)), float64(i / 2)} }
	rangeOf := func(spec *ZRangeSpec) func(tx *Tx) []zentry {
		return func(tx *Tx) []zentry {
			return entriesOf(must[*ScoredMembers](t)(tx.ZSetRange(0, k, t0, spec)))
		}
	}
	check("first 3 by rank", 10, rangeOf(&ZRangeSpec{Start: 0, Stop: 2}), []zentry{e(0), e(1), e(2)})
	check("last 2 by rank", 10, rangeOf(&ZRangeSpec{Start: -2, Stop: -1}), []zentry{e(n - 2), e(n - 1)})
	check("top 2 by rank, REV", 10, rangeOf(&ZRangeSpec{Rev: true, Start: 0, Stop: 1}), []zentry{e(n - 1), e(n - 2)})
	check("ranks 10..12 from the end, REV", 20, rangeOf(&ZRangeSpec{Rev: true, Start: 10, Stop: 12}), []zentry{e(n - 11), e(n - 12), e(n - 13)})
	check("by score, low end", 10, rangeOf(&ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 1, Max: 2, MaxEx: true}, Limit: -1}), []zentry{e(2), e(3)})
	check("by score, high end, REV LIMIT", 10, rangeOf(&ZRangeSpec{By: ZByScore, Rev: true, Score: ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}, Limit: 3}),
		[]zentry{e(n - 1), e(n - 2), e(n - 3)})
	check("by score, middle", 10, rangeOf(&ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 12345, Max: 12345}, Limit: -1}), []zentry{e(24690), e(24691)})
	check("by member, one score", 10, rangeOf(&ZRangeSpec{By: ZByLex, Lex: LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Value: mem(0)}}, Limit: -1}), []zentry{e(0)})
	check("count, high end", 10, func(tx *Tx) []zentry {
		c := must[int64](t)(tx.ZSetCount(0, k, t0, &ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: n/2 - 2, Max: math.Inf(1)}, Limit: -1}))
		return []zentry{{"count", float64(c)}}
	}, []zentry{{"count", 4}})
	rank := func(i int, rev bool) func(tx *Tx) []zentry {
		return func(tx *Tx) []zentry {
			r, ok, err := tx.ZSetRank(0, k, mem(i), t0, rev)
			if err != nil || !ok {
				t.Fatalf("rank of %d: %v %v", i, ok, err)
			}
			return []zentry{{"rank", float64(r)}}
		}
	}
	check("rank near the start", 20, rank(3, false), []zentry{{"rank", 3}})
	check("rank near the end", 20, rank(n-4, false), []zentry{{"rank", n - 4}})
	check("revrank near the end", 20, rank(n-4, true), []zentry{{"rank", 3}})
	check("rank in the middle", n+10, rank(n/2, false), []zentry{{"rank", n / 2}})
	check("members at ranks near the end", 20, func(tx *Tx) []zentry {
		return entriesOf(must[*ScoredMembers](t)(tx.ZSetMembersAt(0, k, t0, []int64{n - 5, n - 1})))
	}, []zentry{e(n - 5), e(n - 1)})

	// Writes near the ends stay cheap too; ZPOPMAX and ZREMRANGEBYRANK of
	// a few members from the top.
	g := ks.BeginGroup()
	tx := g.Begin()
	moves.Store(0)
	_, popped, err := tx.ZSetPop(0, [][]byte{k}, t0, true, 2)
	noErr(t, err)
	if !sameEntries(entriesOf(popped), []zentry{e(n - 1), e(n - 2)}) {
		t.Errorf("ZSetPop = %v", entriesOf(popped))
	}
	if m := must[int64](t)(tx.ZSetRemRange(0, k, t0, &ZRangeSpec{Start: -3, Stop: -1})); m != 3 {
		t.Errorf("ZSetRemRange = %d", m)
	}
	if m := moves.Load(); m > 30 {
		t.Errorf("pop and remove at the end: %d iterator moves", m)
	}
	tx.Merge()
	noErr(t, g.Commit(true))
	checkInvariants(t, ks)
	if c := must[int64](t)(func() (int64, error) {
		var c int64
		var err error
		read(t, ks, func(tx *Tx) { c, err = tx.ZSetCard(0, k, t0) })
		return c, err
	}()); c != n-5 {
		t.Fatalf("card %d", c)
	}
}

// TestZSetCorrupt: records that do not decode are errors wrapping
// ErrCorrupt, never panics.
func TestZSetCorrupt(t *testing.T) {
	for _, b := range [][]byte{nil, {1}, make([]byte, 7)} {
		if _, err := decodeScoreKey(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeScoreKey(%x) = %v", b, err)
		}
		if _, err := decodeScore(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeScore(%x) = %v", b, err)
		}
	}
	nan := binaryBE(math.Float64bits(math.NaN()))
	if _, err := decodeScore(nan); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decodeScore(NaN) = %v", err)
	}
	if _, err := decodeScoreKey(appendScoreKey(nil, math.NaN())); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decodeScoreKey(NaN) = %v", err)
	}
	// A member record of the wrong length, read by ZSCORE and ZSCAN.
	ks := newTestKS(t)
	k := []byte("z")
	commit(t, ks, func(tx *Tx) {
		must[ZAddResult](t)(tx.ZSetAdd(0, k, t0, 0, []float64{1}, [][]byte{[]byte("m")}))
	})
	var m Meta
	read(t, ks, func(tx *Tx) {
		var err error
		m, _, err = tx.GetMeta(0, k, t0)
		noErr(t, err)
	})
	b := ks.eng.NewBatch()
	b.Set(elemKey(nil, m.Version, []byte("mm")), []byte{1, 2, 3})
	noErr(t, b.Commit(false))
	read(t, ks, func(tx *Tx) {
		if _, _, err := tx.ZSetScore(0, k, []byte("m"), t0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ZSetScore: %v", err)
		}
		if _, _, err := tx.ZSetScan(0, k, t0, 0, 10, nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ZSetScan: %v", err)
		}
	})
}

func binaryBE(u uint64) []byte {
	var b [8]byte
	for i := range b {
		b[i] = byte(u >> (56 - 8*i))
	}
	return b[:]
}

// FuzzScoreKey checks that scoreKey preserves the order of scores (-0
// equal to 0) and that decoding inverts it.
func FuzzScoreKey(f *testing.F) {
	for _, a := range zscores {
		for _, b := range zscores {
			f.Add(math.Float64bits(a), math.Float64bits(b))
		}
	}
	f.Fuzz(func(t *testing.T, ua, ub uint64) {
		a, b := math.Float64frombits(ua), math.Float64frombits(ub)
		if math.IsNaN(a) || math.IsNaN(b) {
			return
		}
		ka, kb := appendScoreKey(nil, a), appendScoreKey(nil, b)
		want := 0
		switch {
		case a < b:
			want = -1
		case a > b:
			want = 1
		}
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("compare(%v, %v) = %d, keys %x %x compare %d", a, b, want, ka, kb, got)
		}
		for _, x := range []struct {
			f float64
			k []byte
		}{{a, ka}, {b, kb}} {
			d, err := decodeScoreKey(append(x.k, "member"...))
			if err != nil || d != x.f || (x.f != 0 && math.Float64bits(d) != math.Float64bits(x.f)) {
				t.Fatalf("decodeScoreKey(%x) = %v, %v; want %v", x.k, d, err, x.f)
			}
		}
		// Whatever 8+ bytes decode to, it never panics and is never NaN.
		if d, err := decodeScoreKey(binaryBE(ua)); err == nil && math.IsNaN(d) {
			t.Fatalf("decodeScoreKey(%x) = NaN", ua)
		}
	})
}
