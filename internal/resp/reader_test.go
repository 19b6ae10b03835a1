package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

type readerCase struct {
	name string
	in   string
	lim  Limits // zero: defaults
	auth bool
	want [][]string
	err  error
}

func cmd(args ...string) []string   { return args }
func cmds(c ...[]string) [][]string { return c }

var readerCases = []readerCase{
	// Multibulk.
	{name: "ping", in: "*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "set", in: "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", want: cmds(cmd("SET", "key", "value")), err: io.EOF},
	{name: "zero-length bulk", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", want: cmds(cmd("SET", "k", "")), err: io.EOF},
	{name: "binary bulk", in: "*2\r\n$4\r\nECHO\r\n$7\r\na\r\nb\x00\xff\n\r\n", want: cmds(cmd("ECHO", "a\r\nb\x00\xff\n")), err: io.EOF},
	{name: "bulk of CRLFs", in: "*1\r\n$4\r\n\r\n\r\n\r\n", want: cmds(cmd("\r\n\r\n")), err: io.EOF},
	{name: "pipeline", in: "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n",
		want: cmds(cmd("PING"), cmd("ECHO", "x"), cmd("PING")), err: io.EOF},
	{name: "empty multibulks skipped", in: "*0\r\n*-1\r\n*-5\r\n*-9223372036854775808\r\n*1\r\n$4\r\nPING\r\n*0\r\n",
		want: cmds(cmd("PING")), err: io.EOF},
	{name: "header LF not checked", in: "*1\rX$4\rYPING\r\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "bulk CRLF not checked", in: "*1\r\n$4\r\nPINGxy*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING"), cmd("PING")), err: io.EOF},
	{name: "max args", in: "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", lim: Limits{MaxArgs: 3}, want: cmds(cmd("a", "b", "c")), err: io.EOF},
	{name: "max bulk", in: "*1\r\n$3\r\nabc\r\n", lim: Limits{MaxBulkLen: 3}, want: cmds(cmd("abc")), err: io.EOF},
	{name: "query buffer exactly full", in: "*1\r\n$21\r\n123456789012345678901\r\n", lim: Limits{MaxQueryBuffer: 32},
		want: cmds(cmd("123456789012345678901")), err: io.EOF},
	{name: "header at inline limit", in: "*1\r\n$0000000000000003\r\n", lim: Limits{MaxInlineLen: 18}, err: ErrInvalidBulkLength},
	{name: "accepted huge count", in: "*1048576\r\n", err: io.ErrUnexpectedEOF},
	{name: "accepted max bulk", in: "*1\r\n$536870912\r\n", err: io.ErrUnexpectedEOF},
	{name: "unauth 10 args", in: "*10\r\n", auth: true, err: io.ErrUnexpectedEOF},
	{name: "unauth 16384 bulk", in: "*1\r\n$16384\r\n", auth: true, err: io.ErrUnexpectedEOF},
	{name: "unauth pipeline", in: "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", auth: true, want: cmds(cmd("PING"), cmd("PING")), err: io.EOF},

	// End of input.
	{name: "empty input", in: "", err: io.EOF},
	{name: "eof in count", in: "*1", err: io.ErrUnexpectedEOF},
	{name: "eof after CR", in: "*1\r", err: io.ErrUnexpectedEOF},
	{name: "eof in bulk header", in: "*1\r\n$4", err: io.ErrUnexpectedEOF},
	{name: "eof in bulk", in: "*1\r\n$4\r\nPI", err: io.ErrUnexpectedEOF},
	{name: "eof before bulk CRLF", in: "*1\r\n$4\r\nPING", err: io.ErrUnexpectedEOF},
	{name: "eof in second command", in: "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n", want: cmds(cmd("PING")), err: io.ErrUnexpectedEOF},
	{name: "eof in inline", in: "PING", err: io.ErrUnexpectedEOF},
	{name: "eof in blank inline", in: "\r\n  ", err: io.ErrUnexpectedEOF},

	// Multibulk count errors.
	{name: "empty count", in: "*\r\n", err: ErrInvalidMultibulkLength},
	{name: "minus zero count", in: "*-0\r\n", err: ErrInvalidMultibulkLength},
	{name: "plus count", in: "*+1\r\n", err: ErrInvalidMultibulkLength},
	{name: "leading zero count", in: "*01\r\n", err: ErrInvalidMultibulkLength},
	{name: "space in count", in: "* 1\r\n", err: ErrInvalidMultibulkLength},
	{name: "trailing space count", in: "*1 \r\n", err: ErrInvalidMultibulkLength},
	{name: "letter count", in: "*1a\r\n", err: ErrInvalidMultibulkLength},
	{name: "lone minus count", in: "*-\r\n", err: ErrInvalidMultibulkLength},
	{name: "overflow count", in: "*9223372036854775808\r\n", err: ErrInvalidMultibulkLength},
	{name: "overflow negative count", in: "*-9223372036854775809\r\n", err: ErrInvalidMultibulkLength},
	{name: "21-char count", in: "*-00000000000000000001\r\n", err: ErrInvalidMultibulkLength},
	{name: "NUL in count", in: "*1\x00\r\n", err: ErrInvalidMultibulkLength},
	{name: "above INT_MAX", in: "*2147483648\r\n", lim: Limits{MaxArgs: MaxArgsLimit}, err: ErrInvalidMultibulkLength},
	{name: "above MaxArgs", in: "*1048577\r\n", err: ErrInvalidMultibulkLength},
	{name: "above configured MaxArgs", in: "*4\r\n", lim: Limits{MaxArgs: 3}, err: ErrInvalidMultibulkLength},
	{name: "unauth count", in: "*11\r\n", auth: true, err: ErrUnauthenticatedMultibulkLength},
	{name: "unauth checked after invalid", in: "*2147483648\r\n", auth: true, err: ErrInvalidMultibulkLength},
	{name: "too big count", in: "*" + strings.Repeat("1", 16), lim: Limits{MaxInlineLen: 16}, err: ErrTooBigMultibulkCount},
	{name: "count at limit waits", in: "*" + strings.Repeat("1", 15), lim: Limits{MaxInlineLen: 16}, err: io.ErrUnexpectedEOF},
	{name: "error after good command", in: "*1\r\n$4\r\nPING\r\n*x\r\n", want: cmds(cmd("PING")), err: ErrInvalidMultibulkLength},

	// Bulk header errors.
	{name: "null bulk", in: "*1\r\n$-1\r\n", err: ErrInvalidBulkLength},
	{name: "empty bulk len", in: "*1\r\n$\r\n", err: ErrInvalidBulkLength},
	{name: "leading zero bulk", in: "*1\r\n$04\r\nPING\r\n", err: ErrInvalidBulkLength},
	{name: "plus bulk", in: "*1\r\n$+4\r\nPING\r\n", err: ErrInvalidBulkLength},
	{name: "minus zero bulk", in: "*1\r\n$-0\r\n", err: ErrInvalidBulkLength},
	{name: "overflow bulk", in: "*1\r\n$99999999999999999999\r\n", err: ErrInvalidBulkLength},
	{name: "above proto-max-bulk-len", in: "*1\r\n$536870913\r\n", err: ErrInvalidBulkLength},
	{name: "above configured max bulk", in: "*1\r\n$4\r\n", lim: Limits{MaxBulkLen: 3}, err: ErrInvalidBulkLength},
	{name: "unauth bulk", in: "*1\r\n$16385\r\n", auth: true, err: ErrUnauthenticatedBulkLength},
	{name: "unauth bulk checked after invalid", in: "*1\r\n$536870913\r\n", auth: true, err: ErrInvalidBulkLength},
	{name: "integer instead of bulk", in: "*1\r\n:4\r\n", err: expectedDollar(':')},
	{name: "empty line instead of bulk", in: "*1\r\n\r\n", err: expectedDollar('\r')},
	{name: "high byte instead of bulk", in: "*1\r\n\xff\r\n", err: expectedDollar(0xff)},
	{name: "NUL instead of bulk", in: "*1\r\n\x00\r\n", err: expectedDollar(0)},
	{name: "nested array", in: "*1\r\n*1\r\n$4\r\nPING\r\n", err: expectedDollar('*')},
	{name: "too big bulk count", in: "*1\r\n$" + strings.Repeat("1", 16), lim: Limits{MaxInlineLen: 16}, err: ErrTooBigBulkCount},
	{name: "bulk count at limit waits", in: "*1\r\n$" + strings.Repeat("1", 15), lim: Limits{MaxInlineLen: 16}, err: io.ErrUnexpectedEOF},
	{name: "query buffer exceeded", in: "*1\r\n$22\r\n", lim: Limits{MaxQueryBuffer: 32}, err: ErrQueryBufferLimit},
	{name: "query buffer over many args", in: "*9\r\n" + strings.Repeat("$2\r\nab\r\n", 4) + "$1\r\n", lim: Limits{MaxQueryBuffer: 40}, err: ErrQueryBufferLimit},
	{name: "error in third command", in: "*1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n*1\r\n$-1\r\n",
		want: cmds(cmd("a"), cmd("b")), err: ErrInvalidBulkLength},

	// Inline.
	{name: "inline CRLF", in: "PING\r\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "inline LF", in: "PING\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "inline args", in: "SET key value\r\n", want: cmds(cmd("SET", "key", "value")), err: io.EOF},
	{name: "inline spaces", in: "  SET \t key  value \r\n", want: cmds(cmd("SET", "key", "value")), err: io.EOF},
	{name: "empty lines skipped", in: "\r\n\n  \r\n\t\nPING\n\r\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "inline CR inside", in: "ECHO a\rb\n", want: cmds(cmd("ECHO", "a", "b")), err: io.EOF},
	{name: "inline double CR", in: "PING\r\r\n", want: cmds(cmd("PING")), err: io.EOF},
	{name: "inline quoted", in: "SET k \"hello world\"\r\n", want: cmds(cmd("SET", "k", "hello world")), err: io.EOF},
	{name: "inline escapes", in: "ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", want: cmds(cmd("ECHO", "aA\n\r\t\b\a\\\"q")), err: io.EOF},
	{name: "inline single quotes", in: "ECHO 'a\\'b\\n\"'\r\n", want: cmds(cmd("ECHO", "a'b\\n\"")), err: io.EOF},
	{name: "inline empty quoted", in: "ECHO \"\" ''\r\n", want: cmds(cmd("ECHO", "", "")), err: io.EOF},
	{name: "inline quote mid-token", in: "ECHO a\"b c\"\r\n", want: cmds(cmd("ECHO", "ab c")), err: io.EOF},
	{name: "inline NUL", in: "ECHO a\x00b\n", want: cmds(cmd("ECHO", "a\x00b")), err: io.EOF},
	{name: "inline then multibulk", in: "PING\r\n*1\r\n$4\r\nPING\r\nPING\n", want: cmds(cmd("PING"), cmd("PING"), cmd("PING")), err: io.EOF},
	{name: "inline starting with space and star", in: " *1\r\n", want: cmds(cmd("*1")), err: io.EOF},
	{name: "inline dollar", in: "$4\r\n", want: cmds(cmd("$4")), err: io.EOF},
	{name: "inline at limit", in: strings.Repeat("a", 16) + "\n", lim: Limits{MaxInlineLen: 16}, want: cmds(cmd(strings.Repeat("a", 16))), err: io.EOF},
	{name: "inline CRLF over limit", in: strings.Repeat("a", 16) + "\r\n", lim: Limits{MaxInlineLen: 16}, err: ErrTooBigInline},
	{name: "inline too big", in: strings.Repeat("a", 17), lim: Limits{MaxInlineLen: 16}, err: ErrTooBigInline},
	{name: "inline too big after command", in: "PING\n" + strings.Repeat("a", 17) + "\n", lim: Limits{MaxInlineLen: 16}, want: cmds(cmd("PING")), err: ErrTooBigInline},
	{name: "inline unterminated double", in: "ECHO \"abc\r\n", err: ErrUnbalancedQuotes},
	{name: "inline unterminated single", in: "ECHO 'abc\r\n", err: ErrUnbalancedQuotes},
	{name: "inline text after quote", in: "ECHO \"a\"b\r\n", err: ErrUnbalancedQuotes},
	{name: "inline text after single quote", in: "ECHO 'a'b\r\n", err: ErrUnbalancedQuotes},
	{name: "inline backslash at end", in: "ECHO \"a\\\r\n", err: ErrUnbalancedQuotes},
	{name: "inline query buffer", in: "ECHO abcdef\n", lim: Limits{MaxQueryBuffer: 8}, err: ErrQueryBufferLimit},
}

// chunkings returns the ways each case is fed to the Reader: at once, byte
// by byte, split at every offset, with tiny buffers and big-bulk thresholds.
type chunking struct {
	name   string
	reader func(data []byte) io.Reader
	bufSz  int
	bigArg int
}

func chunkingsFor(data []byte) []chunking {
	cs := []chunking{
		{name: "whole", reader: func(d []byte) io.Reader { return chunks(d) }},
		{name: "bytes", reader: func(d []byte) io.Reader { return byteByByte(d) }},
		{name: "bytes/buf1/big1", reader: func(d []byte) io.Reader { return byteByByte(d) }, bufSz: 1, bigArg: 1},
		{name: "whole/buf3/big4", reader: func(d []byte) io.Reader { return chunks(d) }, bufSz: 3, bigArg: 4},
	}
	for i := 1; i < len(data); i++ {
		cs = append(cs, chunking{name: fmt.Sprintf("split%d", i), reader: func(d []byte) io.Reader { return chunks(d, i) }})
		cs = append(cs, chunking{name: fmt.Sprintf("split%d/buf2/big2", i), reader: func(d []byte) io.Reader { return chunks(d, i, 3) }, bufSz: 2, bigArg: 2})
	}
	return cs
}

func TestReaderCases(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ch := range chunkingsFor([]byte(tc.in)) {
				for _, batch := range []bool{false, true} {
					lim := tc.lim
					lim.ReadBufferSize = ch.bufSz
					r := NewReader(ch.reader([]byte(tc.in)), lim)
					if ch.bigArg > 0 {
						r.bigArg = ch.bigArg
					}
					r.SetAuthRequired(tc.auth)
					got, err := readAll(r, batch)
					if !equalCmds(got, tc.want) || !sameErr(err, tc.err) {
						t.Fatalf("%s batch=%v: got %q, %v; want %q, %v", ch.name, batch, got, err, tc.want, tc.err)
					}
					// Errors are sticky.
					if _, err2 := r.ReadCommand(); !sameErr(err2, tc.err) {
						t.Fatalf("%s: second call: %v, want %v", ch.name, err2, tc.err)
					}
				}
			}
		})
	}
}

func TestProtocolErrorText(t *testing.T) {
	for err, want := range map[*ProtocolError]string{
		ErrInvalidMultibulkLength:         "Protocol error: invalid multibulk length",
		ErrInvalidBulkLength:              "Protocol error: invalid bulk length",
		ErrTooBigInline:                   "Protocol error: too big inline request",
		ErrTooBigMultibulkCount:           "Protocol error: too big mbulk count string",
		ErrTooBigBulkCount:                "Protocol error: too big bulk count string",
		ErrUnbalancedQuotes:               "Protocol error: unbalanced quotes in request",
		ErrUnauthenticatedMultibulkLength: "Protocol error: unauthenticated multibulk length",
		ErrUnauthenticatedBulkLength:      "Protocol error: unauthenticated bulk length",
		expectedDollar(':'):               "Protocol error: expected '$', got ':'",
		expectedDollar(0xff):              "Protocol error: expected '$', got '\xff'",
	} {
		if err.Error() != want {
			t.Errorf("%q, want %q", err.Error(), want)
		}
	}
	// As the server replies: CR and LF become spaces.
	w := NewWriter(2)
	w.WriteError("ERR " + expectedDollar('\r').Error())
	if got := string(w.Bytes()); got != "-ERR Protocol error: expected '$', got ' '\r\n" {
		t.Errorf("reply %q", got)
	}
	var pe *ProtocolError
	if errors.As(ErrQueryBufferLimit, &pe) {
		t.Error("ErrQueryBufferLimit must not be a ProtocolError (Redis closes without a reply)")
	}
}

func TestReadBatchPipeline(t *testing.T) {
	var in []byte
	const n = 200
	for i := range n {
		in = append(in, encode("SET", fmt.Sprintf("key:%06d", i), "value")...)
	}
	r := NewReader(bytes.NewReader(in), Limits{ReadBufferSize: len(in)})
	got, err := r.ReadBatch(nil, 0)
	must(t, err)
	if len(got) != n {
		t.Fatalf("one read, %d commands; want all %d", len(got), n)
	}
	for i, args := range got {
		if want := fmt.Sprintf("key:%06d", i); len(args) != 3 || string(args[1]) != want {
			t.Fatalf("command %d: %q", i, args)
		}
	}
	if r.Buffered() != 0 {
		t.Fatalf("Buffered %d", r.Buffered())
	}
	if r.InputBytes() != int64(len(in)) {
		t.Fatalf("InputBytes %d, want %d", r.InputBytes(), len(in))
	}
	if _, err := r.ReadBatch(got[:0], 0); err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
}

func TestReadBatchMax(t *testing.T) {
	in := bytes.Repeat(encode("PING"), 10)
	r := NewReader(bytes.NewReader(in), Limits{})
	var sizes []int
	var dst [][][]byte
	for {
		var err error
		dst, err = r.ReadBatch(dst[:0], 4)
		if err == io.EOF {
			break
		}
		must(t, err)
		sizes = append(sizes, len(dst))
	}
	if fmt.Sprint(sizes) != "[4 4 2]" {
		t.Fatalf("batches %v", sizes)
	}
	// maxCmds counts only what this call appends.
	r = NewReader(bytes.NewReader(in), Limits{})
	dst, err := r.ReadBatch(make([][][]byte, 3), 2)
	must(t, err)
	if len(dst) != 5 || dst[3] == nil || dst[4] == nil {
		t.Fatalf("dst %q", dst)
	}
}

func TestReadBatchPartialTail(t *testing.T) {
	in := []byte("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel")
	rest := []byte("lo\r\n")
	r := NewReader(io.MultiReader(bytes.NewReader(in), bytes.NewReader(rest)), Limits{})
	got, err := r.ReadBatch(nil, 0)
	must(t, err)
	if len(got) != 1 || r.Buffered() != len(in)-14 {
		t.Fatalf("got %q, buffered %d", got, r.Buffered())
	}
	got, err = r.ReadBatch(got[:0], 0)
	must(t, err)
	if len(got) != 1 || string(got[0][1]) != "hello" {
		t.Fatalf("got %q", got)
	}
}

func TestReadBatchAuthOneAtATime(t *testing.T) {
	in := []byte("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n" + strings.Repeat("x", 20000) + "\r\n")
	r := NewReader(bytes.NewReader(in), Limits{})
	r.SetAuthRequired(true)
	got, err := r.ReadBatch(nil, 0)
	must(t, err)
	if len(got) != 1 || string(got[0][0]) != "AUTH" {
		t.Fatalf("got %q", got)
	}
	r.SetAuthRequired(false) // AUTH succeeded
	got, err = r.ReadBatch(got[:0], 0)
	must(t, err)
	if len(got) != 1 || len(got[0][1]) != 20000 {
		t.Fatalf("got %d commands", len(got))
	}
}

// failReader fails the test if read.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("read after an error that should have been detected without reading")
	return 0, io.ErrClosedPipe
}

