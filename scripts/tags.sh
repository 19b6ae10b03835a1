#!/usr/bin/env bash
# Prints the build tags for this machine: "rocksdb" when librocksdb-dev is
# installed, nothing otherwise.
if [ -f /usr/include/rocksdb/c.h ]; then echo rocksdb; fi
