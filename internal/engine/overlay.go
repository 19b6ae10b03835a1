package engine

import (
	"bytes"
	"sort"

	"github.com/google/btree"
)

// Overlay buffers writes in memory over a base Reader and reads through them:
// Get and NewIter see the buffered writes first, then the base. It is the
// read-your-writes layer that lets the applier run many requests against one
// commit group.
//
// Savepoints make one request's writes undoable without a second buffer:
// Savepoint opens a nested scope, Rollback undoes every write made since,
// Release keeps them (they then belong to the enclosing scope). Writes are
// applied to the one buffer at once and an undo record remembers, per key
// and scope, what they replaced; so reads need no layering, and releasing
// a scope into the base level is O(1). Stacking a second Overlay on top
// (NewOverlay(o), then ApplyTo) works too, at the cost of a copy.
//
// Keys and values are copied into an arena owned by the overlay (reused
// after Recycle).
//
// An Overlay is not safe for concurrent use. Iterators created from it see
// the writes buffered at creation time only.
type Overlay struct {
	base  Reader
	tree  *btree.BTreeG[overlayEntry]
	size  int
	arena arena

	// Open savepoints, innermost last; undo holds their records in
	// write order. nextID numbers savepoints in opening order.
	sps    []savepoint
	undo   []undoRecord
	nextID uint64
}

// overlayEntry is one buffered write. sp is the id of the innermost
// savepoint open when it was written (0: none).
type overlayEntry struct {
	key   []byte
	value []byte
	sp    uint64
	del   bool
}

type savepoint struct {
	id   uint64
	undo int // len(Overlay.undo) when it was opened
}

// undoRecord restores one key to its state before a savepoint first wrote
// it: prev when had, else absent (prev.key names the key).
type undoRecord struct {
	prev overlayEntry
	had  bool
}

// Savepoint names an open savepoint of an Overlay (see Overlay.Savepoint).
type Savepoint int

func overlayLess(a, b overlayEntry) bool { return bytes.Compare(a.key, b.key) < 0 }

var (
	_ Reader = (*Overlay)(nil)
	_ Writer = (*Overlay)(nil)
)

// overlayDegree is the B-tree degree of an Overlay.
const overlayDegree = 16

// NewOverlay returns an empty overlay over base.
func NewOverlay(base Reader) *Overlay {
	return &Overlay{base: base, tree: btree.NewG(overlayDegree, overlayLess)}
}

// Base returns the reader the overlay reads through to.
func (o *Overlay) Base() Reader { return o.base }

// Set buffers key=value. Both slices are copied.
func (o *Overlay) Set(key, value []byte) {
	k, v := o.arena.copy2(key, value)
	o.put(overlayEntry{key: k, value: v})
}

// Delete buffers a deletion of key. The slice is copied.
func (o *Overlay) Delete(key []byte) {
	k, _ := o.arena.copy2(key, nil)
	o.put(overlayEntry{key: k, del: true})
}

func (o *Overlay) put(e overlayEntry) {
	n := len(o.sps)
	if n > 0 {
		e.sp = o.sps[n-1].id
	}
	old, had := o.tree.ReplaceOrInsert(e)
	if had {
		o.size -= len(old.key) + len(old.value)
	}
	o.size += len(e.key) + len(e.value)
	// The first write to a key inside the innermost savepoint (or inside
	// a savepoint it already released) records what to restore.
	if n > 0 && !(had && old.sp >= e.sp) {
		if !had {
			old = overlayEntry{key: e.key}
		}
		o.undo = append(o.undo, undoRecord{prev: old, had: had})
	}
}

// Get returns the buffered value for key, ErrNotFound for a buffered
// deletion, or else the base's answer. The returned slice is the caller's.
func (o *Overlay) Get(key []byte) ([]byte, error) {
	if e, ok := o.tree.Get(overlayEntry{key: key}); ok {
		if e.del {
			return nil, ErrNotFound
		}
		return append(make([]byte, 0, len(e.value)), e.value...), nil
	}
	return o.base.Get(key)
}

// Buffered reports whether the overlay holds a write (set or delete) of a
// key starting with prefix p.
func (o *Overlay) Buffered(p []byte) bool {
	found := false
	o.tree.AscendGreaterOrEqual(overlayEntry{key: p}, func(e overlayEntry) bool {
		found = bytes.HasPrefix(e.key, p)
		return false
	})
	return found
}

// BufferedKey reports whether the overlay holds a write (set or delete)
// of key.
func (o *Overlay) BufferedKey(key []byte) bool { return o.tree.Has(overlayEntry{key: key}) }

// Len returns the number of buffered keys.
func (o *Overlay) Len() int { return o.tree.Len() }

// Size returns the approximate number of buffered bytes.
func (o *Overlay) Size() int { return o.size }

// ApplyTo writes every buffered operation to w in key order.
func (o *Overlay) ApplyTo(w Writer) {
	o.tree.Ascend(func(e overlayEntry) bool {
		if e.del {
			w.Delete(e.key)
		} else {
			w.Set(e.key, e.value)
		}
		return true
	})
}

