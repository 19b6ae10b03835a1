package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Streams.
//
// A stream is a meta record (type 6) holding the entry count (Meta.Len,
// which may be 0: an empty stream is a value, as in Redis) and the
// stream-wide state (StreamMeta), plus data records under
// dataPrefix(version), in families named by a one-byte tag:
//
//	'e' id(16)                              → entry: its fields and values
//	'n' master(16)                          → node (see stream_node.go)
//	'g' group                               → consumer group
//	'c' len(group)(4) group consumer        → consumer
//	'p' len(group)(4) group id(16)          → pending entry (group PEL)
//	'q' len(group)(4) group len(consumer)(4) consumer id(16) → "" (consumer PEL)
//
// IDs are (ms, seq) as two big-endian uint64s, so every family keyed by ID
// iterates in ID order and a range query is an iterator scan that starts
// with a seek. Groups and consumers are in byte order of their names, as
// Redis's radix trees keep them. The consumer PEL is an index of the group
// PEL by consumer; a pending entry's record names its consumer. Group and
// consumer records keep their counts (PEL sizes, consumers), so XINFO
// GROUPS and XPENDING's summary read no PEL.
//
// Commands work on a Stream, the value of one key opened for one command
// (OpenStream): it reads the meta record once, keeps the groups and
// consumers the command touched, and writes what changed on Save.

// StreamID is the ID of a stream entry.
type StreamID struct {
	// Ms is the milliseconds part, Seq the sequence number.
	Ms, Seq uint64
}

// MaxStreamID is the largest stream ID (Redis's "+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as a is smaller than, equal to or greater
// than b.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the successor of a; ok is false when a is MaxStreamID (the
// result is then 0-0), as Redis's streamIncrID.
func (a StreamID) Incr() (StreamID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// Decr returns the predecessor of a; ok is false when a is 0-0 (the result
// is then MaxStreamID), as Redis's streamDecrID.
func (a StreamID) Decr() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return MaxStreamID, false
}

// AppendText appends "ms-seq" to dst.
func (a StreamID) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.Seq, 10)
}

// String returns "ms-seq".
func (a StreamID) String() string { return string(a.AppendText(nil)) }

// streamIDLen is the length of an encoded StreamID.
const streamIDLen = 16

// appendStreamID appends the 16-byte big-endian encoding of id to dst.
func appendStreamID(dst []byte, id StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

// decodeStreamID decodes the first 16 bytes of b (which must hold them).
func decodeStreamID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// StreamMeta is the stream-wide state kept in a stream's meta record.
type StreamMeta struct {
	// LastID is the last ID generated (or set by XSETID).
	LastID StreamID
	// MaxDeletedID is the largest ID deleted by XDEL (or set by XSETID).
	MaxDeletedID StreamID
	// EntriesAdded counts every entry ever added.
	EntriesAdded int64
	// FirstID is the ID of the first entry (0-0 when empty).
	FirstID StreamID
	// Nodes is the number of nodes (see stream_node.go); TailNode is the
	// master ID of the last one.
	Nodes    int64
	TailNode StreamID
}

// streamMetaLen is the encoded length of a StreamMeta.
const streamMetaLen = 4*streamIDLen + 8 + 8

// encodeStreamMeta appends the encoding of s to dst:
//
//	lastID(16) maxDeletedID(16) entriesAdded(8) firstID(16) nodes(8) tailNode(16)
func encodeStreamMeta(dst []byte, s *StreamMeta) []byte {
	dst = appendStreamID(dst, s.LastID)
	dst = appendStreamID(dst, s.MaxDeletedID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.EntriesAdded))
	dst = appendStreamID(dst, s.FirstID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.Nodes))
	return appendStreamID(dst, s.TailNode)
}

