package config

import (
	"testing"

	"github.com/BurntSushi/toml"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		reason string
	}{
		{"0", 0, ""},
		{"100", 100, ""},
		{"100b", 100, ""},
		{"100B", 100, ""},
		{"1k", 1000, ""},
		{"1kb", 1024, ""},
		{"64KB", 64 << 10, ""},
		{"1m", 1000000, ""},
		{"1mb", 1 << 20, ""},
		{"512mb", 512 << 20, ""},
		{"512Mb", 512 << 20, ""},
		{"1g", 1000000000, ""},
		{"1gb", 1 << 30, ""},
		{"1GB", 1 << 30, ""},
		{"8589934591gb", 8589934591 << 30, ""},
		{"8589934592gb", 0, reasonTooLarge},
		{"99999999999999999999", 0, reasonTooLarge},
		{"", 0, reasonSize},
		{"mb", 0, reasonSize},
		{"-1", 0, reasonSize},
		{"-1mb", 0, reasonSize},
		{"1.5mb", 0, reasonSize},
		{"1 mb", 0, reasonSize},
		{"1tb", 0, reasonSize},
		{"1mbb", 0, reasonSize},
		{" 1", 0, reasonSize},
	}
	for _, tt := range tests {
		got, reason := parseSize(tt.in)
		if got != tt.want || reason != tt.reason {
			t.Errorf("parseSize(%q) = %d, %q; want %d, %q", tt.in, got, reason, tt.want, tt.reason)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 100: "100", 1024: "1kb", 1000: "1000", 3 << 20: "3mb",
		1<<20 + 1: "1048577", 2 << 30: "2gb", 1536 << 10: "1536kb",
	} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
		if back, reason := parseSize(formatSize(n)); reason != "" || back != n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %q", n, back, reason)
		}
	}
	if got := sizeLiteral(1 << 20); got != `"1mb"` {
		t.Errorf("sizeLiteral(1mb) = %s", got)
	}
	if got := sizeLiteral(1000); got != `1000` {
		t.Errorf("sizeLiteral(1000) = %s", got)
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"yes": true, "YES": true, "true": true, "True": true, "no": false, "false": false, "NO": false} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "1", "0", "y", "on", "off"} {
		if _, ok := parseBool(in); ok {
			t.Errorf("parseBool(%q) accepted", in)
		}
	}
}

func TestTOMLQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b`, `back\slash`, "tab\tnew\nline\r", "ctl\x01\x7f", "ünï", "#not a comment"} {
		var v struct{ S string }
		if _, err := toml.Decode("S = "+tomlQuote(s), &v); err != nil {
			t.Errorf("tomlQuote(%q) = %s: %v", s, tomlQuote(s), err)
			continue
		}
		if v.S != s {
			t.Errorf("tomlQuote(%q) decodes to %q", s, v.S)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "port", true},
		{"*", "", true},
		{"port", "port", true},
		{"PORT", "port", true},
		{"port", "ports", false},
		{"p?rt", "port", true},
		{"p?rt", "prt", false},
		{"*max*", "maxclients", true},
		{"*max*", "runtime.max-pipeline", true},
		{"storage.*", "storage.engine", true},
		{"storage.*", "storage", false},
		{"*.engine", "storage.engine", true},
		{"[pq]ort", "port", true},
		{"[^p]ort", "port", false},
		{"[^q]ort", "port", true},
		{"[a-z]ort", "port", true},
		{"[z-a]ort", "port", true},
		{"[A-Z]ort", "port", true},
		{"[0-9]ort", "port", false},
		{`p\ort`, "port", true},
		{`p\*rt`, "p*rt", true},
		{`p\*rt`, "port", false},
		{"[\\]]x", "]x", true},
		{"[abc", "a", true},
		{"[abc", "ab", false},
		{"**a**", "bab", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
