package config

import (
	"fmt"
	"github.com/kiwidb/kiwi/internal/notify"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// options is the option table: the single source of every option's name,
// type, default, help, rule and mutability. Order matters: it is the order
// of --help, of the default TOML file, of the docs table and of CONFIG GET
// replies. Top-level options (Redis names) come first, then the Redis
// compatibility options, then one block per section. It is never modified
// after package initialisation.
var options = []*option{
	// Options Redis also has, under Redis's names.
	{
		name: "bind", kind: kindString, def: "127.0.0.1",
		help:  "Address to listen on: one host name or IP address (0.0.0.0 or :: for every interface).",
		ref:   func(c *Config) any { return &c.Bind },
		valid: checkHost, rule: "a single host name or IP address",
	},
	{
		name: "port", kind: kindInt, def: "7379", bounds: between(0, 65535),
		help: "TCP port to listen on; 0 picks a random free port (for tests).",
		ref:  func(c *Config) any { return &c.Port },
	},
	{
		name: "dir", kind: kindString, def: "./kiwi-data",
		help:  "Directory holding the database files.",
		ref:   func(c *Config) any { return &c.Dir },
		valid: checkNonEmpty, rule: "not empty",
	},
	{
		name: "requirepass", kind: kindString, def: "", live: true,
		help: "Password clients must give with AUTH; empty disables authentication.",
		ref:  func(c *Config) any { return &c.RequirePass },
	},
	{
		name: "maxclients", kind: kindInt, def: "10000", bounds: atLeast(1), live: true,
		help: "Most client connections at once; more are refused with an error.",
		ref:  func(c *Config) any { return &c.MaxClients },
	},
	{
		name: "timeout", kind: kindInt, def: "0", bounds: atLeast(0), live: true,
		help: "Close a client connection idle for this many seconds; 0 = never.",
		ref:  func(c *Config) any { return &c.Timeout },
	},
	{
		name: "databases", kind: kindInt, def: "16", bounds: between(1, 256),
		help: "Number of logical databases (SELECT 0 .. databases-1).",
		ref:  func(c *Config) any { return &c.Databases },
	},
	{
		name: "proto-max-bulk-len", kind: kindSize, def: "512mb", bounds: atLeast(mib), live: true,
		help: "Longest bulk string (argument) a client may send.",
		ref:  func(c *Config) any { return &c.ProtoMaxBulkLen },
	},
	{
		name: "client-query-buffer-limit", kind: kindSize, def: "1gb", bounds: atLeast(mib), live: true,
		help: "Most bytes one client request may occupy; must be at least proto-max-bulk-len.",
		ref:  func(c *Config) any { return &c.ClientQueryBufferLimit },
	},
	{
		name: "client-output-buffer-limit", kind: kindString, def: "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60", live: true,
		help:  "Output buffer limits per client class, as in Redis: class, hard limit, soft limit, soft seconds, for one or more of normal, replica and pubsub. Kiwi applies the pubsub class to subscribed connections (docs/pubsub.md).",
		ref:   func(c *Config) any { return &c.ClientOutputBufferLimit },
		merge: mergeOutputLimits, valid: checkOutputLimits,
		rule: "groups of four: class (normal, replica or slave, pubsub), hard and soft size, soft seconds",
	},
	{
		name: "notify-keyspace-events", kind: kindString, def: "", live: true,
		valid: validKeyspaceEvents, rule: "a combination of the classes K E g $ l s h z x e t m d n A",
		merge: mergeKeyspaceEvents,
		help:  "Keyspace notification classes (K E g $ l s h z x e t m d n A, as in Redis); empty: none.",
		ref:   func(c *Config) any { return &c.Compat.NotifyKeyspaceEvents },
	},
	{
		name: "pidfile", kind: kindString, def: "",
		help: "File the process id is written to at start; empty = no pid file.",
		ref:  func(c *Config) any { return &c.PidFile },
	},
	{
		name: "tcp-keepalive", kind: kindInt, def: "300", bounds: atLeast(0), live: true,
		help: "TCP keepalive period of client connections in seconds; 0 = off.",
		ref:  func(c *Config) any { return &c.TCPKeepalive },
	},
	{
		name: "slowlog-log-slower-than", kind: kindInt, def: "10000", bounds: atLeast(-1), live: true,
		help: "Record in the slow log the commands that take at least this many microseconds; -1 = off, 0 = every command.",
		ref:  func(c *Config) any { return &c.SlowlogLogSlowerThan },
	},
	{
		name: "slowlog-max-len", kind: kindInt, def: "128", bounds: atLeast(0), live: true,
		help: "Most entries the slow log keeps; the oldest are dropped.",
		ref:  func(c *Config) any { return &c.SlowlogMaxLen },
	},
	{
		name: "latency-monitor-threshold", kind: kindInt, def: "0", bounds: atLeast(0), live: true,
		help: "Record latency spikes (LATENCY LATEST/HISTORY) of at least this many milliseconds; 0 = off.",
		ref:  func(c *Config) any { return &c.LatencyMonitorThreshold },
	},
	{
		name: "stream-node-max-entries", kind: kindInt, def: "100", bounds: atLeast(0), live: true,
		help: "Entries per node of Redis's stream encoding, which Kiwi reproduces: approximate trimming (~) removes whole nodes; 0 = no limit.",
		ref:  func(c *Config) any { return &c.StreamNodeMaxEntries },
	},
	{
		name: "stream-node-max-bytes", kind: kindSize, def: "4096", bounds: atLeast(0), live: true,
		help: "Bytes per node of Redis's stream encoding (its listpack size), as stream-node-max-entries; 0 = no limit.",
		ref:  func(c *Config) any { return &c.StreamNodeMaxBytes },
	},

	// Redis compatibility options: Redis tools query them (redis-benchmark
	// runs CONFIG GET save and CONFIG GET appendonly). They are accepted,
	// remembered and reported, and have no effect. Add more here (for
	// example the *-max-listpack-* family) together with a CompatConfig
	// field.
	{
		name: "save", kind: kindString, def: "", live: true, compat: true,
		help: "Redis RDB snapshot schedule. Compatibility only: no effect, Kiwi persists every write.",
		ref:  func(c *Config) any { return &c.Compat.Save },
	},
	{
		name: "appendonly", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis append-only file switch. Compatibility only: no effect, Kiwi persists every write.",
		ref:  func(c *Config) any { return &c.Compat.AppendOnly },
	},
	{
		name: "hash-max-listpack-entries", kind: kindInt, def: "512", bounds: atLeast(0), live: true, compat: true,
		help: "Redis hash encoding threshold. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.HashMaxListpackEntries },
	},
	{
		name: "hash-max-ziplist-entries", kind: kindInt, def: "512", bounds: atLeast(0), live: true, compat: true, alias: "hash-max-listpack-entries",
		help: "Alias of hash-max-listpack-entries. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.HashMaxListpackEntries },
	},
	{
		name: "hash-max-listpack-value", kind: kindInt, def: "64", bounds: atLeast(0), live: true, compat: true,
		help: "Redis hash encoding threshold. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.HashMaxListpackValue },
	},
	{
		name: "hash-max-ziplist-value", kind: kindInt, def: "64", bounds: atLeast(0), live: true, compat: true, alias: "hash-max-listpack-value",
		help: "Alias of hash-max-listpack-value. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.HashMaxListpackValue },
	},
	{
		name: "zset-max-listpack-entries", kind: kindInt, def: "128", bounds: atLeast(0), live: true, compat: true,
		help: "Redis sorted-set encoding threshold. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ZSetMaxListpackEntries },
	},
	{
		name: "zset-max-ziplist-entries", kind: kindInt, def: "128", bounds: atLeast(0), live: true, compat: true, alias: "zset-max-listpack-entries",
		help: "Alias of zset-max-listpack-entries. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ZSetMaxListpackEntries },
	},
	{
		name: "zset-max-listpack-value", kind: kindInt, def: "64", bounds: atLeast(0), live: true, compat: true,
		help: "Redis sorted-set encoding threshold. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ZSetMaxListpackValue },
	},
	{
		name: "zset-max-ziplist-value", kind: kindInt, def: "64", bounds: atLeast(0), live: true, compat: true, alias: "zset-max-listpack-value",
		help: "Alias of zset-max-listpack-value. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ZSetMaxListpackValue },
	},
	{
		name: "set-max-intset-entries", kind: kindInt, def: "512", bounds: atLeast(0), live: true, compat: true,
		help: "Redis set encoding threshold. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.SetMaxIntsetEntries },
	},
	{
		name: "list-max-listpack-size", kind: kindInt, def: "-2", bounds: between(-5, 1<<31-1), live: true, compat: true,
		help: "Redis list node size. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ListMaxListpackSize },
	},
	{
		name: "list-max-ziplist-size", kind: kindInt, def: "-2", bounds: between(-5, 1<<31-1), live: true, compat: true, alias: "list-max-listpack-size",
		help: "Alias of list-max-listpack-size. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ListMaxListpackSize },
	},
	{
		name: "list-compress-depth", kind: kindInt, def: "0", bounds: atLeast(0), live: true, compat: true,
		help: "Redis list compression depth. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ListCompressDepth },
	},
	{
		name: "lua-time-limit", kind: kindInt, def: "5000", bounds: atLeast(0), live: true,
		help: "Milliseconds a Lua script may run before other clients get BUSY and SCRIPT KILL may stop it (Redis's busy-reply-threshold); 0: never busy.",
		ref:  func(c *Config) any { return &c.Compat.LuaTimeLimit },
	},
	{
		name: "busy-reply-threshold", kind: kindInt, def: "5000", bounds: atLeast(0), live: true, alias: "lua-time-limit",
		help: "Alias of lua-time-limit.",
		ref:  func(c *Config) any { return &c.Compat.LuaTimeLimit },
	},
	{
		name: "hz", kind: kindInt, def: "10", bounds: between(1, 500), live: true, compat: true,
		help: "Redis background task frequency; Kiwi's are storage.expire-interval and storage.gc-interval. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.HZ },
	},
	{
		name: "maxmemory", kind: kindSize, def: "0", bounds: atLeast(0), live: true, compat: true,
		help: "Redis memory limit; Kiwi keeps its data on disk and never evicts. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.MaxMemory },
	},
	{
		name: "activerehashing", kind: kindBool, def: "yes", live: true, compat: true,
		help: "Redis hash table rehashing. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ActiveRehashing },
	},
	{
		name: "lazyfree-lazy-eviction", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis background freeing; Kiwi always frees in the background. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LazyfreeLazyEviction },
	},
	{
		name: "lazyfree-lazy-expire", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis background freeing; Kiwi always frees in the background. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LazyfreeLazyExpire },
	},
	{
		name: "lazyfree-lazy-server-del", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis background freeing; Kiwi always frees in the background. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LazyfreeLazyServerDel },
	},
	{
		name: "lazyfree-lazy-user-del", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis background freeing; Kiwi always frees in the background. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LazyfreeLazyUserDel },
	},
	{
		name: "lazyfree-lazy-user-flush", kind: kindBool, def: "no", live: true, compat: true,
		help: "Redis background freeing; Kiwi always frees in the background. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LazyfreeLazyUserFlush },
	},
	{
		name: "latency-tracking", kind: kindBool, def: "yes", live: true, compat: true,
		help: "Redis per-command latency percentiles (INFO latencystats). Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.LatencyTracking },
	},
	{
		name: "replica-serve-stale-data", kind: kindBool, def: "yes", live: true, compat: true,
		help: "Redis replication option; Kiwi replicates with Raft. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ReplicaServeStaleData },
	},
	{
		name: "replica-read-only", kind: kindBool, def: "yes", live: true, compat: true,
		help: "Redis replication option; Kiwi replicates with Raft. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.ReplicaReadOnly },
	},
	{
		name: "min-replicas-to-write", kind: kindInt, def: "0", bounds: atLeast(0), live: true, compat: true,
		help: "Redis replication option; Kiwi replicates with Raft. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.MinReplicasToWrite },
	},
	{
		name: "maxmemory-policy", kind: kindEnum, def: "noeviction", enum: []string{"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"}, live: true, compat: true,
		help: "Redis eviction policy; Kiwi never evicts. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.MaxMemoryPolicy },
	},
	{
		name: "appendfsync", kind: kindEnum, def: "everysec", enum: []string{"always", "everysec", "no"}, live: true, compat: true,
		help: "Redis AOF fsync policy; see storage.sync for Kiwi's. Compatibility only: no effect.",
		ref:  func(c *Config) any { return &c.Compat.AppendFsync },
	},

	// [storage]
	{
		name: "storage.engine", kind: kindEnum, def: "pebble", enum: []string{"pebble", "leveldb", "rocksdb"},
		help: "Storage engine; rocksdb needs a kiwi built with -tags rocksdb.",
		ref:  func(c *Config) any { return &c.Storage.Engine },
	},
	{
		name: "storage.sync", kind: kindBool, def: "yes", live: true,
		help: "fsync the write-ahead log once per commit group before replying.",
		ref:  func(c *Config) any { return &c.Storage.Sync },
	},
	{
		name: "storage.cache-size", kind: kindSize, def: "128mb", bounds: atLeast(mib),
		help: "Engine block cache size.",
		ref:  func(c *Config) any { return &c.Storage.CacheSize },
	},
	{
		name: "storage.expire-interval", kind: kindDuration, def: "100ms", bounds: atLeast(int64(time.Millisecond)), live: true,
		help: "Period of the active expiry cycle that deletes expired keys.",
		ref:  func(c *Config) any { return &c.Storage.ExpireInterval },
	},
	{
		name: "storage.expire-batch", kind: kindInt, def: "200", bounds: atLeast(1), live: true,
		help: "Most keys one active expiry step examines.",
		ref:  func(c *Config) any { return &c.Storage.ExpireBatch },
	},
	{
		name: "storage.gc-interval", kind: kindDuration, def: "1s", bounds: atLeast(int64(time.Millisecond)), live: true,
		help: "Period of the sweep that removes the data of deleted collections.",
		ref:  func(c *Config) any { return &c.Storage.GCInterval },
	},
	{
		name: "storage.gc-batch", kind: kindInt, def: "1000", bounds: atLeast(1), live: true,
		help: "Most records one garbage sweep step removes.",
		ref:  func(c *Config) any { return &c.Storage.GCBatch },
	},

	// [runtime]
	{
		name: "runtime.mode", kind: kindEnum, def: "dual", enum: []string{"dual", "single"},
		help: "dual: separate network and storage runtimes; single: storage runs inline in the connection goroutine.",
		ref:  func(c *Config) any { return &c.Runtime.Mode },
	},
	{
		name: "runtime.network-slots", kind: kindInt, def: "0", bounds: between(0, 65536), live: true,
		help: "Network-stage slots (parse, dispatch, encode); 0 = 4 x GOMAXPROCS.",
		ref:  func(c *Config) any { return &c.Runtime.NetworkSlots },
	},
	{
		name: "runtime.storage-workers", kind: kindInt, def: "0", bounds: between(0, 65536), live: true,
		help: "Storage read workers; 0 = 2 x GOMAXPROCS.",
		ref:  func(c *Config) any { return &c.Runtime.StorageWorkers },
	},
	{
		name: "runtime.channel-capacity", kind: kindInt, def: "10000", bounds: atLeast(1), live: true,
		help: "Capacity of the MessageChannel between the network and storage runtimes.",
		ref:  func(c *Config) any { return &c.Runtime.ChannelCapacity },
	},
	{
		name: "runtime.backpressure-timeout", kind: kindDuration, def: "1s", bounds: atLeast(0), live: true,
		help: "How long a connection waits on a full MessageChannel before an error reply; 0 = do not wait.",
		ref:  func(c *Config) any { return &c.Runtime.BackpressureTimeout },
	},
	{
		name: "runtime.request-timeout", kind: kindDuration, def: "5s", bounds: atLeast(int64(time.Millisecond)), live: true,
		help: "Deadline of one request in the storage runtime; an expired request gets a timeout error.",
		ref:  func(c *Config) any { return &c.Runtime.RequestTimeout },
	},
	{
		name: "runtime.max-group-size", kind: kindInt, def: "256", bounds: atLeast(1), live: true,
		help: "Most requests committed in one group (one engine batch, one WAL sync).",
		ref:  func(c *Config) any { return &c.Runtime.MaxGroupSize },
	},
	{
		name: "runtime.max-pipeline", kind: kindInt, def: "1024", bounds: atLeast(1), live: true,
		help: "Most pipelined commands taken from one connection's buffer into one request.",
		ref:  func(c *Config) any { return &c.Runtime.MaxPipeline },
	},

	// [log]
	{
		name: "log.level", kind: kindEnum, def: "info", enum: []string{"debug", "info", "warn", "error"}, live: true,
		help: "Least severe log level written.",
		ref:  func(c *Config) any { return &c.Log.Level },
	},
	{
		name: "log.format", kind: kindEnum, def: "text", enum: []string{"text", "json"},
		help: "Log line format: text (key=value) or json.",
		ref:  func(c *Config) any { return &c.Log.Format },
	},

	// [metrics]
	{
		name: "metrics.addr", kind: kindString, def: "127.0.0.1:9379",
		help:  "host:port of the HTTP admin listener (/metrics, /healthz, /readyz); port 0 picks a free port; empty disables it.",
		ref:   func(c *Config) any { return &c.Metrics.Addr },
		valid: checkListenAddr, rule: "empty or host:port",
	},
}

