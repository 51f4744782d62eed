#!/usr/bin/env bash
# The command line's contract: help, version, exit codes, project discovery, --lake,
# and errors that name the file, line and key, as text and as JSON lines.
source "$(dirname "$0")/lib.sh"

# --help lists the verbs; VERB --help shows the verb's flags; --version names DuckDB's.
run_status code "$SHOPLAKE" --help
assert_eq "$code" 0 "--help exit code"
assert_contains "$OUT" "simulate" "--help"
assert_contains "$OUT" "--lake" "--help"
run_status code "$SHOPLAKE" simulate --help
assert_eq "$code" 0 "simulate --help exit code"
assert_contains "$OUT" "--dirty-rate" "simulate --help"
run_status code "$SHOPLAKE" --version
assert_eq "$code" 0 "--version exit code"
assert_contains "$OUT" "shoplake 0.1.0 (DuckDB v1.4.4)" "--version"

# A bare `shoplake` and `shoplake help [VERB]` show the help.
run_status code "$SHOPLAKE"
assert_eq "$code" 0 "no verb shows the help"
assert_contains "$OUT" "Usage: shoplake" "bare shoplake"
run_status code "$SHOPLAKE" help
assert_eq "$code" 0 "shoplake help"
assert_contains "$OUT" "Usage: shoplake" "shoplake help"
run_status code "$SHOPLAKE" help query
assert_eq "$code" 0 "shoplake help query"
assert_contains "$OUT" "Usage: shoplake query" "shoplake help query"

# Usage errors exit 2 in our format, naming the word that is wrong and the nearest right one,
# as text and as a JSON line.
run_status code "$SHOPLAKE" querry
assert_eq "$code" 2 "unknown verb"
assert_contains "$ERR" "shoplake: error: unknown verb 'querry', did you mean 'query'?" "unknown verb"
run_status code "$SHOPLAKE" catalog lss
assert_eq "$code" 2 "unknown sub-verb"
assert_contains "$ERR" "shoplake: error: shoplake catalog: unknown verb 'lss', did you mean 'ls'?" "unknown sub-verb"
run_status code "$SHOPLAKE" query "SELECT 1" --fromat json
assert_eq "$code" 2 "unknown flag"
assert_contains "$ERR" "shoplake: error: shoplake query: unknown flag '--fromat', did you mean '--format'?" "unknown flag"
run_status code "$SHOPLAKE" --log-format json querry
assert_eq "$code" 2 "unknown verb, JSON"
assert_eq "$(jq -r .message <<<"$ERR")" "unknown verb 'querry', did you mean 'query'?" "JSON error line"
assert_eq "$(jq -r .exit_code <<<"$ERR")" 2 "JSON error line's exit code"
run_status code "$SHOPLAKE" info --log-format yaml
assert_eq "$code" 2 "bad --log-format"
assert_contains "$ERR" "shoplake: error:" "bad --log-format, our format"

# --json is --format json wherever --format is.
mkdir -p jsonlake
assert_eq "$("$SHOPLAKE" --lake "$PWD/jsonlake" query --json "SELECT 1 AS a" 2>/dev/null | jq -c '.[0]')" \
  '{"a":1}' "query --json"
assert_eq "$("$SHOPLAKE" --lake "$PWD/jsonlake" workflow list --json | jq -c .executions)" '[]' \
  "workflow list --json"
# A column name given twice survives in JSON, suffixed as DuckDB suffixes it.
assert_eq "$("$SHOPLAKE" --lake "$PWD/jsonlake" query --json "SELECT 1 AS a, 2 AS a" 2>/dev/null | jq -c '.[0]')" \
  '{"a":1,"a_1":2}' "duplicate column names"
# A name that does not exist exits 2, in every verb that takes one.
run_status code "$SHOPLAKE" --lake "$PWD/jsonlake" workflow describe no-such-execution
assert_eq "$code" 2 "workflow describe of an unknown execution: $ERR"
run_status code "$SHOPLAKE" --lake "$PWD/jsonlake" ledger release raw/nope.csv
assert_eq "$code" 2 "ledger release of an unknown raw file: $ERR"
run_status code "$SHOPLAKE" --lake "$PWD/jsonlake" ingest "$PWD/no-such-folder" --source-name x
assert_eq "$code" 2 "ingest of a folder that does not exist: $ERR"

