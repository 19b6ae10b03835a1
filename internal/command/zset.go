package command

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/redisnum"
	"github.com/kiwidb/kiwi/internal/resp"
)

// Sorted set commands (Redis 7.0 semantics and replies). The blocking
// BZPOPMIN, BZPOPMAX and BZMPOP need the network runtime's blocking
// support; they will call keyspace.Tx.ZSetPop as ZPOPMIN and ZMPOP do.

var (
	aclReadZSet   = []string{"@read", "@sortedset", "@fast"}
	aclReadZSetS  = []string{"@read", "@sortedset", "@slow"}
	aclWriteZSet  = []string{"@write", "@sortedset", "@fast"}
	aclWriteZSetS = []string{"@write", "@sortedset", "@slow"}
)

// Complexities shared by several commands (COMMAND DOCS).
const (
	cplxRangeBy  = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
	cplxRemRange = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."
	cplxInter    = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."
	cplxDiff     = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."
)

// zsetCommands returns the sorted set commands.
func zsetCommands() []*Command {
	randTip := []string{"nondeterministic_output"}
	return []*Command{
		{Name: "zadd", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Add one or more members to a sorted set, or update its score if it already exists", Since: "1.2.0",
			Complexity:    "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
			ACLCategories: aclWriteZSet, Run: cmdZAdd},
		{Name: "zincrby", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Increment the score of a member in a sorted set", Since: "1.2.0",
			Complexity:    "O(log(N)) where N is the number of elements in the sorted set.",
			ACLCategories: aclWriteZSet, Run: cmdZIncrBy},
		{Name: "zrem", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove one or more members from a sorted set", Since: "1.2.0",
			Complexity:    "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
			ACLCategories: aclWriteZSet, Run: cmdZRem},
		{Name: "zcard", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Get the number of members in a sorted set", Since: "1.2.0", Complexity: "O(1)",
			ACLCategories: aclReadZSet, Run: cmdZCard},
		{Name: "zcount", Arity: 4, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Count the members in a sorted set with scores within the given values", Since: "2.0.0",
			Complexity:    "O(log(N)) with N being the number of elements in the sorted set.",
			ACLCategories: aclReadZSet, Run: cmdZCount},
		{Name: "zlexcount", Arity: 4, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Count the number of members in a sorted set between a given lexicographical range", Since: "2.8.9",
			Complexity:    "O(log(N)) with N being the number of elements in the sorted set.",
			ACLCategories: aclReadZSet, Run: cmdZCount},
		{Name: "zscore", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Get the score associated with the given member in a sorted set", Since: "1.2.0", Complexity: "O(1)",
			ACLCategories: aclReadZSet, Run: cmdZScore},
		{Name: "zmscore", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Get the score associated with the given members in a sorted set", Since: "6.2.0",
			Complexity:    "O(N) where N is the number of members being requested.",
			ACLCategories: aclReadZSet, Run: cmdZMScore},
		{Name: "zrank", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Determine the index of a member in a sorted set", Since: "2.0.0", Complexity: "O(log(N))",
			ACLCategories: aclReadZSet, Run: cmdZRank},
		{Name: "zrevrank", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", Since: "2.0.0",
			Complexity: "O(log(N))", ACLCategories: aclReadZSet, Run: cmdZRank},
		{Name: "zrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set", Since: "1.2.0",
			Complexity:    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
			ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zrangestore", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "sorted-set",
			Summary: "Store a range of members from sorted set into another key", Since: "6.2.0",
			Complexity:    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
			ACLCategories: aclWriteZSetS, Run: cmdZRange},
		{Name: "zrangebyscore", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set, by score", Since: "1.0.5", Complexity: cplxRangeBy,
			ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zrevrangebyscore", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", Since: "2.2.0",
			Complexity: cplxRangeBy, ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zrangebylex", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set, by lexicographical range", Since: "2.8.9",
			Complexity: cplxRangeBy, ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zrevrangebylex", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Since: "2.8.9",
			Complexity: cplxRangeBy, ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zrevrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", Since: "1.2.0",
			Complexity:    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
			ACLCategories: aclReadZSetS, Run: cmdZRange},
		{Name: "zremrangebyrank", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove all members in a sorted set within the given indexes", Since: "2.0.0", Complexity: cplxRemRange,
			ACLCategories: aclWriteZSetS, Run: cmdZRemRange},
		{Name: "zremrangebyscore", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove all members in a sorted set within the given scores", Since: "1.2.0", Complexity: cplxRemRange,
			ACLCategories: aclWriteZSetS, Run: cmdZRemRange},
		{Name: "zremrangebylex", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove all members in a sorted set between the given lexicographical range", Since: "2.8.9", Complexity: cplxRemRange,
			ACLCategories: aclWriteZSetS, Run: cmdZRemRange},
		{Name: "zpopmin", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove and return members with the lowest scores in a sorted set", Since: "5.0.0",
			Complexity:    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
			ACLCategories: aclWriteZSet, Run: cmdZPop},
		{Name: "zpopmax", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Remove and return members with the highest scores in a sorted set", Since: "5.0.0",
			Complexity:    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
			ACLCategories: aclWriteZSet, Run: cmdZPop},
		{Name: "zmpop", Arity: -4, Flags: Write | MovableKeys, Keys: NumKeysAt(1, 0), Group: "sorted-set",
			Summary: "Remove and return members with scores in a sorted set", Since: "7.0.0",
			Complexity:    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
			ACLCategories: aclWriteZSetS, Run: cmdZMPop},
		{Name: "zrandmember", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Get one or multiple random elements from a sorted set", Since: "6.2.0",
			Complexity:    "O(N) where N is the number of elements returned",
			ACLCategories: aclReadZSetS, Tips: randTip, Run: cmdZRandMember},
		{Name: "zunion", Arity: -3, Flags: ReadOnly | MovableKeys, Keys: NumKeysAt(1, 0), Group: "sorted-set",
			Summary: "Add multiple sorted sets", Since: "6.2.0",
			Complexity:    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
			ACLCategories: aclReadZSetS, Run: cmdZCombine},
		{Name: "zunionstore", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, KeyStep: 1, Keys: NumKeysAt(2, 1), Group: "sorted-set",
			Summary: "Add multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0",
			Complexity:    "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
			ACLCategories: aclWriteZSetS, Run: cmdZCombine},
		{Name: "zinter", Arity: -3, Flags: ReadOnly | MovableKeys, Keys: NumKeysAt(1, 0), Group: "sorted-set",
			Summary: "Intersect multiple sorted sets", Since: "6.2.0", Complexity: cplxInter,
			ACLCategories: aclReadZSetS, Run: cmdZCombine},
		{Name: "zinterstore", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, KeyStep: 1, Keys: NumKeysAt(2, 1), Group: "sorted-set",
			Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0", Complexity: cplxInter,
			ACLCategories: aclWriteZSetS, Run: cmdZCombine},
		{Name: "zintercard", Arity: -3, Flags: ReadOnly | MovableKeys, Keys: NumKeysAt(1, 0), Group: "sorted-set",
			Summary: "Intersect multiple sorted sets and return the cardinality of the result", Since: "7.0.0",
			Complexity:    "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
			ACLCategories: aclReadZSetS, Run: cmdZCombine},
		{Name: "zdiff", Arity: -3, Flags: ReadOnly | MovableKeys, Keys: NumKeysAt(1, 0), Group: "sorted-set",
			Summary: "Subtract multiple sorted sets", Since: "6.2.0", Complexity: cplxDiff,
			ACLCategories: aclReadZSetS, Run: cmdZCombine},
		{Name: "zdiffstore", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, KeyStep: 1, Keys: NumKeysAt(2, 1), Group: "sorted-set",
			Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", Since: "6.2.0", Complexity: cplxDiff,
			ACLCategories: aclWriteZSetS, Run: cmdZCombine},
		{Name: "zscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "sorted-set",
			Summary: "Incrementally iterate sorted sets elements and associated scores", Since: "2.8.0",
			Complexity:    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			ACLCategories: aclReadZSetS, Tips: randTip, Run: cmdZScan},
	}
}

