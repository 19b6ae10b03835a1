package server

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/storage"
)

// infoSection renders one INFO section body (without its header).
type infoSection struct {
	name  string // lower case, as INFO takes it
	title string // as the "# Title" header shows it
	// inDefault: part of INFO with no argument and of INFO default.
	inDefault bool
	render    func(r *infoRun, sb *strings.Builder)
}

// infoSections are the INFO sections in output order: Redis's order for
// the sections Redis has, Kiwi's own (runtime, storage) before keyspace.
// As in Redis, commandstats is only shown when asked for (or with all,
// everything).
var infoSections = []infoSection{
	{"server", "Server", true, (*infoRun).server},
	{"clients", "Clients", true, (*infoRun).clients},
	{"memory", "Memory", true, (*infoRun).memory},
	{"persistence", "Persistence", true, (*infoRun).persistence},
	{"stats", "Stats", true, (*infoRun).stats},
	{"replication", "Replication", true, (*infoRun).replication},
	{"cpu", "CPU", true, (*infoRun).cpu},
	{"commandstats", "Commandstats", false, (*infoRun).commandstats},
	{"cluster", "Cluster", true, (*infoRun).cluster},
	{"runtime", "Runtime", true, (*infoRun).runtime},
	{"storage", "Storage", true, (*infoRun).storage},
	{"keyspace", "Keyspace", true, (*infoRun).keyspace},
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

// infoRun is one INFO reply being built: the statistics several sections
// show are gathered once, on first use.
type infoRun struct {
	s *Server

	stor       storage.Stats
	hasStorage bool
	storageSet bool

	engine    engine.Stats
	engineSet bool
}

func (r *infoRun) storageStats() (storage.Stats, bool) {
	if !r.storageSet {
		r.stor, r.hasStorage = r.s.storageStats()
		r.storageSet = true
	}
	return r.stor, r.hasStorage
}

// engineStats returns the engine's statistics: the same call, hence the
// same numbers, as the kiwi_engine_* metrics.
func (r *infoRun) engineStats() engine.Stats {
	if !r.engineSet {
		r.engine = r.s.ks.Engine().Stats()
		r.engineSet = true
	}
	return r.engine
}

// infoSelect returns the sections INFO args (after the command name)
// select, as Redis 7 does: no argument or "default" the default sections,
// "all" and "everything" every section, other names (any case) that
// section; unknown names select nothing.
func infoSelect(args [][]byte) []*infoSection {
	want := map[string]bool{}
	all, def := false, len(args) == 0
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "all", "everything":
			all = true
		case "default":
			def = true
		default:
			want[name] = true
		}
	}
	var out []*infoSection
	for i := range infoSections {
		sec := &infoSections[i]
		if all || want[sec.name] || (def && sec.inDefault) {
			out = append(out, sec)
		}
	}
	return out
}

func cmdInfo(c *client, args [][]byte) {
	c.out.WriteVerbatim("txt", c.s.info(args[1:]))
}

// info renders the INFO reply for the section arguments.
func (s *Server) info(args [][]byte) string {
	r := &infoRun{s: s}
	var sb strings.Builder
	for _, sec := range infoSelect(args) {
		if sb.Len() > 0 {
			sb.WriteString("\r\n")
		}
		sb.WriteString("# " + sec.title + "\r\n")
		sec.render(r, &sb)
	}
	return sb.String()
}

func field(sb *strings.Builder, name string, value any) {
	fmt.Fprintf(sb, "%s:%v\r\n", name, value)
}

