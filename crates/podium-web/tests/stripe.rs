//! Payments through Stripe, against localstripe (a stateful stand-in for Stripe's API that
//! scripts/test starts; `PODIUM_TEST_STRIPE_URL`), on SQLite and PostgreSQL: authorise and
//! capture, 3-D Secure asked then confirmed, a decline, refunds, a cancel, webhooks signed by
//! Stripe's scheme (accepted, forged, replayed, reordered), and an order left in doubt by a
//! crash reconciled from what Stripe says.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::shop::*;
use common::stripe::*;
use common::TestApp;
use podium_app::orders::OrderStore;
use podium_app::payments::{PaymentProvider, PaymentStatus};
use podium_domain::order::OrderStatus;
use podium_store::testing::Backend;
use serde_json::{json, Value};

async fn authorise_capture_decline_and_refund(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, provider, _) = stripe_app(backend).await;
    // A card number sent to Podium is refused before it goes anywhere.
    let id = cart(&mut app, "KR", &[(KR_TEE, 2)]).await;
    let r = checkout(&mut app, &id, body("4242424242424242"), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("stripe"), "{}", r.body);

    // Authorised and captured: one intent for the order's total, in won as the order is.
    let before = stock(&app, KR_TEE).await;
    let pm = fake.payment_method("4242424242424242").await;
    let r = checkout(&mut app, &id, stripe_body(&pm), Some("stripe-1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["order"].clone();
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!((order["payment"]["brand"].as_str(), order["payment"]["last4"].as_str()), (Some("Visa"), Some("4242")));
    let order_id = order["id"].as_str().expect("id");
    let payments = provider.payments_for(order_id).await.expect("payments");
    assert_eq!(payments.len(), 1, "one intent for the order: {payments:?}");
    let intent = fake.get(&format!("/v1/payment_intents/{}", payments[0].id)).await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    assert_eq!(intent["capture_method"], "manual");
    assert_eq!(intent["currency"], "krw");
    assert_eq!(intent["amount"], order["total"]["minor"], "won are zero-decimal for Stripe as for Podium");
    assert_eq!(stock(&app, KR_TEE).await, (before.0 - 2, 0));
    // The same request again is the same order, not a second charge.
    let again = checkout(&mut app, &id, stripe_body(&pm), Some("stripe-1")).await;
    assert_eq!(again.json()["order"]["id"], order["id"]);
    assert_eq!(provider.payments_for(order_id).await.expect("payments").len(), 1);
    balanced(&app).await;

    // Refunds, partial then the rest; more than what is left is refused.
    let total = order["total"]["minor"].as_i64().expect("total");
    let part = provider.refund(&payments[0].id, total / 4).await.expect("partial refund");
    assert_eq!((part.status, part.refunded), (PaymentStatus::Refunded, total / 4));
    assert!(provider.refund(&payments[0].id, total).await.is_err(), "more than what is left");
    let rest = provider.refund(&payments[0].id, total - total / 4).await.expect("the rest");
    assert_eq!(rest.refunded, total);
    let charge =
        &fake.get(&format!("/v1/payment_intents/{}?expand[]=latest_charge", payments[0].id)).await["latest_charge"];
    assert_eq!(charge["amount_refunded"].as_i64(), Some(total), "Stripe gave it all back: {charge}");

    // A declined card: the order is cancelled and nothing stays reserved.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let before = stock(&app, KR_TEE).await;
    let declined = fake.payment_method("4000000000000341").await;
    let r = checkout(&mut app, &id, stripe_body(&declined), None).await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
    assert!(r.body.contains("card_declined"), "{}", r.body);
    assert_eq!(stock(&app, KR_TEE).await, before, "nothing reserved");
    // An unknown payment method is the fan's mistake, not the provider's failure.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let r = checkout(&mut app, &id, stripe_body("pm_nonexistent"), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorise_capture_decline_and_refund_sqlite() {
    authorise_capture_decline_and_refund(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorise_capture_decline_and_refund_postgres() {
    authorise_capture_decline_and_refund(Backend::Postgres).await;
}

async fn three_d_secure_then_confirmed_or_abandoned(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, provider, _) = stripe_app(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let pm = fake.payment_method("4000002760003184").await;
    let r = checkout(&mut app, &id, stripe_body(&pm), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let placed = r.json();
    let order = &placed["order"];
    assert_eq!(order["status"], "pending_payment", "{order}");
    let next = order["next_action"].as_str().expect("next action").to_string();
    let intent = next.trim_start_matches("/checkout/stripe/").trim_end_matches("/authenticate").to_string();
    assert!(intent.starts_with("pi_"), "{next}");
    assert_eq!(stock(&app, KR_TEE).await.1, 1, "held while the bank checks");

    // The second step's page hands Stripe.js the client secret, and its policy lets it run.
    let page = app.get(&next).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let secret =
        fake.get(&format!("/v1/payment_intents/{intent}")).await["client_secret"].as_str().expect("s").to_string();
    assert!(page.body.contains(&secret), "the page carries the client secret");
    assert!(
        page.header("content-security-policy").contains(&localstripe()),
        "{}",
        page.header("content-security-policy")
    );

    // The bank says yes; back on Podium the order is paid.
    assert_eq!(fake.authenticate(&intent, true).await["status"], "requires_capture");
    let back = app.get(&format!("/checkout/stripe/{intent}/return")).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert!(back.header("location").starts_with(&format!("/orders/{}", order["number"].as_str().expect("n"))));
    let o = app.db.store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    assert_eq!(o.status, OrderStatus::Paid);
    assert_eq!(fake.get(&format!("/v1/payment_intents/{intent}")).await["status"], "succeeded");

    // Another 3-D Secure order the fan gives up: the intent is cancelled at Stripe, the stock freed.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let pm = fake.payment_method("4000002760003184").await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    let order_id = order["id"].as_str().expect("id");
    let now = app.state.clock.now();
    assert!(podium_app::checkout::abandon(app.db.store.as_ref(), provider.as_ref(), order_id, "abandoned", now)
        .await
        .expect("abandon"));
    let payments = provider.payments_for(order_id).await.expect("payments");
    assert_eq!(payments.iter().map(|p| p.status).collect::<Vec<_>>(), [PaymentStatus::Voided]);
    assert_eq!(fake.get(&format!("/v1/payment_intents/{}", payments[0].id)).await["status"], "canceled");

    // A third one the fan confirms but never comes back from: the sweep finds it paid.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let pm = fake.payment_method("4000002760003184").await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    let intent = order["next_action"].as_str().expect("next").split('/').nth(3).expect("intent").to_string();
    fake.authenticate(&intent, true).await;
    podium_app::checkout::reconcile(app.db.store.as_ref(), provider.as_ref(), app.state.clock.now())
        .await
        .expect("sweep");
    let o = app.db.store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    assert_eq!(o.status, OrderStatus::Paid);
    // And one whose bank says no: cancelled, with the reason.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let pm = fake.payment_method("4000002760003184").await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    let intent = order["next_action"].as_str().expect("next").split('/').nth(3).expect("intent").to_string();
    fake.authenticate(&intent, false).await;
    app.get(&format!("/checkout/stripe/{intent}/return")).await;
    let o = app.db.store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    assert_eq!(
        (o.status, o.failure.as_deref()),
        (OrderStatus::Cancelled, Some("payment_intent_authentication_failure"))
    );
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_then_confirmed_or_abandoned_sqlite() {
    three_d_secure_then_confirmed_or_abandoned(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_then_confirmed_or_abandoned_postgres() {
    three_d_secure_then_confirmed_or_abandoned(Backend::Postgres).await;
}

/// Serves the app on a real port, keeping the answers its Stripe webhook endpoint gives (status
/// and the event id it received).
async fn serve(app: &TestApp) -> (String, Arc<Mutex<Vec<(u16, String)>>>) {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    let router = app.router.clone().layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let seen = seen.clone();
            async move {
                let hook = req.uri().path() == "/api/v1/webhooks/stripe";
                let response = next.run(req).await;
                if !hook {
                    return response;
                }
                let (parts, body) = response.into_parts();
                let bytes = http_body_util::BodyExt::collect(body).await.map(|b| b.to_bytes()).unwrap_or_default();
                let received =
                    serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["received"].as_str().map(String::from));
                seen.lock().expect("lock").push((parts.status.as_u16(), received.unwrap_or_default()));
                axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), answers)
}

async fn webhooks_are_verified_deduplicated_and_order_free(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, _provider, secret) = stripe_app(backend).await;
    let (url, answers) = serve(&app).await;
    // Stripe (localstripe) posts its events to this node, signed with the endpoint's secret.
    let hook_id = hex(8);
    let hook = [("url", format!("{url}/api/v1/webhooks/stripe")), ("secret", secret.clone())];
    let r = fake.http.post(format!("{}/_config/webhooks/{hook_id}", fake.base)).form(&hook).send().await;
    assert!(r.is_ok_and(|r| r.status().is_success()), "the endpoint is registered");
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let pm = fake.payment_method("4242424242424242").await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    assert_eq!(order["status"], "paid");
    let intent = app.state.payments.payments_for(order["id"].as_str().expect("id")).await.expect("p")[0].id.clone();
    // payment_intent.succeeded arrives (a second after the capture) and is accepted.
    let events = fake.events_for(&intent).await;
    let succeeded = events.iter().find(|e| e["type"] == "payment_intent.succeeded").expect("succeeded event");
    let accepted = (200, succeeded["id"].as_str().expect("event id").to_string());
    for _ in 0..100 {
        if answers.lock().expect("lock").contains(&accepted) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(answers.lock().expect("lock").contains(&accepted), "Stripe's own delivery was accepted: {answers:?}");

    // Replayed: the same event again is recognised as a duplicate.
    let payload = serde_json::to_vec(succeeded).expect("json");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let post = |signature: String, payload: Vec<u8>| {
        let mut app = app.clone_app();
        async move {
            app.send(
                axum::http::Request::post("/api/v1/webhooks/stripe")
                    .header("stripe-signature", signature)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(payload))
                    .expect("request"),
            )
            .await
        }
    };
    let replay = post(podium_domain::stripe::sign(&secret, now, &payload), payload.clone()).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.body);
    assert_eq!(replay.json()["duplicate"], true, "{}", replay.body);
    // Forged (another secret), tampered, and stale events are refused.
    let forged = post(podium_domain::stripe::sign("whsec_someone_else", now, &payload), payload.clone()).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.body);
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        post(podium_domain::stripe::sign(&secret, now, &payload), tampered).await.status,
        StatusCode::BAD_REQUEST
    );
    let stale = post(podium_domain::stripe::sign(&secret, now - 600, &payload), payload.clone()).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST, "{}", stale.body);
    assert_eq!(post(String::new(), payload.clone()).await.status, StatusCode::BAD_REQUEST, "no signature");

    // Out of order: a late payment_failed (made up, as Stripe sends it after a retry) changes
    // nothing, because the order is settled against what Stripe says now.
    let mut failed = succeeded.clone();
    failed["id"] = json!(format!("evt_late_{}", hex(6)));
    failed["type"] = json!("payment_intent.payment_failed");
    let payload = serde_json::to_vec(&failed).expect("json");
    let late = post(podium_domain::stripe::sign(&secret, now, &payload), payload).await;
    assert_eq!((late.status, late.json()["duplicate"].clone()), (StatusCode::OK, json!(false)), "{}", late.body);
    // A refund announced on the charge finds its order through the intent.
    let refunded = json!({"id": format!("evt_ref_{}", hex(6)), "type": "charge.refunded",
        "created": now, "data": {"object": {"object": "charge", "id": "ch_x", "payment_intent": intent}}});
    let payload = serde_json::to_vec(&refunded).expect("json");
    assert_eq!(post(podium_domain::stripe::sign(&secret, now, &payload), payload).await.status, StatusCode::OK);
    let o = app.db.store.order(order["id"].as_str().expect("id")).await.expect("read").expect("order");
    assert_eq!(o.status, OrderStatus::Paid, "still paid");
    // The sandbox's endpoint is not Stripe's, and a sandbox marketplace has no Stripe endpoint.
    let plain = TestApp::new(backend).await;
    let mut plain = plain.clone_app();
    let r = plain.post_json("/api/v1/webhooks/stripe", json!({}), &[("stripe-signature", "t=1,v1=00")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_deduplicated_and_order_free_sqlite() {
    webhooks_are_verified_deduplicated_and_order_free(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_deduplicated_and_order_free_postgres() {
    webhooks_are_verified_deduplicated_and_order_free(Backend::Postgres).await;
}

/// A node that dies after Stripe authorised the card and before the order was settled: on
/// restart the sweep asks Stripe for the order's intents and completes it. An intent whose
/// order was cancelled meanwhile is cancelled at Stripe: no charge without an order, no order
/// without its payment.
async fn a_crash_after_stripe_answered_is_reconciled(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, provider, _) = stripe_app(backend).await;
    let store = app.db.store.clone();
    let mut orders = Vec::new();
    for _ in 0..2 {
        let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
        let pm = fake.payment_method("4242424242424242").await;
        // What checkout does up to the crash: the order placed with its stock reserved, the
        // card authorised at Stripe — and then nothing more.
        let pending = placed_but_unsettled(&app, &id).await;
        let p = provider
            .authorize(podium_app::payments::AuthorizeRequest {
                reference: &pending.id,
                amount: podium_domain::Money::new(pending.total, podium_domain::Currency::parse("KRW").expect("KRW")),
                source: podium_app::payments::PaymentSource::Method(&pm),
                email: &pending.email,
                name: &pending.address.name,
                pay_by: pending.reserve_until,
                return_url: "http://127.0.0.1/checkout/return",
            })
            .await
            .expect("authorised");
        assert_eq!(p.status, PaymentStatus::Authorized);
        // Retried after the crash, the same request is the same intent (same Idempotency-Key).
        orders.push(pending);
    }
    // The second order's hold ran out while the node was down: it is cancelled.
    let now = app.state.clock.now();
    store.cancel_order(&orders[1].id, "reservation_expired", now).await.expect("cancel");
    // The node comes back: the sweep settles both.
    podium_app::checkout::reconcile(store.as_ref(), provider.as_ref(), now).await.expect("sweep");
    let paid = store.order(&orders[0].id).await.expect("read").expect("order");
    assert_eq!(paid.status, OrderStatus::Paid, "the order with its authorised payment is completed");
    let charged = provider.payments_for(&orders[0].id).await.expect("payments");
    assert_eq!(charged.iter().map(|p| p.status).collect::<Vec<_>>(), [PaymentStatus::Captured]);
    podium_app::checkout::settle(store.as_ref(), provider.as_ref(), &orders[1].id, now).await.expect("settle");
    let given_back = provider.payments_for(&orders[1].id).await.expect("payments");
    assert_eq!(
        given_back.iter().map(|p| p.status).collect::<Vec<_>>(),
        [PaymentStatus::Voided],
        "no charge without an order"
    );
    assert_eq!(fake.get(&format!("/v1/payment_intents/{}", given_back[0].id)).await["status"], "canceled");
    balanced(&app).await;
}

/// Places the cart's order as checkout does before it calls the provider.
async fn placed_but_unsettled(app: &TestApp, cart_id: &str) -> podium_app::orders::NewOrder {
    use podium_app::orders::{Address, NewOrder};
    let store = app.db.store.as_ref();
    let cart = podium_app::cart::for_delivery(store, cart_id, None, "KR").await.expect("cart");
    let (ship_to, currency, requests) = podium_app::cart::requests(&cart).expect("requests");
    let products = podium_app::quote::load_products(store, &requests).await.expect("products");
    let reference = app.state.reference.get(store).await.expect("reference");
    let ctx = reference.context(app.state.clock.now());
    let q = podium_app::quote::price(ship_to, currency, &requests, &products, &ctx).expect("quote");
    let c = &q.consignments[0];
    let line = &c.lines[0];
    let product = &products[0];
    let variant = product.variants.iter().find(|v| line.sku.ends_with(&v.sku)).expect("variant");
    let cover = podium_domain::licensing::sellable(
        podium_app::licensing::offer_of(product),
        &product.agreements,
        ctx.tree,
        ship_to,
        ctx.at,
    )
    .expect("licensed");
    let now = app.state.clock.now();
    let order = NewOrder {
        id: hex(16),
        number: podium_app::checkout::new_order_number(),
        token_hash: String::new(),
        cart_id: Some(cart.id.clone()),
        cart_revision: cart.revision,
        client_key: None,
        user_id: None,
        email: "minji@example.com".into(),
        lang: "ko".into(),
        address: Address {
            name: "Kim Min-ji".into(),
            line1: "1".into(),
            city: "Seoul".into(),
            country: "KR".into(),
            ..Default::default()
        },
        currency: currency.code().to_string(),
        total: q.total.minor,
        consignments: vec![podium_app::orders::NewConsignment {
            shop_id: product.shop.id.clone(),
            ship_from: c.ship_from.code().to_string(),
            regime: c.cost.regime.as_str().to_string(),
            goods: c.cost.goods.minor,
            shipping: c.cost.shipping.minor,
            vat: c.cost.vat.minor,
            duty: c.cost.duty.minor,
            total: c.cost.total.minor,
            days_min: i64::from(c.days_min),
            days_max: i64::from(c.days_max),
            commission_bp: 1_000,
            lines: vec![podium_app::orders::NewOrderLine {
                licensor_id: cover.agreement.licensor_id.clone(),
                agreement_id: cover.agreement.id.clone(),
                rights_id: cover.rights.id.clone(),
                royalty_bp: cover.rights.royalty_bp,
                product_id: product.id.clone(),
                variant_id: variant.id.clone(),
                sku: line.sku.clone(),
                title: "Tee".into(),
                quantity: i64::from(line.quantity),
                unit: line.unit.minor,
                net: line.net.minor,
                vat: c.cost.vat.minor,
                duty: c.cost.duty.minor,
            }],
        }],
        reserve_until: now + time::Duration::minutes(15),
        created_at: now,
        fx_snapshot: ctx.rates.snapshot(),
        counted: Default::default(),
    };
    store.place_order(&order).await.expect("store").expect("placed");
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_stripe_answered_is_reconciled_sqlite() {
    a_crash_after_stripe_answered_is_reconciled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_stripe_answered_is_reconciled_postgres() {
    a_crash_after_stripe_answered_is_reconciled(Backend::Postgres).await;
}
