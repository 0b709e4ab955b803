//! The ledger's invariants over a real store (SQLite and PostgreSQL), driven through the
//! checkout API and the use cases: random sequences of orders in several currencies, deliveries,
//! partial returns, releases after the window and payout runs (some refused by the bank) at
//! moved exchange rates. After every step: `ledger::verify` passes, each currency's clearing
//! balance is what the payment provider holds (captured − refunded), every payee's paid-out
//! balance is the sum of its paid payouts, and no payout is left sending.

mod common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::shop::*;
use common::TestApp;
use podium_app::fulfilment::{self, FulfilStep, Shipment};
use podium_app::payments::PaymentProvider;
use podium_app::payouts::{self, SandboxPayouts};
use podium_domain::order::ConsignmentStatus;
use podium_store::testing::Backend;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

/// A Team Kenya tee (under the agreement with an advance), an Olympic heritage tee and a
/// British pin: two shops, three licences.
const SKUS: [&str; 3] = ["hanok-threads:TEE-KIL-L", KR_TEE, GB_PIN];
const CURRENCIES: [&str; 3] = ["KRW", "EUR", "USD"];
/// Payees the bank may refuse (an index past the end refuses no one).
const REFUSED: [&str; 4] = ["hanok-threads", "thames-pin", "team-kenya", "olympic-committee"];

#[derive(Debug, Clone)]
enum Op {
    /// A fan in Korea buys: which SKUs (a bit mask), how many of each, paying in which currency.
    Buy { skus: u8, quantity: i64, currency: usize },
    /// The shops deliver an order's parcels.
    Deliver { order: usize },
    /// A fan returns units of a delivered parcel; the shop refunds (restocking or not).
    Return { order: usize, units: i64, restock: bool },
    /// Days pass; parcels past their return window are completed and released.
    Release { days: i64 },
    /// A payout run at rates moved by `fx` per mille, the bank refusing one payee or none.
    Payout { refuse: usize, fx: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..8, 1i64..4, 0usize..3).prop_map(|(skus, quantity, currency)| Op::Buy { skus, quantity, currency }),
        2 => (0usize..8).prop_map(|order| Op::Deliver { order }),
        2 => (0usize..8, 1i64..3, any::<bool>()).prop_map(|(order, units, restock)| Op::Return { order, units, restock }),
        1 => (5i64..30).prop_map(|days| Op::Release { days }),
        2 => (0usize..6, -50i64..50).prop_map(|(refuse, fx)| Op::Payout { refuse, fx }),
    ]
}

struct Run {
    app: TestApp,
    orders: Vec<String>,
    now: time::OffsetDateTime,
}

impl Run {
    async fn apply(&mut self, op: &Op) {
        let store = self.app.db.dyn_store();
        match *op {
            Op::Buy { skus, quantity, currency } => {
                let r = self
                    .app
                    .post_json("/api/v1/carts", json!({"country": "KR", "currency": CURRENCIES[currency]}), &[])
                    .await;
                let cart = r.json()["id"].as_str().expect("cart").to_string();
                for (i, sku) in SKUS.iter().enumerate().filter(|(i, _)| skus & (1 << i) != 0) {
                    let q = quantity + i as i64 % 2;
                    let r = self
                        .app
                        .post_json(&format!("/api/v1/carts/{cart}/lines"), json!({"sku": sku, "quantity": q}), &[])
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                }
                let placed = checkout(&mut self.app, &cart, body("4242424242424242"), None).await;
                assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
                self.orders.push(placed.json()["order"]["id"].as_str().expect("id").to_string());
            }
            Op::Deliver { order } => {
                let Some(id) = self.pick(order) else { return };
                let o = store.order(&id).await.expect("read").expect("order");
                for c in o.consignments.iter().filter(|c| c.status == ConsignmentStatus::New) {
                    fulfilment::fulfil(store.as_ref(), &c.shop_id, &c.id, FulfilStep::Accept, self.now)
                        .await
                        .expect("accept");
                    let mut codes = Vec::new();
                    for l in &c.lines {
                        // Order lines keep the marketplace SKU (`shop:code`).
                        let issued = issue_codes(&self.app, &l.sku, l.quantity).await;
                        codes.push((l.id.clone(), issued));
                    }
                    let shipment = Shipment { carrier: "CJ".into(), tracking: "1".into(), codes };
                    fulfilment::fulfil(store.as_ref(), &c.shop_id, &c.id, FulfilStep::Ship(shipment), self.now)
                        .await
                        .expect("ship");
                    fulfilment::fulfil(store.as_ref(), &c.shop_id, &c.id, FulfilStep::Deliver, self.now)
                        .await
                        .expect("deliver");
                }
            }
            Op::Return { order, units, restock } => {
                let Some(id) = self.pick(order) else { return };
                let o = store.order(&id).await.expect("read").expect("order");
                let Some((c, l)) = o
                    .consignments
                    .iter()
                    .filter(|c| c.status == ConsignmentStatus::Delivered)
                    .find_map(|c| c.lines.iter().find(|l| l.refunded_quantity < l.quantity).map(|l| (c, l)))
                else {
                    return;
                };
                let units = units.min(l.quantity - l.refunded_quantity);
                let rid = fulfilment::request_return(
                    store.as_ref(),
                    &o,
                    &c.id,
                    &[(l.id.clone(), units)],
                    "Not for me",
                    self.now,
                )
                .await
                .expect("return");
                fulfilment::accept_return(
                    store.as_ref(),
                    self.app.state.sandbox.as_ref(),
                    &c.shop_id,
                    &c.id,
                    &rid,
                    restock,
                    self.now,
                )
                .await
                .expect("refund");
            }
            Op::Release { days } => {
                self.now += time::Duration::days(days);
                podium_app::ledger::complete_due(store.as_ref(), self.now).await.expect("release");
            }
            Op::Payout { refuse, fx } => {
                let moved = store.latest_rates().await.expect("rates").into_iter().map(|mut r| {
                    if r.currency != podium_domain::Currency::EUR {
                        r.per_eur *= rust_decimal::Decimal::new(1000 + fx, 3);
                    }
                    r
                });
                let rates = podium_domain::RateTable::new(moved);
                let fail = REFUSED.get(refuse).map(|s| vec![s.to_string()]).unwrap_or_default();
                let provider = SandboxPayouts::new(store.clone(), fail);
                payouts::run(store.as_ref(), &provider, &rates, "property test", self.now).await.expect("run");
            }
        }
    }

