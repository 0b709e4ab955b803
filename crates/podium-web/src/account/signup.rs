//! Signing up: the form answers the same whether or not the address has an account ("we sent a
//! link to confirm your address"); the mailed link opens a page whose button confirms the
//! account and signs in (a button, so that a mail scanner opening the link confirms nothing).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::accounts::SignUpError;
use podium_app::signup::{self, ConfirmError};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::routes::Routes;
use crate::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/signup", signup_page)
        .post("/signup", signup)
        .get("/signup/confirm", confirm_page)
        .post("/signup/confirm", confirm)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    layout: Layout,
    display_name: String,
    email: String,
    /// Set once the request went through: the page then says a link is on its way.
    sent: bool,
    error: Option<String>,
    error_name: Option<String>,
    error_email: Option<String>,
    error_password: Option<String>,
}

impl SignUpPage {
    fn new(v: &Visitor, display_name: String, email: String) -> Self {
        SignUpPage {
            layout: Layout::new(v),
            display_name,
            email,
            sent: false,
            error: None,
            error_name: None,
            error_email: None,
            error_password: None,
        }
    }
}

async fn signup_page(v: Visitor) -> Response {
    if v.principal.is_some() {
        return v.respond(Redirect::to("/console"));
    }
    let page = SignUpPage::new(&v, String::new(), String::new());
    render(v, StatusCode::OK, page)
}

#[derive(Deserialize)]
struct SignUpForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn minutes(secs: i64) -> String {
    ((secs + 59) / 60).to_string()
}

async fn signup(
    State(state): State<AppState>,
    v: Visitor,
    Form(form): Form<SignUpForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let secret = &state.config.shared_secret.0;
    let lang = v.prefs.lang.tag();
    let now = state.clock.now();
    let (email, name, password) = (&form.email, &form.display_name, &form.password);
    let result =
        signup::request_signup(state.store.as_ref(), secret, email, password, name, &v.client, lang, now).await;
    let mut page = SignUpPage::new(&v, form.display_name.clone(), form.email.clone());
    let status = match result {
        // The same answer for an address with an account and one without.
        Ok(()) => {
            page.sent = true;
            StatusCode::OK
        }
        Err(SignUpError::Store(e)) => return Err(PageError::internal(v.tr.clone(), e)),
        Err(SignUpError::TooManyAttempts { retry_after_secs }) => {
            page.error = Some(v.tr.t1("signup-error-throttled", "minutes", &minutes(retry_after_secs)));
            StatusCode::TOO_MANY_REQUESTS
        }
        Err(e) => {
            let key = match e {
                SignUpError::InvalidEmail | SignUpError::EmailTaken => "signup-error-email",
                SignUpError::LookAlikeEmail => "signup-error-email-look-alike",
                SignUpError::WeakPassword => "signup-error-password",
                SignUpError::LookAlikeName => "signup-error-name-look-alike",
                _ => "signup-error-name",
            };
            let message = Some(v.tr.t(key));
            let field = e.field();
            page.error_name = message.clone().filter(|_| field == Some("display_name"));
            page.error_email = message.clone().filter(|_| field == Some("email"));
            page.error_password = message.filter(|_| field == Some("password"));
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(render(v, status, page))
}

#[derive(Template)]
#[template(path = "signup_confirm.html")]
struct ConfirmPage {
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

fn confirm_error(tr: &Tr, e: &ConfirmError) -> (StatusCode, Option<String>) {
    match e {
        ConfirmError::LinkNotLive => (StatusCode::GONE, None),
        ConfirmError::TooManyAttempts { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr.t1("security-error-throttled", "minutes", &minutes(*retry_after_secs))),
        ),
        ConfirmError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, Some(tr.t("error-server-body"))),
    }
}

async fn confirm_page(State(state): State<AppState>, v: Visitor, Query(q): Query<TokenQuery>) -> Response {
    let live = if podium_app::accounts::is_link_token(&q.token) {
        signup::confirmation_is_live(state.store.as_ref(), &q.token, &v.client, state.clock.now()).await
    } else {
        Ok(false)
    };
    let (status, live, error) = match live {
        Ok(true) => (StatusCode::OK, true, None),
        Ok(false) => (StatusCode::GONE, false, None),
        Err(e) => {
            let (status, error) = confirm_error(&v.tr, &e);
            (status, false, error)
        }
    };
    let page = ConfirmPage { layout: Layout::new(&v), token: if live { q.token } else { String::new() }, live, error };
    render(v, status, page)
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
}

async fn confirm(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let result = if podium_app::accounts::is_link_token(&f.token) {
        signup::confirm(state.store.as_ref(), &f.token, &v.client, state.clock.now()).await
    } else {
        Err(ConfirmError::LinkNotLive)
    };
    match result {
        Ok(session) => {
            // A new session: whatever session this browser held ends.
            if let Some(old) = &v.principal {
                if let Err(e) = podium_app::accounts::sign_out(state.store.as_ref(), old).await {
                    tracing::warn!(error = %e, "could not end the session replaced at confirmation");
                }
            }
            v.set_session(&session.token);
            Ok(v.respond(Redirect::to("/console")))
        }
        Err(ConfirmError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let (status, error) = confirm_error(&v.tr, &e);
            let page = ConfirmPage { layout: Layout::new(&v), token: String::new(), live: false, error };
            Ok(render(v, status, page))
        }
    }
}
