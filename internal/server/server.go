package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/latency"
	"github.com/kiwidb/kiwi/internal/logging"
	"github.com/kiwidb/kiwi/internal/script"
	"github.com/kiwidb/kiwi/internal/slots"
	"github.com/kiwidb/kiwi/internal/slowlog"
	"github.com/kiwidb/kiwi/internal/storage"
)

// Version is the Kiwi version reported by INFO, HELLO and --version.
const Version = "0.1.0"

// redisVersion is the Redis version Kiwi is compatible with, reported as
// redis_version so that clients enable the right features.
const redisVersion = "7.0.15"

// Deps are the parts a Server is built from.
type Deps struct {
	// Keyspace is the data model (used directly only for O(1) counters such
	// as DBSIZE and INFO keyspace).
	Keyspace *keyspace.Keyspace
	// Executor runs storage requests: the dual runtime or the inline one.
	Executor storage.Executor
	// Logger is the network runtime's logger (cmd/kiwi gives it
	// runtime=network); the server adds component=server. Nil discards.
	Logger *slog.Logger
	// StorageLogger is the storage runtime's logger (runtime=storage):
	// storage commands run on storage goroutines, so what their handlers
	// log (a recovered panic, a storage error) goes here, with
	// component=command. Nil: Logger.
	StorageLogger *slog.Logger
	// LogLevel, when set, is changed live by CONFIG SET log.level.
	LogLevel *slog.LevelVar
	// Shutdown is called once when a client runs SHUTDOWN. It must make
	// the process stop (typically by cancelling main's context).
	Shutdown func()
	// OnConfigChange, when set, is called after CONFIG SET has changed the
	// configuration, to apply the live options the server does not own
	// (storage runtime tuning). It runs under the CONFIG SET lock.
	OnConfigChange func(old, next *config.Config)
	// CommandObserver, when set, is called once per command name (and
	// OtherCommand) in New and returns where that command's latency
	// samples go.
	CommandObserver func(command string) Observer
	// ConfigFile is the configuration file the server was started with
	// ("" when none); CONFIG REWRITE writes the running configuration to
	// it.
	ConfigFile string
}

// Server is the network runtime.
type Server struct {
	cfg      atomic.Pointer[config.Config]
	cfgMu    sync.Mutex // serialises CONFIG SET
	table    *command.Table
	netCmds  map[string]netHandler
	watches  *watchRegistry
	blocked  *blockRegistry
	scripts  *script.Engine
	events   *keyEvents // watches and blocked, as write commands see them (a pointer: no allocation per request)
	ps       *pubsubServer
	inorder  *inputOrder
	ks       *keyspace.Keyspace
	exec     storage.Executor
	slots    *slots.Pool
	log      *slog.Logger
	logLevel *slog.LevelVar
	// acceptLog is log, rate limited (accept errors repeat in a loop).
	acceptLog *slog.Logger
	// cmdLog receives what storage command handlers log (command.Batch
	// Logger): runtime=storage, component=command, rate limited per
	// command.
	cmdLog *slog.Logger

	shutdown func()
	onConfig func(old, next *config.Config)

	started time.Time
	runID   string

	mu       sync.Mutex
	ln       net.Listener
	clients  map[int64]*client
	closing  bool
	nextID   atomic.Int64
	conns    sync.WaitGroup
	acceptWG sync.WaitGroup

	stats serverStats
	// serving is true while the accept loop runs.
	serving atomic.Bool
	// cmdStats maps each command of the table to its counters; cmdList
	// holds them all (and otherStat) sorted by name. Built in New, then
	// only read.
	cmdStats  map[*command.Command]*cmdStat
	cmdList   []*cmdStat
	otherStat *cmdStat

	// baseMu guards the CONFIG RESETSTAT baselines: base here and the
	// base of every cmdStat. INFO reports counters minus their baseline;
	// the counters themselves (which feed /metrics) never go back.
	baseMu sync.Mutex
	base   statsBase

	configFile string

	slowlog          *slowlog.Log
	slowlogThreshold atomic.Int64 // microseconds; < 0: off
	latency          *latency.Monitor
	latencyThreshold atomic.Int64 // milliseconds; 0: off
}

// serverStats are the counters INFO stats reports.
type serverStats struct {
	connsReceived atomic.Int64
	connsRejected atomic.Int64
	netInput      atomic.Int64
	netOutput     atomic.Int64
	errorReplies  atomic.Int64
	// outputLimitKills counts connections closed at
	// client-output-buffer-limit (pubsub.go).
	outputLimitKills atomic.Int64
}

