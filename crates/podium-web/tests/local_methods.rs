//! Local payment methods with the sandbox provider, through the API, on SQLite and PostgreSQL:
//! a Konbini voucher holds its stock and is paid days later (or expires and gives it back), a
//! direct debit is answered by the bank later (paid, or bounced), a wallet's QR code and an
//! M-Pesa prompt are answered elsewhere and heard of by webhook, a method is offered only
//! where it can pay, and unpaid vouchers count against the payer's limits.

mod common;

use axum::http::StatusCode;
use common::shop::*;
use common::TestApp;
use podium_app::orders::OrderStore;
use podium_app::payments::{PaymentProvider, PaymentStatus, SandboxStore};
use podium_store::testing::Backend;
use serde_json::{json, Value};

/// A Kumo Craft tee (Tokyo), sold to every market these tests visit.
const TEE: &str = "kumo-craft:TEE-OH-M";

fn address_in(country: &str) -> Value {
    match country {
        "JP" => json!({"name": "佐藤 花子", "line1": "丸の内1-1", "city": "千代田区", "postal_code": "100-0005",
            "region": "東京都", "country": "JP", "phone": "03-1234-5678"}),
        "DE" => json!({"name": "Jonas Weber", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117",
            "country": "DE", "phone": "+49 30 1234567"}),
        "KE" => json!({"name": "Wanjiru Kamau", "line1": "Kenyatta Avenue 10", "city": "Nairobi",
            "postal_code": "00100", "country": "KE", "phone": "0712 345 678"}),
        "CN" => json!({"name": "王芳", "line1": "朝阳区建国路88号", "city": "北京", "postal_code": "100022",
            "region": "北京市", "country": "CN", "phone": "138 0013 8000"}),
        "FR" => json!({"name": "Camille Martin", "line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002",
            "country": "FR", "phone": "+33 1 42 68 53 00"}),
        other => panic!("no address for {other}"),
    }
}

fn paying(country: &str, email: &str, payment: Value) -> Value {
    json!({"email": email, "shipping_address": address_in(country), "payment": payment})
}

/// Delivers every queued sandbox webhook to the endpoint (as the provider would, later).
async fn deliver_webhooks(app: &mut TestApp) {
    let later = app.state.clock.now() + time::Duration::seconds(10);
    while app.db.store.sandbox_webhooks_waiting().await.expect("waiting") > 0 {
        let due = app.db.store.sandbox_due_webhooks(later, time::Duration::seconds(30), 100).await.expect("due");
        assert!(!due.is_empty(), "webhooks waiting but none due");
        for w in due {
            app.db.store.sandbox_webhooks_delivered(&[(w.event_id.clone(), w.seq)], later).await.expect("mark");
            let (h, body) = app.state.sandbox.sign(&w, app.state.clock.now());
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
        }
    }
}

async fn order_of(app: &TestApp, id: &str) -> podium_app::orders::OrderRecord {
    app.db.store.order(id).await.expect("read").expect("order")
}

async fn balanced(app: &TestApp) {
    let verified = podium_app::ledger::verify(app.db.store.as_ref()).await.expect("verify");
    assert!(verified.is_ok(), "the ledger balances: {verified:?}");
}