# A verb that only looks never makes a lake: a mistyped --lake is an error, and nothing is
# created, there or in the current folder.
mkdir -p empty && cd empty
for verb in "catalog ls" "query SELECT" "workflow list" "views ls" "verify"; do
  # shellcheck disable=SC2086
  run_status code "$SHOPLAKE" --lake "$SCRATCH/typo" $verb
  assert_eq "$code" 2 "$verb on a lake that does not exist: $ERR"
  assert_contains "$ERR" "$SCRATCH/typo: no lake here" "$verb says so"
  # shellcheck disable=SC2086
  run_status code "$SHOPLAKE" $verb
  assert_eq "$code" 2 "$verb outside a project, without a lake: $ERR"
done
[[ ! -e "$SCRATCH/typo" ]] || fail "a reader made the lake it was pointed at"
assert_eq "$(ls -A)" "" "readers made nothing in the current folder"
cd ..

# Every verb: --help shows its flags and the global ones (exit 0); a flag it does not take is
# a usage error in our format (exit 2).
verbs="$("$SHOPLAKE" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}')"
[[ "$(wc -w <<<"$verbs")" -ge 15 ]] || fail "the help lists too few verbs: $verbs"
for verb in $verbs; do
  run_status code "$SHOPLAKE" "$verb" --help
  assert_eq "$code" 0 "$verb --help"
  assert_contains "$OUT" "Usage: shoplake $verb" "$verb --help"
  assert_contains "$OUT" "Global flags (before or after the verb): --lake URI" "$verb --help"
  run_status code "$SHOPLAKE" "$verb" --no-such-flag
  assert_eq "$code" 2 "$verb --no-such-flag"
  assert_contains "$ERR" "shoplake: error: shoplake $verb: unknown flag '--no-such-flag'" \
    "$verb --no-such-flag"
done

# Without a project file the lake is ./lake; --lake overrides it, before or after the verb.
mkdir -p plain && cd plain
run_status code "$SHOPLAKE" info --json
assert_eq "$code" 0 "info without a project"
assert_eq "$(jq -r .lake <<<"$OUT")" "$PWD/lake" "default lake"
assert_eq "$(jq -r .project_file <<<"$OUT")" "" "no project file"
assert_eq "$("$SHOPLAKE" info --json --lake /tmp/elsewhere | jq -r .lake)" "/tmp/elsewhere" "--lake after the verb"
assert_eq "$("$SHOPLAKE" --lake s3://b/p info --json | jq -r .lake)" "s3://b/p" "--lake before the verb"
cd ..

# A project is found from a nested folder, as git and dbt find theirs.
mkdir -p shop/sub/deeper
cat >shop/shoplake.yaml <<'YAML'
name: demo-shop
lake: data/lake
sources:
  shop:
    uri: gs://shop-exports
datasets:
  orders:
    source: shop
YAML
(cd shop/sub/deeper && "$SHOPLAKE" info --json) >info.json
assert_eq "$(jq -r .project <info.json)" "demo-shop" "project found upward"
assert_eq "$(jq -r .lake <info.json)" "$SCRATCH/shop/data/lake" "lake beside the project file"
assert_eq "$(jq -r .sources.shop <info.json)" "gs://shop-exports" "sources"

# A broken project file: exit 2, the file, line and key, and the fix.
cat >shop/shoplake.yaml <<'YAML'
name: demo-shop
sources:
  shop:
    uri: gs://shop-exports
datasets:
  orders:
    sourse: shop
YAML
run_status code bash -c "cd shop/sub && '$SHOPLAKE' info"
assert_eq "$code" 2 "invalid project exit code"
assert_contains "$ERR" "shoplake: error: $SCRATCH/shop/shoplake.yaml:7:5: unknown key 'datasets.orders.sourse', did you mean 'source'?" "invalid project message"
assert_contains "$ERR" "hint: known keys here: source, pattern, mapping" "invalid project hint"

# The same error as a JSON line for machines.
run_status code bash -c "cd shop && '$SHOPLAKE' --log-format json info"
assert_eq "$code" 2 "json error exit code"
assert_eq "$(jq -r .code <<<"$ERR")" "config" "json error code"
assert_eq "$(jq -r .input <<<"$ERR")" "$SCRATCH/shop/shoplake.yaml:7:5" "json error input"
assert_eq "$(jq -r .exit_code <<<"$ERR")" "2" "json error exit_code"

# --project names the file explicitly; a missing one is a clear error.
run_status code "$SHOPLAKE" --project "$SCRATCH/nope.yaml" info
assert_eq "$code" 2 "missing --project file"
assert_contains "$ERR" "$SCRATCH/nope.yaml: no such project file" "missing project"
echo "cli_test: ok"
