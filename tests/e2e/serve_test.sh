#!/usr/bin/env bash
# `shoplake serve` on loopback over a small shop's lake: the live dashboard in Debian's
# chromium (every panel drawn, no console errors, the branch filter applied by the server
# changes the numbers to what SQL over that branch gives), the table pages, /metrics against
# the catalog's run records, and the read-only query API: an INSERT, a COPY TO,
# read_csv('/etc/passwd') and an ATTACH are each refused (HTTP 400) with the engine's
# message, and the lake is the same after them. SIGTERM stops the server cleanly.
# The executions pages draw a failed execution's state machine coloured by outcome; the SQL
# page runs a statement and shows a refusal in the browser.
# Screenshots go to $SHOPLAKE_ARTIFACTS (ctest: <build>/Testing/artifacts/serve/).
source "$(dirname "$0")/lib.sh"
artifacts="${SHOPLAKE_ARTIFACTS:-$SCRATCH/artifacts}/serve"
mkdir -p "$artifacts"

make_dashboard_project shop
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
scalar() { shoplake query --format csv "$1" 2>/dev/null | tail -n 1; }

# What the pages must say, computed first: `shoplake query` saves its results in the lake.
branch="$(scalar "SELECT branch_name FROM shop.sales GROUP BY 1 ORDER BY sum(revenue) DESC LIMIT 1")"
revenue_all="$(scalar "SELECT sum(revenue) FROM shop.sales")"
revenue_branch="$(scalar "SELECT sum(revenue) FROM shop.sales WHERE branch_name = '$branch'")"
orders_branch="$(scalar "SELECT count(DISTINCT order_id) FROM shop.sales WHERE branch_name = '$branch'")"
lines="$(scalar "SELECT count(*) FROM shop.order_lines")"
catalog=shop/lake/_catalog/catalog.db
written="$(sqlite3 "$catalog" "SELECT sum(rows_written) FROM transform_runs WHERE dataset = 'orders'")"
rejected="$(sqlite3 "$catalog" "SELECT sum(rows_rejected) FROM transform_runs WHERE dataset = 'orders'")"
ingested="$(sqlite3 "$catalog" "SELECT sum(size) FROM ingest_ledger")"
snapshot="$(sqlite3 "$catalog" "SELECT max(s.id) FROM catalog_snapshots s JOIN catalog_tables t ON t.id = s.table_id WHERE t.name = 'order_lines'")"

# A workflow execution to show: a choice, a task that fails, a Catch into a Fail state.
cat >"$SCRATCH/flow.asl.json" <<'JSON'
{"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Result": {"n": 1}, "Next": "Decide"},
  "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Work"}],
             "Default": "Skip"},
  "Skip": {"Type": "Succeed"},
  "Work": {"Type": "Task", "Resource": "shoplake:fail", "Next": "Done",
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}]},
  "Done": {"Type": "Succeed"},
  "Broken": {"Type": "Fail", "Error": "Demo.Failed", "Cause": "the task failed"}}}
JSON
run_status code shoplake workflow run "$SCRATCH/flow.asl.json" --name flow1
assert_eq "$code" 1 "the workflow fails as written: $ERR"
arn="$(sqlite3 "$catalog" "SELECT execution_arn FROM workflow_executions WHERE name = 'flow1'")"

# The lake as bytes, but the catalog as its content: every Catalog open records the schema
# version again (catalog/catalog.cpp), which rewrites SQLite's header, not the data.
lake_digest() {
  tree_digest shop/lake | grep -v ' ./_catalog/'
  sqlite3 "$catalog" .dump | sha256sum
}
before="$(lake_digest)"

start_serve shop
server=$SERVE_PID
url=$SERVE_URL
port="${url#http://127.0.0.1:}" && port="${port%/}"

get() { curl -sS --max-time 60 -o "$SCRATCH/body" -w '%{http_code}' "$url$1"; }
query() {
  curl -sS --max-time 60 -o "$SCRATCH/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "$(jq -n --arg sql "$1" '{sql: $sql}')" "${url}api/query"
}

# The dashboard's data, filtered on the server.
assert_eq "$(get "api/dashboard")" 200 "dashboard data"
assert_eq "$(jq -r '.panels[0].tiles[0].value' "$SCRATCH/body")" "$(jq -n "$revenue_all")" "revenue, unfiltered"
assert_contains "$(jq -c .filters.choices.branch "$SCRATCH/body")" "\"$branch\"" "the branches to pick from"
assert_eq "$(get "api/dashboard?branch=$(jq -rn --arg b "$branch" '$b|@uri')")" 200 "dashboard data for a branch"
assert_eq "$(jq -r '.panels[0].tiles[0].value' "$SCRATCH/body")" "$(jq -n "$revenue_branch")" "revenue of $branch"
assert_eq "$(jq -r '.panels[0].tiles[1].value' "$SCRATCH/body")" "$orders_branch" "orders of $branch"
assert_eq "$(jq -r '.panels[] | select(.id == "sales_by_branch") | .rows' "$SCRATCH/body")" 1 "one branch left"
assert_eq "$(get "api/dashboard?from=2026-13-01")" 400 "a month that does not exist"
assert_contains "$(jq -r .error "$SCRATCH/body")" "the 'from' date is not YYYY-MM-DD" "says why"

