package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Strings.
//
// A string of up to InlineMax bytes lives inline in its meta record
// (version 0). A longer one is chunked: the meta record holds its length
// and a version, and chunk i (bytes [i*ChunkSize, (i+1)*ChunkSize)) is the
// data record dataPrefix(version) + i (4 bytes, BE). Chunks are
// sparse: a missing chunk, or the missing tail of a short one, reads as
// zero bytes, so SETBIT or SETRANGE far beyond the end store only the
// chunk they touch. Stored chunk bytes never extend past the string length.
//
// Once chunked, a string stays chunked until it is overwritten (strings
// only shrink by being replaced), and partial operations (GETRANGE,
// SETRANGE, APPEND, GETBIT, SETBIT) touch only the chunks they cover.

// SetOptions are the conditions and expiry of SetString.
type SetOptions struct {
	// ExpireAt is the new expiry (Unix ms); 0 means no expiry. An expiry
	// at or before now stores nothing and deletes the key, as Redis does
	// when SET ... PXAT names a past time.
	ExpireAt int64
	// KeepTTL keeps the existing key's expiry (ExpireAt is then ignored).
	KeepTTL bool
	// NX sets only if the key does not exist; XX only if it does.
	NX, XX bool
	// Get returns the old value; the key must then hold a string (or be
	// missing), else ErrWrongType and nothing is written.
	Get bool
}

// SetResult is what SetString did.
type SetResult struct {
	// Written is false when NX or XX prevented the write.
	Written bool
	// Old is the previous value when SetOptions.Get was set and OldFound.
	Old []byte
	// OldFound reports whether a previous value existed (Get only).
	OldFound bool
}

// GetString returns the value of the string at key. ok is false when the
// key does not exist or has expired; ErrWrongType when it is no string.
// The returned slice is the caller's.
func (t *Tx) GetString(db int, key []byte, now int64) (val []byte, ok bool, err error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	val, err = t.readString(db, key, &m, 0, m.Len)
	return val, err == nil, err
}

// StrLen returns the length of the string at key, 0 if it does not exist.
func (t *Tx) StrLen(db int, key []byte, now int64) (int64, error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return 0, err
	}
	if m.Type != TypeString {
		return 0, ErrWrongType
	}
	return m.Len, nil
}

// GetMeta returns the meta record of key if it exists and has not expired
// at now. Use it with ReadString to read part of a string without a second
// lookup.
func (t *Tx) GetMeta(db int, key []byte, now int64) (Meta, bool, error) {
	return t.getLive(db, key, now)
}

// GetMetaForWrite is GetMeta for write commands: the lookup of a key
// that the command may then write, or whose existence decides what it
// writes (MSETNX). A key found expired is removed, and stays removed even
// if the command then fails (see lookupForWrite). Write transactions only.
func (t *Tx) GetMetaForWrite(db int, key []byte, now int64) (Meta, bool, error) {
	return t.lookupForWrite(db, key, now)
}

// GetStringForWrite is GetString for write commands (GETEX, INCR, BITOP
// sources…): a key found expired is removed, and stays removed even if the
// command then fails (see lookupForWrite). Write transactions only.
func (t *Tx) GetStringForWrite(db int, key []byte, now int64) (val []byte, ok bool, err error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	val, err = t.readString(db, key, &m, 0, m.Len)
	return val, err == nil, err
}

// GetDel returns the value of the string at key and deletes the key
// (GETDEL). ok is false when the key does not exist (an expired key is
// removed); ErrWrongType, and no deletion, when it holds another type.
func (t *Tx) GetDel(db int, key []byte, now int64) (val []byte, ok bool, err error) {
	m, ok, err := t.lookupForWrite(db, key, now)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != TypeString {
		return nil, false, ErrWrongType
	}
	if val, err = t.readString(db, key, &m, 0, m.Len); err != nil {
		return nil, false, err
	}
	t.removeKey(db, key, &m)
	return val, true, nil
}

// ReadString returns bytes [off, off+n) of the string whose meta record m
// was just read by GetMeta in this transaction, clipped to its length.
func (t *Tx) ReadString(db int, key []byte, m *Meta, off, n int64) ([]byte, error) {
	if m.Type != TypeString {
		return nil, ErrWrongType
	}
	return t.readString(db, key, m, off, n)
}

// GetRange returns the substring of the string at key between the
// inclusive indexes start and end, with Redis's GETRANGE rules: negative
// indexes count from the end and out-of-range indexes are clipped. A
// missing key reads as the empty string.
func (t *Tx) GetRange(db int, key []byte, start, end, now int64) ([]byte, error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return nil, err
	}
	if m.Type != TypeString {
		return nil, ErrWrongType
	}
	n := m.Len
	if start < 0 && end < 0 && start > end {
		return nil, nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil, nil
	}
	return t.readString(db, key, &m, start, end-start+1)
}

