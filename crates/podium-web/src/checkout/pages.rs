//! The fan's side of buying, without JavaScript: add to cart, the cart (one consignment per
//! shop with its shipping, VAT, duty and total), the checkout steps (address → shipping →
//! payment → review → place), the sandbox provider's card form and second-step page, and the
//! order page with tracking, verify links and returns.

use crate::kit::address::{self, AddressForm, AddressView};
use crate::kit::cart_view::{cart_view, CartView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::cart::{self, CartError, PricedCart};
use podium_app::checkout::{self, CheckoutError, CheckoutRequest};
use podium_app::fulfilment::{self, FulfilError};
use podium_app::orders::{Address, OrderRecord};
use podium_app::payments::{PaymentProvider, PaymentStatus};
use podium_app::quote;
use podium_domain::order::{ConsignmentStatus, OrderStatus};
use podium_domain::payment::CardNumber;
use podium_domain::Country;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::{consignment_status, money};
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/cart", cart_page)
        .post("/cart/add", add)
        .post("/cart/lines", set_line)
        .get("/checkout", checkout_page)
        .post("/checkout/address", save_address)
        .post("/checkout/place", place)
        .post("/sandbox/cards", sandbox_card)
        .get("/sandbox/payments/{id}/confirm", confirm_page)
        .post("/sandbox/payments/{id}/confirm", confirm)
        .get("/orders/{number}", order_page)
        .post("/orders/{number}/returns", ask_return)
        .post("/orders/{number}/abandon", abandon_order)
        .get("/account/orders", my_orders)
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    layout: Layout,
    cart: CartView,
    error: Option<String>,
    /// Where the fan came from when adding failed (their product page), to go back and choose again.
    back: Option<String>,
}

/// The visitor's cart, following their ship-to country and currency (a new one when none).
async fn visitor_cart(state: &AppState, v: &mut Visitor, create: bool) -> Result<Option<String>, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let user = v.principal.as_ref().map(|p| p.user.id.clone());
    // The cookie's cart, unless it is a fan's cart and this visitor is not that fan.
    let mut found = match v.cart_id() {
        Some(id) => state.store.cart(&id).await.map_err(internal)?.filter(|c| c.usable_by(user.as_deref())),
        None => None,
    };
    if found.is_none() {
        if let Some(user) = &user {
            if let Some(id) = state.store.user_cart(user).await.map_err(internal)? {
                found = state.store.cart(&id).await.map_err(internal)?;
            }
        }
    }
    let (country, currency) = (v.prefs.country.code(), v.prefs.currency.code());
    match found {
        Some(c) => {
            if c.country != country || c.currency != currency {
                state.store.set_cart_place(&c.id, country, currency).await.map_err(internal)?;
            }
            if v.cart_id().as_deref() != Some(c.id.as_str()) {
                v.set_cart(&c.id);
            }
            Ok(Some(c.id))
        }
        None if create => {
            let id = cart::new_cart_id();
            state.store.create_cart(&id, country, currency).await.map_err(internal)?;
            if let Some(p) = &v.principal {
                state.store.set_cart_owner(&id, &p.user.id).await.map_err(internal)?;
            }
            v.set_cart(&id);
            Ok(Some(id))
        }
        None => {
            if v.cart_id().is_some() {
                v.clear_cart();
            }
            Ok(None)
        }
    }
}

/// The cart priced, and whether its country shows prices with VAT included.
async fn priced(state: &AppState, tr: &Tr, id: &str) -> Result<Option<(PricedCart, bool)>, PageError> {
    let internal = |e: String| PageError::internal(tr.clone(), e);
    let Some(c) = state.store.cart(id).await.map_err(|e| internal(e.to_string()))? else { return Ok(None) };
    let reference = state.reference.get(state.store.as_ref()).await.map_err(|e| internal(e.to_string()))?;
    let inclusive = crate::kit::cart_view::includes_tax(&reference.rules, &c.country);
    let mut ctx = crate::api::quotes::context(&reference);
    ctx.at = state.clock.now();
    let priced = cart::price_cart(state.store.as_ref(), c, &ctx).await.map_err(|e| internal(e.to_string()))?;
    Ok(Some((priced, inclusive)))
}

