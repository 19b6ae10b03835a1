package config

import (
	"errors"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func names(kvs []KV) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Name)
	}
	return out
}

func TestGetPatterns(t *testing.T) {
	c := Default()
	tests := []struct {
		patterns []string
		want     []string
	}{
		{[]string{"port"}, []string{"port"}},
		{[]string{"PORT"}, []string{"port"}},
		{[]string{"nosuch"}, nil},
		{[]string{"*max*"}, []string{"maxclients", "proto-max-bulk-len", "slowlog-max-len", "stream-node-max-entries",
			"stream-node-max-bytes", "hash-max-listpack-entries", "hash-max-ziplist-entries", "hash-max-listpack-value",
			"hash-max-ziplist-value", "zset-max-listpack-entries", "zset-max-ziplist-entries", "zset-max-listpack-value",
			"zset-max-ziplist-value", "set-max-intset-entries", "list-max-listpack-size", "list-max-ziplist-size", "maxmemory", "maxmemory-policy", "runtime.max-group-size", "runtime.max-pipeline"}},
		{[]string{"storage.*"}, []string{"storage.engine", "storage.sync", "storage.cache-size",
			"storage.expire-interval", "storage.expire-batch", "storage.gc-interval", "storage.gc-batch"}},
		{[]string{"log.*", "*level"}, []string{"log.level", "log.format"}},
		{[]string{"save", "appendonly"}, []string{"save", "appendonly"}},
		{[]string{"appendonly", "save"}, []string{"save", "appendonly"}}, // table order, each once
		{[]string{"[bp]*"}, []string{"bind", "port", "proto-max-bulk-len", "pidfile", "busy-reply-threshold"}},
		{[]string{"runtime.?ode"}, []string{"runtime.mode"}},
	}
	for _, tt := range tests {
		if got := names(c.Get(tt.patterns...)); !slices.Equal(got, tt.want) {
			t.Errorf("Get(%q) = %q, want %q", tt.patterns, got, tt.want)
		}
	}
	if all := c.Get("*"); len(all) != len(options) {
		t.Errorf("Get(*) returned %d options, want %d", len(all), len(options))
	}
}

func TestGetValuesRedisFormat(t *testing.T) {
	c := Default()
	want := map[string]string{
		"port":                      "7379",
		"bind":                      "127.0.0.1",
		"requirepass":               "",
		"proto-max-bulk-len":        "536870912", // sizes as bytes, as Redis
		"client-query-buffer-limit": "1073741824",
		"save":                      "",
		"appendonly":                "no", // booleans as yes/no, as Redis
		"storage.sync":              "yes",
		"storage.expire-interval":   "100ms", // durations as Go durations
		"runtime.request-timeout":   "5s",
		"storage.engine":            "pebble",
	}
	got := map[string]string{}
	for _, kv := range c.Get("*") {
		got[kv.Name] = kv.Value
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got[name], v)
		}
		if s, ok := c.String(name); !ok || s != v {
			t.Errorf("String(%s) = %q, %v", name, s, ok)
		}
	}
	if _, ok := c.String("nosuch"); ok {
		t.Error("String(nosuch) ok")
	}
	if s, ok := c.String("MAXCLIENTS"); !ok || s != "10000" {
		t.Errorf("String(MAXCLIENTS) = %q, %v", s, ok)
	}
}

// TestGetSetRoundTrip sets every live option to what CONFIG GET reports
// for it, which must change nothing.
func TestGetSetRoundTrip(t *testing.T) {
	c := Default()
	var pairs [][2]string
	for _, kv := range c.Get("*") {
		if lookup(kv.Name).live {
			pairs = append(pairs, [2]string{kv.Name, kv.Value})
		}
	}
	if err := c.SetMany(pairs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("GET then SET changed the config: %+v", c)
	}
}

