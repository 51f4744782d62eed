# Shared by the end-to-end tests: a scratch folder removed on exit, and assertions that
# say what was expected. Each test script sources this, then runs "$SHOPLAKE".
set -euo pipefail
: "${SHOPLAKE:?set SHOPLAKE to the shoplake binary (ctest does)}"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-e2e.XXXXXX")"
# A remote lake's local copies (lake/local_cache.h) stay in the scratch folder, not ~/.cache.
export SHOPLAKE_CACHE_DIR="$SCRATCH/cache"
_cleanup() {
  local pid
  for pid in ${E2E_PIDS:-}; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$SCRATCH"
}
trap _cleanup EXIT
cd "$SCRATCH"

fail() { echo "FAIL: $*" >&2; exit 1; }
assert_eq() { [[ "$1" == "$2" ]] || fail "${3:-values differ}: expected [$2], got [$1]"; }
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-text}: expected to contain [$2], got [$1]"; }
assert_not_contains() { [[ "$1" != *"$2"* ]] || fail "${3:-text}: expected not to contain [$2], got [$1]"; }
# run_status VAR CMD...: runs CMD, stores its exit code in VAR, output in $OUT and $ERR.
run_status() {
  local var="$1"; shift
  set +e
  "$@" >"$SCRATCH/.out" 2>"$SCRATCH/.err"
  printf -v "$var" '%s' "$?"
  set -e
  OUT="$(cat "$SCRATCH/.out")"; ERR="$(cat "$SCRATCH/.err")"
}

# start_bucket ROOT [serve flags...]: starts `shoplake simulate serve` over ROOT on a free
# port and waits (bounded) for it; sets BUCKET_PID, BUCKET_LOG (its stderr: the request
# log) and exports STORAGE_EMULATOR_HOST. The EXIT trap stops it.
start_bucket() {
  local root="$1"; shift
  BUCKET_LOG="$SCRATCH/bucket-$RANDOM.log"
  "$SHOPLAKE" simulate serve --root "$root" --port 0 "$@" >"$BUCKET_LOG.out" 2>"$BUCKET_LOG" &
  BUCKET_PID=$!
  E2E_PIDS="${E2E_PIDS:-} $BUCKET_PID"
  local i
  for i in $(seq 1 100); do
    grep -q '^STORAGE_EMULATOR_HOST=' "$BUCKET_LOG.out" 2>/dev/null && break
    kill -0 "$BUCKET_PID" 2>/dev/null || fail "bucket server exited early: $(cat "$BUCKET_LOG")"
    sleep 0.1
  done
  STORAGE_EMULATOR_HOST="$(sed -n 's/^STORAGE_EMULATOR_HOST=//p' "$BUCKET_LOG.out")"
  [[ -n "$STORAGE_EMULATOR_HOST" ]] || fail "bucket server printed no endpoint"
  export STORAGE_EMULATOR_HOST
}

# stop_bucket: stops the server start_bucket started.
stop_bucket() {
  kill "$BUCKET_PID" 2>/dev/null || true
  wait "$BUCKET_PID" 2>/dev/null || true
}

# wait_exit PID [SECONDS]: waits (bounded: SECONDS, default 10) for PID, a child of this
# shell, to end and sets EXIT_CODE to its exit status; fails when it still runs then.
wait_exit() {
  local i
  for i in $(seq 1 $((${2:-10} * 10))); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && fail "pid $1 still runs ${2:-10} s later"
  EXIT_CODE=0
  wait "$1" || EXIT_CODE=$?
}

