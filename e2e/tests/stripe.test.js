// Paying through Stripe in a real browser, against localstripe (scripts/test starts it and sets
// PODIUM_TEST_STRIPE_URL): the card is typed into Stripe.js's form, never sent to Podium; the
// bank asks for 3-D Secure, the fan confirms in Stripe's dialog, and the order is paid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const stripe = process.env.PODIUM_TEST_STRIPE_URL || 'http://127.0.0.1:8420';
const TEE = '/products/hanok-threads-kenya-ice-lions-face-off-tee';

before(async () => {
  const up = await fetch(`${stripe}/v1/balance`, { headers: { authorization: 'Bearer sk_test_e2e' } }).catch((e) => e);
  assert.ok(up.ok, `localstripe must answer at ${stripe} (PODIUM_TEST_STRIPE_URL); scripts/test starts it`);
  podium = await startPodium([
    '--payments', 'stripe',
    '--stripe-secret-key', 'sk_test_e2e',
    '--stripe-webhook-secret', 'whsec_e2e',
    '--stripe-publishable-key', 'pk_test_e2e',
    '--stripe-api-base', stripe,
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

test('a fan pays through Stripe with 3-D Secure, and the card never reaches Podium', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  const sentToPodium = [];
  page.on('request', (r) => {
    if (r.url().startsWith(podium.base)) sentToPodium.push(`${r.url()} ${r.postData() || ''}`);
  });
  await page.goto(`${podium.base}${TEE}?variant=TEE-KIL-XL&country=KR&lang=en`);
  await page.click('[data-testid=add-to-cart]');
  await page.waitForURL(/\/cart$/);
  await page.click('[data-testid=go-checkout]');
  await page.fill('#email', 'minji@example.com');
  await page.fill('#name', 'Kim Min-ji');
  await page.fill('#line1', '12 Sejong-daero');
  await page.fill('#city', 'Seoul');
  await page.fill('#postal_code', '04524');
  await page.fill('#phone', '010-1234-5678');
  await page.click('[data-testid=address-form] button[type=submit]');
  await page.waitForSelector('[data-testid=shipping-step]');
  await page.click('[data-testid=shipping-step] a.button');

  // Stripe.js's card form (localstripe's stand-in draws plain inputs).
  await page.waitForSelector('[data-testid=stripe-card] input');
  const inputs = page.locator('[data-testid=stripe-card] input');
  await inputs.nth(0).fill('4000002760003184');
  await inputs.nth(1).fill('12');
  await inputs.nth(2).fill('30');
  await inputs.nth(3).fill('123');
  await inputs.nth(4).fill('04524');
  await page.screenshot({ path: join(shots, 'stripe-card-form.png'), fullPage: true });
  await page.click('[data-testid=payment-form] button[type=submit]');
  await page.waitForSelector('[data-testid=review-step]');
  assert.match(await page.textContent('[data-testid=review-step]'), /•••• 3184/);
  await page.click('[data-testid=place-order]');

  // The bank's check, through Stripe.js.
  await page.waitForSelector('[data-testid=stripe-authenticate]');
  const confirm = page.getByRole('button', { name: 'Complete authentication' });
  await confirm.waitFor();
  await page.screenshot({ path: join(shots, 'stripe-3ds.png'), fullPage: true });
  await confirm.click();
  await page.waitForSelector('[data-testid=order-placed]');
  assert.match(await page.textContent('[data-testid=order-status]'), /Paid/);
  await page.screenshot({ path: join(shots, 'stripe-paid.png'), fullPage: true });
  assert.deepEqual(sentToPodium.filter((s) => s.includes('3184') && !s.includes('card=')), [], 'no card number went to Podium');
  assert.ok(!sentToPodium.some((s) => s.includes('4000002760003184')), 'the full number never went to Podium');
  await context.close();
});
