package keyspace

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// A write operation that meets an expired key removes it (lookupForWrite),
// and the removal stands whatever happens next: the operation fails, the
// command fails later and is discarded, or the job holding the command is
// discarded. These tests check it for every write operation the command
// handlers use, with the invariant checker, the counters, the expiry index
// and the garbage of a chunked value.

// expiredOp is one write operation (as a command handler issues it) on the
// expired key "k", at a time when "k" has expired. "o" is a live key.
type expiredOp struct {
	name string
	run  func(tx *Tx, now int64) error
	// after lists the keys that exist once the operation succeeded and
	// was merged (nil: only "o").
	after []string
}

var (
	kKey = []byte("k")
	oKey = []byte("o")
)

func expiredOps() []expiredOp {
	set := func(opts SetOptions) func(*Tx, int64) error {
		return func(tx *Tx, now int64) error {
			_, err := tx.SetString(0, kKey, []byte("n"), now, opts)
			return err
		}
	}
	getThen := func(then func(tx *Tx, now int64) error) func(*Tx, int64) error {
		return func(tx *Tx, now int64) error {
			_, ok, err := tx.GetStringForWrite(0, kKey, now)
			if err == nil && ok {
				return errors.New("expired key found")
			}
			if err != nil || then == nil {
				return err
			}
			return then(tx, now)
		}
	}
	expectErr := func(want error, run func(*Tx, int64) error) func(*Tx, int64) error {
		return func(tx *Tx, now int64) error {
			if err := run(tx, now); !errors.Is(err, want) {
				return fmt.Errorf("error %v, want %v", err, want)
			}
			return want
		}
	}
	falseOp := func(run func(*Tx, int64) (bool, error)) func(*Tx, int64) error {
		return func(tx *Tx, now int64) error {
			ok, err := run(tx, now)
			if err == nil && ok {
				return errors.New("reported true for an expired key")
			}
			return err
		}
	}
	both := []string{"k", "o"}
	return []expiredOp{
		{name: "SET", run: set(SetOptions{}), after: both},
		{name: "SET NX", run: set(SetOptions{NX: true}), after: both},
		{name: "SET XX", run: set(SetOptions{XX: true})},
		{name: "SET KEEPTTL", run: set(SetOptions{KeepTTL: true}), after: both},
		{name: "GETSET", run: set(SetOptions{Get: true}), after: both},
		{name: "GETDEL", run: func(tx *Tx, now int64) error {
			_, ok, err := tx.GetDel(0, kKey, now)
			if err == nil && ok {
				return errors.New("GETDEL found the expired key")
			}
			return err
		}},
		{name: "GETEX", run: getThen(nil)},
		// INCR: the lookup, then SET KEEPTTL of the new value.
		{name: "INCR", run: getThen(func(tx *Tx, now int64) error {
			_, err := tx.SetString(0, kKey, []byte("1"), now, SetOptions{KeepTTL: true})
			return err
		}), after: both},
		// INCRBYFLOAT with a bad increment: the lookup, then an error.
		{name: "INCRBYFLOAT error", run: getThen(func(*Tx, int64) error {
			return errors.New("ERR value is not a valid float")
		})},
		{name: "APPEND", run: func(tx *Tx, now int64) error {
			_, err := tx.Append(0, kKey, []byte("x"), now, 1<<20)
			return err
		}, after: both},
		{name: "SETRANGE", run: func(tx *Tx, now int64) error {
			_, err := tx.SetRange(0, kKey, 2, []byte("x"), now, 1<<20)
			return err
		}, after: both},
		{name: "SETRANGE too long", run: expectErr(ErrStringTooLong, func(tx *Tx, now int64) error {
			_, err := tx.SetRange(0, kKey, 100, []byte("x"), now, 10)
			return err
		})},
		{name: "SETRANGE empty", run: func(tx *Tx, now int64) error {
			_, err := tx.SetRange(0, kKey, 2, nil, now, 1<<20)
			return err
		}},
		{name: "SETBIT", run: func(tx *Tx, now int64) error {
			_, err := tx.SetBit(0, kKey, 7, true, now)
			return err
		}, after: both},
		// MSETNX: the existence check of every key first.
		{name: "MSETNX check", run: func(tx *Tx, now int64) error {
			_, ok, err := tx.GetMetaForWrite(0, kKey, now)
			if err == nil && ok {
				return errors.New("expired key exists")
			}
			return err
		}},
		{name: "EXPIRE", run: falseOp(func(tx *Tx, now int64) (bool, error) {
			return tx.Expire(0, kKey, now+1000, now, 0)
		})},
		{name: "PERSIST", run: falseOp(func(tx *Tx, now int64) (bool, error) {
			return tx.Persist(0, kKey, now)
		})},
		{name: "DEL", run: falseOp(func(tx *Tx, now int64) (bool, error) {
			return tx.Delete(0, kKey, now)
		})},
		{name: "RENAME src", run: expectErr(ErrNoSuchKey, func(tx *Tx, now int64) error {
			_, err := tx.Rename(0, kKey, []byte("dst"), now, false)
			return err
		})},
		{name: "RENAMENX src", run: expectErr(ErrNoSuchKey, func(tx *Tx, now int64) error {
			_, err := tx.Rename(0, kKey, []byte("dst"), now, true)
			return err
		})},
		{name: "RENAME same key", run: expectErr(ErrNoSuchKey, func(tx *Tx, now int64) error {
			_, err := tx.Rename(0, kKey, kKey, now, false)
			return err
		})},
		{name: "RENAME dst", run: func(tx *Tx, now int64) error {
			_, err := tx.Rename(0, oKey, kKey, now, false)
			return err
		}, after: []string{"k"}},
		{name: "RENAMENX dst", run: falseOp(func(tx *Tx, now int64) (bool, error) {
			ok, err := tx.Rename(0, oKey, kKey, now, true)
			return !ok, err // it must rename: dst has expired
		}), after: []string{"k"}},
	}
}

