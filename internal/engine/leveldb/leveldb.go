// Package leveldb implements engine.Engine over goleveldb
// (github.com/syndtr/goleveldb), a pure-Go port of LevelDB.
//
// Options.InMemory runs goleveldb on storage.NewMemStorage(). goleveldb has
// no physical checkpoint: Checkpoint is a logical copy (see Engine.Checkpoint).
//
// Concurrency and ownership follow package engine: Engine methods and
// Snapshot reads are safe for concurrent use; a Batch or an Iterator belongs
// to one goroutine. Get returns a copy; iterator keys and values are valid
// until the iterator moves.
package leveldb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Name is the backend name used in configuration.
const Name = "leveldb"

// checkpointChunk is the batch size used when copying data into a checkpoint.
const checkpointChunk = 4 << 20

var (
	_ engine.Engine       = (*Engine)(nil)
	_ engine.WriteStopper = (*Engine)(nil)
	_ engine.Snapshot     = (*snapshot)(nil)
	_ engine.Batch        = (*batch)(nil)
	_ engine.Iterator     = (*iter)(nil)
)

var (
	syncWrite   = &opt.WriteOptions{Sync: true}
	noSyncWrite = &opt.WriteOptions{Sync: false}
)

// Engine is a goleveldb database. Create it with Open; it must be closed with
// Close after every snapshot, iterator and batch obtained from it is closed.
type Engine struct {
	db     *leveldb.DB
	dir    string // "" when in memory
	logger *slog.Logger
	closed atomic.Bool
}

