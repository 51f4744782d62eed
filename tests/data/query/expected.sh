#!/usr/bin/env bash
# Writes each case's expected.csv from its expected.sqlite.sql: sqlite3 over the raw CSV
# exports of the fixed shop (shop.args), with the stated rules of pipeline/views written
# again in sqlite3 (sales.sql) -- a second route to the answers, never shoplake's output.
#
#   tests/data/query/expected.sh EXPORTS_DIR [OUT_DIR]
#
# EXPORTS_DIR: `shoplake simulate --out EXPORTS_DIR $(cat tests/data/query/shop.args)`.
# OUT_DIR (default: the cases folder itself) receives <case>/expected.csv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exports="$1"
out="${2:-$here/cases}"
db="$(mktemp --suffix .db)"
trap 'rm -f "$db"' EXIT

sqlite3 "$db" <"$here/raw_tables.sql"
for f in "$exports"/orders/*.csv; do sqlite3 "$db" ".import --csv --skip 1 $f lines"; done
for f in "$exports"/products/*.csv; do sqlite3 "$db" ".import --csv --skip 1 $f products"; done
sqlite3 "$db" <"$here/sales.sql"

for case in "$here"/cases/*/; do
  name="$(basename "$case")"
  mkdir -p "$out/$name"
  sqlite3 -bail -csv -header "$db" <"$case/expected.sqlite.sql" >"$out/$name/expected.csv"
done
