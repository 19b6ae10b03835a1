package keyspace

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kiwidb/kiwi/internal/notify"
)

// Errors returned by the data model. Command handlers map them to Redis
// error replies.
var (
	// ErrWrongType is returned when a command meets a key holding another
	// type than it operates on (Redis's WRONGTYPE).
	ErrWrongType = errors.New("keyspace: operation against a key holding the wrong kind of value")
	// ErrNoSuchKey is returned by Rename when the source key is missing.
	ErrNoSuchKey = errors.New("keyspace: no such key")
	// ErrStringTooLong is returned when a string would grow beyond the
	// caller's limit (proto-max-bulk-len).
	ErrStringTooLong = errors.New("keyspace: string exceeds maximum allowed size")
	// ErrBadDB is returned for a database number outside 0..Databases-1.
	ErrBadDB = errors.New("keyspace: database index out of range")
)

// This file holds the record-level primitives every operation is built
// from. All writes of meta records go through putMeta and removeKey, which
// keep the key and expire counters, the expiry index and the garbage
// markers in step with the meta records: no other code touches them.

// live reports whether m has not expired at now (Unix ms).
func live(m *Meta, now int64) bool { return m.ExpireAt == 0 || m.ExpireAt > now }

func (t *Tx) checkDB(db int) error {
	if db < 0 || db >= t.ks.numDBs {
		return fmt.Errorf("%w: %d", ErrBadDB, db)
	}
	return nil
}

// mustWrite panics with ErrReadOnly when t is a read transaction. Write
// paths call it before touching counters.
func (t *Tx) mustWrite() {
	if t.ov == nil {
		panic(ErrReadOnly)
	}
	if t.done {
		panic("keyspace: write through a finished transaction")
	}
}

// lookupMeta reads the meta record of key, expired or not.
func (t *Tx) lookupMeta(db int, key []byte) (Meta, bool, error) {
	if err := t.checkDB(db); err != nil {
		return Meta{}, false, err
	}
	t.kbuf = metaKey(t.keyBuf(), t.slot(db), key)
	v, err := t.get(t.kbuf)
	if err != nil {
		return Meta{}, false, fmt.Errorf("keyspace: read meta of %q: %w", key, err)
	}
	if v == nil {
		return Meta{}, false, nil
	}
	m, err := decodeMeta(v)
	if err != nil {
		return Meta{}, false, fmt.Errorf("keyspace: meta of %q in db %d: %w", key, db, err)
	}
	return m, true, nil
}

// getLive returns the meta record of key if the key exists and has not
// expired at now. It never writes (lazy expiry on the read path).
func (t *Tx) getLive(db int, key []byte, now int64) (Meta, bool, error) {
	m, ok, err := t.lookupMeta(db, key)
	if err != nil || !ok || !live(&m, now) {
		return Meta{}, false, err
	}
	return m, true, nil
}

// lookupForWrite is getLive for write operations, and the one way they
// look a key up: a key found expired is removed first (meta record, expiry
// index entry, counters, garbage marker), as Redis's lookupKeyWrite does,
// so the caller sees it missing and DBSIZE drops at once.
//
// The removal does not depend on what the operation does next: it stands
// even if the command then fails and its transaction is discarded. That
// is the transaction layer's job: the key is recorded in t.expired and
// Tx.Discard removes it again after the rollback (redoExpired). A root
// group records nothing: it is only ever discarded whole.
func (t *Tx) lookupForWrite(db int, key []byte, now int64) (Meta, bool, error) {
	t.mustWrite()
	m, ok, err := t.lookupMeta(db, key)
	if err != nil || !ok {
		return Meta{}, false, err
	}
	if !live(&m, now) {
		t.removeKey(db, key, &m)
		t.emitExpired(db, key)
		if t.parent != nil {
			t.expired = append(t.expired, expiredKey{slot: t.slot(db), now: now, key: bytes.Clone(key)})
		}
		return Meta{}, false, nil
	}
	return m, true, nil
}

// keyBuf returns the Tx's empty key scratch buffer. Callers build a key
// in it, store the result back in t.kbuf (to keep grown capacity) and hand
// it to the engine or overlay, which copy what they keep.
func (t *Tx) keyBuf() []byte {
	if t.kbuf == nil {
		t.kbuf = t.kscratch[:0]
	}
	return t.kbuf[:0]
}

// putMeta stores m as the meta record of key, replacing old (nil when the
// key does not exist). It adjusts the counters, moves the expiry index
// entry when the expiry changes, and leaves a garbage marker for old's data
// records when the version changes.
func (t *Tx) putMeta(db int, key []byte, old, m *Meta) {
	t.mustWrite()
	s := t.slot(db)
	if old == nil {
		t.count(db, 1, 0)
		t.ks.raiseKeyHi(s, key)
		t.Emit(notify.New, "new", db, key)
	} else {
		if old.Version != 0 && old.Version != m.Version {
			t.markGarbage(db, key, old.Version)
		}
		if old.ExpireAt != 0 && old.ExpireAt != m.ExpireAt {
			t.kbuf = expireKey(t.keyBuf(), s, key, old.ExpireAt)
			t.del(t.kbuf)
			t.count(db, 0, -1)
		}
	}
	if m.ExpireAt != 0 && (old == nil || old.ExpireAt != m.ExpireAt) {
		t.kbuf = expireKey(t.keyBuf(), s, key, m.ExpireAt)
		t.set(t.kbuf, nil)
		t.count(db, 0, 1)
	}
	t.vbuf = encodeMeta(t.valBuf(), m)
	t.kbuf = metaKey(t.keyBuf(), s, key)
	t.set(t.kbuf, t.vbuf)
}

// replaceMeta is putMeta for a value that replaces whatever key held (a
// STORE destination): old is the current record if found.
func (t *Tx) replaceMeta(db int, key []byte, old *Meta, found bool, m *Meta) {
	if found {
		t.putMeta(db, key, old, m)
	} else {
		t.putMeta(db, key, nil, m)
	}
}

// removeKey deletes key whose current meta record is m: the meta record,
// its expiry index entry and counters, and leaves a garbage marker for its
// data records (O(1) whatever the value size; SweepGarbage deletes them).
func (t *Tx) removeKey(db int, key []byte, m *Meta) {
	t.unlinkKey(db, key, m)
	if m.Version != 0 {
		t.markGarbage(db, key, m.Version)
	}
}

// unlinkKey deletes the meta record of key (current meta m), its expiry
// index entry and counters, and leaves m's data records alone: they still
// belong to m.Version, which the caller re-links (RENAME) or marks dead.
func (t *Tx) unlinkKey(db int, key []byte, m *Meta) {
	t.mustWrite()
	s := t.slot(db)
	t.kbuf = metaKey(t.keyBuf(), s, key)
	t.del(t.kbuf)
	t.count(db, -1, 0)
	if m.ExpireAt != 0 {
		t.kbuf = expireKey(t.keyBuf(), s, key, m.ExpireAt)
		t.del(t.kbuf)
		t.count(db, 0, -1)
	}
}

// markGarbage writes the garbage marker of a dead version that belonged to
// key in db.
func (t *Tx) markGarbage(db int, key []byte, version uint64) {
	t.kbuf = garbageKey(t.keyBuf(), version)
	t.vbuf = garbageValue(t.valBuf(), t.slot(db), key)
	t.set(t.kbuf, t.vbuf)
}

// valBuf is keyBuf for values (t.vbuf).
func (t *Tx) valBuf() []byte {
	if t.vbuf == nil {
		t.vbuf = t.vscratch[:0]
	}
	return t.vbuf[:0]
}
