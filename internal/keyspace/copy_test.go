package keyspace

import "testing"

// TestCopyMove copies and moves values of every type across databases and
// checks the copies are independent and the invariants hold.
func TestCopyMove(t *testing.T) {
	ks := newTestKS(t)
	big := make([]byte, 3*ChunkSize+7)
	for i := range big {
		big[i] = byte(i)
	}
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("str"), big, t0, SetOptions{ExpireAt: t0 + 5000}))
		must[int64](t)(tx.HashSet(0, []byte("h"), [][]byte{[]byte("f"), []byte("v")}, t0))
		must[int64](t)(tx.SetAdd(0, []byte("s"), [][]byte{[]byte("a"), []byte("b")}, t0))
		must[int64](t)(tx.ListPush(0, []byte("l"), [][]byte{[]byte("x"), []byte("y")}, false, true, t0))
	})
	commit(t, ks, func(tx *Tx) {
		for _, k := range []string{"str", "h", "s", "l"} {
			if !must[bool](t)(tx.Copy(0, []byte(k), 1, []byte(k+"2"), false, t0)) {
				t.Fatalf("copy %s", k)
			}
		}
		if must[bool](t)(tx.Copy(0, []byte("h"), 1, []byte("h2"), false, t0)) {
			t.Fatal("copy over an existing key without REPLACE")
		}
		if !must[bool](t)(tx.Move(0, []byte("s"), 2, t0)) {
			t.Fatal("move")
		}
	})
	checkInvariants(t, ks)
	// Changing a copy leaves the original alone.
	commit(t, ks, func(tx *Tx) {
		must[int64](t)(tx.HashSet(1, []byte("h2"), [][]byte{[]byte("f"), []byte("changed")}, t0))
	})
	read(t, ks, func(tx *Tx) {
		v, _ := must2(t)(tx.HashGet(0, []byte("h"), []byte("f"), t0))
		if string(v) != "v" {
			t.Fatalf("original changed: %q", v)
		}
		s, ok := must2(t)(tx.GetString(1, []byte("str2"), t0))
		if !ok || string(s) != string(big) {
			t.Fatal("chunked string copy differs")
		}
		if at, _, _ := tx.Expiry(1, []byte("str2"), t0); at != t0+5000 {
			t.Fatalf("copy expiry %d", at)
		}
		if n := must[int64](t)(tx.SetCard(2, []byte("s"), t0)); n != 2 {
			t.Fatalf("moved set has %d members", n)
		}
		size, ok, err := tx.ValueSize(0, []byte("l"), t0, 5)
		if err != nil || !ok || size <= 0 {
			t.Fatalf("ValueSize = %d, %v, %v", size, ok, err)
		}
	})
	checkInvariants(t, ks)
}
