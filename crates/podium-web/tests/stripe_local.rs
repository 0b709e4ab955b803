//! Local methods through Stripe, against localstripe (`PODIUM_TEST_STRIPE_URL`), on SQLite and
//! PostgreSQL: a SEPA Direct Debit made out to the fan's account (a PaymentMethod with the
//! holder) is paid — or, from Stripe's failing test account, processing until the bank
//! refuses it, and the order is cancelled with its stock released. A
//! method Stripe does not offer (M-Pesa) is refused before anything is reserved.
//!
//! localstripe implements card and SEPA debit payment methods only; the other methods' Stripe
//! shapes (QR codes, vouchers, redirects) are read from Stripe's documented answers in
//! `podium-outbound`'s unit tests.

mod common;

use axum::http::StatusCode;
use common::shop::*;
use common::stripe::*;
use common::TestApp;
use podium_app::orders::OrderStore;
use podium_app::payments::PaymentProvider;
use podium_store::testing::Backend;
use serde_json::{json, Value};

const TEE: &str = "kumo-craft:TEE-OH-M";

fn debit(iban: &str) -> Value {
    json!({"email": "jonas@example.de", "shipping_address": {"name": "Jonas Weber", "line1": "Unter den Linden 1",
        "city": "Berlin", "postal_code": "10117", "country": "DE", "phone": "+49 30 1234567"},
        "payment": {"method": "sepa_debit", "iban": iban, "account_holder": "Jonas Weber"}})
}

/// Sweeps until the order leaves `pending_payment` (localstripe answers debits after 0.5 s).
async fn settled(app: &TestApp, provider: &dyn PaymentProvider, order_id: &str) -> podium_app::orders::OrderRecord {
    for _ in 0..50 {
        let now = app.state.clock.now();
        podium_app::checkout::reconcile(app.db.store.as_ref(), provider, now).await.expect("sweep");
        let o = app.db.store.order(order_id).await.expect("read").expect("order");
        if o.status.as_str() != "pending_payment" {
            return o;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the debit was never answered");
}

async fn a_sepa_debit_through_stripe_is_answered_later(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, provider, _) = stripe_app(backend).await;
    let before = stock(&app, TEE).await;
    let id = cart(&mut app, "DE", &[(TEE, 1)]).await;
    let r = checkout(&mut app, &id, debit("DE89 3704 0044 0532 0130 00"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["order"].clone();
    // localstripe answers this account's debits at once (Stripe itself takes days).
    let order_id = order["id"].as_str().expect("id");
    let o = settled(&app, provider.as_ref(), order_id).await;
    assert_eq!(o.status.as_str(), "paid");
    assert_eq!((o.pay_method.code(), o.card_last4.as_deref()), ("sepa_debit", Some("3000")));
    let intents = provider.payments_for(order_id).await.expect("intents");
    assert_eq!(intents.len(), 1);
    let intent = fake.get(&format!("/v1/payment_intents/{}", intents[0].id)).await;
    assert_eq!(intent["amount"], order["total"]["minor"]);
    let pm = fake.get(&format!("/v1/payment_methods/{}", intent["payment_method"].as_str().expect("pm"))).await;
    assert_eq!((pm["type"].as_str(), pm["sepa_debit"]["last4"].as_str()), (Some("sepa_debit"), Some("3000")), "{pm}");
    assert_eq!(pm["billing_details"]["name"], "Jonas Weber", "the mandate's holder");
    assert_eq!(stock(&app, TEE).await, (before.0 - 1, before.1));

    // Stripe's failing test account: processing until the bank refuses, then cancelled.
    let id = cart(&mut app, "DE", &[(TEE, 1)]).await;
    let r = checkout(&mut app, &id, debit("DE62370400440532013001"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["order"].clone();
    assert_eq!(order["status"], "pending_payment", "{order}");
    assert_eq!(order["payment"]["action"], json!({"type": "debit", "account_last4": "3001"}), "{order}");
    assert_eq!(stock(&app, TEE).await, (before.0 - 1, before.1 + 1), "held while the bank decides");
    let order_id = order["id"].as_str().expect("id").to_string();
    let o = settled(&app, provider.as_ref(), &order_id).await;
    assert_eq!(o.status.as_str(), "cancelled", "{:?}", o.failure);
    assert_eq!(stock(&app, TEE).await, (before.0 - 1, before.1), "its unit back on sale");

    // M-Pesa is not one of Stripe's methods: refused before anything is reserved.
    let id = cart(&mut app, "KE", &[(TEE, 1)]).await;
    let mut body = debit("");
    body["shipping_address"] = json!({"name": "Wanjiru Kamau", "line1": "Kenyatta Avenue 10", "city": "Nairobi",
        "postal_code": "00100", "country": "KE", "phone": "0712 345 678"});
    body["payment"] = json!({"method": "mpesa", "phone": "0712345678"});
    let r = checkout(&mut app, &id, body, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["field"], "payment.method");
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sepa_debit_through_stripe_is_answered_later_sqlite() {
    a_sepa_debit_through_stripe_is_answered_later(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sepa_debit_through_stripe_is_answered_later_postgres() {
    a_sepa_debit_through_stripe_is_answered_later(Backend::Postgres).await;
}
