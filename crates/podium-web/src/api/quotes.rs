//! `POST /api/v1/quotes`: what a basket costs delivered to a country, duties and taxes paid —
//! one consignment per shop and ship-from location, each with goods, shipping, VAT and duty,
//! the regime it falls under and the rates used (DESIGN §3.5, §4).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use podium_app::quote::{self, LineRequest, Quote, QuoteError, QuotedConsignment};
use podium_domain::{Country, Currency};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{ApiJson, MoneyJson, RateJson};
use crate::kit::error::{ApiError, Problem};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"country": "FR", "currency": "EUR", "lines": [{"sku": "hanok-threads:PC18-HOOD-M", "quantity": 1}]}))]
pub struct QuoteBody {
    /// Ship-to country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Presentment currency (ISO 4217); defaults from the country.
    pub currency: Option<String>,
    pub lines: Vec<LineBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct LineBody {
    /// The variant's marketplace SKU, `{shop-slug}:{shop's SKU}`, as product responses give it.
    pub sku: String,
    pub quantity: u32,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteLineJson {
    pub sku: String,
    pub product: String,
    pub quantity: u32,
    /// Net unit price in the presentment currency.
    pub unit_price: MoneyJson,
    pub net: MoneyJson,
}

#[derive(Serialize, ToSchema)]
pub struct DaysJson {
    pub min: u16,
    pub max: u16,
}

#[derive(Serialize, ToSchema)]
pub struct ConsignmentJson {
    /// The shop's slug.
    pub shop: String,
    pub shop_name: String,
    pub ship_from: String,
    /// `domestic`, `de_minimis`, `low_value`, `standard` or `unmodelled`.
    pub regime: String,
    /// Net goods, excluding shipping and taxes.
    pub goods: MoneyJson,
    pub shipping: MoneyJson,
    pub vat: MoneyJson,
    pub duty: MoneyJson,
    /// goods + shipping + vat + duty.
    pub total: MoneyJson,
    /// Working days the shop estimates for delivery.
    pub delivery_days: DaysJson,
    /// True for an `unmodelled` destination: nothing is collected at checkout and the carrier
    /// may ask for duties and taxes on delivery.
    pub duties_due_on_delivery: bool,
    pub lines: Vec<QuoteLineJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"country": "FR", "currency": "EUR", "consignments": [{"shop": "hanok-threads", "shop_name": "Hanok Threads", "ship_from": "KR", "regime": "low_value", "goods": {"amount": "41.06", "currency": "EUR", "minor": 4106, "formatted": "€41.06"}, "shipping": {"amount": "12.17", "currency": "EUR", "minor": 1217, "formatted": "€12.17"}, "vat": {"amount": "10.65", "currency": "EUR", "minor": 1065, "formatted": "€10.65"}, "duty": {"amount": "3.00", "currency": "EUR", "minor": 300, "formatted": "€3.00"}, "total": {"amount": "66.88", "currency": "EUR", "minor": 6688, "formatted": "€66.88"}, "delivery_days": {"min": 6, "max": 12}, "duties_due_on_delivery": false, "lines": []}], "total": {"amount": "66.88", "currency": "EUR", "minor": 6688, "formatted": "€66.88"}, "rates": []}))]
pub struct QuoteJson {
    pub country: String,
    pub currency: String,
    pub consignments: Vec<ConsignmentJson>,
    pub total: MoneyJson,
    /// The exchange rates the quote used, per EUR.
    pub rates: Vec<RateJson>,
}

pub fn consignment_json(c: &QuotedConsignment) -> ConsignmentJson {
    ConsignmentJson {
        shop: c.shop_slug.clone(),
        shop_name: c.shop_name.clone(),
        ship_from: c.ship_from.code().into(),
        regime: c.cost.regime.as_str().into(),
        goods: c.cost.goods.into(),
        shipping: c.cost.shipping.into(),
        vat: c.cost.vat.into(),
        duty: c.cost.duty.into(),
        total: c.cost.total.into(),
        delivery_days: DaysJson { min: c.days_min, max: c.days_max },
        duties_due_on_delivery: quote::unmodelled(c),
        lines: c
            .lines
            .iter()
            .map(|l| QuoteLineJson {
                sku: l.sku.clone(),
                product: l.product_slug.clone(),
                quantity: l.quantity,
                unit_price: l.unit.into(),
                net: l.net.into(),
            })
            .collect(),
    }
}