# The read-only query API: each refused with the engine's message, nothing changed.
assert_eq "$(query "SELECT count(*) AS n FROM shop.order_lines")" 200 "a SELECT"
assert_eq "$(jq -c .rows "$SCRATCH/body")" "[{\"n\":$lines}]" "its rows"
assert_eq "$(query "INSERT INTO shop.order_lines SELECT * FROM shop.order_lines")" 400 "INSERT"
assert_contains "$(jq -r .error "$SCRATCH/body")" "queries are read-only: INSERT statements are refused" "INSERT"
assert_eq "$(query "COPY (SELECT * FROM shop.order_lines) TO 'stolen.csv'")" 400 "COPY TO"
assert_contains "$(jq -r .error "$SCRATCH/body")" "queries are read-only: COPY statements are refused" "COPY"
assert_eq "$(query "SELECT * FROM read_csv('/etc/passwd')")" 400 "read_csv('/etc/passwd')"
assert_contains "$(jq -r .error "$SCRATCH/body")" 'Cannot access file "/etc/passwd"' "read_csv"
assert_eq "$(query "ATTACH '/tmp/shoplake-attack.db' AS attack")" 400 "ATTACH"
assert_contains "$(jq -r .error "$SCRATCH/body")" "queries are read-only: ATTACH statements are refused" "ATTACH"
[[ -e /tmp/shoplake-attack.db || -e shop/lake/stolen.csv || -e shop/stolen.csv ]] && fail "a refused statement wrote a file"
# Only JSON (a cross-site form post would need a CORS preflight this server never answers),
# and only requests addressed to loopback (no DNS rebinding).
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' --data-urlencode 'sql=SELECT 1' "${url}api/query")" 400 \
  "a form post"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "${url}api/dashboard")" 403 \
  "a request for another host name"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: localhost:$port" "${url}metrics")" 200 \
  "a request for localhost"

# The catalog's pages.
assert_eq "$(get tables)" 200 "tables page"
assert_contains "$(cat "$SCRATCH/body")" 'href="/tables/shop.order_lines"' "a link per table"
assert_eq "$(get tables/shop.order_lines)" 200 "a table's page"
page="$(cat "$SCRATCH/body")"
for part in 'id="schema"' '<td>order_id</td>' 'id="partitions"' 'id="stats"' 'id="versions"' \
            "<td>$snapshot</td>" '<p id="description">One row per order line' \
            '<td>Units sold on the line</td>' '<td>the month of order_ts</td>'; do
  assert_contains "$page" "$part" "the table page"
done
assert_eq "$(get tables/shop.nope)" 404 "an unknown table"
assert_eq "$(get executions)" 200 "executions page"
assert_contains "$(cat "$SCRATCH/body")" ">flow1</a>" "the execution listed"
exec_url="execution?arn=$(jq -rn --arg a "$arn" '$a|@uri')"
assert_eq "$(get "$exec_url")" 200 "the execution's page"
assert_contains "$(cat "$SCRATCH/body")" '<td>TaskStateCaught</td><td>Work</td>' "its events"
assert_eq "$(get "execution?arn=nope")" 404 "an unknown execution"
assert_eq "$(get sql)" 200 "SQL page"

# /metrics: the catalog's run records, the workflow's state runs, and the queries above (one
# not-JSON body + 4 refused).
assert_eq "$(get metrics)" 200 "metrics"
metrics="$(cat "$SCRATCH/body")"
assert_contains "$metrics" "shoplake_catalog_tables 3" "tables"
assert_contains "$metrics" "shoplake_transform_rows_written_total{dataset=\"orders\"} $written" "rows written"
assert_contains "$metrics" "shoplake_transform_rows_rejected_total{dataset=\"orders\"} $rejected" "rows rejected"
assert_contains "$metrics" "shoplake_ingest_bytes_total{source=\"shop\"} $ingested" "bytes ingested"
assert_contains "$metrics" 'shoplake_queries_total{outcome="ok"} 1' "queries answered"
assert_contains "$metrics" 'shoplake_queries_total{outcome="refused"} 5' "queries refused"
assert_contains "$metrics" "# TYPE shoplake_transform_rows_written_total counter" "types declared"
# flow1's top-level states, from the workflow history (labels in name order).
flow="$(sqlite3 "$catalog" "SELECT state_machine FROM workflow_executions WHERE name = 'flow1'")"
for run in Prepare/succeeded Decide/succeeded Work/caught Broken/failed; do
  labels="{outcome=\"${run#*/}\",state=\"${run%/*}\",state_machine=\"$flow\"}"
  assert_contains "$metrics" "shoplake_workflow_state_runs_total$labels 1" "runs of $run"
  assert_contains "$metrics" "shoplake_workflow_state_duration_seconds_total$labels " "time in $run"
