package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFile writes a config file in a temporary directory and returns its
// path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiwi.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// errLines splits a joined error into its messages, with the temporary
// file name replaced by "kiwi.toml".
func errLines(err error, path string) []string {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if path != "" {
		msg = strings.ReplaceAll(msg, path, "kiwi.toml")
	}
	return strings.Split(msg, "\n")
}

func TestDefaultTOMLRoundTrip(t *testing.T) {
	c, err := LoadFile(writeFile(t, DefaultTOML()))
	if err != nil {
		t.Fatalf("loading DefaultTOML: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("DefaultTOML loads as\n%+v\nwant\n%+v", c, Default())
	}
}

// TestNonDefaultRoundTrip writes every option with a value other than its
// default through the TOML literal form and reads it back.
func TestNonDefaultRoundTrip(t *testing.T) {
	want := Default()
	for _, pair := range [][2]string{
		{"bind", "0.0.0.0"}, {"port", "0"}, {"dir", `C:\data "x"`}, {"requirepass", "p#ss"},
		{"proto-max-bulk-len", "2000000"}, {"client-query-buffer-limit", "3gb"},
		{"appendonly", "yes"}, {"save", "3600 1"}, {"storage.sync", "no"},
		{"storage.engine", "leveldb"}, {"storage.expire-interval", "1m30s"},
		{"runtime.mode", "single"}, {"log.format", "json"},
	} {
		if e := want.applyText(pair[0], pair[1]); e != nil {
			t.Fatal(e)
		}
	}
	var b strings.Builder
	section := ""
	for _, o := range options {
		sec, key := o.section()
		if sec != section {
			section = sec
			b.WriteString("[" + sec + "]\n")
		}
		b.WriteString(key + " = " + o.literal(o.load(want)) + "\n")
	}
	got, err := LoadFile(writeFile(t, b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadFilePartial(t *testing.T) {
	path := writeFile(t, `
# only a few options; the rest keep their defaults
port = 7380
proto-max-bulk-len = 1048576     # an integer size is bytes
client-query-buffer-limit = "2GB"
storage.cache-size = "64m"        # dotted keys work too

[runtime]
mode = "single"
request-timeout = "250ms"

[log]
level = "DEBUG"                   # enum values ignore case
`)
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Port = 7380
	want.ProtoMaxBulkLen = 1 << 20
	want.ClientQueryBufferLimit = 2 << 30
	want.Storage.CacheSize = 64000000
	want.Runtime.Mode = "single"
	want.Runtime.RequestTimeout = 250 * time.Millisecond
	want.Log.Level = "debug"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{
			name: "unknown options with suggestions",
			file: "prot = 1\n[storage]\nengin = \"pebble\"\n[runtime]\nport = 1\n",
			want: []string{
				`config: kiwi.toml:1: prot: unknown option (did you mean port?)`,
				`config: kiwi.toml:3: storage.engin: unknown option (did you mean storage.engine?)`,
				`config: kiwi.toml:5: runtime.port: unknown option (did you mean port?)`,
			},
		},
		{
			name: "unknown option without a close name",
			file: "zzzzzz = 1\n",
			want: []string{`config: kiwi.toml:1: zzzzzz: unknown option`},
		},
		{
			name: "names are case-sensitive in the file",
			file: "Port = 1\n",
			want: []string{`config: kiwi.toml:1: Port: unknown option (did you mean port?)`},
		},
		{
			name: "unknown section reported once",
			file: "[cluster]\nnodes = 3\npeers = 1\n",
			want: []string{`config: kiwi.toml:1: cluster: unknown option`},
		},
		{
			name: "unknown sub-table",
			file: "[storage.pebble]\nx = 1\n",
			want: []string{`config: kiwi.toml:1: storage.pebble: unknown option`},
		},
		{
			name: "section that is not a table",
			file: "storage = \"pebble\"\n",
			want: []string{`config: kiwi.toml:1: storage = "pebble": must be a table: write [storage] above its options`},
		},
		{
			name: "wrong types",
			file: "port = \"7379\"\nbind = 1\nmaxclients = 1.5\n[storage]\nsync = \"yes\"\n" +
				"engine = 1\nexpire-interval = 100\ncache-size = true\n",
			want: []string{
				`config: kiwi.toml:1: port = "7379": must be an integer`,
				`config: kiwi.toml:2: bind = 1: must be a string (in quotes)`,
				`config: kiwi.toml:3: maxclients = 1.5: must be an integer`,
				`config: kiwi.toml:5: storage.sync = "yes": must be true or false (a TOML boolean, without quotes)`,
				`config: kiwi.toml:6: storage.engine = 1: must be one of pebble, leveldb, rocksdb (a string, in quotes)`,
				`config: kiwi.toml:7: storage.expire-interval = 100: must be a duration such as "100ms", "5s" or "1m" (a string, in quotes; a bare number has no unit)`,
				`config: kiwi.toml:8: storage.cache-size = true: ` + reasonSize,
			},
		},
		{
			name: "out of range",
			file: "port = 70000\ndatabases = 0\ntimeout = -1\nproto-max-bulk-len = \"1kb\"\n[runtime]\nrequest-timeout = \"0s\"\n",
			want: []string{
				`config: kiwi.toml:1: port = 70000: must be between 0 and 65535`,
				`config: kiwi.toml:2: databases = 0: must be between 1 and 256`,
				`config: kiwi.toml:3: timeout = -1: must be at least 0`,
				`config: kiwi.toml:4: proto-max-bulk-len = "1kb": must be at least 1mb`,
				`config: kiwi.toml:6: runtime.request-timeout = "0s": must be at least 1ms`,
			},
		},
		{
			name: "bad enum",
			file: "[storage]\nengine = \"foo\"\n[log]\nformat = \"xml\"\n",
			want: []string{
				`config: kiwi.toml:2: storage.engine = "foo": must be one of pebble, leveldb, rocksdb`,
				`config: kiwi.toml:4: log.format = "xml": must be one of text, json`,
			},
		},
		{
			name: "bad size and duration",
			file: "proto-max-bulk-len = \"512 mb\"\nclient-query-buffer-limit = \"1tb\"\n[storage]\ngc-interval = \"1 second\"\n",
			want: []string{
				`config: kiwi.toml:1: proto-max-bulk-len = "512 mb": ` + reasonSize,
				`config: kiwi.toml:2: client-query-buffer-limit = "1tb": ` + reasonSize,
				`config: kiwi.toml:4: storage.gc-interval = "1 second": ` + reasonDuration,
			},
		},
		{
			name: "contradiction",
			file: "proto-max-bulk-len = \"2gb\"\n",
			want: []string{`config: proto-max-bulk-len = "2gb": must not be larger than client-query-buffer-limit (1gb)`},
		},
		{
			name: "inline table",
			file: "runtime = { mode = \"triple\", max-pipeline = 0 }\n",
			want: []string{
				`config: kiwi.toml:1: runtime.mode = "triple": must be one of dual, single`,
				`config: kiwi.toml:1: runtime.max-pipeline = 0: must be at least 1`,
			},
		},
		{
			name: "TOML syntax error",
			file: "port = 1\nbind = \n",
			want: []string{`config: kiwi.toml:2: invalid TOML: expected value but found '\n' instead`},
		},
		{
			name: "duplicate key is a TOML error",
			file: "port = 1\nport = 2\n",
			want: []string{`config: kiwi.toml:2: invalid TOML: Key 'port' has already been defined.`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file)
			c, err := LoadFile(path)
			if c != nil {
				t.Errorf("LoadFile returned a config with the error")
			}
			got := errLines(err, path)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("LoadFile errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadFileErrorKinds(t *testing.T) {
	path := writeFile(t, "prot = 1\nport = \"x\"\n")
	_, err := LoadFile(path)
	if !errors.Is(err, ErrUnknownOption) || !errors.Is(err, ErrInvalidValue) {
		t.Errorf("errors.Is: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Source != path || e.Line != 1 || e.Option != "prot" {
		t.Errorf("first error = %+v", e)
	}

	_, err = LoadFile(filepath.Join(t.TempDir(), "missing.toml"))
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrSyntax) {
		t.Errorf("missing file: %v", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "config: open ") {
		t.Errorf("missing file message: %v", err)
	}

	_, err = LoadFile(writeFile(t, "port = [\n"))
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("syntax error: %v", err)
	}
}
