//! Paying through Stripe in the browser: the card is typed into Stripe.js (never into Podium's
//! pages), and a payment that asks for the cardholder's second step (3-D Secure) is taken on a
//! page that hands Stripe.js the intent's client secret, then returns here, where the order is
//! settled against what Stripe says.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::checkout;
use podium_app::payments::PaymentStatus;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/checkout/stripe/{id}/authenticate", authenticate_page)
        .get("/checkout/stripe/{id}/return", back_from_stripe)
        .get("/static/stripe-checkout.js", script)
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/stripe-checkout.js"),
    )
}

/// What the checkout page's script needs.
pub(crate) struct StripeView {
    pub(crate) key: String,
    pub(crate) js_url: String,
}

impl StripeView {
    pub(crate) fn of(state: &AppState) -> Option<StripeView> {
        state.config.stripe.as_ref().map(|s| StripeView { key: s.publishable_key.clone(), js_url: s.js_url.clone() })
    }
}

/// The policy of a page that runs Stripe.js: its script, its API and its frames allowed on top
/// of Podium's own.
pub(crate) fn with_stripe_csp(state: &AppState, mut response: Response) -> Response {
    let Some(s) = &state.config.stripe else { return response };
    let script = origin(&s.js_url);
    let policy = format!(
        "default-src 'self'; script-src 'self' {script}; style-src 'self'; img-src 'self' data: {script}; \
         frame-src {script} https://hooks.stripe.com; connect-src 'self' {api} {script}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        api = s.api_origin
    );
    if let Ok(v) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// `https://js.stripe.com` of `https://js.stripe.com/v3/`.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[derive(Template)]
#[template(path = "stripe_authenticate.html")]
pub(crate) struct AuthenticatePage {
    pub(crate) layout: Layout,
    pub(crate) stripe: StripeView,
    pub(crate) secret: String,
    pub(crate) back: String,
    pub(crate) ask: String,
}

/// The second step: Stripe.js shows the bank's check, then the browser comes back to
/// [`back_from_stripe`].
pub(crate) async fn authenticate_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(stripe) = StripeView::of(&state) else { return Err(PageError::not_found(v.tr.clone())) };
    let tr = v.tr.clone();
    let fail = |e: podium_app::payments::PaymentError| PageError::internal(tr.clone(), e);
    let Some(p) = state.payments.retrieve(&id).await.map_err(fail)? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let back = format!("/checkout/stripe/{}/return", p.id);
    if p.status != PaymentStatus::RequiresAction {
        return Ok(v.respond(Redirect::to(&back)));
    }
    let Some(secret) = state.payments.action_secret(&p.id).await.map_err(fail)? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let ask = v.tr.tn(
        "stripe-ask",
        &[("amount", &money(&v.tr, p.amount, &p.currency)), ("card", &format!("{} •••• {}", p.brand, p.last4))],
    );
    let page = AuthenticatePage { layout: Layout::new(&v), stripe, secret, back, ask };
    Ok(with_stripe_csp(&state, render(v, StatusCode::OK, page)))
}

/// Back from Stripe: the order is settled against the intent as Stripe now has it, and the fan
/// sees their order (paid, or cancelled with the reason).
pub(crate) async fn back_from_stripe(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if state.config.stripe.is_none() {
        return Err(PageError::not_found(v.tr.clone()));
    }
    let tr = v.tr.clone();
    let Some(p) = state.payments.retrieve(&id).await.map_err(|e| PageError::internal(tr.clone(), e))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let now = state.clock.now();
    if let Err(e) = checkout::settle(state.store.as_ref(), state.payments.as_ref(), &p.reference, now).await {
        tracing::warn!(error = %e, "settling after Stripe's second step failed; the sweep will retry");
    }
    let order = state.store.order(&p.reference).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(order) = order else { return Err(PageError::not_found(v.tr.clone())) };
    let token = checkout::order_token(&state.config.shared_secret.0, &order.id);
    Ok(v.respond(Redirect::to(&format!("/orders/{}?token={token}&placed=1", order.number))).into_response())
}
