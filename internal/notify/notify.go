// Package notify defines Redis keyspace notifications: the event classes
// that notify-keyspace-events selects, their textual form, and the events
// write commands emit.
//
// Commands emit events into their storage transaction (keyspace.Tx.Emit),
// so an event exists only if the command's writes do: a failed command's
// events are dropped with its writes, and the storage runtime hands a
// group's events to the publisher only after the group committed. See
// docs/pubsub.md.
package notify

import (
	"fmt"
	"strconv"
)

// Class is a set of notification classes (Redis's NOTIFY_* flags, same
// bit values).
type Class uint32

// The classes, as notify-keyspace-events spells them.
const (
	Keyspace Class = 1 << 0  // K: publish on __keyspace@<db>__:<key>
	Keyevent Class = 1 << 1  // E: publish on __keyevent@<db>__:<event>
	Generic  Class = 1 << 2  // g: DEL, EXPIRE, RENAME, ...
	String   Class = 1 << 3  // $
	List     Class = 1 << 4  // l
	Set      Class = 1 << 5  // s
	Hash     Class = 1 << 6  // h
	ZSet     Class = 1 << 7  // z
	Expired  Class = 1 << 8  // x: a key expired
	Evicted  Class = 1 << 9  // e: a key was evicted (never, in Kiwi)
	Stream   Class = 1 << 10 // t
	KeyMiss  Class = 1 << 11 // m: a read missed (not part of A)
	Module   Class = 1 << 13 // d
	New      Class = 1 << 14 // n: a key was created (not part of A)

	// All is A: every class but K, E, m and n.
	All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module
)

// letters maps each class letter to its class, in the order Redis prints
// them (keyspaceEventsFlagsToString).
var letters = [...]struct {
	ch byte
	c  Class
}{
	{'g', Generic}, {'$', String}, {'l', List}, {'s', Set}, {'h', Hash}, {'z', ZSet},
	{'x', Expired}, {'e', Evicted}, {'t', Stream}, {'d', Module}, {'n', New},
}

// Parse reads a notify-keyspace-events value ("KEA", "Elg", "" for none).
// Like Redis, it refuses any character that names no class.
func Parse(s string) (Class, error) {
	var c Class
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case 'A':
			c |= All
		case 'K':
			c |= Keyspace
		case 'E':
			c |= Keyevent
		case 'm':
			c |= KeyMiss
		default:
			found := false
			for _, l := range letters {
				if l.ch == ch {
					c |= l.c
					found = true
					break
				}
			}
			if !found {
				return 0, fmt.Errorf("notify: invalid event class %q", ch)
			}
		}
	}
	return c, nil
}

// String returns c in Redis's canonical form (what CONFIG GET shows): A
// or the class letters, then K, E and m. Unlike Redis, n is kept after A,
// so that the form always reads back as c.
func (c Class) String() string {
	var b []byte
	if c&All == All {
		b = append(b, 'A')
		if c&New != 0 {
			// Redis drops n here (so its CONFIG GET output does not
			// read back as what was set); Kiwi keeps it.
			b = append(b, 'n')
		}
	} else {
		for _, l := range letters {
			if c&l.c != 0 {
				b = append(b, l.ch)
			}
		}
	}
	if c&Keyspace != 0 {
		b = append(b, 'K')
	}
	if c&Keyevent != 0 {
		b = append(b, 'E')
	}
	if c&KeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// Enabled reports whether an event of class ev is published under the
// configuration c: its class is selected, and so is K or E.
func (c Class) Enabled(ev Class) bool {
	return c&ev != 0 && c&(Keyspace|Keyevent) != 0
}

// Event is one keyspace event: Name (e.g. "lpush") happened to Key in
// database DB.
type Event struct {
	Class Class
	Name  string
	DB    int
	Key   []byte
}

// KeyspaceChannel returns the channel of e's keyspace notification,
// __keyspace@<db>__:<key>.
func (e *Event) KeyspaceChannel() []byte {
	return e.channel("__keyspace@", e.Key)
}

// KeyeventChannel returns the channel of e's key-event notification,
// __keyevent@<db>__:<event>.
func (e *Event) KeyeventChannel() []byte {
	return e.channel("__keyevent@", []byte(e.Name))
}

func (e *Event) channel(prefix string, tail []byte) []byte {
	b := make([]byte, 0, len(prefix)+6+len(tail))
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(e.DB), 10)
	b = append(b, "__:"...)
	return append(b, tail...)
}