// Open opens (creating if needed) the database in opts.Dir, or an in-memory
// one when opts.InMemory is set. goleveldb writes its own log to a LOG file
// inside its storage; opts.Logger only receives Kiwi's lines about it.
func Open(opts engine.Options) (*Engine, error) {
	lo := &opt.Options{}
	if opts.CacheBytes > 0 {
		lo.BlockCacheCapacity = int(opts.CacheBytes)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{logger: logger}
	var err error
	if opts.InMemory {
		e.db, err = leveldb.Open(storage.NewMemStorage(), lo)
	} else {
		if opts.Dir == "" {
			return nil, errors.New("leveldb: open: empty directory")
		}
		e.dir = opts.Dir
		e.db, err = leveldb.OpenFile(opts.Dir, lo)
	}
	if err != nil {
		return nil, fmt.Errorf("leveldb: open %s: %w", opts.Dir, err)
	}
	return e, nil
}

// Name returns "leveldb".
func (e *Engine) Name() string { return Name }

// Get returns a copy of the value stored under key, engine.ErrNotFound if
// there is none, or engine.ErrClosed after Close.
func (e *Engine) Get(key []byte) ([]byte, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(e.db.Get(key, nil))
}

// get adapts goleveldb's Get result; goleveldb already returns a copy.
func get(v []byte, err error) ([]byte, error) {
	if err != nil {
		if errors.Is(err, leveldb.ErrNotFound) {
			return nil, engine.ErrNotFound
		}
		if errors.Is(err, leveldb.ErrClosed) || errors.Is(err, leveldb.ErrSnapshotReleased) {
			return nil, engine.ErrClosed
		}
		return nil, fmt.Errorf("leveldb: get: %w", err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// NewIter returns an iterator over [opts.LowerBound, opts.UpperBound) that
// sees the data as of this call. The bounds are copied.
func (e *Engine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return newIter(e.db.NewIterator, opts), nil
}

func newIter(open func(*util.Range, *opt.ReadOptions) iterator.Iterator, opts engine.IterOptions) *iter {
	i := &iter{lower: bytes.Clone(opts.LowerBound), upper: bytes.Clone(opts.UpperBound)}
	if i.lower != nil && i.upper != nil && bytes.Compare(i.lower, i.upper) >= 0 {
		i.empty = true
		return i
	}
	var r *util.Range
	if i.lower != nil || i.upper != nil {
		r = &util.Range{Start: i.lower, Limit: i.upper}
	}
	i.it = open(r, nil)
	return i
}

// NewBatch returns an empty batch. Committing it after the engine is closed
// returns engine.ErrClosed.
func (e *Engine) NewBatch() engine.Batch {
	return &batch{e: e, b: new(leveldb.Batch)}
}

// NewSnapshot returns a point-in-time view of the database.
func (e *Engine) NewSnapshot() (engine.Snapshot, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	s, err := e.db.GetSnapshot()
	if err != nil {
		if errors.Is(err, leveldb.ErrClosed) {
			return nil, engine.ErrClosed
		}
		return nil, fmt.Errorf("leveldb: snapshot: %w", err)
	}
	return &snapshot{e: e, s: s}, nil
}

// Checkpoint writes an openable copy of the database into dir, which must not
// exist. goleveldb has no checkpoint facility, so this is a logical copy: a
// snapshot is iterated into a fresh goleveldb database created in dir and
// synced. It is consistent (one snapshot) but costs a full read and write of
// the data, and shares no files with the source. In-memory engines also
// write the copy to the real filesystem, so it can be opened with
// InMemory=false. On error, dir is removed.
func (e *Engine) Checkpoint(dir string) (err error) {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) {
		if serr == nil {
			serr = fs.ErrExist
		}
		return fmt.Errorf("leveldb: checkpoint %s: %w", dir, serr)
	}
	snap, err := e.db.GetSnapshot()
	if err != nil {
		return fmt.Errorf("leveldb: checkpoint %s: %w", dir, err)
	}
	defer snap.Release()
	dst, err := leveldb.OpenFile(dir, &opt.Options{ErrorIfExist: true})
	if err != nil {
		return fmt.Errorf("leveldb: checkpoint %s: %w", dir, err)
	}
	defer func() {
		if cerr := dst.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("leveldb: checkpoint %s: close: %w", dir, cerr)
		}
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	it := snap.NewIterator(nil, nil)
	defer it.Release()
	b := new(leveldb.Batch)
	size := 0
	for it.Next() {
		b.Put(it.Key(), it.Value())
		size += len(it.Key()) + len(it.Value())
		if size >= checkpointChunk {
			if err := dst.Write(b, noSyncWrite); err != nil {
				return fmt.Errorf("leveldb: checkpoint %s: %w", dir, err)
			}
			b.Reset()
			size = 0
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("leveldb: checkpoint %s: %w", dir, err)
	}
	if err := dst.Write(b, syncWrite); err != nil {
		return fmt.Errorf("leveldb: checkpoint %s: %w", dir, err)
	}
	e.logger.Debug("leveldb logical checkpoint written", "dir", dir)
	return nil
}

// Flush writes the memtable (memdb) to a table file and waits for it. It
// does so by opening and discarding an empty goleveldb transaction, which
// flushes the memdb first; writers wait meanwhile.
func (e *Engine) Flush() error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	tr, err := e.db.OpenTransaction()
	if err != nil {
		return fmt.Errorf("leveldb: flush: %w", err)
	}
	tr.Discard()
	return nil
}

// Stats reports what goleveldb exposes: per-level table counts and sizes,
// compaction counts (memdb flushes are Flushes), and write delays as
// WriteStalls. L0Sublevels equals L0Files (every level-0 table overlaps the
// others). MemtableBytes and PendingCompactionBytes are not available.
// DiskUsageBytes is the size of the files in the directory (the table sizes
// when in memory). After Close it returns zero Stats.
func (e *Engine) Stats() engine.Stats {
	if e.closed.Load() {
		return engine.Stats{}
	}
	var ds leveldb.DBStats
	if err := e.db.Stats(&ds); err != nil {
		return engine.Stats{}
	}
	st := engine.Stats{
		Compactions:  int64(ds.Level0Comp) + int64(ds.NonLevel0Comp) + int64(ds.SeekComp),
		Flushes:      int64(ds.MemComp),
		WriteStalls:  int64(ds.WriteDelayCount),
		WriteStopped: ds.WritePaused,
		Properties: map[string]string{
			"leveldb.write-delay":        ds.WriteDelayDuration.String(),
			"leveldb.write-paused":       strconv.FormatBool(ds.WritePaused),
			"leveldb.alive-snapshots":    strconv.Itoa(int(ds.AliveSnapshots)),
			"leveldb.alive-iterators":    strconv.Itoa(int(ds.AliveIterators)),
			"leveldb.io-read-bytes":      strconv.FormatUint(ds.IORead, 10),
			"leveldb.io-write-bytes":     strconv.FormatUint(ds.IOWrite, 10),
			"leveldb.block-cache-bytes":  strconv.Itoa(ds.BlockCacheSize),
			"leveldb.opened-tables":      strconv.Itoa(ds.OpenedTablesCount),
			"leveldb.level-table-counts": fmt.Sprint(ds.LevelTablesCounts),
			"leveldb.level-sizes":        fmt.Sprint([]int64(ds.LevelSizes)),
		},
	}
	if len(ds.LevelTablesCounts) > 0 {
		st.L0Files = int64(ds.LevelTablesCounts[0])
		st.L0Sublevels = st.L0Files
	}
	tables := ds.LevelSizes.Sum()
	st.DiskUsageBytes = tables
	if e.dir != "" {
		if n, err := engine.DirSize(e.dir); err == nil {
			st.DiskUsageBytes = n
		}
	}
	if s, err := e.db.GetProperty("leveldb.stats"); err == nil {
		st.Properties["leveldb.stats"] = s
	}
	return st
}

// WriteStopped reports goleveldb's write pause: level 0 has reached its
// pause trigger (opt.Options.WriteL0PauseTrigger) and writes wait for a
// compaction. The per-write slowdown before it (WriteDelayCount) is not a
// stop. It implements engine.WriteStopper; false after Close (or if the
// statistics cannot be read).
func (e *Engine) WriteStopped() bool {
	if e.closed.Load() {
		return false
	}
	var ds leveldb.DBStats
	if err := e.db.Stats(&ds); err != nil {
		return false
	}
	return ds.WritePaused
}

// Close closes the database. A second Close returns engine.ErrClosed.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("leveldb: close: %w", err)
	}
	return nil
}

// batch wraps a leveldb.Batch. b is nil once committed or closed.
type batch struct {
	e *Engine
	b *leveldb.Batch
}

// Set buffers key=value; both slices are copied. It panics if the batch was
// already committed or closed (a programming error).
func (b *batch) Set(key, value []byte) {
	if b.b == nil {
		panic("leveldb: Set on a committed or closed batch")
	}
	b.b.Put(key, value)
}

// Delete buffers a deletion of key. It panics if the batch was already
// committed or closed.
func (b *batch) Delete(key []byte) {
	if b.b == nil {
		panic("leveldb: Delete on a committed or closed batch")
	}
	b.b.Delete(key)
}

// Count returns the number of buffered operations (0 once released).
func (b *batch) Count() int {
	if b.b == nil {
		return 0
	}
	return b.b.Len()
}

// Size returns the encoded size of the batch in bytes (0 once released).
func (b *batch) Size() int {
	if b.b == nil {
		return 0
	}
	return len(b.b.Dump())
}

// Commit applies the batch atomically and releases it.
func (b *batch) Commit(sync bool) error {
	if b.b == nil {
		return engine.ErrClosed
	}
	lb := b.b
	b.b = nil
	if b.e.closed.Load() {
		return engine.ErrClosed
	}
	wo := noSyncWrite
	if sync {
		wo = syncWrite
	}
	if err := b.e.db.Write(lb, wo); err != nil {
		if errors.Is(err, leveldb.ErrClosed) {
			return engine.ErrClosed
		}
		return fmt.Errorf("leveldb: commit: %w", err)
	}
	return nil
}

// Close discards the batch. Closing a released batch is a no-op.
func (b *batch) Close() error {
	b.b = nil
	return nil
}

// snapshot wraps a leveldb.Snapshot.
type snapshot struct {
	e      *Engine
	s      *leveldb.Snapshot
	closed atomic.Bool
}

func (s *snapshot) Get(key []byte) ([]byte, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(s.s.Get(key, nil))
}

func (s *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return newIter(s.s.NewIterator, opts), nil
}

func (s *snapshot) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	s.s.Release()
	return nil
}

