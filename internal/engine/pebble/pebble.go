// Package pebble implements engine.Engine over CockroachDB's Pebble (v2), the
// default Kiwi backend. It is pure Go.
//
// Options.InMemory runs Pebble on vfs.NewMem(): a real Pebble with its WAL,
// memtables and sstables held in memory, used by unit tests.
//
// Keys should be non-empty: Pebble's invariant checks, which -race builds
// turn on, reject an empty user key when it is written to an sstable (release
// builds store it fine). Kiwi's keyspace never writes an empty engine key.
//
// Concurrency and ownership follow package engine: Engine methods and
// Snapshot reads are safe for concurrent use; a Batch or an Iterator belongs
// to one goroutine. Get returns a copy; iterator keys and values are valid
// until the iterator moves.
package pebble

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/logging"
)

// Name is the backend name used in configuration.
const Name = "pebble"

var (
	_ engine.Engine       = (*Engine)(nil)
	_ engine.WriteStopper = (*Engine)(nil)
	_ engine.Snapshot     = (*snapshot)(nil)
	_ engine.Batch        = (*batch)(nil)
	_ engine.Iterator     = (*iterator)(nil)
)

// Engine is a Pebble database. Create it with Open; it must be closed with
// Close after every snapshot, iterator and batch obtained from it is closed.
type Engine struct {
	db       *pebble.DB
	fs       vfs.FS
	inMemory bool
	closed   atomic.Bool
	// writeStalls counts WriteStallBegin events since Open.
	writeStalls atomic.Int64
	// stalling counts the write stalls in progress: WriteStallBegin
	// increments it and the matching WriteStallEnd decrements it (Pebble
	// pairs them per stalled writer; several writers may stall at once).
	stalling atomic.Int64
	// checkpoints numbers the scratch directories used by in-memory checkpoints.
	checkpoints atomic.Uint64
}

// Open opens (creating if needed) the Pebble database in opts.Dir, or an
// in-memory one when opts.InMemory is set. Pebble's own log lines go to
// opts.Logger, or nowhere when it is nil.
func Open(opts engine.Options) (*Engine, error) {
	if opts.Dir == "" && !opts.InMemory {
		return nil, errors.New("pebble: open: empty directory")
	}
	e := &Engine{fs: vfs.Default, inMemory: opts.InMemory}
	if opts.InMemory {
		e.fs = vfs.NewMem()
	}
	dir := opts.Dir
	if dir == "" {
		dir = "kiwi"
	}
	po := &pebble.Options{
		FS:                 e.fs,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             newLogger(opts.Logger),
		EventListener:      e.eventListener(opts.Logger),
	}
	if opts.CacheBytes > 0 {
		c := pebble.NewCache(opts.CacheBytes)
		// Pebble takes its own reference on Open.
		defer c.Unref()
		po.Cache = c
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("pebble: open %s: %w", dir, err)
	}
	e.db = db
	return e, nil
}

// eventListener tracks write stalls (their count and whether one is in
// progress) and logs Pebble's background errors (a failed flush or
// compaction, which Pebble retries) to l at Error, rate limited: on a
// failing disk they repeat at every retry.
func (e *Engine) eventListener(l *slog.Logger) *pebble.EventListener {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	bgLog := slog.New(logging.RateLimit(l.Handler(), logging.DefaultEvery))
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			bgLog.Error("pebble: background error", "op", "background", "err", err)
		},
		WriteStallBegin: func(pebble.WriteStallBeginInfo) {
			e.writeStalls.Add(1)
			e.stalling.Add(1)
		},
		WriteStallEnd: func() { e.stalling.Add(-1) },
	}
}

// WriteStopped reports whether a write stall is in progress: Pebble holds
// writes back (too many queued memtables, or L0 read amplification at
// L0StopWritesThreshold) until flushes and compactions catch up. Pebble
// does not slow writes down before stopping them, so a stall is a stop.
// It implements engine.WriteStopper; false after Close.
func (e *Engine) WriteStopped() bool {
	return !e.closed.Load() && e.stalling.Load() > 0
}

