package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Background maintenance: active expiry and the garbage sweep. Both run in
// bounded steps inside a write transaction so the storage runtime can
// interleave them with client writes at low priority.

// ExpireCycle deletes up to limit keys whose expiry time is <= now (Unix ms),
// walking the expiry index in time order. It reports how many keys it
// deleted and whether more expired keys remain. Write transactions only.
//
// An index entry that does not match its key's meta record (which the
// keyspace never leaves behind, but a crash-free invariant is cheap to
// defend) is removed without touching the key or the counters.
func (t *Tx) ExpireCycle(now int64, limit int) (deleted int, more bool, err error) {
	t.mustWrite()
	if limit <= 0 || now < 0 {
		return 0, false, nil
	}
	lower := []byte{kindExpire}
	upper := binary.BigEndian.AppendUint64([]byte{kindExpire}, uint64(now)+1)
	it, err := t.iter(lower, upper)
	if err != nil {
		return 0, false, fmt.Errorf("keyspace: iterate expiry index: %w", err)
	}
	defer it.Close()
	done := 0
	for ok := it.First(); ok; ok = it.Next() {
		if done == limit {
			return deleted, true, nil
		}
		done++
		k := it.Key()
		if len(k) < 1+8+1 {
			return deleted, false, fmt.Errorf("%w: expiry index key of %d bytes", ErrCorrupt, len(k))
		}
		at := int64(binary.BigEndian.Uint64(k[1:9]))
		key := bytes.Clone(k[10:])
		var m Meta
		// The index names the physical slot: the key's database is
		// the one mapped to it now.
		db, found := t.dbOf(int(k[9]))
		if found {
			if m, found, err = t.lookupMeta(db, key); err != nil {
				return deleted, false, err
			}
		}
		if !found || m.ExpireAt != at {
			t.del(k)
			continue
		}
		t.removeKey(db, key, &m)
		t.emitExpired(db, key)
		deleted++
	}
	return deleted, false, it.Error()
}

// SweepGarbage deletes up to limit records of dead key versions (left
// behind by DEL, overwrite, expiry, rename or flush): data records, and
// each garbage marker once its version's range is empty. It reports how
// many records it removed and whether garbage remains. Write transactions
// only.
func (t *Tx) SweepGarbage(limit int) (removed int, more bool, err error) {
	t.mustWrite()
	if limit <= 0 {
		return 0, false, nil
	}
	lower := []byte{kindGarbage}
	it, err := t.iter(lower, prefixEnd(lower))
	if err != nil {
		return 0, false, fmt.Errorf("keyspace: iterate garbage markers: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if removed >= limit {
			return removed, true, nil
		}
		marker := it.Key()
		prefix, err := garbagePrefix(marker)
		if err != nil {
			return removed, false, err
		}
		n, empty, err := t.deleteRange(prefix, limit-removed)
		removed += n
		if err != nil {
			return removed, false, err
		}
		if !empty {
			return removed, true, nil
		}
		if removed >= limit {
			return removed, true, nil
		}
		t.del(marker)
		removed++
	}
	return removed, false, it.Error()
}

// garbagePrefix returns the data prefix a garbage marker names.
func garbagePrefix(marker []byte) ([]byte, error) {
	if len(marker) != garbageKeyLen {
		return nil, fmt.Errorf("%w: garbage marker of %d bytes", ErrCorrupt, len(marker))
	}
	return dataPrefix(binary.BigEndian.Uint64(marker[1:])), nil
}

// deleteRange deletes up to limit records with prefix and reports how many
// it deleted and whether the range is now empty.
func (t *Tx) deleteRange(prefix []byte, limit int) (int, bool, error) {
	it, err := t.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return 0, false, fmt.Errorf("keyspace: iterate data records: %w", err)
	}
	n := 0
	ok := it.First()
	for ; ok && n < limit; ok = it.Next() {
		t.del(it.Key())
		n++
	}
	if err := it.Close(); err != nil {
		return n, false, fmt.Errorf("keyspace: iterate data records: %w", err)
	}
	return n, !ok, nil
}
