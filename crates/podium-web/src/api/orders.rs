//! Checkout, orders and fulfilment in the API (DESIGN §3.7, §4): `POST /carts/{id}/checkout`
//! with `Idempotency-Key`, the fan's orders (by session or order token), the shop's
//! consignments and their fulfilment steps, returns, and the sandbox provider's webhooks.

use std::time::Duration;

use crate::api::address::AddressBody;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use podium_app::checkout::{self, CheckoutError, CheckoutRequest};
use podium_app::fulfilment::{self, FulfilError, FulfilStep, Shipment};
use podium_app::orders::{ConsignmentRecord, IdempotencyClaim, OrderRecord};
use podium_app::payments::{PaymentProvider, WebhookHeaders};
use podium_domain::role::OrgKind;
use podium_domain::{Currency, Lang, Money};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::api::{ApiJson, Caller, MoneyJson};
use crate::kit::error::{ApiError, Problem};
use crate::AppState;
use podium_app::security::Scope;

/// How long a retry waits for the first request with its key before answering 409.
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(15);
/// How long a claim on a key lasts if its holder dies without answering.
const IDEMPOTENCY_LEASE_SECS: i64 = 60;

#[derive(Deserialize, ToSchema)]
pub struct PaymentBody {
    /// `sandbox_card`.
    pub method: String,
    /// A sandbox test card (DESIGN §4). Never stored or logged.
    #[serde(default)]
    pub card_number: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "fan@example.com", "shipping_address": {"name": "Kim Min-ji", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": "KR"}, "payment": {"method": "sandbox_card", "card_number": "4242424242424242"}}))]
pub struct CheckoutBody {
    pub email: String,
    pub shipping_address: AddressBody,
    pub payment: PaymentBody,
    /// The language of the e-mails (`en`, `fr`, `zh-Hans`, `ja`, `ko`); English by default.
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeJson {
    pub code: String,
    /// Where anyone can check it.
    pub verify_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderLineJson {
    pub id: String,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub refunded_quantity: i64,
    pub unit_price: MoneyJson,
    pub net: MoneyJson,
    pub vat: MoneyJson,
    pub duty: MoneyJson,
    pub codes: Vec<CodeJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnJson {
    pub id: String,
    /// `requested`, `refunded` or `refused`.
    pub status: String,
    pub reason: String,
    pub amount: MoneyJson,
    pub restock: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShopRefJson {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderConsignmentJson {
    pub id: String,
    pub shop: ShopRefJson,
    pub ship_from: String,
    pub regime: String,
    /// `new`, `accepted`, `shipped`, `delivered`, `completed`, `cancelled` or `refunded`.
    pub status: String,
    pub goods: MoneyJson,
    pub shipping: MoneyJson,
    pub vat: MoneyJson,
    pub duty: MoneyJson,
    pub total: MoneyJson,
    pub refunded: MoneyJson,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub return_window_days: i64,
    pub lines: Vec<OrderLineJson>,
    pub returns: Vec<ReturnJson>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentJson {
    pub brand: Option<String>,
    pub last4: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderJson {
    pub id: String,
    pub number: String,
    /// `pending_payment`, `paid`, `completed`, `cancelled`, `partially_refunded` or `refunded`.
    pub status: String,
    pub email: String,
    pub country: String,
    pub currency: String,
    pub total: MoneyJson,
    pub refunded: MoneyJson,
    /// Where the card's second step happens, while the order waits for it.
    pub next_action: Option<String>,
    /// Why a cancelled order was cancelled (`card_declined`, `insufficient_funds`, …).
    pub failure: Option<String>,
    pub payment: PaymentJson,
    pub shipping_address: crate::api::address::ShipToJson,
    pub consignments: Vec<OrderConsignmentJson>,
    /// The order's page.
    pub url: String,
    #[schema(value_type = String)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlacedJson {
    pub order: OrderJson,
    /// Lets a guest read the order (`?token=` or the `X-Order-Token` header). Shown once.
    pub token: String,
}

fn money(minor: i64, currency: &str) -> MoneyJson {
    Money::new(minor, Currency::parse(currency).unwrap_or(Currency::EUR)).into()
}

pub fn consignment_json(c: &ConsignmentRecord, currency: &str) -> OrderConsignmentJson {
    OrderConsignmentJson {
        id: c.id.clone(),
        shop: ShopRefJson { slug: c.shop_slug.clone(), name: c.shop_name.clone() },
        ship_from: c.ship_from.clone(),
        regime: c.regime.clone(),
        status: c.status.as_str().into(),
        goods: money(c.goods, currency),
        shipping: money(c.shipping, currency),
        vat: money(c.vat, currency),
        duty: money(c.duty, currency),
        total: money(c.total, currency),
        refunded: money(c.refunded, currency),
        carrier: c.carrier.clone(),
        tracking: c.tracking.clone(),
        return_window_days: c.return_window_days,
        lines: c
            .lines
            .iter()
            .map(|l| OrderLineJson {
                id: l.id.clone(),
                sku: l.sku.clone(),
                title: l.title.clone(),
                quantity: l.quantity,
                refunded_quantity: l.refunded_quantity,
                unit_price: money(l.unit, currency),
                net: money(l.net, currency),
                vat: money(l.vat, currency),
                duty: money(l.duty, currency),
                codes: l
                    .codes
                    .iter()
                    .map(|c| CodeJson { code: c.clone(), verify_url: format!("/verify/{c}") })
                    .collect(),
            })
            .collect(),
        returns: c
            .returns
            .iter()
            .map(|r| ReturnJson {
                id: r.id.clone(),
                status: r.status.clone(),
                reason: r.reason.clone(),
                amount: money(r.amount, currency),
                restock: r.restock,
            })
            .collect(),
    }
}

pub fn order_json(o: &OrderRecord) -> OrderJson {
    OrderJson {
        id: o.id.clone(),
        number: o.number.clone(),
        status: o.status.as_str().into(),
        email: o.email.clone(),
        country: o.address.country.clone(),
        currency: o.currency.clone(),
        total: money(o.total, &o.currency),
        refunded: money(o.refunded, &o.currency),
        next_action: o.next_action.clone(),
        failure: o.failure.clone(),
        payment: PaymentJson { brand: o.card_brand.clone(), last4: o.card_last4.clone() },
        shipping_address: crate::api::address::ship_to_json(&o.address),
        consignments: o.consignments.iter().map(|c| consignment_json(c, &o.currency)).collect(),
        url: format!("/orders/{}", o.number),
        created_at: o.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    }
}

pub fn checkout_problem(e: CheckoutError, user_id: Option<&str>) -> ApiError {
    match e {
        CheckoutError::CartTaken { order } => {
            let detail = match order.as_deref().filter(|o| o.user_id.as_deref() == user_id) {
                Some(o) if o.status == podium_domain::order::OrderStatus::PendingPayment => format!(
                    "this cart is already being checked out as order {}: finish or abandon that order",
                    o.number
                ),
                Some(o) => format!("this cart was already ordered as order {}", o.number),
                None => "this cart is already being checked out, was ordered, or changed meanwhile: \
                         read it again before checking out"
                    .to_string(),
            };
            ApiError::new(StatusCode::CONFLICT, "cart-checked-out", "This cart is already being checked out", detail)
        }
        CheckoutError::TooManyPending { retry_after_secs, .. } => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-unpaid-orders",
                "Too many unpaid orders",
                "too many of your orders are waiting for the card's confirmation; confirm or abandon one first \
                 (this one was cancelled and nothing is held for it)",
            );
            e.retry_after = Some(retry_after_secs);
            e
        }
        CheckoutError::TooLarge { max } => {
            ApiError::invalid("lines", format!("the order's total is over the limit of {}", max.formatted()))
        }
        CheckoutError::CartNotFound => ApiError::not_found("no such cart"),
        CheckoutError::EmptyCart => ApiError::invalid("lines", "the cart is empty"),
        CheckoutError::Invalid(field, why) => ApiError::invalid(field, format!("{field} {why}")),
        CheckoutError::Unavailable { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "undeliverable-line",
            "A line cannot be delivered there",
            e.to_string(),
        ),
        CheckoutError::SoldOut { ref sku } => {
            let sku = sku.clone();
            ApiError::new(
                StatusCode::CONFLICT,
                "sold-out",
                "Sold out",
                format!("{sku} is sold out: not enough stock is left"),
            )
            .field(&sku)
        }
        CheckoutError::Consignment(why) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consignment-refused",
            "A consignment cannot be delivered there",
            why,
        ),
        CheckoutError::Declined { code, order } => ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "card-declined",
            "The card was declined",
            format!(
                "the card was declined ({code}); order {} was cancelled and nothing is reserved — try another card",
                order.number
            ),
        ),
        CheckoutError::Drop(why) => {
            ApiError::new(StatusCode::CONFLICT, "drop-refused", "Not available to you in this drop", why.to_string())
        }
        CheckoutError::Provider(why) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "payment-provider", "The payment provider failed", why)
        }
        CheckoutError::Quote(q) => crate::api::quotes::quote_problem(q),
        CheckoutError::Store(s) => s.into(),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let v = v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?.trim();
    if v.is_empty() || v.len() > 255 {
        return Err(ApiError::invalid("Idempotency-Key", "must be 1 to 255 characters"));
    }
    Ok(Some(v.to_string()))
}

/// A stored answer replayed.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let ctype = if status.is_success() { "application/json" } else { "application/problem+json" };
    (
        status,
        [
            (axum::http::header::CONTENT_TYPE, ctype),
            (axum::http::HeaderName::from_static("idempotent-replayed"), "true"),
        ],
        body,
    )
        .into_response()
}

/// Runs `work` once per (scope, key, body) and answers as an API response (see
/// [`idempotent_raw`]); a replayed answer carries `Idempotent-Replayed: true`.
pub async fn idempotent<F, Fut>(state: &AppState, scope: &str, key: Option<String>, body: &[u8], work: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let (status, body, replayed) = idempotent_raw(state, scope, key, body, work).await;
    if replayed {
        replay(status.as_u16(), body)
    } else {
        replay_fresh(status, body)
    }
}

/// Runs `work` once per (scope, key, body): a retry with the same body gets the stored answer,
/// one with another body 422, one that arrives while the first runs waits for it (409 if it
/// cannot finish in time). 5xx answers are not stored, so such a request may be retried.
/// Answers (status, body, replayed).
pub async fn idempotent_raw<F, Fut>(
    state: &AppState,
    scope: &str,
    key: Option<String>,
    body: &[u8],
    work: F,
) -> (StatusCode, String, bool)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let Some(key) = key else {
        let (status, body) = work().await;
        return (status, body, false);
    };
    let hash = checkout::sha256_hex(body);
    let started = tokio::time::Instant::now();
    loop {
        let now = state.clock.now();
        let lease = time::Duration::seconds(IDEMPOTENCY_LEASE_SECS);
        match state.store.claim_idempotency(scope, &key, &hash, now, lease).await {
            Err(e) => return problem_body(ApiError::from(e), false),
            Ok(IdempotencyClaim::Done(status, body)) => {
                return (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body, true)
            }
            Ok(IdempotencyClaim::Mismatch) => {
                return problem_body(
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "idempotency-key-reused",
                        "Idempotency key reused",
                        "this Idempotency-Key was used with a different request body; use a new key for a new request",
                    )
                    .field("Idempotency-Key"),
                    false,
                )
            }
            Ok(IdempotencyClaim::Running) => {
                if started.elapsed() > IDEMPOTENCY_WAIT {
                    return problem_body(
                        ApiError::new(
                            StatusCode::CONFLICT,
                            "idempotency-in-progress",
                            "The first request is still running",
                            "a request with this Idempotency-Key is still being processed; retry shortly",
                        ),
                        false,
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(IdempotencyClaim::Claimed) => {
                let (status, out) = work().await;
                let keep = !status.is_server_error();
                let answer = keep.then_some((status.as_u16(), out.as_str()));
                if let Err(e) = state.store.finish_idempotency(scope, &key, answer).await {
                    tracing::warn!(error = %e, "could not store the idempotent answer");
                }
                return (status, out, false);
            }
        }
    }
}

fn replay_fresh(status: StatusCode, body: String) -> Response {
    let ctype = if status.is_success() { "application/json" } else { "application/problem+json" };
    (status, [(axum::http::header::CONTENT_TYPE, ctype)], body).into_response()
}

fn problem_body(e: ApiError, replayed: bool) -> (StatusCode, String, bool) {
    let status = e.status;
    (status, serde_json::to_string(&e.problem()).unwrap_or_default(), replayed)
}

/// Check out a cart: the stock of every line is reserved, the card authorized and captured, and
/// the order is `paid` (201). A card that needs a second step answers 201 with status
/// `pending_payment` and a `next_action` URL. Send an `Idempotency-Key` so a retry never pays
/// twice.
#[utoipa::path(post, path = "/api/v1/carts/{id}/checkout", tag = "checkout", request_body = CheckoutBody,
    params(("id" = String, Path, description = "The cart's token"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body return the same order")),
    responses((status = 201, body = PlacedJson), (status = 402, body = Problem, description = "The card was declined; nothing stays reserved"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "Sold out, the cart is already being checked out or was ordered, or the first request with this key is still running"),
              (status = 429, body = Problem, description = "Too many unpaid orders wait for the card's second step"),
              (status = 422, body = Problem)))]
pub async fn checkout_cart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    client: crate::kit::context::ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let user_id = match caller.person() {
        Ok(p) => p.map(|p| p.user.id),
        Err(e) => return e.into_response(),
    };
    let scope = format!("checkout:{id}");
    let worker = state.clone();
    let client = client.0;
    idempotent(&state, &scope, key, &body.clone(), || async move {
        match run_checkout(&worker, &id, user_id, client, &body).await {
            Ok(placed) => (StatusCode::CREATED, serde_json::to_string(&placed).unwrap_or_default()),
            Err(e) => {
                let (status, body, _) = problem_body(e, false);
                (status, body)
            }
        }
    })
    .await
}

async fn run_checkout(
    state: &AppState,
    cart_id: &str,
    user_id: Option<String>,
    client: String,
    body: &[u8],
) -> Result<PlacedJson, ApiError> {
    let body: CheckoutBody = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", "The request body is not valid", e.to_string())
    })?;
    if body.payment.method != "sandbox_card" {
        return Err(ApiError::invalid("payment.method", "the only payment method is sandbox_card"));
    }
    let cart = state
        .store
        .cart(cart_id)
        .await?
        .filter(|c| c.usable_by(user_id.as_deref()))
        .ok_or_else(|| ApiError::not_found("no such cart"))?;
    if !body.shipping_address.country.eq_ignore_ascii_case(&cart.country) {
        return Err(ApiError::invalid(
            "shipping_address.country",
            format!(
                "the cart was priced for delivery to {}; start a cart for {}",
                cart.country, body.shipping_address.country
            ),
        ));
    }
    let lang = match body.lang.as_deref() {
        None | Some("") => Lang::En,
        Some(l) => Lang::from_tag(l).ok_or_else(|| ApiError::invalid("lang", "use one of en, fr, zh-Hans, ja, ko"))?,
    };
    let a = body.shipping_address;
    let req = CheckoutRequest {
        email: body.email,
        address: a.into_address(&cart.country),
        card_number: body.payment.card_number,
        payment_method: None,
        lang,
        user_id,
        token_key: state.config.shared_secret.0.clone(),
        commission_bp: state.config.commission_bp,
        client,
        holds: state.config.holds,
        phone_required: false,
        max_order_units: state.config.bounds.max_order_units,
    };
    let reference = state.reference.get(state.store.as_ref()).await?;
    let mut ctx = crate::api::quotes::context(&reference);
    ctx.at = state.clock.now();
    let placed = checkout::checkout(state.store.as_ref(), state.sandbox.as_ref(), cart_id, &req, &ctx)
        .await
        .map_err(|e| checkout_problem(e, req.user_id.as_deref()))?;
    Ok(PlacedJson { order: order_json(&placed.order), token: placed.token })
}

#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// The order when the caller may read it: its fan (signed in), or whoever holds its token.
pub async fn readable_order(
    state: &AppState,
    number: &str,
    principal: Option<&podium_app::accounts::Principal>,
    token: Option<&str>,
) -> Result<Option<OrderRecord>, ApiError> {
    let Some(o) = state.store.order_by_number(number).await? else { return Ok(None) };
    let by_user = principal.is_some_and(|p| o.user_id.as_deref() == Some(p.user.id.as_str()));
    let by_token = token
        .is_some_and(|t| bool::from(podium_app::accounts::token_hash(t).as_bytes().ct_eq(o.token_hash.as_bytes())));
    Ok((by_user || by_token).then_some(o))
}

/// An order, for its fan (session or bearer) or whoever holds its token.
#[utoipa::path(get, path = "/api/v1/orders/{number}", tag = "checkout",
    params(("number" = String, Path, description = "The order number, e.g. PD-7KQ2-M9XD"), ("token" = Option<String>, Query, description = "The order's token (or header X-Order-Token)")),
    responses((status = 200, body = OrderJson), (status = 404, body = Problem, description = "No such order, or not yours")))]
