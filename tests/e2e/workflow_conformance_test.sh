#!/usr/bin/env bash
# ASL conformance: runs every case in tests/data/workflow/cases/<name>/ through
# `shoplake workflow run` and compares stdout (as sorted JSON, jq -S) with expected.json and
# the exit code with expected_exit_code. Rules of the folder:
#   - expected.json is the exact stdout object; when it has no "cause" key the cause is not
#     compared (the spec fixes error names, not the wording of the interpreter's causes);
#   - a case without expected.json must print nothing on stdout (invalid definitions, exit 2);
#   - each case has a `source` file saying where its expected result comes from: an
#     independent implementation or a hand derivation from a named spec section.
# Usage: workflow_conformance_test.sh [CASE_NAME...] (default: every case).
source "$(dirname "$0")/lib.sh"
CASES="${SHOPLAKE_TEST_DATA:-$SHOPLAKE_SOURCE/tests/data}/workflow/cases"
[[ -d "$CASES" ]] || fail "no case folder at $CASES"

names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for dir in "$CASES"/*/; do names+=("$(basename "$dir")"); done
fi

failures=0
for name in "${names[@]}"; do
  dir="$CASES/$name"
  [[ -f "$dir/source" ]] || fail "$name: no source file saying where the expected result comes from"
  expected_code="$(tr -d '[:space:]' <"$dir/expected_exit_code")"
  run_status code "$SHOPLAKE" -q workflow run "$dir/definition.json" --input-file "$dir/input.json"
  problem=""
  if [[ "$code" != "$expected_code" ]]; then
    problem="exit code $code, expected $expected_code"
  elif [[ -f "$dir/expected.json" ]]; then
    filter='.'
    if ! jq -e 'has("cause")' "$dir/expected.json" >/dev/null; then filter='del(.cause)'; fi
    actual="$(jq -S "$filter" <<<"$OUT" 2>/dev/null)" || actual="(not JSON) $OUT"
    expected="$(jq -S . "$dir/expected.json")"
    [[ "$actual" == "$expected" ]] || problem="stdout differs: expected $expected, got $actual"
    [[ "$(grep -c . <<<"$OUT")" == 1 ]] || problem="stdout is not exactly one line: $OUT"
  elif [[ -n "$OUT" ]]; then
    problem="expected nothing on stdout, got $OUT"
  fi
  if [[ -n "$problem" ]]; then
    echo "FAIL $name: $problem" >&2
    [[ -n "$ERR" ]] && echo "  stderr: ${ERR:0:500}" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
done
[[ $failures -eq 0 ]] || fail "$failures of ${#names[@]} workflow cases failed"
echo "all ${#names[@]} workflow cases passed"

# `workflow validate`: one problem per line naming the state and the field; exit 2 / 0.
if [[ $# -eq 0 ]]; then
  run_status code "$SHOPLAKE" -q workflow validate "$CASES/invalid-unknown-next/definition.json"
  assert_eq "$code" 2 "validate exit code for an invalid definition"
  assert_eq "$OUT" "state 'A', field 'Next': names no state in this machine: 'Nowhere'" "validate output"
  # Issue 15 item 9: a machine that can never end is refused, naming the states stuck in it.
  run_status code "$SHOPLAKE" -q workflow validate "$CASES/invalid-no-terminal-state/definition.json"
  assert_eq "$code" 2 "validate exit code for a machine with no reachable end"
  assert_contains "$OUT" "no End, Succeed or Fail state can be reached from 'A'" "validate output"
  run_status code "$SHOPLAKE" -q workflow validate \
    "$CASES/invalid-no-terminal-state-in-map/definition.json"
  assert_eq "$code" 2 "validate exit code for a Map processor with no reachable end"
  assert_contains "$OUT" "state 'Each/ItemProcessor', field 'States': no End, Succeed or Fail state can be reached from 'Poll', 'Ready?'" "validate output (Map)"
  run_status code "$SHOPLAKE" -q workflow validate "$CASES/map-catch/definition.json"
  assert_eq "$code" 0 "validate exit code for a valid definition"
  run_status code "$SHOPLAKE" -q workflow run "$CASES/map-basic/definition.json" --input '{not json'
  assert_eq "$code" 2 "run exit code for a malformed --input"
  assert_eq "$OUT" "" "run prints nothing on stdout for a usage error"
  echo "workflow validate and usage checks passed"
fi
