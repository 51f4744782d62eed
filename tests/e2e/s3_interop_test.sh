#!/usr/bin/env bash
# shoplake and awscli, an independent S3 client, on one s3rver on loopback: objects awscli
# uploads (single PUTs and a multipart upload) are ingested from s3://bucket/prefix into a
# local lake byte for byte, exactly once; a missing prefix and missing credentials fail
# saying what to do; and ingest into an s3:// lake writes raw objects awscli reads back, and
# uploads the lake's catalog once for its records rather than once per object.
source "$(dirname "$0")/lib.sh"

start_s3rver shop-exports lakebucket || exit $?  # 77: ctest reports a skip
aws_s3() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 "$@"; }

mkdir -p exports/orders exports/products
for day in 01 02 03; do
  { echo "order_id,line_no,quantity"; for i in $(seq 1 500); do echo "$day$i,1,$((i % 7 + 1))"; done; } \
    >"exports/orders/2026-01-$day.csv"
done
printf 'product_id,stock_on_hand\n1,5\n' >exports/products/2026-01-01.csv
# Past awscli's 8 MiB multipart threshold: uploaded in two parts.
head -c $((9 * 1024 * 1024 + 7)) /dev/urandom >exports/products/big.bin
aws_s3 cp --quiet --recursive exports s3://shop-exports/daily/ || fail "awscli upload"
assert_eq "$(aws_s3 ls --recursive s3://shop-exports/daily/ | wc -l)" 5 "objects uploaded by awscli"

# awscli's objects arrive in the raw zone byte for byte, under their full keys.
lake="$SCRATCH/lake"
run_status code "$SHOPLAKE" --lake "$lake" ingest s3://shop-exports/daily/ --source-name shop \
  --ingest-date 2026-11-27 --json
assert_eq "$code" 0 "ingest from s3:// exit code: $ERR"
assert_eq "$(jq .new <<<"$OUT")" 5 "new objects"
for file in orders/2026-01-01.csv orders/2026-01-02.csv orders/2026-01-03.csv \
  products/2026-01-01.csv products/big.bin; do
  assert_eq "$(sha256sum <"$lake/raw/shop/ingest_date=2026-11-27/daily/$file")" \
    "$(sha256sum <"exports/$file")" "sha256 of raw copy of $file"
done
# The ledger keeps the ETag as the version and S3's MD5 where the ETag is one.
etag="$(sqlite3 "$lake/_catalog/catalog.db" \
  "SELECT version FROM ingest_ledger WHERE object_uri = 's3://shop-exports/daily/orders/2026-01-02.csv'")"
assert_eq "$etag" "$(md5sum <exports/orders/2026-01-02.csv | cut -d' ' -f1)" "version of a single-part object"
big_etag="$(sqlite3 "$lake/_catalog/catalog.db" \
  "SELECT version FROM ingest_ledger WHERE object_uri = 's3://shop-exports/daily/products/big.bin'")"
# s3rver states the whole object's MD5 even for awscli's multipart upload (AWS would say
# "<hex>-2" and state no md5: tests/unit/ingest/source_test.cpp covers that).
assert_eq "$big_etag" "$(md5sum <exports/products/big.bin | cut -d' ' -f1)" "version of the multipart object"

# Again: nothing new, nothing rewritten.
before="$(tree_digest "$lake/raw")"
run_status code "$SHOPLAKE" --lake "$lake" ingest s3://shop-exports/daily/ --source-name shop \
  --ingest-date 2026-11-27 --json
assert_eq "$code" 0 "second ingest"
assert_eq "$(jq .new <<<"$OUT"),$(jq .unchanged <<<"$OUT")" "0,5" "second run"
assert_eq "$(tree_digest "$lake/raw")" "$before" "raw zone after a re-run"

# A replaced object is a new version beside the old one.
echo "0399,1,9" >>exports/orders/2026-01-03.csv
aws_s3 cp --quiet exports/orders/2026-01-03.csv s3://shop-exports/daily/orders/2026-01-03.csv
run_status code "$SHOPLAKE" --lake "$lake" ingest s3://shop-exports/daily/orders/ --source-name shop \
  --ingest-date 2026-11-27 --json
assert_eq "$code" 0 "ingest of a replaced object: $ERR"
assert_eq "$(jq .new <<<"$OUT")" 1 "one new version"
new_key="$(jq -r '.objects[] | select(.outcome=="new") | .raw_key' <<<"$OUT")"
cmp exports/orders/2026-01-03.csv "$lake/$new_key" || fail "new version bytes ($new_key)"

# A mistyped prefix: exit 1 naming it. No credentials anywhere: exit 2 saying what to set.
run_status code "$SHOPLAKE" --lake "$lake" ingest s3://shop-exports/no-such-prefix/ --source-name shop
assert_eq "$code" 2 "missing prefix exit code (not found)"
assert_contains "$ERR" "s3://shop-exports/no-such-prefix/" "missing prefix named"
run_status code env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$SCRATCH/nohome" \
  AWS_CONFIG_FILE="$SCRATCH/nohome/config" AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/nohome/credentials" \
  "$SHOPLAKE" --lake "$lake" ingest s3://shop-exports/daily/ --source-name shop
assert_eq "$code" 2 "no credentials exit code"
assert_contains "$ERR" "no AWS credentials" "no credentials message"
assert_contains "$ERR" "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" "no credentials hint"

# Ingest into an s3:// lake: raw objects that awscli reads back byte for byte.
run_status code "$SHOPLAKE" -v --lake s3://lakebucket/lake ingest "$SCRATCH/exports" --source-name shop \
  --ingest-date 2026-11-27 --json
assert_eq "$code" 0 "ingest into an s3:// lake: $ERR"
assert_eq "$(jq .new <<<"$OUT")" 5 "objects ingested into the s3:// lake"
# The catalog went up once for the records rather than once per object, and the lake's
# catalog has them all.
uploads="$(grep -c 'uploaded the catalog' <<<"$ERR" || true)"
((uploads >= 1 && uploads < 5)) || fail "$uploads catalog uploads for 5 objects: $ERR"
aws_s3 cp --quiet s3://lakebucket/lake/_catalog/catalog.db lake-catalog.db || fail "awscli: the catalog"
assert_eq "$(sqlite3 lake-catalog.db "SELECT count(*) FROM ingest_ledger WHERE source = 'shop'")" 5 \
  "ledger entries in the lake's catalog"
assert_eq "$(sqlite3 lake-catalog.db "SELECT count(*) FROM ingest_runs")" 1 "the run's record in the lake's catalog"
mkdir -p back
aws_s3 cp --quiet --recursive s3://lakebucket/lake/raw/shop/ingest_date=2026-11-27/ back/ ||
  fail "awscli download"
for file in orders/2026-01-01.csv orders/2026-01-03.csv products/big.bin; do
  assert_eq "$(sha256sum <"back/$file")" "$(sha256sum <"exports/$file")" "awscli read-back of $file"
done
echo "s3_interop_test: ok"
