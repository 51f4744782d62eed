// Test-only judge of a CloudFormation/SAM template, independent of shoplake's own YAML code:
// parses it with the npm `yaml` package (short-form tags !Ref, !GetAtt, !Sub, ... read as
// their long forms) and checks that every reference names something that exists:
//   {"Ref": X}                        X is a parameter, a resource or a pseudo-parameter
//   {"Fn::GetAtt": [R, A]} / "R.A"    R is a resource
//   {"Fn::Sub": S} / [S, {vars}]      each ${X} and ${R.A} in S (not ${!Literal}) is one of
//                                     those, or a variable the Sub itself defines
//   Condition: C (on a resource)      C is a condition
// and that a state machine's DefinitionSubstitutions define every ${Variable} of its
// DefinitionUri file. Prints one line per problem, naming the path in the template
// (Resources.X.Properties.Y), and exits 1; prints "ok: N references" and exits 0 otherwise.
//
//   node check_template.mjs TEMPLATE.yaml
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const PSEUDO = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);

// Short-form intrinsic tags, read as the long forms CloudFormation gives them.
const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select',
  'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Condition', 'GetAtt'];
const customTags = [
  {tag: '!Ref', resolve: (value) => ({Ref: value})},
  ...FUNCTIONS.flatMap((name) => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    const resolve = (value) => ({[key]: name === 'GetAtt' && typeof value === 'string'
      ? value.split('.') : value});
    return ['scalar', 'seq', 'map'].map((kind) => ({
      tag: `!${name}`,
      collection: kind === 'scalar' ? undefined : kind,
      resolve: (value) => resolve(value && value.toJSON ? value.toJSON() : value),
    }));
  }),
];

const file = process.argv[2];
if (!file) {
  console.error('usage: node check_template.mjs TEMPLATE.yaml');
  process.exit(2);
}
const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), {customTags});
if (doc.errors.length) {
  for (const e of doc.errors) console.log(`${file}: not valid YAML: ${e.message}`);
  process.exit(1);
}
const template = doc.toJS();
const resources = template.Resources || {};
const parameters = template.Parameters || {};
const conditions = template.Conditions || {};
const problems = [];
let references = 0;

function known(name) {
  return PSEUDO.has(name) || name in parameters || name in resources;
}

function checkSub(text, where, defined) {
  // ${!Literal} is text; ${X} a parameter, resource or pseudo-parameter; ${R.A} an attribute.
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = match[1];
    if (name.startsWith('!')) continue;
    references += 1;
    if (defined.has(name)) continue;
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const resource = name.split('.')[0];
      if (!(resource in resources)) problems.push(`${where}: \${${name}} names no resource '${resource}'`);
    } else if (!known(name)) {
      problems.push(`${where}: \${${name}} names no resource, parameter or pseudo-parameter`);
    }
  }
}

function walk(node, where) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${where}[${i}]`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    const here = where ? `${where}.${key}` : key;
    if (key === 'Ref') {
      references += 1;
      if (typeof value !== 'string' || !known(value)) {
        problems.push(`${here}: names no resource, parameter or pseudo-parameter: ${JSON.stringify(value)}`);
      }
    } else if (key === 'Fn::GetAtt') {
      references += 1;
      const parts = typeof value === 'string' ? value.split('.') : value;
      if (!Array.isArray(parts) || parts.length < 2 || !(parts[0] in resources)) {
        problems.push(`${here}: names no resource: ${JSON.stringify(value)}`);
      }
    } else if (key === 'Fn::Sub') {
      if (typeof value === 'string') {
        checkSub(value, here, new Set());
      } else if (Array.isArray(value) && typeof value[0] === 'string') {
        checkSub(value[0], here, new Set(Object.keys(value[1] || {})));
        walk(value[1], `${here}[1]`);
      } else {
        problems.push(`${here}: must be a string or [string, {variables}]`);
      }
    } else {
      walk(value, here);
    }
  }
}

walk(template, '');

for (const [name, resource] of Object.entries(resources)) {
  if (resource && resource.Condition !== undefined) {
    references += 1;
    if (!(resource.Condition in conditions)) {
      problems.push(`Resources.${name}.Condition: names no condition: ${JSON.stringify(resource.Condition)}`);
    }
  }
  // A state machine's definition file: every ${Variable} in it needs a substitution.
  const props = (resource && resource.Properties) || {};
  if (resource && resource.Type === 'AWS::Serverless::StateMachine' && typeof props.DefinitionUri === 'string') {
    const definitionFile = path.join(path.dirname(file), props.DefinitionUri);
    if (!fs.existsSync(definitionFile)) {
      problems.push(`Resources.${name}.Properties.DefinitionUri: no such file: ${props.DefinitionUri}`);
      continue;
    }
    const substitutions = props.DefinitionSubstitutions || {};
    const text = fs.readFileSync(definitionFile, 'utf8');
    for (const match of new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))) {
      references += 1;
      if (!(match in substitutions)) {
        problems.push(`Resources.${name}.Properties.DefinitionSubstitutions: no value for \${${match}} of ${props.DefinitionUri}`);
      }
    }
  }
}

for (const problem of problems) console.log(`${file}: ${problem}`);
if (problems.length) process.exit(1);
console.log(`ok: ${references} references`);
