//! What the index keeps per product for facets, sorting and suggestions ([`Summary`]), where it
//! ships, and the pricing a query asks for.

use podium_app::catalogue::ProductRecord;
use podium_domain::landed::TradeRules;
use podium_domain::licensing::SaleWindow;
use podium_domain::rounding::Step;
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use std::sync::Arc;
use time::Date;

/// What the index keeps in memory per product for facets, sorting and suggestions.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: String,
    pub slug: String,
    pub shop: String,
    pub shop_country: String,
    pub property: String,
    /// The category and its ancestors.
    pub categories: Vec<String>,
    /// The lowest variant price converted to EUR cents at indexing time, for sorting and bands.
    pub price_eur: i64,
    pub created: i64,
    pub in_stock: bool,
    pub titles: Vec<(Lang, String)>,
    pub fallback: Lang,
    /// The display price the query that returned this summary sorted and banded it by (`None`
    /// when the query asked for no pricing); not stored.
    pub price: Option<Money>,
    /// The lowest price in the shop's own currency among the variants a fan can buy; filled
    /// in on the hits a query returns, not stored here.
    pub native: Option<Money>,
}

/// What the index keeps of a product besides its summary, packed or interned in the catalogue
/// rather than held per product.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    /// Where and when its licences let it sell.
    pub(crate) windows: Vec<SaleWindow>,
    pub(crate) hs_code: String,
    /// Where its shipping profile delivers.
    pub(crate) ships_to: ShipsTo,
    /// The lowest variant price in the shop's currency: listings convert it per query.
    pub(crate) native: Option<Money>,
    /// The lowest variant price in each currency some variant has an explicit price in.
    pub(crate) explicit: Vec<Money>,
}

/// The countries a product's shipping profile covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ShipsTo {
    pub rest_of_world: bool,
    pub countries: Vec<Country>,
}

impl ShipsTo {
    pub fn of(p: &ProductRecord) -> ShipsTo {
        let Some(profile) = &p.shipping else { return ShipsTo::default() };
        // A rest-of-the-world zone covers every country: no list to keep.
        if profile.zones.iter().any(|z| z.rest_of_world) {
            return ShipsTo { rest_of_world: true, countries: Vec::new() };
        }
        let mut countries: Vec<Country> = profile.zones.iter().flat_map(|z| z.countries.iter().copied()).collect();
        countries.sort_unstable();
        countries.dedup();
        ShipsTo { rest_of_world: false, countries }
    }

    pub fn covers(&self, c: Country) -> bool {
        self.rest_of_world || self.countries.binary_search(&c).is_ok()
    }

    pub(crate) fn encode(&self) -> String {
        if self.rest_of_world {
            return "*".into();
        }
        self.countries.iter().map(Country::code).collect::<Vec<_>>().join(",")
    }

    pub(crate) fn decode(s: &str) -> ShipsTo {
        if s == "*" {
            return ShipsTo { rest_of_world: true, countries: Vec::new() };
        }
        let mut countries: Vec<Country> = s.split(',').filter_map(|c| Country::parse(c).ok()).collect();
        countries.sort_unstable();
        ShipsTo { rest_of_world: false, countries }
    }
}

/// How a query prices products: the display price of DESIGN §3.1 for this destination and
/// presentment currency, at these rates and trade rules, on this day.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub ship_to: Country,
    pub currency: Currency,
    pub rules: Arc<TradeRules>,
    pub rates: Arc<RateTable>,
    pub date: Date,
    /// Shops' display rounding steps for `currency`, by shop slug.
    pub steps: Vec<(String, Step)>,
}

impl Summary {
    pub fn title(&self, lang: Lang) -> &str {
        podium_domain::catalogue::resolve_lang(&self.titles, |t| t.0, lang, self.fallback)
            .map(|r| r.value.1.as_str())
            .unwrap_or("")
    }
}
