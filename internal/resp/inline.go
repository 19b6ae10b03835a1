package resp

// This file holds the inline request splitter: Redis's sdssplitargs, done in
// place.

// isSpace reports whether c is a space in the C locale's isspace: space,
// \t, \n, \v, \f, \r. Bytes >= 0x80 are not spaces.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// hexVal returns the value of the hex digit c, and whether c is one.
func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitInline splits an inline request line into arguments with the rules of
// Redis's sdssplitargs, and appends each argument to spans as offsets
// relative to line[0] plus base. Arguments are unescaped in place: an
// argument never grows when unescaped and starts where its token starts, so
// the output never overtakes the input. line must not include the line
// terminator.
//
// The rules:
//   - arguments are separated by spaces (C isspace); leading and trailing
//     spaces are ignored;
//   - an unquoted argument ends at ' ', '\t', '\r' or '\n' (not at '\v' or
//     '\f', which only count as separators before an argument);
//   - a double quote (anywhere in an argument) starts a quoted part in which
//     \xHH (two hex digits), \n, \r, \t, \b, \a are escapes and \ followed by
//     any other byte is that byte;
//   - a single quote starts a quoted part in which only \' is an escape;
//   - a closing quote must be followed by a space or the end of the line,
//     and a quoted part must be closed, else the request is refused with
//     ErrUnbalancedQuotes.
//
// Unlike Redis, whose C string functions stop at a NUL byte, a NUL is an
// ordinary byte here (Redis would wait for a newline it never finds).
func splitInline(line []byte, base int, spans []span) ([]span, error) {
	n := len(line)
	p := 0
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p >= n {
			return spans, nil
		}
		start, o := p, p // o is the write position, always <= p
		inq, insq := false, false
	token:
		for {
			switch {
			case inq:
				if p >= n {
					return spans, ErrUnbalancedQuotes
				}
				c := line[p]
				if c == '\\' && p+3 < n && line[p+1] == 'x' {
					hi, ok1 := hexVal(line[p+2])
					lo, ok2 := hexVal(line[p+3])
					if ok1 && ok2 {
						line[o] = hi<<4 | lo
						o++
						p += 4
						continue
					}
				}
				switch {
				case c == '\\' && p+1 < n:
					p++
					switch c = line[p]; c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					line[o] = c
					o++
					p++
				case c == '"':
					if p+1 < n && !isSpace(line[p+1]) {
						return spans, ErrUnbalancedQuotes
					}
					p++
					break token
				default:
					line[o] = c
					o++
					p++
				}
			case insq:
				if p >= n {
					return spans, ErrUnbalancedQuotes
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < n && line[p+1] == '\'':
					line[o] = '\''
					o++
					p += 2
				case c == '\'':
					if p+1 < n && !isSpace(line[p+1]) {
						return spans, ErrUnbalancedQuotes
					}
					p++
					break token
				default:
					line[o] = c
					o++
					p++
				}
			default:
				if p >= n {
					break token
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t':
					p++
					break token
				case '"':
					inq = true
					p++
				case '\'':
					insq = true
					p++
				default:
					line[o] = c
					o++
					p++
				}
			}
		}
		spans = append(spans, span{start: base + start, end: base + o})
	}
}
