package keyspace

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/notify"
)

// ErrReadOnly is returned (as a panic value wrapped by the storage runtime)
// when a write is attempted through a read-only Tx. It means a command was
// routed to a read worker although it writes: a bug in the command table.
var ErrReadOnly = errors.New("keyspace: write through a read-only transaction")

// ErrStaleRead is returned by every read of a command read transaction
// (a child of a read Tx) whose optimistic first read was overwritten before
// the transaction needed a consistent view (see Tx.Begin). Nothing it
// returned may be used: run the command again on a new child, pinned
// (Tx.Pin) so that it cannot happen twice. Tx.Stale reports it.
var ErrStaleRead = errors.New("keyspace: read view changed during the command; retry")

// Tx is the unit of work a command runs against.
//
// Write transactions. Keyspace.BeginGroup returns the root of a commit
// group, owned by the single applier. Requests run in children (Begin),
// whose writes are merged into the parent (Merge) or undone (Discard,
// which keeps only the removal of expired keys that write operations met);
// Commit writes the whole group as one engine batch. All transactions of a
// group share one engine.Overlay, and a child is a savepoint in it, so a
// child costs no buffer of its own and Merge is O(1). A Tx has at most one
// open child at a time, and the child's writes are visible through the
// parent: using a parent (reading, writing, Begin, Merge, Commit) while it
// has an open child discards that child first.
//
// Read transactions. Keyspace.ReadTx returns a read-only transaction whose
// reads see one consistent view of the committed state (an engine
// snapshot, taken at its first read). A child of a read Tx (Begin) is the
// view of one command: independent of its parent and siblings, and
// consistent within itself, but cheaper: its first point read goes to the
// engine directly (a single read is consistent on its own) and only a
// second read (or an iterator) takes a snapshot. At that point the first
// read is repeated on the snapshot; if the key changed in between, the
// child is stale (Stale, ErrStaleRead) and the command must run again.
// Commands of one pipeline therefore see the committed state as of each
// command, not one view for the whole pipeline: what Redis promises too.
// Many read transactions may run concurrently. As for writes, a read Tx
// has at most one open child: Begin, Merge and Close discard an open one.
//
// Transactions are recycled: a Tx must not be used after Merge, Discard,
// Commit or Close. A Tx is not safe for concurrent use.
type Tx struct {
	ks     *Keyspace
	parent *Tx
	child  *Tx // the open child, if any

	// ov is the group's overlay (write transactions only; nil for a read
	// Tx). A child writes into it at its savepoint sp.
	ov *engine.Overlay
	sp engine.Savepoint

	// dbm is the database mapping of the transaction's view (dbmap.go):
	// for a write Tx, its commit group's as changed so far; for a read
	// Tx, its engine view's, resolved by readMap before its first key is
	// built (nil until then).
	dbm *dbMap

	view  readView // read transactions only
	delta counters // key/expire count changes not yet merged up
	done  bool

	// expired lists the expired keys this write transaction (or a child
	// it merged or discarded) removed because a write operation met them
	// (lookupForWrite). Discard performs those removals again after
	// rolling the transaction back (see redoExpired). Kept by children
	// only: nothing undoes a root's writes but dropping the whole group.
	expired []expiredKey

	// events are the keyspace notifications emitted in this write
	// transaction (Emit): handed to the parent on Merge, dropped on
	// Discard, taken by the storage runtime from the root before it
	// commits (TakeEvents).
	events []notify.Event

	// kbuf and vbuf are scratch buffers for keys and values handed to
	// the engine or overlay, which copy what they keep; they start in
	// kscratch and vscratch so short ones need no allocation.
	kbuf, vbuf []byte
	kscratch   [48]byte
	vscratch   [64]byte
}

// readView is the state of a read transaction's view of the engine.
type readView struct {
	// optimistic: the first point read may go to the engine directly
	// (command transactions, children of a read Tx).
	optimistic bool
	snap       engine.Snapshot // nil until taken
	// first* record the direct first read, repeated when the snapshot
	// is taken.
	direct     bool
	firstKey   []byte
	firstVal   []byte
	firstFound bool
	stale      bool
	// mapSeq is Keyspace.mapSeq as read with the mapping (readMap):
	// the direct first read is consistent with the mapping only if it
	// has not moved when the read returns.
	mapSeq uint64
	// err is a failure to take the view met while resolving the
	// mapping (readMap), returned by the next read.
	err error
	// spare is a finished child kept for the next Begin.
	spare *Tx
}

// expiredKey is an expired key that a write operation met and removed: the
// database's physical slot (the mapping may change before the removal is
// redone), the key, and the request time at which it was expired.
type expiredKey struct {
	slot int
	now  int64
	key  []byte
}

