#!/usr/bin/env bash
# The analytics views, case by case (tests/data/query/cases): each case's query.sql run by
# `shoplake query` over a lake the pipeline builds from a fixed shop must give its
# expected.csv, which sqlite3 computed from the raw CSV exports (expected.sh); the test also
# recomputes them, so a checked-in answer cannot drift from its derivation. Then `views
# apply` idempotence, an error naming a view's file and line, and --as-of.
source "$(dirname "$0")/lib.sh"
cases="$SHOPLAKE_SOURCE/tests/data/query"

# shellcheck disable=SC2046 # shop.args is a list of flags
make_shop_project shop $(cat "$cases/shop.args")
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
shoplake -q transform products customers orders >/dev/null
run_status code shoplake info
assert_contains "$OUT" "sales model   order_lines: order, time, revenue, quantity," "info shows the sales model"
run_status code shoplake views apply
assert_eq "$code" 0 "views apply: $ERR"
assert_contains "$OUT" "views: 9 created, 0 updated, 0 unchanged, 0 dropped" "first apply"

fresh="$SCRATCH/expected"
bash "$cases/expected.sh" shop/exports "$fresh"
for dir in "$cases"/cases/*/; do
  name="$(basename "$dir")"
  assert_eq "$(cat "$fresh/$name/expected.csv")" "$(cat "$dir/expected.csv")" \
    "$name: the checked-in expected.csv is what expected.sh computes (rerun it if the shop changed)"
done
check_view_cases shop "$fresh"

# The dashboard shows the views' figures on this shop too: its KPIs are total_sales' and
# profit's 'all' row to the cent, and its top customers are top10_customers' (the twins tie
# on spend, the lower id first, each under its latest name).
run_status code shoplake report
assert_eq "$code" 0 "report: $ERR"
sed -n 's:.*<script type="application/json" id="dashboard-data">\(.*\)</script>.*:\1:p' \
  shop/lake/reports/dashboard.html >dashboard.json
kpis="$(jq -r '[.panels[] | select(.id == "kpis") | .tiles[] | .value | tostring] | join(",")' dashboard.json)"
run_status code shoplake query --format csv \
  "SELECT t.revenue, t.orders, t.avg_order_value, p.margin_pct FROM shop.total_sales t, shop.profit p WHERE t.grain = 'all' AND p.grain = 'all'"
assert_eq "$kpis" "$(tail -n 1 <<<"$OUT")" "the dashboard's KPIs are the views' cents"
customers="$(jq -r '[.panels[] | select(.id == "top_customers") | .spec.data.values[] | .customer_name] | join(",")' dashboard.json)"
run_status code shoplake query --format csv "SELECT string_agg(customer_name, ',' ORDER BY rank) FROM shop.top10_customers"
assert_eq "$customers" "$(tail -n 1 <<<"$OUT" | tr -d '"')" "the dashboard's top customers are the view's"

# A second apply changes nothing; the catalog lists each view once, after what it reads.
run_status code shoplake views apply
assert_contains "$OUT" "views: 0 created, 0 updated, 9 unchanged, 0 dropped" "second apply"
run_status code shoplake views ls --json
order="$(jq -r '.[].view' <<<"$OUT" | paste -sd' ')"
[[ "$order" == shop.sales* ]] || fail "shop.sales, which the others read, comes first: $order"
[[ "$order" == *shop.total_sales*shop.monthly_trend* ]] || fail "total_sales before monthly_trend: $order"

# A query through a view records the table it read, at its snapshot.
run_status code shoplake query --format csv "SELECT count(*) FROM shop.top10_customers"
id="$(sed -n 's/^query \([^:]*\):.*/\1/p' <<<"$ERR")"
assert_eq "$(jq -r '[.tables[].table] | join(",")' "shop/lake/results/$id.json")" "shop.order_lines" \
  "the tables a view query read"

# A broken view: its file and line, exit 2, nothing recorded.
before="$(sqlite3 shop/lake/_catalog/catalog.db "SELECT group_concat(name || version) FROM catalog_views")"
printf -- '-- margin\nCREATE OR REPLACE VIEW shop.profit AS\nSELECT\n  sum(revenu) AS r\nFROM shop.sales\n' \
  >shop/pipeline/views/profit.sql
run_status code shoplake views apply
assert_eq "$code" 2 "a view that does not bind: $OUT"
assert_contains "$ERR" "pipeline/views/profit.sql:4" "the file and line of the error"
assert_contains "$ERR" "revenu" "the name that does not bind"
assert_eq "$(sqlite3 shop/lake/_catalog/catalog.db "SELECT group_concat(name || version) FROM catalog_views")" \
  "$before" "nothing recorded after a failed apply"

# --as-of: the products as the first snapshot had them, before a second transform appends
# two more days of product snapshots (new partitions: nothing superseded).
first="$(sqlite3 shop/lake/_catalog/catalog.db "SELECT min(s.id) FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.name = 'products'")"
rows_first="$(sqlite3 shop/lake/_catalog/catalog.db "SELECT rows FROM catalog_snapshots WHERE id = $first")"
(cd shop && "$SHOPLAKE" -q simulate --out exports2 --days 2 --start 2026-08-01 --orders 200 --seed 12 >/dev/null &&
  "$SHOPLAKE" -q ingest "$PWD/exports2" --source-name shop --ingest-date 2026-11-28 >/dev/null)
shoplake -q transform products >/dev/null
run_status code shoplake query --format csv "SELECT count(*) AS n FROM shop.products"
[[ "$(tail -n 1 <<<"$OUT")" -gt "$rows_first" ]] || fail "the second transform added rows: $OUT"
run_status code shoplake query --format csv --as-of "$first" "SELECT count(*) AS n FROM shop.products"
assert_eq "$code" 0 "--as-of a snapshot: $ERR"
assert_eq "$(tail -n 1 <<<"$OUT")" "$rows_first" "--as-of $first reads the first snapshot's rows"
assert_eq "$(jq -r '.as_of' "shop/lake/results/$(sed -n 's/^query \([^:]*\):.*/\1/p' <<<"$ERR").json")" "$first" \
  "the result record says which point in time it read"
run_status code shoplake query --as-of 2001-01-01 --format csv "SELECT count(*) AS n FROM shop.products"
assert_eq "$(tail -n 1 <<<"$OUT")" "0" "--as-of a time before any commit: an empty table"
run_status code shoplake query --as-of yesterday "SELECT 1"
assert_eq "$code" 2 "--as-of nonsense"
assert_contains "$ERR" "not a time: 'yesterday'" "--as-of nonsense says why"
echo "query_views_test: ok"