// Score parsing.
//
// Redis parses scores with C's strtod: ZADD, ZINCRBY and WEIGHTS through
// string2d (the whole string, no leading space, no overflow, no underflow
// to zero, no NaN), score ranges through zslParseRange (an optional "(",
// then strtod up to the end of the C string, no NaN, nothing else
// checked). strtod below is glibc's strtod in the C locale; the value is
// computed by strconv.ParseFloat, which rounds correctly as glibc does.

// isSpace is C's isspace in the C locale.
func isSpace(ch byte) bool {
	return ch == ' ' || (ch >= '\t' && ch <= '\r')
}

func isDigit(ch byte) bool { return '0' <= ch && ch <= '9' }

func isHexDigit(ch byte) bool {
	return isDigit(ch) || ('a' <= ch|0x20 && ch|0x20 <= 'f')
}

// hasPrefixFold reports whether b starts with the lower-case word w,
// ignoring case.
func hasPrefixFold(b []byte, w string) bool {
	return len(b) >= len(w) && equalFold(b[:len(w)], w)
}

// strtod parses the longest prefix of s that C's strtod accepts: white
// space, an optional sign, then a decimal or hexadecimal number, "inf",
// "infinity", or "nan" with an optional "(chars)". n is the number of
// bytes used, 0 when nothing converts; erange reports ERANGE as glibc sets
// it: for a result that overflows to ±inf, and for one that underflows (to
// zero, or to a subnormal number that is not the exact value).
func strtod(s []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	signAt := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := i > signAt && s[signAt] == '-'
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(sign(neg)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(sign(neg)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isDigit(s[k]) || ('a' <= s[k]|0x20 && s[k]|0x20 <= 'z') || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	text := make([]byte, 0, len(s)-signAt+3)
	text = append(text, s[signAt:i]...)
	hex := len(rest) > 2 && rest[0] == '0' && rest[1]|0x20 == 'x' &&
		(isHexDigit(rest[2]) || (rest[2] == '.' && len(rest) > 3 && isHexDigit(rest[3])))
	digit, expMark := isDigit, byte('e')
	if hex {
		digit, expMark = isHexDigit, 'p'
		text = append(text, "0x"...)
		i += 2
	}
	// Mantissa: digits, optionally a point and more digits, at least one
	// digit in all.
	j, digits, nonzero := i, 0, false
	for ; j < len(s) && digit(s[j]); j++ {
		digits++
		nonzero = nonzero || s[j] != '0'
	}
	if j < len(s) && s[j] == '.' {
		for j++; j < len(s) && digit(s[j]); j++ {
			digits++
			nonzero = nonzero || s[j] != '0'
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	text = append(text, s[i:j]...)
	// Exponent, if it has digits.
	hasExp := false
	if j < len(s) && s[j]|0x20 == expMark {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			text = append(text, s[j:k]...)
			j, hasExp = k, true
		}
	}
	if hex && !hasExp {
		text = append(text, "p0"...)
	}
	f, err := strconv.ParseFloat(string(text), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return f, j, true
	case err != nil:
		return 0, 0, false // not reached: text is well formed
	}
	return f, j, (f == 0 && nonzero) || inexactSubnormal(f, text)
}

// inexactSubnormal reports whether f, the value strtod computed for the
// number text, is subnormal and differs from it (glibc's underflow).
func inexactSubnormal(f float64, text []byte) bool {
	if f == 0 || math.Abs(f) >= minNormal {
		return false
	}
	// A subnormal f bounds the exponent by the number of digits of text
	// (plus about 324), so the exact value stays proportionate to text.
	exact, ok := new(big.Rat).SetString(string(text))
	return !ok || exact.Cmp(new(big.Rat).SetFloat64(f)) != 0
}

// minNormal is the smallest positive normal float64 (C's DBL_MIN).
const minNormal = 0x1p-1022

func sign(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

// parseScore parses a score, an increment or a weight as Redis's
// string2d.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || math.IsNaN(f) || (erange && (f == 0 || math.IsInf(f, 0))) {
		return 0, false
	}
	return f, true
}

// parseScoreBound parses one end of a score range as zslParseRange: "("
// makes it exclusive, and strtod must reach the end of the C string (the
// first NUL byte, or the end).
func parseScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		b, ex = b[1:], true
	}
	f, n, _ := strtod(b)
	if (n < len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// parseScoreRange parses ZRANGEBYSCORE's min and max, replying on error.
func parseScoreRange(c *Ctx, min, max []byte) (r keyspace.ScoreRange, ok bool) {
	var okMin, okMax bool
	r.Min, r.MinEx, okMin = parseScoreBound(min)
	r.Max, r.MaxEx, okMax = parseScoreBound(max)
	if !okMin || !okMax {
		c.Error("ERR min or max is not a float")
		return r, false
	}
	return r, true
}

// parseLexBound parses one end of a lexicographical range: "-", "+",
// "(value" or "[value" (zslParseLexRangeItem, which reads "+" and "-" as
// C strings).
func parseLexBound(b []byte) (keyspace.LexBound, bool) {
	if len(b) == 0 {
		return keyspace.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return keyspace.LexBound{}, false
		}
		if b[0] == '+' {
			return keyspace.LexBound{Inf: 1}, true
		}
		return keyspace.LexBound{Inf: -1}, true
	case '(':
		return keyspace.LexBound{Value: b[1:], Exclusive: true}, true
	case '[':
		return keyspace.LexBound{Value: b[1:]}, true
	}
	return keyspace.LexBound{}, false
}

// parseLexRange parses ZRANGEBYLEX's min and max, replying on error.
func parseLexRange(c *Ctx, min, max []byte) (r keyspace.LexRange, ok bool) {
	var okMin, okMax bool
	r.Min, okMin = parseLexBound(min)
	r.Max, okMax = parseLexBound(max)
	if !okMin || !okMax {
		c.Error("ERR min or max not valid string range item")
		return r, false
	}
	return r, true
}

// appendScanScore formats a score in a ZSCAN reply as Redis 7.0 stores it
// in a listpack (which ZSCAN returns verbatim): an integral score up to
// 2^62 in magnitude as an integer, any other as %.17g.
func appendScanScore(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) <= 1<<62 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return resp.AppendFloat(dst, f)
}

