package engines_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engines"
)

func TestNames(t *testing.T) {
	names := engines.Names()
	for _, want := range []string{"pebble", "leveldb", "rocksdb"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %q", names, want)
		}
	}
	if names[0] != "pebble" {
		t.Errorf("default (first) backend = %q, want pebble", names[0])
	}
	names[0] = "mutated"
	if engines.Names()[0] != "pebble" {
		t.Error("Names() returns shared state")
	}
}

func TestUnknown(t *testing.T) {
	e, err := engines.Open("nosuchdb", engine.Options{InMemory: true})
	if e != nil || !errors.Is(err, engine.ErrUnknown) {
		t.Fatalf("Open(unknown) = %v, %v; want ErrUnknown", e, err)
	}
	for _, name := range engines.Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
	if engines.Compiled("nosuchdb") {
		t.Error("Compiled(unknown) = true")
	}
	if _, err := engines.Open("", engine.Options{InMemory: true}); !errors.Is(err, engine.ErrUnknown) {
		t.Errorf("Open(\"\") = %v, want ErrUnknown", err)
	}
}

func TestOpenEachCompiled(t *testing.T) {
	for _, name := range engines.Names() {
		t.Run(name, func(t *testing.T) {
			if !engines.Compiled(name) {
				e, err := engines.Open(name, engine.Options{Dir: t.TempDir()})
				if e != nil || !errors.Is(err, engine.ErrNotCompiled) {
					t.Fatalf("Open(%q) = %v, %v; want ErrNotCompiled", name, e, err)
				}
				if !strings.Contains(err.Error(), "-tags "+name) {
					t.Errorf("error %q does not say how to build it", err)
				}
				return
			}
			for _, opts := range []engine.Options{{Dir: "db", InMemory: true}, {Dir: t.TempDir()}} {
				e, err := engines.Open(name, opts)
				if err != nil {
					t.Fatalf("Open(%q, %+v): %v", name, opts, err)
				}
				if e.Name() != name {
					t.Errorf("Name() = %q, want %q", e.Name(), name)
				}
				b := e.NewBatch()
				b.Set([]byte("k"), []byte("v"))
				if err := b.Commit(true); err != nil {
					t.Fatal(err)
				}
				if v, err := e.Get([]byte("k")); err != nil || string(v) != "v" {
					t.Fatalf("Get = %q, %v", v, err)
				}
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestOpenError(t *testing.T) {
	for _, name := range engines.Names() {
		if !engines.Compiled(name) {
			continue
		}
		if _, err := engines.Open(name, engine.Options{}); err == nil {
			t.Errorf("Open(%q) without a directory succeeded", name)
		}
	}
}