// constraints are the rules between options. Each names the options it
// involves, so that CONFIG SET can blame one of the arguments it was given.
var constraints = []constraint{
	{
		names: []string{"proto-max-bulk-len", "client-query-buffer-limit"},
		check: func(c *Config) string {
			if c.ProtoMaxBulkLen > c.ClientQueryBufferLimit {
				return fmt.Sprintf("must not be larger than client-query-buffer-limit (%s)",
					formatSize(c.ClientQueryBufferLimit))
			}
			return ""
		},
	},
}

// Derived from the table at initialisation and never modified afterwards.
var (
	// byName maps a lower-case option name to its option.
	byName = map[string]*option{}
	// sections is the set of section names ("storage", "runtime", "log", "metrics").
	sections = map[string]bool{}
	// defaults is the Config holding every default; Default copies it.
	defaults Config
)

func init() {
	for _, o := range options {
		if o.name != strings.ToLower(o.name) || byName[o.name] != nil {
			panic("config: bad or duplicate option name " + o.name)
		}
		byName[o.name] = o
		if sec, _, ok := strings.Cut(o.name, "."); ok {
			sections[sec] = true
		}
		v, reason := o.fromText(o.def)
		if reason == "" {
			reason = o.check(v)
		}
		if reason != "" {
			panic(fmt.Sprintf("config: default of %s (%q) %s", o.name, o.def, reason))
		}
		o.store(&defaults, v) // panics on a ref of the wrong type
	}
	for _, k := range constraints {
		for _, n := range k.names {
			if byName[n] == nil {
				panic("config: constraint on unknown option " + n)
			}
		}
	}
}

