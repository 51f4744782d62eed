#!/usr/bin/env bash
# shoplake's JSONata engine against the reference, jsonata 2.0.6 on node (npm, pinned in
# bench/jsonata/package.json), in the same run, over the conformance suite's expressions
# (../shared/conformance/jsonata): the cases whose result the reference computes, minus those
# that read the clock or chance. Each side parses once and times evaluation only, ITERATIONS
# evaluations per case; best of 3 rounds, alternating sides.
# Usage: bench/jsonata/run.sh [bench_jsonata] [ITERATIONS]. Writes bench/jsonata/results.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/jsonata"
bin="$(realpath "${1:-$root/build-bench/bench/bench_jsonata}")"
iterations="${2:-20}"
[[ -x "$bin" ]] || { echo "bench: build bench_jsonata first (make bench does): $bin" >&2; exit 2; }
suite="$root/../shared/conformance/jsonata"
[[ -d "$suite/groups" ]] || suite="$root/../../shared/conformance/jsonata"
[[ -d "$suite/groups" ]] || { echo "bench: no ../shared/conformance/jsonata" >&2; exit 2; }
(cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-bench-jsonata.XXXXXX")"
trap 'rm -rf "$work"' EXIT

node "$here/bench.js" select "$suite" "$work/cases.jsonl" 2>"$work/select.log"
cases=$(wc -l <"$work/cases.jsonl")
load_start=$(cut -d" " -f1-3 /proc/loadavg)
best_cpp="" best_node=""
for round in 1 2 3; do
  "$bin" "$work/cases.jsonl" "$iterations" >"$work/cpp.$round"
  node "$here/bench.js" run "$work/cases.jsonl" "$iterations" >"$work/node.$round"
  cpp=$(awk '{s += $1} END {printf "%.0f", s}' "$work/cpp.$round")
  ref=$(awk '{s += $1} END {printf "%.0f", s}' "$work/node.$round")
  [[ -z $best_cpp || $cpp -lt $best_cpp ]] && best_cpp=$cpp
  [[ -z $best_node || $ref -lt $best_node ]] && best_node=$ref
done
# Per case: how many are faster in C++ (round 1 of each), and the median per-case ratio.
per_case=$(paste "$work/cpp.1" "$work/node.1" | awk '{r = $2 / ($1 > 0 ? $1 : 1); print r}' | sort -g)
faster=$(awk '$1 > 1' <<<"$per_case" | wc -l)
median=$(awk '{a[NR] = $1} END {printf "%.1f", a[int((NR + 1) / 2)]}' <<<"$per_case")
ratio=$(awk -v n="$best_node" -v c="$best_cpp" 'BEGIN {printf "%.1f", n / c}')
load_end=$(cut -d" " -f1-3 /proc/loadavg)
cat >"$here/results.md" <<MD
# JSONata: shoplake vs jsonata 2.0.6 on node

\`bench/jsonata/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores (load $load_start -> $load_end),
node $(node --version), $cases conformance cases x $iterations evaluations each, evaluation only
(each expression parsed once), best of 3 rounds per side.

| engine | total evaluation time |
|---|---|
| shoplake (C++, bench_jsonata) | $(awk -v c="$best_cpp" 'BEGIN {printf "%.3f s", c / 1e9}') |
| jsonata 2.0.6 (node) | $(awk -v n="$best_node" 'BEGIN {printf "%.3f s", n / 1e9}') |

shoplake is **${ratio}x** faster in total; per case, the median ratio is ${median}x and
$faster of $cases cases are faster in C++.

Command: \`bench/jsonata/run.sh ${bin#"$root/"} $iterations\`
MD
cat "$here/results.md"
