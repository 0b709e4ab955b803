//! Load shedding: a node answers at most so many requests of each class at once and turns the
//! rest away at once with 503 and `Retry-After` (problem+json under `/api/`, a page elsewhere),
//! rather than queueing work until it falls over. The operational endpoints and Podium's own
//! static files are never shed, so health checks keep answering while a node is busy.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::kit::error::{ApiError, PageError};
use crate::kit::i18n::{I18n, Tr};

/// Requests answered at once, per route class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlightLimits {
    /// Storefront and console pages (everything outside `/api/`).
    pub pages: usize,
    /// The JSON API under `/api/`.
    pub api: usize,
}

impl Default for InFlightLimits {
    fn default() -> Self {
        InFlightLimits { pages: 256, api: 256 }
    }
}

/// Seconds a shed client is asked to wait.
pub const RETRY_AFTER_SECS: i64 = 2;

pub struct Shedder {
    pages: Semaphore,
    api: Semaphore,
    i18n: Arc<I18n>,
}

impl Shedder {
    pub fn new(limits: InFlightLimits, i18n: Arc<I18n>) -> Shedder {
        Shedder { pages: Semaphore::new(limits.pages.max(1)), api: Semaphore::new(limits.api.max(1)), i18n }
    }
}

pub async fn shed(State(shedder): State<Arc<Shedder>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let (class, api) = if path == "/api" || path.starts_with("/api/") {
        (&shedder.api, true)
    } else if matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/") {
        return next.run(req).await;
    } else {
        (&shedder.pages, false)
    };
    let Ok(_permit) = class.try_acquire() else {
        tracing::warn!(path, "busy: request shed");
        return busy(&shedder, &req, api);
    };
    next.run(req).await
}

fn busy(shedder: &Shedder, req: &Request, api: bool) -> Response {
    if api {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Too busy",
            format!("this node is answering as many requests as it can; try again in {RETRY_AFTER_SECS} s"),
        );
        e.retry_after = Some(RETRY_AFTER_SECS);
        return e.into_response();
    }
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(podium_domain::Lang::negotiate)
        .unwrap_or_default();
    let mut response = PageError::busy(Tr::new(shedder.i18n.clone(), lang)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}
