// Looks at a shoplake dashboard in a real browser (Debian's chromium driven by
// playwright-core) and prints what it saw as one JSON object, for the e2e tests to assert
// on: every panel with its chart marks (SVG elements Vega drew), KPI values and table rows,
// the panels and tiles the page says it leaves out (and why), the page's header, and every
// console error or uncaught exception. With --filter it then
// sets the served page's filters, applies them and reports the panels again.
// Usage: node dashboard_browser.mjs URL SCREENSHOT.png [--filter name=value ...]
import { openPage, waitRendered } from './browser.mjs';

const [url, screenshot, ...rest] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node dashboard_browser.mjs URL SCREENSHOT.png [--filter name=value ...]');
  process.exit(2);
}
const filters = [];
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] !== '--filter' || !rest[i + 1]?.includes('=')) {
    console.error(`unexpected argument: ${rest[i]}`);
    process.exit(2);
  }
  filters.push(rest[i + 1].split(/=(.*)/s).slice(0, 2));
}

const { browser, page, errors } = await openPage(url);
try {
  const look = () => page.evaluate(() => {
    const panels = {};
    for (const section of document.querySelectorAll('section.panel[data-panel]')) {
      const svg = section.querySelector('svg');
      panels[section.dataset.panel] = {
        type: section.dataset.type,
        rows: Number(section.dataset.rows),
        svg: svg !== null,
        bars: section.querySelectorAll('g.mark-rect.role-mark path').length,
        points: section.querySelectorAll('g.mark-symbol.role-mark path').length,
        lines: section.querySelectorAll('g.mark-line.role-mark path').length,
        tiles: Object.fromEntries([...section.querySelectorAll('div.tile')]
          .map((t) => [t.dataset.field, t.querySelector('.value').textContent])),
        table_rows: section.querySelectorAll('tbody tr').length,
        errors: [...section.querySelectorAll('p.error')].map((p) => p.textContent),
      };
    }
    const text = (id) => document.getElementById(id)?.textContent ?? null;
    return {
      title: document.getElementById('title').textContent,
      date_range: text('meta-range'),
      snapshots: text('meta-snapshots'),
      rendered_at: text('meta-rendered'),
      filters_shown: !document.getElementById('filters').hidden,
      panels,
      // What the page says the data cannot show: panel or tile id -> its note.
      skipped: Object.fromEntries([...document.querySelectorAll('#skipped li[data-skipped]')]
        .map((li) => [li.dataset.skipped, li.textContent])),
    };
  });

  const result = { before: await look() };
  await page.screenshot({ path: screenshot, fullPage: true });
  if (filters.length) {
    const stamp = await page.getAttribute('body', 'data-rendered');
    for (const [name, value] of filters) {
      const field = page.locator(`#filter-${name}`);
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') {
        await field.selectOption(value);
      } else {
        await field.fill(value);
      }
    }
    await page.click('#filter-apply');
    await waitRendered(page, errors, stamp);
    result.after = await look();
    result.location = page.url();
    await page.screenshot({ path: screenshot.replace(/\.png$/, '-filtered.png'), fullPage: true });
  }
  result.errors = errors;
  console.log(JSON.stringify(result, null, 1));
} finally {
  await browser.close();
}