// kind is the type of an option's value.
type kind int

const (
	kindString   kind = iota // free text; Go type string
	kindEnum                 // one of a fixed list, case-insensitive; Go type string
	kindInt                  // decimal integer; Go type int
	kindSize                 // byte count with optional unit; Go type int64
	kindDuration             // Go duration string; Go type time.Duration
	kindBool                 // yes/no, true/false; Go type bool
)

// String returns the kind's name as shown in --help and the docs.
func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindEnum:
		return "enum"
	case kindInt:
		return "int"
	case kindSize:
		return "size"
	case kindDuration:
		return "duration"
	case kindBool:
		return "bool"
	}
	return "unknown"
}

// option is one row of the option table.
type option struct {
	name   string   // dotted name, lower case: "port", "storage.engine"
	kind   kind     // value type
	def    string   // default, in command-line syntax
	help   string   // one line for --help, the TOML template and the docs
	live   bool     // changeable at runtime (CONFIG SET, reload)
	compat bool     // Redis compatibility option with no effect
	alias  string   // the option this one is another name for (same field)
	bounds bounds   // range of kindInt, kindSize and kindDuration values
	enum   []string // allowed values of kindEnum, lower case
	// ref returns a pointer to the option's field in c: *string, *int,
	// *int64, *time.Duration or *bool, as the kind says.
	ref func(c *Config) any
	// valid, if set, is an extra rule for kindString values; it reports
	// whether the value is acceptable, and rule says what it demands.
	valid func(s string) bool
	rule  string
	// merge, if set, reads a kindString value given as text as a change
	// to the current value cur ("" = the default) and returns the new
	// value in canonical form, or the reason the text cannot be read.
	// CONFIG SET passes the running value, so that it may change part
	// of it (client-output-buffer-limit: the classes it names).
	merge func(cur, s string) (string, string)
}

