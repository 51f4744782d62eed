#!/usr/bin/env bash
# `shoplake simulate serve`: the real binary serves a folder as a GCS bucket that curl can
# list, inspect and download from (with Range), logs each request, stops cleanly on
# SIGTERM/SIGINT, and misbehaves on request (--fail-first, --cut-after, --lie-about-md5).
source "$(dirname "$0")/lib.sh"

# --- Exports to serve -----------------------------------------------------------------
mkdir -p exports/orders exports/products exports/.cache
for day in 01 02 03 04 05; do
  printf 'order_id,sku,qty\n%s,SKU-%s,1\n' "$day" "$day" >"exports/orders/2026-01-$day.csv"
done
printf 'sku,name\nSKU-01,tea\n' >exports/products/snapshot.csv
head -c 700000 /dev/urandom >exports/big.bin
printf 'secret\n' >exports/.hidden.csv
printf 'secret\n' >exports/.cache/x.csv
printf 'half\n' >exports/orders/2026-01-06.csv.tmp-99

b64md5() { openssl dgst -md5 -binary "$1" | base64; }

# start_server FLAGS...: lib.sh's start_bucket over ./exports; sets SERVER_PID, ENDPOINT.
start_server() {
  start_bucket exports "$@"
  SERVER_PID="$BUCKET_PID"
  ENDPOINT="$STORAGE_EMULATOR_HOST"
  [[ "$ENDPOINT" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "endpoint is not on loopback: $ENDPOINT"
}

# stop_server SIGNAL: sends SIGNAL, waits (bounded) and checks the server exited 0.
stop_server() {
  kill "-$1" "$SERVER_PID"
  wait_exit "$SERVER_PID"
  assert_eq "$EXIT_CODE" 0 "exit code after SIG$1"
}

# http URL [CURL ARGS...]: body in $SCRATCH/body, status in $STATUS, curl's exit in $CURL_EXIT.
http() {
  local url="$1"; shift
  set +e
  STATUS="$(curl -s --max-time 30 -o "$SCRATCH/body" -w '%{http_code}' "$@" "$url")"
  CURL_EXIT=$?
  set -e
}

API_PATH="/storage/v1/b/shop-exports/o"

# --- Usage errors exit 2 --------------------------------------------------------------
run_status code "$SHOPLAKE" simulate serve
assert_eq "$code" 2 "serve without --root"
run_status code "$SHOPLAKE" simulate serve --root "$SCRATCH/no-such-folder"
assert_eq "$code" 2 "serve with a missing root"
run_status code "$SHOPLAKE" simulate serve --help
assert_eq "$code" 0 "serve --help"
assert_contains "$OUT" "--cut-after" "serve --help"

# --- Plain serving --------------------------------------------------------------------
start_server
assert_contains "$(head -1 "$BUCKET_LOG.out")" "serving gs://shop-exports from $SCRATCH/exports at $ENDPOINT" "first line"

# Listing: every object in name order, hidden and temporary files left out; pages of 2.
names=()
token=""
pages=0
while ((pages < 20)); do
  url="$ENDPOINT$API_PATH?maxResults=2"
  [[ -n "$token" ]] && url+="&pageToken=$(jq -rn --arg t "$token" '$t|@uri')"
  http "$url"
  assert_eq "$STATUS" 200 "list page $pages"
  assert_eq "$(jq -r .kind "$SCRATCH/body")" "storage#objects" "list kind"
  mapfile -t -O "${#names[@]}" names < <(jq -r '.items[]?.name' "$SCRATCH/body")
  pages=$((pages + 1))
  token="$(jq -r '.nextPageToken // empty' "$SCRATCH/body")"
  [[ -z "$token" ]] && break
done
assert_eq "${names[*]}" "big.bin orders/2026-01-01.csv orders/2026-01-02.csv orders/2026-01-03.csv orders/2026-01-04.csv orders/2026-01-05.csv products/snapshot.csv" "listed names"
assert_eq "$pages" 4 "pages of 2"

http "$ENDPOINT$API_PATH?delimiter=/"
assert_eq "$(jq -c '[.prefixes, [.items[].name]]' "$SCRATCH/body")" '[["orders/","products/"],["big.bin"]]' "delimiter"
http "$ENDPOINT$API_PATH?prefix=orders/2026-01-0&delimiter=/&maxResults=10"
assert_eq "$(jq '.items | length' "$SCRATCH/body")" 5 "prefix"

# Metadata: size as a string, md5Hash as GCS states it, generation, updated.
http "$ENDPOINT$API_PATH/orders%2F2026-01-02.csv"
assert_eq "$STATUS" 200 "metadata status"
assert_eq "$(jq -r .name "$SCRATCH/body")" "orders/2026-01-02.csv" "metadata name"
assert_eq "$(jq -r .size "$SCRATCH/body")" "$(stat -c %s exports/orders/2026-01-02.csv)" "metadata size"
assert_eq "$(jq -r '.size|type' "$SCRATCH/body")" "string" "size is a string"
assert_eq "$(jq -r .md5Hash "$SCRATCH/body")" "$(b64md5 exports/orders/2026-01-02.csv)" "metadata md5Hash"
assert_eq "$(jq -r .contentType "$SCRATCH/body")" "text/csv" "contentType"
[[ "$(jq -r .updated "$SCRATCH/body")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$ ]] || fail "updated is not RFC 3339: $(jq -r .updated "$SCRATCH/body")"
generation="$(jq -r .generation "$SCRATCH/body")"

# Media: whole, by the mediaLink, and by ranges.
http "$ENDPOINT$API_PATH/big.bin?alt=media" -D "$SCRATCH/headers"
assert_eq "$STATUS" 200 "media status"
cmp -s "$SCRATCH/body" exports/big.bin || fail "downloaded bytes differ from the file"
assert_contains "$(cat "$SCRATCH/headers")" "x-goog-hash: crc32c=" "x-goog-hash"
assert_contains "$(cat "$SCRATCH/headers")" ",md5=$(b64md5 exports/big.bin)" "x-goog-hash md5"
http "$(curl -s "$ENDPOINT$API_PATH/orders%2F2026-01-02.csv" | jq -r .mediaLink)"
assert_eq "$STATUS" 200 "mediaLink status"
cmp -s "$SCRATCH/body" exports/orders/2026-01-02.csv || fail "mediaLink bytes differ"
http "$ENDPOINT/download$API_PATH/orders%2F2026-01-02.csv?alt=media&generation=$generation" -r 0-4
assert_eq "$STATUS" 206 "download path with generation"
assert_eq "$(cat "$SCRATCH/body")" "order" "first 5 bytes"

http "$ENDPOINT$API_PATH/big.bin?alt=media" -r 1000-1999 -D "$SCRATCH/headers"
assert_eq "$STATUS" 206 "range status"
assert_contains "$(tr -d '\r' <"$SCRATCH/headers")" "Content-Range: bytes 1000-1999/700000" "Content-Range"
cmp -s "$SCRATCH/body" <(tail -c +1001 exports/big.bin | head -c 1000) || fail "range bytes differ"
http "$ENDPOINT$API_PATH/big.bin?alt=media" -H "Range: bytes=-100"
assert_eq "$STATUS" 206 "suffix range status"
cmp -s "$SCRATCH/body" <(tail -c 100 exports/big.bin) || fail "suffix range bytes differ"
http "$ENDPOINT$API_PATH/big.bin?alt=media" -r 700000-
assert_eq "$STATUS" 416 "unsatisfiable range"

# Not found: GCS's error JSON. Hidden and temporary files are not objects.
http "$ENDPOINT$API_PATH/orders%2F2030-01-01.csv"
assert_eq "$STATUS" 404 "missing object"
assert_eq "$(jq -r .error.message "$SCRATCH/body")" "No such object: shop-exports/orders/2030-01-01.csv" "404 message"
assert_eq "$(jq -r '.error.errors[0].reason' "$SCRATCH/body")" "notFound" "404 reason"
for name in .hidden.csv .cache%2Fx.csv orders%2F2026-01-06.csv.tmp-99 ..%2F..%2Fetc%2Fpasswd; do
  http "$ENDPOINT$API_PATH/$name?alt=media"
  assert_eq "$STATUS" 404 "not an object: $name"
done
http "$ENDPOINT/storage/v1/b/other/o"
assert_eq "$STATUS" 404 "unknown bucket"

# Each request is logged: method, path, status, bytes, ms.
grep -Eq "GET /storage/v1/b/shop-exports/o/big.bin\?alt=media 200 700000B [0-9.]+ms$" "$BUCKET_LOG" \
  || fail "no request log line: $(cat "$BUCKET_LOG")"
grep -Eq "GET /storage/v1/b/shop-exports/o/big.bin\?alt=media 206 1000B [0-9.]+ms range=bytes=1000-1999$" "$BUCKET_LOG" \
  || fail "no log line for the range request: $(cat "$BUCKET_LOG")"
stop_server TERM

# --- Another bucket name, stopped by SIGINT ------------------------------------------
start_server --bucket other-bucket
http "$ENDPOINT/storage/v1/b/other-bucket/o?prefix=products/"
assert_eq "$(jq -r '.items[0].name' "$SCRATCH/body")" "products/snapshot.csv" "--bucket"
stop_server INT

# --- Faults ---------------------------------------------------------------------------
start_server --fail-first 2 --cut-after 250000 --latency-ms 20 --lie-about-md5
http "$ENDPOINT$API_PATH/big.bin"
assert_eq "$STATUS" 503 "first request fails"
http "$ENDPOINT$API_PATH/big.bin?alt=media"
assert_eq "$STATUS" 503 "second request fails"
http "$ENDPOINT$API_PATH/big.bin"
assert_eq "$STATUS" 200 "third request is served"
stated_md5="$(jq -r .md5Hash "$SCRATCH/body")"
[[ "$stated_md5" != "$(b64md5 exports/big.bin)" ]] || fail "--lie-about-md5 stated the true md5"

# A download is cut after 250000 bytes; resuming with Range completes the file.
http "$ENDPOINT$API_PATH/big.bin?alt=media"
assert_eq "$CURL_EXIT" 18 "curl sees a partial transfer"
assert_eq "$(stat -c %s "$SCRATCH/body")" 250000 "bytes before the cut"
cp "$SCRATCH/body" "$SCRATCH/assembled"
resumes=0
while (($(stat -c %s "$SCRATCH/assembled") < 700000 && resumes < 10)); do
  http "$ENDPOINT$API_PATH/big.bin?alt=media" -r "$(stat -c %s "$SCRATCH/assembled")-"
  assert_eq "$STATUS" 206 "resume status"
  cat "$SCRATCH/body" >>"$SCRATCH/assembled"
  resumes=$((resumes + 1))
done
assert_eq "$resumes" 2 "resumes"
cmp -s "$SCRATCH/assembled" exports/big.bin || fail "resumed download differs from the file"
stop_server TERM

echo "simulate_serve_test: ok"
