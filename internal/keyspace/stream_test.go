package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

var redisLimits = StreamLimits{NodeMaxEntries: 100, NodeMaxBytes: 4096}

// checkStreams checks every stream of the committed state with
// checkStream.
func checkStreams(t testing.TB, ks *Keyspace) {
	t.Helper()
	it, err := ks.eng.NewIter(engine.IterOptions{LowerBound: []byte{kindMeta}, UpperBound: []byte{kindMeta + 1}})
	noErr(t, err)
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		m, err := decodeMeta(bytes.Clone(it.Value()))
		noErr(t, err)
		if m.Type == TypeStream {
			checkStream(t, ks.eng, string(it.Key()[2:]), &m)
		}
	}
}

// streamRecords are the data records of one stream, by family.
type streamRecords struct {
	entries []StreamID
	nodes   []streamNode
	groups  map[string]*StreamGroup
	// consumers, pel and cpel are keyed by group, then consumer or ID.
	consumers map[string]map[string]*StreamConsumer
	pel       map[string]map[StreamID]nack
	cpel      map[string]map[string][]StreamID
}

// readStreamRecords reads and decodes the data records of version.
func readStreamRecords(t testing.TB, eng engine.Engine, version uint64) *streamRecords {
	t.Helper()
	r := &streamRecords{groups: map[string]*StreamGroup{}, consumers: map[string]map[string]*StreamConsumer{},
		pel: map[string]map[StreamID]nack{}, cpel: map[string]map[string][]StreamID{}}
	p := dataPrefix(version)
	it, err := eng.NewIter(engine.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	noErr(t, err)
	defer it.Close()
	name := func(b []byte) (string, []byte) {
		n := binary.BigEndian.Uint32(b)
		return string(b[4 : 4+n]), b[4+n:]
	}
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key()[len(p):], bytes.Clone(it.Value())
		switch k[0] {
		case streamEntryTag:
			r.entries = append(r.entries, decodeStreamID(k[1:]))
		case streamNodeTag:
			var n streamNode
			noErr(t, n.decode(k[1:], v))
			r.nodes = append(r.nodes, n)
		case streamGroupTag:
			g := &StreamGroup{name: bytes.Clone(k[1:])}
			noErr(t, g.decode(v))
			r.groups[string(k[1:])] = g
		case streamConsumerTag:
			g, rest := name(k[1:])
			c := &StreamConsumer{Name: bytes.Clone(rest)}
			noErr(t, c.decode(v))
			if r.consumers[g] == nil {
				r.consumers[g] = map[string]*StreamConsumer{}
			}
			r.consumers[g][string(rest)] = c
		case streamPELTag:
			g, rest := name(k[1:])
			n, err := decodeNack(v)
			noErr(t, err)
			if r.pel[g] == nil {
				r.pel[g] = map[StreamID]nack{}
			}
			r.pel[g][decodeStreamID(rest)] = n
		case streamConsumerPELTag:
			g, rest := name(k[1:])
			c, rest := name(rest)
			if r.cpel[g] == nil {
				r.cpel[g] = map[string][]StreamID{}
			}
			r.cpel[g][c] = append(r.cpel[g][c], decodeStreamID(rest))
		default:
			t.Fatalf("stream record of unknown family %q", k)
		}
	}
	return r
}