// bounds is an inclusive integer range; a missing end is unbounded.
type bounds struct {
	min, max       int64
	hasMin, hasMax bool
}

func between(lo, hi int64) bounds { return bounds{min: lo, max: hi, hasMin: true, hasMax: true} }
func atLeast(lo int64) bounds     { return bounds{min: lo, hasMin: true} }

// constraint is a rule between options; check returns "" when c satisfies
// it, or the reason, phrased about the first of names.
type constraint struct {
	names []string
	check func(c *Config) string
}

// checkConstraints returns an *Error for each cross-option rule c breaks.
func (c *Config) checkConstraints() []*Error {
	var errs []*Error
	for _, k := range constraints {
		if reason := k.check(c); reason != "" {
			o := byName[k.names[0]]
			errs = append(errs, &Error{Option: o.name, Value: o.literal(o.load(c)), Reason: reason, Err: ErrInvalidValue})
		}
	}
	return errs
}

// lookup finds an option by name, ignoring case as Redis does.
func lookup(name string) *option {
	return byName[strings.ToLower(name)]
}

// section returns the option's section ("" for top-level) and its key in
// that section.
func (o *option) section() (section, key string) {
	if sec, key, ok := strings.Cut(o.name, "."); ok {
		return sec, key
	}
	return "", o.name
}

