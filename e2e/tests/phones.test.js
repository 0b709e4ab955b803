// Podium on a phone (390 × 844): no page of the journeys is wider than the screen, the header
// folds its links and preferences away (working without JavaScript), search filters sit behind a
// toggle, a product shows on the home page's first screen, and a fan can buy from start to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, signIn, ACCOUNTS, CONSOLE_PAGES } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const TEE = '/products/hanok-threads-kenya-ice-lions-face-off-tee';

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

/// The page's width and, when it is wider than the screen, the elements that stick out.
async function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const width = document.documentElement.scrollWidth;
    const out = width > vw
      ? [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > vw + 1).slice(0, 4).map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
      : [];
    return { vw, width, out };
  });
}

async function fits(page, path, status = 200) {
  if (path) {
    const r = await page.goto(`${podium.base}${path}`);
    assert.equal(r.status(), status, `${path} answers ${status}`);
  }
  const o = await overflow(page);
  assert.ok(o.width <= o.vw, `${page.url()} is ${o.width} px wide on a ${o.vw} px screen: ${o.out.join(', ')}`);
}

test('every storefront page of the journeys fits a phone, through a whole purchase', async () => {
  const context = await browser.newContext({ ...PHONE, locale: 'en-GB' });
  const page = await context.newPage();
  for (const path of [
    '/?lang=en&country=KR',
    '/?lang=ja&country=JP',
    '/search?q=tee&lang=en',
    '/search?q=%ED%8B%B0%EC%85%94%EC%B8%A0&lang=ko&country=KR',
    '/products?lang=en',
    `${TEE}?lang=en&country=KR`,
    `${TEE}?lang=fr&country=FR`,
    '/properties/kenya-ice-lions?lang=en',
    '/categories/apparel?lang=en',
    '/shops/hanok-threads?lang=en',
    '/stories?lang=ko&country=KR',
    '/stories/ice-hockey-learnt-on-roller-blades?lang=en',
    '/verify?lang=en',
    '/signin?lang=en',
    '/signup?lang=en',
    '/password/forgot?lang=en',
    '/cart?lang=en',
  ]) {
    await fits(page, path);
  }
  await fits(page, '/no-such-page', 404);
  // A purchase on the phone: cart, address, shipping, card, review, the order.
  await page.goto(`${podium.base}${TEE}?lang=en&country=KR&variant=TEE-KIL-L`);
  await Promise.all([page.waitForURL(/\/cart/), page.click('[data-testid=add-to-cart]')]);
  await page.goto(`${podium.base}/products/thames-pin-olympic-heritage-torch-relay-hoodie?lang=en&country=KR&variant=HOODIE-OH-M`);
  await Promise.all([page.waitForURL(/\/cart/), page.click('[data-testid=add-to-cart]')]);
  await fits(page);
  await page.screenshot({ path: join(shots, 'phone-cart.png'), fullPage: true });
  await page.click('[data-testid=go-checkout]');
  await fits(page);
  await page.fill('#email', 'minji@example.com');
  await page.fill('#name', 'Kim Minji');
  await page.fill('#line1', '12 Sejong-daero');
  await page.fill('#city', 'Seoul');
  await page.fill('#postal_code', '04524');
  await page.fill('#phone', '010-1234-5678');
  if (await page.$('#customs_code')) await page.fill('#customs_code', 'P123456789012');
  await page.click('[data-testid=address-form] button[type=submit]');
  await page.waitForSelector('[data-testid=shipping-step]');
  await fits(page);
  await page.click('[data-testid=shipping-step] a.button');
  await fits(page);
  await page.fill('#card_number', '4242 4242 4242 4242');
  await page.click('[data-testid=payment-form] button[type=submit]');
  await page.waitForSelector('[data-testid=review-step]');
  await fits(page);
  await page.screenshot({ path: join(shots, 'phone-review.png'), fullPage: true });
  await page.click('[data-testid=place-order]');
  await page.waitForSelector('[data-testid=order-placed]');
  await fits(page);
  await context.close();
});

test('every console page of the journeys fits a phone', async () => {
  for (const [role, paths] of Object.entries(CONSOLE_PAGES)) {
    const account = ACCOUNTS.find((a) => a.role === role);
    const context = await browser.newContext(PHONE);
    const page = await signIn(context, podium.base, account.email, account.password);
    await fits(page);
    for (const path of paths) await fits(page, path);
    // Every agreement a licensor opens, too.
    if (role === 'licensor') {
      await page.goto(`${podium.base}/console/licensing/team-kenya/agreements`);
      const links = await page.$$eval('main a[href*="/agreements/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))].slice(0, 3));
      assert.ok(links.length > 0, 'the licensor has agreements');
      for (const href of links) await fits(page, href);
    }
    if (role === 'merchant') await page.screenshot({ path: join(shots, 'phone-shop-console.png'), fullPage: false });
    await context.close();
  }
});

test('the phone header folds away, without JavaScript too, and a product shows on the first screen', async () => {
  for (const javaScriptEnabled of [true, false]) {
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${podium.base}/?lang=en&country=KR`);
    const header = await page.$eval('.site-header', (h) => h.getBoundingClientRect().height);
    assert.ok(header <= 160, `the header takes ${header} px of 844`);
    assert.equal(await page.isVisible('select[name=currency]'), false, 'preferences fold away');
    assert.equal(await page.isVisible('a[href="/signin"]'), false, 'account links fold away');
    assert.equal(await page.isVisible('[data-testid=cart-link]'), true, 'the cart stays in reach');
    assert.match(await page.textContent('[data-testid=prefs-summary]'), /Ship to South Korea · .*KRW.* · English/);
    const card = await page.$eval('.grid .card', (c) => c.getBoundingClientRect().top);
    assert.ok(card < 844, `the first product starts at ${card} px`);
    // The menu opens the account links; the summary opens the preferences, which still work.
    await page.click('.menu-label');
    assert.equal(await page.isVisible('a[href="/signin"]'), true);
    await page.click('[data-testid=prefs-summary]');
    await page.selectOption('select[name=currency]', 'EUR');
    await Promise.all([page.waitForURL(/currency=EUR/), page.click('form.prefs button[type=submit]')]);
    assert.match(await page.textContent('[data-testid=prefs-summary]'), /EUR/);
    // Search filters behind a toggle, results first.
    await page.goto(`${podium.base}/search?q=tee&lang=en`);
    assert.equal(await page.isVisible('.facets'), false);
    const first = await page.$eval('.grid .card', (c) => c.getBoundingClientRect().top);
    assert.ok(first < 844, `the first result starts at ${first} px`);
    await page.click('[data-testid=filters-toggle]');
    assert.equal(await page.isVisible('.facets'), true);
    if (javaScriptEnabled) await page.screenshot({ path: join(shots, 'phone-search-filters.png') });
    await context.close();
  }
});