// checkStream checks that the records of the stream key (meta m) agree
// with each other and with m: entries with the count, first and last IDs;
// nodes with the entries they hold; groups, consumers and both PELs with
// their counts and each other.
func checkStream(t testing.TB, eng engine.Engine, key string, m *Meta) {
	t.Helper()
	r := readStreamRecords(t, eng, m.Version)
	st := &m.Stream
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("stream %q: %s", key, fmt.Sprintf(format, args...))
	}
	if int64(len(r.entries)) != m.Len {
		errorf("%d entry records, length %d", len(r.entries), m.Len)
	}
	if n := len(r.entries); n > 0 {
		if r.entries[0] != st.FirstID {
			errorf("first entry %s, recorded %s", r.entries[0], st.FirstID)
		}
		if r.entries[n-1].Compare(st.LastID) > 0 {
			errorf("last entry %s after last ID %s", r.entries[n-1], st.LastID)
		}
	} else if !st.FirstID.IsZero() {
		errorf("empty with first ID %s", st.FirstID)
	}
	if int64(len(r.nodes)) != st.Nodes {
		errorf("%d node records, count %d", len(r.nodes), st.Nodes)
	}
	if len(r.nodes) > 0 && r.nodes[len(r.nodes)-1].master != st.TailNode {
		errorf("last node %s, tail %s", r.nodes[len(r.nodes)-1].master, st.TailNode)
	}
	e := 0
	for i, n := range r.nodes {
		if e < len(r.entries) && r.entries[e].Compare(n.master) < 0 {
			errorf("entry %s before node %s", r.entries[e], n.master)
		}
		live := int64(0)
		for ; e < len(r.entries) && (i+1 == len(r.nodes) || r.entries[e].Compare(r.nodes[i+1].master) < 0); e++ {
			if r.entries[e].Compare(n.last) > 0 {
				errorf("entry %s after node %s's last %s", r.entries[e], n.master, n.last)
			}
			live++
		}
		if live != n.live {
			errorf("node %s holds %d entries, counts %d", n.master, live, n.live)
		}
	}
	for g, cs := range r.consumers {
		if r.groups[g] == nil {
			errorf("consumers of missing group %q", g)
		}
		_ = cs
	}
	for g := range r.pel {
		if r.groups[g] == nil {
			errorf("PEL of missing group %q", g)
		}
	}
	for name, grp := range r.groups {
		if int64(len(r.consumers[name])) != grp.Consumers {
			errorf("group %q: %d consumer records, count %d", name, len(r.consumers[name]), grp.Consumers)
		}
		if int64(len(r.pel[name])) != grp.Pending {
			errorf("group %q: %d pending records, count %d", name, len(r.pel[name]), grp.Pending)
		}
		for id, n := range r.pel[name] {
			if r.consumers[name][string(n.consumer)] == nil {
				errorf("group %q: pending %s of missing consumer %q", name, id, n.consumer)
			}
			if !slices.Contains(r.cpel[name][string(n.consumer)], id) {
				errorf("group %q: pending %s missing from %q's PEL", name, id, n.consumer)
			}
		}
		for c, ids := range r.cpel[name] {
			con := r.consumers[name][c]
			if con == nil {
				errorf("group %q: PEL of missing consumer %q", name, c)
				continue
			}
			if int64(len(ids)) != con.Pending {
				errorf("group %q consumer %q: %d pending, count %d", name, c, len(ids), con.Pending)
			}
			for _, id := range ids {
				if n, ok := r.pel[name][id]; !ok || string(n.consumer) != c {
					errorf("group %q consumer %q: %s not pending for it", name, c, id)
				}
			}
		}
		for c, con := range r.consumers[name] {
			if con.Pending != 0 && r.cpel[name][c] == nil {
				errorf("group %q consumer %q counts %d pending, has none", name, c, con.Pending)
			}
		}
	}
	for g := range r.cpel {
		if r.groups[g] == nil {
			errorf("consumer PEL of missing group %q", g)
		}
	}
}

// openStream opens key for writing in tx, failing the test on error.
func openStream(t testing.TB, tx *Tx, key string, write bool) *Stream {
	t.Helper()
	s, err := tx.OpenStream(0, []byte(key), t0, write)
	noErr(t, err)
	return s
}

// fvOf returns field/value pairs.
func fvOf(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, s := range kv {
		out[i] = []byte(s)
	}
	return out
}

// streamEntry is an entry of the test model.
type streamEntry struct {
	id StreamID
	fv []string
}

func entriesOfStream(t testing.TB, e *StreamEntries) []streamEntry {
	var out []streamEntry
	for i := range e.Len() {
		fv, ok := e.Fields(i)
		if !ok {
			t.Fatalf("entry %s without fields", e.ID(i))
		}
		se := streamEntry{id: e.ID(i)}
		for _, b := range fv {
			se.fv = append(se.fv, string(b))
		}
		out = append(out, se)
	}
	return out
}

