package command

import (
	"math/big"
)

// INCRBYFLOAT arithmetic.
//
// Redis computes INCRBYFLOAT in C long double, which on amd64 (the Debian
// redis-server Kiwi is compared with) is the x87 80-bit format: a 64-bit
// significand and a 15-bit exponent. It parses with strtold, adds once, and
// prints with "%.17Lf" minus trailing zeros. Kiwi emulates that exactly
// with math/big: parsing rounds the exact decimal (or hex) value to 64
// significant bits, nearest-even; the sum is one correctly rounded big.Float
// addition at 64 bits; and big.Float's 'f' formatting is the exact decimal
// expansion rounded half-to-even, as glibc's printf. Values beyond the
// long double range overflow as strtold does; subnormal inputs are rounded
// to the subnormal grid.

const (
	// ldPrec is the significand precision of an x87 long double.
	ldPrec = 64
	// ldMaxExp is the big.Float exponent (significand in [0.5, 1)) of the
	// largest finite long double; anything larger is infinite.
	ldMaxExp = 16384
	// ldMinExp is the big.Float exponent of the smallest normal long
	// double (2^-16382); below it precision shrinks (subnormals).
	ldMinExp = -16381
	// ldSubnormalShift scales the smallest subnormal (2^-16445) to 1.
	ldSubnormalShift = 16445
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: longer inputs
	// are not numbers.
	maxLongDoubleChars = 5 * 1024
)

// parseLongDouble parses b as Redis's string2ld (strtold, whole string, no
// leading space, no NaN, no overflow or underflow to zero). Infinities are
// accepted (they make the increment fail later, as in Redis).
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return nil, false
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return nil, false
	}
	i, neg := 0, false
	if b[0] == '+' || b[0] == '-' {
		neg, i = b[0] == '-', 1
	}
	rest := b[i:]
	if len(rest) >= 3 && equalFold(rest[:3], "inf") {
		if len(rest) == 3 || equalFold(rest, "infinity") {
			return new(big.Float).SetInf(neg), true
		}
		return nil, false
	}
	var r *big.Rat
	var ok bool
	if len(rest) > 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		r, ok = parseHexRat(rest[2:])
	} else {
		r, ok = parseDecRat(rest)
	}
	if !ok {
		return nil, false
	}
	if neg {
		r.Neg(r)
	}
	return roundLongDouble(r)
}

// scanDigits returns the mantissa digits of s (without the point), the
// number of digits after the point, and the unparsed tail.
func scanDigits(s []byte, hex bool) (digits []byte, frac int, tail []byte) {
	isDigit := func(c byte) bool {
		return '0' <= c && c <= '9' || hex && ('a' <= c|0x20 && c|0x20 <= 'f')
	}
	i, point := 0, false
	for ; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digits = append(digits, s[i])
			if point {
				frac++
			}
		case s[i] == '.' && !point:
			point = true
		default:
			return digits, frac, s[i:]
		}
	}
	return digits, frac, nil
}

// scanExp parses an exponent "[+-]digits", saturating far beyond any
// long double exponent.
func scanExp(s []byte) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg, i = s[0] == '-', 1
	}
	if i == len(s) {
		return 0, false
	}
	var e int64
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		e = min(e*10+int64(s[i]-'0'), 1<<40)
	}
	if neg {
		e = -e
	}
	return e, true
}

// scanRat parses "digits[.digits][<m>[+-]digits]" — m is 'e' in base 10
// and 'p' in base 16 — into an integer mantissa and an exponent in the
// base's own units: powers of ten for decimal, powers of two for hex (where
// each fraction digit is worth 4).
func scanRat(s []byte, hex bool) (m *big.Int, exp int64, ok bool) {
	digits, frac, tail := scanDigits(s, hex)
	if len(digits) == 0 {
		return nil, 0, false
	}
	marker, base, fracUnit := byte('e'), 10, int64(1)
	if hex {
		marker, base, fracUnit = 'p', 16, 4
	}
	if len(tail) > 0 {
		if tail[0]|0x20 != marker {
			return nil, 0, false
		}
		if exp, ok = scanExp(tail[1:]); !ok {
			return nil, 0, false
		}
	}
	m, _ = new(big.Int).SetString(string(digits), base)
	return m, exp - fracUnit*int64(frac), true
}

// parseDecRat parses "digits[.digits][e[+-]digits]" into an exact rational.
func parseDecRat(s []byte) (*big.Rat, bool) {
	m, exp, ok := scanRat(s, false)
	if !ok {
		return nil, false
	}
	if m.Sign() == 0 {
		return new(big.Rat), true
	}
	// The value lies in [10^(mag-1), 10^mag): reject what is far outside
	// the long double range before computing powers of ten.
	mag := int64(len(m.Text(10))) + exp
	if mag > 4940 {
		return nil, false // overflow
	}
	if mag < -4960 {
		return nil, false // underflow to zero
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs(exp)), nil)
	if exp >= 0 {
		return new(big.Rat).SetInt(m.Mul(m, p)), true
	}
	return new(big.Rat).SetFrac(m, p), true
}

// parseHexRat parses the part after "0x": "hexdigits[.hexdigits][p[+-]digits]".
func parseHexRat(s []byte) (*big.Rat, bool) {
	m, exp, ok := scanRat(s, true)
	if !ok {
		return nil, false
	}
	if m.Sign() == 0 {
		return new(big.Rat), true
	}
	mag := int64(m.BitLen()) + exp
	if mag > ldMaxExp+8 {
		return nil, false
	}
	if mag < -ldSubnormalShift-8 {
		return nil, false
	}
	if exp >= 0 {
		return new(big.Rat).SetInt(m.Lsh(m, uint(exp))), true
	}
	return new(big.Rat).SetFrac(m, new(big.Int).Lsh(big.NewInt(1), uint(-exp))), true
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// roundLongDouble rounds an exact value to the nearest long double, or
// fails where strtold reports a range error (overflow, or underflow to 0).
func roundLongDouble(r *big.Rat) (*big.Float, bool) {
	f := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).SetRat(r)
	if f.Sign() == 0 {
		return f, true
	}
	exp := f.MantExp(nil)
	if exp > ldMaxExp {
		return nil, false
	}
	if exp >= ldMinExp {
		return f, true
	}
	// Subnormal: round the exact value to a multiple of 2^-16445.
	num := new(big.Int).Lsh(new(big.Int).Abs(r.Num()), ldSubnormalShift)
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	switch rem.Lsh(rem, 1).Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if q.Sign() == 0 {
		return nil, false
	}
	f.SetInt(q)
	f.SetMantExp(f, -ldSubnormalShift)
	if r.Sign() < 0 {
		f.Neg(f)
	}
	return f, true
}

// addLongDouble returns a+b rounded to a long double; false when the result
// is infinite or NaN.
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return sum, true
}

// formatLongDouble formats f as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" with trailing zeros (and a trailing point) removed, "-0" → "0".
func formatLongDouble(f *big.Float) []byte {
	b := f.Append(nil, 'f', 17)
	if bytesContains(b, '.') {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if len(b) == 2 && b[0] == '-' && b[1] == '0' {
		b = b[1:]
	}
	return b
}

func bytesContains(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
