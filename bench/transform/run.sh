#!/usr/bin/env bash
# CSV -> Parquet throughput of `shoplake transform orders` (every mapping rule on: casts,
# not_null, min, accepted_values, regex, max_length, references, dedup on the primary key,
# partitions) against DuckDB's own COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT
# parquet) of the same 10M-line file, in the same run; rows/s, MB/s and peak memory.
# Usage: bench/transform/run.sh [path/to/shoplake] [bench_duckdb_sql]
# Writes bench/transform/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"
peer="${2:-$root/build-bench/bench/bench_duckdb_sql}"
[[ -x "$peer" ]] || { echo "bench: build the peer first (make bench does): $peer" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-transform.XXXXXX")"
trap 'rm -rf "$work"' EXIT
orders=${BENCH_ORDERS:-4610000}  # ~10M order lines, all on one day: one file

source "$root/bench/lib.sh"
enter_bench_project
"$bin" -q simulate --out exports --days 1 --orders "$orders" --dirty-rate 0.001 --seed 42 >/dev/null
"$bin" -q ingest "$PWD/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null
"$bin" -q transform products >/dev/null
csv="$(ls "$PWD"/lake/raw/shop/ingest_date=2026-11-27/orders/*.csv)"
csv_bytes=$(stat -c %s "$csv")

measure ours "$bin" -q transform orders --json
rows=$(jq '.[0].totals.rows_read' "$work/out")
written=$(jq '.[0].totals.rows_written' "$work/out")
parquet_bytes=$(du -cb lake/processed/shop/order_lines | tail -1 | cut -f1)

columns="$(head -1 "$csv" | tr ',' '\n' | sed "s/.*/'&': 'VARCHAR'/" | paste -sd, -)"
measure peer "$peer" "COPY (SELECT * FROM read_csv('$csv', header = true, delim = ',', quote = '\"',
  escape = '\"', ignore_errors = true)) TO '$work/peer.parquet' (FORMAT parquet, COMPRESSION zstd)"

ratio=$(echo "scale=2; $peer_seconds / $ours_seconds" | bc)
{
  echo "# Transform benchmark"
  echo
  echo "Command: \`bench/transform/run.sh\` (\`make bench\`), $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1). One orders file of $rows rows,"
  echo "$csv_bytes bytes (\`shoplake simulate --days 1 --orders $orders --dirty-rate 0.001\`)."
  echo
  echo "| what | seconds | rows/s | MB/s of CSV | peak RSS MiB |"
  echo "|---|---|---|---|---|"
  echo "| shoplake transform orders (all rules, dedup, references, year/month partitions, rejects; $written rows written, $parquet_bytes bytes of Parquet) | $ours_seconds | $(echo "$rows / $ours_seconds" | bc) | $(echo "scale=1; $csv_bytes / 1000000 / $ours_seconds" | bc) | $ours_rss_mib |"
  echo "| DuckDB: COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet, COMPRESSION zstd) | $peer_seconds | $(echo "$rows / $peer_seconds" | bc) | $(echo "scale=1; $csv_bytes / 1000000 / $peer_seconds" | bc) | $peer_rss_mib |"
  echo
  echo "Ratio (DuckDB time / shoplake time, 1.0 = as fast as DuckDB's plain copy): **$ratio**"
} | tee "$root/bench/transform/results.md"
