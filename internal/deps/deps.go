//go:build tools

// Package deps pins module requirements while the packages that use them are
// being written; removed once every dependency is imported for real.
package deps

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/cockroachdb/pebble/v2"
	_ "github.com/cockroachdb/pebble/v2/vfs"
	_ "github.com/google/btree"
	_ "github.com/linxGnu/grocksdb"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/syndtr/goleveldb/leveldb"
	_ "github.com/syndtr/goleveldb/leveldb/storage"
)
