#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, when it can:
# librocksdb-dev (the RocksDB engine, cgo). Everything else is pure Go and is
# fetched by the go command. Prints what it did; never fails the build just
# because it cannot install (the RocksDB tests are then skipped, loudly).
set -u
if pkg-config --exists rocksdb 2>/dev/null || [ -f /usr/include/rocksdb/c.h ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: librocksdb-dev missing and apt-get not found: RocksDB engine tests will be skipped" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup: librocksdb-dev missing and no root/sudo: RocksDB engine tests will be skipped" >&2
    exit 0
  fi
fi
echo "setup: installing librocksdb-dev (RocksDB engine)..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq librocksdb-dev >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq librocksdb-dev >/dev/null 2>&1 \
    || echo "setup: could not install librocksdb-dev: RocksDB engine tests will be skipped" >&2
fi
exit 0
