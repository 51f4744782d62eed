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

# Usage errors exit 2.
run_status code "$SHOPLAKE"
assert_eq "$code" 2 "no verb"
run_status code "$SHOPLAKE" no-such-verb
assert_eq "$code" 2 "unknown verb"
run_status code "$SHOPLAKE" info --log-format yaml
assert_eq "$code" 2 "bad --log-format"

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
