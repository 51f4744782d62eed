#!/usr/bin/env bash
# Transform cases: runs every case in tests/data/transform/cases/<name>/ through the real
# `shoplake ingest` and `shoplake transform` on a fresh local lake, reads the table and its
# rejects back with `shoplake query` (DuckDB), and compares them with the case's expected
# files. tests/data/transform/README.md gives the folder's rules and how rows are rendered.
# A case folder whose name starts with DISABLED- expects what docs/transform.md says where
# the tool does otherwise (its README's first line says how): it is run but cannot fail the
# test; the output lists it, and says when it passes (time to enable it). Named, it runs as
# any case, to show the difference.
# Usage: transform_cases_test.sh [CASE_NAME...] (default: every case).
source "$(dirname "$0")/lib.sh"
CASES="${SHOPLAKE_TEST_DATA:-$SHOPLAKE_SOURCE/tests/data}/transform/cases"
[[ -d "$CASES" ]] || fail "no case folder at $CASES"

# The value of a top-level `key: value` line of a mapping (case mappings write dataset,
# database and table that way).
mapping_key() { sed -n "s/^$2:[[:space:]]*\([a-z0-9_]*\).*/\1/p" "$1" | head -n1; }

# in_project DIR CMD...: runs CMD in DIR (a project), as a user there would.
in_project() { (cd "$1" && shift && "$@"); }

# add_dataset PROJECT FOLDER: FOLDER's mapping.yaml and input*.csv become a dataset of the
# project (named by the mapping), its files under exports/<dataset>/ and listed, one per
# line, in PROJECT/.inputs-<dataset> in ingest order (input.csv, input.2.csv, ...).
add_dataset() {
  local project="$1" folder="$2" dataset file
  dataset="$(mapping_key "$folder/mapping.yaml" dataset)"
  [[ -n "$dataset" ]] || fail "$folder/mapping.yaml: no 'dataset: NAME' line"
  mkdir -p "$project/mappings" "$project/exports/$dataset"
  cp "$folder/mapping.yaml" "$project/mappings/$dataset.yaml"
  printf '  %s: {source: shop, pattern: "%s/*.csv", mapping: mappings/%s.yaml}\n' \
    "$dataset" "$dataset" "$dataset" >>"$project/shoplake.yaml"
  : >"$project/.inputs-$dataset"
  for file in "$folder"/input.csv "$folder"/input.[0-9]*.csv; do
    [[ -f "$file" ]] && echo "$file" >>"$project/.inputs-$dataset"
  done
  echo "$dataset"
}

# ingest_and_transform PROJECT DATASET EACH [FLAGS...]: ingests the dataset's inputs one
# ingest (and ingest date) each, in order, then transforms it with FLAGS; with EACH=each, a
# transform after each ingest (incremental runs). Sets code, OUT and ERR (of the last run).
ingest_and_transform() {
  local project="$1" dataset="$2" each="$3" day=10 file
  shift 3
  while read -r file; do
    cp "$file" "$project/exports/$dataset/$(basename "$file")"
    in_project "$project" "$SHOPLAKE" -q ingest "$project/exports" --source-name shop \
      --ingest-date "2026-11-$day" >/dev/null || fail "ingest of $file failed"
    day=$((day + 1))
    if [[ "$each" == each ]]; then
      run_status code in_project "$project" "$SHOPLAKE" -q transform "$dataset" "$@" --json
      [[ "$code" == 0 ]] || return 0
    fi
  done <"$project/.inputs-$dataset"
  [[ "$each" == each ]] ||
    run_status code in_project "$project" "$SHOPLAKE" -q transform "$dataset" "$@" --json
}

# diff_csv WHAT EXPECTED_FILE ACTUAL_TEXT: prints nothing when equal, else the first
# differing row and column (by the header's names) and a unified diff.
diff_csv() {
  local what="$1" expected="$2" actual="$3"
  [[ "$(cat "$expected")" == "$actual" ]] && return 0
  printf '%s\n' "$actual" >"$SCRATCH/.actual.csv"
  python3 - "$what" "$expected" "$SCRATCH/.actual.csv" <<'PY'
import csv, sys
what, expected_path, actual_path = sys.argv[1:]
read = lambda p: list(csv.reader(open(p, newline='', encoding='utf-8')))
want, got = read(expected_path), read(actual_path)
header = want[0] if want else []
if want == got:  # the same values, written differently (quotes, line ends)
    w, g = open(expected_path).read().split('\n'), open(actual_path).read().split('\n')
    i = next((i for i in range(max(len(w), len(g))) if w[i:i + 1] != g[i:i + 1]), 0)
    print(f"  {what}: line {i + 1} is written differently: expected {w[i:i + 1]}, got {g[i:i + 1]}")
for i in range(max(len(want), len(got))):
    w = want[i] if i < len(want) else None
    g = got[i] if i < len(got) else None
    if w == g:
        continue
    if w is None or g is None:
        print(f"  {what}: row {i} (line {i + 1}): expected {w}, got {g}")
        break
    for c in range(max(len(w), len(g))):
        wc = w[c] if c < len(w) else '(none)'
        gc = g[c] if c < len(g) else '(none)'
        if wc != gc:
            name = header[c] if c < len(header) else f"#{c + 1}"
            print(f"  {what}: row {i} (line {i + 1}), column '{name}': expected [{wc}], got [{gc}]")
            break
    break
PY
  diff -u --label "$expected" --label actual "$expected" "$SCRATCH/.actual.csv" | sed 's/^/    /' ||
    true
}

