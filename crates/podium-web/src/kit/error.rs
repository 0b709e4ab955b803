//! The two error faces of Podium's HTTP layer.
//!
//! [`ApiError`] is an RFC 9457 `application/problem+json` answer with a stable machine-readable
//! `type`; [`PageError`] is a friendly page in the visitor's language. For both, a 5xx logs its
//! cause and sends none of it: no stack trace, no SQL, no path ever reaches a client.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::kit::i18n::Tr;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:podium:problem:unknown-currency`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field the problem is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (as the `Retry-After` header says), on a 429.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, slug, title, detail: detail.into(), field: None, retry_after: None }
    }

    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", "A field is not valid", detail).field(field)
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign-in required",
            "send a session token as `Authorization: Bearer TOKEN`",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// Logs the cause; the client learns only that something failed on our side.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the request could not be completed; it has been logged",
        )
    }
}

impl From<podium_app::StoreError> for ApiError {
    fn from(e: podium_app::StoreError) -> Self {
        match e {
            podium_app::StoreError::Conflict { field } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "Already exists", format!("{field} is already taken"))
                    .field(field)
            }
            podium_app::StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            other => ApiError::internal(other),
        }
    }
}

impl ApiError {
    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:podium:problem:{}", self.slug),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
            retry_after: self.retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                headers.insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// A friendly error page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    title_key: &'static str,
    body_key: &'static str,
    tr: Option<Tr>,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tr({})", self.lang)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: &'a Tr,
    status: u16,
    title: String,
    body: String,
}

impl PageError {
    pub fn not_found(tr: Tr) -> Self {
        PageError {
            status: StatusCode::NOT_FOUND,
            title_key: "error-not-found-title",
            body_key: "error-not-found-body",
            tr: Some(tr),
        }
    }

    pub fn forbidden(tr: Tr) -> Self {
        PageError {
            status: StatusCode::FORBIDDEN,
            title_key: "error-forbidden-title",
            body_key: "error-forbidden-body",
            tr: Some(tr),
        }
    }

    pub fn csrf(tr: Tr) -> Self {
        PageError {
            status: StatusCode::FORBIDDEN,
            title_key: "error-csrf-title",
            body_key: "error-csrf-body",
            tr: Some(tr),
        }
    }

    /// A form with a field longer than any field Podium takes; nothing was saved.
    pub fn too_long(tr: Tr) -> Self {
        PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title_key: "error-too-long-title",
            body_key: "error-too-long-body",
            tr: Some(tr),
        }
    }

    /// The node is answering as many requests as it can; the visitor should try again shortly.
    pub fn busy(tr: Tr) -> Self {
        PageError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title_key: "error-busy-title",
            body_key: "error-busy-body",
            tr: Some(tr),
        }
    }

    /// A link or form target that no page of Podium makes (a line break in a redirect target).
    pub fn bad_link(tr: Tr) -> Self {
        PageError {
            status: StatusCode::BAD_REQUEST,
            title_key: "error-bad-link-title",
            body_key: "error-bad-link-body",
            tr: Some(tr),
        }
    }

    pub fn internal(tr: Tr, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "page failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title_key: "error-server-title",
            body_key: "error-server-body",
            tr: Some(tr),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let Some(tr) = self.tr else {
            return (self.status, "error").into_response();
        };
        let page =
            ErrorPage { tr: &tr, status: self.status.as_u16(), title: tr.t(self.title_key), body: tr.t(self.body_key) };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (self.status, self.status.canonical_reason().unwrap_or("error")).into_response()
            }
        }
    }
}

/// Maps a storage failure to the "something went wrong" page, in the reader's language.
pub fn internal(tr: &Tr) -> impl Fn(podium_app::StoreError) -> PageError + '_ {
    move |e| PageError::internal(tr.clone(), e)
}
