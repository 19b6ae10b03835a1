package leveldb_test

import (
	"path/filepath"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/enginetest"
	"github.com/kiwidb/kiwi/internal/engine/leveldb"
)

func open(tb testing.TB, opts engine.Options) engine.Engine {
	tb.Helper()
	e, err := leveldb.Open(opts)
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
	if _, err := leveldb.Open(engine.Options{}); err == nil {
		t.Fatal("Open with no directory succeeded")
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
