package keyspace

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// refGetRange is GETRANGE over a plain byte slice.
func refGetRange(s []byte, start, end int64) []byte {
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return s[start : end+1]
}

func refSetRange(s []byte, off int64, v []byte) []byte {
	if need := off + int64(len(v)); int64(len(s)) < need {
		s = append(s, make([]byte, need-int64(len(s)))...)
	}
	copy(s[off:], v)
	return s
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	// Zero runs exercise the sparse chunks.
	if n > 0 && r.IntN(3) == 0 {
		lo := r.IntN(n)
		clear(b[lo:min(n, lo+r.IntN(3*ChunkSize))])
	}
	return b
}

var sizes = []int{0, 1, 100, InlineMax - 1, InlineMax, InlineMax + 1, 2*ChunkSize - 1, 2 * ChunkSize, 2*ChunkSize + 1, 5*ChunkSize + 17}

// TestStringsModel drives random string operations against the keyspace
// and a map model, checking values, lengths and all invariants.
func TestStringsModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ks := newTestKS(t)
	model := map[string][]byte{}
	keys := []string{"a", "b", "c"}
	const maxLen = 1 << 20
	for step := 0; step < 600; step++ {
		key := keys[r.IntN(len(keys))]
		k := []byte(key)
		cur, exists := model[key]
		discard := r.IntN(10) == 0
		g := ks.BeginGroup()
		tx := g.Begin()
		var next []byte
		nextExists := exists
		switch op := r.IntN(6); op {
		case 0:
			v := randBytes(r, sizes[r.IntN(len(sizes))])
			res := must[SetResult](t)(tx.SetString(0, k, v, t0, SetOptions{Get: true}))
			if res.OldFound != exists || !bytes.Equal(res.Old, cur) {
				t.Fatalf("step %d: SET GET old = %v len %d, want %v len %d", step, res.OldFound, len(res.Old), exists, len(cur))
			}
			next, nextExists = v, true
		case 1:
			offs := []int64{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 5, 12345}
			off := offs[r.IntN(len(offs))]
			v := randBytes(r, []int{0, 1, 10, ChunkSize, ChunkSize + 3}[r.IntN(5)])
			n := must[int64](t)(tx.SetRange(0, k, off, v, t0, maxLen))
			next = cur
			if len(v) > 0 {
				next, nextExists = refSetRange(bytes.Clone(cur), off, v), true
			}
			if n != int64(len(next)) {
				t.Fatalf("step %d: SETRANGE returned %d, want %d", step, n, len(next))
			}
		case 2:
			v := randBytes(r, []int{0, 1, 100, ChunkSize, ChunkSize + 7}[r.IntN(5)])
			n := must[int64](t)(tx.Append(0, k, v, t0, maxLen))
			next, nextExists = append(bytes.Clone(cur), v...), true
			if n != int64(len(next)) {
				t.Fatalf("step %d: APPEND returned %d, want %d", step, n, len(next))
			}
		case 3:
			off := int64(r.IntN(8 * 6 * ChunkSize))
			on := r.IntN(2) == 0
			old := must[int](t)(tx.SetBit(0, k, off, on, t0))
			next = refSetRange(bytes.Clone(cur), off>>3, nil)
			if int64(len(next)) <= off>>3 {
				next = append(next, 0)
			}
			want := int(next[off>>3]>>(7-off&7)) & 1
			if old != want {
				t.Fatalf("step %d: SETBIT old = %d, want %d", step, old, want)
			}
			if on {
				next[off>>3] |= 1 << (7 - off&7)
			} else {
				next[off>>3] &^= 1 << (7 - off&7)
			}
			nextExists = true
		case 4:
			ok := must[bool](t)(tx.Delete(0, k, t0))
			if ok != exists {
				t.Fatalf("step %d: DEL = %v, want %v", step, ok, exists)
			}
			next, nextExists = nil, false
		case 5:
			next = cur
			for i := 0; i < 5; i++ {
				start, end := int64(r.IntN(40000)-20000), int64(r.IntN(40000)-20000)
				got := must[[]byte](t)(tx.GetRange(0, k, start, end, t0))
				if want := refGetRange(cur, start, end); !bytes.Equal(got, want) {
					t.Fatalf("step %d: GETRANGE %d %d: got %d bytes, want %d", step, start, end, len(got), len(want))
				}
				off := int64(r.IntN(8 * (len(cur) + 10)))
				bit := must[int](t)(tx.GetBit(0, k, off, t0))
				want := 0
				if off>>3 < int64(len(cur)) {
					want = int(cur[off>>3]>>(7-off&7)) & 1
				}
				if bit != want {
					t.Fatalf("step %d: GETBIT %d = %d, want %d", step, off, bit, want)
				}
			}
		}
		if discard {
			tx.Discard()
		} else {
			tx.Merge()
			if nextExists {
				model[key] = next
			} else {
				delete(model, key)
			}
		}
		noErr(t, g.Commit(true))
		read(t, ks, func(tx *Tx) {
			for _, key := range keys {
				v, ok, err := tx.GetString(0, []byte(key), t0)
				noErr(t, err)
				want, wok := model[key]
				if ok != wok || !bytes.Equal(v, want) {
					t.Fatalf("step %d: GET %s: %v len %d, want %v len %d", step, key, ok, len(v), wok, len(want))
				}
				if n := must[int64](t)(tx.StrLen(0, []byte(key), t0)); n != int64(len(want)) {
					t.Fatalf("step %d: STRLEN %s = %d, want %d", step, key, n, len(want))
				}
			}
		})
		if step%25 == 0 {
			checkInvariants(t, ks)
		}
	}
	checkInvariants(t, ks)
	// Reopen: everything survives, including the version high-water mark.
	ks2 := openKS(t, ks.eng)
	if ks2.version != ks.version {
		t.Fatalf("version after reopen = %d, want %d", ks2.version, ks.version)
	}
	checkInvariants(t, ks2)
	read(t, ks2, func(tx *Tx) {
		for key, want := range model {
			v, _, err := tx.GetString(0, []byte(key), t0)
			noErr(t, err)
			if !bytes.Equal(v, want) {
				t.Fatalf("after reopen: %s differs", key)
			}
		}
	})
	// Delete everything and sweep: no data record may remain.
	commit(t, ks2, func(tx *Tx) {
		must[int64](t)(tx.FlushAll())
	})
	sweepAll(t, ks2)
	if n := countRange(t, ks2.eng, []byte{kindData}); n != 0 {
		t.Fatalf("%d data records left after sweep:\n%s", n, dump(t, ks2.eng))
	}
	checkInvariants(t, ks2)
}