// decodeStream decodes the type-specific part of a stream meta record.
func decodeStream(m *Meta, rest []byte) error {
	if len(rest) != 8+streamMetaLen {
		return fmt.Errorf("%w: stream meta record with %d type-specific bytes", ErrCorrupt, len(rest))
	}
	if m.Version == 0 {
		return fmt.Errorf("%w: stream meta record without version", ErrCorrupt)
	}
	m.Len = int64(binary.BigEndian.Uint64(rest))
	rest = rest[8:]
	s := &m.Stream
	s.LastID = decodeStreamID(rest)
	s.MaxDeletedID = decodeStreamID(rest[16:])
	s.EntriesAdded = int64(binary.BigEndian.Uint64(rest[32:]))
	s.FirstID = decodeStreamID(rest[40:])
	s.Nodes = int64(binary.BigEndian.Uint64(rest[56:]))
	s.TailNode = decodeStreamID(rest[64:])
	switch {
	case m.Len < 0 || m.Len > maxCollectionLen:
		return fmt.Errorf("%w: stream of %d entries", ErrCorrupt, m.Len)
	case s.Nodes < 0 || s.Nodes > maxCollectionLen || (m.Len > 0 && s.Nodes == 0):
		return fmt.Errorf("%w: stream of %d entries in %d nodes", ErrCorrupt, m.Len, s.Nodes)
	case s.EntriesAdded < 0:
		return fmt.Errorf("%w: stream with %d entries added", ErrCorrupt, s.EntriesAdded)
	}
	return nil
}

// Errors of stream operations. Command handlers map them to Redis's error
// replies.
var (
	// ErrStreamIDTooSmall: the ID given to XADD is not greater than the
	// stream's last ID.
	ErrStreamIDTooSmall = errors.New("keyspace: stream ID equal or smaller than the stream's top item")
	// ErrStreamExhausted: the stream's last ID is the largest possible.
	ErrStreamExhausted = errors.New("keyspace: stream has exhausted the last possible ID")
	// ErrStreamTooLarge: an entry is larger than a Redis stream node can
	// hold (1 GiB).
	ErrStreamTooLarge = errors.New("keyspace: stream elements too large")
)

// Tags of the record families of a stream.
const (
	streamEntryTag       byte = 'e'
	streamNodeTag        byte = 'n'
	streamGroupTag       byte = 'g'
	streamConsumerTag    byte = 'c'
	streamPELTag         byte = 'p'
	streamConsumerPELTag byte = 'q'
)

// Stream is a stream value opened for one command (OpenStream). It is
// valid for the life of the transaction it was opened in; write commands
// call Save to store what changed. Not safe for concurrent use.
type Stream struct {
	t     *Tx
	db    int
	key   []byte
	write bool
	found bool // the key held a stream when opened
	// exists is found, or set by Create.
	exists bool
	dirty  bool // the meta record changed
	old, m Meta
	prefix []byte // dataPrefix(version)
	// kb and vb are scratch buffers for record keys and values.
	kb, vb []byte
	groups []*StreamGroup // opened groups, saved by Save
}

// OpenStream opens the stream at key for one command: for a write command
// (write set) an expired key is removed first (lookupForWrite). It returns
// ErrWrongType when the key holds another type; Exists reports whether it
// holds a stream.
func (t *Tx) OpenStream(db int, key []byte, now int64, write bool) (*Stream, error) {
	var m Meta
	var ok bool
	var err error
	if write {
		m, ok, err = t.lookupForWrite(db, key, now)
	} else {
		m, ok, err = t.getLive(db, key, now)
	}
	if err != nil {
		return nil, err
	}
	if ok && m.Type != TypeStream {
		return nil, ErrWrongType
	}
	s := &Stream{t: t, db: db, key: key, write: write, found: ok, exists: ok, old: m, m: m}
	if ok {
		s.prefix = dataPrefix(m.Version)
	}
	return s, nil
}

// Exists reports whether the key holds a stream.
func (s *Stream) Exists() bool { return s.exists }

// Create makes a missing stream an empty one (stored by Save).
func (s *Stream) Create() {
	if s.exists {
		return
	}
	s.m = Meta{Type: TypeStream, Version: s.t.nextVersion()}
	s.prefix = dataPrefix(s.m.Version)
	s.exists, s.dirty = true, true
}

// Len returns the number of entries.
func (s *Stream) Len() int64 { return s.m.Len }

// Meta returns the stream-wide state.
func (s *Stream) Meta() StreamMeta { return s.m.Stream }

// Save writes what the command changed: groups, consumers and the meta
// record.
func (s *Stream) Save() {
	for _, g := range s.groups {
		g.save()
	}
	if !s.exists || !s.dirty {
		return
	}
	if s.found {
		s.t.putMeta(s.db, s.key, &s.old, &s.m)
	} else {
		s.t.putMeta(s.db, s.key, nil, &s.m)
	}
	s.old, s.found, s.dirty = s.m, true, false
}

