//! Checkout, payments, orders and fulfilment through the HTTP API, on SQLite and PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::shop::*;
use common::TestApp;
use podium_app::inventory::InventoryStore;
use podium_app::ledger::LedgerStore;
use podium_app::orders::OrderStore;
use podium_app::payments::{PaymentProvider, PaymentStatus, SandboxStore};
use podium_store::testing::Backend;
use serde_json::{json, Value};

async fn a_korean_fan_buys_from_a_korean_and_a_british_shop(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    // Enough pins to pass Korea's 150 USD threshold: the British consignment pays VAT and duty.
    set_stock(&app, GB_PIN, 40).await;
    let before = (stock(&app, KR_TEE).await, stock(&app, GB_PIN).await);
    let id = cart(&mut app, "KR", &[(KR_TEE, 1), (GB_PIN, 17)]).await;
    let quoted = app
        .post_json(
            "/api/v1/quotes",
            json!({"country": "KR", "lines": [{"sku": KR_TEE, "quantity": 1}, {"sku": GB_PIN, "quantity": 17}]}),
            &[],
        )
        .await
        .json();
    let r = checkout(&mut app, &id, body("4242424242424242"), Some("first-try")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let placed = r.json();
    let order = &placed["order"];
    assert_eq!(order["status"], "paid");
    assert_eq!(order["currency"], "KRW");
    assert!(order["number"].as_str().is_some_and(|n| n.starts_with("PD-") && n.len() == 12), "{order}");
    assert_eq!(order["total"], quoted["total"], "the fan pays what the quote said");
    let consignments = order["consignments"].as_array().expect("consignments");
    assert_eq!(consignments.len(), 2, "one per shop");
    for (c, q) in consignments.iter().zip(quoted["consignments"].as_array().expect("quoted")) {
        assert_eq!(c["shop"]["slug"], q["shop"]);
        for part in ["goods", "shipping", "vat", "duty", "total"] {
            assert_eq!(c[part], q[part], "{part} of {}", c["shop"]["slug"]);
        }
        assert_eq!(c["status"], "new");
    }
    assert_eq!(consignments[1]["regime"], "standard", "the British pins pay Korean VAT and duty: {}", consignments[1]);
    assert!(consignments[1]["vat"]["minor"].as_i64() > Some(0));
    assert!(consignments[1]["duty"]["minor"].as_i64() > Some(0));
    // Line VAT and duty add up to the consignment's.
    for c in consignments {
        let sum = |part: &str| {
            c["lines"].as_array().expect("lines").iter().map(|l| l[part]["minor"].as_i64().expect("minor")).sum::<i64>()
        };
        assert_eq!(Some(sum("vat")), c["vat"]["minor"].as_i64());
        assert_eq!(Some(sum("duty")), c["duty"]["minor"].as_i64());
    }
    // Stock sold, nothing left reserved; the cart is empty.
    assert_eq!(stock(&app, KR_TEE).await, (before.0 .0 - 1, 0));
    assert_eq!(stock(&app, GB_PIN).await, (before.1 .0 - 17, 0));
    assert!(app.get(&format!("/api/v1/carts/{id}")).await.json()["consignments"].as_array().is_some_and(Vec::is_empty));
    // The order reads with its token only.
    let number = order["number"].as_str().expect("number").to_string();
    let token = placed["token"].as_str().expect("token").to_string();
    assert_eq!(app.get(&format!("/api/v1/orders/{number}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/orders/{number}?token=nope")).await.status, StatusCode::NOT_FOUND);
    let read = app.get(&format!("/api/v1/orders/{number}?token={token}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["total"], order["total"]);
    // One charge at the provider, captured, for the total; the card is kept as brand and last four.
    let payments = app.state.sandbox.payments_for(order["id"].as_str().expect("id")).await.expect("payments");
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (payments[0].status, Some(payments[0].captured)),
        (PaymentStatus::Captured, order["total"]["minor"].as_i64())
    );
    assert_eq!((order["payment"]["brand"].as_str(), order["payment"]["last4"].as_str()), (Some("Visa"), Some("4242")));
    // The confirmation e-mail, in Korean, written once as an .eml file.
    let dir = tempfile::tempdir().expect("dir");
    let transport = podium_outbound::FileMailer::new(dir.path());
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await, 1);
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await, 0, "never twice");
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].as_ref().expect("file").path()).expect("read");
    assert!(eml.contains("To: minji@example.com"), "{eml}");
    assert!(eml.contains("결제가 완료되었습니다"), "Korean body: {eml}");
    assert!(eml.contains(&format!("http://shop.test/orders/{number}?token={token}")), "a link that opens the order");
    assert!(!eml.contains("4242424242424242"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_korean_fan_buys_from_a_korean_and_a_british_shop_sqlite() {
    a_korean_fan_buys_from_a_korean_and_a_british_shop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_korean_fan_buys_from_a_korean_and_a_british_shop_postgres() {
    a_korean_fan_buys_from_a_korean_and_a_british_shop(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_cards_answer_402_and_leave_nothing_reserved() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let before = stock(&app, KR_TEE).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 2)]).await;
    for (card, code) in [("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds")] {
        let r = checkout(&mut app, &id, body(card), Some(card)).await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
        assert_eq!(r.header("content-type"), "application/problem+json");
        let p = r.json();
        assert!(p["detail"].as_str().is_some_and(|d| d.contains(code) && d.contains("nothing is reserved")), "{p}");
        assert_eq!(stock(&app, KR_TEE).await, before, "nothing sold, nothing held");
        // The same request again answers the same, without a second attempt at the card.
        let again = checkout(&mut app, &id, body(card), Some(card)).await;
        assert_eq!((again.status, again.body.clone()), (r.status, r.body.clone()));
        assert_eq!(again.header("idempotent-replayed"), "true");
    }
    // The cart is still there to pay with another card.
    let r = checkout(&mut app, &id, body("4242424242424242"), Some("good card")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(stock(&app, KR_TEE).await, (before.0 - 2, 0));
    // Bad input is a 422 naming the field, and reserves nothing.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    for (bad, field) in [
        (
            json!({"email": "x", "shipping_address": address("KR"), "payment": {"method": "sandbox_card", "card_number": "4242424242424242"}}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "shipping_address": address("KR"), "payment": {"method": "sandbox_card", "card_number": "4242424242424241"}}),
            "payment.card_number",
        ),
        (
            json!({"email": "a@b.co", "shipping_address": address("JP"), "payment": {"method": "sandbox_card", "card_number": "4242424242424242"}}),
            "shipping_address.country",
        ),
        (
            json!({"email": "a@b.co", "shipping_address": {"name": "", "line1": "x", "city": "y", "country": "KR"}, "payment": {"method": "sandbox_card", "card_number": "4242424242424242"}}),
            "shipping_address.name",
        ),
    ] {
        let r = checkout(&mut app, &id, bad, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["field"], field);
    }
    assert_eq!(stock(&app, KR_TEE).await.1, 0);
    assert_eq!(checkout(&mut app, "no-such-cart", body("4242424242424242"), None).await.status, StatusCode::NOT_FOUND);
    let r = app.post_json(&format!("/api/v1/carts/{id}/checkout"), json!({"nonsense": true}), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The second-step card: 201 pending with a next action; the stock stays held until the fan
/// confirms; the webhooks that follow, delivered late, twice and in reverse order, change
/// nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_needs_a_second_step_waits_and_webhooks_are_harmless() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let before = stock(&app, GB_PIN).await;
    let id = cart(&mut app, "KR", &[(GB_PIN, 1)]).await;
    let r = checkout(&mut app, &id, body("4000002500003155"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["order"].clone();
    assert_eq!(order["status"], "pending_payment");
    let next = order["next_action"].as_str().expect("next action").to_string();
    assert!(next.starts_with("/sandbox/payments/pay_") && next.ends_with("/confirm"), "{next}");
    assert_eq!(stock(&app, GB_PIN).await, (before.0, 1), "held for the confirmation");
    // The fan confirms at the provider; the order learns of it from the webhooks alone.
    let payment_id = next.trim_start_matches("/sandbox/payments/").trim_end_matches("/confirm");
    app.state.sandbox.confirm(payment_id, true).await.expect("confirm");
    let later = app.state.clock.now() + time::Duration::seconds(10);
    let mut hooks = Vec::new();
    while app.db.store.sandbox_webhooks_waiting().await.expect("waiting") > 0 {
        let due = app.db.store.sandbox_due_webhooks(later, time::Duration::seconds(30), 100).await.expect("due");
        assert!(!due.is_empty());
        for w in due {
            app.db.store.sandbox_webhooks_delivered(&[(w.event_id.clone(), w.seq)], later).await.expect("mark");
            hooks.push(w);
        }
    }
    assert!(hooks.len() >= 2, "requires_action and authorized at least: {hooks:?}");
    hooks.reverse();
    let now = app.state.clock.now();
    let mut answers = Vec::new();
    for w in hooks.iter().chain(hooks.iter()) {
        let (h, body) = app.state.sandbox.sign(w, now);
        let r = app
            .send(
                axum::http::Request::post("/api/v1/webhooks/sandbox")
                    .header("content-type", "application/json")
                    .header("webhook-id", &h.id)
                    .header("webhook-timestamp", &h.timestamp)
                    .header("webhook-signature", &h.signature)
                    .body(axum::body::Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        answers.push(r.json()["duplicate"].as_bool().expect("duplicate flag"));
    }
    let distinct = hooks.iter().map(|w| w.event_id.clone()).collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(answers.iter().filter(|d| !**d).count(), distinct, "each event applied once: {answers:?}");
    let o = app.db.store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    assert_eq!(o.status.as_str(), "paid");
    assert_eq!(stock(&app, GB_PIN).await, (before.0 - 1, 0), "sold once");
    let payments = app.state.sandbox.payments_for(&o.id).await.expect("payments");
    assert_eq!((payments.len(), payments[0].status), (1, PaymentStatus::Captured));
    let mails = app.db.store.claim_mails(now, time::Duration::seconds(60), 10).await.expect("mails");
    assert_eq!(mails.len(), 1, "one confirmation");
    // A forged or stale webhook is refused.
    let (h, body) = app.state.sandbox.sign(&hooks[0], now - time::Duration::minutes(10));
    let stale = app
        .send(
            axum::http::Request::post("/api/v1/webhooks/sandbox")
                .header("webhook-id", &h.id)
                .header("webhook-timestamp", &h.timestamp)
                .header("webhook-signature", &h.signature)
                .body(axum::body::Body::from(body.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    let (h, _) = app.state.sandbox.sign(&hooks[0], now);
    let forged = app
        .send(
            axum::http::Request::post("/api/v1/webhooks/sandbox")
                .header("webhook-id", &h.id)
                .header("webhook-timestamp", &h.timestamp)
                .header("webhook-signature", "v1,AAAA")
                .body(axum::body::Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}

/// A second-step payment never confirmed: once its window passes the sweep voids it and the
/// stock goes back on sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_payment_is_voided_and_its_stock_released() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let before = stock(&app, GB_PIN).await;
    let id = cart(&mut app, "KR", &[(GB_PIN, 1)]).await;
    let order = checkout(&mut app, &id, body("4000002500003155"), None).await.json()["order"].clone();
    let order_id = order["id"].as_str().expect("id");
    let later = app.state.clock.now() + time::Duration::minutes(16);
    let changed =
        podium_app::checkout::reconcile(app.db.store.as_ref(), app.state.sandbox.as_ref(), later).await.expect("sweep");
    assert_eq!(changed, 1);
    let o = app.db.store.order(order_id).await.expect("read").expect("order");
    assert_eq!((o.status.as_str(), o.failure.as_deref()), ("cancelled", Some("confirmation_timed_out")));
    assert_eq!(stock(&app, GB_PIN).await, before);
    let p = app.state.sandbox.payments_for(order_id).await.expect("payments");
    assert_eq!(p[0].status, PaymentStatus::Voided);
    // Confirming afterwards cannot charge: the payment is void.
    let after = app.state.sandbox.confirm(&p[0].id, true).await.expect("confirm");
    assert_eq!(after.status, PaymentStatus::Voided);
}

async fn retries_with_one_key_make_one_order(backend: Backend) {
    let mut first = TestApp::new(backend).await;
    let id = cart(&mut first, "KR", &[(KR_TEE, 1)]).await;
    let before = stock(&first, KR_TEE).await;
    // Eight copies of one request at once (a client retrying over a flaky network).
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let router = first.router.clone();
        let id = id.clone();
        tasks.spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post(format!("/api/v1/carts/{id}/checkout"))
                .header("content-type", "application/json")
                .header("idempotency-key", "retry-me")
                .body(axum::body::Body::from(body("4242424242424242").to_string()))
                .expect("request");
            let res = router.oneshot(req).await.expect("answer");
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).expect("json"))
        });
    }
    let mut numbers = std::collections::BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let (status, json) = done.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{json}");
        numbers.insert(json["order"]["number"].as_str().expect("number").to_string());
    }
    assert_eq!(numbers.len(), 1, "one order for every retry");
    let number = numbers.into_iter().next().expect("number");
    let order = first.db.store.order_by_number(&number).await.expect("read").expect("order");
    assert_eq!(first.state.sandbox.payments_for(&order.id).await.expect("payments").len(), 1, "charged once");
    assert_eq!(stock(&first, KR_TEE).await, (before.0 - 1, 0), "one unit sold");
    // The same key with another body is refused.
    let mut other = body("4242424242424242");
    other["email"] = json!("someone.else@example.com");
    let r = checkout(&mut first, &id, other, Some("retry-me")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "Idempotency-Key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_with_one_key_make_one_order_sqlite() {
    retries_with_one_key_make_one_order(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_with_one_key_make_one_order_postgres() {
    retries_with_one_key_make_one_order(Backend::Postgres).await;
}

/// DESIGN §3.7's stock rule through the real checkout: 64 buyers, one unit at a time until
/// refused, race for 100 units.
async fn sixty_four_buyers_race_for_a_hundred_units(backend: Backend) {
    let app = TestApp::new(backend).await;
    set_stock(&app, KR_TEE, 100).await;
    let variant = variant_id(&app, KR_TEE).await;
    let mut buyers = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let router = app.router.clone();
        let store = app.db.store.clone();
        let variant = variant.clone();
        buyers.spawn(async move {
            use tower::ServiceExt;
            let call = |req: axum::http::Request<axum::body::Body>| {
                let router = router.clone();
                async move {
                    let res = router.oneshot(req).await.expect("answer");
                    let status = res.status();
                    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes();
                    (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
                }
            };
            let json_req = |uri: String, v: Value| {
                axum::http::Request::post(uri)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(v.to_string()))
                    .expect("request")
            };
            let (mut orders, mut refusals) = (Vec::new(), 0);
            loop {
                let (_, c) = call(json_req("/api/v1/carts".into(), json!({"country": "KR"}))).await;
                let id = c["id"].as_str().expect("cart").to_string();
                let (status, _) =
                    call(json_req(format!("/api/v1/carts/{id}/lines"), json!({"sku": KR_TEE, "quantity": 1}))).await;
                if status == StatusCode::CONFLICT {
                    // Sold out already when adding to the cart: the same 409.
                    refusals += 1;
                    break;
                }
                assert_eq!(status, StatusCode::OK);
                let (status, placed) =
                    call(json_req(format!("/api/v1/carts/{id}/checkout"), body("4242424242424242"))).await;
                let levels = store.stock_levels(&variant).await.expect("levels");
                assert!(levels.iter().all(|l| 0 <= l.reserved && l.reserved <= l.on_hand), "{levels:?}");
                match status {
                    StatusCode::CREATED => orders.push(placed["order"]["number"].as_str().expect("number").to_string()),
                    StatusCode::CONFLICT => {
                        assert_eq!(placed["title"], "Sold out", "{placed}");
                        refusals += 1;
                        break;
                    }
                    other => panic!("unexpected {other}: {placed}"),
                }
            }
            (orders, refusals)
        });
    }
    let (mut orders, mut refusals) = (Vec::new(), 0);
    while let Some(done) = buyers.join_next().await {
        let (o, r) = done.expect("buyer");
        orders.extend(o);
        refusals += r;
    }
    orders.sort();
    orders.dedup();
    assert_eq!(orders.len(), 100, "exactly 100 orders");
    assert_eq!(refusals, 64, "every buyer was finally refused");
    assert_eq!(stock(&app, KR_TEE).await, (0, 0), "100 units sold, none held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_buyers_race_for_a_hundred_units_sqlite() {
    sixty_four_buyers_race_for_a_hundred_units(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_buyers_race_for_a_hundred_units_postgres() {
    sixty_four_buyers_race_for_a_hundred_units(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_fulfils_its_consignment_and_the_fan_returns_part_of_it_sqlite() {
    the_shop_fulfils_its_consignment_and_the_fan_returns_part_of_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_fulfils_its_consignment_and_the_fan_returns_part_of_it_postgres() {
    the_shop_fulfils_its_consignment_and_the_fan_returns_part_of_it(Backend::Postgres).await;
}

async fn the_shop_fulfils_its_consignment_and_the_fan_returns_part_of_it(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 2), (GB_PIN, 1)]).await;
    let placed = checkout(&mut app, &id, body("4242424242424242"), None).await.json();
    let number = placed["order"]["number"].as_str().expect("number").to_string();
    let token = placed["token"].as_str().expect("token").to_string();
    let hanok = placed["order"]["consignments"][0].clone();
    let thames = placed["order"]["consignments"][1].clone();
    assert_eq!(hanok["shop"]["slug"], "hanok-threads");
    let cid = hanok["id"].as_str().expect("id").to_string();
    let line = hanok["lines"][0]["id"].as_str().expect("line").to_string();

    let merchant = bearer(&mut app, "merchant@podium.example", "merchant-demo-2026").await;
    let auth = [("authorization", merchant.as_str())];
    // The shop sees its consignment and not the other shop's.
    let list = app.get_with("/api/v1/shops/hanok-threads/consignments", &auth).await.json();
    let ids: Vec<&str> = list["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&cid.as_str()));
    assert!(!ids.contains(&thames["id"].as_str().expect("id")));
    assert_eq!(app.get_with("/api/v1/shops/thames-pin/consignments", &auth).await.status, StatusCode::FORBIDDEN);
    let other = format!("/api/v1/consignments/{}/accept", thames["id"].as_str().expect("id"));
    assert_eq!(app.post_json(&other, json!({}), &auth).await.status, StatusCode::NOT_FOUND, "not its consignment");
    // Shipping before accepting is refused; accept, then ship with a code on each unit.
    let ship_url = format!("/api/v1/consignments/{cid}/ship");
    let codes = issue_codes(&app, KR_TEE, 3).await;
    let ship = json!({"carrier": "CJ Logistics", "tracking": "6896-2231-0042", "codes": [{"line": line, "codes": [codes[0], codes[1]]}]});
    assert_eq!(app.post_json(&ship_url, ship.clone(), &auth).await.status, StatusCode::CONFLICT);
    assert_eq!(
        app.post_json(&format!("/api/v1/consignments/{cid}/accept"), json!({}), &auth).await.status,
        StatusCode::OK
    );
    // One code short, a code of another product, or one code twice: refused, nothing shipped.
    for bad in [
        json!({"carrier": "CJ", "tracking": "1", "codes": [{"line": line, "codes": [codes[0]]}]}),
        json!({"carrier": "CJ", "tracking": "1", "codes": [{"line": line, "codes": [codes[0], "ABCDEFGHJKMNP"]}]}),
        json!({"carrier": "CJ", "tracking": "1", "codes": [{"line": line, "codes": [codes[0], codes[0]]}]}),
        json!({"carrier": "", "tracking": "1", "codes": [{"line": line, "codes": [codes[0], codes[1]]}]}),
    ] {
        let r = app.post_json(&ship_url, bad, &auth).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = app.post_json(&ship_url, ship, &auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.json()["status"].as_str(), r.json()["tracking"].as_str()), (Some("shipped"), Some("6896-2231-0042")));
    // The fan's order shows tracking and a verify link per unit; the link verifies.
    let order = app.get(&format!("/api/v1/orders/{number}?token={token}")).await.json();
    let unit_codes = order["consignments"][0]["lines"][0]["codes"].as_array().expect("codes").clone();
    assert_eq!(unit_codes.len(), 2);
    let verify = unit_codes[0]["verify_url"].as_str().expect("url").to_string();
    assert_eq!(verify, format!("/verify/{}", codes[0]));
    let v = app.get(&format!("/api/v1/authenticity/{}", codes[0])).await.json();
    assert_eq!(v["status"], "genuine");
    // Returns only once delivered; then within the window.
    let ret = json!({"consignment": cid, "lines": [{"line": line, "quantity": 1}], "reason": "Too small"});
    let returns_url = format!("/api/v1/orders/{number}/returns?token={token}");
    assert_eq!(app.post_json(&returns_url, ret.clone(), &[]).await.status, StatusCode::CONFLICT);
    assert_eq!(
        app.post_json(&format!("/api/v1/consignments/{cid}/deliver"), json!({}), &auth).await.status,
        StatusCode::OK
    );
    let too_many = json!({"consignment": cid, "lines": [{"line": line, "quantity": 3}]});
    assert_eq!(app.post_json(&returns_url, too_many, &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_json(&returns_url, ret, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid = r.json()["consignments"][0]["returns"][0]["id"].as_str().expect("return").to_string();
    // The shop accepts with restocking: one unit's share (goods, VAT, duty) goes back to the card.
    let stock_before = stock(&app, KR_TEE).await;
    let r = app
        .post_json(&format!("/api/v1/consignments/{cid}/returns/{rid}/accept"), json!({"restock": true}), &auth)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = r.json();
    let l = &c["lines"][0];
    let share = |part: &str| l[part]["minor"].as_i64().expect("minor");
    let line_total = share("net") + share("vat") + share("duty");
    let expected = podium_domain::order::unit_share(line_total, 2, 1);
    assert_eq!(c["refunded"]["minor"].as_i64(), Some(expected));
    assert_eq!(c["status"], "delivered", "half of it came back: not refunded whole");
    assert_eq!(stock(&app, KR_TEE).await.0, stock_before.0 + 1, "restocked");
    let order = app.get(&format!("/api/v1/orders/{number}?token={token}")).await.json();
    assert_eq!(order["status"], "partially_refunded");
    assert_eq!(order["refunded"]["minor"].as_i64(), Some(expected));
    let payment = app.state.sandbox.payments_for(order["id"].as_str().expect("id")).await.expect("payments").remove(0);
    assert_eq!(payment.refunded, expected, "the provider gave back the same");
    // Accepting again refunds nothing more: it was decided (409).
    let again = app
        .post_json(&format!("/api/v1/consignments/{cid}/returns/{rid}/accept"), json!({"restock": true}), &auth)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // The rest comes back too: the consignment is refunded whole, shipping included.
    let r = app
        .post_json(
            &returns_url,
            json!({"consignment": cid, "lines": [{"line": line, "quantity": 1}], "reason": "Also too small"}),
            &[],
        )
        .await;
    let rid = r.json()["consignments"][0]["returns"][1]["id"].as_str().expect("return").to_string();
    let c = app.post_json(&format!("/api/v1/consignments/{cid}/returns/{rid}/accept"), json!({}), &auth).await.json();
    assert_eq!(c["status"], "refunded");
    assert_eq!(c["refunded"], c["total"], "goods, VAT, duty and shipping all back");
    let payment = app.state.sandbox.payments_for(order["id"].as_str().expect("id")).await.expect("payments").remove(0);
    assert_eq!(Some(payment.refunded), c["total"]["minor"].as_i64());
    // The ledger: the capture was split and both refunds reversed it, to the cent.
    let verified = podium_app::ledger::verify(app.db.store.as_ref()).await.expect("verify").expect("balances");
    assert!(verified.consignments >= 2);
    let transfers = app.db.store.ledger_transfers_for(&cid).await.expect("transfers");
    let captured: i64 = transfers.iter().filter(|t| t.code == "capture").map(|t| t.amount).sum();
    assert_eq!(Some(captured), c["total"]["minor"].as_i64(), "the capture credits add up to the parcel");
    let accounts = app.db.store.ledger_accounts().await.expect("accounts");
    let pending = accounts.iter().find(|a| a.id.starts_with("merchant_pending:")).expect("pending");
    assert!(pending.credits > 0);
    // Shipped and refunded e-mails were queued besides the confirmation.
    let mails = app.db.store.claim_mails(app.state.clock.now(), time::Duration::seconds(60), 10).await.expect("mails");
    let kinds: Vec<&str> = mails.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["order_confirmation", "shipped", "refunded", "refunded"]);
}

/// A one-message SMTP server: answers the dialogue and hands back what DATA carried.
async fn smtp_server() -> (String, tokio::task::JoinHandle<(String, String)>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let (r, mut w) = socket.into_split();
        let mut lines = BufReader::new(r).lines();
        w.write_all(b"220 test ESMTP\r\n").await.expect("greet");
        let (mut rcpt, mut data, mut in_data) = (String::new(), String::new(), false);
        while let Some(line) = lines.next_line().await.expect("read") {
            if in_data {
                if line == "." {
                    in_data = false;
                    w.write_all(b"250 queued\r\n").await.expect("write");
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let reply: &[u8] = if line.starts_with("EHLO") {
                b"250-test\r\n250 8BITMIME\r\n"
            } else if let Some(to) = line.strip_prefix("RCPT TO:") {
                rcpt = to.to_string();
                b"250 ok\r\n"
            } else if line == "DATA" {
                in_data = true;
                b"354 go on\r\n"
            } else if line == "QUIT" {
                w.write_all(b"221 bye\r\n").await.expect("write");
                break;
            } else {
                b"250 ok\r\n"
            };
            w.write_all(reply).await.expect("write");
        }
        (rcpt, data)
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mails_go_through_smtp_when_configured() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = cart(&mut app, "JP", &[(GB_PIN, 1)]).await;
    let mut b = body("4242424242424242");
    b["shipping_address"] = json!({"name": "Sato Yui", "line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005", "country": "JP", "region": "東京都"});
    b["lang"] = json!("ja");
    let r = checkout(&mut app, &id, b, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (addr, server) = smtp_server().await;
    let transport = podium_outbound::SmtpMailer::new(&podium_outbound::SmtpOptions {
        addr,
        from: "orders@podium.example".into(),
        starttls: podium_outbound::StartTls::None,
        credentials: None,
    })
    .expect("relay options");
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "https://shop.example").await, 1);
    let (rcpt, data) = server.await.expect("server");
    assert_eq!(rcpt, "<minji@example.com>");
    assert!(data.contains("Subject: =?UTF-8?B?"), "a Japanese subject, encoded: {data}");
    assert!(data.contains("お支払いが完了しました"), "a Japanese body: {data}");
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "https://shop.example").await, 0, "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_splits_each_capture_and_releases_the_shops_money_after_the_window_sqlite() {
    the_ledger_splits_each_capture_and_releases_the_shops_money_after_the_window(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_splits_each_capture_and_releases_the_shops_money_after_the_window_postgres() {
    the_ledger_splits_each_capture_and_releases_the_shops_money_after_the_window(Backend::Postgres).await;
}

async fn the_ledger_splits_each_capture_and_releases_the_shops_money_after_the_window(backend: Backend) {
    use podium_app::ledger;
    let mut app = TestApp::new(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 1), (GB_PIN, 2)]).await;
    let order = checkout(&mut app, &id, body("4242424242424242"), None).await.json()["order"].clone();
    let verified = ledger::verify(app.db.store.as_ref()).await.expect("verify").expect("balances");
    assert_eq!(verified.consignments, 2);
    let accounts = app.db.store.ledger_accounts().await.expect("accounts");
    let balance = |prefix: &str| -> i64 {
        accounts.iter().filter(|a| a.id.starts_with(prefix)).map(|a| a.credits - a.debits).sum()
    };
    let total = order["total"]["minor"].as_i64().expect("total");
    let clearing: i64 = accounts.iter().filter(|a| a.kind == "provider_clearing").map(|a| a.debits - a.credits).sum();
    assert_eq!(clearing, total, "the provider holds what was paid");
    let vat: i64 =
        order["consignments"].as_array().expect("c").iter().map(|c| c["vat"]["minor"].as_i64().expect("vat")).sum();
    assert_eq!(balance("tax_payable:KR:"), vat, "Korean VAT to remit");
    assert!(balance("royalty_payable:") > 0, "royalties owed to the licensors");
    assert!(balance("commission:platform:") > 0);
    // Delivered, and the window passes: the sweep releases the shop's money.
    let cid = deliver_the_korean_parcel(&mut app, &order).await;
    let now = app.state.clock.now();
    assert_eq!(ledger::complete_due(app.db.store.as_ref(), now).await.expect("sweep"), 0, "the window is open");
    let later = now + time::Duration::days(15);
    assert_eq!(ledger::complete_due(app.db.store.as_ref(), later).await.expect("sweep"), 1);
    assert_eq!(ledger::complete_due(app.db.store.as_ref(), later).await.expect("sweep"), 0, "once");
    let accounts = app.db.store.ledger_accounts().await.expect("accounts");
    let shop = accounts.iter().find(|a| a.id.starts_with("merchant_available:")).expect("available");
    assert!(shop.credits > 0, "the shop's money is available");
    let pending =
        accounts.iter().find(|a| a.id == shop.id.replace("merchant_available", "merchant_pending")).expect("pending");
    assert_eq!(pending.credits - pending.debits, 0, "nothing left pending for that shop");
    assert!(ledger::verify(app.db.store.as_ref()).await.expect("verify").is_ok());
    let o = app.db.store.order_of_consignment(&cid).await.expect("read").expect("order");
    assert_eq!(o.consignments.iter().find(|c| c.id == cid).map(|c| c.status.as_str()), Some("completed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_royalty_statement_matches_the_orders_sold_under_the_agreement() {
    use podium_app::licensing::LicensingStore;
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = cart(&mut app, "KR", &[("hanok-threads:TEE-KIL-L", 2)]).await;
    let placed = checkout(&mut app, &id, body("4242424242424242"), None).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order = app
        .db
        .store
        .order_by_number(placed.json()["order"]["number"].as_str().expect("n"))
        .await
        .expect("read")
        .expect("o");
    let line = order.consignments[0].lines[0].clone();
    let agreement = app.db.store.agreement(&line.agreement_id).await.expect("read").expect("the licence it sold under");
    assert_eq!(agreement.licensor.slug, "team-kenya");
    // By hand: the line's royalty in won, converted to the agreement's currency at the rates
    // locked on the order.
    let royalty_krw = podium_domain::ledger::rate_of(line.net, line.royalty_bp).expect("rate");
    let rates = podium_domain::RateTable::from_snapshot(&order.fx_snapshot, order.created_at.date());
    let krw = podium_domain::Currency::parse("KRW").expect("KRW");
    let convert =
        |m: i64| rates.convert(podium_domain::Money::new(m, krw), agreement.royalty_currency).expect("rate").minor;
    let quarter = podium_domain::royalty::Quarter::of(order.created_at.date()).to_string();
    let url = format!("/console/statements/{}?quarter={quarter}", agreement.terms.id);
    // The licensor and the licensee read the same figures; a fan reads nothing.
    app.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let page = app.get(&format!("{url}&lang=en&country=US")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let expected = podium_web::money_format::format(
        podium_domain::Lang::En,
        podium_domain::Country::parse("US").ok(),
        podium_domain::Money::new(convert(royalty_krw), agreement.royalty_currency),
    );
    assert!(page.body.contains(&expected), "royalty {expected} on the statement");
    let csv = app.get(&format!("{url}&format=csv")).await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let total = csv.body.lines().find(|l| l.contains(",total,")).expect("total row").to_string();
    assert!(
        total.ends_with(&format!(
            ",{},{},{}",
            convert(line.net),
            convert(royalty_krw),
            agreement.royalty_currency.code()
        )),
        "{total}"
    );
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let theirs = merchant.get(&format!("{url}&format=csv")).await;
    assert_eq!(theirs.body, csv.body, "the licensee reads the same statement");
    let mut fan = app.clone_app();
    fan.sign_in("fan@podium.example", "fan-demo-2026").await;
    assert_eq!(fan.get(&url).await.status, StatusCode::NOT_FOUND);
    // A quarter without sales still has its statement.
    let empty = app.get(&format!("/console/statements/{}?quarter=2026-Q1&lang=en", agreement.terms.id)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No sales under this agreement this quarter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_pay_released_money_and_royalties_and_a_failed_one_is_reversed_then_paid_sqlite() {
    payouts_pay_released_money_and_royalties_and_a_failed_one_is_reversed_then_paid(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_pay_released_money_and_royalties_and_a_failed_one_is_reversed_then_paid_postgres() {
    payouts_pay_released_money_and_royalties_and_a_failed_one_is_reversed_then_paid(Backend::Postgres).await;
}

async fn payouts_pay_released_money_and_royalties_and_a_failed_one_is_reversed_then_paid(backend: Backend) {
    use podium_app::payouts::{self, PayoutStore, SandboxPayouts};
    let mut app = TestApp::new(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 1), (GB_PIN, 2)]).await;
    let order = checkout(&mut app, &id, body("4242424242424242"), None).await.json()["order"].clone();
    deliver_the_korean_parcel(&mut app, &order).await;
    let later = app.state.clock.now() + time::Duration::days(15);
    podium_app::ledger::complete_due(app.db.store.as_ref(), later).await.expect("release");
    let store = app.db.dyn_store();
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let balance = |accounts: &[podium_app::ledger::AccountRow], prefix: &str| -> i64 {
        accounts.iter().filter(|a| a.id.starts_with(prefix)).map(|a| a.credits - a.debits).sum()
    };
    let before = app.db.store.ledger_accounts().await.expect("accounts");
    let available = balance(&before, "merchant_available:");
    assert!(available > 0);
    // The bank refuses Hanok Threads: its payout is reversed, nothing lost; royalties are paid.
    let failing = SandboxPayouts::new(store.clone(), vec!["hanok-threads".into()]);
    let first = payouts::run(store.as_ref(), &failing, &rates, "test", later).await.expect("run");
    assert_eq!(first.failed, 1, "{first:?}");
    assert!(first.paid >= 1, "the licensors' royalties were paid: {first:?}");
    let after = app.db.store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&after, "merchant_available:"), available, "the shop's money is back, to be paid next time");
    assert_eq!(balance(&after, "royalty_payable:"), 0, "royalties paid out");
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // The next run pays it, in the shop's currency; a run after that has nothing to pay.
    let working = SandboxPayouts::new(store.clone(), Vec::new());
    let second = payouts::run(store.as_ref(), &working, &rates, "test", later).await.expect("run");
    assert_eq!((second.paid, second.failed), (1, 0), "{second:?}");
    let paid = &second.payouts[0];
    assert_eq!(
        (paid.payee_name.as_str(), paid.currency.as_str(), paid.status.as_str()),
        ("Hanok Threads", "KRW", "paid")
    );
    assert_eq!(paid.amount, available, "KRW to a KRW shop: no conversion");
    let after = app.db.store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&after, "merchant_available:"), 0);
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    let third = payouts::run(store.as_ref(), &working, &rates, "test", later).await.expect("run");
    assert_eq!((third.paid, third.failed), (0, 0));
    let all = app.db.store.payouts(None, 50).await.expect("payouts");
    assert_eq!(all.iter().filter(|p| p.status == "failed").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_runs_payouts_from_the_console_and_payees_read_their_statements() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let placed = checkout(&mut app, &id, body("4242424242424242"), None).await;
    assert_eq!(placed.status, StatusCode::CREATED);
    // A merchant may not run payouts.
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let csrf = merchant.get("/").await.csrf();
    assert_eq!(
        merchant.post_form("/console/operator/payouts", &[("csrf_token", &csrf)]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut operator = app.clone_app();
    operator.sign_in("operator@podium.example", "operator-demo-2026").await;
    let page = operator.get("/console/operator/payouts/preview?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    let mut fields = page.form_fields("/console/operator/payouts");
    fields.push(("confirm".into(), "yes".into()));
    let r = operator
        .post_form(
            "/console/operator/payouts",
            &fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = operator.get(&format!("{}&lang=en", r.header("location"))).await;
    assert!(after.body.contains("Payout run done"), "{}", after.body);
    // Royalties are owed at capture: the licensor is paid; the shop's money is still pending;
    // Korea's VAT is remitted.
    assert!(after.body.contains("Tax and customs authorities · South Korea"), "{}", after.body);
    let links: Vec<String> = after
        .body
        .split("href=\"/console/payouts/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(|id| format!("/console/payouts/{id}")))
        .collect();
    let mut link = String::new();
    for l in &links {
        if operator.get(&format!("{l}?lang=en")).await.body.contains("Royalties") {
            link = l.clone();
        }
    }
    assert!(!link.is_empty(), "a royalty payout among {links:?}");
    let csv = operator.get(&format!("{link}?format=csv")).await;
    assert!(csv.body.starts_with("payout,payee,status,"));
    assert!(csv.body.contains(",paid,royalty_payable,KRW,"), "{}", csv.body);
    assert_eq!(merchant.get(&link).await.status, StatusCode::NOT_FOUND, "not the shop's payout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_dashboards_show_each_role_its_own_figures() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = cart(&mut app, "KR", &[("hanok-threads:TEE-KIL-L", 1), (GB_PIN, 1)]).await;
    assert_eq!(checkout(&mut app, &id, body("4242424242424242"), None).await.status, StatusCode::CREATED);
    let mut licensor = app.clone_app();
    licensor.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let page = licensor.get("/console/licensing/team-kenya/royalties?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("By licensee") && page.body.contains("Hanok Threads"));
    assert!(page.body.contains("KES"), "in the agreement's currency");
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let money = merchant.get("/console/shops/hanok-threads/money?lang=en").await;
    assert_eq!(money.status, StatusCode::OK);
    assert!(money.body.contains("Pending in KRW (parcels not yet past their return window)"));
    assert_eq!(merchant.get("/console/shops/thames-pin/money").await.status, StatusCode::FORBIDDEN);
    assert_eq!(merchant.get("/console/operator/money").await.status, StatusCode::FORBIDDEN);
    let mut operator = app.clone_app();
    operator.sign_in("operator@podium.example", "operator-demo-2026").await;
    let ops = operator.get("/console/operator/money?lang=en").await;
    assert_eq!(ops.status, StatusCode::OK);
    assert!(ops.body.contains("South Korea · KRW"), "Korean VAT to remit: {}", ops.body);
    assert_eq!(app.get_anonymous("/console/operator/money").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minimum_guarantee_shortfall_is_charged_once_when_the_contract_year_ends() {
    let app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let now = app.state.clock.now();
    // Team Kenya's agreement with Hanok Threads: an annual minimum of 60,000 KES, no sales.
    let charged =
        podium_app::royalties::charge_minimums(store.as_ref(), now + time::Duration::days(1)).await.expect("charge");
    assert_eq!(charged, 1);
    assert_eq!(
        podium_app::royalties::charge_minimums(store.as_ref(), now + time::Duration::days(1)).await.expect("again"),
        0,
        "once"
    );
    let hanok = store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    let accounts = store.ledger_accounts().await.expect("accounts");
    let owed = accounts
        .iter()
        .find(|a| a.id == format!("merchant_available:{}:KES", hanok.id))
        .expect("the shop's KES balance");
    assert_eq!(owed.credits - owed.debits, -6_000_000, "the shortfall is drawn from the licensee's balance");
    let kenya = store.org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let agreements = store.agreements_of(&kenya.id).await.expect("agreements");
    let a = agreements.iter().find(|a| a.licensee.id == hanok.id).expect("the agreement");
    let transfers = store.ledger_transfers_for(&a.terms.id).await.expect("transfers");
    assert_eq!((transfers.len(), transfers[0].code.as_str(), transfers[0].amount), (1, "minimum_guarantee", 6_000_000));
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
}

/// Hanok Threads accepts, ships (with a code on its one tee) and delivers the order's first
/// consignment; returns the consignment's id.
async fn deliver_the_korean_parcel(app: &mut TestApp, order: &Value) -> String {
    deliver_first_parcel(app, order, KR_TEE, 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advance_is_recouped_before_royalties_are_paid_and_taxes_are_remitted_sqlite() {
    an_advance_is_recouped_before_royalties_are_paid_and_taxes_are_remitted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advance_is_recouped_before_royalties_are_paid_and_taxes_are_remitted_postgres() {
    an_advance_is_recouped_before_royalties_are_paid_and_taxes_are_remitted(Backend::Postgres).await;
}

async fn an_advance_is_recouped_before_royalties_are_paid_and_taxes_are_remitted(backend: Backend) {
    use podium_app::payouts::{self, SandboxPayouts};
    let mut app = TestApp::new(backend).await;
    let store = app.db.dyn_store();
    let now = app.state.clock.now();
    let kenya = store.org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let hanok = store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    // Team Kenya ↔ Hanok Threads was signed with a 5,000 KES advance: posted once.
    assert_eq!(podium_app::royalties::post_advances(store.as_ref(), now).await.expect("advances"), 1);
    assert_eq!(podium_app::royalties::post_advances(store.as_ref(), now).await.expect("again"), 0, "once");
    let balance = |accounts: &[podium_app::ledger::AccountRow], id: String| -> i64 {
        accounts.iter().find(|a| a.id == id).map(|a| a.credits - a.debits).unwrap_or(0)
    };
    // A Korean fan buys two Kenya Ice Lions tees under that agreement: 8 % of 102,000 KRW.
    let id = cart(&mut app, "KR", &[("hanok-threads:TEE-KIL-L", 2)]).await;
    let placed = checkout(&mut app, &id, body("4242424242424242"), None).await.json();
    let order = placed["order"].clone();
    let vat = order["consignments"][0]["vat"]["minor"].as_i64().expect("vat")
        + order["consignments"][0]["duty"]["minor"].as_i64().expect("duty");
    let cid = deliver_first_parcel(&mut app, &order, "hanok-threads:TEE-KIL-L", 2).await;
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let working = SandboxPayouts::new(store.clone(), Vec::new());
    let run = payouts::run(store.as_ref(), &working, &rates, "test", now).await.expect("run");
    // The royalty went back to the licensee against the advance; the licensor was paid the
    // advance alone; Korea's VAT and duty were remitted in won.
    let accounts = store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&accounts, format!("royalty_payable:{}:KRW", kenya.id)), 0);
    assert_eq!(balance(&accounts, format!("merchant_available:{}:KRW", hanok.id)), 8_160, "recouped");
    assert_eq!(balance(&accounts, format!("merchant_available:{}:KES", hanok.id)), -500_000, "the advance, owed");
    let to_kenya = run.payouts.iter().find(|p| p.payee_id == kenya.id).expect("Team Kenya paid");
    assert_eq!((to_kenya.amount, to_kenya.currency.as_str()), (500_000, "KES"), "{to_kenya:?}");
    let to_korea = run.payouts.iter().find(|p| p.payee_id == "KR").expect("Korea remitted");
    assert_eq!((to_korea.amount, to_korea.currency.as_str(), to_korea.status.as_str()), (vat, "KRW", "paid"));
    assert!(run.payouts.iter().all(|p| p.payee_id != hanok.id), "the shop owes more than it has: nothing paid");
    assert_eq!(balance(&accounts, "tax_payable:KR:KRW".into()), 0);
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // One tee comes back after all that was paid: its VAT is set off against Korea's next
    // remittance, and half the recoupment goes back to the licensor's side.
    let o = store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    let line = o.consignments[0].lines[0].id.clone();
    let rid = podium_app::fulfilment::request_return(store.as_ref(), &o, &cid, &[(line, 1)], "Too big", now)
        .await
        .expect("return");
    podium_app::fulfilment::accept_return(store.as_ref(), app.state.sandbox.as_ref(), &hanok.id, &cid, &rid, true, now)
        .await
        .expect("refund");
    let accounts = store.ledger_accounts().await.expect("accounts");
    assert!(balance(&accounts, "tax_payable:KR:KRW".into()) < 0, "refunded after remittance");
    assert_eq!(balance(&accounts, format!("royalty_payable:{}:KRW", kenya.id)), -4_080);
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    let again = payouts::run(store.as_ref(), &working, &rates, "test", now).await.expect("run");
    let accounts = store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&accounts, format!("royalty_payable:{}:KRW", kenya.id)), 0, "only the kept tee recouped");
    assert_eq!(balance(&accounts, format!("merchant_available:{}:KRW", hanok.id)), 4_080);
    assert!(again.payouts.iter().all(|p| p.payee_id != "KR"), "Korea is owed nothing until more VAT comes in");
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
}
