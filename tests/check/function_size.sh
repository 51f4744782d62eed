#!/usr/bin/env bash
# No function in src/ is longer than 150 lines: clang-tidy's readability-function-size, as the
# repository's .clang-tidy sets it, over every source file of src/ in the build's
# compile_commands.json. A function over the limit is named with its file and line.
#
#   bash tests/check/function_size.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: function_size.sh BUILD_DIR}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v run-clang-tidy >/dev/null; then
  echo "function_size: run-clang-tidy is missing; scripts/bootstrap installs clang-tidy" >&2
  exit 1
fi

# Only src/: tests and benches may hold long tables of cases.
output=$(run-clang-tidy -p "$build_dir" -quiet -j "$(nproc)" "^$source_dir/src/" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g') && status=0 || status=$?
long=$(grep -E '(warning|error):|note: [0-9]+ lines' <<<"$output" | grep -E '^/' || true)
if ((status != 0)) || [[ -n $long ]]; then
  echo "${long:-$output}" >&2
  echo "function_size: split each function named above into named steps (at most 150 lines" \
    "each)" >&2
  exit 1
fi
echo "function_size: every function in src/ is at most 150 lines"
