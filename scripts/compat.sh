#!/usr/bin/env bash
# compat.sh — runs Redis 7.0.15's own TCL test suite (from Debian's source
# package) against Debian's redis-server and against Kiwi, unit by unit, with
# identical flags, and reports per unit the tests passed on each and the
# ratio Kiwi / redis-server. See docs/compatibility.md.
#
#   ./scripts/compat.sh                      # the default units
#   UNITS="unit/type/hash unit/expire" ./scripts/compat.sh
#   make compat UNITS=unit/type/hash
#
# Environment knobs:
#   UNITS             space-separated suite units (default: the ten below)
#   KIWI_COMPAT_CACHE where the suite is unpacked (default ~/.cache/kiwi-compat)
#   COMPAT_WORK       logs and results (default compat/work, gitignored)
#   UNIT_TIMEOUT=600  seconds one unit may run on one server before it is killed
#   KIWI=...          a prebuilt kiwi binary (default: go build ./cmd/kiwi)
#   KIWI_ARGS="..."   extra kiwi options (e.g. "--storage.engine leveldb")
#   REDIS_PORT=21010 KIWI_PORT=21011   the servers' ports
#   BASEPORT=21100    first --baseport; each run gets its own 32-port window
#   COMPAT_TAGS       the --tags filter (default below; same for both servers)
#   RUNTEST_ARGS      extra runtest arguments for both servers
#
# Exit status: 0 when every unit ran to its end on redis-server (Kiwi
# failures are results, not errors); 1 when a redis-server run did not
# complete (the reference numbers are then not trustworthy); 2 on a setup
# error (suite not fetchable, server not starting, build failure).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

REDIS_VERSION=7.0.15
DEFAULT_UNITS="unit/type/string unit/type/incr unit/type/hash unit/type/list unit/type/set unit/type/zset unit/expire unit/keyspace unit/multi unit/pubsub"
UNITS=${UNITS:-$DEFAULT_UNITS}
CACHE=${KIWI_COMPAT_CACHE:-$HOME/.cache/kiwi-compat}
WORK=${COMPAT_WORK:-$ROOT/compat/work}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
REDIS_PORT=${REDIS_PORT:-21010}
KIWI_PORT=${KIWI_PORT:-21011}
BASEPORT=${BASEPORT:-21100}
KIWI=${KIWI:-}
KIWI_ARGS=${KIWI_ARGS:-}
RUNTEST_ARGS=${RUNTEST_ARGS:-}
# Tags skipped on both servers (external:skip is skipped by the suite itself
# in --host mode). Reasons: docs/compatibility.md.
COMPAT_TAGS=${COMPAT_TAGS:-"-needs:debug -needs:pfdebug -needs:repl -needs:save -needs:local-process -needs:config-maxmemory"}

SUITE_SRC="$CACHE/redis-$REDIS_VERSION"

log() { echo "compat: $*" >&2; }
die() { echo "compat: $*" >&2; exit 2; }

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi

# ---------------------------------------------------------------------------
# Fetching the suite and the tools (idempotent; fast when cached).

SUDO=""
need_root() {
  [ "$(id -u)" = 0 ] && return 0
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; return 0; fi
  die "$1: needs root or password-less sudo (or install it by hand)"
}

apt_install() { # packages...
  need_root "installing $*"
  command -v apt-get >/dev/null 2>&1 || die "installing $*: apt-get not found"
  log "installing $* ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    $SUDO apt-get install -y -qq "$@" >/dev/null || die "could not install $*"
  fi
}

ensure_tools() {
  local missing=()
  command -v tclsh8.6 >/dev/null 2>&1 || command -v tclsh8.5 >/dev/null 2>&1 || missing+=(tcl)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
  if [ ! -f "$SUITE_SRC/.complete" ]; then
    command -v dpkg-source >/dev/null 2>&1 || missing+=(dpkg-dev)
  fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  local v
  v=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\) .*/\1/p')
  [ "$v" = "$REDIS_VERSION" ] || die "redis-server is version '$v', this harness is for $REDIS_VERSION (Debian bookworm's)"
}

# A deb-src entry for the release and its security suite, in a file of our
# own (existing source lists are never edited).
add_deb_src() {
  local codename f=/etc/apt/sources.list.d/kiwi-compat-src.sources
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || die "cannot tell the Debian release (VERSION_CODENAME in /etc/os-release)"
  log "adding deb-src entries for $codename and $codename-security ($f)"
  $SUDO tee "$f" >/dev/null <<EOF
# Added by kiwi's scripts/compat.sh: source packages, for \`apt-get source redis\`.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
}

