#!/usr/bin/env bash
# Stopped and killed workflow runs (issue 15 item 9): SIGTERM to `shoplake workflow run`
# stops the execution, which ends ABORTED (recorded, one JSON object on stdout, exit 1)
# instead of staying RUNNING forever; after kill -9 the execution is found RUNNING with its
# process gone and marked ABORTED the next time the history is listed.
source "$(dirname "$0")/lib.sh"

mkdir -p shop/flows
cat >shop/shoplake.yaml <<'YAML'
name: e2e-stop
lake: lake
YAML
# A long task the interpreter can cancel: the run ends only by a signal.
cat >shop/flows/long.asl.json <<'JSON'
{"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Result": {"seconds": 300}, "Next": "Nap"},
  "Nap": {"Type": "Task", "Resource": "shoplake:sleep", "End": true}}}
JSON
# A task that does not watch its cancellation: a notify command runs to its end (3 s).
cat >shop/flows/stubborn.asl.json <<'JSON'
{"StartAt": "Nap", "States": {
  "Nap": {"Type": "Task", "Resource": "shoplake:notify",
          "Parameters": {"command": "sleep 3", "timeoutSeconds": 60}, "End": true}}}
JSON
cd shop

# status NAME: the execution's status as `workflow list` shows it ("" when not recorded).
status() {
  "$SHOPLAKE" -q workflow list --format json |
    jq -r --arg name "$1" '.executions[] | select(.name == $name) | .status'
}

# start_run NAME [FLOW]: starts `workflow run` of flows/FLOW.asl.json (default long) in the
# background (RUN_PID) and waits, bounded, until its execution is recorded RUNNING in its task.
start_run() {
  "$SHOPLAKE" workflow run "flows/${2:-long}.asl.json" --name "$1" >"$SCRATCH/$1.out" \
    2>"$SCRATCH/$1.err" &
  RUN_PID=$!
  E2E_PIDS="${E2E_PIDS:-} $RUN_PID"
  local i
  for i in $(seq 1 200); do
    kill -0 "$RUN_PID" 2>/dev/null || fail "$1 exited early: $(cat "$SCRATCH/$1.err")"
    [[ -f lake/_catalog/catalog.db ]] &&
      [[ "$(sqlite3 lake/_catalog/catalog.db "SELECT count(*) FROM workflow_events
            WHERE execution_arn LIKE '%:$1' AND type = 'TaskScheduled'" 2>/dev/null)" == 1 ]] &&
      return 0
    sleep 0.05
  done
  fail "$1 never reached its task: $(cat "$SCRATCH/$1.err")"
}

# --- SIGTERM: the execution ends ABORTED, its end recorded ------------------------------
start_run term-1
assert_eq "$(status term-1)" RUNNING "status while it runs"
kill -TERM "$RUN_PID"
wait_exit "$RUN_PID"
assert_eq "$EXIT_CODE" 1 "exit code of a stopped run"
assert_eq "$(grep -c . "$SCRATCH/term-1.out")" 1 "a stopped run prints one line on stdout"
assert_eq "$(jq -r .status "$SCRATCH/term-1.out")" ABORTED "stdout of a stopped run"
assert_contains "$(jq -r .cause "$SCRATCH/term-1.out")" "stopped by SIGTERM" "cause on stdout"
assert_eq "$(status term-1)" ABORTED "list after SIGTERM"
run_status code "$SHOPLAKE" -q workflow describe term-1
assert_eq "$code" 0 "describe exit code"
assert_eq "$(jq -r .status <<<"$OUT")" ABORTED "describe status"
assert_eq "$(jq -r .error <<<"$OUT")" Shoplake.Aborted "describe error"
assert_eq "$(jq -r .failedState <<<"$OUT")" Nap "describe failedState"
assert_eq "$(jq -r .redriveStatus <<<"$OUT")" REDRIVABLE "an aborted execution can be redriven"
run_status code "$SHOPLAKE" -q workflow history term-1 --format json
assert_eq "$(jq -r '.events[-1].type' <<<"$OUT")" ExecutionAborted "last event after SIGTERM"

# --- kill -9: found orphaned, marked ABORTED when the history is next listed -----------
start_run killed-1
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID"
assert_eq "$EXIT_CODE" 137 "kill -9 exit status"
assert_eq "$(sqlite3 lake/_catalog/catalog.db \
  "SELECT status FROM workflow_executions WHERE name = 'killed-1'")" RUNNING \
  "the killed process recorded no end"
assert_eq "$(status killed-1)" ABORTED "list after kill -9"
run_status code "$SHOPLAKE" -q workflow describe killed-1
assert_eq "$(jq -r .status <<<"$OUT")" ABORTED "describe after kill -9"
assert_contains "$(jq -r .cause <<<"$OUT")" "(pid $RUN_PID on " "the cause names the process"
assert_contains "$(jq -r .cause <<<"$OUT")" "ended without recording its end" "cause after kill -9"
assert_eq "$(jq -r .failedState <<<"$OUT")" Nap "a redrive resumes the state it was in"
assert_eq "$(jq -r .redriveStatus <<<"$OUT")" REDRIVABLE "a killed execution can be redriven"
run_status code "$SHOPLAKE" -q workflow history killed-1 --format json
assert_eq "$(jq -r '.events[-1].type' <<<"$OUT")" ExecutionAborted "last event after kill -9"
assert_eq "$(status term-1)" ABORTED "the other execution is untouched"
# --- a second SIGTERM does not wait for a task that ignores its cancellation -----------
start_run twice-1 stubborn
kill -TERM "$RUN_PID"
sleep 0.3
kill -TERM "$RUN_PID"
wait_exit "$RUN_PID"
assert_eq "$EXIT_CODE" 143 "exit status after a second SIGTERM"
assert_contains "$(cat "$SCRATCH/twice-1.err")" "second SIGTERM" "the second signal is logged"
assert_eq "$(status twice-1)" ABORTED "list after a second SIGTERM"
echo "workflow stop and orphan checks passed"
