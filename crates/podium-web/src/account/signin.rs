//! Signing in and out. Every form posts and redirects; nothing needs JavaScript.

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::{render, safe_target};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::accounts::{self, SignInError};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signin.html")]
pub(crate) struct SignInPage {
    layout: Layout,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
    /// Set after a password reset (`reset=1`) or signing out everywhere (`ended=1`).
    #[serde(default)]
    reset: String,
    #[serde(default)]
    ended: String,
}

/// Only same-site paths are followed after sign-in, so the form cannot redirect elsewhere.
pub(crate) fn safe_next(tr: &Tr, next: &str) -> Result<String, PageError> {
    safe_target(tr, next, "/console")
}

pub(crate) async fn signin_page(v: Visitor, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let next = safe_next(&v.tr, &q.next)?;
    if v.principal.is_some() {
        return Ok(v.respond(Redirect::to("/console")));
    }
    let mut layout = Layout::new(&v);
    if q.reset == "1" {
        layout.notices.push(v.tr.t("signin-reset-done"));
    }
    if q.ended == "1" {
        layout.notices.push(v.tr.t("signin-ended"));
    }
    let page = SignInPage { layout, error: None, email: String::new(), next };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(crate) async fn signin(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let next = safe_next(&v.tr, &form.next)?;
    let now = state.clock.now();
    let result = accounts::sign_in(state.store.as_ref(), &form.email, &form.password, &v.client, now).await;
    let (status, error) = match result {
        Ok(session) => {
            // A new session id at every sign-in: whatever session this browser held ends.
            if let Some(old) = &v.principal {
                if let Err(e) = accounts::sign_out(state.store.as_ref(), old).await {
                    tracing::warn!(error = %e, "could not end the session replaced at sign-in");
                }
            }
            v.set_session(&session.token);
            // A guest cart joins the fan's own cart (or becomes it).
            match podium_app::cart::adopt(state.store.as_ref(), v.cart_id().as_deref(), &session.user.id).await {
                Ok(Some(cart)) => v.set_cart(&cart),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not keep the guest cart"),
            }
            return Ok(v.respond(Redirect::to(&next)));
        }
        Err(SignInError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, v.tr.t("signin-error-credentials")),
        Err(SignInError::Unconfirmed) => (StatusCode::FORBIDDEN, v.tr.t("signin-error-unconfirmed")),
        Err(SignInError::TooManyAttempts { retry_after_secs }) => {
            let minutes = ((retry_after_secs + 59) / 60).to_string();
            (StatusCode::TOO_MANY_REQUESTS, v.tr.t1("signin-error-throttled", "minutes", &minutes))
        }
        Err(SignInError::Store(e)) => return Err(PageError::internal(v.tr.clone(), e)),
    };
    let page = SignInPage { layout: Layout::new(&v), error: Some(error), email: form.email, next };
    Ok(render(v, status, page))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

pub(crate) async fn signout(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    if let Some(p) = &v.principal {
        accounts::sign_out(state.store.as_ref(), p).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    }
    v.clear_session();
    // The fan's cart (name and address saved in it) stays with the fan, not with the browser.
    v.clear_cart();
    Ok(v.respond(Redirect::to("/")))
}

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/signin", signin_page).post("/signin", signin).post("/signout", signout)
}
