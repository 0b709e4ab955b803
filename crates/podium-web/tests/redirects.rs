//! Where a form sends the browser next (`next` after signing in, `back` after following): only
//! somewhere on this site, as a browser reads the address, and never a 500.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_app::Store;
use podium_store::testing::Backend;

const FAN: (&str, &str) = ("fan@podium.example", "fan-demo-2026");

/// Targets a browser reads as another site: tabs and line breaks are dropped, a backslash is a
/// slash, so each of these means `//evil.example`.
const ELSEWHERE: [&str; 9] = [
    "//evil.example/",
    "/\t/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http://podium.invalid@evil.example/",
    "javascript:alert(1)",
];

fn encoded(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn sign_in_with_next(app: &mut TestApp, next: &str) -> common::Reply {
    let csrf = app.get("/signin").await.csrf();
    app.post_form("/signin", &[("csrf_token", &csrf), ("email", FAN.0), ("password", FAN.1), ("next", next)]).await
}

#[tokio::test]
async fn sign_in_follows_only_paths_on_this_site() {
    let app = TestApp::new(Backend::Sqlite).await;
    for next in ELSEWHERE {
        // The sign-in page carries the target in its form: only a safe one.
        let mut browser = app.clone_app();
        let page = browser.get(&format!("/signin?next={}", encoded(next))).await;
        assert_eq!(page.status, StatusCode::OK, "{next:?}");
        assert!(page.body.contains("name=\"next\" value=\"/console\""), "{next:?}: the page keeps no foreign target");
        let r = sign_in_with_next(&mut browser, next).await;
        assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/console"), "{next:?}");
    }
    // The tab of the issue, as a link carries it: `/%09/evil.example`.
    let mut browser = app.clone_app();
    let page = browser.get("/signin?next=/%09/evil.example").await;
    assert!(page.body.contains("name=\"next\" value=\"/console\""));
    // A path on this site is followed, as a browser would read it.
    let mut browser = app.clone_app();
    let r = sign_in_with_next(&mut browser, "/shops/hanok-threads?lang=ko").await;
    assert_eq!(r.header("location"), "/shops/hanok-threads?lang=ko");
    let mut browser = app.clone_app();
    let r = sign_in_with_next(&mut browser, "/account/\tsecurity").await;
    assert_eq!(r.header("location"), "/account/security");
    // Encoded slashes stay a path on this site.
    let mut browser = app.clone_app();
    let r = sign_in_with_next(&mut browser, "/%2F%2Fevil.example").await;
    assert_eq!(r.header("location"), "/%2F%2Fevil.example");
}

#[tokio::test]
async fn a_line_break_in_a_target_is_a_friendly_400() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for raw in ["/console%0D%0ASet-Cookie:%20a=1", "/%0A/evil.example", "/%0D/evil.example", "/console%7F"] {
        let page = app.get(&format!("/signin?next={raw}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{raw}");
        assert!(page.body.contains("This link is not valid"), "{raw}: a page, not plain text");
    }
    for next in ["/console\r\nSet-Cookie: a=1", "/\n/evil.example", "/\r/evil.example", "/console\u{7f}"] {
        let r = sign_in_with_next(&mut app.clone_app(), next).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{next:?}");
        assert!(r.header("content-type").starts_with("text/html"), "{next:?}");
        assert!(r.headers.get("set-cookie").is_none_or(|c| !c.to_str().unwrap_or("").starts_with("a=")));
    }
    assert_eq!(app.get("/signin?next=/console").await.status, StatusCode::OK);
}

#[tokio::test]
async fn following_goes_back_only_to_paths_on_this_site() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.sign_in(FAN.0, FAN.1).await.status, StatusCode::SEE_OTHER);
    let shop = app.db.store.org_by_slug("savannah-stitch").await.expect("read").expect("shop");
    let page = app.get("/shops/savannah-stitch").await;
    let csrf = page.csrf();
    let follow = |back: &'static str| {
        [("csrf_token", csrf.clone()), ("kind", "shop".into()), ("target", shop.id.clone()), ("back", back.into())]
    };
    for back in ELSEWHERE {
        let r = app.post_form("/follow", &common::as_pairs(&follow(back).map(|(k, v)| (k.to_string(), v)))).await;
        assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/feed"), "{back:?}");
    }
    let r = app
        .post_form("/follow", &common::as_pairs(&follow("/shops/savannah-stitch").map(|(k, v)| (k.to_string(), v))))
        .await;
    assert_eq!(r.header("location"), "/shops/savannah-stitch");
    let r = app
        .post_form("/follow", &common::as_pairs(&follow("/feed\r\nX-Evil: 1").map(|(k, v)| (k.to_string(), v))))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("This link is not valid"));
}
