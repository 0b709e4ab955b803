//! What a fan sees of a product in their language and currency: the resolved text, the price of
//! each variant (explicit price in that currency, else converted at current rates), and the
//! display price of DESIGN §3.1 for the fan's country.

use podium_domain::fx::FxError;
use podium_domain::landed::{DisplayPricer, TradeRules};
use podium_domain::{catalogue, Country, Currency, Lang, Money, RateTable};
use time::Date;

use crate::catalogue::{ProductRecord, Translation, VariantRecord};
use crate::display_rounding::DisplayRounding;

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

/// The net price a fan pays for a variant in `currency`: the shop's explicit price in that
/// currency, else its price converted at `rates` and rounded by the shop's display rounding
/// for that currency, if it set one. The quote, and so the order, charges exactly this.
pub fn shop_price(
    p: &ProductRecord,
    v: &VariantRecord,
    currency: Currency,
    rates: &RateTable,
    rounding: &DisplayRounding,
) -> Result<Money, FxError> {
    let price = variant_price(v, currency, rates)?;
    let converted = v.price.currency != currency && !v.explicit_prices.iter().any(|m| m.currency == currency);
    Ok(match rounding.step(&p.shop.id, currency) {
        Some(step) if converted => step.round_up(price),
        _ => price,
    })
}

/// The variants a "from" price is taken from: those in stock, or all of them when none is (a
/// sold-out product still shows what it costs).
pub fn from_variants(p: &ProductRecord) -> impl Iterator<Item = &VariantRecord> {
    let any = p.variants.iter().any(|v| v.available > 0);
    p.variants.iter().filter(move |v| !any || v.available > 0)
}

/// The lowest price in `currency` among the variants a fan can buy ("from …" on cards), or
/// `None` without variants.
pub fn from_price(p: &ProductRecord, currency: Currency, rates: &RateTable) -> Result<Option<Money>, FxError> {
    let mut lowest: Option<Money> = None;
    for v in from_variants(p) {
        let price = variant_price(v, currency, rates)?;
        if lowest.is_none_or(|l| price.minor < l.minor) {
            lowest = Some(price);
        }
    }
    Ok(lowest)
}

/// Where a fan is shopping from and in what currency, with the rates and trade rules in force.
#[derive(Debug, Clone, Copy)]
pub struct Presentment<'a> {
    pub ship_to: Country,
    pub currency: Currency,
    pub rates: &'a RateTable,
    pub rules: &'a TradeRules,
    pub date: Date,
    /// The shops' display rounding of converted prices.
    pub rounding: &'a DisplayRounding,
}

impl Presentment<'_> {
    /// The display price of a net amount in the presentment currency for this product: the
    /// net price plus, where the fan's country shows prices with tax, the VAT a one-item
    /// consignment from the shop's country would be charged. Search listings compute the same
    /// number from the index (`podium_search`), so cards, sorting and pages agree.
    pub fn display(&self, p: &ProductRecord, net: Money) -> Result<Money, FxError> {
        let pricer = DisplayPricer::new(self.rules, self.ship_to, self.currency, self.date, self.rates)?;
        let from = Country::parse(&p.shop.country).unwrap_or(self.ship_to);
        Ok(Money::new(pricer.price(from, &p.hs_code, net.minor), net.currency))
    }

    pub fn variant_price(&self, p: &ProductRecord, v: &VariantRecord) -> Result<Money, FxError> {
        self.display(p, shop_price(p, v, self.currency, self.rates, self.rounding)?)
    }

    /// The lowest display price among the variants a fan can buy (see [`from_variants`]), or
    /// `None` without variants.
    pub fn from_price(&self, p: &ProductRecord) -> Result<Option<Money>, FxError> {
        let mut lowest: Option<Money> = None;
        for v in from_variants(p) {
            let price = shop_price(p, v, self.currency, self.rates, self.rounding)?;
            if lowest.is_none_or(|l| price.minor < l.minor) {
                lowest = Some(price);
            }
        }
        lowest.map(|net| self.display(p, net)).transpose()
    }

    /// True when prices in the fan's country are shown with tax included.
    pub fn includes_tax(&self) -> bool {
        self.rules.country(self.ship_to).is_some_and(|r| r.prices_include_tax)
    }
}

/// The marketplace-wide SKU of a variant: the shop's own code prefixed by the shop's slug.
pub fn public_sku(shop_slug: &str, sku: &str) -> String {
    format!("{shop_slug}:{sku}")
}