func TestSet(t *testing.T) {
	c := Default()
	steps := [][2]string{
		{"maxclients", "50"},
		{"MaxClients", "60"},
		{"requirepass", "secret"},
		{"proto-max-bulk-len", "1gb"},
		{"storage.sync", "no"},
		{"storage.expire-interval", "250ms"},
		{"runtime.max-pipeline", "8"},
		{"log.level", "DEBUG"},
		{"appendonly", "yes"},
		{"save", "900 1"},
	}
	for _, s := range steps {
		if err := c.Set(s[0], s[1]); err != nil {
			t.Fatalf("Set(%q, %q) = %v", s[0], s[1], err)
		}
	}
	want := Default()
	want.MaxClients = 60
	want.RequirePass = "secret"
	want.ProtoMaxBulkLen = 1 << 30
	want.Storage.Sync = false
	want.Storage.ExpireInterval = 250 * time.Millisecond
	want.Runtime.MaxPipeline = 8
	want.Log.Level = "debug"
	want.Compat.AppendOnly = true
	want.Compat.Save = "900 1"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.String("appendonly"); v != "yes" {
		t.Errorf("appendonly = %q after CONFIG SET", v)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		pairs    [][2]string
		want     string
		sentinel error
	}{
		{[][2]string{{"nosuch", "1"}},
			`ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'`, ErrUnknownOption},
		{[][2]string{{"storage.engine", "leveldb"}},
			`ERR CONFIG SET failed (possibly related to argument 'storage.engine') - option is not mutable at runtime (restart required)`, ErrNotMutable},
		{[][2]string{{"PORT", "1"}},
			`ERR CONFIG SET failed (possibly related to argument 'PORT') - option is not mutable at runtime (restart required)`, ErrNotMutable},
		{[][2]string{{"maxclients", "0"}},
			`ERR CONFIG SET failed (possibly related to argument 'maxclients') - must be at least 1`, ErrInvalidValue},
		{[][2]string{{"maxclients", "many"}},
			`ERR CONFIG SET failed (possibly related to argument 'maxclients') - must be an integer`, ErrInvalidValue},
		{[][2]string{{"log.level", "loud"}},
			`ERR CONFIG SET failed (possibly related to argument 'log.level') - must be one of debug, info, warn, error`, ErrInvalidValue},
		{[][2]string{{"storage.sync", "maybe"}},
			`ERR CONFIG SET failed (possibly related to argument 'storage.sync') - must be yes, no, true or false`, ErrInvalidValue},
		{[][2]string{{"maxclients", "5"}, {"MAXCLIENTS", "6"}},
			`ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate parameter`, ErrInvalidValue},
		{[][2]string{{"proto-max-bulk-len", "2gb"}},
			`ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - proto-max-bulk-len must not be larger than client-query-buffer-limit (1gb)`, ErrInvalidValue},
		{[][2]string{{"client-query-buffer-limit", "256mb"}},
			`ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - proto-max-bulk-len must not be larger than client-query-buffer-limit (256mb)`, ErrInvalidValue},
	}
	for _, tt := range tests {
		c := Default()
		err := c.SetMany(tt.pairs)
		if err == nil || err.Error() != tt.want {
			t.Errorf("SetMany(%q) = %v\nwant %s", tt.pairs, err, tt.want)
		}
		if !errors.Is(err, tt.sentinel) {
			t.Errorf("SetMany(%q): errors.Is(%v) = false", tt.pairs, tt.sentinel)
		}
		var se *SetError
		if !errors.As(err, &se) {
			t.Errorf("SetMany(%q): not a *SetError", tt.pairs)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("SetMany(%q) failed but changed the config", tt.pairs)
		}
	}
}

func TestSetManyIsAtomic(t *testing.T) {
	c := Default()
	// The last pair is bad: the first two must not be applied.
	err := c.SetMany([][2]string{{"maxclients", "5"}, {"timeout", "30"}, {"databases", "2"}})
	if !errors.Is(err, ErrNotMutable) {
		t.Fatalf("SetMany = %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("failed SetMany changed the config: %+v", c)
	}
	// Each pair alone breaks the cross-option rule; together they do not.
	if err := c.SetMany([][2]string{{"proto-max-bulk-len", "2gb"}, {"client-query-buffer-limit", "4gb"}}); err != nil {
		t.Fatal(err)
	}
	if c.ProtoMaxBulkLen != 2<<30 || c.ClientQueryBufferLimit != 4<<30 {
		t.Fatalf("SetMany applied %d, %d", c.ProtoMaxBulkLen, c.ClientQueryBufferLimit)
	}
	if err := c.SetMany(nil); err != nil {
		t.Fatalf("SetMany(nil) = %v", err)
	}
}

// TestPublishClones is the pattern the server follows: readers load the
// current Config from an atomic pointer, a writer sets a clone and
// publishes it. Run with -race.
func TestPublishClones(t *testing.T) {
	var cur atomic.Pointer[Config]
	cur.Store(Default())
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c := cur.Load()
				if c.MaxClients < 1 {
					t.Error("invalid maxclients read")
					return
				}
				_ = c.Get("*max*")
			}
		}()
	}
	var mu sync.Mutex
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 200; i++ {
				mu.Lock()
				next := cur.Load().Clone()
				if err := next.Set("maxclients", "100"); err != nil {
					t.Error(err)
				}
				_ = next.Set("maxclients", "0") // refused, next unchanged
				cur.Store(next)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if cur.Load().MaxClients != 100 {
		t.Fatalf("maxclients = %d", cur.Load().MaxClients)
	}
}
