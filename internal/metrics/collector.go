package metrics

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Label values of the runtime label.
const (
	runtimeNetwork = "network"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The descriptions of the snapshot metrics. They are immutable after
// package initialisation.
var (
	dUp = desc("kiwi_runtime_up", "1 if the runtime is serving (network: the accept loop is running).", "runtime")

	dConnCurrent  = desc("kiwi_connections", "Open client connections.")
	dConnAccepted = desc("kiwi_connections_accepted_total", "Client connections accepted (including those then rejected).")
	dConnRejected = desc("kiwi_connections_rejected_total", "Client connections refused because maxclients was reached.")
	dCommands     = desc("kiwi_commands_total", "Commands received, by command (unknown commands: other).", "command")
	dCmdErrors    = desc("kiwi_command_errors_total", "Commands answered with an error reply, by command.", "command")
	dNetBytes     = desc("kiwi_network_bytes_total", "Bytes read from and written to clients.", "direction")
	dSlots        = desc("kiwi_network_slots", "Configured network-stage slots.")
	dSlotsInUse   = desc("kiwi_network_slots_in_use", "Network-stage slots in use.")
	dSlotsWaiting = desc("kiwi_network_queue_length", "Connections waiting for a network-stage slot.")
	dSlotsWaited  = desc("kiwi_network_slot_waits_total", "Slot acquisitions that had to wait.")
	dSlotsWaitSec = desc("kiwi_network_slot_wait_seconds_total", "Total time spent waiting for a network-stage slot.")
	dBlocked      = desc("kiwi_blocked_clients", "Clients blocked in a blocking command (BLPOP, BZPOPMIN...).")
	dPubSubSubs   = desc("kiwi_pubsub_subscriptions", "Pub/Sub channels, patterns and shard channels with at least one subscriber.", "kind")
	dOutputKills  = desc("kiwi_client_output_buffer_limit_disconnections_total", "Connections closed at client-output-buffer-limit (slow Pub/Sub subscribers).")

	dQueueDepth   = desc("kiwi_storage_queue_depth", "Jobs queued in the MessageChannel, by lane and priority.", "lane", "priority")
	dQueueCap     = desc("kiwi_storage_queue_capacity", "Capacity of the MessageChannel.")
	dWorkers      = desc("kiwi_storage_workers", "Live storage read workers.")
	dWorkersBusy  = desc("kiwi_storage_workers_busy", "Storage read workers running a job.")
	dJobs         = desc("kiwi_storage_jobs_total", "Storage jobs finished, by result (ok, timeout, busy, unavailable, panic, other_error).", "result")
	dGroups       = desc("kiwi_storage_commit_groups_total", "Group commits attempted.")
	dGroupedJobs  = desc("kiwi_storage_grouped_jobs_total", "Jobs committed in groups (divide by commit groups for the mean group size).")
	dMaxGroup     = desc("kiwi_storage_max_group_size", "Largest group commit so far, in jobs.")
	dCommitErrors = desc("kiwi_storage_commit_errors_total", "Failed group commits.")
	dCommitSec    = desc("kiwi_storage_commit_seconds_total", "Total time spent in group commits.")
	dBackpressure = desc("kiwi_storage_backpressure_total", "Submits that found the MessageChannel full and waited.")
	dBPSec        = desc("kiwi_storage_backpressure_seconds_total", "Total time submitters spent blocked on a full MessageChannel.")
	dBPRejected   = desc("kiwi_storage_backpressure_rejected_total", "Submits that gave up on a full MessageChannel (OVERLOADED replies).")
	dBackground   = desc("kiwi_storage_background_total", "Background work: expire cycles, expired keys, gc runs, gc removed records, errors.", "kind")

	dEngDisk       = desc("kiwi_engine_disk_usage_bytes", "Disk space used by the engine.", "engine")
	dEngMemtable   = desc("kiwi_engine_memtable_bytes", "Memtable size.", "engine")
	dEngL0Files    = desc("kiwi_engine_l0_files", "Files in level 0.", "engine")
	dEngL0Sub      = desc("kiwi_engine_l0_sublevels", "Level 0 sublevels.", "engine")
	dEngPending    = desc("kiwi_engine_pending_compaction_bytes", "Estimated bytes compaction still has to rewrite.", "engine")
	dEngCompaction = desc("kiwi_engine_compactions_total", "Compactions run.", "engine")
	dEngFlushes    = desc("kiwi_engine_flushes_total", "Memtable flushes.", "engine")
	dEngStalls     = desc("kiwi_engine_write_stalls_total", "Write stalls.", "engine")
	dEngStopped    = desc("kiwi_engine_write_stopped", "1 while the engine stops writes (a write stall in progress), else 0.", "engine")
)

// snapshotCollector turns the sources' snapshots into constant metrics at
// each scrape. The sources keep cumulative counters, so the counters here
// are monotonic.
type snapshotCollector struct {
	src atomic.Pointer[Sources]
}

// Describe implements prometheus.Collector.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		dUp, dConnCurrent, dConnAccepted, dConnRejected, dCommands, dCmdErrors, dNetBytes,
		dSlots, dSlotsInUse, dSlotsWaiting, dSlotsWaited, dSlotsWaitSec, dBlocked, dPubSubSubs, dOutputKills,
		dQueueDepth, dQueueCap, dWorkers, dWorkersBusy, dJobs, dGroups, dGroupedJobs, dMaxGroup,
		dCommitErrors, dCommitSec, dBackpressure, dBPSec, dBPRejected, dBackground,
		dEngDisk, dEngMemtable, dEngL0Files, dEngL0Sub, dEngPending, dEngCompaction, dEngFlushes, dEngStalls,
		dEngStopped,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.src.Load()
	if src == nil {
		return
	}
	if src.Server != nil {
		collectServer(ch, src.Server)
	}
	if src.Storage != nil {
		collectStorage(ch, src.Storage)
	}
	if src.Engine != nil {
		collectEngine(ch, src.Engine)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectServer(ch chan<- prometheus.Metric, src ServerSource) {
	s := src.Stats()
	gauge(ch, dUp, boolValue(s.Serving), runtimeNetwork)
	gauge(ch, dConnCurrent, float64(s.ConnectedClients))
	counter(ch, dConnAccepted, float64(s.ConnectionsAccepted))
	counter(ch, dConnRejected, float64(s.ConnectionsRejected))
	for _, cs := range s.PerCommand {
		counter(ch, dCommands, float64(cs.Calls), cs.Name)
		counter(ch, dCmdErrors, float64(cs.Errors), cs.Name)
	}
	counter(ch, dNetBytes, float64(s.NetInputBytes), "in")
	counter(ch, dNetBytes, float64(s.NetOutputBytes), "out")
	gauge(ch, dSlots, float64(s.Slots.Size))
	gauge(ch, dSlotsInUse, float64(s.Slots.InUse))
	gauge(ch, dSlotsWaiting, float64(s.Slots.Waiting))
	counter(ch, dSlotsWaited, float64(s.Slots.Waited))
	counter(ch, dSlotsWaitSec, s.Slots.WaitTime.Seconds())
	gauge(ch, dBlocked, float64(s.BlockedClients))
	gauge(ch, dPubSubSubs, float64(s.PubSub.Channels), "channel")
	gauge(ch, dPubSubSubs, float64(s.PubSub.Patterns), "pattern")
	gauge(ch, dPubSubSubs, float64(s.PubSub.ShardChannels), "shard_channel")
	counter(ch, dOutputKills, float64(s.PubSub.OutputLimitDisconnections))
}

// laneNames are the MessageChannel lanes, index for index.
var laneNames = [...]string{"read", "write"}

func collectStorage(ch chan<- prometheus.Metric, src StorageSource) {
	s := src.Stats()
	for lane, byPrio := range s.Queued {
		for p, n := range byPrio {
			gauge(ch, dQueueDepth, float64(n), laneNames[lane], priorityName(p))
		}
	}
	gauge(ch, dQueueCap, float64(s.QueueCap))
	gauge(ch, dWorkers, float64(s.Workers))
	gauge(ch, dWorkersBusy, float64(s.WorkersBusy))
	other := s.Failed - min(s.Failed, s.TimedOut+s.Busy+s.Unavailable+s.Panics)
	counter(ch, dJobs, float64(s.Completed), "ok")
	counter(ch, dJobs, float64(s.TimedOut), "timeout")
	counter(ch, dJobs, float64(s.Busy), "busy")
	counter(ch, dJobs, float64(s.Unavailable), "unavailable")
	counter(ch, dJobs, float64(s.Panics), "panic")
	counter(ch, dJobs, float64(other), "other_error")
	counter(ch, dGroups, float64(s.Groups))
	counter(ch, dGroupedJobs, float64(s.GroupedJobs))
	gauge(ch, dMaxGroup, float64(s.MaxGroupSize))
	counter(ch, dCommitErrors, float64(s.CommitErrors))
	counter(ch, dCommitSec, s.CommitTime.Seconds())
	counter(ch, dBackpressure, float64(s.Backpressure))
	counter(ch, dBPSec, s.BackpressureTime.Seconds())
	counter(ch, dBPRejected, float64(s.RejectedFull))
	counter(ch, dBackground, float64(s.ExpireCycles), "expire_cycles")
	counter(ch, dBackground, float64(s.ExpiredKeys), "expired_keys")
	counter(ch, dBackground, float64(s.GCRuns), "gc_runs")
	counter(ch, dBackground, float64(s.GCRemoved), "gc_removed")
	counter(ch, dBackground, float64(s.BackgroundErrors), "errors")
}

func collectEngine(ch chan<- prometheus.Metric, src EngineSource) {
	s, name := src.Stats(), src.Name()
	gauge(ch, dEngDisk, float64(s.DiskUsageBytes), name)
	gauge(ch, dEngMemtable, float64(s.MemtableBytes), name)
	gauge(ch, dEngL0Files, float64(s.L0Files), name)
	gauge(ch, dEngL0Sub, float64(s.L0Sublevels), name)
	gauge(ch, dEngPending, float64(s.PendingCompactionBytes), name)
	counter(ch, dEngCompaction, float64(s.Compactions), name)
	counter(ch, dEngFlushes, float64(s.Flushes), name)
	counter(ch, dEngStalls, float64(s.WriteStalls), name)
	gauge(ch, dEngStopped, boolValue(s.WriteStopped), name)
}

// priorityName is the priority label value of MessageChannel priority p.
func priorityName(p int) string {
	switch msgchan.Priority(p) {
	case msgchan.High:
		return "high"
	case msgchan.Normal:
		return "normal"
	case msgchan.Low:
		return "low"
	}
	return strconv.Itoa(p)
}
