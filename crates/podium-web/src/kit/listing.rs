//! A catalogue listing as pages and the API show it: who prices are for, the search's
//! parameters, and its results shaped with labels in the reader's language.

use crate::kit::error::ApiError;
use crate::kit::format::category_name;
use crate::kit::i18n::Tr;
use crate::kit::json::MoneyJson;
use crate::AppState;
use podium_app::catalogue::ProductRecord;
use podium_app::pricing::Reference;
use podium_app::quote::Undeliverable;
use podium_app::search::{self, Hit, Pricing, SearchQuery, Sort};
use podium_app::storefront::{self, Presentment};
use podium_domain::licensing::NotSellable;
use podium_domain::{Country, Currency, Money, RateTable};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Price bands for the facet, as edges in EUR cents; each currency uses them converted and
/// rounded to a round figure (20 EUR is 20 USD, 3,000 JPY or 30,000 KRW).
pub const PRICE_EDGES_EUR: [i64; 3] = [2000, 4000, 6000];

/// The facet's band edges in `currency`'s minor units: the EUR edges converted and rounded to
/// the nearest 1, 2 or 5 × a power of ten, at least one major unit, ascending and distinct.
pub fn price_edges(currency: Currency, rates: &RateTable) -> Vec<i64> {
    let unit = 10i64.pow(u32::from(currency.exponent()));
    let mut edges: Vec<i64> = PRICE_EDGES_EUR
        .iter()
        .filter_map(|e| rates.convert(Money::new(*e, Currency::EUR), currency).ok())
        .map(|m| {
            let mut p = unit;
            while p.saturating_mul(10) <= m.minor {
                p = p.saturating_mul(10);
            }
            [p, 2 * p, 5 * p, 10 * p].into_iter().min_by_key(|c| (c - m.minor).abs()).unwrap_or(p)
        })
        .collect();
    edges.dedup();
    edges
}

/// Who prices are for: the ship-to country and the presentment currency.
#[derive(Debug, Clone, Copy)]
pub struct Shopper {
    pub ship_to: Country,
    pub currency: Currency,
}

