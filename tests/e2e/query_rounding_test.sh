#!/usr/bin/env bash
# Exact halves: a hand-written shop (tests/data/query/halves/exports) whose figures land on
# exact halves of a cent or of 0.01%, run through the real pipeline (ingest, transform,
# views apply, query). Every view must round them once, half away from zero (docs/query.md,
# "Rounding"); the DOUBLE arithmetic the views had rounded some of them down.
#
# Each expected figure is worked out by hand below from the exports, and Python's Decimal
# (quantize with ROUND_HALF_UP, which there means half away from zero) computes each again.
source "$(dirname "$0")/lib.sh"

make_project shop && cp -r "$SHOPLAKE_SOURCE/tests/data/query/halves/exports" shop/
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
shoplake -q ingest "$PWD/shop/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null
shoplake -q transform products orders >/dev/null
run_status code shoplake -q views apply
assert_eq "$code" 0 "views apply: $ERR"

# The hand-computed figures below, checked by Python's Decimal (ROUND_HALF_UP there rounds
# half away from zero) from the sums each comment names: numerator, denominator, scale.
decimal_figures="$(python3 - <<'PY'
from decimal import Decimal as D, ROUND_HALF_UP
figures = [("20.15", 2, 1), ("6400.00", 18, 1), ("355.52", "6400.00", 100),
           ("-224.69", "7190.08", 100), ("790.08", "6400.00", 100), ("-224.69", "7190.08", 100),
           ("-6961.86", "6965.39", 100), ("-3.53", "3.53", 100), ("15100.46", "20560.00", 100),
           ("5134.86", "20560.00", 100), ("324.68", "20560.00", 100), (1, 32, 100),
           ("20560.00", 35, 1)]
print(" ".join(str((D(n) * s / D(d)).quantize(D("0.01"), rounding=ROUND_HALF_UP))
               for n, d, s in figures))
PY
)"
assert_eq "$decimal_figures" "10.08 355.56 5.56 -3.13 12.35 -3.13 -99.95 -100.00 73.45 24.98 1.58 3.13 587.43" \
  "Python's Decimal agrees with every hand-computed figure"

# figure SQL: the one value the query returns, as CSV prints it.
figure() {
  run_status code shoplake query --format csv "$1"
  assert_eq "$code" 0 "$1: $ERR"
  tail -n 1 <<<"$OUT"
}

# 2026-01-05: orders 1001 (10.00) and 1002 (10.15): 20.15 / 2 = 10.075 -> 10.08 (in DOUBLE,
# 10.075 is 10.07499..., which the views' old round(CAST(... AS DOUBLE) / n, 2) gave as 10.07).
assert_eq "$(figure "SELECT avg_order_value FROM shop.total_sales WHERE grain = 'day' AND period = DATE '2026-01-05'")" \
  "10.08" "average order value of an exact half cent"
# January: 6400.00 over 18 orders = 355.5555... -> 355.56 (no half: the ordinary case).
assert_eq "$(figure "SELECT avg_order_value FROM shop.monthly_trend WHERE month = DATE '2026-01-01'")" \
  "355.56" "monthly_trend's average is total_sales'"

# January's margin: revenue 6400.00 (20.15; 15 x 398.74 + 398.75), cost 6044.48 (2 x 9.00;
# 15 x 376.66 + 376.58), profit 355.52:
# 100 * 355.52 / 6400.00 = 5.555 -> 5.56.
assert_eq "$(figure "SELECT margin_pct FROM shop.profit WHERE grain = 'month' AND period = DATE '2026-01-01'")" \
  "5.56" "margin of an exact half"
# March's: revenue 7190.08 (order 1101: 3 x 100.00; 11 others: 10 x 626.37 + 626.38; its
# cancelled line not counted), cost 7414.77 (3 x 104.00 + 10 x 645.71 + 645.67), profit
# -224.69: 100 * -224.69 / 7190.08 = -3.125 -> -3.13 (away from zero, not up).
assert_eq "$(figure "SELECT margin_pct FROM shop.profit WHERE grain = 'month' AND period = DATE '2026-03-01'")" \
  "-3.13" "margin of an exact negative half"

