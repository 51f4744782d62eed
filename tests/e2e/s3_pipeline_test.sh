#!/usr/bin/env bash
# The whole pipeline (pipeline/pipeline.asl.json through `shoplake run`) on an s3:// lake in
# s3rver on loopback, its source an S3 bucket that awscli filled: the run succeeds; it
# answers as the same pipeline on a local lake does, view for view; what shoplake wrote to
# the bucket (Parquet, the catalog, the dashboard) is read back by awscli byte for byte and
# is the whole lake (a fresh cache answers the same); a second run changes nothing; serve
# on the s3:// lake shows a run committed while it serves.
source "$(dirname "$0")/lib.sh"

start_s3rver shop-exports lakebucket || exit $?  # 77: ctest reports a skip
aws_s3() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 "$@"; }

# project DIR LAKE SOURCE: the demo's layout with its lake and source "shop" at LAKE, SOURCE.
project() {
  mkdir -p "$1" && cp -r "$SHOPLAKE_SOURCE/pipeline" "$1/"
  cat >"$1/shoplake.yaml" <<YAML
name: shop
lake: $2
sources:
  shop: {uri: $3}
datasets:
  orders: {source: shop, pattern: "orders/*.csv"}
  products: {source: shop, pattern: "products/*.csv"}
  customers: {source: shop, pattern: "customers/*.csv"}
YAML
  demo_sales_model >>"$1/shoplake.yaml"
}

"$SHOPLAKE" -q simulate --out exports --days 8 --orders 3000 --dirty-rate 0.01 --seed 11 >/dev/null
aws_s3 cp --quiet --recursive exports s3://shop-exports/ || fail "awscli upload of the exports"
objects="$(find exports -type f | wc -l)"

project local lake "$SCRATCH/exports"
project remote s3://lakebucket/lake s3://shop-exports

# === 1. the same run on both lakes ======================================================
for dir in local remote; do
  run_status code bash -c "cd $dir && \"\$SHOPLAKE\" run --name first"
  [[ "$code" == 0 ]] || fail "$dir run exit code $code; stdout [$OUT]; stderr [$ERR]"
  assert_eq "$(jq -r .status <<<"$OUT")" SUCCEEDED "$dir run status"
  printf '%s' "$OUT" >"$dir.run.json"
done
out="$(jq -c .output remote.run.json)"
assert_eq "$(jq -r '.ingest.new' <<<"$out")" "$objects" "every export ingested from S3 once"
assert_eq "$(jq '[.transform[][] | .totals | .rows_read - .rows_written - .rows_rejected - .duplicates_dropped] | unique' -c <<<"$out")" \
  "[0]" "rows reconcile on the s3:// lake"
# The counts of every stage are the local lake's (run ids and times aside).
counts='[.output.transform[][] | {dataset, totals}], [.output.crawl.tables[] | .table] | tostring'
assert_eq "$(jq -r "$counts" remote.run.json)" "$(jq -r "$counts" local.run.json)" "stage counts, S3 vs local"
views="$(cd local && "$SHOPLAKE" views ls --json | jq -r '.[].view | sub("^shop[.]"; "")')"
assert_eq "$(wc -l <<<"$views")" 9 "the sales model's view and the eight shipped ones"
for view in $views; do
  sql="SELECT * FROM shop.$view ORDER BY ALL"
  (cd local && "$SHOPLAKE" -q query --format csv -o "$SCRATCH/$view.local.csv" "$sql")
  (cd remote && "$SHOPLAKE" -q query --format csv -o "$SCRATCH/$view.remote.csv" "$sql")
  cmp -s "$SCRATCH/$view.local.csv" "$SCRATCH/$view.remote.csv" ||
    fail "shop.$view differs between the local and the s3:// lake: $(diff "$SCRATCH/$view.local.csv" "$SCRATCH/$view.remote.csv" | head -5)"
done
rows="$(wc -l <"$SCRATCH/top10_customers.remote.csv")"
assert_eq "$rows" 11 "top 10 customers and a header"

