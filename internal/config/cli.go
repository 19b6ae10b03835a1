package config

import (
	"fmt"
	"strings"
)

// Action tells the command what Parse asks it to do.
type Action int

const (
	// ActionRun: run the server with the returned Config.
	ActionRun Action = iota
	// ActionHelp: print Usage and exit (--help, -h).
	ActionHelp
	// ActionDefaultConfig: print DefaultTOML and exit (--default-config).
	ActionDefaultConfig
	// ActionVersion: print the version and exit (--version, -v).
	ActionVersion
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case ActionRun:
		return "run"
	case ActionHelp:
		return "help"
	case ActionDefaultConfig:
		return "default-config"
	case ActionVersion:
		return "version"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Command-line flags that are not options.
const (
	flagConfig        = "config"
	flagDefaultConfig = "default-config"
	flagHelp          = "help"
	flagVersion       = "version"
)

// flagNames are offered as suggestions for unknown command-line names.
var flagNames = []string{flagConfig, flagDefaultConfig, flagHelp, flagVersion}

// Parse reads the command line (the arguments after the program name):
//
//	kiwi [FILE] [--config FILE] [--<option> <value> | --<option>=<value>]...
//	kiwi --help | -h | --version | -v | --default-config
//
// For ActionRun it returns the Config made of the defaults, then the config
// file (given with --config, or as the first argument as redis-server
// takes it), then the --<option> overrides in order (the last one wins),
// validated. Option names are the dotted TOML names, matched ignoring case;
// values are read as CONFIG SET reads them (sizes with units, durations
// such as "100ms", booleans yes/no/true/false). Every problem found is
// returned, each an *Error, joined with errors.Join.
//
// When --help, --version or --default-config is given, Parse returns that
// action (the first one given) with Default() and no error, whatever the
// other arguments are.
func Parse(args []string) (*Config, Action, error) {
	type override struct{ name, value string }
	var (
		file      string
		fileGiven bool
		overrides []override
		errs      []*Error
		action    = ActionRun
	)
	cmdErr := func(option, value, reason string, sentinel error) {
		errs = append(errs, &Error{Source: sourceCommandLine, Option: option, Value: value, Reason: reason, Err: sentinel})
	}
	setAction := func(a Action) {
		if action == ActionRun {
			action = a
		}
	}
	setFile := func(path string) {
		switch {
		case fileGiven:
			cmdErr("--config", tomlQuote(path), "only one config file may be given", ErrInvalidValue)
		case path == "":
			cmdErr("--config", `""`, "must be a file name", ErrInvalidValue)
		default:
			file, fileGiven = path, true
		}
	}

	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "-h":
			setAction(ActionHelp)
		case arg == "-v":
			setAction(ActionVersion)
		case strings.HasPrefix(arg, "--") && len(arg) > 2:
			name, value, hasValue := strings.Cut(arg[2:], "=")
			switch strings.ToLower(name) {
			case flagHelp, flagVersion, flagDefaultConfig:
				if hasValue {
					cmdErr("--"+name, tomlQuote(value), "takes no value", ErrInvalidValue)
					continue
				}
				setAction(map[string]Action{flagHelp: ActionHelp, flagVersion: ActionVersion,
					flagDefaultConfig: ActionDefaultConfig}[strings.ToLower(name)])
				continue
			}
			if !hasValue {
				if i+1 == len(args) {
					cmdErr("--"+name, "", "missing value (write --"+name+" <value> or --"+name+"=<value>)", ErrInvalidValue)
					continue
				}
				i++
				value = args[i]
			}
			if strings.EqualFold(name, flagConfig) {
				setFile(value)
				continue
			}
			overrides = append(overrides, override{name, value})
		case i == 0 && !strings.HasPrefix(arg, "-"):
			setFile(arg) // redis-server style: kiwi kiwi.toml --port 7380
		default:
			cmdErr("", "", fmt.Sprintf("unexpected argument %s (options are written --<option> <value>)",
				tomlQuote(arg)), ErrInvalidValue)
		}
	}
	if action != ActionRun {
		return Default(), action, nil
	}

	c := Default()
	if fileGiven {
		errs = append(errs, c.applyFile(file)...)
	}
	for _, ov := range overrides {
		if e := c.applyText(ov.name, ov.value); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, ActionRun, joinErrors(errs)
	}
	if err := c.Validate(); err != nil {
		return nil, ActionRun, err
	}
	return c, ActionRun, nil
}

// applyText sets one option given on the command line.
func (c *Config) applyText(name, value string) *Error {
	o := lookup(name)
	if o == nil {
		return &Error{Source: sourceCommandLine, Option: "--" + name,
			Reason: unknownReason(name, "--", flagNames...), Err: ErrUnknownOption}
	}
	v, reason := o.fromText(value)
	shown := tomlQuote(value)
	if reason == "" {
		shown = o.literal(v)
		reason = o.check(v)
	}
	if reason != "" {
		return &Error{Source: sourceCommandLine, Option: o.name, Value: shown, Reason: reason, Err: ErrInvalidValue}
	}
	o.store(c, v)
	return nil
}

// Usage returns the --help text: how to call kiwi, the flags, and every
// option with its type, help, default and rule.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage:
  kiwi [FILE] [--config FILE] [--<option> <value> | --<option>=<value>]...
  kiwi --help | --version | --default-config

Kiwi is a Redis-compatible, persistent key-value server. Each option is
taken from the defaults, then the TOML config file, then the command line,
each overriding the one before. On the command line an option is written
with its dotted TOML name: --port 7380, --storage.engine=leveldb.

Values: a size is a byte count or a number with a unit (k=1000, kb=1024,
m, mb, g, gb: "64kb", "512mb"); a duration is a Go duration ("100ms",
"5s", "1m"); a boolean is yes, no, true or false.

Flags:
  --config FILE
        Read options from the TOML file FILE (also: FILE as first argument).
  --default-config
        Print the default configuration as a commented TOML file and exit.
  -h, --help
        Print this help and exit.
  -v, --version
        Print the version and exit.

Options ([live]: can be changed at runtime with CONFIG SET):
`)
	for _, o := range options {
		fmt.Fprintf(&b, "  --%s %s", o.name, o.typeHint())
		if o.live {
			b.WriteString("  [live]")
		}
		def := o.redisString(o.load(&defaults))
		switch {
		case def == "":
			def = `""`
		case o.kind == kindSize:
			def = formatSize(o.load(&defaults).(int64))
		}
		fmt.Fprintf(&b, "\n        %s Default %s", o.help, def)
		if r := o.ruleText(); r != "" {
			fmt.Fprintf(&b, "; %s", r)
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// typeHint is the value placeholder shown in --help.
func (o *option) typeHint() string {
	if o.kind == kindEnum {
		return strings.Join(o.enum, "|")
	}
	return o.kind.String()
}