func TestWriteRemovesExpiredKey(t *testing.T) {
	const expireAt, now = t0 + 10, t0 + 20
	values := map[string][]byte{"inline": []byte("5"), "chunked": bytes.Repeat([]byte{9}, 3*ChunkSize)}
	for _, op := range expiredOps() {
		for _, enc := range []string{"inline", "chunked"} {
			// cmd: the command's fate (merge only if the operation
			// succeeded); job: the fate of the job holding it.
			for _, cmdMerge := range []bool{true, false} {
				for _, jobMerge := range []bool{true, false} {
					name := fmt.Sprintf("%s/%s/cmd-merge=%v/job-merge=%v", op.name, enc, cmdMerge, jobMerge)
					t.Run(name, func(t *testing.T) {
						ks := newTestKS(t)
						commit(t, ks, func(tx *Tx) {
							must[SetResult](t)(tx.SetString(0, kKey, values[enc], t0, SetOptions{ExpireAt: expireAt}))
							must[SetResult](t)(tx.SetString(0, oKey, []byte("1"), t0, SetOptions{}))
						})
						var old Meta
						read(t, ks, func(tx *Tx) { old, _ = mustLookup(t, tx, 0, kKey) })
						if ks.KeyCount(0) != 2 || ks.ExpireCount(0) != 1 {
							t.Fatalf("before: counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
						}
						g := ks.BeginGroup()
						job := g.Begin()
						cmd := job.Begin()
						err := op.run(cmd, now)
						merged := cmdMerge && err == nil
						if cmdMerge && err != nil && op.after != nil {
							t.Fatalf("operation failed: %v", err)
						}
						if merged {
							cmd.Merge()
						} else {
							cmd.Discard()
						}
						// The job sees the key gone (or re-created) at once.
						if m, ok := mustLookup(t, job, 0, kKey); ok && (!merged || m.ExpireAt != 0) {
							t.Fatalf("after the command, the job sees k: %+v", m)
						}
						if jobMerge {
							job.Merge()
						} else {
							job.Discard()
						}
						noErr(t, g.Commit(true))

						want := []string{"o"}
						if merged && jobMerge && op.after != nil {
							want = op.after
						}
						var got []string
						read(t, ks, func(tx *Tx) {
							for _, k := range must[[][]byte](t)(tx.Keys(0, []byte("*"), now)) {
								got = append(got, string(k))
							}
						})
						if !slices.Equal(got, want) {
							t.Fatalf("keys %q, want %q", got, want)
						}
						// Counted exactly: nothing expired is left over.
						if n := ks.KeyCount(0); n != int64(len(want)) {
							t.Errorf("KeyCount %d, want %d", n, len(want))
						}
						if n := ks.ExpireCount(0); n != 0 {
							t.Errorf("ExpireCount %d, want 0", n)
						}
						if n := countRange(t, ks.eng, []byte{kindExpire}); n != 0 {
							t.Errorf("%d expiry index entries left:\n%s", n, dump(t, ks.eng))
						}
						checkInvariants(t, ks)
						if enc == "chunked" {
							// The value's data records are garbage, marked once,
							// and the sweep deletes them with the marker.
							if n := countRange(t, ks.eng, []byte{kindGarbage}); n != 1 {
								t.Errorf("%d garbage markers, want 1", n)
							}
							if _, err := ks.eng.Get(garbageKey(nil, old.Version)); err != nil {
								t.Errorf("garbage marker of version %d: %v", old.Version, err)
							}
							sweepAll(t, ks)
							if n := countRange(t, ks.eng, []byte{kindData}) + countRange(t, ks.eng, []byte{kindGarbage}); n != 0 {
								t.Errorf("%d records left after the sweep:\n%s", n, dump(t, ks.eng))
							}
							checkInvariants(t, ks)
						}
					})
				}
			}
		}
	}
}

// mustLookup returns the meta record of key, expired or not.
func mustLookup(t testing.TB, tx *Tx, db int, key []byte) (Meta, bool) {
	t.Helper()
	m, ok, err := tx.lookupMeta(db, key)
	noErr(t, err)
	return m, ok
}

// TestReadsInWriteTxDoNotRemove: read operations never write, even in a
// write transaction (a read command in a pipeline with writes runs in
// one): an expired key they meet stays, counted, for active expiry.
func TestReadsInWriteTxDoNotRemove(t *testing.T) {
	ks := newTestKS(t)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, kKey, []byte("v"), t0, SetOptions{ExpireAt: t0 + 10}))
	})
	g := ks.BeginGroup()
	cmd := g.Begin()
	now := t0 + 20
	if _, ok, err := cmd.GetString(0, kKey, now); ok || err != nil {
		t.Fatalf("GET: %v %v", ok, err)
	}
	if _, ok, err := cmd.GetMeta(0, kKey, now); ok || err != nil {
		t.Fatalf("GetMeta: %v %v", ok, err)
	}
	for _, f := range []func() (bool, error){
		func() (bool, error) { return cmd.Exists(0, kKey, now) },
		func() (bool, error) { _, ok, err := cmd.Expiry(0, kKey, now); return ok, err },
		func() (bool, error) { _, ok, err := cmd.RandomKey(0, now, 1); return ok, err },
	} {
		if ok, err := f(); ok || err != nil {
			t.Fatalf("read: %v %v", ok, err)
		}
	}
	must[[][]byte](t)(cmd.Keys(0, []byte("*"), now))
	if n := cmd.Pending(); n != 0 {
		t.Fatalf("reads wrote %d records", n)
	}
	cmd.Merge()
	noErr(t, g.Commit(true))
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 1 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	checkInvariants(t, ks)
}

