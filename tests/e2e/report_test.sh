#!/usr/bin/env bash
# `shoplake report`: the dashboard of a small shop rendered into one HTML file that opens
# offline, checked in Debian's chromium (playwright-core): every panel drawn with the
# number of marks its data has (10 bars for the top-10 products), the KPIs equal to what
# `shoplake query` computes, no console errors, no request leaving the page. Then --out,
# and the errors of a broken dashboard definition. Screenshots go to $SHOPLAKE_ARTIFACTS
# (ctest: <build>/Testing/artifacts/report/).
source "$(dirname "$0")/lib.sh"
artifacts="${SHOPLAKE_ARTIFACTS:-$SCRATCH/artifacts}/report"
mkdir -p "$artifacts"

make_dashboard_project shop
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
scalar() { shoplake query --format csv "$1" 2>/dev/null | tail -n 1; }

run_status code shoplake report
assert_eq "$code" 0 "report: $ERR"
assert_contains "$OUT" "report reports/dashboard.html: 6 panels" "what it wrote"
page=shop/lake/reports/dashboard.html
[[ -s "$page" ]] || fail "no $page"
ls shop/lake/reports | grep -qv '^dashboard.html$' && fail "leftovers beside the page: $(ls -a shop/lake/reports)"

# Self-contained: no script or stylesheet is fetched; the chart runtime is inline.
grep -Eq '<(script|link)[^>]+(src|href)=' "$page" && fail "the page loads a script or stylesheet"
grep -q 'vegaEmbed' "$page" || fail "vega-embed is not inlined"
# The data's date range and the snapshot it read, as the catalog has them.
first="$(scalar "SELECT min(order_date) FROM shop.sales")"
last="$(scalar "SELECT max(order_date) FROM shop.sales")"
assert_contains "$OUT" "data from $first to $last" "the date range"
snapshot="$(sqlite3 shop/lake/_catalog/catalog.db "SELECT max(s.id) FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.name = 'order_lines'")"
assert_contains "$OUT" "read shop.order_lines at snapshot $snapshot" "the snapshot it was built from"

# In a browser, from file:// with every other request refused.
node "$SHOPLAKE_SOURCE/tests/js/dashboard_browser.mjs" "file://$SCRATCH/$page" "$artifacts/dashboard.png" \
  >seen.json || fail "the browser run failed"
assert_eq "$(jq -c .errors seen.json)" "[]" "console errors and outside requests"
assert_eq "$(jq -r .before.title seen.json)" "Shop sales" "title"
assert_eq "$(jq -r .before.date_range seen.json)" "$first to $last" "date range shown"
assert_contains "$(jq -r .before.snapshots seen.json)" "shop.order_lines @ snapshot $snapshot" "snapshots shown"
[[ "$(jq -r .before.rendered_at seen.json)" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T ]] || fail "no render time"
assert_eq "$(jq -r .before.filters_shown seen.json)" "false" "a static report shows no filters"
panel() { jq -r ".before.panels.$1.$2" seen.json; }
assert_eq "$(jq -r '.before.panels | keys | sort | join(",")' seen.json)" \
  "kpis,monthly_trend,out_of_stock,sales_by_branch,top_customers,top_products" "every panel"
# The demo's sales model names no cancellation: the page says so instead of a tile.
assert_eq "$(jq -c '.before.skipped' seen.json)" \
  '{"kpis.cancelled_orders":"Cancelled orders: needs the sales model'"'"'s cancellation (sales.cancellation in shoplake.yaml)"}' \
  "what the page leaves out"
assert_eq "$(panel top_products bars)" 10 "top-10 products: bars"
assert_eq "$(panel top_customers bars)" 10 "top-10 customers: bars"
branches="$(scalar "SELECT count(DISTINCT branch_id) FROM shop.sales")"
assert_eq "$(panel sales_by_branch bars)" "$branches" "a bar per branch"
months="$(scalar "SELECT count(DISTINCT date_trunc('month', order_date)) FROM shop.sales")"
assert_eq "$(panel monthly_trend lines)" 1 "monthly trend: one line"
assert_eq "$(panel monthly_trend points)" "$months" "monthly trend: a point per month"
out_of_stock="$(scalar "SELECT count(*) FROM shop.out_of_stock_products")"
assert_eq "$(panel out_of_stock table_rows)" "$out_of_stock" "out-of-stock rows"
orders="$(scalar "SELECT count(DISTINCT order_id) FROM shop.sales")"
assert_eq "$(panel kpis tiles.orders | tr -d ,)" "$orders" "orders KPI"
revenue="$(scalar "SELECT sum(revenue) FROM shop.sales")"
assert_eq "$(panel kpis tiles.revenue | tr -d ,)" "$revenue" "revenue KPI"
margin="$(scalar "SELECT margin_pct FROM shop.profit WHERE grain = 'all'")"
assert_eq "$(panel kpis tiles.margin_pct)" "$(sed 's/0*$//; s/\.$//' <<<"$margin") %" "margin KPI (shop.profit's)"

# --out: a file outside the lake, the lake's page untouched; filters narrow the numbers.
before="$(sha256sum <"$page")"
run_status code shoplake report --out "$SCRATCH/feb.html" --from "$first" --to "$first"
assert_eq "$code" 0 "report --out: $ERR"
assert_contains "$OUT" "report $SCRATCH/feb.html: 6 panels" "--out"
assert_contains "$OUT" "data from $first to $first" "a filtered date range"
assert_eq "$(sha256sum <"$page")" "$before" "--out leaves the lake's page alone"
run_status code shoplake report --out "$SCRATCH/x.html" --from 2026-02-30
assert_eq "$code" 2 "a date that does not exist"
assert_contains "$ERR" "the 'from' date is not YYYY-MM-DD" "says which date"

# The project's own dashboard, copied from the shipped one, replaces it; a second copy is
# refused.
run_status code shoplake report --copy-dashboard
assert_eq "$code" 0 "report --copy-dashboard: $ERR"
assert_contains "$OUT" "wrote pipeline/dashboard.yaml" "where the copy went"
run_status code shoplake report --copy-dashboard
assert_eq "$code" 1 "a second copy: $OUT"
assert_contains "$ERR" "the project already has a dashboard file" "a second copy is refused"
# A broken definition: the file, line and key; nothing written.
cp shop/pipeline/dashboard.yaml good.yaml
sed -i 's/^    type: line$/    type: lines/' shop/pipeline/dashboard.yaml
run_status code shoplake report --out "$SCRATCH/bad.html"
assert_eq "$code" 2 "unknown panel type: $OUT"
line="$(grep -n '^    type: lines$' shop/pipeline/dashboard.yaml | cut -d: -f1)"
assert_contains "$ERR" "pipeline/dashboard.yaml:$line:11: unknown panel type 'lines', did you mean 'line'?" "type error"
[[ -e "$SCRATCH/bad.html" ]] && fail "a failed report wrote its file"
cp good.yaml shop/pipeline/dashboard.yaml
sed -i 's/field: spend, type: quantitative, title: Spend/field: spent, type: quantitative/' shop/pipeline/dashboard.yaml
run_status code shoplake report --out "$SCRATCH/bad.html"
assert_eq "$code" 2 "an encoding naming a missing column: $OUT"
assert_contains "$ERR" "panel 'top_customers': encoding names 'spent', which is not a column of its result" \
  "missing column"
assert_contains "$ERR" "pipeline/dashboard.yaml:" "where the panel is"
echo "report_test: ok (screenshot: $artifacts/dashboard.png)"
