// Package enginetest is the conformance suite every engine.Engine backend
// must pass, and a set of hot-path benchmarks.
//
// A backend's test calls Run with a function that opens a new, empty engine
// (in memory or in t.TempDir()), and WithReopen so that the suite can also
// check persistence and open checkpoints:
//
//	func TestConformance(t *testing.T) {
//		enginetest.Run(t, func(t *testing.T) engine.Engine {
//			e, err := pebble.Open(engine.Options{Dir: t.TempDir()})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return e
//		}, enginetest.WithReopen(openDir))
//	}
//
// Run also runs the whole suite against engine.Overlay stacked one and two
// deep over the backend (see overlayEngine), so that the read-your-writes
// layer the applier uses is held to the same contract.
//
// The suite never writes the empty key: Pebble's invariant checks (on in
// -race builds) reject it in an sstable. Empty seek keys and bounds are
// tested.
//
// Behaviour the suite pins down beyond the doc comments of package engine:
// Next and Prev on an unpositioned or exhausted iterator return false;
// SeekGE and SeekLT clamp their key to the iterator's bounds; bounds with
// LowerBound >= UpperBound give an empty iterator; Get of an empty value
// returns a zero-length slice and a nil error; a second Close of an engine,
// snapshot or iterator returns engine.ErrClosed; committing a batch twice
// returns engine.ErrClosed; every backend implements engine.WriteStopper,
// and a healthy engine, or a closed one, reports writes not stopped.
package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Option configures Run.
type Option func(*config)

type config struct {
	// reopen opens an on-disk engine of the backend under test in dir.
	reopen func(t *testing.T, dir string) engine.Engine
}

// WithReopen gives the suite a way to open an on-disk engine of the backend
// under test in dir (creating it if needed). With it the suite checks
// persistence across Close and reopen, and opens checkpoints to read them
// back; without it those checks are skipped.
func WithReopen(open func(t *testing.T, dir string) engine.Engine) Option {
	return func(c *config) { c.reopen = open }
}

// Run runs the conformance suite. open must return a new, empty engine each
// time it is called; the suite closes every engine it opens. Subtests run
// sequentially.
func Run(t *testing.T, open func(t *testing.T) engine.Engine, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	runSuite(t, open, cfg)
	for depth := 1; depth <= 2; depth++ {
		t.Run(fmt.Sprintf("overlay%d", depth), func(t *testing.T) {
			oc := config{}
			if cfg.reopen != nil {
				oc.reopen = func(t *testing.T, dir string) engine.Engine {
					return newOverlayEngine(cfg.reopen(t, dir), depth)
				}
			}
			runSuite(t, func(t *testing.T) engine.Engine {
				return newOverlayEngine(open(t), depth)
			}, oc)
			t.Run("MergeModel", func(t *testing.T) { testOverlayMergeModel(t, open, depth) })
		})
	}
}

func runSuite(t *testing.T, open func(t *testing.T) engine.Engine, cfg config) {
	o := func(t *testing.T) engine.Engine { return openClosing(t, open) }
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) engine.Engine, cfg config)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"GetReturnsCopy", testGetReturnsCopy},
		{"EmptyValue", testEmptyValue},
		{"BinaryKeys", testBinaryKeys},
		{"Batch", testBatch},
		{"BatchCloseDiscards", testBatchCloseDiscards},
		{"CommitSync", testCommitSync},
		{"Iterator", testIterator},
		{"IteratorBounds", testIteratorBounds},
		{"IteratorDirectionChanges", testIteratorDirectionChanges},
		{"IteratorStableView", testIteratorStableView},
		{"IteratorClose", testIteratorClose},
		{"Snapshot", testSnapshot},
		{"Checkpoint", testCheckpoint},
		{"FlushAndStats", testFlushAndStats},
		{"WriteStopped", testWriteStopped},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
		{"Persistence", testPersistence},
		{"Model", testModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, o, cfg) })
	}
}

// openClosing opens an engine and closes it when the test ends (a second
// Close is fine: the test may have closed it).
func openClosing(t *testing.T, open func(t *testing.T) engine.Engine) engine.Engine {
	t.Helper()
	e := open(t)
	if e == nil {
		t.Fatal("open returned a nil engine")
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil && !errors.Is(err, engine.ErrClosed) {
			t.Errorf("Close at cleanup: %v", err)
		}
	})
	return e
}

// --- helpers ---

