#!/usr/bin/env bash
# Encodings (docs/transform.md "Encodings"): one small table (non-ASCII text, a quoted field
# holding a line break, a refused row after it), with LF and with CRLF line ends, written by
# iconv in every encoding csv.encoding takes (with and without a BOM), gives the same rows and
# the same reject on the same line; a file with one byte that does not decode gives one reject
# (rule encoding, its line and its byte in the raw file) and keeps its other rows; Tableau's
# Superstore export (Windows-1252, CRLF) loads all its rows with windows-1252, to the total
# Python's csv module and Decimal compute from its bytes, and fails with utf-8 declared,
# saying what it looks like. Expected values come from Python, never from the lake.
source "$(dirname "$0")/lib.sh"
SUPERSTORE="$SHOPLAKE_SOURCE/../shared/datasets/superstore/Sample - Superstore.csv"
[[ -f "$SUPERSTORE" ]] || SUPERSTORE="/work/shared/datasets/superstore/Sample - Superstore.csv"

project="$SCRATCH/project"
mkdir -p "$project/mappings" "$project/exports"
printf 'name: enc\nlake: lake\nsources:\n  shop: {uri: exports}\ndatasets:\n' \
  >"$project/shoplake.yaml"

# add_dataset NAME ENCODING COLUMNS_YAML: a dataset NAME (table enc.NAME) of the files under
# exports/NAME/, in ENCODING.
add_dataset() {
  local name="$1" encoding="$2" columns="$3"
  mkdir -p "$project/exports/$name"
  printf 'dataset: %s\ndatabase: enc\ntable: %s\ncsv: {encoding: %s}\ncolumns:\n%s\n' \
    "$name" "$name" "$encoding" "$columns" >"$project/mappings/$name.yaml"
  printf '  %s: {source: shop, pattern: "%s/*.csv", mapping: mappings/%s.yaml}\n' \
    "$name" "$name" "$name" >>"$project/shoplake.yaml"
}

# transform NAME: ingests what exports/ holds and transforms NAME; sets code, OUT, ERR.
transform() {
  in_dir "$project" "$SHOPLAKE" -q ingest "$project/exports" --source-name shop \
    --ingest-date 2026-11-10 >/dev/null || fail "ingest for $1 failed"
  run_status code in_dir "$project" "$SHOPLAKE" -q transform "$1" --max-reject-rate 1 --json
}

# query SQL: the rows as CSV; fails the test on an error.
query() {
  run_status code in_dir "$project" "$SHOPLAKE" -q query --format csv "$1"
  [[ "$code" == 0 ]] || fail "query [$1]: exit $code: $ERR"
  printf '%s' "$OUT"
}

# --- The same table in every encoding -------------------------------------------------------
# The source, in UTF-8: é ë ß ü ö are characters of every encoding below.
printf 'id,name,note\n1,Café,"first line\nsecond line"\n2,Zoë,plain\n3,Straße,"with ""quotes"""\n' \
  >"$SCRATCH/table.lf.csv"
printf 'x,Müller,refused\n4,Jürgen,"ü, ö"\n' >>"$SCRATCH/table.lf.csv"
sed 's/$/\r/' "$SCRATCH/table.lf.csv" >"$SCRATCH/table.crlf.csv"
# The rows Python's csv module reads from the UTF-8 source (the line break inside quotes as
# the file has it: "\n" or "\r\n"), but the refused one, as a query prints them (JSON).
expected_rows() {
  python3 - "$1" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))[1:]
print(json.dumps([[int(r[0]), r[1], r[2]] for r in rows if r[0] != "x"]))
PY
}
columns='  - {name: id, type: int}
  - {name: name, type: varchar}
  - {name: note, type: varchar}'
