//! The licensor's approval queue: submissions waiting per stage, oldest first, and the
//! licensor's approval stages.

use crate::console::licensing::console::{error_text, stage_label};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::waited;
use crate::kit::guards::{acting, member_or_return};
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::licensing::{self, LicensingError, SubmissionFilter, SubmissionRecord};
use podium_app::Org;
use podium_domain::approval::Status;
use podium_domain::role::OrgKind;
use serde::Deserialize;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------------
// The approval queue.

pub(crate) struct QueueRow {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) shop: String,
    pub(crate) kind: String,
    pub(crate) stage: String,
    pub(crate) waited: String,
    pub(crate) waiting_on_us: bool,
}

pub(crate) struct StageCount {
    pub(crate) label: String,
    pub(crate) count: usize,
}

#[derive(Template)]
#[template(path = "licensing_queue.html")]
pub(crate) struct QueuePage {
    pub(crate) layout: Layout,
    pub(crate) org: Org,
    pub(crate) stages: Vec<StageCount>,
    /// The licensor's stages as typed in the settings form.
    pub(crate) stage_list: String,
    pub(crate) rows: Vec<QueueRow>,
    pub(crate) sent_back: Vec<QueueRow>,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) async fn titles_of(state: &AppState, tr: &Tr, subs: &[SubmissionRecord]) -> Result<Vec<String>, PageError> {
    let ids: Vec<String> = subs.iter().map(|s| s.product_id.clone()).collect();
    let products = state.store.products_by_ids(&ids).await.map_err(internal(tr))?;
    Ok(subs
        .iter()
        .map(|s| {
            products
                .iter()
                .find(|p| p.id == s.product_id)
                .and_then(|p| podium_app::storefront::text(p, tr.lang))
                .map(|t| t.translation.title.clone())
                .unwrap_or_else(|| s.product_handle.clone())
        })
        .collect())
}

pub(crate) fn queue_row(tr: &Tr, s: &SubmissionRecord, title: String, now: OffsetDateTime) -> QueueRow {
    QueueRow {
        id: s.id.clone(),
        title,
        shop: s.shop.name.clone(),
        kind: tr.t(&format!("submission-kind-{}", s.kind.as_str())),
        stage: stage_label(tr, s.stage_name()),
        waited: waited(tr, s.waiting_since, now),
        waiting_on_us: s.state.status == Status::Submitted,
    }
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}"));
    let tr = v.tr.clone();
    let subs = state
        .store
        .submissions(&SubmissionFilter { licensor_id: Some(org.id.clone()), open_only: true, ..Default::default() })
        .await
        .map_err(internal(&tr))?;
    let titles = titles_of(&state, &tr, &subs).await?;
    let now = state.clock.now();
    let stages = licensing::stages_of(state.store.as_ref(), &org.id).await.map_err(internal(&tr))?;
    let mut rows = Vec::new();
    let mut sent_back = Vec::new();
    for (s, title) in subs.iter().zip(titles) {
        let row = queue_row(&tr, s, title, now);
        if row.waiting_on_us {
            rows.push(row);
        } else {
            sent_back.push(row);
        }
    }
    // Submissions keep the stages they started with, so they are counted by stage name.
    let counts = stages
        .names()
        .iter()
        .map(|name| StageCount {
            label: stage_label(&tr, name),
            count: subs.iter().filter(|s| s.state.status == Status::Submitted && s.stage_name() == name).count(),
        })
        .collect();
    let notice = match q.stages.as_str() {
        "saved" => Some(tr.t("stages-saved")),
        _ => None,
    };
    let page = QueuePage {
        layout: Layout::new(&v),
        org,
        stages: counts,
        stage_list: stages.names().join(", "),
        rows,
        sent_back,
        notice,
        error: None,
    };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    #[serde(default)]
    pub(crate) stages: String,
}

#[derive(Deserialize)]
pub(crate) struct StagesForm {
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) stages: String,
}

/// Sets the licensor's approval stages for new submissions.
pub(crate) async fn set_stages(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<StagesForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}"));
    match licensing::set_stages(state.store.as_ref(), &acting(&v), &org.id, &f.stages).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}?stages=saved", org.slug)))),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let tr = v.tr.clone();
            let page = QueuePage {
                layout: Layout::new(&v),
                org,
                stages: Vec::new(),
                stage_list: f.stages.chars().take(400).collect(),
                rows: Vec::new(),
                sent_back: Vec::new(),
                notice: None,
                error: Some(error_text(&tr, &e)),
            };
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}
