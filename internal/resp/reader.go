package resp

import (
	"bytes"
	"io"

	"github.com/kiwidb/kiwi/internal/redisnum"
)

const (
	// bigArg is PROTO_MBULK_BIG_ARG: a bulk at least this long that is not
	// yet fully buffered is read straight into a slice of its own instead
	// of growing the shared buffer.
	bigArg = 32 << 10
	// bigArgInitial bounds the first allocation for such a bulk. The slice
	// then doubles as data arrives, so a peer that declares a huge bulk and
	// sends nothing costs nothing (Redis allocates the declared size at once).
	bigArgInitial = 1 << 20
	// maxRetainedArgs bounds the argument slices kept between calls; bigger
	// ones, left by a huge command, are dropped.
	maxRetainedArgs = 4096
	// maxEmptyReads is how many (0, nil) reads in a row make a reader
	// stuck (io.ErrNoProgress), the same bound bufio uses.
	maxEmptyReads = 100
)

// span locates one parsed argument: buf[r.r+start : r.r+end], or, when big
// is not zero, bigs[big-1].
type span struct {
	start, end int
	big        int
}

// parse outcomes.
const (
	needMore   = iota // the buffer holds part of a command
	gotEmpty          // an empty line, *0 or *-1: consumed, not a command
	gotCommand        // a complete command, its arguments in spans
)

// Reader parses client requests (RESP multibulk and inline commands) from an
// io.Reader, typically a net.Conn, into argument vectors, as Redis 7's
// processMultibulkBuffer and processInlineBuffer do. It owns an input
// buffer, reads into it as much as the peer has sent, and parses all the
// pipelined commands it holds without allocating (after warm-up) for
// commands with bulks shorter than 32 KiB.
//
// Lifetime of results: the [][]byte returned by ReadCommand and the
// commands returned by ReadBatch, and the bytes of every argument, belong
// to the Reader. They stay valid and unchanged until the next call of
// ReadCommand, ReadBatch or Reset, and are reused afterwards: a caller that
// keeps an argument longer (a key kept in memory, a value handed to another
// goroutine that outlives the request) must copy it. The caller may modify
// the bytes in place (for example to fold a command name to lower case);
// each argument's capacity is its length, so appending to one never
// overwrites another.
//
// A Reader is not safe for concurrent use; it belongs to its connection's
// goroutine. Its setters may be called between reads.
type Reader struct {
	rd   io.Reader
	lim  Limits
	auth bool // authentication required: Redis's unauthenticated limits apply

	buf  []byte
	r, w int   // buf[r:w] is input not yet consumed; r is where the current command starts
	rerr error // error returned by rd together with data, reported when the data is used up
	err  error // sticky: a protocol error, ErrQueryBufferLimit or end of input

	// The command in progress. Offsets are relative to r, so that moving the
	// buffer does not disturb them.
	off     int      // next byte to parse
	scan    int      // the line being searched has no terminator before this offset (see find)
	nargs   int      // declared argument count; 0 when no multibulk is in progress
	bulkLen int64    // length of the bulk being read; -1 while expecting its header
	extLen  int64    // bytes of the command held outside buf (big bulks)
	spans   []span   // arguments parsed so far
	bigs    [][]byte // big bulks of the command, each with its CRLF
	big     []byte   // big bulk being read: its bytes so far, cap grows to bulkLen+2

	argv   [][]byte // backing array of the returned argument vectors
	bigArg int      // bigArg; a field so that tests can lower it
	nread  int64
}

// NewReader returns a Reader that reads requests from rd within the limits
// lim (zero fields take their defaults). No buffer is allocated until the
// first read.
func NewReader(rd io.Reader, lim Limits) *Reader {
	return &Reader{rd: rd, lim: lim.withDefaults(), bulkLen: -1, bigArg: bigArg}
}

// Reset discards all buffered input, any command in progress and any sticky
// error, and makes the Reader read from rd, keeping its limits, its
// authentication setting and (if small) its buffers. Results of earlier
// calls become invalid.
func (r *Reader) Reset(rd io.Reader) {
	clear(r.argv)
	clear(r.bigs)
	r.rd = rd
	r.r, r.w = 0, 0
	r.rerr, r.err = nil, nil
	r.resetCommand()
	r.nread = 0
	if cap(r.buf) > 4*r.lim.ReadBufferSize {
		r.buf = nil
	}
	if cap(r.argv) > maxRetainedArgs {
		r.argv = nil
	}
}

