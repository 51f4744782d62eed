#!/usr/bin/env bash
# Configuration mistakes are caught before any work, exit 2, and point at the line to fix:
# a missing mapping file (at the shoplake.yaml line naming it), a regex that does not
# compile (at the mapping's line, with --dry-run too), a key written twice, a column that
# references a dataset the project does not declare, a lake path that is a file, an --as-of
# snapshot id past 64 bits. Bytes a message quotes reach the terminal escaped.
source "$(dirname "$0")/lib.sh"

make_shop_project shop --days 2 --orders 200 --dirty-rate 0 --seed 3
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }

# A missing mapping file: exit 2 at the shoplake.yaml line that names it.
cp shop/shoplake.yaml shoplake.yaml.saved
sed -i 's|  orders: {source: shop, pattern: "orders/\*.csv"}|  orders: {source: shop, pattern: "orders/*.csv", mapping: pipeline/mappings/order.yaml}|' \
  shop/shoplake.yaml
grep -q 'mappings/order.yaml' shop/shoplake.yaml || fail "the test did not edit shoplake.yaml"
at="$(grep -n 'mappings/order.yaml' shop/shoplake.yaml | cut -d: -f1)"
run_status code shoplake transform orders
assert_eq "$code" 2 "a missing mapping: $ERR"
assert_contains "$ERR" "$PWD/shop/shoplake.yaml:$at:" "names the line of shoplake.yaml"
assert_contains "$ERR" "order.yaml, which does not exist" "says what is missing"
cp shoplake.yaml.saved shop/shoplake.yaml

# A key written twice in shoplake.yaml: exit 2 at the second.
at=$(($(wc -l <shop/shoplake.yaml) + 1))
printf 'name: again\n' >>shop/shoplake.yaml
run_status code shoplake info
assert_eq "$code" 2 "a duplicate key: $ERR"
assert_contains "$ERR" "shoplake.yaml:$at:1: duplicate key 'name'" "names the second"
cp shoplake.yaml.saved shop/shoplake.yaml

# A regex that does not compile: refused when the mapping loads, --dry-run included.
mapping=shop/pipeline/mappings/orders.yaml
cp "$mapping" orders.yaml.saved
line="$(grep -n 'name: status' "$mapping" | head -n 1 | cut -d: -f1)"
[[ -n "$line" ]] || fail "no status column in the orders mapping"
sed -i "${line}s|name: status|name: status, regex: '(['|" "$mapping"
for flags in "--dry-run" ""; do
  run_status code shoplake transform orders $flags
  assert_eq "$code" 2 "a bad regex ($flags): $ERR"
  assert_contains "$ERR" "orders.yaml:$line:" "at the mapping's line ($flags)"
  assert_contains "$ERR" "regex' is not a valid pattern" "says why ($flags)"
done
cp orders.yaml.saved "$mapping"

# A reference to a dataset the project does not declare is a typo, not "no data yet".
ref_line="$(grep -n 'dataset: products' "$mapping" | head -n 1 | cut -d: -f1)"
[[ -n "$ref_line" ]] || fail "no reference to products in the orders mapping"
sed -i "${ref_line}s|dataset: products|dataset: prodcts|" "$mapping"
run_status code shoplake transform orders
assert_eq "$code" 2 "an unknown reference: $ERR"
assert_contains "$ERR" "references dataset 'prodcts', which the project does not declare, did you mean 'products'?" "says which"
cp orders.yaml.saved "$mapping"

# A lake path that is a file.
touch afile
run_status code "$SHOPLAKE" --lake "$PWD/afile" catalog ls
assert_eq "$code" 2 "a lake that is a file: $ERR"
assert_contains "$ERR" "the lake root is not a folder" "says why"

# --as-of past 64 bits: a usage error, not an internal one.
shoplake -q transform products >/dev/null
run_status code shoplake query --as-of 99999999999999999999999 "SELECT count(*) FROM shop.products"
assert_eq "$code" 2 "--as-of overflow: $ERR"
assert_contains "$ERR" "no snapshot has so large an id" "says why"

# Escape sequences and broken UTF-8 quoted by a message stay inert on the terminal.
run_status code shoplake query $'SELECT * FROM shop.\x1b[2Jnope\xff'
assert_eq "$code" 2 "an unknown table with garbage in its name: $ERR"
assert_not_contains "$ERR" $'\x1b' "no raw escape byte"
assert_contains "$ERR" '\x1B[2J' "the escape shown as text"
echo "config_errors: every mistake exits 2 and points at its line"