// writeScored writes members (with their scores when withScores: a flat
// array in RESP2, [member, score] pairs in RESP3).
func writeScored(c *Ctx, sm *keyspace.ScoredMembers, withScores bool) {
	n := sm.Len()
	switch {
	case withScores && c.Out.Proto() == 2:
		c.Out.WriteArrayLen(2 * n)
	default:
		c.Out.WriteArrayLen(n)
	}
	for i := range n {
		writeScoredAt(c, sm, i, withScores)
	}
}

// writeScoredAt writes member i of sm, with its score when withScores.
func writeScoredAt(c *Ctx, sm *keyspace.ScoredMembers, i int, withScores bool) {
	if withScores && c.Out.Proto() == 3 {
		c.Out.WriteArrayLen(2)
	}
	c.Out.WriteBulk(sm.Members.At(i))
	if withScores {
		c.Out.WriteDouble(sm.Scores[i])
	}
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func cmdZAdd(c *Ctx) { zadd(c, 0) }

// ZINCRBY key increment member
func cmdZIncrBy(c *Ctx) { zadd(c, keyspace.ZAddIncr) }

// zadd is Redis's zaddGenericCommand (ZINCRBY parses options too).
func zadd(c *Ctx, flags keyspace.ZAddFlags) {
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case equalFold(a, "nx"):
			flags |= keyspace.ZAddNX
		case equalFold(a, "xx"):
			flags |= keyspace.ZAddXX
		case equalFold(a, "ch"):
			ch = true
		case equalFold(a, "incr"):
			flags |= keyspace.ZAddIncr
		case equalFold(a, "gt"):
			flags |= keyspace.ZAddGT
		case equalFold(a, "lt"):
			flags |= keyspace.ZAddLT
		default:
			break options
		}
	}
	elements := len(c.Args) - i
	nx, xx, gt, lt := flags&keyspace.ZAddNX != 0, flags&keyspace.ZAddXX != 0, flags&keyspace.ZAddGT != 0, flags&keyspace.ZAddLT != 0
	incr := flags&keyspace.ZAddIncr != 0
	switch {
	case elements%2 != 0 || elements == 0:
		c.Error(ErrSyntax)
		return
	case nx && xx:
		c.Error("ERR XX and NX options at the same time are not compatible")
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		c.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case incr && elements > 2:
		c.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	scores := make([]float64, elements/2)
	members := make([][]byte, elements/2)
	for j := range scores {
		var ok bool
		if scores[j], ok = parseScore(c.Args[i+2*j]); !ok {
			c.Error(ErrNotFloat)
			return
		}
		members[j] = c.Args[i+2*j+1]
	}
	res, err := c.Tx.ZSetAdd(c.DB, c.Args[1], c.Now, flags, scores, members)
	if err == nil && res.Added+res.Updated > 0 {
		ev := "zadd"
		if incr {
			ev = "zincr"
		}
		c.Notify(notify.ZSet, ev, c.Args[1])
	}
	switch {
	case errors.Is(err, keyspace.ErrNaNScore):
		c.Error("ERR resulting score is not a number (NaN)")
	case err != nil:
		replyErr(c, err)
	case incr && res.Processed > 0:
		c.Out.WriteDouble(res.Score)
	case incr:
		c.Out.WriteNull()
	case ch:
		c.Out.WriteInt(res.Added + res.Updated)
	default:
		c.Out.WriteInt(res.Added)
	}
}

