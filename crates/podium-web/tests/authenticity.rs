//! Griefing the authenticity flag: one client looking a code up again and again (within its
//! rate limit) does not turn it "suspicious" for everyone; many different clients do. Every
//! look-up still counts in how many times the code was verified.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use common::TestApp;
use podium_app::licensing::LicensingStore;
use podium_app::Store;
use podium_store::testing::Backend;

/// A look-up of `code` through the API from the client at `ip`.
async fn look_up(app: &mut TestApp, code: &str, ip: &str) -> serde_json::Value {
    let addr: SocketAddr = format!("{ip}:40000").parse().expect("address");
    let req = Request::get(format!("/api/v1/authenticity/{code}"))
        .extension(ConnectInfo(addr))
        .body(Body::empty())
        .expect("request");
    let r = app.send(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn one_client_cannot_brand_a_code_suspicious(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let licensor = app.db.store.org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let batches = app.db.store.code_batches(&licensor.id).await.expect("batches");
    let batch = batches.iter().find(|b| b.shop.slug == "savannah-stitch").expect("demo batch");
    let codes = app.db.store.batch_codes(&batch.id).await.expect("codes");
    let code = codes.iter().find(|c| c.verifications == 0).expect("never checked").code.clone();
    // 21 look-ups by one client (the limit is 30 a minute), past the 20 that flag a code.
    for n in 1..=21 {
        let j = look_up(&mut app, &code, "198.51.100.7").await;
        assert_eq!(j["status"], "genuine", "look-up {n} by the same client");
        assert_eq!(j["verifications"], n, "every look-up is counted");
    }
    // Twenty other clients: 21 different ones in all, more than the 20 a genuine label sees.
    for i in 1..=19 {
        let j = look_up(&mut app, &code, &format!("203.0.113.{i}")).await;
        assert_eq!(j["status"], "genuine", "{} different clients", i + 1);
    }
    let j = look_up(&mut app, &code, "203.0.113.200").await;
    assert_eq!(j["status"], "suspicious", "21 different clients verified it");
    assert_eq!(j["verifications"], 41);
    // The page says the same, and still shows how often it was verified.
    let page = app.get(&format!("/verify/{code}?lang=en")).await;
    assert!(page.body.contains("data-status=\"suspicious\"") && page.body.contains("<dd>42</dd>"), "{}", page.body);
}

#[tokio::test]
async fn one_client_cannot_brand_a_code_suspicious_sqlite() {
    one_client_cannot_brand_a_code_suspicious(Backend::Sqlite).await;
}

#[tokio::test]
async fn one_client_cannot_brand_a_code_suspicious_postgres() {
    one_client_cannot_brand_a_code_suspicious(Backend::Postgres).await;
}
