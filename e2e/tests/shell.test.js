// The storefront shell as a visitor meets it in a real browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPodium, launchBrowser, ACCOUNTS } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');

before(async () => {
  mkdirSync(shots, { recursive: true });
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

test('the home page speaks each of the five languages', async () => {
  const expected = {
    en: 'Official merchandise, made by small businesses, delivered to your door',
    fr: 'Des produits officiels, faits par de petites entreprises, livrés chez vous',
    'zh-Hans': '官方商品，由小型企业制作，送货上门',
    ja: '小さなつくり手の公式グッズを、あなたの玄関まで',
    ko: '작은 기업이 만든 공식 상품을 문 앞까지',
  };
  const page = await browser.newPage();
  for (const [lang, heading] of Object.entries(expected)) {
    await page.goto(`${podium.base}/?lang=${lang}`);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal((await page.textContent('h1')).trim(), heading);
    await page.screenshot({ path: join(shots, `home-${lang}.png`), fullPage: true });
  }
  await page.close();
});

test('choosing Japan as the ship-to country shows prices in JPY', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${podium.base}/?lang=en`);
  assert.match(await page.textContent('[data-testid=presentment]'), /USD/);
  await page.selectOption('select[name=country]', 'JP');
  await Promise.all([page.waitForURL(/country=JP/), page.click('form.prefs button[type=submit]')]);
  const text = await page.textContent('[data-testid=presentment]');
  assert.equal(text.trim(), 'Showing prices in JPY for delivery to Japan.');
  assert.match(await page.textContent('select[name=currency] option:checked'), /JPY/);
  // The choice is remembered on the next page.
  await page.goto(`${podium.base}/`);
  assert.match(await page.textContent('[data-testid=presentment]'), /JPY/);
  await context.close();
});

for (const account of ACCOUNTS) {
  test(`the ${account.role} signs in and reaches the ${account.role} console`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${podium.base}/?lang=en`);
    await page.click('text=Sign in');
    await page.fill('#email', account.email);
    await page.fill('#password', account.password);
    await Promise.all([page.waitForURL(`**/console/${account.role}`), page.click('form.stack button[type=submit]')]);
    assert.equal(await page.getAttribute('[data-role]', 'data-role'), account.role);
    assert.match(await page.textContent('.account'), /Signed in as/);
    await page.screenshot({ path: join(shots, `console-${account.role}.png`), fullPage: true });
    await Promise.all([page.waitForURL(`${podium.base}/`), page.click('.account button')]);
    assert.match(await page.textContent('.account'), /Sign in/);
    await context.close();
  });
}

test('a form posted without its CSRF token is refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${podium.base}/signin?lang=en`);
  await page.evaluate(() => document.querySelector('form.stack input[name=csrf_token]').remove());
  await page.fill('#email', 'fan@podium.example');
  await page.fill('#password', 'fan-demo-2026');
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form.stack button[type=submit]')]);
  assert.equal(response.status(), 403);
  assert.equal((await page.textContent('h1')).trim(), 'Form expired');
  const cookies = await context.cookies();
  assert.ok(!cookies.some((c) => c.name === 'podium_session'), 'no session was created');
  await context.close();
});

test('keyboard users can skip to the content', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/?lang=en`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.textContent.trim());
  assert.equal(focused, 'Skip to main content');
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: join(shots, 'home-phone.png'), fullPage: true });
  await page.close();
});
