//! Several `podium serve` processes on one database, as a scaled-out marketplace runs: stock
//! never oversells across nodes, a retried checkout makes one order whichever node it lands
//! on, and a node killed between authorizing a card and committing the order is put right when
//! it comes back.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use podium_app::inventory::InventoryStore;
use podium_app::ledger::LedgerStore;
use podium_app::orders::OrderStore;
use podium_app::payments::{PaymentStatus, SandboxStore};
use podium_store::testing::{Backend, TestDb};
use serde_json::json;

use common::node::{call, cart, checkout_body, ledger_verifies, settled, start};
use common::{podium_command, Running};

const KR_TEE: &str = "hanok-threads:TEE-OH-M";

async fn variant(store: &dyn podium_app::Store, sku: &str) -> (String, podium_app::catalogue::ProductRecord) {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    (p.variants.iter().find(|v| v.sku == code).expect("variant").id.clone(), p)
}

async fn set_stock(store: &dyn podium_app::Store, sku: &str, units: i64) -> String {
    let (id, p) = variant(store, sku).await;
    let code = sku.split_once(':').expect("sku").1;
    let mut edit = podium_app::licensing::proposal_from(&p);
    for v in edit.variants.iter_mut().filter(|v| v.sku == code) {
        let first = p.locations.first().map(|(l, _)| l.clone()).expect("a location");
        v.stock = vec![(first, units)];
    }
    store.save_products(&p.shop.id, vec![edit], &|_| {}).await.expect("stock");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_sell_exactly_a_hundred_units_to_sixty_four_buyers() {
    let db = TestDb::demo(Backend::Postgres).await;
    let variant_id = set_stock(db.store.as_ref(), KR_TEE, 100).await;
    let nodes = [start(&db.url, None), start(&db.url, None)];
    let addrs: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.addr.clone()).collect());
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    // Someone watches the stock all along: 0 ≤ reserved ≤ on_hand at every look.
    let watcher = {
        let store = db.dyn_store();
        let (variant_id, watching) = (variant_id.clone(), watching.clone());
        tokio::spawn(async move {
            let mut looks = 0;
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                for l in store.stock_levels(&variant_id).await.expect("levels") {
                    assert!(0 <= l.reserved && l.reserved <= l.on_hand, "{l:?}");
                }
                looks += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            looks
        })
    };
    let mut buyers = tokio::task::JoinSet::new();
    for b in 0..64usize {
        let addrs = addrs.clone();
        buyers.spawn(async move {
            let (mut orders, mut refusals) = (Vec::new(), Vec::new());
            for round in 0.. {
                // The cart on one node, the checkout on the other.
                let (status, id) = cart(&addrs[(b + round) % 2], KR_TEE).await;
                if status == 409 {
                    refusals.push(409);
                    break;
                }
                assert_eq!(status, 200);
                let path = format!("/api/v1/carts/{id}/checkout");
                let (status, body) =
                    call(&addrs[(b + round + 1) % 2], "POST", &path, Some(&checkout_body("4242424242424242")), &[])
                        .await;
                match status {
                    201 => orders.push(body["order"]["number"].as_str().expect("number").to_string()),
                    409 => {
                        assert_eq!(body["title"], "Sold out");
                        refusals.push(409);
                        break;
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
            }
            (orders, refusals)
        });
    }
    let (mut orders, mut refusals) = (Vec::new(), Vec::new());
    while let Some(done) = buyers.join_next().await {
        let (o, r) = done.expect("buyer");
        orders.extend(o);
        refusals.extend(r);
    }
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let looks = watcher.await.expect("watcher");
    orders.sort();
    orders.dedup();
    assert_eq!(orders.len(), 100, "exactly 100 orders across both nodes");
    assert_eq!(refusals.len(), 64, "every buyer finally refused, each with 409");
    let levels = db.store.stock_levels(&variant_id).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (0, 0));
    assert!(looks > 10, "the stock was watched throughout ({looks} looks)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_landing_on_two_nodes_make_one_order_and_one_charge() {
    let db = TestDb::demo(Backend::Postgres).await;
    let nodes = [start(&db.url, None), start(&db.url, None)];
    let (_, id) = cart(&nodes[0].addr, KR_TEE).await;
    let mut retries = tokio::task::JoinSet::new();
    for i in 0..8 {
        let addr = nodes[i % 2].addr.clone();
        let path = format!("/api/v1/carts/{id}/checkout");
        retries.spawn(async move {
            call(
                &addr,
                "POST",
                &path,
                Some(&checkout_body("4242424242424242")),
                &[("Idempotency-Key", "flaky-network-1")],
            )
            .await
        });
    }
    let mut numbers = Vec::new();
    while let Some(done) = retries.join_next().await {
        let (status, body) = done.expect("retry");
        assert_eq!(status, 201, "{body}");
        numbers.push(body["order"]["number"].as_str().expect("number").to_string());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "every retry got the same order");
    let order = db.store.order_by_number(&numbers[0]).await.expect("read").expect("order");
    let payments = db.store.sandbox_payments_for(&order.id).await.expect("payments");
    assert_eq!(payments.len(), 1, "charged once");
    // The same key with another body is refused on either node.
    let mut other = checkout_body("4242424242424242");
    other["email"] = json!("someone@example.com");
    let (status, body) = call(
        &nodes[1].addr,
        "POST",
        &format!("/api/v1/carts/{id}/checkout"),
        Some(&other),
        &[("Idempotency-Key", "flaky-network-1")],
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("Idempotency-Key")));
}

