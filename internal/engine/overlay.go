package engine

import (
	"bytes"
	"sort"

	"github.com/google/btree"
)

// Overlay buffers writes in memory over a base Reader and reads through them:
// Get and NewIter see the buffered writes first, then the base. It is the
// read-your-writes layer that lets the applier run many requests against one
// commit group, and lets one request be discarded without touching the
// others (stack a child Overlay on its parent, then ApplyTo or drop it).
//
// An Overlay is not safe for concurrent use. Iterators created from it see
// the writes buffered at creation time only.
type Overlay struct {
	base Reader
	tree *btree.BTreeG[*overlayEntry]
	size int
}

type overlayEntry struct {
	key   []byte
	value []byte
	del   bool
}

func overlayLess(a, b *overlayEntry) bool { return bytes.Compare(a.key, b.key) < 0 }

var (
	_ Reader = (*Overlay)(nil)
	_ Writer = (*Overlay)(nil)
)

// NewOverlay returns an empty overlay over base.
func NewOverlay(base Reader) *Overlay {
	return &Overlay{base: base, tree: btree.NewG(16, overlayLess)}
}

// Base returns the reader the overlay reads through to.
func (o *Overlay) Base() Reader { return o.base }

// Set buffers key=value. Both slices are copied.
func (o *Overlay) Set(key, value []byte) {
	e := &overlayEntry{key: bytes.Clone(key), value: append(make([]byte, 0, len(value)), value...)}
	o.put(e)
}

// Delete buffers a deletion of key. The slice is copied.
func (o *Overlay) Delete(key []byte) {
	o.put(&overlayEntry{key: bytes.Clone(key), del: true})
}

func (o *Overlay) put(e *overlayEntry) {
	if old, ok := o.tree.ReplaceOrInsert(e); ok {
		o.size -= len(old.key) + len(old.value)
	}
	o.size += len(e.key) + len(e.value)
}

// Get returns the buffered value for key, ErrNotFound for a buffered
// deletion, or else the base's answer. The returned slice is the caller's.
func (o *Overlay) Get(key []byte) ([]byte, error) {
	if e, ok := o.tree.Get(&overlayEntry{key: key}); ok {
		if e.del {
			return nil, ErrNotFound
		}
		return bytes.Clone(e.value), nil
	}
	return o.base.Get(key)
}

// Len returns the number of buffered keys.
func (o *Overlay) Len() int { return o.tree.Len() }

// Size returns the approximate number of buffered bytes.
func (o *Overlay) Size() int { return o.size }

// ApplyTo writes every buffered operation to w in key order.
func (o *Overlay) ApplyTo(w Writer) {
	o.tree.Ascend(func(e *overlayEntry) bool {
		if e.del {
			w.Delete(e.key)
		} else {
			w.Set(e.key, e.value)
		}
		return true
	})
}

// Reset drops every buffered write.
func (o *Overlay) Reset() {
	o.tree.Clear(false)
	o.size = 0
}

// NewIter returns an iterator that merges the buffered writes (as of now)
// with an iterator over the base; buffered entries shadow base entries with
// the same key and buffered deletions hide them.
func (o *Overlay) NewIter(opts IterOptions) (Iterator, error) {
	bi, err := o.base.NewIter(opts)
	if err != nil {
		return nil, err
	}
	var ents []*overlayEntry
	collect := func(e *overlayEntry) bool {
		if opts.UpperBound != nil && bytes.Compare(e.key, opts.UpperBound) >= 0 {
			return false
		}
		ents = append(ents, e)
		return true
	}
	if opts.LowerBound != nil {
		o.tree.AscendGreaterOrEqual(&overlayEntry{key: opts.LowerBound}, collect)
	} else {
		o.tree.Ascend(collect)
	}
	return &mergeIter{base: bi, ents: ents, idx: -1}, nil
}

// mergeIter merges a sorted slice of overlay entries with a base iterator.
type mergeIter struct {
	base Iterator
	ents []*overlayEntry
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
