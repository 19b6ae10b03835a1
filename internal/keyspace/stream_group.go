package keyspace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/kiwidb/kiwi/internal/notify"
)

// Stream consumer groups.
//
// Records (see stream.go for the keys):
//
//	group:    lastID(16) entriesRead(8, -1: unknown) pending(8) consumers(8)
//	consumer: seenTime(8) pending(8)
//	pending:  deliveryTime(8) deliveryCount(8) consumer
//
// A pending entry is in the group PEL ('p', by ID) and in its consumer's
// PEL ('q', by consumer then ID). A command opens groups and consumers
// through its Stream, changes them in memory, and Stream.Save writes the
// records of those that changed; PEL records are written at once.

// StreamGroup is a consumer group opened by a command (Stream.Group).
type StreamGroup struct {
	s    *Stream
	name []byte
	// LastID is the last delivered ID; EntriesRead the group's logical
	// read counter (-1 when unknown).
	LastID      StreamID
	EntriesRead int64
	// Pending is the size of the group PEL, Consumers the number of
	// consumers.
	Pending, Consumers int64

	dirty, gone bool
	cons        []*StreamConsumer // consumers opened through the group
}

// StreamConsumer is a consumer of a group opened by a command.
type StreamConsumer struct {
	// Name is the consumer's name.
	Name []byte
	// SeenTime is when the consumer was last active (Unix ms).
	SeenTime int64
	// Pending is the size of the consumer's PEL.
	Pending int64

	dirty, gone bool
}

// Name returns the group's name.
func (g *StreamGroup) Name() []byte { return g.name }

// streamGroupLen and streamConsumerLen are the record value sizes.
const (
	streamGroupLen    = streamIDLen + 8 + 8 + 8
	streamConsumerLen = 8 + 8
	streamNackFixed   = 8 + 8
)

func (g *StreamGroup) decode(v []byte) error {
	if len(v) != streamGroupLen {
		return fmt.Errorf("%w: stream group record of %d bytes", ErrCorrupt, len(v))
	}
	g.LastID = decodeStreamID(v)
	g.EntriesRead = int64(binary.BigEndian.Uint64(v[16:]))
	g.Pending = int64(binary.BigEndian.Uint64(v[24:]))
	g.Consumers = int64(binary.BigEndian.Uint64(v[32:]))
	return nil
}

func (g *StreamGroup) encode(dst []byte) []byte {
	dst = appendStreamID(dst, g.LastID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(g.EntriesRead))
	dst = binary.BigEndian.AppendUint64(dst, uint64(g.Pending))
	return binary.BigEndian.AppendUint64(dst, uint64(g.Consumers))
}

func (c *StreamConsumer) decode(v []byte) error {
	if len(v) != streamConsumerLen {
		return fmt.Errorf("%w: stream consumer record of %d bytes", ErrCorrupt, len(v))
	}
	c.SeenTime = int64(binary.BigEndian.Uint64(v))
	c.Pending = int64(binary.BigEndian.Uint64(v[8:]))
	return nil
}

// save writes the group's and its consumers' records if they changed.
func (g *StreamGroup) save() {
	s := g.s
	if g.gone {
		return
	}
	if g.dirty {
		s.vb = g.encode(s.vb[:0])
		s.t.set(s.groupKey(g.name), s.vb)
		g.dirty = false
	}
	for _, c := range g.cons {
		if !c.dirty || c.gone {
			continue
		}
		s.vb = binary.BigEndian.AppendUint64(s.vb[:0], uint64(c.SeenTime))
		s.vb = binary.BigEndian.AppendUint64(s.vb, uint64(c.Pending))
		s.t.set(s.consumerKey(g.name, c.Name), s.vb)
		c.dirty = false
	}
}

// Group returns the group name, or nil when the stream has none of that
// name.
func (s *Stream) Group(name []byte) (*StreamGroup, error) {
	for _, g := range s.groups {
		if !g.gone && bytes.Equal(g.name, name) {
			return g, nil
		}
	}
	if !s.exists {
		return nil, nil
	}
	v, found, err := s.get(s.groupKey(name))
	if err != nil || !found {
		return nil, err
	}
	g := &StreamGroup{s: s, name: bytes.Clone(name)}
	if err := g.decode(v); err != nil {
		return nil, fmt.Errorf("keyspace: stream %q group %q: %w", s.key, name, err)
	}
	s.groups = append(s.groups, g)
	return g, nil
}

