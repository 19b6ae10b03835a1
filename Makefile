# Kiwi — build, test and benchmark entry points. `make test` is what CI runs.
GO       ?= go
export PATH := /usr/local/go/bin:$(PATH)
TAGS     ?= $(shell ./scripts/tags.sh)
TESTFLAGS ?= -race -timeout 45m

.PHONY: all build run test setup vet lint fuzz bench bench-redis compat clean

all: build

build:
	$(GO) build -tags '$(TAGS)' -o bin/kiwi ./cmd/kiwi

run:
	$(GO) run -tags '$(TAGS)' ./cmd/kiwi

# setup installs librocksdb-dev when it is missing and it can.
setup:
	@./scripts/setup.sh

vet:
	$(GO) vet -tags '$(TAGS)' ./...

# test runs the whole suite: unit, conformance (every compiled engine),
# fuzz seeds and the integration tests against real kiwi processes; then the
# engine factory once more without build tags, to check that choosing an
# engine that is not compiled in is a clear error.
test: setup
	@tags="$$(./scripts/tags.sh)"; \
	if [ -z "$$tags" ]; then echo "NOTE: librocksdb-dev not available: RocksDB engine not tested" >&2; fi; \
	$(GO) vet -tags "$$tags" ./... && \
	$(GO) test $(TESTFLAGS) -tags "$$tags" ./... && \
	if [ -n "$$tags" ]; then $(GO) test $(TESTFLAGS) ./internal/engines/; fi

lint: vet
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	staticcheck -tags '$(TAGS)' ./...

# fuzz runs each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
# (`make test` runs every target's seed corpus.)
fuzz:
	$(GO) test ./internal/resp -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/keyspace -run '^$$' -fuzz '^FuzzDecodeMeta$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/keyspace -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/redisnum -run '^$$' -fuzz '^FuzzParseInt$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/command -run '^$$' -fuzz '^FuzzParseLongDouble$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./internal/...

# bench-redis runs redis-benchmark against Kiwi and redis-server side by side
# (see docs/benchmarks.md).
bench-redis: build
	./scripts/bench-redis.sh

# compat runs Redis 7.0.15's TCL suite against redis-server and Kiwi; subset
# with UNITS="unit/type/hash ..." (see docs/compatibility.md).
compat:
	./scripts/compat.sh

clean:
	rm -rf bin
