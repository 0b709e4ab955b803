//! Running payouts moves money, so it takes two steps: the operator reads a preview (every payee,
//! the amount and currency each would be paid, the totals per currency, who owes rather than is
//! owed) and confirms it. The confirmation names the preview it read; if the balances changed
//! meanwhile the new preview is shown instead and nothing moves.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::payouts::{self, Confirmed, Preview, PreviewLine, SandboxPayouts};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::kit::guards::operator_or;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

struct PayeeRow {
    payee: String,
    amount: String,
    from: String,
}

#[derive(Template)]
#[template(path = "payout_preview.html")]
struct PreviewPage {
    layout: Layout,
    rows: Vec<PayeeRow>,
    owed: Vec<PayeeRow>,
    unpayable: Vec<(String, String)>,
    totals: Vec<String>,
    sending: usize,
    fingerprint: String,
    error: Option<String>,
}

fn payee_row(v: &Visitor, l: &PreviewLine) -> PayeeRow {
    let payee = match l.authority.as_deref().map(podium_domain::Country::parse) {
        Some(Ok(c)) => v.tr.t1("payout-authority", "country", &v.tr.country(c)),
        _ => l.name.clone(),
    };
    let from = l
        .parts
        .iter()
        .map(|(kind, cur, amount, _)| {
            let label = v.tr.t(&format!("payout-from-{kind}"));
            match *amount {
                // A balance below zero is a debt, said as one (never as a negative amount).
                a if a < 0 => v.tr.tn("payouts-part-owed", &[("what", &label), ("amount", &money(&v.tr, -a, cur))]),
                a => format!("{label} {}", money(&v.tr, a, cur)),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    PayeeRow { payee, amount: money(&v.tr, l.amount.abs(), &l.currency), from }
}

fn preview_page(v: Visitor, p: &Preview, status: StatusCode, error: Option<String>) -> Response {
    let page = PreviewPage {
        layout: Layout::new(&v),
        rows: p.to_pay.iter().map(|l| payee_row(&v, l)).collect(),
        owed: p.owed.iter().map(|l| payee_row(&v, l)).collect(),
        unpayable: p.unpayable.clone(),
        totals: p.totals().iter().map(|(cur, minor)| money(&v.tr, *minor, cur)).collect(),
        sending: p.sending,
        fingerprint: p.fingerprint(),
        error,
    };
    render(v, status, page)
}

async fn current(
    state: &AppState,
    v: &Visitor,
) -> Result<(Preview, std::sync::Arc<podium_app::pricing::Reference>), PageError> {
    let internal = |e: podium_app::StoreError| PageError::internal(v.tr.clone(), e);
    let reference = state.reference.get(state.store.as_ref()).await.map_err(internal)?;
    let preview = payouts::preview(state.store.as_ref(), &reference.rates).await.map_err(internal)?;
    Ok((preview, reference))
}

/// GET: what a run would pay now; nothing moves.
pub(crate) async fn preview(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let (p, _) = current(&state, &v).await?;
    Ok(preview_page(v, &p, StatusCode::OK, None))
}

#[derive(Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    csrf_token: String,
    /// The ticked "I have checked the payees and amounts" box.
    #[serde(default)]
    confirm: String,
    /// The fingerprint of the preview the operator read.
    #[serde(default)]
    preview: String,
}

/// POST: runs the payouts the operator confirmed, and only those.
pub(crate) async fn run(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<RunForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let (p, reference) = current(&state, &v).await?;
    if f.confirm != "yes" || f.preview.is_empty() {
        let e = v.tr.t("payouts-confirm-missing");
        return Ok(preview_page(v, &p, StatusCode::UNPROCESSABLE_ENTITY, Some(e)));
    }
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let provider = SandboxPayouts::new(state.store.clone(), state.config.sandbox_payout_failures.clone());
    let by = v.principal.as_ref().map(|p| p.user.email.clone()).unwrap_or_default();
    let outcome =
        payouts::run_confirmed(state.store.as_ref(), &provider, &reference.rates, &by, &f.preview, state.clock.now())
            .await
            .map_err(internal)?;
    let summary = match outcome {
        Confirmed::Ran(summary) => summary,
        Confirmed::Changed(now) => {
            let e = v.tr.t("payouts-changed");
            return Ok(preview_page(v, &now, StatusCode::CONFLICT, Some(e)));
        }
    };
    let detail = payouts::run_detail(&summary);
    crate::kit::guards::audit(&state, &v, "payouts.run", "payout run", &detail).await?;
    Ok(v.respond(Redirect::to(&format!(
        "/console/operator/payouts?paid={}&failed={}&skipped={}",
        summary.paid,
        summary.failed,
        summary.skipped.len()
    ))))
}
