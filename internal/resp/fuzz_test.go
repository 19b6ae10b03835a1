package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzLimits are small, so that fuzzed inputs reach every limit.
var fuzzLimits = Limits{MaxBulkLen: 300, MaxArgs: 20, MaxInlineLen: 64, MaxQueryBuffer: 1000}

// rng is splitmix64: a deterministic stream from the fuzzer's seed.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// fuzzRun is one way of feeding an input to a Reader.
type fuzzRun struct {
	name   string
	rd     io.Reader
	bufSz  int
	bigArg int
	batch  func() (bool, int) // ReadBatch or ReadCommand, and ReadBatch's max
}

// runReader reads everything, checking memory bounds after each call, and
// returns the commands and the final error.
func runReader(t *testing.T, run fuzzRun, lim Limits, auth bool) ([][]string, error) {
	t.Helper()
	lim.ReadBufferSize = run.bufSz
	r := NewReader(run.rd, lim)
	if run.bigArg > 0 {
		r.bigArg = run.bigArg
	}
	r.SetAuthRequired(auth)
	lim = r.Limits()
	// What a Reader may hold: one command within the query buffer limit,
	// plus the header line or bulk being parsed, with doubling slack.
	bufBound := 2*(int(lim.MaxQueryBuffer)+lim.MaxInlineLen+4) + lim.ReadBufferSize
	var out [][]string
	var dst [][][]byte
	for calls := 0; ; calls++ {
		var err error
		if batch, n := run.batch(); batch {
			dst, err = r.ReadBatch(dst[:0], n)
			if err == nil && (len(dst) == 0 || (n > 0 && len(dst) > n)) {
				t.Fatalf("%s: ReadBatch(max %d) returned %d commands", run.name, n, len(dst))
			}
		} else {
			var args [][]byte
			args, err = r.ReadCommand()
			dst = dst[:0]
			if err == nil {
				dst = append(dst, args)
			}
		}
		if err != nil && len(dst) != 0 {
			t.Fatalf("%s: commands returned with error %v", run.name, err)
		}
		for _, args := range dst {
			if len(args) == 0 || len(args) > max(lim.MaxArgs, lim.MaxInlineLen) {
				t.Fatalf("%s: command of %d args", run.name, len(args))
			}
			for _, a := range args {
				if int64(len(a)) > lim.MaxBulkLen || cap(a) != len(a) {
					t.Fatalf("%s: arg len %d cap %d", run.name, len(a), cap(a))
				}
			}
			out = append(out, strs(args))
		}
		if c := cap(r.buf); c > bufBound {
			t.Fatalf("%s: buffer grew to %d (bound %d)", run.name, c, bufBound)
		}
		if c := cap(r.big); int64(c) > lim.MaxBulkLen+2 {
			t.Fatalf("%s: big bulk buffer %d", run.name, c)
		}
		if len(r.spans) > lim.MaxArgs {
			t.Fatalf("%s: %d spans", run.name, len(r.spans))
		}
		if err != nil {
			return out, err
		}
		if calls > 1<<20 {
			t.Fatalf("%s: no end", run.name)
		}
	}
}

// checkErr checks that err is one the Reader may return for an in-memory
// input.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	switch {
	case err == io.EOF, err == io.ErrUnexpectedEOF, err == ErrQueryBufferLimit:
	case errors.As(err, &pe):
		for _, known := range []*ProtocolError{ErrInvalidMultibulkLength, ErrInvalidBulkLength, ErrTooBigInline,
			ErrTooBigMultibulkCount, ErrTooBigBulkCount, ErrUnbalancedQuotes, ErrUnauthenticatedMultibulkLength,
			ErrUnauthenticatedBulkLength} {
			if pe == known {
				return
			}
		}
		if !strings.HasPrefix(pe.Msg, "expected '$', got '") || len(pe.Msg) != len("expected '$', got 'x'") {
			t.Fatalf("unknown protocol error %q", pe.Msg)
		}
	default:
		t.Fatalf("unexpected error %v", err)
	}
}

