//! Operational endpoints and request metrics: `/healthz` (the process is up), `/readyz` (the
//! database answers and is migrated), `/metrics` (Prometheus text format).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

use crate::kit::error::ApiError;
use crate::AppState;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide metrics recorder, installed on first use.
///
/// A histogram keeps each observation until its samples are folded into buckets, which the
/// recorder does only when `/metrics` is read or at an upkeep; a thread of its own keeps up
/// every two seconds. Without it a node nobody scraped grew by every request's timing (about
/// a megabyte a second at 50,000 requests a second).
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let handle = PrometheusBuilder::new().set_buckets(&buckets).ok().and_then(|b| {
                b.install_recorder().map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed")).ok()
            })?;
            let upkeep = handle.clone();
            let started = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(2));
                upkeep.run_upkeep();
            });
            if let Err(e) = started {
                tracing::warn!(error = %e, "metrics upkeep not started; histograms are folded when /metrics is read");
            }
            Some(handle)
        })
        .as_ref()
}

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/healthz", healthz).get("/readyz", readyz).get("/metrics", metrics_text)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `not_ready`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", database: None, detail: None })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let backend = state.store.backend();
    match state.store.is_ready().await {
        Ok(true) => {
            // The index is caught up when it has applied every outbox entry written so far.
            let head = state.store.outbox_head().await.unwrap_or(i64::MAX);
            let position = state.search.position();
            if position >= head {
                Json(Health { status: "ready", database: Some(backend), detail: None }).into_response()
            } else {
                let detail = format!("the search index is catching up (at {position} of {head})");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(Health { status: "not_ready", database: Some(backend), detail: Some(detail) }),
                )
                    .into_response()
            }
        }
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "not_ready",
                database: Some(backend),
                detail: Some("migrations are not applied; run `podium migrate`".into()),
            }),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "not_ready",
                    database: Some(backend),
                    detail: Some("the database does not answer".into()),
                }),
            )
                .into_response()
        }
    }
}

/// The metrics in Prometheus text; with `--metrics-token`, only for `Authorization: Bearer` and
/// that token (401 otherwise).
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        use subtle::ConstantTimeEq;
        let given = crate::kit::context::bearer_token(&headers).unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(&token.0)) {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Token required",
                "the metrics need `Authorization: Bearer TOKEN` with the node's metrics token",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
            return response;
        }
    }
    let body = prometheus().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// The Content-Security-Policy of every response: scripts, styles, images and connections from
/// Podium only (no inline scripts anywhere; images also as `data:`, never from another site, so
/// no story can carry a tracking pixel), frames only from the two video players a story may
/// embed once asked, and no framing of Podium by anyone.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    frame-src https://www.youtube-nocookie.com https://player.vimeo.com; connect-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The API viewer (Swagger UI) sets styles inline; its scripts are still Podium's own files.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// What the browser may let pages use: no camera, microphone, location or other sensors, and
/// payment features for Podium itself only.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
    magnetometer=(), microphone=(), payment=(self), usb=()";

/// Headers every response carries: the content security policy, the permissions policy, no MIME
/// sniffing, no framing by other sites, no referrer leaking across origins, and HSTS when Podium
/// is served over TLS (`tls`: the `--secure-cookies` setting).
pub async fn security_headers(
    axum::extract::State(tls): axum::extract::State<bool>,
    req: Request,
    next: Next,
) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(if docs { DOCS_CSP } else { CSP }));
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.entry("permissions-policy").or_insert(HeaderValue::from_static(PERMISSIONS_POLICY));
    if tls {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Counts every request and times it, labelled by route template (never the raw path, so ids
/// in URLs cannot blow up the label set) and method (any method but the standard ones is
/// `other`, so made-up methods cannot either).
pub async fn track(req: Request, next: Next) -> Response {
    let _ = prometheus();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("podium_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("podium_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The metrics label of a method: the standard ones by name, any other as `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The longest text Podium takes in any one form field or JSON string, in characters (a story's
/// body, a product's description); most fields have a much shorter limit of their own.
pub const MAX_TEXT_FIELD: usize = 20_000;
/// The largest form or JSON body read (uploads are multipart and have their own limits).
pub const MAX_TEXT_BODY: usize = 2 * 1024 * 1024;

/// Refuses a form or JSON body with any field longer than [`MAX_TEXT_FIELD`], before any handler
/// reads it: 422 with the field's name (problem+json under `/api/`, a page elsewhere).
pub async fn limit_text_fields(
    axum::extract::State(i18n): axum::extract::State<std::sync::Arc<crate::kit::i18n::I18n>>,
    req: Request,
    next: Next,
) -> Response {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let json = ct.starts_with("application/json") || ct.contains("+json");
    if !form && !json {
        return next.run(req).await;
    }
    // A body no longer than the limit cannot hold a field longer than it: most requests pass
    // untouched, without being buffered or read twice.
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n <= MAX_TEXT_FIELD) {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(podium_domain::Lang::negotiate)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TEXT_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return crate::kit::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "The body is too large",
                format!("a form or JSON body may be up to {MAX_TEXT_BODY} bytes"),
            )
            .into_response()
        }
    };
    if bytes.len() <= MAX_TEXT_FIELD {
        return next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    }
    let too_long = |s: &str| s.len() > MAX_TEXT_FIELD && s.chars().count() > MAX_TEXT_FIELD;
    let long_field = if form {
        form_urlencoded::parse(&bytes)
            .find(|(k, v)| too_long(k) || too_long(v))
            .map(|(k, _)| k.chars().take(60).collect())
    } else {
        serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| long_string(&v, "", &too_long))
    };
    if let Some(field) = long_field {
        if api {
            return crate::kit::error::ApiError::invalid(
                &field,
                format!("{field} is longer than {MAX_TEXT_FIELD} characters"),
            )
            .into_response();
        }
        let tr = crate::kit::i18n::Tr::new(i18n, lang);
        return crate::kit::error::PageError::too_long(tr).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The path of the first string in a JSON value that is too long (`lines[0].reason`).
fn long_string(v: &serde_json::Value, at: &str, too_long: &dyn Fn(&str) -> bool) -> Option<String> {
    match v {
        serde_json::Value::String(s) if too_long(s) => Some(if at.is_empty() { "body".into() } else { at.to_string() }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, x)| long_string(x, &format!("{at}[{i}]"), too_long))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            if too_long(k) {
                return Some("body".to_string());
            }
            let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            long_string(x, &path, too_long)
        }),
        _ => None,
    }
}
