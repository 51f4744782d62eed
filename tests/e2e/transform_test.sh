#!/usr/bin/env bash
# `shoplake transform` as a user runs it on the simulated shop: the summary and exit codes,
# --dry-run, re-runs, kill -9 (SIGKILL at a chosen step) followed by a clean re-run that
# gives the same table and the same rejects as an uninterrupted run, checked with an
# independent Parquet reader, and a bad raw file set aside with `ledger quarantine`.
source "$(dirname "$0")/lib.sh"

reader="$SHOPLAKE_SOURCE/tests/js/read_parquet.mjs"
table_digest() {  # rows, sum(quantity) and rows per partition, as hyparquet reads the folder
  node "$reader" "$1/lake/processed/shop/order_lines" quantity
}

make_shop_project clean
(cd clean && "$SHOPLAKE" -q transform products customers >/dev/null)
run_status code bash -c "cd clean && '$SHOPLAKE' transform orders"
assert_eq "$code" 0 "transform exit code: $ERR"
assert_contains "$OUT" "transform orders -> shop.order_lines: 10 files" "summary"
assert_contains "$OUT" "rejected" "summary"
assert_contains "$OUT" "rejects: rejects/order_lines/run_id=" "rejects place"
expected="$(table_digest clean)"
[[ "$(jq .rows <<<"$expected")" -gt 15000 ]] || fail "too few rows: $expected"
reject_rows() { node "$reader" "$1/lake/rejects/order_lines" line | jq .rows; }
expected_rejects="$(reject_rows clean)"
[[ "$expected_rejects" -gt 0 ]] || fail "the simulated shop has no rejects: $expected_rejects"

# Nothing new: a no-op that says so.
run_status code bash -c "cd clean && '$SHOPLAKE' transform orders"
assert_eq "$code" 0 "re-run exit code"
assert_contains "$OUT" "nothing new" "re-run"

# A pattern that misses every ingested object: no table, and a warning that says why.
make_shop_project typo
sed -i 's|orders/\*.csv|daily/orders/*.csv|' typo/shoplake.yaml
run_status code bash -c "cd typo && '$SHOPLAKE' transform orders"
assert_eq "$code" 0 "unmatched pattern exit code: $ERR"
assert_contains "$OUT" "nothing new" "unmatched pattern"
assert_contains "$ERR" "matches the pattern 'daily/orders/*.csv' (one is '" "unmatched pattern warning"
assert_contains "$ERR" "check datasets.orders.pattern in shoplake.yaml" "unmatched pattern hint"

# --dry-run: the plan, nothing written.
make_shop_project dry
run_status code bash -c "cd dry && '$SHOPLAKE' transform customers --dry-run"
assert_eq "$code" 0 "dry run exit code: $ERR"
assert_contains "$OUT" "read_csv(" "dry run plan"
[[ ! -e dry/lake/processed ]] || fail "dry run wrote $(find dry/lake/processed)"

# An unknown dataset: exit 2 with a suggestion.
run_status code bash -c "cd dry && '$SHOPLAKE' transform order"
assert_eq "$code" 2 "unknown dataset exit code"
assert_contains "$ERR" "did you mean 'orders'" "unknown dataset"

# SIGKILL at each step of a write, then a plain re-run: the same table as the clean run,
# no leftovers, and in between the catalog still shows the table as it was.
for point in transform.before_write transform.before_commit transform.after_commit; do
  rm -rf crash && make_shop_project crash
  (cd crash && "$SHOPLAKE" -q transform products customers >/dev/null)
  run_status code bash -c "cd crash && SHOPLAKE_CRASH_AT=$point '$SHOPLAKE' transform orders"
  assert_eq "$code" 137 "$point: killed"
  snapshots="$(sqlite3 crash/lake/_catalog/catalog.db "SELECT count(*) FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.database = 'shop' AND t.name = 'order_lines'")"
  if [[ "$point" == transform.after_commit ]]; then
    assert_eq "$snapshots" 1 "$point: committed before the kill"
  else
    assert_eq "$snapshots" 0 "$point: nothing committed"
  fi
  run_status code bash -c "cd crash && '$SHOPLAKE' transform orders"
  assert_eq "$code" 0 "$point: re-run exit code: $ERR"
  assert_eq "$(table_digest crash)" "$expected" "$point: table after the re-run"
  assert_eq "$(reject_rows crash)" "$expected_rejects" "$point: rejects after the re-run"
  [[ -z "$(find crash/lake/processed -name '.tmp-*')" ]] || fail "$point: work folder left"
  listed="$(sqlite3 crash/lake/_catalog/catalog.db "SELECT count(*) FROM catalog_snapshot_files WHERE snapshot_id = (SELECT max(s.id) FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.database = 'shop' AND t.name = 'order_lines')")"
  assert_eq "$(find crash/lake/processed/shop/order_lines -name '*.parquet' | wc -l)" "$listed" "$point: only the snapshot's files"
done
# A bad raw file: it fails every run until it is quarantined; then the run skips it and says
# so. An unknown key is "not found", and says where the keys are listed.
make_shop_project bad
(cd bad && "$SHOPLAKE" -q transform products customers >/dev/null)
bad_key="$(cd bad && "$SHOPLAKE" ledger --json | jq -r '[.[] | select(.raw_key | contains("/orders/"))][0].raw_key')"
printf 'not,the,header\n' >"bad/lake/$bad_key"
run_status code bash -c "cd bad && '$SHOPLAKE' transform orders"
assert_eq "$code" 1 "bad header exit code"
assert_contains "$ERR" "$bad_key" "bad header names the file"
run_status code bash -c "cd bad && '$SHOPLAKE' ledger quarantine raw/shop/no-such.csv"
[[ "$code" -ne 0 ]] || fail "an unknown key was quarantined"
assert_contains "$ERR" "no ingested object has this raw key" "unknown key"
run_status code bash -c "cd bad && '$SHOPLAKE' ledger quarantine '$bad_key' --reason 'broken export'"
assert_eq "$code" 0 "quarantine exit code: $ERR"
assert_contains "$(cd bad && "$SHOPLAKE" ledger --quarantined)" "$bad_key  broken export" "listed"
run_status code bash -c "cd bad && '$SHOPLAKE' transform orders"
assert_eq "$code" 0 "transform after the quarantine: $ERR"
assert_contains "$ERR" "skipping $bad_key: quarantined" "the run says so"
assert_contains "$OUT" "transform orders -> shop.order_lines: 9 files" "the other files"
echo "transform_test: ok"
