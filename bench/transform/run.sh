#!/usr/bin/env bash
# CSV -> Parquet throughput of `shoplake transform orders` (every mapping rule on: casts,
# not_null, min, accepted_values, regex, max_length, references, dedup on the primary key,
# partitions, rejects with their lines) against DuckDB's own COPY (SELECT * FROM
# read_csv(...)) TO ... (FORMAT parquet) of the same 10M-line file, in the same run; rows/s,
# MB/s and peak memory, and where the transform spends its time; and the same transform of a
# Windows-1252 twin of the file (csv.encoding: windows-1252: transcoded to UTF-8 by iconv
# before the parse), as a ratio to the UTF-8 file's time.
# Usage: bench/transform/run.sh [path/to/shoplake] [bench_duckdb_sql]
# Writes bench/transform/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"
peer="$(realpath "${2:-$root/build-bench/bench/bench_duckdb_sql}")"
[[ -x "$peer" ]] || { echo "bench: build the peer first (make bench does): $peer" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-transform.XXXXXX")"
trap 'rm -rf "$work"' EXIT
orders=${BENCH_ORDERS:-4610000}  # ~10M order lines, all on one day: one file

# What else runs on the machine: the numbers depend on it (the peer runs in the same window).
load() { cut -d' ' -f1 /proc/loadavg; }
busy() {  # the busiest other processes, as "name (cpu%)"
  ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 {printf "%s%s (%s%%)", n++ ? ", " : "", $2, $1}'
}
load_start=$(load)
busy_start="$(busy)"

source "$root/bench/lib.sh"
enter_bench_project
"$bin" -q simulate --out exports --days 1 --orders "$orders" --dirty-rate 0.001 --realities 0 --seed 42 >/dev/null
"$bin" -q ingest "$PWD/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null
"$bin" -q transform products >/dev/null
csv="$(ls "$PWD"/lake/raw/shop/ingest_date=2026-11-27/orders/*.csv)"
csv_bytes=$(stat -c %s "$csv")
# The types the transform reads the file with, from its plan: the peer reads with the same.
plan="$("$bin" transform orders --dry-run)"
types="$(grep -o "columns = {[^}]*}" <<<"$plan" | head -1)"
formats="$(grep -oE "(timestampformat|dateformat) = '[^']*'" <<<"$plan" | sort -u | paste -sd, -)"

measure ours "$bin" -v transform orders --json
cp "$work/err" "$work/ours.err"
rows=$(jq '.[0].totals.rows_read' "$work/out")
written=$(jq '.[0].totals.rows_written' "$work/out")
parquet_bytes=$(du -cb lake/processed/shop/order_lines | tail -1 | cut -f1)

# rows_of FILE: the rows of a Parquet file, counted by the peer.
rows_of() {
  "$peer" "COPY (SELECT count(*) FROM '$1') TO '$work/count.csv' (HEADER false)" >/dev/null
  cat "$work/count.csv"
}
# DuckDB's own typed copy: the same explicit types, its rejects tables taking the rows that
# do not parse or cast (no rules, no duplicates, no partitions, no line numbers).
measure peer "$peer" "COPY (SELECT * FROM read_csv('$csv', $types, header = true, delim = ',',
  quote = '\"', escape = '\"', nullstr = [''], ${formats:+$formats, }auto_detect = false,
  store_rejects = true)) TO '$work/peer.parquet' (FORMAT parquet, COMPRESSION zstd)"
peer_rows=$(rows_of "$work/peer.parquet")
# The two halves of that copy, for the floor below: the typed read alone (every column parsed
# and used, nothing written), and the write alone (the copy's Parquet written again).
measure peer_read "$peer" "SELECT sum(hash(COLUMNS(*))) FROM read_csv('$csv', $types, header = true,
  delim = ',', quote = '\"', escape = '\"', nullstr = [''], ${formats:+$formats, }auto_detect = false,
  store_rejects = true)"
measure peer_write "$peer" "COPY (SELECT * FROM '$work/peer.parquet') TO '$work/again.parquet'
  (FORMAT parquet, COMPRESSION zstd)"
# The command as the issue names it: types guessed by DuckDB's sniffer, bad rows skipped by
# ignore_errors. DuckDB 1.4.4 then loses whole chunks of good rows (see its row count).
measure sniffed "$peer" "COPY (SELECT * FROM read_csv('$csv', header = true, delim = ',',
  quote = '\"', escape = '\"', ignore_errors = true)) TO '$work/sniffed.parquet'
  (FORMAT parquet, COMPRESSION zstd)"
sniffed_rows=$(rows_of "$work/sniffed.parquet")

# The Windows-1252 twin: the same lines in Windows-1252 (a line that is no UTF-8, one of the
# simulator's faults, kept as its bytes; a character Windows-1252 lacks written "?"), as a
# dataset of its own whose mapping is the orders' with csv.encoding: windows-1252.
mkdir -p exports/orders_cp1252
python3 - "$csv" exports/orders_cp1252/orders.csv <<'PY'
import sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
    for line in src:
        try:
            out.write(line.decode("utf-8").encode("cp1252", errors="replace"))
        except UnicodeDecodeError:
            out.write(line)
