package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kiwidb/kiwi/internal/msgchan"
	"github.com/kiwidb/kiwi/internal/storage"
)

// StorageDurationBuckets are the bounds (seconds) of
// kiwi_storage_queue_wait_seconds, kiwi_storage_operation_duration_seconds
// and kiwi_storage_commit_duration_seconds: 1µs to ~4.2s (×4).
var StorageDurationBuckets = prometheus.ExponentialBuckets(1e-6, 4, 12)

// CommitGroupJobsBuckets are the bounds of kiwi_storage_commit_group_jobs:
// 1 to 1024 jobs (×2).
var CommitGroupJobsBuckets = prometheus.ExponentialBuckets(1, 2, 11)

// storageHists are the storage runtime's histograms.
type storageHists struct {
	queueWait   *prometheus.HistogramVec
	opDuration  *prometheus.HistogramVec
	commitJobs  prometheus.Histogram
	commitTimes prometheus.Histogram
}

func newStorageHists() *storageHists {
	return &storageHists{
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiwi_storage_queue_wait_seconds",
			Help:    "Time a storage job waited in the MessageChannel, from being queued to being taken by a read worker or the applier (dual mode only).",
			Buckets: StorageDurationBuckets,
		}, []string{"priority"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiwi_storage_operation_duration_seconds",
			Help:    "Time a storage job took to run, by kind (read, write, background) and priority; for a write its share of the group (begin, Run, merge), not the group commit.",
			Buckets: StorageDurationBuckets,
		}, []string{"kind", "priority"}),
		commitJobs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kiwi_storage_commit_group_jobs",
			Help:    "Jobs per group commit.",
			Buckets: CommitGroupJobsBuckets,
		}),
		commitTimes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kiwi_storage_commit_duration_seconds",
			Help:    "Time per group commit (one engine batch, one WAL fsync when storage.sync is on), failed commits included.",
			Buckets: StorageDurationBuckets,
		}),
	}
}

func (h *storageHists) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.queueWait, h.opDuration, h.commitJobs, h.commitTimes}
}

// storageObserver implements storage.Observer over the histograms. Every
// label combination is resolved once, in newStorageObserver, so an
// observation is an array index and an atomic histogram update: no
// allocation, no label lookup.
type storageObserver struct {
	queueWait   [msgchan.NumPriorities]prometheus.Observer
	run         [storage.NumRunKinds][msgchan.NumPriorities]prometheus.Observer
	commitJobs  prometheus.Observer
	commitTimes prometheus.Observer
}

var _ storage.Observer = (*storageObserver)(nil)

func newStorageObserver(h *storageHists) *storageObserver {
	o := &storageObserver{commitJobs: h.commitJobs, commitTimes: h.commitTimes}
	for p := range msgchan.NumPriorities {
		prio := msgchan.Priority(p).String()
		o.queueWait[p] = h.queueWait.WithLabelValues(prio)
		for k := range storage.NumRunKinds {
			o.run[k][p] = h.opDuration.WithLabelValues(storage.RunKind(k).String(), prio)
		}
	}
	return o
}

// ObserveQueueWait implements storage.Observer.
func (o *storageObserver) ObserveQueueWait(prio msgchan.Priority, d time.Duration) {
	if int(prio) < len(o.queueWait) {
		o.queueWait[prio].Observe(d.Seconds())
	}
}

// ObserveRun implements storage.Observer.
func (o *storageObserver) ObserveRun(kind storage.RunKind, prio msgchan.Priority, d time.Duration) {
	if int(kind) < len(o.run) && int(prio) < len(o.run[kind]) {
		o.run[kind][prio].Observe(d.Seconds())
	}
}

// ObserveCommit implements storage.Observer.
func (o *storageObserver) ObserveCommit(jobs int, d time.Duration) {
	o.commitJobs.Observe(float64(jobs))
	o.commitTimes.Observe(d.Seconds())
}
