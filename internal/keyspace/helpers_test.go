package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
)

const testDBs = 4

// t0 is the fixed "now" of the tests (Unix ms).
const t0 = int64(1_750_000_000_000)

func openKS(t testing.TB, eng engine.Engine) *Keyspace {
	t.Helper()
	ks, err := Open(eng, Options{Databases: testDBs})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// newTestEngine returns a real Pebble on an in-memory filesystem, closed
// when the test ends.
func newTestEngine(t testing.TB) engine.Engine {
	t.Helper()
	eng, err := pebble.Open(engine.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return eng
}

func newTestKS(t testing.TB) *Keyspace {
	t.Helper()
	return openKS(t, newTestEngine(t))
}

// commit runs fn in a child of a new commit group, merges and commits it.
func commit(t testing.TB, ks *Keyspace, fn func(tx *Tx)) {
	t.Helper()
	g := ks.BeginGroup()
	c := g.Begin()
	fn(c)
	c.Merge()
	if err := g.Commit(true); err != nil {
		t.Fatal(err)
	}
}

// read runs fn in a read transaction.
func read(t testing.TB, ks *Keyspace, fn func(tx *Tx)) {
	t.Helper()
	tx, err := ks.ReadTx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	fn(tx)
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkInvariants walks every record of the engine and checks that the
// counters, the expiry index, the data records and the garbage markers all
// agree with the meta records, and that no two keys share a version.
func checkInvariants(t testing.TB, ks *Keyspace) {
	t.Helper()
	it, err := ks.eng.NewIter(engine.IterOptions{})
	noErr(t, err)
	defer it.Close()
	keys := make([]int64, ks.numDBs)
	expires := make([]int64, ks.numDBs)
	metas := map[string]Meta{}
	liveVersions := map[uint64]string{} // version → meta key
	garbage := map[uint64]bool{}
	var expiryEntries, dataKeys [][]byte
	format := uint64(0)
	var dbmap []byte
	for ok := it.First(); ok; ok = it.Next() {
		k := bytes.Clone(it.Key())
		switch k[0] {
		case kindMeta:
			db := int(k[1])
			m, err := decodeMeta(bytes.Clone(it.Value()))
			if err != nil {
				t.Fatalf("meta %q: %v", k, err)
			}
			keys[db]++
			if m.ExpireAt != 0 {
				expires[db]++
			}
			if m.Version != 0 {
				if m.Version > ks.version {
					t.Errorf("meta %q has version %d > allocated %d", k, m.Version, ks.version)
				}
				if other, dup := liveVersions[m.Version]; dup {
					t.Errorf("meta %q and %q share version %d", other, k, m.Version)
				}
				liveVersions[m.Version] = string(k)
			}
			metas[string(k[1:])] = m
		case kindExpire:
			expiryEntries = append(expiryEntries, k)
		case kindData:
			dataKeys = append(dataKeys, k)
		case kindGarbage:
			p, err := garbagePrefix(k)
			noErr(t, err)
			v := dataVersion(t, p)
			if v == 0 || v > ks.version {
				t.Errorf("garbage marker for version %d (allocated %d)", v, ks.version)
			}
			garbage[v] = true
		case kindSystem:
			switch string(k[1:]) {
			case sysFormat:
				format = binary.BigEndian.Uint64(it.Value())
			case sysDBMap:
				dbmap = bytes.Clone(it.Value())
			}
		default:
			t.Errorf("record of unknown kind: %q", k)
		}
	}
	switch {
	case format == formatBase && dbmap != nil:
		t.Errorf("database mapping %v in a format %d store", dbmap, format)
	case format != formatBase && format != formatVersion:
		t.Errorf("format record %d", format)
	}
	m := ks.dbmap.Load()
	if dbmap != nil && !bytes.Equal(m.slots[:len(dbmap)], dbmap) {
		t.Errorf("database mapping %v, record %v", m.slots, dbmap)
	}
	for db := 0; db < ks.numDBs; db++ {
		s := m.slots[db]
		if int(m.dbs[s]) != db {
			t.Errorf("database mapping %v, inverse %v", m.slots, m.dbs)
		}
		if got := ks.KeyCount(db); got != keys[s] {
			t.Errorf("db %d (slot %d): KeyCount %d, records %d", db, s, got, keys[s])
		}
		if got := ks.ExpireCount(db); got != expires[s] {
			t.Errorf("db %d (slot %d): ExpireCount %d, records %d", db, s, got, expires[s])
		}
	}
	indexed := map[string]bool{}
	for _, k := range expiryEntries {
		at := int64(binary.BigEndian.Uint64(k[1:9]))
		id := string(k[9:])
		m, ok := metas[id]
		if !ok || m.ExpireAt != at {
			t.Errorf("stale expiry index entry %q at %d (meta found %v, expireAt %d)", k[10:], at, ok, m.ExpireAt)
		}
		if indexed[id] {
			t.Errorf("two expiry index entries for %q", k[10:])
		}
		indexed[id] = true
	}
	for id, m := range metas {
		if m.ExpireAt != 0 && !indexed[id] {
			t.Errorf("key %q expires at %d but has no index entry", id[1:], m.ExpireAt)
		}
	}
	for v := range garbage {
		if key, ok := liveVersions[v]; ok {
			t.Errorf("garbage marker for live version %d of %q", v, key)
		}
	}
	records := map[uint64]int64{}
	for _, k := range dataKeys {
		v := dataVersion(t, k)
		records[v]++
		if _, ok := liveVersions[v]; !ok && !garbage[v] {
			t.Errorf("orphan data record %q (version %d)", k, v)
		}
	}
	for id, m := range metas {
		want := m.Len
		switch m.Type {
		case TypeString, TypeStream: // streams: checkStream
			continue
		case TypeZSet:
			want = 2 * m.Len // member and score records
		}
		if got := records[m.Version]; got != want {
			t.Errorf("%s %q: %d elements, %d data records (want %d)", m.Type, id[1:], m.Len, got, want)
		}
	}
}

// dataVersion decodes the version of a data record key or prefix.
func dataVersion(t testing.TB, k []byte) uint64 {
	t.Helper()
	if len(k) < dataPrefixLen || k[0] != kindData {
		t.Fatalf("bad data key %q", k)
	}
	return binary.BigEndian.Uint64(k[1:dataPrefixLen])
}

// countRange returns the number of engine records with prefix p.
func countRange(t testing.TB, eng engine.Engine, p []byte) int {
	t.Helper()
	it, err := eng.NewIter(engine.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	noErr(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

func dump(t testing.TB, eng engine.Engine) string {
	it, err := eng.NewIter(engine.IterOptions{})
	noErr(t, err)
	defer it.Close()
	var b bytes.Buffer
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Fprintf(&b, "%q = %q\n", it.Key(), it.Value())
	}
	return b.String()
}
