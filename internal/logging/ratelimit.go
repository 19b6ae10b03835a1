// Package logging holds Kiwi's helpers on top of log/slog. The rules they
// serve (what is logged, once, where, at which level) are in
// docs/logging.md.
package logging

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultEvery is how often a rate-limited event is logged at most, after
// its first occurrence.
const DefaultEvery = 10 * time.Second

// SuppressedKey is the attribute a rate-limited record carries when
// records of its event were dropped since the previous one was logged: how
// many.
const SuppressedKey = "suppressed"

// maxEvents bounds the events a RateLimit handler tracks. Past it, new
// events share one bucket (so a burst of distinct messages still cannot
// flood).
const maxEvents = 1024

// RateLimit returns a handler that passes to h the first record of each
// event, then at most one record of that event per every. A record passed
// after others of its event were dropped carries SuppressedKey=N, the
// number dropped since the previous one passed; drops after the last
// record that passed are reported with the next one that passes. An
// event is a record's level and message, plus the values of the
// attributes named by keys among the record's own attributes (those of the
// log call; attributes added with Logger.With are not examined).
//
// Handlers derived from the result (WithAttrs, WithGroup) share its
// state, so a Logger.With child counts the same events. every <= 0
// returns h unchanged.
func RateLimit(h slog.Handler, every time.Duration, keys ...string) slog.Handler {
	return rateLimit(h, every, time.Now, keys...)
}

func rateLimit(h slog.Handler, every time.Duration, now func() time.Time, keys ...string) slog.Handler {
	if every <= 0 {
		return h
	}
	return &limitHandler{h: h, keys: keys, s: &limitState{every: every, now: now, events: make(map[string]*event)}}
}

type limitHandler struct {
	h    slog.Handler
	keys []string
	s    *limitState
}

type limitState struct {
	every  time.Duration
	now    func() time.Time
	mu     sync.Mutex
	events map[string]*event
}

// event is the state of one rate-limited event.
type event struct {
	last       time.Time // when a record of it last passed
	suppressed uint64    // dropped since then
}

func (l *limitHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l *limitHandler) Handle(ctx context.Context, r slog.Record) error {
	n, pass := l.s.allow(l.key(r))
	if !pass {
		return nil
	}
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Uint64(SuppressedKey, n))
	}
	return l.h.Handle(ctx, r)
}

func (l *limitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &limitHandler{h: l.h.WithAttrs(as), keys: l.keys, s: l.s}
}

func (l *limitHandler) WithGroup(name string) slog.Handler {
	return &limitHandler{h: l.h.WithGroup(name), keys: l.keys, s: l.s}
}

// key identifies r's event.
func (l *limitHandler) key(r slog.Record) string {
	var sb strings.Builder
	sb.WriteString(r.Level.String())
	sb.WriteByte(0)
	sb.WriteString(r.Message)
	for _, k := range l.keys {
		sb.WriteByte(0)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != k {
				return true
			}
			sb.WriteString(a.Value.String())
			return false
		})
	}
	return sb.String()
}

// allow records one occurrence of the event named key. It reports whether
// to log it and, if so, how many occurrences were dropped before it.
func (s *limitState) allow(key string) (suppressed uint64, pass bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.events[key]
	if e == nil {
		if len(s.events) >= maxEvents {
			s.prune(now)
		}
		if len(s.events) >= maxEvents {
			key = "\x00overflow"
			e = s.events[key]
		}
		if e == nil {
			s.events[key] = &event{last: now}
			return 0, true
		}
	}
	if now.Sub(e.last) < s.every {
		e.suppressed++
		return 0, false
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return n, true
}

// prune forgets the events whose next record would pass with nothing to
// report: forgetting them changes no output.
func (s *limitState) prune(now time.Time) {
	for k, e := range s.events {
		if e.suppressed == 0 && now.Sub(e.last) >= s.every {
			delete(s.events, k)
		}
	}
}
