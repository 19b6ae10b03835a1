package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// fillDB stores in db a string with a TTL, a chunked string, a hash and a
// list, all named with prefix p, and returns the key names.
func fillDB(t *testing.T, tx *Tx, db int, p string) {
	t.Helper()
	k := func(s string) []byte { return []byte(p + s) }
	must[SetResult](t)(tx.SetString(db, k("str"), k("v"), t0, SetOptions{ExpireAt: t0 + 1000}))
	must[SetResult](t)(tx.SetString(db, k("big"), bytes.Repeat(k("x"), ChunkSize), t0, SetOptions{}))
	must[int64](t)(tx.HashSet(db, k("hash"), [][]byte{[]byte("f"), k("hv")}, t0))
	must[int64](t)(tx.ListPush(db, k("list"), [][]byte{k("a"), k("b")}, false, true, t0))
	must[SetResult](t)(tx.SetString(db, []byte("shared"), k(""), t0, SetOptions{ExpireAt: t0 + 10}))
}

// checkDBContents checks that db holds what fillDB(p) stored.
func checkDBContents(t *testing.T, tx *Tx, db int, p string) {
	t.Helper()
	k := func(s string) []byte { return []byte(p + s) }
	keys := must[[][]byte](t)(tx.Keys(db, []byte("*"), t0))
	want := [][]byte{k("big"), k("hash"), k("list"), k("str"), []byte("shared")}
	slices.SortFunc(want, bytes.Compare)
	if !slices.EqualFunc(keys, want, bytes.Equal) {
		t.Errorf("db %d: keys %q, want %q", db, keys, want)
	}
	if v, ok, err := tx.GetString(db, k("str"), t0); err != nil || !ok || string(v) != p+"v" {
		t.Errorf("db %d: str = %q %v %v", db, v, ok, err)
	}
	if at, ok, err := tx.Expiry(db, k("str"), t0); err != nil || !ok || at != t0+1000 {
		t.Errorf("db %d: str expires at %d %v %v", db, at, ok, err)
	}
	if v, _, err := tx.GetString(db, k("big"), t0); err != nil || !bytes.Equal(v, bytes.Repeat(k("x"), ChunkSize)) {
		t.Errorf("db %d: big of %d bytes, %v", db, len(v), err)
	}
	if v, ok, err := tx.HashGet(db, k("hash"), []byte("f"), t0); err != nil || !ok || string(v) != p+"hv" {
		t.Errorf("db %d: hash f = %q %v %v", db, v, ok, err)
	}
	if n, err := tx.ListLen(db, k("list"), t0); err != nil || n != 2 {
		t.Errorf("db %d: list of %d, %v", db, n, err)
	}
	if v, ok, err := tx.GetString(db, []byte("shared"), t0); err != nil || !ok || string(v) != p {
		t.Errorf("db %d: shared = %q %v %v", db, v, ok, err)
	}
}

