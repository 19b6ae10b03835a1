//go:build rocksdb

// Package rocksdb implements engine.Engine over RocksDB through cgo
// (github.com/linxGnu/grocksdb v1.7.15 against Debian's librocksdb 7.8). It
// is compiled only with the build tag rocksdb.
//
// Options.InMemory runs RocksDB on its in-memory Env (rocksdb NewMemEnv).
// RocksDB writes its own LOG file into its directory (inside the Env when in
// memory); Options.Logger only receives Kiwi's lines about it.
//
// Debian builds RocksDB with assertions enabled: closing a database while an
// iterator or a snapshot is still open aborts the process. Close therefore
// refuses (returns an error and leaves the engine open) while any iterator
// or snapshot obtained from the engine is still open.
//
// Concurrency and ownership follow package engine: Engine methods and
// Snapshot reads are safe for concurrent use; a Batch or an Iterator belongs
// to one goroutine. Get returns a copy; iterator keys and values point into
// RocksDB's memory and are valid until the iterator moves.
package rocksdb

// #include <stdlib.h>
import "C"

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/linxGnu/grocksdb"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Name is the backend name used in configuration.
const Name = "rocksdb"

// checkpointChunk is the batch size used by the logical copy of an in-memory
// engine's checkpoint.
const checkpointChunk = 4 << 20

var (
	_ engine.Engine       = (*Engine)(nil)
	_ engine.WriteStopper = (*Engine)(nil)
	_ engine.Snapshot     = (*snapshot)(nil)
	_ engine.Batch        = (*batch)(nil)
	_ engine.Iterator     = (*iter)(nil)
)

// Engine is a RocksDB database. Create it with Open; close it with Close
// after every snapshot and iterator obtained from it is closed.
type Engine struct {
	db       *grocksdb.DB
	opts     *grocksdb.Options
	bbto     *grocksdb.BlockBasedTableOptions
	cache    *grocksdb.Cache
	ro       *grocksdb.ReadOptions // shared by Engine.Get; read-only after Open
	wSync    *grocksdb.WriteOptions
	wNoSync  *grocksdb.WriteOptions
	fo       *grocksdb.FlushOptions
	dir      string
	inMemory bool
	logger   *slog.Logger
	closed   atomic.Bool
	// openIters and openSnaps count live handles; Close refuses while
	// either is non-zero.
	openIters atomic.Int64
	openSnaps atomic.Int64
}