// TestStreamModel runs random XADD (explicit, partial and generated IDs,
// exact trims), XDEL, XTRIM and XRANGE against a sorted-slice model, and
// checks the records' invariants as it goes. Approximate trims are
// checked against Redis by the transcripts and the compat suite; here the
// model takes what they leave.
func TestStreamModel(t *testing.T) {
	ks := newTestKS(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var model []streamEntry
	var last StreamID
	lim := StreamLimits{NodeMaxEntries: 4, NodeMaxBytes: 200}
	now := t0
	randID := func() StreamID {
		return StreamID{Ms: uint64(rng.IntN(int(last.Ms+3) + 1)), Seq: uint64(rng.IntN(3))}
	}
	for step := 0; step < 3000; step++ {
		now += int64(rng.IntN(2))
		switch op := rng.IntN(10); {
		case op < 5:
			fv := fvOf("f", fmt.Sprint(step))
			if rng.IntN(3) == 0 {
				fv = append(fv, fvOf("g", string(bytes.Repeat([]byte{'x'}, rng.IntN(100))))...)
			}
			var tr *StreamTrim
			if rng.IntN(4) == 0 {
				tr = &StreamTrim{MaxLen: int64(rng.IntN(20)), Approx: rng.IntN(2) == 0}
				if rng.IntN(2) == 0 {
					tr = &StreamTrim{MinID: true, ID: randID(), Approx: tr.Approx}
				}
				if tr.Approx {
					tr.Limit = int64(rng.IntN(10))
				}
			}
			var id StreamID
			var err error
			commit(t, ks, func(tx *Tx) {
				s := openStream(t, tx, "s", true)
				s.Create()
				switch rng.IntN(3) {
				case 0:
					id, err = s.Add(fv, StreamID{}, false, false, lim, now)
				case 1:
					id, err = s.Add(fv, StreamID{Ms: last.Ms + uint64(rng.IntN(2))}, true, false, lim, now)
				default:
					id, err = s.Add(fv, randID(), true, true, lim, now)
				}
				if err == nil && tr != nil {
					_, err = s.Trim(tr)
				}
				if err == nil {
					s.Save()
				}
			})
			if err == ErrStreamIDTooSmall {
				continue
			}
			noErr(t, err)
			if id.Compare(last) <= 0 {
				t.Fatalf("step %d: ID %s not after %s", step, id, last)
			}
			last = id
			se := streamEntry{id: id}
			for _, b := range fv {
				se.fv = append(se.fv, string(b))
			}
			model = append(model, se)
			if tr != nil {
				model = trimModel(t, ks, model, tr)
			}
		case op < 7:
			var ids []StreamID
			for range rng.IntN(3) + 1 {
				if len(model) > 0 && rng.IntN(2) == 0 {
					ids = append(ids, model[rng.IntN(len(model))].id)
				} else {
					ids = append(ids, randID())
				}
			}
			var n int64
			commit(t, ks, func(tx *Tx) {
				s := openStream(t, tx, "s", true)
				n = must[int64](t)(s.Delete(ids))
				s.Save()
			})
			want := int64(0)
			for _, id := range ids {
				if i := slices.IndexFunc(model, func(e streamEntry) bool { return e.id == id }); i >= 0 {
					model = slices.Delete(model, i, i+1)
					want++
				}
			}
			if n != want {
				t.Fatalf("step %d: XDEL %v deleted %d, want %d", step, ids, n, want)
			}
		case op < 8:
			tr := &StreamTrim{MaxLen: int64(rng.IntN(30))}
			commit(t, ks, func(tx *Tx) {
				s := openStream(t, tx, "s", true)
				must[int64](t)(s.Trim(tr))
				s.Save()
			})
			model = trimModel(t, ks, model, tr)
		default:
			start, end := randID(), randID()
			count := int64(rng.IntN(5))
			rev := rng.IntN(2) == 0
			var got []streamEntry
			read(t, ks, func(tx *Tx) {
				got = entriesOfStream(t, must[*StreamEntries](t)(openStream(t, tx, "s", false).Range(start, end, count, rev)))
			})
			var want []streamEntry
			for _, e := range model {
				if e.id.Compare(start) >= 0 && e.id.Compare(end) <= 0 {
					want = append(want, e)
				}
			}
			if rev {
				slices.Reverse(want)
			}
			if count > 0 && int64(len(want)) > count {
				want = want[:count]
			}
			if !slices.EqualFunc(got, want, func(a, b streamEntry) bool { return a.id == b.id && slices.Equal(a.fv, b.fv) }) {
				t.Fatalf("step %d: range %s..%s count %d rev %v: %v, want %v", step, start, end, count, rev, got, want)
			}
		}
		if step%100 == 0 {
			checkInvariants(t, ks)
			checkStreams(t, ks)
		}
	}
	checkInvariants(t, ks)
	checkStreams(t, ks)
}

// trimModel applies an exact trim to the model, or, for an approximate
// one, checks that what the stream kept is a suffix of the model that
// the trim allows, and takes it.
func trimModel(t testing.TB, ks *Keyspace, model []streamEntry, tr *StreamTrim) []streamEntry {
	t.Helper()
	var ids []StreamID
	read(t, ks, func(tx *Tx) {
		e := must[*StreamEntries](t)(openStream(t, tx, "s", false).Range(StreamID{}, MaxStreamID, 0, false))
		for i := range e.Len() {
			ids = append(ids, e.ID(i))
		}
	})
	keep := model
	if !tr.Approx {
		if tr.MinID {
			i := 0
			for i < len(keep) && keep[i].id.Compare(tr.ID) < 0 {
				i++
			}
			keep = keep[i:]
		} else if int64(len(keep)) > tr.MaxLen {
			keep = keep[int64(len(keep))-tr.MaxLen:]
		}
		if len(ids) != len(keep) {
			t.Fatalf("trim %+v kept %d entries, want %d", tr, len(ids), len(keep))
		}
	}
	if len(ids) > len(model) {
		t.Fatalf("trim %+v: %d entries from %d", tr, len(ids), len(model))
	}
	keep = model[len(model)-len(ids):]
	for i, id := range ids {
		if keep[i].id != id {
			t.Fatalf("trim %+v kept %v, not a suffix of the stream", tr, ids)
		}
	}
	return keep
}

// TestStreamNodesAsRedis checks approximate trimming and node counts
// against results of Redis's own tests (tests/unit/type/stream.tcl).
func TestStreamNodesAsRedis(t *testing.T) {
	ks := newTestKS(t)
	add := func(key string, n int, lim StreamLimits, tr *StreamTrim) {
		t.Helper()
		commit(t, ks, func(tx *Tx) {
			s := openStream(t, tx, key, true)
			s.Create()
			for i := 0; i < n; i++ {
				must[StreamID](t)(s.Add(fvOf("xitem", fmt.Sprint(i)), StreamID{}, false, false, lim, t0+int64(i)))
				if tr != nil {
					must[int64](t)(s.Trim(tr))
				}
			}
			s.Save()
		})
	}
	length := func(key string) (n int64) {
		read(t, ks, func(tx *Tx) { n = openStream(t, tx, key, false).Len() })
		return n
	}
	trim := func(key string, tr *StreamTrim) (n int64) {
		commit(t, ks, func(tx *Tx) {
			s := openStream(t, tx, key, true)
			n = must[int64](t)(s.Trim(tr))
			s.Save()
		})
		return n
	}
	// XADD with MAXLEN option and the '~' argument.
	add("a", 1000, redisLimits, &StreamTrim{MaxLen: 555, Approx: true, Limit: 10000})
	if n := length("a"); n != 600 {
		t.Errorf("XADD MAXLEN ~ 555: length %d, want 600", n)
	}
	// XTRIM with MAXLEN option basic test.
	add("b", 1000, redisLimits, nil)
	for _, c := range []struct {
		tr   StreamTrim
		want int64
	}{{StreamTrim{MaxLen: 666}, 666}, {StreamTrim{MaxLen: 555}, 555},
		{StreamTrim{MaxLen: 444, Approx: true, Limit: 10000}, 500}, {StreamTrim{MaxLen: 400, Approx: true, Limit: 10000}, 400}} {
		trim("b", &c.tr)
		if n := length("b"); n != c.want {
			t.Errorf("XTRIM %+v: length %d, want %d", c.tr, n, c.want)
		}
	}
	// XADD with LIMIT consecutive calls (stream-node-max-entries 10).
	lim10 := StreamLimits{NodeMaxEntries: 10, NodeMaxBytes: 4096}
	add("c", 100, lim10, nil)
	for _, want := range []int64{71, 62} {
		add("c", 1, lim10, &StreamTrim{MaxLen: 55, Approx: true, Limit: 30})
		if n := length("c"); n != want {
			t.Errorf("XADD MAXLEN ~ 55 LIMIT 30: length %d, want %d", n, want)
		}
	}
	// XTRIM with LIMIT delete entries no more than limit (max entries 2).
	add("d", 3, StreamLimits{NodeMaxEntries: 2, NodeMaxBytes: 4096}, nil)
	if n := trim("d", &StreamTrim{Approx: true, Limit: 1}); n != 0 {
		t.Errorf("XTRIM MAXLEN ~ 0 LIMIT 1 = %d, want 0", n)
	}
	if n := trim("d", &StreamTrim{Approx: true, Limit: 2}); n != 2 {
		t.Errorf("XTRIM MAXLEN ~ 0 LIMIT 2 = %d, want 2", n)
	}
	read(t, ks, func(tx *Tx) {
		keys, nodes := mustRax(t)(openStream(t, tx, "c", false).RaxSize())
		if keys != 7 {
			t.Errorf("c: %d nodes, want 7", keys)
		}
		_ = nodes
		keys, nodes = mustRax(t)(openStream(t, tx, "nokey", false).RaxSize())
		if keys != 0 || nodes != 1 {
			t.Errorf("missing stream: rax %d keys %d nodes, want 0 1", keys, nodes)
		}
	})
	checkInvariants(t, ks)
	checkStreams(t, ks)
}

func mustRax(t testing.TB) func(a, b int64, err error) (int64, int64) {
	return func(a, b int64, err error) (int64, int64) {
		t.Helper()
		noErr(t, err)
		return a, b
	}
}

// raxNodesRef counts the nodes of the radix tree of sorted keys by
// recursion over the trie (the reference for raxCounter).
func raxNodesRef(keys [][]byte) int64 {
	if len(keys) == 0 {
		return 1
	}
	var sub func(keys [][]byte, depth int) int64
	sub = func(keys [][]byte, depth int) int64 {
		if depth == len(keys[0]) {
			return 1
		}
		if len(keys) == 1 {
			return 2
		}
		first, last := keys[0][depth:], keys[len(keys)-1][depth:]
		p := 0
		for p < len(first) && first[p] == last[p] {
			p++
		}
		n := int64(1) // the branching node
		if p > 0 {
			n++ // the compressed node before it
			depth += p
		}
		for i := 0; i < len(keys); {
			j := i
			for j < len(keys) && keys[j][depth] == keys[i][depth] {
				j++
			}
			n += sub(keys[i:j], depth+1)
			i = j
		}
		return n
	}
	return sub(keys, 0)
}

func TestRaxCounter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 500; trial++ {
		set := map[StreamID]bool{}
		for range rng.IntN(40) {
			id := StreamID{Ms: uint64(rng.IntN(1 << (rng.IntN(5) * 8)))}
			if rng.IntN(2) == 0 {
				id.Ms += 1_700_000_000_000
			}
			id.Seq = uint64(rng.IntN(1 << (rng.IntN(3) * 8)))
			set[id] = true
		}
		var ids []StreamID
		for id := range set {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, StreamID.Compare)
		var keys [][]byte
		var r raxCounter
		for _, id := range ids {
			k := appendStreamID(nil, id)
			keys = append(keys, k)
			r.add(k)
		}
		if got, want := r.finish(), raxNodesRef(keys); got != want {
			t.Fatalf("%v: %d nodes, want %d", ids, got, want)
		}
	}
}

