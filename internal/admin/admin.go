// Package admin is Kiwi's HTTP admin listener: Prometheus /metrics, the
// health endpoints /healthz/network, /healthz/storage and /healthz, and
// /readyz.
//
// Each health endpoint answers 200 with {"status":"ok"} or 503 with
// {"status":"fail","reason":"..."}. The network probe checks that the
// accept loop runs and that a fresh TCP connection to the RESP port is
// answered; the storage probe sends a request through the MessageChannel
// and the engine (storage Healthy) and checks that the engine is not in a
// write stop. The two are independent: a storage outage turns
// /healthz/storage red while /healthz/network stays green.
//
// /readyz means "ready to serve traffic": both probes pass and the process
// is not shutting down (SetShuttingDown).
package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/logging"
)

// DefaultProbeTimeout bounds one health probe when Options.ProbeTimeout is
// zero.
const DefaultProbeTimeout = 2 * time.Second

// Network is what the network probe needs of the server.
type Network interface {
	// Serving reports whether the accept loop runs, and the address it
	// listens on.
	Serving() (bool, net.Addr)
}

// Storage is what the storage probe needs: storage.Runtime and
// storage.Inline implement it.
type Storage interface {
	// Healthy runs a no-op request through the storage runtime and engine
	// and returns its error, or ctx's.
	Healthy(ctx context.Context) error
}

// ErrWriteStop is the storage probe's failure while the engine stops
// writes (engine.WriteStopper): reads are served, but writes would block
// until compactions catch up. The probe reports it as "storage: engine
// write stop".
var ErrWriteStop = errors.New("engine write stop")

// ErrShuttingDown is /readyz's failure once SetShuttingDown was called.
var ErrShuttingDown = errors.New("shutting down")

// Options configures a Server.
type Options struct {
	// Addr is the host:port to listen on (port 0: a free port).
	Addr string
	// Registry is served on /metrics; nil serves an empty registry.
	Registry *prometheus.Registry
	// Network and Storage are probed by the health endpoints; a nil one
	// reports "not configured" (503).
	Network Network
	Storage Storage
	// Engine, if set, is asked by the storage probe whether writes are
	// stopped right now; a write stop fails the probe with ErrWriteStop.
	// Nil skips that check.
	Engine engine.WriteStopper
	// ProbeTimeout bounds each probe; zero means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// Logger receives the listener's log lines (cmd/kiwi gives it
	// component=admin); nil discards them. Errors of net/http and of
	// the metrics handler are logged at Warn, rate limited.
	Logger *slog.Logger
}

// Server is the admin HTTP server. Create it with New, then Start and
// Stop.
type Server struct {
	opts Options
	log  *slog.Logger
	http *http.Server
	ln   net.Listener
	done chan struct{} // closed when the serving goroutine returns
	// shuttingDown fails /readyz (SetShuttingDown).
	shuttingDown atomic.Bool
}

// New builds an admin server; it does not listen yet.
func New(opts Options) *Server {
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = DefaultProbeTimeout
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log}
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: s.stdLogger("http")}
	return s
}

// stdLogger returns a log.Logger, for net/http and promhttp, that logs to
// s.log at Warn with op, rate limited: what they report (a failed accept,
// a handler panic, a collector error at every scrape) may repeat in a
// loop.
func (s *Server) stdLogger(op string) *log.Logger {
	h := logging.RateLimit(s.log.With("op", op).Handler(), logging.DefaultEvery)
	return slog.NewLogLogger(h, slog.LevelWarn)
}

// Handler returns the admin endpoints as one http.Handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{
		ErrorLog: s.stdLogger("metrics"),
	}))
	mux.HandleFunc("GET /healthz/network", s.health(s.checkNetwork))
	mux.HandleFunc("GET /healthz/storage", s.health(s.checkStorage))
	mux.HandleFunc("GET /healthz", s.health(s.checkAll))
	mux.HandleFunc("GET /readyz", s.health(s.checkReady))
	return mux
}

// SetShuttingDown marks the process as shutting down: from now on /readyz
// answers 503 "shutting down" whatever the probes say, so load balancers
// stop sending traffic, while /healthz* keep reporting the components.
// It cannot be undone. Stop calls it too.
func (s *Server) SetShuttingDown() { s.shuttingDown.Store(true) }

// Start listens on Options.Addr and serves in the background. If serving
// stops on an error before Stop, the error is logged then, once, at Error
// (the RESP server keeps running without metrics and health endpoints),
// and Stop does not return it again.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin listener stopped; metrics and health endpoints are down",
				"op", "serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return nil
}

// Addr returns the listening address (nil before Start).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Stop marks the server shutting down (SetShuttingDown), then shuts the
// listener down gracefully, or forcibly when ctx ends.
func (s *Server) Stop(ctx context.Context) error {
	s.SetShuttingDown()
	if s.ln == nil {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		_ = s.http.Close() // forcibly; the Shutdown error is the one to report
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	<-s.done
	return nil
}

// status is the JSON body of a health endpoint.
type status struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) health(check func(ctx context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.ProbeTimeout)
		defer cancel()
		body, code := status{Status: "ok"}, http.StatusOK
		if err := check(ctx); err != nil {
			body, code = status{Status: "fail", Reason: err.Error()}, http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	}
}

// checkReady is /readyz: not shutting down, and every probe passes.
func (s *Server) checkReady(ctx context.Context) error {
	if s.shuttingDown.Load() {
		return ErrShuttingDown
	}
	return s.checkAll(ctx)
}

func (s *Server) checkAll(ctx context.Context) error {
	if err := s.checkNetwork(ctx); err != nil {
		return err
	}
	return s.checkStorage(ctx)
}

// checkNetwork verifies that the accept loop runs and that a new
// connection gets a reply to PING (+PONG, or -NOAUTH when a password is
// required: the command was still read, dispatched and answered).
func (s *Server) checkNetwork(ctx context.Context) error {
	if s.opts.Network == nil {
		return errors.New("network: not configured")
	}
	serving, addr := s.opts.Network.Serving()
	if !serving || addr == nil {
		return errors.New("network: accept loop is not running")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, addr.Network(), addr.String())
	if err != nil {
		return fmt.Errorf("network: connect: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("network: send PING: %w", err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("network: read PING reply: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line != "+PONG" && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("network: unexpected PING reply %q", line)
	}
	return nil
}

// checkStorage runs a probe request through the storage runtime and the
// engine within the probe deadline, then checks that the engine does not
// stop writes.
func (s *Server) checkStorage(ctx context.Context) error {
	if s.opts.Storage == nil {
		return errors.New("storage: not configured")
	}
	if err := s.opts.Storage.Healthy(ctx); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if s.opts.Engine != nil && s.opts.Engine.WriteStopped() {
		return fmt.Errorf("storage: %w", ErrWriteStop)
	}
	return nil
}
