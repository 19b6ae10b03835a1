package keyspace

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestNestedChildrenModel runs groups shaped like the applier's (group →
// one child per job → one grandchild per command), merging or discarding
// children at random, sometimes leaving a child open when its parent is
// used, and checks reads inside every level, the committed state, the
// counters and every invariant against a model.
func TestNestedChildrenModel(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ks := newTestKS(t)
	names := []string{"a", "b", "c", "d"}
	committed := map[string][]byte{}
	type level = map[string][]byte
	checkLevel := func(step int, what string, tx *Tx, want level) {
		t.Helper()
		for _, k := range names {
			v, ok, err := tx.GetString(0, []byte(k), t0)
			noErr(t, err)
			w, wok := want[k]
			if ok != wok || !bytes.Equal(v, w) {
				t.Fatalf("step %d: %s: GET %s = %v len %d, want %v len %d", step, what, k, ok, len(v), wok, len(w))
			}
		}
	}
	op := func(step int, tx *Tx, m level) {
		k := names[r.IntN(len(names))]
		switch r.IntN(5) {
		case 0, 1:
			v := randBytes(r, []int{1, 10, InlineMax + 1, 3 * ChunkSize}[r.IntN(4)])
			must[SetResult](t)(tx.SetString(0, []byte(k), v, t0, SetOptions{}))
			m[k] = v
		case 2:
			must[bool](t)(tx.Delete(0, []byte(k), t0))
			delete(m, k)
		case 3:
			v := randBytes(r, []int{1, ChunkSize + 3}[r.IntN(2)])
			must[int64](t)(tx.Append(0, []byte(k), v, t0, 1<<30))
			m[k] = append(bytes.Clone(m[k]), v...)
		case 4:
			dst := names[r.IntN(len(names))]
			_, err := tx.Rename(0, []byte(k), []byte(dst), t0, false)
			if _, ok := m[k]; !ok {
				if !errors.Is(err, ErrNoSuchKey) {
					t.Fatalf("step %d: RENAME missing: %v", step, err)
				}
				return
			}
			noErr(t, err)
			if k != dst {
				m[dst] = m[k]
				delete(m, k)
			}
		}
	}
	for step := 0; step < 400; step++ {
		g := ks.BeginGroup()
		gm := maps.Clone(committed)
		for range 1 + r.IntN(3) {
			job := g.Begin()
			jm := maps.Clone(gm)
			for range 1 + r.IntN(3) {
				cmd := job.Begin()
				cm := maps.Clone(jm)
				for range 1 + r.IntN(3) {
					op(step, cmd, cm)
				}
				checkLevel(step, "command", cmd, cm)
				switch r.IntN(5) {
				case 0:
					cmd.Discard()
				case 1:
					// Left open: the job's next use discards it.
				default:
					if n := cmd.Pending(); n == 0 && !maps.EqualFunc(cm, jm, bytes.Equal) {
						t.Fatalf("step %d: command changed data but Pending is 0", step)
					}
					cmd.Merge()
					jm = cm
				}
			}
			checkLevel(step, "job", job, jm)
			if r.IntN(4) == 0 {
				job.Discard()
			} else {
				job.Merge()
				gm = jm
			}
		}
		checkLevel(step, "group", g, gm)
		if r.IntN(10) == 0 {
			g.Close()
		} else {
			noErr(t, g.Commit(true))
			committed = gm
		}
		checkInvariants(t, ks)
		if t.Failed() {
			t.Fatalf("after step %d", step)
		}
		read(t, ks, func(tx *Tx) { checkLevel(step, "committed", tx, committed) })
		if step%50 == 49 {
			sweepAll(t, ks)
		}
	}
	if n := ks.KeyCount(0); n != int64(len(committed)) {
		t.Fatalf("KeyCount %d, want %d", n, len(committed))
	}
}

// TestOpenChildIsDiscarded: committing or merging a transaction whose child
// is still open drops the child's writes, as if it had been discarded.
func TestOpenChildIsDiscarded(t *testing.T) {
	ks := newTestKS(t)
	g := ks.BeginGroup()
	job := g.Begin()
	must[SetResult](t)(job.SetString(0, []byte("kept"), []byte("v"), t0, SetOptions{}))
	cmd := job.Begin()
	must[SetResult](t)(cmd.SetString(0, []byte("dropped"), []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
	if n := cmd.Pending(); n != 2 { // meta record, expiry index entry
		t.Fatalf("command Pending %d, want 2", n)
	}
	job.Merge() // cmd still open
	noErr(t, g.Commit(true))
	read(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Exists(0, []byte("kept"), t0)); !ok {
			t.Fatal("merged write lost")
		}
		if ok := must[bool](t)(tx.Exists(0, []byte("dropped"), t0)); ok {
			t.Fatal("write of an open child was committed")
		}
	})
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 0 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	checkInvariants(t, ks)
}