// counters are per-database key and expiring-key counts.
type counters struct {
	keys    []int64
	expires []int64
	dirty   bool // some count is (or was) nonzero since the last reset
}

func (c *counters) add(o *counters) {
	for i := range c.keys {
		c.keys[i] += o.keys[i]
		c.expires[i] += o.expires[i]
	}
}

func (c *counters) reset() {
	if c.dirty {
		clear(c.keys)
		clear(c.expires)
		c.dirty = false
	}
}

// count adds to the key and expire counts of db. Counts are kept per
// physical slot, so a swap leaves them in place.
func (t *Tx) count(db int, keys, expires int64) {
	t.ensureCounters()
	s := t.slot(db)
	t.delta.keys[s] += keys
	t.delta.expires[s] += expires
}

func (t *Tx) ensureCounters() {
	if len(t.delta.keys) != t.ks.numDBs {
		t.delta.keys = make([]int64, t.ks.numDBs)
		t.delta.expires = make([]int64, t.ks.numDBs)
	}
	t.delta.dirty = true
}

// writer is the Keyspace's state of the single writer: finished
// transactions and the overlay kept for reuse. Only the goroutine holding
// the write group touches it.
type writer struct {
	root *Tx   // a finished root with its overlay, or nil
	free []*Tx // finished children
}

// readPool recycles read transactions (and, through readView.spare, their
// command children).
var readPool = sync.Pool{New: func() any { return new(Tx) }}

// ReadTx returns a read-only transaction over a consistent view of the
// committed state, taken at its first read. Close it when done. The error
// is always nil; it is kept for engines whose views can fail to open
// eagerly.
func (k *Keyspace) ReadTx() (*Tx, error) {
	t := readPool.Get().(*Tx)
	t.ks, t.done = k, false
	return t, nil
}

// BeginGroup returns the root write transaction of a commit group. Only one
// group may be open at a time: the caller (the applier, or the inline
// executor under its write lock) serialises writers.
func (k *Keyspace) BeginGroup() *Tx {
	t := k.w.root
	if t == nil {
		t = &Tx{ks: k, ov: engine.NewOverlay(k.eng)}
	} else {
		k.w.root = nil
		t.done = false
	}
	t.dbm = k.dbmap.Load()
	return t
}

// Begin starts a child transaction: for a write Tx, a savepoint whose
// writes reach the parent on Merge and are undone on Discard; for a read
// Tx, the independent view of one command (see Tx).
func (t *Tx) Begin() *Tx {
	t.settle()
	if t.ov == nil {
		c := t.view.spare
		if c == nil {
			c = new(Tx)
		} else {
			t.view.spare = nil
		}
		c.ks, c.parent, c.done = t.ks, t, false
		c.view.optimistic = true
		t.child = c
		return c
	}
	w := &t.ks.w
	var c *Tx
	if n := len(w.free); n > 0 {
		c = w.free[n-1]
		w.free[n-1] = nil
		w.free = w.free[:n-1]
	} else {
		c = new(Tx)
	}
	c.ks, c.parent, c.ov, c.done = t.ks, t, t.ov, false
	c.dbm = t.dbm
	c.sp = t.ov.Savepoint()
	t.child = c
	return c
}

// settle discards t's open child, if any: a write child's writes are in
// the shared overlay, and t is about to be used; a read child holds a
// snapshot that must not outlive t.
func (t *Tx) settle() {
	if t.child != nil {
		t.child.Discard()
	}
}

// ReadOnly reports whether writes are rejected.
func (t *Tx) ReadOnly() bool { return t.ov == nil }

// Merge folds a child's writes and counter changes into its parent and
// ends the child.
func (t *Tx) Merge() {
	if t.parent == nil {
		panic("keyspace: Merge on a root transaction")
	}
	if t.done {
		return
	}
	t.done = true
	t.settle()
	if t.ov != nil {
		t.ov.Release(t.sp)
		t.parent.dbm = t.dbm
		t.passUp()
	}
	t.recycle()
}

// Discard drops a child's writes, or closes a read Tx, or discards an
// uncommitted root group.
//
// One kind of write outlives the Discard of a write child: the removal of
// an expired key that a write operation met (lookupForWrite). Like Redis,
// which deletes such a key in lookupKeyWrite before the command can fail,
// the removal stands even if the command then fails: after the rollback,
// Discard performs it again in the parent (redoExpired), so the parent is
// exactly as if the child had done nothing but that.
func (t *Tx) Discard() {
	if t.done {
		return
	}
	// t.done is set last: redoExpired still writes through t.
	t.settle()
	if t.ov != nil && t.parent != nil {
		t.ov.Rollback(t.sp)
		t.dbm = t.parent.dbm // a swap of t is undone too
		t.delta.reset()
		clear(t.events)
		t.events = t.events[:0]
		if len(t.expired) > 0 {
			t.redoExpired()
		}
		t.passUp()
	}
	t.done = true
	t.recycle()
}