// Open opens (creating if needed) the RocksDB database in opts.Dir, or one on
// an in-memory Env when opts.InMemory is set (Dir is then a name inside it).
func Open(opts engine.Options) (*Engine, error) {
	dir := opts.Dir
	if dir == "" {
		if !opts.InMemory {
			return nil, errors.New("rocksdb: open: empty directory")
		}
		dir = "/kiwi"
	}
	if opts.InMemory && !filepath.IsAbs(dir) {
		// The in-memory Env cannot resolve relative paths.
		dir = filepath.Join("/", dir)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{dir: dir, inMemory: opts.InMemory, logger: logger}
	e.opts = grocksdb.NewDefaultOptions()
	e.opts.SetCreateIfMissing(true)
	e.opts.SetKeepLogFileNum(10)
	if opts.InMemory {
		e.opts.SetEnv(grocksdb.NewMemEnv()) // owned and destroyed by e.opts
	}
	e.bbto = grocksdb.NewDefaultBlockBasedTableOptions()
	if opts.CacheBytes > 0 {
		e.cache = grocksdb.NewLRUCache(uint64(opts.CacheBytes))
		e.bbto.SetBlockCache(e.cache)
	}
	e.opts.SetBlockBasedTableFactory(e.bbto)
	db, err := grocksdb.OpenDb(e.opts, dir)
	if err != nil {
		e.destroyOptions()
		return nil, fmt.Errorf("rocksdb: open %s: %w", dir, err)
	}
	e.db = db
	e.ro = grocksdb.NewDefaultReadOptions()
	e.wSync = grocksdb.NewDefaultWriteOptions()
	e.wSync.SetSync(true)
	e.wNoSync = grocksdb.NewDefaultWriteOptions()
	e.fo = grocksdb.NewDefaultFlushOptions()
	e.fo.SetWait(true)
	return e, nil
}

func (e *Engine) destroyOptions() {
	e.opts.Destroy() // also destroys the Env
	e.bbto.Destroy()
	if e.cache != nil {
		e.cache.Destroy()
	}
}

// Name returns "rocksdb".
func (e *Engine) Name() string { return Name }

// Get returns a copy of the value stored under key, engine.ErrNotFound if
// there is none, or engine.ErrClosed after Close.
func (e *Engine) Get(key []byte) ([]byte, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(e.db, e.ro, key)
}

func get(db *grocksdb.DB, ro *grocksdb.ReadOptions, key []byte) ([]byte, error) {
	h, err := db.GetPinned(ro, key)
	if err != nil {
		return nil, fmt.Errorf("rocksdb: get: %w", err)
	}
	defer h.Destroy()
	if !h.Exists() {
		return nil, engine.ErrNotFound
	}
	return bytes.Clone(h.Data()), nil
}

// NewIter returns an iterator over [opts.LowerBound, opts.UpperBound) that
// sees the data as of this call. The bounds are copied.
func (e *Engine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return e.newIter(nil, opts), nil
}

// newIter creates an iterator, reading at snap when it is not nil.
func (e *Engine) newIter(snap *grocksdb.Snapshot, opts engine.IterOptions) *iter {
	i := &iter{e: e}
	if opts.LowerBound != nil && opts.UpperBound != nil && bytes.Compare(opts.LowerBound, opts.UpperBound) >= 0 ||
		opts.UpperBound != nil && len(opts.UpperBound) == 0 {
		i.empty = true
		return i
	}
	i.ro = grocksdb.NewDefaultReadOptions()
	if snap != nil {
		i.ro.SetSnapshot(snap)
	}
	// RocksDB keeps pointers to the bounds for the iterator's lifetime, so
	// they live in C memory, freed by Close. An empty lower bound is no
	// bound at all.
	if len(opts.LowerBound) > 0 {
		i.lower = cBytes(opts.LowerBound)
		i.ro.SetIterateLowerBound(i.lower)
	}
	if opts.UpperBound != nil {
		i.upper = cBytes(opts.UpperBound)
		i.ro.SetIterateUpperBound(i.upper)
	}
	i.it = e.db.NewIterator(i.ro)
	e.openIters.Add(1)
	return i
}

// cBytes returns a copy of b (len(b) > 0) in C memory; free it with cFree.
func cBytes(b []byte) []byte {
	p := C.malloc(C.size_t(len(b)))
	s := unsafe.Slice((*byte)(p), len(b))
	copy(s, b)
	return s
}

func cFree(b []byte) {
	if len(b) > 0 {
		C.free(unsafe.Pointer(&b[0]))
	}
}

// NewBatch returns an empty batch. A batch holds C memory: Commit or Close
// it. Committing it after the engine is closed returns engine.ErrClosed.
func (e *Engine) NewBatch() engine.Batch {
	return &batch{e: e, wb: grocksdb.NewWriteBatch()}
}

// NewSnapshot returns a point-in-time view of the database.
func (e *Engine) NewSnapshot() (engine.Snapshot, error) {
	if e.closed.Load() {
		return nil, engine.ErrClosed
	}
	s := &snapshot{e: e, snap: e.db.NewSnapshot(), ro: grocksdb.NewDefaultReadOptions()}
	s.ro.SetSnapshot(s.snap)
	e.openSnaps.Add(1)
	return s, nil
}

// Checkpoint writes an openable copy of the database into dir, which must not
// exist. On disk it uses RocksDB's checkpoint (memtables flushed first,
// sstables hard-linked when dir is on the same filesystem). An in-memory
// engine cannot hand files from its Env to the real filesystem, so its
// checkpoint is a logical copy: a snapshot iterated into a fresh on-disk
// RocksDB in dir, which can be opened with InMemory=false.
func (e *Engine) Checkpoint(dir string) error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			err = fs.ErrExist
		}
		return fmt.Errorf("rocksdb: checkpoint %s: %w", dir, err)
	}
	if e.inMemory {
		if err := e.logicalCopy(dir); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("rocksdb: checkpoint %s: %w", dir, err)
		}
		return nil
	}
	cp, err := e.db.NewCheckpoint()
	if err != nil {
		return fmt.Errorf("rocksdb: checkpoint %s: %w", dir, err)
	}
	defer cp.Destroy()
	if err := cp.CreateCheckpoint(dir, 0); err != nil {
		return fmt.Errorf("rocksdb: checkpoint %s: %w", dir, err)
	}
	return nil
}

