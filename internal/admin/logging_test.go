package admin

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/logging/logtest"
)

// TestServeFailureLoggedOnce: when the admin listener stops serving on an
// error (here its socket is closed under it), the error is logged once,
// at Error, when it happens, and Stop does not report it a second time.
func TestServeFailureLoggedOnce(t *testing.T) {
	l, buf := logtest.New(t)
	s := New(Options{Addr: "127.0.0.1:0", Logger: l.With("component", "admin")})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.ln.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(buf.AtLeast(slog.LevelError)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("listener failure not logged")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop = %v, want nil (the failure was logged)", err)
	}
	recs := buf.AtLeast(slog.LevelWarn)
	if len(recs) != 1 {
		t.Fatalf("%d warn/error records, want 1:\n%s", len(recs), buf.String())
	}
	r := recs[0]
	for k, v := range map[string]string{"level": "ERROR", "component": "admin", "op": "serve"} {
		if r.Str(k) != v {
			t.Errorf("record %v: %s = %q, want %q", r, k, r.Str(k), v)
		}
	}
	if r.Str("err") == "" || r.Str("addr") == "" {
		t.Errorf("record %v lacks err or addr", r)
	}
}
