package keyspace

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

type modelVal struct {
	val []byte
	at  int64
}

// TestKeysModel drives random key operations (SET with TTL, EXPIRE with
// conditions, PERSIST, DEL, RENAME[NX], FLUSHDB, ExpireCycle) over two
// databases while time advances, against a model, checking every
// invariant (counters, expiry index, garbage) as it goes.
func TestKeysModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ks := newTestKS(t)
	model := [2]map[string]modelVal{{}, {}}
	names := []string{"a", "b", "c", "d"}
	now := t0
	liveAt := func(db int, k string) (modelVal, bool) {
		v, ok := model[db][k]
		if !ok || (v.at != 0 && v.at <= now) {
			return modelVal{}, false
		}
		return v, true
	}
	for step := 0; step < 1500; step++ {
		now += int64(r.IntN(300))
		db := r.IntN(2)
		k := names[r.IntN(len(names))]
		g := ks.BeginGroup()
		tx := g.Begin()
		desc := ""
		switch op := r.IntN(9); op {
		case 0, 1:
			size := []int{1, 10, InlineMax + 1, 3 * ChunkSize}[r.IntN(4)]
			v := randBytes(r, size)
			at := int64(0)
			if r.IntN(2) == 0 {
				at = now + int64(r.IntN(2000)) - 100
			}
			desc = fmt.Sprintf("SET %d/%s len %d at %d", db, k, size, at)
			must[SetResult](t)(tx.SetString(db, []byte(k), v, now, SetOptions{ExpireAt: at}))
			if at != 0 && at <= now {
				delete(model[db], k)
			} else {
				model[db][k] = modelVal{v, at}
			}
		case 2:
			at := now + int64(r.IntN(2000)) - 200
			cond := []ExpireCond{0, ExpireNX, ExpireXX, ExpireGT, ExpireLT, ExpireXX | ExpireGT}[r.IntN(6)]
			desc = fmt.Sprintf("EXPIRE %d/%s %d cond %d", db, k, at, cond)
			got := must[bool](t)(tx.Expire(db, []byte(k), at, now, cond))
			cur, ok := liveAt(db, k)
			want := ok
			if ok {
				switch {
				case cond&ExpireNX != 0 && cur.at != 0, cond&ExpireXX != 0 && cur.at == 0,
					cond&ExpireGT != 0 && (cur.at == 0 || at <= cur.at),
					cond&ExpireLT != 0 && cur.at != 0 && at >= cur.at:
					want = false
				}
			}
			if got != want {
				t.Fatalf("step %d: %s = %v, want %v", step, desc, got, want)
			}
			if want {
				if at <= now {
					delete(model[db], k)
				} else {
					model[db][k] = modelVal{cur.val, at}
				}
			}
		case 3:
			desc = fmt.Sprintf("PERSIST %d/%s", db, k)
			got := must[bool](t)(tx.Persist(db, []byte(k), now))
			cur, ok := liveAt(db, k)
			if want := ok && cur.at != 0; got != want {
				t.Fatalf("step %d: %s = %v, want %v", step, desc, got, want)
			}
			if ok {
				model[db][k] = modelVal{cur.val, 0}
			}
		case 4:
			desc = fmt.Sprintf("DEL %d/%s", db, k)
			got := must[bool](t)(tx.Delete(db, []byte(k), now))
			_, want := liveAt(db, k)
			if got != want {
				t.Fatalf("step %d: %s = %v, want %v", step, desc, got, want)
			}
			delete(model[db], k)
		case 5, 6:
			dst := names[r.IntN(len(names))]
			nx := op == 6
			desc = fmt.Sprintf("RENAME %d/%s %s nx %v", db, k, dst, nx)
			got, err := tx.Rename(db, []byte(k), []byte(dst), now, nx)
			cur, ok := liveAt(db, k)
			_, dstOK := liveAt(db, dst)
			switch {
			case !ok:
				if !errors.Is(err, ErrNoSuchKey) {
					t.Fatalf("step %d: %s: %v, want ErrNoSuchKey", step, desc, err)
				}
			case err != nil:
				t.Fatalf("step %d: %s: %v", step, desc, err)
			case k == dst:
				if got != !nx {
					t.Fatalf("step %d: %s = %v", step, desc, got)
				}
			case nx && dstOK:
				if got {
					t.Fatalf("step %d: %s renamed over an existing key", step, desc)
				}
			default:
				if !got {
					t.Fatalf("step %d: %s did not rename", step, desc)
				}
				delete(model[db], k)
				model[db][dst] = cur
			}
		case 7:
			if r.IntN(10) != 0 {
				continue
			}
			desc = fmt.Sprintf("FLUSHDB %d", db)
			must[int64](t)(tx.FlushDB(db))
			model[db] = map[string]modelVal{}
		case 8:
			limit := 1 + r.IntN(3)
			desc = fmt.Sprintf("ExpireCycle limit %d", limit)
			n, more, err := tx.ExpireCycle(now, limit)
			noErr(t, err)
			if n > limit || (more && n != limit) {
				t.Fatalf("step %d: ExpireCycle(%d) = %d, %v", step, limit, n, more)
			}
		}
		tx.Merge()
		noErr(t, g.Commit(true))
		checkInvariants(t, ks)
		if t.Failed() {
			t.Fatalf("after step %d: %s", step, desc)
		}
		read(t, ks, func(tx *Tx) {
			for db := range 2 {
				for _, k := range names {
					want, wok := liveAt(db, k)
					v, ok, err := tx.GetString(db, []byte(k), now)
					noErr(t, err)
					if ok != wok || !bytes.Equal(v, want.val) {
						t.Fatalf("step %d (%s): GET %d/%s = %v, want %v", step, desc, db, k, ok, wok)
					}
					at, ok, err := tx.Expiry(db, []byte(k), now)
					noErr(t, err)
					if ok != wok || at != want.at {
						t.Fatalf("step %d (%s): expiry of %d/%s = %d %v, want %d", step, desc, db, k, at, ok, want.at)
					}
				}
			}
		})
	}
}