// CreateGroup creates the group name with last delivered ID id and read
// counter entriesRead (-1: unknown); false if it exists.
func (s *Stream) CreateGroup(name []byte, id StreamID, entriesRead int64) (bool, error) {
	g, err := s.Group(name)
	if err != nil || g != nil {
		return false, err
	}
	g = &StreamGroup{s: s, name: bytes.Clone(name), LastID: id, EntriesRead: entriesRead, dirty: true}
	s.groups = append(s.groups, g)
	return true, nil
}

// DestroyGroup deletes the group name with its consumers and PEL; false
// if there is none.
func (s *Stream) DestroyGroup(name []byte) (bool, error) {
	g, err := s.Group(name)
	if err != nil || g == nil {
		return false, err
	}
	s.t.del(s.groupKey(name))
	for _, tag := range []byte{streamConsumerTag, streamPELTag, streamConsumerPELTag} {
		if err := s.deleteFamily(appendName(s.famKey(tag), name)); err != nil {
			return false, err
		}
	}
	g.gone = true
	return true, nil
}

// deleteFamily deletes every record whose key starts with prefix.
func (s *Stream) deleteFamily(prefix []byte) error {
	lower, upper := bounds(prefix)
	it, err := s.iter(lower, upper)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		s.t.del(it.Key())
	}
	return s.closeIter(it, nil)
}

// Groups returns the stream's groups in name order, as stored (a read
// command's view: groups changed by the running command and not saved
// are not seen).
func (s *Stream) Groups() ([]*StreamGroup, error) {
	if !s.exists {
		return nil, nil
	}
	lower, upper := bounds(s.famKey(streamGroupTag))
	it, err := s.iter(lower, upper)
	if err != nil {
		return nil, err
	}
	var out []*StreamGroup
	for ok := it.First(); ok; ok = it.Next() {
		g := &StreamGroup{s: s, name: bytes.Clone(it.Key()[len(lower):])}
		if err = g.decode(it.Value()); err != nil {
			break
		}
		out = append(out, g)
	}
	return out, s.closeIter(it, err)
}

// SetID sets the group's last delivered ID and read counter (XGROUP
// SETID).
func (g *StreamGroup) SetID(id StreamID, entriesRead int64) {
	g.LastID, g.EntriesRead, g.dirty = id, entriesRead, true
}

// Lag returns the number of entries not yet delivered to the group, as
// Redis's streamReplyWithCGLag computes it; ok is false when it cannot be
// known (deleted entries in the way).
func (g *StreamGroup) Lag() (lag int64, ok bool) {
	s := g.s
	st := &s.m.Stream
	switch {
	case st.EntriesAdded == 0:
		return 0, true
	case g.EntriesRead != -1 && !s.rangeHasTombstones(&g.LastID):
		return st.EntriesAdded - g.EntriesRead, true
	}
	if read := s.estimateDistance(g.LastID); read != -1 {
		return st.EntriesAdded - read, true
	}
	return 0, false
}

// Consumer returns the consumer name, or nil if the group has none of
// that name. With refresh, its seen time becomes now.
func (g *StreamGroup) Consumer(name []byte, refresh bool, now int64) (*StreamConsumer, error) {
	c, err := g.consumer(name)
	if err != nil || c == nil {
		return nil, err
	}
	if refresh {
		c.SeenTime, c.dirty = now, true
	}
	return c, nil
}

// consumer returns the consumer name (nil if missing), from the group's
// opened consumers or its record.
func (g *StreamGroup) consumer(name []byte) (*StreamConsumer, error) {
	for _, c := range g.cons {
		if !c.gone && bytes.Equal(c.Name, name) {
			return c, nil
		}
	}
	s := g.s
	v, found, err := s.get(s.consumerKey(g.name, name))
	if err != nil || !found {
		return nil, err
	}
	c := &StreamConsumer{Name: bytes.Clone(name)}
	if err := c.decode(v); err != nil {
		return nil, fmt.Errorf("keyspace: stream %q group %q consumer %q: %w", s.key, g.name, name, err)
	}
	g.cons = append(g.cons, c)
	return c, nil
}

