// Package keyspace maps the Redis data model onto an ordered engine.Engine.
//
// Every Redis key is one meta record (type, version, expiry, size, inline
// value for small strings) plus, for large values, versioned data records.
// Deleting a key removes the meta record only and leaves a garbage marker
// naming the old version; a background sweep removes the data records later,
// so DEL is O(1) whatever the size of the value. The on-disk layout is
// documented in layout.go and meta.go, the design in docs/keyspace.md.
//
// Reads run on read transactions (ReadTx) from many goroutines at once;
// writes run on the single write group of the applier (BeginGroup). Expired
// keys are invisible to reads at once (lazy expiry) and are deleted by
// ExpireCycle, which the storage runtime runs in the background.
package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Options configures a Keyspace.
type Options struct {
	// Databases is the number of logical databases (SELECT 0..n-1).
	Databases int
	// ScanCursors is the number of SCAN cursors remembered at once
	// (scan.go); 0 means DefaultScanCursors.
	ScanCursors int
}

// Keyspace is the Redis data model over one engine.
type Keyspace struct {
	eng    engine.Engine
	numDBs int
	// dbmap is the committed database mapping (dbmap.go), stored by the
	// writer after the commit that changed it; mapSeq is odd while such a
	// commit is being applied and counts them.
	dbmap  atomic.Pointer[dbMap]
	mapSeq atomic.Uint64
	// keys and expires are the committed counts per physical slot,
	// readable from any goroutine (INFO keyspace, DBSIZE).
	keys    []atomic.Int64
	expires []atomic.Int64
	// version is the last allocated data version, savedVersion the last
	// one committed to the engine. Only the writer (the goroutine holding
	// the write group) touches them, and w.
	version, savedVersion uint64
	w                     writer
	// keysKey and expiresKey are the counter record keys per slot.
	keysKey, expiresKey [][]byte
	// cursors holds the resume points of SCAN cursors.
	cursors *cursorTable
	// keyHi is, per physical slot, RandomKey's estimate of the key number
	// (keyNumber) of the db's last key, the top of the range it draws
	// from. Only a hint: it never decides what RandomKey returns, only
	// how likely each key is. Open sets it; putMeta raises it when a key
	// is created above it; RandomKey lowers it when it draws a point
	// past the last key. Any goroutine may read or lower it.
	keyHi []atomic.Uint64

	// notify holds the keyspace notification classes in effect
	// (notify.Class; SetNotify).
	notify atomic.Uint32
}

// Open loads the keyspace state (counters, version high-water mark) from
// eng. On an empty engine it records the format version; it refuses (an
// error wrapping ErrFormat) a keyspace written in another format.
func Open(eng engine.Engine, opts Options) (*Keyspace, error) {
	if opts.Databases <= 0 || opts.Databases > 256 {
		return nil, fmt.Errorf("keyspace: databases must be in 1..256, got %d", opts.Databases)
	}
	if opts.ScanCursors < 0 {
		return nil, fmt.Errorf("keyspace: scan cursors must be >= 0, got %d", opts.ScanCursors)
	}
	k := &Keyspace{
		eng:     eng,
		numDBs:  opts.Databases,
		keys:    make([]atomic.Int64, opts.Databases),
		expires: make([]atomic.Int64, opts.Databases),
		cursors: newCursorTable(opts.ScanCursors),
		keyHi:   make([]atomic.Uint64, opts.Databases),
	}
	if err := k.checkFormat(); err != nil {
		return nil, err
	}
	m, err := k.loadDBMap(eng)
	if err != nil {
		return nil, err
	}
	k.dbmap.Store(m)
	if err := k.loadKeyHi(); err != nil {
		return nil, err
	}
	for s := 0; s < k.numDBs; s++ {
		k.keysKey = append(k.keysKey, counterKey(counterKeys, s))
		k.expiresKey = append(k.expiresKey, counterKey(counterExpires, s))
		n, err := k.loadUint(k.keysKey[s])
		if err != nil {
			return nil, err
		}
		k.keys[s].Store(int64(n))
		n, err = k.loadUint(k.expiresKey[s])
		if err != nil {
			return nil, err
		}
		k.expires[s].Store(int64(n))
	}
	v, err := k.loadUint(sysKey(sysVersion))
	if err != nil {
		return nil, err
	}
	k.version, k.savedVersion = v, v
	return k, nil
}

// ErrFormat is wrapped by the error Open returns for a keyspace written in
// an on-disk format this build does not read.
var ErrFormat = errors.New("keyspace: unsupported on-disk format")

