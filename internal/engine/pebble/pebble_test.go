package pebble_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/enginetest"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
)

func open(tb testing.TB, opts engine.Options) engine.Engine {
	tb.Helper()
	e, err := pebble.Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func openDir(t *testing.T, dir string) engine.Engine { return open(t, engine.Options{Dir: dir}) }

func TestInMemory(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		return open(t, engine.Options{Dir: "db", InMemory: true})
	}, enginetest.WithReopen(openDir))
}

func TestOnDisk(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		return open(t, engine.Options{Dir: filepath.Join(t.TempDir(), "db"), CacheBytes: 1 << 20})
	}, enginetest.WithReopen(openDir))
}

func TestOpenErrors(t *testing.T) {
	if _, err := pebble.Open(engine.Options{}); err == nil {
		t.Fatal("Open with no directory succeeded")
	}
}

// TestLoggerForwarded checks that Pebble's log lines reach opts.Logger, and
// that its informational lines are debug-level (hidden at the default info
// level, where "Found 0 WALs" on every start would be noise).
func TestLoggerForwarded(t *testing.T) {
	var debug, info bytes.Buffer
	for _, c := range []struct {
		buf   *bytes.Buffer
		level slog.Level
	}{{&debug, slog.LevelDebug}, {&info, slog.LevelInfo}} {
		l := slog.New(slog.NewTextHandler(c.buf, &slog.HandlerOptions{Level: c.level}))
		e := open(t, engine.Options{Dir: t.TempDir(), Logger: l})
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if debug.Len() == 0 {
		t.Fatal("nothing was logged through opts.Logger at debug level")
	}
	if info.Len() != 0 {
		t.Errorf("pebble logged at info level on a clean open/close:\n%s", info.String())
	}
}

func BenchmarkInMemory(b *testing.B) {
	enginetest.RunBenchmarks(b, func(b *testing.B) engine.Engine {
		return open(b, engine.Options{Dir: "db", InMemory: true})
	})
}

func BenchmarkOnDisk(b *testing.B) {
	enginetest.RunBenchmarks(b, func(b *testing.B) engine.Engine {
		return open(b, engine.Options{Dir: b.TempDir()})
	})
}
