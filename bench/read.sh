#!/usr/bin/env bash
# The read path under load: a release `podium serve` over the demo plus PRODUCTS synthetic
# products (default 10,000), wrk with CONNECTIONS (32) for DURATION (20s), medians of RUNS (3).
# Per scenario: requests/s, p50/p99 latency, and the server's CPU per request (user + system
# time from /proc/PID/stat over the run, divided by the requests wrk counted). Then the
# server's memory idle and under load, and the time from start to /readyz.
#
# The node runs twice when the binary has a response cache: with it, and with
# `--no-response-cache` (the uncached path alone). MODES="cached" or MODES="uncached" picks one.
# The node logs warnings only (PODIUM_LOG=warn), as in bench/checkout.sh: a log line per request
# would be measured too.
#
#   bench/read.sh                              # builds the release binary
#   PODIUM_BIN=/path/to/podium bench/read.sh   # an already built binary (an older one, say)
set -euo pipefail
cd "$(dirname "$0")/.."
PRODUCTS="${PRODUCTS:-10000}"; RUNS="${RUNS:-3}"; DURATION="${DURATION:-20s}"; CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "bench/read.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
if [ -z "${PODIUM_BIN:-}" ]; then cargo build --release --bin podium --quiet; fi
BIN="${PODIUM_BIN:-${CARGO_TARGET_DIR:-target}/release/podium}"
DIR="${BENCH_DIR:-$(mktemp -d)}"; PORT="${PORT:-18383}"
mkdir -p "$DIR"
URL="sqlite://$DIR/bench.db"
TICKS=$(getconf CLK_TCK)
. bench/lib.sh
port_free "$PORT"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

if [ ! -s "$DIR/bench.db" ]; then
  echo "generating the demo and $PRODUCTS products into $DIR (once)"
  "$BIN" demo --db "$DIR/bench.db" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" --products "$PRODUCTS" >"$DIR/demo.log" 2>&1 &
  PID=$!
  until grep -q "Podium is serving" "$DIR/demo.log"; do sleep 1; kill -0 $PID 2>/dev/null || { cat "$DIR/demo.log"; exit 1; }; done
  kill $PID; wait $PID 2>/dev/null || true
fi

# Scripts for wrk: random pages of the listing, searches in five languages, product pages.
cat >"$DIR/pages.lua" <<'LUA'
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/products?per_page=20&page=" .. math.random(1, 400))
end
LUA
round_robin "$DIR/search.lua" \
  '/api/v1/products?q=hoodie&per_page=20' \
  '/api/v1/products?q=snowflake%20tee&per_page=20' \
  '/api/v1/products?q=bonnet&lang=fr&country=FR&per_page=20' \
  '/api/v1/products?q=%E9%9B%AA%E3%81%AE%E7%B5%90%E6%99%B6&lang=ja&country=JP&per_page=20' \
  '/api/v1/products?q=%EB%88%88%EA%BD%83&lang=ko&country=KR&per_page=20' \
  '/api/v1/products?q=%E5%BE%BD%E7%AB%A0&lang=zh-Hans&country=CN&per_page=20' \
  '/api/v1/products?q=marathon%20cap&country=KE&per_page=20' \
  '/api/v1/products?q=plush&country=DE&per_page=20'

serve() { # extra args…
  PODIUM_LOG="${PODIUM_LOG:-warn}" "$BIN" serve --database-url "$URL" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" "$@" >"$DIR/serve.log" 2>&1 &
  PID=$!
  START=$(date +%s%N)
  for _ in $(seq 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.01; done
  READY_MS=$(( ($(date +%s%N) - START) / 1000000 ))
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
trap stop EXIT

run() { # connections, url-or-script → "rps p50 p99 cpu_us_per_request"
  local c=$1 target=$2 out t=2 before after
  [ "$c" -ge 2 ] || t=1
  before=$(cpu_ticks "$PID")
  if [ -f "$target" ]; then out=$(wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$target" "http://127.0.0.1:$PORT")
  else out=$(wrk -t"$t" -c"$c" -d"$DURATION" --latency "http://127.0.0.1:$PORT$target"); fi
  after=$(cpu_ticks "$PID")
  local n; n=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | to_ms) $(awk '$1=="99%" {print $2}' <<<"$out" | to_ms) $(awk -v b="$before" -v a="$after" -v n="$n" -v t="$TICKS" 'BEGIN {printf "%.0f", (a-b)/t*1e6/(n>0?n:1)}')"
}
report() { # label, connections, target
  local rps=() p50=() p99=() cpu=()
  for _ in $(seq "$RUNS"); do read -r r a b u <<<"$(run "$2" "$3")"; rps+=("$r"); p50+=("$a"); p99+=("$b"); cpu+=("$u"); done
  printf '  %-38s %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  CPU %6.0f µs/req   (%s)\n' "$1" \
    "$(printf '%s\n' "${rps[@]}" | median)" "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)" \
    "$(printf '%s\n' "${cpu[@]}" | median)" "$(printf '%.0f ' "${rps[@]}")"
}

MODES="${MODES:-cached uncached}"
if ! "$BIN" serve --help | grep -q -- --no-response-cache; then MODES="uncached"; fi
for mode in $MODES; do
  args=(); [ "$mode" = cached ] || ! "$BIN" serve --help | grep -q -- --no-response-cache || args=(--no-response-cache)
  serve "${args[@]}"
  sleep 2
  RSS_IDLE=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
  TOTAL=$(curl -fs "http://127.0.0.1:$PORT/api/v1/products?per_page=1" | sed -E 's/^\{"total":([0-9]+).*/\1/')
  SLUG=$(curl -fs "http://127.0.0.1:$PORT/api/v1/products?per_page=1&page=777" | sed -E 's/.*"items":\[\{"id":"[^"]+","slug":"([^"]+)".*/\1/')
  echo "== $mode ($(basename "$BIN") ${args[*]:-}): $TOTAL products, start to /readyz ${READY_MS} ms; medians of $RUNS runs of $DURATION, $CONNECTIONS connections"
  report "listing, 1 client" 1 "/api/v1/products?per_page=20"
  report "listing, first page" "$CONNECTIONS" "/api/v1/products?per_page=20"
  report "listing, random pages" "$CONNECTIONS" "$DIR/pages.lua"
  report "search, 5 languages" "$CONNECTIONS" "$DIR/search.lua"
  report "product detail (API)" "$CONNECTIONS" "/api/v1/products/$SLUG"
  report "storefront search page (HTML)" "$CONNECTIONS" "/search?q=hoodie"
  RSS_PEAK=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  RSS_AFTER=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
  echo "  memory: idle $((RSS_IDLE / 1024)) MiB, peak under load $((RSS_PEAK / 1024)) MiB, after $((RSS_AFTER / 1024)) MiB"
  stop
done
