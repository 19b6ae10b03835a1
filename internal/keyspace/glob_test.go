package keyspace

import (
	"bytes"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", false}, // as stringmatchlen; KEYS/SCAN special-case "*"
		{"a*", "a", true},
		{"*", "anything", true},
		{"**", "x", true},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h*llo", "hllo", true},
		{"h*llo", "heeeello", true},
		{"h[ae]llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"h[b-a]llo", "hallo", true}, // reversed range
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{`h[\]]llo`, "h]llo", true},
		{`h[\-]llo`, "h-llo", true},
		// Range a..']' (swapped to ']'..'a'), then the class runs
		// unterminated to the end of the pattern (checked on redis-server).
		{"h[a-]llo", "h]llo", false},
		{"h[a-]llo", "h]", true},
		{"[abc", "a", true}, // unterminated class
		{"[abc", "d", false},
		{"[^", "x", true},
		{"[", "x", false},
		{`ab\`, `ab\`, true}, // trailing backslash matches itself
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"user:*", "user:1", true},
		{"user:*", "users", false},
		{"[\x80-\xff]", "\x90", true}, // both negative as signed char
		{"[a-\xff]", "\x00", true},    // 0xff is -1: range -1..'a'
		{"[a-\xff]", "\x90", false},   // -112 is outside -1..'a'
		{"?", "", false},
	}
	for _, tt := range tests {
		if got := Match([]byte(tt.pat), []byte(tt.s)); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
		if got := refMatch([]byte(tt.pat), []byte(tt.s)); got != tt.want {
			t.Errorf("refMatch(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestGlobPrefix(t *testing.T) {
	tests := []struct{ pat, want string }{
		{"", ""}, {"*", ""}, {"abc", "abc"}, {"user:*", "user:"}, {"a?c", "a"},
		{"ab[c]", "ab"}, {`a\*b*`, "a*b"}, {`ab\`, `ab\`},
	}
	for _, tt := range tests {
		if got := globPrefix([]byte(tt.pat)); string(got) != tt.want {
			t.Errorf("globPrefix(%q) = %q, want %q", tt.pat, got, tt.want)
		}
	}
}

// globToken is one element of a pattern in the reference matcher.
type globToken struct {
	kind   byte // '*', '?', 'l' literal, '[' class
	lit    byte
	not    bool
	ranges [][2]int8 // class members as inclusive signed ranges
	eqs    []byte    // class members compared as bytes
}

// refMatch is an independent reference for Match: it parses the pattern
// into tokens with Redis's rules, then matches by dynamic programming.
func refMatch(pat, s []byte) bool {
	if len(s) == 0 {
		// stringmatchlen never enters its loop for an empty string.
		return len(pat) == 0
	}
	var toks []globToken
	for i := 0; i < len(pat); {
		switch c := pat[i]; {
		case c == '*':
			if len(toks) == 0 || toks[len(toks)-1].kind != '*' {
				toks = append(toks, globToken{kind: '*'})
			}
			i++
		case c == '?':
			toks = append(toks, globToken{kind: '?'})
			i++
		case c == '[':
			i++
			tok := globToken{kind: '['}
			if i < len(pat) && pat[i] == '^' {
				tok.not = true
				i++
			}
			for {
				if i < len(pat) && pat[i] == '\\' && len(pat)-i >= 2 {
					tok.eqs = append(tok.eqs, pat[i+1])
					i += 2
				} else if i < len(pat) && pat[i] == ']' {
					i++
					break
				} else if i >= len(pat) {
					break
				} else if len(pat)-i >= 3 && pat[i+1] == '-' {
					a, b := int8(pat[i]), int8(pat[i+2])
					tok.ranges = append(tok.ranges, [2]int8{min(a, b), max(a, b)})
					i += 3
				} else {
					tok.eqs = append(tok.eqs, pat[i])
					i++
				}
			}
			toks = append(toks, tok)
		case c == '\\' && len(pat)-i >= 2:
			toks = append(toks, globToken{kind: 'l', lit: pat[i+1]})
			i += 2
		default:
			toks = append(toks, globToken{kind: 'l', lit: c})
			i++
		}
	}
	one := func(tok globToken, c byte) bool {
		switch tok.kind {
		case '?':
			return true
		case 'l':
			return tok.lit == c
		}
		in := bytes.IndexByte(tok.eqs, c) >= 0
		for _, r := range tok.ranges {
			if int8(c) >= r[0] && int8(c) <= r[1] {
				in = true
			}
		}
		return in != tok.not
	}
	// m[j] reports whether toks[i:] matches s[j:], computed from the end.
	m := make([]bool, len(s)+1)
	m[len(s)] = true
	for i := len(toks) - 1; i >= 0; i-- {
		next := make([]bool, len(s)+1)
		for j := len(s); j >= 0; j-- {
			if toks[i].kind == '*' {
				next[j] = m[j] || (j < len(s) && next[j+1])
			} else {
				next[j] = j < len(s) && one(toks[i], s[j]) && m[j+1]
			}
		}
		m = next
	}
	return m[0]
}

// FuzzMatch checks that Match never panics and agrees with refMatch.
func FuzzMatch(f *testing.F) {
	f.Add([]byte("h*llo"), []byte("hello"))
	f.Add([]byte("[a-z]*"), []byte("abc"))
	f.Add([]byte(`[\`), []byte("x"))
	f.Add([]byte("*?*"), []byte("ab"))
	f.Fuzz(func(t *testing.T, pat, s []byte) {
		if len(pat) > 64 || len(s) > 64 {
			return
		}
		if got, want := Match(pat, s), refMatch(pat, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", pat, s, got, want)
		}
	})
}

// TestMatchNestingLimit is Redis's "Regression for pattern matching very
// long nested loops": past 1000 nested '*' a pattern matches nothing.
func TestMatchNestingLimit(t *testing.T) {
	str := bytes.Repeat([]byte("a"), 50000)
	if Match(bytes.Repeat([]byte("*?"), 50000), str) {
		t.Fatal("deeply nested pattern matched")
	}
	if !Match(bytes.Repeat([]byte("*?"), 500), str) {
		t.Fatal("pattern within the nesting limit did not match")
	}
}
