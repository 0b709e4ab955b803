// Accessibility with axe-core (WCAG 2 A and AA rules) over the storefront and every console a
// journey opens, at desktop and phone widths: no serious or critical violation anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startPodium, launchBrowser, signIn, ACCOUNTS, CONSOLE_PAGES } from './harness.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let podium;
let browser;

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

/// The serious and critical violations on the page now, one line each.
async function violations(page) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found.map((f) => `${page.url()} — ${f}`);
}

async function check(page, paths) {
  const all = [];
  for (const path of paths) {
    const r = await page.goto(`${podium.base}${path}`);
    assert.equal(r.status(), 200, `${path} answers 200`);
    all.push(...(await violations(page)));
  }
  return all;
}

const STOREFRONT = [
  '/?lang=en&country=KR',
  '/?lang=ko&country=KR',
  '/search?q=tee&lang=en',
  '/products/hanok-threads-kenya-ice-lions-face-off-tee?lang=en&country=KR',
  '/products/hanok-threads-kenya-ice-lions-face-off-tee?lang=fr&country=FR',
  '/properties/kenya-ice-lions?lang=en',
  '/shops/hanok-threads?lang=en',
  '/stories?lang=en',
  '/verify?lang=en',
  '/cart?lang=en',
  '/signin?lang=en',
  '/signup?lang=en',
];


for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
  test(`the storefront has no serious accessibility violation (${name})`, async () => {
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const found = await check(await context.newPage(), STOREFRONT);
    assert.deepEqual(found, []);
    await context.close();
  });
}

test('the consoles have no serious accessibility violation', async () => {
  const found = [];
  for (const [role, paths] of Object.entries(CONSOLE_PAGES)) {
    const account = ACCOUNTS.find((a) => a.role === role);
    const context = await browser.newContext({ bypassCSP: true });
    const page = await signIn(context, podium.base, account.email, account.password);
    found.push(...(await check(page, paths)));
    await context.close();
  }
  assert.deepEqual(found, []);
});