func TestHugeBulkRejectedBeforeBody(t *testing.T) {
	for _, in := range []string{
		"*1\r\n$536870913\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1073741824\r\n",
	} {
		r := NewReader(io.MultiReader(strings.NewReader(in), failReader{t}), Limits{})
		if _, err := r.ReadCommand(); err != ErrInvalidBulkLength {
			t.Fatalf("%q: %v", in, err)
		}
	}
	// Within proto-max-bulk-len but beyond client-query-buffer-limit.
	r := NewReader(io.MultiReader(strings.NewReader("*2\r\n$10\r\n0123456789\r\n$1000\r\n"), failReader{t}),
		Limits{MaxQueryBuffer: 1000})
	if _, err := r.ReadCommand(); err != ErrQueryBufferLimit {
		t.Fatal(err)
	}
}

// TestHugeBulkClaimCostsLittle checks that declaring a huge bulk and sending
// little of it does not allocate the declared size.
func TestHugeBulkClaimCostsLittle(t *testing.T) {
	in := "*1\r\n$536870912\r\n" + strings.Repeat("x", 100)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReader(strings.NewReader(in), Limits{})
	if _, err := r.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Fatalf("allocated %d bytes for a 100-byte start of a 512 MiB bulk", d)
	}
}

func TestBigBulk(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16) // above bigArgInitial
	big = append(big, "\r\n\r\n"...)                            // CRLFs inside
	in := append(encode("SET", "k", string(big)), encode("GET", "k")...)
	for _, ch := range []struct {
		name string
		rd   io.Reader
	}{
		{"whole", bytes.NewReader(in)},
		{"4k", &chunkReader{data: in, next: func() int { return 4096 }}},
		{"odd", &chunkReader{data: in, next: func() int { return 7919 }}},
	} {
		r := NewReader(ch.rd, Limits{})
		got, err := readAll(r, true)
		if err != io.EOF || len(got) != 2 || got[0][2] != string(big) || got[1][1] != "k" {
			t.Fatalf("%s: %d commands, %v", ch.name, len(got), err)
		}
		if c := cap(r.buf); c > DefaultReadBufferSize*4 {
			t.Fatalf("%s: the big bulk went through the shared buffer (cap %d)", ch.name, c)
		}
	}
}

