// Buying in a real browser: a fan shipping to Korea buys from a Korean and a British shop in one
// checkout, pays in won, sees VAT and duty per parcel, and gets the order page; the merchant ships
// with a tracking number and a code on each unit; the fan opens the order and verifies a code.
// A declined card says so clearly, and nothing stays reserved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, ACCOUNTS } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const TEE = '/products/hanok-threads-kenya-ice-lions-face-off-tee';
const HOODIE = '/products/thames-pin-olympic-heritage-torch-relay-hoodie';

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

async function available(slug, sku) {
  // Stock counts now, not the node's cached answer (up to 2 s old, docs/performance.md).
  const { body } = await api(`/api/v1/products/${slug}?country=KR`, { headers: { 'cache-control': 'no-cache' } });
  return body.variants.find((v) => v.sku === sku).available;
}

async function addToCart(page, path, variant, quantity) {
  await page.goto(`${podium.base}${path}?variant=${variant}`);
  await page.fill('.add-to-cart input[name=quantity]', String(quantity));
  await page.click('[data-testid=add-to-cart]');
  await page.waitForURL(/\/cart$/);
}

/// Address, shipping, card, review: leaves the page on the review step.
async function checkoutUpTo(page, card) {
  await page.click('[data-testid=go-checkout]');
  await page.fill('#email', 'minji@example.com');
  await page.fill('#name', '김민지');
  await page.fill('#line1', '세종대로 12');
  await page.fill('#city', '서울');
  await page.fill('#postal_code', '04524');
  await page.fill('#phone', '010-1234-5678');
  // A British shop's goods make a Korean import: customs ask the personal clearance code.
  if (await page.$('#customs_code')) await page.fill('#customs_code', 'P123456789012');
  await page.click('[data-testid=address-form] button[type=submit]');
  await page.waitForSelector('[data-testid=shipping-step]');
  await page.click('[data-testid=shipping-step] a.button');
  await page.fill('#card_number', card);
  await page.click('[data-testid=payment-form] button[type=submit]');
  await page.waitForSelector('[data-testid=review-step]');
}

