package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseNoArgs(t *testing.T) {
	c, act, err := Parse(nil)
	if err != nil || act != ActionRun || !reflect.DeepEqual(c, Default()) {
		t.Fatalf("Parse(nil) = %+v, %v, %v", c, act, err)
	}
}

func TestParseOverrides(t *testing.T) {
	c, act, err := Parse([]string{
		"--port", "7380",
		"--storage.engine=leveldb",
		"--runtime.mode", "single",
		"--STORAGE.SYNC", "no", // names ignore case, as in Redis
		"--proto-max-bulk-len", "64mb",
		"--runtime.request-timeout=250ms",
		"--requirepass", "", // an empty value is a value
		"--save", "900 1 300 10",
		"--bind=::1",     // only the first = separates
		"--port", "7381", // the last one wins
	})
	if err != nil || act != ActionRun {
		t.Fatalf("Parse: %v, %v", act, err)
	}
	want := Default()
	want.Port = 7381
	want.Storage.Engine = "leveldb"
	want.Runtime.Mode = "single"
	want.Storage.Sync = false
	want.ProtoMaxBulkLen = 64 << 20
	want.Runtime.RequestTimeout = 250 * time.Millisecond
	want.Compat.Save = "900 1 300 10"
	want.Bind = "::1"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseEqualsInValue(t *testing.T) {
	c, _, err := Parse([]string{"--requirepass=a=b"})
	if err != nil || c.RequirePass != "a=b" {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
}

func TestParseCommandLineOverridesFile(t *testing.T) {
	path := writeFile(t, "port = 7000\nmaxclients = 5\n[storage]\nengine = \"leveldb\"\n")
	for _, args := range [][]string{
		{"--config", path, "--port", "7001"},
		{"--port", "7001", "--config", path}, // order does not matter: file first, then overrides
		{"--config=" + path, "--port=7001"},
		{path, "--port", "7001"}, // redis-server style positional file
	} {
		c, act, err := Parse(args)
		if err != nil || act != ActionRun {
			t.Fatalf("Parse(%q): %v", args, err)
		}
		if c.Port != 7001 || c.MaxClients != 5 || c.Storage.Engine != "leveldb" {
			t.Errorf("Parse(%q) = port %d, maxclients %d, engine %s", args, c.Port, c.MaxClients, c.Storage.Engine)
		}
	}
}

func TestParseCommandLineFixesFileContradiction(t *testing.T) {
	// Validation runs after the overrides: the file alone is contradictory.
	path := writeFile(t, "proto-max-bulk-len = \"2gb\"\n")
	if _, _, err := Parse([]string{"--config", path}); err == nil {
		t.Fatal("contradictory file accepted")
	}
	c, _, err := Parse([]string{"--config", path, "--client-query-buffer-limit", "4gb"})
	if err != nil || c.ProtoMaxBulkLen != 2<<30 {
		t.Fatalf("Parse = %v", err)
	}
}

func TestParseActions(t *testing.T) {
	tests := []struct {
		args []string
		want Action
	}{
		{[]string{"--help"}, ActionHelp},
		{[]string{"-h"}, ActionHelp},
		{[]string{"--version"}, ActionVersion},
		{[]string{"-v"}, ActionVersion},
		{[]string{"--default-config"}, ActionDefaultConfig},
		{[]string{"--port", "bad", "--help"}, ActionHelp}, // bad options do not hide help
		{[]string{"--bogus", "1", "--version", "--help"}, ActionVersion},
		{[]string{"--config", "/does/not/exist", "--default-config"}, ActionDefaultConfig},
	}
	for _, tt := range tests {
		c, act, err := Parse(tt.args)
		if err != nil || act != tt.want || c == nil {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.args, act, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--prot", "1"}, []string{`config: command line: --prot: unknown option (did you mean --port?)`}},
		{[]string{"--engine", "leveldb"}, []string{`config: command line: --engine: unknown option (did you mean --storage.engine?)`}},
		{[]string{"--confg", "x.toml"}, []string{`config: command line: --confg: unknown option (did you mean --config?)`}},
		{[]string{"--port", "70000"}, []string{`config: command line: port = 70000: must be between 0 and 65535`}},
		{[]string{"--port", "abc"}, []string{`config: command line: port = "abc": must be an integer`}},
		{[]string{"--port", "99999999999999999999"}, []string{`config: command line: port = "99999999999999999999": is too large`}},
		{[]string{"--storage.engine", "foo"}, []string{`config: command line: storage.engine = "foo": must be one of pebble, leveldb, rocksdb`}},
		{[]string{"--storage.sync", "maybe"}, []string{`config: command line: storage.sync = "maybe": must be yes, no, true or false`}},
		{[]string{"--storage.cache-size", "1xb"}, []string{`config: command line: storage.cache-size = "1xb": ` + reasonSize}},
		{[]string{"--storage.gc-interval", "100"}, []string{`config: command line: storage.gc-interval = "100": ` + reasonDuration}},
		{[]string{"--port"}, []string{`config: command line: --port: missing value (write --port <value> or --port=<value>)`}},
		{[]string{"--help=yes"}, []string{`config: command line: --help = "yes": takes no value`}},
		{[]string{"--port", "1", "stray"}, []string{`config: command line: unexpected argument "stray" (options are written --<option> <value>)`}},
		{[]string{"-p", "1"}, []string{
			`config: command line: unexpected argument "-p" (options are written --<option> <value>)`,
			`config: command line: unexpected argument "1" (options are written --<option> <value>)`,
		}},
		{[]string{"--config", ""}, []string{`config: command line: --config = "": must be a file name`}},
		{[]string{"--proto-max-bulk-len", "2gb"}, []string{`config: proto-max-bulk-len = "2gb": must not be larger than client-query-buffer-limit (1gb)`}},
		{ // every problem is reported, in order
			[]string{"--prot", "1", "--port", "x", "--databases", "300", "--log.level", "loud"},
			[]string{
				`config: command line: --prot: unknown option (did you mean --port?)`,
				`config: command line: port = "x": must be an integer`,
				`config: command line: databases = 300: must be between 1 and 256`,
				`config: command line: log.level = "loud": must be one of debug, info, warn, error`,
			},
		},
	}
	for _, tt := range tests {
		c, _, err := Parse(tt.args)
		if c != nil {
			t.Errorf("Parse(%q) returned a config with the error", tt.args)
		}
		got := errLines(err, "")
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("Parse(%q):\n%s\nwant:\n%s", tt.args, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

func TestParseConfigFileTwice(t *testing.T) {
	a, b := writeFile(t, "port = 1\n"), writeFile(t, "port = 2\n")
	_, _, err := Parse([]string{a, "--config", b})
	want := `config: command line: --config = "` + b + `": only one config file may be given`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse = %v, want %s", err, want)
	}
}

func TestParseFileAndCommandLineErrorsTogether(t *testing.T) {
	path := writeFile(t, "port = \"x\"\n")
	_, _, err := Parse([]string{"--config", path, "--maxclient", "3"})
	want := []string{
		`config: kiwi.toml:1: port = "x": must be an integer`,
		`config: command line: --maxclient: unknown option (did you mean --maxclients?)`,
	}
	if got := errLines(err, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !errors.Is(err, ErrUnknownOption) {
		t.Errorf("errors.Is(err, ErrUnknownOption) = false")
	}
}

func TestUsageListsEveryOption(t *testing.T) {
	u := Usage()
	for _, flag := range []string{"--config FILE", "--default-config", "--help", "--version"} {
		if !strings.Contains(u, flag) {
			t.Errorf("Usage lacks %s", flag)
		}
	}
	for _, o := range options {
		line := "  --" + o.name + " " + o.typeHint()
		if !strings.Contains(u, line) {
			t.Errorf("Usage lacks %q", line)
		}
	}
	for _, s := range []string{"Default 512mb", "Default 7379", "Default 127.0.0.1", "Default yes", "Default 100ms"} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage lacks %q", s)
		}
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{ActionRun: "run", ActionHelp: "help", ActionDefaultConfig: "default-config", ActionVersion: "version", Action(9): "Action(9)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q", int(a), a.String())
		}
	}
}