async fn killed_after_authorizing(backend: Backend) {
    let db = TestDb::demo(backend).await;
    let (variant_id, _) = variant(db.store.as_ref(), KR_TEE).await;
    let before = db.store.stock_levels(&variant_id).await.expect("levels");
    let on_hand: i64 = before.iter().map(|l| l.on_hand).sum();
    let mut node = start(&db.url, Some("abort-after-authorize"));
    let (_, id) = cart(&node.addr, KR_TEE).await;
    let (status, _) = call(
        &node.addr,
        "POST",
        &format!("/api/v1/carts/{id}/checkout"),
        Some(&checkout_body("4242424242424242")),
        &[],
    )
    .await;
    assert_eq!(status, 0, "the node died mid-request");
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the node should have aborted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Left behind: an order waiting for payment with its stock held, and an authorized card.
    let pending = db.store.pending_orders(time::OffsetDateTime::now_utc(), 10).await.expect("pending");
    assert_eq!(pending.len(), 1);
    let order_id = pending[0].clone();
    let payments = db.store.sandbox_payments_for(&order_id).await.expect("payments");
    assert_eq!((payments.len(), payments[0].status), (1, PaymentStatus::Authorized), "charged without an order yet");
    let held: i64 = db.store.stock_levels(&variant_id).await.expect("levels").iter().map(|l| l.reserved).sum();
    assert_eq!(held, 1);
    // The node comes back (without the fault) and puts it right.
    let _node = start(&db.url, None);
    let order = settled(db.store.as_ref(), &order_id).await;
    assert_eq!(order.status.as_str(), "paid", "completed: the payment is captured and the order stands");
    let p = db.store.sandbox_payment(&payments[0].id).await.expect("read").expect("payment");
    assert_eq!((p.status, p.captured), (PaymentStatus::Captured, order.total));
    let after = db.store.stock_levels(&variant_id).await.expect("levels");
    assert_eq!(after.iter().map(|l| l.on_hand).sum::<i64>(), on_hand - 1, "one unit sold");
    assert_eq!(after.iter().map(|l| l.reserved).sum::<i64>(), 0, "nothing left held");
    // The ledger holds the capture, split, exactly once.
    ledger_verifies(&db.url, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_after_authorizing_is_reconciled_on_restart_sqlite() {
    killed_after_authorizing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_after_authorizing_is_reconciled_on_restart_postgres() {
    killed_after_authorizing(Backend::Postgres).await;
}

/// Checkouts keep coming while the node is killed with SIGKILL five times and restarted:
/// afterwards every order a client saw acknowledged is there and paid, the ledger verifies, and
/// stock is neither lost nor counted twice.
async fn crash_under_load(backend: Backend) {
    let db = TestDb::demo(backend).await;
    let skus = ["hanok-threads:TEE-OH-M", "thames-pin:PIN-OH-GOLD", "hanok-threads:TEE-OH-L"];
    let mut variants = Vec::new();
    for sku in skus {
        variants.push(set_stock(db.store.as_ref(), sku, 10_000).await);
    }
    let data = tempfile::tempdir().expect("tmp");
    let addr = Arc::new(std::sync::Mutex::new(String::new()));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let start_node = |dir: &std::path::Path| {
        let mut cmd = podium_command();
        cmd.env_remove("PODIUM_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .env_remove("PODIUM_FAULT")
            .env("PODIUM_LOG", "error")
            .args(["serve", "--database-url", &db.url, "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = Running::spawn(&mut cmd).expect("serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut found = String::new();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Podium is serving http://") {
                found = rest.split('/').next().unwrap_or_default().to_string();
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        (child, found)
    };
    let (mut child, a) = start_node(data.path());
    *addr.lock().expect("lock") = a;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..8usize {
        let (addr, acknowledged, running) = (addr.clone(), acknowledged.clone(), running.clone());
        clients.spawn(async move {
            let mut n = c;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let here = addr.lock().expect("lock").clone();
                let (s, cart) = call(&here, "POST", "/api/v1/carts", Some(&json!({"country": "KR"})), &[]).await;
                let Some(id) = cart["id"].as_str().filter(|_| s == 201) else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let line = json!({"sku": skus[n % skus.len()], "quantity": 1 + (n % 2) as i64});
                let (s, _) = call(&here, "POST", &format!("/api/v1/carts/{id}/lines"), Some(&line), &[]).await;
                if s != 200 {
                    continue;
                }
                let (s, placed) = call(
                    &here,
                    "POST",
                    &format!("/api/v1/carts/{id}/checkout"),
                    Some(&checkout_body("4242424242424242")),
                    &[],
                )
                .await;
                if s == 201 {
                    acknowledged
                        .lock()
                        .expect("lock")
                        .push(placed["order"]["number"].as_str().expect("number").to_string());
                }
            }
        });
    }
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        // A power cut: no chance to finish anything.
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let (c, a) = start_node(data.path());
        child = c;
        *addr.lock().expect("lock") = a;
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    while clients.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 20, "the load kept going between crashes ({} orders)", acknowledged.len());
    eprintln!("{} orders acknowledged across five SIGKILLs", acknowledged.len());
    // Every acknowledged order is there and paid.
    for number in &acknowledged {
        let o = db.store.order_by_number(number).await.expect("read").expect("an acknowledged order exists");
        assert_eq!(o.status.as_str(), "paid", "{number}");
    }
    // Orders caught mid-payment are settled by the restarted node (or wait for their grace).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = db.store.pending_orders(time::OffsetDateTime::now_utc(), 1_000).await.expect("pending");
        let mut with_payment = 0;
        for id in &pending {
            if !db.store.sandbox_payments_for(id).await.expect("payments").is_empty() {
                with_payment += 1;
            }
        }
        if with_payment == 0 || Instant::now() > deadline {
            assert_eq!(with_payment, 0, "orders with a payment are completed or given back after a restart");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(child);
    let out = podium_command()
        .args(["ledger", "verify", "--database-url", &db.url])
        .env("PODIUM_LOG", "warn")
        .output()
        .expect("verify runs");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Stock: what left equals what paid orders bought; what is held equals what pending orders hold.
    let pending = db.store.pending_orders(time::OffsetDateTime::now_utc(), 1_000).await.expect("pending");
    for v in &variants {
        let levels = db.store.stock_levels(v).await.expect("levels");
        let (on_hand, reserved): (i64, i64) = levels.iter().fold((0, 0), |(h, r), l| (h + l.on_hand, r + l.reserved));
        let mut sold = 0;
        let mut held = 0;
        for number in &acknowledged {
            let o = db.store.order_by_number(number).await.expect("read").expect("order");
            sold += o
                .consignments
                .iter()
                .flat_map(|c| &c.lines)
                .filter(|l| l.variant_id == *v)
                .map(|l| l.quantity)
                .sum::<i64>();
        }
        for id in &pending {
            let o = db.store.order(id).await.expect("read").expect("order");
            held += o
                .consignments
                .iter()
                .flat_map(|c| &c.lines)
                .filter(|l| l.variant_id == *v)
                .map(|l| l.quantity)
                .sum::<i64>();
        }
        // Paid orders the clients never heard about (the node died before answering) sold too.
        let unacknowledged_paid: i64 = sold_unacknowledged(&db, v, &acknowledged).await;
        assert_eq!(on_hand, 10_000 - sold - unacknowledged_paid, "no unit lost or sold twice");
        assert_eq!(reserved, held, "only orders still waiting hold stock");
    }
}

/// Units of a variant sold by paid orders no client saw acknowledged.
async fn sold_unacknowledged(db: &TestDb, variant: &str, acknowledged: &[String]) -> i64 {
    let mut sold = 0;
    for (id, _) in db.store.captured_consignments().await.expect("captured") {
        let o = db.store.order_of_consignment(&id).await.expect("read").expect("order");
        if acknowledged.contains(&o.number) {
            continue;
        }
        let c = o.consignments.iter().find(|c| c.id == id).expect("consignment");
        sold += c.lines.iter().filter(|l| l.variant_id == variant).map(|l| l.quantity).sum::<i64>();
    }
    sold
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_five_times_under_load_nothing_is_lost_sqlite() {
    crash_under_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_five_times_under_load_nothing_is_lost_postgres() {
    crash_under_load(Backend::Postgres).await;
}
