//! The web's side of idempotent requests (the protocol is `podium_app::idempotency`): reading the
//! `Idempotency-Key` header, and turning an answer, fresh or replayed, into a response.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_app::idempotency::{self, Refused};

use crate::kit::error::ApiError;
use crate::AppState;

/// The request's `Idempotency-Key`, if it sent one (1 to 255 visible ASCII characters).
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let v = v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?.trim();
    if v.is_empty() || v.len() > 255 {
        return Err(ApiError::invalid("Idempotency-Key", "must be 1 to 255 characters"));
    }
    Ok(Some(v.to_string()))
}

/// A problem as a status and its JSON body, to keep or to answer.
pub fn problem_body(e: ApiError) -> (StatusCode, String) {
    (e.status, serde_json::to_string(&e.problem()).unwrap_or_default())
}

/// Runs `work` once per (scope, key, body) through `podium_app::idempotency::once` and answers
/// (status, body, replayed); a refusal becomes its problem (422 for a reused key, 409 while
/// the first request still runs).
pub async fn run<F, Fut>(
    state: &AppState,
    scope: &str,
    key: Option<String>,
    body: &[u8],
    work: F,
) -> (StatusCode, String, bool)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let work = || async move {
        let (status, body) = work().await;
        (status.as_u16(), body)
    };
    match idempotency::once(state.store.as_ref(), state.clock.as_ref(), scope, key.as_deref(), body, work).await {
        Ok(a) => (StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK), a.body, a.replayed),
        Err(Refused::Mismatch) => {
            let (status, body) = problem_body(
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency-key-reused",
                    "Idempotency key reused",
                    "this Idempotency-Key was used with a different request body; use a new key for a new request",
                )
                .field("Idempotency-Key"),
            );
            (status, body, false)
        }
        Err(Refused::StillRunning) => {
            let (status, body) = problem_body(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency-in-progress",
                "The first request is still running",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            ));
            (status, body, false)
        }
        Err(Refused::Store(e)) => {
            let (status, body) = problem_body(ApiError::from(e));
            (status, body, false)
        }
    }
}

/// Like [`run`], answered as an API response; a replayed answer carries `Idempotent-Replayed: true`.
pub async fn respond<F, Fut>(state: &AppState, scope: &str, key: Option<String>, body: &[u8], work: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let (status, body, replayed) = run(state, scope, key, body, work).await;
    let ctype = if status.is_success() { "application/json" } else { "application/problem+json" };
    // A kept problem says how long to wait; the header says it again, as for any 429.
    let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
        .then(|| serde_json::from_str::<serde_json::Value>(&body).ok()?["retry_after"].as_i64())
        .flatten();
    let mut response = (status, [(axum::http::header::CONTENT_TYPE, ctype)], body).into_response();
    let headers = response.headers_mut();
    if replayed {
        headers.insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    if let Some(secs) = retry_after {
        if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
            headers.insert(axum::http::header::RETRY_AFTER, v);
        }
    }
    response
}
