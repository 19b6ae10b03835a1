// Package engines opens a storage backend by its configuration name. It is
// the only package that imports every backend: adding one is one package
// under internal/engine plus one case in Open, Compiled and Names.
//
// RocksDB is cgo and compiled only with the build tag rocksdb; without it,
// Open("rocksdb", …) fails with engine.ErrNotCompiled.
package engines

import (
	"fmt"
	"strings"

	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/leveldb"
	"github.com/kiwidb/kiwi/internal/engine/pebble"
)

// rocksDBName is spelled out here because package rocksdb does not exist in
// builds without the rocksdb tag.
const rocksDBName = "rocksdb"

// Names returns every backend Kiwi knows, compiled in or not, in the order
// they are documented (the first is the default). The slice is the caller's.
func Names() []string {
	return []string{pebble.Name, leveldb.Name, rocksDBName}
}

// Compiled reports whether the backend called name is available in this
// binary. It is false for unknown names.
func Compiled(name string) bool {
	switch name {
	case pebble.Name, leveldb.Name:
		return true
	case rocksDBName:
		return rocksDBCompiled
	default:
		return false
	}
}

// Open opens the backend called name with opts. An unknown name yields an
// error wrapping engine.ErrUnknown; a known backend missing from this build
// yields one wrapping engine.ErrNotCompiled.
func Open(name string, opts engine.Options) (engine.Engine, error) {
	switch name {
	case pebble.Name:
		e, err := pebble.Open(opts)
		if err != nil {
			return nil, err
		}
		return e, nil
	case leveldb.Name:
		e, err := leveldb.Open(opts)
		if err != nil {
			return nil, err
		}
		return e, nil
	case rocksDBName:
		return openRocksDB(opts)
	default:
		return nil, fmt.Errorf("%w %q (valid: %s)", engine.ErrUnknown, name, strings.Join(Names(), ", "))
	}
}