# start_webhook LOG: a webhook on 127.0.0.1 and a free port (a small node server) that
# answers 200 and appends each request to LOG as one JSON line {method, url, type, body};
# sets HOOK_PORT. The EXIT trap stops it.
start_webhook() {
  local log="$1"
  cat >"$SCRATCH/webhook.js" <<'JS'
const http = require('http');
const fs = require('fs');
const log = process.argv[2];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const line = {method: req.method, url: req.url, type: req.headers['content-type'], body};
    fs.appendFileSync(log, JSON.stringify(line) + '\n');
    res.writeHead(200, {'Content-Type': 'text/plain'});
    res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
// Bounded even if the test's EXIT trap never runs.
setTimeout(() => process.exit(0), 600000).unref();
JS
  touch "$log"
  node "$SCRATCH/webhook.js" "$log" >"$SCRATCH/webhook.port" 2>"$SCRATCH/webhook.err" &
  local pid=$! i
  E2E_PIDS="${E2E_PIDS:-} $pid"
  for i in $(seq 1 100); do
    [[ -s "$SCRATCH/webhook.port" ]] && break
    kill -0 "$pid" 2>/dev/null || fail "webhook exited early: $(cat "$SCRATCH/webhook.err")"
    sleep 0.1
  done
  HOOK_PORT="$(head -n1 "$SCRATCH/webhook.port")"
  [[ "$HOOK_PORT" =~ ^[0-9]+$ ]] || fail "webhook printed no port"
}

# tree_digest DIR: one line per file (relative path and sha256), sorted: equal output
# means byte-identical trees.
tree_digest() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# make_project DIR: a project like the demo's in DIR (the pipeline's mappings, a local
# exports folder as source "shop"), with nothing in exports yet.
make_project() {
  local dir="$1"
  mkdir -p "$dir" && cp -r "$SHOPLAKE_SOURCE/pipeline" "$dir/"
  cat >"$dir/shoplake.yaml" <<'YAML'
name: shop
lake: lake
sources:
  shop:
    uri: exports
datasets:
  orders: {source: shop, pattern: "orders/*.csv"}
  products: {source: shop, pattern: "products/*.csv"}
  customers: {source: shop, pattern: "customers/*.csv"}
YAML
  demo_sales_model >>"$dir/shoplake.yaml"
}

# demo_sales_model: the `sales:` section of the demo's shoplake.yaml, which the shipped views
# and dashboard read (docs/query.md, "The sales model"), for a test's own shoplake.yaml.
demo_sales_model() {
  sed -n '/^sales:/,/^[^ #]/p' "$SHOPLAKE_SOURCE/shoplake.yaml" | sed '1!{/^[^ #]/d}'
}

