//! Who is asking, in what language, shipping where, paying in what: resolved once per request.
//!
//! Order of precedence for each preference: the query string (`?lang=`, `?country=`,
//! `?currency=`), then the cookie a previous choice left, then `Accept-Language` (language, and
//! the region of its first tag for the country), then the defaults. An unknown value in the
//! query falls back politely with a notice; the API refuses it instead (see `api`).

use podium_app::authenticity::{self, LookUp, LookUpLimits, Looker};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use podium_app::accounts::{self, Principal};
use podium_domain::{Country, Currency, Lang};
use subtle::ConstantTimeEq;

use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::AppState;

pub const SESSION_COOKIE: &str = "podium_session";
pub const CSRF_COOKIE: &str = "podium_csrf";
/// The visitor's cart token.
pub const CART_COOKIE: &str = "podium_cart";
const LANG_COOKIE: &str = "podium_lang";
const COUNTRY_COOKIE: &str = "podium_country";
const CURRENCY_COOKIE: &str = "podium_currency";

/// A preference value the visitor asked for that we could not honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    Lang(String),
    Country(String),
    Currency(String),
}

#[derive(Debug, Clone)]
pub struct Prefs {
    pub lang: Lang,
    pub country: Country,
    pub currency: Currency,
    /// True when the currency was chosen explicitly rather than derived from the country.
    pub currency_explicit: bool,
    pub fallbacks: Vec<Fallback>,
}

impl Visitor {
    /// Who this visitor's prices are for: their ship-to country and presentment currency.
    pub fn shopper(&self) -> crate::kit::listing::Shopper {
        crate::kit::listing::Shopper { ship_to: self.prefs.country, currency: self.prefs.currency }
    }

    /// The organisations the visitor acts for (none for a fan or a visitor not signed in).
    pub fn orgs(&self) -> &[podium_app::Org] {
        self.principal.as_ref().map(|p| p.orgs.as_slice()).unwrap_or(&[])
    }
}

/// Everything a page needs to know about the request before it renders.
pub struct Visitor {
    pub prefs: Prefs,
    pub principal: Option<Principal>,
    /// The token forms must carry: the session's when signed in, else the visitor's cookie.
    pub csrf_token: String,
    pub tr: Tr,
    /// The caller's address, for per-client limits.
    pub client: String,
    pub path: String,
    /// The request's query string, as sent.
    pub query: String,
    /// The language the address named (`/ko/…`), if it named one.
    pub path_lang: Option<Lang>,
    /// Where fans reach the marketplace, for absolute links (see [`crate::WebConfig::public_url`]).
    pub origin: String,
    jar: CookieJar,
    secure_cookies: bool,
}

fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

pub fn query_value(parts: &Parts, key: &str) -> Option<String> {
    query_pairs(parts).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Resolves the three preferences, and the cookies that remember explicit choices.
pub fn resolve_prefs(parts: &Parts, jar: &CookieJar, default_country: Country) -> (Prefs, Vec<Cookie<'static>>) {
    let headers = &parts.headers;
    let mut fallbacks = Vec::new();
    let mut remember = Vec::new();
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");

    // An address in a language (`/ko/…`) names it outright; like `?lang=`, it is remembered, so
    // the language stays while the fan browses on through unprefixed links.
    let path_lang = parts.extensions.get::<crate::kit::lang_path::PathLang>().map(|p| p.0);
    if let Some(l) = path_lang {
        remember.push(pref_cookie(LANG_COOKIE, l.tag()));
    }
    let lang = path_lang
        .or_else(|| match query_value(parts, "lang").filter(|v| !v.is_empty()) {
            Some(v) => match Lang::from_tag(&v) {
                Some(l) => {
                    remember.push(pref_cookie(LANG_COOKIE, l.tag()));
                    Some(l)
                }
                None => {
                    fallbacks.push(Fallback::Lang(v));
                    None
                }
            },
            None => None,
        })
        .or_else(|| jar.get(LANG_COOKIE).and_then(|c| Lang::from_tag(c.value())))
        .or_else(|| Lang::negotiate(accept))
        .unwrap_or_default();

    let query_country = query_value(parts, "country").filter(|v| !v.is_empty());
    let country = match query_country {
        Some(v) => match Country::parse(&v) {
            Ok(c) => {
                remember.push(pref_cookie(COUNTRY_COOKIE, c.code()));
                Some(c)
            }
            Err(_) => {
                fallbacks.push(Fallback::Country(v));
                None
            }
        },
        None => None,
    }
    .or_else(|| jar.get(COUNTRY_COOKIE).and_then(|c| Country::parse(c.value()).ok()))
    .or_else(|| region_of(accept))
    .unwrap_or(default_country);

    let (currency, explicit) = match query_value(parts, "currency") {
        // An empty value is the selector's "automatic" choice: forget any explicit currency.
        Some(v) if v.is_empty() => {
            remember.push(Cookie::build((CURRENCY_COOKIE, "")).path("/").max_age(time::Duration::ZERO).build());
            (None, false)
        }
        Some(v) => match Currency::parse(&v) {
            Ok(c) => {
                remember.push(pref_cookie(CURRENCY_COOKIE, c.code()));
                (Some(c), true)
            }
            Err(_) => {
                fallbacks.push(Fallback::Currency(v));
                (None, false)
            }
        },
        None => match jar.get(CURRENCY_COOKIE).and_then(|c| Currency::parse(c.value()).ok()) {
            Some(c) => (Some(c), true),
            None => (None, false),
        },
    };
    let currency = currency.unwrap_or_else(|| country.default_currency());
    (Prefs { lang, country, currency, currency_explicit: explicit, fallbacks }, remember)
}

/// The region of the first tag of an `Accept-Language` header that names one (`ko-KR` → KR).
fn region_of(accept: &str) -> Option<Country> {
    accept.split(',').find_map(|item| {
        let tag = item.split(';').next()?.trim();
        tag.split(['-', '_']).skip(1).filter(|p| p.len() == 2).find_map(|p| Country::parse(p).ok())
    })
}

fn pref_cookie(name: &'static str, value: &str) -> Cookie<'static> {
    Cookie::build((name, value.to_string()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build()
}

pub fn client_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_string())
}

/// The client's address, for limits counted per client.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_of(parts)))
    }
}