// TestExpiredRemovalWhenChildLeftOpen: a command child left open is
// discarded by its parent's next use, in the middle of a parent method; the
// removal it redoes must not disturb that method (it runs on the child's
// own scratch buffers).
func TestExpiredRemovalWhenChildLeftOpen(t *testing.T) {
	ks := newTestKS(t)
	big := bytes.Repeat([]byte{3}, 2*ChunkSize)
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("a-long-key-name-so-scratch-buffers-differ"), big, t0, SetOptions{ExpireAt: t0 + 10}))
	})
	now := t0 + 20
	g := ks.BeginGroup()
	job := g.Begin()
	cmd := job.Begin()
	if ok := must[bool](t)(cmd.Delete(0, []byte("a-long-key-name-so-scratch-buffers-differ"), now)); ok {
		t.Fatal("DEL of an expired key = true")
	}
	must[SetResult](t)(cmd.SetString(0, []byte("dropped"), []byte("v"), now, SetOptions{}))
	// cmd left open: this write discards it first, from inside the job's
	// lookup of "x".
	must[SetResult](t)(job.SetString(0, []byte("x"), []byte("xv"), now, SetOptions{ExpireAt: now + 1000}))
	job.Merge()
	noErr(t, g.Commit(true))
	read(t, ks, func(tx *Tx) {
		keys := must[[][]byte](t)(tx.Keys(0, []byte("*"), now))
		if len(keys) != 1 || string(keys[0]) != "x" {
			t.Fatalf("keys %q, want [x]", keys)
		}
		if v, ok, _ := tx.GetString(0, []byte("x"), now); !ok || string(v) != "xv" {
			t.Fatalf("x = %q %v", v, ok)
		}
	})
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 1 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	checkInvariants(t, ks)
	sweepAll(t, ks)
	if n := countRange(t, ks.eng, []byte{kindData}) + countRange(t, ks.eng, []byte{kindGarbage}); n != 0 {
		t.Fatalf("%d records left after the sweep", n)
	}
}

