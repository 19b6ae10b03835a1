package pebble

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/kiwidb/kiwi/internal/engine"
)

// TestWriteStallFlag drives the event listener Pebble calls around a write
// stall: writes are stopped while any stall is in progress (several writers
// can stall at once), and the stall count only grows.
func TestWriteStallFlag(t *testing.T) {
	e, err := Open(engine.Options{Dir: "db", InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	l := e.eventListener(nil)
	stopped := func(want bool, when string) {
		t.Helper()
		if got := e.WriteStopped(); got != want {
			t.Errorf("WriteStopped() = %v %s, want %v", got, when, want)
		}
		if got := e.Stats().WriteStopped; got != want {
			t.Errorf("Stats().WriteStopped = %v %s, want %v", got, when, want)
		}
		if got := engine.IsWriteStopped(e); got != want {
			t.Errorf("engine.IsWriteStopped = %v %s, want %v", got, when, want)
		}
	}
	stopped(false, "before any stall")
	l.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "memtable count limit reached"})
	stopped(true, "during a stall")
	l.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "L0 file count limit exceeded"})
	l.WriteStallEnd()
	stopped(true, "while a second writer is still stalled")
	l.WriteStallEnd()
	stopped(false, "after both stalls ended")
	if n := e.Stats().WriteStalls; n != 2 {
		t.Errorf("Stats().WriteStalls = %d, want 2", n)
	}
	l.WriteStallBegin(pebble.WriteStallBeginInfo{})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e.WriteStopped() {
		t.Error("WriteStopped() = true after Close")
	}
}
