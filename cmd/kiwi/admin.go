package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kiwidb/kiwi/internal/admin"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/metrics"
	"github.com/kiwidb/kiwi/internal/server"
	"github.com/kiwidb/kiwi/internal/storage"
)

// startAdmin registers the server, storage runtime and engine with m,
// hands the storage runtime m's storage observer (its latency histograms),
// and starts the HTTP admin listener on metrics.addr. It returns a stop
// function (a no-op when metrics.addr is empty).
func startAdmin(cfg *config.Config, m *metrics.Metrics, srv *server.Server, exec executor, eng engine.Engine, logger *slog.Logger) (stop func(context.Context) error, err error) {
	src := metrics.Sources{Server: srv, Engine: eng}
	if ss, ok := exec.(metrics.StorageSource); ok {
		src.Storage = ss
	}
	m.SetSources(src)
	if so, ok := exec.(interface{ SetObserver(storage.Observer) }); ok {
		so.SetObserver(m.StorageObserver())
	}
	if cfg.Metrics.Addr == "" {
		return func(context.Context) error { return nil }, nil
	}
	opts := admin.Options{Addr: cfg.Metrics.Addr, Registry: m.Registry(), Network: srv,
		Engine: writeStop{eng}, Logger: logger}
	if st, ok := exec.(admin.Storage); ok {
		opts.Storage = st
	}
	a := admin.New(opts)
	if err := a.Start(); err != nil {
		return nil, fmt.Errorf("start admin listener: %w", err)
	}
	logger.Info("admin listening", "addr", a.Addr().String())
	return a.Stop, nil
}

// writeStop adapts an engine to admin.Options.Engine, for backends with or
// without engine.WriteStopper.
type writeStop struct{ e engine.Engine }

// WriteStopped reports engine.IsWriteStopped.
func (w writeStop) WriteStopped() bool { return engine.IsWriteStopped(w.e) }
