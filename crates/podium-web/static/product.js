// The product page's variant picker. The radios belong to the add-to-cart form, so what is ticked
// is what is added even without this script. With it, choosing a variant changes the price, the
// stock and whether it can be added at once, then fetches that variant's page for the delivered
// cost (duties, taxes and shipping depend on the variant's price and weight).
(() => {
  const form = document.querySelector('form.add-to-cart[data-product]');
  if (!form) return;
  const radios = form.querySelectorAll('input[type=radio][name=sku]');
  if (radios.length === 0) return;
  const showPrice = form.querySelector('.show-price');
  if (showPrice) showPrice.hidden = true;
  const price = document.querySelector('[data-testid=price]');
  const stock = form.querySelector('[data-testid=stock]');
  const buyNow = form.querySelector('.buy-now');
  let asked = 0;

  const refresh = async (code, seq) => {
    const url = new URL(location.href);
    url.searchParams.set('variant', code);
    try {
      const res = await fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      if (!res.ok || seq !== asked) return;
      const page = new DOMParser().parseFromString(await res.text(), 'text/html');
      if (seq !== asked) return;
      // The delivered cost, the product facts (SKU) and the kept preference are the variant's own.
      for (const sel of ['[data-testid=delivered]', '.facts']) {
        const now = document.querySelector(sel);
        const next = page.querySelector(sel);
        if (now && next) now.replaceWith(document.importNode(next, true));
        else if (now) now.remove();
      }
      const fresh = page.querySelector('form.add-to-cart [data-testid=stock]');
      if (fresh && stock) stock.textContent = fresh.textContent;
    } catch (_) {
      // The page already shows the chosen variant's price and stock; the delivered cost stays
      // until the next choice.
    }
  };

  const choose = (radio) => {
    const d = radio.dataset;
    if (price) price.textContent = d.price;
    if (stock) {
      stock.textContent = d.stock;
      stock.classList.toggle('out', d.buyable !== 'true');
    }
    if (buyNow) buyNow.hidden = d.buyable !== 'true';
    const url = new URL(location.href);
    url.searchParams.set('variant', d.code);
    history.replaceState(null, '', url);
    // Changing country or currency keeps this variant.
    const kept = document.querySelector('form.prefs input[name=variant]');
    if (kept) kept.value = d.code;
    asked += 1;
    refresh(d.code, asked);
  };

  radios.forEach((r) => r.addEventListener('change', () => choose(r)));
})();