# label, csv.encoding, iconv's target, the BOM's bytes written before the text.
variants=(
  "utf8 utf-8 UTF-8 -"
  "utf8_bom utf-8 UTF-8 \xEF\xBB\xBF"
  "windows_1252 windows-1252 WINDOWS-1252 -"
  "cp1252 cp1252 CP1252 -"
  "latin_1 latin-1 LATIN1 -"
  "iso_8859_1 iso-8859-1 ISO-8859-1 -"
  "iso_8859_15 iso-8859-15 ISO-8859-15 -"
  "windows_1250 windows-1250 WINDOWS-1250 -"
  "mac_roman mac-roman MACINTOSH -"
  "utf16_le_bom utf-16 UTF-16LE \xFF\xFE"
  "utf16_le utf-16 UTF-16LE -"
  "utf16_be_bom utf-16 UTF-16BE \xFE\xFF"
  "utf16le utf-16le UTF-16LE -"
  "utf16le_bom utf-16le UTF-16LE \xFF\xFE"
  "utf16be utf-16be UTF-16BE -"
  "utf16be_bom utf-16be UTF-16BE \xFE\xFF"
  "utf32 utf-32 UTF-32 -"
)
for ends in lf crlf; do
  want="$(expected_rows "$SCRATCH/table.$ends.csv")"
  for variant in "${variants[@]}"; do
    read -r label encoding target bom <<<"$variant"
    name="${label}_$ends"
    add_dataset "$name" "$encoding" "$columns"
    file="$project/exports/$name/table.csv"
    [[ "$bom" == - ]] && : >"$file" || printf "$bom" >"$file"
    iconv -f UTF-8 -t "$target" "$SCRATCH/table.$ends.csv" >>"$file"
    transform "$name"
    [[ "$code" == 0 ]] || fail "$name: exit $code: $ERR"
    [[ -z "$ERR" ]] || fail "$name: the transform warned: $ERR"
    assert_eq "$(jq -c '.[0].totals | [.rows_read, .rows_written, .rows_rejected]' <<<"$OUT")" \
      "[5,4,1]" "$name: rows read, written, rejected"
    run_status code in_dir "$project" "$SHOPLAKE" -q query --format json \
      "SELECT id, name, note FROM enc.$name ORDER BY id"
    [[ "$code" == 0 ]] || fail "$name: query: $ERR"
    got="$(jq -c '[.[] | [.id, .name, .note]]' <<<"$OUT")"
    assert_eq "$got" "$(jq -c . <<<"$want")" "$name: the table's rows"
  done
done
# The refused row is on line 6 of each (the quoted line break is a line): the raw file's line,
# in UTF-16 and UTF-32 too.
in_dir "$project" "$SHOPLAKE" -q crawl rejects >/dev/null || fail "crawl of rejects/"
for ends in lf crlf; do
  for variant in "${variants[@]}"; do
    read -r label _ <<<"$variant"
    assert_eq "$(query "SELECT line, \"column\", rule, value, raw_line FROM rejects.${label}_$ends")" \
      $'line,column,rule,value,raw_line\n6,id,type,x,"x,Müller,refused"' "${label}_$ends: its reject"
  done
done
echo "ok: the same table in ${#variants[@]} encodings, LF and CRLF"

# --- One byte that does not decode ----------------------------------------------------------
# 150 rows; row 76 (line 77) holds one byte that does not decode: 0x81 (no Windows-1252
# character), 0xE9 alone (no UTF-8), half a surrogate pair (no UTF-16). One reject each, at
# that line and at the byte's offset in the raw file; the other 149 rows load.
python3 - "$project/exports" <<'PY'
import os, sys
root = sys.argv[1]
def write(name, encoding, bad):
    os.makedirs(f"{root}/{name}", exist_ok=True)
    data = b""
    for i in range(150):
        line = "id,name\r\n" if i == 0 else ""
        data += line.encode(encoding)
        text = f"{i + 1},Café {i + 1}"
        if i == 75:
            head = f"{i + 1},Caf".encode(encoding)
            offset = len(data) + len(head)
            data += head + bad + "\r\n".encode(encoding)
            open(f"{root}/{name}.expected", "w").write(f"{offset}")
        else:
            data += (text + "\r\n").encode(encoding)
    open(f"{root}/{name}/part.csv", "wb").write(data)
write("bad_windows_1252", "cp1252", b"\x81")
write("bad_utf8", "utf-8", b"\xE9")
write("bad_utf16le", "utf-16-le", b"\x00\xD8")
PY
for case in "bad_windows_1252 windows-1252 0x81" "bad_utf8 utf-8 0xE9" "bad_utf16le utf-16le 0x00"; do
  read -r name encoding byte <<<"$case"
  add_dataset "$name" "$encoding" '  - {name: id, type: int}
  - {name: name, type: varchar}'
  offset="$(cat "$project/exports/$name.expected")"
  rm "$project/exports/$name.expected"
  transform "$name"
  [[ "$code" == 0 ]] || fail "$name: exit $code: $ERR"
  assert_eq "$(jq -c '.[0].totals | [.rows_read, .rows_written, .rows_rejected]' <<<"$OUT")" \
    "[150,149,1]" "$name: rows read, written, rejected"
  assert_eq "$(query "SELECT count(*) AS n, min(name) AS first FROM enc.$name")" \
    $'n,first\n149,Café 1' "$name: the other rows"
  in_dir "$project" "$SHOPLAKE" -q crawl rejects >/dev/null || fail "crawl of rejects/"
  assert_eq "$(query "SELECT line, rule, message FROM rejects.$name")" \
    "line,rule,message
77,encoding,byte $byte at byte $offset of the file does not decode as $encoding" \
    "$name: its one reject"
