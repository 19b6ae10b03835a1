package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is the whole server configuration. The zero value is not useful:
// start from Default (or Parse / LoadFile) and check changes with Validate.
//
// Each field is one option; its TOML / command-line / CONFIG name is given
// in the field comment. Config holds no pointers, maps or slices, so a plain
// copy is a deep copy (see Clone).
type Config struct {
	// Bind is the address to listen on (bind). Restart-only.
	Bind string
	// Port is the TCP port (port); 0 picks a random free port. Restart-only.
	Port int
	// Dir is the data directory (dir). Restart-only.
	Dir string
	// RequirePass is the password AUTH must present; "" disables
	// authentication (requirepass). Live.
	RequirePass string
	// MaxClients is the most client connections (maxclients). Live.
	MaxClients int
	// Timeout closes a client idle for this many seconds; 0 = never
	// (timeout). Live.
	Timeout int
	// Databases is the number of logical databases (databases). Restart-only.
	Databases int
	// ProtoMaxBulkLen is the longest bulk string a client may send, in bytes
	// (proto-max-bulk-len). Live.
	ProtoMaxBulkLen int64
	// ClientQueryBufferLimit is the most bytes one client request may
	// occupy (client-query-buffer-limit). Live.
	ClientQueryBufferLimit int64
	// ClientOutputBufferLimit holds the output buffer limits of the client
	// classes in Redis's CONFIG GET form, "normal 0 0 0 slave 268435456
	// 67108864 60 pubsub 33554432 8388608 60" (client-output-buffer-limit);
	// read it with OutputBufferLimitOf. Live.
	ClientOutputBufferLimit string
	// PidFile is written with the process id at start; "" = none (pidfile).
	// Restart-only.
	PidFile string
	// TCPKeepalive is the TCP keepalive period of client connections in
	// seconds; 0 = off (tcp-keepalive). Live.
	TCPKeepalive int
	// SlowlogLogSlowerThan is the duration in microseconds from which a
	// command is recorded in the slow log; -1 disables the slow log, 0
	// records every command (slowlog-log-slower-than). Live.
	SlowlogLogSlowerThan int
	// SlowlogMaxLen is the most entries the slow log keeps
	// (slowlog-max-len). Live.
	SlowlogMaxLen int
	// LatencyMonitorThreshold is the latency in milliseconds from which
	// the latency monitor records a spike; 0 disables it
	// (latency-monitor-threshold). Live.
	LatencyMonitorThreshold int
	// StreamNodeMaxEntries and StreamNodeMaxBytes are the node sizes of
	// Redis's stream encoding, which decide what approximate trimming
	// removes (stream-node-max-entries, stream-node-max-bytes; 0 = no
	// limit). Live.
	StreamNodeMaxEntries int
	StreamNodeMaxBytes   int64

	// Compat holds the Redis compatibility options.
	Compat CompatConfig
	// Storage holds the [storage] section.
	Storage StorageConfig
	// Runtime holds the [runtime] section.
	Runtime RuntimeConfig
	// Log holds the [log] section.
	Log LogConfig
	// Metrics holds the [metrics] section.
	Metrics MetricsConfig
}

// CompatConfig holds options Redis has and Redis tools query (CONFIG GET
// save, appendonly), which Kiwi accepts, remembers and reports but which
// have no effect: Kiwi persists every write in its storage engine.
type CompatConfig struct {
	// Save is Redis's RDB snapshot schedule (save).
	Save string
	// AppendOnly is Redis's AOF switch (appendonly).
	AppendOnly bool

	// Redis tuning options that test harnesses and tools set (the
	// encoding thresholds, lazyfree, eviction...): accepted, remembered,
	// reported, no effect.
	// HashMaxListpackEntries is Redis's hash-max-listpack-entries.
	HashMaxListpackEntries int
	// HashMaxListpackValue is Redis's hash-max-listpack-value.
	HashMaxListpackValue int
	// ZSetMaxListpackEntries is Redis's zset-max-listpack-entries.
	ZSetMaxListpackEntries int
	// ZSetMaxListpackValue is Redis's zset-max-listpack-value.
	ZSetMaxListpackValue int
	// SetMaxIntsetEntries is Redis's set-max-intset-entries.
	SetMaxIntsetEntries int
	// ListMaxListpackSize is Redis's list-max-listpack-size.
	ListMaxListpackSize int
	// ListCompressDepth is Redis's list-compress-depth.
	ListCompressDepth int
	// LuaTimeLimit is Redis's lua-time-limit (busy-reply-threshold), in
	// milliseconds: see package script.
	LuaTimeLimit int
	// HZ is Redis's hz.
	HZ int
	// MaxMemory is Redis's maxmemory.
	MaxMemory int64
	// ActiveRehashing is Redis's activerehashing.
	ActiveRehashing bool
	// LazyfreeLazyEviction is Redis's lazyfree-lazy-eviction.
	LazyfreeLazyEviction bool
	// LazyfreeLazyExpire is Redis's lazyfree-lazy-expire.
	LazyfreeLazyExpire bool
	// LazyfreeLazyServerDel is Redis's lazyfree-lazy-server-del.
	LazyfreeLazyServerDel bool
	// LazyfreeLazyUserDel is Redis's lazyfree-lazy-user-del.
	LazyfreeLazyUserDel bool
	// LazyfreeLazyUserFlush is Redis's lazyfree-lazy-user-flush.
	LazyfreeLazyUserFlush bool
	// LatencyTracking is Redis's latency-tracking.
	LatencyTracking bool
	// ReplicaServeStaleData is Redis's replica-serve-stale-data.
	ReplicaServeStaleData bool
	// ReplicaReadOnly is Redis's replica-read-only.
	ReplicaReadOnly bool
	// MinReplicasToWrite is Redis's min-replicas-to-write.
	MinReplicasToWrite int
	// MaxMemoryPolicy is Redis's maxmemory-policy.
	MaxMemoryPolicy string
	// AppendFsync is Redis's appendfsync.
	AppendFsync string
	// NotifyKeyspaceEvents is notify-keyspace-events, the keyspace
	// notification classes in canonical form (see package notify).
	NotifyKeyspaceEvents string
}

