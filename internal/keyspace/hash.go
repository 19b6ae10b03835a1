package keyspace

// Hashes.
//
// A hash is a collection (collection.go) whose data records are
// dataPrefix(version) + field → value, so fields are in byte order and a
// field is one point read.

// HashGet returns the value of field in the hash at key; ok is false when
// the key or the field is missing.
func (t *Tx) HashGet(db int, key, field []byte, now int64) (val []byte, ok bool, err error) {
	m, ok, err := t.getCollection(db, key, now, TypeHash)
	if err != nil || !ok {
		return nil, false, err
	}
	return t.getElem(m.Version, field)
}

// HashMGet returns the values of fields in the hash at key, nil for a
// missing field (a present empty value is a non-nil empty slice).
func (t *Tx) HashMGet(db int, key []byte, fields [][]byte, now int64) ([][]byte, error) {
	out := make([][]byte, len(fields))
	m, ok, err := t.getCollection(db, key, now, TypeHash)
	if err != nil || !ok {
		return out, err
	}
	for i, f := range fields {
		v, found, err := t.getElem(m.Version, f)
		if err != nil {
			return nil, err
		}
		if found {
			out[i] = v
		}
	}
	return out, nil
}

// HashLen returns the number of fields of the hash at key (0 if missing).
func (t *Tx) HashLen(db int, key []byte, now int64) (int64, error) {
	m, _, err := t.getCollection(db, key, now, TypeHash)
	return m.Len, err
}

// HashSet sets field/value pairs (pairs alternates fields and values; a
// field given twice takes its last value) in the hash at key, creating it,
// and returns the number of fields that were new.
func (t *Tx) HashSet(db int, key []byte, pairs [][]byte, now int64) (int64, error) {
	m, found, err := t.openCollection(db, key, now, TypeHash)
	if err != nil {
		return 0, err
	}
	old := m
	var added int64
	for i := 0; i+1 < len(pairs); i += 2 {
		exists, err := t.hasElem(m.Version, pairs[i])
		if err != nil {
			return 0, err
		}
		if !exists {
			added++
		}
		t.putElem(m.Version, pairs[i], pairs[i+1])
	}
	m.Len += added
	t.saveCollection(db, key, &old, found, &m)
	return added, nil
}

// HashUpdate reads field of the hash at key (creating the hash if it is
// missing) and lets fn decide its new value: fn gets the current value
// and whether the field exists, and returns the value to store and whether
// to store it. An error from fn is returned and nothing is written.
// HSETNX, HINCRBY and HINCRBYFLOAT are built on it.
func (t *Tx) HashUpdate(db int, key, field []byte, now int64, fn func(old []byte, exists bool) ([]byte, bool, error)) error {
	m, found, err := t.openCollection(db, key, now, TypeHash)
	if err != nil {
		return err
	}
	var cur []byte
	exists := false
	if found {
		if cur, exists, err = t.getElem(m.Version, field); err != nil {
			return err
		}
	}
	val, write, err := fn(cur, exists)
	if err != nil || !write {
		return err
	}
	old := m
	t.putElem(m.Version, field, val)
	if !exists {
		m.Len++
	}
	t.saveCollection(db, key, &old, found, &m)
	return nil
}

// HashDel deletes fields from the hash at key and returns how many
// existed. The key is removed with its last field.
func (t *Tx) HashDel(db int, key []byte, fields [][]byte, now int64) (int64, error) {
	m, found, err := t.collectionForWrite(db, key, now, TypeHash)
	if err != nil || !found {
		return 0, err
	}
	old := m
	var removed int64
	for _, f := range fields {
		exists, err := t.hasElem(m.Version, f)
		if err != nil {
			return 0, err
		}
		if exists {
			t.delElem(m.Version, f)
			removed++
		}
	}
	m.Len -= removed
	t.saveCollection(db, key, &old, found, &m)
	return removed, nil
}

// HashGetAll returns every field and value of the hash at key, in field
// byte order, alternating field and value.
func (t *Tx) HashGetAll(db int, key []byte, now int64) (*Elems, error) {
	return t.hashAll(db, key, now, true, true)
}

// HashFields returns the fields of the hash at key (keys) or its values
// (values), in field order.
func (t *Tx) HashFields(db int, key []byte, now int64, keys, values bool) (*Elems, error) {
	return t.hashAll(db, key, now, keys, values)
}

func (t *Tx) hashAll(db int, key []byte, now int64, keys, values bool) (*Elems, error) {
	out := &Elems{}
	m, ok, err := t.getCollection(db, key, now, TypeHash)
	if err != nil || !ok {
		return out, err
	}
	err = t.scanElems(m.Version, nil, func(f, v []byte) bool {
		if keys {
			out.Add(f)
		}
		if values {
			out.Add(v)
		}
		return true
	})
	return out, err
}

// HashScan is HSCAN: up to count fields of the hash at key after cursor,
// with their values (alternating in the result), those whose field
// matches the glob pattern match (nil: all). See scanCollection.
func (t *Tx) HashScan(db int, key []byte, now int64, cursor uint64, count int, match []byte) (uint64, *Elems, error) {
	out := &Elems{}
	m, ok, err := t.getCollection(db, key, now, TypeHash)
	if err != nil || !ok {
		return 0, out, err
	}
	all := isMatchAll(match)
	next, err := t.scanCollection(db, m.Version, nil, cursor, count, func(f, v []byte) {
		if all || Match(match, f) {
			out.Add(f)
			out.Add(v)
		}
	})
	return next, out, err
}