/// How much of a product a visitor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// Anyone: the product is live, the licensor approved it, and it has something to buy.
    Public,
    /// Not public, but the visitor acts for its shop or its property's licensor: a preview.
    Preview,
    /// Not for this visitor: pages and the API answer as if it did not exist.
    Hidden,
}

/// Whether anyone may see a product: live, approved by the licensor, with at least one variant.
/// Search indexes what this admits, and pages, the API, stories and feeds show what it admits.
pub fn is_public(p: &ProductRecord) -> bool {
    p.status == crate::catalogue::ProductStatus::Live && p.approved_at.is_some() && !p.variants.is_empty()
}

/// What a visitor acting for `orgs` (none for a fan) may see of a product: fans see public
/// products only; the shop and the licensor of its property may preview it before.
pub fn visible_to(p: &ProductRecord, orgs: &[crate::Org]) -> Sight {
    if is_public(p) {
        Sight::Public
    } else if insider(p, orgs) {
        Sight::Preview
    } else {
        Sight::Hidden
    }
}

/// Whether a visitor acting for `orgs` speaks for the product: its shop, or the licensor of its
/// property (who may preview it and see what is still pending).
pub fn insider(p: &ProductRecord, orgs: &[crate::Org]) -> bool {
    orgs.iter().any(|o| o.id == p.shop.id || o.id == p.property.licensor_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{ProductStatus, Property, ShopRef};
    use crate::Org;
    use podium_domain::role::OrgKind;
    use time::macros::datetime;

    fn org(id: &str, kind: OrgKind) -> Org {
        Org {
            id: id.into(),
            kind,
            slug: id.into(),
            name: id.into(),
            country: "KE".into(),
            currency: "KES".into(),
            story: String::new(),
            created_at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    fn product(status: ProductStatus, approved: bool, variants: usize) -> ProductRecord {
        let variant = VariantRecord {
            id: "v1".into(),
            sku: "TEE-M".into(),
            options: vec![("Size".into(), "M".into())],
            gtin: None,
            price: Money::new(2500, Currency::parse("KES").expect("KES")),
            explicit_prices: vec![],
            available: 3,
            held: 0,
            stock: vec![],
        };
        ProductRecord {
            id: "p1".into(),
            slug: "tee".into(),
            handle: "tee".into(),
            shop: ShopRef {
                id: "shop".into(),
                slug: "shop".into(),
                name: "Shop".into(),
                country: "KE".into(),
                currency: "KES".into(),
            },
            property: Property {
                id: "prop".into(),
                licensor_id: "licensor".into(),
                licensor_slug: "licensor".into(),
                licensor_name: "Licensor".into(),
                slug: "team".into(),
                name: "Team".into(),
                sport: "athletics".into(),
                emblem: None,
            },
            category_slug: "t-shirts".into(),
            fallback_lang: Lang::En,
            tags: vec![],
            hs_code: "610910".into(),
            origin_country: "KE".into(),
            weight_grams: 200,
            status,
            created_at: datetime!(2026-01-01 0:00 UTC),
            translations: vec![],
            variants: vec![variant; variants],
            images: vec![],
            approved_at: approved.then_some(datetime!(2026-02-01 0:00 UTC)),
            agreements: vec![],
            shipping_profile_id: None,
            shipping: None,
            locations: vec![],
        }
    }

    #[test]
    fn fans_see_only_live_approved_products_with_something_to_buy() {
        let fan: &[Org] = &[];
        assert_eq!(visible_to(&product(ProductStatus::Live, true, 1), fan), Sight::Public);
        assert_eq!(visible_to(&product(ProductStatus::Live, false, 1), fan), Sight::Hidden, "not approved yet");
        assert_eq!(visible_to(&product(ProductStatus::Draft, true, 1), fan), Sight::Hidden, "taken off sale");
        assert_eq!(visible_to(&product(ProductStatus::Live, true, 0), fan), Sight::Hidden, "no variant");
    }

    #[test]
    fn the_shop_and_the_licensor_preview_what_fans_cannot_see_yet() {
        let pending = product(ProductStatus::Live, false, 1);
        for who in [org("shop", OrgKind::Shop), org("licensor", OrgKind::Licensor)] {
            assert_eq!(visible_to(&pending, std::slice::from_ref(&who)), Sight::Preview);
            assert!(insider(&pending, std::slice::from_ref(&who)));
            assert_eq!(visible_to(&product(ProductStatus::Live, true, 1), &[who]), Sight::Public);
        }
        let other_shop = org("elsewhere", OrgKind::Shop);
        assert_eq!(visible_to(&pending, std::slice::from_ref(&other_shop)), Sight::Hidden);
        assert!(!insider(&pending, &[other_shop]));
    }
}