func (e *Engine) logicalCopy(dir string) (err error) {
	dst, err := Open(engine.Options{Dir: dir, Logger: e.logger})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}()
	snap, err := e.NewSnapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	it, err := snap.NewIter(engine.IterOptions{})
	if err != nil {
		return err
	}
	defer it.Close()
	b := dst.NewBatch()
	defer func() { _ = b.Close() }()
	for it.First(); it.Valid(); it.Next() {
		b.Set(it.Key(), it.Value())
		if b.Size() >= checkpointChunk {
			if err := b.Commit(false); err != nil {
				return err
			}
			b = dst.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := b.Commit(true); err != nil {
		return err
	}
	return dst.Flush()
}

// Flush flushes the memtables to sstables and waits for it.
func (e *Engine) Flush() error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if err := e.db.Flush(e.fo); err != nil {
		return fmt.Errorf("rocksdb: flush: %w", err)
	}
	return nil
}

// Stats reports RocksDB properties. Compactions, Flushes and WriteStalls are
// parsed from the "rocksdb.cfstats" report (flushes are the level-0 row of
// its compaction table, compactions the rest). L0Sublevels equals L0Files
// (RocksDB has no sublevels; each level-0 file is one). DiskUsageBytes is the
// size of the files in the directory (the sstable size when in memory).
// After Close it returns zero Stats.
func (e *Engine) Stats() engine.Stats {
	if e.closed.Load() {
		return engine.Stats{}
	}
	prop := func(name string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(e.db.GetProperty(name)), 10, 64)
		return n
	}
	st := engine.Stats{
		MemtableBytes:          prop("rocksdb.cur-size-all-mem-tables"),
		L0Files:                prop("rocksdb.num-files-at-level0"),
		PendingCompactionBytes: prop("rocksdb.estimate-pending-compaction-bytes"),
		DiskUsageBytes:         prop("rocksdb.total-sst-files-size"),
		Properties:             map[string]string{},
	}
	st.L0Sublevels = st.L0Files
	st.WriteStopped = prop("rocksdb.is-write-stopped") != 0
	for _, name := range []string{
		"rocksdb.estimate-num-keys",
		"rocksdb.num-running-compactions",
		"rocksdb.num-running-flushes",
		"rocksdb.num-immutable-mem-table",
		"rocksdb.live-sst-files-size",
		"rocksdb.estimate-live-data-size",
		"rocksdb.block-cache-usage",
		"rocksdb.num-snapshots",
		"rocksdb.actual-delayed-write-rate",
		"rocksdb.is-write-stopped",
		"rocksdb.background-errors",
	} {
		st.Properties[name] = e.db.GetProperty(name)
	}
	for level := 0; level < 7; level++ {
		name := "rocksdb.num-files-at-level" + strconv.Itoa(level)
		st.Properties[name] = e.db.GetProperty(name)
	}
	cf := parseCFStats(e.db.GetProperty("rocksdb.cfstats"))
	st.Flushes, st.Compactions, st.WriteStalls = cf.flushes, cf.compactions, cf.stalls
	if !e.inMemory {
		if n, err := engine.DirSize(e.dir); err == nil {
			st.DiskUsageBytes = n
		}
	}
	return st
}

// WriteStopped reports RocksDB's "rocksdb.is-write-stopped" property:
// writes are stopped (level-0 file count, memtable count or pending
// compaction bytes over their stop triggers) until compactions catch up.
// A write slowdown ("rocksdb.actual-delayed-write-rate" non-zero, also in
// Stats.Properties) is not a stop. It implements engine.WriteStopper; false
// after Close.
func (e *Engine) WriteStopped() bool {
	if e.closed.Load() {
		return false
	}
	return strings.TrimSpace(e.db.GetProperty("rocksdb.is-write-stopped")) == "1"
}

type cfStats struct{ flushes, compactions, stalls int64 }

