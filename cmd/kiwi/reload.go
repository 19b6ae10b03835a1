package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/server"
)

// watchReload re-reads the configuration on SIGHUP, as redis-server does not
// but operators expect of a daemon: the same arguments are parsed again (the
// --config file, then the command-line overrides), the result is validated
// whole, and its live options are applied. An invalid file changes nothing:
// the running configuration stays and the error is logged. Restart-only
// options that changed are logged as pending.
//
// It returns a function that stops watching and waits for the watcher.
func watchReload(args []string, srv *server.Server, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload(args, srv, logger)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// reload applies one SIGHUP.
func reload(args []string, srv *server.Server, logger *slog.Logger) {
	next, _, err := config.Parse(args)
	if err != nil {
		logger.Error("config reload failed; keeping the running configuration", "op", "reload", "signal", "SIGHUP", "err", err)
		return
	}
	merged, pending := srv.Config().MergeLive(next)
	srv.ReplaceConfig(merged, "SIGHUP")
	if len(pending) > 0 {
		logger.Warn("config reload: restart-only options changed and wait for a restart", "op", "reload", "options", pending)
	}
}
