#!/usr/bin/env bash
# Generator throughput and peak memory at 10M order lines, against DuckDB's own CSV writer
# writing as many rows of the same columns in the same run (the ratio), each on one thread
# and on every core. Usage: bench/simulate/run.sh [path/to/shoplake] [bench_duckdb_sql]
# Writes bench/simulate/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"
peer="${2:-$root/build-bench/bench/bench_duckdb_sql}"
[[ -x "$peer" ]] || { echo "bench: build the peer first (make bench does): $peer" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-simulate.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cores=$(nproc)
# 2.17 order lines per order on average (measured on the demo shop): 4.61M orders ~ 10M lines.
orders=${BENCH_ORDERS:-4610000}

source "$root/bench/lib.sh"

rows=0; bytes=0
declare -A sim_s sim_rss peer_s peer_rss
for threads in 1 "$cores"; do
  rm -rf "$work/sim"
  measure run "$bin" -q simulate --out "$work/sim" --orders "$orders" --days 90 --start 2026-01-01 --seed 42 --dirty-rate 0.01 --realities 0 --threads "$threads"
  sim_s[$threads]=$run_seconds; sim_rss[$threads]=$run_rss_mib
  rows=$(jq .totals.order_lines "$work/sim/_manifest.json")
  bytes=$(jq .totals.bytes "$work/sim/_manifest.json")
done
order_bytes=$(jq '[.files[] | select(.path | startswith("orders/")) | .bytes] | add' "$work/sim/_manifest.json")
rm -rf "$work/sim"

# The peer: DuckDB writes as many order lines with the same 18 columns as CSV.
copy_sql="COPY (SELECT 1000001 + i // 2 AS order_id, i % 3 + 1 AS line_no,
  TIMESTAMP '2026-01-01' + to_seconds(i % 7776000) AS order_ts,
  ['completed', 'cancelled', 'returned'][i % 3 + 1] AS status, 'card' AS payment_method,
  i % 40000 AS customer_id, 'Anna Müller' AS customer_name,
  'anna.mueller' || (i % 40000) || '@example.com' AS customer_email, 7 AS branch_id,
  'Web Shop' AS branch_name, 'web' AS branch_type, 10001 + i % 900 AS product_id,
  'Nordic Vase, set of 2' AS product_name, 'Home' AS category, 1 + i % 3 AS quantity,
  ((i % 10000) / 100)::DECIMAL(10,2) AS unit_price, ((i % 5000) / 100)::DECIMAL(10,2) AS unit_cost,
  0.00::DECIMAL(10,2) AS discount FROM range($rows) t(i)) TO '$work/peer.csv' (HEADER, DELIMITER ',')"
for threads in 1 "$cores"; do
  measure run "$peer" "SET threads = $threads" "$copy_sql"
  peer_s[$threads]=$(tail -1 "$work/out"); peer_rss[$threads]=$run_rss_mib
done
peer_bytes=$(stat -c %s "$work/peer.csv")

mbs() { echo "scale=1; $1 / 1000000 / $2" | bc; }
{
  echo "# Generator benchmark"
  echo
  echo "Command: \`bench/simulate/run.sh\` (\`make bench\`), $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
  echo "shoplake: \`shoplake simulate --orders $orders --days 90 --seed 42 --dirty-rate 0.01 --realities 0 --threads T\`:"
  echo "$rows order lines, $bytes bytes in all ($order_bytes in orders/), sha256 of every file included."
  echo "Peer: DuckDB $("$bin" --version | sed 's/.*DuckDB \(v[0-9.]*\).*/\1/') \`COPY (SELECT ... FROM range($rows)) TO 'x.csv'\` with the same 18 columns ($peer_bytes bytes)."
  echo
  echo "| threads | shoplake s | shoplake MB/s | MB/s per core | peak RSS MiB | DuckDB s | DuckDB MB/s | DuckDB peak RSS MiB | shoplake / DuckDB speed |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for threads in 1 "$cores"; do
    s=${sim_s[$threads]}; p=${peer_s[$threads]}
    echo "| $threads | $s | $(mbs "$bytes" "$s") | $(echo "scale=1; $bytes / 1000000 / $s / $threads" | bc) | ${sim_rss[$threads]} | $p | $(mbs "$peer_bytes" "$p") | ${peer_rss[$threads]} | $(echo "scale=2; ($bytes / $s) / ($peer_bytes / $p)" | bc) |"
  done
} | tee "$root/bench/simulate/results.md"