func TestSwapDB(t *testing.T) {
	eng := newTestEngine(t)
	ks := openKS(t, eng)
	commit(t, ks, func(tx *Tx) {
		fillDB(t, tx, 0, "a-")
		fillDB(t, tx, 1, "b-")
	})
	commit(t, ks, func(tx *Tx) {
		noErr(t, tx.SwapDB(0, 1))
		// The next commands of the group see the swap at once.
		checkDBContents(t, tx, 0, "b-")
	})
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		checkDBContents(t, tx, 0, "b-")
		checkDBContents(t, tx, 1, "a-")
		if n, err := tx.Keys(2, []byte("*"), t0); err != nil || len(n) != 0 {
			t.Errorf("db 2: %q %v", n, err)
		}
	})
	if ks.KeyCount(0) != 5 || ks.ExpireCount(0) != 2 || ks.KeyCount(2) != 0 {
		t.Errorf("counts %d %d %d", ks.KeyCount(0), ks.ExpireCount(0), ks.KeyCount(2))
	}
	v, err := eng.Get(sysKey(sysFormat))
	noErr(t, err)
	if binary.BigEndian.Uint64(v) != formatVersion {
		t.Errorf("format after a swap: %x", v)
	}

	// Every operation maps the database: writes, MOVE, COPY, FLUSHDB,
	// SCAN, RANDOMKEY, and active expiry through the expiry index.
	commit(t, ks, func(tx *Tx) {
		noErr(t, tx.SwapDB(1, 2)) // db 2 holds "a-", db 1 is empty
		must[SetResult](t)(tx.SetString(1, []byte("new"), []byte("1"), t0, SetOptions{}))
		if ok := must[bool](t)(tx.Move(2, []byte("a-str"), 1, t0)); !ok {
			t.Error("MOVE a-str 2 -> 1 did nothing")
		}
		if ok := must[bool](t)(tx.Copy(0, []byte("b-hash"), 3, []byte("h"), false, t0)); !ok {
			t.Error("COPY b-hash 0 -> 3 did nothing")
		}
	})
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		next, keys, err := tx.Scan(1, 0, t0, ScanOptions{Count: 100})
		if err != nil || next != 0 || len(keys) != 2 {
			t.Errorf("SCAN db 1: %d %q %v", next, keys, err)
		}
		for seed := range uint64(20) {
			k, ok, err := tx.RandomKey(3, t0, seed)
			if err != nil || !ok || string(k) != "h" {
				t.Errorf("RANDOMKEY db 3: %q %v %v", k, ok, err)
			}
		}
	})
	commit(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.FlushDB(2)); n != 4 {
			t.Errorf("FLUSHDB 2 deleted %d keys", n)
		}
	})
	checkInvariants(t, ks)
	commit(t, ks, func(tx *Tx) {
		n, more, err := tx.ExpireCycle(t0+10, 100)
		if err != nil || n != 1 || more {
			t.Errorf("ExpireCycle: %d %v %v", n, more, err)
		}
	})
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Exists(0, []byte("shared"), t0)); ok {
			t.Error("expired key of db 0 (slot 1) still there")
		}
		if ok := must[bool](t)(tx.Exists(1, []byte("a-str"), t0)); !ok {
			t.Error("moved key lost")
		}
	})

	// The mapping and the counters survive a reopen.
	want := ks.dbmap.Load().slots
	ks = openKS(t, eng)
	if got := ks.dbmap.Load().slots; !bytes.Equal(got, want) {
		t.Errorf("mapping after reopen %v, want %v", got, want)
	}
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		if v, _, _ := tx.GetString(1, []byte("new"), t0); string(v) != "1" {
			t.Errorf("after reopen, db 1 new = %q", v)
		}
	})
	// Swapping back to the identity.
	commit(t, ks, func(tx *Tx) {
		noErr(t, tx.SwapDB(1, 2))
		noErr(t, tx.SwapDB(0, 1))
		noErr(t, tx.SwapDB(3, 3))
	})
	if got := ks.dbmap.Load().slots; !bytes.Equal(got, identityMap(testDBs).slots) {
		t.Errorf("mapping %v, want the identity", got)
	}
	checkInvariants(t, ks)
}

func TestSwapDBErrors(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		for _, p := range [][2]int{{-1, 0}, {0, testDBs}, {testDBs, testDBs}} {
			if err := tx.SwapDB(p[0], p[1]); !errors.Is(err, ErrBadDB) {
				t.Errorf("SwapDB(%d, %d) = %v", p[0], p[1], err)
			}
		}
	})
	read(t, ks, func(tx *Tx) {
		defer func() {
			if r := recover(); r != ErrReadOnly {
				t.Errorf("SwapDB in a read transaction: %v", r)
			}
		}()
		_ = tx.SwapDB(0, 1)
	})
}

// TestSwapDBDiscard: a discarded swap leaves no trace, also when its
// command met (and removed) an expired key after the swap: the removal
// is redone in the parent's mapping, on the key's record.
func TestSwapDBDiscard(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("k"), []byte("zero"), t0, SetOptions{}))
		must[SetResult](t)(tx.SetString(1, []byte("k"), []byte("one"), t0, SetOptions{ExpireAt: t0 + 5}))
	})
	g := ks.BeginGroup()
	job := g.Begin()
	cmd := job.Begin()
	noErr(t, cmd.SwapDB(0, 1))
	cmd.Merge()
	cmd = job.Begin()
	// db 0 is slot 1 now, where k has expired at t0+5.
	if _, ok, err := cmd.GetMetaForWrite(0, []byte("k"), t0+5); err != nil || ok {
		t.Errorf("expired key found: %v %v", ok, err)
	}
	cmd.Discard()
	job.Discard()
	// The swap is gone; the expired key of db 1 was removed.
	c := g.Begin()
	if v, _, _ := c.GetString(0, []byte("k"), t0+5); string(v) != "zero" {
		t.Errorf("db 0 k = %q", v)
	}
	c.Merge()
	noErr(t, g.Commit(true))
	checkInvariants(t, ks)
	if ks.KeyCount(1) != 0 || ks.KeyCount(0) != 1 {
		t.Errorf("counts %d %d", ks.KeyCount(0), ks.KeyCount(1))
	}
	read(t, ks, func(tx *Tx) {
		if v, _, _ := tx.GetString(0, []byte("k"), t0); string(v) != "zero" {
			t.Errorf("db 0 k = %q", v)
		}
	})
}

