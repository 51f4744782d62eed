#!/usr/bin/env bash
# `shoplake ingest` against `shoplake simulate serve` on loopback: a day's prefix lands in
# raw/ exactly once; a re-run changes nothing; a changed object becomes a new version; 503s
# are retried; cut downloads resume with Range; a lying md5 publishes nothing.
source "$(dirname "$0")/lib.sh"

mkdir -p exports/orders exports/products
for day in 01 02 03; do
  { echo "order_id,line_no,quantity"; for i in $(seq 1 2000); do echo "$day$i,1,$((i % 7 + 1))"; done; } \
    >"exports/orders/2026-01-$day.csv"
done
printf 'product_id,stock_on_hand\n1,5\n' >exports/products/2026-01-01.csv
lake="$SCRATCH/lake"
ingest() { "$SHOPLAKE" --lake "$lake" ingest "$@"; }
ledger_rows() { sqlite3 "$lake/_catalog/catalog.db" "SELECT count(*) FROM ingest_ledger"; }

start_bucket exports

# A day's prefix: only the orders objects arrive, under raw/<source>/ingest_date=.../<name>.
run_status code ingest gs://shop-exports/orders/ --source-name shop --ingest-date 2026-11-25 --json
assert_eq "$code" 0 "first ingest exit code: $ERR"
assert_eq "$(jq .new <<<"$OUT")" 3 "new objects"
for day in 01 02 03; do
  cmp "exports/orders/2026-01-$day.csv" "$lake/raw/shop/ingest_date=2026-11-25/orders/2026-01-$day.csv" ||
    fail "raw copy of 2026-01-$day differs"
done
[[ ! -e "$lake/raw/shop/ingest_date=2026-11-25/products" ]] || fail "products ingested with the orders prefix"
assert_eq "$(ledger_rows)" 3 "ledger rows"
assert_eq "$(sqlite3 "$lake/_catalog/catalog.db" "SELECT sha256 FROM ingest_ledger WHERE raw_key LIKE '%2026-01-02.csv'")" \
  "$(sha256sum exports/orders/2026-01-02.csv | cut -d' ' -f1)" "recorded sha256"

# A second run is a no-op: ledger and files unchanged, byte for byte.
before="$(tree_digest "$lake/raw"; sqlite3 "$lake/_catalog/catalog.db" "SELECT * FROM ingest_ledger")"
run_status code ingest gs://shop-exports/orders/ --source-name shop --ingest-date 2026-11-25 --json
assert_eq "$code" 0 "second ingest exit code"
assert_eq "$(jq .new <<<"$OUT"),$(jq .unchanged <<<"$OUT")" "0,3" "second run"
after="$(tree_digest "$lake/raw"; sqlite3 "$lake/_catalog/catalog.db" "SELECT * FROM ingest_ledger")"
assert_eq "$after" "$before" "lake after a re-run"

# A changed object (new generation and bytes) becomes a new version beside the old one.
sleep 0.01
echo "0104,1,9" >>exports/orders/2026-01-02.csv
run_status code ingest gs://shop-exports/orders/ --source-name shop --ingest-date 2026-11-25 --json
assert_eq "$code" 0 "changed-object ingest"
assert_eq "$(jq .new <<<"$OUT")" 1 "one new version"
new_key="$(jq -r '.objects[] | select(.outcome=="new") | .raw_key' <<<"$OUT")"
[[ "$new_key" == raw/shop/ingest_date=2026-11-25/orders/2026-01-02~*.csv ]] || fail "new version key: $new_key"
cmp exports/orders/2026-01-02.csv "$lake/$new_key" || fail "new version bytes"
[[ "$(tail -1 "$lake/raw/shop/ingest_date=2026-11-25/orders/2026-01-02.csv")" != "0104,1,9" ]] ||
  fail "the old version was overwritten"
assert_eq "$(ledger_rows)" 4 "ledger rows after a change"

# `shoplake ledger` lists what arrived.
run_status code "$SHOPLAKE" --lake "$lake" ledger --source shop
assert_eq "$code" 0 "ledger exit code"
assert_contains "$OUT" "raw/shop/ingest_date=2026-11-25/orders/2026-01-01.csv" "ledger listing"
assert_contains "$OUT" "4 objects" "ledger count"
stop_bucket

# 503 for the first 2 requests of each object: every object still arrives exactly once.
start_bucket exports --fail-first 2
run_status code ingest gs://shop-exports/ --source-name flaky --ingest-date 2026-11-25 \
  --retry-delay-ms 10 --json
assert_eq "$code" 0 "ingest through 503s: $ERR"
assert_eq "$(jq .new <<<"$OUT")" 4 "objects through 503s"
assert_eq "$(find "$lake/raw/flaky" -type f | wc -l)" 4 "raw files through 503s"
assert_eq "$(sqlite3 "$lake/_catalog/catalog.db" "SELECT count(*) FROM ingest_ledger WHERE source='flaky'")" 4 "ledger through 503s"
stop_bucket

# Downloads cut after 10000 bytes: the retry resumes with Range and the bytes match.
start_bucket exports --cut-after 10000
run_status code ingest gs://shop-exports/orders/ --source-name cut --ingest-date 2026-11-25 \
  --retry-delay-ms 10 --max-attempts 20 --json
assert_eq "$code" 0 "ingest through cut downloads: $ERR"
for day in 01 02 03; do
  cmp "exports/orders/2026-01-$day.csv" "$lake/raw/cut/ingest_date=2026-11-25/orders/2026-01-$day.csv" ||
    fail "resumed copy of 2026-01-$day differs"
done
grep -qi 'range.*bytes=10000-' "$BUCKET_LOG" || grep -q 'bytes=10000-' "$BUCKET_LOG" ||
  fail "no Range resume in the server's request log: $(tail -5 "$BUCKET_LOG")"
stop_bucket

# A server lying about md5: nothing published, exit 1, the object named.
start_bucket exports --lie-about-md5
run_status code ingest gs://shop-exports/products/ --source-name liar --ingest-date 2026-11-25
assert_eq "$code" 1 "lying md5 exit code"
assert_contains "$ERR" "gs://shop-exports/products/2026-01-01.csv" "lying md5 names the object"
assert_contains "$ERR" "mismatch" "lying md5 message"
[[ ! -e "$lake/raw/liar" ]] || fail "something was published from a lying source: $(find "$lake/raw/liar")"
assert_eq "$(find "$lake/_staging" -type f | wc -l)" 0 "staging leftovers"
stop_bucket

# A missing object or prefix: exit 1 naming it. A bad scheme: exit 2.
start_bucket exports
run_status code ingest gs://shop-exports/no-such-prefix/ --source-name shop
assert_eq "$code" 2 "missing prefix exit code (not found)"
assert_contains "$ERR" "gs://shop-exports/no-such-prefix/" "missing prefix named"
run_status code ingest ftp://example/x
assert_eq "$code" 2 "bad scheme exit code"
echo "ingest_test: ok"