# run_case NAME: prints nothing when the case passes, else what differs.
run_case() {
  local dir="$CASES/$1" project="$SCRATCH/$1" dataset database table ref expected_code
  [[ -f "$dir/README" ]] || { echo "  no README saying what the case checks and why"; return; }
  [[ -f "$dir/mapping.yaml" ]] || { echo "  no mapping.yaml"; return; }
  mkdir -p "$project"
  printf 'name: cases\nlake: lake\nsources:\n  shop: {uri: exports}\ndatasets:\n' \
    >"$project/shoplake.yaml"
  # Referenced datasets first, each transformed as a user would before the case's own (one
  # without an input file is declared and never transformed: its table does not exist).
  for ref in "$dir"/refs/*/; do
    [[ -d "$ref" ]] || continue
    dataset="$(add_dataset "$project" "$ref")"
    [[ -s "$project/.inputs-$dataset" ]] || continue
    ingest_and_transform "$project" "$dataset" once
    [[ "$code" == 0 ]] || { echo "  referenced dataset $dataset: exit $code: $ERR"; return; }
  done
  dataset="$(add_dataset "$project" "$dir")"
  database="$(mapping_key "$dir/mapping.yaml" database)"
  table="$(mapping_key "$dir/mapping.yaml" table)"
  local flags=(--max-reject-rate 1)
  [[ -f "$dir/flags" ]] && read -r -a flags <"$dir/flags"
  local each=once
  [[ -f "$dir/transform_each_file" ]] && each=each
  ingest_and_transform "$project" "$dataset" "$each" "${flags[@]}"
  local result="$OUT"

  expected_code=0
  if [[ -f "$dir/expected_exit_code" ]]; then
    expected_code="$(tr -d '[:space:]' <"$dir/expected_exit_code")"
  fi
  if [[ "$code" != "$expected_code" ]]; then
    echo "  exit code $code, expected $expected_code; stderr: ${ERR:0:800}"
    return
  fi
  if [[ -f "$dir/expected_error" ]]; then
    local line
    while IFS= read -r line; do
      [[ -z "$line" || "$ERR" == *"$line"* ]] || echo "  stderr lacks [$line]: ${ERR:0:800}"
    done <"$dir/expected_error"
  elif [[ "$code" == 0 && -n "$ERR" ]]; then
    # A quiet (-q) run that says nothing the case expects says nothing: a warning (a line that
    # could not be confirmed, a parse run again) is a difference.
    echo "  stderr is not empty: ${ERR:0:800}"
  fi
  [[ "$code" == 0 ]] || return 0

  # Every row read is accounted for, and the counts are the case's when it states them.
  local totals
  totals="$(jq -r '.[0].totals | "read=\(.rows_read) written=\(.rows_written)" +
    " rejected=\(.rows_rejected) duplicates=\(.duplicates_dropped)"' <<<"$result")"
  jq -e '.[0].totals | .rows_read == .rows_written + .rows_rejected + .duplicates_dropped' \
    <<<"$result" >/dev/null || echo "  counts do not add up: $totals"
  if [[ -f "$dir/expected_counts" && "$(cat "$dir/expected_counts")" != "$totals" ]]; then
    echo "  counts: expected [$(cat "$dir/expected_counts")], got [$totals]"
  fi

  run_status code in_project "$project" "$SHOPLAKE" -q query --format csv \
    "SELECT * FROM $database.$table ORDER BY ALL"
  [[ "$code" == 0 ]] || { echo "  reading $database.$table back: exit $code: $ERR"; return; }
  diff_csv "expected.csv" "$dir/expected.csv" "$OUT"

  # The rejects' raw_line too, when the case's expected rejects have that column.
  local rejects='file,line,end_line,column,rule,value' raw_line=''
  if [[ "$(head -n1 "$dir/expected_rejects.csv" 2>/dev/null)" == "$rejects,raw_line" ]]; then
    rejects+=',raw_line' raw_line=', raw_line'
  fi
  if [[ "$(jq '.[0].rejects' <<<"$result")" != 0 ]]; then
    in_project "$project" "$SHOPLAKE" -q crawl rejects >/dev/null || fail "$1: crawl of rejects/"
    run_status code in_project "$project" "$SHOPLAKE" -q query --format csv \
      "SELECT regexp_extract(source_file, '[^/]*\$') AS file, line, end_line, \"column\", rule,
         value$raw_line FROM rejects.$table ORDER BY file, line, \"column\", rule"
    [[ "$code" == 0 ]] || { echo "  reading rejects.$table back: exit $code: $ERR"; return; }
    rejects="$OUT"
  fi
  diff_csv "expected_rejects.csv" "$dir/expected_rejects.csv" "$rejects"
}

# The default is every case; disabled ones are only listed.
names=("$@") disabled=0
if [[ ${#names[@]} -eq 0 ]]; then
  for dir in "$CASES"/*/; do
    name="$(basename "$dir")"
    if [[ "$name" == DISABLED-* ]]; then
      # Still run, so that a fix is noticed: a disabled case that passes says so.
      if [[ -z "$(run_case "$name" 2>&1)" ]]; then
        echo "off  $name passes now: rename it to ${name#DISABLED-} to enable it"
      else
        echo "off  $name: $(head -n1 "$dir/README")"
      fi
      disabled=$((disabled + 1))
    else
      names+=("$name")
    fi
  done
fi

failures=0 ran=0
for name in "${names[@]}"; do
  [[ -d "$CASES/$name" ]] || fail "no case $name in $CASES"
  problem="$(run_case "$name" 2>&1)" || problem+=$'\n'"  the case stopped (exit $?)"
  ran=$((ran + 1))
  if [[ -n "$problem" ]]; then
    echo "FAIL $name ($CASES/$name):" >&2
    echo "$problem" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
done
[[ $failures -eq 0 ]] || fail "$failures of $ran transform cases failed ($disabled disabled)"
echo "all $ran transform cases passed ($disabled disabled)"
