// Package redisnum parses numbers with Redis's exact rules, which are
// stricter than strconv's: the protocol's lengths, command arguments and
// the listpack integer check all use them.
package redisnum

// ParseInt parses b exactly as Redis's string2ll (and listpack's
// lpStringToInt64): an optional '-', no '+', decimal digits without
// leading zeros ("0" alone is fine, "-0" is not), no spaces, at most 20
// bytes, within int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-d {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
