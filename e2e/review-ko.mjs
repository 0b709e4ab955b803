import { chromium } from 'playwright-core';
const B='http://127.0.0.1:8091';
const S='/tmp/review/shots/ko-';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const ctx = await browser.newContext({ viewport:{width:390,height:844}, deviceScaleFactor:1, isMobile:true, hasTouch:true, locale:'ko-KR' });
const page = await ctx.newPage();
page.on('console', m => { if (m.type()==='error') console.log('CONSOLE', m.text()); });
page.on('response', r => { if (r.status()>=400) console.log('HTTP', r.status(), r.url()); });
async function go(url, name){ const t=Date.now(); const r=await page.goto(B+url); const ms=Date.now()-t; console.log(name, r.status(), ms+'ms', page.url()); await page.screenshot({path:S+name+'.png', fullPage:true}); return r; }
async function shot(name){ await page.screenshot({path:S+name+'.png', fullPage:true}); console.log('shot',name,page.url()); }
async function text(){ return (await page.innerText('body')); }
await go('/?lang=ko&country=KR','01-home');
console.log((await text()).slice(0,3000));
await page.screenshot({path:S+'01-home-fold.png'});
