#!/usr/bin/env bash
# Workflow history from the command line: `workflow run` records each execution in the
# project's lake (_catalog/catalog.db) and keeps its stdout/exit-code contract; `list`,
# `describe` and `history` read it back; `redrive` continues a failed execution from the
# failed state once its cause is fixed, and refuses what cannot be redriven; shoplake:notify
# posts to a real webhook on loopback (a small node server) configured in shoplake.yaml.
source "$(dirname "$0")/lib.sh"

# --- a webhook on 127.0.0.1 recording each request ----------------------------------
start_webhook "$SCRATCH/hook.jsonl"

# --- a project whose notify: section names the webhook --------------------------------
mkdir -p shop/flows shop/sub
cat >shop/shoplake.yaml <<YAML
name: e2e-shop
lake: lake
notify:
  url: http://127.0.0.1:$HOOK_PORT/hook
  timeout_seconds: 5
YAML
# Prepare runs once; Load fails until switch.txt says "go": a cause the test fixes.
cat >shop/flows/load.asl.json <<'JSON'
{"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Result": {"day": "mon"}, "ResultPath": "$.prep", "Next": "Load"},
  "Load": {"Type": "Task", "Resource": "shoplake:notify",
           "Parameters": {"command": "grep -q go switch.txt", "message.$": "$.prep"},
           "ResultPath": "$.load", "Next": "Done"},
  "Done": {"Type": "Succeed"}}}
JSON
echo stop >shop/switch.txt
cd shop

# run: exactly one JSON object on stdout, exit 1, the ARN on stderr, history in the lake.
run_status code "$SHOPLAKE" workflow run flows/load.asl.json --name load-1 --input '{"batch":7}'
assert_eq "$code" 1 "run exit code for a failing execution"
assert_eq "$(grep -c . <<<"$OUT")" 1 "run prints one line on stdout"
assert_eq "$(jq -c 'del(.cause)' <<<"$OUT")" '{"error":"Notify.Failed","status":"FAILED"}' "run stdout"
assert_contains "$(jq -r .cause <<<"$OUT")" "command 'grep -q go switch.txt' exited with status 1" "cause"
assert_contains "$ERR" "arn:shoplake:states:local:execution:load.asl:load-1" "run names the execution on stderr"
[[ -f lake/_catalog/catalog.db ]] || fail "no history in the project's lake"

# list: the execution, as a table and as JSON.
run_status code "$SHOPLAKE" workflow list
assert_eq "$code" 0 "list exit code"
assert_contains "$OUT" "load-1" "list"
assert_contains "$OUT" "FAILED" "list"
run_status code "$SHOPLAKE" workflow list --format json
assert_eq "$(jq -r '.executions | length' <<<"$OUT")" 1 "list --format json: one execution"
assert_eq "$(jq -r '.executions[0].status' <<<"$OUT")" FAILED "list --format json: status"
assert_eq "$(jq -r '.executions[0].executionArn' <<<"$OUT")" \
  "arn:shoplake:states:local:execution:load.asl:load-1" "list --format json: ARN"

# describe: DescribeExecution's fields, from a subfolder too (the project is found upward).
run_status code bash -c "cd sub && '$SHOPLAKE' workflow describe load-1"
assert_eq "$code" 0 "describe exit code"
assert_eq "$(jq -r .status <<<"$OUT")" FAILED "describe status"
assert_eq "$(jq -r .error <<<"$OUT")" Notify.Failed "describe error"
assert_eq "$(jq -c .input <<<"$OUT")" '{"batch":7}' "describe input"
assert_eq "$(jq -r .failedState <<<"$OUT")" Load "describe failedState"
assert_eq "$(jq -r .redriveStatus <<<"$OUT")" REDRIVABLE "describe redriveStatus"
assert_eq "$(jq -r .redriveCount <<<"$OUT")" 0 "describe redriveCount"
assert_eq "$(jq -r .definition.path <<<"$OUT")" "$PWD/flows/load.asl.json" "describe definition path"
assert_eq "$(jq -r .definition.sha256 <<<"$OUT")" "$(sha256sum flows/load.asl.json | cut -d' ' -f1)" \
  "describe definition sha256"

# history: the events in order, as JSON and as a table.
run_status code "$SHOPLAKE" workflow history load-1 --format json
assert_eq "$code" 0 "history exit code"
assert_eq "$(jq -r '[.events[].type] | join(",")' <<<"$OUT")" \
  "ExecutionStarted,PassStateEntered,PassStateExited,TaskStateEntered,TaskScheduled,TaskFailed,ExecutionFailed" \
  "history event types"
assert_eq "$(jq -r '[.events[].id] | join(",")' <<<"$OUT")" "1,2,3,4,5,6,7" "history ids"
assert_eq "$(jq -r '.events[3].details.input.prep.day' <<<"$OUT")" mon "Load's input"
run_status code "$SHOPLAKE" workflow history load-1
assert_eq "$code" 0 "history table exit code"
assert_contains "$OUT" "TaskFailed" "history table"
assert_contains "$OUT" "load-1: FAILED (7 events)" "history table footer"

# redrive before the cause is fixed: fails again, same execution, events appended.
run_status code "$SHOPLAKE" workflow redrive load-1
assert_eq "$code" 1 "redrive exit code while the cause remains"
assert_eq "$(jq -r .status <<<"$OUT")" FAILED "redrive stdout while the cause remains"
# Fixed: the redrive re-enters Load with the input it had and succeeds.
echo go >switch.txt
run_status code "$SHOPLAKE" workflow redrive load-1
assert_eq "$code" 0 "redrive exit code once fixed"
assert_eq "$(grep -c . <<<"$OUT")" 1 "redrive prints one line on stdout"
assert_eq "$(jq -c . <<<"$OUT")" \
  '{"output":{"batch":7,"load":{"command":{"command":"grep -q go switch.txt","exitCode":0}},"prep":{"day":"mon"}},"status":"SUCCEEDED"}' \
  "redrive stdout once fixed"