/// The token of an `Authorization: Bearer …` header; the scheme is read in any case
/// (`bearer`, `BEARER`), as RFC 7235 has it.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim_start();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let (prefs, remember) = resolve_prefs(parts, &jar, state.config.default_country);
        let tr = Tr { i18n: state.i18n.clone(), lang: prefs.lang, region: Some(prefs.country) };
        let now = state.clock.now();
        let principal = match jar.get(SESSION_COOKIE) {
            Some(c) => accounts::authenticate(state.store.as_ref(), c.value(), now)
                .await
                .map_err(|e| PageError::internal(tr.clone(), e))?,
            None => None,
        };
        let mut jar = jar;
        for c in remember {
            jar = jar.add(c);
        }
        let csrf_token = match (&principal, jar.get(CSRF_COOKIE)) {
            (Some(p), _) => p.csrf_token.clone(),
            (None, Some(c)) if c.value().len() >= 32 => c.value().to_string(),
            (None, _) => {
                let token = accounts::new_csrf_token();
                jar = jar.add(
                    Cookie::build((CSRF_COOKIE, token.clone()))
                        .path("/")
                        .http_only(true)
                        .same_site(SameSite::Lax)
                        .secure(state.config.secure_cookies)
                        .build(),
                );
                token
            }
        };
        Ok(Visitor {
            prefs,
            principal,
            csrf_token,
            tr,
            client: client_of(parts),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or("").to_string(),
            path_lang: parts.extensions.get::<crate::kit::lang_path::PathLang>().map(|p| p.0),
            origin: state.config.public_url.clone(),
            jar,
            secure_cookies: state.config.secure_cookies,
        })
    }
}

