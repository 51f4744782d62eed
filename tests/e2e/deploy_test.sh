#!/usr/bin/env bash
# `shoplake deploy --render DIR`: the AWS bundle, judged by tools that are not shoplake. The
# rendered state machine (its variables given well-formed values, as the template's
# DefinitionSubstitutions would) passes `asl-validator`; the template parses with npm `yaml`
# and every Ref, Fn::GetAtt and Fn::Sub in it, and every variable of the state machine, names
# something that exists (tests/js/check_template.mjs, which refuses a template with one Ref
# to a missing name, at its path). Rendering twice gives byte-identical bundles; a non-empty
# folder is refused without --force.
source "$(dirname "$0")/lib.sh"
js="$SHOPLAKE_SOURCE/tests/js"
validator="$js/node_modules/.bin/asl-validator"
[[ -x "$validator" ]] || fail "asl-validator is not installed: run scripts/bootstrap"
[[ -d "$js/node_modules/yaml" ]] || fail "npm yaml is not installed: run scripts/bootstrap"

# Scripts written here import npm packages from tests/js.
ln -s "$js/node_modules" node_modules

# The demo's project: its mappings, views and dashboard, as a user's project would be.
mkdir project && cp -r "$SHOPLAKE_SOURCE/pipeline" project/ && cp "$SHOPLAKE_SOURCE/shoplake.yaml" project/
cd project

run_status code "$SHOPLAKE" deploy --render ../bundle
assert_eq "$code" 0 "deploy --render: $OUT $ERR"
assert_contains "$OUT" "rendered" "what deploy says"
assert_not_contains "$ERR" "Athena would refuse" "the pipeline's own views are SQL Athena takes"
for f in template.yaml statemachine/pipeline.asl.json README.md views/top10_customers.sql \
  function/shoplake.yaml function/pipeline/mappings/orders.yaml; do
  [[ -s "../bundle/$f" ]] || fail "the bundle has no $f: $(cd ../bundle && find . -type f | sort)"
done
# The demo's views ship with shoplake: the bundle holds them as its sales model renders them,
# which `views copy` writes out.
run_status code "$SHOPLAKE" views copy top10_customers --dir ../shipped
assert_eq "$code" 0 "views copy: $ERR"
cmp ../bundle/views/top10_customers.sql ../shipped/top10_customers.sql ||
  fail "views/top10_customers.sql is not the shipped view rendered for the project"
# The report function's page assets ship in the code folder, where SHOPLAKE_WEB_DIR points.
for f in dashboard.js dashboard.css node_modules/vega/build/vega.min.js \
  node_modules/vega-lite/build/vega-lite.min.js node_modules/vega-embed/build/vega-embed.min.js; do
  cmp "../bundle/function/web/$f" "$SHOPLAKE_SOURCE/web/$f" || fail "the bundle's web/$f is not web/'s"
done
grep -q '^        SHOPLAKE_WEB_DIR: /var/task/web$' ../bundle/template.yaml ||
  fail "the functions' SHOPLAKE_WEB_DIR is not the code folder's web/: $(grep -n SHOPLAKE_ ../bundle/template.yaml)"

# The template: every reference resolves (and the checker can say no).
run_status code node "$js/check_template.mjs" ../bundle/template.yaml
assert_eq "$code" 0 "the template's references: $OUT $ERR"
assert_contains "$OUT" "ok: " "the checker's verdict"
sed '0,/Ref: FailureTopic$/s//Ref: FailureTopick/' ../bundle/template.yaml >../broken.yaml
cmp -s ../broken.yaml ../bundle/template.yaml && fail "the broken copy is not broken"
cp -r ../bundle/statemachine ../statemachine  # the broken copy's DefinitionUri resolves too
run_status code node "$js/check_template.mjs" ../broken.yaml
assert_eq "$code" 1 "the checker on a Ref to a missing name: $OUT"
assert_eq "$OUT" \
  "../broken.yaml: Resources.PipelineStateMachine.Properties.DefinitionSubstitutions.FailureTopicArn.Ref: names no resource, parameter or pseudo-parameter: \"FailureTopick\"" \
  "the broken Ref, at its path, and nothing else"

