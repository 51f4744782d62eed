#!/usr/bin/env bash
# `shoplake query` on the simulated shop after a transform: answers checked against the
# catalog and against sqlite3 over the raw CSV, each output format parsed by another tool,
# the saved result under results/, and the errors for bad SQL and an unknown table.
source "$(dirname "$0")/lib.sh"

make_shop_project shop --days 3 --orders 2000 --dirty-rate 0 --seed 4
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
shoplake -q transform products customers orders >/dev/null
db="shop/lake/_catalog/catalog.db"

# count(*) is the current snapshot's rows as the catalog records them.
rows="$(sqlite3 "$db" "SELECT s.rows FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.database = 'shop' AND t.name = 'order_lines' ORDER BY s.id DESC LIMIT 1")"
[[ "$rows" -gt 3000 ]] || fail "too few rows in the catalog: $rows"
run_status code shoplake query --format csv "SELECT count(*) AS n FROM shop.order_lines"
assert_eq "$code" 0 "count exit code: $ERR"
assert_eq "$OUT" $'n\n'"$rows" "count(*) of shop.order_lines"

# sum(quantity) and the line count agree with sqlite3 over the raw CSV files.
import=()
for f in shop/exports/orders/*.csv; do import+=(".import --csv --skip 1 $f lines"); done
expected="$(sqlite3 :memory: 'CREATE TABLE lines (order_id, line_no, order_ts, status, payment_method, customer_id, customer_name, customer_email, branch_id, branch_name, branch_type, product_id, product_name, category, quantity INTEGER, unit_price, unit_cost, discount)' \
  "${import[@]}" "SELECT count(*) || ' ' || sum(quantity) FROM lines")"
run_status code shoplake query --format csv "SELECT count(*) || ' ' || sum(quantity) AS s FROM shop.order_lines"
assert_eq "$code" 0 "sum exit code: $ERR"
assert_eq "$(tail -n 1 <<<"$OUT")" "$expected" "count and sum(quantity) against sqlite3 over the raw CSV"
sum="${expected#* }"

# table (the default): aligned, numbers to the right, the row count.
run_status code shoplake query "SELECT category, count(*) AS lines FROM shop.order_lines GROUP BY 1 ORDER BY 1"
assert_eq "$code" 0 "table exit code: $ERR"
categories="$(sqlite3 :memory: 'CREATE TABLE lines (order_id, line_no, order_ts, status, payment_method, customer_id, customer_name, customer_email, branch_id, branch_name, branch_type, product_id, product_name, category, quantity INTEGER, unit_price, unit_cost, discount)' \
  "${import[@]}" "SELECT count(DISTINCT category) FROM lines")"
assert_contains "$OUT" "($categories rows)" "table row count"
[[ "$(head -n 1 <<<"$OUT")" =~ ^category\ +lines$ ]] || fail "table header: $OUT"
[[ "$(sed -n 2p <<<"$OUT")" =~ ^-+\ \ -+$ ]] || fail "table rule: $OUT"
widths="$(sed '$d' <<<"$OUT" | awk '{ print length($0) }' | sort -u | wc -l)"
assert_eq "$widths" 1 "every line of the table is as wide as the header: $OUT"
assert_contains "$ERR" "query " "the query id on stderr"

# csv: parses, one line per row plus the header, and the values add up.
run_status code shoplake query --format csv "SELECT order_id, product_name, quantity FROM shop.order_lines ORDER BY order_id, line_no"
assert_eq "$code" 0 "csv exit code: $ERR"
printf '%s\n' "$OUT" >lines.csv
assert_eq "$(sqlite3 :memory: '.import --csv lines.csv q' 'SELECT count(*) || " " || sum(quantity) FROM q')" "$expected" "csv rows and sum"

# json: an array of objects with typed values.
run_status code shoplake query --format json "SELECT order_id, quantity, unit_price, status FROM shop.order_lines"
assert_eq "$code" 0 "json exit code: $ERR"
assert_eq "$(jq 'length' <<<"$OUT")" "$rows" "json rows"
assert_eq "$(jq '[.[].quantity] | add' <<<"$OUT")" "$sum" "json sum"
assert_eq "$(jq -r '.[0] | [(.order_id | type), (.unit_price | type), (.status | type)] | join(",")' <<<"$OUT")" "number,number,string" "json types"
run_status code shoplake query --format json -o "$SCRATCH/out.json" "SELECT 1 AS a WHERE false"
assert_eq "$code" 0 "json -o exit code: $ERR"
assert_eq "$(jq -c . "$SCRATCH/out.json")" "[]" "an empty result is an empty array"

# parquet: needs -o; read back by an independent reader.
run_status code shoplake query --format parquet "SELECT quantity FROM shop.order_lines"
assert_eq "$code" 2 "parquet without -o"
mkdir -p pq
run_status code shoplake query --format parquet -o "$SCRATCH/pq/result.parquet" "SELECT order_id, quantity FROM shop.order_lines;"
assert_eq "$code" 0 "parquet exit code: $ERR"
assert_eq "$(node "$SHOPLAKE_SOURCE/tests/js/read_parquet.mjs" pq quantity | jq -r '"\(.rows) \(.sum)"')" "$expected" "parquet read back"

# The saved result: results/<id>.csv and .json, naming the SQL and the snapshot read.
run_status code shoplake query "SELECT sum(quantity) AS q FROM shop.order_lines -- total units"
assert_eq "$code" 0 "saved exit code: $ERR"
id="$(sed -n 's/^query \([^:]*\):.*/\1/p' <<<"$ERR")"
[[ -n "$id" ]] || fail "no query id on stderr: $ERR"
assert_eq "$(cat "shop/lake/results/$id.csv")" $'q\n'"$sum" "results/$id.csv"
meta="shop/lake/results/$id.json"
assert_eq "$(jq -r .sql "$meta")" "SELECT sum(quantity) AS q FROM shop.order_lines -- total units" "saved SQL"
assert_eq "$(jq -r '.rows' "$meta")" 1 "saved rows"
snapshot="$(sqlite3 "$db" "SELECT s.id FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.database = 'shop' AND t.name = 'order_lines' ORDER BY s.id DESC LIMIT 1")"
assert_eq "$(jq -c '[.tables[] | [.table, .snapshot_id]]' "$meta")" "[[\"shop.order_lines\",$snapshot]]" "saved tables read"
jq -e '.duration_seconds >= 0 and (.started_at | test("^[0-9]{4}-"))' "$meta" >/dev/null || fail "saved timing: $(cat "$meta")"

