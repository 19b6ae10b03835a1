package keyspace

import (
	"bytes"
	"fmt"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Collections (hashes, lists, sets, sorted sets).
//
// A collection is a meta record holding its type, version and element
// count (Meta.Len), plus one data record per element (more for sorted
// sets) under dataPrefix(version). Element counts make HLEN, LLEN, SCARD
// and ZCARD O(1); an element is one point read or write; a whole
// collection is one range scan. A collection is never empty on disk: the
// operation that removes its last element removes the key.
//
// This file holds what every collection type shares: typed lookups,
// saving the meta record after a change, element keys and iteration.

// getCollection returns the meta record of the live key if it holds typ
// (read path: never writes). ok is false for a missing key; ErrWrongType
// when it holds another type.
func (t *Tx) getCollection(db int, key []byte, now int64, typ Type) (Meta, bool, error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return Meta{}, false, err
	}
	if m.Type != typ {
		return Meta{}, false, ErrWrongType
	}
	return m, true, nil
}

// collectionForWrite is getCollection for write operations (an expired key
// is removed, see lookupForWrite).
func (t *Tx) collectionForWrite(db int, key []byte, now int64, typ Type) (Meta, bool, error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return Meta{}, false, err
	}
	if m.Type != typ {
		return Meta{}, false, ErrWrongType
	}
	return m, true, nil
}

// openCollection is collectionForWrite that returns a new, empty collection
// of typ (with a fresh version) when the key is missing. found reports
// whether it existed; the caller passes it to saveCollection.
func (t *Tx) openCollection(db int, key []byte, now int64, typ Type) (m Meta, found bool, err error) {
	m, found, err = t.collectionForWrite(db, key, now, typ)
	if err != nil || found {
		return m, found, err
	}
	return Meta{Type: typ, Version: t.nextVersion()}, false, nil
}

// saveCollection writes the meta record of a collection after its elements
// changed: old is the record as it was (ignored unless found), m as it is
// now. A collection left empty is removed (its records are gone already,
// the garbage marker removeKey leaves only covers stragglers); a new one
// left empty was never there. An unchanged record is not rewritten.
func (t *Tx) saveCollection(db int, key []byte, old *Meta, found bool, m *Meta) {
	switch {
	case m.Len > 0 && !found:
		t.putMeta(db, key, nil, m)
	case m.Len > 0:
		if old.Len != m.Len || old.ListHead != m.ListHead || old.ExpireAt != m.ExpireAt || old.Version != m.Version {
			t.putMeta(db, key, old, m)
		}
	case found:
		t.removeKey(db, key, old)
	}
}

// storeCollection replaces the value at dst, whatever its type and TTL,
// with a new collection of typ holding n elements that fill writes under
// the new version (the STORE commands), or deletes dst when n is 0. A new
// list starts at listStartHead. It returns n.
func (t *Tx) storeCollection(db int, dst []byte, now int64, typ Type, n int, fill func(version uint64)) (int64, error) {
	old, found, err := t.lookupForWrite(db, dst, now)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		if found {
			t.removeKey(db, dst, &old)
		}
		return 0, nil
	}
	m := Meta{Type: typ, Version: t.nextVersion(), Len: int64(n)}
	if typ == TypeList {
		m.ListHead = listStartHead
	}
	fill(m.Version)
	t.replaceMeta(db, dst, &old, found, &m)
	return m.Len, nil
}

// elemKey appends the data record key of element sub of version to dst.
func elemKey(dst []byte, version uint64, sub []byte) []byte {
	return append(appendDataPrefix(dst, version), sub...)
}

// getElem reads the data record sub of version: nil, false when missing.
// The value is the caller's, and never nil when found.
func (t *Tx) getElem(version uint64, sub []byte) ([]byte, bool, error) {
	t.kbuf = elemKey(t.keyBuf(), version, sub)
	v, found, err := t.lookup(t.kbuf)
	if err != nil {
		return nil, false, fmt.Errorf("keyspace: read element: %w", err)
	}
	if !found {
		return nil, false, nil
	}
	return append(make([]byte, 0, len(v)), v...), true, nil
}

