// Looks at a workflow execution's page of `shoplake serve` in Debian's chromium and prints
// what its state machine graph shows, as JSON: each state's colour (the fill of its box,
// matched to its label; both layers draw the states in the same order) and every console
// error. Usage: node execution_graph.mjs URL SCREENSHOT.png
import { openPage } from './browser.mjs';

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node execution_graph.mjs URL SCREENSHOT.png');
  process.exit(2);
}
const { browser, page, errors } = await openPage(url);
try {
  const states = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('#graph g.mark-symbol.role-mark path')];
    const names = [...document.querySelectorAll('#graph g.mark-text.role-mark text')];
    return Object.fromEntries(names.map((n, i) => [n.textContent, boxes[i]?.getAttribute('fill')]));
  });
  const arrows = await page.locator('#graph g.mark-rule.role-mark line').count();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ states, arrows, errors }, null, 1));
} finally {
  await browser.close();
}