func TestLazyExpiry(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("k")
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, k, []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
	})
	read(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Exists(0, k, t0+9)); !ok {
			t.Fatal("key missing before its expiry")
		}
		if ok := must[bool](t)(tx.Exists(0, k, t0+10)); ok {
			t.Fatal("key visible at its expiry time")
		}
		if keys := must[[][]byte](t)(tx.Keys(0, []byte("*"), t0+10)); len(keys) != 0 {
			t.Fatalf("KEYS shows expired key: %q", keys)
		}
		if _, ok, _ := tx.RandomKey(0, t0+10, 1); ok {
			t.Fatal("RANDOMKEY returned an expired key")
		}
	})
	// Reads never write: the key is still counted (as DBSIZE does in Redis).
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 1 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	// A write meeting the expired key removes it first.
	commit(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.Append(0, k, []byte("w"), t0+10, 100)); n != 1 {
			t.Fatalf("APPEND to expired key = %d, want 1", n)
		}
	})
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 0 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	checkInvariants(t, ks)
}

func TestExpireCycle(t *testing.T) {
	ks := newTestKS(t)
	big := bytes.Repeat([]byte{7}, 3*ChunkSize)
	commit(t, ks, func(tx *Tx) {
		for i := range 10 {
			v := []byte("v")
			if i%3 == 0 {
				v = big
			}
			must[SetResult](t)(tx.SetString(i%testDBs, fmt.Appendf(nil, "k%d", i), v, t0, SetOptions{ExpireAt: t0 + int64(i+1)*100}))
		}
		must[SetResult](t)(tx.SetString(0, []byte("forever"), []byte("v"), t0, SetOptions{}))
	})
	var total int
	for round := 0; ; round++ {
		var n int
		var more bool
		commit(t, ks, func(tx *Tx) {
			var err error
			n, more, err = tx.ExpireCycle(t0+500, 2)
			noErr(t, err)
		})
		total += n
		checkInvariants(t, ks)
		if !more {
			break
		}
		if round > 10 {
			t.Fatal("ExpireCycle does not finish")
		}
	}
	if total != 5 {
		t.Fatalf("expired %d keys, want 5 (k0..k4)", total)
	}
	var sum int64
	for db := range testDBs {
		sum += ks.KeyCount(db)
	}
	if sum != 6 {
		t.Fatalf("%d keys left, want 6", sum)
	}
	sweepAll(t, ks)
	// k0 and k3 were big and expired; k6 and k9 are big and live.
	if n := countRange(t, ks.eng, []byte{kindData}); n != 2*3 {
		t.Fatalf("%d data records, want 6", n)
	}
	checkInvariants(t, ks)
}