impl Shopper {
    /// Prices for this shopper on `date` (the day of the request, from the `Clock`).
    pub fn presentment<'a>(&self, reference: &'a podium_app::pricing::Reference, date: time::Date) -> Presentment<'a> {
        Presentment {
            ship_to: self.ship_to,
            currency: self.currency,
            rates: &reference.rates,
            rules: &reference.rules,
            date,
            rounding: &reference.rounding,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Named {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ShopJson {
    pub slug: String,
    pub name: String,
    pub country: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: String,
    pub slug: String,
    pub title: String,
    /// The language `title` is in (the shop's fallback where no translation exists).
    pub title_lang: String,
    pub shop: ShopJson,
    pub property: Named,
    pub category: Named,
    /// The display price: the lowest variant's net price in the presentment currency plus,
    /// where the ship-to country shows prices with tax, the VAT one item would be charged.
    pub price: MoneyJson,
    /// True when `price` includes VAT or GST (the ship-to country's convention).
    pub price_includes_tax: bool,
    pub sellable: bool,
    pub in_stock: bool,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct FacetsJson {
    pub property: Vec<FacetValue>,
    pub category: Vec<FacetValue>,
    pub shop: Vec<FacetValue>,
    pub shop_country: Vec<FacetValue>,
    pub price: Vec<FacetValue>,
    /// How many of the results are in stock.
    pub in_stock: u64,
}

/// Why a product cannot be bought, in the reader's language.
pub fn not_sellable_text(tr: &Tr, reason: &NotSellable) -> String {
    match reason {
        NotSellable::Territory(c) => tr.t1("reason-territory", "country", &tr.country(*c)),
        NotSellable::Expired(_) | NotSellable::NotYet(_) => tr.t("reason-term"),
        _ => tr.t("reason-off-sale"),
    }
}

/// A product as listings show it, at the display price given.
pub fn summary(p: &ProductRecord, tr: &Tr, price: Money, includes_tax: bool) -> Option<ProductSummary> {
    let text = storefront::text(p, tr.lang)?;
    Some(ProductSummary {
        id: p.id.clone(),
        slug: p.slug.clone(),
        title: text.translation.title.clone(),
        title_lang: text.translation.lang.tag().to_string(),
        shop: ShopJson { slug: p.shop.slug.clone(), name: p.shop.name.clone(), country: p.shop.country.clone() },
        property: Named { slug: p.property.slug.clone(), name: p.property.name.clone() },
        category: Named { slug: p.category_slug.clone(), name: category_name(tr, &p.category_slug) },
        price: price.into(),
        price_includes_tax: includes_tax,
        sellable: true,
        in_stock: p.available() > 0,
        url: format!("/products/{}", p.slug),
    })
}

pub(crate) fn price_bands(tr: &Tr, counts: &[u64], currency: Currency, edges: &[i64]) -> Vec<FacetValue> {
    let edge = |e: i64| tr.money(Money::new(e, currency));
    counts
        .iter()
        .enumerate()
        .filter(|_| !edges.is_empty())
        .map(|(i, count)| {
            let (value, label) = match i {
                0 => (format!("-{}", edges[0]), tr.t1("facet-price-under", "price", &edge(edges[0]))),
                n if n == edges.len() => {
                    (format!("{}-", edges[n - 1]), tr.t1("facet-price-over", "price", &edge(edges[n - 1])))
                }
                n => (format!("{}-{}", edges[n - 1], edges[n]), format!("{} – {}", edge(edges[n - 1]), edge(edges[n]))),
            };
            FacetValue { value, label, count: *count }
        })
        .collect()
}

/// Facet values with localized labels, most frequent first.
pub fn facet(counts: &BTreeMap<String, u64>, label: impl Fn(&str) -> String) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> =
        counts.iter().map(|(v, c)| FacetValue { value: v.clone(), label: label(v), count: *c }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    out
}

pub struct Listing {
    pub total: usize,
    pub items: Vec<ProductSummary>,
    pub facets: FacetsJson,
    /// The page's hits in result order, with their display prices, for the storefront's cards.
    pub hits: Vec<Hit>,
    /// A close query that finds something, when this one finds nothing.
    pub did_you_mean: Option<String>,
    /// The reference data the page was priced and named with.
    pub reference: std::sync::Arc<Reference>,
}

impl Listing {
    /// The page's hits as storefront cards.
    pub fn cards(&self, tr: &Tr) -> Vec<crate::kit::product_card::Card> {
        self.hits.iter().map(|h| crate::kit::product_card::hit_card(tr, h, self.reference.shop_name(&h.shop))).collect()
    }
}

/// Parses a price band value (`-2000`, `2000-4000`, `6000-`) into `[from, to)` minor units.
pub fn parse_band(v: &str) -> Option<(i64, i64)> {
    let (a, b) = v.split_once('-')?;
    let from = if a.is_empty() { i64::MIN } else { a.parse().ok()? };
    let to = if b.is_empty() { i64::MAX } else { b.parse().ok()? };
    (from < to).then_some((from, to))
}

pub struct ListingParams {
    pub q: String,
    pub price: Option<(i64, i64)>,
    pub in_stock: bool,
    pub property: Option<String>,
    pub category: Option<String>,
    pub shop: Option<String>,
    pub sort: Option<Sort>,
    pub page: usize,
    pub per_page: usize,
    /// Only products that may be delivered there (their licences checked now).
    pub country: Option<Country>,
}

impl ListingParams {
    /// Browsing without a query, newest first, for fans shipping to `country`.
    pub fn newest(country: Country, page: usize, per_page: usize) -> ListingParams {
        ListingParams {
            q: String::new(),
            price: None,
            in_stock: false,
            property: None,
            category: None,
            shop: None,
            sort: Some(Sort::Newest),
            page,
            per_page,
            country: Some(country),
        }
    }
}

/// A hit as listings show it, at the display price the index found; `None` when no rate
/// converts its price into the presentment currency (the API then leaves it out).
pub fn hit_summary(h: &Hit, tr: &Tr, reference: &Reference, includes_tax: bool) -> Option<ProductSummary> {
    let (title, lang, _) = h.title(tr.lang)?;
    Some(ProductSummary {
        id: h.id.clone(),
        slug: h.slug.clone(),
        title: title.to_string(),
        title_lang: lang.tag().to_string(),
        shop: ShopJson {
            slug: h.shop.clone(),
            name: reference.shop_name(&h.shop).to_string(),
            country: h.shop_country.clone(),
        },
        property: Named { slug: h.property.clone(), name: reference.property_name(&h.property).to_string() },
        category: Named { slug: h.category.clone(), name: category_name(tr, &h.category) },
        price: h.price?.into(),
        price_includes_tax: includes_tax,
        sellable: true,
        in_stock: h.in_stock,
        url: format!("/products/{}", h.slug),
    })
}

/// Runs a search and shapes it for a page or the API. It reads nothing from the store: the
/// reference data (rates, rules, names) is the node's cached copy at least as new as the index.
pub async fn listing(state: &AppState, tr: &Tr, shopper: Shopper, p: ListingParams) -> Result<Listing, ApiError> {
    let reference = state.reference.get_following(state.store.as_ref(), state.search.position()).await?;
    let currency = shopper.currency;
    let edges = price_edges(currency, &reference.rates);
    let pres = shopper.presentment(&reference, state.clock.now().date());
    let query = SearchQuery {
        q: p.q,
        property: p.property,
        category: p.category,
        shop: p.shop,
        price: p.price,
        in_stock_only: p.in_stock,
        sort: p.sort,
        offset: (p.page - 1) * p.per_page,
        limit: p.per_page,
        price_edges: edges.clone(),
        pricing: Some(Pricing {
            ship_to: shopper.ship_to,
            currency,
            rules: reference.rules.clone(),
            rates: reference.rates.clone(),
            date: pres.date,
            steps: reference.steps_by_slug(currency),
        }),
        country: p.country,
        ..Default::default()
    };
    let found = search::find(state.search.as_ref(), &query).map_err(ApiError::internal)?;
    let includes_tax = pres.includes_tax();
    let items = found.hits.iter().filter_map(|h| hit_summary(h, tr, &reference, includes_tax)).collect();
    let f = &found.facets;
    let facets = FacetsJson {
        property: facet(&f.property, |s| reference.property_name(s).to_string()),
        category: facet(&f.category, |s| category_name(tr, s)),
        shop: facet(&f.shop, |s| reference.shop_name(s).to_string()),
        shop_country: facet(&f.shop_country, |c| {
            Country::parse(c).map(|c| tr.country(c)).unwrap_or_else(|_| c.to_string())
        }),
        price: price_bands(tr, &f.price_bands, currency, &edges),
        in_stock: f.in_stock,
    };
    Ok(Listing { total: found.total, items, facets, hits: found.hits, did_you_mean: found.did_you_mean, reference })
}

/// Why a product cannot be delivered to a country, in the reader's language.
pub fn undeliverable_text(tr: &Tr, reason: &Undeliverable) -> String {
    match reason {
        Undeliverable::Licence(r) => not_sellable_text(tr, r),
        Undeliverable::NoShipping(c) => tr.t1("reason-territory", "country", &tr.country(*c)),
        Undeliverable::OffSale => tr.t("reason-shop-off-sale"),
        Undeliverable::OutOfStock { .. } | Undeliverable::UnknownSku => tr.t("product-out-of-stock"),
    }
}