// TestPendingCountsKeys: a child's Pending is the number of distinct keys
// it (and the children it merged) wrote.
func TestPendingCountsKeys(t *testing.T) {
	ks := newTestKS(t)
	g := ks.BeginGroup()
	defer g.Close()
	job := g.Begin()
	must[SetResult](t)(job.SetString(0, []byte("a"), []byte("1"), t0, SetOptions{}))
	for i := range 3 {
		cmd := job.Begin()
		must[SetResult](t)(cmd.SetString(0, []byte("a"), []byte{byte(i)}, t0, SetOptions{}))
		must[SetResult](t)(cmd.SetString(0, []byte("b"), []byte{byte(i)}, t0, SetOptions{}))
		if n := cmd.Pending(); n != 2 {
			t.Fatalf("command Pending %d, want 2", n)
		}
		cmd.Merge()
	}
	if n := job.Pending(); n != 2 {
		t.Fatalf("job Pending %d, want 2 (a, b)", n)
	}
	job.Merge()
	if n := g.Pending(); n != 2 {
		t.Fatalf("group Pending %d, want 2", n)
	}
}

// TestReadViews checks the views of read transactions: a command child's
// optimistic first read is validated when it needs a second one.
func TestReadViews(t *testing.T) {
	ks := newTestKS(t)
	set := func(k, v string) {
		commit(t, ks, func(tx *Tx) {
			must[SetResult](t)(tx.SetString(0, []byte(k), []byte(v), t0, SetOptions{}))
		})
	}
	get := func(tx *Tx, k string) (string, error) {
		v, _, err := tx.GetString(0, []byte(k), t0)
		return string(v), err
	}
	set("a", "1")
	set("b", "1")
	root, err := ks.ReadTx()
	noErr(t, err)
	defer root.Close()

	// The first key changes between the two reads: stale.
	c := root.Begin()
	if v, err := get(c, "a"); err != nil || v != "1" {
		t.Fatalf("a = %q %v", v, err)
	}
	set("a", "2")
	if _, err := get(c, "b"); !errors.Is(err, ErrStaleRead) || !c.Stale() {
		t.Fatalf("second read after the first key changed: %v, stale %v", err, c.Stale())
	}
	if _, err := get(c, "a"); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("reads of a stale view: %v", err)
	}
	c.Discard()

	// Another key changes: the view is valid and sees the change (it is
	// as of the second read).
	c = root.Begin()
	if c.Stale() {
		t.Fatal("recycled child is stale")
	}
	if v, _ := get(c, "a"); v != "2" {
		t.Fatalf("a = %q", v)
	}
	set("b", "2")
	if v, err := get(c, "b"); err != nil || v != "2" {
		t.Fatalf("b = %q %v", v, err)
	}
	set("b", "3")
	if v, _ := get(c, "b"); v != "2" {
		t.Fatal("view moved after the snapshot")
	}
	c.Merge()

	// A missing first key that appears is a change too.
	c = root.Begin()
	if v, _ := get(c, "x"); v != "" {
		t.Fatal("x exists")
	}
	set("x", "1")
	if _, err := c.Keys(0, []byte("*"), t0); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("iterator after the first key appeared: %v", err)
	}
	c.Discard()

	// A pinned child never goes stale.
	c = root.Begin()
	noErr(t, c.Pin())
	set("a", "3")
	if v, _ := get(c, "a"); v != "2" {
		t.Fatalf("pinned view: a = %q", v)
	}
	set("b", "4")
	if v, err := get(c, "b"); err != nil || v != "3" {
		t.Fatalf("pinned view: b = %q %v", v, err)
	}
	c.Discard()

	// The root's view is taken at its first read and kept.
	if v, _ := get(root, "a"); v != "3" {
		t.Fatalf("root: a = %q", v)
	}
	set("a", "4")
	set("b", "5")
	if v, _ := get(root, "b"); v != "4" {
		t.Fatalf("root: b = %q, want the value at its first read", v)
	}
	if root.Stale() {
		t.Fatal("root is stale")
	}
}

