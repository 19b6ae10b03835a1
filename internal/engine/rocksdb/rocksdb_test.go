//go:build rocksdb

package rocksdb_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/enginetest"
	"github.com/kiwidb/kiwi/internal/engine/rocksdb"
)

func open(tb testing.TB, opts engine.Options) engine.Engine {
	tb.Helper()
	e, err := rocksdb.Open(opts)
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
	if _, err := rocksdb.Open(engine.Options{}); err == nil {
		t.Fatal("Open with no directory succeeded")
	}
}

// Debian's RocksDB aborts the process when a database is closed with live
// iterators or snapshots, so Close refuses until they are closed.
func TestCloseRefusesWithOpenHandles(t *testing.T) {
	e := open(t, engine.Options{Dir: "db", InMemory: true})
	it, err := e.NewIter(engine.IterOptions{LowerBound: []byte("a"), UpperBound: []byte("z")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err == nil || errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Close with open iterator and snapshot = %v, want an error", err)
	}
	if _, err := e.Get([]byte("a")); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("engine unusable after refused Close: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err == nil {
		t.Fatal("Close with an open snapshot succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
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
