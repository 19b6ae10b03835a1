package server

import (
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/pubsub"
	"github.com/kiwidb/kiwi/internal/storage"
)

// Keyspace notifications (notify-keyspace-events). Commands emit events
// into their storage transaction; the storage runtime hands each
// committed group's events to publishEvents, which publishes them to the
// Pub/Sub registry like PUBLISH does: on __keyspace@<db>__:<key> with the
// event name as the message (class K) and on __keyevent@<db>__:<event>
// with the key as the message (class E). See docs/pubsub.md.

// eventSinkSetter is implemented by the storage executors (the dual
// runtime and the inline one).
type eventSinkSetter interface {
	SetEventSink(storage.EventSink)
}

// startNotifications connects the storage executor's committed events to
// the Pub/Sub registry and applies cfg's notify-keyspace-events.
func (s *Server) startNotifications(cfg *config.Config) {
	if es, ok := s.exec.(eventSinkSetter); ok {
		es.SetEventSink(s.publishEvents)
	}
	s.applyNotify(cfg)
}

// applyNotify makes the keyspace emit the classes cfg selects. The value
// was validated by the configuration layer; a value that does not parse
// (never) turns notifications off.
func (s *Server) applyNotify(cfg *config.Config) {
	c, err := notify.Parse(cfg.Compat.NotifyKeyspaceEvents)
	if err != nil {
		c = 0
	}
	s.ks.SetNotify(c)
}

// publishEvents publishes a committed group's events. It runs on the
// storage goroutine that committed them; Publish only queues the messages
// on the subscribers' writers, so it does not block on a slow client.
func (s *Server) publishEvents(evs []notify.Event) {
	classes := s.ks.Notify()
	for i := range evs {
		e := &evs[i]
		if classes&notify.Keyspace != 0 {
			s.ps.reg.Publish(pubsub.Channel, e.KeyspaceChannel(), []byte(e.Name), nil)
		}
		if classes&notify.Keyevent != 0 {
			s.ps.reg.Publish(pubsub.Channel, e.KeyeventChannel(), e.Key, nil)
		}
	}
}