async fn show_cart(
    state: &AppState,
    v: Visitor,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    show_cart_from(state, v, status, error, None).await
}

async fn show_cart_from(
    state: &AppState,
    mut v: Visitor,
    status: StatusCode,
    error: Option<String>,
    back: Option<String>,
) -> Result<Response, PageError> {
    let id = visitor_cart(state, &mut v, false).await?;
    let p = match id {
        Some(id) => priced(state, &v.tr, &id).await?,
        None => None,
    };
    let view = match &p {
        Some((p, inclusive)) => cart_view(&v.tr, p, *inclusive),
        None => CartView::empty(&v.tr, v.prefs.country, v.prefs.currency),
    };
    let page = CartPage { layout: Layout::new(&v).keyed("cart-title", "meta-cart"), cart: view, error, back };
    Ok(render(v, status, page))
}

async fn cart_page(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    show_cart(&state, v, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct LineForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
    /// The page the item was added from (a same-site path), for "back to the product".
    #[serde(default)]
    back: String,
}

fn cart_error_text(tr: &Tr, e: &CartError) -> String {
    match e {
        CartError::SoldOut { available: 0, .. } => tr.t("cart-error-sold-out"),
        CartError::SoldOut { available, in_cart: 0, .. } => {
            tr.t1("cart-error-only-left", "count", &available.to_string())
        }
        CartError::SoldOut { available, in_cart, .. } => tr.tn(
            "cart-error-only-left-in-cart",
            &[("count", &available.to_string()), ("in_cart", &in_cart.to_string())],
        ),
        CartError::Quantity => tr.t("cart-error-quantity"),
        CartError::TooManyLines => tr.t("cart-error-full"),
        CartError::Line { reason, .. } => tr.t1("cart-error-undeliverable", "reason", reason),
        other => other.to_string(),
    }
}

async fn add(State(state): State<AppState>, mut v: Visitor, Form(f): Form<LineForm>) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let quantity: i64 = f.quantity.trim().parse().unwrap_or(0);
    let sku: String = f.sku.chars().take(200).collect();
    let Some(id) = visitor_cart(&state, &mut v, true).await? else { return Err(PageError::not_found(v.tr.clone())) };
    let reference =
        state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let mut ctx = crate::api::quotes::context(&reference);
    ctx.at = state.clock.now();
    match cart::add_line(state.store.as_ref(), &id, &sku, quantity, &ctx).await {
        Ok(_) => Ok(v.respond(Redirect::to("/cart"))),
        Err(CartError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let status = if matches!(e, CartError::SoldOut { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let text = cart_error_text(&v.tr, &e);
            let back = podium_app::links::same_site_path(&f.back).ok().flatten();
            show_cart_from(&state, v, status, Some(text), back).await
        }
    }
}

/// Changes a line's quantity (0 removes it).
async fn set_line(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<LineForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let quantity: i64 = f.quantity.trim().parse().unwrap_or(-1);
    if !(0..=i64::from(quote::MAX_QUANTITY)).contains(&quantity) {
        let text = v.tr.t("cart-error-quantity");
        return show_cart(&state, v, StatusCode::UNPROCESSABLE_ENTITY, Some(text)).await;
    }
    let sku: String = f.sku.chars().take(200).collect();
    if quantity > 0 {
        // Setting, not adding: clear then add through the rules (stock, delivery).
        let current = state.store.cart(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
        let had = current.and_then(|c| c.lines.into_iter().find(|(s, _)| *s == sku)).map_or(0, |(_, q)| q);
        if quantity > had {
            let reference =
                state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
            let mut ctx = crate::api::quotes::context(&reference);
            ctx.at = state.clock.now();
            if let Err(e) = cart::add_line(state.store.as_ref(), &id, &sku, quantity - had, &ctx).await {
                let text = cart_error_text(&v.tr, &e);
                return show_cart(&state, v, StatusCode::CONFLICT, Some(text)).await;
            }
            return Ok(v.respond(Redirect::to("/cart")));
        }
    }
    state.store.set_cart_line(&id, &sku, quantity).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    Ok(v.respond(Redirect::to("/cart")))
}

struct StepView {
    label: String,
    href: String,
    state: &'static str,
}

struct CardView {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    layout: Layout,
    step: &'static str,
    steps: Vec<StepView>,
    cart: CartView,
    address: AddressView,
    card: Option<CardView>,
    error: Option<String>,
    idempotency_key: String,
}

#[derive(Deserialize, Default)]
struct StepQuery {
    #[serde(default)]
    step: String,
    #[serde(default)]
    pm: String,
    #[serde(default)]
    error: String,
}

const STEPS: [&str; 4] = ["address", "shipping", "payment", "review"];

fn steps(tr: &Tr, current: &str, reachable: usize) -> Vec<StepView> {
    let at = STEPS.iter().position(|s| *s == current).unwrap_or(0);
    STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            label: tr.t(&format!("checkout-step-{s}")),
            href: if i <= reachable && *s != "review" { format!("/checkout?step={s}") } else { String::new() },
            state: if i == at {
                "current"
            } else if i < at {
                "done"
            } else {
                "todo"
            },
        })
        .collect()
}

fn address_ok(email: &str, a: &Address) -> bool {
    !email.is_empty() && !a.name.is_empty() && !a.line1.is_empty() && !a.city.is_empty()
}

async fn show_checkout(
    state: &AppState,
    mut v: Visitor,
    step: &str,
    status: StatusCode,
    error: Option<String>,
    typed: Option<AddressView>,
    pm: &str,
) -> Result<Response, PageError> {
    let Some(id) = visitor_cart(state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let Some((p, inclusive)) = priced(state, &v.tr, &id).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    if p.quote.is_none() || !p.set_aside.is_empty() {
        // Nothing to buy, or lines to sort out first: the cart says which.
        return Ok(v.respond(Redirect::to("/cart")));
    }
    let have_address = address_ok(&p.cart.email, &p.cart.address);
    let mut step = STEPS.iter().copied().find(|s| *s == step).unwrap_or("address");
    if !have_address && step != "address" {
        step = "address";
    }
    let card = if step == "review" {
        match state.store.sandbox_method(pm).await.map_err(|e| PageError::internal(v.tr.clone(), e))? {
            Some(m) => Some(CardView { id: m.id, label: format!("{} •••• {}", m.brand, m.last4) }),
            None => {
                step = "payment";
                None
            }
        }
    } else {
        None
    };
    let mut a = p.cart.address.clone();
    a.country = p.cart.country.clone();
    let customs = Country::parse(&a.country)
        .is_ok_and(|to| podium_domain::address::customs_code_required(to, &address::ship_from(p.quote.as_ref())));
    let address = typed.unwrap_or_else(|| AddressView::new(&v.tr, &p.cart.email, &a, customs));
    let reachable = if have_address { 2 } else { 0 };
    let page = CheckoutPage {
        layout: Layout::new(&v),
        steps: steps(&v.tr, step, reachable),
        step,
        cart: cart_view(&v.tr, &p, inclusive),
        address,
        card,
        error,
        idempotency_key: cart::new_cart_id(),
    };
    Ok(render(v, status, page))
}

async fn checkout_page(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<StepQuery>,
) -> Result<Response, PageError> {
    let error = match q.error.as_str() {
        "card" => Some(v.tr.t("checkout-error-card")),
        _ => None,
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let step = if q.step.is_empty() { "address" } else { q.step.as_str() };
    show_checkout(&state, v, step, status, error, None, &q.pm).await
}

async fn save_address(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<AddressForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let address = f.address(v.prefs.country.code(), checkout::MAX_FIELD);
    let email = f.email.trim().chars().take(checkout::MAX_FIELD + 1).collect::<String>();
    // The same rules as the checkout itself, with a sandbox card standing in for the payment.
    let probe = CheckoutRequest {
        email: email.clone(),
        address: address.clone(),
        card_number: String::new(),
        payment_method: Some("pm_chosen_later".into()),
        lang: v.prefs.lang,
        user_id: None,
        token_key: Vec::new(),
        commission_bp: 0,
        client: String::new(),
        holds: podium_app::checkout::HoldPolicy::default(),
        max_order_units: 0,
        phone_required: true,
    };
    let ship_from = match priced(&state, &v.tr, &id).await? {
        Some((p, _)) => address::ship_from(p.quote.as_ref()),
        None => Vec::new(),
    };
    let customs =
        Country::parse(&address.country).is_ok_and(|to| podium_domain::address::customs_code_required(to, &ship_from));
    let refused = match checkout::validate(&probe) {
        Err(CheckoutError::Invalid(field, why)) => Some((field, why)),
        _ => podium_app::shipping_address::check_import(&address, &ship_from).err(),
    };
    if let Some((field, why)) = refused {
        let typed = AddressView::new(&v.tr, &email, &address, customs).with_error(&v.tr, field, &why);
        let text = Some(typed.error_text.clone());
        return show_checkout(&state, v, "address", StatusCode::UNPROCESSABLE_ENTITY, text, Some(typed), "").await;
    }
    let address = podium_app::shipping_address::check(&address, true).unwrap_or(address);
    state.store.set_cart_contact(&id, &email, &address).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    Ok(v.respond(Redirect::to("/checkout?step=shipping")))
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    card_number: String,
}

/// The sandbox provider's card form handler: the card becomes a payment method token and the
/// browser goes back to the review step with it. The number goes no further than this.
async fn sandbox_card(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<CardForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let made = match CardNumber::parse(&f.card_number) {
        Ok(card) => state.sandbox.tokenize(&card).await.ok(),
        Err(_) => None,
    };
    Ok(match made {
        Some(m) => v.respond(Redirect::to(&format!("/checkout?step=review&pm={}", m.id))),
        None => v.respond(Redirect::to("/checkout?step=payment&error=card")),
    })
}

#[derive(Deserialize)]
struct PlaceForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pm: String,
    #[serde(default)]
    idempotency_key: String,
}

/// Why a drop refused the fan, in their language.
pub(crate) fn drop_refusal_text(tr: &Tr, why: &podium_app::drops::DropRefusal) -> String {
    use podium_app::drops::DropRefusal;
    use podium_domain::drop::LimitError;
    match why {
        DropRefusal::NotOpen(at) => tr.t1("drop-refused-not-open", "at", &crate::kit::format::date(*at)),
        DropRefusal::NotAdmitted => tr.t("drop-refused-not-admitted"),
        DropRefusal::Limit(LimitError::Account { limit, .. }) => {
            tr.t1("drop-refused-limit", "limit", &limit.to_string())
        }
        DropRefusal::Limit(LimitError::Card { limit, .. }) => tr.t1("drop-refused-card", "limit", &limit.to_string()),
        DropRefusal::Limit(LimitError::Invalid) => tr.t("drop-refused-not-admitted"),
        DropRefusal::SoldOut => tr.t("cart-error-sold-out"),
    }
}

fn checkout_error_text(tr: &Tr, e: &CheckoutError, user: Option<&str>) -> String {
    match e {
        CheckoutError::Declined { code, .. } if code == "insufficient_funds" => tr.t("checkout-error-funds"),
        CheckoutError::Declined { .. } => tr.t("checkout-error-declined"),
        CheckoutError::SoldOut { .. } => tr.t("cart-error-sold-out"),
        CheckoutError::Unavailable { reason, .. } => tr.t1("cart-error-undeliverable", "reason", reason),
        CheckoutError::Invalid(..) => tr.t("checkout-error-card"),
        CheckoutError::Drop(why) => drop_refusal_text(tr, why),
        CheckoutError::CartTaken { order } => match order.as_deref().filter(|o| o.user_id.as_deref() == user) {
            Some(o) if o.status == OrderStatus::PendingPayment => {
                tr.t1("checkout-error-cart-pending", "number", &o.number)
            }
            Some(o) => tr.t1("checkout-error-cart-ordered", "number", &o.number),
            None => tr.t("checkout-error-cart-changed"),
        },
        CheckoutError::TooManyPending { .. } => tr.t("checkout-error-too-many-pending"),
        CheckoutError::TooLarge { max } => tr.t1("checkout-error-too-large", "max", &tr.money(*max)),
        other => other.to_string(),
    }
}

/// Places the order: idempotent per review page (a double click makes one order).
async fn place(State(state): State<AppState>, mut v: Visitor, Form(f): Form<PlaceForm>) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let cart = state.store.cart(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(cart) = cart else { return Ok(v.respond(Redirect::to("/cart"))) };
    let key = (!f.idempotency_key.is_empty()).then(|| f.idempotency_key.chars().take(100).collect::<String>());
    // The key is made per review page; the same key with the same card is the same order
    // (the cart is emptied once paid, so the lines cannot be part of what is compared).
    let body = f.pm.clone();
    let req = CheckoutRequest {
        email: cart.email.clone(),
        address: cart.address.clone(),
        card_number: String::new(),
        payment_method: Some(f.pm.chars().take(100).collect()),
        lang: v.prefs.lang,
        user_id: v.principal.as_ref().map(|p| p.user.id.clone()),
        token_key: state.config.shared_secret.0.clone(),
        commission_bp: state.config.commission_bp,
        client: v.client.clone(),
        holds: state.config.holds,
        max_order_units: state.config.bounds.max_order_units,
        phone_required: true,
    };
    let worker = state.clone();
    let tr = v.tr.clone();
    let cart_id = id.clone();
    // The answer kept for a repeated click: where to go (2xx) or what went wrong (4xx).
    let (status, answer, _) = crate::api::orders::idempotent_raw(
        &state,
        &format!("checkout-page:{id}"),
        key,
        body.as_bytes(),
        || async move {
            let reference = match worker.reference.get(worker.store.as_ref()).await {
                Ok(r) => r,
                Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let mut ctx = crate::api::quotes::context(&reference);
            ctx.at = worker.clock.now();
            match checkout::checkout(worker.store.as_ref(), worker.sandbox.as_ref(), &cart_id, &req, &ctx).await {
                Ok(placed) => {
                    let to = match &placed.order.next_action {
                        Some(next) if placed.order.status == OrderStatus::PendingPayment => next.clone(),
                        _ => format!("/orders/{}?token={}&placed=1", placed.order.number, placed.token),
                    };
                    (StatusCode::SEE_OTHER, to)
                }
                Err(CheckoutError::Store(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
                Err(e) => {
                    let status = match e {
                        CheckoutError::Declined { .. } => StatusCode::PAYMENT_REQUIRED,
                        CheckoutError::SoldOut { .. } | CheckoutError::Drop(_) | CheckoutError::CartTaken { .. } => {
                            StatusCode::CONFLICT
                        }
                        CheckoutError::TooManyPending { .. } => StatusCode::TOO_MANY_REQUESTS,
                        _ => StatusCode::UNPROCESSABLE_ENTITY,
                    };
                    (status, checkout_error_text(&tr, &e, req.user_id.as_deref()))
                }
            }
        },
    )
    .await;
    if status == StatusCode::SEE_OTHER {
        return Ok(v.respond(Redirect::to(&answer)));
    }
    if status.is_server_error() {
        return Err(PageError::internal(v.tr.clone(), answer));
    }
    let step = if status == StatusCode::PAYMENT_REQUIRED { "payment" } else { "review" };
    let pm = if step == "review" { f.pm } else { String::new() };
    show_checkout(&state, v, step, status, Some(answer), None, &pm).await
}

#[derive(Template)]
#[template(path = "sandbox_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    payment_id: String,
    ask: String,
    done: Option<String>,
}

async fn confirm_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(p) = state.sandbox.retrieve(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let done =
        (p.status != PaymentStatus::RequiresAction).then(|| v.tr.t1("sandbox-already", "status", p.status.as_str()));
    let page = ConfirmPage {
        layout: Layout::new(&v),
        payment_id: p.id.clone(),
        ask: v.tr.tn(
            "sandbox-ask",
            &[("amount", &money(&v.tr, p.amount, &p.currency)), ("card", &format!("{} •••• {}", p.brand, p.last4))],
        ),
        done,
    };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    decision: String,
}

/// The cardholder's answer: the payment is authorized (or declined), the order settled against
/// it at once, and the browser returns to the order.
async fn confirm(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let tr = v.tr.clone();
    let fail = |e: podium_app::payments::PaymentError| PageError::internal(tr.clone(), e);
    let Some(p) = state.sandbox.retrieve(&id).await.map_err(fail)? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    state.sandbox.confirm(&id, f.decision == "approve").await.map_err(fail)?;
    let now = state.clock.now();
    if let Err(e) = checkout::settle(state.store.as_ref(), state.sandbox.as_ref(), &p.reference, now).await {
        tracing::warn!(error = %e, "settling after the second step failed; the sweep will retry");
    }
    let order = state.store.order(&p.reference).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(order) = order else { return Err(PageError::not_found(v.tr.clone())) };
    let token = checkout::order_token(&state.config.shared_secret.0, &order.id);
    Ok(v.respond(Redirect::to(&format!("/orders/{}?token={token}&placed=1", order.number))))
}

struct CodeView {
    code: String,
    grouped: String,
}

struct OrderLineView {
    id: String,
    title: String,
    quantity: i64,
    refunded: i64,
    returnable: i64,
    /// The line's amount, in the convention of the destination (with VAT where it includes it).
    net: String,
    codes: Vec<CodeView>,
}

struct ReturnView {
    refunded: bool,
    status: String,
    amount: String,
    reason: String,
}

struct OrderConsignmentView {
    id: String,
    shop_name: String,
    status: String,
    status_class: &'static str,
    progress: Vec<StepView>,
    carrier: String,
    tracking: String,
    ship_from: String,
    days: String,
    lines: Vec<OrderLineView>,
    rows: Vec<crate::kit::cart_view::SumRow>,
    note: String,
    refunded: Option<String>,
    can_return: bool,
    return_until: String,
    returns: Vec<ReturnView>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    number: String,
    token: String,
    status: String,
    status_class: &'static str,
    headline: String,
    placed: bool,
    created: String,
    email: String,
    address: Vec<String>,
    card: String,
    total: String,
    refunded: Option<String>,
    next_action: Option<String>,
    consignments: Vec<OrderConsignmentView>,
    notice: Option<String>,
    error: Option<String>,
}

fn order_status_text(tr: &Tr, o: &OrderRecord) -> (String, &'static str, String) {
    let label = tr.t(&format!("order-status-{}", o.status.as_str()));
    let (class, headline) = match o.status {
        OrderStatus::Paid | OrderStatus::Completed => ("good", tr.t("order-headline-paid")),
        OrderStatus::PendingPayment => {
            let minutes = (o.hold_until - o.created_at).whole_minutes().max(1);
            ("wait", tr.t1("order-headline-pending", "minutes", &minutes.to_string()))
        }
        OrderStatus::Cancelled => (
            "bad",
            match o.failure.as_deref() {
                Some("card_declined") => tr.t("checkout-error-declined"),
                Some("insufficient_funds") => tr.t("checkout-error-funds"),
                _ => tr.t("order-headline-cancelled"),
            },
        ),
        OrderStatus::PartiallyRefunded | OrderStatus::Refunded => ("wait", tr.t("order-headline-refunded")),
    };
    (label, class, headline)
}

fn progress(tr: &Tr, s: ConsignmentStatus) -> Vec<StepView> {
    use ConsignmentStatus::*;
    let order = [New, Accepted, Shipped, Delivered];
    let at = order.iter().position(|x| *x == s).unwrap_or(match s {
        Completed => 3,
        _ => 0,
    });
    order
        .iter()
        .enumerate()
        .map(|(i, x)| StepView {
            label: tr.t(&format!("consignment-status-{}", x.as_str())),
            href: String::new(),
            state: if i < at || matches!(s, Completed) {
                "done"
            } else if i == at {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

fn order_page_view(v: &Visitor, o: &OrderRecord, token: &str, now: time::OffsetDateTime, inclusive: bool) -> OrderPage {
    let tr = &v.tr;
    let cur = o.currency.as_str();
    let money = |minor: i64, currency: &str| money(tr, minor, currency);
    let (status, status_class, headline) = order_status_text(tr, o);
    let date = |t: time::OffsetDateTime| format!("{}", t.date());
    let consignments = o
        .consignments
        .iter()
        .map(|c| {
            let (label, class) = consignment_status(tr, c.status);
            let deadline = fulfilment::return_deadline(c);
            let can_return = c.status == ConsignmentStatus::Delivered
                && deadline.is_some_and(|d| now <= d)
                && c.lines.iter().any(|l| fulfilment::returnable(c, &l.id) > 0);
            let currency = podium_domain::Currency::parse(cur).unwrap_or(podium_domain::Currency::EUR);
            let (amounts, rows, note) = crate::kit::cart_view::order_consignment(tr, c, currency, inclusive);
            OrderConsignmentView {
                id: c.id.clone(),
                shop_name: c.shop_name.clone(),
                status: label,
                status_class: class,
                progress: progress(tr, c.status),
                carrier: c.carrier.clone().unwrap_or_default(),
                tracking: c.tracking.clone().unwrap_or_default(),
                ship_from: Country::parse(&c.ship_from).map(|x| tr.country(x)).unwrap_or_default(),
                days: tr.tn("checkout-days", &[("min", &c.days_min.to_string()), ("max", &c.days_max.to_string())]),
                lines: c
                    .lines
                    .iter()
                    .zip(amounts)
                    .map(|(l, amount)| OrderLineView {
                        id: l.id.clone(),
                        title: l.title.clone(),
                        quantity: l.quantity,
                        refunded: l.refunded_quantity,
                        returnable: fulfilment::returnable(c, &l.id),
                        net: amount,
                        codes: l
                            .codes
                            .iter()
                            .map(|code| CodeView {
                                code: code.clone(),
                                grouped: podium_domain::authenticity::Code::parse(code)
                                    .map(|x| x.grouped())
                                    .unwrap_or_else(|_| code.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
                rows,
                note,
                refunded: (c.refunded > 0).then(|| money(c.refunded, cur)),
                can_return,
                return_until: deadline.map(date).unwrap_or_default(),
                returns: c
                    .returns
                    .iter()
                    .map(|r| ReturnView {
                        refunded: r.status == "refunded",
                        status: tr.t(&format!("return-status-{}", r.status)),
                        amount: money(r.amount, cur),
                        reason: r.reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    OrderPage {
        layout: Layout::new(v),
        number: o.number.clone(),
        token: token.to_string(),
        status,
        status_class,
        headline,
        placed: false,
        created: date(o.created_at),
        email: o.email.clone(),
        address: address::printed(tr, &o.address),
        card: match (&o.card_brand, &o.card_last4) {
            (Some(b), Some(l)) => format!("{b} •••• {l}"),
            _ => String::new(),
        },
        total: money(o.total, cur),
        refunded: (o.refunded > 0).then(|| money(o.refunded, cur)),
        next_action: o.next_action.clone().filter(|_| o.status == OrderStatus::PendingPayment),
        consignments,
        notice: None,
        error: None,
    }
}

#[derive(Deserialize, Default)]
struct OrderQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    placed: String,
    #[serde(default)]
    returned: String,
    #[serde(default)]
    abandoned: String,
}

async fn order_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Result<Response, PageError> {
    let token = (!q.token.is_empty()).then_some(q.token.as_str());
    let o = crate::api::orders::readable_order(&state, &number, v.principal.as_ref(), token)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e.detail))?;
    let Some(o) = o else { return Err(PageError::not_found(v.tr.clone())) };
    let inclusive = crate::kit::cart_view::order_includes_tax(&state, &o.address.country)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let mut page = order_page_view(&v, &o, &q.token, state.clock.now(), inclusive);
    page.placed = q.placed == "1" && o.status != OrderStatus::Cancelled;
    if q.returned == "1" {
        page.notice = Some(v.tr.t("return-requested"));
    }
    if q.abandoned == "1" && o.status == OrderStatus::Cancelled {
        page.notice = Some(v.tr.t("order-abandoned"));
    }
    Ok(render(v, StatusCode::OK, page))
}

/// The order a form on its page acts on: the signed-in fan's, or whoever holds its token.
async fn posted_order(state: &AppState, v: &Visitor, number: &str, token: &str) -> Result<OrderRecord, PageError> {
    let token = (!token.is_empty()).then_some(token);
    crate::api::orders::readable_order(state, number, v.principal.as_ref(), token)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e.detail))?
        .ok_or_else(|| PageError::not_found(v.tr.clone()))
}

#[derive(Deserialize)]
struct AbandonForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
}

/// The fan gives up an order waiting for the card's second step: its stock goes back on sale
/// at once (not when the hold runs out) and the cart may be checked out again.
async fn abandon_order(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Form(f): Form<AbandonForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    // Order tokens are hex: anything else is no token (and never reaches the redirect).
    let token: String = f.token.chars().take(100).filter(char::is_ascii_hexdigit).collect();
    let o = posted_order(&state, &v, &number, &token).await?;
    checkout::abandon(state.store.as_ref(), state.sandbox.as_ref(), &o.id, "abandoned", state.clock.now())
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let to = format!("/orders/{}?token={token}&abandoned=1", o.number);
    Ok(v.respond(Redirect::to(&to)))
}

async fn ask_return(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone()).unwrap_or_default();
    v.check_csrf(&get("csrf_token"))?;
    let token = get("token");
    let o = posted_order(&state, &v, &number, &token).await?;
    let consignment = get("consignment");
    let lines: Vec<(String, i64)> = pairs
        .iter()
        .filter_map(|(k, x)| k.strip_prefix("qty.").map(|id| (id.to_string(), x.trim().parse::<i64>().unwrap_or(0))))
        .take(200)
        .collect();
    let reason: String = get("reason").chars().take(fulfilment::MAX_REASON + 1).collect();
    match fulfilment::request_return(state.store.as_ref(), &o, &consignment, &lines, &reason, state.clock.now()).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/orders/{}?token={token}&returned=1", o.number)))),
        Err(FulfilError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let text = match e {
                FulfilError::WindowClosed(_) => v.tr.t("return-error-window"),
                FulfilError::Invalid("reason", _) => v.tr.t("return-error-reason"),
                _ => v.tr.t("return-error-lines"),
            };
            let inclusive = crate::kit::cart_view::order_includes_tax(&state, &o.address.country)
                .await
                .map_err(|e| PageError::internal(v.tr.clone(), e))?;
            let mut page = order_page_view(&v, &o, &token, state.clock.now(), inclusive);
            page.error = Some(text);
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

struct OrderRow {
    number: String,
    date: String,
    status: String,
    status_class: &'static str,
    total: String,
    shops: String,
}

#[derive(Template)]
#[template(path = "my_orders.html")]
struct MyOrdersPage {
    layout: Layout,
    orders: Vec<OrderRow>,
}

async fn my_orders(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let Some(p) = &v.principal else { return Ok(v.respond(Redirect::to("/signin?next=/account/orders"))) };
    let orders = state.store.orders_of_user(&p.user.id, 100).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let rows = orders
        .iter()
        .map(|o| {
            let (mut status, mut status_class, _) = order_status_text(&v.tr, o);
            if o.status == OrderStatus::Paid {
                // A paid order is as far along as its parcels are.
                let mut labels: Vec<(String, &'static str)> =
                    o.consignments.iter().map(|c| consignment_status(&v.tr, c.status)).collect();
                labels.dedup();
                if let Some((_, class)) = labels.first() {
                    status_class = class;
                }
                status = labels.into_iter().map(|(l, _)| l).collect::<Vec<_>>().join(" · ");
            }
            OrderRow {
                number: o.number.clone(),
                date: format!("{}", o.created_at.date()),
                status,
                status_class,
                total: money(&v.tr, o.total, &o.currency),
                shops: o.consignments.iter().map(|c| c.shop_name.as_str()).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    let page = MyOrdersPage { layout: Layout::new(&v), orders: rows };
    Ok(render(v, StatusCode::OK, page))
}
