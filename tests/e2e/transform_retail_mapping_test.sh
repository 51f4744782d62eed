#!/usr/bin/env bash
# The UCI Online Retail export (../shared/datasets/online_retail_head, bytes as published,
# CRLF) through a hand-written mapping that leaves `Description` out, derives
# `is_cancellation` (InvoiceNo LIKE 'C%') and `revenue` (Quantity * UnitPrice), and reads
# InvoiceDate as "%m/%d/%Y %H:%M": every row loads (no primary key: its 25 repeated lines
# are real), and the figures are Python's (csv module and Decimal) over the same bytes.
source "$(dirname "$0")/lib.sh"

RETAIL="$SHOPLAKE_SOURCE/../shared/datasets/online_retail_head/OnlineRetail.csv"
[[ -f "$RETAIL" ]] || RETAIL="/work/shared/datasets/online_retail_head/OnlineRetail.csv"
[[ -f "$RETAIL" ]] || fail "no OnlineRetail.csv (../shared/datasets/online_retail_head)"

project="$SCRATCH/retail"
mkdir -p "$project/exports/retail" "$project/mappings"
cp "$RETAIL" "$project/exports/retail/"
printf 'name: retail\nlake: lake\nsources:\n  shop: {uri: exports}\ndatasets:\n  retail: {source: shop, pattern: "retail/*.csv", mapping: mappings/retail.yaml}\n' \
  >"$project/shoplake.yaml"
cat >"$project/mappings/retail.yaml" <<'YAML'
dataset: retail
database: retail
table: invoice_lines
columns:
  - {name: invoice_no, source: InvoiceNo, type: varchar, nullable: false}
  - {name: stock_code, source: StockCode, type: varchar}
  - {name: quantity, source: Quantity, type: int}
  - {name: invoice_date, source: InvoiceDate, type: timestamp, format: "%m/%d/%Y %H:%M"}
  - {name: unit_price, source: UnitPrice, type: "decimal(12,4)"}
  - {name: customer_id, source: CustomerID, type: bigint}
  - {name: country, source: Country, type: varchar}
  - {name: is_cancellation, type: boolean, expr: "invoice_no LIKE 'C%'"}
  - {name: revenue, type: "decimal(18,4)", expr: "quantity * unit_price"}
YAML

# Python's figures, from the published bytes.
expected="$(python3 - "$RETAIL" <<'PY'
import csv, sys
from collections import Counter
from decimal import Decimal
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
repeated = sum(n - 1 for n in Counter(tuple(r.values()) for r in rows).values() if n > 1)
revenue = sum(Decimal(r['Quantity']) * Decimal(r['UnitPrice']) for r in rows)
cancellations = sum(r['InvoiceNo'].startswith('C') for r in rows)
print(f"{len(rows)},{revenue:.4f},{cancellations},{len({r['InvoiceNo'] for r in rows})},{repeated}")
PY
)"
IFS=, read -r rows revenue cancellations invoices repeated <<<"$expected"
assert_eq "$rows" 1071 "Python's rows of OnlineRetail.csv"
assert_eq "$repeated" 25 "Python's repeated lines"

in_dir "$project" "$SHOPLAKE" -q ingest exports --source-name shop --ingest-date 2026-11-10 >/dev/null
run_status code in_dir "$project" "$SHOPLAKE" -q transform retail --json
[[ "$code" == 0 ]] || fail "transform: exit $code: $ERR"
assert_eq "$ERR" "" "the transform warns of nothing"
assert_eq "$(jq -c '.[0].totals | [.rows_read, .rows_written, .rows_rejected]' <<<"$OUT")" \
  "[$rows,$rows,0]" "rows read, written, rejected"
run_status code in_dir "$project" "$SHOPLAKE" -q query --format csv \
  "SELECT count(*) AS n, CAST(sum(revenue) AS VARCHAR) AS revenue,
     count(*) FILTER (is_cancellation) AS cancellations, count(DISTINCT invoice_no) AS invoices
   FROM retail.invoice_lines"
[[ "$code" == 0 ]] || fail "query: exit $code: $ERR"
assert_eq "$OUT" "n,revenue,cancellations,invoices
$rows,$revenue,$cancellations,$invoices" "rows, revenue, cancellations, invoices"
run_status code in_dir "$project" "$SHOPLAKE" -q query --format csv \
  "SELECT column_name FROM (DESCRIBE retail.invoice_lines) WHERE column_name ILIKE '%description%'"
assert_eq "$OUT" "column_name" "Description is not read into the table"
echo "ok: OnlineRetail.csv: $rows rows, revenue $revenue, $cancellations cancellations"
