package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Database mapping (SWAPDB).
//
// Records name a database by its physical slot: the db byte of meta
// records and expiry index keys, and the per-db counter records. Commands
// name a logical database (SELECT's number). The mapping from logical
// database to slot is a permutation, the identity until a SWAPDB, which
// swaps two entries: O(1) whatever the databases hold. It is persisted as
// the system record 'S' "dbmap" (absent = identity) in the commit group
// of the SWAPDB, so it changes atomically with the data.
//
// Every Tx resolves a logical db through the mapping of its own view
// (Tx.slot). A write Tx uses the mapping of its commit group as changed
// so far (children inherit it on Begin and hand it back on Merge; Discard
// drops it with the rest of the child's writes). Commit publishes it
// (Keyspace.dbmap) after the engine batch is applied. A read Tx must use
// the mapping its engine view was taken with, although views are taken
// concurrently with commits; see readMap and pinMap for the protocol (a
// sequence lock around commits that change the mapping, with the record
// read from the snapshot itself as the fallback), and docs/keyspace.md.

// dbMap is an immutable database mapping.
type dbMap struct {
	// slots[db] is the physical slot of logical database db; dbs is the
	// inverse. Both are a permutation of [0, len); len is at least the
	// number of databases, more when the store was written with more
	// databases than it is opened with (the extra entries are kept for
	// a reopen with more).
	slots, dbs []byte
}

// sysDBMap is the name of the mapping's system record. Its value is
// slots: one byte per logical database.
const sysDBMap = "dbmap"

// dbMapRecord is sysKey(sysDBMap) as a constant.
const dbMapRecord = string(kindSystem) + sysDBMap

// identityMap returns the mapping of a store never swapped.
func identityMap(n int) *dbMap {
	m := &dbMap{slots: make([]byte, n), dbs: make([]byte, n)}
	for i := range n {
		m.slots[i], m.dbs[i] = byte(i), byte(i)
	}
	return m
}

// decodeDBMap decodes a mapping record for a keyspace of numDBs
// databases. The record must be a permutation; an error wrapping
// ErrCorrupt says it is not. A record that maps one of the first numDBs
// databases to a slot past them (the store was swapped with more
// databases than numDBs) is refused too: the keyspace could not reach
// that database's records.
func decodeDBMap(v []byte, numDBs int) (*dbMap, error) {
	if len(v) == 0 || len(v) > 256 {
		return nil, fmt.Errorf("%w: database mapping of %d bytes", ErrCorrupt, len(v))
	}
	n := max(len(v), numDBs)
	m := &dbMap{slots: make([]byte, n), dbs: make([]byte, n)}
	var seen [256]bool
	for db, s := range v {
		if int(s) >= len(v) || seen[s] {
			return nil, fmt.Errorf("%w: database mapping %v is not a permutation", ErrCorrupt, v)
		}
		seen[s] = true
		m.slots[db], m.dbs[s] = s, byte(db)
	}
	for i := len(v); i < n; i++ {
		m.slots[i], m.dbs[i] = byte(i), byte(i)
	}
	for db := range numDBs {
		if int(m.slots[db]) >= numDBs {
			return nil, fmt.Errorf("keyspace: database %d is stored in slot %d since a SWAPDB, beyond the %d databases configured: configure at least %d",
				db, m.slots[db], numDBs, int(m.slots[db])+1)
		}
	}
	return m, nil
}

// swap returns m with databases a and b swapped.
func (m *dbMap) swap(a, b int) *dbMap {
	n := &dbMap{slots: bytes.Clone(m.slots), dbs: bytes.Clone(m.dbs)}
	n.slots[a], n.slots[b] = m.slots[b], m.slots[a]
	n.dbs[n.slots[a]], n.dbs[n.slots[b]] = byte(a), byte(b)
	return n
}

// same reports whether m and o map the first n databases alike.
func (m *dbMap) same(o *dbMap, n int) bool {
	return m == o || bytes.Equal(m.slots[:n], o.slots[:n])
}

