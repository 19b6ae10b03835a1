//go:build !rocksdb

package engines

import (
	"fmt"

	"github.com/kiwidb/kiwi/internal/engine"
)

const rocksDBCompiled = false

// openRocksDB reports that this binary was built without RocksDB.
func openRocksDB(engine.Options) (engine.Engine, error) {
	return nil, fmt.Errorf("%w: %q needs a build with -tags rocksdb (cgo and librocksdb-dev)", engine.ErrNotCompiled, rocksDBName)
}
