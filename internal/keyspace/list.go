package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Lists.
//
// A list is a collection (collection.go) whose element i (0 at the head)
// is the data record dataPrefix(version) + BE uint64(ListHead + i): the
// elements are in list order, and Meta.ListHead is the sequence number of
// the first one. A new list starts at listStartHead, the middle of the
// sequence space; pushing at the head decrements ListHead, pushing at the
// tail writes sequence ListHead + Len, so pushes and pops at both ends,
// LINDEX, LSET and LLEN are O(1) (one or two point operations) and LRANGE
// is one range scan of exactly the elements returned.
//
// Invariant: the elements are the sequences ListHead .. ListHead+Len-1,
// all present, and ListHead+Len <= MaxUint64 (so the sequence just past
// the tail, an iteration bound, is representable). A push that would
// leave that range (2^63 more pushes than pops at one end: never in
// practice) first renumbers the list: its elements are copied under a
// new version, centred in the sequence space, and the old version goes to
// the garbage sweep. O(N), but it cannot happen twice within 2^62 pushes.
//
// Operations in the middle of a list move elements, as Redis's do:
// LINSERT shifts the elements on the shorter side of the insertion point
// by one sequence, LREM compacts the survivors on the side of the removed
// elements that has fewer of them. Both rewrite those records: O(N) writes
// in the worst case (the pivot or the removed elements in the middle).
//
// Lists are never empty on disk: an operation that removes the last
// element removes the key. When a pop or LTRIM removes every element it
// does not delete the records one by one: the key's removal leaves a
// garbage marker and the sweep deletes them, as for DEL.

// ErrIndexOutOfRange is returned by ListSet for an index outside the list
// (Redis's "ERR index out of range").
var ErrIndexOutOfRange = errors.New("keyspace: index out of range")

// listStartHead is the ListHead of a new (or renumbered) list: the middle
// of the sequence space, leaving 2^63 pushes of room at either end.
const listStartHead = 1 << 63

// listKey appends the data record key of element i of list m to dst. i
// may be m.Len (the bound just past the tail).
func listKey(dst []byte, m *Meta, i int64) []byte {
	return binary.BigEndian.AppendUint64(appendDataPrefix(dst, m.Version), m.ListHead+uint64(i))
}

// checkList validates the sequence range of a list meta record.
func checkList(m *Meta) error {
	if m.ListHead > math.MaxUint64-uint64(m.Len) {
		return fmt.Errorf("%w: list head %d with %d elements", ErrCorrupt, m.ListHead, m.Len)
	}
	return nil
}

// getList is getCollection for lists (read path).
func (t *Tx) getList(db int, key []byte, now int64) (Meta, bool, error) {
	m, ok, err := t.getCollection(db, key, now, TypeList)
	if err == nil && ok {
		err = checkList(&m)
	}
	return m, ok, err
}

// listForWrite is collectionForWrite for lists.
func (t *Tx) listForWrite(db int, key []byte, now int64) (Meta, bool, error) {
	m, ok, err := t.collectionForWrite(db, key, now, TypeList)
	if err == nil && ok {
		err = checkList(&m)
	}
	return m, ok, err
}

// openList is openCollection for lists: a missing key gives a new, empty
// list starting at listStartHead.
func (t *Tx) openList(db int, key []byte, now int64) (Meta, bool, error) {
	m, found, err := t.openCollection(db, key, now, TypeList)
	switch {
	case err != nil:
	case found:
		err = checkList(&m)
	default:
		m.ListHead = listStartHead
	}
	return m, found, err
}

