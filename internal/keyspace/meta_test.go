package keyspace

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

var sampleMetas = []Meta{
	{Type: TypeString, Inline: []byte{}},
	{Type: TypeString, Inline: []byte("hello"), Len: 5},
	{Type: TypeString, ExpireAt: t0, Inline: []byte("x"), Len: 1},
	{Type: TypeString, Version: 7, Len: 1 << 20},
	{Type: TypeString, Version: 1<<64 - 1, ExpireAt: 1<<63 - 1, Len: MaxStringLen},
	{Type: TypeHash, Version: 3, Len: 1},
	{Type: TypeZSet, Version: 9, ExpireAt: 5, Len: 1 << 40},
	{Type: TypeSet, Version: 2, Len: 7},
	{Type: TypeList, Version: 1 << 60, Len: 3, ListHead: 1<<63 - 1},
	{Type: TypeStream, Version: 4},
	{Type: TypeStream, Version: 5, ExpireAt: 9, Len: 3, Stream: StreamMeta{LastID: StreamID{7, 1}, MaxDeletedID: StreamID{2, 0},
		EntriesAdded: 5, FirstID: StreamID{1, 0}, Nodes: 2, TailNode: StreamID{6, 0}}},
}

func TestMetaRoundTrip(t *testing.T) {
	for _, m := range sampleMetas {
		b := encodeMeta(nil, &m)
		got, err := decodeMeta(b)
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip: got %+v, want %+v", got, m)
		}
	}
}

func TestDecodeMetaRejects(t *testing.T) {
	good := encodeMeta(nil, &Meta{Type: TypeString, Version: 4, Len: 10000})
	bad := map[string][]byte{
		"empty":             nil,
		"short header":      good[:10],
		"type none":         append([]byte{0}, good[1:]...),
		"type unknown":      append([]byte{99}, good[1:]...),
		"negative expiry":   append(append([]byte{1, 0, 0, 0, 0, 0, 0, 0, 4}, 0xff, 0, 0, 0, 0, 0, 0, 0), good[17:]...),
		"no encoding":       good[:17],
		"bad encoding":      append(append([]byte{}, good[:17]...), 9),
		"chunked short":     good[:len(good)-1],
		"chunked long":      append(append([]byte{}, good...), 0),
		"chunked no ver":    encodeMeta(nil, &Meta{Type: TypeString, Inline: []byte("12345678")})[:0],
		"inline with ver":   append(append([]byte{1, 0, 0, 0, 0, 0, 0, 0, 4}, make([]byte, 8)...), 0, 'x'),
		"chunked too long":  encodeMeta(nil, &Meta{Type: TypeString, Version: 1, Len: MaxStringLen + 1}),
		"empty hash":        encodeMeta(nil, &Meta{Type: TypeHash, Version: 1, Len: 0}),
		"hash no version":   encodeMeta(nil, &Meta{Type: TypeHash, Len: 1}),
		"huge set":          encodeMeta(nil, &Meta{Type: TypeSet, Version: 1, Len: -1}),
		"list short":        encodeMeta(nil, &Meta{Type: TypeList, Version: 1, Len: 1})[:30],
		"list as zset":      append([]byte{byte(TypeList)}, encodeMeta(nil, &Meta{Type: TypeZSet, Version: 1, Len: 1})[1:]...),
		"zset trailing":     append(encodeMeta(nil, &Meta{Type: TypeZSet, Version: 1, Len: 1}), 0),
		"stream no version": encodeMeta(nil, &Meta{Type: TypeStream}),
		"stream short":      encodeMeta(nil, &Meta{Type: TypeStream, Version: 1})[:40],
		"stream no nodes":   encodeMeta(nil, &Meta{Type: TypeStream, Version: 1, Len: 1}),
		"stream negative":   encodeMeta(nil, &Meta{Type: TypeStream, Version: 1, Len: -1}),
		"stream added < 0":  encodeMeta(nil, &Meta{Type: TypeStream, Version: 1, Stream: StreamMeta{EntriesAdded: -1}}),
	}
	// An inline record whose version field is zero but claims chunked.
	noVer := append(append([]byte{1}, make([]byte, 16)...), strChunked, 0, 0, 0, 0, 0, 0, 0, 1)
	bad["chunked zero version"] = noVer
	for name, b := range bad {
		if _, err := decodeMeta(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decodeMeta(%x) = %v, want ErrCorrupt", name, b, err)
		}
	}
}

// FuzzDecodeMeta checks that decodeMeta never panics, that everything it
// accepts re-encodes to the same bytes (the encoding is canonical), and that
// decoding an encoding gives back the same Meta.
func FuzzDecodeMeta(f *testing.F) {
	for _, m := range sampleMetas {
		f.Add(encodeMeta(nil, &m))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		enc := encodeMeta(nil, &m)
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %+v: got %x, want %x", m, enc, b)
		}
		m2, err := decodeMeta(enc)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %+v, %v; want %+v", m2, err, m)
		}
	})
}
