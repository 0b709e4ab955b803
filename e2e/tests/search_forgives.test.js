// Search that forgives: a fan types what the search box suggests ("mascot"), a short word
// with a letter missing ("plsh"), and a near miss that finds nothing and is offered a
// "did you mean" link that leads to results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function searchFromHeader(page, text) {
  await page.fill('#q', text);
  await Promise.all([page.waitForURL(/\/search\?/), page.press('#q', 'Enter')]);
  return page.$$eval('.card .card-title', (els) => els.map((e) => e.textContent));
}

test('"mascot" and "plsh" typed into the header search box find the plush toys', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/?lang=en`);
  assert.match(await page.getAttribute('#q', 'placeholder'), /mascots/, 'the box suggests mascots');
  for (const q of ['mascot', 'plsh']) {
    const titles = await searchFromHeader(page, q);
    assert.ok(titles.length > 0, `${q}: results`);
    assert.ok(titles.every((t) => /Plush toy/.test(t)), `${q}: ${titles}`);
    assert.equal(await page.inputValue('#q'), q, 'the box keeps what was typed');
  }
  await page.close();
});

test('a French fan searching "mascottes" finds the peluches', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/?lang=fr`);
  const titles = await searchFromHeader(page, 'mascottes');
  assert.ok(titles.length > 0 && titles.every((t) => /Peluche/.test(t)), `${titles}`);
  await page.close();
});

test('a near miss that finds nothing offers a "did you mean" link to results', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/?lang=en`);
  const none = await searchFromHeader(page, 'snoflaek hoodie');
  assert.equal(none.length, 0, 'the near miss itself finds nothing');
  const suggestion = page.locator('[data-testid=did-you-mean]');
  assert.match(await suggestion.textContent(), /^Did you mean snowflake hoodie\?$/);
  await page.screenshot({ path: join(shots, 'search-did-you-mean.png'), fullPage: true });
  await Promise.all([page.waitForURL(/q=snowflake\+hoodie/), suggestion.locator('a').click()]);
  const titles = await page.$$eval('.card .card-title', (els) => els.map((e) => e.textContent));
  assert.ok(titles.length > 0, 'the suggestion finds products');
  assert.match(titles[0], /Snowflake Hoodie/);
  assert.equal(await page.locator('[data-testid=did-you-mean]').count(), 0);
  await page.close();
});
