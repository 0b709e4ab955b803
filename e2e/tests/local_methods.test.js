// Paying the way fans pay at home, in a real browser, with the sandbox provider: each market's
// own methods are offered beside the card, in the fan's language, and each is paid in its real
// shape — a QR code scanned with the wallet (Alipay, WeChat Pay), a redirect to the wallet or
// bank (Kakao Pay, iDEAL, Bancontact), a Konbini voucher paid in a shop later, a direct debit
// the bank answers later (SEPA), a prompt on the phone (M-Pesa). An expiring voucher gives its
// stock back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let expiring;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const TEE = '/products/kumo-craft-olympic-heritage-laurel-tee';
const SKU = 'kumo-craft:TEE-OH-M';

before(async () => {
  // The sandbox's bank answers debits after 3 s here (20 s by default).
  podium = await startPodium(['--sandbox-debit-delay', '3s']);
  // A marketplace whose Konbini vouchers expire after 6 s, to watch one run out.
  expiring = await startPodium(['--voucher-expiry', '6s']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
  await expiring?.stop();
});

// Where each fan lives, as the address form asks for it.
const ADDRESSES = {
  CN: { name: '王芳', line1: '朝阳区建国路88号', city: '北京', postal: '100022', region: '北京市', phone: '138 0013 8000' },
  JP: { name: '佐藤 花子', line1: '丸の内1-1', city: '千代田区', postal: '100-0005', region: '東京都', phone: '03-1234-5678' },
  KR: { name: '김민지', line1: '세종대로 12', city: '서울', postal: '04524', phone: '010-1234-5678', customs: 'P123456789012' },
  NL: { name: 'Sanne de Vries', line1: 'Damrak 1', city: 'Amsterdam', postal: '1012 LG', phone: '+31 20 123 4567' },
  BE: { name: 'Lotte Peeters', line1: 'Grote Markt 1', city: 'Brussel', postal: '1000', phone: '+32 2 123 45 67' },
  DE: { name: 'Jonas Weber', line1: 'Unter den Linden 1', city: 'Berlin', postal: '10117', phone: '+49 30 1234567' },
  KE: { name: 'Wanjiru Kamau', line1: 'Kenyatta Avenue 10', city: 'Nairobi', postal: '00100', phone: '0712 345 678' },
};

async function available(base, country) {
  // Anonymous reads of the product API may come from the node's response cache (up to 2 s
  // old, docs/performance.md): a client that needs the count now asks for a fresh answer.
  const r = await fetch(`${base}/api/v1${TEE.replace('/products/', '/products/')}?country=${country}`,
    { headers: { 'cache-control': 'no-cache' } });
  const p = await r.json();
  return p.variants.find((v) => v.sku === SKU).available;
}

// From the product page to the review step with `method` chosen; returns the page.
async function chooseMethod(context, base, { country, lang, method, fields = {}, shot }) {
  const page = await context.newPage();
  await page.goto(`${base}${TEE}?country=${country}&lang=${lang}&variant=TEE-OH-M`);
  await Promise.all([page.waitForURL(/\/cart$/), page.click('[data-testid=add-to-cart]')]);
  await page.click('[data-testid=go-checkout]');
  const a = ADDRESSES[country];
  await page.fill('#email', `fan-${method}@example.com`);
  await page.fill('#name', a.name);
  await page.fill('#line1', a.line1);
  await page.fill('#city', a.city);
  await page.fill('#postal_code', a.postal);
  if (a.region) await page.selectOption('#region', a.region);
  await page.fill('#phone', a.phone);
  if (a.customs && (await page.$('#customs_code'))) await page.fill('#customs_code', a.customs);
  await page.click('[data-testid=address-form] button[type=submit]');
  await page.waitForSelector('[data-testid=shipping-step]');
  await page.click('[data-testid=shipping-step] a.button');
  // The market's own methods come first, the card form after them.
  await page.waitForSelector('[data-testid=pay-methods]');
  await page.waitForSelector('[data-testid=payment-form]');
  page.offered = await page.$$eval('.method', (els) => els.map((e) => e.dataset.method));
  if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
  await page.click(`[data-testid=use-${method}]`);
  await page.waitForSelector('[data-testid=chosen-method]');
  if (fields.phone) await page.fill('#pay-phone', fields.phone);
  if (fields.iban) await page.fill('#pay-iban', fields.iban);
  return page;
}

async function place(page) {
  await Promise.all([page.waitForLoadState('load'), page.click('[data-testid=place-order]')]);
}

// Reloads the order page until its status reads `status` (the answer comes by webhook).
async function waitForStatus(page, status, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = (await page.textContent('[data-testid=order-status]')).trim();
    if (now === status) return;
    if (Date.now() > deadline) throw new Error(`the order stayed "${now}", not "${status}"`);
    await page.waitForTimeout(500);
    await page.reload();
  }
}