// sweepAll runs SweepGarbage in small steps until no garbage remains.
func sweepAll(t testing.TB, ks *Keyspace) int {
	t.Helper()
	total := 0
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("sweep does not terminate")
		}
		var more bool
		commit(t, ks, func(tx *Tx) {
			n, m, err := tx.SweepGarbage(7)
			noErr(t, err)
			if n > 7 {
				t.Fatalf("SweepGarbage(7) removed %d", n)
			}
			total += n
			more = m
		})
		if !more {
			return total
		}
	}
}

func TestChunkedStringLayout(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("big")
	val := bytes.Repeat([]byte("0123456789abcdef"), 3*ChunkSize/16+1) // 3 chunks + 16 bytes
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(1, k, val, t0, SetOptions{}))
	})
	read(t, ks, func(tx *Tx) {
		m, ok, err := tx.GetMeta(1, k, t0)
		noErr(t, err)
		if !ok || !m.Chunked() || m.Len != int64(len(val)) {
			t.Fatalf("meta = %+v", m)
		}
		if n := countRange(t, ks.eng, dataPrefix(m.Version)); n != 4 {
			t.Fatalf("%d chunks, want 4", n)
		}
		// A range across the chunk boundary.
		got := must[[]byte](t)(tx.ReadString(1, k, &m, ChunkSize-3, 6))
		if !bytes.Equal(got, val[ChunkSize-3:ChunkSize+3]) {
			t.Fatalf("ReadString across boundary = %q", got)
		}
		got = must[[]byte](t)(tx.GetRange(1, k, -5, -1, t0))
		if !bytes.Equal(got, val[len(val)-5:]) {
			t.Fatalf("GETRANGE -5 -1 = %q", got)
		}
	})
	// APPEND touches only the last chunk: the version stays.
	var version uint64
	commit(t, ks, func(tx *Tx) {
		m, _, _ := tx.GetMeta(1, k, t0)
		version = m.Version
		must[int64](t)(tx.Append(1, k, []byte("XYZ"), t0, 1<<30))
		m2, _, _ := tx.GetMeta(1, k, t0)
		if m2.Version != version {
			t.Fatalf("APPEND changed the version %d -> %d", version, m2.Version)
		}
	})
	// Overwrite with a small value: old version becomes garbage, O(1).
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(1, k, []byte("small"), t0, SetOptions{}))
	})
	if n := countRange(t, ks.eng, []byte{kindGarbage}); n != 1 {
		t.Fatalf("%d garbage markers, want 1", n)
	}
	if n := countRange(t, ks.eng, dataPrefix(version)); n != 4 {
		t.Fatalf("%d chunks before sweep, want 4 (delete must not touch them)", n)
	}
	checkInvariants(t, ks)
	if n := sweepAll(t, ks); n != 5 {
		t.Fatalf("sweep removed %d records, want 4 chunks + 1 marker", n)
	}
	if n := countRange(t, ks.eng, []byte{kindData}) + countRange(t, ks.eng, []byte{kindGarbage}); n != 0 {
		t.Fatalf("%d records left after sweep", n)
	}
}

