#!/usr/bin/env bash
# `shoplake workflow eval` (issue 18 item 2): one JSONata expression against an input prints
# its result as one line of JSON and exits 0; an undefined result prints nothing and exits 0;
# an error exits 1 with its code and position first; --bindings binds variables; the input
# may come from a file; without an input the input is undefined.
source "$(dirname "$0")/lib.sh"

run_status rc "$SHOPLAKE" workflow eval '$sum(items.(price * qty))' \
  --input '{"items": [{"price": 2.5, "qty": 4}, {"price": 0.1, "qty": 3}]}'
assert_eq "$rc" 0 "a result exits 0"
assert_eq "$OUT" "10.3" "the sum prints as JSON"

run_status rc "$SHOPLAKE" workflow eval '{"names": items.name, "n": $count(items)}' \
  --input '{"items": [{"name": "b"}, {"name": "a"}]}'
assert_eq "$OUT" '{"names":["b","a"],"n":2}' "an object prints on one line, keys in order"

run_status rc "$SHOPLAKE" workflow eval 'missing.field' --input '{"a": 1}'
assert_eq "$rc" 0 "an undefined result exits 0"
assert_eq "$OUT" "" "an undefined result prints nothing"

run_status rc "$SHOPLAKE" workflow eval '$exists($)'
assert_eq "$OUT" "false" "without an input the input is undefined"

run_status rc "$SHOPLAKE" workflow eval '"total: " + amount' --input '{"amount": 3}'
assert_eq "$rc" 1 "an error exits 1"
assert_contains "$ERR" "shoplake: error: T2001 at 11: The left side of the + operator" \
  "the code and position come first"

run_status rc "$SHOPLAKE" workflow eval '$x +' --input '{}'
assert_eq "$rc" 1 "a syntax error exits 1"
assert_contains "$ERR" "S0207" "a syntax error names its code"

run_status rc "$SHOPLAKE" workflow eval 'items[price > $limit].name' \
  --input '{"items": [{"name": "cheap", "price": 1}, {"name": "dear", "price": 9}]}' \
  --bindings '{"limit": 5}'
assert_eq "$OUT" '"dear"' "--bindings binds \$limit"

printf '%s' '{"orders": [{"id": "o1", "lines": [1, 2]}, {"id": "o2", "lines": [3]}]}' >input.json
run_status rc "$SHOPLAKE" workflow eval 'orders.{"id": id, "n": $count(lines)}' \
  --input-file input.json
assert_eq "$rc" 0 "an input file is read"
assert_eq "$OUT" '[{"id":"o1","n":2},{"id":"o2","n":1}]' "the input file is the input"

run_status rc "$SHOPLAKE" workflow eval '$' --input-file nowhere.json
assert_eq "$rc" 2 "a missing input file is not found (exit 2)"

run_status rc "$SHOPLAKE" workflow eval '$' --input '{not json'
assert_eq "$rc" 2 "an input that is not JSON is a usage error"

echo "workflow_eval_test: ok"