pub async fn get_order(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Json<OrderJson>, ApiError> {
    let token = q.token.or_else(|| headers.get("x-order-token").and_then(|v| v.to_str().ok()).map(str::to_string));
    let o = readable_order(&state, &number, caller.person()?.as_ref(), token.as_deref())
        .await?
        .ok_or_else(|| ApiError::not_found("no such order"))?;
    Ok(Json(order_json(&o)))
}

#[derive(Serialize, ToSchema)]
pub struct OrderListJson {
    pub items: Vec<OrderJson>,
}

/// The signed-in fan's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "checkout",
    responses((status = 200, body = OrderListJson), (status = 401, body = Problem)))]
pub async fn my_orders(State(state): State<AppState>, caller: Caller) -> Result<Json<OrderListJson>, ApiError> {
    let p = caller.require()?;
    let orders = state.store.orders_of_user(&p.user.id, 50).await?;
    Ok(Json(OrderListJson { items: orders.iter().map(order_json).collect() }))
}

#[derive(Serialize, ToSchema)]
pub struct ShopConsignmentJson {
    pub id: String,
    pub order_number: String,
    pub status: String,
    pub country: String,
    pub total: MoneyJson,
    pub units: i64,
    pub open_returns: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShopConsignmentsJson {
    pub items: Vec<ShopConsignmentJson>,
}

pub(crate) fn shop_of(p: &podium_app::accounts::Principal, slug: &str) -> Result<String, ApiError> {
    p.orgs_of(OrgKind::Shop).find(|o| o.slug == slug).map(|o| o.id.clone()).ok_or_else(|| {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "you are not a member of this shop")
    })
}

