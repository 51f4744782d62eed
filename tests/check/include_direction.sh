#!/usr/bin/env bash
# Every #include between areas of src/ points down the layers that src/CMakeLists.txt links:
# src/<area>/ may include another area's header only when the library of <area>
# (shoplake_<area>; cli is the `shoplake` executable) links that area's library, directly or
# through others. The link graph itself must have no cycle. docs/architecture.md draws the
# same layers; this check is what keeps the picture true.
#
#   bash tests/check/include_direction.sh [SOURCE_DIR]
set -euo pipefail

source_dir=${1:-${SHOPLAKE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}}
cmake_file="$source_dir/src/CMakeLists.txt"

# "area dependency" pairs from every target_link_libraries(shoplake... ) call, however its
# arguments wrap over lines.
links=$(awk '
  /target_link_libraries\(/ { call = ""; inside = 1 }
  inside { call = call " " $0 }
  inside && /\)/ {
    inside = 0
    gsub(/[()]/, " ", call)
    n = split(call, word, /[ \t]+/)
    target = ""
    for (i = 1; i <= n; i++) {
      if (word[i] !~ /^shoplake(_[a-z]+)?$/) continue
      area = (word[i] == "shoplake") ? "cli" : substr(word[i], 10)
      if (target == "") target = area; else print target, area
    }
  }' "$cmake_file")

# Every area a library reaches, by walking the link pairs to a fixed point.
declare -A reaches
areas=$(find "$source_dir/src" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
for area in $areas; do
  if ! grep -qE "^$area " <<<"$links" && ! grep -qE " $area\$" <<<"$links"; then
    echo "include_direction: src/$area/ has no library in src/CMakeLists.txt" >&2
    exit 1
  fi
  seen=" "
  frontier=$area
  while [[ -n $frontier ]]; do
    next=""
    for a in $frontier; do
      for b in $(awk -v a="$a" '$1 == a { print $2 }' <<<"$links"); do
        [[ $seen == *" $b "* ]] && continue
        seen+="$b "
        next+=" $b"
      done
    done
    frontier=$next
  done
  if [[ $seen == *" $area "* ]]; then
    echo "include_direction: src/CMakeLists.txt links shoplake_$area back to itself (a cycle)" >&2
    exit 1
  fi
  reaches[$area]=$seen
done

# Every include of another area's header must point at an area the library reaches.
failures=0
while IFS=: read -r file line text; do
  included=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$text")
  area=$(sed -E "s#^$source_dir/src/([a-z_]+)/.*#\\1#" <<<"$file")
  [[ $included == "$area" || -z ${reaches[$included]+x} ]] && continue
  if [[ ${reaches[$area]} != *" $included "* ]]; then
    echo "${file#"$source_dir"/}:$line: src/$area/ includes $included/, a layer above it" \
      "(shoplake_$area does not link shoplake_$included); move the code down or depend the" \
      "other way" >&2
    failures=$((failures + 1))
  fi
done < <(grep -rnE '^#include "[a-z_]+/' "$source_dir/src" --include='*.h' --include='*.cpp')

if ((failures > 0)); then
  echo "include_direction: $failures include(s) point up" >&2
  exit 1
fi
count=$(grep -rcE '^#include "[a-z_]+/' "$source_dir/src" --include='*.h' --include='*.cpp' |
  awk -F: '{ s += $2 } END { print s }')
echo "include_direction: $count includes over $(wc -w <<<"$areas") areas point down the layers"
