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

func TestLoggerForwarded(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	e := open(t, engine.Options{Dir: t.TempDir(), Logger: l})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		t.Fatal("nothing was logged through opts.Logger")
	}
	t.Logf("pebble logged:\n%s", buf.String())
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
