// The reference side of bench/jsonata: jsonata 2.0.6 on node over the conformance suite.
// `node bench.js select SUITE_DIR OUT.jsonl` writes the cases both sides run (expressions
// whose result the reference computes without error, and that do not depend on the clock or
// on chance); `node bench.js run OUT.jsonl ITERATIONS` times them: parse once, evaluate many
// times, evaluation only, total nanoseconds per case on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const jsonata = require('jsonata');

function readCases(suite) {
  const out = [];
  const groups = path.join(suite, 'groups');
  for (const group of fs.readdirSync(groups).sort()) {
    for (const file of fs.readdirSync(path.join(groups, group)).sort()) {
      if (!file.endsWith('.json')) continue;
      let doc;
      try { doc = JSON.parse(fs.readFileSync(path.join(groups, group, file), 'utf8')); } catch (e) { continue; }
      for (const c of Array.isArray(doc) ? doc : [doc]) {
        if (c.expr === undefined) {
          if (!c['expr-file']) continue;
          c.expr = fs.readFileSync(path.join(groups, group, c['expr-file']), 'utf8');
        }
        let input;
        if (c.data !== undefined) input = c.data;
        else if (typeof c.dataset === 'string') input = JSON.parse(fs.readFileSync(path.join(suite, 'datasets', c.dataset + '.json'), 'utf8'));
        out.push({ name: group + '/' + file, c, input });
      }
    }
  }
  return out;
}

async function select(suite, outFile) {
  const lines = [];
  for (const { c, input } of readCases(suite)) {
    if (c.code || c.error || c.timelimit || c.depth || c.undefinedResult) continue;
    if (/\$(now|millis|random|shuffle|uuid|eval)\b/.test(c.expr)) continue;
    try {
      const result = await jsonata(c.expr).evaluate(input, c.bindings || {});
      if (result === undefined) continue;
    } catch (e) { continue; }
    const line = { expr: c.expr, bindings: c.bindings || {} };
    if (input !== undefined) line.input = input;
    lines.push(JSON.stringify(line));
  }
  fs.writeFileSync(outFile, lines.join('\n') + '\n');
  console.error(`selected ${lines.length} cases`);
}

async function run(file, iterations) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const out = [];
  for (const line of lines) {
    const c = JSON.parse(line);
    const expression = jsonata(c.expr);
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await expression.evaluate(c.input, c.bindings);
    out.push(String(process.hrtime.bigint() - start));
  }
  process.stdout.write(out.join('\n') + '\n');
}

const [mode, a, b] = process.argv.slice(2);
(mode === 'select' ? select(a, b) : run(a, Number(b))).catch((e) => { console.error(e); process.exit(1); });
