package keyspace

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Type is the Redis type of a key's value.
type Type uint8

// Value types, as stored in the first byte of a meta record. The codes are
// part of the on-disk format and must never change.
const (
	// TypeNone is the type of a missing key (never stored).
	TypeNone Type = 0
	// TypeString is a Redis string.
	TypeString Type = 1
	// TypeHash is a Redis hash.
	TypeHash Type = 2
	// TypeList is a Redis list.
	TypeList Type = 3
	// TypeSet is a Redis set.
	TypeSet Type = 4
	// TypeZSet is a Redis sorted set.
	TypeZSet Type = 5
	// TypeStream is a Redis stream.
	TypeStream Type = 6

	maxType = TypeStream
)

// String returns the name TYPE replies with ("string", "hash", ..., "none").
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	case TypeNone:
		return "none"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// String encodings (the byte after the meta header of a string).
const (
	strInline  byte = 0 // value follows in the meta record
	strChunked byte = 1 // 8-byte BE length follows; bytes in data records
)

// Chunking of large strings. Both numbers are part of the on-disk format.
const (
	// InlineMax is the largest string stored inline in its meta record.
	// Longer strings are chunked.
	InlineMax = 4096
	// ChunkSize is the number of string bytes per data record of a
	// chunked string. Chunk i holds bytes [i*ChunkSize, (i+1)*ChunkSize).
	ChunkSize = 4096
	// MaxStringLen is the longest string the format can hold (chunk
	// indexes are 32-bit): 16 TiB, far beyond proto-max-bulk-len.
	MaxStringLen = (1 << 32) * ChunkSize
)

// metaHeaderLen is type(1) + version(8) + expireAt(8).
const metaHeaderLen = 1 + 8 + 8

// ErrCorrupt is wrapped by errors about records that cannot be decoded.
var ErrCorrupt = errors.New("keyspace: corrupt record")

// Meta is a decoded meta record: everything the keyspace knows about a key
// without touching its data records.
type Meta struct {
	// Type is the value type.
	Type Type
	// Version names the key's data records (dataPrefix). Zero means the
	// value has no data records (an inline string).
	Version uint64
	// ExpireAt is the expiry time in Unix milliseconds; 0 means none.
	ExpireAt int64

	// Len is the length of a string value in bytes, or the number of
	// elements of a collection (hash fields, list elements, set or sorted
	// set members; never 0: an empty collection is removed).
	Len int64
	// Inline is the value of an inline string (nil when chunked). It may
	// alias the buffer the record was decoded from.
	Inline []byte
	// ListHead is the sequence number of a list's first element (see
	// list.go).
	ListHead uint64
	// Stream holds the stream-wide state of a stream (Len is its number
	// of entries, which may be 0: an empty stream is a value).
	Stream StreamMeta
}

// Chunked reports whether m is a string stored in data records.
func (m *Meta) Chunked() bool { return m.Type == TypeString && m.Version != 0 }

// encodeMeta appends the encoding of m to dst.
//
//	type(1) version(8, BE) expireAt(8, BE, int64)
//	string inline:  0x00 value...
//	string chunked: 0x01 length(8, BE)
//	hash, set, zset: count(8, BE)
//	list:            count(8, BE) head(8, BE)
//	stream:          count(8, BE) StreamMeta (see encodeStreamMeta)
func encodeMeta(dst []byte, m *Meta) []byte {
	dst = append(dst, byte(m.Type))
	dst = binary.BigEndian.AppendUint64(dst, m.Version)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireAt))
	switch m.Type {
	case TypeString:
	case TypeList:
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.Len))
		return binary.BigEndian.AppendUint64(dst, m.ListHead)
	case TypeStream:
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.Len))
		return encodeStreamMeta(dst, &m.Stream)
	default:
		return binary.BigEndian.AppendUint64(dst, uint64(m.Len))
	}
	if m.Version == 0 {
		dst = append(dst, strInline)
		return append(dst, m.Inline...)
	}
	dst = append(dst, strChunked)
	return binary.BigEndian.AppendUint64(dst, uint64(m.Len))
}

// decodeMeta decodes a meta record value. It validates every field and
// returns an error wrapping ErrCorrupt (never panics) on bad input. The
// returned Meta may alias b.
func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) < metaHeaderLen {
		return m, fmt.Errorf("%w: meta record of %d bytes", ErrCorrupt, len(b))
	}
	m.Type = Type(b[0])
	if m.Type == TypeNone || m.Type > maxType {
		return m, fmt.Errorf("%w: meta record of unknown type %d", ErrCorrupt, b[0])
	}
	m.Version = binary.BigEndian.Uint64(b[1:9])
	m.ExpireAt = int64(binary.BigEndian.Uint64(b[9:17]))
	if m.ExpireAt < 0 {
		return m, fmt.Errorf("%w: meta record with negative expiry %d", ErrCorrupt, m.ExpireAt)
	}
	rest := b[metaHeaderLen:]
	switch m.Type {
	case TypeString:
	case TypeStream:
		return m, decodeStream(&m, rest)
	default:
		return m, decodeCollection(&m, rest)
	}
	if len(rest) == 0 {
		return m, fmt.Errorf("%w: string meta record without encoding", ErrCorrupt)
	}
	switch rest[0] {
	case strInline:
		if m.Version != 0 {
			return m, fmt.Errorf("%w: inline string with version %d", ErrCorrupt, m.Version)
		}
		m.Inline = rest[1:]
		m.Len = int64(len(m.Inline))
	case strChunked:
		if m.Version == 0 {
			return m, fmt.Errorf("%w: chunked string without version", ErrCorrupt)
		}
		if len(rest) != 1+8 {
			return m, fmt.Errorf("%w: chunked string meta of %d bytes", ErrCorrupt, len(b))
		}
		m.Len = int64(binary.BigEndian.Uint64(rest[1:]))
		if m.Len < 0 || m.Len > MaxStringLen {
			return m, fmt.Errorf("%w: chunked string of length %d", ErrCorrupt, m.Len)
		}
	default:
		return m, fmt.Errorf("%w: string encoding %d", ErrCorrupt, rest[0])
	}
	return m, nil
}

// chunkKey returns the data record key of chunk idx of a chunked string.
// The result never aliases prefix.
func chunkKey(prefix []byte, idx int64) []byte {
	k := make([]byte, len(prefix), len(prefix)+4)
	copy(k, prefix)
	return binary.BigEndian.AppendUint32(k, uint32(idx))
}

// maxCollectionLen bounds the element count of a collection record: far
// beyond anything storable, it only keeps arithmetic on counts (and list
// sequence numbers) away from overflow.
const maxCollectionLen = 1 << 48

// decodeCollection decodes the type-specific part of a hash, list, set or
// sorted set meta record into m.
func decodeCollection(m *Meta, rest []byte) error {
	want := 8
	if m.Type == TypeList {
		want = 16
	}
	if len(rest) != want {
		return fmt.Errorf("%w: %s meta record with %d type-specific bytes", ErrCorrupt, m.Type, len(rest))
	}
	if m.Version == 0 {
		return fmt.Errorf("%w: %s meta record without version", ErrCorrupt, m.Type)
	}
	m.Len = int64(binary.BigEndian.Uint64(rest))
	if m.Len <= 0 || m.Len > maxCollectionLen {
		return fmt.Errorf("%w: %s of %d elements", ErrCorrupt, m.Type, m.Len)
	}
	if m.Type == TypeList {
		m.ListHead = binary.BigEndian.Uint64(rest[8:])
	}
	return nil
}