# -f FILE and -o for the table format.
printf 'SELECT count(*) AS n\nFROM shop.products;\n' >products.sql
run_status code shoplake query -f "$SCRATCH/products.sql" -o "$SCRATCH/products.txt"
assert_eq "$code" 0 "-f exit code: $ERR"
assert_eq "$OUT" "" "-o leaves stdout empty"
assert_contains "$(cat products.txt)" "(1 row)" "-o table"

# Bad SQL: exit 2, DuckDB's message with the statement and a caret under the error, once.
run_status code shoplake query "SELECT count(* FROM shop.order_lines"
assert_eq "$code" 2 "syntax error exit code"
assert_contains "$ERR" "LINE 1: SELECT count(* FROM shop.order_lines" "the statement"
caret="$(grep -A1 '^LINE 1:' <<<"$ERR" | tail -n 1)"
assert_eq "$caret" "$(printf '%*s^' 23 '')" "the caret under FROM"
assert_eq "$(grep -c '^LINE 1:' <<<"$ERR")" 1 "the statement once"

# An unknown table: exit 2, the nearest catalog name suggested.
run_status code shoplake query "SELECT count(*) FROM shop.order_line"
assert_eq "$code" 2 "unknown table exit code"
assert_contains "$ERR" "did you mean 'shop.order_lines'?" "unknown table suggestion"
run_status code shoplake query "SELECT * FROM products"
assert_eq "$code" 2 "unqualified table exit code"
assert_contains "$ERR" "did you mean 'shop.products'?" "unqualified table suggestion"

# A runtime error (bad data, not bad SQL) exits 1.
run_status code shoplake query "SELECT CAST(product_name AS INTEGER) FROM shop.order_lines"
assert_eq "$code" 1 "conversion error exit code: $ERR"
assert_contains "$ERR" "Conversion Error" "conversion error"
echo "query_test: ok"