// Record keys. Each builder writes into s.kb, which the next one reuses:
// hand the key to the transaction (which copies it) before building
// another, or clone it.

// famKey starts a record key of family tag in s.kb.
func (s *Stream) famKey(tag byte) []byte { return append(append(s.kb[:0], s.prefix...), tag) }

// entryKey is the key of the entry id.
func (s *Stream) entryKey(id StreamID) []byte {
	s.kb = appendStreamID(s.famKey(streamEntryTag), id)
	return s.kb
}

// nodeKey is the key of the node whose master ID is id.
func (s *Stream) nodeKey(id StreamID) []byte {
	s.kb = appendStreamID(s.famKey(streamNodeTag), id)
	return s.kb
}

// groupKey is the key of the group name.
func (s *Stream) groupKey(name []byte) []byte {
	s.kb = append(s.famKey(streamGroupTag), name...)
	return s.kb
}

// appendName appends name preceded by its 4-byte length to dst.
func appendName(dst, name []byte) []byte {
	return append(binary.BigEndian.AppendUint32(dst, uint32(len(name))), name...)
}

// consumerKey is the key of consumer in group.
func (s *Stream) consumerKey(group, consumer []byte) []byte {
	s.kb = append(appendName(s.famKey(streamConsumerTag), group), consumer...)
	return s.kb
}

// pelKey is the key of the pending entry id of group.
func (s *Stream) pelKey(group []byte, id StreamID) []byte {
	s.kb = appendStreamID(appendName(s.famKey(streamPELTag), group), id)
	return s.kb
}

// cpelKey is the key of the pending entry id in the PEL of consumer of
// group.
func (s *Stream) cpelKey(group, consumer []byte, id StreamID) []byte {
	s.kb = appendStreamID(appendName(appendName(s.famKey(streamConsumerPELTag), group), consumer), id)
	return s.kb
}

// bounds returns the bounds of the records whose keys start with prefix
// (cloned: prefix may be s.kb).
func bounds(prefix []byte) (lower, upper []byte) {
	lower = bytes.Clone(prefix)
	return lower, prefixEnd(lower)
}

// iter returns an iterator over [lower, upper).
func (s *Stream) iter(lower, upper []byte) (engine.Iterator, error) {
	it, err := s.t.iter(lower, upper)
	if err != nil {
		return nil, fmt.Errorf("keyspace: iterate stream %q: %w", s.key, err)
	}
	return it, nil
}

// get reads the record key (nil, false when missing).
func (s *Stream) get(key []byte) ([]byte, bool, error) {
	v, found, err := s.t.lookup(key)
	if err != nil {
		return nil, false, fmt.Errorf("keyspace: read stream %q: %w", s.key, err)
	}
	return v, found, nil
}

// closeIter closes it, returning err or the iterator's error.
func (s *Stream) closeIter(it engine.Iterator, err error) error {
	if cerr := it.Close(); cerr != nil && err == nil {
		return fmt.Errorf("keyspace: iterate stream %q: %w", s.key, cerr)
	}
	return err
}

// streamMaxListpack is the largest entry a Redis stream node holds.
const streamMaxListpack = 1 << 30

// Add appends an entry with the fields and values fv (alternating, at
// least one pair) and returns its ID: id when seqGiven, id's milliseconds
// with the next sequence when only idGiven (Redis's "ms-*"), else an ID
// generated from now. It returns ErrStreamExhausted, ErrStreamIDTooSmall
// or ErrStreamTooLarge without changing anything. The stream must exist
// (Create).
func (s *Stream) Add(fv [][]byte, id StreamID, idGiven, seqGiven bool, lim StreamLimits, now int64) (StreamID, error) {
	last := s.m.Stream.LastID
	if last == MaxStreamID {
		return StreamID{}, ErrStreamExhausted
	}
	var nid StreamID
	switch {
	case idGiven && seqGiven:
		nid = id
	case idGiven:
		nid = id
		if last.Ms == id.Ms {
			if last.Seq == math.MaxUint64 {
				return StreamID{}, ErrStreamIDTooSmall
			}
			nid.Seq = last.Seq + 1
		}
	default:
		if ms := uint64(max(now, 0)); ms > last.Ms {
			nid = StreamID{Ms: ms}
		} else {
			nid, _ = last.Incr()
		}
	}
	if nid.Compare(last) <= 0 {
		return StreamID{}, ErrStreamIDTooSmall
	}
	var total int64
	for _, b := range fv {
		total += int64(len(b))
	}
	if total > streamMaxListpack {
		return StreamID{}, ErrStreamTooLarge
	}
	if err := s.appendToNode(nid, fv, total, lim); err != nil {
		return StreamID{}, err
	}
	s.vb = appendStreamEntry(s.vb[:0], fv)
	s.t.set(s.entryKey(nid), s.vb)
	st := &s.m.Stream
	s.m.Len++
	st.EntriesAdded++
	st.LastID = nid
	if s.m.Len == 1 {
		st.FirstID = nid
	}
	s.dirty = true
	return nid, nil
}

