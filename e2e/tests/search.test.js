// A fan searches in Korean, narrows by a property, opens a product, changes the variant and the
// currency and sees the price change; a misspelt English query still finds the product.
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

test('search in Korean, filter, open a product, change variant and currency', async () => {
  const context = await browser.newContext({ locale: 'ko-KR' });
  const page = await context.newPage();
  await page.goto(`${podium.base}/?lang=ko&country=KR`);
  await page.fill('#q', '눈꽃 티셔츠');
  await Promise.all([page.waitForURL(/\/search\?/), page.press('#q', 'Enter')]);
  const firstTitle = await page.textContent('.card .card-title');
  assert.match(firstTitle, /눈꽃 티셔츠/);

  await Promise.all([page.waitForURL(/property=pyeongchang-2018/), page.click('.facets a:has-text("PyeongChang 2018")')]);
  assert.equal(await page.getAttribute('.facets a[aria-current=true]', 'href').then((h) => h.includes('property=')), false);
  const total = await page.textContent('[data-testid=total]');
  assert.match(total, /상품 \d+개/);

  await Promise.all([page.waitForURL(/\/products\//), page.click('.card a')]);
  assert.match(await page.textContent('h1'), /눈꽃 티셔츠/);
  const krw = (await page.textContent('[data-testid=price]')).trim();
  assert.match(krw, /^₩/);

  // Another variant: choosing it changes the price at once, and the address keeps the choice.
  await page.check('input[name=sku] >> nth=-1');
  await page.waitForFunction(() => location.search.includes('variant='));
  const xl = (await page.textContent('[data-testid=price]')).trim();
  assert.notEqual(xl, krw, 'a larger size costs more');

  // Another currency through the header's selector.
  await page.selectOption('select[name=currency]', 'EUR');
  await Promise.all([page.waitForURL(/currency=EUR/), page.click('form.prefs button[type=submit]')]);
  const eur = (await page.textContent('[data-testid=price]')).trim();
  assert.match(eur, /^€\d+\.\d\d$/);
  assert.equal(await page.isChecked('input[name=sku] >> nth=-1'), true, 'the chosen size is kept');
  await page.screenshot({ path: join(shots, 'product-ko-eur.png'), fullPage: true });
  await context.close();
});

test('a misspelt English query still finds the product', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/search?q=snowflak%20hodie&lang=en`);
  const titles = await page.$$eval('.card .card-title', (els) => els.map((e) => e.textContent));
  assert.ok(titles.length > 0, 'results');
  assert.match(titles[0], /Snowflake Hoodie/);
  await page.close();
});
