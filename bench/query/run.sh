#!/usr/bin/env bash
# Each analytics view (shipped over the demo's sales model) answered by `shoplake query` -- the whole process:
# start, catalog, mounting, the query, the saved result -- against a DuckDB process running
# the same SQL directly (bench_duckdb_sql, the same libduckdb) over the same Parquet files,
# in the same run; alternating, best of 5 each, with peak memory. Over ~10M order lines.
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
load_start=$(cut -d" " -f1-3 /proc/loadavg)
enter_bench_project
"$bin" -q simulate --out exports --days "$days" --orders "$orders" --dirty-rate 0 --realities 0 --seed 42 >/dev/null
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
# The views' SQL as the catalog recorded it (the sales model's and the shipped ones).
while IFS= read -r -d '' sql; do setup+=("$sql"); done < <("$bin" -q views ls --json | jq -j '.[].sql + "\u0000"')
while read -r view; do views+=("$view"); done < <("$bin" -q views ls --json | jq -r '.[].view')

# Both sides are whole processes, run alternately (shoplake, DuckDB, shoplake, ...) so that
# whatever else the machine does falls on both alike; best of 5 each. The DuckDB process
# also prints the query's own time (its last line), reported beside it: shoplake's process
# includes what the peer's setup does (views over the files) plus the catalog and the
# saved result.
runs=5
rows_md=""
worst=0
for view in "${views[@]}"; do
  [[ "$view" == shop.sales ]] && continue  # the rule the others build on, not a question
  sql="SELECT * FROM $view"
  ours_s="" peer_s="" peer_query_s="" ours_r=0 peer_r=0
  for ((i = 0; i < runs; i++)); do
    measure ours "$bin" -q query --format csv -o "$work/ours.csv" "$sql"
    measure peer "$peer" "${setup[@]}" "$sql"
    q=$(tail -1 "$work/out")
    if [[ -z "$ours_s" ]] || (($(echo "$ours_seconds < $ours_s" | bc))); then ours_s=$ours_seconds; fi
    if [[ -z "$peer_s" ]] || (($(echo "$peer_seconds < $peer_s" | bc))); then peer_s=$peer_seconds; fi
    if [[ -z "$peer_query_s" ]] || (($(echo "$q < $peer_query_s" | bc))); then peer_query_s=$q; fi
    ((ours_rss_mib > ours_r)) && ours_r=$ours_rss_mib
    ((peer_rss_mib > peer_r)) && peer_r=$peer_rss_mib
  done
  ratio=$(echo "scale=2; $ours_s / $peer_s" | bc)
  query_ratio=$(echo "scale=2; $ours_s / $peer_query_s" | bc)
  (($(echo "$ratio > $worst" | bc))) && worst=$ratio
  result_rows=$(($(wc -l <"$work/ours.csv") - 1))
  rows_md+="| \`$view\` | $result_rows | $ours_s | $ours_r | $peer_s | $peer_r | $ratio | $peer_query_s | $query_ratio |"$'\n'
done

{
  echo "# Query benchmark"
  echo
  echo "Command: \`bench/query/run.sh\` (\`make bench\`), $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1). $lines order lines over $days days"
  echo "(\`shoplake simulate --days $days --orders $orders --realities 0\`), $parquet_bytes bytes of Parquet."
  echo
  echo "shoplake: the whole \`shoplake query --format csv -o FILE \"SELECT * FROM <view>\"\` process"
  echo "(start, catalog, mounting, the query, results/<id>.csv and .json). DuckDB: a process running"
  echo "the same SQL directly (views over the same files, the view SQL, the query); its own timing"
  echo "of the query statement alone is in the last columns. Alternating, best of $runs each."
  echo
  echo "| view | rows | shoplake s | shoplake peak RSS MiB | DuckDB s | DuckDB peak RSS MiB | ratio (shoplake / DuckDB) | DuckDB query alone s | ratio to it |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows_md"
  echo
  echo "Worst ratio: **$worst** (the aim: at most 1.2)."
  echo
  echo "Load average (1, 5, 15 min) when the run started: $load_start; when it ended: $(cut -d" " -f1-3 /proc/loadavg)."
} | tee "$root/bench/query/results.md"
