import { chromium } from 'playwright-core';
const B='http://127.0.0.1:8091';
const [role,email,pw,...paths]=process.argv.slice(2);
const S=`/tmp/review/shots/${role}-`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const ctx = await browser.newContext({ viewport:{width:1280,height:900}, locale:'en-GB' });
const page = await ctx.newPage();
page.on('response', r => { if (r.status()>=400) console.log('HTTP', r.status(), r.url()); });
await page.goto(B+'/signin?lang=en');
await page.fill('#email', email); await page.fill('#password', pw);
await Promise.all([page.waitForURL(/\/console/), page.click('form.stack button[type=submit]')]);
console.log('landed', page.url());
let n=0;
const doit = async (label) => { n++; await page.screenshot({path:`${S}${String(n).padStart(2,'0')}-${label}.png`, fullPage:true});
  console.log(`== ${S}${String(n).padStart(2,'0')}-${label}.png ${page.url()}\n`+(await page.innerText('main')).replace(/\n{2,}/g,'\n').slice(0,2500)); };
await doit('landing');
for (const p of paths) { const t=Date.now(); const r=await page.goto(B+p); console.log('TIME', p, r.status(), Date.now()-t,'ms'); await doit(p.split('/').filter(Boolean).slice(-1)[0]); }
await browser.close();