func TestSetBitSparse(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("bits")
	const off = 8 * 10_000_000 // byte 10,000,000
	commit(t, ks, func(tx *Tx) {
		if old := must[int](t)(tx.SetBit(0, k, off+3, true, t0)); old != 0 {
			t.Fatalf("old bit %d", old)
		}
	})
	read(t, ks, func(tx *Tx) {
		if n := must[int64](t)(tx.StrLen(0, k, t0)); n != 10_000_001 {
			t.Fatalf("STRLEN = %d", n)
		}
		if b := must[int](t)(tx.GetBit(0, k, off+3, t0)); b != 1 {
			t.Fatal("bit not set")
		}
		if b := must[int](t)(tx.GetBit(0, k, off+4, t0)); b != 0 {
			t.Fatal("neighbour bit set")
		}
		got := must[[]byte](t)(tx.GetRange(0, k, 9_999_990, -1, t0))
		want := append(make([]byte, 10), 0x10)
		if !bytes.Equal(got, want) {
			t.Fatalf("tail = %x", got)
		}
	})
	if n := countRange(t, ks.eng, []byte{kindData}); n != 1 {
		t.Fatalf("%d data records, want 1 (sparse)", n)
	}
	// Clearing the only set bit leaves an all-zero chunk: it is dropped.
	commit(t, ks, func(tx *Tx) {
		if old := must[int](t)(tx.SetBit(0, k, off+3, false, t0)); old != 1 {
			t.Fatalf("old bit %d", old)
		}
	})
	if n := countRange(t, ks.eng, []byte{kindData}); n != 0 {
		t.Fatalf("%d data records, want 0", n)
	}
	checkInvariants(t, ks)
}

