package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Generic key operations: existence, type, deletion, expiry, renaming,
// enumeration and flushing. Every method takes the database and the request
// time now (Unix ms); a key whose expiry is at or before now is treated as
// missing. Read methods never write, even in a write transaction; write
// methods look keys up with lookupForWrite, which removes an expired key
// they meet before they act (so counters stay exact), whether or not the
// operation then succeeds.

// ExpireCond restricts Expire (Redis 7's EXPIRE options).
type ExpireCond uint8

// Expire conditions; NX excludes the others, GT excludes LT.
const (
	// ExpireNX sets the expiry only when the key has none.
	ExpireNX ExpireCond = 1 << iota
	// ExpireXX sets the expiry only when the key has one.
	ExpireXX
	// ExpireGT sets the expiry only when it is later than the current
	// one (no expiry counts as infinitely late).
	ExpireGT
	// ExpireLT sets the expiry only when it is earlier than the current
	// one (no expiry counts as infinitely late).
	ExpireLT
)

// Exists reports whether key exists.
func (t *Tx) Exists(db int, key []byte, now int64) (bool, error) {
	_, ok, err := t.getLive(db, key, now)
	return ok, err
}

// Type returns the type of key, TypeNone when it does not exist.
func (t *Tx) Type(db int, key []byte, now int64) (Type, error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return TypeNone, err
	}
	return m.Type, nil
}

// Delete deletes key and reports whether it existed. The cost is O(1)
// whatever the value's size: data records are left to SweepGarbage.
func (t *Tx) Delete(db int, key []byte, now int64) (bool, error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return false, err
	}
	t.removeKey(db, key, &m)
	return true, nil
}

// Expiry returns the expiry time of key in Unix ms (0: the key has no
// expiry); ok is false when the key does not exist.
func (t *Tx) Expiry(db int, key []byte, now int64) (at int64, ok bool, err error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return 0, false, err
	}
	return m.ExpireAt, true, nil
}

// Expire sets the expiry of key to at (Unix ms) if cond allows it and
// reports whether it did. A time at or before now deletes the key (and
// counts as done), as Redis does. A missing key is not changed.
func (t *Tx) Expire(db int, key []byte, at, now int64, cond ExpireCond) (bool, error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return false, err
	}
	cur := m.ExpireAt
	switch {
	case cond&ExpireNX != 0 && cur != 0,
		cond&ExpireXX != 0 && cur == 0,
		cond&ExpireGT != 0 && (cur == 0 || at <= cur),
		cond&ExpireLT != 0 && cur != 0 && at >= cur:
		return false, nil
	}
	if at <= now {
		t.removeKey(db, key, &m)
		return true, nil
	}
	nm := m
	nm.ExpireAt = at
	t.putMeta(db, key, &m, &nm)
	return true, nil
}

// Persist removes the expiry of key and reports whether it had one.
func (t *Tx) Persist(db int, key []byte, now int64) (bool, error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok || m.ExpireAt == 0 {
		return false, err
	}
	nm := m
	nm.ExpireAt = 0
	t.putMeta(db, key, &m, &nm)
	return true, nil
}

// Rename moves the value and expiry of src to dst, replacing dst (RENAME),
// or only when dst does not exist with nx (RENAMENX). It returns
// ErrNoSuchKey when src does not exist, and whether it renamed (false only
// for nx). Renaming a key to itself changes nothing.
//
// The value keeps its version: data records are keyed by version only, so
// only the meta record (and its expiry index entry) moves. Rename writes a
// bounded number of records whatever the value's size; a replaced dst's
// data records are left to SweepGarbage.
func (t *Tx) Rename(db int, src, dst []byte, now int64, nx bool) (bool, error) {
	m, ok, err := t.lookupForWrite(db, src, now)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	old, found, err := t.lookupForWrite(db, dst, now)
	if err != nil {
		return false, err
	}
	if found && nx {
		return false, nil
	}
	var oldp *Meta
	if found {
		oldp = &old
	}
	t.unlinkKey(db, src, &m)
	t.putMeta(db, dst, oldp, &m)
	return true, nil
}

