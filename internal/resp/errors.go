package resp

import "errors"

// ProtocolError is a request that does not follow the protocol. Redis answers
// it with the error reply "-ERR Protocol error: <Msg>" and closes the
// connection after the reply; a Kiwi server does the same. Msg is the exact
// Redis 7 text. It may contain any byte (the one in "expected '$', got '%c'"
// is the byte the peer sent); Writer.WriteError replaces CR and LF by
// spaces, as Redis does.
//
// The fixed messages are the Err* values below, so they can be compared
// with errors.Is; "expected '$', got '%c'" is a new *ProtocolError each time.
// A Reader that returned a ProtocolError returns it again from every later
// call: the stream cannot be resynchronised.
type ProtocolError struct {
	Msg string
}

// Error returns "Protocol error: " + Msg, the text after "ERR " in Redis's
// reply.
func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Protocol errors with fixed texts, as Redis 7 words them.
var (
	// ErrInvalidMultibulkLength: the count after '*' is not a number in
	// Redis's strict format (string2ll: optional '-', no '+', no leading
	// zeros, at most 20 characters) or exceeds Limits.MaxArgs.
	ErrInvalidMultibulkLength = &ProtocolError{Msg: "invalid multibulk length"}
	// ErrInvalidBulkLength: the length after '$' is not a number in
	// string2ll's format, is negative, or exceeds Limits.MaxBulkLen.
	ErrInvalidBulkLength = &ProtocolError{Msg: "invalid bulk length"}
	// ErrTooBigInline: an inline request line longer than
	// Limits.MaxInlineLen.
	ErrTooBigInline = &ProtocolError{Msg: "too big inline request"}
	// ErrTooBigMultibulkCount: no CR in the first Limits.MaxInlineLen+1
	// bytes of a "*<count>" line.
	ErrTooBigMultibulkCount = &ProtocolError{Msg: "too big mbulk count string"}
	// ErrTooBigBulkCount: no CR in the first Limits.MaxInlineLen+1 bytes of
	// a "$<len>" line.
	ErrTooBigBulkCount = &ProtocolError{Msg: "too big bulk count string"}
	// ErrUnbalancedQuotes: an inline request with an unterminated quoted
	// argument, or a closing quote not followed by a space or the end of the
	// line.
	ErrUnbalancedQuotes = &ProtocolError{Msg: "unbalanced quotes in request"}
	// ErrUnauthenticatedMultibulkLength: a multibulk count above 10 while
	// authentication is required (Reader.SetAuthRequired).
	ErrUnauthenticatedMultibulkLength = &ProtocolError{Msg: "unauthenticated multibulk length"}
	// ErrUnauthenticatedBulkLength: a bulk longer than 16384 bytes while
	// authentication is required (Reader.SetAuthRequired).
	ErrUnauthenticatedBulkLength = &ProtocolError{Msg: "unauthenticated bulk length"}
)

// ErrQueryBufferLimit is returned when one request would occupy more than
// Limits.MaxQueryBuffer bytes (client-query-buffer-limit). It is not a
// ProtocolError: Redis closes such a client without a reply, logging
// "Closing client that reached max query buffer length", and a Kiwi server
// should do the same. Like a ProtocolError it is returned again by every
// later call.
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit exceeded")

// expectedDollar returns the error for a bulk header that does not start
// with '$'. The byte is kept raw, as Redis's %c does.
func expectedDollar(c byte) *ProtocolError {
	return &ProtocolError{Msg: "expected '$', got '" + string([]byte{c}) + "'"}
}