// TestChunkedReadIsConsistent: reading a chunked string is a meta read and
// a chunk read; a concurrent overwrite and sweep between them makes the
// command stale instead of returning zeros.
func TestChunkedReadIsConsistent(t *testing.T) {
	ks := newTestKS(t)
	big := bytes.Repeat([]byte("x"), 3*ChunkSize)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("k"), big, t0, SetOptions{}))
	})
	root, _ := ks.ReadTx()
	defer root.Close()
	c := root.Begin()
	m := mustMeta(t, c, 0, "k")
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("k"), []byte("small"), t0, SetOptions{}))
	})
	sweepAll(t, ks)
	if _, err := c.ReadString(0, []byte("k"), &m, 0, m.Len); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("ReadString after overwrite and sweep: %v", err)
	}
	c.Discard()
}

// TestWriteAllocs guards the allocation budget of the write path: a SET in
// a child of a group, merged and committed. What remains is the engine's
// batch.
func TestWriteAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	ks := newTestKS(t)
	val := []byte("value-0123456789")
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		i++
		g := ks.BeginGroup()
		c := g.Begin()
		key := fmt.Appendf(make([]byte, 0, 16), "key:%06d", i%1000)
		if _, err := c.SetString(0, key, val, t0, SetOptions{ExpireAt: t0 + 1000}); err != nil {
			t.Fatal(err)
		}
		c.Merge()
		if err := g.Commit(false); err != nil {
			t.Fatal(err)
		}
	})
	if n > 3 {
		t.Fatalf("%.1f allocations per SET, want <= 3", n)
	}
	t.Logf("%.1f allocations per SET", n)
	commit(t, ks, func(tx *Tx) {}) // the group is reusable after all that
	read(t, ks, func(tx *Tx) {
		n := testing.AllocsPerRun(1000, func() {
			c := tx.Begin()
			if _, _, err := c.GetString(0, []byte("key:000007"), t0); err != nil {
				t.Fatal(err)
			}
			c.Merge()
		})
		if n > 2 {
			t.Fatalf("%.1f allocations per GET, want <= 2", n)
		}
		t.Logf("%.1f allocations per GET", n)
	})
}

// TestOptimisticReadsAreConsistent: while a writer keeps setting a and b
// to the same value in one group (sometimes chunked, with sweeps in
// between), readers reading a then b in command children, retrying stale
// ones pinned as command.Batch does, always see a == b.
func TestOptimisticReadsAreConsistent(t *testing.T) {
	ks := newTestKS(t)
	big := func(i int) []byte {
		if i%3 == 0 {
			return bytes.Repeat([]byte{byte(i)}, 2*ChunkSize+1)
		}
		return fmt.Appendf(nil, "v%d", i)
	}
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("a"), big(1), t0, SetOptions{}))
		must[SetResult](t)(tx.SetString(0, []byte("b"), big(1), t0, SetOptions{}))
	})
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 2; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			g := ks.BeginGroup()
			c := g.Begin()
			for _, k := range []string{"a", "b"} {
				if _, err := c.SetString(0, []byte(k), big(i), t0, SetOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
			c.Merge()
			if err := g.Commit(false); err != nil {
				t.Error(err)
				return
			}
			if i%5 == 0 {
				g := ks.BeginGroup()
				if _, _, err := g.SweepGarbage(100); err != nil {
					t.Error(err)
					return
				}
				if err := g.Commit(false); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	var stale int
	readBoth := func(c *Tx) (a, b []byte, err error) {
		if a, _, err = c.GetString(0, []byte("a"), t0); err != nil {
			return nil, nil, err
		}
		b, _, err = c.GetString(0, []byte("b"), t0)
		return a, b, err
	}
	for i := 0; i < 3000 && !t.Failed(); i++ {
		root, _ := ks.ReadTx()
		c := root.Begin()
		a, b, err := readBoth(c)
		if c.Stale() {
			stale++
			c.Discard()
			c = root.Begin()
			noErr(t, c.Pin())
			a, b, err = readBoth(c)
		}
		noErr(t, err)
		if !bytes.Equal(a, b) {
			t.Fatalf("read %d: a (len %d) != b (len %d)", i, len(a), len(b))
		}
		c.Merge()
		root.Close()
	}
	close(stop)
	<-writerDone
	t.Logf("%d stale reads retried", stale)
}
