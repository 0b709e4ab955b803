//! A `podium serve` taking payments through Stripe (localstripe, `PODIUM_TEST_STRIPE_URL`) dies
//! between Stripe's authorisation and the order's commit; started again, it asks Stripe about
//! the order left in doubt and completes it: no charge without an order, no order without its
//! payment, the ledger balanced. Both backends.

mod common;

use std::time::{Duration, Instant};

use podium_app::orders::OrderStore;
use podium_store::testing::{Backend, TestDb};
use serde_json::{json, Value};

use common::node::{call, cart, ledger_verifies, settled, start_with};

const KR_TEE: &str = "hanok-threads:TEE-OH-M";
const SECRET_KEY: &str = "sk_test_podium";

fn localstripe() -> String {
    std::env::var("PODIUM_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

/// A request to localstripe with the secret key (form-encoded): (status, body).
async fn stripe(method: &str, path: &str, form: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = localstripe();
    let host = base.trim_start_matches("http://").to_string();
    let Ok(mut s) = tokio::net::TcpStream::connect(&host).await else {
        panic!("the Stripe tests need localstripe at {base} (PODIUM_TEST_STRIPE_URL); scripts/test starts it")
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {SECRET_KEY}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    // aiohttp may answer in chunks: the JSON is between the first '{' and the last '}'.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if a < b => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, json)
}

/// The intents Stripe holds for an order.
async fn intents_for(order_id: &str) -> Vec<Value> {
    let (_, list) = stripe("GET", "/v1/payment_intents?limit=100", "").await;
    let mut all = list["data"].as_array().cloned().unwrap_or_default();
    all.retain(|i| i["metadata"]["podium_reference"] == order_id);
    all
}

async fn killed_after_stripe_authorised(backend: Backend) {
    let db = TestDb::demo(backend).await;
    let base = localstripe();
    let args = [
        "--payments",
        "stripe",
        "--stripe-secret-key",
        SECRET_KEY,
        "--stripe-webhook-secret",
        "whsec_crash",
        "--stripe-publishable-key",
        "pk_test_podium",
        "--stripe-api-base",
        base.as_str(),
    ];
    let (status, pm) = stripe(
        "POST",
        "/v1/payment_methods",
        "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123",
    )
    .await;
    assert_eq!(status, 200, "{pm}");
    let pm = pm["id"].as_str().expect("payment method").to_string();
    let mut node = start_with(&db.url, Some("abort-after-authorize"), &args);
    let (_, id) = cart(&node.addr, KR_TEE).await;
    let body = json!({"email": "fan@example.com", "payment": {"method": "stripe", "payment_method": pm},
        "shipping_address": {"name": "Kim", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": "KR"}});
    let (status, _) = call(&node.addr, "POST", &format!("/api/v1/carts/{id}/checkout"), Some(&body), &[]).await;
    assert_eq!(status, 0, "the node died mid-request");
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the node should have aborted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Left behind: an order waiting for payment, and at Stripe an authorised intent for it.
    let pending = db.store.pending_orders(time::OffsetDateTime::now_utc(), 10).await.expect("pending");
    assert_eq!(pending.len(), 1);
    let order_id = pending[0].clone();
    let intents = intents_for(&order_id).await;
    assert_eq!(intents.len(), 1, "one intent: {intents:?}");
    assert_eq!(intents[0]["status"], "requires_capture", "authorised, not captured: {}", intents[0]);

    // Back without the fault: the sweep at start asks Stripe and completes the order.
    let _node = start_with(&db.url, None, &args);
    let order = settled(db.store.as_ref(), &order_id).await;
    assert_eq!(order.status.as_str(), "paid");
    let intents = intents_for(&order_id).await;
    assert_eq!(intents.len(), 1, "still one intent: nothing charged twice");
    assert_eq!(intents[0]["status"], "succeeded");
    assert_eq!(intents[0]["amount"].as_i64(), Some(order.total));
    ledger_verifies(&db.url, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_after_stripe_authorised_is_reconciled_on_restart_sqlite() {
    killed_after_stripe_authorised(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_after_stripe_authorised_is_reconciled_on_restart_postgres() {
    killed_after_stripe_authorised(Backend::Postgres).await;
}
