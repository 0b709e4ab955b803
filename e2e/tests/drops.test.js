// A limited drop in real browsers: eight fans enter the waiting room one after the other before
// the start; at the start five are let in, in an order drawn at random (the shop's console shows
// it) rather than the order they came; they buy through the API with their own cards, and no
// more sells than the stock and the per-fan limit allow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, signIn, mailedLink } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const CARDS = ['4242424242424242', '4000056655665556', '5200828282828210'];

before(async () => {
  podium = await startPodium(['--drop-min-lead-seconds', '5']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function api(path, body, token) {
  const r = await fetch(`${podium.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json().catch(() => ({})) };
}

const pad = (n) => String(n).padStart(2, '0');
// A datetime-local input keeps whole minutes as `HH:MM` (Chromium drops `:00`), and Playwright
// refuses a fill whose value the input rewrote: seconds only when there are some.
const utc = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${d.getUTCSeconds() ? `:${pad(d.getUTCSeconds())}` : ''}`;

test('fans who wait are let in in random order and never buy more than there is', async () => {
  // Eight fans sign up first.
  const fans = [];
  for (let i = 1; i <= 8; i++) {
    const ctx = await browser.newContext({ locale: 'en-GB' });
    const page = await ctx.newPage();
    const email = `drop-fan-${i}-${Date.now()}@example.com`;
    await page.goto(`${podium.base}/signup`);
    await page.fill('#display_name', `Fan ${i}`);
    await page.fill('#email', email);
    await page.fill('#password', 'drop-fan-password-1');
    await page.click('form.stack button[type=submit]');
    await page.waitForSelector('[data-testid=signup-sent]');
    // The confirmation link arrives by mail; following it confirms the account and signs in.
    await page.goto(`${podium.base}${await mailedLink(podium, email, '/signup/confirm?token=')}`);
    await Promise.all([page.waitForURL(/\/console/), page.click('[data-testid=confirm-signup]')]);
    fans.push({ name: `Fan ${i}`, email, page });
  }

  // The shop schedules the drop: 5 units, at most 2 per fan, starting shortly.
  const shopCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const shop = await signIn(shopCtx, podium.base, 'merchant@podium.example', 'merchant-demo-2026');
  await shop.goto(`${podium.base}/console/shops/hanok-threads/drops?lang=en`);
  const options = await shop.$$eval('select[name=variant] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const choice = options.find((o) => /Kenya Ice Lions Face-off T-shirt/.test(o.text) && Number((o.text.match(/\((\d+) in stock\)/) || [])[1]) >= 10);
  assert.ok(choice, 'a tee with stock to drop');
  const startsAt = new Date(Date.now() + 20_000);
  await shop.selectOption('select[name=variant]', choice.value);
  await shop.fill('input[name=quantity]', '5');
  await shop.fill('input[name=per_fan]', '2');
  await shop.fill('input[name=starts_at]', utc(startsAt));
  await Promise.all([shop.waitForURL(/\/drops$/), shop.click('[data-testid=schedule-drop]')]);
  // The demo has drops of its own: this one is the tee's.
  const row = shop.locator('[data-testid=drops] tbody tr', { hasText: 'Kenya Ice Lions Face-off T-shirt' });
  assert.equal(await row.count(), 1);
  const roomHref = await row.locator('a').first().getAttribute('href');
  assert.match(roomHref, /^\/drops\//);

  // They enter the waiting room one after the other, all before the start.
  for (const f of fans) {
    await f.page.goto(`${podium.base}${roomHref}?lang=en`);
    await Promise.all([f.page.waitForURL(new RegExp(`${roomHref}$`)), f.page.click('[data-testid=join-drop]')]);
    assert.match(await f.page.textContent('[data-testid=room-status]'), /waiting room/, `${f.name} is in before the start`);
  }
  await fans[0].page.screenshot({ path: join(shots, 'drop-lobby.png'), fullPage: true });

  // After the start the waiting room lets five in (one per unit).
  await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now()) + 4_000));
  const admitted = [];
  for (const f of fans) {
    await f.page.goto(`${podium.base}${roomHref}?lang=en`);
    if (/You are in!/.test(await f.page.textContent('[data-testid=room-status]'))) admitted.push(f);
  }
  assert.equal(admitted.length, 5, 'one fan per unit');
  await admitted[0].page.screenshot({ path: join(shots, 'drop-admitted.png'), fullPage: true });
  await shop.goto(`${podium.base}/console/shops/hanok-threads/drops?lang=en`);
  const order = (await row.locator('[data-testid=admission-order]').textContent()).split(' → ').map((s) => s.trim());
  assert.equal(order.length, 5);
  assert.notDeepEqual(order, ['Fan 1', 'Fan 2', 'Fan 3', 'Fan 4', 'Fan 5'], 'not in the order they came');
  await shop.screenshot({ path: join(shots, 'drop-console.png'), fullPage: true });

  // Every fan tries to buy two, each with a card of their own (three cards between them).
  const sku = await admitted[0].page.getAttribute('input[name=sku]', 'value');
  let bought = 0;
  const perFan = {};
  const perCard = {};
  for (const [i, f] of fans.entries()) {
    const session = await api('/api/v1/sessions', { email: f.email, password: 'drop-fan-password-1' });
    const token = session.json.token;
    const cart = await api('/api/v1/carts', { country: 'KR' }, token);
    const line = await api(`/api/v1/carts/${cart.json.id}/lines`, { sku, quantity: 2 }, token);
    assert.equal(line.status, 200, JSON.stringify(line.json));
    const card = CARDS[i % CARDS.length];
    const placed = await api(`/api/v1/carts/${cart.json.id}/checkout`, {
      email: f.email,
      shipping_address: { name: f.name, line1: '12 Sejong-daero', city: 'Seoul', postal_code: '04524', country: 'KR', phone: '010-1234-5678', customs_code: 'P123456789012' },
      payment: { method: 'sandbox_card', card_number: card },
    }, token);
    if (placed.status === 201) {
      bought += 2;
      perFan[f.name] = (perFan[f.name] ?? 0) + 2;
      perCard[card] = (perCard[card] ?? 0) + 2;
      assert.ok(admitted.includes(f), `${f.name} bought without being admitted`);
    } else {
      assert.equal(placed.status, 409, JSON.stringify(placed.json));
    }
  }
  assert.ok(bought <= 5, `sold ${bought} of 5`);
  assert.ok(bought > 0, 'admitted fans could buy');
  for (const n of Object.values(perFan)) assert.ok(n <= 2);
  for (const n of Object.values(perCard)) assert.ok(n <= 2, 'per card too');
});