func TestSetOptions(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("k")
	set := func(v string, o SetOptions) SetResult {
		var res SetResult
		commit(t, ks, func(tx *Tx) {
			res = must[SetResult](t)(tx.SetString(0, k, []byte(v), t0, o))
		})
		checkInvariants(t, ks)
		return res
	}
	if r := set("1", SetOptions{XX: true}); r.Written {
		t.Fatal("XX wrote a missing key")
	}
	if r := set("1", SetOptions{NX: true, ExpireAt: t0 + 1000}); !r.Written {
		t.Fatal("NX did not write")
	}
	if ks.KeyCount(0) != 1 || ks.ExpireCount(0) != 1 {
		t.Fatalf("counts %d %d", ks.KeyCount(0), ks.ExpireCount(0))
	}
	if r := set("2", SetOptions{NX: true, Get: true}); r.Written || !r.OldFound || string(r.Old) != "1" {
		t.Fatalf("NX GET on existing: %+v", r)
	}
	set("3", SetOptions{KeepTTL: true})
	read(t, ks, func(tx *Tx) {
		if at, _, _ := tx.Expiry(0, k, t0); at != t0+1000 {
			t.Fatalf("KEEPTTL lost the expiry: %d", at)
		}
	})
	set("4", SetOptions{ExpireAt: t0 + 5000}) // moves the index entry
	set("5", SetOptions{})                    // clears it
	if ks.ExpireCount(0) != 0 {
		t.Fatalf("expires = %d", ks.ExpireCount(0))
	}
	// A past expiry deletes.
	if r := set("6", SetOptions{ExpireAt: t0 - 1}); !r.Written {
		t.Fatal("past expiry: not written")
	}
	if ks.KeyCount(0) != 0 {
		t.Fatalf("keys = %d after SET with a past expiry", ks.KeyCount(0))
	}
}

func TestWrongType(t *testing.T) {
	ks := newTestKS(t)
	k := []byte("h")
	commit(t, ks, func(tx *Tx) {
		// A hash-typed key with data records, as the collections will
		// write them.
		v := tx.nextVersion()
		tx.putMeta(0, k, nil, &Meta{Type: TypeHash, Version: v, Len: 1})
		tx.set(append(dataPrefix(v), 'f'), []byte("v"))
	})
	read(t, ks, func(tx *Tx) {
		if _, _, err := tx.GetString(0, k, t0); !errors.Is(err, ErrWrongType) {
			t.Fatalf("GET: %v", err)
		}
		if _, err := tx.GetRange(0, k, 0, 1, t0); !errors.Is(err, ErrWrongType) {
			t.Fatalf("GETRANGE: %v", err)
		}
		if _, err := tx.GetBit(0, k, 0, t0); !errors.Is(err, ErrWrongType) {
			t.Fatalf("GETBIT: %v", err)
		}
		if typ := must[Type](t)(tx.Type(0, k, t0)); typ != TypeHash || typ.String() != "hash" {
			t.Fatalf("TYPE = %v", typ)
		}
	})
	g := ks.BeginGroup()
	tx := g.Begin()
	for name, err := range map[string]error{
		"append":   second(tx.Append(0, k, []byte("x"), t0, 100)),
		"setrange": second(tx.SetRange(0, k, 0, []byte("x"), t0, 100)),
		"setbit":   second(tx.SetBit(0, k, 0, true, t0)),
		"set get":  second(tx.SetString(0, k, []byte("x"), t0, SetOptions{Get: true})),
	} {
		if !errors.Is(err, ErrWrongType) {
			t.Errorf("%s: %v", name, err)
		}
	}
	tx.Discard()
	g.Close()
	// A plain SET replaces any type; the hash's data become garbage.
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, k, []byte("s"), t0, SetOptions{}))
	})
	checkInvariants(t, ks)
	sweepAll(t, ks)
	if n := countRange(t, ks.eng, []byte{kindData}); n != 0 {
		t.Fatalf("%d data records left", n)
	}
}

func second[T any](_ T, err error) error { return err }

func TestStringTooLong(t *testing.T) {
	ks := newTestKS(t)
	g := ks.BeginGroup()
	defer g.Close()
	tx := g.Begin()
	if _, err := tx.SetRange(0, []byte("k"), 100, []byte("x"), t0, 100); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("SETRANGE past max: %v", err)
	}
	if n, err := tx.SetRange(0, []byte("k"), 99, []byte("x"), t0, 100); err != nil || n != 100 {
		t.Fatalf("SETRANGE to max: %d %v", n, err)
	}
	if _, err := tx.Append(0, []byte("k"), []byte("x"), t0, 100); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("APPEND past max: %v", err)
	}
}
