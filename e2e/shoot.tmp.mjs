// Ad-hoc screenshots of a running server: node e2e/shoot.mjs BASE email password path...
import { chromium } from 'playwright-core';
const [base, email, password, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
if (email !== '-') {
  await page.goto(`${base}/signin`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('form.stack button[type=submit]');
}
for (const [i, p] of paths.entries()) {
  await page.goto(`${base}${p}`);
  await page.screenshot({ path: `/tmp/shots/${i}.png`, fullPage: true });
  console.log(i, p, await page.title());
}
await browser.close();
