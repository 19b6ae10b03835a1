// Package metrics is Kiwi's Prometheus instrumentation: a registry of its
// own (never the global default one) holding the Go and process
// collectors, a collector that reads the server's, the storage runtime's
// and the engine's statistics at scrape time, and the command latency
// histograms the network runtime observes on its hot path.
//
// Every metric is named kiwi_* and uses base units (seconds, bytes).
// Label values are bounded: command is a name from the command table or
// "other", runtime is network|storage, engine is the engine name, priority
// is a MessageChannel priority.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/server"
	"github.com/kiwidb/kiwi/internal/storage"
)

// ServerSource is the network runtime (*server.Server).
type ServerSource interface{ Stats() server.Stats }

// StorageSource is the storage runtime (*storage.Runtime or
// *storage.Inline).
type StorageSource interface{ Stats() storage.Stats }

// EngineSource is the storage engine (engine.Engine).
type EngineSource interface {
	Name() string
	Stats() engine.Stats
}

// Sources are what the collector reads at scrape time; a nil source
// contributes no metrics.
type Sources struct {
	Server  ServerSource
	Storage StorageSource
	Engine  EngineSource
}

// CommandDurationBuckets are the bounds (seconds) of
// kiwi_command_duration_seconds: 25µs to ~4.4s.
var CommandDurationBuckets = prometheus.ExponentialBuckets(25e-6, 3, 12)

// Metrics owns the registry. Create it with New, hand
// CommandObserver to server.Deps, then call SetSources once the server
// exists.
type Metrics struct {
	reg      *prometheus.Registry
	cmdHist  *prometheus.HistogramVec
	snapshot *snapshotCollector
}

// New returns a registry with the Go and process collectors, the command
// latency histograms and the snapshot collector (without sources yet).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		cmdHist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiwi_command_duration_seconds",
			Help:    "Time from dispatch of a command to its reply being ready, seen by the network runtime (storage commands: the whole storage request they were part of).",
			Buckets: CommandDurationBuckets,
		}, []string{"command"}),
		snapshot: &snapshotCollector{},
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.cmdHist,
		m.snapshot,
	)
	return m
}

// Registry returns the registry to serve (promhttp.HandlerFor) or gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// CommandObserver returns the latency histogram of one command. The server
// calls it once per command name at start (see server.Deps), so the label
// set is the command table plus "other".
func (m *Metrics) CommandObserver(command string) server.Observer {
	return m.cmdHist.WithLabelValues(command)
}

// SetSources sets what the snapshot collector reads from the next scrape
// on. It is safe to call at any time.
func (m *Metrics) SetSources(src Sources) { m.snapshot.src.Store(&src) }
