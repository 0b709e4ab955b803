//! Issue 18's money items through the HTTP API and pages, on SQLite and PostgreSQL: one cart is
//! one order whatever the number of checkouts and nodes, unpaid orders cannot hoard stock,
//! amounts are bounded where they are entered and stored ones never break a page or a payout
//! run, a fan's cart stays with the fan, and a return is accepted once.

mod common;

use axum::http::StatusCode;
use common::shop::*;
use common::TestApp;
use podium_app::catalogue::CatalogueStore;
use podium_app::orders::OrderStore;
use podium_app::payments::PaymentProvider;
use podium_app::Store;
use podium_store::testing::Backend;
use podium_web::WebConfig;
use serde_json::{json, Value};

const SECOND_STEP_CARD: &str = "4000002500003155";

async fn ledger_balances(app: &TestApp) {
    let report = podium_app::ledger::verify(app.db.store.as_ref()).await.expect("verify");
    assert!(report.is_ok(), "the ledger balances: {report:?}");
}

/// Issue 18 (1): `n` checkouts of one cart at once, each with its own idempotency key, spread
/// over two nodes: one order, one authorisation at the provider, one unit sold; every other
/// checkout hears 409 with the order's number.
async fn concurrent_checkouts_of_one_cart_make_one_order(backend: Backend, n: usize) {
    let mut app = TestApp::new(backend).await;
    let other_node = app.with_config(WebConfig::default());
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let before = stock(&app, KR_TEE).await;
    let payments_before = app.db.count("SELECT COUNT(*) FROM sandbox_payments").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let router = if i % 2 == 0 { app.router.clone() } else { other_node.router.clone() };
        let id = id.clone();
        tasks.spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post(format!("/api/v1/carts/{id}/checkout"))
                .header("content-type", "application/json")
                .header("idempotency-key", format!("attempt-{i}"))
                .body(axum::body::Body::from(body("4242424242424242").to_string()))
                .expect("request");
            let res = router.oneshot(req).await.expect("answer");
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body()).await.expect("body").to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).expect("json"))
        });
    }
    let (mut placed, mut refused) = (Vec::new(), Vec::new());
    while let Some(done) = tasks.join_next().await {
        let (status, json) = done.expect("task");
        match status {
            StatusCode::CREATED => placed.push(json["order"]["number"].as_str().expect("number").to_string()),
            StatusCode::CONFLICT => {
                assert_eq!(json["type"], "urn:podium:problem:cart-checked-out", "{json}");
                refused.push(json["detail"].as_str().unwrap_or_default().to_string());
            }
            other => panic!("unexpected {other}: {json}"),
        }
    }
    assert_eq!(placed.len(), 1, "exactly one order: {placed:?}");
    assert_eq!(refused.len(), n - 1);
    let number = &placed[0];
    let order = app.db.store.order_by_number(number).await.expect("read").expect("order");
    assert_eq!(app.state.sandbox.payments_for(&order.id).await.expect("payments").len(), 1, "charged once");
    assert_eq!(
        app.db.count("SELECT COUNT(*) FROM sandbox_payments").await - payments_before,
        1,
        "the provider's books hold exactly one authorisation"
    );
    assert_eq!(app.db.count(&format!("SELECT COUNT(*) FROM orders WHERE cart_id = '{id}'")).await, 1);
    assert_eq!(stock(&app, KR_TEE).await, (before.0 - 1, 0), "one unit sold, none held");
    // The guest holding the cart may see which order it became. A refusal made while the
    // winning checkout was still placing its order cannot name it (on a fast machine all nine
    // can be), so each refusal either names it or says to read the cart again; a checkout
    // after the order exists always names it.
    assert!(refused.iter().all(|d| d.contains(number.as_str()) || d.contains("read it again")), "{refused:?}");
    let again = checkout(&mut app, &id, body("4242424242424242"), Some("late")).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .contains(&format!("was already ordered as order {number}")));
    ledger_balances(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_checkouts_of_one_cart_make_one_order_sqlite() {
    concurrent_checkouts_of_one_cart_make_one_order(Backend::Sqlite, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_checkouts_of_one_cart_make_one_order_postgres() {
    concurrent_checkouts_of_one_cart_make_one_order(Backend::Postgres, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_checkouts_of_one_cart_make_one_order_sqlite() {
    concurrent_checkouts_of_one_cart_make_one_order(Backend::Sqlite, 64).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_checkouts_of_one_cart_make_one_order_postgres() {
    concurrent_checkouts_of_one_cart_make_one_order(Backend::Postgres, 64).await;
}

/// Issue 18 (1), the page: a cart whose order waits for the card's second step cannot be
/// placed again with another review page's key; abandoning the order frees the cart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_page_places_one_order_per_cart() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    let before = stock(&app, GB_PIN).await;
    let csrf = app.get("/cart?country=KR").await.csrf();
    let sku = GB_PIN;
    let r = app.post_form("/cart/add", &[("csrf_token", &csrf), ("sku", sku), ("quantity", "1")]).await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let r = app
        .post_form(
            "/checkout/address",
            &[
                ("csrf_token", &csrf),
                ("email", "fan@podium.example"),
                ("name", "Mina Park"),
                ("line1", "12 Sejong-daero"),
                ("city", "Seoul"),
                ("postal_code", "04524"),
                ("phone", "010-1234-5678"),
                ("customs_code", "P123456789012"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let pm = |app: &TestApp| {
        let app = app.state.clone();
        async move {
            let card = podium_domain::payment::CardNumber::parse(SECOND_STEP_CARD).expect("card");
            app.sandbox.tokenize(&card).await.expect("method").id
        }
    };
    let first_pm = pm(&app).await;
    let r = app
        .post_form("/checkout/place", &[("csrf_token", &csrf), ("pm", &first_pm), ("idempotency_key", "review-1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.header("location").starts_with("/sandbox/payments/"), "to the second step");
    assert_eq!(stock(&app, GB_PIN).await, (before.0, 1), "held while the fan confirms");
    let order = app.db.store.orders_of_user(&fan_id(&app).await, 1).await.expect("orders").remove(0);
    // Another review page (another key) for the same cart: refused, naming the order.
    let second_pm = pm(&app).await;
    let r = app
        .post_form("/checkout/place", &[("csrf_token", &csrf), ("pm", &second_pm), ("idempotency_key", "review-2")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&order.number), "the page names the order being paid");
    // The order page offers to abandon it; doing so puts the pin back on sale at once.
    let page = app.get(&format!("/orders/{}", order.number)).await;
    assert!(page.body.contains("data-testid=\"abandon\""), "{}", page.body);
    let r = app.post_form(&format!("/orders/{}/abandon", order.number), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.header("location")).await;
    assert!(page.body.contains("The order was abandoned"), "{}", page.body);
    assert_eq!(stock(&app, GB_PIN).await, (before.0, 0), "released on abandon");
    let payments = app.state.sandbox.payments_for(&order.id).await.expect("payments");
    assert!(payments.iter().all(|p| p.status == podium_app::payments::PaymentStatus::Voided), "{payments:?}");
    // The cart (still holding the pin) can be checked out again.
    let third_pm = pm(&app).await;
    let r = app
        .post_form("/checkout/place", &[("csrf_token", &csrf), ("pm", &third_pm), ("idempotency_key", "review-3")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    ledger_balances(&app).await;
}

async fn product_url(app: &TestApp, sku: &str) -> String {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    format!("/products/{}?variant={code}", p.slug)
}

async fn fan_id(app: &TestApp) -> String {
    app.db.store.user_by_email("fan@podium.example").await.expect("read").expect("fan").id
}

/// Issue 18 (2): unpaid orders waiting for the second step are limited per client, per
/// account and per card; the product page says units are held; the hold is short and
/// configurable, and what runs out goes back on sale.
async fn unpaid_orders_cannot_hoard_stock(backend: Backend) {
    let app = TestApp::new(backend).await;
    // Every node of one marketplace shares its key (client and card keys are derived from it).
    let node_config =
        |holds| WebConfig { holds, shared_secret: app.state.config.shared_secret.clone(), ..WebConfig::default() };
    let hold = |per_client, per_account, per_card| podium_app::checkout::HoldPolicy {
        hold: time::Duration::minutes(2),
        per_client,
        per_account,
        per_card,
        attempts: podium_app::payment_limits::AttemptLimits::default(),
        ..podium_app::checkout::HoldPolicy::default()
    };
    // Per client: two unpaid orders from one address, the third refused (and cancelled).
    let mut node = app.with_config(node_config(hold(2, 10, 10)));
    let before = stock(&node, GB_PIN).await;
    let mut pending = Vec::new();
    for _ in 0..2 {
        let id = cart(&mut node, "KR", &[(GB_PIN, 1)]).await;
        let r = checkout(&mut node, &id, body(SECOND_STEP_CARD), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["order"]["status"], "pending_payment");
        pending.push(r.json()["order"].clone());
    }
    let id = cart(&mut node, "KR", &[(GB_PIN, 1)]).await;
    let r = checkout(&mut node, &id, body(SECOND_STEP_CARD), None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.json()["type"], "urn:podium:problem:too-many-unpaid-orders");
    assert_eq!(stock(&node, GB_PIN).await, (before.0, 2), "only the two allowed orders hold stock");
    // The product page tells fans the held units may come back.
    let url = product_url(&node, GB_PIN).await;
    let page = node.get_anonymous(&format!("{url}&country=KR&lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2 held in other fans&#39; checkouts, may come back"), "{}", page.body);
    // Per card, whatever the client: the same card may keep one.
    let mut by_card = app.with_config(node_config(hold(10, 10, 1)));
    let id = cart(&mut by_card, "KR", &[(KR_TEE, 1)]).await;
    let r = checkout(&mut by_card, &id, body(SECOND_STEP_CARD), None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the card already holds two: {}", r.body);
    // Per account: a signed-in fan may keep one.
    let mut fan = app.with_config(node_config(hold(10, 1, 10)));
    let token = bearer(&mut fan, "fan@podium.example", "fan-demo-2026").await;
    let auth = [("authorization", token.as_str())];
    let mut placed = Vec::new();
    for _ in 0..2 {
        let r = fan.post_json("/api/v1/carts", json!({"country": "KR"}), &[]).await;
        let id = r.json()["id"].as_str().expect("id").to_string();
        fan.post_json(&format!("/api/v1/carts/{id}/lines"), json!({"sku": KR_TEE, "quantity": 1}), &[]).await;
        let mut b = body(SECOND_STEP_CARD);
        b["email"] = json!("fan@podium.example");
        placed.push(fan.post_json(&format!("/api/v1/carts/{id}/checkout"), b, &auth).await);
    }
    assert_eq!(placed[0].status, StatusCode::CREATED, "{}", placed[0].body);
    assert_eq!(placed[0].json()["order"]["status"], "pending_payment");
    assert_eq!(placed[1].status, StatusCode::TOO_MANY_REQUESTS, "{}", placed[1].body);
    // The hold is two minutes here: after it, the sweep gives the units back.
    let later = app.state.clock.now() + time::Duration::minutes(3);
    podium_app::checkout::reconcile(app.db.store.as_ref(), app.state.sandbox.as_ref(), later).await.expect("sweep");
    let first = app
        .db
        .store
        .order_by_number(pending[0]["number"].as_str().expect("number"))
        .await
        .expect("read")
        .expect("order");
    assert_eq!(first.status, podium_domain::order::OrderStatus::Cancelled, "the hold ran out");
    assert_eq!(first.hold_until, first.created_at + time::Duration::minutes(2), "the configured hold");
    assert_eq!(stock(&app, GB_PIN).await, (before.0, 0), "back on sale");
    ledger_balances(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_orders_cannot_hoard_stock_sqlite() {
    unpaid_orders_cannot_hoard_stock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_orders_cannot_hoard_stock_postgres() {
    unpaid_orders_cannot_hoard_stock(Backend::Postgres).await;
}

/// Issue 18 (3): prices and stock are bounded where they are entered (console form and CSV),
/// order totals at checkout; an amount stored before the bounds (a price of i64::MAX) breaks
/// no page and no checkout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_are_bounded_where_they_are_entered_and_stored_ones_break_nothing() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let csrf = app.get("/console/shops/hanok-threads/products/new").await.csrf();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("Handle", "gold-scarf"),
        ("Status", "active"),
        ("Property", "pyeongchang-2018"),
        ("Category", "scarves"),
        ("Language", "ko"),
        ("HS Code", "6117.10"),
        ("Origin Country", "KR"),
        ("Variant Grams", "180"),
        ("Title (ko)", "금 목도리"),
        ("Option1 Name", "Colour"),
        ("Variant SKU.0", "SCARF-GOLD"),
        ("Option1 Value.0", "Gold"),
        ("Variant Price.0", "9223372036854775807"),
        ("Stock 0.0", "12"),
    ];
    let r = app.post_form("/console/shops/hanok-threads/products", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at most ₩1,000,000"), "{}", r.body);
    let csv = "Handle,Title,Property,Category,HS Code,Origin Country,Variant SKU,Variant Price,Variant Inventory Qty\n\
               big-mug,Mug,pyeongchang-2018,mugs,691200,KR,MUG-1,1000001,1\n\
               many-mugs,Mug,pyeongchang-2018,mugs,691200,KR,MUG-2,12000,9999999999\n";
    let r = common::post_multipart(
        &mut app,
        "/console/shops/hanok-threads/import",
        &[("csrf_token", &csrf)],
        ("m.csv", csv.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("line 2: Variant Price &#34;1000001&#34; is over the marketplace&#39;s limit"),
        "{}",
        r.body
    );
    assert!(r.body.contains("line 3: Variant Inventory Qty 9999999999 is more than"), "{}", r.body);
    // An order total over the limit is refused at checkout.
    let mut small = app.with_config(WebConfig {
        bounds: podium_domain::money::Bounds { max_order_units: 10_000, ..Default::default() },
        ..WebConfig::default()
    });
    let id = cart(&mut small, "KR", &[(KR_TEE, 1)]).await;
    let r = checkout(&mut small, &id, body("4242424242424242"), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap_or_default().contains("over the limit of ₩10,000"), "{}", r.body);
    // A price stored before the bounds existed: pages and checkout answer, nothing 500s.
    let changed = app.db.execute("UPDATE variants SET price_minor = 9223372036854775807 WHERE sku = 'TEE-OH-M'").await;
    assert!(changed >= 1);
    app.catch_up().await;
    let mut fan = app.clone_app();
    let url = product_url(&app, KR_TEE).await;
    for uri in [
        format!("{url}&country=KR"),
        format!("{url}&country=GB"),
        "/search?q=tee&country=KR".to_string(),
        "/api/v1/products?country=KR&per_page=50".to_string(),
        "/console/shops/hanok-threads".to_string(),
    ] {
        let r = fan.get(&uri).await;
        assert!(!r.status.is_server_error(), "{uri}: {} {}", r.status, r.body);
    }
    let r = fan.post_json("/api/v1/carts", json!({"country": "KR"}), &[]).await;
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = fan.post_json(&format!("/api/v1/carts/{id}/lines"), json!({"sku": KR_TEE, "quantity": 1}), &[]).await;
    assert!(!r.status.is_server_error(), "{}", r.body);
    if r.status == StatusCode::OK {
        let r = checkout(&mut fan, &id, body("4242424242424242"), None).await;
        assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
    }
}

/// Issue 18 (3): a payee whose balance cannot be paid is reported and skipped, the others are
/// paid; a royalty line stored with an absurd amount breaks neither the statement page nor its
/// CSV.
async fn one_unpayable_payee_does_not_stop_the_payout_run(backend: Backend) {
    use podium_app::ledger::LedgerStore as _;
    use podium_domain::ledger::{AccountKey, AccountKind, Transfer};
    let mut app = TestApp::new(backend).await;
    let id = cart(&mut app, "KR", &[("hanok-threads:TEE-KIL-L", 1), (GB_PIN, 1)]).await;
    let r = checkout(&mut app, &id, body("4242424242424242"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = app
        .db
        .store
        .order_by_number(r.json()["order"]["number"].as_str().expect("n"))
        .await
        .expect("read")
        .expect("order");
    let now = app.state.clock.now();
    // Money a KRW shop holds in pounds, too much to convert to won.
    let gbp = podium_domain::Currency::parse("GBP").expect("GBP");
    let hanok = app.db.store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    let huge = Transfer {
        id: "legacy:huge".into(),
        debit: AccountKey::new(podium_domain::ledger::PROVIDER, AccountKind::ProviderClearing, gbp),
        credit: AccountKey::new(hanok.id.clone(), AccountKind::MerchantAvailable, gbp),
        amount: i64::MAX / 4,
        code: "capture",
        reference: "legacy".into(),
    };
    app.db.store.post_batch("legacy:huge", &[huge], now).await.expect("post");
    // And a royalty line with an absurd amount.
    let line = order.consignments.iter().flat_map(|c| &c.lines).find(|l| l.sku.contains("TEE-KIL")).expect("line");
    app.db
        .execute(&format!(
            "UPDATE order_lines SET net = {}, unit = {} WHERE id = '{}'",
            i64::MAX / 2,
            i64::MAX / 2,
            line.id
        ))
        .await;
    let store = app.db.dyn_store();
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let provider = podium_app::payouts::SandboxPayouts::new(store.clone(), Vec::new());
    let later = now + time::Duration::days(30);
    podium_app::ledger::complete_due(store.as_ref(), later).await.expect("release");
    let summary = podium_app::payouts::run(store.as_ref(), &provider, &rates, "test", later).await.expect("run");
    assert!(summary.skipped.iter().any(|(who, _)| who == "Hanok Threads"), "{summary:?}");
    assert!(summary.paid >= 1, "the others were paid: {summary:?}");
    assert!(
        summary.payouts.iter().any(|p| p.payee_name == "National Olympic Committee of Kenya" && p.status == "paid"),
        "the licensor's royalties were paid: {summary:?}"
    );
    ledger_balances(&app).await;
    // The licensor's statement and its CSV answer.
    let agreement = line.agreement_id.clone();
    let quarter = podium_domain::royalty::Quarter::of(order.created_at.date()).to_string();
    app.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let url = format!("/console/statements/{agreement}?quarter={quarter}");
    let page = app.get(&format!("{url}&lang=en")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csv = app.get(&format!("{url}&format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    for uri in ["/console/licensors/team-kenya/money", "/console/operator/payouts", "/console"] {
        let r = app.get(uri).await;
        assert!(!r.status.is_server_error(), "{uri}: {}", r.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unpayable_payee_does_not_stop_the_payout_run_sqlite() {
    one_unpayable_payee_does_not_stop_the_payout_run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unpayable_payee_does_not_stop_the_payout_run_postgres() {
    one_unpayable_payee_does_not_stop_the_payout_run(Backend::Postgres).await;
}

/// Issue 18 (5): signing out forgets the cart; a cart cookie left behind never serves the
/// fan's cart (with their name and street) to anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_forgets_the_fans_cart() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    let csrf = app.get("/cart?country=KR").await.csrf();
    app.post_form("/cart/add", &[("csrf_token", &csrf), ("sku", GB_PIN), ("quantity", "1")]).await;
    let r = app
        .post_form(
            "/checkout/address",
            &[
                ("csrf_token", &csrf),
                ("email", "fan@podium.example"),
                ("name", "Mina Secret-Park"),
                ("line1", "77 Hidden Lane"),
                ("city", "Seoul"),
                ("postal_code", "04524"),
                ("phone", "010-1234-5678"),
                ("customs_code", "P123456789012"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let cart_id = app.cookies.get("podium_cart").cloned().expect("a cart cookie");
    let r = app.post_form("/signout", &[("csrf_token", &csrf)]).await;
    assert!(r.status.is_redirection());
    assert!(!app.cookies.contains_key("podium_cart"), "the cookie is removed: {:?}", app.cookies.keys());
    let page = app.get("/checkout").await;
    assert!(!page.body.contains("Mina Secret-Park") && !page.body.contains("77 Hidden Lane"), "{}", page.body);
    // A browser that kept the cookie anyway sees no cart of the fan's, and cannot check it out.
    let mut stranger = app.clone_app();
    stranger.cookies.insert("podium_cart".into(), cart_id.clone());
    for uri in ["/checkout", "/cart"] {
        let page = stranger.get(uri).await;
        assert!(!page.body.contains("Mina Secret-Park") && !page.body.contains("77 Hidden Lane"), "{uri}");
    }
    let r = checkout(&mut stranger, &cart_id, body("4242424242424242"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(stranger.get(&format!("/api/v1/carts/{cart_id}")).await.status, StatusCode::NOT_FOUND);
    // Signing in again brings the fan's cart back.
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    let page = app.get("/checkout").await;
    assert!(page.body.contains("Mina Secret-Park"), "{}", page.body);
}

/// Issue 18 (11): ten accepts of one return at once: one refund, the others 409 (not 502).
async fn a_return_is_accepted_once(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 2)]).await;
    let order = checkout(&mut app, &id, body("4242424242424242"), None).await.json()["order"].clone();
    let consignment = deliver_first_parcel(&mut app, &order, KR_TEE, 2).await;
    let number = order["number"].as_str().expect("number").to_string();
    let stored = app.db.store.order_by_number(&number).await.expect("read").expect("order");
    let line = stored.consignments[0].lines[0].id.clone();
    let token = podium_app::checkout::order_token(&app.state.config.shared_secret.0, &stored.id);
    let r = app
        .post_json(
            &format!("/api/v1/orders/{number}/returns?token={token}"),
            json!({"consignment": consignment, "reason": "too small", "lines": [{"line": line, "quantity": 1}]}),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid = r.json()["consignments"][0]["returns"][0]["id"].as_str().expect("return").to_string();
    let merchant = bearer(&mut app, "merchant@podium.example", "merchant-demo-2026").await;
    let other_node = app.with_config(WebConfig::default());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let router = if i % 2 == 0 { app.router.clone() } else { other_node.router.clone() };
        let (merchant, consignment, rid) = (merchant.clone(), consignment.clone(), rid.clone());
        tasks.spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post(format!("/api/v1/consignments/{consignment}/returns/{rid}/accept"))
                .header("content-type", "application/json")
                .header("authorization", merchant)
                .body(axum::body::Body::from(json!({"restock": true}).to_string()))
                .expect("request");
            router.oneshot(req).await.expect("answer").status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    let payments = app.state.sandbox.payments_for(&stored.id).await.expect("payments");
    let after = app.db.store.order_by_number(&number).await.expect("read").expect("order");
    assert_eq!(payments[0].refunded, after.refunded, "refunded once, as recorded");
    assert!(after.refunded > 0);
    ledger_balances(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_return_is_accepted_once_sqlite() {
    a_return_is_accepted_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_return_is_accepted_once_postgres() {
    a_return_is_accepted_once(Backend::Postgres).await;
}