// The sandbox's stand-in for the wallet, the till or the phone, opened as a second device.
async function answerOnDevice(context, page, decision = 'approve') {
  const href = await page.getAttribute('[data-testid=pay-sandbox]', 'href');
  const device = await context.newPage();
  await device.goto(new URL(href, page.url()).toString());
  await device.click(`[data-testid=${decision}]`);
  await device.waitForSelector('[data-testid=sandbox-done]');
  return device;
}

test('a fan in China pays by scanning a QR code with Alipay, and one with WeChat Pay', async () => {
  for (const method of ['alipay', 'wechat_pay']) {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await chooseMethod(context, podium.base, { country: 'CN', lang: 'zh-Hans', method });
    assert.deepEqual(page.offered, ['alipay', 'wechat_pay'], 'China\'s wallets, offered beside the card');
    await place(page);
    await page.waitForSelector('[data-testid=pay-qr] svg');
    assert.match(await page.textContent('[data-testid=pay-instructions]'), method === 'alipay' ? /支付宝/ : /微信/);
    assert.equal((await page.textContent('[data-testid=order-status]')).trim(), '待付款');
    await page.screenshot({ path: join(shots, `local-${method}-qr.png`), fullPage: true });
    // The page looks again by itself while the wallet answers elsewhere.
    assert.ok(await page.$('meta[http-equiv=refresh]'), 'the QR page refreshes itself');
    const phone = await answerOnDevice(context, page);
    assert.match(await phone.textContent('[data-testid=sandbox-done]'), /已付款/);
    await waitForStatus(page, '已付款');
    await context.close();
  }
});

test('a fan in Japan gets a Konbini voucher and pays it in a shop later', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const before = await available(podium.base, 'JP');
  const page = await chooseMethod(context, podium.base, {
    country: 'JP', lang: 'ja', method: 'konbini', shot: 'local-konbini-methods.png',
  });
  assert.deepEqual(page.offered, ['konbini']);
  assert.match(await page.textContent('[data-testid=chosen-method]'), /コンビニ決済/);
  await page.screenshot({ path: join(shots, 'local-konbini-review.png'), fullPage: true });
  await place(page);
  const number = (await page.textContent('[data-testid=voucher-number]')).trim();
  assert.match(number, /^\d{4}-\d{4}-\d{4}$/);
  assert.match(await page.textContent('[data-testid=pay-instructions]'), /ファミリーマート/);
  assert.match(await page.textContent('[data-testid=pay-instructions]'), /\d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'by when');
  assert.equal(await available(podium.base, 'JP'), before - 1, 'the unit is held for the voucher');
  await page.screenshot({ path: join(shots, 'local-konbini-voucher.png'), fullPage: true });
  // Later, at the till.
  const till = await answerOnDevice(context, page);
  assert.match(await till.textContent('[data-testid=sandbox-done]'), /支払いました/);
  await waitForStatus(page, '支払い済み');
  assert.equal(await available(podium.base, 'JP'), before - 1, 'sold, not released');
  await context.close();
});