// ZREM key member [member ...]
func cmdZRem(c *Ctx) {
	n, err := c.Tx.ZSetRem(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err == nil && n > 0 {
		c.notifyRemoval(notify.ZSet, "zrem", c.Args[1])
	}
	replyCount(c, n, err)
}

// ZCARD key
func cmdZCard(c *Ctx) {
	n, err := c.Tx.ZSetCard(c.DB, c.Args[1], c.Now)
	replyCount(c, n, err)
}

// ZCOUNT key min max, ZLEXCOUNT key min max
func cmdZCount(c *Ctx) {
	spec := keyspace.ZRangeSpec{By: keyspace.ZByScore, Limit: -1}
	var ok bool
	if c.Cmd.Name == "zlexcount" {
		spec.By = keyspace.ZByLex
		spec.Lex, ok = parseLexRange(c, c.Args[2], c.Args[3])
	} else {
		spec.Score, ok = parseScoreRange(c, c.Args[2], c.Args[3])
	}
	if !ok {
		return
	}
	n, err := c.Tx.ZSetCount(c.DB, c.Args[1], c.Now, &spec)
	replyCount(c, n, err)
}

// ZSCORE key member
func cmdZScore(c *Ctx) {
	score, ok, err := c.Tx.ZSetScore(c.DB, c.Args[1], c.Args[2], c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
	case !ok:
		c.Out.WriteNull()
	default:
		c.Out.WriteDouble(score)
	}
}

// ZMSCORE key member [member ...]
func cmdZMScore(c *Ctx) {
	scores, found, err := c.Tx.ZSetMScore(c.DB, c.Args[1], c.Args[2:], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteArrayLen(len(scores))
	for i, s := range scores {
		if found[i] {
			c.Out.WriteDouble(s)
		} else {
			c.Out.WriteNull()
		}
	}
}

// ZRANK key member, ZREVRANK key member
func cmdZRank(c *Ctx) {
	rank, ok, err := c.Tx.ZSetRank(c.DB, c.Args[1], c.Args[2], c.Now, c.Cmd.Name == "zrevrank")
	switch {
	case err != nil:
		replyErr(c, err)
	case !ok:
		c.Out.WriteNull()
	default:
		c.Out.WriteInt(rank)
	}
}

// byAuto marks a range kind not fixed by the command name (ZRANGE,
// ZRANGESTORE) until BYSCORE or BYLEX.
const byAuto keyspace.ZRangeBy = 255

// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES],
// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count],
// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count],
// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count],
// ZRANGEBYLEX key min max [LIMIT offset count],
// ZREVRANGEBYLEX key max min [LIMIT offset count],
// ZREVRANGE key start stop [WITHSCORES]: Redis's zrangeGenericCommand.
func cmdZRange(c *Ctx) {
	keyIdx, store := 1, false
	by, dirAuto, rev := byAuto, true, false
	switch c.Cmd.Name {
	case "zrangestore":
		keyIdx, store = 2, true
	case "zrangebyscore":
		by, dirAuto = keyspace.ZByScore, false
	case "zrevrangebyscore":
		by, dirAuto, rev = keyspace.ZByScore, false, true
	case "zrangebylex":
		by, dirAuto = keyspace.ZByLex, false
	case "zrevrangebylex":
		by, dirAuto, rev = keyspace.ZByLex, false, true
	case "zrevrange":
		by, dirAuto, rev = keyspace.ZByRank, false, true
	}
	spec := keyspace.ZRangeSpec{Limit: -1}
	withScores := false
	for j := keyIdx + 3; j < len(c.Args); j++ {
		a, left := c.Args[j], len(c.Args)-j-1
		switch {
		case !store && equalFold(a, "withscores"):
			withScores = true
		case equalFold(a, "limit") && left >= 2:
			var ok bool
			if spec.Offset, ok = intArg(c, c.Args[j+1]); !ok {
				return
			}
			if spec.Limit, ok = intArg(c, c.Args[j+2]); !ok {
				return
			}
			j += 2
		case dirAuto && equalFold(a, "rev"):
			rev, dirAuto = true, false
		case by == byAuto && equalFold(a, "bylex"):
			by = keyspace.ZByLex
		case by == byAuto && equalFold(a, "byscore"):
			by = keyspace.ZByScore
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if by == byAuto {
		by = keyspace.ZByRank
	}
	switch {
	case spec.Limit != -1 && by == keyspace.ZByRank:
		c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	case withScores && by == keyspace.ZByLex:
		c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	spec.By, spec.Rev = by, rev
	minArg, maxArg := c.Args[keyIdx+1], c.Args[keyIdx+2]
	if rev && by != keyspace.ZByRank {
		minArg, maxArg = maxArg, minArg // given as max, min
	}
	var ok bool
	switch by {
	case keyspace.ZByRank:
		if spec.Start, ok = intArg(c, minArg); ok {
			spec.Stop, ok = intArg(c, maxArg)
		}
	case keyspace.ZByScore:
		spec.Score, ok = parseScoreRange(c, minArg, maxArg)
	default:
		spec.Lex, ok = parseLexRange(c, minArg, maxArg)
	}
	if !ok {
		return
	}
	if store {
		existed := c.existsForEvent(c.Args[1])
		n, err := c.Tx.ZSetRangeStore(c.DB, c.Args[1], c.Args[2], c.Now, &spec)
		if err == nil {
			c.notifyStored(notify.ZSet, "zrangestore", c.Args[1], n, existed)
		}
		replyCount(c, n, err)
		return
	}
	sm, err := c.Tx.ZSetRange(c.DB, c.Args[keyIdx], c.Now, &spec)
	if err != nil {
		replyErr(c, err)
		return
	}
	writeScored(c, sm, withScores)
}

// ZREMRANGEBYRANK key start stop, ZREMRANGEBYSCORE key min max,
// ZREMRANGEBYLEX key min max
func cmdZRemRange(c *Ctx) {
	spec := keyspace.ZRangeSpec{Limit: -1}
	var ok bool
	switch c.Cmd.Name {
	case "zremrangebyrank":
		if spec.Start, ok = intArg(c, c.Args[2]); ok {
			spec.Stop, ok = intArg(c, c.Args[3])
		}
	case "zremrangebyscore":
		spec.By = keyspace.ZByScore
		spec.Score, ok = parseScoreRange(c, c.Args[2], c.Args[3])
	default:
		spec.By = keyspace.ZByLex
		spec.Lex, ok = parseLexRange(c, c.Args[2], c.Args[3])
	}
	if !ok {
		return
	}
	n, err := c.Tx.ZSetRemRange(c.DB, c.Args[1], c.Now, &spec)
	if err == nil && n > 0 {
		c.notifyRemoval(notify.ZSet, c.Cmd.Name, c.Args[1])
	}
	replyCount(c, n, err)
}

// ZPOPMIN key [count], ZPOPMAX key [count]
func cmdZPop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	count := int64(-1) // no count: one member, flat reply in RESP3 too
	if len(c.Args) == 3 {
		n, ok := redisnum.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	pop := count
	if count == -1 {
		pop = 1
	}
	idx, sm, err := c.Tx.ZSetPop(c.DB, c.Args[1:2], c.Now, c.Cmd.Name == "zpopmax", pop)
	if err != nil {
		replyErr(c, err)
		return
	}
	if idx < 0 {
		c.Out.WriteArrayLen(0)
		return
	}
	notifyZPopped(c, c.Args[1], sm, c.Cmd.Name == "zpopmax")
	nested := c.Out.Proto() > 2 && count != -1
	if nested {
		c.Out.WriteArrayLen(sm.Len())
	} else {
		c.Out.WriteArrayLen(2 * sm.Len())
	}
	for i := range sm.Len() {
		if nested {
			c.Out.WriteArrayLen(2)
		}
		c.Out.WriteBulk(sm.Members.At(i))
		c.Out.WriteDouble(sm.Scores[i])
	}
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func cmdZMPop(c *Ctx) { zmpop(c, 1, -1) }

// zmpop is ZMPOP and BZMPOP: the arguments from index at are numkeys key
// [key ...] MIN|MAX [COUNT count]; timeout < 0 means never block.
func zmpop(c *Ctx, at int, timeout time.Duration) {
	numKeys, ok := redisnum.ParseInt(c.Args[at])
	if !ok || numKeys < 1 {
		c.Error("ERR numkeys should be greater than 0")
		return
	}
	if numKeys >= int64(len(c.Args)-at-1) {
		c.Error(ErrSyntax)
		return
	}
	whereIdx := at + 1 + int(numKeys)
	var isMax bool
	switch {
	case equalFold(c.Args[whereIdx], "min"):
	case equalFold(c.Args[whereIdx], "max"):
		isMax = true
	default:
		c.Error(ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count == -1 && equalFold(c.Args[j], "count") && j+1 < len(c.Args) {
			j++
			n, ok := redisnum.ParseInt(c.Args[j])
			if !ok || n < 1 {
				c.Error("ERR count should be greater than 0")
				return
			}
			count = n
			continue
		}
		c.Error(ErrSyntax)
		return
	}
	keys := c.Args[at+1 : whereIdx]
	idx, sm, err := c.Tx.ZSetPop(c.DB, keys, c.Now, isMax, max(count, 1))
	switch {
	case err != nil:
		replyErr(c, err)
	case idx < 0:
		blockOrNull(c, timeout, c.Out.WriteNullArray)
	default:
		notifyZPopped(c, keys[idx], sm, isMax)
		writePopped(c, keys, idx, sm)
	}
}

// writePopped writes the reply of ZMPOP (and, later, BZMPOP): a null array
// when nothing was popped (idx < 0), else the key and [member, score]
// pairs.
func writePopped(c *Ctx, keys [][]byte, idx int, sm *keyspace.ScoredMembers) {
	if idx < 0 {
		c.Out.WriteNullArray()
		return
	}
	c.Out.WriteArrayLen(2)
	c.Out.WriteBulk(keys[idx])
	c.Out.WriteArrayLen(sm.Len())
	for i := range sm.Len() {
		c.Out.WriteArrayLen(2)
		c.Out.WriteBulk(sm.Members.At(i))
		c.Out.WriteDouble(sm.Scores[i])
	}
}

// ZRANDMEMBER key [count [WITHSCORES]]
func cmdZRandMember(c *Ctx) {
	if len(c.Args) == 2 {
		n, err := c.Tx.ZSetCard(c.DB, c.Args[1], c.Now)
		if err != nil || n == 0 {
			replyOptionalBulk(c, nil, false, err)
			return
		}
		sm, err := c.Tx.ZSetMembersAt(c.DB, c.Args[1], c.Now, []int64{rand.Int64N(n)})
		if err != nil {
			replyErr(c, err)
			return
		}
		c.Out.WriteBulk(sm.Members.At(0))
		return
	}
	count, ok := randCountArg(c, c.Args[2])
	if !ok {
		return
	}
	withScores := false
	if len(c.Args) > 3 {
		if len(c.Args) > 4 || !equalFold(c.Args[3], "withscores") {
			c.Error(ErrSyntax)
			return
		}
		withScores = true
	}
	if count < -math.MaxInt64/2 && withScores {
		// Redis's bound: the reply would need more than LONG_MAX items.
		c.Error("ERR value is out of range")
		return
	}
	if !randCountFits(c, count) {
		return
	}
	n, err := c.Tx.ZSetCard(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	if count >= n {
		// The whole set, highest score first, as Redis walks it.
		sm, err := c.Tx.ZSetRange(c.DB, c.Args[1], c.Now, &keyspace.ZRangeSpec{Rev: true, Start: 0, Stop: -1})
		if err != nil {
			replyErr(c, err)
			return
		}
		writeScored(c, sm, withScores)
		return
	}
	picks := randomPicks(int(n), count)
	ranks := make([]int64, len(picks))
	for i, p := range picks {
		ranks[i] = int64(p)
	}
	slices.Sort(ranks)
	ranks = slices.Compact(ranks)
	sm, err := c.Tx.ZSetMembersAt(c.DB, c.Args[1], c.Now, ranks)
	if err != nil {
		replyErr(c, err)
		return
	}
	if withScores && c.Out.Proto() == 2 {
		c.Out.WriteArrayLen(2 * len(picks))
	} else {
		c.Out.WriteArrayLen(len(picks))
	}
	for _, p := range picks {
		i, _ := slices.BinarySearch(ranks, int64(p))
		writeScoredAt(c, sm, i, withScores)
	}
}

// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES],
// ZINTER (the same), ZDIFF numkeys key [key ...] [WITHSCORES],
// ZINTERCARD numkeys key [key ...] [LIMIT limit],
// ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX],
// ZINTERSTORE (the same), ZDIFFSTORE dst numkeys key [key ...]:
// Redis's zunionInterDiffGenericCommand.
func cmdZCombine(c *Ctx) {
	name := c.Cmd.Name
	var op keyspace.ZSetOp
	switch name {
	case "zinter", "zinterstore", "zintercard":
		op = keyspace.ZInter
	case "zdiff", "zdiffstore":
		op = keyspace.ZDiff
	}
	cardOnly := name == "zintercard"
	var dst []byte
	numIdx := 1
	if name == "zunionstore" || name == "zinterstore" || name == "zdiffstore" {
		dst, numIdx = c.Args[1], 2
	}
	setnum, ok := intArg(c, c.Args[numIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.Error(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", name))
		return
	}
	if setnum > int64(len(c.Args)-numIdx-1) {
		c.Error(ErrSyntax)
		return
	}
	keys := c.Args[numIdx+1 : numIdx+1+int(setnum)]
	// Redis looks the keys up before it parses the options: a key of the
	// wrong type is reported first.
	fail := func(msg string) {
		for _, k := range keys {
			t, err := c.Tx.Type(c.DB, k, c.Now)
			if err != nil {
				replyErr(c, err)
				return
			}
			if t != keyspace.TypeNone && t != keyspace.TypeZSet && t != keyspace.TypeSet {
				msg = ErrWrongType
				break
			}
		}
		c.Error(msg)
	}
	var weights []float64
	agg := keyspace.ZAggSum
	withScores := false
	var limit int64
	for j := numIdx + 1 + int(setnum); j < len(c.Args); {
		a, remaining := c.Args[j], len(c.Args)-j
		switch {
		case op != keyspace.ZDiff && !cardOnly && int64(remaining) >= setnum+1 && equalFold(a, "weights"):
			j++
			weights = make([]float64, setnum)
			for i := range weights {
				if weights[i], ok = parseScore(c.Args[j]); !ok {
					fail("ERR weight value is not a float")
					return
				}
				j++
			}
		case op != keyspace.ZDiff && !cardOnly && remaining >= 2 && equalFold(a, "aggregate"):
			switch b := c.Args[j+1]; {
			case equalFold(b, "sum"):
				agg = keyspace.ZAggSum
			case equalFold(b, "min"):
				agg = keyspace.ZAggMin
			case equalFold(b, "max"):
				agg = keyspace.ZAggMax
			default:
				fail(ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && equalFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && equalFold(a, "limit"):
			n, ok := redisnum.ParseInt(c.Args[j+1])
			if !ok || n < 0 {
				fail("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			fail(ErrSyntax)
			return
		}
	}
	if cardOnly {
		n, err := c.Tx.ZSetInterCard(c.DB, keys, c.Now, limit)
		replyCount(c, n, err)
		return
	}
	sm, err := c.Tx.ZSetCombine(c.DB, op, keys, weights, agg, c.Now, dst != nil)
	if err != nil {
		replyErr(c, err)
		return
	}
	if dst == nil {
		writeScored(c, sm, withScores)
		return
	}
	existed := c.existsForEvent(dst)
	n, err := c.Tx.ZSetStore(c.DB, dst, sm, c.Now)
	if err == nil {
		c.notifyStored(notify.ZSet, name, dst, n, existed)
	}
	replyCount(c, n, err)
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func cmdZScan(c *Ctx) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	opts, ok := parseElemScan(c, keyspace.TypeZSet)
	if !ok {
		return
	}
	next, sm, err := c.Tx.ZSetScan(c.DB, c.Args[1], c.Now, cursor, opts.Count, opts.Match)
	if err != nil {
		replyErr(c, err)
		return
	}
	var buf []byte
	writeScanReply(c, next, 2*sm.Len(), func(i int) []byte {
		if i%2 == 0 {
			return sm.Members.At(i / 2)
		}
		buf = appendScanScore(buf[:0], sm.Scores[i/2])
		return buf
	})
}

// notifyZPopped emits the events of members popped from the sorted set at
// key: "zpopmin" or "zpopmax", then "del" if the set is gone.
func notifyZPopped(c *Ctx, key []byte, sm *keyspace.ScoredMembers, isMax bool) {
	if sm.Len() == 0 {
		return
	}
	ev := "zpopmin"
	if isMax {
		ev = "zpopmax"
	}
	c.notifyRemoval(notify.ZSet, ev, key)
}
