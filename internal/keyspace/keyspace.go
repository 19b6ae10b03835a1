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
	// keys and expires are the committed per-db counts, readable from any
	// goroutine (INFO keyspace, DBSIZE).
	keys    []atomic.Int64
	expires []atomic.Int64
	// version is the last allocated data version. Only the writer (the
	// goroutine holding the write group) touches it.
	version uint64
	// cursors holds the resume points of SCAN cursors.
	cursors *cursorTable
}

// Open loads the keyspace state (counters, version high-water mark) from eng.
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
	}
	for db := 0; db < k.numDBs; db++ {
		n, err := k.loadUint(counterKey(counterKeys, db))
		if err != nil {
			return nil, err
		}
		k.keys[db].Store(int64(n))
		n, err = k.loadUint(counterKey(counterExpires, db))
		if err != nil {
			return nil, err
		}
		k.expires[db].Store(int64(n))
	}
	v, err := k.loadUint(sysKey(sysVersion))
	if err != nil {
		return nil, err
	}
	k.version = v
	return k, nil
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

// Databases returns the number of logical databases.
func (k *Keyspace) Databases() int { return k.numDBs }

// Engine returns the engine the keyspace stores into.
func (k *Keyspace) Engine() engine.Engine { return k.eng }

// KeyCount returns the committed number of keys in db, including keys that
// have expired but not yet been removed (as Redis's DBSIZE does).
func (k *Keyspace) KeyCount(db int) int64 { return k.keys[db].Load() }

// ExpireCount returns the committed number of keys with a TTL in db.
func (k *Keyspace) ExpireCount(db int) int64 { return k.expires[db].Load() }

// nextVersion allocates a new data version. Writer only.
func (t *Tx) nextVersion() uint64 {
	t.ks.version++
	v := t.ks.version
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	t.root().set(sysKey(sysVersion), b[:])
	return v
}

func (t *Tx) root() *Tx {
	for t.parent != nil {
		t = t.parent
	}
	return t
}

// persistCounters writes the counters as they will be after t commits.
func (k *Keyspace) persistCounters(t *Tx) {
	var b [8]byte
	for db := 0; db < k.numDBs; db++ {
		if t.delta.keys[db] != 0 {
			binary.BigEndian.PutUint64(b[:], uint64(k.keys[db].Load()+t.delta.keys[db]))
			t.ov.Set(counterKey(counterKeys, db), b[:])
		}
		if t.delta.expires[db] != 0 {
			binary.BigEndian.PutUint64(b[:], uint64(k.expires[db].Load()+t.delta.expires[db]))
			t.ov.Set(counterKey(counterExpires, db), b[:])
		}
	}
}

func (k *Keyspace) publishCounters(d *counters) {
	for db := 0; db < k.numDBs; db++ {
		k.keys[db].Add(d.keys[db])
		k.expires[db].Add(d.expires[db])
	}
	d.reset()
}
