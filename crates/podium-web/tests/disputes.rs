//! A chargeback through Stripe (localstripe for the payment; the `charge.dispute.created` event
//! signed with the endpoint's secret as Stripe signs it, since localstripe has no disputes), on
//! SQLite and PostgreSQL: the shop's share of the order is held back from payouts, once however
//! often the event arrives, the ledger balances, and the shop's and operator's consoles list it.

mod common;

use axum::http::StatusCode;
use common::shop::*;
use common::stripe::*;
use podium_app::payments::PaymentProvider;
use podium_store::testing::Backend;
use serde_json::json;

async fn a_dispute_holds_back_the_shops_money(backend: Backend) {
    let fake = Fake::new().await;
    let (mut app, provider, secret) = stripe_app(backend).await;
    let id = cart(&mut app, "KR", &[(KR_TEE, 2)]).await;
    let pm = fake.payment_method("4242424242424242").await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    assert_eq!(order["status"], "paid", "{order}");
    let intent = provider.payments_for(order["id"].as_str().expect("id")).await.expect("payments")[0].id.clone();
    let store = app.db.dyn_store();
    let hanok = store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    let balance = |accounts: &[podium_app::ledger::AccountRow], kind: &str| -> i64 {
        accounts.iter().filter(|a| a.id == format!("{kind}:{}:KRW", hanok.id)).map(|a| a.credits - a.debits).sum()
    };
    let before = store.ledger_accounts().await.expect("accounts");
    let share = balance(&before, "merchant_pending");
    assert!(share > 0, "the shop's share is pending delivery");

    // Stripe announces the dispute (twice, as it may).
    let event = |kind: &str, dispute: &str, status: &str, intent: &str| {
        json!({"id": format!("evt_{}", hex(8)), "type": kind, "created": time::OffsetDateTime::now_utc().unix_timestamp(),
            "data": {"object": {"object": "dispute", "id": dispute, "amount": order["total"]["minor"], "status": status,
                "currency": "krw", "reason": "fraudulent", "charge": "ch_x", "payment_intent": intent}}})
    };
    let opened = event("charge.dispute.created", "dp_1Podium", "needs_response", &intent);
    for delivery in 0..2 {
        let r = deliver(&app, &secret, &opened).await;
        assert_eq!(r.status, StatusCode::OK, "delivery {delivery}: {}", r.body);
    }
    // Held back once: out of what the shop may be paid, into the disputed balance.
    let after = store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&after, "merchant_disputed"), share, "the shop's share is held back, once");
    assert_eq!(balance(&after, "merchant_available"), -share, "to come out of what it may be paid");
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // A payout run pays the shop nothing while the dispute is open.
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let later = app.state.clock.now() + time::Duration::days(30);
    let run = podium_app::payouts::run(
        store.as_ref(),
        &podium_app::payouts::SandboxPayouts::new(store.clone(), Vec::new()),
        &rates,
        "test",
        later,
    )
    .await
    .expect("run");
    assert!(run.payouts.iter().all(|p| p.payee_id != hanok.id), "{run:?}");

    // The shop and the operator see it.
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let page = merchant.get("/console/shops/hanok-threads/money").await;
    assert!(page.body.contains("data-testid=\"disputes\""), "{}", page.body);
    assert!(page.body.contains(order["number"].as_str().expect("number")));
    assert!(page.body.contains("fraudulent"));
    let mut operator = app.clone_app();
    operator.sign_in("operator@podium.example", "operator-demo-2026").await;
    let page = operator.get("/console/operator/money").await;
    assert!(page.body.contains("data-testid=\"disputes\"") && page.body.contains(order["number"].as_str().expect("n")));
    // It holds back only the shop whose goods were in the order.
    let thames = store.org_by_slug("thames-pin").await.expect("read").expect("shop");
    assert!(store.disputes(Some(&thames.id), 10).await.expect("disputes").is_empty());
    assert_eq!(store.disputes(Some(&hanok.id), 10).await.expect("disputes").len(), 1);

    // The shop wins: its money is back where payouts reach it.
    let won = event("charge.dispute.closed", "dp_1Podium", "won", &intent);
    assert_eq!(deliver(&app, &secret, &won).await.status, StatusCode::OK);
    let after = store.ledger_accounts().await.expect("accounts");
    assert_eq!((balance(&after, "merchant_disputed"), balance(&after, "merchant_available")), (0, 0));
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // Another order's dispute is lost: the held money leaves through the provider, once.
    let id = cart(&mut app, "KR", &[(KR_TEE, 1)]).await;
    let order = checkout(&mut app, &id, stripe_body(&pm), None).await.json()["order"].clone();
    let intent = provider.payments_for(order["id"].as_str().expect("id")).await.expect("payments")[0].id.clone();
    let clearing = |accounts: &[podium_app::ledger::AccountRow]| -> i64 {
        accounts
            .iter()
            .filter(|a| a.kind == "provider_clearing" && a.currency == "KRW")
            .map(|a| a.debits - a.credits)
            .sum()
    };
    let before = clearing(&store.ledger_accounts().await.expect("accounts"));
    assert_eq!(
        deliver(&app, &secret, &event("charge.dispute.created", "dp_2Podium", "needs_response", &intent)).await.status,
        StatusCode::OK
    );
    for _ in 0..2 {
        assert_eq!(
            deliver(&app, &secret, &event("charge.dispute.closed", "dp_2Podium", "lost", &intent)).await.status,
            StatusCode::OK
        );
    }
    let after = store.ledger_accounts().await.expect("accounts");
    let held = store.dispute("dp_2Podium").await.expect("read").expect("dispute");
    assert_eq!(held.status, "lost");
    assert_eq!(
        before - clearing(&after),
        held.held.iter().map(|h| h.1).sum::<i64>(),
        "paid back to the fan's bank once"
    );
    assert_eq!(balance(&after, "merchant_disputed"), 0);
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let page = merchant.get("/console/shops/hanok-threads/money").await;
    assert!(!page.body.contains("data-testid=\"disputes\""), "closed disputes leave the list");
}

/// Posts a Stripe event to the node, signed with the endpoint's secret as Stripe signs it.
async fn deliver(app: &common::TestApp, secret: &str, event: &serde_json::Value) -> common::Reply {
    let payload = serde_json::to_vec(event).expect("json");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    app.clone_app()
        .send(
            axum::http::Request::post("/api/v1/webhooks/stripe")
                .header("stripe-signature", podium_domain::stripe::sign(secret, now, &payload))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(payload))
                .expect("request"),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispute_holds_back_the_shops_money_sqlite() {
    a_dispute_holds_back_the_shops_money(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispute_holds_back_the_shops_money_postgres() {
    a_dispute_holds_back_the_shops_money(Backend::Postgres).await;
}
