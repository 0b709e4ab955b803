// The storefront as a fan meets it: the size picker adds exactly the size chosen (with and
// without JavaScript), and asking for more than is left says how many are left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let browser;
const TEE = '/products/hanok-threads-kenya-ice-lions-face-off-tee';

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function variants() {
  const r = await fetch(`${podium.base}/api/v1/products/hanok-threads-kenya-ice-lions-face-off-tee?country=KR&currency=KRW`);
  return (await r.json()).variants;
}

async function cartLines(page) {
  await page.goto(`${podium.base}/cart?lang=en`);
  return page.$$eval('table.lines tbody tr td:first-child', (cells) => cells.map((c) => c.textContent.replace(/\s+/g, ' ').trim()));
}

for (const javaScriptEnabled of [true, false]) {
  test(`choosing XL adds XL to the cart (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${podium.base}${TEE}?lang=en&country=KR&currency=KRW`);
    const small = (await page.textContent('[data-testid=price]')).trim();
    assert.equal(await page.isChecked('input[name=sku][value$=":TEE-KIL-S"]'), true, 'S is chosen first');
    await page.check('input[name=sku][value$=":TEE-KIL-XL"]');
    if (javaScriptEnabled) {
      // The price follows the choice at once, and the address keeps it.
      await page.waitForFunction((s) => document.querySelector('[data-testid=price]').textContent.trim() !== s, small);
      assert.match(page.url(), /variant=TEE-KIL-XL/);
      assert.equal(await page.isVisible('[data-testid=show-price]'), false, 'no button needed to see the price');
    } else {
      // "Show price" brings the XL's page; the choice stays ticked.
      await Promise.all([page.waitForURL(/variant=TEE-KIL-XL/), page.click('[data-testid=show-price]')]);
      assert.equal(await page.isChecked('input[name=sku][value$=":TEE-KIL-XL"]'), true);
    }
    const xl = (await page.textContent('[data-testid=price]')).trim();
    assert.notEqual(xl, small, 'the XL costs more than the S');
    // Without JavaScript, choosing again and adding straight away adds what is ticked.
    await page.check('input[name=sku][value$=":TEE-KIL-M"]');
    await page.check('input[name=sku][value$=":TEE-KIL-XL"]');
    await Promise.all([page.waitForURL(/\/cart/), page.click('[data-testid=add-to-cart]')]);
    const lines = await cartLines(page);
    assert.equal(lines.length, 1, lines.join(' | '));
    assert.match(lines[0], /— XL/);
    assert.match(lines[0], /TEE-KIL-XL/);
    await context.close();
  });
}

test('asking for more than is left says how many are left', async () => {
  const left = (await variants()).find((v) => v.sku === 'hanok-threads:TEE-KIL-M').available;
  assert.ok(left > 0 && left < 900, `M has ${left} left`);
  const page = await browser.newPage();
  await page.goto(`${podium.base}${TEE}?lang=en&country=KR&variant=TEE-KIL-M`);
  await page.fill('.add-to-cart input[name=quantity]', String(left + 40));
  await page.click('[data-testid=add-to-cart]');
  const error = await page.textContent('[data-testid=cart-error]');
  assert.match(error, new RegExp(`Only ${left} left`));
  assert.doesNotMatch(error, /Sold out/);
  // Back to the product to choose again.
  await Promise.all([page.waitForURL(/\/products\//), page.click('[data-testid=cart-error-back]')]);
  assert.match(await page.textContent('h1'), /Face-off/);
  await page.close();
});

test('a drop\'s own page tells a fan not yet in the waiting room everything, and the countdown keeps its words', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}/products/hanok-threads-kenya-ice-lions-roller-blades-cap?lang=en&country=KR`);
  const action = await page.getAttribute('[data-testid=drop] form', 'action');
  const room = action.replace(/\/(notify|join)$/, '');
  await page.goto(`${podium.base}${room}?lang=en&country=KR`);
  assert.match(await page.textContent('[data-testid=price]'), /^₩[\d,]+$/);
  assert.match(await page.textContent('[data-testid=drop-facts]'), /\d+ units, at most \d+ per fan, from /);
  const before = await page.textContent('[data-testid=countdown]');
  assert.match(before, /^Opens in /);
  // A second later the script has ticked it, still in words (not a bare "53:25").
  await page.waitForFunction((b) => document.querySelector('[data-testid=countdown]').textContent !== b, before);
  assert.match(await page.textContent('[data-testid=countdown]'), /^Opens in \d+ (h \d\d min|min \d\d s)$/);
  // Signed out, "notify me" asks to sign in first and comes back.
  assert.equal(await page.isVisible('[data-testid=notify-me]'), true);
  await Promise.all([page.waitForURL(/\/signin/), page.click('[data-testid=notify-me]')]);
  await page.close();
});