// TestStreamGroups runs random consumer group operations and checks the
// group, consumer and PEL records' invariants, and a scenario's counts.
func TestStreamGroups(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		s := openStream(t, tx, "s", true)
		s.Create()
		for i := 1; i <= 10; i++ {
			must[StreamID](t)(s.Add(fvOf("f", fmt.Sprint(i)), StreamID{Ms: uint64(i)}, true, true, redisLimits, t0))
		}
		must[bool](t)(s.CreateGroup([]byte("g"), StreamID{}, 0))
		s.Save()
	})
	withGroup := func(fn func(s *Stream, g *StreamGroup)) {
		t.Helper()
		commit(t, ks, func(tx *Tx) {
			s := openStream(t, tx, "s", true)
			g := must[*StreamGroup](t)(s.Group([]byte("g")))
			fn(s, g)
			s.Save()
		})
	}
	withGroup(func(s *Stream, g *StreamGroup) {
		a := must[*StreamConsumer](t)(g.LookupOrCreateConsumer([]byte("a"), t0))
		if e := must[*StreamEntries](t)(g.ReadNew(a, 3, false, t0)); e.Len() != 3 {
			t.Fatalf("read %d, want 3", e.Len())
		}
		b := must[*StreamConsumer](t)(g.LookupOrCreateConsumer([]byte("b"), t0))
		must[*StreamEntries](t)(g.ReadNew(b, 2, false, t0))
		if g.Pending != 5 || a.Pending != 3 || b.Pending != 2 || g.LastID != (StreamID{Ms: 5}) || g.EntriesRead != 5 {
			t.Fatalf("group %+v, a %+v, b %+v", g, a, b)
		}
	})
	checkStreams(t, ks)
	withGroup(func(s *Stream, g *StreamGroup) {
		if n := must[int64](t)(g.Ack([]StreamID{{Ms: 1}, {Ms: 1}, {Ms: 9}})); n != 1 {
			t.Fatalf("acked %d, want 1", n)
		}
		e := must[*StreamEntries](t)(g.Claim([]byte("b"), []StreamID{{Ms: 2}}, &ClaimOptions{RetryCount: -1, DeliveryTime: t0}, t0))
		if e.Len() != 1 {
			t.Fatalf("claimed %d, want 1", e.Len())
		}
		must[int64](t)(s.Delete([]StreamID{{Ms: 3}}))
		e, next, gone := must3(t)(g.AutoClaim([]byte("c"), StreamID{}, 10, 0, true, t0))
		if e.Len() != 3 || !next.IsZero() || len(gone) != 1 || gone[0] != (StreamID{Ms: 3}) {
			t.Fatalf("autoclaim: %d claimed, next %s, gone %v", e.Len(), next, gone)
		}
	})
	checkStreams(t, ks)
	rng := rand.New(rand.NewPCG(5, 6))
	names := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("ab")}
	groups := [][]byte{[]byte("g"), []byte("g2"), []byte("g20")}
	next := uint64(11)
	for step := 0; step < 2000; step++ {
		commit(t, ks, func(tx *Tx) {
			s := openStream(t, tx, "s", true)
			name := names[rng.IntN(len(names))]
			id := StreamID{Ms: uint64(rng.IntN(int(next)))}
			op := rng.IntN(12)
			if op == 0 {
				must[StreamID](t)(s.Add(fvOf("f", "v"), StreamID{Ms: next}, true, true, redisLimits, t0))
				next++
				s.Save()
				return
			}
			if op == 1 {
				must[int64](t)(s.Delete([]StreamID{id}))
				s.Save()
				return
			}
			gname := groups[rng.IntN(len(groups))]
			g := must[*StreamGroup](t)(s.Group(gname))
			if g == nil {
				must[bool](t)(s.CreateGroup(gname, StreamID{Ms: uint64(rng.IntN(int(next)))}, -1))
				s.Save()
				return
			}
			now := t0 + int64(step)
			switch op {
			case 2, 3:
				c := must[*StreamConsumer](t)(g.LookupOrCreateConsumer(name, now))
				must[*StreamEntries](t)(g.ReadNew(c, int64(rng.IntN(3)), rng.IntN(4) == 0, now))
			case 4:
				c := must[*StreamConsumer](t)(g.LookupOrCreateConsumer(name, now))
				must[*StreamEntries](t)(g.ReadHistory(c, StreamID{}, int64(rng.IntN(3)), now))
			case 5:
				must[int64](t)(g.Ack([]StreamID{id}))
			case 6:
				opts := &ClaimOptions{RetryCount: -1, DeliveryTime: now, Force: rng.IntN(2) == 0, JustID: rng.IntN(2) == 0}
				must[*StreamEntries](t)(g.Claim(name, []StreamID{id, {Ms: id.Ms + 1}}, opts, now))
			case 7:
				must3(t)(g.AutoClaim(name, id, int64(rng.IntN(3)+1), int64(rng.IntN(3)), rng.IntN(2) == 0, now))
			case 8:
				g.DeleteConsumer(name)
			case 9:
				if rng.IntN(5) == 0 {
					must[bool](t)(s.DestroyGroup(gname))
				}
			case 10:
				g.SetID(id, -1)
			default:
				must[int64](t)(s.Trim(&StreamTrim{MaxLen: int64(rng.IntN(20)), Approx: rng.IntN(2) == 0, Limit: 10000}))
			}
			s.Save()
		})
		if step%50 == 0 {
			checkStreams(t, ks)
		}
	}
	checkInvariants(t, ks)
	checkStreams(t, ks)
}