# What the template holds, read by npm yaml: the generated parts, from the project's files.
cat >../inspect.mjs <<'JS'
import fs from 'node:fs';
import YAML from 'yaml';
const t = YAML.parse(fs.readFileSync(process.argv[2], 'utf8'));
const r = t.Resources;
const out = {
  transform: t.Transform,
  substitutions: r.PipelineStateMachine.Properties.DefinitionSubstitutions,
  tables: Object.keys(r).filter((k) => r[k].Type === 'AWS::Glue::Table').sort(),
  orderLinesKeys: r.GlueTableShopOrderLines.Properties.TableInput.PartitionKeys,
  orderLinesLocation: r.GlueTableShopOrderLines.Properties.TableInput.StorageDescriptor.Location,
  orderLinesColumns: r.GlueTableShopOrderLines.Properties.TableInput.StorageDescriptor.Columns.length,
  queries: Object.keys(r).filter((k) => r[k].Type === 'AWS::Athena::NamedQuery').length,
  salesQuery: r.NamedQuerySales.Properties.QueryString,
  alarms: Object.keys(r).filter((k) => r[k].Type === 'AWS::CloudWatch::Alarm').sort(),
  runtime: t.Globals.Function.Runtime,
  handlers: Object.keys(r).filter((k) => r[k].Type === 'AWS::Serverless::Function')
    .map((k) => r[k].Properties.Handler).sort(),
};
console.log(JSON.stringify(out));
JS
facts="$(node ../inspect.mjs ../bundle/template.yaml)"
jqf() { jq -c "$1" <<<"$facts"; }
assert_eq "$(jqf .transform)" '"AWS::Serverless-2016-10-31"' "the SAM transform"
assert_eq "$(jqf .substitutions)" \
  '{"CrawlFunctionArn":{"Fn::GetAtt":["CrawlFunction","Arn"]},"FailureTopicArn":{"Ref":"FailureTopic"},"IngestFunctionArn":{"Fn::GetAtt":["IngestFunction","Arn"]},"RawBucketName":{"Ref":"RawBucket"},"ReportFunctionArn":{"Fn::GetAtt":["ReportFunction","Arn"]},"TransformFunctionArn":{"Fn::GetAtt":["TransformFunction","Arn"]},"ViewsFunctionArn":{"Fn::GetAtt":["ViewsFunction","Arn"]}}' \
  "DefinitionSubstitutions"
assert_eq "$(jqf .tables)" '["GlueTableShopCustomers","GlueTableShopOrderLines","GlueTableShopProducts"]' \
  "a Glue table per mapping"
assert_eq "$(jqf .orderLinesKeys)" '[{"Comment":"the year of order_ts","Name":"year","Type":"int"},{"Comment":"the month of order_ts","Name":"month","Type":"int"}]' \
  "order_lines' partition keys (pipeline/mappings/orders.yaml)"
assert_eq "$(jqf .orderLinesLocation)" '{"Fn::Sub":"s3://${ProcessedBucket}/${LakePrefix}/processed/shop/order_lines/"}' \
  "order_lines' location in the lake"
mapping_columns="$(node --input-type=module -e "
import fs from 'node:fs'; import YAML from 'yaml';
console.log(YAML.parse(fs.readFileSync(process.argv[1], 'utf8')).columns.length);" pipeline/mappings/orders.yaml)"
assert_eq "$(jqf .orderLinesColumns)" "$mapping_columns" "order_lines' columns: one per mapping column"
assert_eq "$(jqf .queries)" 9 "a named query per view: shop.sales and the eight shipped ones"
assert_contains "$(jqf .salesQuery)" "CREATE OR REPLACE VIEW shop.sales AS" "the sales view's SQL"
assert_eq "$(jqf .alarms)" \
  '["CrawlFunctionErrorsAlarm","IngestFunctionErrorsAlarm","PipelineFailedAlarm","PipelineTimedOutAlarm","ReportFunctionErrorsAlarm","TransformFunctionErrorsAlarm","ViewsFunctionErrorsAlarm"]' \
  "the alarms"
assert_eq "$(jqf .runtime)" '"provided.al2023"' "the functions' runtime"
assert_eq "$(jqf .handlers)" '["crawl","ingest","report","transform","views"]' "a function per task"

# The state machine: valid for asl-validator once its variables have AWS-shaped values.
definition=../bundle/statemachine/pipeline.asl.json
variables="$(grep -o '\${[A-Za-z0-9_]*}' "$definition" | sort -u | tr -d '${}' | tr '\n' ' ')"
assert_eq "$variables" \
  "CrawlFunctionArn FailureTopicArn IngestFunctionArn RawBucketName ReportFunctionArn TransformFunctionArn ViewsFunctionArn " \
  "the rendered definition's variables"
sed -E -e 's/\$\{([A-Za-z]+)FunctionArn\}/arn:aws:lambda:us-east-1:123456789012:function:shoplake-\1/g' \
  -e 's/\$\{FailureTopicArn\}/arn:aws:sns:us-east-1:123456789012:shoplake-failures/g' \
  -e 's/\$\{RawBucketName\}/shoplake-raw-123456789012/g' "$definition" >../aws.asl.json
