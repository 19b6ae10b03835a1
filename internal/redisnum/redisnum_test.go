package redisnum

import (
	"math"
	"strconv"
	"testing"
)

func TestParseInt(t *testing.T) {
	good := []int64{0, 1, -1, 42, -42, 123, math.MaxInt64, math.MinInt64, 1000000}
	for _, v := range good {
		s := strconv.FormatInt(v, 10)
		if got, ok := ParseInt([]byte(s)); !ok || got != v {
			t.Errorf("ParseInt(%q) = %d, %v", s, got, ok)
		}
	}
	bad := []string{"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1a", "1.0", "1e3", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "0x10", "١"}
	for _, s := range bad {
		if got, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, want failure", s, got)
		}
	}
}

// FuzzParseInt checks ParseInt against its definition: exactly the
// canonical decimal spellings of int64 values.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "123", "01", "-0", "9223372036854775807", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseInt([]byte(s))
		n, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(n, 10) == s
		if ok != canonical || (ok && v != n) {
			t.Fatalf("ParseInt(%q) = %d, %v; strconv %d, %v", s, v, ok, n, err)
		}
	})
}
