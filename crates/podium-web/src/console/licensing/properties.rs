//! The licensor's portfolio of properties (a team, a Games): adding one.

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::member_or_return;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::StoreError;
use podium_domain::role::OrgKind;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// The audit log.

// (Its pages are in `audit_pages`.)

// ---------------------------------------------------------------------------------------------
// Properties.

#[derive(Deserialize)]
pub(crate) struct PropertyForm {
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) sport: String,
}

/// Adds a property (a team, a Games) to the licensor's portfolio; its slug comes from its name.
pub(crate) async fn add_property(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, "/console/licensor");
    let name = f.name.trim();
    let property_slug = podium_domain::catalogue::slugify(name);
    let outcome = if name.is_empty() || name.chars().count() > 100 || property_slug.is_empty() {
        "invalid"
    } else {
        let new = podium_app::catalogue::NewProperty {
            licensor_id: org.id.clone(),
            slug: property_slug,
            name: name.to_string(),
            sport: f.sport.trim().chars().take(60).collect(),
        };
        match state.store.create_property(new).await {
            Ok(_) => "added",
            Err(StoreError::Conflict { .. }) => "taken",
            Err(e) => return Err(PageError::internal(v.tr.clone(), e)),
        }
    };
    Ok(v.respond(Redirect::to(&format!("/console/licensor?property={outcome}"))))
}