func TestBufferShrinksAfterBigRequest(t *testing.T) {
	// Many medium bulks: the command must be in the buffer whole, so it grows.
	args := []string{"MSET"}
	for i := range 100 {
		args = append(args, fmt.Sprintf("k%d", i), strings.Repeat("v", 20000))
	}
	in := append(encode(args...), encode("PING")...)
	pr, pw := io.Pipe()
	defer pr.Close() // unblocks the writer if the test fails early
	go func() {
		pw.Write(in)
		pw.Close()
	}()
	r := NewReader(pr, Limits{})
	got, err := r.ReadCommand()
	must(t, err)
	if len(got) != 201 || len(got[200]) != 20000 {
		t.Fatalf("got %d args", len(got))
	}
	if cap(r.buf) < 2_000_000 {
		t.Fatalf("buffer did not grow: %d", cap(r.buf))
	}
	got, err = r.ReadCommand()
	must(t, err)
	if string(got[0]) != "PING" {
		t.Fatalf("%q", got)
	}
	if cap(r.buf) != DefaultReadBufferSize {
		t.Fatalf("buffer kept %d bytes", cap(r.buf))
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatal(err)
	}
}

func TestArgsCapacityIsolated(t *testing.T) {
	r := NewReader(strings.NewReader("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\nX Y\r\n"), Limits{})
	got, err := r.ReadBatch(nil, 0)
	must(t, err)
	args := got[0]
	_ = append(args[0], "zzz"...)
	_ = append(args, []byte("x"))
	if got[0][1][0] != 'b' || string(got[1][0]) != "X" || len(got[1]) != 2 {
		t.Fatalf("append clobbered the buffer: %q", got)
	}
	if cap(args[0]) != 1 || cap(args) != 3 {
		t.Fatalf("caps %d %d", cap(args[0]), cap(args))
	}
}

