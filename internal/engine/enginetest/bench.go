package enginetest

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// benchKeys is the number of keys preloaded for read benchmarks.
const benchKeys = 10000

// RunBenchmarks runs the hot-path benchmarks against engines returned by
// open (a new, empty engine per call; the benchmarks close them):
//
//   - GetHit: Get of an existing key.
//   - GetMiss: Get of a missing key.
//   - SetCommitNoSync: a one-Set batch committed without sync.
//   - SetBatch16CommitNoSync: a 16-Set batch committed without sync.
//   - IterScan100: SeekGE then 100 Next, reading keys and values.
func RunBenchmarks(b *testing.B, open func(b *testing.B) engine.Engine) {
	b.Run("GetHit", func(b *testing.B) {
		e := openBench(b, open)
		keys := preload(b, e)
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := e.Get(keys[rng.IntN(len(keys))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetMiss", func(b *testing.B) {
		e := openBench(b, open)
		preload(b, e)
		key := []byte("miss-00000000")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			binary.BigEndian.PutUint32(key[5:], uint32(i))
			if _, err := e.Get(key); !errors.Is(err, engine.ErrNotFound) {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{1, 16} {
		name := "SetCommitNoSync"
		if n > 1 {
			name = "SetBatch16CommitNoSync"
		}
		b.Run(name, func(b *testing.B) {
			e := openBench(b, open)
			key := make([]byte, 16)
			value := make([]byte, 100)
			b.ReportAllocs()
			b.SetBytes(int64(n * (len(key) + len(value))))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := e.NewBatch()
				for j := range n {
					binary.BigEndian.PutUint64(key, uint64(i*n+j))
					batch.Set(key, value)
				}
				if err := batch.Commit(false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("IterScan100", func(b *testing.B) {
		e := openBench(b, open)
		keys := preload(b, e)
		rng := rand.New(rand.NewPCG(3, 4))
		b.ReportAllocs()
		b.ResetTimer()
		var sink int
		for i := 0; i < b.N; i++ {
			it, err := e.NewIter(engine.IterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ok := it.SeekGE(keys[rng.IntN(len(keys)-100)])
			for j := 0; ok && j < 100; j++ {
				sink += len(it.Key()) + len(it.Value())
				ok = it.Next()
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
		}
		_ = sink
	})
}

func openBench(b *testing.B, open func(b *testing.B) engine.Engine) engine.Engine {
	b.Helper()
	e := open(b)
	b.Cleanup(func() {
		if err := e.Close(); err != nil && !errors.Is(err, engine.ErrClosed) {
			b.Errorf("Close: %v", err)
		}
	})
	return e
}

// preload writes benchKeys keys with 100-byte values, flushes, and returns
// the keys in order.
func preload(b *testing.B, e engine.Engine) [][]byte {
	b.Helper()
	keys := make([][]byte, benchKeys)
	value := make([]byte, 100)
	batch := e.NewBatch()
	for i := range keys {
		k := make([]byte, 12)
		copy(k, "key-")
		binary.BigEndian.PutUint64(k[4:], uint64(i))
		keys[i] = k
		batch.Set(k, value)
	}
	if err := batch.Commit(false); err != nil {
		b.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		b.Fatal(err)
	}
	return keys
}