impl Visitor {
    /// Refuses a form whose CSRF token does not match this visitor's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let ok = !submitted.is_empty() && bool::from(submitted.as_bytes().ct_eq(self.csrf_token.as_bytes()));
        if ok {
            Ok(())
        } else {
            Err(PageError::csrf(self.tr.clone()))
        }
    }

    /// Who is acting, for the audit log: the signed-in user and where the request came from.
    pub fn actor(&self) -> podium_app::security::Actor {
        let p = self.principal.as_ref();
        podium_app::security::Actor {
            user_id: p.map(|p| p.user.id.clone()).unwrap_or_default(),
            name: p.map(|p| p.user.display_name.clone()).unwrap_or_default(),
            client: self.client.clone(),
        }
    }

    pub fn set_session(&mut self, token: &str) {
        let cookie = Cookie::build((SESSION_COOKIE, token.to_string()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .max_age(accounts::SESSION_TTL)
            .build();
        self.jar = self.jar.clone().add(cookie);
    }

    /// The cart this browser holds, if any.
    pub fn cart_id(&self) -> Option<String> {
        self.jar
            .get(CART_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| v.len() == 48 && v.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    pub fn set_cart(&mut self, id: &str) {
        let cookie = Cookie::build((CART_COOKIE, id.to_string()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .max_age(time::Duration::days(60))
            .build();
        self.jar = self.jar.clone().add(cookie);
    }

    pub fn clear_session(&mut self) {
        self.jar = self.jar.clone().remove(Cookie::build(SESSION_COOKIE).path("/").build());
    }

    /// Forgets the cart this browser holds (signing out: the fan's cart stays theirs).
    pub fn clear_cart(&mut self) {
        self.jar = self.jar.clone().remove(Cookie::build(CART_COOKIE).path("/").build());
    }

    /// Attaches the cookies this request decided to set to a response.
    pub fn respond(self, body: impl IntoResponse) -> Response {
        let mut response = (self.jar, body).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn prefs_for(uri: &str, cookies: &str, accept: &str) -> Prefs {
        let req = Request::builder()
            .uri(uri)
            .header(header::COOKIE, cookies)
            .header(header::ACCEPT_LANGUAGE, accept)
            .body(())
            .expect("request");
        let (parts, _) = req.into_parts();
        let jar = CookieJar::from_headers(&parts.headers);
        resolve_prefs(&parts, &jar, Country::parse("US").expect("us")).0
    }

    #[test]
    fn query_beats_cookie_beats_accept_language() {
        let p = prefs_for("/?lang=ja", "podium_lang=fr", "ko-KR");
        assert_eq!(p.lang, Lang::Ja);
        let p = prefs_for("/", "podium_lang=fr", "ko-KR");
        assert_eq!(p.lang, Lang::Fr);
        let p = prefs_for("/", "", "ko-KR,ko;q=0.9");
        assert_eq!((p.lang, p.country.code(), p.currency.code()), (Lang::Ko, "KR", "KRW"));
        let p = prefs_for("/", "", "");
        assert_eq!((p.lang, p.country.code(), p.currency.code()), (Lang::En, "US", "USD"));
    }

    #[test]
    fn the_address_language_beats_query_cookie_and_browser_and_is_remembered() {
        let mut req = Request::builder()
            .uri("/products/x?lang=ja")
            .header(header::COOKIE, "podium_lang=fr")
            .header(header::ACCEPT_LANGUAGE, "en-GB")
            .body(())
            .expect("request");
        req.extensions_mut().insert(crate::kit::lang_path::PathLang(Lang::Ko));
        let (parts, _) = req.into_parts();
        let jar = CookieJar::from_headers(&parts.headers);
        let (prefs, remember) = resolve_prefs(&parts, &jar, Country::parse("US").expect("us"));
        assert_eq!(prefs.lang, Lang::Ko);
        let langs: Vec<_> = remember.iter().filter(|c| c.name() == LANG_COOKIE).map(|c| c.value()).collect();
        assert_eq!(langs, ["ko"], "remembered, and the query's ja is not");
    }

    #[test]
    fn currency_follows_the_country_unless_chosen() {
        let p = prefs_for("/?country=JP", "", "en-GB");
        assert_eq!((p.country.code(), p.currency.code(), p.currency_explicit), ("JP", "JPY", false));
        let p = prefs_for("/?country=JP", "podium_currency=EUR", "");
        assert_eq!((p.currency.code(), p.currency_explicit), ("EUR", true));
        let p = prefs_for("/?country=JP&currency=", "podium_currency=EUR", "");
        assert_eq!(p.currency.code(), "JPY", "the automatic choice forgets the explicit currency");
    }

    #[test]
    fn unknown_values_fall_back_with_a_notice() {
        let p = prefs_for("/?lang=xx&country=ZZ&currency=ABC", "", "fr-FR");
        assert_eq!((p.lang, p.country.code(), p.currency.code()), (Lang::Fr, "FR", "EUR"));
        assert_eq!(
            p.fallbacks,
            vec![Fallback::Lang("xx".into()), Fallback::Country("ZZ".into()), Fallback::Currency("ABC".into())]
        );
    }

    #[test]
    fn percent_encoding_is_decoded_and_bad_encoding_falls_back() {
        let p = prefs_for("/?lang=zh%2DHans", "", "");
        assert_eq!(p.lang, Lang::ZhHans);
        let p = prefs_for("/?lang=%ZZ", "", "");
        assert_eq!((p.lang, p.fallbacks.len()), (Lang::En, 1));
    }
}

/// A form that carries only its CSRF token (a button that does one thing).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// The country a look-up comes from, when a trusted proxy says so.
pub fn country_of(state: &AppState, parts: &Parts) -> Option<Country> {
    let header = state.config.country_header.as_deref()?;
    let value = parts.headers.get(header)?.to_str().ok()?;
    Country::parse(value.trim()).ok()
}

/// Looks a typed code up for the client of this request (see [`authenticity::look_up`]).
pub async fn look_up_code(state: &AppState, parts: &Parts, raw: &str) -> Result<LookUp, podium_app::StoreError> {
    let address = client_of(parts);
    let looker = Looker::new(&state.config.shared_secret.0, &address, country_of(state, parts));
    let limits =
        LookUpLimits { per_minute: state.config.verify_per_minute, suspicious_after: state.config.suspicious_after };
    authenticity::look_up(state.store.as_ref(), &looker, &address, raw, state.clock.now(), limits).await
}