done
echo "ok: one byte that does not decode is one reject, at its line and byte"

# --- Superstore: Windows-1252, CRLF ---------------------------------------------------------
superstore_columns='  - {name: row_id, source: "Row ID", type: int}
  - {name: order_id, source: "Order ID", type: varchar}
  - {name: order_date, source: "Order Date", type: varchar}
  - {name: ship_date, source: "Ship Date", type: varchar}
  - {name: ship_mode, source: "Ship Mode", type: varchar}
  - {name: customer_id, source: "Customer ID", type: varchar}
  - {name: customer_name, source: "Customer Name", type: varchar}
  - {name: segment, source: Segment, type: varchar}
  - {name: country, source: Country, type: varchar}
  - {name: city, source: City, type: varchar}
  - {name: state, source: State, type: varchar}
  - {name: postal_code, source: "Postal Code", type: varchar}
  - {name: region, source: Region, type: varchar}
  - {name: product_id, source: "Product ID", type: varchar}
  - {name: category, source: Category, type: varchar}
  - {name: sub_category, source: "Sub-Category", type: varchar}
  - {name: product_name, source: "Product Name", type: varchar}
  - {name: sales, source: Sales, type: "decimal(18,4)"}
  - {name: quantity, source: Quantity, type: int}
  - {name: discount, source: Discount, type: "decimal(6,4)"}
  - {name: profit, source: Profit, type: "decimal(18,4)"}'
# What Python reads from the published bytes: rows, total sales, product names with a curly
# quote; and, as UTF-8, the first line and byte that do not decode.
read -r rows total curly bad_line bad_byte < <(python3 - "$SUPERSTORE" <<'PY'
import csv, decimal, sys
raw = open(sys.argv[1], "rb").read()
rows = list(csv.DictReader(open(sys.argv[1], encoding="cp1252", newline="")))
total = sum(decimal.Decimal(r["Sales"]) for r in rows)
curly = sum(1 for r in rows if "\u201c" in r["Product Name"])
offset = 0
for number, line in enumerate(raw.split(b"\n"), 1):
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        print(len(rows), total, curly, number, offset + e.start)
        break
    offset += len(line) + 1
PY
)
assert_eq "$rows" 9994 "Python's rows of Superstore"
for encoding in windows-1252 utf-8; do
  name="superstore_${encoding//-/_}"
  add_dataset "$name" "$encoding" "$superstore_columns"
  cp "$SUPERSTORE" "$project/exports/$name/"
done
transform superstore_windows_1252
[[ "$code" == 0 ]] || fail "superstore as windows-1252: exit $code: $ERR"
assert_eq "$(jq -c '.[0].totals | [.rows_read, .rows_written, .rows_rejected]' <<<"$OUT")" \
  "[$rows,$rows,0]" "superstore as windows-1252: rows read, written, rejected"
assert_eq "$(query "SELECT count(*) AS n, CAST(sum(sales) AS VARCHAR) AS total,
    count(*) FILTER (product_name LIKE '%“%”%') AS curly FROM enc.superstore_windows_1252")" \
  "n,total,curly
$rows,$total,$curly" "superstore as windows-1252: rows, total sales, curly quotes"
echo "ok: Superstore as windows-1252: $rows rows, sales $total"

transform superstore_utf_8
[[ "$code" != 0 ]] || fail "superstore as utf-8 must fail for its encoding: $OUT"
assert_contains "$ERR" "Sample - Superstore.csv" "the failure names the file"
assert_contains "$ERR" "the first on line $bad_line, byte $bad_byte" "the failure's first bad byte"
assert_contains "$ERR" "looks like windows-1252: set csv.encoding: windows-1252" \
  "the failure says what the bytes look like"
assert_contains "$ERR" "nothing was published" "the failure"
run_status code in_dir "$project" "$SHOPLAKE" -q query "SELECT 1 FROM enc.superstore_utf_8"
[[ "$code" != 0 ]] || fail "superstore as utf-8 published a table"
echo "ok: Superstore as utf-8 fails at line $bad_line, byte $bad_byte"

# --- A name iconv does not know -------------------------------------------------------------
add_dataset unknown windows-1253x '  - {name: id, type: int}'
run_status code in_dir "$project" "$SHOPLAKE" -q transform unknown
[[ "$code" != 0 ]] || fail "an unknown encoding was taken"
assert_contains "$ERR" "unknown.yaml:4" "the mapping error names the file and line"
assert_contains "$ERR" "windows-1253x" "the mapping error names the encoding"
assert_contains "$ERR" "windows-1252, iso-8859-1" "the mapping error lists common ones"
echo "ok: an unknown encoding is a mapping error"