// CreateConsumer creates the consumer name, seen now; created is false
// (and c the existing consumer, not refreshed) if it exists.
func (g *StreamGroup) CreateConsumer(name []byte, now int64) (c *StreamConsumer, created bool, err error) {
	if c, err = g.consumer(name); err != nil || c != nil {
		return c, false, err
	}
	c = &StreamConsumer{Name: bytes.Clone(name), SeenTime: now, dirty: true}
	g.cons = append(g.cons, c)
	g.Consumers++
	g.dirty = true
	g.s.t.Emit(notify.Stream, "xgroup-createconsumer", g.s.db, g.s.key)
	return c, true, nil
}

// LookupOrCreateConsumer is Consumer with refresh, creating the consumer
// when it is missing (XREADGROUP, XCLAIM, XAUTOCLAIM).
func (g *StreamGroup) LookupOrCreateConsumer(name []byte, now int64) (*StreamConsumer, error) {
	c, err := g.Consumer(name, true, now)
	if err != nil || c != nil {
		return c, err
	}
	c, _, err = g.CreateConsumer(name, now)
	return c, err
}

// DeleteConsumer deletes the consumer name and its pending entries (from
// the group PEL too) and returns how many it had; ok is false if there is
// no such consumer.
func (g *StreamGroup) DeleteConsumer(name []byte) (pending int64, ok bool, err error) {
	c, err := g.consumer(name)
	if err != nil || c == nil {
		return 0, false, err
	}
	s := g.s
	lower, upper := bounds(appendName(appendName(s.famKey(streamConsumerPELTag), g.name), c.Name))
	it, err := s.iter(lower, upper)
	if err != nil {
		return 0, false, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		s.t.del(s.pelKey(g.name, decodeStreamID(it.Key()[len(lower):])))
		s.t.del(it.Key())
	}
	if err = s.closeIter(it, nil); err != nil {
		return 0, false, err
	}
	s.t.del(s.consumerKey(g.name, c.Name))
	g.Pending -= c.Pending
	g.Consumers--
	g.dirty = true
	c.gone = true
	return c.Pending, true, nil
}

// ListConsumers returns the group's consumers in name order, as stored.
func (g *StreamGroup) ListConsumers() ([]*StreamConsumer, error) {
	s := g.s
	lower, upper := bounds(appendName(s.famKey(streamConsumerTag), g.name))
	it, err := s.iter(lower, upper)
	if err != nil {
		return nil, err
	}
	var out []*StreamConsumer
	for ok := it.First(); ok; ok = it.Next() {
		c := &StreamConsumer{Name: bytes.Clone(it.Key()[len(lower):])}
		if err = c.decode(it.Value()); err != nil {
			break
		}
		out = append(out, c)
	}
	return out, s.closeIter(it, err)
}

// nack is a pending entry: its delivery time and count, and its
// consumer.
type nack struct {
	time, count int64
	consumer    []byte
}

// getNack reads the pending entry id of the group.
func (g *StreamGroup) getNack(id StreamID) (nack, bool, error) {
	v, found, err := g.s.get(g.s.pelKey(g.name, id))
	if err != nil || !found {
		return nack{}, false, err
	}
	n, err := decodeNack(v)
	return n, err == nil, err
}

func decodeNack(v []byte) (nack, error) {
	if len(v) < streamNackFixed {
		return nack{}, fmt.Errorf("%w: stream pending entry of %d bytes", ErrCorrupt, len(v))
	}
	return nack{time: int64(binary.BigEndian.Uint64(v)), count: int64(binary.BigEndian.Uint64(v[8:])),
		consumer: bytes.Clone(v[streamNackFixed:])}, nil
}

// putNack writes the pending entry id (not its consumer PEL record).
func (g *StreamGroup) putNack(id StreamID, n *nack) {
	s := g.s
	s.vb = binary.BigEndian.AppendUint64(s.vb[:0], uint64(n.time))
	s.vb = binary.BigEndian.AppendUint64(s.vb, uint64(n.count))
	s.vb = append(s.vb, n.consumer...)
	s.t.set(s.pelKey(g.name, id), s.vb)
}

