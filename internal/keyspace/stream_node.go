package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/kiwidb/kiwi/internal/redisnum"
)

// Stream nodes.
//
// Redis stores a stream as a radix tree of listpacks ("nodes") of up to
// stream-node-max-entries entries and stream-node-max-bytes bytes, and
// approximate trimming (MAXLEN ~, MINID ~) removes whole nodes only:
// which entries it removes depends on where the node boundaries are. Kiwi
// keeps every entry in its own record, and records the node boundaries
// Redis would have, so that trimming removes what Redis removes and XINFO
// reports Redis's radix-tree-keys and radix-tree-nodes.
//
// A node record, keyed by the ID of the node's first entry (its master
// ID), holds the node's live and deleted entry counts (Redis marks
// deleted entries in a listpack and frees the listpack when no live one
// is left), the size of the listpack Redis would have built (computed
// with listpack's encoding rules, so that stream-node-max-bytes splits
// nodes where Redis does), the last ID appended to it, and the master
// fields (an entry with the same fields is stored more compactly).
//
//	live(8) deleted(8) body(8) last(16) nfields(uvarint) (len(uvarint) field)...
//
// body is the listpack's size without its two counters, whose sizes
// depend on their values. An entry belongs to the node with the greatest
// master ID not above its ID.

// StreamLimits are Redis's stream-node-max-entries and
// stream-node-max-bytes: where a new node starts (0: no limit).
type StreamLimits struct {
	NodeMaxEntries int64
	NodeMaxBytes   int64
}

// streamNode is a decoded node record.
type streamNode struct {
	master        StreamID
	live, deleted int64
	body          int64
	last          StreamID
	fields        []byte // encoded master fields: count, then each
	nfields       uint64
	fieldsOffset  int // where the fields start in fields (after the count)
}

// stream item flags (Redis's STREAM_ITEM_FLAG_*).
const (
	lpFlagSameFields = 2
)

const streamNodeFixedLen = 8 + 8 + 8 + streamIDLen

// decode decodes a node record (key suffix after the tag, and value),
// copying what it keeps.
func (n *streamNode) decode(k, v []byte) error {
	if len(k) != streamIDLen || len(v) < streamNodeFixedLen {
		return fmt.Errorf("%w: stream node record of %d/%d bytes", ErrCorrupt, len(k), len(v))
	}
	n.master = decodeStreamID(k)
	n.live = int64(binary.BigEndian.Uint64(v))
	n.deleted = int64(binary.BigEndian.Uint64(v[8:]))
	n.body = int64(binary.BigEndian.Uint64(v[16:]))
	n.last = decodeStreamID(v[24:])
	n.fields = bytes.Clone(v[streamNodeFixedLen:])
	c, w := binary.Uvarint(n.fields)
	if w <= 0 || n.live < 0 || n.deleted < 0 || n.body < 0 {
		return fmt.Errorf("%w: stream node %s", ErrCorrupt, n.master)
	}
	n.nfields, n.fieldsOffset = c, w
	return nil
}

// encode appends the node record value to dst.
func (n *streamNode) encode(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.live))
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.deleted))
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.body))
	dst = appendStreamID(dst, n.last)
	return append(dst, n.fields...)
}

// sameFields reports whether the entry fv has the node's master fields.
func (n *streamNode) sameFields(fv [][]byte) bool {
	if uint64(len(fv)/2) != n.nfields {
		return false
	}
	b := n.fields[n.fieldsOffset:]
	for i := 0; i < len(fv); i += 2 {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) || !bytes.Equal(b[w:w+int(l)], fv[i]) {
			return false
		}
		b = b[w+int(l):]
	}
	return true
}

// lpBytes is the size of the node's listpack in Redis.
func (n *streamNode) lpBytes() int64 { return n.body + lpIntLen(n.live) + lpIntLen(n.deleted) }

// putNode writes the record of node n.
func (s *Stream) putNode(n *streamNode) {
	s.vb = n.encode(s.vb[:0])
	s.t.set(s.nodeKey(n.master), s.vb)
}

