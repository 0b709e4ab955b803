//! Payouts in the consoles: the operator runs them (after a preview and a confirmation, see
//! `payout_confirm`; it does what `podium payouts run` does) and sees every payout; a payee's members read their own payouts' statements, as a
//! page or CSV.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::payouts::PayoutRecord;

use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::kit::guards::operator_or;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/operator/payouts", list)
        .get("/console/operator/payouts/preview", crate::console::operator::payout_confirm::preview)
        .post("/console/operator/payouts", crate::console::operator::payout_confirm::run)
        .get("/console/payouts/{id}", statement)
}

struct Row {
    id: String,
    payee: String,
    amount: String,
    status: String,
    status_class: &'static str,
    failure: String,
    date: String,
    /// Where a country's authorities' bank account is kept (remittances only).
    bank: Option<String>,
}

/// The payee as people read it: the organisation, or a country's authorities for a remittance.
fn payee(v: &Visitor, p: &PayoutRecord) -> String {
    match podium_domain::Country::parse(&p.payee_id) {
        Ok(c) if p.payee_name == p.payee_id => v.tr.t1("payout-authority", "country", &v.tr.country(c)),
        _ => p.payee_name.clone(),
    }
}

fn row(v: &Visitor, p: &PayoutRecord) -> Row {
    Row {
        id: p.id.clone(),
        payee: payee(v, p),
        amount: money(&v.tr, p.amount, &p.currency),
        status: v.tr.t(&format!("payout-status-{}", p.status)),
        status_class: match p.status.as_str() {
            "paid" => "good",
            "failed" => "bad",
            _ => "wait",
        },
        failure: p.failure.clone().unwrap_or_default(),
        date: format!("{}", p.created_at.date()),
        bank: podium_domain::Country::parse(&p.payee_id)
            .ok()
            .filter(|_| p.payee_name == p.payee_id)
            .map(|c| format!("/console/operator/tax-authorities/{}/bank-account", c.code())),
    }
}

#[derive(Template)]
#[template(path = "payouts_console.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    notice: Option<String>,
    files: Vec<crate::console::operator::payout_files::FileRow>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    paid: String,
    #[serde(default)]
    failed: String,
    #[serde(default)]
    skipped: String,
    #[serde(default)]
    accepted: String,
}

async fn list(State(state): State<AppState>, v: Visitor, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let all = state.store.payouts(None, 200).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let mut notice = (!q.paid.is_empty())
        .then(|| v.tr.tn("payouts-ran", &[("paid", q.paid.as_str()), ("failed", q.failed.as_str())]));
    if let (Some(n), Ok(skipped)) = (notice.as_mut(), q.skipped.parse::<u32>()) {
        if skipped > 0 {
            n.push(' ');
            n.push_str(&v.tr.t1("payouts-skipped", "count", &skipped.to_string()));
        }
    }
    if let Ok(n) = q.accepted.parse::<u32>() {
        notice = Some(v.tr.t1("payout-file-accepted", "count", &n.to_string()));
    }
    let files = state.store.payout_files(50).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let files = crate::console::operator::payout_files::rows(&v, &files);
    let page = ListPage { layout: Layout::new(&v), rows: all.iter().map(|p| row(&v, p)).collect(), notice, files };
    Ok(render(v, StatusCode::OK, page))
}

struct Part {
    from: String,
    amount: String,
    rate: String,
}

#[derive(Template)]
#[template(path = "payout.html")]
struct StatementPage {
    layout: Layout,
    p: Row,
    currency: String,
    reference: String,
    parts: Vec<Part>,
}

#[derive(Deserialize, Default)]
struct StatementQuery {
    #[serde(default)]
    format: String,
}

async fn statement(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let Some(principal) = &v.principal else {
        return Ok(v.respond(Redirect::to(&format!("/signin?next=/console/payouts/{id}"))));
    };
    let Some(p) = state.store.payout(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let mine =
        principal.orgs.iter().any(|o| o.id == p.payee_id) || principal.has_role(podium_domain::role::Role::Operator);
    if !mine {
        return Err(PageError::not_found(v.tr.clone()));
    }
    if q.format == "csv" {
        let mut out =
            String::from("payout,payee,status,from_account,from_currency,from_amount,rate,paid_currency,paid_amount\n");
        for (kind, cur, amount, rate) in &p.parts {
            out.push_str(&format!(
                "{},{},{},{kind},{cur},{amount},{rate},{},{}\n",
                p.id,
                payee(&v, &p).replace(',', " "),
                p.status,
                p.currency,
                p.amount
            ));
        }
        let name = format!("attachment; filename=\"payout-{}.csv\"", p.id);
        return Ok(v.respond(
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out)
                .into_response(),
        ));
    }
    let parts = p
        .parts
        .iter()
        .map(|(kind, cur, amount, rate)| Part {
            from: v.tr.t(&format!("payout-from-{kind}")),
            amount: money(&v.tr, *amount, cur),
            rate: format!("1 {cur} = {rate} {}", p.currency),
        })
        .collect();
    let page = StatementPage {
        layout: Layout::new(&v),
        p: row(&v, &p),
        currency: p.currency.clone(),
        reference: p.provider_ref.clone().unwrap_or_default(),
        parts,
    };
    Ok(render(v, StatusCode::OK, page))
}
