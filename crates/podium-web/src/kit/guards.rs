//! Who may open a console page: members of an organisation, a shop's people, operators; and the
//! operator's audit trail. Each guard answers with the sign-in page or 403.

use axum::response::{IntoResponse, Redirect, Response};
use podium_app::licensing::ActingUser;
use podium_app::Org;
use podium_domain::role::OrgKind;
use podium_domain::Role;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::AppState;

/// The organisation of `kind`, when the signed-in user belongs to it; else the sign-in page or 403.
pub(crate) fn member_of(v: &Visitor, slug: &str, kind: OrgKind, path: &str) -> Result<Org, Box<Response>> {
    let Some(p) = &v.principal else {
        return Err(Box::new(Redirect::to(&format!("/signin?next={path}")).into_response()));
    };
    match p.orgs_of(kind).find(|o| o.slug == slug) {
        Some(o) => Ok(o.clone()),
        None => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}

macro_rules! member_or_return {
    ($v:expr, $slug:expr, $kind:expr, $path:expr) => {
        match $crate::kit::guards::member_of(&$v, &$slug, $kind, &$path) {
            Ok(o) => o,
            Err(r) => return Ok($v.respond(*r)),
        }
    };
}

pub(crate) fn acting(v: &Visitor) -> ActingUser {
    ActingUser {
        name: v.principal.as_ref().map(|p| p.user.display_name.clone()).unwrap_or_default(),
        client: v.client.clone(),
    }
}

/// Why a console page is refused.
pub(crate) enum Denied {
    /// Not signed in: go to the sign-in page, then back here.
    SignIn(String),
    Forbidden,
}

/// The shop, when the signed-in user belongs to it.
pub(crate) fn my_shop(v: &Visitor, slug: &str) -> Result<Org, Denied> {
    let Some(p) = &v.principal else {
        return Err(Denied::SignIn(format!("/signin?next=/console/shops/{slug}")));
    };
    p.orgs_of(OrgKind::Shop).find(|o| o.slug == slug).cloned().ok_or(Denied::Forbidden)
}

macro_rules! shop_or_return {
    ($v:expr, $slug:expr) => {
        match $crate::kit::guards::my_shop(&$v, &$slug) {
            Ok(shop) => shop,
            Err($crate::kit::guards::Denied::SignIn(to)) => return Ok($v.respond(axum::response::Redirect::to(&to))),
            Err($crate::kit::guards::Denied::Forbidden) => {
                return Err($crate::kit::error::PageError::forbidden($v.tr.clone()))
            }
        }
    };
}

/// Records an operator's action in the audit log (append-only, with who, when and from where).
pub(crate) async fn audit(
    state: &AppState,
    v: &Visitor,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), PageError> {
    // The operator's log names operators by address too: several may share a display name.
    let name = v.principal.as_ref().map(|p| format!("{} <{}>", p.user.display_name, p.user.email)).unwrap_or_default();
    let actor = podium_app::security::Actor { name, ..v.actor() };
    podium_app::security::audit_operator(state.store.as_ref(), &actor, action, subject, detail, state.clock.now())
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))
}

/// Operators only: anyone else is sent to sign in or refused.
pub(crate) fn operator_or(v: &Visitor) -> Result<(), Box<Response>> {
    match &v.principal {
        None => Err(Box::new(Redirect::to(&format!("/signin?next={}", v.path)).into_response())),
        Some(p) if p.has_role(Role::Operator) => Ok(()),
        Some(_) => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}
/// The licensor or shop the signed-in user belongs to, or the sign-in page / 403.
pub(crate) fn author_of(v: &Visitor, slug: &str, path: &str) -> Result<Org, Box<Response>> {
    let Some(p) = &v.principal else {
        return Err(Box::new(Redirect::to(&format!("/signin?next={path}")).into_response()));
    };
    match p.orgs.iter().find(|o| o.slug == slug && matches!(o.kind, OrgKind::Shop | OrgKind::Licensor)) {
        Some(o) => Ok(o.clone()),
        None => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}

macro_rules! author_or_return {
    ($v:expr, $slug:expr, $path:expr) => {
        match $crate::kit::guards::author_of(&$v, &$slug, &$path) {
            Ok(o) => o,
            Err(r) => return Ok($v.respond(*r)),
        }
    };
}

pub(crate) use author_or_return;
pub(crate) use member_or_return;
pub(crate) use shop_or_return;
