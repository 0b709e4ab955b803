//! The catalogue API: `GET /api/v1/products` (search, filters, facets, sorts, pages),
//! `GET /api/v1/products/{slug}` and `GET /api/v1/suggest`.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use podium_app::catalogue::{ProductRecord, ProductStatus, VariantRecord};
use podium_app::quote::{self, Undeliverable};
use podium_app::storefront::{self, Presentment};
use podium_domain::licensing::NotSellable;
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use podium_search::{Pricing, SearchQuery, Sort};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::api::MoneyJson;
use crate::kit::error::{ApiError, Problem};
use crate::kit::format::category_name;
use crate::kit::i18n::Tr;
use crate::AppState;

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
    pub fn presentment<'a>(&self, reference: &'a crate::kit::reference::Reference) -> Presentment<'a> {
        Presentment {
            ship_to: self.ship_to,
            currency: self.currency,
            rates: &reference.rates,
            rules: &reference.rules,
            date: OffsetDateTime::now_utc().date(),
            rounding: &reference.rounding,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// Free text, in any of the five languages; typos are tolerated.
    pub q: Option<String>,
    /// Ship-to country (ISO 3166-1 alpha-2); only products sellable there are listed.
    pub country: Option<String>,
    /// Presentment currency (ISO 4217); defaults from the country.
    pub currency: Option<String>,
    /// en, fr, zh-Hans, ja or ko.
    pub lang: Option<String>,
    /// A property slug, e.g. `team-kenya`.
    pub property: Option<String>,
    /// A category slug; its sub-categories are included.
    pub category: Option<String>,
    /// A shop slug.
    pub shop: Option<String>,
    /// A price band from the `price` facet, e.g. `2000-4000` (minor units of the presentment
    /// currency; open ends allowed).
    pub price: Option<String>,
    /// `true` to list only products in stock.
    pub in_stock: Option<String>,
    /// `relevance` (default with `q`), `price_asc`, `price_desc`, `newest` (default without `q`).
    pub sort: Option<String>,
    /// 1-based page number.
    pub page: Option<String>,
    /// Results per page, 1 to 100 (default 24).
    pub per_page: Option<String>,
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

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"total": 16, "page": 1, "per_page": 24, "items": [{"id": "0193…", "slug": "kumo-craft-pyeongchang-2018-snowflake-tee", "title": "平昌2018 雪の結晶Tシャツ", "title_lang": "ja", "shop": {"slug": "kumo-craft", "name": "Kumo Craft Tokyo", "country": "JP"}, "property": {"slug": "pyeongchang-2018", "name": "PyeongChang 2018"}, "category": {"slug": "t-shirts", "name": "Tシャツ"}, "price": {"amount": "4700", "currency": "JPY", "minor": 4700, "formatted": "¥4,700"}, "sellable": true, "in_stock": true, "url": "/products/kumo-craft-pyeongchang-2018-snowflake-tee"}], "facets": {"property": [{"value": "pyeongchang-2018", "label": "PyeongChang 2018", "count": 16}], "category": [], "shop": [], "shop_country": [], "price": [], "in_stock": 14}}))]
pub struct ProductsJson {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<ProductSummary>,
    pub facets: FacetsJson,
    /// Only when `q` finds nothing: a close query that finds something under the same
    /// filters (each word that found nothing replaced by the closest word the catalogue
    /// knows, in lower case), to offer as "did you mean".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "plush")]
    pub did_you_mean: Option<String>,
}

fn parse_lang(v: &Option<String>) -> Lang {
    v.as_deref().and_then(Lang::from_tag).unwrap_or_default()
}

/// The shopper a request prices for: its `country` (else the marketplace's default) and its
/// `currency` (else the country's).
pub fn shopper(state: &AppState, country: &Option<String>, currency: &Option<String>) -> Result<Shopper, ApiError> {
    let ship_to = match country.as_deref() {
        Some(c) if !c.is_empty() => Country::parse(c).map_err(|e| ApiError::invalid("country", e.to_string()))?,
        _ => state.config.default_country,
    };
    let currency = match currency.as_deref() {
        Some(c) if !c.is_empty() => Currency::parse(c).map_err(|e| ApiError::invalid("currency", e.to_string()))?,
        _ => ship_to.default_currency(),
    };
    Ok(Shopper { ship_to, currency })
}

fn number(
    v: &Option<String>,
    field: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ApiError> {
    match v.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => s.parse::<usize>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{field} must be a whole number from {} to {}", range.start(), range.end()),
            )
        }),
    }
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

