// Package metrics is Kiwi's Prometheus instrumentation: a registry of its
// own (never the global default one) holding the Go and process
// collectors, a collector that reads the server's, the storage runtime's
// and the engine's statistics at scrape time, the command latency
// histograms the network runtime observes on its hot path, and the storage
// histograms (queue wait, run time, group commits) the storage runtime
// observes through StorageObserver.
//
// Every metric is named kiwi_* and uses base units (seconds, bytes).
// Label values are bounded: command is a name from the command table or
// "other", runtime is network|storage, engine is the engine name, priority
// is a MessageChannel priority (high|normal|low), kind is a storage run
// kind (read|write|background).
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
// CommandObserver to server.Deps and StorageObserver to the storage
// runtime's SetObserver, then call SetSources once the server exists.
type Metrics struct {
	reg      *prometheus.Registry
	cmdHist  *prometheus.HistogramVec
	storage  *storageHists
	storObs  *storageObserver
	snapshot *snapshotCollector
}

// New returns a registry with the Go and process collectors, the command
// and storage latency histograms and the snapshot collector (without
// sources yet).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		cmdHist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiwi_command_duration_seconds",
			Help:    "Time from dispatch of a command to its reply being ready, seen by the network runtime (storage commands: the whole storage request they were part of).",
			Buckets: CommandDurationBuckets,
		}, []string{"command"}),
		storage:  newStorageHists(),
		snapshot: &snapshotCollector{},
	}
	m.storObs = newStorageObserver(m.storage)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.cmdHist,
		m.snapshot,
	)
	m.reg.MustRegister(m.storage.collectors()...)
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

// StorageObserver returns the storage.Observer that feeds
// kiwi_storage_queue_wait_seconds, kiwi_storage_operation_duration_seconds,
// kiwi_storage_commit_group_jobs and kiwi_storage_commit_duration_seconds.
// Hand it to the storage runtime's SetObserver. Its label children are
// created up front, so observing allocates nothing.
func (m *Metrics) StorageObserver() storage.Observer { return m.storObs }

// SetSources sets what the snapshot collector reads from the next scrape
// on. It is safe to call at any time.
func (m *Metrics) SetSources(src Sources) { m.snapshot.src.Store(&src) }