fetch_suite() {
  [ -f "$SUITE_SRC/.complete" ] && return 0
  need_root "fetching the redis source package"
  local srcver tmp
  srcver=$(dpkg-query -W -f='${source:Version}' redis-server 2>/dev/null || true)
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
  log "fetching the Redis $REDIS_VERSION test suite: apt-get source redis${srcver:+=$srcver} into $CACHE"
  local get=(apt-get source -qq -o APT::Sandbox::User=root)
  (cd "$tmp" && { "${get[@]}" "redis${srcver:+=$srcver}" || "${get[@]}" redis; }) >"$tmp/fetch.log" 2>&1 || {
    add_deb_src
    (cd "$tmp" && { "${get[@]}" "redis${srcver:+=$srcver}" || "${get[@]}" redis; }) >"$tmp/fetch.log" 2>&1 ||
      { cat "$tmp/fetch.log" >&2; rm -rf "$tmp"; die "apt-get source redis failed"; }
  }
  local d="$tmp/redis-$REDIS_VERSION"
  grep -q "REDIS_VERSION \"$REDIS_VERSION\"" "$d/src/version.h" 2>/dev/null ||
    { rm -rf "$tmp"; die "the source package is not Redis $REDIS_VERSION"; }
  [ -f "$d/tests/test_helper.tcl" ] && [ -x "$d/runtest" ] || { rm -rf "$tmp"; die "no test suite in the source package"; }
  rm -rf "$SUITE_SRC"
  mv "$d" "$SUITE_SRC"
  ls "$tmp"/*.dsc >"$SUITE_SRC/.source-package" 2>/dev/null || true
  rm -rf "$tmp"
  touch "$SUITE_SRC/.complete"
}

ensure_tools
fetch_suite

# ---------------------------------------------------------------------------
# Preparing the run.

mkdir -p "$WORK"
rm -rf "$WORK/suite" "$WORK/logs" "$WORK/data"
mkdir -p "$WORK/suite" "$WORK/logs" "$WORK/data" "$WORK/bin"
# A private copy of the suite: runtest writes into tests/tmp, and the cached
# copy stays pristine.
cp -a "$SUITE_SRC/runtest" "$SUITE_SRC/tests" "$WORK/suite/"

# compat/skiplist.txt: one test name (or /regexp) a line, comments with the
# reasons; runtest's --skipfile takes names only, so strip the comments.
grep -v '^[[:space:]]*#' compat/skiplist.txt | sed '/^[[:space:]]*$/d' >"$WORK/skipfile" || true

if [ -z "$KIWI" ]; then
  log "building kiwi ..."
  go build -o "$WORK/bin/kiwi" ./cmd/kiwi || die "go build ./cmd/kiwi failed"
  KIWI="$WORK/bin/kiwi"
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)
  KIWI_DESC="Kiwi built from $commit$dirty"
else
  [ -x "$KIWI" ] || die "$KIWI is not an executable"
  KIWI_DESC="$("$KIWI" --version 2>/dev/null | head -1 || true) ($KIWI)"
fi

# shellcheck disable=SC2206
FLAGS=(--durable --ignore-encoding --tags "$COMPAT_TAGS" --skipfile "$WORK/skipfile" $RUNTEST_ARGS)

SRV_PID=""
cleanup() {
  if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

wait_ping() { # port pid
  for _ in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || return 1
    [ "$(timeout 2 redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  return 1
}

port_free() { ! timeout 2 redis-cli -p "$1" ping >/dev/null 2>&1; }

start_server() { # redis|kiwi datadir logfile
  case $1 in
    redis)
      port_free "$REDIS_PORT" || die "port $REDIS_PORT is in use (REDIS_PORT=...)"
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$2" --daemonize no >"$3" 2>&1 &
      SRV_PID=$!; SRV_PORT=$REDIS_PORT ;;
    kiwi)
      port_free "$KIWI_PORT" || die "port $KIWI_PORT is in use (KIWI_PORT=...)"
      # shellcheck disable=SC2086
      "$KIWI" --port "$KIWI_PORT" --bind 127.0.0.1 --dir "$2" --metrics.addr "" $KIWI_ARGS >"$3" 2>&1 &
      SRV_PID=$!; SRV_PORT=$KIWI_PORT ;;
  esac
  wait_ping "$SRV_PORT" "$SRV_PID"
}

stop_server() { # returns 1 when the server had already exited
  local dead=0
  kill -0 "$SRV_PID" 2>/dev/null || dead=1
  kill "$SRV_PID" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
  SRV_PID=""
  return $dead
}

# run_unit UNIT SERVER BASEPORT: one unit on a freshly started server.
# Writes logs/<unit>.<server>.{log,ok,err,server.log} and appends
# "passed failed skipped ignored blockerr secs status<TAB>note" to .summary.
run_unit() {
  local unit=$1 srv=$2 bp=$3
  local base="$WORK/logs/${unit//\//_}.$srv"
  local data="$WORK/data/${unit//\//_}.$srv"
  mkdir -p "$data"
  if ! start_server "$srv" "$data" "$base.server.log"; then
    stop_server || true
    : >"$base.ok"; : >"$base.err"
    echo "0 0 0 0 0 0 no-start	server did not start (see $base.server.log)" >"$base.summary"
    return
  fi
  local t0 rc=0
  t0=$(date +%s)
  # timeout signals the whole process group: runtest and its test client.
  (cd "$WORK/suite" && TERM=dumb timeout -k 10 "$UNIT_TIMEOUT" ./runtest --host 127.0.0.1 --port "$SRV_PORT" \
    --baseport "$bp" --single "$unit" "${FLAGS[@]}" </dev/null >"$base.log" 2>&1) || rc=$?
  local secs=$(($(date +%s) - t0))
  local died=0
  stop_server || died=1
  rm -rf "$data"
  local counts completed exc note status
  IFS=$'\t' read -r counts note < <(awk -v okf="$base.ok" -v errf="$base.err" -f compat/parse.awk "$base.log")
  : >>"$base.ok"; : >>"$base.err"
  read -r p f s i b completed exc <<<"$counts"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    status=timeout; note="killed after ${UNIT_TIMEOUT}s${note:+; last: $note}"
  elif [ "$died" = 1 ]; then
    status=server-died; note="server exited during the unit${note:+; $note}"
  elif [ "$exc" = 1 ]; then
    status=aborted
  elif [ "$completed" = 1 ]; then
    if [ "$f" = 0 ] && [ "$b" = 0 ]; then status=ok; else status=failures; fi
  else
    status=incomplete; note="runtest exited $rc before the end${note:+; $note}"
  fi
  echo "$p $f $s $i $b $secs $status	$note" >"$base.summary"
}

# ---------------------------------------------------------------------------
# The runs.

log "suite: $SUITE_SRC ($(cat "$SUITE_SRC/.source-package" 2>/dev/null | xargs -r basename))"
log "flags: ${FLAGS[*]}"
log "kiwi: $KIWI $KIWI_ARGS"
start_all=$(date +%s)
k=0
for unit in $UNITS; do
  [ -f "$SUITE_SRC/tests/$unit.tcl" ] || die "no unit $unit in the suite (see $SUITE_SRC/tests)"
  for srv in redis kiwi; do
    bp=$((BASEPORT + 32 + 32 * (k % 56)))
    k=$((k + 1))
    log "$unit on $srv ..."
    run_unit "$unit" "$srv" "$bp"
    read -r p f s i b secs status note <"$WORK/logs/${unit//\//_}.$srv.summary"
    log "  $unit on $srv: $p passed, $f failed, $status (${secs}s)"
  done
done
total_secs=$(($(date +%s) - start_all))

# ---------------------------------------------------------------------------
# The report.

tsv="$WORK/results.tsv"
md="$WORK/results.md"
missing="$WORK/kiwi-missing.txt"
causes="$WORK/kiwi-causes.txt"
printf 'unit\tredis_passed\tredis_failed\tredis_status\tkiwi_passed\tkiwi_failed\tkiwi_status\tratio_pct\tredis_secs\tkiwi_secs\tkiwi_note\n' >"$tsv"
: >"$missing"
{
  echo "| unit | redis-server passed | Kiwi passed | Kiwi / redis-server | Kiwi status |"
  echo "|---|---:|---:|---:|---|"
} >"$md"
tr=0; tk=0; redis_bad=0
for unit in $UNITS; do
  u=${unit//\//_}
  IFS=$'\t' read -r rc rnote <"$WORK/logs/$u.redis.summary"
  IFS=$'\t' read -r kc knote <"$WORK/logs/$u.kiwi.summary"
  read -r rp rf _ _ rb rsecs rstatus <<<"$rc"
  read -r kp kf _ _ kb ksecs kstatus <<<"$kc"
  case $rstatus in ok|failures) ;; *) redis_bad=1 ;; esac
  tr=$((tr + rp)); tk=$((tk + kp))
  ratio=$(awk -v a="$kp" -v b="$rp" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "-" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$unit" "$rp" "$((rf + rb))" "$rstatus" "$kp" "$((kf + kb))" "$kstatus" "$ratio" "$rsecs" "$ksecs" "$knote" >>"$tsv"
  kdesc="$kstatus"
  [ "$kf" != 0 ] && kdesc="$kdesc, $kf failed"
  [ "$kb" != 0 ] && kdesc="$kdesc, $kb blocks aborted"
  [ -n "$knote" ] && kdesc="$kdesc: $(echo "$knote" | cut -c1-90 | sed 's/|/\\|/g')"
  rdesc=""
  [ "$rstatus" != ok ] && rdesc=" ($rstatus, $((rf + rb)) failed)"
  echo "| $unit | $rp$rdesc | $kp | $ratio % | $kdesc |" >>"$md"

  # Tests that pass on redis-server but not on Kiwi, with what Kiwi said.
  {
    echo "== $unit (kiwi: $kstatus${knote:+ - $knote})"
    awk -F'\t' -v okf="$WORK/logs/$u.kiwi.ok" -v errf="$WORK/logs/$u.kiwi.err" '
      BEGIN {
        while ((getline l < okf) > 0) ok[l]++
        while ((getline l < errf) > 0) { split(l, a, "\t"); if (!(a[1] in err)) err[a[1]] = a[2] }
      }
      { if (ok[$0] > 0) { ok[$0]--; next }
        if ($0 in err) print "  FAIL  " $0 "\n          " substr(err[$0], 1, 300)
        else print "  NOTRUN  " $0 }' "$WORK/logs/$u.redis.ok"
    echo
  } >>"$missing"
done
ratio=$(awk -v a="$tk" -v b="$tr" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "-" }')
echo "| **total** | **$tr** | **$tk** | **$ratio %** | |" >>"$md"
printf 'TOTAL\t%s\t\t\t%s\t\t\t%s\t\t\t\n' "$tr" "$tk" "$ratio" >>"$tsv"
{
  echo
  echo "Redis $REDIS_VERSION suite (Debian $(cat "$SUITE_SRC/.source-package" 2>/dev/null | xargs -r basename | sed 's/\.dsc$//')), redis-server $(redis-server --version | sed -n 's/.* v=\([0-9.]*\) .*/\1/p'), $KIWI_DESC${KIWI_ARGS:+ with $KIWI_ARGS}, $(date -u +%Y-%m-%d); flags: \`${FLAGS[*]/$ROOT\//}\`; ${total_secs}s in all."
} >>"$md"