/// A shop's consignments (paid orders only), newest first. Members of the shop only.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/consignments", tag = "fulfilment",
    params(("shop" = String, Path, description = "The shop's slug")),
    responses((status = 200, body = ShopConsignmentsJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn shop_consignments(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    caller: Caller,
) -> Result<Json<ShopConsignmentsJson>, ApiError> {
    let p = caller.require_scope(Scope::ReadOrders)?;
    let shop_id = shop_of(&p, &shop)?;
    let rows = state.store.shop_consignments(&shop_id, 200).await?;
    Ok(Json(ShopConsignmentsJson {
        items: rows
            .into_iter()
            .map(|c| ShopConsignmentJson {
                total: money(c.total, &c.currency),
                id: c.id,
                order_number: c.order_number,
                status: c.status.as_str().into(),
                country: c.country,
                units: c.units,
                open_returns: c.open_returns,
            })
            .collect(),
    }))
}

pub fn fulfil_problem(e: FulfilError) -> ApiError {
    match e {
        FulfilError::NotFound | FulfilError::ReturnNotFound => ApiError::not_found(e.to_string()),
        FulfilError::State(_) | FulfilError::WindowClosed(_) | FulfilError::ReturnDecided => {
            ApiError::new(StatusCode::CONFLICT, "wrong-state", "Not possible now", e.to_string())
        }
        FulfilError::Invalid(field, _) => ApiError::invalid(field, e.to_string()),
        FulfilError::Code(_) => ApiError::invalid("codes", e.to_string()),
        FulfilError::Provider(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "payment-provider", "The payment provider failed", e.to_string())
        }
        FulfilError::Store(s) => s.into(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ShipBody {
    pub carrier: String,
    pub tracking: String,
    /// Per order line, the authenticity code on each unit.
    #[serde(default)]
    pub codes: Vec<LineCodesBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct LineCodesBody {
    pub line: String,
    pub codes: Vec<String>,
}

/// The shop the caller fulfils the consignment for.
async fn fulfiller(state: &AppState, caller: Caller, consignment: &str) -> Result<String, ApiError> {
    let p = caller.require_scope(Scope::FulfilOrders)?;
    let order = state
        .store
        .order_of_consignment(consignment)
        .await?
        .ok_or_else(|| ApiError::not_found("no such consignment"))?;
    let c = order
        .consignments
        .iter()
        .find(|c| c.id == consignment)
        .ok_or_else(|| ApiError::not_found("no such consignment"))?;
    if p.orgs_of(OrgKind::Shop).any(|o| o.id == c.shop_id) {
        Ok(c.shop_id.clone())
    } else {
        Err(ApiError::not_found("no such consignment"))
    }
}

async fn fulfil_step(
    state: &AppState,
    caller: Caller,
    id: &str,
    step: FulfilStep,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shop_id = fulfiller(state, caller, id).await?;
    fulfilment::fulfil(state.store.as_ref(), &shop_id, id, step, state.clock.now()).await.map_err(fulfil_problem)?;
    let (order, c) = fulfilment::shop_consignment(state.store.as_ref(), &shop_id, id).await.map_err(fulfil_problem)?;
    Ok(Json(consignment_json(&c, &order.currency)))
}

/// Accept a new consignment (the shop will make and ship it).
#[utoipa::path(post, path = "/api/v1/consignments/{id}/accept", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    fulfil_step(&state, caller, &id, FulfilStep::Accept).await
}

/// Ship an accepted consignment: carrier, tracking number and an authenticity code per unit.
#[utoipa::path(post, path = "/api/v1/consignments/{id}/ship", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)), request_body = ShipBody,
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ship(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<ShipBody>,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shipment = Shipment {
        carrier: body.carrier,
        tracking: body.tracking,
        codes: body.codes.into_iter().take(200).map(|l| (l.line, l.codes.into_iter().take(1000).collect())).collect(),
    };
    fulfil_step(&state, caller, &id, FulfilStep::Ship(shipment)).await
}

/// Mark a shipped consignment delivered (its return window starts).
#[utoipa::path(post, path = "/api/v1/consignments/{id}/deliver", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn deliver(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    fulfil_step(&state, caller, &id, FulfilStep::Deliver).await
}

#[derive(Deserialize, ToSchema)]
pub struct ReturnBody {
    pub consignment: String,
    pub lines: Vec<ReturnLineBody>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReturnLineBody {
    pub line: String,
    pub quantity: i64,
}

/// Ask to return units of a delivered consignment within the shop's return window.
#[utoipa::path(post, path = "/api/v1/orders/{number}/returns", tag = "checkout", request_body = ReturnBody,
    params(("number" = String, Path), ("token" = Option<String>, Query)),
    responses((status = 201, body = OrderJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_return(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(body): ApiJson<ReturnBody>,
) -> Result<(StatusCode, Json<OrderJson>), ApiError> {
    let token = q.token.or_else(|| headers.get("x-order-token").and_then(|v| v.to_str().ok()).map(str::to_string));
    let o = readable_order(&state, &number, caller.person()?.as_ref(), token.as_deref())
        .await?
        .ok_or_else(|| ApiError::not_found("no such order"))?;
    let lines: Vec<(String, i64)> = body.lines.into_iter().take(200).map(|l| (l.line, l.quantity)).collect();
    fulfilment::request_return(state.store.as_ref(), &o, &body.consignment, &lines, &body.reason, state.clock.now())
        .await
        .map_err(fulfil_problem)?;
    let o = state.store.order(&o.id).await?.ok_or_else(|| ApiError::not_found("no such order"))?;
    Ok((StatusCode::CREATED, Json(order_json(&o))))
}

#[derive(Deserialize, ToSchema)]
pub struct DecideReturnBody {
    /// Put the returned units back in stock.
    #[serde(default)]
    pub restock: bool,
}

/// Accept a return: the refund goes back to the card through the provider.
#[utoipa::path(post, path = "/api/v1/consignments/{id}/returns/{rid}/accept", tag = "fulfilment", security(("bearer" = [])), request_body = DecideReturnBody,
    params(("id" = String, Path), ("rid" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "The return is being decided or was decided already")))]
pub async fn accept_return(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<DecideReturnBody>,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shop_id = fulfiller(&state, caller, &id).await?;
    fulfilment::accept_return(
        state.store.as_ref(),
        state.sandbox.as_ref(),
        &shop_id,
        &id,
        &rid,
        body.restock,
        state.clock.now(),
    )
    .await
    .map_err(fulfil_problem)?;
    let (order, c) = fulfilment::shop_consignment(state.store.as_ref(), &shop_id, &id).await.map_err(fulfil_problem)?;
    Ok(Json(consignment_json(&c, &order.currency)))
}

/// The sandbox provider's webhooks: verified (Standard Webhooks signature), applied once per
/// event id, the order settled against the payment's current state.
#[utoipa::path(post, path = "/api/v1/webhooks/sandbox", tag = "checkout",
    params(("webhook-id" = String, Header), ("webhook-timestamp" = String, Header), ("webhook-signature" = String, Header)),
    responses((status = 200, description = "Applied (or a duplicate, recognised)"), (status = 400, body = Problem, description = "Bad or stale signature")))]
pub async fn sandbox_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let hdrs =
        WebhookHeaders { id: h("webhook-id"), timestamp: h("webhook-timestamp"), signature: h("webhook-signature") };
    let now = state.clock.now();
    let event = state
        .sandbox
        .verify_webhook(&hdrs, &body, now)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-webhook", "The webhook was refused", e.to_string()))?;
    let first = checkout::on_webhook(state.store.as_ref(), state.sandbox.as_ref(), &event, now)
        .await
        .map_err(|e| checkout_problem(e, None))?;
    Ok(Json(serde_json::json!({"received": event.id, "duplicate": !first})))
}
