//! The response cache: anonymous catalogue reads of the API (listings and search, a product,
//! suggestions, exchange rates) answered from memory until the outbox moves, with `ETag`,
//! `If-None-Match` (304) and `Cache-Control` so browsers and a CDN in front can help too.
//!
//! An entry is good while the outbox position this node follows is the one it was made at (a
//! change on any node moves it: products, prices, a variant selling out or coming back,
//! rates, licences, shipping) and for at most the time to live, which bounds what moves
//! without the outbox: stock counts between selling out and coming back, and licence terms
//! that end at a moment rather than by an event. Only 200 answers without cookies are kept, only
//! for requests without credentials, and the whole cache is bounded in bytes (oldest out
//! first).
//!
//! Storefront pages are not kept: each carries its visitor's CSRF token and cart, so they are
//! private to one browser.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// How the cache is set up (`podium serve --no-response-cache`, `--response-cache-mb`,
/// `--response-cache-ttl`).
#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// Keep answers in memory; off, answers still carry `ETag` and revalidate to 304.
    pub enabled: bool,
    /// The most bytes of bodies kept.
    pub max_bytes: usize,
    /// The longest an answer is served from memory, whatever the outbox.
    pub ttl: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings { enabled: true, max_bytes: 16 << 20, ttl: Duration::from_secs(2) }
    }
}

/// The largest body kept (a page of 100 products with facets is about 60 kB).
const MAX_BODY: usize = 1 << 20;

struct Entry {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    at: Instant,
}

#[derive(Default)]
struct Entries {
    /// The outbox position every entry was made at.
    position: i64,
    bytes: usize,
    map: HashMap<String, Arc<Entry>>,
    /// Keys in the order they were added, for evicting the oldest first.
    order: VecDeque<String>,
}

/// The node's response cache, shared by every request.
pub struct ResponseCache {
    settings: CacheSettings,
    /// The outbox position this node has caught up to (its search index follows the outbox).
    position: Box<dyn Fn() -> i64 + Send + Sync>,
    entries: RwLock<Entries>,
}

impl ResponseCache {
    pub fn new(settings: CacheSettings, position: impl Fn() -> i64 + Send + Sync + 'static) -> ResponseCache {
        ResponseCache { settings, position: Box::new(position), entries: RwLock::new(Entries::default()) }
    }

    fn get(&self, key: &str, position: i64) -> Option<Arc<Entry>> {
        let entries = self.entries.read().ok()?;
        if entries.position != position {
            return None;
        }
        entries.map.get(key).filter(|e| e.at.elapsed() < self.settings.ttl).cloned()
    }

    fn put(&self, key: String, entry: Entry, position: i64) {
        let Ok(mut entries) = self.entries.write() else { return };
        if entries.position != position {
            // The outbox moved: everything kept describes the catalogue as it was.
            if position < entries.position {
                return;
            }
            *entries = Entries { position, ..Entries::default() };
        }
        let size = key.len() + entry.body.len();
        if let Some(old) = entries.map.insert(key.clone(), Arc::new(entry)) {
            entries.bytes -= key.len() + old.body.len();
            entries.order.retain(|k| k != &key);
        }
        entries.bytes += size;
        entries.order.push_back(key);
        while entries.bytes > self.settings.max_bytes {
            let Some(oldest) = entries.order.pop_front() else { break };
            if let Some(gone) = entries.map.remove(&oldest) {
                entries.bytes -= oldest.len() + gone.body.len();
            }
        }
    }

    /// How many answers are kept and their bytes, for tests and metrics.
    pub fn usage(&self) -> (usize, usize) {
        self.entries.read().map(|e| (e.map.len(), e.bytes)).unwrap_or((0, 0))
    }
}

/// The API reads that are the same for every anonymous client.
fn cacheable_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/") else { return false };
    match rest.split_once('/') {
        None => matches!(rest, "products" | "suggest"),
        Some(("products", slug)) => !slug.is_empty() && !slug.contains('/'),
        Some(("fx", what)) => matches!(what, "rates" | "convert"),
        _ => false,
    }
}

/// A strong validator from the body's bytes: equal bodies get equal tags on every node.
fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for b in &digest[..12] {
        tag.push_str(&format!("{b:02x}"));
    }
    tag.push('"');
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 has it for GET).
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(tag) = etag.to_str() else { return false };
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
    })
}

/// Whether the request asks caches to check with the origin first (RFC 9111 §5.2.1.4).
fn wants_fresh(headers: &HeaderMap) -> bool {
    let says = |name: header::HeaderName| {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).any(|v| {
            v.split(',').any(|d| {
                let d = d.trim();
                d.eq_ignore_ascii_case("no-cache") || d.eq_ignore_ascii_case("max-age=0")
            })
        })
    };
    says(header::CACHE_CONTROL) || says(header::PRAGMA)
}

