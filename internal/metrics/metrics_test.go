package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/msgchan"
	"github.com/kiwidb/kiwi/internal/server"
	"github.com/kiwidb/kiwi/internal/slots"
	"github.com/kiwidb/kiwi/internal/storage"
)

type fakeServer struct{ s server.Stats }

func (f *fakeServer) Stats() server.Stats { return f.s }

type fakeStorage struct{ s storage.Stats }

func (f *fakeStorage) Stats() storage.Stats { return f.s }

type fakeEngine struct{ s engine.Stats }

func (f *fakeEngine) Name() string        { return "pebble" }
func (f *fakeEngine) Stats() engine.Stats { return f.s }

func TestCollector(t *testing.T) {
	m := New()
	srv := &fakeServer{server.Stats{
		Serving: true, ConnectedClients: 3, ConnectionsAccepted: 10, ConnectionsRejected: 2,
		Slots:          slots.Stats{Size: 8, InUse: 1, Waiting: 4, Waited: 5, WaitTime: 2 * time.Second},
		PerCommand:     []server.CommandStats{{Name: "get", Calls: 7, Errors: 1}, {Name: "set", Calls: 9}},
		BlockedClients: 2,
		PubSub:         server.PubSubStats{Channels: 3, Patterns: 1, OutputLimitDisconnections: 4},
	}}
	st := &fakeStorage{storage.Stats{Completed: 20, Failed: 5, TimedOut: 2, Busy: 1, Groups: 4, GroupedJobs: 12,
		Backpressure: 3, BackpressureTime: time.Second, QueueCap: 100, Workers: 4, WorkersBusy: 2}}
	st.s.Queued[1][1] = 6
	eng := &fakeEngine{engine.Stats{DiskUsageBytes: 4096, L0Files: 2, WriteStalls: 1}}
	m.SetSources(Sources{Server: srv, Storage: st, Engine: eng})
	m.CommandObserver("get").Observe(0.001)

	want := `
# HELP kiwi_commands_total Commands received, by command (unknown commands: other).
# TYPE kiwi_commands_total counter
kiwi_commands_total{command="get"} 7
kiwi_commands_total{command="set"} 9
# HELP kiwi_command_errors_total Commands answered with an error reply, by command.
# TYPE kiwi_command_errors_total counter
kiwi_command_errors_total{command="get"} 1
kiwi_command_errors_total{command="set"} 0
# HELP kiwi_connections Open client connections.
# TYPE kiwi_connections gauge
kiwi_connections 3
# HELP kiwi_connections_rejected_total Client connections refused because maxclients was reached.
# TYPE kiwi_connections_rejected_total counter
kiwi_connections_rejected_total 2
# HELP kiwi_network_queue_length Connections waiting for a network-stage slot.
# TYPE kiwi_network_queue_length gauge
kiwi_network_queue_length 4
# HELP kiwi_storage_backpressure_seconds_total Total time submitters spent blocked on a full MessageChannel.
# TYPE kiwi_storage_backpressure_seconds_total counter
kiwi_storage_backpressure_seconds_total 1
# HELP kiwi_blocked_clients Clients blocked in a blocking command (BLPOP, BZPOPMIN...).
# TYPE kiwi_blocked_clients gauge
kiwi_blocked_clients 2
# HELP kiwi_pubsub_subscriptions Pub/Sub channels, patterns and shard channels with at least one subscriber.
# TYPE kiwi_pubsub_subscriptions gauge
kiwi_pubsub_subscriptions{kind="channel"} 3
kiwi_pubsub_subscriptions{kind="pattern"} 1
kiwi_pubsub_subscriptions{kind="shard_channel"} 0
# HELP kiwi_client_output_buffer_limit_disconnections_total Connections closed at client-output-buffer-limit (slow Pub/Sub subscribers).
# TYPE kiwi_client_output_buffer_limit_disconnections_total counter
kiwi_client_output_buffer_limit_disconnections_total 4
# HELP kiwi_engine_write_stalls_total Write stalls.
# TYPE kiwi_engine_write_stalls_total counter
kiwi_engine_write_stalls_total{engine="pebble"} 1
`
	names := []string{"kiwi_commands_total", "kiwi_command_errors_total", "kiwi_connections",
		"kiwi_connections_rejected_total", "kiwi_network_queue_length",
		"kiwi_storage_backpressure_seconds_total", "kiwi_engine_write_stalls_total",
		"kiwi_blocked_clients", "kiwi_pubsub_subscriptions", "kiwi_client_output_buffer_limit_disconnections_total"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}

	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
	}
	for _, n := range []string{"go_goroutines", "process_cpu_seconds_total", "kiwi_command_duration_seconds",
		"kiwi_storage_queue_depth", "kiwi_storage_jobs_total", "kiwi_engine_disk_usage_bytes", "kiwi_runtime_up"} {
		if !found[n] {
			t.Errorf("metric %s not gathered", n)
		}
	}
	if n := testutil.CollectAndCount(m.snapshot, "kiwi_storage_queue_depth"); n != 6 {
		t.Errorf("queue depth series = %d, want 6 (2 lanes x 3 priorities)", n)
	}

	// Counters follow the sources' cumulative numbers.
	srv.s.PerCommand[1].Calls = 19
	want = `
# HELP kiwi_commands_total Commands received, by command (unknown commands: other).
# TYPE kiwi_commands_total counter
kiwi_commands_total{command="get"} 7
kiwi_commands_total{command="set"} 19
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "kiwi_commands_total"); err != nil {
		t.Fatal(err)
	}
}

func TestNoSources(t *testing.T) {
	if _, err := New().Registry().Gather(); err != nil {
		t.Fatal(err)
	}
}

// TestStorageHistograms: the storage observer's observations show up in
// the /metrics text with their labels, every label child exists from the
// start, and observing allocates nothing.
func TestStorageHistograms(t *testing.T) {
	m := New()
	m.SetSources(Sources{Engine: &fakeEngine{engine.Stats{WriteStopped: true}}})
	obs := m.StorageObserver()
	obs.ObserveQueueWait(msgchan.Normal, 3*time.Millisecond)
	obs.ObserveQueueWait(msgchan.Normal, 5*time.Microsecond)
	obs.ObserveQueueWait(msgchan.High, time.Microsecond)
	obs.ObserveRun(storage.KindWrite, msgchan.Normal, 200*time.Microsecond)
	obs.ObserveRun(storage.KindRead, msgchan.High, 10*time.Microsecond)
	obs.ObserveRun(storage.KindBackground, msgchan.Low, time.Millisecond)
	obs.ObserveCommit(3, 2*time.Millisecond)
	obs.ObserveCommit(1, time.Millisecond)
	// Out-of-range labels are dropped, not a panic.
	obs.ObserveQueueWait(msgchan.Priority(9), time.Second)
	obs.ObserveRun(storage.RunKind(9), msgchan.Normal, time.Second)

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE kiwi_storage_queue_wait_seconds histogram",
		`kiwi_storage_queue_wait_seconds_count{priority="normal"} 2`,
		`kiwi_storage_queue_wait_seconds_count{priority="high"} 1`,
		`kiwi_storage_queue_wait_seconds_count{priority="low"} 0`,
		`kiwi_storage_queue_wait_seconds_bucket{priority="normal",le="4e-06"} 0`,
		`kiwi_storage_queue_wait_seconds_bucket{priority="normal",le="1.6e-05"} 1`,
		"# TYPE kiwi_storage_operation_duration_seconds histogram",
		`kiwi_storage_operation_duration_seconds_count{kind="write",priority="normal"} 1`,
		`kiwi_storage_operation_duration_seconds_count{kind="read",priority="high"} 1`,
		`kiwi_storage_operation_duration_seconds_count{kind="background",priority="low"} 1`,
		`kiwi_storage_operation_duration_seconds_count{kind="read",priority="low"} 0`,
		"# TYPE kiwi_storage_commit_group_jobs histogram",
		"kiwi_storage_commit_group_jobs_sum 4",
		"kiwi_storage_commit_group_jobs_count 2",
		`kiwi_storage_commit_group_jobs_bucket{le="2"} 1`,
		"# TYPE kiwi_storage_commit_duration_seconds histogram",
		"kiwi_storage_commit_duration_seconds_count 2",
		"kiwi_storage_commit_duration_seconds_sum 0.003",
		"# TYPE kiwi_engine_write_stopped gauge",
		`kiwi_engine_write_stopped{engine="pebble"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := testutil.CollectAndCount(m.storage.opDuration); n != storage.NumRunKinds*msgchan.NumPriorities {
		t.Errorf("operation duration series = %d, want %d", n, storage.NumRunKinds*msgchan.NumPriorities)
	}

	allocs := testing.AllocsPerRun(100, func() {
		obs.ObserveQueueWait(msgchan.Normal, time.Millisecond)
		obs.ObserveRun(storage.KindWrite, msgchan.Normal, time.Millisecond)
		obs.ObserveCommit(4, time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("observing allocates %v times", allocs)
	}
}

// BenchmarkStorageObserver is the cost the storage runtime pays per job
// with metrics on: one queue wait and one run observation.
func BenchmarkStorageObserver(b *testing.B) {
	obs := New().StorageObserver()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			obs.ObserveQueueWait(msgchan.Normal, 3*time.Microsecond)
			obs.ObserveRun(storage.KindWrite, msgchan.Normal, 20*time.Microsecond)
		}
	})
}