func FuzzReader(f *testing.F) {
	for _, tc := range readerCases {
		f.Add([]byte(tc.in), uint64(len(tc.name)))
	}
	for i, s := range []string{
		"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
		"*1\r\n$200\r\n" + strings.Repeat("\r\n", 100) + "\r\nPING\r\n",
		"*2\r\n$4\r\nECHO\r\n$100\r\n" + strings.Repeat("x", 100) + "\r\n*1\r\n$4\r\nPING\r\n",
		"SET a \"b\\x41\\\"c\" 'd\\'e'\r\nGET a\nPING\r\n\r\n",
		"*0\r\n*-1\r\n\n\r\n*1\r\n$0\r\n\r\n",
		"*21\r\n",
		"*1\r\n$301\r\n",
		"*5\r\n" + strings.Repeat("$200\r\n"+strings.Repeat("y", 200)+"\r\n", 5),
		strings.Repeat("a", 65) + "\n",
		"*" + strings.Repeat("1", 70),
		"PING\r\n*1\r\n$4\r\nPING\r\n\"unbalanced\n",
	} {
		f.Add([]byte(s), uint64(i)*7919)
	}
	f.Fuzz(fuzzReaderBody)
}

// fuzzReaderBody checks one input: the same commands and error whatever the
// chunking, buffer size and big-bulk threshold; memory within the limits;
// and the round trip of data cut into arguments.
func fuzzReaderBody(t *testing.T, data []byte, seed uint64) {
	g := rng(seed)
	auth := g.intn(4) == 0

	// Reference: all at once, default buffer, no big-bulk path.
	ref := fuzzRun{name: "whole", rd: bytes.NewReader(data), batch: func() (bool, int) { return true, 0 }}
	want, wantErr := runReader(t, ref, fuzzLimits, auth)
	checkErr(t, wantErr)

	runs := []fuzzRun{
		{name: "bytes", rd: byteByByte(data), bufSz: 1, bigArg: 1, batch: func() (bool, int) { return false, 0 }},
		{name: "random", rd: &chunkReader{data: data, next: func() int { return 1 + g.intn(1+g.intn(100)) }},
			bufSz: 1 + g.intn(64), bigArg: 1 + g.intn(400),
			batch: func() (bool, int) { return g.intn(2) == 0, g.intn(4) }},
	}
	for _, run := range runs {
		got, err := runReader(t, run, fuzzLimits, auth)
		if !equalCmds(got, want) || !sameErr(err, wantErr) {
			t.Fatalf("%s: got %q, %v; whole input gave %q, %v", run.name, got, err, want, wantErr)
		}
	}

	// Round trip: data cut into arguments, encoded as a multibulk
	// (twice, pipelined), parsed back.
	var args []string
	if len(data) > 0 {
		sep := data[0]
		for _, a := range bytes.Split(data[1:], []byte{sep}) {
			args = append(args, string(a))
		}
	}
	if len(args) == 0 || len(args) > DefaultMaxArgs {
		return
	}
	enc := encode(args...)
	enc = append(enc, enc...)
	run := fuzzRun{name: "roundtrip", rd: &chunkReader{data: enc, next: func() int { return 1 + g.intn(50) }},
		bufSz: 1 + g.intn(64), bigArg: 1 + g.intn(100), batch: func() (bool, int) { return g.intn(2) == 0, 0 }}
	got, err := runReader(t, run, Limits{}, false)
	if err != io.EOF || !equalCmds(got, [][]string{args, args}) {
		t.Fatalf("round trip of %q: got %q, %v", args, got, err)
	}
}

// TestRoundTripRandom is the round-trip property over generated commands,
// with bulks large enough to take the big-bulk path.
func TestRoundTripRandom(t *testing.T) {
	g := rng(42)
	for iter := range 200 {
		var want [][]string
		var enc []byte
		for range 1 + g.intn(5) {
			args := make([]string, 1+g.intn(8))
			for i := range args {
				b := make([]byte, g.intn([]int{4, 100, 70000}[g.intn(3)]))
				for j := range b {
					b[j] = byte(g.next())
				}
				args[i] = string(b)
			}
			want = append(want, args)
			enc = append(enc, encode(args...)...)
		}
		run := fuzzRun{name: "random", rd: &chunkReader{data: enc, next: func() int { return 1 + g.intn(20000) }},
			batch: func() (bool, int) { return g.intn(2) == 0, g.intn(3) }}
		got, err := runReader(t, run, Limits{}, false)
		if err != io.EOF || !equalCmds(got, want) {
			t.Fatalf("iteration %d: %d commands, %v", iter, len(got), err)
		}
	}
}