// Name returns "pebble".
func (e *Engine) Name() string { return Name }

// Get returns a copy of the value stored under key, engine.ErrNotFound if
// there is none, or engine.ErrClosed after Close.
func (e *Engine) Get(key []byte) ([]byte, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(e.db, key)
}

func get(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, engine.ErrNotFound
		}
		return nil, fmt.Errorf("pebble: get: %w", err)
	}
	out := make([]byte, len(v))
	copy(out, v)
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("pebble: get: %w", err)
	}
	return out, nil
}

// NewIter returns an iterator over [opts.LowerBound, opts.UpperBound) that
// sees the data as of this call. The bounds are copied.
func (e *Engine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return newIter(e.db, opts)
}

func newIter(r pebble.Reader, opts engine.IterOptions) (engine.Iterator, error) {
	if u := opts.UpperBound; u != nil && (len(u) == 0 || opts.LowerBound != nil && bytes.Compare(opts.LowerBound, u) >= 0) {
		// Nothing can be in range; Pebble does not handle an empty upper
		// bound consistently.
		return &iterator{}, nil
	}
	// Pebble copies the bounds (Iterator.processBounds).
	// An empty lower bound is no bound (see nilIfEmpty).
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: nilIfEmpty(opts.LowerBound), UpperBound: opts.UpperBound})
	if err != nil {
		return nil, fmt.Errorf("pebble: new iterator: %w", err)
	}
	return &iterator{it: it}, nil
}

// NewBatch returns an empty batch. Committing it after the engine is closed
// returns engine.ErrClosed.
func (e *Engine) NewBatch() engine.Batch {
	return &batch{e: e, b: e.db.NewBatch()}
}

// NewSnapshot returns a point-in-time view of the database.
func (e *Engine) NewSnapshot() (engine.Snapshot, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return &snapshot{e: e, s: e.db.NewSnapshot()}, nil
}

// Checkpoint writes an openable copy of the database into dir, which must not
// exist. On disk, sstables are hard-linked when dir is on the same
// filesystem. For an in-memory engine the checkpoint is taken inside the
// in-memory filesystem and then copied to dir on the real filesystem, so it
// can be opened with InMemory=false.
func (e *Engine) Checkpoint(dir string) error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if !e.inMemory {
		if err := e.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
			return fmt.Errorf("pebble: checkpoint %s: %w", dir, err)
		}
		return nil
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		if err == nil {
			err = os.ErrExist
		}
		return fmt.Errorf("pebble: checkpoint %s: %w", dir, err)
	}
	scratch := fmt.Sprintf("/kiwi-checkpoint-%d", e.checkpoints.Add(1))
	if err := e.db.Checkpoint(scratch, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("pebble: checkpoint %s: %w", dir, err)
	}
	defer e.fs.RemoveAll(scratch) //nolint:errcheck // in-memory scratch space
	if err := copyTree(e.fs, scratch, vfs.Default, dir); err != nil {
		return fmt.Errorf("pebble: checkpoint %s: copy to disk: %w", dir, err)
	}
	return nil
}

// copyTree copies directory src on srcFS to dst on dstFS, recursively.
func copyTree(srcFS vfs.FS, src string, dstFS vfs.FS, dst string) error {
	if err := dstFS.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	names, err := srcFS.List(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		from, to := srcFS.PathJoin(src, name), dstFS.PathJoin(dst, name)
		fi, err := srcFS.Stat(from)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			err = copyTree(srcFS, from, dstFS, to)
		} else {
			err = vfs.CopyAcrossFS(srcFS, from, dstFS, to)
		}
		if err != nil {
			return err
		}
	}
	d, err := dstFS.OpenDir(dst)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// Flush writes the memtable to sstables and waits for it.
