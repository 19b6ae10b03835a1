package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// rwConfig returns Default with the options set from name, value pairs
// given as on the command line (restart-only options too).
func rwConfig(t testing.TB, pairs ...string) *Config {
	t.Helper()
	c := Default()
	for i := 0; i+1 < len(pairs); i += 2 {
		if e := c.applyText(pairs[i], pairs[i+1]); e != nil {
			t.Fatal(e)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// rwDirEntries returns the names in dir.
func rwDirEntries(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// rwRewrite writes text to a new kiwi.toml, rewrites it with c and returns
// the result. It checks that no other file is left in the directory and,
// if load, that the result loads to c.
func rwRewrite(t testing.TB, text string, c *Config, load bool) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "kiwi.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Rewrite(path, c); err != nil {
		t.Fatalf("Rewrite: %v\nfile:\n%s", err, text)
	}
	if names := rwDirEntries(t, dir); !reflect.DeepEqual(names, []string{"kiwi.toml"}) {
		t.Fatalf("files left in the directory: %q", names)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if load {
		got, err := LoadFile(path)
		if err != nil {
			t.Fatalf("LoadFile of the rewritten file: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("rewritten file loads as\n%+v\nwant\n%+v\nfile:\n%s", got, c, out)
		}
	}
	return string(out)
}

func TestRewrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		set    []string // option, value pairs applied over the file's configuration
		want   string
		noLoad bool // the file has keys that are not options
	}{
		{
			name: "unchanged",
			file: "# Kiwi\n\n  port = 7380   # mine\n\n[storage]  # engine room\n# the engine\nengine = 'leveldb'\n",
			want: "# Kiwi\n\n  port = 7380   # mine\n\n[storage]  # engine room\n# the engine\nengine = 'leveldb'\n",
		},
		{
			name: "top-level value in place, comment kept",
			file: "# Kiwi\nport = 7380 # the port\nmaxclients = 10\n",
			set:  []string{"port", "7381"},
			want: "# Kiwi\nport = 7381 # the port\nmaxclients = 10\n",
		},
		{
			name: "section values in place",
			file: "[storage]\n# which\nengine = \"pebble\"  # engine\nsync=true\n\n[log]\nlevel = \"info\"\n",
			set:  []string{"storage.engine", "leveldb", "storage.sync", "no", "log.level", "debug"},
			want: "[storage]\n# which\nengine = \"leveldb\"  # engine\nsync=false\n\n[log]\nlevel = \"debug\"\n",
		},
		{
			name: "dotted keys in place",
			file: "port = 7380\nstorage.engine = \"pebble\" # e\nstorage . sync = true\n",
			set:  []string{"storage.engine", "rocksdb", "storage.sync", "false"},
			want: "port = 7380\nstorage.engine = \"rocksdb\" # e\nstorage . sync = false\n",
		},
		{
			name: "quoted keys in place",
			file: "\"port\" = 7380\n[\"storage\"]\n'engine' = \"pebble\"\n",
			set:  []string{"port", "1", "storage.engine", "leveldb"},
			want: "\"port\" = 1\n[\"storage\"]\n'engine' = \"leveldb\"\n",
		},
		{
			name: "inline table: in place and added",
			file: "storage = { engine = \"pebble\", sync = true } # inline\n",
			set:  []string{"storage.engine", "leveldb", "storage.expire-batch", "300"},
			want: "storage = { engine = \"leveldb\", sync = true, expire-batch = 300 } # inline\n",
		},
		{
			name: "inline tables over lines, trailing comma",
			file: "storage = {\n  engine = \"pebble\", # e\n}\nlog = { level = \"info\" # l\n}\n",
			set:  []string{"storage.sync", "no", "log.format", "json"},
			want: "storage = {\n  engine = \"pebble\", sync = false, # e\n}\nlog = { level = \"info\", format = \"json\" # l\n}\n",
		},
		{
			name: "empty inline table",
			file: "storage = {}\n",
			set:  []string{"storage.sync", "no", "storage.gc-batch", "5"},
			want: "storage = { sync = false, gc-batch = 5 }\n",
		},
		{
			name: "added to existing sections",
			file: "port = 7380\n\n[storage]\nengine = \"pebble\"\n\n# logging\n[log]\nlevel = \"info\"\n",
			set:  []string{"maxclients", "5", "storage.sync", "no", "storage.gc-batch", "7"},
			want: "port = 7380\n# added by CONFIG REWRITE\nmaxclients = 5\n\n[storage]\nengine = \"pebble\"\n" +
				"# added by CONFIG REWRITE\nsync = false\ngc-batch = 7\n\n# logging\n[log]\nlevel = \"info\"\n",
		},
		{
			name: "added to an empty section",
			file: "[log]\n\n[storage]\n",
			set:  []string{"log.level", "warn"},
			want: "[log]\n# added by CONFIG REWRITE\nlevel = \"warn\"\n\n[storage]\n",
		},
		{
			name: "new sections at the end",
			file: "port = 7380\n",
			set:  []string{"log.level", "debug", "storage.engine", "leveldb"},
			want: "port = 7380\n\n# added by CONFIG REWRITE\n[storage]\nengine = \"leveldb\"\n\n# added by CONFIG REWRITE\n[log]\nlevel = \"debug\"\n",
		},
		{
			name: "dotted section gets dotted keys",
			file: "storage.engine = \"leveldb\"\n\n[log]\nlevel = \"info\"\n",
			set:  []string{"storage.sync", "no", "port", "1"},
			want: "storage.engine = \"leveldb\"\n# added by CONFIG REWRITE\nport = 1\nstorage.sync = false\n\n[log]\nlevel = \"info\"\n",
		},
		{
			name: "top-level option above the first table and its comments",
			file: "# my config\n\n# the engine\n[storage]\nengine = \"leveldb\"\n",
			set:  []string{"port", "7380"},
			want: "# my config\n\n# added by CONFIG REWRITE\nport = 7380\n\n# the engine\n[storage]\nengine = \"leveldb\"\n",
		},
		{
			name: "comment-only file",
			file: "# nothing yet",
			set:  []string{"port", "7380", "log.format", "json"},
			want: "# nothing yet\n\n# added by CONFIG REWRITE\nport = 7380\n\n# added by CONFIG REWRITE\n[log]\nformat = \"json\"\n",
		},
		{
			name: "empty file",
			file: "",
			set:  []string{"port", "7380", "log.format", "json"},
			want: "# added by CONFIG REWRITE\nport = 7380\n\n# added by CONFIG REWRITE\n[log]\nformat = \"json\"\n",
		},
		{
			name: "no newline at the end",
			file: "port = 7380\n[storage]\nengine = \"leveldb\"",
			set:  []string{"maxclients", "5", "storage.sync", "no", "log.level", "warn"},
			want: "port = 7380\n# added by CONFIG REWRITE\nmaxclients = 5\n[storage]\nengine = \"leveldb\"\n# added by CONFIG REWRITE\nsync = false\n" +
				"\n# added by CONFIG REWRITE\n[log]\nlevel = \"warn\"\n",
		},
		{
			name: "CRLF",
			file: "port = 7380\r\n\r\n[log]\r\nlevel = \"info\" # l\r\n",
			set:  []string{"log.level", "debug", "storage.sync", "no", "timeout", "3"},
			want: "port = 7380\r\n# added by CONFIG REWRITE\r\ntimeout = 3\r\n\r\n[log]\r\nlevel = \"debug\" # l\r\n" +
				"\r\n# added by CONFIG REWRITE\r\n[storage]\r\nsync = false\r\n",
		},
		{
			name: "byte order mark",
			file: "\xef\xbb\xbf# c\n[log]\nlevel = \"info\"\n",
			set:  []string{"port", "7380"},
			want: "\xef\xbb\xbf# added by CONFIG REWRITE\nport = 7380\n\n# c\n[log]\nlevel = \"info\"\n",
		},
		{
			name: "no second marker",
			file: "port = 1\n# added by CONFIG REWRITE\nmaxclients = 5\n",
			set:  []string{"timeout", "10"},
			want: "port = 1\n# added by CONFIG REWRITE\nmaxclients = 5\ntimeout = 10\n",
		},
		{
			name: "sizes: integer stays an integer, string stays a string",
			file: "proto-max-bulk-len = 1048576\nclient-query-buffer-limit = \"1gb\"\n",
			set:  []string{"proto-max-bulk-len", "2mb", "client-query-buffer-limit", "3gb"},
			want: "proto-max-bulk-len = 2097152\nclient-query-buffer-limit = \"3gb\"\n",
		},
		{
			name: "equal values written differently stay",
			file: "proto-max-bulk-len = 536870912\nclient-query-buffer-limit = \"1024mb\"\n[storage]\nexpire-interval = \"0.1s\"\nengine = \"PEBBLE\"\n",
			want: "proto-max-bulk-len = 536870912\nclient-query-buffer-limit = \"1024mb\"\n[storage]\nexpire-interval = \"0.1s\"\nengine = \"PEBBLE\"\n",
		},
		{
			name: "literal strings stay literal when they can",
			file: "dir = 'C:\\kiwi'\nbind = '127.0.0.1'\n",
			set:  []string{"dir", `D:\data`, "bind", "it's"},
			want: "dir = 'D:\\data'\nbind = \"it's\"\n",
		},
		{
			name: "strings escaped",
			file: "dir = \"x\"\n",
			set:  []string{"dir", "a\"b\\c\nd\te\x01☃"},
			want: "dir = \"a\\\"b\\\\c\\nd\\te\\u0001☃\"\n",
		},
		{
			name: "durations and booleans",
			file: "appendonly = false\n[runtime]\nrequest-timeout = \"5s\"\n",
			set:  []string{"appendonly", "yes", "runtime.request-timeout", "90s", "runtime.backpressure-timeout", "1500us"},
			want: "appendonly = true\n[runtime]\nrequest-timeout = \"1m30s\"\n# added by CONFIG REWRITE\nbackpressure-timeout = \"1.5ms\"\n",
		},
		{
			name: "multi-line values replaced whole",
			file: "dir = \"\"\"\n/var/\\\n  lib\"\"\" # d\nsave = '''\n3600 1'''\n",
			set:  []string{"dir", "/data", "save", "900 1"},
			want: "dir = \"/data\" # d\nsave = '900 1'\n",
		},
		{
			name: "back to the default is written",
			file: "port = 7380\n",
			set:  []string{"port", "7379"},
			want: "port = 7379\n",
		},
		{
			name: "default values not in the file are not added",
			file: "# empty\n",
			set:  []string{"port", "7379", "requirepass", ""},
			want: "# empty\n",
		},
		{
			name: "requirepass kept in the file",
			file: "requirepass = \"old\" # secret\n",
			set:  []string{"requirepass", ""},
			want: "requirepass = \"\" # secret\n",
		},
		{
			name: "requirepass added when set",
			file: "port = 1\n",
			set:  []string{"requirepass", "s3cr#t"},
			want: "port = 1\n# added by CONFIG REWRITE\nrequirepass = \"s3cr#t\"\n",
		},
		{
			name:   "keys that are not options are kept",
			file:   "nosuch = 1 # ?\nport = 7380\n[storage]\nengin = \"x\"\n[[array]]\nengine = 2\n",
			set:    []string{"port", "7381", "storage.sync", "no"},
			want:   "nosuch = 1 # ?\nport = 7381\n[storage]\nengin = \"x\"\n# added by CONFIG REWRITE\nsync = false\n[[array]]\nengine = 2\n",
			noLoad: true,
		},
		{
			name:   "a value that is not valid is replaced",
			file:   "port = \"x\"\n[storage]\nengine = 5\n",
			want:   "port = 7379\n[storage]\nengine = \"pebble\"\n",
			noLoad: true,
		},
		{
			name: "text that looks like keys inside strings",
			file: "x = \"\"\"\n[storage]\nengine = \"rocksdb\"\n\"\"\"\ny = ['[log]', \"# no\", { port = 1 }] # [runtime]\n",
			set:  []string{"storage.engine", "leveldb", "port", "9"},
			want: "x = \"\"\"\n[storage]\nengine = \"rocksdb\"\n\"\"\"\ny = ['[log]', \"# no\", { port = 1 }] # [runtime]\n" +
				"# added by CONFIG REWRITE\nport = 9\n\n# added by CONFIG REWRITE\n[storage]\nengine = \"leveldb\"\n",
			noLoad: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *Config
			if tc.noLoad {
				c = rwConfig(t, tc.set...)
			} else {
				base, err := LoadFile(rwTemp(t, tc.file))
				if err != nil {
					t.Fatal(err)
				}
				c = base
				for i := 0; i < len(tc.set); i += 2 {
					if e := c.applyText(tc.set[i], tc.set[i+1]); e != nil {
						t.Fatal(e)
					}
				}
			}
			got := rwRewrite(t, tc.file, c, !tc.noLoad)
			if got != tc.want {
				t.Errorf("rewrite of\n%s\ngot\n%s\nwant\n%s", tc.file, got, tc.want)
			}
			if again := rwRewrite(t, got, c, !tc.noLoad); again != got {
				t.Errorf("second rewrite changed the file:\n%s\nto\n%s", got, again)
			}
		})
	}
}

// rwTemp writes text to kiwi.toml in a new directory and returns its path.
func rwTemp(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiwi.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRewriteCreatesFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string
		mode fs.FileMode
	}{
		{"defaults", nil, rewriteHeader, 0o644},
		{
			"options", []string{"port", "7380", "storage.engine", "leveldb", "log.level", "debug"},
			rewriteHeader + "\nport = 7380\n\n[storage]\nengine = \"leveldb\"\n\n[log]\nlevel = \"debug\"\n", 0o644,
		},
		{"section only", []string{"log.level", "debug"}, rewriteHeader + "\n[log]\nlevel = \"debug\"\n", 0o644},
		{"password", []string{"requirepass", "pw"}, rewriteHeader + "\nrequirepass = \"pw\"\n", 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "new.toml")
			c := rwConfig(t, tc.set...)
			if err := Rewrite(path, c); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tc.want {
				t.Errorf("created\n%s\nwant\n%s", data, tc.want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.mode {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.mode)
			}
			got, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("created file loads as %+v, want %+v", got, c)
			}
			if names := rwDirEntries(t, dir); !reflect.DeepEqual(names, []string{"new.toml"}) {
				t.Errorf("files in the directory: %q", names)
			}
		})
	}
}

func TestRewriteKeepsModeAndSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.toml")
	if err := os.WriteFile(target, []byte("port = 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	link := filepath.Join(dir, "kiwi.toml")
	if err := os.Symlink("real.toml", link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := Rewrite(link, rwConfig(t, "port", "2")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	data, err := os.ReadFile(target)
	if err != nil || string(data) != "port = 2\n" {
		t.Fatalf("target holds %q, %v", data, err)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	if names := rwDirEntries(t, dir); !reflect.DeepEqual(names, []string{"kiwi.toml", "real.toml"}) {
		t.Errorf("files in the directory: %q", names)
	}
}

func TestRewriteErrors(t *testing.T) {
	t.Run("no path", func(t *testing.T) {
		if err := Rewrite("", Default()); !errors.Is(err, ErrNoConfigFile) {
			t.Fatalf("got %v, want ErrNoConfigFile", err)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		c := Default()
		c.Port = -1
		path := rwTemp(t, "port = 1\n")
		err := Rewrite(path, c)
		if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v", err)
		}
		rwUnchanged(t, path, "port = 1\n")
	})
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nosuch", "kiwi.toml")
		err := Rewrite(path, rwConfig(t, "port", "1"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), "create temporary file") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("parent is a file", func(t *testing.T) {
		file := rwTemp(t, "")
		err := Rewrite(filepath.Join(file, "kiwi.toml"), rwConfig(t, "port", "1"))
		if err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("path is a directory", func(t *testing.T) {
		dir := t.TempDir()
		err := Rewrite(dir, Default())
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root can write anywhere")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "kiwi.toml")
		if err := os.WriteFile(path, []byte("port = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		err := Rewrite(path, rwConfig(t, "port", "2"))
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "create temporary file") {
			t.Fatalf("got %v", err)
		}
		rwUnchanged(t, path, "port = 1\n")
	})
	t.Run("not TOML", func(t *testing.T) {
		path := rwTemp(t, "port = = 1\n")
		err := Rewrite(path, rwConfig(t, "port", "2"))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "not valid TOML") {
			t.Fatalf("got %v", err)
		}
		rwUnchanged(t, path, "port = = 1\n")
	})
	t.Run("section that is not a table", func(t *testing.T) {
		path := rwTemp(t, "storage = 5\n")
		err := Rewrite(path, rwConfig(t, "storage.sync", "no"))
		if err == nil || !strings.Contains(err.Error(), "would not load") {
			t.Fatalf("got %v", err)
		}
		rwUnchanged(t, path, "storage = 5\n")
	})
}

// rwUnchanged checks that the file at path holds want and is alone in its
// directory.
func rwUnchanged(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || string(data) != want {
		t.Errorf("file holds %q, %v; want %q", data, err, want)
	}
	if names := rwDirEntries(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("files in the directory: %q", names)
	}
}

func TestRewriteConcurrent(t *testing.T) {
	path := rwTemp(t, "# shared\nport = 1\n")
	var wg sync.WaitGroup
	configs := make([]*Config, 8)
	for i := range configs {
		configs[i] = rwConfig(t, "port", fmt.Sprint(100+i), "maxclients", fmt.Sprint(10+i))
		wg.Add(1)
		go func(c *Config) {
			defer wg.Done()
			if err := Rewrite(path, c); err != nil {
				t.Error(err)
			}
		}(configs[i])
	}
	wg.Wait()
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range configs {
		found = found || reflect.DeepEqual(got, c)
	}
	if !found {
		t.Errorf("file loads as %+v, none of the configurations written", got)
	}
	if names := rwDirEntries(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("files in the directory: %q", names)
	}
}

// rwValue returns a random valid value for o, as load returns it.
func rwValue(r *rand.Rand, o *option) any {
	for {
		var v any
		switch o.kind {
		case kindString:
			pool := []string{"", "x", "127.0.0.1", "0.0.0.0", "::", "localhost:0", "[::1]:9000", "/var/lib/kiwi",
				`C:\data`, "it's", `q"uote`, "tab\there", "new\nline", "uni ☃ code", "#hash", "3600 1 300 100",
				`a'b"c\`, "host-" + fmt.Sprint(r.Intn(1000)), "127.0.0.1:" + fmt.Sprint(r.Intn(65536))}
			v = pool[r.Intn(len(pool))]
		case kindEnum:
			v = o.enum[r.Intn(len(o.enum))]
		case kindBool:
			v = r.Intn(2) == 0
		case kindInt, kindSize, kindDuration:
			b := o.bounds
			lo, hi := int64(-1000), int64(1<<40)
			if b.hasMin {
				lo = b.min
			}
			if b.hasMax {
				hi = b.max
			}
			if o.kind == kindInt {
				hi = min(hi, maxInt)
			}
			var n int64
			switch r.Intn(6) {
			case 0:
				n = lo
			case 1:
				n = hi
			case 2: // small
				n = lo + r.Int63n(min(hi-lo, 1000)+1)
			case 3: // a round number
				unit := int64(1)
				switch o.kind {
				case kindSize:
					unit = []int64{1, 1000, kib, mib, gib}[r.Intn(5)]
				case kindDuration:
					unit = int64([]time.Duration{time.Microsecond, time.Millisecond, time.Second, time.Minute}[r.Intn(4)])
				}
				n = unit * (1 + r.Int63n(1000))
			default:
				n = lo + r.Int63n(hi-lo+1)
			}
			v = n
		default:
			panic("rwValue: unknown kind")
		}
		if o.check(v) == "" {
			return v
		}
	}
}

// rwChange sets k random options of c to random values, keeping c valid.
func rwChange(r *rand.Rand, c *Config, k int) *Config {
	for {
		n := c.Clone()
		for i := 0; i < k; i++ {
			o := options[r.Intn(len(options))]
			o.store(n, rwValue(r, o))
		}
		if n.Validate() == nil {
			return n
		}
	}
}

// rwKey writes a TOML key part in a random style.
func rwKey(r *rand.Rand, k string) string {
	switch r.Intn(8) {
	case 0:
		return `"` + k + `"`
	case 1:
		return "'" + k + "'"
	}
	return k
}

// rwLiteral writes v as a TOML value for o in a random valid style.
func rwLiteral(r *rand.Rand, o *option, v any) string {
	switch o.kind {
	case kindSize:
		if r.Intn(2) == 0 {
			return fmt.Sprint(v)
		}
	case kindString, kindEnum:
		s := v.(string)
		if o.kind == kindEnum && r.Intn(3) == 0 {
			s = strings.ToUpper(s)
		}
		switch r.Intn(3) {
		case 0:
			if literalStringOK(s) {
				return "'" + s + "'"
			}
		case 1:
			if !strings.Contains(s, `'''`) && !strings.HasSuffix(s, "'") && !strings.ContainsAny(s, "\r\x00\x01") {
				return "'''" + s + "'''"
			}
		}
		return tomlQuote(s)
	}
	return o.literal(v)
}

// rwFile returns a random TOML file setting some options of a random
// configuration, in random layouts, with numbered comments.
func rwFile(r *rand.Rand) string {
	// A random configuration, and a random set of options the file sets,
	// such that the file alone loads.
	var (
		c         *Config
		bySection map[string][]*option
	)
	for {
		c = rwChange(r, Default(), 1+r.Intn(len(options)))
		bySection = map[string][]*option{}
		loads := Default()
		for _, o := range options {
			if r.Intn(2) == 0 {
				sec, _ := o.section()
				bySection[sec] = append(bySection[sec], o)
				o.store(loads, o.load(c))
			}
		}
		if loads.Validate() == nil {
			break
		}
	}
	nc := 0
	comment := func() string {
		nc++
		return fmt.Sprintf("# comment %d", nc)
	}
	eq := func() string { return []string{" = ", "=", "  =\t"}[r.Intn(3)] }
	var rootLines, tables []string
	if r.Intn(2) == 0 {
		rootLines = append(rootLines, comment(), "")
	}
	for _, sec := range sectionOrder() {
		opts := bySection[sec]
		style := r.Intn(4) // 0, 1: [table]; 2: dotted keys; 3: inline table
		if sec == "" {
			style = 2
		}
		switch style {
		case 0, 1:
			var b strings.Builder
			if r.Intn(2) == 0 {
				b.WriteString(comment() + "\n")
			}
			b.WriteString("[" + rwKey(r, sec) + "]")
			if r.Intn(3) == 0 {
				b.WriteString(" " + comment())
			}
			b.WriteString("\n")
			for _, o := range opts {
				_, key := o.section()
				if r.Intn(4) == 0 {
					b.WriteString(comment() + "\n")
				}
				b.WriteString(rwKey(r, key) + eq() + rwLiteral(r, o, o.load(c)))
				if r.Intn(3) == 0 {
					b.WriteString(" " + comment())
				}
				b.WriteString("\n")
				if r.Intn(5) == 0 {
					b.WriteString("\n")
				}
			}
			tables = append(tables, b.String())
		case 2:
			for _, o := range opts {
				key := rwKey(r, o.name)
				if s, k := o.section(); s != "" {
					key = rwKey(r, s) + []string{".", " . "}[r.Intn(2)] + rwKey(r, k)
				}
				line := key + eq() + rwLiteral(r, o, o.load(c))
				if r.Intn(3) == 0 {
					line += " " + comment()
				}
				rootLines = append(rootLines, line)
				if r.Intn(5) == 0 {
					rootLines = append(rootLines, "")
				}
			}
		case 3:
			var kvs []string
			for _, o := range opts {
				if o.kind == kindString && strings.Contains(rwLiteral(r, o, o.load(c)), "\n") {
					continue // no multi-line strings in an inline table
				}
				_, key := o.section()
				lit := rwLiteral(r, o, o.load(c))
				if strings.HasPrefix(lit, "'''") {
					lit = tomlQuote(o.load(c).(string))
				}
				kvs = append(kvs, rwKey(r, key)+eq()+lit)
			}
			line := rwKey(r, sec) + " = {" + strings.Join(kvs, ", ") + "}"
			if r.Intn(3) == 0 {
				line += " " + comment()
			}
			rootLines = append(rootLines, line)
		}
	}
	r.Shuffle(len(tables), func(i, j int) { tables[i], tables[j] = tables[j], tables[i] })
	text := strings.Join(rootLines, "\n")
	if len(rootLines) > 0 {
		text += "\n"
	}
	for _, t := range tables {
		if r.Intn(2) == 0 {
			text += "\n"
		}
		text += t
	}
	if r.Intn(4) == 0 {
		text += comment() + "\n"
	}
	if r.Intn(4) == 0 {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	if r.Intn(4) == 0 {
		text = strings.TrimRight(text, "\r\n")
	}
	return text
}

// rwComments returns the "# comment N" texts in text, in order.
func rwComments(text string) []string {
	var cs []string
	for _, f := range strings.Split(text, "# comment ")[1:] {
		n := strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' })
		if n < 0 {
			n = len(f)
		}
		cs = append(cs, f[:n])
	}
	return cs
}

// TestRewriteProperty: for random files and random changes of the
// configuration they load to, the rewritten file loads to exactly the
// changed configuration, keeps every comment in order, and is not changed
// by a second rewrite; a rewrite with no change gives the same bytes.
func TestRewriteProperty(t *testing.T) {
	iterations := 200
	if testing.Short() {
		iterations = 50
	}
	for seed := int64(0); seed < int64(iterations); seed++ {
		r := rand.New(rand.NewSource(seed))
		text := rwFile(r)
		base, err := LoadFile(rwTemp(t, text))
		if err != nil {
			t.Fatalf("seed %d: generated file does not load: %v\n%s", seed, err, text)
		}
		if same := rwRewrite(t, text, base, true); same != text {
			t.Fatalf("seed %d: rewrite without changes changed\n%s\nto\n%s", seed, text, same)
		}
		running := rwChange(r, base, 1+r.Intn(6))
		out := rwRewrite(t, text, running, true) // loads to running
		if got, want := rwComments(out), rwComments(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: comments %v, want %v\nfile:\n%s\nrewritten:\n%s", seed, got, want, text, out)
		}
		if again := rwRewrite(t, out, running, true); again != out {
			t.Fatalf("seed %d: second rewrite changed\n%s\nto\n%s", seed, out, again)
		}
	}
}

// TestRewriteDefaultTOML: the file kiwi --default-config prints is kept
// byte for byte, and changed options are edited in place.
func TestRewriteDefaultTOML(t *testing.T) {
	if out := rwRewrite(t, DefaultTOML(), Default(), true); out != DefaultTOML() {
		t.Fatal("rewrite of DefaultTOML with the defaults changed it")
	}
	c := rwConfig(t, "port", "7380", "storage.engine", "leveldb")
	out := rwRewrite(t, DefaultTOML(), c, true)
	want := strings.Replace(strings.Replace(DefaultTOML(), "\nport = 7379\n", "\nport = 7380\n", 1),
		"\nengine = \"pebble\"\n", "\nengine = \"leveldb\"\n", 1)
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

// rwFuzzSeeds are TOML documents for FuzzRewrite and TestScanLayout.
var rwFuzzSeeds = []string{
	"",
	"port = 7380\n",
	"# c\n\nport = 7380 # p\n[storage]\nengine = \"leveldb\"\n",
	"storage = { engine = 'leveldb', sync = false }\n",
	"storage.engine = \"leveldb\"\n storage . sync = true\n",
	"\"port\" = 1\n[ \"log\" ]\n'level' = \"DEBUG\"\n",
	"dir = \"\"\"\na\"\"b\"\"\"\"\"\nsave = '''x''''\n",
	"dir = \"\\\"\\\\\\u00e9\"\n",
	"[runtime]\nrequest-timeout = \"1m\"\r\nmode = 'single'\r\n",
	"x = [1, [2, {a = 1}], \"]\"] # ]\n[[t]]\nb = 1979-05-27 07:32:00Z\n[[t]]\nc = {d = {e = 1}}\n",
	"a = {\n  b = 1, # c\n  c = 2,\n}\n",
	"\xef\xbb\xbfport = 1",
	"proto-max-bulk-len = 1_048_576\n",
	"\"a.b\" = 1\na.\"b.c\" = 2\n",
	"dir = \"\"\"a\\\"\"\"\"\nport = 1\n",
	"\"\\x70ort\" = 1\n\"\\u0070ort2\" = 2\n\"\\e\" = 3\n",
	"storage = { engine = \"leveldb\", }\n",
	"storage = {\n  engine = \"leveldb\" # c\n}\n",
	"t = 1979-05-27\nu = 07:32:00\nv = 1979-05-27T07:32:00.999-07:00\nw = inf\nx = 0xdead_beef\ny = 1979-05-27 07:32:00Z\n",
}

// TestScanLayout: the layout scan finds the keys the TOML library finds,
// and the value ranges hold the values.
func TestScanLayout(t *testing.T) {
	for _, src := range append(rwFuzzSeeds, DefaultTOML()) {
		var top map[string]any
		if _, err := toml.Decode(src, &top); err != nil {
			t.Errorf("seed %q is not TOML: %v", src, err)
		}
		rwCheckLayout(t, src)
	}
	// Text the TOML library refuses gives an error, never a panic.
	for _, src := range []string{"port = \"x\n", "x = \"\\", "x = '''a", "x = [1,", "x = {a = 1", "[a", "x =", "= 1", "x = 1 y"} {
		if _, err := scanLayout(src); err == nil {
			t.Errorf("scanLayout(%q): no error", src)
		}
	}
}

// rwCheckLayout checks the layout of src against the TOML library, if it
// accepts src.
func rwCheckLayout(t *testing.T, src string) {
	t.Helper()
	var top map[string]any
	if _, err := toml.Decode(src, &top); err != nil {
		return
	}
	l, err := scanLayout(src)
	if err == nil {
		err = l.checkKeys()
	}
	if err != nil {
		t.Fatalf("layout of %q: %v", src, err)
	}
	for _, e := range l.entries {
		// A value alone decodes as the value at its key.
		var got, want map[string]any
		if _, err := toml.Decode("v = "+src[e.valStart:e.valEnd], &got); err != nil {
			t.Fatalf("value of %v in %q: %q: %v", e.path, src, src[e.valStart:e.valEnd], err)
		}
		want = top
		var v any = want
		for _, k := range e.path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil // under an array of tables
				break
			}
			v = m[k]
		}
		if _, isMap := v.(map[string]any); isMap && e.inline == nil {
			continue // a key redefined as a table, which the TOML library lets pass
		}
		if v != nil && !reflect.DeepEqual(got["v"], v) {
			t.Fatalf("value of %v in %q: %#v, want %#v", e.path, src, got["v"], v)
		}
	}
}

// FuzzRewrite: for any TOML document the layout scan agrees with the TOML
// library; for any config file LoadFile accepts, a rewrite with the
// configuration it loads to gives the same bytes, and a rewrite with one
// option changed loads to the changed configuration.
func FuzzRewrite(f *testing.F) {
	for i, s := range rwFuzzSeeds {
		f.Add(s, int64(i))
	}
	f.Add(DefaultTOML(), int64(99))
	f.Fuzz(func(t *testing.T, src string, seed int64) {
		rwCheckLayout(t, src)
		c := Default()
		if errs := c.applyTOML("kiwi.toml", src); len(errs) > 0 || c.Validate() != nil {
			return
		}
		out, err := rewriteTOML("kiwi.toml", src, false, c)
		if err != nil {
			t.Fatalf("rewrite of %q: %v", src, err)
		}
		if out != src {
			t.Fatalf("rewrite without changes changed %q to %q", src, out)
		}
		r := rand.New(rand.NewSource(seed))
		next := rwChange(r, c, 1+r.Intn(3))
		out, err = rewriteTOML("kiwi.toml", src, false, next)
		if err != nil {
			t.Fatalf("rewrite of %q: %v", src, err)
		}
		got := Default()
		if errs := got.applyTOML("kiwi.toml", out); len(errs) > 0 {
			t.Fatalf("rewritten %q does not load: %v", out, joinErrors(errs))
		}
		if !reflect.DeepEqual(got, next) {
			t.Fatalf("rewritten %q loads as %+v, want %+v", out, got, next)
		}
	})
}
