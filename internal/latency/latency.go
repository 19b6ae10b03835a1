// Package latency is Kiwi's latency monitor: per event ("command",
// "fast-command"), the latency spikes of at least latency-monitor-threshold
// milliseconds, kept as Redis's LATENCY LATEST and LATENCY HISTORY report
// them: one sample per second (the worst of that second), the last
// HistoryLen seconds with a spike, and the all-time maximum.
//
// As with the slow log, the caller compares a duration with the threshold
// (one atomic load) and calls Add only for spikes.
package latency

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// HistoryLen is the number of samples kept per event (Redis's
// LATENCY_TS_LEN).
const HistoryLen = 160

// Sample is one spike: the second it happened in (Unix seconds) and its
// latency in milliseconds.
type Sample struct {
	Time, Millis int64
}

// Latest is one event's summary as LATENCY LATEST reports it.
type Latest struct {
	Event string
	// Time and Millis are the latest sample; Max is the largest ever
	// recorded (since the last reset of the event).
	Time, Millis, Max int64
}

type series struct {
	samples [HistoryLen]Sample
	next    int // where the next new second goes
	max     int64
}

// Monitor records spikes per event; safe for concurrent use.
type Monitor struct {
	mu     sync.Mutex
	events map[string]*series
}

// New returns an empty monitor.
func New() *Monitor { return &Monitor{events: map[string]*series{}} }

// Add records a spike of event that ended at now.
func (m *Monitor) Add(event string, now time.Time, millis int64) {
	sec := now.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[event]
	if s == nil {
		s = &series{}
		m.events[event] = s
	}
	s.max = max(s.max, millis)
	prev := &s.samples[(s.next+HistoryLen-1)%HistoryLen]
	if prev.Time == sec {
		prev.Millis = max(prev.Millis, millis)
		return
	}
	s.samples[s.next] = Sample{Time: sec, Millis: millis}
	s.next = (s.next + 1) % HistoryLen
}

// Latest returns every event's latest sample and maximum, by event name.
func (m *Monitor) Latest() []Latest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Latest, 0, len(m.events))
	for name, s := range m.events {
		last := s.samples[(s.next+HistoryLen-1)%HistoryLen]
		out = append(out, Latest{Event: name, Time: last.Time, Millis: last.Millis, Max: s.max})
	}
	slices.SortFunc(out, func(a, b Latest) int { return strings.Compare(a.Event, b.Event) })
	return out
}

// History returns event's samples, oldest first (nil for an unknown event).
func (m *Monitor) History(event string) []Sample {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.events[event]
	if s == nil {
		return nil
	}
	var out []Sample
	for i := range HistoryLen {
		if sm := s.samples[(s.next+i)%HistoryLen]; sm.Time != 0 {
			out = append(out, sm)
		}
	}
	return out
}

// Reset removes the named events, or every event when none is named, and
// returns how many existed.
func (m *Monitor) Reset(events ...string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(events) == 0 {
		n := len(m.events)
		clear(m.events)
		return n
	}
	n := 0
	for _, e := range events {
		if _, ok := m.events[e]; ok {
			delete(m.events, e)
			n++
		}
	}
	return n
}
