package resp

import (
	"math"
	"strconv"
)

// Writer appends RESP replies to an in-memory buffer, in RESP2 or RESP3 as
// the connection negotiated (HELLO). Types RESP2 lacks are written as their
// RESP2 equivalents exactly as Redis 7 does (map → flat array, double → bulk
// string, null → $-1 / *-1, boolean → integer).
//
// A Writer is not safe for concurrent use. The zero value writes RESP2.
type Writer struct {
	buf   []byte
	proto int
}

// NewWriter returns a Writer for protocol version proto (2 or 3).
func NewWriter(proto int) *Writer { return &Writer{proto: proto} }

// SetProto switches the protocol version used by later writes.
func (w *Writer) SetProto(proto int) { w.proto = proto }

// Proto returns the protocol version (2 or 3).
func (w *Writer) Proto() int {
	if w.proto == 3 {
		return 3
	}
	return 2
}

// Bytes returns the buffered replies. The slice is valid until the next write
// or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of buffered bytes.
func (w *Writer) Len() int { return len(w.buf) }

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Truncate drops everything written after the first n bytes.
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

// WriteRaw appends pre-encoded RESP.
func (w *Writer) WriteRaw(b []byte) { w.buf = append(w.buf, b...) }

// WriteSimple writes a simple string: +s.
func (w *Writer) WriteSimple(s string) {
	w.buf = append(append(append(w.buf, '+'), s...), '\r', '\n')
}

// WriteOK writes +OK.
func (w *Writer) WriteOK() { w.buf = append(w.buf, "+OK\r\n"...) }

// WriteError writes an error reply. msg starts with the error code, as in
// "ERR syntax error" or "WRONGTYPE Operation against ...". Line breaks in msg
// are replaced by spaces so the reply stays one line.
func (w *Writer) WriteError(msg string) {
	w.buf = append(w.buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

// WriteInt writes an integer: :n.
func (w *Writer) WriteInt(n int64) {
	w.buf = strconv.AppendInt(append(w.buf, ':'), n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// WriteBulk writes a bulk string. A nil slice is written as an empty bulk
// string, not as null: use WriteNull for null.
func (w *Writer) WriteBulk(b []byte) {
	w.buf = strconv.AppendInt(append(w.buf, '$'), int64(len(b)), 10)
	w.buf = append(append(append(w.buf, '\r', '\n'), b...), '\r', '\n')
}

// WriteBulkString writes s as a bulk string.
func (w *Writer) WriteBulkString(s string) {
	w.buf = strconv.AppendInt(append(w.buf, '$'), int64(len(s)), 10)
	w.buf = append(append(append(w.buf, '\r', '\n'), s...), '\r', '\n')
}

// WriteBulkInt writes n formatted in decimal as a bulk string.
func (w *Writer) WriteBulkInt(n int64) {
	var tmp [20]byte
	w.WriteBulk(strconv.AppendInt(tmp[:0], n, 10))
}

// WriteNull writes a null bulk string ($-1 in RESP2, _ in RESP3).
func (w *Writer) WriteNull() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// WriteNullArray writes a null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) WriteNullArray() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

func (w *Writer) writeLen(prefix byte, n int) {
	w.buf = strconv.AppendInt(append(w.buf, prefix), int64(n), 10)
	w.buf = append(w.buf, '\r', '\n')
}

// WriteArrayLen writes an array header for n elements.
func (w *Writer) WriteArrayLen(n int) { w.writeLen('*', n) }

// WriteMapLen writes a map header for n key/value pairs (RESP3 %n; RESP2 an
// array of 2n elements).
func (w *Writer) WriteMapLen(n int) {
	if w.proto == 3 {
		w.writeLen('%', n)
		return
	}
	w.writeLen('*', 2*n)
}

// WriteSetLen writes a set header (RESP3 ~n; RESP2 *n).
func (w *Writer) WriteSetLen(n int) {
	if w.proto == 3 {
		w.writeLen('~', n)
		return
	}
	w.writeLen('*', n)
}

// WritePushLen writes a push header (RESP3 >n; RESP2 *n).
func (w *Writer) WritePushLen(n int) {
	if w.proto == 3 {
		w.writeLen('>', n)
		return
	}
	w.writeLen('*', n)
}

// WriteDouble writes a double (RESP3 ,f; RESP2 bulk string), formatted as
// Redis formats doubles in replies.
func (w *Writer) WriteDouble(f float64) {
	var tmp [32]byte
	s := AppendFloat(tmp[:0], f)
	if w.proto == 3 {
		w.buf = append(append(append(w.buf, ','), s...), '\r', '\n')
		return
	}
	w.WriteBulk(s)
}

// WriteBool writes a boolean (RESP3 #t/#f; RESP2 :1/:0).
func (w *Writer) WriteBool(b bool) {
	switch {
	case w.proto == 3 && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.proto == 3:
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// WriteVerbatim writes a verbatim string with a 3-letter format such as
// "txt" (RESP3 =; RESP2 plain bulk string).
func (w *Writer) WriteVerbatim(format, s string) {
	if w.proto != 3 {
		w.WriteBulkString(s)
		return
	}
	w.writeLen('=', len(format)+1+len(s))
	w.buf = append(append(append(append(w.buf, format...), ':'), s...), '\r', '\n')
}

// AppendFloat formats f the way Redis replies with doubles (%.17g, and
// "inf"/"-inf"/"nan").
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
