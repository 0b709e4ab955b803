//! Card-testing defence, on SQLite and PostgreSQL: a burst of declines from one client address
//! is stopped (429 with Retry-After, nothing reserved, nothing charged), so is a card declined
//! too often from anywhere and a cart tried too often; another fan is not affected. The client
//! address comes from `X-Forwarded-For` only when the connection is from a trusted proxy.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::shop::*;
use common::{Reply, TestApp};
use podium_store::testing::Backend;
use serde_json::Value;

/// A checkout as it arrives over a connection from `peer`, with the headers given.
async fn checkout_from(app: &mut TestApp, cart: &str, body: Value, peer: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::post(format!("/api/v1/carts/{cart}/checkout")).header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b.body(Body::from(body.to_string())).expect("request");
    let peer: SocketAddr = format!("{peer}:40000").parse().expect("peer");
    req.extensions_mut().insert(ConnectInfo(peer));
    app.send(req).await
}

async fn declines_from_one_client_are_stopped(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let limits = app.state.config.holds.attempts;
    assert_eq!((limits.declines_per_client, limits.declines_per_card), (5, 3), "the defaults");
    // A card tester tries card after card from one address: the sandbox declines each. Each
    // declined card is a different card (its own fingerprint), so only the client's count rises.
    let declining = ["4000000000000002", "4000000000009995"];
    for i in 0..5 {
        let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
        let r = checkout_from(&mut app, &id, body(declining[i % 2]), &format!("198.51.100.{}", 7), &[]).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "decline {i}: {}", r.body);
    }
    let before = stock(&app, KR_TEE).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    // Even a good card is refused from there now, before anything is reserved or charged.
    let r = checkout_from(&mut app, &id, body("4242424242424242"), "198.51.100.7", &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.json()["type"].as_str().map(|t| t.ends_with("too-many-payment-attempts")), Some(true), "{}", r.body);
    let retry: i64 = r.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(stock(&app, KR_TEE).await, before, "nothing reserved");
    // Another fan, elsewhere, buys as usual.
    let r = checkout_from(&mut app, &id, body("4242424242424242"), "203.0.113.20", &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["order"]["status"], "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_from_one_client_are_stopped_sqlite() {
    declines_from_one_client_are_stopped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_from_one_client_are_stopped_postgres() {
    declines_from_one_client_are_stopped(Backend::Postgres).await;
}

async fn a_card_declined_too_often_and_a_cart_tried_too_often_are_refused(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    // One stolen card tried from many addresses: refused after three declines, wherever from.
    for i in 0..3 {
        let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
        let r = checkout_from(&mut app, &id, body("4000000000000002"), &format!("192.0.2.{}", 10 + i), &[]).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    }
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let r = checkout_from(&mut app, &id, body("4000000000000002"), "192.0.2.99", &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("with this card"), "{}", r.body);
    // One cart tried again and again, with cards and addresses that change (the card and
    // client limits set high here, so the cart's own limit is what stops it).
    let mut config = podium_web::WebConfig::default();
    config.holds.attempts = podium_app::payment_limits::AttemptLimits {
        attempts_per_cart: 3,
        declines_per_card: 100,
        declines_per_client: 100,
        ..config.holds.attempts
    };
    let mut app = TestApp::new(backend).await.with_config(config);
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    for i in 0..3 {
        let r = checkout_from(&mut app, &id, body("4000000000009995"), &format!("100.64.0.{i}"), &[]).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    }
    let r = checkout_from(&mut app, &id, body("4242424242424242"), "100.64.0.9", &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("for this cart"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_declined_too_often_and_a_cart_tried_too_often_are_refused_sqlite() {
    a_card_declined_too_often_and_a_cart_tried_too_often_are_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_declined_too_often_and_a_cart_tried_too_often_are_refused_postgres() {
    a_card_declined_too_often_and_a_cart_tried_too_often_are_refused(Backend::Postgres).await;
}

async fn forwarded_addresses_count_only_behind_a_trusted_proxy(backend: Backend) {
    // No proxy trusted: a tester cannot escape the limit by making up X-Forwarded-For.
    let mut app = TestApp::new(backend).await;
    for i in 0..5 {
        let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
        let card = if i % 2 == 0 { "4000000000000002" } else { "4000000000009995" };
        let fake = format!("203.0.113.{i}");
        let r = checkout_from(&mut app, &id, body(card), "198.51.100.50", &[("x-forwarded-for", &fake)]).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    }
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let r =
        checkout_from(&mut app, &id, body("4242424242424242"), "198.51.100.50", &[("x-forwarded-for", "203.0.113.77")])
            .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the header was ignored: {}", r.body);

    // Behind a trusted proxy, each fan is told apart by the address the proxy names.
    let config = podium_web::WebConfig {
        trusted_proxies: podium_web::kit::proxy::TrustedProxies::parse("10.0.0.0/8").expect("list"),
        ..podium_web::WebConfig::default()
    };
    // (A fresh marketplace: the cards' counts from above would stop the sandbox's test cards.)
    let mut behind = TestApp::new(backend).await.with_config(config);
    for i in 0..5 {
        let id = cart(&mut behind, "KR", &[(KR_TEE, 1)]).await;
        let card = if i % 2 == 0 { "4000000000000002" } else { "4000000000009995" };
        let r = checkout_from(&mut behind, &id, body(card), "10.0.0.2", &[("x-forwarded-for", "198.18.0.1")]).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    }
    let id = cart(&mut behind, "KR", &[(KR_TEE, 1)]).await;
    let tester =
        checkout_from(&mut behind, &id, body("4242424242424242"), "10.0.0.2", &[("x-forwarded-for", "198.18.0.1")])
            .await;
    assert_eq!(tester.status, StatusCode::TOO_MANY_REQUESTS, "the tester behind the proxy is stopped: {}", tester.body);
    // A fan behind the same proxy (a left-most entry made up by the tester is not believed).
    let fan = checkout_from(
        &mut behind,
        &id,
        body("4242424242424242"),
        "10.0.0.2",
        &[("x-forwarded-for", "198.18.0.1, 198.18.0.2")],
    )
    .await;
    assert_eq!(fan.status, StatusCode::CREATED, "another fan through the same proxy: {}", fan.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy_sqlite() {
    forwarded_addresses_count_only_behind_a_trusted_proxy(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy_postgres() {
    forwarded_addresses_count_only_behind_a_trusted_proxy(Backend::Postgres).await;
}