# Kiwi's failure causes, by the number of tests they cost: what to
# implement first (compat/causes.awk).
{
  for unit in $UNITS; do
    u=${unit//\//_}
    notrun=$(awk -v u="== $unit " 'index($0, u) == 1 { on = 1; next } /^== / { on = 0 } on && /^  NOTRUN/ { n++ } END { print n + 0 }' "$missing")
    IFS=$'\t' read -r kc knote <"$WORK/logs/$u.kiwi.summary"
    awk -F'\t' -v notrun="$notrun" -v unit="$unit" -v unitabort="$(case $kc in *aborted*|*timeout*|*server-died*|*no-start*|*incomplete*) echo "$knote" ;; esac)" '
      $1 ~ /^\(start_server block aborted/ { ab[++na] = $2; next }
      { print "failed\t1\t" $2 }
      END {
        if (unitabort != "") ab[++na] = unitabort
        for (i = 1; i <= na; i++) print "blocked\t" (na == 1 ? notrun : 0) "\t" ab[i]
        if (na > 1 && notrun > 0) print "several\t" notrun "\t(several aborts in " unit ")"
      }' "$WORK/logs/$u.kiwi.err"
  done
} | awk -f compat/causes.awk >"$causes"

echo
cat "$md"
echo
log "per-unit logs: $WORK/logs/   results: $tsv"
log "tests passing on redis-server but not on Kiwi: $missing"
log "Kiwi failure causes by count: $causes"
[ "$redis_bad" = 0 ] || { log "WARNING: a redis-server run did not complete; see $tsv"; exit 1; }
exit 0
