#!/usr/bin/env bash
# Search at scale: a release `podium` with the demo plus N synthetic products (default 100,000).
# Reports how fast they were generated, the database's and the index's size, the index build
# rate (median of RUNS rebuilds), start-up time, single-client search latency (p50/p99),
# search throughput with 32 connections, product-page throughput, and memory (the node's own
# heap apart from the mapped binary and index files).
#
#   bench/search.sh            # PRODUCTS=100000 RUNS=3 DURATION=10s
#   bench/million.sh           # the same with 1,000,000 products
set -euo pipefail
cd "$(dirname "$0")/.."
PRODUCTS="${PRODUCTS:-100000}"; RUNS="${RUNS:-3}"; DURATION="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "bench/search.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
# PODIUM_BIN runs an already built binary instead of building one.
if [ -z "${PODIUM_BIN:-}" ]; then cargo build --release --bin podium --quiet; fi
BIN="${PODIUM_BIN:-${CARGO_TARGET_DIR:-target}/release/podium}"
DIR="${BENCH_DIR:-$(mktemp -d)}"; PORT="${PORT:-18282}"
mkdir -p "$DIR"
URL="sqlite://$DIR/bench.db"
. bench/lib.sh
port_free "$PORT"

if [ ! -s "$DIR/bench.db" ]; then
  echo "generating the demo and $PRODUCTS products into $DIR (once)"
  "$BIN" demo --db "$DIR/bench.db" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" --products "$PRODUCTS" >"$DIR/demo.log" 2>&1 &
  PID=$!
  until grep -q "Podium is serving" "$DIR/demo.log"; do sleep 1; kill -0 $PID 2>/dev/null || { cat "$DIR/demo.log"; exit 1; }; done
  grep -a "Generated" "$DIR/demo.log" | tr '\r' '\n' | grep "Generated" | tail -n1 | tee "$DIR/generated.txt" || true
  kill $PID; wait $PID 2>/dev/null || true
else
  [ -s "$DIR/generated.txt" ] && echo "(generated earlier) $(cat "$DIR/generated.txt")"
fi
mib() { du -cb "$@" 2>/dev/null | awk 'END {printf "%.0f MiB", $1 / 1048576}'; }
echo "database: $(mib "$DIR"/bench.db "$DIR"/bench.db-wal) (SQLite file and its WAL)"

rates=()
for _ in $(seq "${REINDEX_RUNS:-$RUNS}"); do
  out=$("$BIN" reindex --database-url "$URL" --data-dir "$DIR/data")
  rates+=("$(sed -E 's/.*\(([0-9]+) per second\).*/\1/' <<<"$out")")
done
[ "${#rates[@]}" -eq 0 ] || echo "index build: median $(printf '%s\n' "${rates[@]}" | median) products/s over ${#rates[@]} rebuilds (${rates[*]})"
echo "index: $(mib "$DIR/data/search")"

START=$(date +%s%N)
"$BIN" serve --database-url "$URL" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" >"$DIR/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.02; done
echo "start-up to /readyz with the index built: $(( ($(date +%s%N) - START) / 1000000 )) ms"
sleep 1
RSS_IDLE=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
split_idle=$(awk '/RssAnon|RssFile/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$PID/status")

round_robin "$DIR/queries.lua" \
  '/api/v1/products?q=snowflake%20hoodie&per_page=24' \
  '/api/v1/products?q=%E9%9B%AA%E3%81%AE%E7%B5%90%E6%99%B6&lang=ja&country=JP' \
  '/api/v1/products?q=%EB%88%88%EA%BD%83&lang=ko&country=KR' \
  '/api/v1/products?q=marathn&country=KE' \
  '/api/v1/products?q=plush&property=pyeongchang-2018&sort=price_asc' \
  '/api/v1/products?category=apparel&country=FR' \
  '/api/v1/products?q=edition%2042'
run() { # connections, url-or-script → "rps p50 p99"
  local c=$1 target=$2 out t=2
  [ "$c" -ge 2 ] || t=1
  if [ -f "$target" ]; then out=$(wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$target" "http://127.0.0.1:$PORT")
  else out=$(wrk -t"$t" -c"$c" -d"$DURATION" --latency "http://127.0.0.1:$PORT$target"); fi
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out" | to_ms) $(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)"
}
report() { # label, connections, target
  local rps=() p50=() p99=()
  for _ in $(seq "$RUNS"); do read -r r a b <<<"$(run "$2" "$3")"; rps+=("$r"); p50+=("$a"); p99+=("$b"); done
  printf '%-44s %10.0f req/s   p50 %7.2f ms   p99 %7.2f ms\n' "$1" \
    "$(printf '%s\n' "${rps[@]}" | median)" "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)"
}
TOTAL=$(curl -fs "http://127.0.0.1:$PORT/api/v1/products?per_page=1" | sed -E 's/^\{"total":([0-9]+).*/\1/')
echo "catalogue: $TOTAL products; medians of $RUNS runs of $DURATION"
report "search, 1 client (7 mixed queries)" 1 "$DIR/queries.lua"
report "search, 32 connections" 32 "$DIR/queries.lua"
report "product page, 32 connections" 32 "/products/hanok-threads-kenya-ice-lions-face-off-tee?lang=ja"
# A quote of two consignments (Tokyo and Denver to Germany), where the binary has quotes.
if curl -fs -o /dev/null -XPOST -H 'content-type: application/json' -d '{"country":"DE","lines":[{"sku":"kumo-craft:TEE-OH-M","quantity":1}]}' "http://127.0.0.1:$PORT/api/v1/quotes"; then
  cat >"$DIR/quote.lua" <<'LUA'
wrk.method = "POST"
wrk.path = "/api/v1/quotes"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"country":"DE","lines":[{"sku":"kumo-craft:TEE-OH-M","quantity":2},{"sku":"kumo-craft:PIN-OH-GOLD","quantity":1},{"sku":"rocky-ridge:HOODIE-OH-S","quantity":1}]}'
LUA
  report "quote (2 consignments), 32 connections" 32 "$DIR/quote.lua"
fi
RSS_AFTER=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
split_after=$(awk '/RssAnon|RssFile/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$PID/status")
echo "server memory: idle $((RSS_IDLE / 1024)) MiB (${split_idle% }), after the run $((RSS_AFTER / 1024)) MiB (${split_after% })"

# The same searches on a node without its response cache: every request runs the query.
kill $PID; wait $PID 2>/dev/null || true
"$BIN" serve --database-url "$URL" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" --no-response-cache >"$DIR/serve-uncached.log" 2>&1 &
PID=$!
for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.02; done
sleep 1
report "search, 1 client, no response cache" 1 "$DIR/queries.lua"
report "search, 32 connections, no response cache" 32 "$DIR/queries.lua"
report "listing's first page, 32, no response cache" 32 "/api/v1/products?per_page=20"
T0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
N=$(wrk -t2 -c32 -d"$DURATION" -s "$DIR/queries.lua" "http://127.0.0.1:$PORT" | awk '/requests in/ {print $1}')
T1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
echo "search CPU per request, no response cache: $(awk -v t=$((T1 - T0)) -v n="$N" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f ms", t / hz * 1000 / n}')"
split_after=$(awk '/RssAnon|RssFile/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$PID/status")
echo "uncached node's memory after the run: $(( $(awk '/VmRSS/ {print $2}' "/proc/$PID/status") / 1024 )) MiB (${split_after% })"
