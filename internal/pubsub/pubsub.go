// Package pubsub is the Pub/Sub registry of the network runtime: which
// subscribers listen to which channels, patterns and shard channels, and
// the fan-out of a published message to them.
//
// There are three namespaces (Kind): plain channels (SUBSCRIBE, PUBLISH),
// patterns over the plain channels (PSUBSCRIBE: Redis glob patterns,
// matched with keyspace.Match), and shard channels (SSUBSCRIBE, SPUBLISH),
// a separate set of channels that in a non-cluster server behave like the
// plain ones.
//
// The registry knows subscribers only through the Subscriber interface:
// Publish hands each receiver a Message, whose RESP frame is encoded once
// per protocol version however many receivers it has. Delivery never
// blocks (a Subscriber queues the frame); the registry's lock is held
// during delivery, so that once Unsubscribe has returned no message for
// that subscription is being delivered any more.
package pubsub

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/kiwidb/kiwi/internal/keyspace"
)

// Kind is a subscription namespace.
type Kind uint8

const (
	// Channel is a plain channel (SUBSCRIBE, PUBLISH).
	Channel Kind = iota
	// Pattern is a glob pattern over plain channels (PSUBSCRIBE).
	Pattern
	// Shard is a shard channel (SSUBSCRIBE, SPUBLISH).
	Shard
	numKinds
)

// Subscriber receives messages. Deliver is called by the publishing
// goroutine with the registry's read lock held: it must not block and
// must not call back into the registry. It may keep m.Frame's result but
// not m's other fields (they alias the publisher's arguments).
type Subscriber interface {
	Deliver(m *Message)
}

// Message is one message as one group of receivers gets it: a plain or
// shard message, or a pattern message (Pattern set) for the subscribers
// of one pattern.
type Message struct {
	// Kind is Channel, Shard (message, smessage) or Pattern (pmessage).
	Kind Kind
	// Pattern is the matching pattern of a pmessage.
	Pattern []byte
	// Channel and Payload are the published channel and message.
	Channel, Payload []byte

	frames [2][]byte // RESP2, RESP3 encodings, built on first use
}

// Frame returns the message encoded for a receiver speaking RESP proto (2
// or 3): an array in RESP2, a push in RESP3, as Redis 7 sends
//
//	message  <channel> <payload>
//	pmessage <pattern> <channel> <payload>
//	smessage <channel> <payload>
//
// The encoding is built once per protocol and shared by every receiver;
// the returned slice must not be modified. Frame is not safe for
// concurrent use (Publish calls Deliver from one goroutine).
func (m *Message) Frame(proto int) []byte {
	i := 0
	if proto == 3 {
		i = 1
	}
	if f := m.frames[i]; f != nil {
		return f
	}
	head := byte('*')
	if proto == 3 {
		head = '>'
	}
	var f []byte
	switch m.Kind {
	case Pattern:
		f = make([]byte, 0, 48+len(m.Pattern)+len(m.Channel)+len(m.Payload))
		f = append(f, head, '4', '\r', '\n')
		f = appendBulk(f, "pmessage")
		f = appendBulk(f, m.Pattern)
	case Shard:
		f = make([]byte, 0, 40+len(m.Channel)+len(m.Payload))
		f = append(f, head, '3', '\r', '\n')
		f = appendBulk(f, "smessage")
	default:
		f = make([]byte, 0, 40+len(m.Channel)+len(m.Payload))
		f = append(f, head, '3', '\r', '\n')
		f = appendBulk(f, "message")
	}
	f = appendBulk(f, m.Channel)
	f = appendBulk(f, m.Payload)
	m.frames[i] = f
	return f
}

func appendBulk[T string | []byte](dst []byte, b T) []byte {
	dst = strconv.AppendInt(append(dst, '$'), int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// entry is one channel or pattern with its subscribers, in a slice for a
// fast fan-out; index maps a subscriber to its position.
type entry struct {
	name  []byte
	subs  []Subscriber
	index map[Subscriber]int
	pos   int // position in Registry.patterns (patterns only)
}

func (e *entry) add(s Subscriber) bool {
	if _, dup := e.index[s]; dup {
		return false
	}
	e.index[s] = len(e.subs)
	e.subs = append(e.subs, s)
	return true
}

func (e *entry) remove(s Subscriber) bool {
	i, ok := e.index[s]
	if !ok {
		return false
	}
	last := len(e.subs) - 1
	if i != last {
		e.subs[i] = e.subs[last]
		e.index[e.subs[i]] = i
	}
	e.subs[last] = nil
	e.subs = e.subs[:last]
	delete(e.index, s)
	return true
}

// Registry is the server's subscription table. Safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	// names maps each kind's channel (or pattern) to its entry.
	names [numKinds]map[string]*entry
	// patterns holds the Pattern entries, for the scan PUBLISH makes.
	patterns []*entry
	// count mirrors len(names[k]) for lock-free reads (INFO).
	count [numKinds]atomic.Int64
}

// New returns an empty registry.
func New() *Registry {
	r := &Registry{}
	for k := range r.names {
		r.names[k] = make(map[string]*entry)
	}
	return r
}

// Subscribe adds s to the subscribers of name in kind's namespace. It
// reports false if s was subscribed already.
func (r *Registry) Subscribe(s Subscriber, kind Kind, name []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.names[kind]
	e := m[string(name)]
	if e == nil {
		e = &entry{name: slices.Clone(name), index: make(map[Subscriber]int, 1)}
		if e.name == nil {
			e.name = []byte{}
		}
		m[string(e.name)] = e
		r.count[kind].Add(1)
		if kind == Pattern {
			e.pos = len(r.patterns)
			r.patterns = append(r.patterns, e)
		}
	}
	return e.add(s)
}

// Unsubscribe removes s from the subscribers of name in kind's namespace.
// It reports false if s was not subscribed. When it returns, no delivery
// of a message of that subscription to s is in progress.
func (r *Registry) Unsubscribe(s Subscriber, kind Kind, name []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unsubscribe(s, kind, name)
}

// UnsubscribeAll removes s from every name of kind in names (a
// connection's whole subscription list, when it closes), under one lock.
func (r *Registry) UnsubscribeAll(s Subscriber, kind Kind, names []string) {
	if len(names) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.unsubscribe(s, kind, []byte(n))
	}
}

