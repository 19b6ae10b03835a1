package config

// KV is one option and its value as CONFIG GET reports it.
type KV struct {
	Name  string // dotted option name, lower case
	Value string // as String returns it
}

// Get returns the options whose name matches one of the Redis glob
// patterns (*, ?, [abc], [^a-z], \x; case-insensitive, as CONFIG GET
// matches), with their values, in option table order and each once.
// Top-level options (Redis's names) are matched by their plain name,
// section options by their dotted name: "*" matches everything,
// "storage.*" the [storage] section, "*max*" both maxclients and
// runtime.max-pipeline.
func (c *Config) Get(patterns ...string) []KV {
	var kvs []KV
	for _, o := range options {
		for _, p := range patterns {
			if globMatch(p, o.name) {
				kvs = append(kvs, KV{Name: o.name, Value: o.redisString(o.load(c))})
				break
			}
		}
	}
	return kvs
}

// String returns name's value as CONFIG GET reports it (sizes as a byte
// count, durations as Go durations, booleans as yes/no), and false if name
// is not an option. Names are matched ignoring case.
func (c *Config) String(name string) (string, bool) {
	o := lookup(name)
	if o == nil {
		return "", false
	}
	return o.redisString(o.load(c)), true
}

// Set sets one option from its text, as CONFIG SET does; see SetMany.
func (c *Config) Set(name, value string) error {
	return c.SetMany([][2]string{{name, value}})
}

// SetMany sets options from name/value pairs, as CONFIG SET name value
// [name value …] does: all of them or, on error, none. Names are matched
// ignoring case; values are read as on the command line. It refuses an
// unknown name, a restart-only option, a name given twice, a value of the
// wrong type or out of its range, and a result that breaks a rule between
// options. The error is a *SetError whose message is Redis's reply.
//
// SetMany modifies c; to change a Config others are reading, call it on a
// Clone and publish the clone.
func (c *Config) SetMany(pairs [][2]string) error {
	next := *c
	seen := make(map[*option]bool, len(pairs))
	given := make(map[string]string, len(pairs)) // option name → name as given
	for _, p := range pairs {
		name, value := p[0], p[1]
		o := lookup(name)
		switch {
		case o == nil:
			return &SetError{Name: name, Reason: "unknown option", Err: ErrUnknownOption}
		case seen[o]:
			return &SetError{Name: name, Reason: "duplicate parameter", Err: ErrInvalidValue}
		case !o.live:
			return &SetError{Name: name, Reason: "option is not mutable at runtime (restart required)", Err: ErrNotMutable}
		}
		seen[o] = true
		given[o.name] = name
		v, reason := o.fromText(value)
		if reason == "" && o.merge != nil {
			v, reason = o.merge(o.load(&next).(string), value)
		}
		if reason == "" {
			reason = o.check(v)
		}
		if reason != "" {
			return &SetError{Name: name, Reason: reason, Err: ErrInvalidValue}
		}
		o.store(&next, v)
	}
	for _, k := range constraints {
		reason := k.check(&next)
		if reason == "" {
			continue
		}
		// Blame an argument the client gave, and phrase the rule about
		// the first option it names.
		blame := ""
		for _, n := range k.names {
			if g, ok := given[n]; ok && blame == "" {
				blame = g
			}
		}
		if blame == "" {
			blame = k.names[0]
		}
		return &SetError{Name: blame, Reason: k.names[0] + " " + reason, Err: ErrInvalidValue}
	}
	*c = next
	return nil
}

// globMatch reports whether s matches the Redis glob pattern, ignoring
// case. It follows Redis's stringmatchlen: * any run, ? one byte, [set]
// with ranges a-z and ^ negation, \ escapes the next byte; an unclosed [
// takes the rest of the pattern as the set.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			pattern = pattern[1:]
			not := len(pattern) > 0 && pattern[0] == '^'
			if not {
				pattern = pattern[1:]
			}
			c := lower(s[0])
			match := false
			for len(pattern) > 0 && pattern[0] != ']' {
				switch {
				case pattern[0] == '\\' && len(pattern) >= 2:
					if lower(pattern[1]) == c {
						match = true
					}
					pattern = pattern[2:]
				case len(pattern) >= 3 && pattern[1] == '-':
					lo, hi := lower(pattern[0]), lower(pattern[2])
					if lo > hi {
						lo, hi = hi, lo
					}
					if c >= lo && c <= hi {
						match = true
					}
					pattern = pattern[3:]
				default:
					if lower(pattern[0]) == c {
						match = true
					}
					pattern = pattern[1:]
				}
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
			if len(pattern) == 0 { // unclosed [: the set ran to the end
				return len(s) == 0
			}
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || lower(pattern[0]) != lower(s[0]) {
				return false
			}
			s = s[1:]
		}
		pattern = pattern[1:]
	}
	return len(s) == 0
}

// lower folds an ASCII letter to lower case.
func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
