package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/logging/logtest"
	"github.com/kiwidb/kiwi/internal/storage"
)

// startLogged runs a server over in-memory Pebble whose runtimes log, as
// cmd/kiwi wires them, to runtime=network and runtime=storage children of
// a captured logger. extra commands are added to the table before Serve.
func startLogged(t *testing.T, mode string, extra ...*command.Command) (string, stopper, *logtest.Buffer) {
	t.Helper()
	l, buf := logtest.New(t)
	netLog, storeLog := l.With("runtime", "network"), l.With("runtime", "storage")
	eng, err := pebble.Open(engine.Options{Dir: "db", InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Port = 0
	cfg.Runtime.Mode = mode
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: cfg.Databases})
	if err != nil {
		t.Fatal(err)
	}
	scfg := storage.Config{ExpireInterval: -1, GCInterval: -1}
	var exec stopper
	if mode == "single" {
		exec = storage.NewInline(ks, scfg, storeLog)
	} else {
		exec = storage.New(ks, scfg, storeLog)
	}
	exec.Start()
	srv, err := New(cfg, Deps{Keyspace: ks, Executor: exec, Logger: netLog, StorageLogger: storeLog})
	if err != nil {
		t.Fatal(err)
	}
	srv.Table().Add(extra...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := exec.Stop(ctx); err != nil {
			t.Error(err)
		}
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("log:\n%s", buf.String())
		}
	})
	return ln.Addr().String(), exec, buf
}

// exchange sends in on a new connection and reads len(want) bytes back.
func exchange(t *testing.T, addr, in, want string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
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
}

// TestHandlerPanicLoggedOnce: a panic in a storage command's handler is
// recovered on the storage goroutine and logged exactly once, at Error,
// by the storage runtime's logger (runtime=storage, component=command)
// with the command's name; its neighbours in the pipeline are unaffected.
func TestHandlerPanicLoggedOnce(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			boom := &command.Command{Name: "boom", Arity: 2, FirstKey: 1, LastKey: 1, KeyStep: 1,
				Flags: command.Write, Run: func(*command.Ctx) { panic("handler bug") }}
			addr, _, buf := startLogged(t, mode, boom)
			exchange(t, addr, "SET a 1\r\nBOOM a\r\nGET a\r\n",
				"+OK\r\n-ERR internal error in 'boom': handler bug\r\n$1\r\n1\r\n")

			all := buf.AtLeast(slog.LevelWarn)
			if len(all) != 1 {
				t.Fatalf("%d warn/error records, want 1:\n%s", len(all), buf.String())
			}
			r := all[0]
			for k, v := range map[string]string{
				"level": "ERROR", "msg": "command panicked", "runtime": "storage",
				"component": "command", "command": "boom", "panic": "handler bug",
			} {
				if r.Str(k) != v {
					t.Errorf("record %v: %s = %q, want %q", r, k, r.Str(k), v)
				}
			}
			if !strings.Contains(r.Str("stack"), "panic") {
				t.Errorf("record without a stack: %v", r)
			}
		})
	}
}

// TestClientErrorsNotLogged: errors the client caused (unknown command,
// wrong arity, WRONGTYPE, a protocol error) and storage replies that are
// not server faults (the storage runtime stopped) are counted, not logged
// above Debug; the protocol error is logged at Debug by the network
// runtime.
func TestClientErrorsNotLogged(t *testing.T) {
	addr, exec, buf := startLogged(t, "dual")
	exchange(t, addr, "NOSUCH x\r\nGET\r\nRPUSH l a\r\nGET l\r\n",
		"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"+
			"-ERR wrong number of arguments for 'get' command\r\n:1\r\n"+
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
	exchange(t, addr, "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	exchange(t, addr, "GET a\r\n", "-UNAVAILABLE storage runtime is not running\r\n")

	if n := len(buf.AtLeast(slog.LevelInfo)) - len(buf.Find("accepting connections")); n != 0 {
		t.Errorf("%d records at Info or above for client errors:\n%s", n, buf.String())
	}
	pe := buf.Find("closing client on protocol error")
	if len(pe) != 1 || pe[0].Str("level") != "DEBUG" || pe[0].Str("runtime") != "network" || pe[0].Str("component") != "server" {
		t.Errorf("protocol error records %v, want one at DEBUG with runtime=network component=server", pe)
	}
}
