//go:build rocksdb

package engines

import (
	"github.com/kiwidb/kiwi/internal/engine"
	"github.com/kiwidb/kiwi/internal/engine/rocksdb"
)

const rocksDBCompiled = true

// openRocksDB opens the RocksDB backend.
func openRocksDB(opts engine.Options) (engine.Engine, error) {
	e, err := rocksdb.Open(opts)
	if err != nil {
		return nil, err
	}
	return e, nil
}