// listGet reads element i of list m (0 <= i < m.Len). The value is the
// caller's.
func (t *Tx) listGet(m *Meta, i int64) ([]byte, error) {
	t.kbuf = listKey(t.keyBuf(), m, i)
	v, found, err := t.lookup(t.kbuf)
	if err != nil {
		return nil, fmt.Errorf("keyspace: read list element: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("%w: list element %d of %d missing (version %d)", ErrCorrupt, i, m.Len, m.Version)
	}
	return append(make([]byte, 0, len(v)), v...), nil
}

// listPut writes element i of list m.
func (t *Tx) listPut(m *Meta, i int64, val []byte) {
	t.kbuf = listKey(t.keyBuf(), m, i)
	t.set(t.kbuf, val)
}

// listDel deletes the record of element i of list m.
func (t *Tx) listDel(m *Meta, i int64) {
	t.kbuf = listKey(t.keyBuf(), m, i)
	t.del(t.kbuf)
}

// scanList calls fn with the index and value (valid only during the call)
// of the elements [from, to) of list m, in order, or from the last one
// back when reverse, until fn returns false. 0 <= from, to <= m.Len. A
// missing element is reported as corruption.
//
// fn may write records of the list: the iterator of a write transaction
// sees the overlay as of its creation (engine.Overlay.NewIter), so the
// scan reads the values as they were when it began.
func (t *Tx) scanList(m *Meta, from, to int64, reverse bool, fn func(i int64, val []byte) bool) error {
	if from >= to {
		return nil
	}
	it, err := t.iter(listKey(nil, m, from), listKey(nil, m, to))
	if err != nil {
		return fmt.Errorf("keyspace: iterate list: %w", err)
	}
	i, step, ok := from, int64(1), false
	if reverse {
		i, step, ok = to-1, -1, it.Last()
	} else {
		ok = it.First()
	}
	done := false
	for ; ok; i += step {
		k := it.Key()
		if len(k) != dataPrefixLen+8 || binary.BigEndian.Uint64(k[dataPrefixLen:]) != m.ListHead+uint64(i) {
			_ = it.Close()
			return fmt.Errorf("%w: list record %q where element %d was expected (version %d)", ErrCorrupt, k, i, m.Version)
		}
		if !fn(i, it.Value()) {
			done = true
			break
		}
		if reverse {
			ok = it.Prev()
		} else {
			ok = it.Next()
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("keyspace: iterate list: %w", err)
	}
	if !done && (!reverse && i != to || reverse && i != from-1) {
		return fmt.Errorf("%w: list elements [%d, %d) of %d missing (version %d)", ErrCorrupt, from, to, m.Len, m.Version)
	}
	return nil
}

// listRenumber copies the elements of list m under a new version,
// centred in the sequence space, and updates m. The old version's records
// are left to the garbage sweep: saveCollection marks the old version dead
// because the version changed. O(N); only needed when a push would run
// off one end of the sequence space (see the top of this file).
func (t *Tx) listRenumber(m *Meta) error {
	nm := *m
	nm.Version = t.nextVersion()
	nm.ListHead = listStartHead - uint64(m.Len)/2
	err := t.scanList(m, 0, m.Len, false, func(i int64, val []byte) bool {
		t.listPut(&nm, i, val)
		return true
	})
	if err != nil {
		return err
	}
	*m = nm
	return nil
}

// listPush pushes elems one by one at the head (left) or the tail of list
// m (so LPUSH a b c leaves c first), renumbering first if the sequence
// space is short.
func (t *Tx) listPush(m *Meta, elems [][]byte, left bool) error {
	n := uint64(len(elems))
	if left && m.ListHead < n || !left && math.MaxUint64-m.ListHead-uint64(m.Len) < n {
		if err := t.listRenumber(m); err != nil {
			return err
		}
	}
	for _, e := range elems {
		if left {
			m.ListHead--
			m.Len++
			t.listPut(m, 0, e)
		} else {
			m.Len++
			t.listPut(m, m.Len-1, e)
		}
	}
	return nil
}

// ListPush is LPUSH (left) and RPUSH: it pushes elems one after the other
// at the head or the tail of the list at key and returns the new length.
// With create false (LPUSHX, RPUSHX) a missing key is left missing and 0
// returned.
func (t *Tx) ListPush(db int, key []byte, elems [][]byte, left, create bool, now int64) (int64, error) {
	var m Meta
	var found bool
	var err error
	if create {
		m, found, err = t.openList(db, key, now)
	} else {
		m, found, err = t.listForWrite(db, key, now)
		if err == nil && !found {
			return 0, nil
		}
	}
	if err != nil {
		return 0, err
	}
	old := m
	if err := t.listPush(&m, elems, left); err != nil {
		return 0, err
	}
	t.saveCollection(db, key, &old, found, &m)
	return m.Len, nil
}

// ListLen returns the length of the list at key (0 if missing).
func (t *Tx) ListLen(db int, key []byte, now int64) (int64, error) {
	m, _, err := t.getList(db, key, now)
	return m.Len, err
}

// listIndex converts a Redis index (negative counts from the tail) into
// an element index of a list of n elements; ok is false out of range.
func listIndex(index, n int64) (int64, bool) {
	if index < 0 {
		index += n
	}
	return index, index >= 0 && index < n
}

// ListIndex is LINDEX: the element at index (negative: from the tail) of
// the list at key; ok is false when the key is missing or the index out of
// range.
func (t *Tx) ListIndex(db int, key []byte, index, now int64) (val []byte, ok bool, err error) {
	m, found, err := t.getList(db, key, now)
	if err != nil || !found {
		return nil, false, err
	}
	i, ok := listIndex(index, m.Len)
	if !ok {
		return nil, false, nil
	}
	val, err = t.listGet(&m, i)
	return val, err == nil, err
}

// ListSet is LSET: it replaces the element at index of the list at key.
// ErrNoSuchKey when the key is missing, ErrIndexOutOfRange when the index
// is outside the list.
func (t *Tx) ListSet(db int, key []byte, index int64, val []byte, now int64) error {
	m, found, err := t.listForWrite(db, key, now)
	if err != nil {
		return err
	}
	if !found {
		return ErrNoSuchKey
	}
	i, ok := listIndex(index, m.Len)
	if !ok {
		return ErrIndexOutOfRange
	}
	t.listPut(&m, i, val)
	return nil
}

// listRange converts Redis start and stop indexes (inclusive, negative
// counting from the tail, clamped as LRANGE and LTRIM do) into the element
// range [from, to) of a list of n elements; empty when from >= to.
func listRange(start, stop, n int64) (from, to int64) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0
	}
	return start, min(stop, n-1) + 1
}

