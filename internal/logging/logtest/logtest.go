// Package logtest captures log records in tests: a *slog.Logger whose
// lines are JSON in a buffer, read back as maps (attributes added with
// Logger.With included, as an operator would see them).
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
)

// Buffer holds the captured lines. Safe for concurrent use.
type Buffer struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

// Record is one captured line: "level", "msg" and every attribute, by key
// (nested groups as maps; numbers as float64).
type Record map[string]any

// Str returns r[key] as a string ("" if missing or not a string).
func (r Record) Str(key string) string {
	s, _ := r[key].(string)
	return s
}

// New returns a logger at debug level writing to a new Buffer. tb is used
// to report undecodable lines.
func New(tb testing.TB) (*slog.Logger, *Buffer) {
	b := &Buffer{t: tb}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// Write appends one line (slog writes each record in one call).
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Records returns the lines captured so far, oldest first.
func (b *Buffer) Records() []Record {
	b.mu.Lock()
	data := bytes.Clone(b.b.Bytes())
	b.mu.Unlock()
	var out []Record
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			b.t.Errorf("logtest: undecodable line %q: %v", line, err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Find returns the captured records whose message is msg.
func (b *Buffer) Find(msg string) []Record {
	var out []Record
	for _, r := range b.Records() {
		if r.Str(slog.MessageKey) == msg {
			out = append(out, r)
		}
	}
	return out
}

// AtLeast returns the captured records at level or above.
func (b *Buffer) AtLeast(level slog.Level) []Record {
	var out []Record
	for _, r := range b.Records() {
		var l slog.Level
		if err := l.UnmarshalText([]byte(r.Str(slog.LevelKey))); err == nil && l >= level {
			out = append(out, r)
		}
	}
	return out
}

// String returns the captured text, for failure messages.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
