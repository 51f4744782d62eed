#!/usr/bin/env bash
# The lake's catalog when things go wrong (issue 15, items 10, 11 and 13):
# - readers answer while another process (Python's sqlite3, an independent client) holds the
#   catalog's write lock, and a writer waits, naming that process; readers answer on a lake
#   mounted read-only (a read-only bind mount in a private
#   mount namespace; where mounts are not allowed, the catalog's folder made immutable with
#   chattr, which binds root too); a writer there fails in shoplake's format;
# - two writers at once on a new lake, many rounds: both succeed, or the loser fails in
#   shoplake's format, never with SQLite's bare "database is locked";
# - `verify`: an untouched lake verifies clean; 7 bytes flipped inside a real Parquet file and
#   a removed file are named, exit 1 with shoplake's error line; the web app shows the last
#   verification.
source "$(dirname "$0")/lib.sh"

make_shop_project shop --days 4 --orders 1500 --dirty-rate 0 --seed 4
cd shop
"$SHOPLAKE" -q transform products customers orders >/dev/null
count_sql="SELECT count(*) AS n FROM shop.order_lines"
expected_rows="$("$SHOPLAKE" query --format csv "$count_sql" | tail -n1)"
[[ "$expected_rows" =~ ^[0-9]+$ && "$expected_rows" -gt 0 ]] || fail "no rows: [$expected_rows]"

# === 11a. readers while another process holds the catalog's write lock ==================
python3 - lake/_catalog/catalog.db "$SCRATCH/release" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS held_by_test (i INTEGER)")
open(sys.argv[2] + ".held", "w").close()
for _ in range(1200):  # at most 120 s, even if the test never says so
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
db.execute("ROLLBACK")
PY
holder=$!
E2E_PIDS="${E2E_PIDS:-} $holder"
for _ in $(seq 1 100); do [[ -e "$SCRATCH/release.held" ]] && break; sleep 0.1; done
[[ -e "$SCRATCH/release.held" ]] || fail "the lock holder never took the lock"
# Bounded far above what an answer takes (ms); waiting for the lock would take SQLite's 30 s.
run_status code timeout 20 "$SHOPLAKE" catalog ls --json
[[ "$code" == 0 ]] || fail "catalog ls behind a writer: exit $code; stderr [$ERR]"
assert_contains "$OUT" '"shop.order_lines"' "catalog ls behind a writer"
run_status code timeout 20 "$SHOPLAKE" query --format csv "$count_sql"
[[ "$code" == 0 ]] || fail "query behind a writer: exit $code; stderr [$ERR]"
assert_eq "$(tail -n1 <<<"$OUT")" "$expected_rows" "rows read behind a writer"
# A writer waits its turn, and says after a second whose turn it is.
"$SHOPLAKE" crawl >"$SCRATCH/crawl.out" 2>"$SCRATCH/crawl.err" &
writer=$!
E2E_PIDS="${E2E_PIDS:-} $writer"
for _ in $(seq 1 100); do grep -q "waiting for" "$SCRATCH/crawl.err" && break; sleep 0.1; done
assert_contains "$(cat "$SCRATCH/crawl.err")" \
  "waiting for $PWD/lake/_catalog/catalog.db: process $holder (" "the waiting writer's note"
assert_contains "$(cat "$SCRATCH/crawl.err")" "python3 - lake/_catalog/catalog.db" "the holder"
kill -0 "$writer" 2>/dev/null || fail "the writer did not wait: $(cat "$SCRATCH/crawl.err")"
touch "$SCRATCH/release"
wait "$holder"
wait "$writer" || fail "the writer failed once the lock was released: $(cat "$SCRATCH/crawl.err")"
assert_contains "$(cat "$SCRATCH/crawl.out")" "crawled" "the writer's report"

# === 11b. readers on a read-only lake ======================================================
# read_only CMD...: runs CMD (in the project) with the lake read-only.
if unshare -m bash -c 'mount --bind -o ro lake lake' 2>/dev/null; then
  echo "read-only lake: a read-only bind mount"
  read_only() { unshare -m bash -c 'mount --bind -o ro lake lake && exec "$@"' read_only "$@"; }
elif chattr +i lake/_catalog/catalog.db 2>/dev/null; then
  echo "read-only lake: chattr +i on the catalog and its folder (mounts not allowed here)"
  chattr -i lake/_catalog/catalog.db
  read_only() {
    local rc=0
    chattr +i lake/_catalog/catalog.db lake/_catalog lake/processed
    "$@" || rc=$?
    chattr -i lake/_catalog/catalog.db lake/_catalog lake/processed
    return "$rc"
  }
else
  fail "neither a read-only bind mount nor chattr +i is possible here"
fi
[[ ! -e lake/_catalog/catalog.db-wal ]] || fail "a -wal file is left with no process open"
run_status code read_only "$SHOPLAKE" catalog ls --json
[[ "$code" == 0 ]] || fail "catalog ls on a read-only lake: exit $code; stderr [$ERR]"
assert_contains "$OUT" '"shop.order_lines"' "catalog ls on a read-only lake"
run_status code read_only "$SHOPLAKE" query --format csv "$count_sql"
[[ "$code" == 0 ]] || fail "query on a read-only lake: exit $code; stderr [$ERR]"
assert_eq "$(tail -n1 <<<"$OUT")" "$expected_rows" "rows read on a read-only lake"
# A writer there fails in shoplake's format, saying what cannot be written.
run_status code read_only "$SHOPLAKE" crawl
[[ "$code" == 1 ]] || fail "crawl on a read-only lake: expected exit 1, got $code; [$OUT] [$ERR]"
assert_contains "$ERR" "shoplake: error:" "a writer on a read-only lake"
assert_not_contains "$ERR" "unable to open database file" "a writer on a read-only lake"

