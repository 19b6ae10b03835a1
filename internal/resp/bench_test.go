package resp

import (
	"fmt"
	"strings"
	"testing"
)

// benchRead parses the request in data once per op, the underlying reader
// delivering one copy of data per Read, as a socket does for a pipeline
// written at once. want is the number of commands in data.
func benchRead(b *testing.B, data []byte, want int) {
	r := NewReader(&loopReader{data: data}, Limits{})
	var dst [][][]byte
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		dst, err = r.ReadBatch(dst[:0], 0)
		if err != nil || len(dst) != want {
			b.Fatalf("%d commands, %v", len(dst), err)
		}
	}
}

func BenchmarkReadPipeline16Set(b *testing.B) {
	var data []byte
	for i := range 16 {
		data = append(data, encode("SET", fmt.Sprintf("key:%06d", 123+i), "value")...)
	}
	benchRead(b, data, 16)
}

func BenchmarkReadGet(b *testing.B) {
	benchRead(b, encode("GET", "key:000123"), 1)
}

func BenchmarkReadInlineGet(b *testing.B) {
	benchRead(b, []byte("GET key:000123\r\n"), 1)
}

func BenchmarkReadBulk64K(b *testing.B) {
	benchRead(b, encode("SET", "key:000123", strings.Repeat("v", 64<<10)), 1)
}

// BenchmarkReadBulk16K is a bulk below the big-bulk threshold: it is parsed
// in the shared buffer.
func BenchmarkReadBulk16K(b *testing.B) {
	benchRead(b, encode("SET", "key:000123", strings.Repeat("v", 16<<10)), 1)
}

func BenchmarkWriterReplies(b *testing.B) {
	w := NewWriter(2)
	val := []byte("value")
	b.ReportAllocs()
	for range b.N {
		w.Reset()
		for range 16 {
			w.WriteOK()
			w.WriteBulk(val)
			w.WriteInt(123456)
			w.WriteDouble(1.5)
		}
	}
}