// TestSwapDBUnsettled: WATCH must see a swap in the open group as a
// change of every key of both databases.
func TestSwapDBUnsettled(t *testing.T) {
	ks := newTestKS(t)
	g := ks.BeginGroup()
	c := g.Begin()
	noErr(t, c.SwapDB(0, 2))
	c.Merge()
	c = g.Begin()
	for db, want := range []bool{true, false, true, false} {
		if got := must[bool](t)(c.Unsettled(db, []byte("x"))); got != want {
			t.Errorf("Unsettled(%d) = %v", db, got)
		}
	}
	c.Merge()
	noErr(t, g.Commit(false))
	commit(t, ks, func(tx *Tx) {
		if must[bool](t)(tx.Unsettled(0, []byte("x"))) {
			t.Error("a committed swap is unsettled")
		}
	})
}

func TestDBMapRecord(t *testing.T) {
	for _, c := range []struct {
		rec    []byte
		dbs    int
		want   []byte // nil: refused
		format bool   // refused as corrupt
	}{
		{rec: []byte{1, 0, 2, 3}, dbs: 4, want: []byte{1, 0, 2, 3}},
		{rec: []byte{1, 0}, dbs: 4, want: []byte{1, 0, 2, 3}},
		{rec: []byte{1, 0, 3, 2}, dbs: 2, want: []byte{1, 0, 3, 2}},
		{rec: []byte{3, 1, 2, 0}, dbs: 2},
		{rec: []byte{1, 1}, dbs: 2, format: true},
		{rec: []byte{2, 0}, dbs: 4, format: true},
		{rec: nil, dbs: 4, format: true},
	} {
		m, err := decodeDBMap(c.rec, c.dbs)
		switch {
		case c.want == nil && err == nil:
			t.Errorf("%v for %d dbs: accepted", c.rec, c.dbs)
		case c.want == nil:
			if errors.Is(err, ErrCorrupt) != c.format {
				t.Errorf("%v for %d dbs: %v", c.rec, c.dbs, err)
			}
		case err != nil:
			t.Errorf("%v for %d dbs: %v", c.rec, c.dbs, err)
		case !bytes.Equal(m.slots, c.want):
			t.Errorf("%v for %d dbs: %v, want %v", c.rec, c.dbs, m.slots, c.want)
		default:
			for db, s := range m.slots {
				if int(m.dbs[s]) != db {
					t.Errorf("%v: inverse %v", c.rec, m.dbs)
				}
			}
		}
	}
}

// TestSwapDBReopenWithOtherDatabases: a store swapped with 4 databases
// opens with 8 (the new ones unswapped), and with 2 only if the first two
// were swapped among themselves.
func TestSwapDBReopenWithOtherDatabases(t *testing.T) {
	eng := newTestEngine(t)
	ks := openKS(t, eng)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(3, []byte("k"), []byte("three"), t0, SetOptions{}))
		noErr(t, tx.SwapDB(0, 1))
	})
	ks8, err := Open(eng, Options{Databases: 8})
	noErr(t, err)
	commit(t, ks8, func(tx *Tx) { noErr(t, tx.SwapDB(3, 7)) })
	if got := ks8.dbmap.Load().slots; !bytes.Equal(got, []byte{1, 0, 2, 7, 4, 5, 6, 3}) {
		t.Errorf("mapping %v", got)
	}
	if _, err := Open(eng, Options{Databases: 4}); err == nil {
		t.Error("db 3 in slot 7 opened with 4 databases")
	} else {
		t.Log(err)
	}
	commit(t, ks8, func(tx *Tx) { noErr(t, tx.SwapDB(3, 7)) })
	ks2, err := Open(eng, Options{Databases: 2})
	noErr(t, err)
	commit(t, ks2, func(tx *Tx) { noErr(t, tx.SwapDB(0, 1)) })
	ks = openKS(t, eng)
	if got := ks.dbmap.Load().slots; !bytes.Equal(got, []byte{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("mapping %v", got)
	}
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		if v, _, _ := tx.GetString(3, []byte("k"), t0); string(v) != "three" {
			t.Errorf("db 3 k = %q", v)
		}
	})
}