func TestRenameChunkedWithTTL(t *testing.T) {
	ks := newTestKS(t)
	big := randBytes(rand.New(rand.NewPCG(5, 6)), 3*ChunkSize+100)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("src"), big, t0, SetOptions{ExpireAt: t0 + 1000}))
		must[SetResult](t)(tx.SetString(0, []byte("dst"), big[:10], t0, SetOptions{ExpireAt: t0 + 50}))
	})
	commit(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Rename(0, []byte("src"), []byte("dst"), t0, false)); !ok {
			t.Fatal("RENAME failed")
		}
	})
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		v, ok, err := tx.GetString(0, []byte("dst"), t0)
		if err != nil || !ok || !bytes.Equal(v, big) {
			t.Fatalf("dst after rename: %v %v", ok, err)
		}
		if at, _, _ := tx.Expiry(0, []byte("dst"), t0); at != t0+1000 {
			t.Fatalf("dst expiry %d", at)
		}
		if ok := must[bool](t)(tx.Exists(0, []byte("src"), t0)); ok {
			t.Fatal("src still exists")
		}
	})
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 1 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	sweepAll(t, ks)
	checkInvariants(t, ks)
}

func TestKeysAndRandomKey(t *testing.T) {
	ks := newTestKS(t)
	names := []string{"", "user:1", "user:2", "user:10", "users", "order:1", "h]"}
	commit(t, ks, func(tx *Tx) {
		for _, n := range names {
			must[SetResult](t)(tx.SetString(2, []byte(n), []byte("v"), t0, SetOptions{}))
		}
		must[SetResult](t)(tx.SetString(2, []byte("user:gone"), []byte("v"), t0, SetOptions{ExpireAt: t0 + 1}))
		must[SetResult](t)(tx.SetString(1, []byte("user:other-db"), []byte("v"), t0, SetOptions{}))
	})
	read(t, ks, func(tx *Tx) {
		for pat, want := range map[string][]string{
			"*":        {"", "h]", "order:1", "user:1", "user:10", "user:2", "users"},
			"**":       {"h]", "order:1", "user:1", "user:10", "user:2", "users"},
			"user:*":   {"user:1", "user:10", "user:2"},
			"user:?":   {"user:1", "user:2"},
			"user*":    {"user:1", "user:10", "user:2", "users"},
			"h[a-]llo": {"h]"},
			"nomatch*": nil,
		} {
			got := must[[][]byte](t)(tx.Keys(2, []byte(pat), t0+1))
			var gs []string
			for _, g := range got {
				gs = append(gs, string(g))
			}
			if !slices.Equal(gs, want) {
				t.Errorf("KEYS %q = %q, want %q", pat, gs, want)
			}
		}
		seen := map[string]bool{}
		for seed := range uint64(200) {
			k, ok, err := tx.RandomKey(2, t0+1, seed*0x9e3779b97f4a7c15)
			if err != nil || !ok {
				t.Fatalf("RANDOMKEY: %v %v", ok, err)
			}
			if !slices.Contains(names, string(k)) {
				t.Fatalf("RANDOMKEY returned %q", k)
			}
			seen[string(k)] = true
		}
		if len(seen) < 3 {
			t.Errorf("RANDOMKEY returned only %d distinct keys", len(seen))
		}
		if _, ok, _ := tx.RandomKey(3, t0, 1); ok {
			t.Error("RANDOMKEY on an empty db")
		}
	})
}

