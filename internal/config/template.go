package config

import (
	"fmt"
	"strings"
)

// DefaultTOML returns the default configuration as a commented TOML file:
// every option set to its default, each with its help, type, rule and
// whether it is live. Loading it gives Default(). kiwi --default-config
// prints it.
func DefaultTOML() string {
	var b strings.Builder
	b.WriteString(`# Kiwi configuration file (TOML), as printed by kiwi --default-config:
# every option, set to its default.
#
# Use it with: kiwi --config kiwi.toml
# Any option can also be given on the command line, which wins over this
# file: kiwi --config kiwi.toml --port 7380 --storage.engine=leveldb
#
# Sizes are a byte count (an integer) or a string with a unit: "64kb",
# "512mb", "1gb" (kb, mb, gb are 1024-based; k, m, g are 1000-based).
# Durations are strings such as "100ms", "5s" or "1m".
# Options marked "live" can be changed while Kiwi runs, with CONFIG SET;
# the others are read at start only.
`)
	section, compat := "", false
	for _, o := range options {
		if o.alias != "" {
			continue
		}
		sec, key := o.section()
		if o.compat && !compat {
			compat = true
			b.WriteString(`
# Redis compatibility options. Redis tools query them (redis-benchmark runs
# CONFIG GET save and CONFIG GET appendonly); Kiwi accepts, remembers and
# reports them, and they have no effect.
`)
		}
		if sec != section {
			section = sec
			fmt.Fprintf(&b, "\n[%s]\n", sec)
		}
		fmt.Fprintf(&b, "\n# %s\n# %s\n%s = %s\n", o.help, o.summary(), key, o.literal(o.load(&defaults)))
	}
	return b.String()
}

// summary is the second comment line of an option in DefaultTOML: type,
// rule, mutability.
func (o *option) summary() string {
	var parts []string
	if o.kind != kindEnum { // "one of …" says it
		parts = append(parts, o.kind.String())
	}
	if r := o.ruleText(); r != "" {
		parts = append(parts, r)
	}
	if o.live {
		parts = append(parts, "live")
	} else {
		parts = append(parts, "restart required")
	}
	return strings.Join(parts, "; ")
}

// Markers around the generated option table in docs/configuration.md.
const (
	docsBegin = "<!-- BEGIN OPTIONS: generated from internal/config/options.go by `go test ./internal/config -run TestDocs -update`; do not edit -->"
	docsEnd   = "<!-- END OPTIONS -->"
)

// markdownTable renders the option table for docs/configuration.md, one
// table per section.
func markdownTable() string {
	var b strings.Builder
	section := "-"
	for _, o := range options {
		if o.alias != "" {
			continue // documented with its option
		}
		sec, _ := o.section()
		title := ""
		switch {
		case sec != "":
			title = "`[" + sec + "]`"
		case o.compat:
			sec, title = "compat", "Redis compatibility options (no effect)"
		default:
			title = "Top level (Redis names)"
		}
		if sec != section {
			if section != "-" {
				b.WriteString("\n")
			}
			section = sec
			fmt.Fprintf(&b, "#### %s\n\n", title)
			b.WriteString("| Option | Type | Default | Live | Rule | Meaning |\n")
			b.WriteString("|---|---|---|---|---|---|\n")
		}
		live := "no"
		if o.live {
			live = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s | %s |\n",
			o.name, o.kind, mdEscape(o.literal(o.load(&defaults))), live, mdEscape(o.ruleText()), mdEscape(o.help))
	}
	return b.String()
}

// mdEscape escapes the characters that would break a Markdown table cell.
func mdEscape(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
