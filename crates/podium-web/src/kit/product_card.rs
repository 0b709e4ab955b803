//! A product as a card shows it in listings, search, the home page and stories: its title in
//! the reader's language, its shop and its "from" price. It imports no area.

use podium_app::catalogue::ProductRecord;
use podium_app::storefront;

use crate::kit::i18n::Tr;

/// A product as a card shows it.
#[derive(Clone)]
pub struct Card {
    pub slug: String,
    pub title: String,
    pub lang: &'static str,
    pub is_fallback: bool,
    pub shop: String,
    pub price: String,
    pub sold_out: bool,
}

/// A card for a listed product at the display price the listing found (`None`: no rate for the
/// chosen currency, so the shop's own price stands in).
pub fn card(tr: &Tr, p: &ProductRecord, price: Option<podium_domain::Money>) -> Card {
    let text = storefront::text(p, tr.lang);
    Card {
        slug: p.slug.clone(),
        title: text.as_ref().map(|t| t.translation.title.clone()).unwrap_or_else(|| p.handle.clone()),
        lang: text.as_ref().map(|t| t.translation.lang.tag()).unwrap_or("en"),
        is_fallback: text.as_ref().is_some_and(|t| t.is_fallback),
        shop: p.shop.name.clone(),
        // Without a rate for the chosen currency, show the shop's own price rather than nothing.
        price: match price {
            Some(m) => tr.t1("card-from", "price", &tr.money(m)),
            None => storefront::from_variants(p)
                .map(|v| v.price)
                .min_by_key(|m| m.minor)
                .map(|m| tr.t1("card-from", "price", &tr.money(m)))
                .unwrap_or_default(),
        },
        sold_out: p.available() == 0,
    }
}

/// A card for a search hit, with its shop's name; the display price the index found, else the
/// shop's own price (no rate for the chosen currency).
pub fn hit_card(tr: &Tr, h: &podium_app::search::Hit, shop_name: &str) -> Card {
    let (title, lang, is_fallback) = h.title(tr.lang).unwrap_or((h.slug.as_str(), tr.lang, true));
    Card {
        slug: h.slug.clone(),
        title: title.to_string(),
        lang: lang.tag(),
        is_fallback,
        shop: shop_name.to_string(),
        price: h.price.or(h.native).map(|m| tr.t1("card-from", "price", &tr.money(m))).unwrap_or_default(),
        sold_out: !h.in_stock,
    }
}