// SetString stores val at key, replacing any value of any type, subject to
// opts. See SetOptions and SetResult.
func (t *Tx) SetString(db int, key, val []byte, now int64, opts SetOptions) (SetResult, error) {
	var res SetResult
	old, found, err := t.lookupForWrite(db, key, now)
	if err != nil {
		return res, err
	}
	if opts.Get && found {
		if old.Type != TypeString {
			return res, ErrWrongType
		}
		if res.Old, err = t.readString(db, key, &old, 0, old.Len); err != nil {
			return res, err
		}
		res.OldFound = true
	}
	if (opts.NX && found) || (opts.XX && !found) {
		return res, nil
	}
	res.Written = true
	var oldp *Meta
	if found {
		oldp = &old
	}
	at := opts.ExpireAt
	if opts.KeepTTL {
		at = old.ExpireAt
	}
	if at != 0 && at <= now {
		if found {
			t.removeKey(db, key, &old)
		}
		return res, nil
	}
	t.writeString(db, key, oldp, val, at)
	return res, nil
}

// writeString stores val as a new string value replacing old (nil if the
// key is missing), with expiry at.
func (t *Tx) writeString(db int, key []byte, old *Meta, val []byte, at int64) {
	m := Meta{Type: TypeString, ExpireAt: at, Len: int64(len(val))}
	if len(val) <= InlineMax {
		m.Inline = val
	} else {
		m.Version = t.nextVersion()
		t.writeChunks(dataPrefix(m.Version), 0, val, false)
	}
	t.putMeta(db, key, old, &m)
}

// SetRange overwrites the string at key from offset with val, padding with
// zero bytes, and returns the new length (SETRANGE). With an empty val it
// writes nothing and returns the current length. The result may not be
// longer than maxLen (ErrStringTooLong). The expiry is kept.
func (t *Tx) SetRange(db int, key []byte, offset int64, val []byte, now, maxLen int64) (int64, error) {
	old, found, err := t.lookupForWrite(db, key, now)
	if err != nil {
		return 0, err
	}
	if found && old.Type != TypeString {
		return 0, ErrWrongType
	}
	if len(val) == 0 {
		return old.Len, nil
	}
	if offset < 0 {
		return 0, fmt.Errorf("keyspace: SetRange at negative offset %d", offset)
	}
	if offset > min(maxLen, MaxStringLen)-int64(len(val)) { // overflow-safe
		return 0, ErrStringTooLong
	}
	var oldp *Meta
	if found {
		oldp = &old
	}
	return t.writeAt(db, key, oldp, offset, val)
}

// Append appends val to the string at key, creating it if missing, and
// returns the new length (APPEND). The result may not be longer than maxLen
// (ErrStringTooLong). The expiry is kept.
func (t *Tx) Append(db int, key, val []byte, now, maxLen int64) (int64, error) {
	old, found, err := t.lookupForWrite(db, key, now)
	if err != nil {
		return 0, err
	}
	if !found {
		t.writeString(db, key, nil, val, 0)
		return int64(len(val)), nil
	}
	if old.Type != TypeString {
		return 0, ErrWrongType
	}
	if old.Len+int64(len(val)) > min(maxLen, MaxStringLen) {
		return 0, ErrStringTooLong
	}
	if len(val) == 0 {
		return old.Len, nil
	}
	return t.writeAt(db, key, &old, old.Len, val)
}

// GetBit returns the bit at offset (bit 0 is the most significant bit of
// the first byte) of the string at key; bits past the end are 0.
func (t *Tx) GetBit(db int, key []byte, offset, now int64) (int, error) {
	m, ok, err := t.getLive(db, key, now)
	if err != nil || !ok {
		return 0, err
	}
	if m.Type != TypeString {
		return 0, ErrWrongType
	}
	b, err := t.readString(db, key, &m, offset>>3, 1)
	if err != nil || len(b) == 0 {
		return 0, err
	}
	return int(b[0]>>(7-uint(offset&7))) & 1, nil
}

// SetBit sets or clears the bit at offset of the string at key, growing it
// with zero bytes as needed, and returns the bit's previous value. The
// caller bounds offset (proto-max-bulk-len); the expiry is kept.
func (t *Tx) SetBit(db int, key []byte, offset int64, on bool, now int64) (int, error) {
	if offset < 0 {
		return 0, fmt.Errorf("keyspace: SetBit at negative offset %d", offset)
	}
	if offset>>3 >= MaxStringLen {
		return 0, ErrStringTooLong
	}
	old, found, err := t.lookupForWrite(db, key, now)
	if err != nil {
		return 0, err
	}
	if found && old.Type != TypeString {
		return 0, ErrWrongType
	}
	pos := offset >> 3
	var cur byte
	if found && pos < old.Len {
		b, err := t.readString(db, key, &old, pos, 1)
		if err != nil {
			return 0, err
		}
		cur = b[0]
	}
	mask := byte(1) << (7 - uint(offset&7))
	prev := 0
	if cur&mask != 0 {
		prev = 1
	}
	nb := cur &^ mask
	if on {
		nb |= mask
	}
	if found && pos < old.Len && nb == cur {
		return prev, nil // no change
	}
	var oldp *Meta
	if found {
		oldp = &old
	}
	_, err = t.writeAt(db, key, oldp, pos, []byte{nb})
	return prev, err
}

