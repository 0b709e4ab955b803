// The licensing programme in a real browser: a merchant submits a product, the licensor asks for
// a revision, the merchant edits and resubmits, the licensor approves it through Final, and fans
// find it where the licence reaches and not elsewhere. A fan verifies a genuine code and an
// unknown one. A licensor's overlapping exclusive grant is refused with the conflict named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
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

async function signIn(context, email, password) {
  const page = await context.newPage();
  await page.goto(`${podium.base}/signin`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/console\//), page.click('form.stack button[type=submit]')]);
  return page;
}

async function decide(page, decision, comment) {
  await page.check(`input[name=decision][value=${decision}]`);
  if (comment) await page.fill('#comment', comment);
  await Promise.all([page.waitForURL(/\/console\/licensing\/team-kenya\?decided=/), page.click('form[action$="/decide"] button[type=submit]')]);
}

// A well-formed code nobody issued: 12 symbols and the Luhn mod 32 check symbol Podium uses.
function wellFormedCode(data) {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let sum = 0;
  [...data].reverse().forEach((ch, i) => {
    let x = alphabet.indexOf(ch);
    if (i % 2 === 0) {
      x *= 2;
      x = Math.floor(x / 32) + (x % 32);
    }
    sum += x;
  });
  return data + alphabet[(32 - (sum % 32)) % 32];
}

async function searchFinds(page, query, country, slug) {
  await page.goto(`${podium.base}/search?q=${encodeURIComponent(query)}&country=${country}&lang=en`);
  return (await page.locator(`.card a[href="/products/${slug}"]`).count()) > 0;
}

test('a submission goes from concept to final and sells only where its licence reaches', async () => {
  const merchantCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const licensorCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const fanCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });

  // The merchant creates a Kenya Ice Lions product (Hanok Threads' licence covers Korea and Kenya).
  const merchant = await signIn(merchantCtx, 'merchant@podium.example', 'merchant-demo-2026');
  await merchant.goto(`${podium.base}/console/shops/hanok-threads/products/new`);
  await merchant.fill('#handle', 'ice-lions-bobble-hat');
  await merchant.selectOption('#status', 'active');
  await merchant.selectOption('#property', 'kenya-ice-lions');
  await merchant.selectOption('#category', 'headwear');
  await merchant.selectOption('#language', 'en');
  await merchant.fill('#hs-code', '650500');
  await merchant.fill('#title--en-', 'Ice Lions bobble hat');
  await merchant.fill('#body--en-', 'Knitted in Seoul in the Ice Lions green.');
  await merchant.fill('#variant-sku-0', 'BOBBLE-GRN');
  await merchant.fill('#variant-price-0', '28000');
  await merchant.fill('#stock-0-0', '12');
  await Promise.all([merchant.waitForURL(/saved=product/), merchant.click('.product-form > button[type=submit]')]);

  // ...and submits it from "My licences".
  await Promise.all([merchant.waitForURL(/\/licences$/), merchant.click('a[href="/console/shops/hanok-threads/licences"]')]);
  await Promise.all([merchant.waitForURL(/done=submitted/), merchant.click('button[data-handle="ice-lions-bobble-hat"]')]);
  await merchant.screenshot({ path: join(shots, 'merchant-licences.png'), fullPage: true });

  // The licensor finds the queue in one click from the console, and asks for a revision.
  const licensor = await signIn(licensorCtx, 'licensor@podium.example', 'licensor-demo-2026');
  await Promise.all([licensor.waitForURL(/\/console\/licensing\/team-kenya$/), licensor.click('[data-testid=open-queue]')]);
  await licensor.screenshot({ path: join(shots, 'licensor-queue.png'), fullPage: true });
  await Promise.all([licensor.waitForURL(/\/submissions\//), licensor.click('text=Ice Lions bobble hat')]);
  assert.equal(await licensor.textContent('[data-testid=stage]'), 'Concept');
  await licensor.screenshot({ path: join(shots, 'licensor-submission.png'), fullPage: true });
  await decide(licensor, 'needs_revision', 'Please spell the team name in full: Kenya Ice Lions.');

  // The merchant reads the comment, edits the title and resubmits.
  await merchant.goto(`${podium.base}/console/shops/hanok-threads/licences`);
  const row = merchant.locator('tr[data-handle="ice-lions-bobble-hat"]');
  assert.match(await row.textContent(), /spell the team name in full/);
  assert.match(await row.locator('.sub-status').textContent(), /Needs revision/);
  await merchant.goto(`${podium.base}/console/shops/hanok-threads/products/ice-lions-bobble-hat`);
  await merchant.fill('#title--en-', 'Kenya Ice Lions bobble hat');
  await Promise.all([merchant.waitForURL(/saved=product/), merchant.click('.product-form > button[type=submit]')]);
  await merchant.goto(`${podium.base}/console/shops/hanok-threads/licences`);
  await merchant.fill('tr[data-handle="ice-lions-bobble-hat"] textarea', 'Name spelled in full.');
  await Promise.all([merchant.waitForURL(/done=resubmitted/), merchant.click('tr[data-handle="ice-lions-bobble-hat"] button[type=submit]')]);

  // Before final approval no fan finds it anywhere.
  const fan = await fanCtx.newPage();
  assert.equal(await searchFinds(fan, 'bobble hat', 'KR', 'hanok-threads-ice-lions-bobble-hat'), false);

  // The licensor approves it stage by stage through Final.
  for (const stage of ['Concept', 'Pre-production', 'Production', 'Final']) {
    await licensor.goto(`${podium.base}/console/licensing/team-kenya`);
    await Promise.all([licensor.waitForURL(/\/submissions\//), licensor.click('text=Kenya Ice Lions bobble hat')]);
    assert.equal(await licensor.textContent('[data-testid=stage]'), stage);
    await decide(licensor, 'approve', stage === 'Final' ? 'Approved for sale.' : '');
  }

  // Fans in Korea find it within a few seconds; fans in the United States never do.
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    found = await searchFinds(fan, 'bobble hat', 'KR', 'hanok-threads-ice-lions-bobble-hat');
    if (!found) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(found, 'searchable in Korea once approved');
  await fan.screenshot({ path: join(shots, 'search-approved-kr.png') });
  assert.equal(await searchFinds(fan, 'bobble hat', 'US', 'hanok-threads-ice-lions-bobble-hat'), false);
  await fan.goto(`${podium.base}/products/hanok-threads-ice-lions-bobble-hat?country=US&lang=en`);
  assert.match(await fan.textContent('[data-testid=not-sellable]'), /Not available for delivery to United States/);
  await fan.screenshot({ path: join(shots, 'product-not-for-us.png') });

  // The decisions are in the licensor's audit log.
  await licensor.goto(`${podium.base}/console/licensing/team-kenya/audit`);
  const audit = await licensor.textContent('[data-testid=audit]');
  assert.match(audit, /Revision requested/);
  assert.match(audit, /Approved for sale\./);
  await Promise.all([merchantCtx.close(), licensorCtx.close(), fanCtx.close()]);
});

test('a fan verifies a genuine code and an unknown one', async () => {
  const licensorCtx = await browser.newContext({ locale: 'en-GB' });
  const licensor = await signIn(licensorCtx, 'licensor@podium.example', 'licensor-demo-2026');
  await licensor.goto(`${podium.base}/console/licensing/team-kenya/codes`);
  await licensor.screenshot({ path: join(shots, 'licensor-codes.png'), fullPage: true });
  const csvHref = await licensor.getAttribute('a[href$="codes.csv"]', 'href');
  const csv = await (await licensor.request.get(`${podium.base}${csvHref}`)).text();
  const code = csv.split('\n')[1].split(',')[1];
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/);
  await licensorCtx.close();

  const fanCtx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1000, height: 900 } });
  const fan = await fanCtx.newPage();
  await fan.goto(`${podium.base}/?lang=en`);
  await Promise.all([fan.waitForURL(/\/verify(\?.*)?$/), fan.click('a[href="/verify"]')]);
  await fan.fill('#code', code.toLowerCase());
  await Promise.all([fan.waitForURL(/\/verify\/[0-9A-Z]+$/), fan.click('#verify-form button[type=submit]')]);
  assert.equal(await fan.getAttribute('[data-testid=verdict]', 'data-status'), 'genuine');
  assert.match(await fan.textContent('[data-testid=verdict]'), /National Olympic Committee of Kenya/);
  await fan.screenshot({ path: join(shots, 'verify-genuine.png'), fullPage: true });

  await fan.fill('#code', wellFormedCode('7K3MQ9PX2WDR'));
  await Promise.all([fan.waitForLoadState('load'), fan.click('#verify-form button[type=submit]')]);
  assert.equal(await fan.getAttribute('[data-testid=verdict]', 'data-status'), 'unknown');
  assert.match(await fan.textContent('[data-testid=verdict] h2'), /Unknown code/);
  await fan.screenshot({ path: join(shots, 'verify-unknown.png'), fullPage: true });
  await fanCtx.close();
});

test('an overlapping exclusive grant is refused and the conflict is named', async () => {
  const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const page = await signIn(ctx, 'licensor@podium.example', 'licensor-demo-2026');
  await page.goto(`${podium.base}/console/licensing/team-kenya/agreements`);
  await Promise.all([page.waitForURL(/\/agreements\/.+/), page.click('text=TK-SC-')]);
  await page.check('label:has-text("Team Kenya") input[name=property]');
  await page.check('input[name=category][value=apparel]');
  await page.fill('#territory', 'worldwide');
  await page.check('input[name=exclusive]');
  await Promise.all([page.waitForLoadState('load'), page.click('form[action$="/rights"] button[type=submit]')]);
  const error = await page.textContent('[data-testid=agreement-error]');
  assert.match(error, /Refused: an exclusive grant cannot overlap agreement TK-[A-Z]+-\d{4}/);
  await page.screenshot({ path: join(shots, 'licensor-exclusive-refused.png'), fullPage: true });
  await ctx.close();
});
