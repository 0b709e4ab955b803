//! Account security pages: change the password, sign out everywhere, and reset a forgotten
//! password by a link sent through the outbox mailer.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::security::{self, PasswordError};
use serde::Deserialize;

use crate::kit::context::{CsrfForm, Visitor};
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::routes::Routes;
use crate::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/account/security", security_page)
        // The page a failed change answers with lives at this URL too (its language and
        // currency selectors reload it).
        .get("/account/password", |v: Visitor| async move { v.respond(Redirect::to("/account/security")) })
        .post("/account/password", change_password)
        .post("/account/sessions/end", sign_out_everywhere)
        .get("/password/forgot", forgot_page)
        .post("/password/forgot", forgot)
        .get("/password/reset", reset_page)
        .post("/password/reset", reset)
}

fn error_text(tr: &Tr, e: &PasswordError) -> String {
    match e {
        PasswordError::WrongPassword => tr.t("security-error-wrong"),
        PasswordError::WeakPassword => tr.t("security-error-weak"),
        PasswordError::Mismatch => tr.t("security-error-mismatch"),
        PasswordError::LinkNotLive => tr.t("reset-dead"),
        PasswordError::TooManyAttempts { retry_after_secs } => {
            tr.t1("security-error-throttled", "minutes", &((retry_after_secs + 59) / 60).to_string())
        }
        PasswordError::Store(_) => tr.t("error-internal-title"),
    }
}

fn status_of(e: &PasswordError) -> StatusCode {
    match e {
        PasswordError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        PasswordError::LinkNotLive => StatusCode::GONE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

#[derive(Template)]
#[template(path = "account_security.html")]
struct SecurityPage {
    layout: Layout,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Saved {
    #[serde(default)]
    saved: String,
}

async fn security_page(v: Visitor, Query(q): Query<Saved>) -> Response {
    if v.principal.is_none() {
        return v.respond(Redirect::to("/signin?next=/account/security"));
    }
    let page = SecurityPage { layout: Layout::new(&v), saved: q.saved == "password", error: None };
    render(v, StatusCode::OK, page)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(p) = v.principal.clone() else { return Ok(v.respond(Redirect::to("/signin?next=/account/security"))) };
    let now = state.clock.now();
    match security::change_password(state.store.as_ref(), &p, &f.current, &f.password, &f.confirm, now).await {
        Ok(()) => Ok(v.respond(Redirect::to("/account/security?saved=password"))),
        Err(PasswordError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let page = SecurityPage { layout: Layout::new(&v), saved: false, error: Some(error_text(&v.tr, &e)) };
            Ok(render(v, status_of(&e), page))
        }
    }
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(p) = v.principal.clone() else { return Ok(v.respond(Redirect::to("/signin?next=/account/security"))) };
    security::sign_out_everywhere(state.store.as_ref(), &p).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    v.clear_session();
    v.clear_cart();
    Ok(v.respond(Redirect::to("/signin?ended=1")))
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    sent: bool,
    error: Option<String>,
}

async fn forgot_page(v: Visitor) -> Response {
    let page = ForgotPage { layout: Layout::new(&v), email: String::new(), sent: false, error: None };
    render(v, StatusCode::OK, page)
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
}

async fn forgot(State(state): State<AppState>, v: Visitor, Form(f): Form<ForgotForm>) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let email: String = f.email.chars().take(254).collect();
    let lang = v.prefs.lang.tag();
    let secret = &state.config.shared_secret.0;
    match security::request_reset(state.store.as_ref(), secret, &email, &v.client, lang, state.clock.now()).await {
        // The same answer whether or not the account exists.
        Ok(()) => {
            let page = ForgotPage { layout: Layout::new(&v), email, sent: true, error: None };
            Ok(render(v, StatusCode::OK, page))
        }
        Err(PasswordError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let page = ForgotPage { layout: Layout::new(&v), email, sent: false, error: Some(error_text(&v.tr, &e)) };
            Ok(render(v, status_of(&e), page))
        }
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    live: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn reset_page(State(state): State<AppState>, v: Visitor, Query(q): Query<TokenQuery>) -> Response {
    let live = if podium_app::accounts::is_link_token(&q.token) {
        security::reset_is_live(state.store.as_ref(), &q.token, &v.client, state.clock.now()).await
    } else {
        Ok(false)
    };
    let (status, live, error) = match live {
        Ok(true) => (StatusCode::OK, true, None),
        Ok(false) => (StatusCode::GONE, false, None),
        Err(e) => (status_of(&e), false, Some(error_text(&v.tr, &e))),
    };
    let page = ResetPage { layout: Layout::new(&v), token: if live { q.token } else { String::new() }, live, error };
    render(v, status, page)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn reset(State(state): State<AppState>, v: Visitor, Form(f): Form<ResetForm>) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let result = if !podium_app::accounts::is_link_token(&f.token) {
        Err(PasswordError::LinkNotLive)
    } else {
        let now = state.clock.now();
        security::reset_password(state.store.as_ref(), &f.token, &f.password, &f.confirm, &v.client, now).await
    };
    match result {
        Ok(_) => Ok(v.respond(Redirect::to("/signin?reset=1"))),
        Err(PasswordError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let live = !matches!(e, PasswordError::LinkNotLive);
            let token = if live { f.token } else { String::new() };
            let page = ResetPage { layout: Layout::new(&v), token, live, error: Some(error_text(&v.tr, &e)) };
            Ok(render(v, status_of(&e), page))
        }
    }
}