// Reset drops every buffered write and every savepoint. Iterators
// created before keep their view.
func (o *Overlay) Reset() {
	o.clear()
	o.arena.cur = nil
}

// Recycle is Reset that also reuses the memory that held the buffered keys
// and values. Only call it when no iterator over the overlay is open and
// no slice obtained from one is in use.
func (o *Overlay) Recycle() {
	o.clear()
	o.arena.cur = o.arena.cur[:0]
}

func (o *Overlay) clear() {
	o.tree.Clear(true)
	o.size = 0
	clear(o.undo)
	o.undo = o.undo[:0]
	o.sps = o.sps[:0]
}

// Savepoint opens a savepoint nested in the open ones and returns it.
func (o *Overlay) Savepoint() Savepoint {
	o.nextID++
	o.sps = append(o.sps, savepoint{id: o.nextID, undo: len(o.undo)})
	return Savepoint(len(o.sps))
}

// Rollback undoes every write made since sp was opened and closes sp and
// the savepoints opened after it. Rolling back a savepoint that is no
// longer open does nothing.
func (o *Overlay) Rollback(sp Savepoint) {
	if sp <= 0 || int(sp) > len(o.sps) {
		return
	}
	start := o.sps[sp-1].undo
	for i := len(o.undo) - 1; i >= start; i-- {
		r := &o.undo[i]
		var cur overlayEntry
		var had bool
		if r.had {
			cur, had = o.tree.ReplaceOrInsert(r.prev)
			o.size += len(r.prev.key) + len(r.prev.value)
		} else {
			cur, had = o.tree.Delete(r.prev)
		}
		if had {
			o.size -= len(cur.key) + len(cur.value)
		}
	}
	clear(o.undo[start:])
	o.undo = o.undo[:start]
	o.sps = o.sps[:sp-1]
}

// Release closes sp and the savepoints opened after it, keeping their
// writes: they become writes of the enclosing savepoint, or permanent
// (until Reset) when sp was the outermost. Releasing a savepoint that is
// no longer open does nothing.
func (o *Overlay) Release(sp Savepoint) {
	if sp <= 0 || int(sp) > len(o.sps) {
		return
	}
	start := o.sps[sp-1].undo
	o.sps = o.sps[:sp-1]
	if len(o.sps) == 0 {
		clear(o.undo[start:])
		o.undo = o.undo[:start]
		return
	}
	// Keep one record per key for the enclosing savepoint: drop those
	// for keys it (or a savepoint it released earlier) had written
	// before sp, whose own records restore further back.
	outer := o.sps[len(o.sps)-1].id
	keep := start
	for _, r := range o.undo[start:] {
		if r.had && r.prev.sp >= outer {
			continue
		}
		o.undo[keep] = r
		keep++
	}
	clear(o.undo[keep:])
	o.undo = o.undo[:keep]
}

// Written returns the number of keys written since sp was opened (0 if sp
// is not open). It is exact when no savepoint opened after sp is open.
func (o *Overlay) Written(sp Savepoint) int {
	if sp <= 0 || int(sp) > len(o.sps) {
		return 0
	}
	return len(o.undo) - o.sps[sp-1].undo
}

// NewIter returns an iterator that merges the buffered writes (as of now)
// with an iterator over the base; buffered entries shadow base entries with
// the same key and buffered deletions hide them.
func (o *Overlay) NewIter(opts IterOptions) (Iterator, error) {
	bi, err := o.base.NewIter(opts)
	if err != nil {
		return nil, err
	}
	var ents []overlayEntry
	collect := func(e overlayEntry) bool {
		if opts.UpperBound != nil && bytes.Compare(e.key, opts.UpperBound) >= 0 {
			return false
		}
		ents = append(ents, e)
		return true
	}
	if opts.LowerBound != nil {
		o.tree.AscendGreaterOrEqual(overlayEntry{key: opts.LowerBound}, collect)
	} else {
		o.tree.Ascend(collect)
	}
	return &mergeIter{base: bi, ents: ents, idx: -1}, nil
}

// arena is a bump allocator for the overlay's keys and values. Copies are
// never moved or overwritten until reset, so slices handed out stay valid
// while the overlay holds them (and undo records may point to old ones).
type arena struct {
	cur []byte
}

const (
	arenaSlab = 32 << 10 // bytes per slab
	arenaBig  = 4 << 10  // larger copies get their own allocation
)

// copy2 copies a and b into the arena and returns the copies, each with
// its capacity clipped to its length. Neither result is nil.
func (a *arena) copy2(x, y []byte) ([]byte, []byte) {
	n := len(x) + len(y)
	if n > arenaBig {
		buf := make([]byte, n)
		copy(buf, x)
		copy(buf[len(x):], y)
		return buf[:len(x):len(x)], buf[len(x):]
	}
	if cap(a.cur)-len(a.cur) < n || a.cur == nil {
		a.cur = make([]byte, 0, arenaSlab)
	}
	i := len(a.cur)
	a.cur = append(append(a.cur, x...), y...)
	return a.cur[i : i+len(x) : i+len(x)], a.cur[i+len(x) : i+n : i+n]
}