func (e *Engine) Flush() error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if err := e.db.Flush(); err != nil {
		return fmt.Errorf("pebble: flush: %w", err)
	}
	return nil
}

// Stats reports Pebble metrics. After Close it returns zero Stats.
func (e *Engine) Stats() engine.Stats {
	if e.closed.Load() {
		return engine.Stats{}
	}
	m := e.db.Metrics()
	total := m.Total()
	return engine.Stats{
		DiskUsageBytes:         int64(m.DiskSpaceUsage()),
		MemtableBytes:          int64(m.MemTable.Size),
		L0Files:                m.Levels[0].TablesCount,
		L0Sublevels:            int64(m.Levels[0].Sublevels),
		PendingCompactionBytes: int64(m.Compact.EstimatedDebt),
		Compactions:            m.Compact.Count,
		Flushes:                m.Flush.Count,
		WriteStalls:            e.writeStalls.Load(),
		WriteStopped:           e.stalling.Load() > 0,
		Properties: map[string]string{
			"pebble.read-amp":             strconv.Itoa(m.ReadAmp()),
			"pebble.memtable-count":       strconv.FormatInt(m.MemTable.Count, 10),
			"pebble.sstables":             strconv.FormatInt(total.TablesCount, 10),
			"pebble.sstables-bytes":       strconv.FormatInt(total.TablesSize, 10),
			"pebble.wal-bytes":            strconv.FormatUint(m.WAL.Size, 10),
			"pebble.compactions-running":  strconv.FormatInt(m.Compact.NumInProgress, 10),
			"pebble.snapshots":            strconv.Itoa(m.Snapshots.Count),
			"pebble.table-iterators":      strconv.FormatInt(m.TableIters, 10),
			"pebble.block-cache-bytes":    strconv.FormatInt(m.BlockCache.Size, 10),
			"pebble.block-cache-hits":     strconv.FormatInt(m.BlockCache.Hits, 10),
			"pebble.block-cache-misses":   strconv.FormatInt(m.BlockCache.Misses, 10),
			"pebble.format-major-version": strconv.FormatUint(uint64(e.db.FormatMajorVersion()), 10),
		},
	}
}

// Close closes the database. A second Close returns engine.ErrClosed.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("pebble: close: %w", err)
	}
	return nil
}

// batch wraps a pebble.Batch. b is nil once committed or closed.
type batch struct {
	e *Engine
	b *pebble.Batch
}

// Set buffers key=value; both slices are copied. It panics if the batch was
// already committed or closed (a programming error).
func (b *batch) Set(key, value []byte) {
	if b.b == nil {
		panic("pebble: Set on a committed or closed batch")
	}
	// Errors only come from indexed batches, which we do not use.
	_ = b.b.Set(key, value, nil)
}

// Delete buffers a deletion of key. It panics if the batch was already
// committed or closed.
func (b *batch) Delete(key []byte) {
	if b.b == nil {
		panic("pebble: Delete on a committed or closed batch")
	}
	_ = b.b.Delete(key, nil)
}

// Count returns the number of buffered operations (0 once released).
func (b *batch) Count() int {
	if b.b == nil {
		return 0
	}
	return int(b.b.Count())
}

// Size returns the encoded size of the batch in bytes (0 once released).
func (b *batch) Size() int {
	if b.b == nil {
		return 0
	}
	return b.b.Len()
}