// checkFormat checks the format version record, writing it when the
// keyspace is empty (a new store). A store with keyspace records but no
// format record predates format versioning and is refused too.
func (k *Keyspace) checkFormat() error {
	key := sysKey(sysFormat)
	v, err := k.eng.Get(key)
	switch {
	case err == nil:
		if len(v) != 8 {
			return fmt.Errorf("%w: format record of %d bytes", ErrFormat, len(v))
		}
		if f := binary.BigEndian.Uint64(v); f < formatBase || f > formatVersion {
			return fmt.Errorf("%w: the data is in format %d, this build reads formats %d to %d", ErrFormat, f, formatBase, formatVersion)
		}
		return nil
	case !errors.Is(err, engine.ErrNotFound):
		return fmt.Errorf("keyspace: load %q: %w", key, err)
	}
	empty, err := k.empty()
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: the engine holds keyspace records but no format version (written before format %d)", ErrFormat, formatBase)
	}
	b := k.eng.NewBatch()
	b.Set(key, binary.BigEndian.AppendUint64(nil, formatBase))
	if err := b.Commit(true); err != nil {
		_ = b.Close()
		return fmt.Errorf("keyspace: write format record: %w", err)
	}
	return nil
}

// empty reports whether the engine holds no keyspace record (of any kind
// the keyspace writes; other key ranges are not the keyspace's business).
func (k *Keyspace) empty() (bool, error) {
	for _, kind := range recordKinds {
		lower := []byte{kind}
		it, err := k.eng.NewIter(engine.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
		if err != nil {
			return false, fmt.Errorf("keyspace: iterate records: %w", err)
		}
		found := it.First()
		if err := it.Close(); err != nil {
			return false, fmt.Errorf("keyspace: iterate records: %w", err)
		}
		if found {
			return false, nil
		}
	}
	return true, nil
}

func (k *Keyspace) loadUint(key []byte) (uint64, error) {
	v, err := k.eng.Get(key)
	if errors.Is(err, engine.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("keyspace: load %q: %w", key, err)
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("keyspace: corrupt system record %q: %d bytes", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// loadKeyHi sets the RandomKey hint of every slot to the number of its
// last key. This is the one backward seek per db (RandomKey itself only moves
// forward), paid once at Open.
func (k *Keyspace) loadKeyHi() error {
	lower := []byte{kindMeta}
	it, err := k.eng.NewIter(engine.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	for s := 0; s < k.numDBs; s++ {
		p := metaPrefix(s)
		if it.SeekLT(prefixEnd(p)) && bytes.HasPrefix(it.Key(), p) {
			k.keyHi[s].Store(keyNumber(it.Key()[len(p):]))
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	return nil
}

// raiseKeyHi records that key now exists in slot s (writer, new keys
// only).
func (k *Keyspace) raiseKeyHi(s int, key []byte) {
	n, h := keyNumber(key), &k.keyHi[s]
	for {
		cur := h.Load()
		if n <= cur || h.CompareAndSwap(cur, n) {
			return
		}
	}
}

// lowerKeyHi records that no key of slot s has a number above n.
func (k *Keyspace) lowerKeyHi(s int, n uint64) {
	h := &k.keyHi[s]
	for {
		cur := h.Load()
		if n >= cur || h.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Databases returns the number of logical databases.
func (k *Keyspace) Databases() int { return k.numDBs }

// Databases returns the number of databases of the transaction's keyspace.
func (t *Tx) Databases() int { return t.ks.numDBs }

// Engine returns the engine the keyspace stores into.
func (k *Keyspace) Engine() engine.Engine { return k.eng }

// KeyCount returns the committed number of keys in db, including keys that
// have expired but not yet been removed (as Redis's DBSIZE does).
func (k *Keyspace) KeyCount(db int) int64 { return k.keys[k.dbmap.Load().slots[db]].Load() }

// ExpireCount returns the committed number of keys with a TTL in db.
func (k *Keyspace) ExpireCount(db int) int64 {
	return k.expires[k.dbmap.Load().slots[db]].Load()
}

// nextVersion allocates a new data version. Writer only. The high-water
// mark is persisted by the commit of the group (persistState); a version
// allocated by a group that commits nothing may be allocated again after a
// restart, which is harmless since nothing of it was stored.
func (t *Tx) nextVersion() uint64 {
	t.ks.version++
	return t.ks.version
}

// persistState writes, into the root group t, the counters as they will
// be after t commits and the version high-water mark if it moved.
func (k *Keyspace) persistState(t *Tx) {
	var b [8]byte
	if k.version != k.savedVersion {
		binary.BigEndian.PutUint64(b[:], k.version)
		t.ov.Set(k.versionKey(), b[:])
	}
	if !t.delta.dirty {
		return
	}
	for s := 0; s < k.numDBs; s++ {
		if t.delta.keys[s] != 0 {
			binary.BigEndian.PutUint64(b[:], uint64(k.keys[s].Load()+t.delta.keys[s]))
			t.ov.Set(k.keysKey[s], b[:])
		}
		if t.delta.expires[s] != 0 {
			binary.BigEndian.PutUint64(b[:], uint64(k.expires[s].Load()+t.delta.expires[s]))
			t.ov.Set(k.expiresKey[s], b[:])
		}
	}
}

// versionKey is sysKey(sysVersion) without an allocation.
func (k *Keyspace) versionKey() []byte { return []byte(versionRecord) }

func (k *Keyspace) publishCounters(d *counters) {
	for s := 0; s < k.numDBs; s++ {
		k.keys[s].Add(d.keys[s])
		k.expires[s].Add(d.expires[s])
	}
	d.reset()
}
