#!/usr/bin/env bash
# `shoplake init` then `shoplake run` on two public exports nobody on the team wrote
# (../shared/datasets: Tableau's Superstore, Windows-1252 with M/D/YYYY dates; the UCI Online
# Retail head, real invoices with cancellations and blank customers), bytes as published and
# no edit between the two commands. Every figure is checked against Python's csv module with
# Decimal over the same bytes, never against the lake; every row read is accounted for.
source "$(dirname "$0")/lib.sh"
datasets="${SHOPLAKE_DATASETS:-$SHOPLAKE_SOURCE/../shared/datasets}"
if [[ ! -f "$datasets/superstore/Sample - Superstore.csv" ]]; then
  echo "skip: the public datasets are not at $datasets (set SHOPLAKE_DATASETS)"
  exit 77
fi
mkdir -p exports/superstore exports/retail
cp "$datasets/superstore/Sample - Superstore.csv" exports/superstore/
cp "$datasets/online_retail_head/OnlineRetail.csv" exports/retail/
published="$(cd exports && sha256sum superstore/* retail/*)"

# python_figures FILE ENCODING SQL-LIKE-PROGRAM: runs the Python program with `rows` (the
# file's records as dicts) and D (Decimal) defined; prints what it prints.
python_figures() {
  python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
from decimal import Decimal as D
path, encoding, program = sys.argv[1:]
with open(path, newline="", encoding=encoding) as f:
    rows = list(csv.DictReader(f))
exec(program)
PY
}
# figure SQL: the query's one row, as CSV.
figure() {
  run_status code "$SHOPLAKE" query --format csv "$1"
  assert_eq "$code" 0 "$1: $ERR"
  tail -n 1 <<<"$OUT"
}

# --- Superstore ----------------------------------------------------------------------------
mkdir superstore && cd superstore
run_status code "$SHOPLAKE" init ../exports/superstore
assert_eq "$code" 0 "init: $ERR"
assert_contains "$OUT" "encoding windows-1252" "init says the encoding it found"
assert_contains "$OUT" "check: the bytes are not UTF-8; they look like windows-1252" "and what to check"
mapping="$(cat pipeline/mappings/sample_superstore.yaml)"
for part in 'encoding: windows-1252' '{name: order_date, source: Order Date, type: date, format: "%m/%d/%Y"}' \
            '{name: sales, source: Sales, type: "decimal(18,4)"}' 'primary_key: [row_id]' \
            '{name: sub_category, source: Sub-Category, type: varchar}'; do
  assert_contains "$mapping" "$part" "the drafted mapping"
done
# The sales model init proposes (the roles: tests/unit/transform/sales_draft_test.cpp): Sales is
# net (Discount is a rate), region is the branch, and the shipped dashboard is the project's.
project="$(cat shoplake.yaml)"
for part in $'sales:\n  table: sample_superstore\n  order: order_id  # Order ID\n  time: order_date' \
            'revenue: sales  # Sales' 'branch: region  # Region' 'profit: profit  # Profit'; do
  assert_contains "$project" "$part" "the proposed sales model"
done
assert_not_contains "$project" "discount:" "a discount rate is not an amount"
assert_contains "$OUT" "check: revenue is sales: discount (0 to 0.8) is a rate" "init says why"
[[ ! -e pipeline/dashboard.yaml ]] || fail "with a sales model, no dashboard.yaml overrides the shipped one"
run_status code "$SHOPLAKE" -q run
assert_eq "$code" 0 "run on init's project: $ERR"
run_status code "$SHOPLAKE" transform sample_superstore --json --full-refresh
totals="$(jq -c '.[0].totals' <<<"$OUT")"
expected="$(python_figures "../exports/superstore/Sample - Superstore.csv" cp1252 '
years = {}
for r in rows:
    y = r["Order Date"].split("/")[2]
    years[y] = years.get(y, D(0)) + D(r["Sales"])
print(len(rows), sum(D(r["Sales"]) for r in rows), sum(D(r["Profit"]) for r in rows),
      sum(int(r["Quantity"]) for r in rows), len({r["Order ID"] for r in rows}),
      len({r["Customer ID"] for r in rows}))
print(" ".join(f"{y}:{years[y]}" for y in sorted(years)))
print(sum(1 for r in rows if any(ord(c) > 127 for c in r["Product Name"] + r["Customer Name"])))')"
read -r rows sales profit units orders customers <<<"$(head -n 1 <<<"$expected")"
assert_eq "$rows" 9994 "Python reads Superstore's 9,994 records"
assert_eq "$(figure "SELECT count(*), sum(sales), sum(profit), sum(quantity), count(DISTINCT order_id), count(DISTINCT customer_id) FROM superstore.sample_superstore")" \
  "$rows,$sales,$profit,$units,$orders,$customers" "Superstore's totals, to the data's 4 decimals"
assert_eq "$(figure "SELECT string_agg(y || ':' || s, ' ' ORDER BY y) FROM (SELECT year(order_date) AS y, sum(sales) AS s FROM superstore.sample_superstore GROUP BY 1)")" \
  "$(sed -n 2p <<<"$expected")" "sales per year (M/D/YYYY dates read right)"
# Per month, category and region, and the ten biggest customers and products by sales (ties
# to the lower id), each summed exactly (printed at the column's scale, 4, as DuckDB does).
groups="$(python_figures "../exports/superstore/Sample - Superstore.csv" cp1252 '
def by(key):
    sums = {}
    for r in rows:
        sums[key(r)] = sums.get(key(r), D(0)) + D(r["Sales"])
    return sums