// writeAt writes val at off into the string old (nil: a new key), growing
// it with zeros, keeping old's expiry; it returns the new length.
func (t *Tx) writeAt(db int, key []byte, old *Meta, off int64, val []byte) (int64, error) {
	end := off + int64(len(val))
	m := Meta{Type: TypeString}
	if old != nil {
		m.ExpireAt = old.ExpireAt
		m.Len = old.Len
	}
	m.Len = max(m.Len, end)
	switch {
	case old != nil && old.Version != 0:
		m.Version = old.Version
		if err := t.writeChunks(dataPrefix(m.Version), off, val, true); err != nil {
			return 0, err
		}
	case m.Len <= InlineMax:
		buf := make([]byte, m.Len)
		if old != nil {
			copy(buf, old.Inline)
		}
		copy(buf[off:], val)
		m.Inline = buf
	default:
		// Inline (or new) becomes chunked. The old inline bytes are at
		// most InlineMax = ChunkSize long: they are chunk 0.
		m.Version = t.nextVersion()
		prefix := dataPrefix(m.Version)
		merge := false
		if old != nil && len(old.Inline) > 0 {
			_ = t.writeChunks(prefix, 0, old.Inline, false)
			merge = true
		}
		if err := t.writeChunks(prefix, off, val, merge); err != nil {
			return 0, err
		}
	}
	t.putMeta(db, key, old, &m)
	return m.Len, nil
}

// writeChunks writes val at string offset off into the chunks under
// prefix. With merge, partially covered chunks are read and updated;
// without, the chunks are known to be absent. All-zero chunks are not
// stored (absent chunks read as zeros).
func (t *Tx) writeChunks(prefix []byte, off int64, val []byte, merge bool) error {
	end := off + int64(len(val))
	for pos := off; pos < end; {
		idx := pos / ChunkSize
		in := pos - idx*ChunkSize
		n := min(ChunkSize-in, end-pos)
		ck := chunkKey(prefix, idx)
		var cur []byte
		existed := false
		if merge {
			v, err := t.get(ck)
			if err != nil {
				return fmt.Errorf("keyspace: read chunk %d: %w", idx, err)
			}
			if len(v) > ChunkSize {
				return fmt.Errorf("%w: chunk %d of %d bytes", ErrCorrupt, idx, len(v))
			}
			cur, existed = v, v != nil
		}
		if need := in + n; int64(len(cur)) < need {
			cur = append(cur, make([]byte, need-int64(len(cur)))...)
		}
		copy(cur[in:], val[pos-off:pos-off+n])
		switch {
		case !allZero(cur):
			t.set(ck, cur)
		case existed:
			t.del(ck)
		}
		pos += n
	}
	return nil
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readString returns bytes [off, off+n) of the string m, clipped to its
// length. The result is never nil for a non-empty range.
func (t *Tx) readString(db int, key []byte, m *Meta, off, n int64) ([]byte, error) {
	if off < 0 {
		n += off
		off = 0
	}
	if off >= m.Len || n <= 0 {
		return []byte{}, nil
	}
	n = min(n, m.Len-off)
	if m.Version == 0 {
		if off == 0 && n == int64(len(m.Inline)) {
			return m.Inline, nil
		}
		return bytes.Clone(m.Inline[off : off+n]), nil
	}
	buf := make([]byte, n)
	prefix := dataPrefix(m.Version)
	first, last := off/ChunkSize, (off+n-1)/ChunkSize
	place := func(idx int64, data []byte) error {
		if len(data) > ChunkSize {
			return fmt.Errorf("%w: chunk %d of %q has %d bytes", ErrCorrupt, idx, key, len(data))
		}
		cs := idx * ChunkSize
		lo, hi := max(off, cs), min(off+n, cs+int64(len(data)))
		if lo < hi {
			copy(buf[lo-off:hi-off], data[lo-cs:hi-cs])
		}
		return nil
	}
	if first == last {
		v, err := t.get(chunkKey(prefix, first))
		if err != nil {
			return nil, fmt.Errorf("keyspace: read chunk %d of %q: %w", first, key, err)
		}
		if err := place(first, v); err != nil {
			return nil, err
		}
		return buf, nil
	}
	upper := prefixEnd(prefix)
	if last+1 < 1<<32 {
		upper = chunkKey(prefix, last+1)
	}
	it, err := t.iter(chunkKey(prefix, first), upper)
	if err != nil {
		return nil, fmt.Errorf("keyspace: iterate chunks of %q: %w", key, err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+4 {
			_ = it.Close()
			return nil, fmt.Errorf("%w: chunk key of %d bytes under %q", ErrCorrupt, len(k), key)
		}
		if err := place(int64(binary.BigEndian.Uint32(k[len(prefix):])), it.Value()); err != nil {
			_ = it.Close()
			return nil, err
		}
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("keyspace: iterate chunks of %q: %w", key, err)
	}
	return buf, nil
}