func TestDiscardLeavesNoTrace(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("keep"), []byte("v"), t0, SetOptions{}))
	})
	before := dump(t, ks.eng)
	g := ks.BeginGroup()
	c := g.Begin()
	must[SetResult](t)(c.SetString(0, []byte("x"), bytes.Repeat([]byte("x"), 3*ChunkSize), t0, SetOptions{ExpireAt: t0 + 100}))
	must[bool](t)(c.Delete(0, []byte("keep"), t0))
	must[int64](t)(c.FlushAll())
	c.Discard()
	noErr(t, g.Commit(true))
	// The discarded child allocated a data version, and allocations are
	// recorded in the group's root (harmless: versions only need to be
	// unique). Nothing else may have changed.
	b := ks.eng.NewBatch()
	b.Delete(sysKey(sysVersion))
	noErr(t, b.Commit(false))
	if after := dump(t, ks.eng); after != before {
		t.Fatalf("discarded child left a trace:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 0 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	checkInvariants(t, ks)
}

func TestReadTxRejectsWrites(t *testing.T) {
	ks := newTestKS(t)
	read(t, ks, func(tx *Tx) {
		defer func() {
			if r := recover(); r != ErrReadOnly {
				t.Fatalf("recover() = %v, want ErrReadOnly", r)
			}
		}()
		_, _ = tx.SetString(0, []byte("k"), []byte("v"), t0, SetOptions{})
	})
}

func TestBadDB(t *testing.T) {
	ks := newTestKS(t)
	read(t, ks, func(tx *Tx) {
		if _, _, err := tx.GetString(testDBs, []byte("k"), t0); !errors.Is(err, ErrBadDB) {
			t.Fatalf("GET in db %d: %v", testDBs, err)
		}
	})
}

func TestFlushCounters(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		for db := range testDBs {
			for i := range 5 {
				at := int64(0)
				if i%2 == 0 {
					at = t0 + 100
				}
				must[SetResult](t)(tx.SetString(db, fmt.Appendf(nil, "k%d", i), bytes.Repeat([]byte{1}, i*ChunkSize), t0, SetOptions{ExpireAt: at}))
			}
		}
	})
	commit(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.FlushDB(1)); n != 5 {
			t.Fatalf("FLUSHDB deleted %d", n)
		}
	})
	checkInvariants(t, ks)
	if ks.KeyCount(1) != 0 || ks.KeyCount(0) != 5 || ks.ExpireCount(0) != 3 {
		t.Fatal("FLUSHDB counters wrong")
	}
	commit(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.FlushAll()); n != 15 {
			t.Fatalf("FLUSHALL deleted %d", n)
		}
	})
	checkInvariants(t, ks)
	sweepAll(t, ks)
	if n := countRange(t, ks.eng, []byte{kindData}) + countRange(t, ks.eng, []byte{kindExpire}) + countRange(t, ks.eng, []byte{kindMeta}); n != 0 {
		t.Fatalf("%d records left:\n%s", n, dump(t, ks.eng))
	}
	// Counters survive a reopen.
	ks2 := openKS(t, ks.eng)
	checkInvariants(t, ks2)
}