// bytesToHuman formats n as Redis's bytesToHuman does (used_memory_human).
func bytesToHuman(n uint64) string {
	units := []string{"K", "M", "G", "T", "P", "E"}
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.2f%s", v, units[i])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sub returns a - b, or 0 if b is larger (a counter read before a
// concurrent reset).
func sub[T int64 | uint64](a, b T) T {
	if b > a {
		return 0
	}
	return a - b
}

func (r *infoRun) server(sb *strings.Builder) {
	s := r.s
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
	field(sb, "config_file", s.configFile)
	field(sb, "storage_engine", s.ks.Engine().Name())
	field(sb, "runtime_mode", cfg.Runtime.Mode)
}

func (r *infoRun) clients(sb *strings.Builder) {
	s := r.s
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	field(sb, "connected_clients", n)
	field(sb, "cluster_connections", 0)
	field(sb, "maxclients", s.Config().MaxClients)
	field(sb, "blocked_clients", s.blocked.blockedClients())
	field(sb, "network_slots", s.slots.Size())
	field(sb, "network_slots_in_use", s.slots.InUse())
	field(sb, "network_queue_length", s.slots.Waiting())
}

// blockCacheProperties are the engine properties that hold the block
// cache's size, by backend.
var blockCacheProperties = []string{"pebble.block-cache-bytes", "leveldb.block-cache-bytes", "rocksdb.block-cache-usage"}

// memory reports the Go heap as Redis reports its allocator: used_memory
// is the heap in use (HeapAlloc), used_memory_rss the process's resident
// set (Linux), plus the Go runtime's and the engine's own numbers.
func (r *infoRun) memory(sb *strings.Builder) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	field(sb, "used_memory", m.HeapAlloc)
	field(sb, "used_memory_human", bytesToHuman(m.HeapAlloc))
	rss, hasRSS := residentBytes()
	if hasRSS {
		field(sb, "used_memory_rss", rss)
		field(sb, "used_memory_rss_human", bytesToHuman(rss))
	}
	ss := r.s.scripts.Stats()
	field(sb, "used_memory_lua", ss.VMMemory)
	field(sb, "used_memory_vm_eval", ss.VMMemory)
	field(sb, "used_memory_lua_human", bytesToHuman(uint64(ss.VMMemory)))
	field(sb, "used_memory_scripts_eval", ss.Bytes)
	field(sb, "number_of_cached_scripts", ss.Scripts)
	field(sb, "maxmemory", 0)
	field(sb, "maxmemory_human", "0B")
	field(sb, "maxmemory_policy", "noeviction")
	if hasRSS && m.HeapAlloc > 0 {
		field(sb, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", float64(rss)/float64(m.HeapAlloc)))
	}
	field(sb, "mem_allocator", "go")
	field(sb, "go_heap_sys", m.HeapSys)
	field(sb, "go_heap_idle", m.HeapIdle)
	field(sb, "go_heap_released", m.HeapReleased)
	field(sb, "go_stack_inuse", m.StackInuse)
	field(sb, "go_sys", m.Sys)
	field(sb, "go_gc_count", m.NumGC)
	field(sb, "go_next_gc", m.NextGC)
	es := r.engineStats()
	field(sb, "engine_memtable_bytes", es.MemtableBytes)
	for _, p := range blockCacheProperties {
		if v, ok := es.Properties[p]; ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				field(sb, "engine_block_cache_bytes", n)
			}
			break
		}
	}
}

// residentBytes reads the process's resident set size from
// /proc/self/statm (Linux); false where it is not available.
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}

// persistence reports Redis's RDB/AOF fields with the values that are true
// of Kiwi, which has neither: every write is committed to the storage
// engine before its reply (fsynced when storage.sync is on), so there are
// no changes waiting for a save and no save or rewrite ever runs.
// rdb_last_save_time is the start time, as in a Redis that never saved.
func (r *infoRun) persistence(sb *strings.Builder) {
	s := r.s
	cfg := s.Config()
	field(sb, "loading", 0)
	field(sb, "async_loading", 0)
	field(sb, "rdb_changes_since_last_save", 0)
	field(sb, "rdb_bgsave_in_progress", 0)
	field(sb, "rdb_last_save_time", s.started.Unix())
	field(sb, "rdb_last_bgsave_status", "ok")
	field(sb, "rdb_last_bgsave_time_sec", -1)
	field(sb, "rdb_current_bgsave_time_sec", -1)
	field(sb, "rdb_saves", 0)
	field(sb, "aof_enabled", 0)
	field(sb, "aof_rewrite_in_progress", 0)
	field(sb, "aof_rewrite_scheduled", 0)
	field(sb, "aof_last_rewrite_time_sec", -1)
	field(sb, "aof_current_rewrite_time_sec", -1)
	field(sb, "aof_last_bgrewrite_status", "ok")
	field(sb, "aof_rewrites", 0)
	field(sb, "aof_last_write_status", "ok")
	field(sb, "storage_engine", s.ks.Engine().Name())
	field(sb, "storage_sync", boolInt(cfg.Storage.Sync))
}

// stats reports the network runtime's counters minus their value at the
// last CONFIG RESETSTAT.
func (r *infoRun) stats(sb *strings.Builder) {
	s := r.s
	st := &s.stats
	ss, hasStorage := r.storageStats()
	s.baseMu.Lock()
	b := s.base
	var cmds uint64
	for _, cs := range s.cmdList {
		cmds += sub(cs.calls.Load(), cs.base.calls)
	}
	s.baseMu.Unlock()
	field(sb, "total_connections_received", sub(st.connsReceived.Load(), b.connsReceived))
	field(sb, "total_commands_processed", cmds)
	field(sb, "total_net_input_bytes", sub(st.netInput.Load(), b.netInput))
	field(sb, "total_net_output_bytes", sub(st.netOutput.Load(), b.netOutput))
	field(sb, "rejected_connections", sub(st.connsRejected.Load(), b.connsRejected))
	if hasStorage {
		field(sb, "expired_keys", sub(ss.ExpiredKeys, b.expiredKeys))
	}
	field(sb, "evicted_keys", 0)
	s.pubsubInfo(sb)
	field(sb, "total_error_replies", sub(st.errorReplies.Load(), b.errorReplies))
	field(sb, "client_output_buffer_limit_disconnections", sub(st.outputLimitKills.Load(), b.outputLimitKills))
}

func (r *infoRun) replication(sb *strings.Builder) {
	field(sb, "role", "master")
	field(sb, "connected_slaves", 0)
	field(sb, "master_failover_state", "no-failover")
	field(sb, "master_replid", r.s.runID)
	field(sb, "master_replid2", strings.Repeat("0", 40))
	field(sb, "master_repl_offset", 0)
	field(sb, "second_repl_offset", -1)
	field(sb, "repl_backlog_active", 0)
	field(sb, "repl_backlog_size", 0)
	field(sb, "repl_backlog_first_byte_offset", 0)
	field(sb, "repl_backlog_histlen", 0)
}

