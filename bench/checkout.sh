#!/usr/bin/env bash
# Checkout under load, on SQLite and on PostgreSQL, against a release `podium demo`:
#  - throughput: CONNECTIONS clients each buying 1–3 different variants per order across the
#    demo catalogue for DURATION seconds (orders/s, p50/p99 of the checkout request);
#  - flash sale: UNITS of one variant, BUYERS clients buying one unit at a time until sold out
#    (orders/s, p50/p99, and the oversell count, checked in the database: it must be 0);
#  - one hot SKU: HOT_UNITS of one variant, BUYERS tasks reserving one unit at a time at the
#    store itself once the node is stopped (reservations/s, oversell checked).
# Each measure runs RUNS times; compare the medians. PAYMENTS=stripe pays through the Stripe
# adapter against localstripe (started here from the test virtualenv, see scripts/setup)
# instead of the sandbox, so the cost of a real provider's round trips is known.
# The load comes from one address: the card-testing limit per client is lifted for it.
#
#   bench/checkout.sh     # RUNS=3 CONNECTIONS=32 DURATION=15 UNITS=1000 BUYERS=256 HOT_UNITS=10000 BACKENDS="sqlite postgres" PAYMENTS=sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS="${RUNS:-3}"; CONNECTIONS="${CONNECTIONS:-32}"; SECONDS_EACH="${DURATION:-15}"
UNITS="${UNITS:-1000}"; BUYERS="${BUYERS:-256}"; HOT_UNITS="${HOT_UNITS:-10000}"; BACKENDS="${BACKENDS:-sqlite postgres}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
# PODIUM_BIN runs an already built binary (an older one, to compare) with this tree's load.
cargo build --release --bin podium --example checkout_load --quiet
TARGET="${CARGO_TARGET_DIR:-target}/release"
BIN="${PODIUM_BIN:-$TARGET/podium}"; LOAD="$TARGET/examples/checkout_load"
DIR="$(mktemp -d)"; PORT="${PORT:-18282}"
PID=""; PGDB=""; STRIPE_PID=""
PAYMENTS="${PAYMENTS:-sandbox}"
PAY_ARGS=(--payment-attempts-per-client 4000000000 --payment-attempts-per-cart 4000000000)
if [ "$PAYMENTS" = stripe ]; then
  VENV="${PODIUM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/podium/venv}"
  [ -x "$VENV/bin/localstripe" ] || { echo "bench/checkout.sh: localstripe is needed (scripts/setup installs it)" >&2; exit 1; }
  SPORT="${STRIPE_PORT:-18420}"
  "$VENV/bin/localstripe" --port "$SPORT" --from-scratch >"$DIR/localstripe.log" 2>&1 &
  STRIPE_PID=$!
  for _ in $(seq 100); do curl -fs -u sk_test_bench: "http://127.0.0.1:$SPORT/v1/balance" >/dev/null && break; sleep 0.1; done
  PAY_ARGS+=(--payments stripe --stripe-secret-key sk_test_bench --stripe-webhook-secret whsec_bench
    --stripe-publishable-key pk_test_bench --stripe-api-base "http://127.0.0.1:$SPORT")
  export PODIUM_LOAD_PAYMENTS=stripe
fi
cleanup() {
  [ -z "$STRIPE_PID" ] || kill "$STRIPE_PID" 2>/dev/null || true
  [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
  [ -z "$PGDB" ] || psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

for backend in $BACKENDS; do
  case "$backend" in
    sqlite) URL="sqlite://$DIR/bench.db"; ARGS=(--db "$DIR/bench.db") ;;
    postgres)
      command -v psql >/dev/null || { echo "bench/checkout.sh: psql is needed for PostgreSQL" >&2; exit 1; }
      PGDB="podium_bench_$$"
      psql -q "$PG_ADMIN" -c "CREATE DATABASE $PGDB" >/dev/null
      URL="${PG_ADMIN%/*}/$PGDB"; ARGS=(--database-url "$URL") ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
  echo "== $backend ($PAYMENTS)"
  port_free "$PORT"
  PODIUM_LOG=warn "$BIN" demo "${ARGS[@]}" "${PAY_ARGS[@]}" --addr "127.0.0.1:$PORT" --data-dir "$DIR/data-$backend" >"$DIR/log-$backend" 2>&1 &
  PID=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  sleep 1
  for run in $(seq "$RUNS"); do
    "$LOAD" throughput "127.0.0.1:$PORT" "$URL" "$CONNECTIONS" "$SECONDS_EACH"
  done
  for run in $(seq "$RUNS"); do
    "$LOAD" flash "127.0.0.1:$PORT" "$URL" "$UNITS" "$BUYERS"
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  # One hot SKU at the store alone (the node stopped): HOT_UNITS units, BUYERS reserving.
  for run in $(seq "$RUNS"); do
    "$LOAD" hot "$URL" "$HOT_UNITS" "$BUYERS"
  done
  if [ "$backend" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE $PGDB" >/dev/null; PGDB=""; fi
done
