package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/storage"
)

// stopper is the storage side's lifecycle, as main drives it.
type stopper interface {
	storage.Executor
	Start()
	Stop(context.Context) error
}

// startInProcess runs a server over in-memory Pebble in this process and
// returns its address. mode is "dual" or "single".
func startInProcess(tb testing.TB, mode string) string {
	addr, _ := startInProcessExec(tb, mode)
	return addr
}

// startInProcessExec is startInProcess that also returns the executor, so a
// test can stop the storage runtime under a running network runtime.
func startInProcessExec(tb testing.TB, mode string) (string, stopper) {
	tb.Helper()
	_, addr, exec := startInProcessServer(tb, mode, nil)
	return addr, exec
}

// startInProcessServer is startInProcessExec that also returns the server,
// and lets the test change the configuration (after the test defaults) and
// the server's Deps before the server is built. configure may be nil.
func startInProcessServer(tb testing.TB, mode string, configure func(*config.Config, *Deps)) (*Server, string, stopper) {
	tb.Helper()
	eng, err := pebble.Open(engine.Options{Dir: "db", InMemory: true})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Default()
	cfg.Port = 0
	cfg.Runtime.Mode = mode
	cfg.Storage.Sync = false
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: cfg.Databases})
	if err != nil {
		tb.Fatal(err)
	}
	scfg := storage.Config{Sync: false, ExpireInterval: -1, GCInterval: -1}
	var exec stopper
	if mode == "single" {
		exec = storage.NewInline(ks, scfg, nil)
	} else {
		exec = storage.New(ks, scfg, nil)
	}
	exec.Start()
	deps := Deps{Keyspace: ks, Executor: exec}
	if configure != nil {
		configure(cfg, &deps)
	}
	srv, err := New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			tb.Error(err)
		}
		if err := <-done; err != nil {
			tb.Error(err)
		}
		if err := exec.Stop(ctx); err != nil {
			tb.Error(err)
		}
		if err := eng.Close(); err != nil {
			tb.Error(err)
		}
	})
	return srv, ln.Addr().String(), exec
}

// TestStorageUnavailable stops the storage runtime under a running server:
// storage commands get a clear error, network commands keep working, and
// new connections are still accepted.
func TestStorageUnavailable(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr, exec := startInProcessExec(t, mode)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := exec.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatalf("network stopped accepting: %v", err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			in := "GET a\r\nPING\r\nSET a 1\r\nECHO x\r\n"
			want := "-UNAVAILABLE storage runtime is not running\r\n+PONG\r\n" +
				"-UNAVAILABLE storage runtime is not running\r\n$1\r\nx\r\n"
			if _, err := io.WriteString(nc, in); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(nc, got); err != nil {
				t.Fatalf("read: %v (got %q)", err, got)
			}
			if string(got) != want {
				t.Fatalf("replies %q, want %q", got, want)
			}
		})
	}
}

// TestInProcessPipeline checks the whole path in-process: a pipeline mixing
// network and storage commands answers in order.
func TestInProcessPipeline(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			in := "SET a 1\r\nINCR a\r\nPING\r\nGET a\r\nSELECT 1\r\nGET a\r\n"
			want := "+OK\r\n:2\r\n+PONG\r\n$1\r\n2\r\n+OK\r\n$-1\r\n"
			if _, err := io.WriteString(nc, in); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(nc, got); err != nil {
				t.Fatalf("read: %v (got %q)", err, got)
			}
			if string(got) != want {
				t.Fatalf("replies %q, want %q", got, want)
			}
		})
	}
}

// BenchmarkPipelinedSetGet measures the full path — parse, dispatch, the
// MessageChannel, the applier or a read worker, the engine, the reply — for
// pipelines of 16 SETs then 16 GETs over one connection.
func BenchmarkPipelinedSetGet(b *testing.B) {
	for _, mode := range []string{"dual", "single"} {
		b.Run(mode, func(b *testing.B) {
			addr := startInProcess(b, mode)
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			var req []byte
			for i := 0; i < 16; i++ {
				k := "key:" + strconv.Itoa(i)
				req = fmt.Appendf(req, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$5\r\nvalue\r\n", len(k), k)
			}
			for i := 0; i < 16; i++ {
				k := "key:" + strconv.Itoa(i)
				req = fmt.Appendf(req, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
			}
			br := bufio.NewReader(nc)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := nc.Write(req); err != nil {
					b.Fatal(err)
				}
				for j := 0; j < 16; j++ { // +OK
					if _, err := br.ReadSlice('\n'); err != nil {
						b.Fatal(err)
					}
				}
				for j := 0; j < 16; j++ { // $5 value
					if _, err := br.ReadSlice('\n'); err != nil {
						b.Fatal(err)
					}
					if _, err := br.ReadSlice('\n'); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "cmds/s")
		})
	}
}
