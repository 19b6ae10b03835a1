package keyspace

import (
	"slices"
)

// Sets.
//
// A set is a collection (collection.go) whose data records are
// dataPrefix(version) + member with an empty value: members are in byte
// order, membership is one point read, SCARD is the meta record's count.

// SetAdd adds members to the set at key, creating it, and returns how
// many were new.
func (t *Tx) SetAdd(db int, key []byte, members [][]byte, now int64) (int64, error) {
	m, found, err := t.openCollection(db, key, now, TypeSet)
	if err != nil {
		return 0, err
	}
	old := m
	added, err := t.addMembers(&m, members)
	if err != nil {
		return 0, err
	}
	t.saveCollection(db, key, &old, found, &m)
	return added, nil
}

// addMembers adds members to the set m (records only; the caller saves
// m) and returns how many were new.
func (t *Tx) addMembers(m *Meta, members [][]byte) (int64, error) {
	var added int64
	for _, mem := range members {
		exists, err := t.hasElem(m.Version, mem)
		if err != nil {
			return 0, err
		}
		if !exists {
			t.putElem(m.Version, mem, nil)
			added++
		}
	}
	m.Len += added
	return added, nil
}

// SetRem removes members from the set at key and returns how many were
// there. The key is removed with its last member.
func (t *Tx) SetRem(db int, key []byte, members [][]byte, now int64) (int64, error) {
	m, found, err := t.collectionForWrite(db, key, now, TypeSet)
	if err != nil || !found {
		return 0, err
	}
	old := m
	var removed int64
	for _, mem := range members {
		exists, err := t.hasElem(m.Version, mem)
		if err != nil {
			return 0, err
		}
		if exists {
			t.delElem(m.Version, mem)
			removed++
		}
	}
	m.Len -= removed
	t.saveCollection(db, key, &old, found, &m)
	return removed, nil
}

// SetCard returns the number of members of the set at key (0 if missing).
func (t *Tx) SetCard(db int, key []byte, now int64) (int64, error) {
	m, _, err := t.getCollection(db, key, now, TypeSet)
	return m.Len, err
}

