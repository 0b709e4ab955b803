//! A licensor's review of the stories that name its properties.

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::day;
use crate::kit::guards::author_or_return;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::kit::story_card::story_card;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::stories::{self, StoryQuery, StoryUseError};
use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;
use serde::Deserialize;

pub(crate) struct ReviewRow {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) byline: String,
    pub(crate) date: String,
}

#[derive(Template)]
#[template(path = "story_reviews.html")]
pub(crate) struct ReviewPage {
    pub(crate) layout: Layout,
    pub(crate) org_slug: String,
    pub(crate) org_name: String,
    pub(crate) rows: Vec<ReviewRow>,
    pub(crate) done: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    pub(crate) done: String,
}

pub(crate) async fn review_queue(
    State(state): State<AppState>,
    v: Visitor,
    Path(org): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let org = author_or_return!(v, org, format!("/console/licensing/{org}/stories"));
    if org.kind != OrgKind::Licensor {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let tr = v.tr.clone();
    let waiting = state
        .store
        .stories(&StoryQuery {
            status: Some(StoryStatus::InReview),
            licensor_id: Some(org.id.clone()),
            limit: 200,
            ..StoryQuery::default()
        })
        .await
        .map_err(internal(&tr))?;
    let rows = waiting
        .iter()
        .map(|s| {
            let card = story_card(&tr, s);
            ReviewRow {
                id: s.id.clone(),
                slug: s.slug.clone(),
                title: card.title,
                byline: card.byline,
                date: day(s.updated_at),
            }
        })
        .collect();
    let done = match q.done.as_str() {
        "published" => Some(tr.t("story-review-approved")),
        "rejected" => Some(tr.t("story-review-rejected")),
        "note" => Some(tr.t("story-review-note-needed")),
        _ => None,
    };
    let page = ReviewPage { layout: Layout::new(&v), org_slug: org.slug, org_name: org.name, rows, done };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) decision: String,
    #[serde(default)]
    pub(crate) note: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = author_or_return!(v, org, format!("/console/licensing/{org}/stories"));
    if org.kind != OrgKind::Licensor {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let approve = f.decision == "approve";
    match stories::review(state.store.as_ref(), &org.id, &id, approve, &f.note, state.clock.now()).await {
        Ok(to) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories?done={}", org.slug, to.as_str())))),
        Err(StoryUseError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(StoryUseError::Invalid(_)) => {
            Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories?done=note", org.slug))))
        }
        Err(StoryUseError::Stale) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories", org.slug)))),
        Err(e) => Err(PageError::internal(v.tr.clone(), e)),
    }
}
