import { chromium } from 'playwright-core';
const B='http://127.0.0.1:8091';
const S='/tmp/review/shots/edge2-';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const ctx = await browser.newContext({ viewport:{width:390,height:844}, deviceScaleFactor:1, isMobile:true, hasTouch:true, locale:'ko-KR' });
const page = await ctx.newPage();
page.on('response', r => { if (r.status()>=400) console.log('HTTP', r.status(), r.url()); });
const txt = async () => (await page.innerText('main')).replace(/\n{2,}/g,'\n').slice(0,1500);
await page.goto(B+'/products/hanok-threads-pyeongchang-2018-white-tiger-tee?lang=ko&country=KR&variant=TEE-P2-S');
const el = await page.$('.add-to-cart'); await el.scrollIntoViewIfNeeded(); await page.screenshot({path:S+'soldout-form.png'});
console.log('addbtn', await page.$eval('[data-testid=add-to-cart]', b=>({dis:b.disabled, txt:b.innerText, hidden:getComputedStyle(b).display})));
await page.click('[data-testid=add-to-cart]').catch(e=>console.log('click fail', e.message)); await page.waitForLoadState();
console.log('SOLDOUT ADD ->', page.url(), await txt());
// checkout validation: add M, go to checkout, submit empty / bad email
await page.goto(B+'/products/hanok-threads-pyeongchang-2018-white-tiger-tee?variant=TEE-P2-M');
await Promise.all([page.waitForURL(/\/cart$/), page.click('[data-testid=add-to-cart]')]);
// quantity update to 0
await page.fill('input[name=quantity]','0').catch(e=>console.log(e.message));
await page.click('text=변경').catch(e=>console.log('upd',e.message)); await page.waitForLoadState();
console.log('QTY0 ->', page.url(), (await txt()).slice(0,400));
await page.goto(B+'/products/hanok-threads-pyeongchang-2018-white-tiger-tee?variant=TEE-P2-M');
await Promise.all([page.waitForURL(/\/cart$/), page.click('[data-testid=add-to-cart]')]);
await page.click('[data-testid=go-checkout]'); await page.waitForLoadState();
// disable HTML5 validation to see server messages
await page.$eval('[data-testid=address-form]', f=>f.noValidate=true);
await page.fill('#email','not-an-email');
await page.click('[data-testid=address-form] button[type=submit]'); await page.waitForLoadState();
console.log('BADADDR ->', page.url(), await txt()); await page.screenshot({path:S+'badaddr.png', fullPage:true});
// HTML5 validity message
await page.goto(B+'/checkout');
await page.click('[data-testid=address-form] button[type=submit]');
console.log('html5 msg', await page.$eval('#email', e=>e.validationMessage));
await page.fill('#email','minji@example.com'); await page.fill('#name','김민지'); await page.fill('#line1','세종대로 12'); await page.fill('#city','서울'); await page.fill('#postal_code','04524');
await Promise.all([page.waitForNavigation(), page.click('[data-testid=address-form] button[type=submit]')]);
await Promise.all([page.waitForNavigation(), page.click('[data-testid=shipping-step] a.button')]);
await page.click('text=테스트 카드'); await page.waitForTimeout(200); await page.screenshot({path:S+'testcards.png', fullPage:true});
console.log('PAY', await txt());
await page.fill('#card_number','4000 0000 0000 0002');
await Promise.all([page.waitForNavigation(), page.click('[data-testid=payment-form] button[type=submit]')]);
await page.click('[data-testid=place-order]'); await page.waitForLoadState(); await page.waitForTimeout(500);
console.log('DECLINED ->', page.url(), await txt()); await page.screenshot({path:S+'declined.png', fullPage:true});
// invalid card number
await page.fill('#card_number','1234');
await page.$eval('[data-testid=payment-form]', f=>f.noValidate=true);
await page.click('[data-testid=payment-form] button[type=submit]'); await page.waitForLoadState();
console.log('BADCARD ->', page.url(), (await txt()).slice(0,600)); await page.screenshot({path:S+'badcard.png'});
// browser back after order? go review then back
await browser.close();