# === 2. what shoplake wrote, read back by awscli =========================================
aws_s3 cp --quiet s3://lakebucket/lake/_catalog/catalog.db catalog.db || fail "awscli: the catalog"
# The catalog awscli fetched lists the table's files; each is in the bucket, and its bytes
# are the ones shoplake wrote (the copy it kept in its cache).
files="$(sqlite3 catalog.db "SELECT f.key FROM catalog_snapshot_files f
  WHERE f.snapshot_id = (SELECT max(s.id) FROM catalog_snapshots s JOIN catalog_tables t
                         ON t.id = s.table_id WHERE t.database = 'shop' AND t.name = 'order_lines')")"
[[ -n "$files" ]] || fail "no order_lines files in the bucket"
cache_root="$(dirname "$(grep -l 's3://lakebucket/lake' "$SHOPLAKE_CACHE_DIR"/*/lake-uri)")"
n=0
for key in $files; do
  aws_s3 cp --quiet "s3://lakebucket/lake/$key" "back.parquet" || fail "awscli: $key"
  assert_eq "$(sha256sum <back.parquet)" "$(sha256sum <"$cache_root/objects/$key")" "bytes of $key"
  n=$((n + 1))
done
((n > 0)) || fail "no file compared"
report_key="$(jq -r '.output.report.key' remote.run.json)"
aws_s3 cp --quiet "s3://lakebucket/lake/$report_key" report.html || fail "awscli: $report_key"
assert_eq "$(wc -c <report.html | tr -d ' ')" "$(jq -r '.output.report.bytes' remote.run.json)" "dashboard bytes"
assert_contains "$(head -c 2000 report.html)" "<html" "the dashboard is a page"
# Nothing staged or half-uploaded is visible.
if aws_s3 ls --recursive s3://lakebucket/lake/ | awk '{print $4}' | grep -E '/(_staging|\.tmp-)'; then
  fail "staging objects visible in the bucket"
fi

# === 3. the bucket is the whole lake: a fresh cache answers the same ===================
rm -rf "$SHOPLAKE_CACHE_DIR"
(cd remote && "$SHOPLAKE" -q query --format csv -o "$SCRATCH/again.csv" "SELECT * FROM shop.total_sales ORDER BY ALL")
cmp -s "$SCRATCH/again.csv" "$SCRATCH/total_sales.local.csv" || fail "a fresh cache answers differently"

# === 4. a second run finds nothing new and changes no table ===========================
before="$(aws_s3 ls --recursive s3://lakebucket/lake/processed/ | awk '{print $3, $4}' | sort)"
run_status code bash -c "cd remote && \"\$SHOPLAKE\" run --name second"
[[ "$code" == 0 ]] || fail "second run exit code $code; stderr [$ERR]"
assert_eq "$(jq -r '.output.ingest.new' <<<"$OUT")" 0 "nothing new in the second run"
after="$(aws_s3 ls --recursive s3://lakebucket/lake/processed/ | awk '{print $3, $4}' | sort)"
assert_eq "$after" "$before" "processed objects after the second run"

# === 5. serve on the s3:// lake follows the runs that commit while it serves ============
start_serve remote
url=$SERVE_URL
executions() {
  curl -sS --max-time 60 -o "$SCRATCH/body" -w '%{http_code}' "${url}executions" >"$SCRATCH/code"
  assert_eq "$(cat "$SCRATCH/code")" 200 "the executions page"
  cat "$SCRATCH/body"
}
page="$(executions)"
assert_contains "$page" ">second</a>" "serve lists the runs so far"
[[ "$page" != *">third</a>"* ]] || fail "a run listed before it ran"
run_status code bash -c "cd remote && \"\$SHOPLAKE\" run --name third"
[[ "$code" == 0 ]] || fail "third run exit code $code; stderr [$ERR]"
sleep 1.2  # serve looks at the lake's catalog at most once a second
assert_contains "$(executions)" ">third</a>" "serve shows a run committed while it served"
curl -sS --max-time 60 -o "$SCRATCH/body" -H 'Content-Type: application/json' \
  -d '{"sql": "SELECT count(*) AS n FROM shop.order_lines"}' "${url}api/query" >/dev/null
lines="$(cd local && "$SHOPLAKE" -q query --format csv "SELECT count(*) FROM shop.order_lines" | tail -n 1)"
assert_contains "$(cat "$SCRATCH/body")" "$lines" "serve's query API on the refreshed catalog"
stop_serve
echo "s3_pipeline_test: ok"
