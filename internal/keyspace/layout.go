package keyspace

import "encoding/binary"

// On-disk layout. Every engine key starts with a one-byte record kind, so
// each kind is a contiguous key range:
//
//	'M' db(1) userkey                                  → meta record
//	'D' db(1) len(userkey)(4, BE) userkey version(8, BE) sub  → data record
//	'E' expireAtMs(8, BE) db(1) userkey                → expiry index (empty value)
//	'G' version(8, BE) db(1) len(userkey)(4, BE) userkey → garbage marker (empty value)
//	'S' name                                           → system record
//
// The meta record value is encoded by encodeMeta (meta.go). Data records of
// one key version share the prefix dataPrefix(db, key, version), so a
// version's records are one range that the garbage sweep deletes.
const (
	kindMeta    byte = 'M'
	kindData    byte = 'D'
	kindExpire  byte = 'E'
	kindGarbage byte = 'G'
	kindSystem  byte = 'S'
)

// System record names.
const (
	sysVersion     = "version"
	counterKeys    = "keys"
	counterExpires = "expires"
)

func sysKey(name string) []byte {
	return append([]byte{kindSystem}, name...)
}

func counterKey(name string, db int) []byte {
	return append(sysKey(name), ':', byte(db))
}

// metaKey returns the meta record key of userkey in db.
func metaKey(db int, userkey []byte) []byte {
	b := make([]byte, 0, 2+len(userkey))
	return append(append(b, kindMeta, byte(db)), userkey...)
}

// metaPrefix returns the prefix shared by all meta records of db.
func metaPrefix(db int) []byte { return []byte{kindMeta, byte(db)} }

// dataPrefix returns the prefix of all data records of one key version.
func dataPrefix(db int, userkey []byte, version uint64) []byte {
	b := make([]byte, 0, 2+4+len(userkey)+8+8)
	b = append(b, kindData, byte(db))
	b = binary.BigEndian.AppendUint32(b, uint32(len(userkey)))
	b = append(b, userkey...)
	return binary.BigEndian.AppendUint64(b, version)
}

// expireKey returns the expiry index key of userkey in db.
func expireKey(db int, userkey []byte, at int64) []byte {
	b := make([]byte, 0, 1+8+1+len(userkey))
	b = append(b, kindExpire)
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = append(b, byte(db))
	return append(b, userkey...)
}

// garbageKey returns the marker that asks the sweep to delete the data
// records of one dead key version.
func garbageKey(db int, userkey []byte, version uint64) []byte {
	b := make([]byte, 0, 1+8+1+4+len(userkey))
	b = append(b, kindGarbage)
	b = binary.BigEndian.AppendUint64(b, version)
	b = append(b, byte(db))
	b = binary.BigEndian.AppendUint32(b, uint32(len(userkey)))
	return append(b, userkey...)
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