run_status code "$SHOPLAKE" workflow describe arn:shoplake:states:local:execution:load.asl:load-1
assert_eq "$(jq -r .status <<<"$OUT")" SUCCEEDED "status after the redrive"
assert_eq "$(jq -r .redriveCount <<<"$OUT")" 2 "redriveCount after two redrives"
assert_eq "$(jq -r .redriveStatus <<<"$OUT")" NOT_REDRIVABLE "a succeeded execution"
run_status code "$SHOPLAKE" workflow history load-1 --format json
types="$(jq -r '[.events[].type] | join(",")' <<<"$OUT")"
assert_eq "$(jq '[.events[] | select(.type == "ExecutionRedriven")] | length' <<<"$OUT")" 2 "two redrives"
assert_eq "$(jq '[.events[] | select(.type == "PassStateEntered")] | length' <<<"$OUT")" 1 \
  "Prepare ran once"
assert_eq "$(jq '[.events[] | select(.type == "TaskScheduled")] | length' <<<"$OUT")" 3 \
  "Load ran three times"
assert_eq "$(jq '[.events[] | .id - .previousEventId] | unique' -c <<<"$OUT")" "[1]" \
  "each event follows the one before"
assert_eq "${types##*,}" ExecutionSucceeded "the last event"

# Refusals exit 2 and say why: a succeeded execution, a changed definition, a taken name.
run_status code "$SHOPLAKE" workflow redrive load-1
assert_eq "$code" 2 "redrive of a succeeded execution"
assert_contains "$ERR" "it SUCCEEDED: there is nothing to redrive" "redrive refusal"
assert_eq "$OUT" "" "a refused redrive prints nothing on stdout"
echo stop >switch.txt
run_status code "$SHOPLAKE" workflow run flows/load.asl.json --name load-2
assert_eq "$code" 1 "second execution fails"
sed -i 's/"mon"/"tue"/' flows/load.asl.json
run_status code "$SHOPLAKE" workflow redrive load-2
assert_eq "$code" 2 "redrive after the definition changed"
assert_contains "$ERR" "changed since it ran" "changed definition refusal"
run_status code "$SHOPLAKE" workflow run flows/load.asl.json --name load-1
assert_eq "$code" 2 "a name already used"
assert_contains "$ERR" "already has an execution named 'load-1'" "name refusal"
assert_eq "$OUT" "" "a refused run prints nothing on stdout"
run_status code "$SHOPLAKE" workflow describe nope
assert_eq "$code" 2 "describe of an unknown execution (not found)"
assert_contains "$ERR" "no execution 'nope' in the workflow history" "unknown execution"

# shoplake:notify from a Catch, to the webhook shoplake.yaml names, then Fail.
cat >flows/alert.asl.json <<'JSON'
{"StartAt": "Ingest", "States": {
  "Ingest": {"Type": "Task", "Resource": "shoplake:fail",
             "Parameters": {"error": "Bucket.Unavailable", "cause": "HTTP 503"},
             "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Alert"}],
             "End": true},
  "Alert": {"Type": "Task", "Resource": "shoplake:notify",
            "Parameters": {"message": {"pipeline.$": "$$.StateMachine.Name",
                                       "execution.$": "$$.Execution.Name",
                                       "error.$": "$.failure.Error", "cause.$": "$.failure.Cause"}},
            "ResultPath": null, "Next": "Failed"},
  "Failed": {"Type": "Fail", "Error": "Pipeline.Failed", "Cause": "see the notification"}}}
JSON
run_status code "$SHOPLAKE" workflow run flows/alert.asl.json --name alert-1
assert_eq "$code" 1 "alert run exit code"
assert_eq "$(jq -c . <<<"$OUT")" \
  '{"cause":"see the notification","error":"Pipeline.Failed","status":"FAILED"}' "alert run stdout"
assert_eq "$(grep -c . "$SCRATCH/hook.jsonl")" 1 "the webhook got one request"
request="$(head -n1 "$SCRATCH/hook.jsonl")"
assert_eq "$(jq -r .method <<<"$request")" POST "webhook method"
assert_eq "$(jq -r .url <<<"$request")" /hook "webhook path"
assert_eq "$(jq -r .type <<<"$request")" application/json "webhook content type"
assert_eq "$(jq -c '.body | fromjson' <<<"$request")" \
  '{"cause":"HTTP 503","error":"Bucket.Unavailable","execution":"alert-1","pipeline":"alert.asl"}' \
  "webhook body"
run_status code "$SHOPLAKE" workflow history alert-1 --format json
assert_eq "$(jq -r '[.events[] | select(.state == "Alert") | .type] | join(",")' <<<"$OUT")" \
  "TaskStateEntered,TaskScheduled,TaskSucceeded,TaskStateExited" "the Alert task's events"
assert_eq "$(jq -r '.events[] | select(.type == "TaskStateCaught") | .details.next' <<<"$OUT")" \
  Alert "the Catch went to Alert"

run_status code "$SHOPLAKE" workflow list --limit 2 --format json
assert_eq "$(jq -r '[.executions[].name] | join(",")' <<<"$OUT")" "alert-1,load-2" "list --limit, latest first"
echo "workflow history e2e passed"
