//! The sandbox provider's own pages: its card form, and the page standing in for whatever the
//! fan answers a payment with — the bank's second step, the wallet app that scanned the QR
//! code, the convenience store's till, the phone that got the M-Pesa prompt. And the page
//! wallets and banks send the fan back to.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::checkout;
use podium_app::payments::{PaymentProvider, PaymentStatus};
use podium_domain::pay_method::{Flow, PayMethod};
use podium_domain::payment::CardNumber;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

#[derive(Deserialize)]
pub(crate) struct CardForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) card_number: String,
}

/// The sandbox provider's card form handler: the card becomes a payment method token and the
/// browser goes back to the review step with it. The number goes no further than this.
pub(crate) async fn sandbox_card(
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

#[derive(Template)]
#[template(path = "sandbox_confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) layout: Layout,
    pub(crate) payment_id: String,
    /// Who stands here: the bank's second step, or the method's wallet, till or phone.
    pub(crate) eyebrow: String,
    pub(crate) ask: String,
    pub(crate) done: Option<String>,
    /// A till takes the money; it does not refuse it.
    pub(crate) can_refuse: bool,
    pub(crate) approve: String,
    pub(crate) local: bool,
}

pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(p) = state.sandbox.retrieve(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let page = confirm_view(&state, &v, &p, None);
    Ok(render(v, StatusCode::OK, page))
}

fn confirm_view(
    state: &AppState,
    v: &Visitor,
    p: &podium_app::payments::PaymentState,
    done: Option<String>,
) -> ConfirmPage {
    let tr = &v.tr;
    let amount = money(tr, p.amount, &p.currency);
    let method = tr.t(&format!("paymethod-{}", p.method.code()));
    let expired = p.due_at.is_some_and(|d| state.clock.now() >= d) && p.status == PaymentStatus::RequiresAction;
    let done = done.or_else(|| {
        if expired {
            Some(tr.t("sandbox-expired"))
        } else {
            (p.status != PaymentStatus::RequiresAction).then(|| tr.t1("sandbox-already", "status", p.status.as_str()))
        }
    });
    let flow = p.method.flow();
    let ask = match flow {
        Flow::Card => tr.tn("sandbox-ask", &[("amount", &amount), ("card", &format!("{} •••• {}", p.brand, p.last4))]),
        Flow::Voucher => {
            tr.tn("sandbox-ask-till", &[("number", &podium_app::payments::voucher_number(&p.id)), ("amount", &amount)])
        }
        Flow::PhonePush => tr.tn("sandbox-ask-phone", &[("last4", &p.last4), ("amount", &amount)]),
        _ => tr.tn("sandbox-ask-wallet", &[("method", &method), ("amount", &amount)]),
    };
    ConfirmPage {
        layout: Layout::new(v),
        payment_id: p.id.clone(),
        eyebrow: if flow == Flow::Card { tr.t("sandbox-bank") } else { tr.t1("sandbox-method", "method", &method) },
        ask,
        done,
        can_refuse: flow != Flow::Voucher,
        approve: if flow == Flow::Card { tr.t("sandbox-approve") } else { tr.t("sandbox-pay") },
        local: p.method != PayMethod::Card,
    }
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) decision: String,
}

/// The fan's answer. A card's second step and a bank's or wallet's redirect come back to
/// Podium: the order is settled at once and the browser returns to it. A QR code scanned with
/// a phone, a till and an M-Pesa prompt answer elsewhere: the marketplace hears of it by the
/// provider's webhook, and the order page (refreshing itself) shows it.
pub(crate) async fn confirm(
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
    let answered = match state.sandbox.confirm(&id, f.decision == "approve").await {
        Ok(p) => p,
        // A voucher past its expiry: the till says so.
        Err(podium_app::payments::PaymentError::State(_)) => {
            let page = confirm_view(&state, &v, &p, None);
            return Ok(render(v, StatusCode::CONFLICT, page));
        }
        Err(e) => return Err(fail(e)),
    };
    if matches!(p.method.flow(), Flow::Qr | Flow::Voucher | Flow::PhonePush) {
        let done = (answered.status == PaymentStatus::Captured)
            .then(|| v.tr.t1("sandbox-paid-async", "method", &v.tr.t(&format!("paymethod-{}", p.method.code()))));
        let page = confirm_view(&state, &v, &answered, done);
        return Ok(render(v, StatusCode::OK, page));
    }
    back_to_order(&state, v, &p.reference).await
}

/// Settles the order a payment is for and sends the browser to it.
async fn back_to_order(state: &AppState, v: Visitor, order_id: &str) -> Result<Response, PageError> {
    let now = state.clock.now();
    if let Err(e) = checkout::settle(state.store.as_ref(), state.payments.as_ref(), order_id, now).await {
        tracing::warn!(error = %e, "settling after the fan's answer failed; the sweep will retry");
    }
    let order = state.store.order(order_id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(order) = order else { return Err(PageError::not_found(v.tr.clone())) };
    let token = checkout::order_token(&state.config.shared_secret.0, &order.id);
    Ok(v.respond(Redirect::to(&format!("/orders/{}?token={token}&placed=1", order.number))))
}

#[derive(Deserialize)]
pub(crate) struct ReturnQuery {
    /// Stripe names the intent the fan comes back from.
    #[serde(default)]
    pub(crate) payment_intent: String,
}

/// Where a wallet or bank sends the fan back to (Stripe adds the intent's id): the order is
/// settled against the payment and the fan sees it.
pub(crate) async fn wallet_return(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, PageError> {
    let id: String = q.payment_intent.chars().take(100).collect();
    let found = if id.is_empty() { None } else { state.payments.retrieve(&id).await.ok().flatten() };
    let Some(p) = found.filter(|p| !p.reference.is_empty()) else { return Err(PageError::not_found(v.tr.clone())) };
    back_to_order(&state, v, &p.reference).await
}
