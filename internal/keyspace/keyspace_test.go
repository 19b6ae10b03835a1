package keyspace

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	eng := newTestEngine(t)
	ks := openKS(t, eng)
	v, err := eng.Get(sysKey(sysFormat))
	noErr(t, err)
	if len(v) != 8 || binary.BigEndian.Uint64(v) != formatBase {
		t.Fatalf("format record = %x, want %d", v, formatBase)
	}
	commit(t, ks, func(tx *Tx) {
		must[SetResult](t)(tx.SetString(0, []byte("k"), []byte("v"), t0, SetOptions{}))
	})
	openKS(t, eng) // reopens fine

	put := func(key, val []byte) {
		b := eng.NewBatch()
		if val == nil {
			b.Delete(key)
		} else {
			b.Set(key, val)
		}
		noErr(t, b.Commit(false))
	}
	for name, val := range map[string][]byte{
		"future format": binary.BigEndian.AppendUint64(nil, formatVersion+1),
		"format 0":      binary.BigEndian.AppendUint64(nil, 0),
		"short record":  {1},
		"missing":       nil, // records exist, format record does not
	} {
		put(sysKey(sysFormat), val)
		_, err := Open(eng, Options{Databases: testDBs})
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Open = %v, want ErrFormat", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	for _, f := range []uint64{formatBase, formatVersion} {
		put(sysKey(sysFormat), binary.BigEndian.AppendUint64(nil, f))
		checkInvariants(t, openKS(t, eng))
	}
}

// TestFormatOnlyForEmptyKeyspace: records outside the keyspace's kinds do
// not make it non-empty.
func TestFormatOnlyForEmptyKeyspace(t *testing.T) {
	eng := newTestEngine(t)
	b := eng.NewBatch()
	b.Set([]byte("raft/log/1"), []byte("x"))
	noErr(t, b.Commit(false))
	ks := openKS(t, eng)
	if _, err := eng.Get(sysKey(sysFormat)); err != nil {
		t.Fatalf("format record: %v", err)
	}
	_ = ks
}