// SetIsMember reports, for each of members, whether it is in the set at
// key.
func (t *Tx) SetIsMember(db int, key []byte, members [][]byte, now int64) ([]bool, error) {
	out := make([]bool, len(members))
	m, ok, err := t.getCollection(db, key, now, TypeSet)
	if err != nil || !ok {
		return out, err
	}
	for i, mem := range members {
		if out[i], err = t.hasElem(m.Version, mem); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetMembers returns the members of the set at key in byte order.
func (t *Tx) SetMembers(db int, key []byte, now int64) (*Elems, error) {
	m, ok, err := t.getCollection(db, key, now, TypeSet)
	if err != nil || !ok {
		return &Elems{}, err
	}
	return t.members(&m)
}

// members reads every member of the set m.
func (t *Tx) members(m *Meta) (*Elems, error) {
	out := &Elems{}
	err := t.scanElems(m.Version, nil, func(mem, _ []byte) bool {
		out.Add(mem)
		return true
	})
	return out, err
}

// SetPop removes and returns members of the set at key: those that pick
// chooses among its members (pick gets the count and returns indexes into
// the members in byte order, as randomPicks does). SPOP is O(N): the
// members are read to draw from them uniformly.
func (t *Tx) SetPop(db int, key []byte, now int64, pick func(n int) []int) (*Elems, error) {
	m, found, err := t.collectionForWrite(db, key, now, TypeSet)
	if err != nil || !found {
		return &Elems{}, err
	}
	all, err := t.members(&m)
	if err != nil {
		return nil, err
	}
	old := m
	out := &Elems{}
	for _, i := range pick(all.Len()) {
		mem := all.At(i)
		t.delElem(m.Version, mem)
		out.Add(mem)
	}
	m.Len -= int64(out.Len())
	t.saveCollection(db, key, &old, found, &m)
	return out, nil
}

// SetMove moves member from the set at src to the set at dst (SMOVE) and
// reports whether it was in src (moved) and whether dst did not hold it
// yet (added; false when src and dst are the same key). A missing src moves nothing; a src or an
// existing dst that is no set is ErrWrongType.
func (t *Tx) SetMove(db int, src, dst, member []byte, now int64) (moved, added bool, err error) {
	sm, sfound, err := t.lookupForWrite(db, src, now)
	if err != nil {
		return false, false, err
	}
	dm, dfound, err := t.lookupForWrite(db, dst, now)
	if err != nil || !sfound {
		return false, false, err
	}
	if sm.Type != TypeSet || (dfound && dm.Type != TypeSet) {
		return false, false, ErrWrongType
	}
	in, err := t.hasElem(sm.Version, member)
	if err != nil || !in {
		return false, false, err
	}
	if sm.Version == dm.Version && dfound {
		return true, false, nil // same key
	}
	old := sm
	t.delElem(sm.Version, member)
	sm.Len--
	t.saveCollection(db, src, &old, true, &sm)
	if !dfound {
		dm = Meta{Type: TypeSet, Version: t.nextVersion()}
	}
	dold := dm
	n, err := t.addMembers(&dm, [][]byte{member})
	if err != nil {
		return false, false, err
	}
	t.saveCollection(db, dst, &dold, dfound, &dm)
	return true, n > 0, nil
}

// SetOp is a set algebra operation.
type SetOp int

// Set operations of SetCombine.
const (
	SetInter SetOp = iota
	SetUnion
	SetDiff
)

// SetCombine computes the intersection, union or difference (the first
// set minus the others) of the sets at keys, missing keys counting as
// empty sets; every existing key must hold a set (ErrWrongType). A limit
// above 0 stops an intersection after that many members (SINTERCARD).
// The order of the members is unspecified, as in Redis.
//
// Write commands (the STORE variants) use it in a write transaction: it
// then looks the keys up as writes do (see lookupForWrite).
func (t *Tx) SetCombine(db int, op SetOp, keys [][]byte, now int64, limit int) (*Elems, error) {
	metas := make([]Meta, len(keys))
	missing := false
	for i, k := range keys {
		var found bool
		var err error
		if t.ReadOnly() {
			metas[i], found, err = t.getLive(db, k, now)
		} else {
			metas[i], found, err = t.lookupForWrite(db, k, now)
		}
		switch {
		case err != nil:
			return nil, err
		case !found:
			missing = true
			metas[i] = Meta{Type: TypeSet}
		case metas[i].Type != TypeSet:
			return nil, ErrWrongType
		}
	}
	out := &Elems{}
	switch op {
	case SetInter:
		if missing {
			return out, nil
		}
		// Walk the smallest set, probe the others.
		slices.SortStableFunc(metas, func(a, b Meta) int { return int(a.Len - b.Len) })
		var err error
		scanErr := t.scanElems(metas[0].Version, nil, func(mem, _ []byte) bool {
			for i := 1; i < len(metas); i++ {
				var in bool
				if in, err = t.hasElem(metas[i].Version, mem); err != nil || !in {
					return err == nil
				}
			}
			out.Add(mem)
			return limit <= 0 || out.Len() < limit
		})
		if err == nil {
			err = scanErr
		}
		return out, err
	case SetDiff:
		if metas[0].Len == 0 {
			return out, nil
		}
		others := metas[:0:0]
		for _, o := range metas[1:] {
			switch {
			case o.Len == 0:
			case o.Version == metas[0].Version:
				return out, nil // a set minus itself
			default:
				others = append(others, o)
			}
		}
		var err error
		scanErr := t.scanElems(metas[0].Version, nil, func(mem, _ []byte) bool {
			for _, o := range others {
				var in bool
				if in, err = t.hasElem(o.Version, mem); err != nil || in {
					return err == nil
				}
			}
			out.Add(mem)
			return true
		})
		if err == nil {
			err = scanErr
		}
		return out, err
	}
	seen := map[string]bool{}
	for i := range metas {
		if metas[i].Len == 0 {
			continue
		}
		err := t.scanElems(metas[i].Version, nil, func(mem, _ []byte) bool {
			if !seen[string(mem)] {
				seen[string(mem)] = true
				out.Add(mem)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetStore replaces the value at dst, whatever its type, with a new set
// of members (the STORE commands), or deletes dst when members is empty.
// It returns the new set's size.
func (t *Tx) SetStore(db int, dst []byte, members *Elems, now int64) (int64, error) {
	return t.storeCollection(db, dst, now, TypeSet, members.Len(), func(version uint64) {
		for i := range members.Len() {
			t.putElem(version, members.At(i), nil)
		}
	})
}

// SetScan is SSCAN: up to count members of the set at key after cursor,
// those matching the glob pattern match (nil: all). See scanCollection.
func (t *Tx) SetScan(db int, key []byte, now int64, cursor uint64, count int, match []byte) (uint64, *Elems, error) {
	out := &Elems{}
	m, ok, err := t.getCollection(db, key, now, TypeSet)
	if err != nil || !ok {
		return 0, out, err
	}
	all := isMatchAll(match)
	next, err := t.scanCollection(db, m.Version, nil, cursor, count, func(mem, _ []byte) {
		if all || Match(match, mem) {
			out.Add(mem)
		}
	})
	return next, out, err
}
