// Cross-border pricing in a real browser: a fan in France sees the VAT-inclusive price and what
// the item costs delivered, and the breakdown matches the quote API; in the United States the
// price is net with a "plus duties" line. A merchant narrows a product's shipping to Korea in
// the console, and a fan in Kenya is then told it cannot be delivered there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const TEE = '/products/kumo-craft-olympic-heritage-laurel-tee';
// Money as a French reader writes it (the browser's own CLDR data is the independent check).
const fr = (m) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: m.currency }).format(m.minor / 100);

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function quote(country, sku) {
  const r = await fetch(`${podium.base}/api/v1/quotes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ country, lines: [{ sku, quantity: 1 }] }),
  });
  assert.equal(r.status, 200);
  return r.json();
}

test('a fan in France sees the delivered price, and it is what the quote API says', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${podium.base}${TEE}?country=FR&lang=fr&variant=TEE-OH-S`);
  const shown = (await page.textContent('[data-testid=price]')).trim();
  assert.match(await page.textContent('.buy .hint'), /TTC/);
  assert.match(await page.textContent('.delivered-total'), /^Livraison vers France : \d+,\d\d\u00a0€, droits et taxes compris$/);
  // The breakdown opens on request.
  assert.equal(await page.isVisible('.breakdown'), false);
  await page.click('.delivered summary');
  assert.equal(await page.isVisible('.breakdown'), true);
  const rows = await page.$$eval('.breakdown dd', (els) => els.map((e) => e.textContent.trim()));
  const q = await quote('FR', 'kumo-craft:TEE-OH-S');
  const c = q.consignments[0];
  // VAT and duty have a line only where they are charged.
  const charged = [c.vat, c.duty].filter((m) => m.minor !== 0);
  assert.deepEqual(rows, [c.goods, c.shipping, ...charged, c.total].map(fr));
  assert.equal(c.regime, 'low_value');
  // The display price is the net price plus the VAT one item would be charged.
  const net = c.goods.minor;
  assert.equal(shown, fr({ minor: net + Math.round(net * 0.2), currency: 'EUR' }));
  await page.screenshot({ path: join(shots, 'product-delivered-fr.png'), fullPage: true });

  // Switching the destination to the United States: net price, duties on top.
  await page.selectOption('select[name=country]', 'US');
  await page.selectOption('select[name=lang]', 'en');
  await Promise.all([page.waitForURL(/country=US/), page.click('form.prefs button[type=submit]')]);
  assert.match(await page.textContent('.delivered-total'), /^Delivered to United States: \$\d+\.\d\d — the price plus shipping and duties/);
  const us = await quote('US', 'kumo-craft:TEE-OH-S');
  assert.equal(us.consignments[0].regime, 'standard');
  assert.equal((await page.textContent('[data-testid=delivered-total]')).trim(), us.consignments[0].total.formatted);
  assert.equal((await page.textContent('[data-testid=price]')).trim(), us.consignments[0].goods.formatted, 'net in the US');
  await context.close();
});

test('a merchant limits a product to Korea; a fan in Kenya is told it cannot be delivered', async () => {
  const fan = await browser.newPage();
  const slug = 'hanok-threads-kenya-ice-lions-face-off-tee';
  await fan.goto(`${podium.base}/products/${slug}?country=KE&lang=en`);
  assert.equal(await fan.isVisible('[data-testid=delivered]'), true, 'licensed for Kenya and shipped there');

  const merchantCtx = await browser.newContext();
  const page = await merchantCtx.newPage();
  await page.goto(`${podium.base}/signin`);
  await page.fill('#email', 'merchant@podium.example');
  await page.fill('#password', 'merchant-demo-2026');
  await Promise.all([page.waitForURL(/\/console\//), page.click('form.stack button[type=submit]')]);
  await page.goto(`${podium.base}/console/shops/hanok-threads?lang=en`);
  await Promise.all([page.waitForURL(/\/shipping/), page.click('a[href="/console/shops/hanok-threads/shipping"]')]);
  // A new profile: Korea only.
  const form = page.locator('section[aria-labelledby=new-profile] form');
  await form.locator('input[name=name]').fill('Korea only');
  await form.locator('input[name="zone.0.name"]').fill('Korea');
  await form.locator('input[name="zone.0.countries"]').fill('KR');
  await form.locator('input[name="zone.0.flat"]').fill('3500');
  await form.locator('input[name="zone.0.per_item"]').fill('500');
  await form.locator('input[name="zone.0.days_min"]').fill('1');
  await form.locator('input[name="zone.0.days_max"]').fill('2');
  await Promise.all([page.waitForURL(/saved=profile/), form.locator('button[type=submit]').click()]);
  assert.match(await page.textContent('p.notice'), /Shipping profile saved/);
  // Assign it to the Kenya Ice Lions tee.
  const row = page.locator('tr', { hasText: 'Kenya Ice Lions Face-off T-shirt' });
  await row.locator('select').selectOption({ label: 'Korea only' });
  await Promise.all([page.waitForURL(/saved=assigned/), page.click('section[aria-labelledby=assign-title] button[type=submit]')]);
  await page.screenshot({ path: join(shots, 'console-shipping.png'), fullPage: true });

  // Other nodes learn through the outbox within a second or so; this one follows it too.
  let reason = '';
  for (let i = 0; i < 50 && !reason; i++) {
    await fan.goto(`${podium.base}/products/${slug}?country=KE&lang=en`);
    reason = (await fan.isVisible('[data-testid=not-sellable]')) ? (await fan.textContent('[data-testid=not-sellable]')).trim() : '';
    if (!reason) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(reason, 'Not available for delivery to Kenya.');
  await fan.goto(`${podium.base}/products/${slug}?country=KR&lang=en`);
  await fan.click('.delivered summary');
  const shipping = await fan.$$eval('.breakdown dd', (els) => els[1].textContent.trim());
  assert.equal(shipping, '₩3,500', 'the new zone’s flat rate');
  await merchantCtx.close();
});
