//! What a fan sees of a product in their language and currency: the resolved text, the price of
//! each variant (explicit price in that currency, else converted at current rates).

use podium_domain::fx::FxError;
use podium_domain::{catalogue, Currency, Lang, Money, RateTable};

use crate::catalogue::{ProductRecord, Translation, VariantRecord};

/// The text of a product in `lang`, with the language it is actually in.
pub struct Text<'a> {
    pub translation: &'a Translation,
    pub is_fallback: bool,
}

pub fn text(p: &ProductRecord, lang: Lang) -> Option<Text<'_>> {
    catalogue::resolve_lang(&p.translations, |t| t.lang, lang, p.fallback_lang)
        .map(|r| Text { translation: r.value, is_fallback: r.is_fallback })
}

pub fn variant_price(v: &VariantRecord, currency: Currency, rates: &RateTable) -> Result<Money, FxError> {
    catalogue::price_in(v.price, &v.explicit_prices, currency, rates)
}

/// The lowest variant price in `currency` ("from …" on cards), or `None` without variants.
pub fn from_price(p: &ProductRecord, currency: Currency, rates: &RateTable) -> Result<Option<Money>, FxError> {
    let mut lowest: Option<Money> = None;
    for v in &p.variants {
        let price = variant_price(v, currency, rates)?;
        if lowest.is_none_or(|l| price.minor < l.minor) {
            lowest = Some(price);
        }
    }
    Ok(lowest)
}

/// The marketplace-wide SKU of a variant: the shop's own code prefixed by the shop's slug.
pub fn public_sku(shop_slug: &str, sku: &str) -> String {
    format!("{shop_slug}:{sku}")
}
