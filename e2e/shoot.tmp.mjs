import { launchBrowser } from './tests/harness.js';
const [base, email, pass, ...paths] = process.argv.slice(2);
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
if (email && email !== '-') {
  await page.goto(`${base}/signin`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', pass);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
}
let i = 0;
for (const p of paths) {
  const [path, action] = p.split('|');
  await page.goto(base + path);
  if (action === 'open') { await page.click('details summary').catch(() => {}); }
  await page.screenshot({ path: `/tmp/shots/${i}.png`, fullPage: action === 'full' });
  i++;
}
await browser.close();
