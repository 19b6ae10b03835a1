package config

import (
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestDefaultValues(t *testing.T) {
	c := Default()
	// Spot checks against the product issue; the table is the source.
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"bind", c.Bind, "127.0.0.1"},
		{"port", c.Port, 7379},
		{"dir", c.Dir, "./kiwi-data"},
		{"maxclients", c.MaxClients, 10000},
		{"databases", c.Databases, 16},
		{"proto-max-bulk-len", c.ProtoMaxBulkLen, int64(512 << 20)},
		{"client-query-buffer-limit", c.ClientQueryBufferLimit, int64(1 << 30)},
		{"tcp-keepalive", c.TCPKeepalive, 300},
		{"appendonly", c.Compat.AppendOnly, false},
		{"storage.engine", c.Storage.Engine, "pebble"},
		{"storage.sync", c.Storage.Sync, true},
		{"storage.cache-size", c.Storage.CacheSize, int64(128 << 20)},
		{"storage.expire-interval", c.Storage.ExpireInterval, 100 * time.Millisecond},
		{"storage.expire-batch", c.Storage.ExpireBatch, 200},
		{"storage.gc-interval", c.Storage.GCInterval, time.Second},
		{"storage.gc-batch", c.Storage.GCBatch, 1000},
		{"runtime.mode", c.Runtime.Mode, "dual"},
		{"runtime.channel-capacity", c.Runtime.ChannelCapacity, 10000},
		{"runtime.backpressure-timeout", c.Runtime.BackpressureTimeout, time.Second},
		{"runtime.request-timeout", c.Runtime.RequestTimeout, 5 * time.Second},
		{"runtime.max-group-size", c.Runtime.MaxGroupSize, 256},
		{"runtime.max-pipeline", c.Runtime.MaxPipeline, 1024},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("default %s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestDefaultAndCloneAreIndependent(t *testing.T) {
	a := Default()
	a.Port = 1
	a.Storage.Engine = "leveldb"
	if b := Default(); b.Port != 7379 || b.Storage.Engine != "pebble" {
		t.Fatalf("Default shares state: %+v", b)
	}
	c := a.Clone()
	c.Port = 2
	c.Runtime.Mode = "single"
	if a.Port != 1 || a.Runtime.Mode != "dual" {
		t.Fatalf("Clone shares state with its source: %+v", a)
	}
}

// TestOptionTable checks the table's own invariants: names, kinds matching
// field types, defaults, help.
func TestOptionTable(t *testing.T) {
	nameRE := regexp.MustCompile(`^([a-z]+\.)?[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	wantField := map[kind]string{
		kindString: "*string", kindEnum: "*string", kindInt: "*int",
		kindSize: "*int64", kindDuration: "*time.Duration", kindBool: "*bool",
	}
	var c Config
	seenSection := map[string]bool{}
	lastSection := ""
	for _, o := range options {
		if !nameRE.MatchString(o.name) {
			t.Errorf("%s: name is not kebab-case (optionally section.)", o.name)
		}
		if o.help == "" || strings.Contains(o.help, "\n") {
			t.Errorf("%s: help must be one non-empty line", o.name)
		}
		got := typeName(o.ref(&c))
		if got != wantField[o.kind] {
			t.Errorf("%s: kind %s has field %s, want %s", o.name, o.kind, got, wantField[o.kind])
		}
		if o.kind == kindEnum && len(o.enum) == 0 {
			t.Errorf("%s: enum without values", o.name)
		}
		if o.compat && !o.live {
			t.Errorf("%s: compatibility options must be live (CONFIG SET accepts them)", o.name)
		}
		// Sections are contiguous, top level first, so the TOML template
		// is valid.
		sec, _ := o.section()
		if sec != lastSection {
			if seenSection[sec] || sec == "" {
				t.Errorf("%s: section %q is not contiguous or top level is not first", o.name, sec)
			}
			seenSection[sec] = true
			lastSection = sec
		}
	}
}

func typeName(p any) string {
	switch p.(type) {
	case *string:
		return "*string"
	case *int:
		return "*int"
	case *int64:
		return "*int64"
	case *time.Duration:
		return "*time.Duration"
	case *bool:
		return "*bool"
	}
	return "?"
}

func TestValidateCollectsEveryError(t *testing.T) {
	c := Default()
	c.Port = 70000
	c.Storage.Engine = "foo"
	c.Databases = 0
	c.Runtime.RequestTimeout = 0
	c.Bind = "a b"
	err := c.Validate()
	want := []string{
		`config: bind = "a b": must be a single host name or IP address`,
		`config: port = 70000: must be between 0 and 65535`,
		`config: databases = 0: must be between 1 and 256`,
		`config: storage.engine = "foo": must be one of pebble, leveldb, rocksdb`,
		`config: runtime.request-timeout = "0s": must be at least 1ms`,
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Fatalf("Validate:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("errors.Is(err, ErrInvalidValue) = false")
	}
	var e *Error
	if !errors.As(err, &e) || e.Option != "bind" || e.Value != `"a b"` {
		t.Errorf("errors.As = %+v", e)
	}
}

func TestValidateContradiction(t *testing.T) {
	c := Default()
	c.ProtoMaxBulkLen = 2 << 30
	err := c.Validate()
	want := `config: proto-max-bulk-len = "2gb": must not be larger than client-query-buffer-limit (1gb)`
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %v, want %s", err, want)
	}
}

func TestValidateIntRange(t *testing.T) {
	c := Default()
	c.MaxClients = 1 << 40
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "must be at most 2147483647") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestMergeLive(t *testing.T) {
	cur := Default()
	next := Default()
	next.MaxClients = 5
	next.Log.Level = "debug"
	next.Port = 1234
	next.Storage.Engine = "leveldb"
	merged, pending := cur.MergeLive(next)
	if merged.MaxClients != 5 || merged.Log.Level != "debug" {
		t.Errorf("live options not taken: %+v", merged)
	}
	if merged.Port != 7379 || merged.Storage.Engine != "pebble" {
		t.Errorf("restart-only options changed: %+v", merged)
	}
	if want := []string{"port", "storage.engine"}; !slices.Equal(pending, want) {
		t.Errorf("restartPending = %v, want %v", pending, want)
	}
	if cur.MaxClients != 10000 {
		t.Errorf("MergeLive modified its receiver")
	}
}

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
		"error": slog.LevelError, "WARN": slog.LevelWarn, "bogus": slog.LevelInfo,
	} {
		if got := SlogLevel(in); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"storage.engin":   "storage.engine",
		"engine":          "storage.engine",
		"runtime.port":    "port",
		"maxclient":       "maxclients",
		"Port":            "port",
		"log.levle":       "log.level",
		"completely-else": "",
	} {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
