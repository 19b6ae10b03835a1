package resp

import (
	"errors"
	"io"
	"testing"
)

// chunkReader delivers data in reads whose sizes come from next (clamped
// to at least 1 byte and to what is left), then io.EOF.
type chunkReader struct {
	data []byte
	next func() int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if c.next != nil {
		n = min(n, max(1, c.next()))
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// chunks delivers data in chunks of the given sizes (the last one takes the
// rest).
func chunks(data []byte, sizes ...int) *chunkReader {
	i := 0
	return &chunkReader{data: data, next: func() int {
		if i < len(sizes) {
			i++
			return sizes[i-1]
		}
		return len(data)
	}}
}

// byteByByte delivers data one byte per read.
func byteByByte(data []byte) *chunkReader {
	return &chunkReader{data: data, next: func() int { return 1 }}
}

// readAll reads commands until an error, copying them, with ReadCommand or
// (batch) ReadBatch. It returns the commands and the final error.
func readAll(r *Reader, batch bool) ([][]string, error) {
	var out [][]string
	var cmds [][][]byte
	for i := 0; ; i++ {
		var err error
		if batch {
			cmds, err = r.ReadBatch(cmds[:0], 0)
		} else {
			var args [][]byte
			args, err = r.ReadCommand()
			cmds = append(cmds[:0], args)
			if err != nil {
				cmds = cmds[:0]
			}
		}
		for _, args := range cmds {
			out = append(out, strs(args))
		}
		if err != nil {
			return out, err
		}
		if i > 1<<20 {
			panic("readAll: no end")
		}
	}
}

func strs(args [][]byte) []string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = string(a)
	}
	return s
}

// sameErr reports whether err is want: the same sentinel, or a
// ProtocolError with the same message.
func sameErr(err, want error) bool {
	if errors.Is(err, want) {
		return true
	}
	var pe, pw *ProtocolError
	return errors.As(err, &pe) && errors.As(want, &pw) && pe.Msg == pw.Msg
}

func equalCmds(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// encode returns args as a multibulk request.
func encode(args ...string) []byte {
	w := NewWriter(2)
	w.WriteArrayLen(len(args))
	for _, a := range args {
		w.WriteBulkString(a)
	}
	return w.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
