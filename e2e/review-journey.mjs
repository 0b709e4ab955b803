import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
const [tag, lang, country, w, h, query, mobile, name, line1, city, postal, region] = process.argv.slice(2);
const B='http://127.0.0.1:8091';
const S=`/tmp/review/shots/${tag}-`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const opts = { viewport:{width:+w,height:+h}, locale: lang };
if (mobile==='1') Object.assign(opts,{deviceScaleFactor:1,isMobile:true,hasTouch:true});
const ctx = await browser.newContext(opts);
const page = await ctx.newPage();
page.on('console', m => { if (m.type()==='error') console.log('CONSOLE', m.text()); });
page.on('response', r => { if (r.status()>=400) console.log('HTTP', r.status(), r.url()); });
let n=0;
async function shot(label){ n++; const f=`${S}${String(n).padStart(2,'0')}-${label}`; await page.screenshot({path:f+'.png'}); await page.screenshot({path:f+'-full.png', fullPage:true});
  const info = await page.evaluate(() => {
    const vw=document.documentElement.clientWidth, sw=document.documentElement.scrollWidth;
    const small=[...document.querySelectorAll('a,button,input,select,label')].filter(e=>{const r=e.getBoundingClientRect(); const st=getComputedStyle(e); return r.width>0 && r.height>0 && st.visibility!=='hidden' && (r.height<24||r.width<24) && !(e.tagName==='INPUT' && (e.type==='hidden'))}).slice(0,8).map(e=>`${e.tagName}${e.type?'['+e.type+']':''} "${(e.innerText||e.value||e.getAttribute('aria-label')||'').trim().slice(0,30)}" ${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`);
    return {vw,sw,small,title:document.title};
  });
  console.log(`== ${f} ${page.url()} title="${info.title}" width ${info.sw}/${info.vw} small: ${info.small.join(' | ')}`);
}
async function timed(label, fn){ const t=Date.now(); await fn(); console.log(`TIME ${label} ${Date.now()-t}ms`); }
async function body(){ const t = await page.innerText('main').catch(()=>page.innerText('body')); console.log('---TEXT---\n'+t.replace(/\n{2,}/g,'\n').slice(0,2500)+'\n----------'); }

await timed('home', ()=>page.goto(`${B}/?lang=${lang}&country=${country}`));
await shot('home');
// search through the box
await page.fill('#q', query);
await timed('search', ()=>Promise.all([page.waitForNavigation(), page.press('#q','Enter')]));
await shot('search'); await body();
// open first product
const first = page.locator('main a[href^="/products/"]').first();
console.log('first result', await first.getAttribute('href'));
await timed('product', ()=>Promise.all([page.waitForNavigation(), first.click()]));
await shot('product'); await body();
// pick a size: the third buyable variant if any
const radios = page.locator('input[name=sku][data-buyable=true]');
const cnt = await radios.count(); console.log('buyable variants', cnt);
const pick = radios.nth(Math.min(1,cnt-1));
const pickedPrice = await pick.getAttribute('data-price'); console.log('picked', await pick.getAttribute('data-code'), pickedPrice);
await pick.check();
await page.waitForTimeout(300);
console.log('price shown after pick', await page.textContent('[data-testid=price]'));
await shot('size');
await timed('add', ()=>Promise.all([page.waitForURL(/\/cart/), page.click('[data-testid=add-to-cart]')]));
await shot('cart'); await body();
await timed('checkout', ()=>Promise.all([page.waitForNavigation(), page.click('[data-testid=go-checkout]')]));
await shot('address'); await body();
const formHtml = await page.innerHTML('[data-testid=address-form]'); writeFileSync(`${S}address-form.html`, formHtml);
await page.fill('#email', 'fan-'+tag+'@example.com');
await page.fill('#name', name);
await page.fill('#line1', line1);
await page.fill('#city', city);
await page.fill('#postal_code', postal);
if (region && await page.$('#region')) { const tagn = await page.$eval('#region', e=>e.tagName); if (tagn==='SELECT') await page.selectOption('#region', region); else await page.fill('#region', region); }
await timed('address-submit', ()=>Promise.all([page.waitForNavigation(), page.click('[data-testid=address-form] button[type=submit]')]));
await shot('shipping'); await body();
await timed('shipping-submit', ()=>Promise.all([page.waitForNavigation(), page.click('[data-testid=shipping-step] a.button')]));
await shot('payment'); await body();
await page.fill('#card_number', '4242 4242 4242 4242');
await shot('payment-filled');
await timed('pay-submit', ()=>Promise.all([page.waitForNavigation(), page.click('[data-testid=payment-form] button[type=submit]')]));
await shot('review'); await body();
await timed('place', ()=>Promise.all([page.waitForSelector('[data-testid=order-placed]'), page.click('[data-testid=place-order]')]));
await shot('order'); await body();
console.log('ORDERURL', page.url());
await browser.close();