pub fn quote_json(q: &Quote) -> QuoteJson {
    QuoteJson {
        country: q.ship_to.code().into(),
        currency: q.currency.code().into(),
        consignments: q.consignments.iter().map(consignment_json).collect(),
        total: q.total.into(),
        rates: q.rates.iter().map(RateJson::from).collect(),
    }
}

/// The problem a quote error answers with: 422 naming the line or consignment.
pub fn quote_problem(e: QuoteError) -> ApiError {
    match e {
        QuoteError::Store(s) => s.into(),
        QuoteError::Fx(fx) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no-exchange-rate",
            "No exchange rate",
            format!("{fx}; the operator has not entered it yet"),
        )
        .field("currency"),
        QuoteError::Line { line, .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "undeliverable-line",
            "A line cannot be delivered there",
            e.to_string(),
        )
        .field(&format!("lines[{}]", line - 1)),
        QuoteError::Quantity { line } => {
            ApiError::invalid(&format!("lines[{}].quantity", line - 1), QuoteError::Quantity { line }.to_string())
        }
        QuoteError::Consignment { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consignment-refused",
            "A consignment cannot be delivered there",
            e.to_string(),
        ),
        QuoteError::Empty | QuoteError::TooManyLines => ApiError::invalid("lines", e.to_string()),
    }
}

/// Quote a basket delivered duty paid: per consignment the goods, shipping, VAT and duty in the
/// presentment currency, the regime and the rates used. Nothing more is owed on delivery except
/// where a consignment says `duties_due_on_delivery`.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "storefront", request_body = QuoteBody,
    responses((status = 200, body = QuoteJson), (status = 422, body = Problem, description = "A line cannot be delivered there (the detail names the line and why), or the body is not valid")))]
pub async fn create_quote(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<QuoteBody>,
) -> Result<Json<QuoteJson>, ApiError> {
    let ship_to = Country::parse(&body.country).map_err(|e| ApiError::invalid("country", e.to_string()))?;
    let currency = match body.currency.as_deref() {
        None | Some("") => ship_to.default_currency(),
        Some(c) => Currency::parse(c).map_err(|e| ApiError::invalid("currency", e.to_string()))?,
    };
    let lines: Vec<LineRequest> = body
        .lines
        .into_iter()
        .map(|l| LineRequest { sku: l.sku.chars().take(200).collect(), quantity: l.quantity })
        .collect();
    let reference = state.reference.get(state.store.as_ref()).await?;
    let q = quote::quote(state.store.as_ref(), ship_to, currency, &lines, &reference.context(state.clock.now()))
        .await
        .map_err(quote_problem)?;
    Ok(Json(quote_json(&q)))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"country": "KR", "currency": "KRW"}))]
pub struct NewCartBody {
    /// Ship-to country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Presentment currency (ISO 4217); defaults from the country.
    pub currency: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SetAsideJson {
    pub sku: String,
    pub quantity: i64,
    /// Why it cannot be checked out now.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CartJson {
    /// The cart's token: keep it to add lines and check out.
    pub id: String,
    pub country: String,
    pub currency: String,
    /// One per shop and ship-from country, as `POST /api/v1/quotes` gives them.
    pub consignments: Vec<ConsignmentJson>,
    pub total: MoneyJson,
    /// Lines that cannot be delivered now (licence, territory, shipping, stock), with why.
    pub set_aside: Vec<SetAsideJson>,
}

fn cart_json(c: &podium_app::cart::PricedCart) -> Result<CartJson, ApiError> {
    let currency = Currency::parse(&c.cart.currency).map_err(ApiError::internal)?;
    Ok(CartJson {
        id: c.cart.id.clone(),
        country: c.cart.country.clone(),
        currency: c.cart.currency.clone(),
        consignments: c.quote.iter().flat_map(|q| q.consignments.iter().map(consignment_json)).collect(),
        total: c.quote.as_ref().map_or(podium_domain::Money::zero(currency), |q| q.total).into(),
        set_aside: c
            .set_aside
            .iter()
            .map(|(sku, quantity, reason)| SetAsideJson {
                sku: sku.clone(),
                quantity: *quantity,
                reason: quote::describe(reason),
            })
            .collect(),
    })
}

fn cart_problem(e: podium_app::cart::CartError) -> ApiError {
    use podium_app::cart::CartError;
    match e {
        CartError::NotFound => ApiError::not_found("no such cart"),
        CartError::Quantity | CartError::TooManyLines => ApiError::invalid("quantity", e.to_string()),
        CartError::Line { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "undeliverable-line",
            "This item cannot be delivered there",
            e.to_string(),
        )
        .field("sku"),
        CartError::SoldOut { ref sku, available, in_cart } => {
            let detail = match (available, in_cart) {
                (0, _) => format!("{sku} is sold out: not enough stock is left"),
                (n, 0) => format!("{sku}: only {n} left in stock"),
                (n, c) => format!("{sku}: only {n} left in stock, and the cart already holds {c}"),
            };
            ApiError::new(StatusCode::CONFLICT, "sold-out", "Not enough in stock", detail).field("sku")
        }
        CartError::Quote(q) => quote_problem(q),
        CartError::Store(s) => s.into(),
    }
}

/// Start a cart for a ship-to country and currency.
#[utoipa::path(post, path = "/api/v1/carts", tag = "storefront", request_body = NewCartBody,
    responses((status = 201, body = CartJson), (status = 422, body = Problem)))]