// StorageConfig is the [storage] section: the engine and its background work.
type StorageConfig struct {
	// Engine is the storage engine: "pebble", "leveldb" or "rocksdb"
	// (storage.engine). Restart-only.
	Engine string
	// Sync makes every commit group wait for an fsync of the write-ahead
	// log (storage.sync). Live.
	Sync bool
	// CacheSize is the engine block cache size in bytes (storage.cache-size).
	// Restart-only.
	CacheSize int64
	// ExpireInterval is the period of the active expiry cycle
	// (storage.expire-interval). Live.
	ExpireInterval time.Duration
	// ExpireBatch is the most keys one expiry step examines
	// (storage.expire-batch). Live.
	ExpireBatch int
	// GCInterval is the period of the sweep that removes the data of deleted
	// collections (storage.gc-interval). Live.
	GCInterval time.Duration
	// GCBatch is the most records one sweep step removes (storage.gc-batch).
	// Live.
	GCBatch int
}

// RuntimeConfig is the [runtime] section: the network and storage runtimes
// and the MessageChannel between them.
type RuntimeConfig struct {
	// Mode is "dual" (network and storage runtimes) or "single" (storage
	// runs inline in the connection goroutine) (runtime.mode). Restart-only.
	Mode string
	// NetworkSlots is the size of the network-stage pool; 0 = 4×GOMAXPROCS
	// (runtime.network-slots). Live.
	NetworkSlots int
	// StorageWorkers is the number of storage read workers; 0 = 2×GOMAXPROCS
	// (runtime.storage-workers). Live.
	StorageWorkers int
	// ChannelCapacity is the capacity of the MessageChannel
	// (runtime.channel-capacity). Live.
	ChannelCapacity int
	// BackpressureTimeout is how long a connection waits on a full
	// MessageChannel before it gets an error reply; 0 = do not wait
	// (runtime.backpressure-timeout). Live.
	BackpressureTimeout time.Duration
	// RequestTimeout is the deadline of one request in the storage runtime
	// (runtime.request-timeout). Live.
	RequestTimeout time.Duration
	// MaxGroupSize is the most requests committed in one group
	// (runtime.max-group-size). Live.
	MaxGroupSize int
	// MaxPipeline is the most commands taken from one connection's buffer
	// into one request (runtime.max-pipeline). Live.
	MaxPipeline int
}

// LogConfig is the [log] section.
type LogConfig struct {
	// Level is "debug", "info", "warn" or "error" (log.level). Live.
	Level string
	// Format is "text" or "json" (log.format). Restart-only.
	Format string
}

// MetricsConfig is the [metrics] section: the HTTP admin listener.
type MetricsConfig struct {
	// Addr is the host:port of the HTTP admin listener serving /metrics,
	// /healthz and /readyz; "" disables it (metrics.addr). Restart-only.
	Addr string
}

// Default returns a new Config holding the default of every option. It is
// valid: Default().Validate() == nil.
func Default() *Config {
	c := defaults
	return &c
}

// Clone returns a copy of c that shares nothing with it.
func (c *Config) Clone() *Config {
	n := *c
	return &n
}

