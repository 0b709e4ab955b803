//! The bank files payout runs wrote (ISO 20022 pain.001, one per run and currency): listed on
//! the operator's payouts page, downloaded for the bank, and marked accepted once the bank took
//! them, which pays their payouts (as `podium payouts accept` does).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::payouts::PayoutFile;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::kit::guards::operator_or;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/operator/payout-files/{id}", download)
        .post("/console/operator/payout-files/{id}/accept", accept)
}

/// One file as the payouts page lists it.
pub(crate) struct FileRow {
    pub(crate) id: String,
    pub(crate) date: String,
    pub(crate) transfers: i64,
    pub(crate) total: String,
    pub(crate) accepted: bool,
}

pub(crate) fn rows(v: &Visitor, files: &[PayoutFile]) -> Vec<FileRow> {
    files
        .iter()
        .map(|f| FileRow {
            id: f.id.clone(),
            date: format!("{}", f.created_at.date()),
            transfers: f.transfers,
            total: money(&v.tr, f.total, &f.currency),
            accepted: f.status == "accepted",
        })
        .collect()
}

async fn download(State(state): State<AppState>, v: Visitor, Path(id): Path<String>) -> Result<Response, PageError> {
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let file = state.store.payout_file(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(file) = file else { return Err(PageError::not_found(v.tr.clone())) };
    let name = format!(
        "attachment; filename=\"{}.xml\"",
        file.id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_', "")
    );
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)],
        file.body,
    )
        .into_response())
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    csrf_token: String,
}

async fn accept(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let now = state.clock.now();
    let settled = podium_app::payout_files::accept_file(state.store.as_ref(), &id, now)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(n) = settled else { return Err(PageError::not_found(v.tr.clone())) };
    crate::kit::guards::audit(&state, &v, "payouts.file_accepted", &id, &format!("{n} payouts paid")).await?;
    Ok(v.respond(Redirect::to(&format!("/console/operator/payouts?accepted={n}"))))
}
