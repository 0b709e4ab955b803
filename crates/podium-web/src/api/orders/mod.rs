//! Checkout and orders in the API: `POST /carts/{id}/checkout` with `Idempotency-Key`, and the fan's
//! orders by session or token. It never imports another area; rules are app's (checkout, orders::readable).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use podium_app::checkout::{self, CheckoutError, CheckoutRequest};
use podium_domain::Lang;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Caller;
use crate::kit::error::{ApiError, Problem};
use crate::AppState;

mod fulfil;
mod json;
mod returns;
mod webhooks;

pub use fulfil::*;
pub use json::*;
pub use returns::*;
pub use webhooks::*;

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
        CheckoutError::TooManyAttempts { retry_after_secs, limit } => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-payment-attempts",
                "Too many payment attempts",
                format!("too many {}; nothing was reserved or charged — try again later", limit.as_str()),
            );
            e.retry_after = Some(retry_after_secs);
            e
        }
        CheckoutError::TooLarge { max } => {
            ApiError::invalid("lines", format!("the order's total is over the limit of {}", max.formatted()))
        }
        CheckoutError::CartNotFound => ApiError::not_found("no such cart"),
        CheckoutError::EmptyCart => ApiError::invalid("lines", "the cart is empty"),
        CheckoutError::WrongCountry { .. } => ApiError::invalid("shipping_address.country", e.to_string()),
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

/// Check out a cart: the stock of every line is reserved, the card authorized and captured, and
/// the order is `paid` (201). A card that needs a second step answers 201 with status
/// `pending_payment` and a `next_action` URL. Send an `Idempotency-Key` so a retry never pays
/// twice.
#[utoipa::path(post, path = "/api/v1/carts/{id}/checkout", tag = "checkout", request_body = CheckoutBody,
    params(("id" = String, Path, description = "The cart's token"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body return the same order")),
    responses((status = 201, body = PlacedJson), (status = 402, body = Problem, description = "The card was declined; nothing stays reserved"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "Sold out, the cart is already being checked out or was ordered, or the first request with this key is still running"),
              (status = 429, body = Problem, description = "Too many unpaid orders wait for the card's second step, or too many payment attempts or declines (card testing); see Retry-After"),
              (status = 422, body = Problem)))]
pub async fn checkout_cart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    client: crate::kit::context::ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match crate::kit::idempotent::key_of(&headers) {
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
    crate::kit::idempotent::respond(&state, &scope, key, &body.clone(), || async move {
        match run_checkout(&worker, &id, user_id, client, &body).await {
            Ok(placed) => (StatusCode::CREATED, serde_json::to_string(&placed).unwrap_or_default()),
            Err(e) => crate::kit::idempotent::problem_body(e),
        }
    })
    .await
}

pub(crate) async fn run_checkout(
    state: &AppState,
    cart_id: &str,
    user_id: Option<String>,
    client: String,
    body: &[u8],
) -> Result<PlacedJson, ApiError> {
    let body: CheckoutBody = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", "The request body is not valid", e.to_string())
    })?;
    let local = podium_domain::pay_method::PayMethod::parse(&body.payment.method)
        .filter(|m| *m != podium_domain::pay_method::PayMethod::Card)
        .map(|m| podium_app::payments::LocalPayment {
            phone: body.payment.phone.clone(),
            iban: body.payment.iban.clone(),
            holder: body.payment.account_holder.clone(),
            ..podium_app::payments::LocalPayment::new(m)
        });
    let payment_method = match (body.payment.method.as_str(), state.payments.name()) {
        _ if local.is_some() => None,
        ("sandbox_card", "sandbox") => None,
        ("stripe", "stripe") => match body.payment.payment_method.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => Some(m.to_string()),
            _ => {
                return Err(ApiError::invalid(
                    "payment.payment_method",
                    "is required: a PaymentMethod made by Stripe.js",
                ))
            }
        },
        (_, "stripe") => {
            return Err(ApiError::invalid("payment.method", "cards are paid by stripe here, or use a local method"))
        }
        _ => return Err(ApiError::invalid("payment.method", "use sandbox_card or a local method")),
    };
    let cart = podium_app::cart::for_delivery(
        state.store.as_ref(),
        cart_id,
        user_id.as_deref(),
        &body.shipping_address.country,
    )
    .await
    .map_err(|e| checkout_problem(e, user_id.as_deref()))?;
    let lang = match body.lang.as_deref() {
        None | Some("") => Lang::En,
        Some(l) => Lang::from_tag(l).ok_or_else(|| ApiError::invalid("lang", "use one of en, fr, zh-Hans, ja, ko"))?,
    };
    let a = body.shipping_address;
    let req = CheckoutRequest {
        email: body.email,
        address: a.into_address(&cart.country),
        card_number: body.payment.card_number,
        payment_method,
        local,
        public_url: state.config.public_url.clone(),
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
    let ctx = reference.context(state.clock.now());
    let placed = checkout::checkout_cart(state.store.as_ref(), state.payments.as_ref(), cart, &req, &ctx)
        .await
        .map_err(|e| checkout_problem(e, req.user_id.as_deref()))?;
    Ok(PlacedJson { order: order_json(&placed.order), token: placed.token })
}

#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
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
    let user = caller.person()?.map(|p| p.user.id);
    let o = podium_app::orders::readable(state.store.as_ref(), &number, user.as_deref(), token.as_deref())
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
