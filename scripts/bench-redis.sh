#!/usr/bin/env bash
# bench-redis.sh — redis-benchmark against Debian's redis-server and Kiwi
# (every engine compiled into bin/kiwi, both runtime modes) side by side, in
# one interleaved run, reporting medians and Kiwi/redis-server ratios as a
# Markdown table. See docs/benchmarks.md.
#
# Environment knobs:
#   N=100000        requests per redis-benchmark run
#   RUNS=3          rounds; each round runs every server once (interleaved)
#   CLIENTS=50      redis-benchmark -c
#   TESTS=set,get   redis-benchmark -t
#   PIPELINES="1 16"  -P values
#   KIWI=bin/kiwi   the kiwi binary
#   CONFIGS="..."   space-separated engine:mode:sync triples (default: every
#                   compiled engine × {dual,single} with sync off, plus
#                   pebble × {dual,single} with sync on)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get}
PIPELINES=${PIPELINES:-"1 16"}
KIWI=${KIWI:-bin/kiwi}
REDIS_PORT=${REDIS_PORT:-16500}
KIWI_PORT=${KIWI_PORT:-16501}

for tool in redis-server redis-benchmark redis-cli; do
  command -v $tool >/dev/null || { echo "bench-redis: $tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[ -x "$KIWI" ] || { echo "bench-redis: $KIWI not built (make build)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_ping() { # port
  for _ in $(seq 1 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "bench-redis: server on port $1 did not answer PING" >&2
  return 1
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

engine_compiled() {
  local d="$work/probe-$1"
  "$KIWI" --port "$KIWI_PORT" --dir "$d" --storage.engine "$1" --log.level error >/dev/null 2>&1 &
  local p=$!
  if wait_ping "$KIWI_PORT" 2>/dev/null; then stop_pid $p; return 0; fi
  stop_pid $p; return 1
}

if [ -z "${CONFIGS:-}" ]; then
  CONFIGS=""
  for e in pebble leveldb rocksdb; do
    if engine_compiled $e; then
      CONFIGS="$CONFIGS $e:dual:no $e:single:no"
    else
      echo "bench-redis: engine $e not compiled into $KIWI; skipped" >&2
    fi
  done
  CONFIGS="$CONFIGS pebble:dual:yes pebble:single:yes"
fi

# run_bench NAME PORT: one redis-benchmark pass per pipeline depth; appends
# "name,P,test,rps" rows to $work/results.csv.
run_bench() {
  local name=$1 port=$2
  for P in $PIPELINES; do
    redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c "$CLIENTS" -P "$P" -r 100000 --csv -q 2>/dev/null |
      tail -n +2 | tr -d '"' | while IFS=, read -r test rps _; do
        echo "$name,$P,$test,$rps" >> "$work/results.csv"
      done
  done
}

echo "bench-redis: N=$N RUNS=$RUNS CLIENTS=$CLIENTS TESTS=$TESTS PIPELINES=$PIPELINES" >&2
echo "bench-redis: configs: redis-server$CONFIGS" >&2
for round in $(seq 1 "$RUNS"); do
  echo "bench-redis: round $round/$RUNS" >&2
  redis-server --port "$REDIS_PORT" --save '' --appendonly no --dir "$work" --daemonize no >/dev/null 2>&1 &
  rp=$!; pids+=($rp)
  wait_ping "$REDIS_PORT"
  run_bench redis-server "$REDIS_PORT"
  stop_pid $rp

  for cfg in $CONFIGS; do
    IFS=: read -r eng mode sync <<<"$cfg"
    d="$work/kiwi-$eng-$mode-$sync"
    rm -rf "$d"
    "$KIWI" --port "$KIWI_PORT" --dir "$d" --storage.engine "$eng" --runtime.mode "$mode" \
      --storage.sync "$sync" --log.level error >/dev/null 2>&1 &
    kp=$!; pids+=($kp)
    wait_ping "$KIWI_PORT"
    run_bench "kiwi $eng $mode sync=$sync" "$KIWI_PORT"
    stop_pid $kp
  done
done

# Medians and ratios.
python3 - "$work/results.csv" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
rows = defaultdict(list)
order = []
for name, p, test, rps in csv.reader(open(sys.argv[1])):
    key = (name, int(p), test)
    if name not in order:
        order.append(name)
    rows[key].append(float(rps))
med = {k: statistics.median(v) for k, v in rows.items()}
tests = sorted({k[2] for k in med}, key=lambda t: ["SET", "GET"].index(t) if t in ("SET", "GET") else 9)
pipes = sorted({k[1] for k in med})
cols = [(t, p) for p in pipes for t in tests]
print("| server | " + " | ".join(f"{t} -P {p}" for t, p in cols) + " |")
print("|---|" + "---|" * len(cols))
for name in order:
    cells = []
    for t, p in cols:
        v = med.get((name, p, t))
        base = med.get(("redis-server", p, t))
        if v is None:
            cells.append("–")
        elif name == "redis-server" or not base:
            cells.append(f"{v:,.0f}/s")
        else:
            cells.append(f"{v:,.0f}/s ({v / base:.2f}×)")
    print(f"| {name} | " + " | ".join(cells) + " |")
n = len(next(iter(rows.values())))
print(f"\nMedians of {n} interleaved runs; ratio = Kiwi / redis-server in the same run set.")
EOF