// ListRange is LRANGE: the elements start..stop (inclusive; negative
// indexes count from the tail) of the list at key, read with one range
// scan of those elements.
func (t *Tx) ListRange(db int, key []byte, start, stop, now int64) (*Elems, error) {
	out := &Elems{}
	m, found, err := t.getList(db, key, now)
	if err != nil || !found {
		return out, err
	}
	from, to := listRange(start, stop, m.Len)
	err = t.scanList(&m, from, to, false, func(_ int64, val []byte) bool {
		out.Add(val)
		return true
	})
	return out, err
}

// ListStore replaces the value at dst, whatever its type and TTL, with a
// new list of elems in order (SORT ... STORE), or deletes dst when elems
// is empty. It returns the new list's length.
func (t *Tx) ListStore(db int, dst []byte, elems *Elems, now int64) (int64, error) {
	return t.storeCollection(db, dst, now, TypeList, elems.Len(), func(version uint64) {
		m := Meta{Type: TypeList, Version: version, ListHead: listStartHead}
		for i := range elems.Len() {
			t.listPut(&m, int64(i), elems.At(i))
		}
	})
}

// listPopOne removes and returns the head (left) or tail element of the
// non-empty list m, updating m.
func (t *Tx) listPopOne(m *Meta, left bool) ([]byte, error) {
	i := m.Len - 1
	if left {
		i = 0
	}
	v, err := t.listGet(m, i)
	if err != nil {
		return nil, err
	}
	t.listDel(m, i)
	if left {
		m.ListHead++
	}
	m.Len--
	return v, nil
}

// ListPop is LPOP (left) and RPOP with a count: it removes up to count
// elements from the head or the tail of the list at key and returns them
// in pop order. found is false when the key is missing; a count of 0 pops
// nothing from an existing list. The key is removed with its last element.
// The blocking pops (BLPOP, BRPOP, BLMPOP) are this once a key has data.
func (t *Tx) ListPop(db int, key []byte, left bool, count, now int64) (out *Elems, found bool, err error) {
	out = &Elems{}
	m, found, err := t.listForWrite(db, key, now)
	if err != nil || !found || count <= 0 {
		return out, found, err
	}
	old := m
	n := min(count, m.Len)
	if n == 1 {
		v, err := t.listPopOne(&m, left)
		if err != nil {
			return nil, true, err
		}
		out.Add(v)
	} else {
		from, to := int64(0), n
		if !left {
			from, to = m.Len-n, m.Len
		}
		// Popping the whole list leaves its records to the sweep.
		all := n == m.Len
		err := t.scanList(&m, from, to, !left, func(i int64, val []byte) bool {
			out.Add(val)
			if !all {
				t.listDel(&m, i)
			}
			return true
		})
		if err != nil {
			return nil, true, err
		}
		if left {
			m.ListHead += uint64(n)
		}
		m.Len -= n
	}
	t.saveCollection(db, key, &old, true, &m)
	return out, true, nil
}