// SetLimits replaces the limits (zero fields take their defaults). They apply
// from the next header parsed, including in the command in progress. It does
// not allocate, so it may be called before every read.
func (r *Reader) SetLimits(lim Limits) { r.lim = lim.withDefaults() }

// Limits returns the limits in force, defaults filled in.
func (r *Reader) Limits() Limits { return r.lim }

// SetAuthRequired turns on or off the limits Redis 7 applies to a client that
// has not authenticated yet: a multibulk count above 10 is refused with
// ErrUnauthenticatedMultibulkLength and a bulk longer than 16384 bytes with
// ErrUnauthenticatedBulkLength. While it is on, ReadBatch returns one command
// at a time, so that a successful AUTH lifts the limits before the next
// pipelined command is parsed, as in Redis. Off by default.
func (r *Reader) SetAuthRequired(required bool) { r.auth = required }

// Buffered returns how many bytes of input have been read from the
// underlying reader but not yet returned as commands, including a partly
// received command. After ReadBatch it is 0 unless more input arrived than
// the commands returned: part of a command, commands beyond maxCmds, or a bad
// request whose error the next call will return.
func (r *Reader) Buffered() int { return r.w - r.r + len(r.big) }

// InputBytes returns the total number of bytes read from the underlying
// reader since NewReader or Reset.
func (r *Reader) InputBytes() int64 { return r.nread }