// TestSwapDBReadViews: a command whose keys were built with the mapping
// before a swap that committed before its snapshot is stale; a pinned
// one never is.
func TestSwapDBReadViews(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("k"), []byte("zero"), t0, SetOptions{}))
		must[SetResult](t)(tx.SetString(1, []byte("k"), []byte("one"), t0, SetOptions{}))
	})
	swap := func() { commit(t, ks, func(tx *Tx) { noErr(t, tx.SwapDB(0, 1)) }) }
	root, err := ks.ReadTx()
	noErr(t, err)
	defer root.Close()

	// Direct first read, swap, second read: the first read's key is
	// unchanged, but it names the other database now.
	c := root.Begin()
	if v, _, _ := c.GetString(0, []byte("k"), t0); string(v) != "zero" {
		t.Fatalf("k = %q", v)
	}
	swap()
	if _, _, err := c.GetString(1, []byte("k"), t0); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("read after a swap: %v", err)
	}
	c.Discard()

	// A direct read of a key built before the swap.
	c = root.Begin()
	key := metaKey(nil, c.slot(0), []byte("k"))
	swap()
	if _, err := c.get(key); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("direct read after a swap: %v", err)
	}
	c.Discard()

	// An iterator whose range was built before the swap.
	c = root.Begin()
	lower, upper := c.keyRange(0, nil, true)
	swap()
	if _, err := c.iter(lower, upper); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("iterator after a swap: %v", err)
	}
	c.Discard()

	// Pinned: the view's mapping is the snapshot's.
	cur := func(db int) (v []byte) {
		read(t, ks, func(tx *Tx) { v, _, _ = tx.GetString(db, []byte("k"), t0) })
		return v
	}
	want := cur(0)
	c = root.Begin()
	noErr(t, c.Pin())
	swap()
	if v, _, _ := c.GetString(0, []byte("k"), t0); !bytes.Equal(v, want) {
		t.Errorf("pinned view: k = %q, want %q", v, want)
	}
	c.Merge()

	// A commit that changes the mapping is being applied (odd sequence
	// number): its batch is in the engine, its mapping not published
	// yet. The snapshot's record decides.
	want = cur(1)
	c = root.Begin()
	ks.mapSeq.Add(1)
	next := ks.dbmap.Load().swap(0, 1)
	b := ks.eng.NewBatch()
	b.Set([]byte(dbMapRecord), next.slots)
	noErr(t, b.Commit(false))
	if v, _, _ := c.GetString(0, []byte("k"), t0); !bytes.Equal(v, want) {
		t.Errorf("during a commit: k = %q, want %q", v, want)
	}
	ks.dbmap.Store(next)
	ks.mapSeq.Add(1)
	if c.Stale() {
		t.Error("stale")
	}
	c.Merge()
}

// TestSwapDBPinMap: a swap committed between loading the mapping and
// taking the snapshot is seen by the sequence number, and the snapshot's
// own record is used.
func TestSwapDBPinMap(t *testing.T) {
	ks := newTestKS(t)
	root, err := ks.ReadTx()
	noErr(t, err)
	defer root.Close()
	c := root.Begin()
	defer c.Discard()
	seq, m := ks.mapSeq.Load(), ks.dbmap.Load()
	commit(t, ks, func(tx *Tx) { noErr(t, tx.SwapDB(0, 1)) })
	snap, err := ks.eng.NewSnapshot()
	noErr(t, err)
	defer snap.Close()
	noErr(t, c.pinMap(snap, seq, m))
	if c.dbm.slots[0] != 1 {
		t.Errorf("snapshot mapping %v", c.dbm.slots)
	}
}

