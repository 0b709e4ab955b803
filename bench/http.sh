#!/usr/bin/env bash
# HTTP throughput and latency of a release `podium demo`, measured with wrk on loopback.
# Reports, per endpoint, the median over RUNS runs of requests/s and of the p50 and p99
# latencies, and each endpoint's cost relative to /healthz (the bare server).
#
#   bench/http.sh            # RUNS=3 DURATION=5s CONNECTIONS=16
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"; DURATION="${DURATION:-5s}"; CONNECTIONS="${CONNECTIONS:-16}"
command -v wrk >/dev/null || { echo "bench/http.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --bin podium --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/podium"
DIR="$(mktemp -d)"; PORT="${PORT:-18181}"
"$BIN" demo --db "$DIR/bench.db" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data" >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 1
RSS_IDLE=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

. bench/lib.sh

printf '%-42s %12s %10s %10s %8s\n' endpoint "req/s" "p50 ms" "p99 ms" "cost×"
base_rps=""
for path in /healthz "/api/v1/fx/convert?amount=35000&from=KRW&to=EUR" "/?lang=ko&country=KR" "/signin?lang=ja"; do
  rps=(); p50=(); p99=()
  for _ in $(seq "$RUNS"); do
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT$path")
    rps+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    p50+=("$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)")
    p99+=("$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)")
  done
  m_rps=$(printf '%s\n' "${rps[@]}" | median); m50=$(printf '%s\n' "${p50[@]}" | median); m99=$(printf '%s\n' "${p99[@]}" | median)
  [ -n "$base_rps" ] || base_rps=$m_rps
  printf '%-42s %12.0f %10.2f %10.2f %8.1f\n' "$path" "$m_rps" "$m50" "$m99" "$(awk -v b="$base_rps" -v r="$m_rps" 'BEGIN {print b/r}')"
done
RSS_AFTER=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
echo "resident memory: idle $((RSS_IDLE / 1024)) MiB, after the run $((RSS_AFTER / 1024)) MiB"
