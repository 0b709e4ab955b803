//! What the storefront asks of search (the [`SearchIndex`] port, implemented by `podium-search`)
//! and the one use case that answers a listing: search, "did you mean", the page's records and
//! their display prices now.

use std::collections::BTreeMap;
use std::sync::Arc;

use podium_domain::landed::TradeRules;
use podium_domain::rounding::Step;
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use time::Date;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl Sort {
    /// `relevance`, `price_asc`, `price_desc` or `newest`.
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "price_asc" => Some(Sort::PriceAsc),
            "price_desc" => Some(Sort::PriceDesc),
            "newest" => Some(Sort::Newest),
            _ => None,
        }
    }
}

/// How a query prices products: the display price (DESIGN §3.1) for this destination and
/// presentment currency, at these rates and trade rules, on this day.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub ship_to: Country,
    pub currency: Currency,
    pub rules: Arc<TradeRules>,
    pub rates: Arc<RateTable>,
    pub date: Date,
    /// The display rounding steps shops set for `currency`, by shop slug: a converted price is
    /// rounded up to its shop's step, as the product page, the quote and the order round it.
    pub steps: Vec<(String, Step)>,
}

/// A search of the catalogue: text, filters, sort and page.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub q: String,
    pub property: Option<String>,
    pub category: Option<String>,
    pub shop: Option<String>,
    pub shop_country: Option<String>,
    pub in_stock_only: bool,
    /// Only products whose price (lowest variant; minor units of the pricing currency, EUR
    /// cents without pricing) lies in `[from, to)`.
    pub price: Option<(i64, i64)>,
    /// `None` means relevance with a query and newest without one.
    pub sort: Option<Sort>,
    pub offset: usize,
    pub limit: usize,
    /// Price band edges in the same units as `price`, ascending; counts come back per band.
    pub price_edges: Vec<i64>,
    /// Sort, band and filter by the display price for a destination and currency; without it,
    /// by the net price in EUR.
    pub pricing: Option<Pricing>,
    /// Only products that may be delivered to this country (the fan's ship-to).
    pub country: Option<Country>,
    /// The moment licences are checked at, in microseconds since the epoch; `None` is now.
    pub at_us: Option<i64>,
}

/// Counts of every match by facet value.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub property: BTreeMap<String, u64>,
    pub category: BTreeMap<String, u64>,
    pub shop: BTreeMap<String, u64>,
    pub shop_country: BTreeMap<String, u64>,
    /// One count per band: below the first edge, between edges, above the last.
    pub price_bands: Vec<u64>,
    pub in_stock: u64,
}

/// One result as listings show it, from the index alone: a listing reads nothing from the
/// store. The index follows the outbox, and everything a listing shows moves it (a product's
/// text and prices, a variant selling out or coming back, a shop's rounding, rates, licences).
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    pub slug: String,
    pub titles: Vec<(Lang, String)>,
    pub fallback: Lang,
    /// The shop's slug and country.
    pub shop: String,
    pub shop_country: String,
    /// The property's slug.
    pub property: String,
    /// The product's own category's slug.
    pub category: String,
    pub in_stock: bool,
    /// The display price the query sorted and banded it by (`None` without pricing, or
    /// without a rate into the presentment currency).
    pub price: Option<Money>,
    /// The lowest price in the shop's own currency among the variants a fan can buy.
    pub native: Option<Money>,
}

impl Hit {
    /// The title in `lang`, else in the product's own language, else any; with the language
    /// it is in and whether that is a fallback.
    pub fn title(&self, lang: Lang) -> Option<(&str, Lang, bool)> {
        podium_domain::catalogue::resolve_lang(&self.titles, |t| t.0, lang, self.fallback)
            .map(|r| (r.value.1.as_str(), r.lang, r.is_fallback))
    }
}

/// A page of results and the facets of every match.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub total: usize,
    /// The page, after sorting and the shop-diversity re-rank.
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// A product suggested while a fan types.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub slug: String,
    pub titles: Vec<(Lang, String)>,
    pub fallback: Lang,
}

impl Suggestion {
    /// The title in `lang`, else the product's own language's.
    pub fn title(&self, lang: Lang) -> &str {
        podium_domain::catalogue::resolve_lang(&self.titles, |t| t.0, lang, self.fallback)
            .map(|r| r.value.1.as_str())
            .unwrap_or("")
    }
}

/// The search index failed (a broken index directory, say); the message is for the log.
#[derive(Debug, thiserror::Error)]
#[error("search failed: {0}")]
pub struct SearchFailed(pub String);

/// What the storefront asks of this node's search index.
pub trait SearchIndex: Send + Sync {
    fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchFailed>;
    /// A close query that finds something, for a query that finds nothing.
    fn did_you_mean(&self, q: &SearchQuery) -> Result<Option<String>, SearchFailed>;
    fn suggest(&self, text: &str, country: Option<Country>, limit: usize) -> Result<Vec<Suggestion>, SearchFailed>;
    /// The outbox position this index has caught up to.
    fn position(&self) -> i64;
}

/// A listing found: the page in result order, the facets of every match, and a suggestion
/// when nothing matched.
#[derive(Debug, Clone)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    pub did_you_mean: Option<String>,
}

/// Runs `query` on this node's index. Nothing is read from the store: the page costs what the
/// index's pass over the matches costs, whatever the size of the catalogue in the database.
pub fn find(index: &dyn SearchIndex, query: &SearchQuery) -> Result<Found, SearchFailed> {
    let result = index.search(query)?;
    let did_you_mean = match result.total {
        0 if !query.q.trim().is_empty() => index.did_you_mean(query)?,
        _ => None,
    };
    Ok(Found { total: result.total, hits: result.hits, facets: result.facets, did_you_mean })
}