// ListMove is LMOVE (and RPOPLPUSH): it pops the head (srcLeft) or tail
// element of the list at src and pushes it at the head (dstLeft) or tail
// of the list at dst, creating it, and returns the element; ok is false
// (and nothing is written) when src is missing. The destination's type is
// checked before anything is popped. src and dst may be the same key (a
// rotation). BLMOVE and BRPOPLPUSH are this once src has data.
func (t *Tx) ListMove(db int, src, dst []byte, srcLeft, dstLeft bool, now int64) (val []byte, ok bool, err error) {
	sm, found, err := t.listForWrite(db, src, now)
	if err != nil || !found {
		return nil, false, err
	}
	sold := sm
	if bytes.Equal(src, dst) {
		if val, err = t.listPopOne(&sm, srcLeft); err != nil {
			return nil, false, err
		}
		if err := t.listPush(&sm, [][]byte{val}, dstLeft); err != nil {
			return nil, false, err
		}
		t.saveCollection(db, src, &sold, true, &sm)
		return val, true, nil
	}
	dm, dfound, err := t.openList(db, dst, now)
	if err != nil {
		return nil, false, err
	}
	dold := dm
	if val, err = t.listPopOne(&sm, srcLeft); err != nil {
		return nil, false, err
	}
	if err := t.listPush(&dm, [][]byte{val}, dstLeft); err != nil {
		return nil, false, err
	}
	t.saveCollection(db, src, &sold, true, &sm)
	t.saveCollection(db, dst, &dold, dfound, &dm)
	return val, true, nil
}

// ListTrim is LTRIM: it keeps the elements start..stop (indexes as for
// ListRange) of the list at key and deletes the others, O(deleted) point
// deletions without reading them; the key is removed when nothing is left
// (O(1): the records go to the sweep).
func (t *Tx) ListTrim(db int, key []byte, start, stop, now int64) error {
	m, found, err := t.listForWrite(db, key, now)
	if err != nil || !found {
		return err
	}
	old := m
	from, to := listRange(start, stop, m.Len)
	if from >= to {
		m.Len = 0
	} else {
		for i := range from {
			t.listDel(&m, i)
		}
		for i := to; i < m.Len; i++ {
			t.listDel(&m, i)
		}
		m.ListHead += uint64(from)
		m.Len = to - from
	}
	t.saveCollection(db, key, &old, true, &m)
	return nil
}

// ListRem is LREM: it removes up to count elements equal to elem from the
// list at key, scanning from the head (count > 0), from the tail
// (count < 0) or the whole list (count 0), and returns how many it
// removed. The survivors are compacted on the cheaper side: those after
// the first removed element move towards the head, or those before the
// last removed one towards the tail, whichever are fewer (O(N) writes at
// worst, as Redis's LREM is O(N)).
func (t *Tx) ListRem(db int, key []byte, count int64, elem []byte, now int64) (int64, error) {
	m, found, err := t.listForWrite(db, key, now)
	if err != nil || !found {
		return 0, err
	}
	limit := uint64(count)
	if count < 0 {
		limit = -limit // also right for math.MinInt64
	}
	var removed []int64 // element indexes, in scan order
	err = t.scanList(&m, 0, m.Len, count < 0, func(i int64, val []byte) bool {
		if bytes.Equal(val, elem) {
			removed = append(removed, i)
		}
		return limit == 0 || uint64(len(removed)) < limit
	})
	if err != nil || len(removed) == 0 {
		return 0, err
	}
	if count < 0 {
		for i, j := 0, len(removed)-1; i < j; i, j = i+1, j-1 {
			removed[i], removed[j] = removed[j], removed[i]
		}
	}
	old := m
	k := int64(len(removed))
	first, last := removed[0], removed[k-1]
	switch {
	case k == m.Len:
		// Everything goes: the key's removal hands the records to the sweep.
	case m.Len-first <= last+1:
		// Fewer survivors after the first removed element than before
		// the last one: move them towards the head and drop the tail.
		j := 0 // removed[:j] are before the element being moved
		err = t.scanList(&m, first, m.Len, false, func(i int64, val []byte) bool {
			if j < len(removed) && removed[j] == i {
				j++
				return true
			}
			t.listPut(&m, i-int64(j), val)
			return true
		})
		for i := m.Len - k; i < m.Len; i++ {
			t.listDel(&m, i)
		}
	default:
		// Move the survivors before the last removed element towards the
		// tail and drop the head.
		j := len(removed) // removed[j:] are after the element being moved
		err = t.scanList(&m, 0, last+1, true, func(i int64, val []byte) bool {
			if j > 0 && removed[j-1] == i {
				j--
				return true
			}
			t.listPut(&m, i+int64(len(removed)-j), val)
			return true
		})
		for i := range k {
			t.listDel(&m, i)
		}
		m.ListHead += uint64(k)
	}
	if err != nil {
		return 0, err
	}
	m.Len -= k
	t.saveCollection(db, key, &old, true, &m)
	return k, nil
}

