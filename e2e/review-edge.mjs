import { chromium } from 'playwright-core';
const B='http://127.0.0.1:8091';
const S='/tmp/review/shots/edge-';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const ctx = await browser.newContext({ viewport:{width:390,height:844}, deviceScaleFactor:1, isMobile:true, hasTouch:true, locale:'ko-KR' });
const page = await ctx.newPage();
page.on('response', r => { if (r.status()>=400) console.log('HTTP', r.status(), r.url()); });
const txt = async () => (await page.innerText('main')).replace(/\n{2,}/g,'\n').slice(0,1200);
await page.goto(B+'/?lang=ko&country=KR');
// menu toggle
await page.click('label[for=menu-toggle]').catch(e=>console.log('menu label click failed', e.message));
await page.waitForTimeout(300);
await page.screenshot({path:S+'menu.png'});
await page.goto(B+'/?lang=ko&country=KR');
await page.click('label[for=prefs-toggle]').catch(e=>console.log('prefs click failed', e.message));
await page.waitForTimeout(300);
await page.screenshot({path:S+'prefs.png'});
// empty cart
await page.goto(B+'/cart'); console.log('EMPTY CART', await txt()); await page.screenshot({path:S+'empty-cart.png'});
// 404
await page.goto(B+'/no-such-page'); console.log('404', (await page.innerText('body')).slice(0,500)); await page.screenshot({path:S+'404.png'});
// no results
await page.goto(B+'/search?q=%EC%86%90%ED%9D%94%EB%AF%BC'); console.log('NORESULT', await txt()); await page.screenshot({path:S+'noresult.png'});
// typo search
await page.goto(B+'/search?q=%ED%9B%84%EB%93%9C'); console.log('HOOD', (await txt()).slice(0,300));
// search filters toggle
await page.goto(B+'/search?q=%ED%8B%B0%EC%85%94%EC%B8%A0');
await page.click('text=필터').catch(e=>console.log('filter click failed', e.message));
await page.waitForTimeout(300); await page.screenshot({path:S+'filters.png'});
// product: quantity more than stock
await page.goto(B+'/products/hanok-threads-pyeongchang-2018-white-tiger-tee?variant=TEE-P2-M');
await page.fill('.add-to-cart input[name=quantity]','5');
await page.click('[data-testid=add-to-cart]'); await page.waitForLoadState();
console.log('OVERSTOCK url', page.url()); console.log(await txt()); await page.screenshot({path:S+'overstock.png', fullPage:true});
// sold out size chosen
await page.goto(B+'/products/hanok-threads-pyeongchang-2018-white-tiger-tee?variant=TEE-P2-S');
await page.screenshot({path:S+'soldout.png'});
console.log('SOLDOUT add disabled?', await page.isDisabled('[data-testid=add-to-cart]').catch(()=> 'n/a'), await page.textContent('[data-testid=price]'));
await browser.close();
