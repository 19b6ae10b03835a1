package keyspace

import "encoding/binary"

// On-disk layout. Every engine key starts with a one-byte record kind, so
// each kind is a contiguous key range:
//
//	'M' slot(1) userkey                  → meta record (meta.go)
//	'D' version(8, BE) sub               → data record of one key version
//	'E' expireAtMs(8, BE) slot(1) userkey → expiry index (empty value)
//	'G' version(8, BE)                   → garbage marker; value slot(1) userkey,
//	                                       informational only (never read)
//	'S' name                             → system record
//
// slot is the physical slot of a logical database (SELECT's number): the
// same number until a SWAPDB swaps two, which changes only the mapping
// record 'S' "dbmap" (dbmap.go). The per-database counters are per slot
// too.
//
// Versions are allocated from a persisted high-water mark and never
// reused, so a version alone names one value: data records carry neither
// the database nor the user key. All records of one version are the range
// dataPrefix(version), which the garbage sweep deletes once the version is
// dead, and RENAME moves the meta record only, keeping the version.
//
// The system record 'S' "format" holds the format version as 8 bytes BE;
// Open refuses a keyspace written in a format other than formatBase and
// formatVersion.
const (
	kindMeta    byte = 'M'
	kindData    byte = 'D'
	kindExpire  byte = 'E'
	kindGarbage byte = 'G'
	kindSystem  byte = 'S'
)

// recordKinds lists every record kind the keyspace writes.
var recordKinds = [...]byte{kindMeta, kindData, kindExpire, kindGarbage, kindSystem}

// formatVersion is the newest on-disk format this code reads and writes.
// Bump it on any incompatible change to the layout or the record
// encodings. Format 2 added the database mapping record (SWAPDB): a
// format 1 store is a format 2 store with the identity mapping, so new
// stores are still written in format 1 (formatBase), readable by builds
// that predate the mapping, and the first SWAPDB moves a store to format
// 2, which those builds refuse rather than read the wrong databases.
const formatVersion = 2

// formatBase is the oldest format this code reads, and the one it writes
// for a new store.
const formatBase = 1

// System record names.
const (
	sysFormat      = "format"
	sysVersion     = "version"
	counterKeys    = "keys"
	counterExpires = "expires"
)

// versionRecord is sysKey(sysVersion) as a constant.
const versionRecord = string(kindSystem) + sysVersion

func sysKey(name string) []byte {
	return append([]byte{kindSystem}, name...)
}

func counterKey(name string, db int) []byte {
	return append(sysKey(name), ':', byte(db))
}

// metaKey appends the meta record key of userkey in db to dst.
func metaKey(dst []byte, db int, userkey []byte) []byte {
	return append(append(dst, kindMeta, byte(db)), userkey...)
}

// metaPrefix returns the prefix shared by all meta records of db.
func metaPrefix(db int) []byte { return []byte{kindMeta, byte(db)} }

// dataPrefixLen is the length of dataPrefix: kind(1) + version(8).
const dataPrefixLen = 1 + 8

// chunkKeyLen is the length of a chunk key: dataPrefix + index(4).
const chunkKeyLen = dataPrefixLen + 4

// dataPrefix returns the prefix of all data records of one key version.
func dataPrefix(version uint64) []byte {
	return appendDataPrefix(make([]byte, 0, chunkKeyLen), version)
}

// appendDataPrefix appends dataPrefix(version) to dst.
func appendDataPrefix(dst []byte, version uint64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, kindData), version)
}

// expireKey appends the expiry index key of userkey in db to dst.
func expireKey(dst []byte, db int, userkey []byte, at int64) []byte {
	dst = append(dst, kindExpire)
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	dst = append(dst, byte(db))
	return append(dst, userkey...)
}

// garbageKeyLen is the length of a garbage marker key.
const garbageKeyLen = 1 + 8

// garbageKey appends the marker key that asks the sweep to delete the data
// records of one dead version to dst.
func garbageKey(dst []byte, version uint64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, kindGarbage), version)
}

// garbageValue appends the informational value of a garbage marker (the
// db and user key the version last belonged to) to dst. Nothing reads it
// but people debugging a store.
func garbageValue(dst []byte, db int, userkey []byte) []byte {
	return append(append(dst, byte(db)), userkey...)
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
