package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/admin"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/metrics"
	"github.com/kiwidb/kiwi/internal/server"
	"github.com/kiwidb/kiwi/internal/storage"
)

// testTimeout bounds every wait of the integration test.
const testTimeout = 20 * time.Second

// healthBody is the JSON body of a health endpoint.
type healthBody struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// TestHealthRealComponents wires the real pieces the way cmd/kiwi does — a
// Pebble engine on disk, the storage Runtime, the network server on a
// loopback port, the metrics registry and the admin HTTP listener — and
// checks the health endpoints before and after the storage runtime stops:
// storage (and the aggregates) go 503, the network stays 200 and still
// answers PING over RESP.
func TestHealthRealComponents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	eng, err := pebble.Open(engine.Options{Dir: filepath.Join(t.TempDir(), "pebble")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	}()
	cfg := config.Default()
	cfg.Port = 0
	cfg.Storage.Sync = false
	ks, err := keyspace.Open(eng, keyspace.Options{Databases: cfg.Databases})
	if err != nil {
		t.Fatal(err)
	}
	rt := storage.New(ks, storage.Config{ExpireInterval: -1, GCInterval: -1}, nil)
	rt.Start()
	defer rt.Stop(ctx) //nolint:errcheck // stopped (and checked) below; a second Stop is a no-op

	m := metrics.New()
	rt.SetObserver(m.StorageObserver())
	srv, err := server.New(cfg, server.Deps{Keyspace: ks, Executor: rt, CommandObserver: m.CommandObserver})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSources(metrics.Sources{Server: srv, Storage: rt, Engine: eng})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	adm := admin.New(admin.Options{Addr: "127.0.0.1:0", Registry: m.Registry(), Network: srv, Storage: rt,
		Engine: eng, ProbeTimeout: 5 * time.Second})
	if err := adm.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := adm.Stop(ctx); err != nil {
			t.Errorf("stop admin: %v", err)
		}
	}()
	base := "http://" + adm.Addr().String()

	health := func(path string) (int, healthBody) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		var body healthBody
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("GET %s: body: %v", path, err)
		}
		return resp.StatusCode, body
	}
	expect := func(path string, code int, reason string) {
		t.Helper()
		got, body := health(path)
		if got != code || !strings.Contains(body.Reason, reason) {
			t.Errorf("%s = %d %+v, want %d with reason containing %q", path, got, body, code, reason)
		}
	}

	// Serve sets the accept loop running in its own goroutine: wait for it.
	deadline := time.Now().Add(testTimeout)
	for {
		if ok, _ := srv.Serving(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the accept loop never started")
		}
		time.Sleep(time.Millisecond)
	}

	for _, p := range []string{"/healthz/network", "/healthz/storage", "/healthz", "/readyz"} {
		expect(p, 200, "")
	}

	// Real traffic through the storage runtime feeds the storage histograms.
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	br := bufio.NewReader(nc)
	roundTrip := func(in, want string) {
		t.Helper()
		if _, err := io.WriteString(nc, in); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(want))
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("%q: read: %v (got %q)", in, err, got)
		}
		if string(got) != want {
			t.Fatalf("%q: replies %q, want %q", in, got, want)
		}
	}
	roundTrip("SET k v\r\nGET k\r\n", "+OK\r\n$1\r\nv\r\n")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`kiwi_storage_queue_wait_seconds_count{priority="normal"}`,
		`kiwi_storage_operation_duration_seconds_count{kind="write",priority="normal"} 1`,
		`kiwi_storage_operation_duration_seconds_count{kind="read",priority="high"}`, // the health probes
		"kiwi_storage_commit_group_jobs_count 1",
		"kiwi_storage_commit_duration_seconds_count 1",
		`kiwi_engine_write_stopped{engine="pebble"} 0`,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Stop the storage runtime under the running network runtime.
	if err := rt.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	expect("/healthz/storage", 503, "storage runtime is not running")
	expect("/healthz", 503, "storage")
	expect("/readyz", 503, "storage")
	expect("/healthz/network", 200, "")
	roundTrip("PING\r\n", "+PONG\r\n")
	roundTrip("GET k\r\n", "-UNAVAILABLE storage runtime is not running\r\n")
}