func set(t testing.TB, e engine.Engine, kvs ...string) {
	t.Helper()
	if len(kvs)%2 != 0 {
		t.Fatalf("set: odd number of arguments")
	}
	b := e.NewBatch()
	for i := 0; i < len(kvs); i += 2 {
		b.Set([]byte(kvs[i]), []byte(kvs[i+1]))
	}
	if err := b.Commit(false); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func del(t testing.TB, e engine.Engine, keys ...string) {
	t.Helper()
	b := e.NewBatch()
	for _, k := range keys {
		b.Delete([]byte(k))
	}
	if err := b.Commit(false); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustGet(t testing.TB, r engine.Reader, key, want string) {
	t.Helper()
	got, err := r.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v, want %q", key, err, want)
	}
	if string(got) != want {
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
}

func mustMissing(t testing.TB, r engine.Reader, key string) {
	t.Helper()
	got, err := r.Get([]byte(key))
	if !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

func newIter(t testing.TB, r engine.Reader, lower, upper []byte) engine.Iterator {
	t.Helper()
	it, err := r.NewIter(engine.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		t.Fatalf("NewIter: %v", err)
	}
	return it
}

func closeIter(t testing.TB, it engine.Iterator) {
	t.Helper()
	if err := it.Close(); err != nil {
		t.Errorf("iterator Close: %v", err)
	}
}

// scan returns all key=value pairs of r within bounds, forward.
func scan(t testing.TB, r engine.Reader, lower, upper []byte) []string {
	t.Helper()
	it := newIter(t, r, lower, upper)
	defer closeIter(t, it)
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if it.Valid() {
		t.Fatalf("iterator valid after exhaustion")
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	return out
}

// scanReverse returns all key=value pairs of r within bounds, backward.
func scanReverse(t testing.TB, r engine.Reader, lower, upper []byte) []string {
	t.Helper()
	it := newIter(t, r, lower, upper)
	defer closeIter(t, it)
	var out []string
	for ok := it.Last(); ok; ok = it.Prev() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// expectPos checks the iterator's position after a positioning call.
func expectPos(t testing.TB, what string, it engine.Iterator, ok bool, wantKey string, wantValid bool) {
	t.Helper()
	if ok != wantValid || it.Valid() != wantValid {
		t.Fatalf("%s: returned %v, Valid %v; want %v", what, ok, it.Valid(), wantValid)
	}
	if wantValid && string(it.Key()) != wantKey {
		t.Fatalf("%s: at %q, want %q", what, it.Key(), wantKey)
	}
}

// --- tests ---

func testGetSetDelete(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	mustMissing(t, e, "a")
	set(t, e, "a", "1", "b", "2")
	mustGet(t, e, "a", "1")
	mustGet(t, e, "b", "2")
	set(t, e, "a", "10")
	mustGet(t, e, "a", "10")
	del(t, e, "a")
	mustMissing(t, e, "a")
	mustGet(t, e, "b", "2")
	// Deleting a missing key is fine.
	del(t, e, "nope")
	mustMissing(t, e, "nope")
	// Set after delete.
	set(t, e, "a", "again")
	mustGet(t, e, "a", "again")
	if _, err := e.Get([]byte("zzz")); err == nil || !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("Get(missing) error = %v, want ErrNotFound", err)
	}
	if e.Name() == "" {
		t.Fatalf("Name() is empty")
	}
}

func testGetReturnsCopy(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	key := []byte("key")
	val := []byte("value")
	b := e.NewBatch()
	b.Set(key, val)
	// Mutating the inputs after Set must not change the batch.
	key[0], val[0] = 'X', 'X'
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	mustGet(t, e, "key", "value")
	mustMissing(t, e, "Xey")
	// And after Commit.
	key[1], val[1] = 'Y', 'Y'
	mustGet(t, e, "key", "value")

	v1, err := e.Get([]byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range v1 {
		v1[i] = 'Z'
	}
	mustGet(t, e, "key", "value")
	v2, _ := e.Get([]byte("key"))
	v3, _ := e.Get([]byte("key"))
	v2[0] = 'Q'
	if string(v3) != "value" {
		t.Fatalf("two Gets share memory: %q", v3)
	}
	// Appending to a returned value must not reach the store either.
	_ = append(v3[:1], "!!!!"...)
	mustGet(t, e, "key", "value")

	// A key slice passed to Get may be reused right after.
	k := []byte("key")
	got, _ := e.Get(k)
	k[0] = 'x'
	if string(got) != "value" {
		t.Fatalf("Get result aliases the key: %q", got)
	}
}

func testEmptyValue(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "empty", "", "full", "x")
	got, err := e.Get([]byte("empty"))
	if err != nil {
		t.Fatalf("Get(empty value): %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("Get(empty value) = %q", got)
	}
	mustMissing(t, e, "missing")
	b := e.NewBatch()
	b.Set([]byte("nilval"), nil)
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Get([]byte("nilval")); err != nil || len(got) != 0 {
		t.Fatalf("Get(nil value) = %q, %v", got, err)
	}
	want := []string{"empty=", "full=x", "nilval="}
	if got := scan(t, e, nil, nil); !equalStrings(got, want) {
		t.Fatalf("scan = %q, want %q", got, want)
	}
	del(t, e, "empty")
	mustMissing(t, e, "empty")
}

func testBinaryKeys(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	keys := []string{"\x00", "\x00\x00", "\x00\xff", "\x01", "a", "a\x00", "a\x00b", "a\xff", "b", "\xfe", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff"}
	b := e.NewBatch()
	// Insert in reverse to make sure order comes from the engine.
	for i := len(keys) - 1; i >= 0; i-- {
		b.Set([]byte(keys[i]), []byte("v"+keys[i]))
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range keys {
		mustGet(t, e, k, "v"+k)
		want = append(want, k+"=v"+k)
	}
	mustMissing(t, e, "")
	mustMissing(t, e, "\x00\x01")
	for pass := range 2 {
		if got := scan(t, e, nil, nil); !equalStrings(got, want) {
			t.Fatalf("scan = %q\nwant %q", got, want)
		}
		if got := scanReverse(t, e, nil, nil); !equalStrings(got, reversed(want)) {
			t.Fatalf("reverse scan = %q\nwant %q", got, reversed(want))
		}
		// Bounds made of binary keys.
		if got := scan(t, e, []byte("\x00"), []byte("\x01")); !equalStrings(got, want[:3]) {
			t.Fatalf("scan [\\x00,\\x01) = %q, want %q", got, want[:3])
		}
		if got := scan(t, e, []byte("\xff"), nil); !equalStrings(got, want[10:]) {
			t.Fatalf("scan [\\xff,) = %q, want %q", got, want[10:])
		}
		if got := scan(t, e, nil, []byte("\x00\x01")); !equalStrings(got, want[:2]) {
			t.Fatalf("scan [,\\x00\\x01) = %q, want %q", got, want[:2])
		}
		it := newIter(t, e, nil, nil)
		expectPos(t, "SeekGE(\\x00\\x01)", it, it.SeekGE([]byte("\x00\x01")), "\x00\xff", true)
		expectPos(t, "SeekLT(\\x00)", it, it.SeekLT([]byte("\x00")), "", false)
		expectPos(t, "SeekLT(\\x00\\x00)", it, it.SeekLT([]byte("\x00\x00")), "\x00", true)
		expectPos(t, "SeekLT(\"\")", it, it.SeekLT([]byte("")), "", false)
		expectPos(t, "SeekGE(\"\")", it, it.SeekGE([]byte("")), "\x00", true)
		expectPos(t, "SeekGE(nil)", it, it.SeekGE(nil), "\x00", true)
		expectPos(t, "SeekGE(\\xff\\xff\\xff\\xff)", it, it.SeekGE([]byte("\xff\xff\xff\xff")), "", false)
		expectPos(t, "SeekLT(\\xff\\xff\\xff\\xff)", it, it.SeekLT([]byte("\xff\xff\xff\xff")), "\xff\xff\xff", true)
		closeIter(t, it)
		if pass == 0 {
			// Again from sstables rather than the memtable.
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	del(t, e, "\x00", "\xff\xff\xff")
	mustMissing(t, e, "\x00")
	mustMissing(t, e, "\xff\xff\xff")
	mustGet(t, e, "\x00\x00", "v\x00\x00")
}

func testBatch(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "keep", "k", "gone", "g")
	b := e.NewBatch()
	if b.Count() != 0 {
		t.Fatalf("empty batch Count = %d", b.Count())
	}
	size0 := b.Size()
	b.Set([]byte("a"), []byte("1"))
	if b.Count() != 1 || b.Size() <= size0 {
		t.Fatalf("after one Set: Count %d Size %d (empty %d)", b.Count(), b.Size(), size0)
	}
	size1 := b.Size()
	b.Set([]byte("b"), bytes.Repeat([]byte("x"), 1000))
	if b.Count() != 2 || b.Size() < size1+1000 {
		t.Fatalf("after two Sets: Count %d Size %d (one %d)", b.Count(), b.Size(), size1)
	}
	b.Delete([]byte("gone"))
	b.Set([]byte("c"), []byte("3"))
	b.Delete([]byte("c")) // later op on the same key wins
	b.Delete([]byte("d"))
	b.Set([]byte("d"), []byte("4"))
	if b.Count() != 7 {
		t.Fatalf("Count = %d, want 7", b.Count())
	}
	// Nothing is visible before Commit.
	mustMissing(t, e, "a")
	mustGet(t, e, "gone", "g")
	if got := scan(t, e, nil, nil); !equalStrings(got, []string{"gone=g", "keep=k"}) {
		t.Fatalf("scan before commit = %q", got)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	mustGet(t, e, "a", "1")
	mustGet(t, e, "b", string(bytes.Repeat([]byte("x"), 1000)))
	mustMissing(t, e, "gone")
	mustMissing(t, e, "c")
	mustGet(t, e, "d", "4")
	mustGet(t, e, "keep", "k")
	// A released batch.
	if err := b.Commit(false); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second Commit = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close after Commit = %v, want nil", err)
	}
	// An empty batch commits fine.
	if err := e.NewBatch().Commit(false); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
	// Batches are atomic w.r.t. a concurrent snapshot: a snapshot sees all
	// or nothing of a large batch.
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := e.NewBatch()
		for i := range 500 {
			b.Set(fmt.Appendf(nil, "atomic%04d", i), []byte("x"))
		}
		if err := b.Commit(false); err != nil {
			t.Errorf("Commit: %v", err)
		}
	}()
	lower, upper := []byte("atomic"), []byte("atomid")
	for {
		s, err := e.NewSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		n := len(scan(t, s, lower, upper))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n != 0 && n != 500 {
			t.Fatalf("snapshot saw %d of 500 batch writes", n)
		}
		if n == 500 {
			break
		}
		select {
		case <-done:
			if n := len(scan(t, e, lower, upper)); n != 500 {
				t.Fatalf("after commit saw %d of 500", n)
			}
			return
		default:
		}
	}
	<-done
}

func testBatchCloseDiscards(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "a", "1")
	b := e.NewBatch()
	b.Set([]byte("a"), []byte("2"))
	b.Set([]byte("b"), []byte("2"))
	b.Delete([]byte("a"))
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mustGet(t, e, "a", "1")
	mustMissing(t, e, "b")
	if err := b.Commit(false); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Commit after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	mustGet(t, e, "a", "1")
	mustMissing(t, e, "b")
}

func testCommitSync(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	b := e.NewBatch()
	b.Set([]byte("s"), []byte("synced"))
	if err := b.Commit(true); err != nil {
		t.Fatalf("Commit(sync): %v", err)
	}
	mustGet(t, e, "s", "synced")
	b = e.NewBatch()
	b.Delete([]byte("s"))
	if err := b.Commit(true); err != nil {
		t.Fatalf("Commit(sync): %v", err)
	}
	mustMissing(t, e, "s")
}

// iterData writes k00, k02, …, k18 (values v00, …) and returns the keys.
func iterData(t *testing.T, e engine.Engine) []string {
	t.Helper()
	var kvs, keys []string
	for i := 0; i < 20; i += 2 {
		k := fmt.Sprintf("k%02d", i)
		kvs = append(kvs, k, fmt.Sprintf("v%02d", i))
		keys = append(keys, k)
	}
	set(t, e, kvs...)
	return keys
}

func testIterator(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	// Empty engine.
	it := newIter(t, e, nil, nil)
	if it.Valid() {
		t.Fatal("fresh iterator is valid")
	}
	expectPos(t, "First on empty", it, it.First(), "", false)
	expectPos(t, "Last on empty", it, it.Last(), "", false)
	expectPos(t, "SeekGE on empty", it, it.SeekGE([]byte("a")), "", false)
	expectPos(t, "SeekLT on empty", it, it.SeekLT([]byte("a")), "", false)
	closeIter(t, it)

	keys := iterData(t, e)
	it = newIter(t, e, nil, nil)
	defer closeIter(t, it)
	if it.Valid() {
		t.Fatal("fresh iterator is valid")
	}
	if it.Next() || it.Prev() {
		t.Fatal("Next/Prev on an unpositioned iterator returned true")
	}
	expectPos(t, "First", it, it.First(), "k00", true)
	if string(it.Value()) != "v00" {
		t.Fatalf("Value = %q", it.Value())
	}
	expectPos(t, "Next", it, it.Next(), "k02", true)
	expectPos(t, "Prev", it, it.Prev(), "k00", true)
	expectPos(t, "Prev past start", it, it.Prev(), "", false)
	if it.Next() || it.Prev() || it.Valid() {
		t.Fatal("Next/Prev on an exhausted iterator moved it")
	}
	expectPos(t, "Last", it, it.Last(), "k18", true)
	if string(it.Value()) != "v18" {
		t.Fatalf("Value = %q", it.Value())
	}
	expectPos(t, "Next past end", it, it.Next(), "", false)
	if it.Prev() || it.Valid() {
		t.Fatal("Prev on an exhausted iterator moved it")
	}
	expectPos(t, "SeekGE exact", it, it.SeekGE([]byte("k04")), "k04", true)
	expectPos(t, "SeekGE between", it, it.SeekGE([]byte("k05")), "k06", true)
	expectPos(t, "SeekGE before all", it, it.SeekGE([]byte("a")), "k00", true)
	expectPos(t, "SeekGE after all", it, it.SeekGE([]byte("k19")), "", false)
	expectPos(t, "SeekLT exact", it, it.SeekLT([]byte("k04")), "k02", true)
	expectPos(t, "SeekLT between", it, it.SeekLT([]byte("k05")), "k04", true)
	expectPos(t, "SeekLT after all", it, it.SeekLT([]byte("z")), "k18", true)
	expectPos(t, "SeekLT first", it, it.SeekLT([]byte("k00")), "", false)
	expectPos(t, "SeekLT before all", it, it.SeekLT([]byte("a")), "", false)
	// Seeks can go either way from any position.
	expectPos(t, "SeekGE", it, it.SeekGE([]byte("k10")), "k10", true)
	expectPos(t, "SeekGE backwards", it, it.SeekGE([]byte("k03")), "k04", true)
	expectPos(t, "SeekLT forwards", it, it.SeekLT([]byte("k17")), "k16", true)

	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key()))
	}
	if !equalStrings(got, keys) {
		t.Fatalf("forward = %q, want %q", got, keys)
	}
	got = got[:0]
	for ok := it.Last(); ok; ok = it.Prev() {
		got = append(got, string(it.Key()))
	}
	if !equalStrings(got, reversed(keys)) {
		t.Fatalf("backward = %q", got)
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
}

func testIteratorBounds(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	keys := iterData(t, e)
	kv := func(ks []string) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k + "=v" + k[1:]
		}
		return out
	}
	cases := []struct {
		lower, upper []byte
		want         []string
	}{
		{nil, nil, keys},
		{[]byte("k04"), nil, keys[2:]},
		{[]byte("k05"), nil, keys[3:]},
		{nil, []byte("k04"), keys[:2]},
		{nil, []byte("k05"), keys[:3]},
		{[]byte("k04"), []byte("k10"), keys[2:5]},
		{[]byte("k03"), []byte("k11"), keys[2:6]},
		{[]byte("a"), []byte("z"), keys},
		{[]byte("k04"), []byte("k04"), nil},
		{[]byte("k10"), []byte("k04"), nil},
		{[]byte("k041"), []byte("k05"), nil},
		{[]byte(""), nil, keys},
		{nil, []byte(""), nil},
		{[]byte("z"), nil, nil},
		{nil, []byte("a"), nil},
	}
	for _, c := range cases {
		want := kv(c.want)
		if got := scan(t, e, c.lower, c.upper); !equalStrings(got, want) {
			t.Errorf("scan [%q,%q) = %q, want %q", c.lower, c.upper, got, want)
		}
		if got := scanReverse(t, e, c.lower, c.upper); !equalStrings(got, reversed(want)) {
			t.Errorf("reverse scan [%q,%q) = %q, want %q", c.lower, c.upper, got, reversed(want))
		}
	}

	// Seeks are clamped to the bounds.
	lower, upper := []byte("k04"), []byte("k10")
	it := newIter(t, e, lower, upper)
	defer closeIter(t, it)
	// The bounds are copied by NewIter.
	lower[1], upper[1] = 'z', 'a'
	expectPos(t, "First", it, it.First(), "k04", true)
	expectPos(t, "Prev below lower", it, it.Prev(), "", false)
	expectPos(t, "Last", it, it.Last(), "k08", true)
	expectPos(t, "Next at upper", it, it.Next(), "", false)
	expectPos(t, "SeekGE below lower", it, it.SeekGE([]byte("a")), "k04", true)
	expectPos(t, "SeekGE in range", it, it.SeekGE([]byte("k07")), "k08", true)
	expectPos(t, "SeekGE at upper", it, it.SeekGE([]byte("k10")), "", false)
	expectPos(t, "SeekGE above upper", it, it.SeekGE([]byte("z")), "", false)
	expectPos(t, "SeekLT above upper", it, it.SeekLT([]byte("z")), "k08", true)
	expectPos(t, "SeekLT at upper", it, it.SeekLT([]byte("k10")), "k08", true)
	expectPos(t, "SeekLT in range", it, it.SeekLT([]byte("k07")), "k06", true)
	expectPos(t, "SeekLT at lower", it, it.SeekLT([]byte("k04")), "", false)
	expectPos(t, "SeekLT below lower", it, it.SeekLT([]byte("a")), "", false)

	// Bounds between existing keys, lower only and upper only.
	it2 := newIter(t, e, nil, []byte("k03"))
	defer closeIter(t, it2)
	expectPos(t, "upper-only Last", it2, it2.Last(), "k02", true)
	expectPos(t, "upper-only SeekGE(k03)", it2, it2.SeekGE([]byte("k03")), "", false)
	it3 := newIter(t, e, []byte("k15"), nil)
	defer closeIter(t, it3)
	expectPos(t, "lower-only First", it3, it3.First(), "k16", true)
	expectPos(t, "lower-only SeekLT(k16)", it3, it3.SeekLT([]byte("k16")), "", false)
	expectPos(t, "lower-only SeekLT(z)", it3, it3.SeekLT([]byte("z")), "k18", true)
}

func testIteratorDirectionChanges(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	keys := iterData(t, e)
	for _, b := range []struct{ lower, upper []byte }{{nil, nil}, {[]byte("k03"), []byte("k15")}} {
		var inRange []string
		for _, k := range keys {
			if (b.lower == nil || k >= string(b.lower)) && (b.upper == nil || k < string(b.upper)) {
				inRange = append(inRange, k)
			}
		}
		it := newIter(t, e, b.lower, b.upper)
		pos := 0
		expectPos(t, "First", it, it.First(), inRange[0], true)
		// A fixed zig-zag: N N P N P P N N N P …
		moves := "NNPNPPNNNPPPNNNNPNPNPPPPNNN"
		for i, m := range moves {
			var ok bool
			if m == 'N' {
				ok = it.Next()
				pos++
			} else {
				ok = it.Prev()
				pos--
			}
			if pos < 0 || pos >= len(inRange) {
				t.Fatalf("test bug: zig-zag leaves range at move %d", i)
			}
			expectPos(t, fmt.Sprintf("move %d (%c)", i, m), it, ok, inRange[pos], true)
		}
		// Direction change right after a seek.
		expectPos(t, "SeekGE", it, it.SeekGE([]byte("k06")), "k06", true)
		expectPos(t, "Prev after SeekGE", it, it.Prev(), "k04", true)
		expectPos(t, "SeekLT", it, it.SeekLT([]byte("k10")), "k08", true)
		expectPos(t, "Next after SeekLT", it, it.Next(), "k10", true)
		expectPos(t, "Last", it, it.Last(), inRange[len(inRange)-1], true)
		expectPos(t, "Prev after Last", it, it.Prev(), inRange[len(inRange)-2], true)
		expectPos(t, "Next", it, it.Next(), inRange[len(inRange)-1], true)
		expectPos(t, "Next past end", it, it.Next(), "", false)
		expectPos(t, "First again", it, it.First(), inRange[0], true)
		expectPos(t, "Next after First", it, it.Next(), inRange[1], true)
		expectPos(t, "Prev", it, it.Prev(), inRange[0], true)
		closeIter(t, it)
	}
}

func testIteratorStableView(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "a", "1", "b", "2", "c", "3")
	want := []string{"a=1", "b=2", "c=3"}
	// Created before the writes, positioned after them.
	it := newIter(t, e, nil, nil)
	defer closeIter(t, it)
	// Positioned before the writes, moved after them.
	it2 := newIter(t, e, nil, nil)
	defer closeIter(t, it2)
	if !it2.First() {
		t.Fatal("First")
	}
	set(t, e, "b", "20", "bb", "new", "d", "4")
	del(t, e, "c", "a")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	if !equalStrings(got, want) {
		t.Fatalf("iterator created before writes sees %q, want %q", got, want)
	}
	got = got[:0]
	for ok := it2.Valid(); ok; ok = it2.Next() {
		got = append(got, string(it2.Key())+"="+string(it2.Value()))
	}
	if !equalStrings(got, want) {
		t.Fatalf("positioned iterator sees %q, want %q", got, want)
	}
	if got := scan(t, e, nil, nil); !equalStrings(got, []string{"b=20", "bb=new", "d=4"}) {
		t.Fatalf("new iterator sees %q", got)
	}
}

func testIteratorClose(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "a", "1")
	it := newIter(t, e, nil, nil)
	if !it.First() {
		t.Fatal("First")
	}
	if err := it.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if it.Valid() {
		t.Fatal("closed iterator is valid")
	}
	if it.First() || it.Last() || it.SeekGE([]byte("a")) || it.SeekLT([]byte("b")) || it.Next() || it.Prev() {
		t.Fatal("closed iterator moved")
	}
	if err := it.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
}