// TestSwapDBConcurrentReads runs read commands against a writer that
// swaps databases 0 and 1 and rewrites them in every commit group, so
// that db 0 always holds "db"="0:<gen>" and "only0", and db 1 "db"=
// "1:<gen>" and "only1", all of one generation. A read that used a
// mapping other than its view's would see a key of the other database or
// of another generation. (The windows are narrow: TestSwapDBReadViews
// and TestSwapDBPinMap open each one deterministically.)
func TestSwapDBConcurrentReads(t *testing.T) {
	ks := newTestKS(t)
	write := func(tx *Tx, gen int) error {
		for db := range 2 {
			other := fmt.Appendf(nil, "only%d", 1-db)
			if _, err := tx.Delete(db, other, t0); err != nil {
				return err
			}
			if _, err := tx.SetString(db, fmt.Appendf(nil, "only%d", db), nil, t0, SetOptions{}); err != nil {
				return err
			}
			if _, err := tx.SetString(db, []byte("db"), fmt.Appendf(nil, "%d:%d", db, gen), t0, SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}
	commit(t, ks, func(tx *Tx) { noErr(t, write(tx, 0)) })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for gen := 1; ; gen++ {
			select {
			case <-stop:
				return
			default:
			}
			g := ks.BeginGroup()
			c := g.Begin()
			if err := c.SwapDB(0, 1); err != nil {
				t.Error(err)
				return
			}
			if err := write(c, gen); err != nil {
				t.Error(err)
				return
			}
			c.Merge()
			if err := g.Commit(false); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	// The values of "db" in both databases must name their database and
	// one generation.
	check := func(v0, v1 []byte) error {
		var d0, g0, d1, g1 int
		if _, err := fmt.Sscanf(string(v0), "%d:%d", &d0, &g0); err != nil {
			return fmt.Errorf("db 0 %q: %w", v0, err)
		}
		if _, err := fmt.Sscanf(string(v1), "%d:%d", &d1, &g1); err != nil {
			return fmt.Errorf("db 1 %q: %w", v1, err)
		}
		if g0 != g1 || d0 != 0 || d1 != 1 {
			return fmt.Errorf("db 0 %q, db 1 %q", v0, v1)
		}
		return nil
	}
	commands := []func(c *Tx) error{
		func(c *Tx) error { // two point reads: direct, then snapshot
			v0, _, err := c.GetString(0, []byte("db"), t0)
			if err != nil {
				return err
			}
			v1, _, err := c.GetString(1, []byte("db"), t0)
			if err != nil {
				return err
			}
			return check(v0, v1)
		},
		func(c *Tx) error { // iterators of both databases
			k0, err := c.Keys(0, []byte("only*"), t0)
			if err != nil {
				return err
			}
			k1, err := c.Keys(1, []byte("only*"), t0)
			if err != nil {
				return err
			}
			if len(k0) != 1 || len(k1) != 1 || bytes.Equal(k0[0], k1[0]) {
				return fmt.Errorf("db 0 %q, db 1 %q", k0, k1)
			}
			v0, _, err := c.GetString(0, []byte("db"), t0)
			if err != nil {
				return err
			}
			if string(k0[0]) != "only0" || v0[0] != '0' {
				return fmt.Errorf("db 0 holds %q and %q", v0, k0[0])
			}
			return nil
		},
		func(c *Tx) error { // one direct read
			v0, _, err := c.GetString(0, []byte("db"), t0)
			if err != nil {
				return err
			}
			if v0[0] != '0' {
				return fmt.Errorf("db 0 %q", v0)
			}
			return nil
		},
	}
	n := 3000
	if raceEnabled {
		n = 600
	}
	var stale int
	for i := 0; i < n && !t.Failed(); i++ {
		root, _ := ks.ReadTx()
		cmd := commands[i%len(commands)]
		c := root.Begin()
		err := cmd(c)
		if c.Stale() {
			stale++
			c.Discard()
			c = root.Begin()
			noErr(t, c.Pin())
			err = cmd(c)
		}
		if err != nil {
			t.Errorf("read %d: %v", i, err)
		}
		c.Merge()
		root.Close()
	}
	close(stop)
	wg.Wait()
	t.Logf("%d stale reads retried", stale)
	checkInvariants(t, ks)
}