[[ "$(grep -c '\${' ../aws.asl.json)" == 0 ]] || fail "a variable was left: $(grep '\${' ../aws.asl.json)"
run_status code "$validator" --json-path ../aws.asl.json
assert_eq "$code" 0 "asl-validator on the rendered pipeline: $OUT $ERR"
assert_eq "$(jq -c '[.States.Ingest.Type, .States.Ingest.ItemProcessor.ProcessorConfig.Mode, .States.Ingest.ItemReader.Resource]' ../aws.asl.json)" \
  '["Map","DISTRIBUTED","arn:aws:states:::s3:listObjectsV2"]' "the ingest as a Distributed Map"
assert_eq "$(jq -c '.States.NotifyFailure | [.Resource, .Parameters.TopicArn, .Parameters.Message["error.$"]]' ../aws.asl.json)" \
  '["arn:aws:states:::sns:publish","arn:aws:sns:us-east-1:123456789012:shoplake-failures","$.failure.Error"]' \
  "the failure notice on SNS"
# The rest is the source definition: same states, same transitions.
assert_eq "$(jq -c '.States | keys' ../aws.asl.json)" "$(jq -c '.States | keys' pipeline/pipeline.asl.json)" \
  "the states"
assert_eq "$(jq -c '[.States[] | .Next // "end"]' ../aws.asl.json)" \
  "$(jq -c '[.States[] | .Next // "end"]' pipeline/pipeline.asl.json)" "the transitions"

# Deterministic: a second render is byte-identical.
run_status code "$SHOPLAKE" deploy --render ../again
assert_eq "$code" 0 "the second render: $ERR"
assert_eq "$(tree_digest ../again)" "$(tree_digest ../bundle)" "two renders of the same project"

# A non-empty folder is refused (exit 2, nothing written), unless --force.
mkdir ../occupied && echo keep >../occupied/notes.txt
run_status code "$SHOPLAKE" deploy --render ../occupied
assert_eq "$code" 2 "rendering into a non-empty folder"
assert_contains "$ERR" "the folder is not empty" "the refusal"
assert_contains "$ERR" "--force" "the refusal's hint"
[[ ! -e ../occupied/template.yaml ]] || fail "a refused render wrote files"
run_status code "$SHOPLAKE" deploy --render ../occupied --force
assert_eq "$code" 0 "--force: $ERR"
cmp ../occupied/template.yaml ../bundle/template.yaml || fail "--force wrote another template"
assert_eq "$(cat ../occupied/notes.txt)" "keep" "--force leaves other files alone"

# A template the project's variables do not fit: an error naming the file and the fix.
sed 's/Handler: views$/Handler: report2/' "$SHOPLAKE_SOURCE/infra/aws/template.yaml" >../mismatch.yaml
run_status code "$SHOPLAKE" deploy --render ../mismatch --template ../mismatch.yaml
assert_eq "$code" 2 "a function with the wrong Handler"
assert_contains "$ERR" "mismatch.yaml" "the template named"
assert_contains "$ERR" "ViewsFunction has Handler 'report2' but \${ViewsFunctionArn} is bound to shoplake:views" \
  "what is wrong"
# A view in DuckDB's own spellings renders, with a warning at each line Athena would refuse
# (a comment naming one is no use of it).
cp -r ../project ../duckdb_view && cd ../duckdb_view
cat >pipeline/views/latest_names.sql <<'SQL'
-- arg_max( in a comment is not a call
CREATE OR REPLACE VIEW shop.latest_names AS
SELECT customer_id,
  arg_max(customer_name, order_ts) AS customer_name,
  count(*)::INTEGER AS lines
FROM shop.sales
GROUP BY customer_id
SQL
run_status code "$SHOPLAKE" deploy --render ../duckdb_bundle
assert_eq "$code" 0 "rendering a view in DuckDB's spellings: $ERR"
assert_contains "$ERR" "pipeline/views/latest_names.sql:4: 'arg_max(' is DuckDB's; Athena would refuse this view's named query: write max_by(" \
  "the warning for arg_max"
assert_contains "$ERR" "pipeline/views/latest_names.sql:5: '::' is DuckDB's" "the warning for ::"
assert_not_contains "$ERR" "latest_names.sql:1:" "a comment is not warned of"
[[ -s ../duckdb_bundle/views/latest_names.sql ]] || fail "the view is not in the bundle"
echo "deploy e2e passed"
