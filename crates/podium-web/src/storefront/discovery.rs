//! The files the web expects at well-known addresses: `/robots.txt`, `/sitemap.xml` (and its
//! parts), `/.well-known/security.txt` (RFC 9116), the favicon, the web-app manifest and the
//! pictures link previews and home screens show. Every address in them is absolute, on the
//! configured public URL.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::public_pages::{self, PageKind};
use podium_domain::Lang;
use serde_json::json;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::storefront::sitemap::{self, Document, Entry};
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/robots.txt", robots)
        .get("/sitemap.xml", sitemap_index)
        .get("/sitemaps/{part}", sitemap_part)
        .get("/.well-known/security.txt", security_txt)
        .get("/favicon.ico", || async { Redirect::permanent("/static/favicon.svg") })
        .get("/static/favicon.svg", favicon)
        .get("/static/og.png", crate::storefront::product_art::site_card)
        .get("/static/icon.png", crate::storefront::product_art::site_icon)
        .get("/manifest.webmanifest", manifest)
}

/// Pages only their owner sees, or that only do something: no crawler needs them.
const PRIVATE: &[&str] = &[
    "/account",
    "/cart",
    "/checkout",
    "/console",
    "/feed",
    "/orders/",
    "/password/",
    "/sandbox/",
    "/signup/confirm",
    "/unsubscribe",
    "/verify/",
    "/01/",
    "/drops/",
];

fn origin(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn robots(State(state): State<AppState>) -> Response {
    let mut body = String::from("User-agent: *\nDisallow: /api/\n");
    for path in PRIVATE {
        body.push_str(&format!("Disallow: {path}\n"));
        for lang in Lang::ALL {
            body.push_str(&format!("Disallow: {}\n", crate::kit::lang_path::in_lang(lang, path)));
        }
    }
    body.push_str(&format!("Allow: /\n\nSitemap: {}/sitemap.xml\n", origin(&state)));
    text("text/plain; charset=utf-8", body)
}

/// Every public page by its unprefixed path: the home page, the stories, the catalogue.
async fn entries(state: &AppState, v: &Visitor) -> Result<Vec<Entry>, PageError> {
    let pages =
        public_pages::public_pages(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let fixed = ["/", "/products", "/stories", "/verify"];
    let mut out: Vec<Entry> = fixed.iter().map(|p| Entry { path: p.to_string(), updated: None }).collect();
    out.extend(pages.into_iter().map(|p| {
        let base = match p.kind {
            PageKind::Product => "/products",
            PageKind::Property => "/properties",
            PageKind::Category => "/categories",
            PageKind::Shop => "/shops",
            PageKind::Story => "/stories",
        };
        let slug: String = form_urlencoded::byte_serialize(p.slug.as_bytes()).collect();
        Entry { path: format!("{base}/{slug}"), updated: p.updated }
    }));
    Ok(out)
}

fn xml(body: String) -> Response {
    text("application/xml; charset=utf-8", body)
}

async fn sitemap_index(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let all = entries(&state, &v).await?;
    Ok(match sitemap::document(origin(&state), &all, sitemap::MAX_URLS) {
        Document::Urls(body) => xml(body),
        Document::Index { xml: body, .. } => xml(body),
    })
}

async fn sitemap_part(
    State(state): State<AppState>,
    v: Visitor,
    Path(part): Path<String>,
) -> Result<Response, PageError> {
    let n = part.strip_suffix(".xml").and_then(|n| n.parse::<usize>().ok());
    let Some(n) = n else { return Err(PageError::not_found(v.tr.clone())) };
    let all = entries(&state, &v).await?;
    match sitemap::part(origin(&state), &all, sitemap::MAX_URLS, n) {
        // While everything fits in `/sitemap.xml` there are no parts.
        Some(body) if sitemap::url_count(all.len()) > sitemap::MAX_URLS => Ok(xml(body)),
        _ => Err(PageError::not_found(v.tr.clone())),
    }
}

/// RFC 9116: how to report a vulnerability in this marketplace, valid for the next 180 days.
async fn security_txt(State(state): State<AppState>) -> Response {
    let origin = origin(&state);
    let expires = state.clock.now() + time::Duration::days(180);
    let expires = expires
        .replace_nanosecond(0)
        .unwrap_or(expires)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let langs: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
    let body = format!(
        "Contact: {}\nExpires: {expires}\nPreferred-Languages: {}\nCanonical: {origin}/.well-known/security.txt\n",
        contact(&state),
        langs.join(", "),
    );
    text("text/plain; charset=utf-8", body)
}

/// The configured contact, else `security@` the marketplace's host.
fn contact(state: &AppState) -> String {
    if let Some(c) = state.config.security_contact.as_deref().filter(|c| !c.trim().is_empty()) {
        return c.trim().to_string();
    }
    let host = origin(state).split("://").nth(1).unwrap_or("localhost");
    let host = host.split(['/', ':']).next().unwrap_or("localhost");
    format!("mailto:security@{host}")
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

/// The web-app manifest, in the visitor's language.
async fn manifest(v: Visitor) -> Response {
    let body = json!({
        "name": v.tr.t("site-name"),
        "short_name": v.tr.t("site-name"),
        "description": v.tr.t("site-tagline"),
        "lang": v.prefs.lang.tag(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#fbfaf7",
        "theme_color": "#0b5d4b",
        "icons": [
            {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/icon.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/manifest+json")], body.to_string()).into_response()
}