// TestRenameIsO1: renaming a multi-MiB chunked string over another one
// moves meta records only: the data records keep their version, and the
// number of records written does not depend on the value size.
func TestRenameIsO1(t *testing.T) {
	ks := newTestKS(t)
	big := randBytes(rand.New(rand.NewPCG(7, 8)), 4<<20+123)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("src"), big, t0, SetOptions{ExpireAt: t0 + 1000}))
		must[SetResult](t)(tx.SetString(0, []byte("dst"), big[:3*ChunkSize], t0, SetOptions{ExpireAt: t0 + 50}))
	})
	var srcMeta, dstMeta Meta
	read(t, ks, func(tx *Tx) {
		srcMeta = mustMeta(t, tx, 0, "src")
		dstMeta = mustMeta(t, tx, 0, "dst")
	})
	chunks := countRange(t, ks.eng, dataPrefix(srcMeta.Version))
	if want := (len(big) + ChunkSize - 1) / ChunkSize; chunks != want {
		t.Fatalf("%d chunks, want %d", chunks, want)
	}
	g := ks.BeginGroup()
	c := g.Begin()
	if ok := must[bool](t)(c.Rename(0, []byte("src"), []byte("dst"), t0, false)); !ok {
		t.Fatal("RENAME failed")
	}
	// src meta and expiry entry deleted; dst meta, new expiry entry,
	// deleted old expiry entry, garbage marker for dst's old version.
	if n := c.Pending(); n != 6 {
		t.Fatalf("RENAME buffered %d records, want 6", n)
	}
	c.Merge()
	noErr(t, g.Commit(true))
	checkInvariants(t, ks)
	read(t, ks, func(tx *Tx) {
		m := mustMeta(t, tx, 0, "dst")
		if m.Version != srcMeta.Version || m.ExpireAt != t0+1000 || m.Len != int64(len(big)) {
			t.Fatalf("dst meta after rename = %+v, want version %d", m, srcMeta.Version)
		}
		v, ok, err := tx.GetString(0, []byte("dst"), t0)
		if err != nil || !ok || !bytes.Equal(v, big) {
			t.Fatalf("dst after rename: %v %v", ok, err)
		}
	})
	if n := countRange(t, ks.eng, dataPrefix(srcMeta.Version)); n != chunks {
		t.Fatalf("%d chunks after rename, want %d untouched", n, chunks)
	}
	// The replaced value's version is garbage; its marker names it.
	gk := garbageKey(nil, dstMeta.Version)
	if v, err := ks.eng.Get(gk); err != nil || !bytes.Equal(v, garbageValue(nil, 0, []byte("dst"))) {
		t.Fatalf("garbage marker %q = %q, %v", gk, v, err)
	}
	if n := sweepAll(t, ks); n != 3+1 {
		t.Fatalf("sweep removed %d records, want dst's 3 chunks + 1 marker", n)
	}
	if n := countRange(t, ks.eng, []byte{kindData}); n != chunks {
		t.Fatalf("%d data records after sweep, want %d", n, chunks)
	}
	checkInvariants(t, ks)
	// RENAMENX back to the free name keeps the version too; DEL then
	// leaves it to the sweep.
	commit(t, ks, func(tx *Tx) {
		if ok := must[bool](t)(tx.Rename(0, []byte("dst"), []byte("src"), t0, true)); !ok {
			t.Fatal("RENAMENX failed")
		}
		must[bool](t)(tx.Delete(0, []byte("src"), t0))
	})
	checkInvariants(t, ks)
	sweepAll(t, ks)
	if n := countRange(t, ks.eng, []byte{kindData}) + countRange(t, ks.eng, []byte{kindGarbage}); n != 0 {
		t.Fatalf("%d records left after sweep", n)
	}
}

// mustMeta returns the live meta record of key at t0.
func mustMeta(t testing.TB, tx *Tx, db int, key string) Meta {
	t.Helper()
	m, ok, err := tx.GetMeta(db, []byte(key), t0)
	if err != nil || !ok {
		t.Fatalf("meta of %q: %v %v", key, ok, err)
	}
	return m
}