// Validate checks every option against its rule and the options against
// each other. It returns nil, or every problem found as *Error values
// joined with errors.Join.
func (c *Config) Validate() error {
	var errs []error
	for _, o := range options {
		v := o.load(c)
		if reason := o.check(v); reason != "" {
			errs = append(errs, &Error{Option: o.name, Value: o.literal(v), Reason: reason, Err: ErrInvalidValue})
		}
	}
	if len(errs) == 0 {
		// Cross-option rules only make sense once every value is valid.
		for _, e := range c.checkConstraints() {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// MergeLive returns a copy of c in which every live option has its value in
// next, for a reload of the configuration at runtime. Restart-only options
// keep c's value; the names of those whose value differs in next are
// returned, so that the caller can say they wait for a restart. next must be
// valid (as Parse and LoadFile return it).
func (c *Config) MergeLive(next *Config) (merged *Config, restartPending []string) {
	merged = c.Clone()
	for _, o := range options {
		nv := o.load(next)
		if o.live {
			o.store(merged, nv)
		} else if nv != o.load(c) {
			restartPending = append(restartPending, o.name)
		}
	}
	return merged, restartPending
}

// SlogLevel returns the slog level for a log.level value ("debug", "info",
// "warn", "error"); anything else, which Validate refuses, is Info.
func SlogLevel(level string) slog.Level {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// OutputBufferLimit is one client class's client-output-buffer-limit: a
// client whose pending output reaches Hard bytes is disconnected at once,
// one whose output stays at Soft bytes or more for longer than SoftSeconds
// is disconnected then. 0 disables a limit.
type OutputBufferLimit struct {
	Hard, Soft  int64
	SoftSeconds int64
}

// Output buffer limit classes, in Redis's order (CONFIG GET shows the
// replica class as "slave", as Redis 7.0 does).
const (
	OutputClassNormal = iota
	OutputClassReplica
	OutputClassPubSub
	numOutputClasses
)

var (
	outputClassNames = [numOutputClasses]string{"normal", "slave", "pubsub"}
	// defaultOutputLimits are Redis's defaults, the base of a value that
	// does not name every class.
	defaultOutputLimits = [numOutputClasses]OutputBufferLimit{
		{},
		{Hard: 256 * mib, Soft: 64 * mib, SoftSeconds: 60},
		{Hard: 32 * mib, Soft: 8 * mib, SoftSeconds: 60},
	}
)

// OutputBufferLimitOf returns the limits of class (OutputClassNormal,
// OutputClassReplica or OutputClassPubSub).
func (c *Config) OutputBufferLimitOf(class int) OutputBufferLimit {
	limits, reason := parseOutputLimits(defaultOutputLimits, c.ClientOutputBufferLimit)
	if reason != "" {
		return defaultOutputLimits[class] // not reached on a validated Config
	}
	return limits[class]
}

// mergeOutputLimits reads s, "<class> <hard> <soft> <soft-seconds>
// [<class> ...]" as Redis's client-output-buffer-limit takes it, over the
// limits in cur ("" = the defaults), and returns the result in CONFIG GET
// form, or the reason s cannot be read (Redis's wording).
func mergeOutputLimits(cur, s string) (string, string) {
	base := defaultOutputLimits
	if cur != "" {
		var reason string
		if base, reason = parseOutputLimits(defaultOutputLimits, cur); reason != "" {
			base = defaultOutputLimits
		}
	}
	limits, reason := parseOutputLimits(base, s)
	if reason != "" {
		return "", reason
	}
	if len(strings.Fields(s)) == 0 {
		return cur, "" // nothing to change ("" stays "": the defaults)
	}
	var b strings.Builder
	for i, l := range limits {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s %d %d %d", outputClassNames[i], l.Hard, l.Soft, l.SoftSeconds)
	}
	return b.String(), ""
}

// checkOutputLimits accepts the values mergeOutputLimits returns: the
// CONFIG GET form, or "" for the defaults.
func checkOutputLimits(s string) bool {
	c, reason := mergeOutputLimits("", s)
	return reason == "" && c == s
}

// parseOutputLimits applies the class quadruples of s to base, as Redis's
// setConfigClientOutputBufferLimitOption: all of them or, on error, none.
func parseOutputLimits(base [numOutputClasses]OutputBufferLimit, s string) ([numOutputClasses]OutputBufferLimit, string) {
	f := strings.Fields(s)
	if len(f)%4 != 0 {
		return base, "Wrong number of arguments in buffer limit configuration."
	}
	out := base
	for i := 0; i < len(f); i += 4 {
		class := -1
		switch strings.ToLower(f[i]) {
		case "normal":
			class = OutputClassNormal
		case "replica", "slave":
			class = OutputClassReplica
		case "pubsub":
			class = OutputClassPubSub
		}
		if class < 0 {
			return base, "Invalid client class specified in buffer limit configuration."
		}
		hard, herr := parseSize(f[i+1])
		soft, serr := parseSize(f[i+2])
		secs, err := strconv.ParseInt(f[i+3], 10, 64)
		if herr != "" || serr != "" || err != nil || secs < 0 {
			return base, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		out[class] = OutputBufferLimit{Hard: hard, Soft: soft, SoftSeconds: secs}
	}
	return out, ""
}
