#!/usr/bin/env bash
# Each analytics view (pipeline/views) answered by `shoplake query` -- the whole process:
# start, catalog, mounting, the query, the saved result -- against the same SQL run directly
# in DuckDB (bench_duckdb_sql, the same libduckdb) over the same Parquet files, in the same
# run; best of 3 each, with peak memory. Over ~10M order lines (60 days).
# Usage: bench/query/run.sh [path/to/shoplake] [bench_duckdb_sql]
# Writes bench/query/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"
peer="$(realpath "${2:-$root/build-bench/bench/bench_duckdb_sql}")"
[[ -x "$peer" ]] || { echo "bench: build the peer first (make bench does): $peer" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-query.XXXXXX")"
trap 'rm -rf "$work"' EXIT
orders=${BENCH_ORDERS:-4700000}  # ~10M order lines
days=${BENCH_DAYS:-60}

source "$root/bench/lib.sh"
enter_bench_project
"$bin" -q simulate --out exports --days "$days" --orders "$orders" --dirty-rate 0 --seed 42 >/dev/null
"$bin" -q ingest "$PWD/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null
"$bin" -q transform products orders >/dev/null
"$bin" -q views apply >/dev/null
rm -rf exports lake/raw  # only the Parquet matters now; keep the page cache for it
lines=$("$bin" -q query --format csv "SELECT count(*) FROM shop.order_lines" | tail -1)
parquet_bytes=$(du -cb lake/processed/shop/order_lines | tail -1 | cut -f1)

# The peer: the same tables as DuckDB views over the same files, the same view SQL.
setup=("CREATE SCHEMA shop"
  "CREATE VIEW shop.order_lines AS SELECT * FROM read_parquet('$PWD/lake/processed/shop/order_lines/**/*.parquet', hive_partitioning = true)"
  "CREATE VIEW shop.products AS SELECT * FROM read_parquet('$PWD/lake/processed/shop/products/**/*.parquet', hive_partitioning = true)")
views=()
while read -r view; do
  setup+=("$(cat "pipeline/views/${view#shop.}.sql")")
  views+=("$view")
done < <("$bin" -q views ls --json | jq -r '.[].view')

best() {  # best VAR CMD...: the fastest of 3 runs of CMD (its wall seconds and peak RSS)
  local var=$1 i s r; shift
  local best_s="" best_r=0
  for i in 1 2 3; do
    measure one "$@"
    if [[ -z "$best_s" ]] || (($(echo "$one_seconds < $best_s" | bc))); then best_s=$one_seconds; fi
    ((one_rss_mib > best_r)) && best_r=$one_rss_mib
  done
  printf -v "${var}_seconds" '%s' "$best_s"
  printf -v "${var}_rss_mib" '%s' "$best_r"
}

rows_md=""
worst=0
for view in "${views[@]}"; do
  [[ "$view" == shop.sales ]] && continue  # the rule the others build on, not a question
  sql="SELECT * FROM $view"
  best ours "$bin" -q query --format csv -o "$work/ours.csv" "$sql"
  # The peer's own timing of the query alone (its last line), best of 3.
  peer_s=""
  for i in 1 2 3; do
    measure peer "$peer" "${setup[@]}" "$sql"
    s=$(tail -1 "$work/out")
    if [[ -z "$peer_s" ]] || (($(echo "$s < $peer_s" | bc))); then peer_s=$s; fi
  done
  ratio=$(echo "scale=2; $ours_seconds / $peer_s" | bc)
  (($(echo "$ratio > $worst" | bc))) && worst=$ratio
  result_rows=$(($(wc -l <"$work/ours.csv") - 1))
  rows_md+="| \`$view\` | $result_rows | $ours_seconds | $ours_rss_mib | $peer_s | $peer_rss_mib | $ratio |"$'\n'
done

{
  echo "# Query benchmark"
  echo
  echo "Command: \`bench/query/run.sh\` (\`make bench\`), $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1). $lines order lines over $days days"
  echo "(\`shoplake simulate --days $days --orders $orders\`), $parquet_bytes bytes of Parquet."
  echo
  echo "shoplake: the whole \`shoplake query --format csv -o FILE \"SELECT * FROM <view>\"\` process"
  echo "(start, catalog, mounting, the query, results/<id>.csv and .json). DuckDB: the same view"
  echo "SQL over the same files, the query alone timed inside one process. Best of 3 each."
  echo
  echo "| view | rows | shoplake s | shoplake peak RSS MiB | DuckDB s | DuckDB peak RSS MiB | ratio (shoplake / DuckDB) |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$rows_md"
  echo
  echo "Worst ratio: **$worst** (the aim: at most 1.2)."
} | tee "$root/bench/query/results.md"
