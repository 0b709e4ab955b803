//! The catalogue API: `GET /api/v1/products` (search, filters, facets, sorts, pages),
//! `GET /api/v1/products/{slug}` and `GET /api/v1/suggest`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use podium_app::catalogue::{ProductRecord, VariantRecord};
use podium_app::quote::{self};
use podium_app::search::Sort;
use podium_app::storefront::{self, Presentment};
use podium_domain::{Country, Currency, Lang};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::MoneyJson;
use crate::kit::error::{ApiError, Problem};
use crate::kit::i18n::Tr;
use crate::kit::listing::{
    listing, parse_band, summary, undeliverable_text, FacetsJson, ListingParams, ProductSummary, Shopper,
};
use crate::AppState;

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
        Some(p) if storefront::is_public(&p) => p,
        _ => return Err(ApiError::not_found(format!("no product {slug:?}"))),
    };
    let reference = state.reference.get(state.store.as_ref()).await?;
    let pres = shopper.presentment(&reference, state.clock.now().date());
    let no_rate = || ApiError::invalid("currency", format!("no exchange rate for {currency}"));
    let price = pres.from_price(&p).ok().flatten().ok_or_else(no_rate)?;
    let mut summary = summary(&p, &tr, price, pres.includes_tax()).ok_or_else(no_rate)?;
    let ctx = reference.context(state.clock.now());
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
    let hits = state.search.suggest(&text, country, 8).map_err(ApiError::internal)?;
    let suggestions =
        hits.iter().map(|h| Suggestion { text: h.title(lang).to_string(), slug: h.slug.clone() }).collect();
    Ok((StatusCode::OK, Json(SuggestionsJson { suggestions })))
}