// mergeIter merges a sorted slice of overlay entries with a base iterator.
type mergeIter struct {
	base Iterator
	ents []overlayEntry
	idx  int // current overlay index
	// src says which source(s) sit at the current key.
	src     mergeSrc
	reverse bool
	valid   bool
	closed  bool
}

type mergeSrc uint8

const (
	srcBase mergeSrc = 1 << iota
	srcOverlay
)

func (m *mergeIter) First() bool {
	if m.closed {
		return false
	}
	m.base.First()
	m.idx = 0
	return m.settleForward()
}

func (m *mergeIter) Last() bool {
	if m.closed {
		return false
	}
	m.base.Last()
	m.idx = len(m.ents) - 1
	return m.settleReverse()
}

func (m *mergeIter) SeekGE(key []byte) bool {
	if m.closed {
		return false
	}
	m.base.SeekGE(key)
	m.idx = sort.Search(len(m.ents), func(i int) bool { return bytes.Compare(m.ents[i].key, key) >= 0 })
	return m.settleForward()
}

func (m *mergeIter) SeekLT(key []byte) bool {
	if m.closed {
		return false
	}
	m.base.SeekLT(key)
	m.idx = sort.Search(len(m.ents), func(i int) bool { return bytes.Compare(m.ents[i].key, key) >= 0 }) - 1
	return m.settleReverse()
}

func (m *mergeIter) Next() bool {
	if !m.valid {
		return false
	}
	if m.reverse {
		// Change direction: reposition both sources just after the current key.
		cur := bytes.Clone(m.Key())
		m.base.SeekGE(cur)
		if m.base.Valid() && bytes.Equal(m.base.Key(), cur) {
			m.base.Next()
		}
		m.idx = sort.Search(len(m.ents), func(i int) bool { return bytes.Compare(m.ents[i].key, cur) > 0 })
		return m.settleForward()
	}
	if m.src&srcBase != 0 {
		m.base.Next()
	}
	if m.src&srcOverlay != 0 {
		m.idx++
	}
	return m.settleForward()
}

func (m *mergeIter) Prev() bool {
	if !m.valid {
		return false
	}
	if !m.reverse {
		cur := bytes.Clone(m.Key())
		m.base.SeekLT(cur)
		m.idx = sort.Search(len(m.ents), func(i int) bool { return bytes.Compare(m.ents[i].key, cur) >= 0 }) - 1
		return m.settleReverse()
	}
	if m.src&srcBase != 0 {
		m.base.Prev()
	}
	if m.src&srcOverlay != 0 {
		m.idx--
	}
	return m.settleReverse()
}

// settleForward positions at the smallest visible key among both sources.
func (m *mergeIter) settleForward() bool {
	m.reverse = false
	for {
		bv := m.base.Valid()
		ov := m.idx >= 0 && m.idx < len(m.ents)
		switch {
		case !bv && !ov:
			m.valid = false
			return false
		case ov && (!bv || bytes.Compare(m.ents[m.idx].key, m.base.Key()) <= 0):
			e := m.ents[m.idx]
			same := bv && bytes.Equal(e.key, m.base.Key())
			if e.del {
				m.idx++
				if same {
					m.base.Next()
				}
				continue
			}
			m.src = srcOverlay
			if same {
				m.src |= srcBase
			}
		default:
			m.src = srcBase
		}
		m.valid = true
		return true
	}
}

// settleReverse positions at the largest visible key among both sources.
func (m *mergeIter) settleReverse() bool {
	m.reverse = true
	for {
		bv := m.base.Valid()
		ov := m.idx >= 0 && m.idx < len(m.ents)
		switch {
		case !bv && !ov:
			m.valid = false
			return false
		case ov && (!bv || bytes.Compare(m.ents[m.idx].key, m.base.Key()) >= 0):
			e := m.ents[m.idx]
			same := bv && bytes.Equal(e.key, m.base.Key())
			if e.del {
				m.idx--
				if same {
					m.base.Prev()
				}
				continue
			}
			m.src = srcOverlay
			if same {
				m.src |= srcBase
			}
		default:
			m.src = srcBase
		}
		m.valid = true
		return true
	}
}

func (m *mergeIter) Valid() bool { return m.valid && !m.closed }

func (m *mergeIter) Key() []byte {
	if m.src&srcOverlay != 0 {
		return m.ents[m.idx].key
	}
	return m.base.Key()
}

func (m *mergeIter) Value() []byte {
	if m.src&srcOverlay != 0 {
		return m.ents[m.idx].value
	}
	return m.base.Value()
}

func (m *mergeIter) Error() error { return m.base.Error() }

func (m *mergeIter) Close() error {
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	m.valid = false
	return m.base.Close()
}