// Keys returns every live key of db matching the glob pattern (KEYS), in
// key order.
func (t *Tx) Keys(db int, pattern []byte, now int64) ([][]byte, error) {
	if err := t.checkDB(db); err != nil {
		return nil, err
	}
	all := isMatchAll(pattern)
	lower, upper := t.keyRange(db, pattern, all)
	it, err := t.iter(lower, upper)
	if err != nil {
		return nil, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	var out [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		key := it.Key()[2:]
		if !all && !Match(pattern, key) {
			continue
		}
		m, err := decodeMeta(it.Value())
		if err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("keyspace: meta of %q in db %d: %w", key, db, err)
		}
		if live(&m, now) {
			out = append(out, bytes.Clone(key))
		}
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	return out, nil
}

// keyRange returns the meta record range holding every key of db that can
// match pattern: the range of its literal prefix.
func (t *Tx) keyRange(db int, pattern []byte, all bool) (lower, upper []byte) {
	lower = metaPrefix(t.slot(db))
	if !all {
		lower = append(lower, globPrefix(pattern)...)
	}
	return lower, prefixEnd(lower)
}

// randomKeySteps bounds the meta records one RandomKey call examines. Past
// it, RandomKey gives up and reports no key: only a db whose keys near
// the drawn point are nearly all expired (and not yet removed by active
// expiry) gets there.
const randomKeySteps = 1024

// RandomKey returns a live key of db chosen with the random number seed,
// ok false when db has none. Keys are not equally likely: it draws a point
// between the first key and the Keyspace's estimate of the last one (by
// the first 8 bytes of the key) and takes the first live key at or after
// it, wrapping around to the first key once.
//
// It only moves forward (some engines, goleveldb in particular, are slow
// to step backwards over the tombstones of deleted keys) and examines at
// most randomKeySteps meta records: past that it reports no key, although
// the db may hold a live key further on (expired keys not yet removed can
// make the live ones arbitrarily sparse). A draw past the last key lowers
// the estimate, so deleted keys at the end of the range stop being drawn.
func (t *Tx) RandomKey(db int, now int64, seed uint64) (key []byte, ok bool, err error) {
	if err := t.checkDB(db); err != nil {
		return nil, false, err
	}
	s := t.slot(db)
	lower := metaPrefix(s)
	it, err := t.iter(lower, prefixEnd(lower))
	if err != nil {
		return nil, false, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	defer it.Close()
	if !it.First() {
		return nil, false, it.Error()
	}
	lo := keyNumber(it.Key()[2:])
	target := lo
	if hi := t.ks.keyHi[s].Load(); hi > lo {
		if span := hi - lo; span == math.MaxUint64 {
			target = seed
		} else {
			target = lo + seed%(span+1)
		}
	}
	start := binary.BigEndian.AppendUint64(metaPrefix(s), target)
	// Walk from the target to the end, then from the first key up to the
	// target, returning the first live key.
	steps := 0
	ok = it.SeekGE(start)
	if !ok {
		if err := it.Error(); err != nil {
			return nil, false, err
		}
		if target > lo {
			t.ks.lowerKeyHi(s, target-1) // no key at or past the target
		}
	}
	for ; ok && steps < randomKeySteps; ok = it.Next() {
		steps++
		if k, found, err := liveKey(it, db, now); found || err != nil {
			return k, found, err
		}
	}
	if ok { // out of steps
		return nil, false, nil
	}
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	for ok := it.First(); ok && steps < randomKeySteps && bytes.Compare(it.Key(), start) < 0; ok = it.Next() {
		steps++
		if k, found, err := liveKey(it, db, now); found || err != nil {
			return k, found, err
		}
	}
	return nil, false, it.Error()
}

// keyNumber reads the first 8 bytes of key (zero-padded) as a BE number.
func keyNumber(key []byte) uint64 {
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

// liveKey returns a copy of the iterator's user key if its meta record is
// live at now.
func liveKey(it engine.Iterator, db int, now int64) ([]byte, bool, error) {
	m, err := decodeMeta(it.Value())
	if err != nil {
		return nil, false, fmt.Errorf("keyspace: meta of %q in db %d: %w", it.Key()[2:], db, err)
	}
	if !live(&m, now) {
		return nil, false, nil
	}
	return bytes.Clone(it.Key()[2:]), true, nil
}

// FlushDB deletes every key of db, expired or not, and returns how many it
// deleted: each meta record and expiry index entry, plus one garbage marker
// per key with data records (which SweepGarbage deletes later). It costs
// O(keys in db) record writes, all buffered in the transaction.
func (t *Tx) FlushDB(db int) (int64, error) {
	t.mustWrite()
	if err := t.checkDB(db); err != nil {
		return 0, err
	}
	lower := metaPrefix(t.slot(db))
	it, err := t.iter(lower, prefixEnd(lower))
	if err != nil {
		return 0, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		key := it.Key()[2:]
		m, err := decodeMeta(it.Value())
		if err != nil {
			_ = it.Close()
			return n, fmt.Errorf("keyspace: meta of %q in db %d: %w", key, db, err)
		}
		t.removeKey(db, key, &m)
		n++
	}
	if err := it.Close(); err != nil {
		return n, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	return n, nil
}

// FlushAll deletes every key of every database (FlushDB on each).
func (t *Tx) FlushAll() (int64, error) {
	var total int64
	for db := 0; db < t.ks.numDBs; db++ {
		n, err := t.FlushDB(db)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
