//! Every page in every language has its own address: `/ko/products/…` is the Korean product
//! page, whatever the visitor's cookie or `Accept-Language` say, so search engines can index
//! each language. The unprefixed address (`/products/…`) keeps choosing the language from the
//! query, the cookie and the browser, and is the `x-default` alternate.
//!
//! The prefix is taken off before routing, so every route serves every language without being
//! declared five times; the language it named travels with the request as a [`PathLang`]. The
//! API, static files, uploaded media and the operational endpoints have one address only.

use axum::extract::Request;
use axum::http::Uri;
use podium_domain::Lang;

/// The language a request's address named (`/ko/…`); it wins over every other preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathLang(pub Lang);

/// Paths that never take a language prefix: one address each, in any language.
const UNPREFIXED: &[&str] = &[
    "/api",
    "/static",
    "/media",
    "/healthz",
    "/readyz",
    "/metrics",
    "/robots.txt",
    "/sitemap.xml",
    "/sitemaps",
    "/.well-known",
    "/favicon.ico",
    "/manifest.webmanifest",
];

/// Splits `/ko/products/x` into Korean and `/products/x` (`/ko` alone is the home page).
pub fn split(path: &str) -> Option<(Lang, &str)> {
    let after = path.strip_prefix('/')?;
    let (segment, rest) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let lang = Lang::ALL.into_iter().find(|l| l.tag() == segment)?;
    let single = UNPREFIXED.iter().any(|p| rest == *p || rest.strip_prefix(p).is_some_and(|r| r.starts_with('/')));
    (!single).then_some((lang, rest))
}

/// The address of `path` (unprefixed, starting with `/`) in a language.
pub fn in_lang(lang: Lang, path: &str) -> String {
    format!("/{}{path}", lang.tag())
}

/// Takes a language prefix off the request's address and remembers the language.
pub fn strip(mut req: Request) -> Request {
    let Some((lang, rest)) = split(req.uri().path()) else { return req };
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    let mut parts = req.uri().clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        Err(_) => return req,
    }
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(PathLang(lang));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_language_segment_is_taken_off() {
        assert_eq!(split("/ko/products/tee"), Some((Lang::Ko, "/products/tee")));
        assert_eq!(split("/zh-Hans/stories"), Some((Lang::ZhHans, "/stories")));
        assert_eq!(split("/fr"), Some((Lang::Fr, "/")));
        assert_eq!(split("/fr/"), Some((Lang::Fr, "/")));
        assert_eq!(split("/products/ko"), None, "only the first segment names a language");
        assert_eq!(split("/korea"), None);
        assert_eq!(split("/xx/products"), None, "an unknown language is an unknown page");
    }

    #[test]
    fn the_api_and_files_have_one_address() {
        assert_eq!(split("/ko/api/v1/products"), None);
        assert_eq!(split("/ko/static/podium.css"), None);
        assert_eq!(split("/ja/robots.txt"), None);
        assert_eq!(split("/ja/apiary"), Some((Lang::Ja, "/apiary")), "a prefix, not a substring");
    }

    #[test]
    fn the_query_survives() {
        let req = Request::builder().uri("/ko/search?q=tee&page=2").body(axum::body::Body::empty()).expect("req");
        let req = strip(req);
        assert_eq!(req.uri().to_string(), "/search?q=tee&page=2");
        assert_eq!(req.extensions().get::<PathLang>(), Some(&PathLang(Lang::Ko)));
    }
}
