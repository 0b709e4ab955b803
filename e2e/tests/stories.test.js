// Stories and following in a real browser: a fan in Korea reads a team's story, adds a product
// it features to the cart from the story, follows the team, and after the licensor approves a
// new product of that team, finds it in the feed marked new. A shop's story about the team
// waits for the licensor, who approves it from the review queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPodium, launchBrowser, signIn as signInAt } from './harness.js';

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


const signIn = (context, email, password) => signInAt(context, podium.base, email, password);

test('a fan reads a story, buys from it, follows the team and sees its new product in the feed', async () => {
  const fanCtx = await browser.newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
  const fan = await signIn(fanCtx, 'fan@podium.example', 'fan-demo-2026');
  // The fan starts from the stories page, in Korean, shipping to Korea.
  await fan.goto(`${podium.base}/stories?lang=ko&country=KR`);
  await Promise.all([fan.waitForURL(/\/stories\/ice-hockey/), fan.click('text=롤러블레이드로 배운 아이스하키')]);
  assert.match(await fan.textContent('h1'), /롤러블레이드/);
  // Only products the fan can buy in Korea are featured, priced in won.
  const price = await fan.textContent('.card .card-price');
  assert.match(price, /₩/);
  await fan.screenshot({ path: join(shots, 'story-ko.png'), fullPage: true });
  const featured = await fan.getAttribute('.card form input[name=sku]', 'value');
  await Promise.all([fan.waitForURL(/\/cart/), fan.click('[data-testid=story-add-to-cart]')]);
  const sku = featured.split(':')[1];
  assert.ok((await fan.content()).includes(sku), `the cart holds ${featured}`);

  // Follow the team from the story; its page counts the fan.
  await fan.goto(`${podium.base}/stories/ice-hockey-learnt-on-roller-blades?lang=en`);
  const already = await fan.locator('[data-testid=unfollow]').count();
  if (already) {
    await Promise.all([fan.waitForLoadState('load'), fan.click('[data-testid=unfollow]')]);
  }
  await Promise.all([fan.waitForURL(/\/stories\//), fan.click('[data-testid=follow]')]);
  assert.equal(await fan.locator('[data-testid=unfollow]').count(), 1, 'now following');
  await fan.goto(`${podium.base}/properties/kenya-ice-lions?lang=en`);
  assert.match(await fan.textContent('[data-testid=follower-count]'), /follower/);

  // The fan reads the feed now: what comes later is new.
  await fan.goto(`${podium.base}/feed?lang=en&country=KR`);
  assert.equal(await fan.locator('.feed-entry', { hasText: 'Roller Blades Plush' }).count(), 0, 'not approved yet');

  // The licensor approves the plush waiting at its final stage.
  const licensorCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const licensor = await signIn(licensorCtx, 'licensor@podium.example', 'licensor-demo-2026');
  await licensor.goto(`${podium.base}/console/licensing/team-kenya?lang=en`);
  await Promise.all([licensor.waitForURL(/\/submissions\//), licensor.click('text=Kenya Ice Lions Roller Blades Plush')]);
  assert.equal(await licensor.textContent('[data-testid=stage]'), 'Final');
  await licensor.check('input[name=decision][value=approve]');
  await Promise.all([
    licensor.waitForURL(/decided=/),
    licensor.click('form[action$="/decide"] button[type=submit]'),
  ]);

  // Back in the feed, the newly approved plush is there, marked new.
  await fan.goto(`${podium.base}/feed?lang=en&country=KR`);
  const entry = fan.locator('.feed-entry', { hasText: 'Roller Blades Plush' });
  assert.equal(await entry.count(), 1, 'the new product of the followed team');
  assert.equal(await entry.locator('.badge').count(), 1, 'marked new');
  await fan.screenshot({ path: join(shots, 'feed.png'), fullPage: true });
});

test('a shop\'s story about a team goes live when the licensor approves it', async () => {
  const anon = await browser.newPage();
  const waiting = await anon.goto(`${podium.base}/stories/a-seoul-workshop-sews-for-nairobi-s-ice`);
  assert.equal(waiting.status(), 404, 'not public while in review');
  const licensorCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  const licensor = await signIn(licensorCtx, 'licensor@podium.example', 'licensor-demo-2026');
  await licensor.goto(`${podium.base}/console/licensing/team-kenya?lang=en`);
  await Promise.all([licensor.waitForURL(/\/stories$|\/stories\?/), licensor.click('[data-testid=story-reviews-link]')]);
  const panel = licensor.locator('[data-testid=story-review]', { hasText: 'A Seoul workshop sews' });
  assert.equal(await panel.count(), 1);
  await licensor.screenshot({ path: join(shots, 'story-reviews.png'), fullPage: true });
  await Promise.all([licensor.waitForURL(/done=published/), panel.locator('button[value=approve]').click()]);
  const live = await anon.goto(`${podium.base}/stories/a-seoul-workshop-sews-for-nairobi-s-ice?lang=en`);
  assert.equal(live.status(), 200);
  assert.match(await anon.textContent('h1'), /Seoul workshop/);
});
