// Opens pages at a phone's width and reports any wider than the screen (and takes screenshots).
import { chromium } from 'playwright-core';
const base = process.argv[2];
const width = Number(process.argv[3] || 390);
const out = process.argv[4] || '/tmp/shots';
const paths = process.argv.slice(5);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const ctx = await browser.newContext({ viewport: { width, height: 844 }, deviceScaleFactor: 1 });
const page = await ctx.newPage();
if (process.env.SIGNIN) {
  const [email, password] = process.env.SIGNIN.split(':');
  await page.goto(`${base}/signin`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/console/), page.click('form.stack button[type=submit]')]);
}
if (process.env.ADD) {
  await page.goto(`${base}${process.env.ADD}`);
  await Promise.all([page.waitForURL(/\/cart/), page.click('[data-testid=add-to-cart]')]);
}
for (const p of paths) {
  await page.goto(base + p);
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  const name = p.replace(/[^a-z0-9]+/gi, '_').slice(0, 60) || 'home';
  await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: false });
  const wide = await page.evaluate((vw) => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > vw + 1).slice(0, 5).map((e) => `${e.tagName}.${e.className}`), width);
  console.log(`${w > width ? 'WIDE' : 'ok  '} ${w} ${p} ${w > width ? wide.join(' ') : ''}`);
}
await browser.close();