func (r *Registry) unsubscribe(s Subscriber, kind Kind, name []byte) bool {
	m := r.names[kind]
	e := m[string(name)]
	if e == nil || !e.remove(s) {
		return false
	}
	if len(e.subs) == 0 {
		delete(m, string(name))
		r.count[kind].Add(-1)
		if kind == Pattern {
			last := len(r.patterns) - 1
			moved := r.patterns[last]
			r.patterns[e.pos] = moved
			moved.pos = e.pos
			r.patterns[last] = nil
			r.patterns = r.patterns[:last]
		}
	}
	return true
}

// Publish delivers payload on channel to its subscribers: for a Channel,
// the channel's subscribers and, once per matching pattern, that
// pattern's subscribers; for a Shard, the shard channel's subscribers.
// It returns the number of deliveries (PUBLISH's reply: a subscriber of
// the channel and of a matching pattern counts twice).
//
// from, if not nil, is the publishing connection: its own deliveries are
// not made through Deliver but returned in own, so that it can write them
// in order with its replies (Redis writes them before PUBLISH's reply).
func (r *Registry) Publish(kind Kind, channel, payload []byte, from Subscriber) (receivers int, own []*Message) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e := r.names[kind][string(channel)]; e != nil {
		m := &Message{Kind: kind, Channel: channel, Payload: payload}
		own = deliver(e, m, from, own)
		receivers += len(e.subs)
	}
	if kind != Channel {
		return receivers, own
	}
	for _, e := range r.patterns {
		if !keyspace.Match(e.name, channel) {
			continue
		}
		m := &Message{Kind: Pattern, Pattern: e.name, Channel: channel, Payload: payload}
		own = deliver(e, m, from, own)
		receivers += len(e.subs)
	}
	return receivers, own
}

func deliver(e *entry, m *Message, from Subscriber, own []*Message) []*Message {
	for _, s := range e.subs {
		if s == from {
			own = append(own, m)
			continue
		}
		s.Deliver(m)
	}
	return own
}

// Channels returns the active names of kind (Channel or Shard: channels
// with at least one subscriber) that match the glob pattern (nil: all),
// sorted.
func (r *Registry) Channels(kind Kind, pattern []byte) [][]byte {
	r.mu.RLock()
	var out [][]byte
	for _, e := range r.names[kind] {
		if pattern == nil || keyspace.Match(pattern, e.name) {
			out = append(out, e.name)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, bytes.Compare)
	return out
}

// NumSub returns the number of subscribers of name in kind's namespace
// (pattern subscribers of a channel not included, as in Redis).
func (r *Registry) NumSub(kind Kind, name []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e := r.names[kind][string(name)]; e != nil {
		return len(e.subs)
	}
	return 0
}

// Count returns the number of distinct names of kind with at least one
// subscriber: INFO's pubsub_channels, pubsub_patterns (also PUBSUB
// NUMPAT) and pubsubshard_channels. It does not take the lock.
func (r *Registry) Count(kind Kind) int { return int(r.count[kind].Load()) }

// Subscriptions is one subscriber's own list of subscriptions, kept by
// the subscriber (the registry is indexed by name, this by subscriber):
// it answers the subscription counts of (un)subscribe replies and lists
// what to unsubscribe from, in subscription order.
//
// Add, Remove and List belong to the subscriber's goroutine; Count may be
// called from any goroutine (CLIENT LIST).
type Subscriptions struct {
	seq   uint64
	sets  [numKinds]map[string]uint64 // name → subscription sequence
	count [numKinds]atomic.Int64
}

// Add records a subscription; false if it exists already.
func (s *Subscriptions) Add(kind Kind, name []byte) bool {
	set := s.sets[kind]
	if set == nil {
		set = make(map[string]uint64)
		s.sets[kind] = set
	}
	if _, dup := set[string(name)]; dup {
		return false
	}
	s.seq++
	set[string(name)] = s.seq
	s.count[kind].Add(1)
	return true
}

// Remove forgets a subscription; false if there was none.
func (s *Subscriptions) Remove(kind Kind, name []byte) bool {
	set := s.sets[kind]
	if _, ok := set[string(name)]; !ok {
		return false
	}
	delete(set, string(name))
	s.count[kind].Add(-1)
	return true
}

// List returns the subscriptions of kind in the order they were made.
func (s *Subscriptions) List(kind Kind) []string {
	set := s.sets[kind]
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(set[a], set[b]) })
	return out
}

// Count returns the number of subscriptions of kind. Safe for concurrent
// use.
func (s *Subscriptions) Count(kind Kind) int { return int(s.count[kind].Load()) }

// Total returns the number of subscriptions of every kind. Safe for
// concurrent use.
func (s *Subscriptions) Total() int {
	return s.Count(Channel) + s.Count(Pattern) + s.Count(Shard)
}