// loadNode reads the node whose master ID is id.
func (s *Stream) loadNode(id StreamID) (*streamNode, error) {
	v, found, err := s.get(s.nodeKey(id))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: stream %q has no node %s", ErrCorrupt, s.key, id)
	}
	n := &streamNode{}
	return n, n.decode(appendStreamID(nil, id), v)
}

// nodeBefore returns the node holding the entry id (the last node whose
// master ID is not above id) when strict is false, or the last node whose
// master ID is below id when strict is set; nil if there is none.
func (s *Stream) nodeBefore(id StreamID, strict bool) (*streamNode, error) {
	lower, upper := bounds(s.famKey(streamNodeTag))
	seek := bytes.Clone(s.nodeKey(id))
	if !strict {
		seek = append(seek, 0)
	}
	it, err := s.iter(lower, upper)
	if err != nil {
		return nil, err
	}
	var n *streamNode
	if it.SeekLT(seek) {
		n = &streamNode{}
		err = n.decode(it.Key()[len(lower):], it.Value())
	}
	return n, s.closeIter(it, err)
}

// appendToNode records the entry id with fields and values fv (total
// bytes) in the tail node, or in a new node when the tail is full, as
// Redis's streamAppendItem does.
func (s *Stream) appendToNode(id StreamID, fv [][]byte, total int64, lim StreamLimits) error {
	st := &s.m.Stream
	if st.Nodes > 0 {
		n, err := s.loadNode(st.TailNode)
		if err != nil {
			return err
		}
		maxBytes := lim.NodeMaxBytes
		if maxBytes <= 0 || maxBytes > streamMaxListpack {
			maxBytes = streamMaxListpack
		}
		full := n.lpBytes()+total >= maxBytes ||
			lim.NodeMaxEntries > 0 && n.live+n.deleted >= lim.NodeMaxEntries
		if !full {
			n.body += lpEntryLen(n.master, id, fv, n.sameFields(fv))
			n.live++
			n.last = id
			s.putNode(n)
			return nil
		}
	}
	n := &streamNode{master: id, live: 1, last: id}
	n.fields = binary.AppendUvarint(nil, uint64(len(fv)/2))
	n.body = lpHeaderLen + 1 + lpIntLen(int64(len(fv)/2)) + lpIntLen(0)
	for i := 0; i < len(fv); i += 2 {
		n.fields = binary.AppendUvarint(n.fields, uint64(len(fv[i])))
		n.fields = append(n.fields, fv[i]...)
		n.body += lpStrLen(fv[i])
	}
	n.body += lpEntryLen(id, id, fv, true)
	s.putNode(n)
	st.Nodes++
	st.TailNode = id
	return nil
}

// nodeDeleted records that the entry id was deleted (XDEL): its node
// counts one live entry less, and goes when none is left.
func (s *Stream) nodeDeleted(id StreamID) error {
	n, err := s.nodeBefore(id, false)
	if err != nil {
		return err
	}
	if n == nil {
		return fmt.Errorf("%w: stream %q has no node for entry %s", ErrCorrupt, s.key, id)
	}
	if n.live > 1 {
		n.live--
		n.deleted++
		s.putNode(n)
		return nil
	}
	s.t.del(s.nodeKey(n.master))
	st := &s.m.Stream
	st.Nodes--
	if n.master != st.TailNode {
		return nil
	}
	st.TailNode = StreamID{}
	prev, err := s.nodeBefore(n.master, true)
	if err != nil || prev == nil {
		return err
	}
	st.TailNode = prev.master
	return nil
}

// Listpack sizes (Redis's listpack.c): a header of 6 bytes and an end
// byte; each element is its encoding followed by its encoding's length
// (backlen).
const lpHeaderLen = 6