func must3(t testing.TB) func(e *StreamEntries, next StreamID, gone []StreamID, err error) (*StreamEntries, StreamID, []StreamID) {
	return func(e *StreamEntries, next StreamID, gone []StreamID, err error) (*StreamEntries, StreamID, []StreamID) {
		t.Helper()
		noErr(t, err)
		return e, next, gone
	}
}

// TestStreamLarge builds a stream of 50,000 entries and checks that range
// reads, group reads and trims touch only what they return or remove
// (iterator moves), and that DEL leaves the records to the sweep.
func TestStreamLarge(t *testing.T) {
	const n = 50_000
	moves := &atomic.Int64{}
	ks := openKS(t, countingEngine{newTestEngine(t), moves})
	for base := 0; base < n; base += 10_000 {
		commit(t, ks, func(tx *Tx) {
			s := openStream(t, tx, "big", true)
			s.Create()
			for i := base; i < base+10_000; i++ {
				must[StreamID](t)(s.Add(fvOf("f", fmt.Sprint(i)), StreamID{Ms: uint64(i + 1)}, true, true, redisLimits, t0))
			}
			if base == 0 {
				must[bool](t)(s.CreateGroup([]byte("g"), StreamID{Ms: n / 2}, -1))
			}
			s.Save()
		})
	}
	checkInvariants(t, ks)
	checkStreams(t, ks)
	check := func(name string, maxMoves int64, fn func(tx *Tx)) {
		t.Helper()
		moves.Store(0)
		commit(t, ks, fn)
		if m := moves.Load(); m > maxMoves {
			t.Errorf("%s: %d iterator moves, want at most %d", name, m, maxMoves)
		}
	}
	ids := func(e *StreamEntries) []uint64 {
		var out []uint64
		for i := range e.Len() {
			out = append(out, e.ID(i).Ms)
		}
		return out
	}
	check("XRANGE - + COUNT 3", 10, func(tx *Tx) {
		e := must[*StreamEntries](t)(openStream(t, tx, "big", false).Range(StreamID{}, MaxStreamID, 3, false))
		if got := ids(e); !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Errorf("XRANGE: %v", got)
		}
	})
	check("XREVRANGE + - COUNT 2", 10, func(tx *Tx) {
		e := must[*StreamEntries](t)(openStream(t, tx, "big", false).Range(StreamID{}, MaxStreamID, 2, true))
		if got := ids(e); !slices.Equal(got, []uint64{n, n - 1}) {
			t.Errorf("XREVRANGE: %v", got)
		}
	})
	check("XRANGE in the middle", 10, func(tx *Tx) {
		e := must[*StreamEntries](t)(openStream(t, tx, "big", false).Range(StreamID{Ms: 30000}, StreamID{Ms: 30002}, 0, false))
		if got := ids(e); !slices.Equal(got, []uint64{30000, 30001, 30002}) {
			t.Errorf("XRANGE: %v", got)
		}
	})
	check("last entry", 5, func(tx *Tx) {
		id, ok := must2id(t)(openStream(t, tx, "big", false).LastEntryID())
		if !ok || id.Ms != n {
			t.Errorf("last entry %s", id)
		}
	})
	check("XREADGROUP > COUNT 5 from the middle", 20, func(tx *Tx) {
		s := openStream(t, tx, "big", true)
		g := must[*StreamGroup](t)(s.Group([]byte("g")))
		c := must[*StreamConsumer](t)(g.LookupOrCreateConsumer([]byte("c"), t0))
		e := must[*StreamEntries](t)(g.ReadNew(c, 5, false, t0))
		if got := ids(e); !slices.Equal(got, []uint64{n/2 + 1, n/2 + 2, n/2 + 3, n/2 + 4, n/2 + 5}) {
			t.Errorf("XREADGROUP: %v", got)
		}
		s.Save()
	})
	check("XTRIM MAXLEN ~ n-1000", 2500, func(tx *Tx) {
		s := openStream(t, tx, "big", true)
		if d := must[int64](t)(s.Trim(&StreamTrim{MaxLen: n - 1000, Approx: true, Limit: 10000})); d != 1000 {
			t.Errorf("trimmed %d, want 1000", d)
		}
		s.Save()
	})
	check("XDEL of the first entry", 20, func(tx *Tx) {
		s := openStream(t, tx, "big", true)
		must[int64](t)(s.Delete([]StreamID{{Ms: 1001}}))
		s.Save()
		if s.Meta().FirstID != (StreamID{Ms: 1002}) {
			t.Errorf("first ID %s", s.Meta().FirstID)
		}
	})
	checkInvariants(t, ks)
	checkStreams(t, ks)
	check("DEL", 5, func(tx *Tx) {
		if !must[bool](t)(tx.Delete(0, []byte("big"), t0)) {
			t.Error("DEL: not deleted")
		}
	})
	checkInvariants(t, ks)
}