// appendStreamEntry appends the encoding of an entry's fields and values
// to dst: the number of pairs, then each string, all lengths as uvarints.
func appendStreamEntry(dst []byte, fv [][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(fv)/2))
	for _, b := range fv {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	return dst
}

// StreamEntries is a list of stream entries read by one command, their
// fields and values held in one buffer.
type StreamEntries struct {
	ids []StreamID
	// first is the index in elems of entry i's first string, -1 for an
	// entry that no longer exists (a pending entry deleted since).
	first []int
	elems Elems
}

// Len returns the number of entries.
func (e *StreamEntries) Len() int { return len(e.ids) }

// ID returns the ID of entry i.
func (e *StreamEntries) ID(i int) StreamID { return e.ids[i] }

// Fields returns the fields and values of entry i, alternating; ok is
// false for an entry that no longer exists. The slices alias e.
func (e *StreamEntries) Fields(i int) (fv [][]byte, ok bool) {
	start := e.first[i]
	if start < 0 {
		return nil, false
	}
	end := e.elems.Len()
	for j := i + 1; j < len(e.first); j++ {
		if e.first[j] >= 0 {
			end = e.first[j]
			break
		}
	}
	fv = make([][]byte, 0, end-start)
	for j := start; j < end; j++ {
		fv = append(fv, e.elems.At(j))
	}
	return fv, true
}

// add appends the entry id with the encoded fields and values v.
func (e *StreamEntries) add(id StreamID, v []byte) error {
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return fmt.Errorf("%w: stream entry %s", ErrCorrupt, id)
	}
	v = v[k:]
	e.ids = append(e.ids, id)
	e.first = append(e.first, e.elems.Len())
	for i := uint64(0); i < 2*n; i++ {
		l, k := binary.Uvarint(v)
		if k <= 0 || l > uint64(len(v)-k) {
			return fmt.Errorf("%w: stream entry %s", ErrCorrupt, id)
		}
		e.elems.Add(v[k : k+int(l)])
		v = v[k+int(l):]
	}
	if len(v) != 0 {
		return fmt.Errorf("%w: stream entry %s has %d trailing bytes", ErrCorrupt, id, len(v))
	}
	return nil
}

// addMissing appends an entry that no longer exists.
func (e *StreamEntries) addMissing(id StreamID) {
	e.ids = append(e.ids, id)
	e.first = append(e.first, -1)
}

// Range returns the entries with IDs from start to end inclusive, at most
// count of them (0: all), from the end when rev is set.
func (s *Stream) Range(start, end StreamID, count int64, rev bool) (*StreamEntries, error) {
	out := &StreamEntries{}
	return out, s.rangeInto(out, start, end, count, rev)
}

// rangeInto is Range appending to out.
func (s *Stream) rangeInto(out *StreamEntries, start, end StreamID, count int64, rev bool) error {
	if !s.exists || start.Compare(end) > 0 {
		return nil
	}
	lower := bytes.Clone(s.entryKey(start))
	upper := append(bytes.Clone(s.entryKey(end)), 0)
	it, err := s.iter(lower, upper)
	if err != nil {
		return err
	}
	n := len(lower) - streamIDLen
	ok := it.First()
	if rev {
		ok = it.Last()
	}
	for taken := int64(0); ok && (count == 0 || taken < count); taken++ {
		if err = out.add(decodeStreamID(it.Key()[n:]), it.Value()); err != nil {
			break
		}
		if rev {
			ok = it.Prev()
		} else {
			ok = it.Next()
		}
	}
	return s.closeIter(it, err)
}

