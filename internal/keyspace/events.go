package keyspace

import (
	"bytes"

	"github.com/kiwidb/kiwi/internal/notify"
)

// Keyspace notifications. Commands emit their events (notify.Event) into
// the write transaction they run in, so an event shares the fate of the
// writes it reports: a discarded child drops its events with its writes,
// a merged child hands them to its parent, and the storage runtime takes
// a group's events from the root (TakeEvents) and publishes them once the
// group has committed. The keyspace emits two classes itself, when they
// are enabled (SetNotify): "expired" when it removes an expired key (a
// write meeting it, or active expiry) and "new" when a key is created.

// SetNotify sets the notification classes in effect (notify-keyspace-events).
// Safe for concurrent use.
func (k *Keyspace) SetNotify(c notify.Class) { k.notify.Store(uint32(c)) }

// Notify returns the notification classes in effect.
func (k *Keyspace) Notify() notify.Class { return notify.Class(k.notify.Load()) }

// Emit records a keyspace event in the write transaction t, if its class
// is enabled. Key is copied. Read transactions ignore it (reads emit
// nothing).
func (t *Tx) Emit(class notify.Class, name string, db int, key []byte) {
	if t.ov == nil || !t.ks.Notify().Enabled(class) {
		return
	}
	t.events = append(t.events, notify.Event{Class: class, Name: name, DB: db, Key: bytes.Clone(key)})
}

// Notifies reports whether an event of class would be recorded by Emit:
// for a command that must do extra work to learn whether an event
// happened (did the key survive the removal of elements?).
func (t *Tx) Notifies(class notify.Class) bool {
	return t.ov != nil && t.ks.Notify().Enabled(class)
}

// TakeEvents returns the events of root group t and forgets them; the
// caller owns the slice. The storage runtime calls it before Commit and
// publishes the events if the commit succeeds.
func (t *Tx) TakeEvents() []notify.Event {
	ev := t.events
	t.events = nil
	return ev
}

// emitExpired emits the "expired" event of key (removed because it
// expired).
func (t *Tx) emitExpired(db int, key []byte) {
	t.Emit(notify.Expired, "expired", db, key)
}
