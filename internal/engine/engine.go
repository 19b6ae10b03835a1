// Package engine defines the contract between Kiwi and an embedded ordered
// key-value store (an LSM engine such as Pebble, RocksDB or LevelDB).
//
// engine.Engine is the only abstraction in Kiwi that knows a storage library.
// Everything above it (the keyspace, the storage runtime, Raft storage) sees
// byte-ordered keys and values only. Every backend passes the shared
// conformance suite in package enginetest.
//
// Concurrency: all methods of Engine, and Get/NewIter of a Snapshot, are safe
// to call from concurrent goroutines. A Batch and an Iterator are not: each
// belongs to one goroutine at a time.
//
// Memory ownership: byte slices passed in are not retained after the call
// returns (implementations copy what they keep). Values returned by Get are
// owned by the caller. Key and Value of an Iterator are valid only until the
// iterator is moved or closed.
package engine

import (
	"errors"
	"log/slog"
)

// ErrNotFound is returned by Get when the key does not exist.
var ErrNotFound = errors.New("engine: not found")

// ErrClosed is returned by any operation on an engine, snapshot, batch or
// iterator that has been closed.
var ErrClosed = errors.New("engine: closed")

// ErrNotCompiled is returned by Open for a backend that this binary was built
// without (for example RocksDB without the rocksdb build tag).
var ErrNotCompiled = errors.New("engine: backend not compiled into this binary")

// ErrUnknown is returned by Open for a backend name that does not exist.
var ErrUnknown = errors.New("engine: unknown backend")

// Reader is the read side shared by Engine, Snapshot and Overlay.
type Reader interface {
	// Get returns a copy of the value stored under key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// NewIter returns an iterator over the keys in [opts.LowerBound,
	// opts.UpperBound). A nil bound is unbounded on that side. The iterator
	// sees a consistent view of the data as of its creation.
	NewIter(opts IterOptions) (Iterator, error)
}

// IterOptions bounds an iterator. LowerBound is inclusive, UpperBound is
// exclusive; nil means unbounded. The bounds are copied by NewIter.
type IterOptions struct {
	LowerBound []byte
	UpperBound []byte
}

// Iterator walks keys in ascending byte order (and back). A freshly created
// iterator is not positioned: call First, Last, SeekGE or SeekLT first.
// Positioning methods return Valid().
type Iterator interface {
	First() bool
	Last() bool
	// SeekGE moves to the first key >= key.
	SeekGE(key []byte) bool
	// SeekLT moves to the last key < key.
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
	// Valid reports whether the iterator is positioned at an entry.
	Valid() bool
	// Key returns the current key; valid until the next move or Close.
	Key() []byte
	// Value returns the current value; valid until the next move or Close.
	Value() []byte
	// Error returns the first error the iterator hit, if any.
	Error() error
	// Close releases the iterator. It returns Error().
	Close() error
}

// Writer is the write side of a Batch and an Overlay. Keys and values are
// copied; the caller may reuse its slices after the call.
type Writer interface {
	Set(key, value []byte)
	Delete(key []byte)
}

// Batch collects writes that an engine applies atomically. A Batch is not
// safe for concurrent use. After Commit or Close it must not be used again.
type Batch interface {
	Writer
	// Count returns the number of operations in the batch.
	Count() int
	// Size returns the approximate encoded size of the batch in bytes.
	Size() int
	// Commit applies all writes atomically. With sync, it returns only
	// after the writes are durable (WAL fsync). The batch is released.
	Commit(sync bool) error
	// Close discards the batch without applying it. Closing a committed
	// batch is a no-op.
	Close() error
}

// Snapshot is a consistent, read-only, point-in-time view of an engine.
type Snapshot interface {
	Reader
	Close() error
}

// Engine is an embedded, ordered, persistent key-value store.
type Engine interface {
	Reader
	// Name returns the backend name as used in configuration ("pebble").
	Name() string
	// NewBatch returns an empty write batch.
	NewBatch() Batch
	// NewSnapshot returns a point-in-time view of the current data.
	NewSnapshot() (Snapshot, error)
	// Checkpoint writes a consistent, openable copy of the database into
	// dir, which must not exist. Files may be hard-linked.
	Checkpoint(dir string) error
	// Flush forces the in-memory state to durable files (used in tests and
	// before checkpoints; normal durability comes from Commit(sync)).
	Flush() error
	// Stats returns current engine statistics.
	Stats() Stats
	// Close flushes what the engine needs and releases all resources.
	// Outstanding snapshots, iterators and batches must be closed first.
	Close() error
}

// Stats are the engine numbers Kiwi reports. Fields a backend cannot provide
// are left zero; Properties carries backend-specific extras.
type Stats struct {
	DiskUsageBytes         int64
	MemtableBytes          int64
	L0Files                int64
	L0Sublevels            int64
	PendingCompactionBytes int64
	Compactions            int64
	Flushes                int64
	WriteStalls            int64
	// WriteStopped reports that the engine is refusing (holding back)
	// writes right now: a write stall is in progress, so a commit would
	// block until compactions or flushes catch up. Backends without the
	// notion report false. See WriteStopper.
	WriteStopped bool
	// Properties holds backend-specific statistics, name → value.
	Properties map[string]string
}

// WriteStopper is implemented by engines that can tell, cheaply and at any
// time, whether writes are stopped right now (the value Stats reports as
// WriteStopped, without gathering the other statistics). Every Kiwi backend
// implements it; health checks use it through IsWriteStopped.
type WriteStopper interface {
	// WriteStopped reports whether the engine holds writes back right now
	// (false after Close).
	WriteStopped() bool
}

// IsWriteStopped reports whether e has stopped writes right now: it calls
// e's WriteStopper method if e has one, else reads Stats().WriteStopped.
func IsWriteStopped(e Engine) bool {
	if ws, ok := e.(WriteStopper); ok {
		return ws.WriteStopped()
	}
	return e.Stats().WriteStopped
}

// Options configures Open.
type Options struct {
	// Dir is the directory that holds the database files.
	Dir string
	// InMemory runs the engine on an in-memory filesystem (tests only).
	// Dir is then only a name.
	InMemory bool
	// CacheBytes is the block cache size; 0 picks the backend default.
	CacheBytes int64
	// Logger receives the engine's own log lines; nil discards them.
	Logger *slog.Logger
}