PY
sed -e 's/^dataset: orders$/dataset: orders_cp1252/' -e 's/^table: order_lines$/table: order_lines_cp1252/' \
  -e 's/encoding: utf-8/encoding: windows-1252/' pipeline/mappings/orders.yaml >pipeline/mappings/orders_cp1252.yaml
echo '  orders_cp1252: {source: shop, pattern: "orders_cp1252/*.csv", mapping: pipeline/mappings/orders_cp1252.yaml}' >>shoplake.yaml
"$bin" -q ingest "$PWD/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null
cp1252_bytes=$(stat -c %s exports/orders_cp1252/orders.csv)
measure cp1252 "$bin" -v transform orders_cp1252 --json
cp "$work/err" "$work/cp1252.err"
cp1252_written=$(jq '.[0].totals.rows_written' "$work/out")
load_end=$(load)
busy_end="$(busy)"

ratio=$(echo "scale=2; $peer_seconds / $ours_seconds" | bc)
# Exact reject lines need the rows' order, which DuckDB's CSV reader keeps only in an
# order-keeping COPY, and it gives no row its position: so the rows are written twice (a work
# file in order, then the table). The least that costs: DuckDB's copy plus its write again.
floor_seconds=$(echo "$peer_seconds + $peer_write_seconds" | bc)
floor_ratio=$(echo "scale=2; $floor_seconds / $ours_seconds" | bc)
row() {  # row WHAT SECONDS ROWS_WRITTEN RSS_MIB
  echo "| $1 | $2 | $3 | $(echo "$rows / $2" | bc) | $(echo "scale=1; $csv_bytes / 1000000 / $2" | bc) | $4 |"
}
{
  echo "# Transform benchmark"
  echo
  echo "Command: \`bench/transform/run.sh\` (\`make bench\`), $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1). One orders file of $rows rows,"
  echo "$csv_bytes bytes (\`shoplake simulate --days 1 --orders $orders --dirty-rate 0.001 --realities 0\`)."
  echo "rows/s and MB/s are of the file's rows and bytes (what each one reads)."
  echo
  echo "| what | seconds | rows written | rows/s | MB/s of CSV | peak RSS MiB |"
  echo "|---|---|---|---|---|---|"
  row "shoplake transform orders (all rules, dedup, references, year/month partitions, rejects with lines; $parquet_bytes bytes of Parquet)" "$ours_seconds" "$written" "$ours_rss_mib"
  row "DuckDB: COPY (SELECT * FROM read_csv(..., the same types, store_rejects = true)) TO ... (FORMAT parquet, COMPRESSION zstd)" "$peer_seconds" "$peer_rows" "$peer_rss_mib"
  row "DuckDB, the command as the issue wrote it: read_csv(..., ignore_errors = true), types sniffed" "$sniffed_seconds" "$sniffed_rows" "$sniffed_rss_mib"
  row "DuckDB: the typed read alone (every column parsed and hashed, nothing written)" "$peer_read_seconds" "0" "$peer_read_rss_mib"
  row "DuckDB: the write alone (its copy's Parquet written again)" "$peer_write_seconds" "$peer_rows" "$peer_write_rss_mib"
  echo
  echo "Ratio (DuckDB's typed copy's time / shoplake's time, 1.0 = as fast): **$ratio**"
  echo
  echo "The floor for exact reject lines: DuckDB's CSV reader gives a row no position, and keeps"
  echo "the rows' order only when a COPY writes them in order, so a refused row's line is known"
  echo "only if every row is written once in order (a work file) and then again into the table."
  echo "DuckDB's copy plus its write alone: ${floor_seconds}s; against it shoplake's ratio is"
  echo "**$floor_ratio** (docs/decisions/0006-exact-reject-lines.md)."
  echo
  echo "Windows-1252: the same transform of the file's Windows-1252 twin ($cp1252_bytes bytes,"
  echo "\`csv.encoding: windows-1252\`, transcoded to UTF-8 by iconv first): ${cp1252_seconds}s,"
  echo "$cp1252_written rows written, peak RSS ${cp1252_rss_mib} MiB; its time over the UTF-8 file's:"
  echo "**$(echo "scale=2; $cp1252_seconds / $ours_seconds" | bc)** (target: at most 1.3). Its decode step:"
  echo "$(sed -n 's/.*transform orders_cp1252: \(decode to UTF-8 in [0-9.]*s ([0-9.]*s CPU)\).*/\1/p' "$work/cp1252.err")."
  echo
  echo "Where the transform's time goes (\`shoplake -v transform\`; CPU is every thread's):"
  echo
  echo "| step | seconds | CPU seconds |"
  echo "|---|---|---|"
  sed -n 's/.*transform orders: \(.*\) in \([0-9.]*\)s (\([0-9.]*\)s CPU).*/| \1 | \2 | \3 |/p' "$work/ours.err"
  echo
  echo "Load average when the run started and ended: $load_start, $load_end."
  echo "Other busy processes at the start: ${busy_start:-none}; at the end: ${busy_end:-none}."
} | tee "$root/bench/transform/results.md"