fn price_bands(tr: &Tr, counts: &[u64], currency: Currency, edges: &[i64]) -> Vec<FacetValue> {
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
    /// The page's full records, in result order, for pages that show more than the summary.
    pub products: Vec<ProductRecord>,
    /// Each product's display price by id, as the index sorted and banded it.
    pub prices: HashMap<String, Money>,
    /// A close query that finds something, when this one finds nothing.
    pub did_you_mean: Option<String>,
}

impl Listing {
    pub fn price_of(&self, p: &ProductRecord) -> Option<Money> {
        self.prices.get(&p.id).copied()
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

/// Runs a search and shapes it for a page or the API.
pub async fn listing(state: &AppState, tr: &Tr, shopper: Shopper, p: ListingParams) -> Result<Listing, ApiError> {
    let reference = state.reference.get(state.store.as_ref()).await?;
    let currency = shopper.currency;
    let edges = price_edges(currency, &reference.rates);
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
            date: OffsetDateTime::now_utc().date(),
        }),
        country: p.country,
        ..Default::default()
    };
    let result = state.search.index.search(&query).map_err(ApiError::internal)?;
    let did_you_mean = match result.total {
        0 if !query.q.trim().is_empty() => state.search.index.did_you_mean(&query).map_err(ApiError::internal)?,
        _ => None,
    };
    let ids: Vec<String> = result.hits.iter().map(|h| h.id.clone()).collect();
    let mut prices: HashMap<String, Money> =
        result.hits.iter().filter_map(|h| Some((h.id.clone(), h.price?))).collect();
    let products = state.store.products_by_ids(&ids).await?;
    let pres = shopper.presentment(&reference);
    // The index sorted and banded by the prices of its last update; cards show the price now,
    // from the variants in stock now (and any display rounding of the shop).
    for p in &products {
        if let Ok(Some(m)) = pres.from_price(p) {
            prices.insert(p.id.clone(), m);
        }
    }
    let includes_tax = pres.includes_tax();
    let items = products.iter().filter_map(|p| summary(p, tr, *prices.get(&p.id)?, includes_tax)).collect();
    let f = &result.facets;
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
    Ok(Listing { total: result.total, items, facets, products, prices, did_you_mean })
}

/// Search and browse the catalogue.
#[utoipa::path(get, path = "/api/v1/products", tag = "storefront", params(ProductsQuery),
    responses((status = 200, body = ProductsJson), (status = 422, body = Problem)))]