func testSnapshot(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "a", "1", "c", "3", "d", "4")
	s, err := e.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	set(t, e, "a", "2", "b", "new")
	del(t, e, "c")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "a", "1")
	mustMissing(t, s, "b")
	mustGet(t, s, "c", "3")
	mustGet(t, e, "a", "2")
	mustGet(t, e, "b", "new")
	mustMissing(t, e, "c")
	if got, want := scan(t, s, nil, nil), []string{"a=1", "c=3", "d=4"}; !equalStrings(got, want) {
		t.Fatalf("snapshot scan = %q, want %q", got, want)
	}
	if got, want := scanReverse(t, s, []byte("b"), []byte("d")), []string{"c=3"}; !equalStrings(got, want) {
		t.Fatalf("snapshot bounded reverse scan = %q, want %q", got, want)
	}
	// A second snapshot sees the later state, independently.
	s2, err := e.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	set(t, e, "d", "40")
	mustGet(t, s2, "a", "2")
	mustGet(t, s2, "d", "4")
	mustGet(t, s, "d", "4")
	// Get from a snapshot returns a copy.
	v, _ := s.Get([]byte("a"))
	v[0] = 'X'
	mustGet(t, s, "a", "1")
	// Concurrent reads of one snapshot.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if v, err := s.Get([]byte("c")); err != nil || string(v) != "3" {
					t.Errorf("goroutine %d: snapshot Get = %q, %v", g, v, err)
					return
				}
				it, err := s.NewIter(engine.IterOptions{})
				if err != nil {
					t.Errorf("NewIter: %v", err)
					return
				}
				n := 0
				for ok := it.First(); ok; ok = it.Next() {
					n++
				}
				if err := it.Close(); err != nil || n != 3 {
					t.Errorf("goroutine %d: snapshot scan saw %d keys, err %v", g, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Get([]byte("a")); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("Get on closed snapshot = %v, want ErrClosed", err)
	}
	if _, err := s.NewIter(engine.IterOptions{}); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("NewIter on closed snapshot = %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
}

func testCheckpoint(t *testing.T, open func(t *testing.T) engine.Engine, cfg config) {
	e := open(t)
	var want []string
	b := e.NewBatch()
	for i := range 300 {
		k, v := fmt.Sprintf("key%04d", i), fmt.Sprintf("value%d", i)
		b.Set([]byte(k), []byte(v))
		want = append(want, k+"="+v)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	// Some data only in the memtable / WAL.
	set(t, e, "key0000", "changed", "zz", "memtable")
	del(t, e, "key0001")
	want[0] = "key0000=changed"
	want = append(want[:1], want[2:]...)
	want = append(want, "zz=memtable")

	dir := filepath.Join(t.TempDir(), "checkpoint")
	if err := e.Checkpoint(dir); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("checkpoint unsupported: %v", err)
		}
		t.Fatalf("Checkpoint: %v", err)
	}
	// Writes after the checkpoint are not in it.
	set(t, e, "after", "x", "key0002", "after")
	if err := e.Checkpoint(dir); err == nil {
		t.Fatal("Checkpoint into an existing directory succeeded")
	}
	mustGet(t, e, "after", "x")
	if cfg.reopen == nil {
		t.Log("no WithReopen: checkpoint contents not verified")
		return
	}
	c := openClosing(t, func(t *testing.T) engine.Engine { return cfg.reopen(t, dir) })
	if got := scan(t, c, nil, nil); !equalStrings(got, want) {
		t.Fatalf("checkpoint holds %d entries, want %d; first %q", len(got), len(want), got[:min(3, len(got))])
	}
	mustMissing(t, c, "after")
	// The checkpoint is an independent, writable database.
	set(t, c, "cp-only", "1")
	mustMissing(t, e, "cp-only")
}

