//! What a fan follows, and which notifications they get.

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::stories::FollowKind;
use podium_domain::role::OrgKind;
use serde::Deserialize;

pub(crate) struct FollowRow {
    pub(crate) kind: &'static str,
    pub(crate) kind_label: String,
    pub(crate) target: String,
    pub(crate) name: String,
    pub(crate) href: String,
}

#[derive(Template)]
#[template(path = "follows.html")]
pub(crate) struct FollowsPage {
    pub(crate) layout: Layout,
    pub(crate) rows: Vec<FollowRow>,
    pub(crate) story_mails: bool,
    pub(crate) saved: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    pub(crate) saved: String,
}

pub(crate) async fn follows(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let Some(p) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to("/signin?next=/account/follows")));
    };
    let tr = v.tr.clone();
    let store = state.store.as_ref();
    let properties = store.properties().await.map_err(internal(&tr))?;
    let mut orgs = store.orgs_of_kind(OrgKind::Shop).await.map_err(internal(&tr))?;
    orgs.extend(store.orgs_of_kind(OrgKind::Licensor).await.map_err(internal(&tr))?);
    let mut rows = Vec::new();
    for (kind, target) in store.follows_of(&p.user.id).await.map_err(internal(&tr))? {
        let (name, href) = match kind {
            FollowKind::Property => match properties.iter().find(|x| x.id == target) {
                Some(x) => (x.name.clone(), format!("/properties/{}", x.slug)),
                None => continue,
            },
            FollowKind::Shop => match orgs.iter().find(|o| o.id == target) {
                Some(o) => (o.name.clone(), format!("/shops/{}", o.slug)),
                None => continue,
            },
            FollowKind::Licensor => match orgs.iter().find(|o| o.id == target) {
                Some(o) => (o.name.clone(), format!("/stories?licensor={}", o.slug)),
                None => continue,
            },
        };
        rows.push(FollowRow {
            kind: kind.as_str(),
            kind_label: tr.t(&format!("follow-kind-{}", kind.as_str())),
            target,
            name,
            href,
        });
    }
    let story_mails = store.story_mails(&p.user.id).await.map_err(internal(&tr))?;
    let page = FollowsPage { layout: Layout::new(&v), rows, story_mails, saved: !q.saved.is_empty() };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
pub(crate) struct NotificationsForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) story_mails: String,
}

/// Turns the new-story e-mails on or off, in the language the fan reads the page in.
pub(crate) async fn notifications(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<NotificationsForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(p) = &v.principal else {
        return Ok(v.respond(Redirect::to("/signin?next=/account/follows")));
    };
    let on = !f.story_mails.is_empty();
    state.store.set_story_mails(&p.user.id, on, v.tr.lang).await.map_err(internal(&v.tr))?;
    Ok(v.respond(Redirect::to("/account/follows?saved=1")))
}

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/account/follows", follows).post("/account/notifications", notifications)
}