// load returns the option's value in c: a string, an int64 (int, size,
// duration) or a bool.
func (o *option) load(c *Config) any {
	switch p := o.ref(c).(type) {
	case *string:
		return *p
	case *int:
		return int64(*p)
	case *int64:
		return *p
	case *time.Duration:
		return int64(*p)
	case *bool:
		return *p
	}
	panic("config: option " + o.name + " has a field of unsupported type")
}

// store sets the option's field in c to v, a value as load returns it that
// has passed check.
func (o *option) store(c *Config, v any) {
	switch p := o.ref(c).(type) {
	case *string:
		*p = v.(string)
	case *int:
		*p = int(v.(int64))
	case *int64:
		*p = v.(int64)
	case *time.Duration:
		*p = time.Duration(v.(int64))
	case *bool:
		*p = v.(bool)
	default:
		panic("config: option " + o.name + " has a field of unsupported type")
	}
}

// ruleText describes the option's rule, for --help, the TOML template and
// the docs; "" if any value of its type is accepted.
func (o *option) ruleText() string {
	switch o.kind {
	case kindEnum:
		return "one of " + strings.Join(o.enum, ", ")
	case kindString:
		return o.rule
	case kindInt, kindSize, kindDuration:
		b := o.bounds
		switch {
		case b.hasMin && b.hasMax:
			return fmt.Sprintf("between %s and %s", o.boundText(b.min), o.boundText(b.max))
		case b.hasMin:
			return "at least " + o.boundText(b.min)
		case b.hasMax:
			return "at most " + o.boundText(b.max)
		}
	}
	return ""
}