// Commit applies the batch atomically and releases it.
func (b *batch) Commit(sync bool) error {
	if b.b == nil {
		return engine.ErrClosed
	}
	pb := b.b
	b.b = nil
	defer pb.Close()
	if b.e.closed.Load() {
		return engine.ErrClosed
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := pb.Commit(wo); err != nil {
		return fmt.Errorf("pebble: commit: %w", err)
	}
	return nil
}

// Close discards the batch. Closing a released batch is a no-op.
func (b *batch) Close() error {
	if b.b == nil {
		return nil
	}
	err := b.b.Close()
	b.b = nil
	if err != nil {
		return fmt.Errorf("pebble: close batch: %w", err)
	}
	return nil
}

// snapshot wraps a pebble.Snapshot.
type snapshot struct {
	e      *Engine
	s      *pebble.Snapshot
	closed atomic.Bool
}

func (s *snapshot) Get(key []byte) ([]byte, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(s.s, key)
}

func (s *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return newIter(s.s, opts)
}

func (s *snapshot) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	if err := s.s.Close(); err != nil {
		return fmt.Errorf("pebble: close snapshot: %w", err)
	}
	return nil
}

// iterator adapts *pebble.Iterator. Next and Prev on an unpositioned or
// exhausted iterator return false (Pebble would restart from the end). it is
// nil for an iterator whose bounds are empty.
type iterator struct {
	it     *pebble.Iterator
	closed bool
}

func (i *iterator) dead() bool { return i.closed || i.it == nil }

func (i *iterator) First() bool {
	if i.dead() {
		return false
	}
	return i.it.First()
}

func (i *iterator) Last() bool {
	if i.dead() {
		return false
	}
	return i.it.Last()
}

func (i *iterator) SeekGE(key []byte) bool {
	if i.dead() {
		return false
	}
	return i.it.SeekGE(nilIfEmpty(key))
}

func (i *iterator) SeekLT(key []byte) bool {
	if i.dead() {
		return false
	}
	return i.it.SeekLT(nilIfEmpty(key))
}

// nilIfEmpty maps an empty key to nil, which Pebble orders the same way.
// Pebble's invariants build (enabled by -race) indexes key[0] of a non-nil
// empty seek key and panics.
func nilIfEmpty(key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	return key
}

func (i *iterator) Next() bool {
	if i.dead() || !i.it.Valid() {
		return false
	}
	return i.it.Next()
}

func (i *iterator) Prev() bool {
	if i.dead() || !i.it.Valid() {
		return false
	}
	return i.it.Prev()
}

func (i *iterator) Valid() bool { return !i.dead() && i.it.Valid() }

func (i *iterator) Key() []byte {
	if !i.Valid() {
		return nil
	}
	return i.it.Key()
}

func (i *iterator) Value() []byte {
	if !i.Valid() {
		return nil
	}
	// A value-retrieval error invalidates the iterator and is reported by
	// Error, so it can be ignored here.
	v, _ := i.it.ValueAndErr()
	return v
}

func (i *iterator) Error() error {
	if i.closed {
		return engine.ErrClosed
	}
	if i.it == nil {
		return nil
	}
	if err := i.it.Error(); err != nil {
		return fmt.Errorf("pebble: iterator: %w", err)
	}
	return nil
}

func (i *iterator) Close() error {
	if i.closed {
		return engine.ErrClosed
	}
	i.closed = true
	if i.it == nil {
		return nil
	}
	if err := i.it.Close(); err != nil {
		return fmt.Errorf("pebble: iterator: %w", err)
	}
	return nil
}

// logger forwards Pebble's log lines to slog, or drops them.
type logger struct{ l *slog.Logger }

func newLogger(l *slog.Logger) pebble.Logger {
	if l == nil {
		return logger{l: slog.New(slog.DiscardHandler)}
	}
	return logger{l: l}
}

// Infof logs at debug level: Pebble's informational lines ("Found 0 WALs",
// compaction notes) are engine internals, not operator news.
func (g logger) Infof(format string, args ...any) { g.l.Debug(fmt.Sprintf(format, args...)) }

func (g logger) Errorf(format string, args ...any) { g.l.Error(fmt.Sprintf(format, args...)) }

// Fatalf logs and panics: Pebble calls it on unrecoverable states and does
// not expect it to return.
func (g logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	g.l.Error(msg, "fatal", true)
	panic("pebble: fatal: " + msg)
}