// entryExists reports whether the entry id exists.
func (s *Stream) entryExists(id StreamID) (bool, error) {
	_, found, err := s.get(s.entryKey(id))
	return found, err
}

// edgeEntry returns the ID of the first (or last) entry; ok is false when
// the stream is empty.
func (s *Stream) edgeEntry(last bool) (StreamID, bool, error) {
	if !s.exists || s.m.Len == 0 {
		return StreamID{}, false, nil
	}
	lower, upper := bounds(s.famKey(streamEntryTag))
	it, err := s.iter(lower, upper)
	if err != nil {
		return StreamID{}, false, err
	}
	ok := it.First()
	if last {
		ok = it.Last()
	}
	var id StreamID
	if ok {
		id = decodeStreamID(it.Key()[len(lower):])
	}
	return id, ok, s.closeIter(it, nil)
}

// LastEntryID returns the ID of the last entry (Redis's last valid ID);
// ok is false when the stream is empty.
func (s *Stream) LastEntryID() (StreamID, bool, error) { return s.edgeEntry(true) }

// Delete deletes the entries ids (those that exist) and returns how many
// it deleted (XDEL).
func (s *Stream) Delete(ids []StreamID) (int64, error) {
	if !s.exists {
		return 0, nil
	}
	st := &s.m.Stream
	var deleted int64
	first := false
	for _, id := range ids {
		ok, err := s.entryExists(id)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		s.t.del(s.entryKey(id))
		if err := s.nodeDeleted(id); err != nil {
			return 0, err
		}
		s.m.Len--
		if id == st.FirstID {
			first = true
		}
		if id.Compare(st.MaxDeletedID) > 0 {
			st.MaxDeletedID = id
		}
		deleted++
	}
	if deleted == 0 {
		return 0, nil
	}
	s.dirty = true
	return deleted, s.refreshFirst(first)
}

// refreshFirst sets FirstID after entries were deleted: 0-0 for an empty
// stream, else the first entry when changed is set.
func (s *Stream) refreshFirst(changed bool) error {
	st := &s.m.Stream
	switch {
	case s.m.Len == 0:
		st.FirstID = StreamID{}
	case changed:
		id, _, err := s.edgeEntry(false)
		if err != nil {
			return err
		}
		st.FirstID = id
	}
	return nil
}

// StreamTrim describes a trimming (XTRIM, XADD's MAXLEN and MINID).
type StreamTrim struct {
	// MinID selects trimming by ID (entries below ID go); else by length
	// (the stream keeps MaxLen entries).
	MinID  bool
	MaxLen int64
	ID     StreamID
	// Approx (~) removes whole nodes only; Limit bounds the entries
	// removed (0: no bound).
	Approx bool
	Limit  int64
}

// Trim trims the stream as Redis's streamTrim does, node by node from the
// head, and returns the number of entries removed.
func (s *Stream) Trim(tr *StreamTrim) (int64, error) {
	if !s.exists {
		return 0, nil
	}
	lower, upper := bounds(s.famKey(streamNodeTag))
	it, err := s.iter(lower, upper)
	if err != nil {
		return 0, err
	}
	var deleted int64
	ok := it.First()
	for ok {
		if !tr.MinID && s.m.Len <= tr.MaxLen {
			break
		}
		var n streamNode
		if err = n.decode(it.Key()[len(lower):], it.Value()); err != nil {
			break
		}
		ok = it.Next()
		var next *StreamID
		if ok {
			id := decodeStreamID(it.Key()[len(lower):])
			next = &id
		}
		if tr.Limit > 0 && deleted+n.live > tr.Limit {
			break
		}
		var remove bool
		if tr.MinID {
			remove = n.last.Compare(tr.ID) < 0
		} else {
			remove = s.m.Len-n.live >= tr.MaxLen
		}
		if remove {
			if err = s.removeNode(&n, next); err != nil {
				break
			}
			deleted += n.live
			continue
		}
		if tr.Approx {
			break
		}
		var d int64
		d, err = s.trimNode(&n, next, tr)
		deleted += d
		break
	}
	if err = s.closeIter(it, err); err != nil {
		return 0, err
	}
	if deleted > 0 {
		s.dirty = true
	}
	return deleted, s.refreshFirst(deleted > 0)
}

