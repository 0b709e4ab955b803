// The web's conventions as a browser meets them: the head of a product page (canonical,
// language alternates, link-preview data, icon, manifest), each language at its own address,
// the language switcher, and the well-known files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPodium, launchBrowser } from './harness.js';

let podium;
let browser;
const shots = join(import.meta.dirname, '..', 'screenshots');
const PRODUCT = '/products/hanok-threads-kenya-ice-lions-face-off-tee';

before(async () => {
  mkdirSync(shots, { recursive: true });
  podium = await startPodium();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await podium?.stop();
});

test('a product page tells search engines and link previews what it is', async () => {
  const page = await browser.newPage();
  await page.goto(`${podium.base}${PRODUCT}?lang=en&country=KR`);
  const head = await page.evaluate(() => {
    const meta = (k) => document.querySelector(`meta[property="${k}"], meta[name="${k}"]`)?.content;
    return {
      canonical: document.querySelector('link[rel=canonical]')?.href,
      alternates: [...document.querySelectorAll('link[rel=alternate][hreflang]')].map((l) => [l.hreflang, l.href]),
      description: meta('description'),
      ogTitle: meta('og:title'),
      ogImage: meta('og:image'),
      card: meta('twitter:card'),
      icon: document.querySelector('link[rel=icon]')?.href,
      manifest: document.querySelector('link[rel=manifest]')?.href,
      title: document.title,
    };
  });
  // `podium demo` without --public-url is reached at its listen address.
  assert.equal(head.canonical, `${podium.base}${PRODUCT}`);
  assert.deepEqual(
    head.alternates.map(([l]) => l).sort(),
    ['en', 'fr', 'ja', 'ko', 'x-default', 'zh-Hans'],
  );
  assert.ok(head.alternates.some(([l, h]) => l === 'ko' && h === `${podium.base}/ko${PRODUCT}`));
  assert.ok(head.description.startsWith('T-shirt from Hanok Threads'), head.description);
  assert.ok(head.title.startsWith(head.ogTitle), `${head.title} / ${head.ogTitle}`);
  assert.equal(head.card, 'summary_large_image');
  // The preview picture is a real PNG at an absolute address.
  assert.equal(head.ogImage, `${podium.base}${PRODUCT}/art.png`);
  const image = await fetch(head.ogImage);
  assert.equal(image.headers.get('content-type'), 'image/png');
  const icon = await fetch(head.icon);
  assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  const manifest = await (await fetch(head.manifest)).json();
  assert.equal(manifest.start_url, '/');
  await page.close();
});

test('the language switcher goes to each language\'s address, and the language stays while browsing', async () => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${podium.base}${PRODUCT}?country=KR`);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', 'the unprefixed address follows the browser');
  await page.click('footer .langs a[hreflang="ko"]');
  await page.waitForURL(`${podium.base}/ko${PRODUCT}?country=KR`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.equal((await page.textContent('h1')).trim(), '케냐 아이스 라이언스 페이스오프 티셔츠');
  assert.equal(await page.getAttribute('footer .langs a[hreflang="ko"]', 'aria-current'), 'true');
  await page.locator('footer').screenshot({ path: join(shots, 'conventions-footer-ko.png') });
  // On through an ordinary link: still Korean.
  await page.click('a.brand');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  // A Korean address shows Korean even to a browser that chose Japanese before.
  await page.goto(`${podium.base}/stories?lang=ja`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.goto(`${podium.base}/ko/stories`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  await context.close();
});

test('robots.txt, the sitemap, security.txt and the stories feed answer', async () => {
  const robots = await (await fetch(`${podium.base}/robots.txt`)).text();
  assert.match(robots, new RegExp(`^Sitemap: ${podium.base}/sitemap.xml$`, 'm'));
  const sitemap = await fetch(`${podium.base}/sitemap.xml`);
  assert.equal(sitemap.headers.get('content-type'), 'application/xml; charset=utf-8');
  assert.ok((await sitemap.text()).includes(`<loc>${podium.base}/ja${PRODUCT}</loc>`));
  const security = await (await fetch(`${podium.base}/.well-known/security.txt`)).text();
  assert.match(security, /^Contact: mailto:security@127\.0\.0\.1$/m);
  assert.match(security, /^Expires: \d{4}-\d\d-\d\dT/m);
  const feed = await fetch(`${podium.base}/stories/feed.atom`);
  assert.equal(feed.headers.get('content-type'), 'application/atom+xml; charset=utf-8');
  assert.ok((await feed.text()).includes(`<link rel="self" href="${podium.base}/stories/feed.atom"/>`));
});