func (r *infoRun) cpu(sb *strings.Builder) {
	self, children, ok := cpuTimes()
	if !ok {
		return
	}
	secs := func(d time.Duration) string {
		return fmt.Sprintf("%d.%06d", d/time.Second, (d%time.Second)/time.Microsecond)
	}
	field(sb, "used_cpu_sys", secs(self.sys))
	field(sb, "used_cpu_user", secs(self.user))
	field(sb, "used_cpu_sys_children", secs(children.sys))
	field(sb, "used_cpu_user_children", secs(children.user))
}

// cpuTime is CPU time spent in the kernel and in user space.
type cpuTime struct{ sys, user time.Duration }

// commandstats reports, for every command called since the last CONFIG
// RESETSTAT, Redis 7's cmdstat line. calls are the calls that ran;
// rejected_calls those refused before running (wrong arity, NOAUTH);
// failed_calls those that ran and replied with an error; usec the time
// charged to them, measured as kiwi_command_duration_seconds measures it.
// Container commands (CONFIG, CLIENT, …) are one line, as in the metrics.
func (r *infoRun) commandstats(sb *strings.Builder) {
	s := r.s
	s.baseMu.Lock()
	defer s.baseMu.Unlock()
	for _, cs := range s.cmdList {
		if cs == s.otherStat {
			continue
		}
		n := cs.load()
		calls, usec := sub(n.calls, cs.base.calls), sub(n.usec, cs.base.usec)
		rejected, failed := sub(n.rejected, cs.base.rejected), sub(n.failed, cs.base.failed)
		if calls == 0 && rejected == 0 && failed == 0 {
			continue
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		fmt.Fprintf(sb, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cs.name, calls, usec, perCall, rejected, failed)
	}
}

func (r *infoRun) cluster(sb *strings.Builder) {
	field(sb, "cluster_enabled", 0)
}

// runtime reports both runtimes: network slots and queue, and the
// storage runtime's MessageChannel, workers and group commits.
func (r *infoRun) runtime(sb *strings.Builder) {
	s := r.s
	cfg := s.Config()
	field(sb, "runtime_mode", cfg.Runtime.Mode)
	field(sb, "network_slots", s.slots.Size())
	field(sb, "network_slots_in_use", s.slots.InUse())
	field(sb, "network_queue_length", s.slots.Waiting())
	ss, ok := r.storageStats()
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

// storage reports the engine's statistics: the values of the
// kiwi_engine_* metrics, named without the kiwi_ prefix and _total suffix.
func (r *infoRun) storage(sb *strings.Builder) {
	es := r.engineStats()
	field(sb, "engine", r.s.ks.Engine().Name())
	field(sb, "engine_disk_usage_bytes", es.DiskUsageBytes)
	field(sb, "engine_memtable_bytes", es.MemtableBytes)
	field(sb, "engine_l0_files", es.L0Files)
	field(sb, "engine_l0_sublevels", es.L0Sublevels)
	field(sb, "engine_pending_compaction_bytes", es.PendingCompactionBytes)
	field(sb, "engine_compactions", es.Compactions)
	field(sb, "engine_flushes", es.Flushes)
	field(sb, "engine_write_stalls", es.WriteStalls)
	field(sb, "engine_write_stopped", boolInt(es.WriteStopped))
}

func (r *infoRun) keyspace(sb *strings.Builder) {
	ks := r.s.ks
	for db := 0; db < ks.Databases(); db++ {
		keys := ks.KeyCount(db)
		if keys == 0 {
			continue
		}
		fmt.Fprintf(sb, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, keys, ks.ExpireCount(db))
	}
}

// statsBase is the value of the INFO stats counters at the last CONFIG
// RESETSTAT.
type statsBase struct {
	connsReceived, connsRejected, netInput, netOutput, errorReplies int64
	outputLimitKills                                                int64
	expiredKeys                                                     uint64
}

// ResetStats is CONFIG RESETSTAT: from now on INFO stats and INFO
// commandstats count from zero. As in Redis it resets the connection,
// command, network byte, error reply and expired key counters and the
// per-command statistics; the slow log, the latency monitor and the engine
// statistics are kept. The counters behind /metrics are not touched (they
// stay monotonic): INFO subtracts the values recorded here.
func (s *Server) ResetStats() {
	ss, _ := s.storageStats()
	st := &s.stats
	s.baseMu.Lock()
	defer s.baseMu.Unlock()
	s.base = statsBase{
		connsReceived:    st.connsReceived.Load(),
		connsRejected:    st.connsRejected.Load(),
		netInput:         st.netInput.Load(),
		netOutput:        st.netOutput.Load(),
		errorReplies:     st.errorReplies.Load(),
		outputLimitKills: st.outputLimitKills.Load(),
		expiredKeys:      ss.ExpiredKeys,
	}
	for _, cs := range s.cmdList {
		cs.base = cs.load()
	}
}
