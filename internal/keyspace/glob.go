package keyspace

// Match reports whether str matches the glob-style pattern, with exactly
// the semantics of Redis's stringmatchlen (case-sensitive): '*' matches any
// run of bytes, '?' any single byte, '[abc]', '[^abc]' and '[a-z]' byte
// classes, and '\' escapes the next byte. Malformed patterns behave as in
// Redis: an unterminated class ends at the end of the pattern, a trailing
// '\' matches itself, and class ranges compare bytes as C's signed char.
//
// Note that Redis's KEYS and SCAN treat the pattern "*" as "every key"
// without calling the matcher, which matters only for the empty key; the
// keyspace does the same.
func Match(pattern, str []byte) bool {
	skip := false
	return globMatch(pattern, 0, str, 0, &skip, 0)
}

// maxGlobNesting is Redis's protection against abusive patterns: a match
// that needs more than this many nested '*' fails.
const maxGlobNesting = 1000

// globMatch is a transliteration of stringmatchlen_impl from Redis 7.0
// util.c, indexes standing for its pointers. at reads past the end of the
// pattern as 0, as C reads the sds terminator. skip is Redis's
// skipLongerMatches: once the rest of a pattern after a '*' failed to match
// anywhere in the remaining string, earlier '*'s cannot help either, which
// bounds the work to O(len(pattern)*len(str)). nesting counts the '*'
// recursion, bounded by maxGlobNesting as in Redis.
func globMatch(pat []byte, pi int, str []byte, si int, skip *bool, nesting int) bool {
	if nesting > maxGlobNesting {
		return false
	}
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	for pi < len(pat) && si < len(str) {
		switch pat[pi] {
		case '*':
			for pi < len(pat) && at(pi+1) == '*' {
				pi++
			}
			if len(pat)-pi == 1 {
				return true
			}
			for si < len(str) {
				if globMatch(pat, pi+1, str, si, skip, nesting+1) {
					return true
				}
				if *skip {
					return false
				}
				si++
			}
			*skip = true
			return false
		case '?':
			si++
		case '[':
			pi++
			not := at(pi) == '^'
			if not {
				pi++
			}
			match := false
			for {
				if at(pi) == '\\' && len(pat)-pi >= 2 {
					pi++
					if pat[pi] == str[si] {
						match = true
					}
				} else if at(pi) == ']' {
					break
				} else if pi >= len(pat) {
					pi--
					break
				} else if len(pat)-pi >= 3 && pat[pi+1] == '-' {
					// C compares plain (signed) chars.
					start, end, c := int8(pat[pi]), int8(pat[pi+2]), int8(str[si])
					if start > end {
						start, end = end, start
					}
					pi += 2
					if c >= start && c <= end {
						match = true
					}
				} else if pat[pi] == str[si] {
					match = true
				}
				pi++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
		case '\\':
			if len(pat)-pi >= 2 {
				pi++
			}
			fallthrough
		default:
			if pat[pi] != str[si] {
				return false
			}
			si++
		}
		pi++
		if si == len(str) {
			for at(pi) == '*' {
				pi++
			}
			break
		}
	}
	return pi == len(pat) && si == len(str)
}

// globPrefix returns the literal prefix that every string matching pattern
// starts with (the bytes before the first '*', '?' or '[', with escapes
// resolved). KEYS and SCAN use it to iterate only that key range.
func globPrefix(pattern []byte) []byte {
	var out []byte
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?', '[':
			return out
		case '\\':
			if len(pattern)-i >= 2 {
				i++
			}
		}
		out = append(out, pattern[i])
	}
	return out
}

// isMatchAll reports whether pattern selects every key, as Redis's KEYS and
// SCAN decide it (exactly "*", or no pattern at all).
func isMatchAll(pattern []byte) bool {
	return pattern == nil || (len(pattern) == 1 && pattern[0] == '*')
}