// errOnceReader returns data, then err once, then the rest.
type errOnceReader struct {
	parts [][]byte
	errAt int
	err   error
	n     int
}

func (e *errOnceReader) Read(p []byte) (int, error) {
	e.n++
	if e.n == e.errAt {
		return 0, e.err
	}
	if len(e.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, e.parts[0])
	e.parts[0] = e.parts[0][n:]
	if len(e.parts[0]) == 0 {
		e.parts = e.parts[1:]
	}
	return n, nil
}

// TestTransientReadError checks that an error such as a deadline is returned
// as is and loses nothing: the next call resumes.
func TestTransientReadError(t *testing.T) {
	errTimeout := errors.New("i/o timeout")
	rd := &errOnceReader{parts: [][]byte{[]byte("*2\r\n$4\r\nECHO\r\n$5\r\nhe"), []byte("llo\r\n")}, errAt: 2, err: errTimeout}
	r := NewReader(rd, Limits{})
	if _, err := r.ReadCommand(); err != errTimeout {
		t.Fatalf("got %v", err)
	}
	got, err := r.ReadCommand()
	must(t, err)
	if string(got[1]) != "hello" {
		t.Fatalf("%q", got)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatal(err)
	}
}

// dataErrReader returns its data together with an error.
type dataErrReader struct {
	data []byte
	err  error
}

