#!/usr/bin/env bash
# Ingest throughput from the loopback bucket server against curl downloading the same
# objects in the same run (the ratio), and peak memory while ingesting one 2 GiB object.
# Usage: bench/ingest/run.sh [path/to/shoplake]   Writes bench/ingest/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(realpath "${1:-$root/build/shoplake}")"
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-ingest.XXXXXX")"
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

mkdir -p "$work/exports/many" "$work/exports/huge"
# 64 objects of 16 MiB: throughput over many objects.
for i in $(seq -w 1 64); do head -c $((16 * 1024 * 1024)) /dev/urandom >"$work/exports/many/obj-$i.bin"; done
# One 2 GiB object: peak memory must not grow with object size.
head -c $((2048 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/exports/huge/big.bin"

"$bin" -q simulate serve --root "$work/exports" --port 0 >"$work/serve.out" 2>/dev/null &
server=$!
for _ in $(seq 1 100); do grep -q STORAGE_EMULATOR_HOST= "$work/serve.out" && break; sleep 0.1; done
export STORAGE_EMULATOR_HOST="$(sed -n 's/^STORAGE_EMULATOR_HOST=//p' "$work/serve.out")"
many_bytes=$((64 * 16 * 1024 * 1024))

# Warm the server's checksum cache so neither side pays for it.
curl -fsS "$STORAGE_EMULATOR_HOST/storage/v1/b/shop-exports/o?prefix=many/" >/dev/null
curl -fsS "$STORAGE_EMULATOR_HOST/storage/v1/b/shop-exports/o?prefix=huge/" >/dev/null

# Peer: curl fetching the same 64 objects, 4 at a time, to disk.
mkdir -p "$work/curl"
start=$(date +%s.%N)
ls "$work/exports/many" | xargs -P 4 -I{} curl -fsS -o "$work/curl/{}" \
  "$STORAGE_EMULATOR_HOST/download/storage/v1/b/shop-exports/o/many%2F{}?alt=media"
curl_s=$(printf "%.2f" "$(echo "$(date +%s.%N) - $start" | bc)")

start=$(date +%s.%N)
/usr/bin/time -v -o "$work/time-many.txt" "$bin" -q --lake "$work/lake" ingest gs://shop-exports/many/ \
  --source-name bench --parallel 4 >/dev/null
ingest_s=$(printf "%.2f" "$(echo "$(date +%s.%N) - $start" | bc)")

start=$(date +%s.%N)
/usr/bin/time -v -o "$work/time-huge.txt" "$bin" -q --lake "$work/lake" ingest gs://shop-exports/huge/ \
  --source-name huge >/dev/null
huge_s=$(printf "%.2f" "$(echo "$(date +%s.%N) - $start" | bc)")
rss_many=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$work/time-many.txt")
rss_huge=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$work/time-huge.txt")

mbps() { echo "scale=1; $many_bytes / 1048576 / $1" | bc; }
ratio=$(echo "scale=2; $ingest_s / $curl_s" | bc)
{
  echo "# ingest benchmark"
  echo
  echo "Command: \`bench/ingest/run.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"
  echo
  echo "| what | seconds | MiB/s | peak RSS |"
  echo "|---|---|---|---|"
  echo "| curl, 64 x 16 MiB, 4 at a time (peer) | $curl_s | $(mbps "$curl_s") | - |"
  echo "| shoplake ingest, 64 x 16 MiB, --parallel 4 (verified: sha256+md5+crc32c, staged, fsynced) | $ingest_s | $(mbps "$ingest_s") | $((rss_many / 1024)) MiB |"
  echo "| shoplake ingest, one 2 GiB object | $huge_s | $(echo "scale=1; 2048 / $huge_s" | bc) | $((rss_huge / 1024)) MiB |"
  echo
  echo "Ratio ingest/curl time: **$ratio** (1.0 = as fast as curl writing to disk)."
} | tee "$root/bench/ingest/results.md"