    fn pick(&self, i: usize) -> Option<String> {
        (!self.orders.is_empty()).then(|| self.orders[i % self.orders.len()].clone())
    }

    /// Every invariant, after every step.
    async fn check(&self, step: &Op) {
        let store = self.app.db.dyn_store();
        let verified = podium_app::ledger::verify(store.as_ref()).await.expect("verify");
        assert!(verified.is_ok(), "after {step:?}: {verified:?}");
        let accounts = store.ledger_accounts().await.expect("accounts");
        // What the provider holds, per currency, is the clearing account's balance.
        let mut held: BTreeMap<String, i64> = BTreeMap::new();
        for id in &self.orders {
            for p in self.app.state.sandbox.payments_for(id).await.expect("payments") {
                *held.entry(p.currency.clone()).or_default() += p.captured - p.refunded;
            }
        }
        for a in accounts.iter().filter(|a| a.kind == "provider_clearing") {
            assert_eq!(a.debits - a.credits, held.get(&a.currency).copied().unwrap_or(0), "after {step:?}: {}", a.id);
        }
        // Paid out is what the paid payouts add up to; nothing is left sending.
        let all = store.payouts(None, 10_000).await.expect("payouts");
        assert!(all.iter().all(|p| p.status != "sending"), "after {step:?}");
        for a in accounts.iter().filter(|a| a.kind == "paid_out") {
            let paid: i64 = all
                .iter()
                .filter(|p| p.status == "paid" && p.payee_id == a.owner && p.currency == a.currency)
                .map(|p| p.amount)
                .sum();
            assert_eq!(a.credits - a.debits, paid, "after {step:?}: {}", a.id);
        }
    }
}

fn run(backend: Backend, cases: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 16, ..Config::default() });
    runner
        .run(&proptest::collection::vec(op(), 8..24), |ops| {
            rt.block_on(async {
                let app = TestApp::new(backend).await;
                for sku in SKUS {
                    set_stock(&app, sku, 500).await;
                }
                // The advance agreement is signed before the season starts.
                let now = app.state.clock.now();
                podium_app::royalties::post_advances(app.db.store.as_ref(), now).await.expect("advances");
                let mut r = Run { app, orders: Vec::new(), now };
                for op in &ops {
                    r.apply(op).await;
                    r.check(op).await;
                }
            });
            Ok(())
        })
        .expect("every invariant held");
}

#[test]
fn random_sequences_keep_every_ledger_invariant_sqlite() {
    run(Backend::Sqlite, 10);
}

#[test]
fn random_sequences_keep_every_ledger_invariant_postgres() {
    run(Backend::Postgres, 4);
}
