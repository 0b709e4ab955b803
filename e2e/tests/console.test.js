// A merchant adds a product in the console (first with a mistake, shown beside its field),
// uploads an image and sees it in the preview, which fans cannot open until the licensor approves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
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

// A small real PNG drawn here: a navy square with a gold band.
function png(size) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const band = y > size * 0.4 && y < size * 0.6;
      row.set(band ? [212, 160, 23] : [20, 40, 90], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a merchant adds a product with an image, previewed until the licensor approves it', async () => {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${podium.base}/signin`);
  await page.fill('#email', 'merchant@podium.example');
  await page.fill('#password', 'merchant-demo-2026');
  await Promise.all([page.waitForURL(/\/console\/merchant/), page.click('form.stack button[type=submit]')]);
  await Promise.all([page.waitForURL(/\/console\/shops\/hanok-threads$/), page.click('a[href="/console/shops/hanok-threads"]')]);
  await page.screenshot({ path: join(shots, 'console-shop.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/products\/new$/), page.click('a[href$="/products/new"]')]);

  await page.fill('#handle', 'gold-band-tote');
  await page.selectOption('#status', 'active');
  await page.selectOption('#property', 'pyeongchang-2018');
  await page.selectOption('#category', 'bags');
  await page.selectOption('#language', 'en');
  await page.fill('#hs-code', '420222');
  await page.fill('#title--en-', 'Gold band tote bag');
  await page.fill('#body--en-', 'Sturdy cotton tote with a woven gold band.');
  await page.fill('#title--ko-', '골드 밴드 토트백');
  await page.fill('#variant-sku-0', 'TOTE-GOLD');
  await page.fill('#variant-price-0', '25000.75');
  await page.fill('#stock-0-0', '9');
  await Promise.all([page.waitForLoadState('load'), page.click('.product-form > button[type=submit]')]);
  assert.match(await page.textContent('#variant-price-0-error'), /Give the price of one unit in KRW/);
  assert.equal(await page.inputValue('#title--en-'), 'Gold band tote bag', 'what was typed is kept');
  await page.screenshot({ path: join(shots, 'console-product-error.png'), fullPage: true });

  await page.fill('#variant-price-0', '25000');
  await Promise.all([page.waitForURL(/gold-band-tote\?saved=product/), page.click('.product-form > button[type=submit]')]);
  await page.setInputFiles('#image-file', { name: 'tote.png', mimeType: 'image/png', buffer: png(480) });
  await page.fill('#image-alt', 'The tote with its gold band');
  await Promise.all([page.waitForURL(/saved=image/), page.click('form[action$="/images"] button[type=submit]')]);
  assert.equal(await page.locator('.image-grid img').count(), 1);
  await page.screenshot({ path: join(shots, 'console-product-edit.png'), fullPage: true });

  // Until the licensor approves it, fans cannot see it; the shop sees a preview with its image.
  await page.goto(`${podium.base}/products/hanok-threads-gold-band-tote?lang=en&country=KR`);
  assert.match(await page.textContent('[data-testid=preview]'), /fans cannot see this product/);
  const src = await page.getAttribute('.gallery img.main', 'src');
  assert.match(src, /^\/media\//);
  const ok = await page.evaluate(async (u) => (await fetch(u)).headers.get('cache-control'), src);
  assert.match(ok, /immutable/);
  await page.screenshot({ path: join(shots, 'product-with-image.png') });
  const fan = await browser.newPage();
  const hidden = await fan.goto(`${podium.base}/products/hanok-threads-gold-band-tote?lang=en&country=KR`);
  assert.equal(hidden.status(), 404);
  await fan.close();
  // The shop's list says so too: no "Live" beside "Not approved yet", a preview instead of "View in shop".
  await page.goto(`${podium.base}/console/shops/hanok-threads?lang=en`);
  const row = page.locator('tr', { has: page.locator('code', { hasText: /^gold-band-tote$/ }) });
  const text = await row.textContent();
  assert.match(text, /Not approved yet/);
  assert.doesNotMatch(text, /\bLive\b(?! once)/);
  assert.doesNotMatch(text, /View in shop/);
  assert.match(await row.locator('[data-testid=preview-link]').textContent(), /Preview \(only you and the licensor\)/);
  await context.close();
});
