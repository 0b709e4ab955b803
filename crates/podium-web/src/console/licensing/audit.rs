//! Audit logs: a licensor's own (every licensing decision, agreement change, code batch), and
//! the operator's, which reads the whole marketplace's — its own actions and every licensor's
//! and shop's — with the organisation each entry belongs to.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use podium_app::licensing::AuditRecord;
use podium_app::Org;
use podium_domain::role::OrgKind;

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::date;
use crate::kit::guards::member_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

/// The most entries a page shows.
const LIMIT: i64 = 500;

struct AuditRow {
    when: String,
    org: String,
    who: String,
    client: String,
    what: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "licensing_audit.html")]
struct AuditPage {
    layout: Layout,
    /// The licensor whose log this is; `None` for the operator's marketplace-wide log.
    org: Option<Org>,
    entries: Vec<AuditRow>,
}

fn row(tr: &Tr, org: String, r: AuditRecord) -> AuditRow {
    let key = format!("audit-{}", r.entry.action.replace(['.', '_'], "-"));
    let what = if tr.i18n.has(tr.lang, &key) { tr.t(&key) } else { r.entry.action.clone() };
    AuditRow {
        when: date(r.created_at),
        org,
        who: r.entry.actor_name,
        client: r.entry.client,
        what,
        subject: r.entry.subject,
        detail: r.entry.detail,
    }
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/audit"));
    let tr = v.tr.clone();
    let log = state.store.audit_log(&org.id, LIMIT).await.map_err(internal(&tr))?;
    let entries = log.into_iter().map(|r| row(&tr, org.name.clone(), r)).collect();
    let layout = Layout::new(&v);
    Ok(render(v, StatusCode::OK, AuditPage { layout, org: Some(org), entries }))
}

/// The marketplace operator's log: payout runs, imports of trade rules and rates, role changes,
/// and every licensor's and shop's entries.
pub(crate) async fn operator_audit(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    if let Err(r) = crate::kit::guards::operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let tr = v.tr.clone();
    let log = podium_app::audit::marketplace_log(state.store.as_ref(), LIMIT).await.map_err(internal(&tr))?;
    let entries = log.into_iter().map(|(org, r)| row(&tr, org, r)).collect();
    let layout = Layout::new(&v);
    Ok(render(v, StatusCode::OK, AuditPage { layout, org: None, entries }))
}