// lpEntryLen is the size of the listpack elements of an entry in a node
// whose master ID is master: flags, ID deltas, fields unless same is set,
// values, and the element count.
func lpEntryLen(master, id StreamID, fv [][]byte, same bool) int64 {
	nf := int64(len(fv) / 2)
	flags, count := int64(lpFlagSameFields), nf+3
	if !same {
		flags, count = 0, nf+3+nf+1
	}
	n := lpIntLen(flags) + lpIntLen(int64(id.Ms-master.Ms)) + lpIntLen(int64(id.Seq-master.Seq)) + lpIntLen(count)
	if !same {
		n += lpIntLen(nf)
	}
	for i, b := range fv {
		if same && i%2 == 0 {
			continue
		}
		n += lpStrLen(b)
	}
	return n
}

// lpIntLen is the size of an integer element.
func lpIntLen(v int64) int64 {
	switch {
	case v >= 0 && v <= 127:
		return 1 + 1
	case v >= -4096 && v <= 4095:
		return 2 + 1
	case v >= -32768 && v <= 32767:
		return 3 + 1
	case v >= -8388608 && v <= 8388607:
		return 4 + 1
	case v >= -2147483648 && v <= 2147483647:
		return 5 + 1
	}
	return 9 + 1
}

// lpStrLen is the size of a string element (stored as an integer when it
// is one).
func lpStrLen(b []byte) int64 {
	if v, ok := redisnum.ParseInt(b); ok {
		return lpIntLen(v)
	}
	size := int64(len(b))
	var enc int64
	switch {
	case size < 64:
		enc = 1 + size
	case size < 4096:
		enc = 2 + size
	default:
		enc = 5 + size
	}
	return enc + lpBacklenLen(enc)
}

// lpBacklenLen is the size of the backlen of an element encoded in l
// bytes.
func lpBacklenLen(l int64) int64 {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// RaxSize returns the number of nodes (Redis's radix-tree-keys) and the
// number of nodes of the radix tree Redis would index them with
// (radix-tree-nodes). It reads every node record: O(N/node size).
func (s *Stream) RaxSize() (keys, nodes int64, err error) {
	if !s.exists {
		return 0, 1, nil
	}
	lower, upper := bounds(s.famKey(streamNodeTag))
	it, err := s.iter(lower, upper)
	if err != nil {
		return 0, 0, err
	}
	var r raxCounter
	for ok := it.First(); ok; ok = it.Next() {
		r.add(it.Key()[len(lower):])
	}
	if err = s.closeIter(it, nil); err != nil {
		return 0, 0, err
	}
	return r.keys, r.finish(), nil
}

// raxCounter counts the nodes of a Redis radix tree (rax.c) holding keys
// of streamIDLen bytes, fed in order: one node per key, one per branching
// point, plus one compressed node for every edge longer than one byte
// (the first byte of an edge is held by the node it leaves). It follows
// the rightmost path of the tree on a stack of branching depths.
type raxCounter struct {
	keys  int64
	nodes int64
	prev  [streamIDLen]byte
	stack []int // depths of the branching nodes on the rightmost path
}

// add adds the next key (greater than the previous one).
func (r *raxCounter) add(k []byte) {
	if r.keys > 0 {
		l := 0
		for l < streamIDLen && r.prev[l] == k[l] {
			l++
		}
		last := streamIDLen // the previous key's node
		for len(r.stack) > 0 && r.stack[len(r.stack)-1] > l {
			top := r.stack[len(r.stack)-1]
			r.stack = r.stack[:len(r.stack)-1]
			r.close(last, top)
			last = top
		}
		if len(r.stack) == 0 || r.stack[len(r.stack)-1] < l {
			r.stack = append(r.stack, l)
		}
		r.close(last, l)
	}
	copy(r.prev[:], k)
	r.keys++
}

// close counts a node at depth d whose parent branches at depth parent.
func (r *raxCounter) close(d, parent int) {
	r.nodes++
	if d-parent >= 2 {
		r.nodes++
	}
}

// finish returns the node count.
func (r *raxCounter) finish() int64 {
	if r.keys == 0 {
		return 1 // the empty head node
	}
	last := streamIDLen
	for len(r.stack) > 0 {
		top := r.stack[len(r.stack)-1]
		r.stack = r.stack[:len(r.stack)-1]
		r.close(last, top)
		last = top
	}
	r.close(last, -1)
	return r.nodes
}