func (d *dataErrReader) Read(p []byte) (int, error) {
	if len(d.data) == 0 {
		return 0, d.err
	}
	n := copy(p, d.data)
	d.data = d.data[n:]
	return n, d.err
}

func TestDataWithError(t *testing.T) {
	r := NewReader(&dataErrReader{data: []byte("PING\r\nPING\r\nPI"), err: io.EOF}, Limits{})
	got, err := readAll(r, false)
	if len(got) != 2 || err != io.ErrUnexpectedEOF {
		t.Fatalf("%q %v", got, err)
	}
	r = NewReader(&dataErrReader{data: []byte("PING\r\n"), err: io.EOF}, Limits{})
	got, err = readAll(r, true)
	if len(got) != 1 || err != io.EOF {
		t.Fatalf("%q %v", got, err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgress(t *testing.T) {
	r := NewReader(emptyReader{}, Limits{})
	if _, err := r.ReadCommand(); err != io.ErrNoProgress {
		t.Fatal(err)
	}
}

func TestReset(t *testing.T) {
	r := NewReader(strings.NewReader("*1\r\n$-1\r\n"), Limits{MaxArgs: 5})
	if _, err := r.ReadCommand(); err != ErrInvalidBulkLength {
		t.Fatal(err)
	}
	r.Reset(strings.NewReader("*1\r\n$4\r\nPING\r\n"))
	got, err := r.ReadCommand()
	must(t, err)
	if string(got[0]) != "PING" || r.Limits().MaxArgs != 5 {
		t.Fatalf("%q %+v", got, r.Limits())
	}
}

func TestLimits(t *testing.T) {
	if err := (Limits{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Limits{
		{MaxBulkLen: -1}, {MaxArgs: -1}, {MaxArgs: MaxArgsLimit + 1}, {MaxInlineLen: -1},
		{MaxQueryBuffer: -1}, {ReadBufferSize: -1},
	} {
		if l.Validate() == nil {
			t.Errorf("%+v: valid", l)
		}
	}
	r := NewReader(nil, Limits{MaxArgs: -3, MaxBulkLen: 7})
	if got := r.Limits(); got != (Limits{MaxBulkLen: 7, MaxArgs: DefaultMaxArgs, MaxInlineLen: DefaultMaxInlineLen,
		MaxQueryBuffer: DefaultMaxQueryBuffer, ReadBufferSize: DefaultReadBufferSize}) {
		t.Fatalf("%+v", got)
	}
	r.SetLimits(Limits{})
	if r.Limits() != DefaultLimits() {
		t.Fatalf("%+v", r.Limits())
	}
	if n := testing.AllocsPerRun(100, func() { r.SetLimits(Limits{MaxBulkLen: 1 << 20}) }); n != 0 {
		t.Fatalf("SetLimits allocates %v", n)
	}
}

// TestZeroAllocs checks the hot path: after warm-up, reading small
// pipelined commands allocates nothing.
func TestZeroAllocs(t *testing.T) {
	var pipeline []byte
	for i := range 16 {
		pipeline = append(pipeline, encode("SET", fmt.Sprintf("key:%06d", i), "value")...)
	}
	pipeline = append(pipeline, "GET key:000001\r\n"...)
	rd := &loopReader{data: pipeline}
	r := NewReader(rd, Limits{})
	var dst [][][]byte
	read := func() {
		var err error
		dst, err = r.ReadBatch(dst[:0], 0)
		if err != nil || len(dst) != 17 {
			t.Fatalf("%d %v", len(dst), err)
		}
	}
	read()
	if n := testing.AllocsPerRun(200, read); n != 0 {
		t.Fatalf("ReadBatch: %v allocs per pipeline", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		if _, err := r.ReadCommand(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("ReadCommand: %v allocs", n)
	}
}

// loopReader returns its data over and over, one copy per Read (or what
// fits).
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}
