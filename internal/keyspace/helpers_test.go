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

type versionRef struct {
	db      int
	key     string
	version uint64
}

// checkInvariants walks every record of the engine and checks that the
// counters, the expiry index, the data records and the garbage markers all
// agree with the meta records.
func checkInvariants(t testing.TB, ks *Keyspace) {
	t.Helper()
	it, err := ks.eng.NewIter(engine.IterOptions{})
	noErr(t, err)
	defer it.Close()
	keys := make([]int64, ks.numDBs)
	expires := make([]int64, ks.numDBs)
	metas := map[string]Meta{}
	liveVersions := map[versionRef]bool{}
	garbage := map[versionRef]bool{}
	var expiryEntries, dataKeys [][]byte
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
				liveVersions[versionRef{db, string(k[2:]), m.Version}] = true
			}
			metas[string(k[1:])] = m
		case kindExpire:
			expiryEntries = append(expiryEntries, k)
		case kindData:
			dataKeys = append(dataKeys, k)
		case kindGarbage:
			p, err := garbagePrefix(k)
			noErr(t, err)
			garbage[parseDataPrefix(t, p)] = true
		case kindSystem:
		default:
			t.Errorf("record of unknown kind: %q", k)
		}
	}
	for db := 0; db < ks.numDBs; db++ {
		if got := ks.KeyCount(db); got != keys[db] {
			t.Errorf("db %d: KeyCount %d, records %d", db, got, keys[db])
		}
		if got := ks.ExpireCount(db); got != expires[db] {
			t.Errorf("db %d: ExpireCount %d, records %d", db, got, expires[db])
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
		if liveVersions[v] {
			t.Errorf("garbage marker for live version %+v", v)
		}
	}
	for _, k := range dataKeys {
		v := parseDataPrefix(t, k)
		if !liveVersions[v] && !garbage[v] {
			t.Errorf("orphan data record %q (version %d of %q)", k, v.version, v.key)
		}
	}
}

// parseDataPrefix decodes the (db, key, version) of a data record key or
// prefix.
func parseDataPrefix(t testing.TB, k []byte) versionRef {
	t.Helper()
	if len(k) < 2+4 || k[0] != kindData {
		t.Fatalf("bad data key %q", k)
	}
	n := int(binary.BigEndian.Uint32(k[2:6]))
	if len(k) < 6+n+8 {
		t.Fatalf("bad data key %q", k)
	}
	return versionRef{int(k[1]), string(k[6 : 6+n]), binary.BigEndian.Uint64(k[6+n:])}
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