// hasElem reports whether the data record sub of version exists.
func (t *Tx) hasElem(version uint64, sub []byte) (bool, error) {
	t.kbuf = elemKey(t.keyBuf(), version, sub)
	_, found, err := t.lookup(t.kbuf)
	if err != nil {
		return false, fmt.Errorf("keyspace: read element: %w", err)
	}
	return found, nil
}

// putElem writes the data record sub of version.
func (t *Tx) putElem(version uint64, sub, val []byte) {
	t.kbuf = elemKey(t.keyBuf(), version, sub)
	t.set(t.kbuf, val)
}

// delElem deletes the data record sub of version.
func (t *Tx) delElem(version uint64, sub []byte) {
	t.kbuf = elemKey(t.keyBuf(), version, sub)
	t.del(t.kbuf)
}

// elemIter returns an iterator over the data records of version whose
// suffix (the key after dataPrefix) starts with sub; nil sub means all.
// Callers strip prefixLen bytes from keys to get the suffix.
func (t *Tx) elemIter(version uint64, sub []byte) (it engine.Iterator, prefixLen int, err error) {
	lower := elemKey(make([]byte, 0, dataPrefixLen+len(sub)), version, sub)
	it, err = t.iter(lower, prefixEnd(lower))
	if err != nil {
		return nil, 0, fmt.Errorf("keyspace: iterate elements: %w", err)
	}
	return it, dataPrefixLen, nil
}

// Elems is a list of byte strings stored back to back in one buffer: a
// whole collection read without one allocation per element.
type Elems struct {
	buf  []byte
	ends []int
}

// Add appends a copy of b.
func (e *Elems) Add(b []byte) {
	e.buf = append(e.buf, b...)
	e.ends = append(e.ends, len(e.buf))
}

// Len returns the number of elements.
func (e *Elems) Len() int { return len(e.ends) }

// At returns element i; it aliases the buffer and must not be modified.
func (e *Elems) At(i int) []byte {
	start := 0
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.buf[start:e.ends[i]:e.ends[i]]
}

// scanElems calls fn for every data record of version with suffix prefix
// sub, in key order, with the suffix after sub and the value (both valid
// only during the call), until fn returns false.
func (t *Tx) scanElems(version uint64, sub []byte, fn func(suffix, val []byte) bool) error {
	it, n, err := t.elemIter(version, sub)
	if err != nil {
		return err
	}
	n += len(sub)
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key()[n:], it.Value()) {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("keyspace: iterate elements: %w", err)
	}
	return nil
}

// elemCursorDB is added to the database number of element-scan cursors
// (HSCAN, SSCAN, ZSCAN) in the shared cursor table, so that a SCAN cursor
// and an element cursor never resolve to each other.
const elemCursorDB = 1 << 16

// scanCollection is the walk of HSCAN, SSCAN and ZSCAN: it visits up to
// count records of version whose suffix starts with sub, resuming after
// the record cursor names, and returns the cursor to continue from (0 at
// the end). As for SCAN, the resume point is a record key, so every
// element present for the whole scan is visited exactly once; an unknown
// cursor, or one of another key version, restarts the walk.
func (t *Tx) scanCollection(db int, version uint64, sub []byte, cursor uint64, count int, fn func(suffix, val []byte)) (next uint64, err error) {
	lower := elemKey(nil, version, sub)
	seek := lower
	if cursor != 0 {
		if after, ok := t.ks.cursors.get(cursor, db+elemCursorDB); ok && bytes.HasPrefix(after, lower) {
			seek = append(bytes.Clone(after), 0)
		}
	}
	if count < 1 {
		count = 10
	}
	it, err := t.iter(lower, prefixEnd(lower))
	if err != nil {
		return 0, fmt.Errorf("keyspace: iterate elements: %w", err)
	}
	var last []byte
	ok := it.SeekGE(seek)
	for n := 0; ok && n < count; n++ {
		last = append(last[:0], it.Key()...)
		fn(it.Key()[len(lower):], it.Value())
		ok = it.Next()
	}
	if ok {
		next = t.ks.cursors.put(db+elemCursorDB, last)
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("keyspace: iterate elements: %w", err)
	}
	return next, nil
}
