package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Binary size units, as Redis's kb, mb and gb.
const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// Reasons given when a value cannot be read as the option's type.
const (
	reasonInt      = "must be an integer"
	reasonSize     = `must be a size: a byte count, or a number with unit b, k, kb, m, mb, g or gb (such as "64kb" or "512mb")`
	reasonDuration = `must be a duration such as "100ms", "5s" or "1m"`
	reasonBoolText = "must be yes, no, true or false"
	reasonBoolTOML = "must be true or false (a TOML boolean, without quotes)"
	reasonString   = "must be a string (in quotes)"
	reasonTooLarge = "is too large"
)

// fromText reads a value given as text (command line, CONFIG SET). It
// returns the value as load returns it, or the reason it cannot be read.
// The value's rule is not checked: see check.
func (o *option) fromText(s string) (any, string) {
	switch o.kind {
	case kindString:
		if o.merge != nil {
			return o.merge("", s)
		}
		return s, ""
	case kindEnum:
		return strings.ToLower(s), ""
	case kindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, reasonTooLarge
			}
			return nil, reasonInt
		}
		return n, ""
	case kindSize:
		n, reason := parseSize(s)
		if reason != "" {
			return nil, reason
		}
		return n, ""
	case kindDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, reasonDuration
		}
		return int64(d), ""
	case kindBool:
		b, ok := parseBool(s)
		if !ok {
			return nil, reasonBoolText
		}
		return b, ""
	}
	return nil, "has an unsupported type"
}

// fromTOML reads a value decoded from TOML (string, int64, float64, bool,
// time, array or table). Sizes may be integers (bytes) or strings with a
// unit; durations must be strings, because a bare number does not say its
// unit; booleans must be TOML booleans.
func (o *option) fromTOML(raw any) (any, string) {
	switch o.kind {
	case kindString, kindEnum:
		s, ok := raw.(string)
		if !ok {
			if o.kind == kindEnum {
				return nil, "must be " + o.ruleText() + " (a string, in quotes)"
			}
			return nil, reasonString
		}
		return o.fromText(s)
	case kindInt:
		n, ok := raw.(int64)
		if !ok {
			return nil, reasonInt
		}
		return n, ""
	case kindSize:
		switch v := raw.(type) {
		case int64:
			return v, ""
		case string:
			return o.fromText(v)
		}
		return nil, reasonSize
	case kindDuration:
		s, ok := raw.(string)
		if !ok {
			return nil, reasonDuration + ` (a string, in quotes; a bare number has no unit)`
		}
		return o.fromText(s)
	case kindBool:
		b, ok := raw.(bool)
		if !ok {
			return nil, reasonBoolTOML
		}
		return b, ""
	}
	return nil, "has an unsupported type"
}

// literal formats v (as load returns it) as a TOML value: the form used by
// the default config file, the docs and error messages.
func (o *option) literal(v any) string {
	switch o.kind {
	case kindString, kindEnum:
		return tomlQuote(v.(string))
	case kindSize:
		return sizeLiteral(v.(int64))
	case kindDuration:
		return tomlQuote(time.Duration(v.(int64)).String())
	}
	return fmt.Sprint(v)
}

// redisString formats v (as load returns it) as CONFIG GET reports it:
// sizes as a byte count, durations as Go durations, booleans as yes/no.
func (o *option) redisString(v any) string {
	switch o.kind {
	case kindString, kindEnum:
		return v.(string)
	case kindDuration:
		return time.Duration(v.(int64)).String()
	case kindBool:
		if v.(bool) {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(v)
}

// parseSize reads a size the way Redis's memtoull does: decimal digits and
// an optional case-insensitive unit, b (1), k (1000), kb (1024), m
// (1000²), mb (1024²), g (1000³) or gb (1024³). It returns the number of
// bytes, or the reason s is not a size.
func parseSize(s string) (int64, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, reasonSize
	}
	var mul int64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = kib
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = mib
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = gib
	default:
		return 0, reasonSize
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mul {
		return 0, reasonTooLarge
	}
	return n * mul, ""
}

// formatSize writes n with the largest binary unit that divides it
// ("512mb", "64kb"), or as a plain byte count.
func formatSize(n int64) string {
	switch {
	case n > 0 && n%gib == 0:
		return fmt.Sprintf("%dgb", n/gib)
	case n > 0 && n%mib == 0:
		return fmt.Sprintf("%dmb", n/mib)
	case n > 0 && n%kib == 0:
		return fmt.Sprintf("%dkb", n/kib)
	}
	return strconv.FormatInt(n, 10)
}

// sizeLiteral is formatSize as a TOML value: a quoted string with a unit,
// or a bare integer.
func sizeLiteral(n int64) string {
	s := formatSize(n)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	return `"` + s + `"`
}

// parseBool reads yes/no/true/false, ignoring case, as Redis's CONFIG SET
// reads yes/no.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "true":
		return true, true
	case "no", "false":
		return false, true
	}
	return false, false
}

// tomlQuote writes s as a TOML basic string. Unlike strconv.Quote it uses
// only escapes TOML has.
func tomlQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// rawLiteral formats a TOML value that could not be read as the option's
// type, for an error message.
func rawLiteral(raw any) string {
	switch v := raw.(type) {
	case string:
		return tomlQuote(v)
	case map[string]any:
		return "(a table)"
	case []any, []map[string]any:
		return "(an array)"
	}
	return fmt.Sprint(raw)
}
