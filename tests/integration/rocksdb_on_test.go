//go:build rocksdb

package integration

// rocksdbCompiled says the kiwi binary under test includes the RocksDB engine.
const rocksdbCompiled = true
