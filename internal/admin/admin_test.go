package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pongServer answers +PONG to every line on a loopback listener.
type pongServer struct {
	ln      net.Listener
	mu      sync.Mutex
	serving bool
	wg      sync.WaitGroup
}

func newPongServer(t *testing.T) *pongServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pongServer{ln: ln, serving: true}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					_, _ = c.Write([]byte("+PONG\r\n"))
				}
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

func (p *pongServer) Serving() (bool, net.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.serving, p.ln.Addr()
}

// fakeStorage fails with err, or blocks until ctx ends when block is set.
type fakeStorage struct {
	mu    sync.Mutex
	err   error
	block bool
}

func (f *fakeStorage) set(err error, block bool) {
	f.mu.Lock()
	f.err, f.block = err, block
	f.mu.Unlock()
}

func (f *fakeStorage) Healthy(ctx context.Context) error {
	f.mu.Lock()
	err, block := f.err, f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func get(t *testing.T, h http.Handler, path string) (int, status) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var st status
	if strings.HasPrefix(path, "/healthz") || path == "/readyz" {
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatalf("%s body %q: %v", path, rec.Body.String(), err)
		}
	}
	return rec.Code, st
}

func TestHealth(t *testing.T) {
	ps := newPongServer(t)
	st := &fakeStorage{}
	s := New(Options{Network: ps, Storage: st, ProbeTimeout: 200 * time.Millisecond})
	h := s.Handler()

	expect := func(path string, code int, reason string) {
		t.Helper()
		got, body := get(t, h, path)
		if got != code || !strings.Contains(body.Reason, reason) {
			t.Errorf("%s = %d %+v, want %d reason containing %q", path, got, body, code, reason)
		}
		if (code == 200) != (body.Status == "ok") {
			t.Errorf("%s status %q with code %d", path, body.Status, got)
		}
	}
	for _, p := range []string{"/healthz/network", "/healthz/storage", "/healthz", "/readyz"} {
		expect(p, 200, "")
	}

	// A storage outage: only storage (and the aggregate) goes red.
	st.set(errors.New("storage runtime is not running"), false)
	expect("/healthz/storage", 503, "not running")
	expect("/healthz/network", 200, "")
	expect("/healthz", 503, "storage")
	expect("/readyz", 503, "storage")

	// A stuck storage runtime fails at the probe deadline.
	st.set(nil, true)
	expect("/healthz/storage", 503, "deadline")
	expect("/healthz/network", 200, "")

	// Accept loop down: network red, storage unaffected.
	st.set(nil, false)
	ps.mu.Lock()
	ps.serving = false
	ps.mu.Unlock()
	expect("/healthz/network", 503, "accept loop")
	expect("/healthz/storage", 200, "")
}

// fakeEngine reports a write stop when stopped is set.
type fakeEngine struct{ stopped atomic.Bool }

func (f *fakeEngine) WriteStopped() bool { return f.stopped.Load() }

// TestEngineWriteStop: an engine write stop fails the storage probe (and
// /healthz, /readyz) with reason "engine write stop"; the network probe is
// unaffected, and the probe recovers when the stop ends.
func TestEngineWriteStop(t *testing.T) {
	ps := newPongServer(t)
	eng := &fakeEngine{}
	h := New(Options{Network: ps, Storage: &fakeStorage{}, Engine: eng, ProbeTimeout: time.Second}).Handler()
	for _, p := range []string{"/healthz/storage", "/healthz", "/readyz"} {
		if code, body := get(t, h, p); code != 200 {
			t.Errorf("%s = %d %+v before the write stop", p, code, body)
		}
	}
	eng.stopped.Store(true)
	for _, p := range []string{"/healthz/storage", "/healthz", "/readyz"} {
		code, body := get(t, h, p)
		if code != 503 || body.Status != "fail" || body.Reason != "storage: engine write stop" {
			t.Errorf("%s = %d %+v during a write stop, want 503 reason %q", p, code, body, "storage: engine write stop")
		}
	}
	if code, body := get(t, h, "/healthz/network"); code != 200 {
		t.Errorf("/healthz/network = %d %+v during a write stop", code, body)
	}
	eng.stopped.Store(false)
	if code, body := get(t, h, "/healthz/storage"); code != 200 {
		t.Errorf("/healthz/storage = %d %+v after the write stop", code, body)
	}
}

// TestReadyzShuttingDown: once shutting down, /readyz fails while the
// health endpoints still report the components.
func TestReadyzShuttingDown(t *testing.T) {
	s := New(Options{Network: newPongServer(t), Storage: &fakeStorage{}, ProbeTimeout: time.Second})
	h := s.Handler()
	if code, body := get(t, h, "/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %+v", code, body)
	}
	s.SetShuttingDown()
	if code, body := get(t, h, "/readyz"); code != 503 || body.Reason != "shutting down" {
		t.Errorf("/readyz = %d %+v while shutting down, want 503 %q", code, body, "shutting down")
	}
	for _, p := range []string{"/healthz/network", "/healthz/storage", "/healthz"} {
		if code, body := get(t, h, p); code != 200 {
			t.Errorf("%s = %d %+v while shutting down, want 200", p, code, body)
		}
	}
}

func TestNotConfigured(t *testing.T) {
	h := New(Options{}).Handler()
	if code, _ := get(t, h, "/healthz/storage"); code != 503 {
		t.Errorf("storage without source = %d", code)
	}
	if code, _ := get(t, h, "/healthz/network"); code != 503 {
		t.Errorf("network without source = %d", code)
	}
}

func TestStartMetricsStop(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "kiwi_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	s := New(Options{Addr: "127.0.0.1:0", Registry: reg})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Addr().String()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
	resp.Body.Close()
	if !strings.Contains(sb.String(), "kiwi_test_total 3") {
		t.Errorf("/metrics body:\n%s", sb.String())
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
