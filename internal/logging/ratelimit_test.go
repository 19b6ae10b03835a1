package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// clock is a manual time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// capture returns a rate-limited logger over a JSON buffer and a function
// that decodes what was written so far.
func capture(t *testing.T, every time.Duration, c *clock, keys ...string) (*slog.Logger, func() []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	l := slog.New(rateLimit(h, every, c.now, keys...))
	return l, func() []map[string]any {
		var out []map[string]any
		dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
}

// TestRateLimitFirstThenSummaries: the first record passes at once, the
// repeats within the interval are dropped, and the first repeat after it
// passes with the number dropped.
func TestRateLimitFirstThenSummaries(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l, records := capture(t, 10*time.Second, c)
	for i := range 25 {
		l.Error("step failed", "task", "expire", "err", fmt.Sprint("boom ", i))
		c.advance(time.Second)
	}
	// t=0 passes; t=1..9 dropped; t=10 passes (9); t=11..19 dropped;
	// t=20 passes (9); t=21..24 dropped, not yet reported.
	got := records()
	if len(got) != 3 {
		t.Fatalf("%d records, want 3: %v", len(got), got)
	}
	if _, ok := got[0][SuppressedKey]; ok {
		t.Errorf("first record carries %s: %v", SuppressedKey, got[0])
	}
	for i, r := range got[1:] {
		if r[SuppressedKey] != float64(9) {
			t.Errorf("summary %d: %s = %v, want 9", i, SuppressedKey, r[SuppressedKey])
		}
		if r["task"] != "expire" || r["err"] == nil {
			t.Errorf("summary %d lost its attributes: %v", i, r)
		}
	}
	c.advance(time.Minute)
	l.Error("step failed", "task", "expire", "err", "boom")
	if got := records(); len(got) != 4 || got[3][SuppressedKey] != float64(4) {
		t.Fatalf("after a pause: %v, want a 4th record with %s=4", got, SuppressedKey)
	}
}

// TestRateLimitEvents: events differ by level, message and the named
// attributes; other attributes do not split them.
func TestRateLimitEvents(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l, records := capture(t, time.Minute, c, "task")
	for range 3 {
		l.Error("step failed", "task", "expire", "err", "a")
		l.Error("step failed", "task", "gc", "err", "b")
		l.Warn("step failed", "task", "gc", "err", "c")
		l.Error("other", "task", "gc")
		l.Error("step failed", "task", "expire", "err", "different error, same event")
	}
	if got := records(); len(got) != 4 {
		t.Fatalf("%d records, want one per event (4): %v", len(got), got)
	}
}

// TestRateLimitSharedByWith: a Logger.With child counts the same events
// as its parent, and keeps its own attributes.
func TestRateLimitSharedByWith(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l, records := capture(t, time.Minute, c)
	child := l.With("component", "background")
	l.Error("x")
	child.Error("x")
	child.Error("x")
	c.advance(time.Minute)
	child.Error("x")
	got := records()
	if len(got) != 2 {
		t.Fatalf("%d records, want 2: %v", len(got), got)
	}
	if got[1]["component"] != "background" || got[1][SuppressedKey] != float64(2) {
		t.Fatalf("second record %v, want component=background %s=2", got[1], SuppressedKey)
	}
}

// TestRateLimitDisabledLevels: records below the handler's level are not
// counted (the logger never hands them over).
func TestRateLimitDisabledLevels(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var buf bytes.Buffer
	l := slog.New(rateLimit(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), time.Minute, c.now))
	for range 5 {
		l.Info("x")
	}
	l.Warn("x")
	if got := buf.String(); bytes.Contains([]byte(got), []byte(SuppressedKey)) || got == "" {
		t.Fatalf("output %q: want one warn line without %s", got, SuppressedKey)
	}
}

// TestRateLimitBounded: past maxEvents distinct events, new ones share one
// bucket, so distinct messages cannot flood either; stale events are
// forgotten first.
func TestRateLimitBounded(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l, records := capture(t, time.Minute, c)
	for i := range maxEvents + 50 {
		l.Error(fmt.Sprint("event ", i))
	}
	if got := len(records()); got != maxEvents+1 {
		t.Fatalf("%d records, want %d (the rest share the overflow bucket)", got, maxEvents+1)
	}
	c.advance(time.Minute)
	for i := range 10 {
		l.Error(fmt.Sprint("new event ", i))
	}
	if got := len(records()); got != maxEvents+11 {
		t.Fatalf("%d records after the stale events expired, want %d", got, maxEvents+11)
	}
}

// TestRateLimitOff: every <= 0 returns the handler itself.
func TestRateLimitOff(t *testing.T) {
	h := slog.NewTextHandler(&bytes.Buffer{}, nil)
	if RateLimit(h, 0) != slog.Handler(h) {
		t.Fatal("RateLimit(h, 0) wrapped h")
	}
}

// TestRateLimitConcurrent: safe for concurrent use (run with -race), and
// nothing is lost: passed + suppressed = logged.
func TestRateLimitConcurrent(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l, records := capture(t, time.Second, c)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				l.Error("x")
				if i%50 == 0 && g == 0 {
					c.advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	c.advance(time.Second)
	l.Error("x")
	total := 0
	for _, r := range records() {
		total++
		if n, ok := r[SuppressedKey].(float64); ok {
			total += int(n)
		}
	}
	if total != 801 {
		t.Fatalf("passed + suppressed = %d, want 801", total)
	}
}
