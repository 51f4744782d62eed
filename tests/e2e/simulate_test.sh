#!/usr/bin/env bash
# `shoplake simulate` as a user runs it: what it prints, the files and manifest it writes,
# the same bytes for the same seed whatever the thread count, the project's defaults, and
# errors that say what to do.
source "$(dirname "$0")/lib.sh"

run_status code "$SHOPLAKE" simulate --out a --days 5 --orders 2000 --dirty-rate 0.02 --seed 3
assert_eq "$code" 0 "simulate exit code: $ERR"
assert_contains "$OUT" "wrote 15 files" "summary"
assert_contains "$OUT" "5 days from 2026-01-01, seed 3: 2000 orders" "summary"
assert_contains "$OUT" "faults injected (dirty rate 0.02)" "summary"
assert_eq "$(ls a/orders | tr '\n' ' ')" "2026-01-01.csv 2026-01-02.csv 2026-01-03.csv 2026-01-04.csv 2026-01-05.csv " "order files"

# The manifest's rows, bytes and checksums are the files'.
jq -r '.files[] | "\(.sha256)  \(.path)"' a/_manifest.json >expected.sha256
(cd a && sha256sum --quiet --check ../expected.sha256) || fail "manifest checksums"
rows_in_files=$(for f in a/orders/*.csv; do tail -n +2 "$f"; done | wc -l)
assert_eq "$(jq '[.files[] | select(.path | startswith("orders/")) | .rows] | add' a/_manifest.json)" "$rows_in_files" "order rows"
assert_eq "$(jq .totals.order_lines a/_manifest.json)" "$rows_in_files" "totals.order_lines"
# Each duplicate_line fault is a copy of the line above it.
jq -r '.faults.duplicate_line.lines[] | "\(.file) \(.line)"' a/_manifest.json | while read -r file line; do
  [[ "$(sed -n "$((line - 1))p" "a/$file")" == "$(sed -n "${line}p" "a/$file")" ]] || fail "duplicate at $file:$line"
done

# Same seed, one thread: the same bytes.
"$SHOPLAKE" -q simulate --out b --days 5 --orders 2000 --dirty-rate 0.02 --seed 3 --threads 1 >/dev/null
assert_eq "$(tree_digest b)" "$(tree_digest a)" "byte-identical exports"

# An export is not overwritten by accident; --force replaces it whole.
run_status code "$SHOPLAKE" simulate --out a --days 2 --orders 100
assert_eq "$code" 1 "refusing exit code"
assert_contains "$ERR" "the output folder is not empty" "refusal message"
assert_contains "$ERR" "--force" "refusal hint"
assert_eq "$(tree_digest a)" "$(tree_digest b)" "untouched after refusal"
"$SHOPLAKE" -q simulate --out a --days 2 --orders 100 --force >/dev/null
assert_eq "$(find a -name '*.csv' | wc -l)" 6 "replaced by the 2-day export"
assert_eq "$(ls -A . | grep -c partial || true)" 0 "no staging left"

# Bad options: exit 2 and the flag named.
run_status code "$SHOPLAKE" simulate --out c --start 2026-02-30
assert_eq "$code" 2 "bad --start exit code"
assert_contains "$ERR" "not a date: '2026-02-30'" "bad --start message"
assert_contains "$ERR" "YYYY-MM-DD" "bad --start hint"
run_status code "$SHOPLAKE" simulate --out c --dirty-rate 2
assert_eq "$code" 2 "bad --dirty-rate exit code"
[[ ! -e c ]] || fail "nothing written for bad options"

# --json prints the manifest.
run_status code "$SHOPLAKE" simulate --out d --days 1 --orders 50 --json
assert_eq "$(jq .options.orders <<<"$OUT")" 50 "--json manifest"

# In a project, unset flags come from its simulate: section; out is relative to the project.
mkdir -p proj/sub
cat >proj/shoplake.yaml <<'YAML'
name: p
simulate:
  seed: 11
  days: 3
  start: 2026-06-01
  orders: 300
  out: exports
YAML
(cd proj/sub && "$SHOPLAKE" -q simulate >/dev/null)
assert_eq "$(jq -c '[.seed, .options.days, .options.start]' proj/exports/_manifest.json)" '[11,3,"2026-06-01"]' "project defaults"
echo "simulate_test: ok"
