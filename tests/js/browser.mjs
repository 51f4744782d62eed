// The browser the page tests look through: Debian's chromium driven by playwright-core,
// headless, with every console error and uncaught exception collected.
import { chromium } from 'playwright-core';

// Opens `url` in a fresh headless chromium and waits until the page has drawn (its body
// carries data-rendered; with { rendered: false }, a page that draws nothing by itself,
// until it has loaded). Returns { browser, page, errors }; the caller closes the browser.
export async function openPage(url, { rendered = true } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --no-sandbox: containers and CI runners have no user namespaces for chromium's
    // sandbox. The rest keep the browser from calling home: a test must not need a network.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
           '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  // Anything the page asks of another host is a failure: the pages are self-contained.
  const origin = url.startsWith('file:') ? null : new URL(url).origin;
  await page.route('**/*', (route) => {
    const target = route.request().url();
    if (target.startsWith('file:') || target.startsWith('data:') || (origin && target.startsWith(origin))) {
      return route.continue();
    }
    errors.push(`request to another host: ${target}`);
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  if (rendered) await waitRendered(page, errors, null);
  return { browser, page, errors };
}

// Waits until the page's data-rendered stamp differs from `previous` (null: exists at all);
// a timeout becomes an entry in `errors`, so the test says what it saw anyway.
export async function waitRendered(page, errors, previous) {
  await page.waitForFunction((old) => {
    const stamp = document.body && document.body.dataset.rendered;
    return stamp !== undefined && stamp !== old;
  }, previous, { timeout: 30000 })
    .catch((error) => errors.push(`never rendered: ${error.message.split('\n')[0]}`));
}
