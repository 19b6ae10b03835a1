package latency

import (
	"fmt"
	"testing"
	"time"
)

func TestMonitor(t *testing.T) {
	m := New()
	t0 := time.Unix(1700000000, 0)
	m.Add("command", t0, 10)
	m.Add("command", t0.Add(300*time.Millisecond), 25) // same second: worst kept
	m.Add("command", t0.Add(300*time.Millisecond), 5)
	m.Add("command", t0.Add(2*time.Second), 7)
	m.Add("fast-command", t0, 3)

	h := m.History("command")
	if fmt.Sprint(h) != "[{1700000000 25} {1700000002 7}]" {
		t.Fatalf("history = %v", h)
	}
	if h := m.History("nosuch"); h != nil {
		t.Fatalf("history of unknown event = %v", h)
	}
	lt := m.Latest()
	if fmt.Sprint(lt) != "[{command 1700000002 7 25} {fast-command 1700000000 3 3}]" {
		t.Fatalf("latest = %v", lt)
	}
	if n := m.Reset("command", "nosuch"); n != 1 {
		t.Fatalf("Reset(command, nosuch) = %d", n)
	}
	if n := m.Reset(); n != 1 {
		t.Fatalf("Reset() = %d", n)
	}
	if len(m.Latest()) != 0 {
		t.Fatal("events left after Reset")
	}
}

func TestHistoryBounded(t *testing.T) {
	m := New()
	t0 := time.Unix(1700000000, 0)
	for i := range HistoryLen + 40 {
		m.Add("command", t0.Add(time.Duration(i)*time.Second), int64(i))
	}
	h := m.History("command")
	if len(h) != HistoryLen {
		t.Fatalf("%d samples kept", len(h))
	}
	if h[0].Millis != 40 || h[len(h)-1].Millis != HistoryLen+39 {
		t.Fatalf("oldest %v newest %v", h[0], h[len(h)-1])
	}
	if lt := m.Latest(); lt[0].Max != HistoryLen+39 {
		t.Fatalf("max = %d", lt[0].Max)
	}
}