func must2id(t testing.TB) func(id StreamID, ok bool, err error) (StreamID, bool) {
	return func(id StreamID, ok bool, err error) (StreamID, bool) {
		t.Helper()
		noErr(t, err)
		return id, ok
	}
}

// TestStreamCorruption: damaged node, group and entry records are
// reported as ErrCorrupt, never a panic.
func TestStreamCorruption(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		s := openStream(t, tx, "s", true)
		s.Create()
		must[StreamID](t)(s.Add(fvOf("f", "v"), StreamID{Ms: 1}, true, true, redisLimits, t0))
		must[bool](t)(s.CreateGroup([]byte("g"), StreamID{}, -1))
		s.Save()
	})
	var version uint64
	read(t, ks, func(tx *Tx) { version = openStream(t, tx, "s", false).m.Version })
	damage := func(tag byte, suffix []byte, val []byte) {
		k := append(append(dataPrefix(version), tag), suffix...)
		b := ks.eng.NewBatch()
		b.Set(k, val)
		noErr(t, b.Commit(false))
	}
	damage(streamEntryTag, appendStreamID(nil, StreamID{Ms: 1}), []byte{5, 1})
	read(t, ks, func(tx *Tx) {
		_, err := openStream(t, tx, "s", false).Range(StreamID{}, MaxStreamID, 0, false)
		if !errorsIsCorrupt(err) {
			t.Errorf("damaged entry: %v", err)
		}
	})
	damage(streamGroupTag, []byte("g"), []byte{1})
	read(t, ks, func(tx *Tx) {
		_, err := openStream(t, tx, "s", false).Group([]byte("g"))
		if !errorsIsCorrupt(err) {
			t.Errorf("damaged group: %v", err)
		}
	})
	damage(streamNodeTag, appendStreamID(nil, StreamID{Ms: 1}), []byte{1})
	commit(t, ks, func(tx *Tx) {
		_, err := openStream(t, tx, "s", true).Add(fvOf("f", "v"), StreamID{}, false, false, redisLimits, t0)
		if !errorsIsCorrupt(err) {
			t.Errorf("damaged node: %v", err)
		}
	})
}

func errorsIsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
