package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/metrics"
	"github.com/kiwidb/kiwi/internal/msgchan"
	"github.com/kiwidb/kiwi/internal/storage"
)

// BenchmarkObserver measures the hot-path cost of the storage histograms:
// no-op jobs through the dual Runtime and through Inline, with no observer
// ("off", the default) and with the Prometheus storage observer cmd/kiwi
// installs ("on"). The off/on difference is the cost of the timings and
// histogram updates per job.
func BenchmarkObserver(b *testing.B) {
	for _, mode := range []string{"runtime", "inline"} {
		for _, op := range []string{"read", "write"} {
			for _, obs := range []string{"off", "on"} {
				b.Run(mode+"-"+op+"/"+obs, func(b *testing.B) {
					exec := startBench(b, mode == "inline", obs == "on")
					write := op == "write"
					if write && mode == "runtime" {
						b.SetParallelism(16) // enough writers to form groups
					}
					b.ReportAllocs()
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						j := &noopJob{write: write, done: make(chan error, 1)}
						for pb.Next() {
							exec.Submit(j, msgchan.Normal, time.Time{})
							<-j.done
						}
					})
				})
			}
		}
	}
}

// benchExec is a started executor.
type benchExec interface {
	storage.Executor
	SetObserver(storage.Observer)
	Start()
	Stop(ctx context.Context) error
}

// startBench starts a Runtime (or an Inline) over in-memory Pebble, with
// the background tasks off and, if observed, the metrics storage observer.
func startBench(b *testing.B, inline, observed bool) benchExec {
	b.Helper()
	eng, err := pebble.Open(engine.Options{Dir: "bench", InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: 16})
	if err != nil {
		b.Fatal(err)
	}
	cfg := storage.Config{ExpireInterval: -1, GCInterval: -1}
	var exec benchExec
	if inline {
		exec = storage.NewInline(ks, cfg, nil)
	} else {
		exec = storage.New(ks, cfg, nil)
	}
	if observed {
		exec.SetObserver(metrics.New().StorageObserver())
	}
	exec.Start()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := exec.Stop(ctx); err != nil {
			b.Error(err)
		}
		if err := eng.Close(); err != nil {
			b.Error(err)
		}
	})
	return exec
}

// noopJob is a reusable no-op job, like a connection's storage request.
type noopJob struct {
	write bool
	done  chan error
}

func (j *noopJob) Write() bool      { return j.write }
func (j *noopJob) Run(*keyspace.Tx) {}
func (j *noopJob) Finish(err error) { j.done <- err }
