// The consoles as their users expect them (issue 19): payouts previewed and confirmed, licensor
// actions that cannot be undone confirmed, codes requested by a merchant and issued from the
// licensor's queue, a shop's debt shown as owed, the operator's audit log, the fan's orders.
// Every console page visited is checked with axe: no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { startPodium, launchBrowser, signIn } from './harness.js';

let podium;
let browser;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

before(async () => {
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

async function as(email, password) {
  // The pages forbid inline scripts; axe is injected by the test itself.
  const ctx = await browser.newContext({ locale: 'en-GB', bypassCSP: true });
  return signIn(ctx, podium.base, email, password);
}

// Serious and critical accessibility violations of the page as it is now.
async function axeProblems(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}

async function assertAccessible(page) {
  const problems = await axeProblems(page);
  assert.deepEqual(problems, [], `${page.url()}: ${problems.join('\n')}`);
}

test('the operator reads who would be paid how much before any money moves', async () => {
  const op = await as('operator@podium.example', 'operator-demo-2026');
  await op.goto(`${podium.base}/console/operator/payouts?lang=en`);
  await assertAccessible(op);
  await Promise.all([op.waitForURL(/\/payouts\/preview/), op.click('[data-testid=run-payouts]')]);
  await assertAccessible(op);
  const payees = await op.textContent('[data-testid=preview-payees]');
  assert.match(payees, /International Olympic Committee/);
  assert.match(await op.textContent('[data-testid=preview-totals]'), /\d/);
  // The box must be ticked: the browser will not send the form without it.
  assert.equal(await op.getAttribute('[data-testid=confirm-payouts] input[name=confirm]', 'required'), '');
  await op.click('[data-testid=confirm-payouts] button[type=submit]');
  assert.match(op.url(), /\/payouts\/preview/, 'nothing was sent');
  await op.check('[data-testid=confirm-payouts] input[name=confirm]');
  await Promise.all([op.waitForURL(/\/console\/operator\/payouts\?paid=/), op.click('[data-testid=confirm-payouts] button[type=submit]')]);
  assert.match(await op.textContent('.notice'), /Payout run done/);
  await op.context().close();
});

test('a licensor confirms terminating an agreement, told what it does', async () => {
  const lic = await as('licensor@podium.example', 'licensor-demo-2026');
  await lic.goto(`${podium.base}/console/licensing/team-kenya/agreements?lang=en`);
  const hrefs = await lic.locator('main a[href*="/agreements/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let terminate = null;
  for (const href of hrefs) {
    await lic.goto(`${podium.base}${href}${href.includes('?') ? '&' : '?'}lang=en`);
    const form = lic.locator('form:has(input[name=to][value=terminated])');
    if (await form.count()) { terminate = form; break; }
  }
  assert.ok(terminate, 'an agreement that can be terminated');
  await assertAccessible(lic);
  assert.match(await terminate.textContent(), /cannot be reopened/);
  assert.equal(await terminate.locator('input[name=confirm]').getAttribute('required'), '');
  // Without the box ticked the browser does not send it; the agreement is unchanged.
  const status = await lic.textContent('[data-testid=agreement-status]');
  await terminate.locator('button[type=submit]').click();
  assert.equal(await lic.textContent('[data-testid=agreement-status]'), status);
  await lic.context().close();
});

test('a merchant asks for missing codes; the licensor issues them from its queue', async () => {
  const m = await as('merchant@podium.example', 'merchant-demo-2026');
  await m.goto(`${podium.base}/console/shops/hanok-threads/codes?lang=en`);
  await assertAccessible(m);
  const missing = m.locator('[data-testid=codes-missing] li').filter({ hasText: 'Roller Blades Plush' }).first();
  assert.match(await missing.textContent(), /Codes missing: \d+/);
  await missing.locator('input[name=quantity]').fill('4');
  await Promise.all([m.waitForURL(/requested=4/), missing.locator('button[type=submit]').click()]);
  assert.match(await m.textContent('.notice'), /asked for 4 code\(s\)/);
  assert.match(await m.textContent('[data-testid=shop-code-requests]'), /Waiting for the licensor/);
  await assertAccessible(m);

  const lic = await as('licensor@podium.example', 'licensor-demo-2026');
  await lic.goto(`${podium.base}/console/licensing/team-kenya/codes?lang=en`);
  await assertAccessible(lic);
  const request = lic.locator('[data-testid=code-request]').filter({ hasText: 'Hanok Threads needs 4 code(s)' });
  assert.equal(await request.count(), 1);
  await request.locator('input[name=confirm]').check();
  await Promise.all([lic.waitForURL(/issued=4/), request.locator('button[type=submit]').click()]);
  assert.equal(await lic.locator('[data-testid=code-request]').filter({ hasText: 'Hanok Threads needs 4 code(s)' }).count(), 0);
  // The variant search narrows the issue form.
  await lic.fill('#variant-search', 'plush');
  await Promise.all([lic.waitForURL(/q=plush/), lic.press('#variant-search', 'Enter')]);
  const labels = await lic.locator('#variant option').allTextContents();
  assert.ok(labels.length > 0 && labels.every((l) => /plush/i.test(l)), labels.join(' | '));
  await lic.context().close();

  await m.reload();
  assert.match(await m.textContent('[data-testid=shop-code-requests]'), /Codes issued/);
  await m.context().close();
});

test('a shop that owes money reads what it owes and why, not a negative balance', async () => {
  const m = await as('merchant@podium.example', 'merchant-demo-2026');
  await m.goto(`${podium.base}/console/shops/hanok-threads/money?lang=en`);
  await assertAccessible(m);
  const figures = await m.textContent('[data-testid=figures]');
  assert.doesNotMatch(figures, /-\s?KSh|KSh\s?-/);
  const owed = await m.textContent('[data-testid=owed]');
  assert.match(owed, /You owe KES\s[\d,.]+ \(KES\)/);
  assert.match(owed, /minimum-guarantee shortfall/);
  assert.match(owed, /taken from your next sales/);
  await m.context().close();
});

test('the operator reads the whole marketplace audit log; the fan console lists orders', async () => {
  const op = await as('operator@podium.example', 'operator-demo-2026');
  await op.goto(`${podium.base}/console/operator/audit?lang=en`);
  await assertAccessible(op);
  const log = await op.textContent('[data-testid=audit]');
  assert.match(log, /National Olympic Committee of Kenya/, 'licensors\' entries are there');
  await op.context().close();

  const fan = await as('fan@podium.example', 'fan-demo-2026');
  await fan.goto(`${podium.base}/account/orders?lang=en`);
  const mine = await fan.locator('main a[href^="/orders/"]').allTextContents();
  await fan.goto(`${podium.base}/console/fan?lang=en`);
  await assertAccessible(fan);
  assert.ok(mine.length > 0, 'the demo fan has orders');
  assert.doesNotMatch(await fan.textContent('main'), /You have no orders yet/);
  assert.match(await fan.textContent('[data-testid=fan-orders]'), new RegExp(mine[0]));
  await fan.context().close();
});

test('a merchant starts from what needs doing; orders filter; a licensor reads royalties over a period', async () => {
  const m = await as('merchant@podium.example', 'merchant-demo-2026');
  await m.goto(`${podium.base}/console/shops/hanok-threads?lang=en`);
  const todo = await m.textContent('[data-testid=todo]');
  assert.match(todo, /What needs doing/);
  assert.match(todo, /Authenticity codes missing: \d+/);
  await Promise.all([m.waitForURL(/\/codes$/), m.click('[data-testid=todo] a[href$="/codes"]')]);
  await m.goto(`${podium.base}/console/shops/hanok-threads/orders?lang=en`);
  await assertAccessible(m);
  const all = await m.locator('[data-testid=consignments] tbody tr').count();
  assert.ok(all > 0, 'the demo shop has parcels');
  await m.selectOption('#show', 'closed');
  await Promise.all([m.waitForURL(/show=closed/), m.click('[data-testid=orders-filter] button[type=submit]')]);
  const closed = await m.locator('[data-testid=consignments] tbody tr').count();
  assert.ok(closed <= all);
  await m.fill('#orders-q', 'no-such-fan-anywhere');
  await Promise.all([m.waitForURL(/q=no-such-fan/), m.click('[data-testid=orders-filter] button[type=submit]')]);
  assert.match(await m.textContent('main'), /No parcel matches these filters/);
  await m.context().close();

  const lic = await as('licensor@podium.example', 'licensor-demo-2026');
  await lic.goto(`${podium.base}/console/licensing/team-kenya/royalties?lang=en`);
  await assertAccessible(lic);
  await lic.fill('#from', '2001-01-01');
  await lic.fill('#to', '2001-12-31');
  await Promise.all([lic.waitForURL(/from=2001-01-01/), lic.click('[data-testid=period] button[type=submit]')]);
  assert.equal(await lic.inputValue('#from'), '2001-01-01');
  const href = await lic.getAttribute('[data-testid=royalties-csv]', 'href');
  const csv = await (await lic.request.get(`${podium.base}${href}`)).text();
  assert.equal(csv.trim(), 'date,agreement,licensee,territory,rights_set,kind,net,royalty,currency');
  await lic.context().close();
});
