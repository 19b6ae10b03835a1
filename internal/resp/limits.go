package resp

import (
	"fmt"
	"math"
)

// Default limits, the same as Redis 7.0's defaults.
const (
	// DefaultMaxBulkLen is proto-max-bulk-len: the longest bulk string a
	// request may carry.
	DefaultMaxBulkLen int64 = 512 << 20
	// DefaultMaxArgs is the largest multibulk count accepted. Redis accepts
	// up to INT_MAX (MaxArgsLimit); Kiwi defaults to a smaller bound.
	DefaultMaxArgs = 1 << 20
	// DefaultMaxInlineLen is PROTO_INLINE_MAX_SIZE: the longest inline
	// request line, and the longest *<count> or $<len> header line.
	DefaultMaxInlineLen = 64 << 10
	// DefaultMaxQueryBuffer is client-query-buffer-limit.
	DefaultMaxQueryBuffer int64 = 1 << 30
	// DefaultReadBufferSize is the size of a Reader's input buffer, and the
	// size it shrinks back to after a big request. It is Redis's
	// PROTO_IOBUF_LEN.
	DefaultReadBufferSize = 16 << 10

	// MaxArgsLimit is the hard ceiling on Limits.MaxArgs: Redis 7 rejects a
	// multibulk count above INT_MAX whatever the configuration.
	MaxArgsLimit = math.MaxInt32

	// Limits Redis 7 applies while a client has not authenticated
	// (authRequired in networking.c); see Reader.SetAuthRequired.
	unauthMaxArgs    = 10
	unauthMaxBulkLen = 16384
)

// Limits bounds what a Reader accepts from its peer, so that no request can
// make the server buffer more than the operator allows. A zero field takes
// its default (DefaultLimits); Validate reports fields that are out of range,
// and a Reader replaces out-of-range fields by their defaults.
type Limits struct {
	// MaxBulkLen is the longest bulk string argument (proto-max-bulk-len).
	// A longer declared length is refused with ErrInvalidBulkLength before
	// any of the bulk is read.
	MaxBulkLen int64
	// MaxArgs is the largest multibulk count (number of arguments of one
	// command); a larger count is refused with ErrInvalidMultibulkLength. At
	// most MaxArgsLimit.
	MaxArgs int
	// MaxInlineLen is the longest inline request line and the longest
	// multibulk header line (PROTO_INLINE_MAX_SIZE in Redis, not
	// configurable there).
	MaxInlineLen int
	// MaxQueryBuffer is client-query-buffer-limit: the most bytes one
	// request may occupy. A request that declares more is refused with
	// ErrQueryBufferLimit as soon as the declaration is read.
	MaxQueryBuffer int64
	// ReadBufferSize is the initial size of the input buffer, and the size
	// it is brought back to after a big request. It is not a limit: the
	// buffer grows as needed up to the limits above.
	ReadBufferSize int
}

// DefaultLimits returns the default limits (Redis 7's).
func DefaultLimits() Limits {
	return Limits{
		MaxBulkLen:     DefaultMaxBulkLen,
		MaxArgs:        DefaultMaxArgs,
		MaxInlineLen:   DefaultMaxInlineLen,
		MaxQueryBuffer: DefaultMaxQueryBuffer,
		ReadBufferSize: DefaultReadBufferSize,
	}
}

// Validate reports the first field that is out of range. Zero fields are
// valid (they mean the default).
func (l Limits) Validate() error {
	switch {
	case l.MaxBulkLen < 0:
		return fmt.Errorf("resp: MaxBulkLen %d: must not be negative", l.MaxBulkLen)
	case l.MaxArgs < 0 || l.MaxArgs > MaxArgsLimit:
		return fmt.Errorf("resp: MaxArgs %d: must be between 0 and %d", l.MaxArgs, MaxArgsLimit)
	case l.MaxInlineLen < 0:
		return fmt.Errorf("resp: MaxInlineLen %d: must not be negative", l.MaxInlineLen)
	case l.MaxQueryBuffer < 0:
		return fmt.Errorf("resp: MaxQueryBuffer %d: must not be negative", l.MaxQueryBuffer)
	case l.ReadBufferSize < 0:
		return fmt.Errorf("resp: ReadBufferSize %d: must not be negative", l.ReadBufferSize)
	}
	return nil
}

// withDefaults returns l with zero and out-of-range fields replaced by their
// defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxBulkLen > math.MaxInt-2 {
		// Keeps len+2 (the bulk and its CRLF) an int.
		l.MaxBulkLen = math.MaxInt - 2
	}
	if l.MaxArgs <= 0 || l.MaxArgs > MaxArgsLimit {
		l.MaxArgs = DefaultMaxArgs
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	if l.MaxQueryBuffer <= 0 {
		l.MaxQueryBuffer = DefaultMaxQueryBuffer
	}
	if l.ReadBufferSize <= 0 {
		l.ReadBufferSize = DefaultReadBufferSize
	}
	return l
}
