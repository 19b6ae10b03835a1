// Command kiwi runs the Kiwi server: a Redis-compatible, persistent
// key-value database.
//
//	kiwi [--config kiwi.toml] [--<option> <value> ...]
//
// Run `kiwi --help` for every option and `kiwi --default-config` for a
// commented configuration file with every default.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engines"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/metrics"
	"github.com/kiwidb/kiwi/internal/server"
	"github.com/kiwidb/kiwi/internal/storage"
)

// shutdownTimeout bounds how long a graceful shutdown may take.
const shutdownTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so it can be read as one story:
// configure, open storage, serve, shut down in reverse order.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, action, err := config.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "kiwi: %v\n", err)
		return 2
	}
	switch action {
	case config.ActionHelp:
		fmt.Fprint(stdout, config.Usage())
		return 0
	case config.ActionVersion:
		fmt.Fprintf(stdout, "kiwi %s (redis %s compatible)\n", server.Version, "7.0")
		return 0
	case config.ActionDefaultConfig:
		fmt.Fprint(stdout, config.DefaultTOML())
		return 0
	}

	level := new(slog.LevelVar)
	level.Set(config.SlogLevel(cfg.Log.Level))
	logger := newLogger(cfg.Log.Format, level, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, stop, args, cfg, logger, level); err != nil {
		// Start-up and shutdown failures (open, listen, close the engine,
		// stop a runtime) come back here, wrapped with their operation,
		// and are logged this once.
		logger.Error("kiwi stopped with an error", "component", "main", "err", err)
		return 1
	}
	return 0
}

func newLogger(format string, level *slog.LevelVar, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve opens the storage stack and the server and runs until ctx is done.
//
// Loggers (docs/logging.md): every line of the network runtime carries
// runtime=network, of the storage runtime runtime=storage; the packages
// add their component (server, command, executor, background). Here:
// component=engine for the engine's own lines, admin for the admin
// listener, config for SIGHUP reloads, main for the process's lifecycle.
func serve(ctx context.Context, stop func(), args []string, cfg *config.Config, logger *slog.Logger, level *slog.LevelVar) (err error) {
	netLog := logger.With("runtime", "network")
	storeLog := logger.With("runtime", "storage")
	engLog := storeLog.With("component", "engine", "engine", cfg.Storage.Engine)
	mainLog := logger.With("component", "main")

	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("create dir %q: %w", cfg.Dir, err)
	}
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pidfile: %w", err)
		}
		defer func() {
			if rerr := os.Remove(cfg.PidFile); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				mainLog.Warn("could not remove the pidfile", "op", "remove_pidfile", "file", cfg.PidFile, "err", rerr)
			}
		}()
	}

	dataDir := filepath.Join(cfg.Dir, cfg.Storage.Engine)
	eng, err := engines.Open(cfg.Storage.Engine, engine.Options{
		Dir:        dataDir,
		CacheBytes: cfg.Storage.CacheSize,
		Logger:     engLog,
	})
	if err != nil {
		return fmt.Errorf("open storage engine: %w", err)
	}
	defer func() {
		if cerr := eng.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close engine: %w", cerr))
		}
	}()
	engLog.Info("storage engine open", "dir", dataDir, "sync", cfg.Storage.Sync)

	ks, err := keyspace.Open(eng, keyspace.Options{Databases: cfg.Databases})
	if err != nil {
		return err
	}

	exec := newExecutor(cfg, ks, storeLog)
	exec.Start()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := exec.Stop(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stop storage runtime: %w", serr))
		}
	}()

	mets := metrics.New()
	srv, err := server.New(cfg, server.Deps{
		Keyspace:      ks,
		Executor:      exec,
		Logger:        netLog,
		StorageLogger: storeLog,
		LogLevel:      level,
		Shutdown:      stop,
		OnConfigChange: func(_, next *config.Config) {
			exec.Reconfigure(storageConfig(next))
		},
		CommandObserver: mets.CommandObserver,
		ConfigFile:      configFileArg(args),
	})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	stopAdmin, err := startAdmin(cfg, mets, srv, exec, eng, logger.With("component", "admin"))
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer func() {
		actx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err = errors.Join(err, stopAdmin(actx))
	}()
	stopReload := watchReload(args, srv, logger.With("component", "config"))
	defer stopReload()
	mainLog.Info("kiwi ready", "version", server.Version, "addr", ln.Addr().String(),
		"engine", eng.Name(), "mode", cfg.Runtime.Mode, "pid", os.Getpid())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	mainLog.Info("shutting down")
	cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if cerr := srv.Close(cctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// executor is what main needs of the storage side: the Executor the
// network runtime submits to, plus lifecycle and live tuning.
type executor interface {
	storage.Executor
	Start()
	Stop(ctx context.Context) error
	Reconfigure(cfg storage.Config)
}

func newExecutor(cfg *config.Config, ks *keyspace.Keyspace, logger *slog.Logger) executor {
	if cfg.Runtime.Mode == "single" {
		return storage.NewInline(ks, storageConfig(cfg), logger)
	}
	return storage.New(ks, storageConfig(cfg), logger)
}

// storageConfig extracts the storage runtime's settings from the config.
func storageConfig(cfg *config.Config) storage.Config {
	return storage.Config{
		Workers:             cfg.Runtime.StorageWorkers,
		MaxGroupSize:        cfg.Runtime.MaxGroupSize,
		Sync:                cfg.Storage.Sync,
		ChannelCapacity:     cfg.Runtime.ChannelCapacity,
		BackpressureTimeout: cfg.Runtime.BackpressureTimeout,
		ExpireInterval:      cfg.Storage.ExpireInterval,
		ExpireBatch:         cfg.Storage.ExpireBatch,
		GCInterval:          cfg.Storage.GCInterval,
		GCBatch:             cfg.Storage.GCBatch,
	}
}

// configFileArg returns the absolute path of the configuration file named
// on the command line, as config.Parse finds it (--config FILE,
// --config=FILE, or a first argument that is not an option), or "" when
// there is none. CONFIG REWRITE writes that file.
func configFileArg(args []string) string {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		switch {
		case strings.HasPrefix(arg, "--") && !hasValue:
			if i+1 < len(args) {
				i++
				value = args[i]
			}
			fallthrough
		case strings.HasPrefix(arg, "--"):
			if !strings.EqualFold(name, "config") {
				continue
			}
		case i == 0 && !strings.HasPrefix(arg, "-"):
			value = arg
		default:
			continue
		}
		if abs, err := filepath.Abs(value); err == nil {
			return abs
		}
		return value
	}
	return ""
}