months = by(lambda r: "%s-%02d" % (r["Order Date"].split("/")[2], int(r["Order Date"].split("/")[0])))
four = D("0.0001")
print(" ".join(f"{k}:{v.quantize(four)}" for k, v in sorted(months.items())))
for column in ("Category", "Region"):
    print(" ".join(f"{k}:{v.quantize(four)}" for k, v in sorted(by(lambda r: r[column]).items())))
for column in ("Customer ID", "Product ID"):
    top = sorted(by(lambda r: r[column]).items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    print(" ".join(f"{k}:{v.quantize(four)}" for k, v in top))')"
sums() { figure "SELECT string_agg(k || ':' || s, ' ' ORDER BY $2) FROM (SELECT $1 AS k, sum(sales) AS s FROM superstore.sample_superstore GROUP BY 1 ${3:-})"; }
assert_eq "$(sums "strftime(order_date, '%Y-%m')" k)" "$(sed -n 1p <<<"$groups")" "sales per month"
assert_eq "$(sums category k)" "$(sed -n 2p <<<"$groups")" "sales per category"
assert_eq "$(sums region k)" "$(sed -n 3p <<<"$groups")" "sales per region"
assert_eq "$(sums customer_id "s DESC, k" "ORDER BY s DESC, k LIMIT 10")" "$(sed -n 4p <<<"$groups")" \
  "the ten biggest customers"
assert_eq "$(sums product_id "s DESC, k" "ORDER BY s DESC, k LIMIT 10")" "$(sed -n 5p <<<"$groups")" \
  "the ten best-selling products"
nonascii="$(sed -n 3p <<<"$expected")"
assert_eq "$(figure "SELECT count(*) FROM superstore.sample_superstore WHERE regexp_matches(product_name || customer_name, '[^\\x00-\\x7F]')")" \
  "$nonascii" "the rows with Windows-1252 letters and curly quotes, decoded"
assert_eq "$(figure "SELECT count(*) FROM superstore.sample_superstore WHERE product_name LIKE '%“%”%'")" \
  "$(python_figures "../exports/superstore/Sample - Superstore.csv" cp1252 'print(sum(1 for r in rows if "“" in r["Product Name"]))')" \
  "curly quotes are curly quotes"
cd ..

# --- Online Retail (the head of UCI's file) ------------------------------------------------
mkdir retail && cd retail
run_status code "$SHOPLAKE" init ../exports/retail --name retail
assert_eq "$code" 0 "init: $ERR"
mapping="$(cat pipeline/mappings/online_retail.yaml)"
assert_contains "$mapping" '{name: invoice_date, source: InvoiceDate, type: timestamp, format: "%m/%d/%Y %H:%M"}' \
  "M/D/YYYY H:MM timestamps"
assert_not_contains "$mapping" "primary_key" "no key: 25 identical lines are real"
assert_contains "$OUT" "check: no primary key" "init says why there is none"
project="$(cat shoplake.yaml)"
for part in 'revenue: quantity * unit_price' 'branch: country' "cancellation: invoice_no LIKE 'C%'" \
            "product_line: regexp_matches(stock_code, '^[0-9]')"; do
  assert_contains "$project" "$part" "the proposed sales model"
done
assert_contains "$OUT" "not ranked as products: POST (2), D (1)" "init lists the lines that are not products"
run_status code "$SHOPLAKE" -q run
assert_eq "$code" 0 "run on init's project: $ERR"
expected="$(python_figures ../exports/retail/OnlineRetail.csv utf-8 '
print(len(rows), sum(int(r["Quantity"]) * D(r["UnitPrice"]) for r in rows),
      sum(1 for r in rows if r["InvoiceNo"].startswith("C")),
      len({r["InvoiceNo"] for r in rows}), len({r["CustomerID"] for r in rows if r["CustomerID"]}),
      sum(1 for r in rows if not r["CustomerID"]))')"
read -r rows amount cancellations invoices customers blank <<<"$expected"
assert_eq "$(figure "SELECT count(*), sum(quantity * unit_price), count(*) FILTER (WHERE invoice_no LIKE 'C%'), count(DISTINCT invoice_no), count(DISTINCT customer_id), count(*) FILTER (WHERE customer_id IS NULL) FROM retail.online_retail")" \
  "$rows,$amount,$cancellations,$invoices,$customers,$blank" "Online Retail's figures, cancellations included"

# Every record read is written: nothing refused, nothing dropped as a duplicate.
run_status code "$SHOPLAKE" transform online_retail --json --full-refresh
assert_eq "$(jq -c '.[0].totals | [.rows_read, .rows_written, .rows_rejected, .duplicates_dropped]' <<<"$OUT")" \
  "[$rows,$rows,0,0]" "every line of the retail file is a row"
cd ..
assert_eq "$(jq -c '[.rows_read, .rows_written, .rows_rejected, .duplicates_dropped]' <<<"$totals")" \
  "[9994,9994,0,0]" "every Superstore record is a row"
assert_eq "$(cd exports && sha256sum superstore/* retail/*)" "$published" "the exports are untouched"

# --- What init refuses ----------------------------------------------------------------------
run_status code "$SHOPLAKE" init exports/retail --dir retail
assert_eq "$code" 1 "a project already there (a conflict, as simulate's non-empty --out)"
assert_contains "$ERR" "a project is already there" "says so"
mkdir empty
run_status code "$SHOPLAKE" init empty --dir elsewhere
assert_eq "$code" 2 "a folder without CSV files"
assert_contains "$ERR" "no CSV files in it" "says so"
[[ ! -e elsewhere ]] || fail "nothing written when there is nothing to draft"
echo "init_test: ok"
