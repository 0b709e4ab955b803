// A merchant makes an API token for the warehouse, sees it once, uses it, and revokes it; a fan
// changes their password, which signs out their other browser, then signs out everywhere; a
// visitor who forgot their password is told a link is on its way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, signIn } from './harness.js';

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

test('a merchant makes an API token, sees it once, uses it and revokes it', async () => {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const page = await signIn(context, podium.base, 'merchant@podium.example', 'merchant-demo-2026');
  await page.goto(`${podium.base}/console/shops/hanok-threads`);
  await Promise.all([page.waitForURL(/\/console\/tokens\/hanok-threads$/), page.click('[data-testid=shop-tokens]')]);
  await page.fill('#name', 'Warehouse');
  await page.check('input[name=scope][value="orders:read"]');
  await page.check('input[name=scope][value="orders:fulfil"]');
  await Promise.all([page.waitForLoadState('load'), page.click('[data-testid=create-token]')]);
  const secret = (await page.textContent('[data-testid=token-secret]')).trim();
  assert.match(secret, /^pdm_[0-9a-f]{48}$/);
  await page.screenshot({ path: join(shots, 'tokens-created.png'), fullPage: true });

  const api = (token) => fetch(`${podium.base}/api/v1/shops/hanok-threads/consignments`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await api(secret)).status, 200, 'the token reads the shop\'s orders');
  const csv = await fetch(`${podium.base}/api/v1/shops/hanok-threads/products.csv`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(csv.status, 403, 'but not its catalogue: that scope was not ticked');

  await page.goto(`${podium.base}/console/tokens/hanok-threads`);
  assert.equal(await page.locator('[data-testid=token-secret]').count(), 0, 'shown once only');
  assert.match(await page.textContent('[data-testid=tokens]'), /Warehouse/);
  await Promise.all([page.waitForURL(/revoked=1/), page.click('[data-testid="revoke-Warehouse"]')]);
  assert.match(await page.textContent('[data-testid=tokens]'), /Revoked/);
  await page.screenshot({ path: join(shots, 'tokens-revoked.png'), fullPage: true });
  assert.equal((await api(secret)).status, 401, 'a revoked token stops at once');
  await context.close();
});

test('a fan changes their password and signs out everywhere', async () => {
  const laptop = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const phone = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 } });
  const page = await signIn(laptop, podium.base, 'fan@podium.example', 'fan-demo-2026');
  const other = await signIn(phone, podium.base, 'fan@podium.example', 'fan-demo-2026');
  await Promise.all([page.waitForURL(/\/account\/security$/), page.click('[data-testid=security-link]')]);
  await page.fill('#current', 'not my password');
  await page.fill('#password', 'a new password 2026');
  await page.fill('#confirm', 'a new password 2026');
  await Promise.all([page.waitForLoadState('load'), page.click('form[method=post][action="/account/password"] button[type=submit]')]);
  assert.match(await page.textContent('[role=alert]'), /current password is not right/);
  await page.screenshot({ path: join(shots, 'account-security-error.png'), fullPage: true });
  await page.fill('#current', 'fan-demo-2026');
  await page.fill('#password', 'a new password 2026');
  await page.fill('#confirm', 'a new password 2026');
  await Promise.all([page.waitForURL(/saved=password/), page.click('form[method=post][action="/account/password"] button[type=submit]')]);
  assert.match(await page.textContent('[data-testid=password-saved]'), /other sessions have ended/);

  await other.goto(`${podium.base}/account/orders`);
  assert.match(other.url(), /\/signin/, 'the phone was signed out');

  await Promise.all([page.waitForURL(/\/signin\?ended=1$/), page.click('[data-testid=sign-out-everywhere]')]);
  assert.match(await page.textContent('body'), /signed out on every device/);
  await page.goto(`${podium.base}/account/orders`);
  assert.match(page.url(), /\/signin/);
  await laptop.close();
  await phone.close();
});

test('a forgotten password: the same answer whether or not the account exists', async () => {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${podium.base}/signin`);
  await Promise.all([page.waitForURL(/\/password\/forgot$/), page.click('[data-testid=forgot-link]')]);
  await page.fill('#email', 'quelquun@exemple.fr');
  await Promise.all([page.waitForLoadState('load'), page.click('form.stack button[type=submit]')]);
  assert.match(await page.textContent('[data-testid=reset-sent]'), /Si un compte utilise cette adresse/);
  await page.screenshot({ path: join(shots, 'password-forgot.png'), fullPage: true });
  await page.goto(`${podium.base}/password/reset?token=${'0'.repeat(64)}`);
  assert.match(await page.textContent('[data-testid=reset-dead]'), /expiré ou a déjà servi/);
  await context.close();
});
