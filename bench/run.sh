#!/usr/bin/env bash
# `make bench`: every benchmark, each writing its numbers and the command that produced
# them into a results file beside it. Usage: bench/run.sh [path/to/shoplake]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"

cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSHOPLAKE_BENCH=ON -DSHOPLAKE_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" --target bench_hash bench_duckdb_sql bench_jsonata
"$root/build-bench/bench/bench_hash" --benchmark_min_time=0.2 | tee "$root/bench/hash-results.txt"

bash "$root/bench/simulate/run.sh" "$bin"
bash "$root/bench/ingest/run.sh" "$bin"
bash "$root/bench/transform/run.sh" "$bin"
bash "$root/bench/query/run.sh" "$bin"
bash "$root/bench/jsonata/run.sh" "$root/build-bench/bench/bench_jsonata"
