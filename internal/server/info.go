package server

import (
	"fmt"

	"github.com/kiwidb/kiwi/internal/storage"
	"os"
	"runtime"
	"strings"
	"time"
)

// infoSection renders one INFO section body (without its header).
type infoSection struct {
	name   string
	render func(s *Server, sb *strings.Builder)
}

// infoSections are the INFO sections in Redis's order; "default" and "all"
// select all of them.
var infoSections = []infoSection{
	{"server", (*Server).infoServer},
	{"clients", (*Server).infoClients},
	{"stats", (*Server).infoStats},
	{"runtime", (*Server).infoRuntime},
	{"keyspace", (*Server).infoKeyspace},
}

// statsSource is implemented by executors that report storage runtime
// statistics (both storage.Runtime and storage.Inline do).
type statsSource interface{ Stats() storage.Stats }

func (s *Server) storageStats() (storage.Stats, bool) {
	src, ok := s.exec.(statsSource)
	if !ok {
		return storage.Stats{}, false
	}
	return src.Stats(), true
}

func cmdInfo(c *client, args [][]byte) {
	want := map[string]bool{}
	all := len(args) == 1
	for _, a := range args[1:] {
		switch name := strings.ToLower(string(a)); name {
		case "all", "default", "everything":
			all = true
		default:
			want[name] = true
		}
	}
	var sb strings.Builder
	for _, sec := range infoSections {
		if !all && !want[sec.name] {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteString("\r\n")
		}
		sb.WriteString("# " + strings.ToUpper(sec.name[:1]) + sec.name[1:] + "\r\n")
		sec.render(c.s, &sb)
	}
	c.out.WriteVerbatim("txt", sb.String())
}

func field(sb *strings.Builder, name string, value any) {
	fmt.Fprintf(sb, "%s:%v\r\n", name, value)
}

func (s *Server) infoServer(sb *strings.Builder) {
	cfg := s.Config()
	now := time.Now()
	up := now.Sub(s.started)
	exe, _ := os.Executable()
	port := cfg.Port
	if a := s.listenAddr(); a != nil {
		port = a.Port
	}
	field(sb, "redis_version", redisVersion)
	field(sb, "kiwi_version", Version)
	field(sb, "redis_mode", "standalone")
	field(sb, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(sb, "arch_bits", 64)
	field(sb, "go_version", runtime.Version())
	field(sb, "process_id", os.Getpid())
	field(sb, "run_id", s.runID)
	field(sb, "tcp_port", port)
	field(sb, "server_time_usec", now.UnixMicro())
	field(sb, "uptime_in_seconds", int64(up/time.Second))
	field(sb, "uptime_in_days", int64(up/(24*time.Hour)))
	field(sb, "executable", exe)
	field(sb, "storage_engine", s.ks.Engine().Name())
	field(sb, "runtime_mode", cfg.Runtime.Mode)
}

func (s *Server) infoClients(sb *strings.Builder) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	field(sb, "connected_clients", n)
	field(sb, "cluster_connections", 0)
	field(sb, "maxclients", s.Config().MaxClients)
	field(sb, "blocked_clients", 0)
	field(sb, "network_slots", s.slots.Size())
	field(sb, "network_slots_in_use", s.slots.InUse())
	field(sb, "network_queue_length", s.slots.Waiting())
}

func (s *Server) infoStats(sb *strings.Builder) {
	st := &s.stats
	field(sb, "total_connections_received", st.connsReceived.Load())
	field(sb, "total_commands_processed", s.totalCommands())
	field(sb, "total_net_input_bytes", st.netInput.Load())
	field(sb, "total_net_output_bytes", st.netOutput.Load())
	field(sb, "rejected_connections", st.connsRejected.Load())
	field(sb, "total_error_replies", st.errorReplies.Load())
	if ss, ok := s.storageStats(); ok {
		field(sb, "expired_keys", ss.ExpiredKeys)
	}
}

// infoRuntime reports both runtimes: network slots and queue, and the
// storage runtime's MessageChannel, workers and group commits.
func (s *Server) infoRuntime(sb *strings.Builder) {
	cfg := s.Config()
	field(sb, "runtime_mode", cfg.Runtime.Mode)
	field(sb, "network_slots", s.slots.Size())
	field(sb, "network_slots_in_use", s.slots.InUse())
	field(sb, "network_queue_length", s.slots.Waiting())
	ss, ok := s.storageStats()
	if !ok {
		return
	}
	field(sb, "storage_queue_length", ss.QueueLen)
	field(sb, "storage_queue_capacity", ss.QueueCap)
	field(sb, "storage_workers", ss.Workers)
	field(sb, "storage_workers_busy", ss.WorkersBusy)
	field(sb, "storage_jobs_completed", ss.Completed)
	field(sb, "storage_jobs_failed", ss.Failed)
	field(sb, "storage_jobs_timed_out", ss.TimedOut)
	field(sb, "storage_jobs_rejected_busy", ss.Busy)
	field(sb, "storage_commit_groups", ss.Groups)
	field(sb, "storage_grouped_jobs", ss.GroupedJobs)
	field(sb, "storage_max_group_size", ss.MaxGroupSize)
	field(sb, "storage_commit_errors", ss.CommitErrors)
	field(sb, "storage_commit_time_us", ss.CommitTime.Microseconds())
	field(sb, "storage_backpressure_events", ss.Backpressure)
	field(sb, "storage_backpressure_time_us", ss.BackpressureTime.Microseconds())
	field(sb, "storage_expire_cycles", ss.ExpireCycles)
	field(sb, "storage_gc_runs", ss.GCRuns)
	field(sb, "storage_gc_removed", ss.GCRemoved)
}

func (s *Server) infoKeyspace(sb *strings.Builder) {
	for db := 0; db < s.ks.Databases(); db++ {
		keys := s.ks.KeyCount(db)
		if keys == 0 {
			continue
		}
		fmt.Fprintf(sb, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, keys, s.ks.ExpireCount(db))
	}
}
