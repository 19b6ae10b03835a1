package storage

import (
	"runtime"
	"time"

	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Defaults applied to zero Config fields.
const (
	// DefaultMaxGroupSize is the most jobs one group commit holds.
	DefaultMaxGroupSize = 256
	// DefaultMaxGroupKeys bounds the keys one group may have pending before
	// the applier commits it and starts the next (the group's memory).
	DefaultMaxGroupKeys = 65536
	// DefaultBackpressureTimeout is the backpressure wait the configuration
	// layer defaults to (runtime.backpressure-timeout). Config's zero value
	// means "do not wait", as that option's 0 does.
	DefaultBackpressureTimeout = time.Second
	// DefaultExpireInterval is the active-expiry period (Redis: hz 10).
	DefaultExpireInterval = 100 * time.Millisecond
	// DefaultExpireBatch is the most keys one expiry step deletes.
	DefaultExpireBatch = 200
	// DefaultGCInterval is the garbage sweep period.
	DefaultGCInterval = time.Second
	// DefaultGCBatch is the most data records one sweep step deletes.
	DefaultGCBatch = 1000
)

// Config configures a Runtime or an Inline executor. The zero value of every
// field but BackpressureTimeout means its default; the fields marked live can be changed on a running
// executor with Reconfigure or the matching setter.
type Config struct {
	// Workers is the number of read workers (live). Default:
	// 2 × runtime.GOMAXPROCS(0), so reads waiting on disk do not idle the
	// CPUs. Ignored by Inline.
	Workers int
	// MaxGroupSize is the most write jobs committed in one group (live).
	// Default DefaultMaxGroupSize. 1 disables group commit. Ignored by
	// Inline (groups of one).
	MaxGroupSize int
	// MaxGroupKeys ends a group early once it has this many keys pending
	// (live). Default DefaultMaxGroupKeys.
	MaxGroupKeys int
	// Sync makes every group commit wait for a WAL fsync (live). The zero
	// value, false, leaves durability to the engine's background syncing.
	Sync bool
	// ChannelCapacity is the MessageChannel capacity shared by reads and
	// writes (live). Default msgchan.DefaultCapacity. Ignored by Inline.
	ChannelCapacity int
	// BackpressureTimeout is how long Submit blocks on a full channel before
	// ErrBusy (live). Unlike the other fields, zero (or negative) means "do
	// not wait", matching runtime.backpressure-timeout = 0; the configuration
	// layer's default is DefaultBackpressureTimeout. Ignored by Inline.
	BackpressureTimeout time.Duration
	// ExpireInterval is the active-expiry period (live). Default
	// DefaultExpireInterval; negative disables active expiry.
	ExpireInterval time.Duration
	// ExpireBatch is the most keys one expiry step deletes (live). Default
	// DefaultExpireBatch.
	ExpireBatch int
	// GCInterval is the garbage sweep period (live). Default
	// DefaultGCInterval; negative disables the sweep.
	GCInterval time.Duration
	// GCBatch is the most records one sweep step removes (live). Default
	// DefaultGCBatch.
	GCBatch int
	// LockOSThread pins each read worker and the applier to an OS thread,
	// for cgo engines that benefit from thread affinity. Not live.
	LockOSThread bool
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if c.MaxGroupSize <= 0 {
		c.MaxGroupSize = DefaultMaxGroupSize
	}
	if c.MaxGroupKeys <= 0 {
		c.MaxGroupKeys = DefaultMaxGroupKeys
	}
	if c.ChannelCapacity <= 0 {
		c.ChannelCapacity = msgchan.DefaultCapacity
	}
	if c.ExpireInterval == 0 {
		c.ExpireInterval = DefaultExpireInterval
	}
	if c.ExpireBatch <= 0 {
		c.ExpireBatch = DefaultExpireBatch
	}
	if c.GCInterval == 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.GCBatch <= 0 {
		c.GCBatch = DefaultGCBatch
	}
	return c
}