// parseCFStats extracts cumulative counts from RocksDB 7.x's "rocksdb.cfstats"
// text: the Comp(cnt) column of the L0 row (flushes land in L0) and of the
// Sum row of the first compaction table, and the "Stalls(count)" line.
// Anything it cannot parse is left zero.
func parseCFStats(s string) cfStats {
	var out cfStats
	compFromRight := -1 // position of Comp(cnt) counted from the right
	table := 0
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "** Compaction Stats"):
			table++
		case table == 1 && len(f) > 0 && f[0] == "Level":
			for i, name := range f {
				if name == "Comp(cnt)" {
					compFromRight = len(f) - 1 - i
				}
			}
		case table == 1 && compFromRight >= 0 && len(f) > compFromRight && (f[0] == "L0" || f[0] == "Sum"):
			n, err := strconv.ParseInt(f[len(f)-1-compFromRight], 10, 64)
			if err != nil {
				continue
			}
			if f[0] == "L0" {
				out.flushes = n
			} else {
				out.compactions = n
			}
		case strings.HasPrefix(line, "Stalls(count):"):
			// "Stalls(count): 0 level0_slowdown, 1 level0_numfiles, ...,
			// interval 0 total count": cumulative counts precede each name.
			for _, item := range strings.Split(strings.TrimPrefix(line, "Stalls(count):"), ",") {
				w := strings.Fields(item)
				if len(w) < 2 || w[0] == "interval" {
					continue
				}
				if n, err := strconv.ParseInt(w[0], 10, 64); err == nil {
					out.stalls += n
				}
			}
		}
	}
	out.compactions -= out.flushes
	if out.compactions < 0 {
		out.compactions = 0
	}
	return out
}

// Close closes the database and destroys every RocksDB handle the engine
// owns. While iterators or snapshots are open it returns an error and the
// engine stays open. A second Close returns engine.ErrClosed.
func (e *Engine) Close() error {
	if e.closed.Load() {
		return engine.ErrClosed
	}
	if n, m := e.openIters.Load(), e.openSnaps.Load(); n > 0 || m > 0 {
		return fmt.Errorf("rocksdb: close: %d iterators and %d snapshots still open", n, m)
	}
	if !e.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	e.db.Close()
	e.ro.Destroy()
	e.wSync.Destroy()
	e.wNoSync.Destroy()
	e.fo.Destroy()
	e.destroyOptions()
	return nil
}

// batch wraps a grocksdb.WriteBatch (C memory). wb is nil once committed or
// closed. size tracks the encoded size without copying the batch out of C.
type batch struct {
	e    *Engine
	wb   *grocksdb.WriteBatch
	size int
}

// batchHeader is the size of a RocksDB write batch header (sequence + count).
const batchHeader = 12

// Set buffers key=value; both slices are copied. It panics if the batch was
// already committed or closed (a programming error).
func (b *batch) Set(key, value []byte) {
	if b.wb == nil {
		panic("rocksdb: Set on a committed or closed batch")
	}
	b.wb.Put(key, value)
	b.size += 1 + uvarintLen(len(key)) + len(key) + uvarintLen(len(value)) + len(value)
}

// Delete buffers a deletion of key. It panics if the batch was already
// committed or closed.
func (b *batch) Delete(key []byte) {
	if b.wb == nil {
		panic("rocksdb: Delete on a committed or closed batch")
	}
	b.wb.Delete(key)
	b.size += 1 + uvarintLen(len(key)) + len(key)
}

func uvarintLen(n int) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutUvarint(buf[:], uint64(n))
}

// Count returns the number of buffered operations (0 once released).
func (b *batch) Count() int {
	if b.wb == nil {
		return 0
	}
	return b.wb.Count()
}

// Size returns the encoded size of the batch in bytes (0 once released).
func (b *batch) Size() int {
	if b.wb == nil {
		return 0
	}
	return batchHeader + b.size
}

// Commit applies the batch atomically and releases it.
func (b *batch) Commit(sync bool) error {
	if b.wb == nil {
		return engine.ErrClosed
	}
	wb := b.wb
	b.wb = nil
	defer wb.Destroy()
	if b.e.closed.Load() {
		return engine.ErrClosed
	}
	wo := b.e.wNoSync
	if sync {
		wo = b.e.wSync
	}
	if err := b.e.db.Write(wo, wb); err != nil {
		return fmt.Errorf("rocksdb: commit: %w", err)
	}
	return nil
}