async fn a_konbini_voucher_holds_its_stock_and_is_paid_days_later(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let before = stock(&app, TEE).await;
    let id = cart(&mut app, "JP", &[(TEE, 1)]).await;
    let r = checkout(&mut app, &id, paying("JP", "hana@example.jp", json!({"method": "konbini"})), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["order"].clone();
    assert_eq!(order["status"], "pending_payment");
    let pay = &order["payment"];
    assert_eq!((pay["method"].as_str(), pay["action"]["type"].as_str()), (Some("konbini"), Some("voucher")), "{pay}");
    let number = pay["action"]["number"].as_str().expect("a payment number");
    assert_eq!(number.len(), 14, "{number}");
    // Payable for three days, and the unit is held all that time.
    let expires = pay["action"]["expires_at"].as_i64().expect("expiry");
    let in_days = (expires - app.state.clock.now().unix_timestamp()) as f64 / 86_400.0;
    assert!((2.99..=3.0).contains(&in_days), "{in_days}");
    assert_eq!(stock(&app, TEE).await, (before.0, before.1 + 1));
    // The voucher is mailed too, in case the fan closes the page.
    let mails = app.sent_mails().await;
    let due: Vec<_> = mails.iter().filter(|m| m.contains("hana@example.jp")).collect();
    assert_eq!(due.len(), 1, "one mail with the voucher: {mails:?}");
    assert!(due[0].contains(number) && due[0].contains("FamilyMart"), "{}", due[0]);
    let two_days_on = app.state.clock.now() + time::Duration::days(2);
    podium_app::checkout::reconcile(app.db.store.as_ref(), app.state.sandbox.as_ref(), two_days_on)
        .await
        .expect("sweep");
    let order_id = order["id"].as_str().expect("id");
    assert_eq!(order_of(&app, order_id).await.status.as_str(), "pending_payment", "still payable after two days");

    // Paid at the till; the marketplace hears of it by webhook.
    let p = app.state.sandbox.payments_for(order_id).await.expect("payments").remove(0);
    assert_eq!(podium_app::payments::voucher_number(&p.id), number);
    let paid = app.state.sandbox.confirm(&p.id, true).await.expect("paid at the till");
    assert_eq!((paid.status, paid.captured), (PaymentStatus::Captured, p.amount), "cash takes the money at once");
    deliver_webhooks(&mut app).await;
    let o = order_of(&app, order_id).await;
    assert_eq!(o.status.as_str(), "paid");
    assert_eq!((o.pay_method.code(), o.pay_action.as_ref()), ("konbini", None), "nothing left to do");
    assert_eq!(stock(&app, TEE).await, (before.0 - 1, before.1), "sold once");
    let read =
        app.get(&format!("/api/v1/orders/{}?token={}", o.number, r.json()["token"].as_str().unwrap_or(""))).await;
    assert_eq!(read.json()["payment"]["method"], "konbini");
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_konbini_voucher_holds_its_stock_and_is_paid_days_later_sqlite() {
    a_konbini_voucher_holds_its_stock_and_is_paid_days_later(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_konbini_voucher_holds_its_stock_and_is_paid_days_later_postgres() {
    a_konbini_voucher_holds_its_stock_and_is_paid_days_later(Backend::Postgres).await;
}

async fn an_expired_voucher_is_cancelled_and_its_stock_goes_back(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let before = stock(&app, TEE).await;
    let id = cart(&mut app, "JP", &[(TEE, 2)]).await;
    let r = checkout(&mut app, &id, paying("JP", "ren@example.jp", json!({"method": "konbini"})), None).await;
    let order_id = r.json()["order"]["id"].as_str().expect("id").to_string();
    assert_eq!(stock(&app, TEE).await, (before.0, before.1 + 2));
    let expired = app.state.clock.now() + time::Duration::days(3) + time::Duration::minutes(1);
    let changed = podium_app::checkout::reconcile(app.db.store.as_ref(), app.state.sandbox.as_ref(), expired)
        .await
        .expect("sweep");
    assert_eq!(changed, 1);
    let o = order_of(&app, &order_id).await;
    assert_eq!((o.status.as_str(), o.failure.as_deref()), ("cancelled", Some("voucher_expired")));
    assert_eq!(stock(&app, TEE).await, before, "both units back on sale");
    // The voucher is cancelled at the provider too: paying it afterwards takes nothing.
    let p = app.state.sandbox.payments_for(&order_id).await.expect("payments").remove(0);
    assert_eq!(p.status, PaymentStatus::Voided);
    let late = app.state.sandbox.confirm(&p.id, true).await.expect("answered");
    assert_eq!((late.status, late.captured), (PaymentStatus::Voided, 0));
    // The cart can be checked out again.
    let again = checkout(&mut app, &id, paying("JP", "ren@example.jp", json!({"method": "konbini"})), None).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(stock(&app, TEE).await, (before.0, before.1 + 2), "held again for the new voucher");
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_voucher_is_cancelled_and_its_stock_goes_back_sqlite() {
    an_expired_voucher_is_cancelled_and_its_stock_goes_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_voucher_is_cancelled_and_its_stock_goes_back_postgres() {
    an_expired_voucher_is_cancelled_and_its_stock_goes_back(Backend::Postgres).await;
}

async fn a_direct_debit_is_answered_by_the_bank_later(backend: Backend) {
    let base = TestApp::new(backend).await;
    // A node whose sandbox bank answers at once, and one whose bank takes its usual 20 s.
    let mut fast = base
        .with_config(podium_web::WebConfig { sandbox_debit_delay: time::Duration::ZERO, ..base.state.config.clone() });
    let mut slow = base.clone_app();
    let before = stock(&base, TEE).await;
    let debit = |iban: &str| json!({"method": "sepa_debit", "iban": iban, "account_holder": "Jonas Weber"});
    let place = |app: &mut TestApp, iban: &'static str| {
        let mut app = app.clone_app();
        async move {
            let id = cart(&mut app, "DE", &[(TEE, 1)]).await;
            let r = checkout(&mut app, &id, paying("DE", "jonas@example.de", debit(iban)), None).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["order"].clone()
        }
    };
    let paid = place(&mut fast, "DE89 3704 0044 0532 0130 00").await;
    assert_eq!(paid["status"], "pending_payment", "processing until the bank answers");
    assert_eq!(paid["payment"]["action"], json!({"type": "debit", "account_last4": "3000"}));
    let bounced = place(&mut fast, "DE62370400440532013001").await;
    let waiting = place(&mut slow, "DE89370400440532013000").await;
    assert_eq!(stock(&base, TEE).await, (before.0, before.1 + 3), "all held while the banks decide");

    // The sweep asks the provider; the bank has answered the fast node's debits.
    let now = base.state.clock.now();
    podium_app::checkout::reconcile(fast.db.store.as_ref(), fast.state.sandbox.as_ref(), now).await.expect("sweep");
    deliver_webhooks(&mut fast).await;
    let id = |o: &Value| o["id"].as_str().expect("id").to_string();
    assert_eq!(order_of(&base, &id(&paid)).await.status.as_str(), "paid");
    let o = order_of(&base, &id(&bounced)).await;
    assert_eq!((o.status.as_str(), o.failure.as_deref()), ("cancelled", Some("insufficient_funds")));
    assert_eq!(order_of(&base, &id(&waiting)).await.status.as_str(), "pending_payment", "its bank has not answered");
    // A debit no bank answers within the hold is given up and its unit goes back on sale.
    let gone = now + time::Duration::days(5) + time::Duration::minutes(1);
    podium_app::checkout::reconcile(slow.db.store.as_ref(), slow.state.sandbox.as_ref(), gone).await.expect("sweep");
    let o = order_of(&base, &id(&waiting)).await;
    assert_eq!((o.status.as_str(), o.failure.as_deref()), ("cancelled", Some("debit_timed_out")));
    assert_eq!(stock(&base, TEE).await, (before.0 - 1, before.1), "one sold, the rest back on sale");
    balanced(&base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_debit_is_answered_by_the_bank_later_sqlite() {
    a_direct_debit_is_answered_by_the_bank_later(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_debit_is_answered_by_the_bank_later_postgres() {
    a_direct_debit_is_answered_by_the_bank_later(Backend::Postgres).await;
}

async fn wallets_and_phones_answer_elsewhere_and_are_heard_of_by_webhook(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    for (country, payment, approve) in [
        ("CN", json!({"method": "alipay"}), true),
        ("CN", json!({"method": "wechat_pay"}), true),
        ("KE", json!({"method": "mpesa", "phone": "+254 712 345 678"}), true),
        ("KE", json!({"method": "mpesa", "phone": "0712345678"}), false),
    ] {
        let id = cart(&mut app, country, &[(TEE, 1)]).await;
        let r = checkout(&mut app, &id, paying(country, "fan@example.com", payment.clone()), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let order = r.json()["order"].clone();
        let action = &order["payment"]["action"];
        match payment["method"].as_str() {
            Some("mpesa") => assert_eq!(action, &json!({"type": "phone_push", "phone_last4": "5678"})),
            _ => assert!(
                action["type"] == "qr" && action["data"].as_str().is_some_and(|d| d.ends_with("/confirm")),
                "{action}"
            ),
        }
        assert!(order["next_action"].is_null(), "nothing to follow: the fan scans or looks at the phone");
        let order_id = order["id"].as_str().expect("id");
        let p = app.state.sandbox.payments_for(order_id).await.expect("payments").remove(0);
        app.state.sandbox.confirm(&p.id, approve).await.expect("answered");
        assert_eq!(order_of(&app, order_id).await.status.as_str(), "pending_payment", "until the webhook");
        deliver_webhooks(&mut app).await;
        let o = order_of(&app, order_id).await;
        let want = if approve { "paid" } else { "cancelled" };
        assert_eq!(o.status.as_str(), want, "{payment}");
    }
    balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallets_and_phones_answer_elsewhere_and_are_heard_of_by_webhook_sqlite() {
    wallets_and_phones_answer_elsewhere_and_are_heard_of_by_webhook(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallets_and_phones_answer_elsewhere_and_are_heard_of_by_webhook_postgres() {
    wallets_and_phones_answer_elsewhere_and_are_heard_of_by_webhook(Backend::Postgres).await;
}

/// A method is offered only where it can pay, and what it needs is checked before anything is
/// reserved; unpaid vouchers count against the payer's limits like cards waiting for a step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_are_offered_only_where_they_can_pay_and_within_the_limits() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let before = stock(&app, TEE).await;
    let refused = [
        ("FR", json!({"method": "konbini"}), "payment.method"),
        ("JP", json!({"method": "mpesa", "phone": "0712345678"}), "payment.method"),
        ("KE", json!({"method": "mpesa", "phone": "+255 712 345 678"}), "payment.phone"),
        (
            "DE",
            json!({"method": "sepa_debit", "iban": "DE89370400440532013001", "account_holder": "J W"}),
            "payment.iban",
        ),
        ("DE", json!({"method": "sepa_debit", "iban": "DE89370400440532013000"}), "payment.account_holder"),
        ("FR", json!({"method": "bitcoin"}), "payment.method"),
    ];
    for (country, payment, field) in refused {
        let id = cart(&mut app, country, &[(TEE, 1)]).await;
        let r = checkout(&mut app, &id, paying(country, "fan@example.com", payment.clone()), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{payment}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{payment}: {}", r.body);
    }
    assert_eq!(stock(&app, TEE).await, before, "nothing reserved");
    // The refusal says what can pay here.
    let id = cart(&mut app, "FR", &[(TEE, 1)]).await;
    let r = checkout(&mut app, &id, paying("FR", "fan@example.com", json!({"method": "ideal"})), None).await;
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.ends_with("here: sepa_debit, card")), "{}", r.body);

    // Three vouchers for one payer while two may wait (the default per payer, as per card).
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let id = cart(&mut app, "JP", &[(TEE, 1)]).await;
        let r = checkout(&mut app, &id, paying("JP", "hoarder@example.jp", json!({"method": "konbini"})), None).await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CREATED, StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(stock(&app, TEE).await, (before.0, before.1 + 2), "the third voucher holds nothing");
}