// owner returns the consumer of a pending entry, which must exist.
func (g *StreamGroup) owner(n *nack) (*StreamConsumer, error) {
	c, err := g.consumer(n.consumer)
	if err == nil && c == nil {
		err = fmt.Errorf("%w: stream %q group %q: pending entry of missing consumer %q", ErrCorrupt, g.s.key, g.name, n.consumer)
	}
	return c, err
}

// deliver records that the entry id is delivered to consumer c at now
// (XREADGROUP ">"): a new pending entry, or one moved from its consumer.
func (g *StreamGroup) deliver(id StreamID, c *StreamConsumer, now int64) error {
	n, found, err := g.getNack(id)
	if err != nil {
		return err
	}
	if found {
		old, err := g.owner(&n)
		if err != nil {
			return err
		}
		g.unlinkNack(id, old)
	} else {
		g.Pending++
		g.dirty = true
	}
	g.linkNack(id, c, &nack{time: now, count: 1, consumer: c.Name})
	return nil
}

// unlinkNack removes the pending entry id from the PEL of consumer c.
func (g *StreamGroup) unlinkNack(id StreamID, c *StreamConsumer) {
	g.s.t.del(g.s.cpelKey(g.name, c.Name, id))
	c.Pending--
	c.dirty = true
}

// linkNack writes the pending entry id as n, in the PEL of consumer c.
func (g *StreamGroup) linkNack(id StreamID, c *StreamConsumer, n *nack) {
	g.putNack(id, n)
	g.s.t.set(g.s.cpelKey(g.name, c.Name, id), nil)
	c.Pending++
	c.dirty = true
}

