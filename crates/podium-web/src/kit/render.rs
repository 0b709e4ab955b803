//! Rendering a page for the visitor, the not-found page, and safe redirect targets.

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub(crate) fn render(v: Visitor, status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => v.respond((status, Html(html))),
        Err(e) => PageError::internal(v.tr.clone(), e).into_response(),
    }
}

pub async fn not_found(v: Visitor) -> Response {
    let tr = v.tr.clone();
    v.respond(PageError::not_found(tr))
}

/// Where a form sends the browser next: a same-site path, normalised as a browser reads it
/// (the rule is [`podium_app::links::same_site_path`]), else `default`. A target with a line
/// break or control character answers 400.
pub(crate) fn safe_target(tr: &Tr, raw: &str, default: &str) -> Result<String, PageError> {
    match podium_app::links::same_site_path(raw) {
        Ok(path) => Ok(path.unwrap_or_else(|| default.to_string())),
        Err(_) => Err(PageError::bad_link(tr.clone())),
    }
}