# make_shop_project DIR [simulate flags...]: make_project with a simulated shop ingested
# (flags default to 10 days, 8000 orders, dirty rate 0.01, seed 9).
make_shop_project() {
  local dir="$1"; shift
  (($#)) || set -- --days 10 --orders 8000 --dirty-rate 0.01 --seed 9
  make_project "$dir"
  (cd "$dir" && "$SHOPLAKE" -q simulate --out exports "$@" >/dev/null &&
    "$SHOPLAKE" -q ingest "$PWD/exports" --source-name shop --ingest-date 2026-11-27 >/dev/null)
}

# in_dir DIR COMMAND...: runs COMMAND in DIR.
in_dir() { local dir="$1"; shift; (cd "$dir" && "$@"); }

# check_view_cases PROJECT DERIVED: every case of tests/data/query/cases, its query.sql run
# by `shoplake query` in PROJECT (views applied), gives the rows of DERIVED/<case>/expected.csv
# (what tests/data/query/expected.sh derived from PROJECT's exports with sqlite3).
check_view_cases() {
  local project="$1" derived="$2" dir name checked=0
  # The same CSV, whoever wrote it: both files pass through sqlite3's CSV reader and writer.
  normalized() { sqlite3 :memory: ".import --csv $1 t" ".mode csv" ".headers on" "SELECT * FROM t"; }
  for dir in "$SHOPLAKE_SOURCE"/tests/data/query/cases/*/; do
    name="$(basename "$dir")"
    run_status code in_dir "$project" "$SHOPLAKE" query --format csv -o "$SCRATCH/$name.csv" \
      -f "$dir/query.sql"
    assert_eq "$code" 0 "$name: exit code: $ERR"
    assert_eq "$(normalized "$SCRATCH/$name.csv")" "$(normalized "$derived/$name/expected.csv")" "$name: rows"
    checked=$((checked + 1))
  done
  [[ $checked -ge 9 ]] || fail "only $checked cases ran"
}

# make_dashboard_project DIR: make_shop_project over 70 days from January 1st (three months
# for a trend line), transformed, with the analytics views applied: what a dashboard reads.
make_dashboard_project() {
  make_shop_project "$1" --days 70 --orders 6000 --dirty-rate 0.01 --seed 9
  (cd "$1" && "$SHOPLAKE" -q transform products customers orders >/dev/null &&
    "$SHOPLAKE" -q views apply >/dev/null)
}

# start_s3rver BUCKET...: starts s3rver (tests/js/node_modules) on 127.0.0.1 and a free port
# over a scratch folder with BUCKETs created, waits (bounded) for it, and exports what S3
# clients need: S3_ENDPOINT, AWS_ENDPOINT_URL, its credentials (S3RVER/S3RVER) and a region,
# with the user's ~/.aws files out of the way. The EXIT trap stops it. Returns 77 (and says
# why) only when node or s3rver is missing, and under CI (CI=true, set by .ci/run) fails
# instead: there a missing s3rver is a broken setup, not a reason for the S3 tests to pass.
start_s3rver() {
  local missing=""
  command -v node >/dev/null || missing="node is not installed; s3rver needs it"
  [[ -n "$missing" || -f "$SHOPLAKE_SOURCE/tests/js/node_modules/s3rver/bin/s3rver.js" ]] ||
    missing="s3rver is not installed under tests/js/node_modules (scripts/bootstrap installs it)"
  if [[ -n "$missing" ]]; then
    [[ "${CI:-}" != true ]] || fail "$missing; CI=true, so the S3 tests fail rather than skip"
    echo "SKIP: $missing" >&2
    return 77
  fi
  local args=() bucket i
  for bucket in "$@"; do args+=(--configure-bucket "$bucket"); done
  local out="$SCRATCH/s3rver-$RANDOM.out"
  # --openssl-legacy-provider: s3rver's continuation tokens are DES, which Node 17+ refuses.
  node --openssl-legacy-provider "$SHOPLAKE_SOURCE/tests/js/node_modules/s3rver/bin/s3rver.js" \
    -d "$SCRATCH/s3rver-data" \
    -a 127.0.0.1 -p 0 --silent "${args[@]}" >"$out" 2>"$out.err" &
  S3RVER_PID=$!
  E2E_PIDS="${E2E_PIDS:-} $S3RVER_PID"
  for i in $(seq 1 200); do
    grep -q 'listening on 127.0.0.1:' "$out" 2>/dev/null && break
    kill -0 "$S3RVER_PID" 2>/dev/null || fail "s3rver exited early: $(cat "$out.err")"
    sleep 0.1
  done
  local port
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")"
  [[ -n "$port" ]] || fail "s3rver printed no port: $(cat "$out" "$out.err")"
  export S3_ENDPOINT="http://127.0.0.1:$port" AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_ENDPOINT_URL_S3
}

# start_serve DIR [serve flags...]: runs `shoplake serve --port 0` in the project DIR
# (stopped with the test) and waits for its URL: sets SERVE_PID and SERVE_URL
# (http://127.0.0.1:PORT/).
start_serve() {
  local dir="$1"; shift
  (cd "$dir" && exec "$SHOPLAKE" serve --port 0 "$@" >"$SCRATCH/serve.out" 2>"$SCRATCH/serve.err") &
  SERVE_PID=$!
  E2E_PIDS="${E2E_PIDS:-} $SERVE_PID"
  SERVE_URL=""
  for _ in $(seq 1 100); do
    # The file may not exist yet: the server's shell has not started.
    SERVE_URL="$(sed -n 's/^serving .* at \(http:[^ ]*\)$/\1/p' "$SCRATCH/serve.out" 2>/dev/null || true)"
    [[ -n "$SERVE_URL" ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited early: $(cat "$SCRATCH/serve.err")"
    sleep 0.1
  done
  [[ "$SERVE_URL" == http://127.0.0.1:*/ ]] ||
    fail "serve printed no loopback URL: $(cat "$SCRATCH/serve.out")"
}

# stop_serve: SIGTERM to the server start_serve started; it must be gone within 10 s.
stop_serve() {
  kill -TERM "$SERVE_PID"
  for _ in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVE_PID" 2>/dev/null && fail "serve did not stop within 10 s of SIGTERM"
  return 0
}