// passUp hands what a finished write child leaves to its parent: its
// counter changes and its list of expired-key removals (which the parent
// needs to redo them if it is discarded in turn; a root never is).
func (t *Tx) passUp() {
	p := t.parent
	if t.delta.dirty {
		p.ensureCounters()
		p.delta.add(&t.delta)
	}
	if len(t.expired) > 0 && p.parent != nil {
		p.expired = append(p.expired, t.expired...)
	}
	if len(t.events) > 0 {
		p.events = append(p.events, t.events...)
	}
}

// redoExpired removes again the expired keys t removed, which Rollback
// has just put back: t's savepoint is closed, so the writes land in the
// parent's (and t.delta, reset by the caller, collects the counter
// changes for passUp). A key is removed only if it is there and expired at
// the time of the operation that met it: otherwise the removal was already
// redone (a key met twice), or the parent holds the key in another state
// than the one met (a record handed up by a merged child, which met a
// value written earlier in t). removeKey keeps the counters, the expiry
// index and the garbage marker exact, as for any removal.
//
// It runs on t's own scratch buffers because Discard may be called from
// the parent's settle, in the middle of a parent method using the
// parent's. A read error leaves that key for active expiry, as before a
// write met it: nothing is half-written.
func (t *Tx) redoExpired() {
	for i := range t.expired {
		e := &t.expired[i]
		db, ok := t.dbOf(e.slot)
		if !ok {
			continue
		}
		m, ok, err := t.lookupMeta(db, e.key)
		if err != nil || !ok || live(&m, e.now) {
			continue
		}
		t.removeKey(db, e.key, &m)
		t.emitExpired(db, e.key)
	}
}

// recycle releases what a finished transaction holds and keeps it for
// reuse.
func (t *Tx) recycle() {
	p := t.parent
	if p != nil && p.child == t {
		p.child = nil
	}
	t.delta.reset()
	t.dbm = nil
	clear(t.expired)
	t.expired = t.expired[:0]
	clear(t.events)
	t.events = t.events[:0]
	if t.kbuf != nil {
		t.kbuf = t.kbuf[:0]
	}
	if t.vbuf != nil {
		t.vbuf = t.vbuf[:0]
	}
	if t.ov != nil {
		ks := t.ks
		if p == nil {
			t.ov.Recycle() // no iterator outlives a keyspace method
			if ks.w.root == nil {
				ks.w.root = t // done stays true until BeginGroup reissues it
			}
			return
		}
		t.parent, t.ov, t.sp = nil, nil, 0
		ks.w.free = append(ks.w.free, t) // done stays true until Begin reissues it
		return
	}
	// Read transaction.
	v := &t.view
	if v.snap != nil {
		_ = v.snap.Close()
		v.snap = nil
	}
	v.optimistic, v.direct, v.firstFound, v.stale = false, false, false, false
	v.mapSeq, v.err = 0, nil
	v.firstKey, v.firstVal = v.firstKey[:0], v.firstVal[:0]
	// done stays true until Begin or ReadTx reissues t.
	if p != nil {
		t.parent = nil
		if p.view.spare == nil {
			p.view.spare = t
		}
		return
	}
	t.ks = nil
	readPool.Put(t)
}

// Close ends a read Tx or discards an uncommitted root group.
func (t *Tx) Close() { t.Discard() }

// Pending returns the number of keys written in this transaction so far
// (for a root group, including its open child's writes).
func (t *Tx) Pending() int {
	switch {
	case t.ov == nil || t.done:
		return 0
	case t.parent == nil:
		return t.ov.Len()
	}
	return t.ov.Written(t.sp)
}

// Unsettled reports whether the commit group of write transaction t holds
// an uncommitted write to key in db (its meta record, or any record of its
// current value): a reader of the committed state may not have seen the
// key as it is now. WATCH uses it (see package server). A group that
// swapped db with another (SWAPDB) holds a write to every key of db.
func (t *Tx) Unsettled(db int, key []byte) (bool, error) {
	t.mustWrite()
	if err := t.checkDB(db); err != nil {
		return false, err
	}
	t.settle()
	s := t.slot(db)
	if s != int(t.ks.dbmap.Load().slots[db]) {
		return true, nil
	}
	t.kbuf = metaKey(t.keyBuf(), s, key)
	if t.ov.BufferedKey(t.kbuf) {
		return true, nil
	}
	m, ok, err := t.lookupMeta(db, key)
	if err != nil || !ok || m.Version == 0 {
		return false, err
	}
	return t.ov.Buffered(dataPrefix(m.Version)), nil
}

// Stale reports whether the read view of a command transaction changed
// under it (see ErrStaleRead). Always false for a write Tx.
func (t *Tx) Stale() bool { return t.view.stale }

