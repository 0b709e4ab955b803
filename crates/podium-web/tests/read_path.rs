//! Issue 22, the read path as clients meet it: listings answer from this node's index alone
//! (which follows the outbox, and a variant selling out moves it), and anonymous catalogue
//! reads of the API are answered from memory, with `ETag` and 304, until the outbox moves.

mod common;

use axum::http::StatusCode;
use common::shop::{bearer, body, cart, checkout, set_stock, KR_TEE};
use common::TestApp;
use podium_app::catalogue::CatalogueStore;
use podium_store::testing::Backend;
use podium_web::response_cache::CacheSettings;
use podium_web::WebConfig;
use serde_json::Value;

const TEE: &str = "hanok-threads-olympic-heritage-laurel-tee";
const LISTING: &str = "/api/v1/products?country=KR&shop=hanok-threads&per_page=100";

/// Leaves one unit of `KR_TEE` and none of the tee's other sizes.
async fn last_unit(app: &TestApp) {
    let product = app.db.store.product_by_slug(TEE).await.expect("read").expect("tee");
    for v in &product.variants {
        let units = if format!("hanok-threads:{}", v.sku) == KR_TEE { 1 } else { 0 };
        set_stock(app, &format!("hanok-threads:{}", v.sku), units).await;
    }
}

fn listed<'a>(listing: &'a Value, slug: &str) -> &'a Value {
    listing["items"].as_array().expect("items").iter().find(|i| i["slug"] == slug).expect("the tee is listed")
}

#[tokio::test]
async fn selling_the_last_unit_shows_in_listings_once_the_node_follows_the_outbox() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let mut app = TestApp::new(backend).await;
        last_unit(&app).await;
        app.catch_up().await;
        let before = app.get_anonymous(LISTING).await.json();
        assert_eq!(listed(&before, TEE)["in_stock"], true, "{backend:?}");
        let c = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
        let r = checkout(&mut app, &c, body("4242424242424242"), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // The sale took the last unit: the store announced it, and once this node follows,
        // the listing (answered from the index, not the store) says so.
        app.catch_up().await;
        let after = app.get_anonymous(LISTING).await.json();
        assert_eq!(listed(&after, TEE)["in_stock"], false, "{backend:?}");
        assert_eq!(
            after["facets"]["in_stock"].as_u64(),
            before["facets"]["in_stock"].as_u64().map(|n| n - 1),
            "{backend:?}: the in-stock count follows"
        );
    }
}

#[tokio::test]
async fn anonymous_catalogue_reads_are_answered_from_memory_until_the_outbox_moves() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let detail = format!("/api/v1/products/{TEE}?country=KR");
    for url in [LISTING, detail.as_str()] {
        let first = app.get_anonymous(url).await;
        assert_eq!((first.status, first.header("x-cache")), (StatusCode::OK, "miss"), "{url}");
        assert_eq!(first.header("cache-control"), "public, max-age=2");
        let etag = first.header("etag").to_string();
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        let second = app.get_anonymous(url).await;
        assert_eq!((second.header("x-cache"), second.header("etag")), ("hit", etag.as_str()), "{url}");
        assert_eq!(second.body, first.body);
        assert_eq!(second.header("content-type"), "application/json");
        // A client that needs the answer now (exact stock counts, say) asks for a fresh one.
        let fresh = app.get_with(url, &[("cache-control", "no-cache")]).await;
        assert_eq!((fresh.header("x-cache"), fresh.body.as_str()), ("miss", first.body.as_str()), "{url}");
        // A client (or a CDN) that holds the answer revalidates it without the body.
        let again = app.get_with(url, &[("if-none-match", &etag)]).await;
        assert_eq!((again.status, again.body.as_str()), (StatusCode::NOT_MODIFIED, ""), "{url}");
        assert_eq!(again.header("etag"), etag);
    }
    // Signed-in clients are answered afresh, never from what anonymous ones were given.
    let token = bearer(&mut app, "merchant@podium.example", "merchant-demo-2026").await;
    let signed_in = app.get_with(LISTING, &[("authorization", &token)]).await;
    assert_eq!((signed_in.status, signed_in.header("x-cache")), (StatusCode::OK, ""));
    // A change moves the outbox; once the node follows, the next answer is made afresh and
    // shows it, under a new tag.
    let etag = app.get_anonymous(LISTING).await.header("etag").to_string();
    let product = app.db.store.product_by_slug(TEE).await.expect("read").expect("tee");
    for v in &product.variants {
        set_stock(&app, &format!("hanok-threads:{}", v.sku), 0).await;
    }
    app.catch_up().await;
    let changed = app.get_anonymous(LISTING).await;
    assert_eq!(changed.header("x-cache"), "miss");
    assert_ne!(changed.header("etag"), etag);
    assert_eq!(listed(&changed.json(), TEE)["in_stock"], false);
    // Errors are never kept.
    let bad = "/api/v1/products?country=XX";
    assert_eq!(app.get_anonymous(bad).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_anonymous(bad).await.header("x-cache"), "");
}

#[tokio::test]
async fn switched_off_the_cache_answers_afresh_and_still_revalidates() {
    let app = TestApp::new(Backend::Sqlite).await;
    let config =
        WebConfig { response_cache: CacheSettings { enabled: false, ..Default::default() }, ..Default::default() };
    let mut node = app.with_config(config);
    let first = node.get_anonymous(LISTING).await;
    let second = node.get_anonymous(LISTING).await;
    assert_eq!((first.header("x-cache"), second.header("x-cache")), ("miss", "miss"));
    assert_eq!(first.header("etag"), second.header("etag"), "the same answer has the same tag");
    let etag = first.header("etag").to_string();
    assert_eq!(node.get_with(LISTING, &[("if-none-match", &etag)]).await.status, StatusCode::NOT_MODIFIED);
}
