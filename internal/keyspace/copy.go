package keyspace

import (
	"fmt"
)

// Move moves key from db to dstDB (MOVE) and reports whether it did: not
// when key is missing or dstDB already holds it. O(1) whatever the size:
// the meta record moves and keeps its version (see Rename).
func (t *Tx) Move(db int, key []byte, dstDB int, now int64) (bool, error) {
	if err := t.checkDB(dstDB); err != nil {
		return false, err
	}
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return false, err
	}
	_, exists, err := t.lookupForWrite(dstDB, key, now)
	if err != nil || exists {
		return false, err
	}
	t.unlinkKey(db, key, &m)
	t.putMeta(dstDB, key, nil, &m)
	return true, nil
}

// Copy copies the value at src in db to dst in dstDB (COPY), with its
// expiry, and reports whether it did: not when src is missing, or dst
// exists and replace is false. A value with data records is copied record
// by record under a new version: O(N).
func (t *Tx) Copy(db int, src []byte, dstDB int, dst []byte, replace bool, now int64) (bool, error) {
	if err := t.checkDB(dstDB); err != nil {
		return false, err
	}
	m, ok, err := t.lookupForWrite(db, src, now)
	if err != nil || !ok {
		return false, err
	}
	old, exists, err := t.lookupForWrite(dstDB, dst, now)
	if err != nil || (exists && !replace) {
		return false, err
	}
	nm := m
	if m.Inline != nil {
		nm.Inline = append([]byte(nil), m.Inline...)
	}
	if m.Version != 0 {
		nm.Version = t.nextVersion()
		if err := t.copyRecords(m.Version, nm.Version); err != nil {
			return false, err
		}
	}
	t.replaceMeta(dstDB, dst, &old, exists, &nm)
	return true, nil
}

// copyRecords writes a copy of every data record of version from under
// version to.
func (t *Tx) copyRecords(from, to uint64) error {
	it, n, err := t.elemIter(from, nil)
	if err != nil {
		return err
	}
	key := appendDataPrefix(nil, to)
	for ok := it.First(); ok; ok = it.Next() {
		key = append(key[:dataPrefixLen], it.Key()[n:]...)
		t.set(key, it.Value())
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("keyspace: copy records: %w", err)
	}
	return nil
}

// ValueSize estimates the bytes the value at key occupies on disk before
// compression (MEMORY USAGE): its meta record plus, for a value with data
// records, their total size, extrapolated from the first samples records
// when samples > 0 (Redis's SAMPLES; 0 reads them all). ok is false for a
// missing key.
func (t *Tx) ValueSize(db int, key []byte, now int64, samples int) (size int64, ok bool, err error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return 0, false, err
	}
	size = int64(1 + len(key) + metaHeaderLen + 16 + len(m.Inline))
	switch {
	case m.Version == 0:
		return size, true, nil
	case m.Type == TypeString:
		return size + m.Len, true, nil // chunks are sparse: Len bounds them
	}
	var seen, bytes int64
	err = t.scanElems(m.Version, nil, func(suffix, val []byte) bool {
		seen++
		bytes += int64(dataPrefixLen + len(suffix) + len(val))
		return samples <= 0 || seen < int64(samples)
	})
	if err != nil {
		return 0, false, err
	}
	records := m.Len
	if m.Type == TypeZSet {
		records *= 2
	}
	if seen > 0 && records > seen {
		bytes = bytes * records / seen
	}
	return size + bytes, true, nil
}
