#!/usr/bin/env bash
# The real pipeline (pipeline/pipeline.asl.json) end to end through `shoplake run`: a
# simulated shop served by `shoplake simulate serve` on loopback is ingested over the GCS
# API, transformed, crawled, given its views and its dashboard, with the history recorded.
# The bucket failing its first requests is retried (TaskStateRetry events) until the run
# succeeds; a bucket slower than the ingest's timeout fails the run with States.Timeout and
# a redrive finishes it once the bucket is fast; a broken view fails the run in Views, and
# once the view is fixed `workflow redrive` finishes it without running the stages before
# again; a transform refusing too many rows is caught, notified to a webhook on loopback,
# and fails the execution.
source "$(dirname "$0")/lib.sh"

start_webhook "$SCRATCH/hook.jsonl"

# new_project DIR DIRTY_RATE: the demo's layout (pipeline/ from the source tree) with the
# bucket as source "shop", notify: naming the webhook, and a small simulated shop.
new_project() {
  local dir="$1" dirty="$2"
  mkdir -p "$dir" && cp -r "$SHOPLAKE_SOURCE/pipeline" "$dir/"
  cat >"$dir/shoplake.yaml" <<YAML
name: shop
lake: lake
sources:
  shop: {uri: gs://shop-exports}
datasets:
  orders: {source: shop, pattern: "orders/*.csv"}
  products: {source: shop, pattern: "products/*.csv"}
  customers: {source: shop, pattern: "customers/*.csv"}
notify:
  url: http://127.0.0.1:$HOOK_PORT/pipeline
  timeout_seconds: 5
YAML
  demo_sales_model >>"$dir/shoplake.yaml"
  (cd "$dir" && "$SHOPLAKE" -q simulate --out exports --days 6 --orders 3000 --seed 5 \
    --dirty-rate "$dirty" >/dev/null)
}

# === 1. the bucket fails each object's first 2 requests: Retry, then success ==========
new_project good 0.01
start_bucket good/exports --fail-first 2
cd good
objects="$(find exports -type f | wc -l)"  # the CSVs and _manifest.json
# One attempt per object inside ingest, so each 503 fails the task: Shoplake.Transient.
run_status code "$SHOPLAKE" run --name retried --input '{"ingestMaxAttempts": 1}'
[[ "$code" == 0 ]] || fail "run exit code: expected 0, got $code; stdout [$OUT]; stderr [$ERR]"
assert_eq "$(grep -c . <<<"$OUT")" 1 "run prints one line on stdout"
assert_eq "$(jq -r .status <<<"$OUT")" SUCCEEDED "run status"
out="$(jq -c .output <<<"$OUT")"
assert_eq "$(jq -r '.ingest.new' <<<"$out")" "$objects" "every export ingested once"
assert_eq "$(jq -r '.ingest.failed' <<<"$out")" 0 "no object failed in the end"
assert_eq "$(jq -r '[.transform.dimensions[].dataset, .transform.facts[].dataset] | join(",")' <<<"$out")" \
  "products,customers,orders" "datasets transformed"
# Every row read is written, rejected or a dropped duplicate (invariant 3), per dataset.
assert_eq "$(jq '[.transform[][] | .totals | .rows_read - .rows_written - .rows_rejected - .duplicates_dropped] | unique' -c <<<"$out")" \
  "[0]" "rows reconcile"
assert_eq "$(jq -r '[.transform[][] | .committed] | unique | join(",")' <<<"$out")" true "committed"
assert_eq "$(jq -r '[.crawl.tables[].table] | map(select(startswith("shop."))) | sort | join(",")' <<<"$out")" \
  "shop.customers,shop.order_lines,shop.products" "tables the crawl saw"
# shop.sales from the sales model and the eight views shipped with shoplake.
assert_eq "$(jq -r '.views.views' <<<"$out")" 9 "views applied"
assert_eq "$(jq -r '.views.created' <<<"$out")" 9 "views created"
report_path="$(jq -r '.report.path' <<<"$out")"
assert_eq "$report_path" "$PWD/lake/reports/dashboard.html" "the dashboard's place"
[[ -s "$report_path" ]] || fail "no dashboard at $report_path"
(( $(jq '.report.panels | length' <<<"$out") > 0 )) || fail "the dashboard has no panels: $out"
assert_eq "$(jq -r '.report.bytes' <<<"$out")" "$(stat -c %s "$report_path")" "the dashboard's size"

# The lake holds what the output says: tables with those rows, the views answering.
orders_rows="$(jq -r '.transform.facts[0].table_rows' <<<"$out")"
run_status code "$SHOPLAKE" query --format csv "SELECT count(*) AS n FROM shop.order_lines"
[[ "$code" == 0 ]] || fail "query: $ERR"
assert_eq "$OUT" "n"$'\n'"$orders_rows" "order_lines rows"
for view in "top10_seller_products WHERE ranking = 'units'" top10_customers; do
  run_status code "$SHOPLAKE" query --format csv "SELECT count(*) AS n FROM shop.$view"
  [[ "$code" == 0 ]] || fail "view $view: $ERR"
  assert_eq "$OUT" "n"$'\n'"10" "rows of shop.$view"
done
run_status code "$SHOPLAKE" views ls --json
assert_eq "$(jq length <<<"$OUT")" 9 "views recorded in the catalog"

# History: Ingest retried twice (TaskStateRetry), then every stage once.
run_status code "$SHOPLAKE" workflow history retried --format json
events="$OUT"
assert_eq "$(jq '[.events[] | select(.type == "TaskStateRetry" and .state == "Ingest")] | length' <<<"$events")" \
  2 "Ingest's retries"
assert_eq "$(jq -r '[.events[] | select(.type == "TaskFailed" and .state == "Ingest") | .details.error] | unique | join(",")' <<<"$events")" \
  Shoplake.Transient "Ingest failed with Shoplake.Transient"
assert_eq "$(jq '[.events[] | select(.type == "MapIterationSucceeded")] | length' <<<"$events")" \
  3 "one Map iteration per dataset"
assert_eq "$(jq -r '.events[-1].type' <<<"$events")" ExecutionSucceeded "last event"
assert_eq "$(wc -l <"$SCRATCH/hook.jsonl")" 0 "no notification for a run that succeeded"
stop_bucket

# === 2. a bucket slower than ingestTimeoutSeconds: States.Timeout, redriven once fast ==
start_bucket exports --latency-ms 3000
run_status code "$SHOPLAKE" run --name slow --input '{"ingestTimeoutSeconds": 1}'
assert_eq "$code" 1 "run with a bucket slower than the timeout"
assert_eq "$(jq -r .error <<<"$OUT")" States.Timeout "the ingest timed out"
run_status code "$SHOPLAKE" workflow history slow --format json
assert_eq "$(jq -r '[.events[] | select(.state == "Ingest") | .type] | join(",")' <<<"$OUT")" \
  "TaskStateEntered,TaskScheduled,TaskTimedOut" "a timeout is not retried"
assert_eq "$(jq -r '.events[-1].type' <<<"$OUT")" ExecutionFailed "not caught: failed in Ingest"
stop_bucket
start_bucket exports
run_status code "$SHOPLAKE" workflow redrive slow
[[ "$code" == 0 ]] || fail "redrive of the timeout: expected 0, got $code; [$OUT] [$ERR]"
assert_eq "$(jq -r .output.ingest.unchanged <<<"$OUT")" "$objects" "the redrive's ingest"
stop_bucket

# === 3. a broken view fails the run in Views; fixed, the redrive finishes it ==========
start_bucket exports
echo "CREATE OR REPLACE VIEW shop.broken AS SELECT no_such_column FROM shop.order_lines;" \
  >pipeline/views/broken.sql
run_status code "$SHOPLAKE" run --name broken-view
assert_eq "$code" 1 "run with a broken view"
assert_eq "$(jq -r .error <<<"$OUT")" Shoplake.Config "a broken view is a config error"
assert_contains "$(jq -r .cause <<<"$OUT")" "broken.sql" "the cause names the file"
run_status code "$SHOPLAKE" workflow describe broken-view
assert_eq "$(jq -r .failedState <<<"$OUT")" Views "failed state"
assert_eq "$(jq -r .redriveStatus <<<"$OUT")" REDRIVABLE "redrivable"
rm pipeline/views/broken.sql
run_status code "$SHOPLAKE" workflow redrive broken-view
[[ "$code" == 0 ]] || fail "redrive exit code: expected 0, got $code; stdout [$OUT]; stderr [$ERR]"
assert_eq "$(jq -r .status <<<"$OUT")" SUCCEEDED "redrive status"
assert_eq "$(jq -r .output.views.views <<<"$OUT")" 9 "views after the redrive"
run_status code "$SHOPLAKE" workflow history broken-view --format json
after="$(jq -c '[.events as $e | ($e | map(.type) | index("ExecutionRedriven")) as $i | $e[$i:][] | select(.type == "TaskStateEntered") | .state]' <<<"$OUT")"
assert_eq "$after" '["Views","Report"]' "the redrive ran only Views and Report"
stop_bucket
cd ..

# === 4. a transform refusing too many rows: Catch -> notify -> Fail ===================
new_project dirty 0.3
start_bucket dirty/exports
cd dirty
run_status code "$SHOPLAKE" run --name too-dirty
assert_eq "$code" 1 "run exit code when a transform refuses too many rows"
assert_eq "$(grep -c . <<<"$OUT")" 1 "one line on stdout"
assert_eq "$(jq -r .status <<<"$OUT")" FAILED "status"
assert_eq "$(jq -r .error <<<"$OUT")" Shoplake.TooManyRejects "error"
assert_contains "$(jq -r .cause <<<"$OUT")" "more than --max-reject-rate 5.00%" "cause"
assert_eq "$(wc -l <"$SCRATCH/hook.jsonl")" 1 "the webhook got one notification"
request="$(head -n1 "$SCRATCH/hook.jsonl")"
assert_eq "$(jq -r .url <<<"$request")" /pipeline "webhook path"
body="$(jq -r .body <<<"$request")"
assert_eq "$(jq -c '{pipeline, execution, error}' <<<"$body")" \
  '{"pipeline":"pipeline.asl","execution":"too-dirty","error":"Shoplake.TooManyRejects"}' "webhook body"
assert_eq "$(jq -r .cause <<<"$body")" "$(jq -r .cause <<<"$OUT")" "the notification carries the cause"
run_status code "$SHOPLAKE" workflow history too-dirty --format json
assert_eq "$(jq -r '[.events[] | select(.type | endswith("StateCaught")) | .state] | join(",")' <<<"$OUT")" \
  TransformFacts "the Map's Catch (the faults are in the order lines)"
assert_eq "$(jq -r '[.events[] | select(.type == "TaskSucceeded") | .state] | join(",")' <<<"$OUT")" \
  "Ingest,TransformDimension,TransformDimension,NotifyFailure" \
  "ingest, the dimensions and the notification succeeded"
assert_eq "$(jq -r '.events[-2].state' <<<"$OUT")" Failed "ends in the Fail state"
# Nothing of the refused dataset was published.
run_status code "$SHOPLAKE" catalog ls
[[ "$OUT" != *"shop.order_lines"* ]] || fail "order_lines published despite the refusal: $OUT"
# A redrive enters the Fail state again (the failure was caught); a new run that allows
# the rate succeeds.
run_status code "$SHOPLAKE" workflow redrive too-dirty
assert_eq "$code" 1 "redrive of a caught failure"
assert_eq "$(jq -r .error <<<"$OUT")" Shoplake.TooManyRejects "redrive error"
run_status code "$SHOPLAKE" run --name lenient --input '{"maxRejectRate": 0.6}'
[[ "$code" == 0 ]] || fail "lenient run: expected 0, got $code; stdout [$OUT]; stderr [$ERR]"
assert_eq "$(jq -r '.output.ingest.new' <<<"$OUT")" 0 "nothing new to ingest the second time"
rejected="$(jq '[.output.transform[][] | .totals.rows_rejected] | add' <<<"$OUT")"
(( rejected > 0 )) || fail "the lenient run should report its rejects"
cd ..

# === 5. no handler bound: a validation error naming the state and field ==============
cp -r good unbound && cd unbound && rm -rf lake
printf 'workflow:\n  bindings:\n    CrawlFunctionArn: shoplake:crawl\n' >>shoplake.yaml
sed -i 's/\${CrawlFunctionArn}/${CrawlerArn}/' pipeline/pipeline.asl.json
run_status code "$SHOPLAKE" run
assert_eq "$code" 2 "an unbound variable"
assert_eq "$OUT" "" "nothing on stdout"
assert_contains "$ERR" "state 'Crawl', field 'Resource': no binding for \${CrawlerArn}" "unbound error"
echo "pipeline e2e passed"
