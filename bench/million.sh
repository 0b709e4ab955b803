#!/usr/bin/env bash
# A million products (issue 22's scale run): bench/search.sh with PRODUCTS=1000000, one run of
# each measure by default. The products are generated through the store by the demo's
# generator (not over HTTP) into BENCH_DIR, kept there for later runs: about 4 GiB of disk.
#
#   BENCH_DIR=/var/tmp/podium-1m bench/million.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PRODUCTS="${PRODUCTS:-1000000}" RUNS="${RUNS:-1}" exec bench/search.sh
