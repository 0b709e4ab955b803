// Local formats and honest prices in a real browser: a fan in France reads French money on the
// product page, in the cart and through checkout to the order, with the cart in the product
// page's VAT-inclusive convention; a shop turns on price rounding for yen in its console and a
// fan in Japan sees a round price and is charged exactly that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, ACCOUNTS } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const TEE = '/products/kumo-craft-olympic-heritage-laurel-tee';
const MUG = '/products/hanok-threads-pyeongchang-2018-snowflake-mug';

// Money as readers write it, by the browser's own CLDR data (an independent check).
const inLocale = (locale, m) => {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).resolvedOptions().maximumFractionDigits;
  return new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency }).format(m.minor / 10 ** digits);
};

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function api(path, init) {
  const r = await fetch(`${podium.base}${path}`, init);
  return { status: r.status, body: await r.json() };
}

async function quote(country, sku, quantity) {
  const { status, body } = await api('/api/v1/quotes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ country, lines: [{ sku, quantity }] }),
  });
  assert.equal(status, 200);
  return body;
}

const text = async (page, selector) => (await page.textContent(selector)).trim();

async function checkout(page, name, country = 'FR') {
  await page.click('[data-testid=go-checkout]');
  await page.fill('#email', 'fan@example.com');
  await page.fill('#name', name);
  if (country === 'JP') {
    await page.fill('#line1', '丸の内1-1');
    await page.fill('#city', '千代田区');
    await page.fill('#postal_code', '100-0005');
    await page.selectOption('#region', '東京都');
    await page.fill('#phone', '03-1234-5678');
  } else {
    await page.fill('#line1', '1 rue de la Paix');
    await page.fill('#city', 'Paris');
    await page.fill('#postal_code', '75002');
    await page.fill('#phone', '+33 1 42 68 53 00');
  }
  await page.click('[data-testid=address-form] button[type=submit]');
  await page.waitForSelector('[data-testid=shipping-step]');
  await page.click('[data-testid=shipping-step] a.button');
  await page.fill('#card_number', '4242 4242 4242 4242');
  await page.click('[data-testid=payment-form] button[type=submit]');
  await page.waitForSelector('[data-testid=review-step]');
}

test('a fan in France reads French money from the product page to the order', async () => {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${podium.base}${TEE}?country=FR&lang=fr&variant=TEE-OH-S`);
  const price = await text(page, '[data-testid=price]');
  const { body: product } = await api(`${TEE.replace('/products/', '/api/v1/products/')}?country=FR`);
  const variant = product.variants.find((v) => v.sku === 'kumo-craft:TEE-OH-S');
  assert.equal(price, inLocale('fr-FR', variant.price), 'e.g. 34,98 €');
  assert.match(price, /^\d+,\d\d\u00a0€$/);
  await page.screenshot({ path: join(shots, 'formats-product-fr.png'), fullPage: true });

  await page.fill('.add-to-cart input[name=quantity]', '2');
  await Promise.all([page.waitForURL(/\/cart$/), page.click('[data-testid=add-to-cart]')]);
  const q = await quote('FR', 'kumo-craft:TEE-OH-S', 2);
  const c = q.consignments[0];
  // The cart keeps the product page's convention: the unit price is the one the page showed.
  const cells = await page.$$eval('[data-testid=consignment] td.num', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(cells.includes(price), `${cells} holds ${price}`);
  assert.equal(await text(page, '[data-testid=vat]'), inLocale('fr-FR', c.vat));
  assert.match(await page.textContent('[data-testid=consignment-sums]'), /Dont TVA/);
  assert.equal(await text(page, '[data-testid=consignment-total]'), inLocale('fr-FR', c.total));
  assert.equal(await text(page, '[data-testid=cart-total]'), inLocale('fr-FR', q.total));
  assert.match(await text(page, '[data-testid=tax-note]'), /TTC/);
  await page.screenshot({ path: join(shots, 'formats-cart-fr.png'), fullPage: true });

  await checkout(page, 'Camille Martin');
  assert.equal(await text(page, '[data-testid=review-total]'), inLocale('fr-FR', q.total));
  await Promise.all([page.waitForSelector('[data-testid=order-placed]'), page.click('[data-testid=place-order]')]);
  assert.equal(await text(page, '[data-testid=order-total]'), inLocale('fr-FR', q.total));
  await page.screenshot({ path: join(shots, 'formats-order-fr.png'), fullPage: true });
  await context.close();
});

test('a shop rounds its yen prices to ¥100; a fan in Japan sees a round price and pays exactly it', async () => {
  const fan = await browser.newContext({ locale: 'ja-JP' });
  const page = await fan.newPage();
  await page.goto(`${podium.base}${MUG}?country=JP&lang=ja`);
  const before = await text(page, '[data-testid=price]');
  assert.match(before, /^￥[\d,]+$/);

  const merchant = await browser.newContext({ locale: 'en-GB' });
  const shop = await merchant.newPage();
  const { email, password } = ACCOUNTS.find((a) => a.role === 'merchant');
  await shop.goto(`${podium.base}/signin`);
  await shop.fill('#email', email);
  await shop.fill('#password', password);
  await Promise.all([shop.waitForURL(/\/console/), shop.click('main button[type=submit]')]);
  await shop.goto(`${podium.base}/console/shops/hanok-threads?lang=en`);
  await Promise.all([shop.waitForURL(/\/rounding$/), shop.click('[data-testid=shop-rounding]')]);
  await shop.fill('#step-JPY', '100');
  await Promise.all([shop.waitForURL(/saved=1/), shop.click('[data-testid=rounding-form] button[type=submit]')]);
  assert.equal(await shop.inputValue('#step-JPY'), '100');
  await shop.screenshot({ path: join(shots, 'formats-rounding-console.png'), fullPage: true });
  await merchant.close();

  await page.goto(`${podium.base}${MUG}?country=JP&lang=ja`);
  const price = await text(page, '[data-testid=price]');
  assert.match(price, /^￥[\d,]+00$/, `${before} is now ${price}`);
  const shown = Number(price.replace(/[^\d]/g, ''));
  const was = Number(before.replace(/[^\d]/g, ''));
  assert.ok(shown >= was && shown - was < 100, 'rounded up to the next hundred');
  await page.screenshot({ path: join(shots, 'formats-product-ja-rounded.png'), fullPage: true });

  await Promise.all([page.waitForURL(/\/cart$/), page.click('[data-testid=add-to-cart]')]);
  const cells = await page.$$eval('[data-testid=consignment] td.num', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(cells.includes(price), `${cells} holds ${price}`);
  await checkout(page, 'Sato Yui', 'JP');
  await Promise.all([page.waitForSelector('[data-testid=order-placed]'), page.click('[data-testid=place-order]')]);
  // The order charged the item at exactly the price the fan read.
  const line = await page.$$eval('[data-testid=order-consignment] td.num', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(line.includes(price), `${line} holds ${price}`);
  const number = new URL(page.url()).pathname.split('/').pop();
  const token = new URL(page.url()).searchParams.get('token');
  const { status, body: order } = await api(`/api/v1/orders/${number}?token=${token}`);
  assert.equal(status, 200);
  assert.equal(order.consignments[0].lines[0].unit_price.minor, shown, 'the order records the rounded unit price');
  await page.screenshot({ path: join(shots, 'formats-order-ja-rounded.png'), fullPage: true });
  await fan.close();
});