# === 10. two writers at once on a new lake =================================================
# Two `shoplake run` of one project, started together on a lake that does not exist yet,
# rounds bounded: both succeed (they take turns at the catalog, the ingest and the transform
# locks), or one fails in shoplake's format; SQLite's bare "database is locked" never shows.
mkdir "$SCRATCH/race" && cp -r pipeline shoplake.yaml "$SCRATCH/race/"
(cd "$SCRATCH/race" && "$SHOPLAKE" -q simulate --out exports --days 2 --orders 300 --seed 3 >/dev/null)
for round in 1 2 3 4 5; do
  rm -rf "$SCRATCH/race/lake"
  (cd "$SCRATCH/race" && exec "$SHOPLAKE" run >"$SCRATCH/race/a.out" 2>"$SCRATCH/race/a.err") &
  first=$!
  (cd "$SCRATCH/race" && exec "$SHOPLAKE" run >"$SCRATCH/race/b.out" 2>"$SCRATCH/race/b.err") &
  second=$!
  E2E_PIDS="${E2E_PIDS:-} $first $second"
  codes=()
  wait "$first" && codes+=(0) || codes+=($?)
  wait "$second" && codes+=(0) || codes+=($?)
  for i in 0 1; do
    run="$([[ $i == 0 ]] && echo a || echo b)"
    out="$(cat "$SCRATCH/race/$run.out")" err="$(cat "$SCRATCH/race/$run.err")"
    assert_not_contains "$out$err" "database is locked" "round $round, run $run"
    if [[ "${codes[$i]}" == 0 ]]; then
      assert_eq "$(jq -r .status <<<"$out")" SUCCEEDED "round $round, run $run"
    else
      # Failed: the execution's JSON on stdout, or (before it started) shoplake's error line.
      [[ "$(jq -r .status <<<"$out" 2>/dev/null)" == FAILED || "$err" == *"shoplake: error:"* ]] ||
        fail "round $round, run $run: exit ${codes[$i]} in no promised format: [$out] [$err]"
    fi
  done
  echo "round $round: exit codes ${codes[*]}"
done

# === 13. verify ============================================================================
files="$("$SHOPLAKE" catalog ls --json | jq '[.[].files] | add')"
run_status code "$SHOPLAKE" verify
[[ "$code" == 0 ]] || fail "verify of an untouched lake: exit $code; [$OUT] [$ERR]"
assert_eq "$(tail -n1 <<<"$OUT")" "verified $files files: 0 failed, 0 unknown" "clean verify"

# 7 bytes flipped in the middle of a real Parquet file of the transform's.
rotten="$(find lake/processed/shop/order_lines -name '*.parquet' | sort | head -n1)"
size="$(stat -c %s "$rotten")"
printf '\x13\x37\x42\x99\xaa\x55\x01' | dd of="$rotten" bs=1 seek=$((size / 2)) conv=notrunc status=none
assert_eq "$(stat -c %s "$rotten")" "$size" "flipping keeps the size"
run_status code "$SHOPLAKE" verify
[[ "$code" == 1 ]] || fail "verify of a rotten file: expected exit 1, got $code; [$OUT] [$ERR]"
assert_contains "$OUT" "differs   ${rotten#lake/}  (shop.order_lines)" "the rotten file named"
assert_eq "$(grep -c '^differs\|^missing' <<<"$OUT")" 1 "only the rotten file named"
assert_contains "$ERR" "shoplake: error:" "verify's error line"
assert_contains "$ERR" "1 of $files files differ" "verify's error line"
run_status code "$SHOPLAKE" verify shop.order_lines --json
[[ "$code" == 1 ]] || fail "verify shop.order_lines: expected exit 1, got $code"
assert_eq "$(jq -r '.problems[] | .problem + " " + .key' <<<"$OUT")" "differs ${rotten#lake/}" \
  "verify --json"
assert_eq "$(jq -r .scope <<<"$OUT")" "shop.order_lines" "verify --json scope"
run_status code "$SHOPLAKE" verify shop.products
[[ "$code" == 0 ]] || fail "verify of an untouched table: exit $code; [$OUT] [$ERR]"
run_status code "$SHOPLAKE" verify nosuch
[[ "$code" == 2 ]] || fail "verify of an unknown table: expected exit 2, got $code"

# A removed file is named too.
gone="$(find lake/processed/shop/customers -name '*.parquet' | sort | head -n1)"
rm "$gone"
run_status code "$SHOPLAKE" verify
[[ "$code" == 1 ]] || fail "verify with a file removed: expected exit 1, got $code"
assert_contains "$OUT" "missing   ${gone#lake/}  (shop.customers)" "the removed file named"
assert_contains "$OUT" "differs   ${rotten#lake/}" "the rotten file still named"

# The web app shows the last verification and what it found.
start_serve .
page="$(curl -sf "${SERVE_URL}tables")"
stop_serve
assert_contains "$page" 'id="verification"' "the Tables page"
assert_contains "$page" "$files files checked, 2 failed" "the Tables page"
assert_contains "$page" "${gone#lake/}" "the Tables page names the removed file"

echo "catalog hardening: OK"