// Close discards the batch. Closing a released batch is a no-op.
func (b *batch) Close() error {
	if b.wb != nil {
		b.wb.Destroy()
		b.wb = nil
	}
	return nil
}

// snapshot is a RocksDB snapshot with read options bound to it.
type snapshot struct {
	e      *Engine
	snap   *grocksdb.Snapshot
	ro     *grocksdb.ReadOptions
	closed atomic.Bool
}

func (s *snapshot) Get(key []byte) ([]byte, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return get(s.e.db, s.ro, key)
}

func (s *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if s.closed.Load() || s.e.closed.Load() {
		return nil, engine.ErrClosed
	}
	return s.e.newIter(s.snap, opts), nil
}

func (s *snapshot) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	s.ro.Destroy()
	s.e.db.ReleaseSnapshot(s.snap) // also frees it
	s.e.openSnaps.Add(-1)
	return nil
}

// iter adapts a grocksdb.Iterator. It caches validity and the current key
// and value per position, since each is a cgo call. SeekLT is SeekForPrev
// plus one step back on an exact match. Next and Prev on an unpositioned or
// exhausted iterator return false (RocksDB asserts on them). it is nil for
// an iterator whose bounds are empty.
type iter struct {
	e            *Engine
	it           *grocksdb.Iterator
	ro           *grocksdb.ReadOptions
	lower, upper []byte // C memory
	key, val     []byte
	haveKey      bool
	haveVal      bool
	valid        bool
	empty        bool
	closed       bool
}

func (i *iter) dead() bool { return i.closed || i.empty }

func (i *iter) settle() bool {
	i.valid = i.it.Valid()
	i.haveKey, i.haveVal = false, false
	return i.valid
}

func (i *iter) First() bool {
	if i.dead() {
		return false
	}
	i.it.SeekToFirst()
	return i.settle()
}

func (i *iter) Last() bool {
	if i.dead() {
		return false
	}
	i.it.SeekToLast()
	return i.settle()
}

func (i *iter) SeekGE(key []byte) bool {
	if i.dead() {
		return false
	}
	if i.lower != nil && bytes.Compare(key, i.lower) < 0 {
		key = i.lower
	}
	i.it.Seek(key)
	return i.settle()
}

func (i *iter) SeekLT(key []byte) bool {
	if i.dead() {
		return false
	}
	if i.upper != nil && bytes.Compare(key, i.upper) >= 0 {
		i.it.SeekToLast()
		return i.settle()
	}
	i.it.SeekForPrev(key)
	if i.settle() && bytes.Equal(i.Key(), key) {
		i.it.Prev()
		return i.settle()
	}
	return i.valid
}

func (i *iter) Next() bool {
	if i.dead() || !i.valid {
		return false
	}
	i.it.Next()
	return i.settle()
}

func (i *iter) Prev() bool {
	if i.dead() || !i.valid {
		return false
	}
	i.it.Prev()
	return i.settle()
}

func (i *iter) Valid() bool { return !i.dead() && i.valid }

func (i *iter) Key() []byte {
	if !i.Valid() {
		return nil
	}
	if !i.haveKey {
		i.key = i.it.Key().Data()
		i.haveKey = true
	}
	return i.key
}

func (i *iter) Value() []byte {
	if !i.Valid() {
		return nil
	}
	if !i.haveVal {
		i.val = i.it.Value().Data()
		i.haveVal = true
	}
	return i.val
}

func (i *iter) Error() error {
	if i.closed {
		return engine.ErrClosed
	}
	if i.empty {
		return nil
	}
	if err := i.it.Err(); err != nil {
		return fmt.Errorf("rocksdb: iterator: %w", err)
	}
	return nil
}

func (i *iter) Close() error {
	if i.closed {
		return engine.ErrClosed
	}
	err := i.Error()
	i.closed, i.valid = true, false
	i.key, i.val = nil, nil
	if i.it != nil {
		i.it.Close()
		i.ro.Destroy()
		cFree(i.lower)
		cFree(i.upper)
		i.lower, i.upper = nil, nil
		i.e.openIters.Add(-1)
	}
	return err
}
