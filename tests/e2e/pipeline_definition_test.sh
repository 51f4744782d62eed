#!/usr/bin/env bash
# pipeline/pipeline.asl.json as a definition: valid for shoplake with the default bindings
# (no workflow: section needed), and, with its ${...FunctionArn} variables replaced by
# well-formed Lambda ARNs as the SAM template's DefinitionSubstitutions would, valid for the
# independent judge `asl-validator` (npm, tests/js). An unbound variable, and a malformed
# workflow.bindings in shoplake.yaml, are errors naming where they are.
source "$(dirname "$0")/lib.sh"
validator="$SHOPLAKE_SOURCE/tests/js/node_modules/.bin/asl-validator"
[[ -x "$validator" ]] || fail "asl-validator is not installed: run scripts/bootstrap"
pipeline="$SHOPLAKE_SOURCE/pipeline/pipeline.asl.json"

# shoplake: valid with the defaults, from a folder without any shoplake.yaml.
run_status code "$SHOPLAKE" workflow validate "$pipeline"
assert_eq "$code" 0 "shoplake workflow validate: $OUT $ERR"

# asl-validator, with every variable an ARN (and its ARN and path checks on).
variables="$(grep -o '\${[A-Za-z0-9_]*}' "$pipeline" | sort -u | tr -d '${}' | tr '\n' ' ')"
assert_eq "$variables" \
  "CrawlFunctionArn IngestFunctionArn NotifyFunctionArn ReportFunctionArn TransformFunctionArn ViewsFunctionArn " \
  "the pipeline's variables"
sed -E 's/\$\{([A-Za-z]+)FunctionArn\}/arn:aws:lambda:us-east-1:123456789012:function:shoplake-\1/g' \
  "$pipeline" >aws.asl.json
[[ "$(grep -c '\${' aws.asl.json)" == 0 ]] || fail "a variable was left: $(grep '\${' aws.asl.json)"
run_status code "$validator" --json-path aws.asl.json
assert_eq "$code" 0 "asl-validator on the pipeline: $OUT $ERR"
# The judge judges: the same file with a transition to nowhere is refused.
jq '.States.Crawl.Next = "Nowhere"' aws.asl.json >broken.asl.json
run_status code "$validator" --json-path broken.asl.json
[[ "$code" != 0 ]] || fail "asl-validator accepted a Next naming no state"

# An unbound variable: a validation error naming the state and the field (exit 2).
sed 's/\${ViewsFunctionArn}/${ViewArn}/' "$pipeline" >unbound.asl.json
run_status code "$SHOPLAKE" workflow validate unbound.asl.json
assert_eq "$code" 2 "validate with an unbound variable"
assert_eq "$OUT" \
  "state 'Views', field 'Resource': no binding for \${ViewArn}: bind it under workflow.bindings in shoplake.yaml (ViewArn: shoplake:<task>)" \
  "the unbound variable's error"
run_status code "$SHOPLAKE" workflow run unbound.asl.json
assert_eq "$code" 2 "run with an unbound variable"
assert_eq "$OUT" "" "a refused run prints nothing on stdout"
assert_contains "$ERR" "state 'Views', field 'Resource': no binding for \${ViewArn}" "run names it too"
# Bound in shoplake.yaml, it validates.
printf 'name: p\nworkflow:\n  bindings:\n    ViewArn: shoplake:views\n' >shoplake.yaml
run_status code "$SHOPLAKE" workflow validate unbound.asl.json
assert_eq "$code" 0 "validate once the project binds it: $OUT $ERR"
# A binding to a resource shoplake lacks is refused before anything runs.
printf 'name: p\nworkflow:\n  bindings:\n    ViewArn: shoplake:nope\n' >shoplake.yaml
run_status code "$SHOPLAKE" workflow validate unbound.asl.json
assert_eq "$code" 2 "validate refuses what run refuses: a binding to no handler"
assert_contains "$OUT" "state 'Views', field 'Resource': no handler for resource 'shoplake:nope'" \
  "validate names the unknown resource"
run_status code "$SHOPLAKE" workflow run unbound.asl.json
assert_eq "$code" 2 "a binding to no handler"
assert_contains "$ERR" "state 'Views', field 'Resource'" "the unknown resource's state and field"

# A malformed workflow: section is a project error at its file:line.
printf 'name: p\nworkflow:\n  bindings:\n    View Arn: shoplake:views\n' >shoplake.yaml
run_status code "$SHOPLAKE" workflow validate unbound.asl.json
assert_eq "$code" 2 "a malformed binding"
assert_contains "$ERR" "shoplake.yaml:4:5" "the binding's place"
assert_contains "$ERR" "'workflow.bindings.View Arn': a variable name is letters, digits and '_'" \
  "the binding's problem"
echo "pipeline definition e2e passed"
