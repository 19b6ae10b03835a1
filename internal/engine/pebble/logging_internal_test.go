package pebble

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/kiwidb/kiwi/internal/logging/logtest"
)

// TestBackgroundErrorRateLimited: Pebble's background errors (a failed
// flush or compaction, retried by Pebble) are logged at Error, the first
// at once and the repeats rate limited.
func TestBackgroundErrorRateLimited(t *testing.T) {
	l, buf := logtest.New(t)
	var e Engine
	el := e.eventListener(l.With("component", "engine"))
	for range 5 {
		el.BackgroundError(errors.New("compaction: no space left on device"))
	}
	recs := buf.AtLeast(slog.LevelDebug)
	if len(recs) != 1 {
		t.Fatalf("%d records for 5 identical background errors, want 1:\n%s", len(recs), buf.String())
	}
	r := recs[0]
	for k, v := range map[string]string{"level": "ERROR", "component": "engine", "op": "background",
		"err": "compaction: no space left on device"} {
		if r.Str(k) != v {
			t.Errorf("record %v: %s = %q, want %q", r, k, r.Str(k), v)
		}
	}
}