// ReadNew delivers up to count (0: all) entries after the group's last
// delivered ID to consumer c at now (XREADGROUP ">"): the group's last ID
// and read counter advance, and unless noack each entry becomes pending
// for c.
func (g *StreamGroup) ReadNew(c *StreamConsumer, count int64, noack bool, now int64) (*StreamEntries, error) {
	s := g.s
	out := &StreamEntries{}
	start, ok := g.LastID.Incr()
	if !ok {
		return out, nil
	}
	if err := s.rangeInto(out, start, MaxStreamID, count, false); err != nil {
		return nil, err
	}
	for i := range out.Len() {
		id := out.ID(i)
		if id.Compare(g.LastID) > 0 {
			switch {
			case g.EntriesRead != -1 && !s.rangeHasTombstones(&id):
				g.EntriesRead++
			case s.m.Stream.EntriesAdded != 0:
				g.EntriesRead = s.estimateDistance(id)
			}
			g.LastID = id
			g.dirty = true
		}
		if !noack {
			if err := g.deliver(id, c, now); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// ReadHistory returns up to count (0: all) entries of the PEL of consumer
// c from start (XREADGROUP with an ID), each delivered once more at now;
// a pending entry that no longer exists is returned without fields.
func (g *StreamGroup) ReadHistory(c *StreamConsumer, start StreamID, count int64, now int64) (*StreamEntries, error) {
	s := g.s
	out := &StreamEntries{}
	prefix := appendName(appendName(s.famKey(streamConsumerPELTag), g.name), c.Name)
	lower, upper := bounds(prefix)
	it, err := s.iter(appendStreamID(bytes.Clone(lower), start), upper)
	if err != nil {
		return nil, err
	}
	var ids []StreamID
	for ok := it.First(); ok && (count == 0 || int64(len(ids)) < count); ok = it.Next() {
		ids = append(ids, decodeStreamID(it.Key()[len(lower):]))
	}
	if err = s.closeIter(it, nil); err != nil {
		return nil, err
	}
	for _, id := range ids {
		n := out.Len()
		if err := s.rangeInto(out, id, id, 1, false); err != nil {
			return nil, err
		}
		if out.Len() == n {
			out.addMissing(id)
			continue
		}
		nk, found, err := g.getNack(id)
		if err != nil {
			return nil, err
		}
		if found {
			nk.time, nk.count = now, nk.count+1
			g.putNack(id, &nk)
		}
	}
	return out, nil
}

// Ack removes the pending entries ids and returns how many were pending.
func (g *StreamGroup) Ack(ids []StreamID) (int64, error) {
	var acked int64
	for _, id := range ids {
		n, found, err := g.getNack(id)
		if err != nil {
			return 0, err
		}
		if !found {
			continue
		}
		if err := g.dropNack(id, &n); err != nil {
			return 0, err
		}
		acked++
	}
	return acked, nil
}

// dropNack deletes the pending entry id (n) from both PELs.
func (g *StreamGroup) dropNack(id StreamID, n *nack) error {
	c, err := g.owner(n)
	if err != nil {
		return err
	}
	g.unlinkNack(id, c)
	g.s.t.del(g.s.pelKey(g.name, id))
	g.Pending--
	g.dirty = true
	return nil
}

// PendingEntry is a pending entry as XPENDING and XINFO report it.
type PendingEntry struct {
	ID       StreamID
	Consumer []byte
	// DeliveryTime is the last delivery (Unix ms), Deliveries their
	// number.
	DeliveryTime, Deliveries int64
}

// PendingRange returns up to count (0: all) pending entries from start to
// end (with minIdle > 0, only those idle at least that long at now), of
// the group or, with consumer, of that consumer.
func (g *StreamGroup) PendingRange(start, end StreamID, count int64, consumer []byte, minIdle, now int64) ([]PendingEntry, error) {
	s := g.s
	var prefix []byte
	if consumer != nil {
		prefix = appendName(appendName(s.famKey(streamConsumerPELTag), g.name), consumer)
	} else {
		prefix = appendName(s.famKey(streamPELTag), g.name)
	}
	lower, upper := bounds(prefix)
	it, err := s.iter(appendStreamID(bytes.Clone(lower), start), upper)
	if err != nil {
		return nil, err
	}
	var out []PendingEntry
	for ok := it.First(); ok && (count == 0 || int64(len(out)) < count); ok = it.Next() {
		id := decodeStreamID(it.Key()[len(lower):])
		if id.Compare(end) > 0 {
			break
		}
		var n nack
		if consumer != nil {
			var found bool
			if n, found, err = g.getNack(id); err == nil && !found {
				err = fmt.Errorf("%w: stream %q group %q: consumer PEL entry %s not pending", ErrCorrupt, s.key, g.name, id)
			}
		} else {
			n, err = decodeNack(it.Value())
		}
		if err != nil {
			break
		}
		if minIdle > 0 && now-n.time < minIdle {
			continue
		}
		out = append(out, PendingEntry{ID: id, Consumer: n.consumer, DeliveryTime: n.time, Deliveries: n.count})
	}
	return out, s.closeIter(it, err)
}

// PendingBounds returns the smallest and largest pending IDs of the group
// (ok false when none is pending).
func (g *StreamGroup) PendingBounds() (first, last StreamID, ok bool, err error) {
	s := g.s
	lower, upper := bounds(appendName(s.famKey(streamPELTag), g.name))
	it, err := s.iter(lower, upper)
	if err != nil {
		return first, last, false, err
	}
	if it.First() {
		first = decodeStreamID(it.Key()[len(lower):])
		if it.Last() {
			last = decodeStreamID(it.Key()[len(lower):])
			ok = true
		}
	}
	return first, last, ok, s.closeIter(it, nil)
}

// ClaimOptions are XCLAIM's options.
type ClaimOptions struct {
	// MinIdle: only entries idle at least this long are claimed.
	MinIdle int64
	// DeliveryTime is the new delivery time.
	DeliveryTime int64
	// RetryCount, when >= 0, sets the delivery count; else it is
	// incremented unless JustID.
	RetryCount int64
	Force      bool
	JustID     bool
}

// Claim gives the pending entries ids to the consumer name (created if
// missing), as XCLAIM does, and returns the claimed entries (IDs only,
// without fields, with JustID). Pending entries whose stream entry is
// gone are removed from the PEL and not returned.
func (g *StreamGroup) Claim(name []byte, ids []StreamID, opts *ClaimOptions, now int64) (*StreamEntries, error) {
	s := g.s
	out := &StreamEntries{}
	var c *StreamConsumer
	for _, id := range ids {
		n, found, err := g.getNack(id)
		if err != nil {
			return nil, err
		}
		exists, err := s.entryExists(id)
		if err != nil {
			return nil, err
		}
		if !exists {
			if found {
				if err := g.dropNack(id, &n); err != nil {
					return nil, err
				}
			}
			continue
		}
		var prev *StreamConsumer
		switch {
		case found:
			if opts.MinIdle > 0 && now-n.time < opts.MinIdle {
				continue
			}
			if prev, err = g.owner(&n); err != nil {
				return nil, err
			}
		case opts.Force:
			n = nack{count: 1} // Redis's new NACK, then claimed below
			g.Pending++
			g.dirty = true
		default:
			continue
		}
		if c == nil {
			if c, err = g.LookupOrCreateConsumer(name, now); err != nil {
				return nil, err
			}
		}
		g.claimOne(id, &n, prev, c, opts.DeliveryTime, opts.RetryCount, opts.JustID)
		if err := g.addClaimed(out, id, opts.JustID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// claimOne gives the pending entry id (n, owned by prev, nil for a new
// one) to c, delivered at time.
func (g *StreamGroup) claimOne(id StreamID, n *nack, prev, c *StreamConsumer, time, retryCount int64, justID bool) {
	if prev != nil && prev != c {
		g.unlinkNack(id, prev)
	}
	n.time = time
	switch {
	case retryCount >= 0:
		n.count = retryCount
	case !justID:
		n.count++
	}
	n.consumer = c.Name
	if prev != c {
		g.linkNack(id, c, n)
	} else {
		g.putNack(id, n)
	}
}

// addClaimed appends the claimed entry id to out: its ID only with
// justID, else the entry.
func (g *StreamGroup) addClaimed(out *StreamEntries, id StreamID, justID bool) error {
	if justID {
		out.addMissing(id)
		return nil
	}
	return g.s.rangeInto(out, id, id, 1, false)
}

// AutoClaim is XAUTOCLAIM: it walks the group PEL from start, claiming
// for the consumer name the entries idle at least minIdle, until count
// entries were claimed or deleted or 10×count were examined. It returns
// the claimed entries, the ID to continue from (0-0 at the end), and the
// IDs of pending entries whose stream entry was gone (removed from the
// PEL).
func (g *StreamGroup) AutoClaim(name []byte, start StreamID, count, minIdle int64, justID bool, now int64) (*StreamEntries, StreamID, []StreamID, error) {
	s := g.s
	lower, upper := bounds(appendName(s.famKey(streamPELTag), g.name))
	it, err := s.iter(appendStreamID(bytes.Clone(lower), start), upper)
	if err != nil {
		return nil, StreamID{}, nil, err
	}
	type pending struct {
		id StreamID
		n  nack
	}
	// The walk reads first (the iterator sees the PEL as it was), then
	// claims: what it decides depends on nothing it writes.
	var claim, gone []pending
	attempts := count * 10
	ok := it.First()
	for ; attempts > 0 && count > 0 && ok; ok = it.Next() {
		attempts--
		id := decodeStreamID(it.Key()[len(lower):])
		var n nack
		if n, err = decodeNack(it.Value()); err != nil {
			break
		}
		var exists bool
		if exists, err = s.entryExists(id); err != nil {
			break
		}
		if !exists {
			gone = append(gone, pending{id, n})
			count--
			continue
		}
		if minIdle > 0 && now-n.time < minIdle {
			continue
		}
		claim = append(claim, pending{id, n})
		count--
	}
	var next StreamID
	if err == nil && ok {
		next = decodeStreamID(it.Key()[len(lower):])
	}
	if err = s.closeIter(it, err); err != nil {
		return nil, StreamID{}, nil, err
	}
	var deleted []StreamID
	for i := range gone {
		if err := g.dropNack(gone[i].id, &gone[i].n); err != nil {
			return nil, StreamID{}, nil, err
		}
		deleted = append(deleted, gone[i].id)
	}
	out := &StreamEntries{}
	if len(claim) == 0 {
		return out, next, deleted, nil
	}
	c, err := g.LookupOrCreateConsumer(name, now)
	if err != nil {
		return nil, StreamID{}, nil, err
	}
	for i := range claim {
		p := &claim[i]
		prev, err := g.owner(&p.n)
		if err != nil {
			return nil, StreamID{}, nil, err
		}
		g.claimOne(p.id, &p.n, prev, c, now, -1, justID)
		if err := g.addClaimed(out, p.id, justID); err != nil {
			return nil, StreamID{}, nil, err
		}
	}
	return out, next, deleted, nil
}
