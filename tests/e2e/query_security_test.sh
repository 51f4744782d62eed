#!/usr/bin/env bash
# The query engine is read-only by construction, through the CLI and the web app's query API
# alike: every statement that writes (COPY over a table's own Parquet file, COPY over the
# catalog, COPY into DuckDB's default spill folder, EXPORT, ATTACH, INSERT), wrapped in
# EXPLAIN, EXPLAIN ANALYZE, a CTE or a subquery, is refused (exit 2, HTTP 400) and the lake is
# the same bytes afterwards. SQL behind 60 KB of blanks or comments is answered (it crashed
# the process), one over 1 MiB is refused, and a view file with a long licence header
# applies.
source "$(dirname "$0")/lib.sh"

make_shop_project shop --days 3 --orders 600 --dirty-rate 0 --seed 5
shoplake() { (cd shop && "$SHOPLAKE" "$@"); }
shoplake -q transform products customers orders >/dev/null
lines="$(shoplake query --format csv "SELECT count(*) FROM shop.order_lines" | tail -n 1)"
[[ "$lines" =~ ^[0-9]+$ && "$lines" -gt 0 ]] || fail "no order lines: $lines"
part="$(cd shop && find "$PWD/lake/processed/shop/order_lines" -name '*.parquet' | sort | head -n 1)"
catalog="$PWD/shop/lake/_catalog/catalog.db"

# The lake as bytes, the catalog as its content (a reader may touch SQLite's header).
lake_digest() {
  tree_digest shop/lake | grep -v ' ./_catalog/' | grep -v ' ./results/'
  sqlite3 "$catalog" .dump | sha256sum
}
before="$(lake_digest)"

writes=(
  "COPY (SELECT * FROM read_parquet('$part') UNION ALL SELECT * FROM read_parquet('$part')) TO '$part' (FORMAT parquet)"
  "COPY (SELECT 1 AS x) TO '$catalog' (FORMAT csv)"
  "COPY (SELECT 1 AS p, 2 AS v) TO '.tmp' (FORMAT csv, PARTITION_BY (p))"
  "EXPORT DATABASE '$PWD/shop/lake/export'"
  "ATTACH '$PWD/shop/lake/x.duckdb' AS x"
  "INSERT INTO shop.order_lines SELECT * FROM shop.order_lines"
)
wrappers=("%s" "EXPLAIN %s" "EXPLAIN ANALYZE %s" "explain /* why */ analyse %s"
          "EXPLAIN (ANALYZE) %s" "WITH w AS (SELECT 1) %s" "SELECT * FROM (%s)")
attacks=()
for w in "${writes[@]}"; do
  for f in "${wrappers[@]}"; do
    # shellcheck disable=SC2059
    attacks+=("$(printf "$f" "$w")")
  done
done

# Through the CLI: each exits 2 with our error line; nothing changed.
for sql in "${attacks[@]}"; do
  run_status code shoplake query "$sql"
  assert_eq "$code" 2 "shoplake query $sql: $ERR"
  assert_contains "$ERR" "shoplake: error:" "our error format for $sql"
done
run_status code shoplake query "EXPLAIN ANALYZE ${writes[0]}"
assert_contains "$ERR" "queries are read-only: EXPLAIN ANALYZE statements are refused" "says why"
assert_eq "$(lake_digest)" "$before" "the lake after the CLI's attacks"
[[ ! -e shop/.tmp ]] || fail "a query wrote into the current folder's .tmp"
assert_eq "$(shoplake query --format csv "SELECT count(*) FROM shop.order_lines" | tail -n 1)" \
  "$lines" "the rows after the CLI's attacks"

# Leading blanks and comments: answered, not a crash; over 1 MiB: refused.
pad="$(head -c 61440 /dev/zero | tr '\0' ' ')"
comments="$(for _ in $(seq 1 2000); do printf -- '-- licence line\n/* note */\n'; done)"
printf '%sSELECT count(*) AS n FROM shop.order_lines' "$pad" >"$SCRATCH/blank.sql"
run_status code shoplake query --format csv "$(cat "$SCRATCH/blank.sql")"
assert_eq "$code" 0 "60 KB of blanks: $ERR"
assert_eq "$(tail -n 1 <<<"$OUT")" "$lines" "60 KB of blanks, then a count"
run_status code shoplake query --format csv "$comments
SELECT count(*) AS n FROM shop.order_lines"
assert_eq "$code" 0 "60 KB of comments: $ERR"
assert_eq "$(tail -n 1 <<<"$OUT")" "$lines" "60 KB of comments, then a count"

# A view file opening with a long licence header applies.
{ printf '%s\n' "$comments"; echo "CREATE OR REPLACE VIEW shop.licensed AS SELECT 1 AS one"; } \
  >shop/pipeline/views/licensed.sql
run_status code shoplake views apply
assert_eq "$code" 0 "views apply with a long licence header: $ERR"
assert_eq "$(shoplake query --format csv "SELECT one FROM shop.licensed" | tail -n 1)" 1 "the view"
before="$(lake_digest)"

# Through the web app's query API: the same attacks are refused with 400; the server lives on.
start_serve shop
url=$SERVE_URL
query() {
  jq -n --rawfile sql "$1" '{sql: $sql}' >"$SCRATCH/request.json"
  curl -sS --max-time 60 -o "$SCRATCH/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$SCRATCH/request.json" "${url}api/query"
}
for sql in "${attacks[@]}"; do
  printf '%s' "$sql" >"$SCRATCH/sql"
  assert_eq "$(query "$SCRATCH/sql")" 400 "POST /api/query $sql"
done
printf 'EXPLAIN ANALYZE %s' "${writes[1]}" >"$SCRATCH/sql"
query "$SCRATCH/sql" >/dev/null
assert_contains "$(jq -r .error "$SCRATCH/body")" "EXPLAIN ANALYZE statements are refused" "says why"
assert_eq "$(query "$SCRATCH/blank.sql")" 200 "60 KB of blanks through the API"
assert_eq "$(jq -c .rows "$SCRATCH/body")" "[{\"n\":$lines}]" "its answer"
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$SCRATCH/huge.sql"
echo "SELECT 1" >>"$SCRATCH/huge.sql"
code="$(query "$SCRATCH/huge.sql")"
[[ "$code" == 400 || "$code" == 413 ]] || fail "a statement over 1 MiB: HTTP $code"
kill -0 "$SERVE_PID" 2>/dev/null || fail "the server died"
printf 'SELECT count(*) AS n FROM shop.order_lines' >"$SCRATCH/sql"
assert_eq "$(query "$SCRATCH/sql")" 200 "a query after the attacks"
assert_eq "$(jq -c .rows "$SCRATCH/body")" "[{\"n\":$lines}]" "the rows after the API's attacks"
stop_serve
assert_eq "$(lake_digest)" "$before" "the lake after the API's attacks"
[[ ! -e shop/.tmp ]] || fail "a query wrote into the server's current folder's .tmp"
echo "query_security: ${#attacks[@]} attacks refused through the CLI and the API"