// TestExpiredRemovalModel runs random groups shaped like the applier's
// (group → jobs → commands) while time advances, with keys that expire,
// merging and discarding commands and jobs at random, against a model in
// which a write operation that meets an expired key removes it for good,
// whatever becomes of the command. After every commit the counters must
// equal the model's key count (DBSIZE counts expired keys not yet removed)
// and every invariant must hold.
func TestExpiredRemovalModel(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ks := newTestKS(t)
	names := []string{"a", "b", "c", "d", "e"}
	type rec struct {
		val []byte
		at  int64
	}
	type model = map[string]rec
	// met is what a level removed because it found it expired, with the
	// time it did; a discarded level hands it to its parent, which
	// removes again what is still expired there.
	type met struct {
		key string
		now int64
	}
	committed := model{}
	now := t0
	expired := func(m model, k string, at int64) bool {
		v, ok := m[k]
		return ok && v.at != 0 && v.at <= at
	}
	// meet is lookupForWrite on the model.
	meet := func(m model, list *[]met, k string) bool {
		if expired(m, k, now) {
			delete(m, k)
			*list = append(*list, met{k, now})
			return false
		}
		_, ok := m[k]
		return ok
	}
	redo := func(m model, list []met) {
		for _, e := range list {
			if expired(m, e.key, e.now) {
				delete(m, e.key)
			}
		}
	}
	ttl := func() int64 {
		if r.IntN(2) == 0 {
			return 0
		}
		return now + 1 + int64(r.IntN(400))
	}
	op := func(step int, tx *Tx, m model, list *[]met) (fail bool) {
		k := names[r.IntN(len(names))]
		kb := []byte(k)
		switch r.IntN(7) {
		case 0: // SET with or without a TTL
			v := randBytes(r, []int{1, InlineMax + 1}[r.IntN(2)])
			at := ttl()
			must[SetResult](t)(tx.SetString(0, kb, v, now, SetOptions{ExpireAt: at}))
			meet(m, list, k)
			m[k] = rec{v, at}
		case 1: // GETDEL
			_, ok := must2(t)(tx.GetDel(0, kb, now))
			if found := meet(m, list, k); found != ok {
				t.Fatalf("step %d: GETDEL %s found %v, model %v", step, k, ok, found)
			}
			delete(m, k)
		case 2: // INCRBYFLOAT with a bad increment: lookup, then fail
			must2(t)(tx.GetStringForWrite(0, kb, now))
			meet(m, list, k)
			return true
		case 3: // RENAME, failing when src is missing
			dst := names[r.IntN(len(names))]
			_, err := tx.Rename(0, kb, []byte(dst), now, false)
			if !meet(m, list, k) {
				if !errors.Is(err, ErrNoSuchKey) {
					t.Fatalf("step %d: RENAME missing %s: %v", step, k, err)
				}
				return true
			}
			noErr(t, err)
			if dst != k {
				meet(m, list, dst)
				m[dst] = m[k]
				delete(m, k)
			}
		case 4: // EXPIRE, deleting the key when at is not in the future
			at := now + int64(r.IntN(300))
			must[bool](t)(tx.Expire(0, kb, at, now, 0))
			switch {
			case !meet(m, list, k):
			case at <= now:
				delete(m, k)
			default:
				v := m[k]
				v.at = at
				m[k] = v
			}
		case 5: // APPEND, then maybe fail
			v := []byte("x")
			must[int64](t)(tx.Append(0, kb, v, now, 1<<30))
			var old []byte
			if meet(m, list, k) {
				old = m[k].val
			}
			m[k] = rec{append(bytes.Clone(old), v...), m[k].at}
			return r.IntN(3) == 0
		case 6: // SETRANGE beyond the limit: fails after the lookup
			_, err := tx.SetRange(0, kb, 1<<20, []byte("x"), now, 100)
			if !errors.Is(err, ErrStringTooLong) {
				t.Fatalf("step %d: SETRANGE: %v", step, err)
			}
			meet(m, list, k)
			return true
		}
		return false
	}
	for step := 0; step < 600; step++ {
		now += int64(r.IntN(100))
		g := ks.BeginGroup()
		gm := maps.Clone(committed)
		for range 1 + r.IntN(3) {
			now += int64(r.IntN(50)) // jobs of one group run at different times
			job := g.Begin()
			jm := maps.Clone(gm)
			var jobMet []met
			for range 1 + r.IntN(3) {
				cmd := job.Begin()
				cm := maps.Clone(jm)
				var cmdMet []met
				fail := false
				for range 1 + r.IntN(2) {
					fail = op(step, cmd, cm, &cmdMet) || fail
				}
				if fail || r.IntN(5) == 0 {
					cmd.Discard()
					redo(jm, cmdMet)
				} else {
					cmd.Merge()
					jm = cm
				}
				jobMet = append(jobMet, cmdMet...)
			}
			if r.IntN(4) == 0 {
				job.Discard()
				redo(gm, jobMet)
			} else {
				job.Merge()
				gm = jm
			}
		}
		if r.IntN(10) == 0 {
			g.Close()
		} else {
			noErr(t, g.Commit(true))
			committed = gm
		}
		checkInvariants(t, ks)
		if n := ks.KeyCount(0); n != int64(len(committed)) {
			t.Fatalf("step %d: KeyCount %d, model %d: %v", step, n, len(committed), slices.Sorted(maps.Keys(committed)))
		}
		read(t, ks, func(tx *Tx) {
			for _, k := range names {
				v, ok, err := tx.GetString(0, []byte(k), now)
				noErr(t, err)
				w, wok := committed[k]
				wok = wok && (w.at == 0 || w.at > now)
				if ok != wok || (ok && !bytes.Equal(v, w.val)) {
					t.Fatalf("step %d: GET %s = %v, model %v", step, k, ok, wok)
				}
			}
		})
		if t.Failed() {
			t.Fatalf("after step %d", step)
		}
		if step%100 == 99 {
			sweepAll(t, ks)
		}
	}
	sweepAll(t, ks)
	checkInvariants(t, ks)
}

func must2(t testing.TB) func(v []byte, ok bool, err error) ([]byte, bool) {
	return func(v []byte, ok bool, err error) ([]byte, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
}