func testFlushAndStats(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	st := e.Stats()
	if st.DiskUsageBytes < 0 || st.MemtableBytes < 0 || st.L0Files < 0 || st.Compactions < 0 || st.Flushes < 0 || st.WriteStalls < 0 {
		t.Fatalf("negative stats: %+v", st)
	}
	b := e.NewBatch()
	for i := range 1000 {
		b.Set(fmt.Appendf(nil, "flush%05d", i), bytes.Repeat([]byte{byte(i)}, 100))
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	// Flushing again with nothing new is fine.
	if err := e.Flush(); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
	mustGet(t, e, "flush00007", string(bytes.Repeat([]byte{7}, 100)))
	if n := len(scan(t, e, []byte("flush"), []byte("flusi"))); n != 1000 {
		t.Fatalf("after Flush scan saw %d keys", n)
	}
	st = e.Stats()
	t.Logf("stats after flush: disk %d memtable %d L0 %d/%d pending %d compactions %d flushes %d stalls %d",
		st.DiskUsageBytes, st.MemtableBytes, st.L0Files, st.L0Sublevels, st.PendingCompactionBytes, st.Compactions, st.Flushes, st.WriteStalls)
	if st.Flushes < 1 {
		t.Errorf("Stats.Flushes = %d after Flush", st.Flushes)
	}
	if st.DiskUsageBytes <= 0 {
		t.Errorf("Stats.DiskUsageBytes = %d after Flush", st.DiskUsageBytes)
	}
}

// testWriteStopped: a healthy engine under a light load reports that
// writes are not stopped, through WriteStopper (which every backend
// implements) and through Stats alike.
func testWriteStopped(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := openClosing(t, open)
	ws, ok := e.(engine.WriteStopper)
	if !ok {
		t.Fatalf("%T does not implement engine.WriteStopper", e)
	}
	check := func(when string) {
		t.Helper()
		if ws.WriteStopped() {
			t.Errorf("WriteStopped() = true %s", when)
		}
		if e.Stats().WriteStopped {
			t.Errorf("Stats().WriteStopped = true %s", when)
		}
		if engine.IsWriteStopped(e) {
			t.Errorf("engine.IsWriteStopped = true %s", when)
		}
	}
	check("on a fresh engine")
	for round := range 3 {
		b := e.NewBatch()
		for i := range 500 {
			b.Set(fmt.Appendf(nil, "ws%d-%05d", round, i), bytes.Repeat([]byte{byte(i)}, 64))
		}
		if err := b.Commit(round == 2); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after write round %d", round))
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	check("after writes and flushes")
}

func testClosed(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	set(t, e, "a", "1")
	pending := e.NewBatch()
	pending.Set([]byte("b"), []byte("2"))
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := pending.Commit(false); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Commit after engine Close = %v, want ErrClosed", err)
	}
	if _, err := e.Get([]byte("a")); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := e.NewIter(engine.IterOptions{}); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("NewIter after Close = %v, want ErrClosed", err)
	}
	if _, err := e.NewSnapshot(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("NewSnapshot after Close = %v, want ErrClosed", err)
	}
	if err := e.Flush(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	if err := e.Checkpoint(filepath.Join(t.TempDir(), "cp")); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Checkpoint after Close = %v, want ErrClosed", err)
	}
	nb := e.NewBatch()
	nb.Set([]byte("c"), []byte("3"))
	if err := nb.Commit(false); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Commit of a batch made after Close = %v, want ErrClosed", err)
	}
	_ = e.Stats() // must not panic
	if engine.IsWriteStopped(e) {
		t.Error("IsWriteStopped after Close = true, want false")
	}
	if err := e.Close(); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func testConcurrent(t *testing.T, open func(t *testing.T) engine.Engine, _ config) {
	e := open(t)
	const n = 200
	b := e.NewBatch()
	for i := range n {
		b.Set(fmt.Appendf(nil, "r%04d", i), fmt.Appendf(nil, "val%d", i))
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	// A writer on a disjoint key range.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 100 {
			b := e.NewBatch()
			b.Set(fmt.Appendf(nil, "w%04d", i), []byte("w"))
			if i%10 == 0 {
				b.Delete(fmt.Appendf(nil, "w%04d", i-5))
			}
			if err := b.Commit(false); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
		}
	}()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 150 {
				i := rng.IntN(n)
				v, err := e.Get(fmt.Appendf(nil, "r%04d", i))
				if err != nil || string(v) != fmt.Sprintf("val%d", i) {
					t.Errorf("reader %d: Get(r%04d) = %q, %v", g, i, v, err)
					return
				}
				if rng.IntN(4) != 0 {
					continue
				}
				lo := rng.IntN(n)
				hi := min(n, lo+rng.IntN(20))
				it, err := e.NewIter(engine.IterOptions{LowerBound: fmt.Appendf(nil, "r%04d", lo), UpperBound: fmt.Appendf(nil, "r%04d", hi)})
				if err != nil {
					t.Errorf("reader %d: NewIter: %v", g, err)
					return
				}
				cnt := 0
				for ok := it.First(); ok; ok = it.Next() {
					if want := fmt.Sprintf("r%04d", lo+cnt); string(it.Key()) != want {
						t.Errorf("reader %d: scan at %q, want %q", g, it.Key(), want)
						break
					}
					cnt++
				}
				if err := it.Close(); err != nil {
					t.Errorf("reader %d: iterator: %v", g, err)
				}
				if cnt != hi-lo {
					t.Errorf("reader %d: scan [%d,%d) saw %d keys", g, lo, hi, cnt)
					return
				}
			}
		}()
	}
	wg.Wait()
	mustGet(t, e, "w0099", "w")
}

func testPersistence(t *testing.T, _ func(t *testing.T) engine.Engine, cfg config) {
	if cfg.reopen == nil {
		t.Skip("needs WithReopen")
	}
	dir := t.TempDir()
	reopen := func(t *testing.T) engine.Engine { return cfg.reopen(t, dir) }
	e := openClosing(t, reopen)
	set(t, e, "a", "1", "b", "2", "c", "3")
	b := e.NewBatch()
	b.Set([]byte("synced"), []byte("yes"))
	b.Delete([]byte("b"))
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	set(t, e, "after-flush", "wal")
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e = openClosing(t, reopen)
	want := []string{"a=1", "after-flush=wal", "c=3", "synced=yes"}
	if got := scan(t, e, nil, nil); !equalStrings(got, want) {
		t.Fatalf("after reopen: %q, want %q", got, want)
	}
	del(t, e, "a")
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e = openClosing(t, reopen)
	mustMissing(t, e, "a")
	mustGet(t, e, "c", "3")
}
