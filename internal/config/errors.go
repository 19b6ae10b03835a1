package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is on the errors this package
// returns (*Error and *SetError wrap them).
var (
	// ErrUnknownOption: the name is not an option.
	ErrUnknownOption = errors.New("config: unknown option")
	// ErrInvalidValue: the value has the wrong type, breaks its option's
	// rule or a rule between options, or the command line is malformed.
	ErrInvalidValue = errors.New("config: invalid value")
	// ErrNotMutable: CONFIG SET of a restart-only option.
	ErrNotMutable = errors.New("config: option is not mutable at runtime")
	// ErrSyntax: the configuration file is not valid TOML, or cannot be read.
	ErrSyntax = errors.New("config: cannot read file")
)

// sourceCommandLine is Error.Source for problems on the command line.
const sourceCommandLine = "command line"

// Error is one problem found by Parse, LoadFile or Validate. Those return
// every problem found, each an *Error, joined with errors.Join; use
// errors.As to get the first one.
//
// Its message names where the problem is, the option, the value and the
// rule:
//
//	config: kiwi.toml:7: storage.engine = "foo": must be one of pebble, leveldb, rocksdb
//	config: command line: port = 70000: must be between 0 and 65535
//	config: kiwi.toml:3: storage.engin: unknown option (did you mean storage.engine?)
type Error struct {
	// Source is the config file name, "command line", or "" for Validate.
	Source string
	// Line is the 1-based line in the file, or 0 if unknown.
	Line int
	// Option is the dotted option name, or the name as written when it is
	// not an option (with its "--" on the command line); "" when the
	// problem is not about one option (a TOML syntax error).
	Option string
	// Value is the offending value as a TOML literal ("foo" in quotes,
	// 70000 bare), or "" when there is none to show.
	Value string
	// Reason says what is wrong: the rule that failed, "unknown option …".
	Reason string
	// Err is ErrUnknownOption, ErrInvalidValue or ErrSyntax, or the
	// underlying error (an *fs.PathError, a toml.ParseError).
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Source != "" {
		b.WriteString(e.Source)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Option != "" {
		b.WriteString(e.Option)
		if e.Value != "" {
			b.WriteString(" = ")
			b.WriteString(e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// SetError is the error of Set and SetMany. Its message is the reply Redis
// 7 gives to CONFIG SET, so the server can send it as is:
//
//	ERR Unknown option or number of arguments for CONFIG SET - 'foo'
//	ERR CONFIG SET failed (possibly related to argument 'storage.engine') - option is not mutable at runtime (restart required)
//	ERR CONFIG SET failed (possibly related to argument 'port') - must be between 0 and 65535
type SetError struct {
	// Name is the option name as the client gave it.
	Name string
	// Reason says what is wrong with it.
	Reason string
	// Err is ErrUnknownOption, ErrNotMutable or ErrInvalidValue.
	Err error
}

// Error implements error; the text is the Redis error reply, without the
// leading "-".
func (e *SetError) Error() string {
	if errors.Is(e.Err, ErrUnknownOption) {
		return fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", e.Name)
	}
	return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", e.Name, e.Reason)
}

// Unwrap returns Err.
func (e *SetError) Unwrap() error { return e.Err }

// unknownReason is the Reason of an unknown option, with a suggestion if a
// known name is close; prefix is prepended to the suggestion ("--" on the
// command line).
func unknownReason(name, prefix string, extra ...string) string {
	if s := suggest(name, extra...); s != "" {
		return fmt.Sprintf("unknown option (did you mean %s%s?)", prefix, s)
	}
	return "unknown option"
}