# Growth, month over the month before with sales (February has none, so March's is over
# January): 100 * (7190.08 - 6400.00) / 6400.00 = 12.345 -> 12.35; April's revenue is
# 5134.86 (order 1201) + 1830.53 (order 1202: 1840.53 - 10.00 discount; the returned order
# 1203 not counted) = 6965.39: 100 * (6965.39 - 7190.08) / 7190.08 = -3.125 -> -3.13.
# May's 3.53 is -99.95%, June's 0.00 (5.00 less a 5.00 discount) -100.00%, and July's growth
# over June's revenue of 0 is a division by zero: empty (NULL).
run_status code shoplake query --format csv "SELECT month, revenue_growth_pct FROM shop.monthly_trend ORDER BY month"
assert_eq "$OUT" "$(printf '%s\n' month,revenue_growth_pct 2026-01-01, 2026-03-01,12.35 2026-04-01,-3.13 \
  2026-05-01,-99.95 2026-06-01,-100.00 2026-07-01,)" "growth over the month before with sales, exact halves"
# June's margin: profit -3.00 over a revenue of 0: empty (NULL), not an error.
assert_eq "$(figure "SELECT coalesce(CAST(margin_pct AS VARCHAR), 'NULL') FROM shop.profit WHERE period = DATE '2026-06-01'")" \
  "NULL" "margin over a revenue of 0"

# Shares: all revenue is 6400.00 + 7190.08 + 6965.39 + 3.53 + 0.00 + 1.00 (May to July)
# = 20560.00; Market Hall's
# 5134.86: 100 * 5134.86 / 20560.00 = 24.975 -> 24.98. Old Town's name is its latest.
run_status code shoplake query --format csv "SELECT branch_id, branch_name, revenue, share_pct FROM shop.sales_by_branch"
assert_eq "$OUT" "$(printf '%s\n' branch_id,branch_name,revenue,share_pct '2,Web Shop,15100.46,73.45' \
  '3,Market Hall,5134.86,24.98' '1,Old Town Shop,324.68,1.58')" "share of an exact half"

# 32 customers have sales (1-32; customer 33's only line was returned); customer 1 alone
# has two orders or more (1001, 1101, 1401, 1501): 100 * 1 / 32 = 3.125 -> 3.13.
run_status code shoplake query --format csv "SELECT * FROM shop.repeat_customer_rate"
assert_eq "$(tail -n 1 <<<"$OUT")" "32,1,3.13" "repeat rate of an exact half"
# Every view case (tests/data/query/cases) agrees with its sqlite3 derivation on this shop
# too: the exact halves, a renamed customer and branch, a product twice in one order, empty
# costs and discounts, a month without sales, cancelled and returned lines.
bash "$SHOPLAKE_SOURCE/tests/data/query/expected.sh" shop/exports "$SCRATCH/derived"
check_view_cases shop "$SCRATCH/derived"

# The dashboard shows the views' cents: its KPIs over all sales are total_sales' and profit's
# 'all' figures (20560.00 / 35 orders = 587.428... -> 587.43), and a renamed branch is one
# bar under its latest name, as in sales_by_branch.
run_status code shoplake report
assert_eq "$code" 0 "report: $ERR"
sed -n 's:.*<script type="application/json" id="dashboard-data">\(.*\)</script>.*:\1:p' \
  shop/lake/reports/dashboard.html >dashboard.json
tile() { jq -r ".panels[] | select(.id == \"kpis\") | .tiles[] | select(.field == \"$1\") | .value" dashboard.json; }
assert_eq "$(tile avg_order_value)" "$(figure "SELECT avg_order_value FROM shop.total_sales WHERE grain = 'all'")" \
  "the average order value KPI"
assert_eq "$(tile margin_pct)" "$(figure "SELECT margin_pct FROM shop.profit WHERE grain = 'all'")" "the margin KPI"
assert_eq "$(jq -r '.panels[] | select(.id == "sales_by_branch") | [.spec.data.values[].branch_name] | join(",")' dashboard.json)" \
  "Web Shop,Market Hall,Old Town Shop" "a bar per branch, under its latest name"
echo "query_rounding_test: ok"