// Pin makes a read Tx take its consistent view now (an engine snapshot),
// so that every later read sees the committed state as of this call and
// the transaction can never become stale. No-op for a write Tx.
func (t *Tx) Pin() error {
	if t.ov != nil || t.view.snap != nil {
		return nil
	}
	return t.pin()
}

// Commit writes a root group to the engine as one atomic batch, with a WAL
// fsync when sync is set, and publishes its counter changes. An empty group
// commits nothing. On error nothing of the group is applied. The Tx is
// finished either way.
func (t *Tx) Commit(sync bool) error {
	if t.parent != nil || t.ov == nil {
		panic("keyspace: Commit on a child or read transaction")
	}
	if t.done {
		return errors.New("keyspace: commit of a finished transaction")
	}
	t.settle()
	t.done = true
	defer t.recycle()
	if t.ov.Len() == 0 {
		return nil
	}
	k := t.ks
	k.persistState(t)
	b := k.eng.NewBatch()
	t.ov.ApplyTo(b)
	if err := k.commitMap(t, b, sync); err != nil {
		_ = b.Close()
		return fmt.Errorf("keyspace: commit group of %d keys: %w", t.ov.Len(), err)
	}
	k.savedVersion = k.version
	if t.delta.dirty {
		k.publishCounters(&t.delta)
	}
	return nil
}

// get reads key through the transaction. Missing keys return (nil, nil).
// Use lookup where a record's value may be empty.
func (t *Tx) get(key []byte) ([]byte, error) {
	v, _, err := t.lookup(key)
	return v, err
}

// lookup reads key through the transaction and reports whether it exists
// (an existing record may have an empty, even nil, value).
func (t *Tx) lookup(key []byte) ([]byte, bool, error) {
	var v []byte
	var err error
	if t.ov != nil {
		t.settle()
		v, err = t.ov.Get(key)
	} else {
		v, err = t.readGet(key)
	}
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, engine.ErrNotFound):
		return nil, false, nil
	}
	return nil, false, err
}

// readGet is get for a read transaction (see readView).
func (t *Tx) readGet(key []byte) ([]byte, error) {
	v := &t.view
	switch {
	case v.stale:
		return nil, ErrStaleRead
	case v.err != nil:
		return nil, v.err
	case v.snap != nil:
		return v.snap.Get(key)
	case v.optimistic && !v.direct:
		val, err := t.ks.eng.Get(key)
		if t.dbm != nil && t.ks.mapSeq.Load() != v.mapSeq {
			// A commit changed the mapping around the read: key
			// may name another database now.
			v.stale = true
			return nil, ErrStaleRead
		}
		if err == nil || errors.Is(err, engine.ErrNotFound) {
			v.direct = true
			v.firstKey = append(v.firstKey[:0], key...)
			v.firstVal = append(v.firstVal[:0], val...)
			v.firstFound = err == nil
		}
		return val, err
	}
	if err := t.pin(); err != nil {
		return nil, err
	}
	return v.snap.Get(key)
}

// pin takes the snapshot of a read transaction, resolves its database
// mapping (pinMap), and checks that the direct first read, if any, still
// holds in it.
func (t *Tx) pin() error {
	if t.done {
		panic("keyspace: use of a finished transaction")
	}
	v, k := &t.view, t.ks
	seq, m := k.mapSeq.Load(), k.dbmap.Load()
	snap, err := k.eng.NewSnapshot()
	if err != nil {
		return fmt.Errorf("keyspace: snapshot: %w", err)
	}
	v.snap = snap
	if err := t.pinMap(snap, seq, m); err != nil {
		return err
	}
	if !v.direct {
		return nil
	}
	val, err := snap.Get(v.firstKey)
	found := err == nil
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("keyspace: read %q: %w", v.firstKey, err)
	}
	if found != v.firstFound || !bytes.Equal(val, v.firstVal) {
		v.stale = true
		return ErrStaleRead
	}
	return nil
}

func (t *Tx) set(key, value []byte) {
	t.mustWrite()
	t.settle()
	t.ov.Set(key, value)
}

func (t *Tx) del(key []byte) {
	t.mustWrite()
	t.settle()
	t.ov.Delete(key)
}

func (t *Tx) iter(lower, upper []byte) (engine.Iterator, error) {
	opts := engine.IterOptions{LowerBound: lower, UpperBound: upper}
	if t.ov != nil {
		t.settle()
		return t.ov.NewIter(opts)
	}
	v := &t.view
	switch {
	case v.stale:
		return nil, ErrStaleRead
	case v.err != nil:
		return nil, v.err
	}
	if v.snap == nil {
		if err := t.pin(); err != nil {
			return nil, err
		}
	}
	return v.snap.NewIter(opts)
}