// ReadCommand returns the next command, reading from the underlying reader
// until one is complete. Empty inline lines and multibulks of zero or
// negative count are skipped, as Redis does, so args has at least one
// element. See the Reader doc for how long args stays valid.
//
// Errors: io.EOF when the input ends between commands; io.ErrUnexpectedEOF
// when it ends inside one; a *ProtocolError (Redis's reply text in Msg) or
// ErrQueryBufferLimit when the input breaks the protocol or the limits, which
// is then returned by every later call; any other error from the underlying
// reader, returned as is (the Reader keeps its state, so a call after a
// timeout resumes where the previous one stopped).
func (r *Reader) ReadCommand() (args [][]byte, err error) {
	r.begin()
	if err := r.readOne(); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// ReadBatch appends to dst the next command, reading from the underlying
// reader until one is complete, then every further command already complete
// in the buffer, without reading again: maxCmds commands at most (no limit if
// maxCmds <= 0). It returns the extended dst with either at least one
// command and a nil error, or no command and the error, which is as for
// ReadCommand. An error met after the first command, such as a protocol
// error in a later pipelined command, is returned by the next call, once the
// caller has answered the commands before it, as Redis does. While
// authentication is required (SetAuthRequired) it returns one command at a
// time.
//
// All the commands stay valid until the next call (see the Reader doc).
// dst itself is the caller's; reusing it, as in ReadBatch(dst[:0], n), makes
// the call allocation-free after warm-up.
func (r *Reader) ReadBatch(dst [][][]byte, maxCmds int) ([][][]byte, error) {
	r.begin()
	if err := r.readOne(); err != nil {
		return dst, err
	}
	first := len(dst)
	dst = append(dst, r.finish())
	for (maxCmds <= 0 || len(dst)-first < maxCmds) && !r.auth {
		st, err := r.parse()
		if err != nil {
			r.err = err // reported by the next call
			break
		}
		if st == needMore {
			break
		}
		if st == gotCommand {
			dst = append(dst, r.finish())
		} else {
			r.consume()
		}
	}
	return dst, nil
}

// begin starts a read call: the results of the previous call become invalid,
// so buffers may be moved, reused or shrunk.
func (r *Reader) begin() {
	clear(r.argv) // do not pin the big bulks of earlier commands
	r.argv = r.argv[:0]
	if cap(r.argv) > maxRetainedArgs {
		r.argv = nil
	}
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
	// Give back the memory of a big request before blocking in Read, so an
	// idle connection holds only the default buffer.
	if size := r.lim.ReadBufferSize; cap(r.buf) > 4*size && r.w-r.r <= size {
		nb := make([]byte, size)
		r.w = copy(nb, r.buf[r.r:r.w])
		r.r = 0
		r.buf = nb
	}
	if r.nargs == 0 && cap(r.spans) > maxRetainedArgs {
		r.spans = nil
	}
}

// readOne parses the next command into spans, reading as needed.
func (r *Reader) readOne() error {
	for {
		st, err := r.parse()
		if err != nil {
			r.err = err
			return err
		}
		switch st {
		case gotCommand:
			return nil
		case gotEmpty:
			r.consume()
			continue
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// finish turns the spans of the parsed command into an argument vector in
// argv, consumes the command and returns the vector.
func (r *Reader) finish() [][]byte {
	start := len(r.argv)
	for _, s := range r.spans {
		var arg []byte
		if s.big != 0 {
			b := r.bigs[s.big-1]
			n := len(b) - 2
			arg = b[:n:n]
		} else {
			arg = r.buf[r.r+s.start : r.r+s.end : r.r+s.end]
		}
		r.argv = append(r.argv, arg)
	}
	r.consume()
	end := len(r.argv)
	return r.argv[start:end:end]
}

// consume drops the parsed command (or empty request) from the buffer.
func (r *Reader) consume() {
	r.r += r.off
	r.resetCommand()
}

func (r *Reader) resetCommand() {
	r.off = 0
	r.scan = 0
	r.nargs = 0
	r.bulkLen = -1
	r.extLen = 0
	r.spans = r.spans[:0]
	clear(r.bigs)
	r.bigs = r.bigs[:0]
	r.big = nil
}

// parse parses as much of the current command as the buffer holds.
func (r *Reader) parse() (int, error) {
	if r.err != nil {
		return needMore, r.err
	}
	if r.nargs == 0 {
		b := r.buf[r.r:r.w]
		if len(b) == 0 {
			return needMore, nil
		}
		if b[0] != '*' {
			return r.parseInline(b)
		}
		i, err := r.line(b, 0, ErrTooBigMultibulkCount)
		if i < 0 || err != nil {
			return needMore, err
		}
		n, ok := redisnum.ParseInt(b[1:i])
		if !ok || n > int64(r.lim.MaxArgs) {
			return needMore, ErrInvalidMultibulkLength
		}
		if n > unauthMaxArgs && r.auth {
			return needMore, ErrUnauthenticatedMultibulkLength
		}
		r.off = i + 2
		if n <= 0 {
			return gotEmpty, nil
		}
		r.nargs = int(n)
	}
	for len(r.spans) < r.nargs {
		if r.bulkLen < 0 {
			b := r.buf[r.r+r.off : r.w]
			i, err := r.line(b, r.off, ErrTooBigBulkCount)
			if i < 0 || err != nil {
				return needMore, err
			}
			if b[0] != '$' {
				return needMore, expectedDollar(b[0])
			}
			n, ok := redisnum.ParseInt(b[1:i])
			if !ok || n < 0 || n > r.lim.MaxBulkLen {
				return needMore, ErrInvalidBulkLength
			}
			if n > unauthMaxBulkLen && r.auth {
				return needMore, ErrUnauthenticatedBulkLength
			}
			r.off += i + 2
			// The command so far, and this bulk with its CRLF, must fit the
			// query buffer limit; checked before the bulk is read.
			if used := int64(r.off) + r.extLen; n+2 > r.lim.MaxQueryBuffer-used {
				return needMore, ErrQueryBufferLimit
			}
			r.bulkLen = n
		}
		if r.big != nil {
			if int64(len(r.big)) < r.bulkLen+2 {
				return needMore, nil
			}
			r.bigs = append(r.bigs, r.big)
			r.spans = append(r.spans, span{big: len(r.bigs)})
			r.extLen += r.bulkLen + 2
			r.big = nil
			r.bulkLen = -1
			continue
		}
		n := int(r.bulkLen)
		if r.w-r.r-r.off < n+2 {
			return needMore, nil
		}
		// As Redis, the two bytes after the bulk are skipped unchecked.
		r.spans = append(r.spans, span{start: r.off, end: r.off + n})
		r.off += n + 2
		r.bulkLen = -1
	}
	return gotCommand, nil
}

// find returns the index in b of the first c among b's first MaxInlineLen+1
// bytes, or -1. b starts at offset start of the command; the bytes searched
// in vain are remembered, so a line received in many small reads is scanned
// once, not once per read.
func (r *Reader) find(b []byte, start int, c byte) int {
	win := b[:min(len(b), r.lim.MaxInlineLen+1)]
	from := max(r.scan-start, 0)
	if from < len(win) {
		if i := bytes.IndexByte(win[from:], c); i >= 0 {
			return from + i
		}
	}
	r.scan = start + len(win)
	return -1
}

// line finds the CR that ends the header line at the start of b, which is at
// offset start of the command, as Redis does: it returns the CR's index once
// the byte after it (the LF, not checked) is buffered too, -1 while more
// input is needed, and tooBig when no CR is among the first MaxInlineLen+1
// bytes.
func (r *Reader) line(b []byte, start int, tooBig error) (int, error) {
	i := r.find(b, start, '\r')
	switch {
	case i < 0 && len(b) > r.lim.MaxInlineLen:
		return -1, tooBig
	case i < 0 || i+1 >= len(b):
		return -1, nil
	}
	return i, nil
}

// parseInline parses an inline request at the start of b.
func (r *Reader) parseInline(b []byte) (int, error) {
	i := r.find(b, 0, '\n')
	if i < 0 {
		if len(b) > r.lim.MaxInlineLen {
			return needMore, ErrTooBigInline
		}
		return needMore, nil
	}
	if int64(i+1) > r.lim.MaxQueryBuffer {
		return needMore, ErrQueryBufferLimit
	}
	end := i
	if end > 0 && b[end-1] == '\r' {
		end--
	}
	spans, err := splitInline(b[:end], 0, r.spans[:0])
	r.spans = spans
	if err != nil {
		return needMore, err
	}
	r.off = i + 1
	if len(r.spans) == 0 {
		return gotEmpty, nil
	}
	return gotCommand, nil
}

// fill reads more input: into the buffer, or straight into the slice of a
// big bulk.
func (r *Reader) fill() error {
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return r.readFailed(err)
	}
	var dst []byte
	if r.big != nil || (r.nargs > 0 && r.bulkLen >= int64(r.bigArg) && int64(r.w-r.r-r.off) < r.bulkLen+2) {
		dst = r.roomBig()
	} else {
		dst = r.room()
	}
	for range maxEmptyReads {
		n, err := r.rd.Read(dst)
		if n < 0 || n > len(dst) {
			return io.ErrShortBuffer // a broken io.Reader
		}
		r.nread += int64(n)
		if r.big != nil {
			r.big = r.big[:len(r.big)+n]
		} else {
			r.w += n
		}
		if n > 0 {
			r.rerr = err
			return nil
		}
		if err != nil {
			return r.readFailed(err)
		}
	}
	return io.ErrNoProgress
}

// readFailed maps an error from the underlying reader: the end of input is
// io.EOF between commands and io.ErrUnexpectedEOF inside one, and sticky.
func (r *Reader) readFailed(err error) error {
	if err == io.EOF {
		if r.w > r.r || r.nargs > 0 {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
	}
	return err
}

// room returns the free space at the end of the buffer, after making some:
// by moving the unconsumed input to the front, or by growing the buffer.
func (r *Reader) room() []byte {
	if r.buf == nil {
		r.buf = make([]byte, r.lim.ReadBufferSize)
	}
	if r.r > 0 && len(r.buf)-r.w < len(r.buf)/2 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	want := r.w - r.r + 1
	if r.nargs > 0 && r.bulkLen >= 0 {
		// The bulk being read must fit whole.
		want = max(want, r.off+int(r.bulkLen)+2)
	}
	if len(r.buf)-r.r < want || len(r.buf)-r.w < len(r.buf)/4 {
		nb := make([]byte, max(2*len(r.buf), want))
		r.w = copy(nb, r.buf[r.r:r.w])
		r.r = 0
		r.buf = nb
	}
	return r.buf[r.w:]
}

// roomBig moves a big bulk being read into a slice of its own, and returns
// the free space in that slice, grown if needed.
func (r *Reader) roomBig() []byte {
	want := int(r.bulkLen) + 2
	if r.big == nil {
		have := r.buf[r.r+r.off : r.w]
		r.big = make([]byte, len(have), min(want, max(bigArgInitial, 2*len(have))))
		copy(r.big, have)
		r.w = r.r + r.off // the bulk no longer occupies the buffer
	}
	if len(r.big) == cap(r.big) {
		nb := make([]byte, len(r.big), min(want, 2*cap(r.big)))
		copy(nb, r.big)
		r.big = nb
	}
	return r.big[len(r.big):cap(r.big)]
}