test('a Konbini voucher not paid in time releases its stock', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const before = await available(expiring.base, 'JP');
  const page = await chooseMethod(context, expiring.base, { country: 'JP', lang: 'ja', method: 'konbini' });
  await place(page);
  await page.waitForSelector('[data-testid=voucher-number]');
  assert.equal(await available(expiring.base, 'JP'), before - 1);
  // The sweep cancels it once the voucher has expired, and the unit is back on sale.
  await waitForStatus(page, 'キャンセル', 40_000);
  assert.match(await page.textContent('.listing-head'), /期限が切れた/);
  assert.equal(await available(expiring.base, 'JP'), before, 'the unit is back on sale');
  await page.screenshot({ path: join(shots, 'local-konbini-expired.png'), fullPage: true });
  await context.close();
});

test('fans pay by Kakao Pay, iDEAL and Bancontact through a redirect and come back paid', async () => {
  for (const [country, lang, method] of [['KR', 'ko', 'kakao_pay'], ['NL', 'en', 'ideal'], ['BE', 'fr', 'bancontact']]) {
    const context = await browser.newContext();
    const page = await chooseMethod(context, podium.base, { country, lang, method });
    await page.click('[data-testid=place-order]');
    // The wallet's or bank's page (the sandbox's), then back to the order.
    await page.waitForSelector('[data-testid=sandbox-confirm]');
    await page.screenshot({ path: join(shots, `local-${method}-redirect.png`), fullPage: true });
    await Promise.all([page.waitForSelector('[data-testid=order-placed]'), page.click('[data-testid=approve]')]);
    const paid = { ko: '결제 완료', en: 'Paid', fr: 'Payée' }[lang];
    assert.equal((await page.textContent('[data-testid=order-status]')).trim(), paid, method);
    await context.close();
  }
});

test('a fan in Germany pays by SEPA Direct Debit; a debit the bank refuses cancels the order', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const before = await available(podium.base, 'DE');
  const page = await chooseMethod(context, podium.base, {
    country: 'DE', lang: 'en', method: 'sepa_debit', fields: { iban: 'DE89 3704 0044 0532 0130 00' },
  });
  assert.deepEqual(page.offered, ['sepa_debit']);
  assert.match(await page.textContent('[data-testid=review-step]'), /SEPA mandate/);
  await place(page);
  assert.match(await page.textContent('[data-testid=pay-instructions]'), /account ending in 3000/);
  await page.screenshot({ path: join(shots, 'local-sepa-processing.png'), fullPage: true });
  await waitForStatus(page, 'Paid');

  const refused = await chooseMethod(context, podium.base, {
    country: 'DE', lang: 'en', method: 'sepa_debit', fields: { iban: 'DE62370400440532013001' },
  });
  await place(refused);
  await waitForStatus(refused, 'Cancelled');
  assert.match(await refused.textContent('.listing-head'), /bank refused the debit/);
  assert.equal(await available(podium.base, 'DE'), before - 1, 'only the paid order keeps its unit');

  // A mistyped IBAN is caught before anything is ordered.
  const typo = await chooseMethod(context, podium.base, {
    country: 'DE', lang: 'en', method: 'sepa_debit', fields: { iban: 'DE89 3704 0044 0532 0130 01' },
  });
  await typo.click('[data-testid=place-order]');
  await typo.waitForSelector('[data-testid=review-step] .error, .error[role=alert]');
  assert.match(await typo.textContent('body'), /IBAN is not valid/);
  await context.close();
});

test('a fan in Kenya approves an M-Pesa prompt on the phone', async () => {
  const context = await browser.newContext({ locale: 'en-KE', viewport: { width: 390, height: 844 } });
  const page = await chooseMethod(context, podium.base, {
    country: 'KE', lang: 'en', method: 'mpesa', fields: { phone: '+254 712 345 678' }, shot: 'local-mpesa-methods.png',
  });
  assert.deepEqual(page.offered, ['mpesa']);
  await place(page);
  assert.match(await page.textContent('[data-testid=pay-instructions]'), /phone ending in 5678/);
  await page.screenshot({ path: join(shots, 'local-mpesa-prompt.png'), fullPage: true });
  const phone = await answerOnDevice(context, page);
  await phone.screenshot({ path: join(shots, 'local-mpesa-phone.png'), fullPage: true });
  await waitForStatus(page, 'Paid');
  await context.close();
});