// loadDBMap reads the mapping record from r (the engine at Open, or a
// read transaction's snapshot).
func (k *Keyspace) loadDBMap(r engine.Reader) (*dbMap, error) {
	v, err := r.Get([]byte(dbMapRecord))
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return identityMap(k.numDBs), nil
	case err != nil:
		return nil, fmt.Errorf("keyspace: load database mapping: %w", err)
	}
	return decodeDBMap(v, k.numDBs)
}

// slot returns the physical slot of logical database db (checked by the
// caller) in t's view.
func (t *Tx) slot(db int) int {
	if t.dbm == nil {
		t.readMap()
	}
	return int(t.dbm.slots[db])
}

// dbOf returns the logical database of physical slot s in t's view, and
// false for a slot no configured database maps to.
func (t *Tx) dbOf(s int) (int, bool) {
	if t.dbm == nil {
		t.readMap()
	}
	if s >= len(t.dbm.dbs) {
		return 0, false
	}
	db := int(t.dbm.dbs[s])
	return db, db < t.ks.numDBs
}

// readMap resolves the mapping of a read transaction before its first
// key is built (a write Tx always has one). The view is not taken yet:
// an optimistic (command) transaction records the committed mapping and
// the sequence number it was read at, which its direct first read
// checks again after reading (readGet) and its snapshot checks when it
// is taken (pinMap). A transaction that reads from a snapshot anyway, or
// meets a commit in progress that changes the mapping (odd sequence),
// takes its snapshot now and uses the mapping the snapshot holds; an
// error doing so is returned by its next read.
func (t *Tx) readMap() {
	k, v := t.ks, &t.view
	seq := k.mapSeq.Load()
	t.dbm, v.mapSeq = k.dbmap.Load(), seq
	if !v.optimistic || seq&1 != 0 {
		t.dbm = nil
		if err := t.pin(); err != nil {
			if t.dbm == nil {
				t.dbm = k.dbmap.Load() // keys built with it are never read
			}
			if !errors.Is(err, ErrStaleRead) {
				v.err = err
			}
		}
	}
}

// pinMap resolves the mapping of snapshot snap, just taken, for read
// transaction t, given the sequence number and mapping loaded before it
// was taken. If no commit that changes the mapping ran meanwhile, that
// is the snapshot's mapping; otherwise the snapshot's own record is
// read. A transaction whose keys were already built with another
// mapping is stale.
func (t *Tx) pinMap(snap engine.Snapshot, seq uint64, m *dbMap) error {
	k := t.ks
	if seq&1 != 0 || k.mapSeq.Load() != seq {
		var err error
		if m, err = k.loadDBMap(snap); err != nil {
			return err
		}
	}
	switch {
	case t.dbm == nil:
		t.dbm = m
	case !t.dbm.same(m, k.numDBs):
		t.view.stale = true
		return ErrStaleRead
	}
	return nil
}

// SwapDB swaps the contents of databases a and b (SWAPDB): every key,
// with its value and expiry, and the key counts. It costs two record
// writes whatever the databases hold: it changes the logical-to-physical
// database mapping, which the next commands of the group see at once and
// other transactions once the group commits. Swapping a database with
// itself changes nothing. The first swap moves the store to format 2
// (layout.go), which builds that do not know the mapping refuse.
func (t *Tx) SwapDB(a, b int) error {
	t.mustWrite()
	if err := t.checkDB(a); err != nil {
		return err
	}
	if err := t.checkDB(b); err != nil {
		return err
	}
	if a == b {
		return nil
	}
	m := t.dbm.swap(a, b)
	t.set([]byte(dbMapRecord), m.slots)
	t.set(sysKey(sysFormat), binary.BigEndian.AppendUint64(nil, formatVersion))
	t.dbm = m
	return nil
}

// commitMap applies batch b of root group t, publishing the group's
// mapping if it changed: the sequence number is odd from before the
// batch is applied until the mapping is published, so a reader that saw
// the same even number before and after taking its view knows the view
// and the mapping it loaded in between agree.
func (k *Keyspace) commitMap(t *Tx, b engine.Batch, sync bool) error {
	if t.dbm == k.dbmap.Load() {
		return b.Commit(sync)
	}
	k.mapSeq.Add(1)
	err := b.Commit(sync)
	if err == nil {
		k.dbmap.Store(t.dbm)
	}
	k.mapSeq.Add(1)
	return err
}