test('a fan in Korea buys from a Korean and a British shop, the shop ships, the fan verifies a code', async () => {
  const quote = await api('/api/v1/quotes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ country: 'KR', lines: [{ sku: 'hanok-threads:TEE-KIL-L', quantity: 1 }, { sku: 'thames-pin:HOODIE-OH-M', quantity: 3 }] }),
  });
  assert.equal(quote.status, 200);
  const fan = await browser.newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
  const page = await fan.newPage();
  await page.goto(`${podium.base}/?country=KR&lang=ko`);
  await addToCart(page, TEE, 'TEE-KIL-L', 1);
  await addToCart(page, HOODIE, 'HOODIE-OH-M', 3);
  const parcels = page.locator('[data-testid=consignment]');
  assert.equal(await parcels.count(), 2, 'one parcel per shop');
  // The cart shows each parcel's VAT and duty as the quote API gives them.
  for (const [i, c] of quote.body.consignments.entries()) {
    assert.equal((await parcels.nth(i).locator('[data-testid=vat]').textContent()).trim(), c.vat.formatted);
    // A duty of nothing is not a line of its own.
    if (c.duty.minor === 0) assert.equal(await parcels.nth(i).locator('[data-testid=duty]').count(), 0);
    else assert.equal((await parcels.nth(i).locator('[data-testid=duty]').textContent()).trim(), c.duty.formatted);
    assert.equal((await parcels.nth(i).locator('[data-testid=consignment-total]').textContent()).trim(), c.total.formatted);
  }
  assert.notEqual(quote.body.consignments[1].duty.minor, 0, 'the British parcel pays Korean duty');
  assert.equal((await page.textContent('[data-testid=cart-total]')).trim(), quote.body.total.formatted);
  await page.screenshot({ path: join(shots, 'cart-kr.png'), fullPage: true });

  await checkoutUpTo(page, '4242 4242 4242 4242');
  assert.equal((await page.textContent('[data-testid=review-total]')).trim(), quote.body.total.formatted);
  await page.screenshot({ path: join(shots, 'checkout-review-kr.png'), fullPage: true });
  await page.click('[data-testid=place-order]');
  await page.waitForSelector('[data-testid=order-placed]');
  const orderUrl = page.url();
  assert.match(orderUrl, /\/orders\/PD-[0-9A-Z]{4}-[0-9A-Z]{4}\?token=/);
  assert.equal((await page.textContent('[data-testid=order-total]')).trim(), quote.body.total.formatted);
  const orderParcels = page.locator('[data-testid=order-consignment]');
  for (const [i, c] of quote.body.consignments.entries()) {
    assert.equal((await orderParcels.nth(i).locator('[data-testid=vat]').textContent()).trim(), c.vat.formatted);
    if (c.duty.minor === 0) assert.equal(await orderParcels.nth(i).locator('[data-testid=duty]').count(), 0);
    else assert.equal((await orderParcels.nth(i).locator('[data-testid=duty]').textContent()).trim(), c.duty.formatted);
  }
  await page.screenshot({ path: join(shots, 'order-paid-kr.png'), fullPage: true });
  const number = new URL(orderUrl).pathname.split('/').pop();

  // Team Kenya's licensing desk issues codes for the tee to its maker, as labels are printed.
  const licensor = await browser.newContext({ locale: 'en-GB' });
  const lp = await licensor.newPage();
  const { email: lEmail, password: lPassword } = ACCOUNTS.find((a) => a.role === 'licensor');
  await lp.goto(`${podium.base}/signin`);
  await lp.fill('#email', lEmail);
  await lp.fill('#password', lPassword);
  await lp.click('main button[type=submit]');
  await lp.waitForURL(/\/console/);
  await lp.goto(`${podium.base}/console/licensing/team-kenya/codes`);
  await lp.selectOption('#variant', 'hanok-threads-kenya-ice-lions-face-off-tee|TEE-KIL-L');
  await lp.fill('#quantity', '5');
  await lp.check('[data-testid=issue-form] input[name=confirm]');
  await lp.click('[data-testid=issue-form] button[type=submit]');
  await lp.waitForSelector('.notice');
  await licensor.close();

  // The merchant accepts and ships with a tracking number and a code per unit.
  const merchant = await browser.newContext({ locale: 'en-GB' });
  const mp = await merchant.newPage();
  const { email, password } = ACCOUNTS.find((a) => a.role === 'merchant');
  await mp.goto(`${podium.base}/signin`);
  await mp.fill('#email', email);
  await mp.fill('#password', password);
  await mp.click('main button[type=submit]');
  await mp.waitForURL(/\/console/);
  await mp.goto(`${podium.base}/console/shops/hanok-threads`);
  await mp.click('[data-testid=shop-orders]');
  await mp.click(`text=${number}`);
  await mp.click('[data-testid=accept]');
  await mp.waitForSelector('[data-testid=ship-form]');
  const codeInputs = mp.locator('[data-testid=ship-form] input[name^="code."]');
  assert.equal(await codeInputs.count(), 1, 'one code for the one tee');
  const code = await codeInputs.first().inputValue();
  assert.match(code, /^[0-9A-Z]{13}$/, 'filled from the codes issued to the shop');
  await mp.fill('#carrier', 'CJ Logistics');
  await mp.fill('#tracking', '6896-2231-0042');
  await mp.screenshot({ path: join(shots, 'console-ship.png'), fullPage: true });
  await mp.click('[data-testid=ship]');
  await mp.waitForSelector('.notice');
  assert.match(await mp.textContent('[data-testid=consignment-status]'), /Shipped/);
  await merchant.close();

  // The fan sees tracking and verifies the code.
  await page.goto(orderUrl);
  assert.match(await page.textContent('[data-testid=tracking]'), /6896-2231-0042/);
  await page.click('[data-testid=verify-link]');
  await page.waitForSelector('[data-testid=verdict]');
  assert.equal(await page.getAttribute('[data-testid=verdict]', 'data-status'), 'genuine');
  await fan.close();
});

test('a declined card shows a clear message and nothing stays reserved', async () => {
  const before = await available('thames-pin-olympic-heritage-torch-relay-hoodie', 'thames-pin:HOODIE-OH-S');
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${podium.base}/?country=KR&lang=en`);
  await addToCart(page, HOODIE, 'HOODIE-OH-S', 2);
  await checkoutUpTo(page, '4000 0000 0000 0002');
  await page.click('[data-testid=place-order]');
  await page.waitForSelector('[data-testid=checkout-error]');
  assert.match(await page.textContent('[data-testid=checkout-error]'), /Your card was declined\. Nothing was charged and nothing is held for you/);
  assert.ok(await page.isVisible('#card_number'), 'back on the payment step to try another card');
  await page.screenshot({ path: join(shots, 'checkout-declined.png'), fullPage: true });
  assert.equal(await available('thames-pin-olympic-heritage-torch-relay-hoodie', 'thames-pin:HOODIE-OH-S'), before, 'nothing stays reserved');
  await context.close();
});

test('a card that needs the bank to confirm waits, then pays', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(`${podium.base}/?country=KR&lang=ja`);
  await addToCart(page, TEE, 'TEE-KIL-XL', 1);
  await checkoutUpTo(page, '4000 0025 0000 3155');
  await page.click('[data-testid=place-order]');
  await page.waitForSelector('[data-testid=sandbox-confirm]');
  await page.screenshot({ path: join(shots, 'sandbox-confirm-ja.png'), fullPage: true });
  await page.click('[data-testid=approve]');
  await page.waitForSelector('[data-testid=order-placed]');
  assert.match(await page.textContent('[data-testid=order-status]'), /支払い済み/);
  await context.close();
});