done
assert_eq "$(grep -c "^shoplake_workflow_state_runs_total{.*state_machine=\"$flow\"}" <<<"$metrics")" 4 \
  "Skip and Done never ran"
assert_contains "$metrics" "# TYPE shoplake_workflow_state_duration_seconds_total counter" "stage durations"

# The live page in a browser: every panel, then the branch filter.
node "$SHOPLAKE_SOURCE/tests/js/dashboard_browser.mjs" "$url" "$artifacts/dashboard.png" \
  --filter "branch=$branch" >seen.json || fail "the browser run failed"
assert_eq "$(jq -c .errors seen.json)" "[]" "console errors"
assert_eq "$(jq -r .before.filters_shown seen.json)" true "the served page shows its filters"
assert_eq "$(jq -r .before.panels.top_products.bars seen.json)" 10 "top-10 products: bars"
assert_eq "$(jq -r .before.panels.top_customers.bars seen.json)" 10 "top-10 customers: bars"
assert_eq "$(jq -r .before.panels.monthly_trend.points seen.json)" 3 "a point per month"
assert_eq "$(jq -r .before.panels.kpis.tiles.revenue seen.json | tr -d ,)" "$revenue_all" "revenue shown"
assert_eq "$(jq -r .after.panels.kpis.tiles.revenue seen.json | tr -d ,)" "$revenue_branch" \
  "revenue shown for $branch"
assert_eq "$(jq -r .after.panels.kpis.tiles.orders seen.json | tr -d ,)" "$orders_branch" "orders shown"
assert_eq "$(jq -r .after.panels.sales_by_branch.bars seen.json)" 1 "one bar: the chosen branch"
assert_eq "$(jq -r .after.panels.top_products.bars seen.json)" 10 "its top-10 products"
assert_contains "$(jq -r .location seen.json)" "branch=" "the filter is in the page's URL"

# The execution's state machine: each state coloured by its outcome, as the console does.
node "$SHOPLAKE_SOURCE/tests/js/execution_graph.mjs" "$url$exec_url" "$artifacts/execution.png" \
  >graph.json || fail "the browser run failed"
assert_eq "$(jq -c .errors graph.json)" "[]" "console errors on the execution page"
assert_eq "$(jq -c '.states | to_entries | map("\(.key)=\(.value)") | sort' graph.json)" \
  '["Broken=#c62828","Decide=#2e7d32","Done=#bdbdbd","Prepare=#2e7d32","Skip=#bdbdbd","Work=#ef6c00"]' \
  "succeeded green, caught orange, failed red, not reached grey"
assert_eq "$(jq -r .arrows graph.json)" 5 "a line per transition (next, default, choice, catch)"

# The SQL page (its script is web/sql.js): a result drawn as text, not markup; a refusal
# shown with its reason (the browser logs the 400 itself, the only console error allowed).
node "$SHOPLAKE_SOURCE/tests/js/sql_page.mjs" "${url}sql" "SELECT 42 AS answer, '<b>x</b>' AS html" \
  "DELETE FROM shop.order_lines" >sql.json || fail "the browser run failed"
assert_eq "$(jq -c '[.errors[] | select(test("status of 400") | not)]' sql.json)" "[]" \
  "console errors on the SQL page"
assert_eq "$(jq -c '.answers[0] | [.header, .cells, .bold, .count]' sql.json)" \
  '[["answer","html"],["42","<b>x</b>"],0,"1 rows"]' "a SELECT's rows, as text"
assert_contains "$(jq -r '.answers[1].error' sql.json)" "read-only" "a DELETE refused on the page"

# SIGTERM: a clean stop, and the lake as it was.
stop_serve
wait "$server" && status=0 || status=$?
assert_eq "$status" 0 "exit status after SIGTERM"
assert_contains "$(cat "$SCRATCH/serve.err")" "stopping on SIGTERM" "says why it stopped"
assert_eq "$(lake_digest)" "$before" "the lake after serving (and refusing) every request"
echo "serve_test: ok (screenshots: $artifacts/dashboard.png, dashboard-filtered.png, execution.png)"