pub async fn products(
    State(state): State<AppState>,
    Query(q): Query<ProductsQuery>,
) -> Result<Json<ProductsJson>, ApiError> {
    let lang = parse_lang(&q.lang);
    let tr = Tr::new(state.i18n.clone(), lang);
    let shopper = shopper(&state, &q.country, &q.currency)?;
    let sort = match q.sort.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            Sort::parse(s)
                .ok_or_else(|| ApiError::invalid("sort", "sort must be relevance, price_asc, price_desc or newest"))?,
        ),
    };
    let page = number(&q.page, "page", 1, 1..=10_000)?;
    let per_page = number(&q.per_page, "per_page", 24, 1..=100)?;
    let text: String = q.q.unwrap_or_default().chars().take(200).collect();
    let price = match q.price.as_deref() {
        None | Some("") => None,
        Some(v) => Some(parse_band(v).ok_or_else(|| {
            ApiError::invalid("price", "price must be a band such as 2000-4000 from the price facet")
        })?),
    };
    let in_stock = match q.in_stock.as_deref() {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => return Err(ApiError::invalid("in_stock", "in_stock must be true or false")),
    };
    let params = ListingParams {
        q: text,
        price,
        in_stock,
        property: q.property,
        category: q.category,
        shop: q.shop,
        sort,
        page,
        per_page,
        country: match q.country.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Country::parse(c).map_err(|e| ApiError::invalid("country", e.to_string()))?),
        },
    };
    let l = listing(&state, &tr, shopper, params).await?;
    Ok(Json(ProductsJson {
        total: l.total,
        page,
        per_page,
        items: l.items,
        facets: l.facets,
        did_you_mean: l.did_you_mean,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    pub country: Option<String>,
    pub currency: Option<String>,
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VariantJson {
    /// Unique across the marketplace: `{shop-slug}:{shop's SKU}`.
    pub sku: String,
    pub options: BTreeMap<String, String>,
    pub price: MoneyJson,
    pub available: i64,
    pub gtin: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LicenceJson {
    pub licensor: String,
    pub property: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductJson {
    #[serde(flatten)]
    pub summary: ProductSummary,
    pub description: String,
    pub variants: Vec<VariantJson>,
    pub licence: LicenceJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_sellable_reason: Option<String>,
    /// One item of the cheapest variant in stock delivered to the ship-to country: goods,
    /// shipping, VAT and duty, as `POST /api/v1/quotes` would quote it. Absent when the
    /// product cannot be delivered there or nothing is in stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<crate::api::quotes::ConsignmentJson>,
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

/// The variant a delivered price is shown for: the cheapest one in stock.
pub fn cheapest_in_stock<'p>(p: &'p ProductRecord, pres: &Presentment<'_>) -> Option<&'p VariantRecord> {
    p.variants
        .iter()
        .filter(|v| v.available > 0)
        .min_by_key(|v| storefront::variant_price(v, pres.currency, pres.rates).map_or(i64::MAX, |m| m.minor))
}

/// One product with its variants, prices in the presentment currency and licence.
#[utoipa::path(get, path = "/api/v1/products/{slug}", tag = "storefront", params(("slug" = String, Path, description = "The product's slug"), ProductQuery),
    responses((status = 200, body = ProductJson), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn product(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<ProductQuery>,
) -> Result<Json<ProductJson>, ApiError> {
    let tr = Tr::new(state.i18n.clone(), parse_lang(&q.lang));
    let shopper = shopper(&state, &q.country, &q.currency)?;
    let currency = shopper.currency;
    let p = match state.store.product_by_slug(&slug).await? {
        Some(p) if p.status == ProductStatus::Live && !p.variants.is_empty() && p.approved_at.is_some() => p,
        _ => return Err(ApiError::not_found(format!("no product {slug:?}"))),
    };
    let reference = state.reference.get(state.store.as_ref()).await?;
    let pres = shopper.presentment(&reference);
    let no_rate = || ApiError::invalid("currency", format!("no exchange rate for {currency}"));
    let price = pres.from_price(&p).ok().flatten().ok_or_else(no_rate)?;
    let mut summary = summary(&p, &tr, price, pres.includes_tax()).ok_or_else(no_rate)?;
    let ctx = crate::api::quotes::context(&reference);
    let verdict = quote::deliverable(&p, shopper.ship_to, &ctx);
    summary.sellable = verdict.is_ok();
    let not_sellable_reason = verdict.as_ref().err().map(|r| undeliverable_text(&tr, r));
    let delivered = match (verdict, cheapest_in_stock(&p, &pres)) {
        (Ok(()), Some(v)) => quote::delivered(&p, v, shopper.ship_to, currency, &ctx)
            .ok()
            .and_then(|q| q.consignments.first().map(crate::api::quotes::consignment_json)),
        _ => None,
    };
    let description = storefront::text(&p, tr.lang).map(|t| t.translation.description.clone()).unwrap_or_default();
    let variants = p
        .variants
        .iter()
        .map(|v| VariantJson {
            sku: storefront::public_sku(&p.shop.slug, &v.sku),
            options: v.options.iter().cloned().collect(),
            price: pres.variant_price(&p, v).unwrap_or(v.price).into(),
            available: v.available,
            gtin: v.gtin.clone(),
        })
        .collect();
    let licence = LicenceJson { licensor: p.property.licensor_name.clone(), property: p.property.name.clone() };
    Ok(Json(ProductJson { summary, description, variants, licence, not_sellable_reason, delivered }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// What the fan has typed so far.
    pub q: Option<String>,
    pub lang: Option<String>,
    /// Only products that may be delivered to this country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Suggestion {
    pub text: String,
    pub slug: String,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionsJson {
    pub suggestions: Vec<Suggestion>,
}

/// As-you-type suggestions: product titles in the fan's language that start like the query.
#[utoipa::path(get, path = "/api/v1/suggest", tag = "storefront", params(SuggestQuery),
    responses((status = 200, body = SuggestionsJson, example = json!({"suggestions": [{"text": "PyeongChang 2018 Snowflake Hoodie", "slug": "hanok-threads-pyeongchang-2018-snowflake-hoodie"}]}))))]
pub async fn suggest(
    State(state): State<AppState>,
    Query(q): Query<SuggestQuery>,
) -> Result<(StatusCode, Json<SuggestionsJson>), ApiError> {
    let lang = parse_lang(&q.lang);
    let text: String = q.q.unwrap_or_default().chars().take(100).collect();
    let country = match q.country.as_deref() {
        None | Some("") => None,
        Some(c) => Some(Country::parse(c).map_err(|e| ApiError::invalid("country", e.to_string()))?),
    };
    let hits = state.search.index.suggest(&text, country, 8).map_err(ApiError::internal)?;
    let suggestions =
        hits.iter().map(|h| Suggestion { text: h.title(lang).to_string(), slug: h.slug.clone() }).collect();
    Ok((StatusCode::OK, Json(SuggestionsJson { suggestions })))
}