// iter adapts a goleveldb iterator. goleveldb has no SeekLT; it is SeekGE
// followed by Prev (or Last when nothing is >= key). Next and Prev on an
// unpositioned or exhausted iterator return false. it is nil for an
// iterator whose bounds are empty.
type iter struct {
	it           iterator.Iterator
	lower, upper []byte
	empty        bool
	closed       bool
}

func (i *iter) dead() bool { return i.closed || i.empty }

func (i *iter) First() bool {
	if i.dead() {
		return false
	}
	return i.it.First()
}

func (i *iter) Last() bool {
	if i.dead() {
		return false
	}
	return i.it.Last()
}

func (i *iter) SeekGE(key []byte) bool {
	if i.dead() {
		return false
	}
	if i.lower != nil && bytes.Compare(key, i.lower) < 0 {
		key = i.lower
	}
	return i.it.Seek(key)
}

func (i *iter) SeekLT(key []byte) bool {
	if i.dead() {
		return false
	}
	if i.upper != nil && bytes.Compare(key, i.upper) > 0 {
		key = i.upper
	}
	if i.it.Seek(key) {
		return i.it.Prev()
	}
	if i.it.Error() != nil {
		return false
	}
	return i.it.Last()
}

func (i *iter) Next() bool {
	if i.dead() || !i.it.Valid() {
		return false
	}
	return i.it.Next()
}

func (i *iter) Prev() bool {
	if i.dead() || !i.it.Valid() {
		return false
	}
	return i.it.Prev()
}

func (i *iter) Valid() bool { return !i.dead() && i.it.Valid() }

func (i *iter) Key() []byte {
	if !i.Valid() {
		return nil
	}
	return i.it.Key()
}

func (i *iter) Value() []byte {
	if !i.Valid() {
		return nil
	}
	return i.it.Value()
}

func (i *iter) Error() error {
	if i.closed {
		return engine.ErrClosed
	}
	if i.empty {
		return nil
	}
	if err := i.it.Error(); err != nil {
		return fmt.Errorf("leveldb: iterator: %w", err)
	}
	return nil
}

func (i *iter) Close() error {
	if i.closed {
		return engine.ErrClosed
	}
	err := i.Error()
	i.closed = true
	if i.it != nil {
		i.it.Release()
	}
	return err
}
