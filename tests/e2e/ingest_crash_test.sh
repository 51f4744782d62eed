#!/usr/bin/env bash
# kill -9 in the middle of a large ingest, then a re-run: no partial file in raw/, every
# object exactly once, staging leftovers cleaned.
source "$(dirname "$0")/lib.sh"

mkdir -p exports/big
for i in 1 2 3; do head -c $((24 * 1024 * 1024)) /dev/urandom >"exports/big/part-$i.bin"; done
printf 'small\n' >exports/big/small.txt
lake="$SCRATCH/lake"

# Downloads cut every 512 KiB, each resume 20 ms late: slow enough to kill in the middle.
start_bucket exports --cut-after 524288 --latency-ms 20
"$SHOPLAKE" --lake "$lake" -q ingest gs://shop-exports/big/ --source-name shop \
  --ingest-date 2026-11-25 --parallel 2 --retry-delay-ms 1 --max-attempts 100 \
  >"$SCRATCH/first.out" 2>"$SCRATCH/first.err" &
ingest_pid=$!
# Wait (bounded) until some bytes are staged, then kill -9.
for _ in $(seq 1 200); do
  staged="$( (find "$lake/_staging" -type f -size +1M 2>/dev/null || true) | wc -l)"
  [[ "$staged" -gt 0 ]] && break
  sleep 0.05
done
[[ "${staged:-0}" -gt 0 ]] || fail "nothing was staged to interrupt"
kill -9 "$ingest_pid"
wait "$ingest_pid" 2>/dev/null || true
stop_bucket

# What a reader sees now: only whole, verified objects.
for f in $(cd "$lake" && find raw -type f 2>/dev/null); do
  name="${f##*/}"
  cmp -s "exports/big/$name" "$lake/$f" || fail "partial or wrong file visible after kill -9: $f"
done
[[ "$(find "$lake/_staging" -type f | wc -l)" -gt 0 ]] || fail "expected staging leftovers after kill -9"

# The re-run cleans up and finishes the work: every object exactly once.
start_bucket exports
run_status code "$SHOPLAKE" --lake "$lake" ingest gs://shop-exports/big/ --source-name shop \
  --ingest-date 2026-11-25 --json
assert_eq "$code" 0 "re-run exit code: $ERR"
assert_eq "$(find "$lake/_staging" -type f | wc -l)" 0 "staging leftovers after the re-run"
assert_eq "$(find "$lake/raw" -type f | wc -l)" 4 "raw objects"
for name in part-1.bin part-2.bin part-3.bin small.txt; do
  cmp "exports/big/$name" "$lake/raw/shop/ingest_date=2026-11-25/big/$name" || fail "$name differs"
done
assert_eq "$(sqlite3 "$lake/_catalog/catalog.db" \
  "SELECT count(*), count(DISTINCT object_uri) FROM ingest_ledger")" "4|4" "ledger: each object once"
echo "ingest_crash_test: ok"
