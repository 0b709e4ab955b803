//! The licensing consoles' routes (a licensor's queue, agreements, codes and properties; a
//! merchant's licences and submissions) and the labels and error texts their pages share.
//! Forms post and redirect; nothing needs JavaScript.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use podium_app::licensing::LicensingError;
use podium_domain::approval::Status;
use podium_domain::licensing::AgreementStatus;

use crate::console::licensing::agreements::{add_rights, agreement, agreements, create_agreement};
use crate::console::licensing::codes_sheet::{codes_csv, codes_svg};
use crate::console::licensing::merchant::{my_licences, resubmit, submit};
use crate::console::licensing::properties::add_property;
use crate::console::licensing::queue::{queue, set_stages};
use crate::console::licensing::submission::{attachment, decide, submission};
use crate::kit::i18n::Tr;

/// The most a decision's attachments may weigh together.
pub(crate) const MAX_ATTACHMENTS: usize = 8 * 1024 * 1024;

pub fn routes() -> crate::routes::Routes {
    let uploads = crate::routes::Routes::new()
        .post("/console/licensing/{org}/submissions/{id}/decide", decide)
        .map(|r| r.layer(DefaultBodyLimit::max(MAX_ATTACHMENTS + 64 * 1024)));
    crate::routes::Routes::new()
        .get("/console/licensing/{org}", queue)
        .get("/console/licensing/{org}/submissions/{id}", submission)
        .get("/console/licensing/{org}/agreements", agreements)
        .post("/console/licensing/{org}/agreements", create_agreement)
        .get("/console/licensing/{org}/agreements/{id}", agreement)
        .post("/console/licensing/{org}/agreements/{id}/status", crate::console::licensing::codes::agreement_status)
        .post("/console/licensing/{org}/agreements/{id}/rights", add_rights)
        .get("/console/licensing/{org}/codes", crate::console::licensing::codes::codes)
        .post("/console/licensing/{org}/codes", crate::console::licensing::codes::issue_codes)
        .get("/console/licensing/{org}/codes/{batch}/codes.csv", codes_csv)
        .get("/console/licensing/{org}/codes/{batch}/labels.svg", codes_svg)
        .get("/console/licensing/{org}/audit", crate::console::licensing::audit::audit)
        .get("/console/operator/audit", crate::console::licensing::audit::operator_audit)
        .post("/console/licensing/{org}/properties", add_property)
        .post("/console/licensing/{org}/stages", set_stages)
        .get("/console/shops/{shop}/licences", my_licences)
        .post("/console/shops/{shop}/products/{handle}/submit", submit)
        .post("/console/shops/{shop}/submissions/{id}/resubmit", resubmit)
        .get("/console/attachments/{id}", attachment)
        .merge(uploads)
}

pub(crate) fn stage_label(tr: &Tr, stage: &str) -> String {
    let key = format!("stage-{stage}");
    if tr.i18n.has(tr.lang, &key) {
        return tr.t(&key);
    }
    // A licensor's own stage: "colour-proof" reads "Colour proof".
    let words = stage.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub(crate) fn status_label(tr: &Tr, s: Status) -> String {
    tr.t(&format!("submission-{}", s.as_str().replace('_', "-")))
}

pub(crate) fn agreement_status_label(tr: &Tr, s: AgreementStatus) -> String {
    tr.t(&format!("agreement-{}", s.as_str()))
}

pub(crate) fn error_text(tr: &Tr, e: &LicensingError) -> String {
    match e {
        LicensingError::Conflict(c) => tr.t1("licensing-conflict", "detail", c),
        other => other.to_string(),
    }
}

/// A page shown again with an error is a 422; otherwise a 200.
pub(crate) fn status_for(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}
