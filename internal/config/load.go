package config

import (
	"errors"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// LoadFile reads the TOML file at path over the defaults and validates the
// result. It returns every problem found, each an *Error, joined with
// errors.Join.
func LoadFile(path string) (*Config, error) {
	c := Default()
	if errs := c.applyFile(path); len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// applyFile sets the options the TOML file at path gives. It returns the
// problems found; options with a problem are left unchanged.
func (c *Config) applyFile(path string) []*Error {
	data, err := os.ReadFile(path)
	if err != nil {
		return []*Error{{Reason: err.Error(), Err: errors.Join(ErrSyntax, err)}}
	}
	return c.applyTOML(path, string(data))
}

// applyTOML sets the options a TOML document gives; file names it in
// errors.
//
// The document is decoded into toml.Primitive values, one table at a time,
// and each key is checked against the option table, so that every unknown
// key and every bad value is reported (a decode into a struct stops at the
// first error, and matches keys case-insensitively). Keys are visited in
// file order.
func (c *Config) applyTOML(file, data string) []*Error {
	var top map[string]toml.Primitive
	md, err := toml.Decode(data, &top)
	if err != nil {
		e := &Error{Source: file, Reason: "invalid TOML: " + err.Error(), Err: errors.Join(ErrSyntax, err)}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Reason = pe.Position.Line, "invalid TOML: "+pe.Message
		}
		return []*Error{e}
	}
	d := &tomlDoc{file: file, md: &md, tables: map[string]map[string]toml.Primitive{"": top}}

	var errs []*Error
	done := map[string]bool{} // keys reported or handled with everything under them
	for _, key := range md.Keys() {
		if d.under(done, key) {
			continue
		}
		name := strings.Join(key, ".")
		switch {
		case len(key) == 1 && sections[key[0]]:
			if _, ok := d.table(key); !ok {
				raw, line := d.value(key)
				errs = append(errs, &Error{Source: file, Line: line, Option: name, Value: rawLiteral(raw),
					Reason: "must be a table: write [" + name + "] above its options", Err: ErrInvalidValue})
				done[name] = true
			}
		case len(key) <= 2 && byName[name] != nil:
			o := byName[name]
			raw, line := d.value(key)
			done[name] = true
			v, reason := o.fromTOML(raw)
			value := rawLiteral(raw)
			if reason == "" {
				value = o.literal(v)
				reason = o.check(v)
			}
			if reason != "" {
				errs = append(errs, &Error{Source: file, Line: line, Option: name, Value: value, Reason: reason, Err: ErrInvalidValue})
				continue
			}
			o.store(c, v)
		default:
			_, line := d.value(key)
			errs = append(errs, &Error{Source: file, Line: line, Option: name,
				Reason: unknownReason(name, ""), Err: ErrUnknownOption})
			done[name] = true
		}
	}
	return errs
}

// tomlDoc is a decoded TOML document being walked key by key.
type tomlDoc struct {
	file   string
	md     *toml.MetaData
	tables map[string]map[string]toml.Primitive // by dotted key; "" is the root
}

// under reports whether key or one of its parents is in done.
func (d *tomlDoc) under(done map[string]bool, key toml.Key) bool {
	for i := 1; i <= len(key); i++ {
		if done[strings.Join(key[:i], ".")] {
			return true
		}
	}
	return false
}

// table returns the table at key, decoding it on first use; ok is false if
// key is not a table.
func (d *tomlDoc) table(key toml.Key) (map[string]toml.Primitive, bool) {
	name := strings.Join(key, ".")
	if t, ok := d.tables[name]; ok {
		return t, t != nil
	}
	var t map[string]toml.Primitive
	parent, ok := d.table(key[:len(key)-1])
	if ok {
		if p, found := parent[key[len(key)-1]]; found {
			if err := d.md.PrimitiveDecode(p, &t); err != nil {
				t = nil
			}
		}
	}
	d.tables[name] = t
	return t, t != nil
}

// value returns the decoded value at key (string, int64, float64, bool,
// time, array or table) and its line in the file (0 if unknown).
func (d *tomlDoc) value(key toml.Key) (raw any, line int) {
	parent, ok := d.table(key[:len(key)-1])
	if !ok {
		return nil, 0
	}
	p, ok := parent[key[len(key)-1]]
	if !ok {
		return nil, 0
	}
	// The TOML library gives a key's position only in the errors it
	// returns, so the probe captures the value and fails on purpose.
	var pr probe
	err := d.md.PrimitiveDecode(p, &pr)
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line = pe.Position.Line
	}
	return pr.raw, line
}

// probe is a toml.Unmarshaler that keeps the raw value and returns
// errProbe, which the decoder turns into a toml.ParseError with the key's
// position.
type probe struct{ raw any }

var errProbe = errors.New("probe")

// UnmarshalTOML implements toml.Unmarshaler.
func (p *probe) UnmarshalTOML(raw any) error {
	p.raw = raw
	return errProbe
}

// joinErrors joins errs with errors.Join; nil if there are none.
func joinErrors(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