fn cache_control(ttl: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", ttl.as_secs()))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

fn answer(req: &HeaderMap, entry: &Entry, ttl: Duration, hit: bool) -> Response {
    let mut res = if matches(req, &entry.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = Response::new(Body::from(entry.body.clone()));
        res.headers_mut().insert(header::CONTENT_TYPE, entry.content_type.clone());
        res
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, entry.etag.clone());
    h.insert(header::CACHE_CONTROL, cache_control(ttl));
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    h.insert("x-cache", HeaderValue::from_static(if hit { "hit" } else { "miss" }));
    res
}

/// The middleware: answers from memory when it can, else runs the request and keeps what
/// it may.
pub async fn serve(State(cache): State<Arc<ResponseCache>>, req: Request, next: Next) -> Response {
    let cacheable = req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION)
        && cacheable_path(req.uri().path());
    if !cacheable {
        return next.run(req).await;
    }
    let key = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let position = (cache.position)();
    // A client that asks for a fresh answer (`Cache-Control: no-cache`, or HTTP/1.0's
    // `Pragma: no-cache`) gets one, which is then kept for the others.
    if cache.settings.enabled && !wants_fresh(req.headers()) {
        if let Some(entry) = cache.get(&key, position) {
            metrics::counter!("podium_response_cache_total", "result" => "hit").increment(1);
            return answer(req.headers(), &entry, cache.settings.ttl, true);
        }
    }
    // Only the validators are needed once the request has been handed on.
    let mut conditional = HeaderMap::new();
    for v in req.headers().get_all(header::IF_NONE_MATCH) {
        conditional.append(header::IF_NONE_MATCH, v.clone());
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let entry = Entry {
        etag: etag_of(&body),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("application/json")),
        body,
        at: Instant::now(),
    };
    let mut res = answer(&conditional, &entry, cache.settings.ttl, false);
    for (name, value) in &parts.headers {
        if !res.headers().contains_key(name) && name != header::CONTENT_LENGTH {
            res.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if cache.settings.enabled {
        metrics::counter!("podium_response_cache_total", "result" => "miss").increment(1);
        // Kept as an exact-size copy: the body as rendered may sit in a buffer up to twice its
        // length, which the cache's byte bound would not see.
        let kept = Entry { body: Bytes::copy_from_slice(&entry.body), ..entry };
        cache.put(key, kept, position);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_anonymous_catalogue_reads_are_cacheable() {
        for path in ["/api/v1/products", "/api/v1/products/a-tee", "/api/v1/suggest", "/api/v1/fx/rates"] {
            assert!(cacheable_path(path), "{path}");
        }
        for path in ["/api/v1/products/", "/api/v1/products/a/b", "/api/v1/orders", "/api/v1/me", "/products", "/"] {
            assert!(!cacheable_path(path), "{path}");
        }
    }

    #[test]
    fn no_cache_and_max_age_zero_ask_for_a_fresh_answer() {
        let mut h = HeaderMap::new();
        assert!(!wants_fresh(&h));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-stale=5, No-Cache"));
        assert!(wants_fresh(&h));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=0"));
        assert!(wants_fresh(&h));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        assert!(!wants_fresh(&h));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        assert!(wants_fresh(&h));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let tag = etag_of(b"{}");
        let mut h = HeaderMap::new();
        assert!(!matches(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{}", tag.to_str().unwrap_or(""))).unwrap_or(tag.clone()),
        );
        assert!(matches(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!matches(&h, &tag));
    }

    fn entry(body: &'static [u8]) -> Entry {
        Entry {
            body: Bytes::from_static(body),
            etag: etag_of(body),
            content_type: HeaderValue::from_static("application/json"),
            at: Instant::now(),
        }
    }

    #[test]
    fn entries_last_until_the_outbox_moves_and_the_oldest_leave_first() {
        let cache =
            ResponseCache::new(CacheSettings { enabled: true, max_bytes: 40, ttl: Duration::from_secs(60) }, || 0);
        cache.put("/a".into(), entry(b"0123456789"), 7);
        assert!(cache.get("/a", 7).is_some());
        assert!(cache.get("/a", 8).is_none(), "the outbox moved");
        cache.put("/b".into(), entry(b"0123456789"), 7);
        cache.put("/c".into(), entry(b"0123456789"), 7);
        // 3 × (2 + 10) = 36 bytes fit; a fourth pushes the oldest out.
        assert_eq!(cache.usage(), (3, 36));
        cache.put("/d".into(), entry(b"0123456789"), 7);
        assert!(cache.get("/a", 7).is_none() && cache.get("/d", 7).is_some());
        assert_eq!(cache.usage(), (3, 36));
        // An answer made at a newer position starts the cache afresh.
        cache.put("/e".into(), entry(b"x"), 9);
        assert_eq!(cache.usage(), (1, 3));
        // One made before it (a slow request) is not kept.
        cache.put("/f".into(), entry(b"x"), 8);
        assert!(cache.get("/f", 8).is_none() && cache.get("/e", 9).is_some());
    }

    #[test]
    fn entries_expire_after_their_time_to_live() {
        let cache = ResponseCache::new(CacheSettings { enabled: true, max_bytes: 1 << 20, ttl: Duration::ZERO }, || 0);
        cache.put("/a".into(), entry(b"{}"), 1);
        assert!(cache.get("/a", 1).is_none());
    }
}