// trimNode deletes entries from the head of node n (whose successor
// starts at next, nil if n is the last) while the trimming asks for it,
// and returns how many it deleted.
func (s *Stream) trimNode(n *streamNode, next *StreamID, tr *StreamTrim) (int64, error) {
	lower, upper := s.nodeEntries(n, next)
	it, err := s.iter(lower, upper)
	if err != nil {
		return 0, err
	}
	var d int64
	prefix := len(lower) - streamIDLen
	for ok := it.First(); ok; ok = it.Next() {
		id := decodeStreamID(it.Key()[prefix:])
		if tr.MinID && id.Compare(tr.ID) >= 0 || !tr.MinID && s.m.Len <= tr.MaxLen {
			break
		}
		s.t.del(it.Key())
		s.m.Len--
		d++
	}
	if err = s.closeIter(it, nil); err != nil {
		return 0, err
	}
	n.live -= d
	n.deleted += d
	s.putNode(n)
	return d, nil
}

// removeNode deletes node n (whose successor starts at next, nil if n is
// the last) with its entries.
func (s *Stream) removeNode(n *streamNode, next *StreamID) error {
	lower, upper := s.nodeEntries(n, next)
	it, err := s.iter(lower, upper)
	if err != nil {
		return err
	}
	var count int64
	for ok := it.First(); ok; ok = it.Next() {
		s.t.del(it.Key())
		count++
	}
	if err = s.closeIter(it, nil); err != nil {
		return err
	}
	if count != n.live {
		return fmt.Errorf("%w: stream %q node %s holds %d entries, counts %d", ErrCorrupt, s.key, n.master, count, n.live)
	}
	s.t.del(s.nodeKey(n.master))
	st := &s.m.Stream
	st.Nodes--
	s.m.Len -= count
	if st.Nodes == 0 {
		st.TailNode = StreamID{}
	}
	return nil
}

// nodeEntries returns the bounds of the entry records of node n, whose
// successor starts at next (nil if n is the last).
func (s *Stream) nodeEntries(n *streamNode, next *StreamID) (lower, upper []byte) {
	lower = bytes.Clone(s.entryKey(n.master))
	if next != nil {
		upper = bytes.Clone(s.entryKey(*next))
	} else {
		_, upper = bounds(s.famKey(streamEntryTag))
	}
	return lower, upper
}

// SetID is XSETID: it sets the last ID, and the entries-added counter and
// the maximal deleted ID when given (entriesAdded >= 0, maxDeleted not
// 0-0). The caller has checked them against the stream.
func (s *Stream) SetID(last StreamID, entriesAdded int64, maxDeleted StreamID) {
	st := &s.m.Stream
	st.LastID = last
	if entriesAdded >= 0 {
		st.EntriesAdded = entriesAdded
	}
	if !maxDeleted.IsZero() {
		st.MaxDeletedID = maxDeleted
	}
	s.dirty = true
}

// rangeHasTombstones is Redis's streamRangeHasTombstones: whether an
// entry from start (nil: the beginning) to the end may have been deleted.
func (s *Stream) rangeHasTombstones(start *StreamID) bool {
	st := &s.m.Stream
	if s.m.Len == 0 || st.MaxDeletedID.IsZero() {
		return false
	}
	if st.FirstID.Compare(st.MaxDeletedID) > 0 {
		return false
	}
	var from StreamID
	if start != nil {
		from = *start
	}
	return from.Compare(st.MaxDeletedID) <= 0
}

// estimateDistance is Redis's streamEstimateDistanceFromFirstEverEntry:
// the logical read counter of id, or -1 when it cannot be known.
func (s *Stream) estimateDistance(id StreamID) int64 {
	st := &s.m.Stream
	if st.EntriesAdded == 0 {
		return 0
	}
	if s.m.Len == 0 && id.Compare(st.LastID) < 1 {
		return st.EntriesAdded
	}
	cmpLast := id.Compare(st.LastID)
	if cmpLast == 0 {
		return st.EntriesAdded
	} else if cmpLast > 0 {
		return -1
	}
	cmpFirst := id.Compare(st.FirstID)
	if st.MaxDeletedID.IsZero() || st.MaxDeletedID.Compare(st.FirstID) < 0 {
		if cmpFirst < 0 {
			return st.EntriesAdded - s.m.Len
		} else if cmpFirst == 0 {
			return st.EntriesAdded - s.m.Len + 1
		}
	}
	return -1
}
