#!/usr/bin/env bash
# Every file the docs name exists: the docs (README.md, docs/**/*.md) point readers at source
# files, tests and data by path, and a path that no longer exists (the tree moved) sends them
# nowhere. Checked, in each doc:
#   - paths from the top of the tree: src/..., tests/..., bench/..., web/..., infra/...,
#     pipeline/..., scripts/..., docs/... (globs `*`, braces `{h,cpp}` and placeholders
#     `<name>` may stand in a path: it must match something);
#   - headers and sources named from src/, as the code's comments name them
#     (`lake/local_cache.h` is src/lake/local_cache.h);
#   - Markdown links to files (`[text](lake.md#anchor)`), relative to the doc;
#   - test names as ctest lists them: `query.EngineTest.X` (a TEST of suite EngineTest named
#     X in tests/unit/query/; `query.SqlHead.*` any test of the suite, `db.Duck*` of a suite
#     so named), `e2e.name` (tests/e2e/name.sh), `check.name` (tests/check/name.sh).
# Folders under build/ (artifacts) and node_modules are made by builds, not kept: not checked.
#
#   bash tests/check/docs_paths.sh [SOURCE_DIR]
set -euo pipefail
shopt -s nullglob globstar

source_dir=${1:-${SHOPLAKE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}}
cd "$source_dir"

docs=(README.md docs/**/*.md)
areas=$(find -H src -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | paste -sd'|')

# Prints `pattern` with its first `{a,b}` expanded, each alternative on its own line, recursively.
expand_braces() {
  if [[ $1 =~ ^([^{]*)\{([^{}]*)\}(.*)$ ]]; then
    local before=${BASH_REMATCH[1]} after=${BASH_REMATCH[3]} alternative
    local -a alternatives
    IFS=, read -ra alternatives <<<"${BASH_REMATCH[2]}"
    for alternative in "${alternatives[@]}"; do expand_braces "$before$alternative$after"; done
  else
    echo "$1"
  fi
}

# True when `path` (relative to the folder `base`) names something that exists, reading a
# `*` as a glob, `<...>` as any name and `{a,b}` as both a and b (each must exist).
exists() {
  local base=$1 pattern
  pattern=$(sed -E 's/<[^>]*>/*/g' <<<"$2")
  local -a found
  while read -r pattern; do
    # Unquoted on purpose: the glob expands (nullglob: to nothing when nothing matches).
    # shellcheck disable=SC2206
    found=($base/$pattern)
    ((${#found[@]} > 0)) && [[ -e ${found[0]} ]] || return 1
  done < <(expand_braces "$pattern")
}

# True when tests/unit/`area`/ defines test `name` of `suite`, as TEST/TEST_F/TEST_P(suite,
# name), however clang-format wrapped it; a `*` in either matches any characters, and no
# `name` any test. A parameterized test's instance and parameter
# (`Stores/StoreContract.Lists/Local`) are not part of the source.
defines_test() {
  local area=$1 suite=${2#*/} name=${3:-*}
  name=${name%%/*}
  suite=${suite//\*/[A-Za-z0-9_]*}
  name=${name//\*/[A-Za-z0-9_]*}
  local -a sources=(tests/unit/"$area"/*.cpp)
  ((${#sources[@]} > 0)) || return 1
  cat "${sources[@]}" | tr '\n' ' ' |
    grep -qE "TEST(_F|_P)?\(\s*$suite,\s*$name\s*\)"
}

# Files a project has when its user writes them, which the demo project (pipeline/) does not:
# its own views and its own dashboard (the demo uses those shipped with shoplake).
project_files='^pipeline/(dashboard\.yaml|views/(<[a-z]+>|[a-z0-9_]+)\.sql)$'

failures=0
checked=0
report() {
  echo "$1:$2: $3 names nothing in the tree; give its new path or name, or drop it" >&2
  failures=$((failures + 1))
}

for doc in "${docs[@]}"; do
  folder=$(dirname "$doc")
  # Paths from the top of the tree, and area-relative source files.
  while IFS=: read -r line path; do
    while [[ $path == *[.,\;:\)] ]]; do path=${path%?}; done  # a sentence's punctuation
    [[ $path == build/* || $path == */node_modules* || $path =~ $project_files ]] && continue
    # `lake/store.h` is named from src/, as the code's comments name headers.
    if ! exists . "$path" && ! { [[ $path =~ ^($areas)/.*\.(h|cpp)$ ]] && exists src "$path"; }; then
      report "$doc" "$line" "$path"
    fi
    checked=$((checked + 1))
  done < <(grep -onE "(^|[^A-Za-z0-9_./<>-])((src|tests|bench|web|infra|pipeline|scripts|docs)/[A-Za-z0-9_./*<>{},-]+|($areas)/[A-Za-z0-9_/]+\.(h|cpp))" "$doc" |
    sed -E 's/^([0-9]+):[^a-z]*/\1:/')
  # Markdown links to files in the tree.
  while IFS=: read -r line target; do
    target=${target%%#*}
    [[ -z $target || $target =~ ^[a-z]+: ]] && continue  # an anchor here, or a URL
    if ! exists "$folder" "$target"; then report "$doc" "$line" "$target (from $folder/)"; fi
    checked=$((checked + 1))
  done < <(grep -onE '\]\([^) ]+\)' "$doc" | sed -E 's/^([0-9]+):\]\(/\1:/; s/\)$//')
  # Test names.
  while IFS=: read -r line test; do
    IFS=. read -r area suite name <<<"$test"
    case $area in
      e2e | check)
        [[ -f tests/$area/$suite.sh ]] || report "$doc" "$line" "test $test (tests/$area/$suite.sh)"
        ;;
      *)
        defines_test "$area" "$suite" "$name" || report "$doc" "$line" "test $test"
        ;;
    esac
    checked=$((checked + 1))
  done < <(grep -onE '\b((e2e|check)\.[a-z_]+|[a-z]+\.[A-Z][A-Za-z0-9_/]*(\*|\.([A-Za-z0-9_/]+|\*)))' "$doc")
done

if ((failures > 0)); then
  echo "docs_paths: $failures path(s) in the docs name nothing in the tree" >&2
  exit 1
fi
echo "docs_paths: $checked paths in ${#docs[@]} docs all exist"