pub async fn create_cart(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewCartBody>,
) -> Result<(StatusCode, Json<CartJson>), ApiError> {
    let ship_to = Country::parse(&body.country).map_err(|e| ApiError::invalid("country", e.to_string()))?;
    let currency = match body.currency.as_deref() {
        None | Some("") => ship_to.default_currency(),
        Some(c) => Currency::parse(c).map_err(|e| ApiError::invalid("currency", e.to_string()))?,
    };
    let id = podium_app::cart::new_cart_id();
    let cart = state.store.create_cart(&id, ship_to.code(), currency.code()).await?;
    let priced = podium_app::cart::PricedCart { cart, quote: None, set_aside: Vec::new(), products: Vec::new() };
    Ok((StatusCode::CREATED, Json(cart_json(&priced)?)))
}

/// The cart behind a token: a guest cart for whoever holds the token, a fan's cart for that
/// fan only (anyone else hears it does not exist).
async fn owned_cart(
    state: &AppState,
    id: &str,
    caller: &crate::api::Caller,
) -> Result<podium_app::cart::CartRecord, ApiError> {
    let user = caller.0.as_ref().map(|p| p.user.id.as_str());
    state.store.cart(id).await?.filter(|c| c.usable_by(user)).ok_or_else(|| ApiError::not_found("no such cart"))
}

/// A cart, priced now: consignments with shipping, VAT and duty, and any lines set aside.
#[utoipa::path(get, path = "/api/v1/carts/{id}", tag = "storefront", params(("id" = String, Path, description = "The cart's token")),
    responses((status = 200, body = CartJson), (status = 404, body = Problem)))]
pub async fn get_cart(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    caller: crate::api::Caller,
) -> Result<Json<CartJson>, ApiError> {
    let cart = owned_cart(&state, &id, &caller).await?;
    let reference = state.reference.get(state.store.as_ref()).await?;
    let priced = podium_app::cart::price_cart(state.store.as_ref(), cart, &reference.context(state.clock.now()))
        .await
        .map_err(cart_problem)?;
    Ok(Json(cart_json(&priced)?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"sku": "hanok-threads:TEE-PC-M", "quantity": 1}))]
pub struct AddLineBody {
    pub sku: String,
    pub quantity: i64,
}

/// Add a quantity of a variant to the cart; a line that cannot be delivered to the cart's
/// country now is refused with the reason.
#[utoipa::path(post, path = "/api/v1/carts/{id}/lines", tag = "storefront", request_body = AddLineBody,
    params(("id" = String, Path, description = "The cart's token")),
    responses((status = 200, body = CartJson), (status = 404, body = Problem), (status = 409, body = Problem, description = "Sold out"), (status = 422, body = Problem)))]
pub async fn add_cart_line(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiJson(body): ApiJson<AddLineBody>,
) -> Result<Json<CartJson>, ApiError> {
    let reference = state.reference.get(state.store.as_ref()).await?;
    let sku: String = body.sku.chars().take(200).collect();
    let priced = podium_app::cart::add_line(
        state.store.as_ref(),
        &id,
        &sku,
        body.quantity,
        &reference.context(state.clock.now()),
    )
    .await
    .map_err(cart_problem)?;
    Ok(Json(cart_json(&priced)?))
}