// New builds a server from a validated configuration.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	if deps.Keyspace == nil || deps.Executor == nil {
		return nil, errors.New("server: keyspace and executor are required")
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	storeLogger := deps.StorageLogger
	if storeLogger == nil {
		storeLogger = logger
	}
	logger = logger.With("component", "server")
	s := &Server{
		table:    command.NewTable(),
		watches:  newWatchRegistry(),
		ps:       newPubsubServer(),
		inorder:  newInputOrder(),
		ks:       deps.Keyspace,
		exec:     deps.Executor,
		slots:    slots.New(networkSlots(cfg)),
		log:      logger,
		logLevel: deps.LogLevel,
		shutdown: deps.Shutdown,
		onConfig: deps.OnConfigChange,
		started:  time.Now(),
		runID:    newRunID(),
		clients:  make(map[int64]*client),

		configFile: deps.ConfigFile,
		slowlog:    slowlog.New(cfg.SlowlogMaxLen),
		latency:    latency.New(),
	}
	s.acceptLog = slog.New(logging.RateLimit(logger.Handler(), logging.DefaultEvery))
	s.cmdLog = slog.New(logging.RateLimit(storeLogger.With("component", "command").Handler(),
		logging.DefaultEvery, "command"))
	s.blocked = newBlockRegistry(s)
	s.events = &keyEvents{watches: s.watches, blocked: s.blocked}
	s.cfg.Store(cfg.Clone())
	s.applyObservability(cfg)
	s.startNotifications(cfg)
	s.scripts = script.NewEngine(storeLogger.With("component", "script"))
	command.Register(s.table)
	s.table.Add(s.scripts.Commands(newScriptHost(s))...)
	s.registerNetworkCommands()
	s.initCommandStats(deps.CommandObserver)
	return s, nil
}

// Config returns the current configuration. The caller must not modify it.
func (s *Server) Config() *config.Config { return s.cfg.Load() }

// Table returns the command table.
func (s *Server) Table() *command.Table { return s.table }

// Listen opens the listening socket on the configured bind address and port.
func (s *Server) Listen() (net.Listener, error) {
	cfg := s.Config()
	addr := net.JoinHostPort(cfg.Bind, fmt.Sprint(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.ln = ln
	s.acceptWG.Add(1)
	s.serving.Store(true)
	s.mu.Unlock()
	defer s.acceptWG.Done()
	defer s.serving.Store(false)

	s.log.Info("accepting connections", "addr", ln.Addr().String())
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.acceptLog.Warn("accept failed; retrying", "op", "accept", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		backoff = 0
		s.stats.connsReceived.Add(1)
		s.accept(nc)
	}
}

// accept registers a new connection, or refuses it when maxclients is
// reached, and starts its goroutine.
func (s *Server) accept(nc net.Conn) {
	cfg := s.Config()
	if tc, ok := nc.(*net.TCPConn); ok && cfg.TCPKeepalive > 0 {
		_ = tc.SetKeepAlive(true)
		_ = tc.SetKeepAlivePeriod(time.Duration(cfg.TCPKeepalive) * time.Second)
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = nc.Close()
		return
	}
	if len(s.clients) >= cfg.MaxClients {
		s.mu.Unlock()
		s.stats.connsRejected.Add(1)
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		_ = nc.Close()
		return
	}
	c := newClient(s, nc, s.nextID.Add(1))
	s.clients[c.id] = c
	s.conns.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.conns.Done()
		c.serve()
		s.mu.Lock()
		delete(s.clients, c.id)
		s.mu.Unlock()
	}()
}

// Close stops accepting, closes every client connection and waits for their
// goroutines (each finishes its in-flight storage request first, so no
// accepted request is abandoned), or until ctx is done.
func (s *Server) Close(ctx context.Context) error {
	s.scripts.Abort() // a script in an endless loop would hold the applier forever
	s.mu.Lock()
	s.closing = true
	ln := s.ln
	for _, c := range s.clients {
		c.closeConn()
	}
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	done := make(chan struct{})
	go func() {
		s.acceptWG.Wait()
		s.conns.Wait()
		s.inorder.close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: close: %w", ctx.Err())
	}
}

// clientList returns a snapshot of the connected clients ordered by id.
func (s *Server) clientList() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sortClients(out)
	return out
}

func newRunID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
