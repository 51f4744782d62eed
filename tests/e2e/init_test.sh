#!/usr/bin/env bash
# `shoplake init` then `shoplake run` on two public exports nobody on the team wrote
# (../shared/datasets: Tableau's Superstore, Windows-1252 with M/D/YYYY dates; the UCI Online
# Retail head, real invoices with cancellations and blank customers), bytes as published and
# no edit between the two commands. Every figure is checked against Python's csv module with
# Decimal over the same bytes, never against the lake; every row read is accounted for. The
# shipped analytics views over the sales model init proposes are checked row for row the same
# way (tests/data/init/expected_views.py), and each project's dashboard in chromium: the
# panels its data supports, a note for each it does not, the KPIs the views' figures.
# Screenshots go to $SHOPLAKE_ARTIFACTS/init.
source "$(dirname "$0")/lib.sh"
artifacts="${SHOPLAKE_ARTIFACTS:-$SCRATCH/artifacts}/init"
mkdir -p "$artifacts"
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
# python_rows DATASET QUERY: QUERY's rows (a shipped view, or revenue_by_year/_category) as
# tests/data/init/expected_views.py derives them from the dataset's published bytes: the
# views' documented rules written again with Python's csv module and Decimal.
python_rows() {
  local file="Sample - Superstore.csv"
  [[ "$1" == superstore ]] || file=OnlineRetail.csv
  python3 "$SHOPLAKE_SOURCE/tests/data/init/expected_views.py" "$1" "$SCRATCH/exports/$1/$file" "$2"
}
# assert_rows SQL DATASET QUERY: SQL's rows, as `shoplake query` prints them in CSV (header
# first), are python_rows DATASET QUERY's; a difference shows as a diff (< Python, > shoplake).
assert_rows() {
  run_status code "$SHOPLAKE" query --format csv "$1"
  assert_eq "$code" 0 "$1: $ERR"
  local want
  want="$(python_rows "$2" "$3")"
  [[ "$OUT" == "$want" ]] ||
    fail "$2 $3: '$1' is not Python's: $(diff <(echo "$want") <(echo "$OUT") | head -n 20)"
}
# look_at_dashboard PNG: renders the project's dashboard (`shoplake report`) and looks at it
# in chromium from file:// (tests/js/dashboard_browser.mjs) into seen.json: no console error,
# no request leaving the page, every chart drawn. Sets REPORT to what report printed.
look_at_dashboard() {
  run_status code "$SHOPLAKE" report
  assert_eq "$code" 0 "report: $ERR"
  REPORT="$OUT"
  node "$SHOPLAKE_SOURCE/tests/js/dashboard_browser.mjs" "file://$PWD/lake/reports/dashboard.html" \
    "$1" >seen.json || fail "the browser run failed"
  assert_eq "$(jq -c .errors seen.json)" "[]" "console errors and outside requests"
  assert_eq "$(jq -c '[.before.panels[] | select(.type != "kpi" and .bars + .points == 0)]' seen.json)" \
    "[]" "every chart has bars or points"
}
# tile_text NUMBER: NUMBER as a KPI tile shows it: thousands separated, a decimal one to the
# cent (half away from zero).
tile_text() {
  python3 - "$1" <<'PY'
import sys
from decimal import ROUND_HALF_UP, Decimal as D
n = D(sys.argv[1])
print(f"{n:,}" if "." not in sys.argv[1] else f"{n.quantize(D('0.01'), ROUND_HALF_UP):,}")
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

# The shipped views over the sales model init proposed (no stock: no out-of-stock view), row
# for row, and per-year and per-category sums of superstore.sales. Five of the twenty ranked
# products have had several names: the smallest, largest, first or last in the file would
# each label one of them wrongly; the latest sale's is right.
run_status code "$SHOPLAKE" views apply
assert_eq "$code" 0 "views apply: $ERR"
assert_eq "$(grep '^note:' <<<"$OUT")" \
  "note: superstore.out_of_stock_products skipped: it needs the sales model's stock (sales.stock in shoplake.yaml)" \
  "the one view Superstore's data cannot give"
for view in total_sales monthly_trend top10_customers top10_seller_products sales_by_branch \
            profit repeat_customer_rate; do
  assert_rows "SELECT * FROM superstore.$view" superstore "$view"
done
assert_rows "SELECT year(order_date) AS year, sum(revenue) AS revenue FROM superstore.sales GROUP BY year ORDER BY year" \
  superstore revenue_by_year
assert_rows "SELECT category, sum(revenue) AS revenue FROM superstore.sales GROUP BY category ORDER BY category" \
  superstore revenue_by_category

# Its dashboard: the panels the model supports, a note for each part it cannot show, the KPI
# tiles the views' figures.
look_at_dashboard "$artifacts/superstore.png"
assert_contains "$REPORT" "report reports/dashboard.html: 5 panels" "what report wrote"
assert_eq "$(jq -r '.before.panels | keys | join(",")' seen.json)" \
  "kpis,monthly_trend,sales_by_branch,top_customers,top_products" "the panels shown"
assert_eq "$(jq -c .before.skipped seen.json)" \
  '{"kpis.cancelled_orders":"Cancelled orders: needs the sales model'"'"'s cancellation (sales.cancellation in shoplake.yaml)","out_of_stock":"Out of stock: needs the sales model'"'"'s stock (sales.stock in shoplake.yaml)"}' \
  "the parts left out, each with why"
IFS=, read -r revenue orders average <<<"$(figure "SELECT revenue, orders, avg_order_value FROM superstore.total_sales WHERE grain = 'all'")"
margin="$(figure "SELECT margin_pct FROM superstore.profit WHERE grain = 'all'")"
assert_eq "$(jq -c .before.panels.kpis.tiles seen.json)" \
  "$(jq -nc --arg r "$(tile_text "$revenue")" --arg o "$(tile_text "$orders")" --arg a "$(tile_text "$average")" \
     --arg m "$margin %" '{revenue: $r, orders: $o, avg_order_value: $a, margin_pct: $m}')" \
  "the KPI tiles: superstore.total_sales and superstore.profit"
assert_eq "$(jq -c '.before.panels | [.top_products.bars, .top_customers.bars, .sales_by_branch.bars, .monthly_trend.points]' seen.json)" \
  "[10,10,4,48]" "ten products, ten customers, four regions, 48 months"
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
            "product_line: substr(stock_code, 1, 1) BETWEEN '0' AND '9'"; do
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

# The shipped views, net of cancellations, rankings over positive sales of products (no cost:
# no profit view; no stock: no out-of-stock view), and the dashboard that goes with them.
run_status code "$SHOPLAKE" views apply
assert_eq "$code" 0 "views apply: $ERR"
assert_eq "$(grep '^note:' <<<"$OUT")" \
  "note: retail.out_of_stock_products skipped: it needs the sales model's stock (sales.stock in shoplake.yaml)
note: retail.profit skipped: it needs the sales model's cost (sales.cost or sales.profit in shoplake.yaml)" \
  "the views the retail data cannot give"
for view in total_sales monthly_trend top10_customers top10_seller_products sales_by_branch \
            repeat_customer_rate; do
  assert_rows "SELECT * FROM retail.$view" retail "$view"
done
look_at_dashboard "$artifacts/retail.png"
assert_eq "$(jq -r '.before.panels | keys | join(",")' seen.json)" \
  "kpis,monthly_trend,sales_by_branch,top_customers,top_products" "the panels shown"
assert_eq "$(jq -c .before.skipped seen.json)" \
  '{"kpis.margin_pct":"Profit margin: needs the sales model'"'"'s cost (sales.cost or sales.profit in shoplake.yaml)","out_of_stock":"Out of stock: needs the sales model'"'"'s stock (sales.stock in shoplake.yaml)"}' \
  "the parts left out, each with why"
IFS=, read -r revenue orders average cancelled <<<"$(figure "SELECT revenue, orders, avg_order_value, cancelled_orders FROM retail.total_sales WHERE grain = 'all'")"
assert_eq "$(jq -c .before.panels.kpis.tiles seen.json)" \
  "$(jq -nc --arg r "$(tile_text "$revenue")" --arg o "$(tile_text "$orders")" --arg a "$(tile_text "$average")" \
     --arg c "$(tile_text "$cancelled")" '{revenue: $r, orders: $o, avg_order_value: $a, cancelled_orders: $c}')" \
  "the KPI tiles: retail.total_sales"
assert_eq "$(jq -c '.before.panels | [.top_products.bars, .top_customers.bars, .sales_by_branch.bars, .monthly_trend.points]' seen.json)" \
  "[10,10,4,1]" "ten products, ten customers, four countries, one month"
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
