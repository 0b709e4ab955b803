import { chromium } from 'playwright-core';
const B='http://127.0.0.1:8091';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const ctx = await browser.newContext({ viewport:{width:1280,height:900}, locale:'en-GB' });
const page = await ctx.newPage();
await page.goto(B+'/signin?lang=en');
await page.fill('#email', 'merchant@podium.example'); await page.fill('#password', 'merchant-demo-2026');
await Promise.all([page.waitForURL(/\/console/), page.click('form.stack button[type=submit]')]);
await page.goto(B+'/console/shops/hanok-threads/money');
for (const d of await page.$$('details')) await d.evaluate(e=>e.open=true);
console.log(await page.innerText('main'));
await page.screenshot({path:'/tmp/review/shots/merchant-money-open.png', fullPage:true});
// order detail of US order
await page.goto(B+'/console/shops/hanok-threads/orders');
await page.click('text=PD-KKNS-G2EX'); await page.waitForLoadState();
console.log('ORDER', page.url()); console.log(await page.innerText('main'));
await page.screenshot({path:'/tmp/review/shots/merchant-order.png', fullPage:true});
await browser.close();
