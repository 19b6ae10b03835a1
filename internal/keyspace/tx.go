package keyspace

import (
	"errors"
	"fmt"

	"github.com/kiwidb/kiwi/internal/engine"
)

// ErrReadOnly is returned (as a panic value wrapped by the storage runtime)
// when a write is attempted through a read-only Tx. It means a command was
// routed to a read worker although it writes: a bug in the command table.
var ErrReadOnly = errors.New("keyspace: write through a read-only transaction")

// Tx is the unit of work a command runs against.
//
// A read Tx (Keyspace.ReadTx) reads a consistent snapshot and rejects writes;
// many may run concurrently. A write Tx (Keyspace.BeginGroup) is the root of
// a commit group owned by the single applier: requests run in children
// (Begin), whose writes are merged into the group (Merge) or dropped
// (Discard); Commit writes the whole group as one engine batch.
//
// A Tx is not safe for concurrent use.
type Tx struct {
	ks     *Keyspace
	parent *Tx
	ov     *engine.Overlay // nil for a read Tx
	reader engine.Reader   // where reads go: ov, or the snapshot
	snap   engine.Snapshot // read Tx only
	delta  counters        // key/expire count changes not yet merged up (nil until the first in a child)
	done   bool
	// kbuf and vbuf are scratch buffers for meta keys and values handed
	// to the engine or overlay, which copy what they keep; kbuf starts in
	// kscratch so short keys need no allocation.
	kbuf, vbuf []byte
	kscratch   [48]byte
	vscratch   [64]byte
}

// counters are per-database key and expiring-key counts.
type counters struct {
	keys    []int64
	expires []int64
}

func newCounters(n int) counters {
	return counters{keys: make([]int64, n), expires: make([]int64, n)}
}

func (c *counters) add(o *counters) {
	for i := range c.keys {
		c.keys[i] += o.keys[i]
		c.expires[i] += o.expires[i]
	}
}

// count adds to the key and expire counts of db.
func (t *Tx) count(db int, keys, expires int64) {
	if t.delta.keys == nil {
		t.delta = newCounters(t.ks.numDBs)
	}
	t.delta.keys[db] += keys
	t.delta.expires[db] += expires
}

func (c *counters) reset() {
	clear(c.keys)
	clear(c.expires)
}

// ReadTx returns a read-only transaction over a snapshot of the committed
// state. Close it when done.
func (k *Keyspace) ReadTx() (*Tx, error) {
	snap, err := k.eng.NewSnapshot()
	if err != nil {
		return nil, fmt.Errorf("keyspace: snapshot: %w", err)
	}
	return &Tx{ks: k, reader: snap, snap: snap}, nil
}

// BeginGroup returns the root write transaction of a commit group. Only one
// group may be open at a time: the caller (the applier, or the inline
// executor under its write lock) serialises writers.
func (k *Keyspace) BeginGroup() *Tx {
	ov := engine.NewOverlay(k.eng)
	return &Tx{ks: k, ov: ov, reader: ov, delta: newCounters(k.numDBs)}
}

// Begin starts a child of a write transaction. Its writes become visible to
// the parent only on Merge.
func (t *Tx) Begin() *Tx {
	if t.ov == nil {
		return &Tx{ks: t.ks, parent: t, reader: t.reader}
	}
	ov := engine.NewOverlay(t.ov)
	return &Tx{ks: t.ks, parent: t, ov: ov, reader: ov}
}

// ReadOnly reports whether writes are rejected.
func (t *Tx) ReadOnly() bool { return t.ov == nil }

// Merge folds a child's writes into its parent and ends the child.
func (t *Tx) Merge() {
	if t.parent == nil {
		panic("keyspace: Merge on a root transaction")
	}
	if t.done {
		return
	}
	t.done = true
	if t.ov == nil {
		return
	}
	t.ov.ApplyTo(t.parent.ov)
	if t.delta.keys != nil {
		t.parent.count(0, 0, 0) // make sure the parent has counters
		t.parent.delta.add(&t.delta)
	}
}

// Discard drops a child's writes (or closes a read Tx).
func (t *Tx) Discard() {
	if t.done {
		return
	}
	t.done = true
	if t.snap != nil {
		_ = t.snap.Close()
	}
}

// Close ends a read Tx or discards an uncommitted root group.
func (t *Tx) Close() { t.Discard() }

// Pending returns the number of keys written in this transaction so far.
func (t *Tx) Pending() int {
	if t.ov == nil {
		return 0
	}
	return t.ov.Len()
}

// Commit writes a root group to the engine as one atomic batch, with a WAL
// fsync when sync is set, and publishes its counter changes. An empty group
// commits nothing. On error nothing of the group is applied.
func (t *Tx) Commit(sync bool) error {
	if t.parent != nil || t.ov == nil {
		panic("keyspace: Commit on a child or read transaction")
	}
	if t.done {
		return errors.New("keyspace: commit of a finished transaction")
	}
	t.done = true
	if t.ov.Len() == 0 {
		return nil
	}
	t.ks.persistCounters(t)
	b := t.ks.eng.NewBatch()
	t.ov.ApplyTo(b)
	if err := b.Commit(sync); err != nil {
		_ = b.Close()
		return fmt.Errorf("keyspace: commit group of %d keys: %w", t.ov.Len(), err)
	}
	t.ks.publishCounters(&t.delta)
	return nil
}

// get reads key through the transaction. Missing keys return (nil, nil).
func (t *Tx) get(key []byte) ([]byte, error) {
	v, err := t.reader.Get(key)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

func (t *Tx) set(key, value []byte) {
	if t.ov == nil {
		panic(ErrReadOnly)
	}
	t.ov.Set(key, value)
}

func (t *Tx) del(key []byte) {
	if t.ov == nil {
		panic(ErrReadOnly)
	}
	t.ov.Delete(key)
}

func (t *Tx) iter(lower, upper []byte) (engine.Iterator, error) {
	return t.reader.NewIter(engine.IterOptions{LowerBound: lower, UpperBound: upper})
}