// ListInsert is LINSERT: it inserts elem before (or after) the first
// element equal to pivot in the list at key and returns the new length;
// -1 when pivot is not found, 0 when the key is missing. The elements on
// the shorter side of the insertion point move by one sequence (O(N)
// writes at worst, for a pivot in the middle).
func (t *Tx) ListInsert(db int, key []byte, after bool, pivot, elem []byte, now int64) (int64, error) {
	m, found, err := t.listForWrite(db, key, now)
	if err != nil || !found {
		return 0, err
	}
	p := int64(-1)
	err = t.scanList(&m, 0, m.Len, false, func(i int64, val []byte) bool {
		if bytes.Equal(val, pivot) {
			p = i
			return false
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	if p < 0 {
		return -1, nil
	}
	old := m
	q := p // the new element's index
	if after {
		q++
	}
	left := q < m.Len-q
	if left && m.ListHead == 0 || !left && m.ListHead+uint64(m.Len) == math.MaxUint64 {
		if err := t.listRenumber(&m); err != nil {
			return 0, err
		}
	}
	if left {
		// Elements [0, q) move one sequence towards the head.
		shifted := m
		shifted.ListHead--
		err = t.scanList(&m, 0, q, false, func(i int64, val []byte) bool {
			t.listPut(&shifted, i, val)
			return true
		})
		m.ListHead--
	} else {
		// Elements [q, Len) move one sequence towards the tail.
		err = t.scanList(&m, q, m.Len, true, func(i int64, val []byte) bool {
			t.listPut(&m, i+1, val)
			return true
		})
	}
	if err != nil {
		return 0, err
	}
	m.Len++
	t.listPut(&m, q, elem)
	t.saveCollection(db, key, &old, true, &m)
	return m.Len, nil
}

// ListPos is LPOS: the indexes of the elements equal to elem in the list
// at key. rank (never 0) selects the first match to report: rank r > 0
// skips r-1 matches scanning from the head, r < 0 skips -r-1 matches
// scanning from the tail (then the indexes are in that order). count is
// the number of matches to report (0: all), maxlen the number of elements
// to examine (0: all). A missing key has no matches.
func (t *Tx) ListPos(db int, key, elem []byte, rank, count, maxlen, now int64) ([]int64, error) {
	m, found, err := t.getList(db, key, now)
	if err != nil || !found {
		return nil, err
	}
	reverse := rank < 0
	skip := uint64(rank) - 1
	if reverse {
		skip = -uint64(rank) - 1
	}
	n := m.Len
	if maxlen > 0 && maxlen < n {
		n = maxlen
	}
	from, to := int64(0), n
	if reverse {
		from, to = m.Len-n, m.Len
	}
	var out []int64
	err = t.scanList(&m, from, to, reverse, func(i int64, val []byte) bool {
		if !bytes.Equal(val, elem) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, i)
		return count == 0 || int64(len(out)) < count
	})
	return out, err
}
