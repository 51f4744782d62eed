// Runs statements on the SQL page of `shoplake serve` (/sql, web/sql.js) in Debian's
// chromium and prints what the page shows for each, as JSON: the result's header and cells,
// its count line, the refusal, and every console error. Usage: node sql_page.mjs URL SQL...
import { openPage } from './browser.mjs';

const [url, ...statements] = process.argv.slice(2);
if (!url || statements.length === 0) {
  console.error('usage: node sql_page.mjs URL SQL...');
  process.exit(2);
}
const { browser, page, errors } = await openPage(url, { rendered: false });
try {
  const answers = [];
  for (const sql of statements) {
    await page.fill('#sql', sql);
    // Submitting clears the last answer at once; the next one is a count line or an error.
    await page.click('#sql-run');
    await page.waitForFunction(
      () => document.getElementById('sql-count') || document.getElementById('sql-error').textContent,
      null, { timeout: 30000 })
      .catch((error) => errors.push(`no answer to ${sql}: ${error.message.split('\n')[0]}`));
    answers.push(await page.evaluate(() => ({
      header: [...document.querySelectorAll('#sql-result th')].map((c) => c.textContent),
      cells: [...document.querySelectorAll('#sql-result tbody td')].map((c) => c.textContent),
      bold: document.querySelectorAll('#sql-result b').length,
      count: document.getElementById('sql-count')?.textContent ?? null,
      error: document.getElementById('sql-error').textContent,
    })));
  }
  console.log(JSON.stringify({ answers, errors }, null, 1));
} finally {
  await browser.close();
}