func (o *option) boundText(n int64) string {
	switch o.kind {
	case kindSize:
		return formatSize(n)
	case kindDuration:
		return time.Duration(n).String()
	}
	return fmt.Sprint(n)
}

// check returns "" if v (as load returns it) satisfies the option's rule,
// or the reason it does not, phrased "must be …".
func (o *option) check(v any) string {
	switch o.kind {
	case kindEnum:
		s, _ := v.(string)
		for _, e := range o.enum {
			if s == e {
				return ""
			}
		}
		return "must be " + o.ruleText()
	case kindString:
		if o.valid != nil && !o.valid(v.(string)) {
			return "must be " + o.ruleText()
		}
	case kindInt, kindSize, kindDuration:
		n := v.(int64)
		b := o.bounds
		if (b.hasMin && n < b.min) || (b.hasMax && n > b.max) {
			return "must be " + o.ruleText()
		}
		if o.kind == kindInt && n > maxInt {
			return fmt.Sprintf("must be at most %d", maxInt)
		}
	}
	return ""
}

// maxInt is the largest kindInt value: the int32 range keeps values
// portable and far from overflow in arithmetic on them.
const maxInt = 1<<31 - 1

func checkNonEmpty(s string) bool { return s != "" }

// checkHost accepts one non-empty address without spaces; net.Listen
// reports an address that does not resolve.
// checkListenAddr accepts "" (disabled) or a host:port with a numeric port.
func checkListenAddr(s string) bool {
	if s == "" {
		return true
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func checkHost(s string) bool {
	return s != "" && strings.IndexFunc(s, unicode.IsSpace) < 0
}

// suggest returns the known name closest to name, or "" if none is close
// enough to be a likely typo. A name whose last dotted part equals an
// option's last part (engine → storage.engine, runtime.port → port) is
// always suggested.
func suggest(name string, extra ...string) string {
	name = strings.ToLower(name)
	cands := make([]string, 0, len(options)+len(extra))
	for _, o := range options {
		cands = append(cands, o.name)
	}
	cands = append(cands, extra...)
	last := func(s string) string { return s[strings.LastIndexByte(s, '.')+1:] }
	for _, c := range cands {
		if last(c) == last(name) {
			return c
		}
	}
	best, bestDist := "", 0
	for _, c := range cands {
		d := editDistance(name, c)
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	if limit := max(2, len(name)/4); bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// validKeyspaceEvents reports whether s is a notify-keyspace-events value
// Redis accepts: a combination of its class characters.
func validKeyspaceEvents(s string) bool {
	_, err := notify.Parse(s)
	return err == nil
}

// mergeKeyspaceEvents reads a notify-keyspace-events value (it replaces
// the current one) and returns it in Redis's canonical form, as CONFIG GET
// shows it ("KA" becomes "AK").
func mergeKeyspaceEvents(_, s string) (string, string) {
	c, err := notify.Parse(s)
	if err != nil {
		return "", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	}
	return c.String(), ""
}
