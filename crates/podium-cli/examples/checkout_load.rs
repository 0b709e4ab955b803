//! Load for `bench/checkout.sh`: checkout throughput against a running `podium serve` and a
//! flash sale on one variant, with the oversell count checked in the database afterwards.
//!
//!   checkout_load throughput ADDR DATABASE_URL CONNECTIONS SECONDS
//!   checkout_load flash ADDR DATABASE_URL UNITS BUYERS
//!   checkout_load hot DATABASE_URL UNITS BUYERS    (the store alone, no node running)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use podium_app::Store;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Requests the node shed (503) and the client sent again after a pause, as a polite client
/// does; reported with each measure.
static SHED: AtomicU64 = AtomicU64::new(0);

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    addr: String,
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn { addr: addr.to_string(), stream: BufReader::new(stream) }
    }

    async fn get(&mut self, path: &str) -> (u16, Value) {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        self.send(req).await
    }

    async fn post(&mut self, path: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.send(req).await
    }

    async fn send(&mut self, req: String) -> (u16, Value) {
        loop {
            let (status, body) = self.send_once(&req).await;
            if status != 503 {
                return (status, body);
            }
            SHED.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn send_once(&mut self, req: &str) -> (u16, Value) {
        self.stream.get_mut().write_all(req.as_bytes()).await.expect("write");
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).await.expect("status");
        let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await.expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut buf = vec![0u8; length];
        self.stream.read_exact(&mut buf).await.expect("body");
        (status, serde_json::from_slice(&buf).unwrap_or(Value::Null))
    }
}

/// The payment each checkout sends: the sandbox's test card, or with `PODIUM_LOAD_PAYMENTS=stripe`
/// Stripe's test payment method (each use makes a new one, as Stripe.js would).
fn checkout_body() -> Value {
    let payment = if std::env::var("PODIUM_LOAD_PAYMENTS").as_deref() == Ok("stripe") {
        json!({"method": "stripe", "payment_method": "pm_card_visa"})
    } else {
        json!({"method": "sandbox_card", "card_number": "4242424242424242"})
    };
    json!({"email": "bench@example.com", "payment": payment,
           "shipping_address": {"name": "Bench", "line1": "1 Load Street", "city": "Seoul", "postal_code": "04524", "country": "KR",
               "phone": "010-1234-5678", "customs_code": "P123456789012"}})
}

/// Buys `lines` in one order on `conn`: (status of the checkout, its latency).
async fn buy(conn: &mut Conn, lines: &[(String, i64)]) -> (u16, Duration) {
    let (_, cart) = conn.post("/api/v1/carts", &json!({"country": "KR"})).await;
    let id = cart["id"].as_str().unwrap_or_default().to_string();
    for (sku, q) in lines {
        let (status, _) = conn.post(&format!("/api/v1/carts/{id}/lines"), &json!({"sku": sku, "quantity": q})).await;
        if status != 200 {
            return (status, Duration::ZERO);
        }
    }
    let started = Instant::now();
    let (status, _) = conn.post(&format!("/api/v1/carts/{id}/checkout"), &checkout_body()).await;
    (status, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Every variant a fan in Korea can buy (as the API lists them), restocked to `units` so the
/// run measures checkouts rather than sell-outs: marketplace SKUs.
async fn catalogue(addr: &str, store: &dyn Store, units: i64) -> Vec<String> {
    let mut conn = Conn::open(addr).await;
    let mut slugs = Vec::new();
    for page in 1..=20 {
        let (_, list) = conn.get(&format!("/api/v1/products?country=KR&per_page=100&page={page}")).await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        slugs.extend(items.iter().filter_map(|p| p["slug"].as_str().map(str::to_string)));
    }
    let mut skus = Vec::new();
    for slug in slugs {
        let Some(p) = store.product_by_slug(&slug).await.expect("read") else { continue };
        let mut edit = podium_app::licensing::proposal_from(&p);
        let Some(location) = p.locations.first().map(|(l, _)| l.clone()) else { continue };
        for v in edit.variants.iter_mut() {
            v.stock = vec![(location.clone(), units)];
            skus.push(format!("{}:{}", p.shop.slug, v.sku));
        }
        store.save_products(&p.shop.id, vec![edit], &|_| {}).await.expect("restock");
    }
    skus
}

async fn throughput(addr: String, url: String, connections: usize, seconds: u64) {
    let store = podium_store::connect(&url).await.expect("database");
    let skus = catalogue(&addr, store.as_ref(), 100_000).await;
    println!("catalogue: {} variants sellable in KR, restocked", skus.len());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (addr, skus) = (addr.clone(), skus.clone());
        tasks.spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let (mut ok, mut refused, mut invalid, mut lat) = (0u64, 0u64, 0u64, Vec::new());
            let mut n = c * 7919;
            while Instant::now() < deadline {
                // One to three different variants, one unit each, spread over the catalogue.
                let k = 1 + n % 3;
                let lines: Vec<(String, i64)> =
                    (0..k).map(|j| (skus[(n * 31 + j * 977) % skus.len()].clone(), 1)).collect();
                n += connections;
                let (status, took) = buy(&mut conn, &lines).await;
                match status {
                    201 => {
                        ok += 1;
                        lat.push(took);
                    }
                    409 => refused += 1,
                    // Not bought for a reason the load itself has (a line no longer deliverable):
                    // counted apart, so a body the API stopped accepting shows.
                    422 => invalid += 1,
                    other => panic!("checkout answered {other}"),
                }
            }
            (ok, refused, invalid, lat)
        });
    }
    let (mut ok, mut refused, mut invalid, mut lat) = (0, 0, 0, Vec::new());
    while let Some(r) = tasks.join_next().await {
        let (o, r, i, l) = r.expect("task");
        ok += o;
        refused += r;
        invalid += i;
        lat.extend(l);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "throughput: {ok} orders in {secs:.1} s = {:.1} orders/s with {connections} connections; checkout p50 {:.1} ms, p99 {:.1} ms; {refused} sold out, {invalid} refused (422)",
        ok as f64 / secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
}

async fn flash(addr: String, url: String, units: i64, buyers: usize) {
    let store = podium_store::connect(&url).await.expect("database");
    // The flash-sale variant: the first Korean tee, restocked to `units` at one location.
    let sku = "hanok-threads:TEE-OH-M";
    let found = store.product_ids_by_skus(&[("hanok-threads".into(), "TEE-OH-M".into())]).await.expect("find");
    let p = store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let variant = p.variants.iter().find(|v| v.sku == "TEE-OH-M").expect("variant").id.clone();
    let mut edit = podium_app::licensing::proposal_from(&p);
    let location = p.locations.first().map(|(l, _)| l.clone()).expect("location");
    for v in edit.variants.iter_mut().filter(|v| v.sku == "TEE-OH-M") {
        v.stock = vec![(location.clone(), units)];
    }
    store.save_products(&p.shop.id, vec![edit], &|_| {}).await.expect("restock");
    let before: i64 = store.stock_levels(&variant).await.expect("levels").iter().map(|l| l.on_hand).sum();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..buyers {
        let addr = addr.clone();
        tasks.spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let (mut bought, mut lat) = (0i64, Vec::new());
            loop {
                let (status, took) = buy(&mut conn, &[(sku.to_string(), 1)]).await;
                match status {
                    201 => {
                        bought += 1;
                        lat.push(took);
                    }
                    409 => break,
                    other => panic!("checkout answered {other}"),
                }
            }
            (bought, lat)
        });
    }
    let (mut sold, mut lat) = (0, Vec::new());
    while let Some(r) = tasks.join_next().await {
        let (b, l) = r.expect("buyer");
        sold += b;
        lat.extend(l);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    let levels = store.stock_levels(&variant).await.expect("levels");
    let (on_hand, reserved): (i64, i64) = levels.iter().fold((0, 0), |(h, r), l| (h + l.on_hand, r + l.reserved));
    let oversold = (sold - before).max(0) + (-on_hand).max(0);
    println!(
        "flash sale: {units} units, {buyers} buyers: sold {sold} in {secs:.2} s = {:.1} orders/s; checkout p50 {:.1} ms, p99 {:.1} ms; left on hand {on_hand}, held {reserved}; oversold {oversold}",
        sold as f64 / secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    println!("  requests shed by the node (503) and sent again: {}", SHED.swap(0, Ordering::Relaxed));
    assert_eq!(oversold, 0, "oversold");
    assert_eq!(sold + on_hand, before, "every unit accounted for");
}

/// One hot SKU at the store itself: BUYERS tasks each reserve one unit of the flash-sale
/// variant at a time (an order of one line, as a checkout places it) until refused; reports
/// reservations per second and checks that not one unit was reserved twice.
async fn hot(url: String, units: i64, buyers: usize) {
    use podium_app::orders::{Address, NewConsignment, NewOrder, NewOrderLine};
    let store = podium_store::connect(&url).await.expect("database");
    let found = store.product_ids_by_skus(&[("hanok-threads".into(), "TEE-OH-M".into())]).await.expect("find");
    let p = store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let variant = p.variants.iter().find(|v| v.sku == "TEE-OH-M").expect("variant").id.clone();
    // Units held by earlier runs stay held: `units` more go on hand beside them.
    let held_before: i64 = store.stock_levels(&variant).await.expect("levels").iter().map(|l| l.reserved).sum();
    let mut edit = podium_app::licensing::proposal_from(&p);
    let location = p.locations.first().map(|(l, _)| l.clone()).expect("location");
    for v in edit.variants.iter_mut().filter(|v| v.sku == "TEE-OH-M") {
        v.stock = vec![(location.clone(), held_before + units)];
    }
    store.save_products(&p.shop.id, vec![edit], &|_| {}).await.expect("restock");
    let order = move |variant: &str| {
        let now = time::OffsetDateTime::now_utc();
        let id = podium_app::checkout::new_order_number();
        let line = NewOrderLine {
            product_id: p.id.clone(),
            variant_id: variant.to_string(),
            sku: "hanok-threads:TEE-OH-M".into(),
            title: "Tee".into(),
            quantity: 1,
            unit: 30_000,
            net: 30_000,
            vat: 0,
            duty: 0,
            licensor_id: p.property.licensor_id.clone(),
            agreement_id: "bench".into(),
            rights_id: "bench".into(),
            royalty_bp: 1_000,
        };
        NewOrder {
            id: id.clone(),
            number: id,
            token_hash: "bench".into(),
            cart_id: None,
            cart_revision: 0,
            client_key: None,
            user_id: None,
            email: "bench@example.com".into(),
            lang: "ko".into(),
            address: Address {
                name: "Bench".into(),
                line1: "1 Load Street".into(),
                city: "Seoul".into(),
                country: "KR".into(),
                ..Default::default()
            },
            currency: "KRW".into(),
            total: 30_000,
            consignments: vec![NewConsignment {
                shop_id: p.shop.id.clone(),
                ship_from: "KR".into(),
                regime: "domestic".into(),
                goods: 30_000,
                shipping: 0,
                vat: 0,
                duty: 0,
                total: 30_000,
                days_min: 1,
                days_max: 3,
                commission_bp: 1_000,
                lines: vec![line],
            }],
            reserve_until: now + time::Duration::minutes(15),
            created_at: now,
            fx_snapshot: String::new(),
            counted: Default::default(),
        }
    };
    let order = std::sync::Arc::new(order);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..buyers {
        let (store, order, variant) = (store.clone(), order.clone(), variant.clone());
        tasks.spawn(async move {
            let mut reserved = 0i64;
            while store.place_order(&order(&variant)).await.expect("place").is_ok() {
                reserved += 1;
            }
            reserved
        });
    }
    let mut reserved = 0;
    while let Some(r) = tasks.join_next().await {
        reserved += r.expect("buyer");
    }
    let secs = started.elapsed().as_secs_f64();
    let levels = store.stock_levels(&variant).await.expect("levels");
    let (on_hand, held): (i64, i64) = levels.iter().fold((0, 0), |(h, r), l| (h + l.on_hand, r + l.reserved));
    let oversold = (held - on_hand).max(0);
    println!(
        "hot SKU: {units} units, {buyers} buyers reserving at the store: {reserved} reservations in {secs:.2} s = {:.0} reservations/s; held {held} of {on_hand} on hand; oversold {oversold}",
        reserved as f64 / secs
    );
    assert_eq!(oversold, 0, "oversold");
    assert_eq!(reserved, held - held_before, "each reservation holds its unit");
    assert_eq!(held, on_hand, "sold out: every unit held");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        "throughput" => {
            throughput(arg(2), arg(3), arg(4).parse().unwrap_or(32), arg(5).parse().unwrap_or(20)).await;
        }
        "flash" => flash(arg(2), arg(3), arg(4).parse().unwrap_or(1000), arg(5).parse().unwrap_or(256)).await,
        "hot" => hot(arg(2), arg(3).parse().unwrap_or(10_000), arg(4).parse().unwrap_or(256)).await,
        _ => {
            eprintln!("usage: checkout_load throughput ADDR DATABASE_URL CONNECTIONS SECONDS | flash ADDR DATABASE_URL UNITS BUYERS | hot DATABASE_URL UNITS BUYERS");
            std::process::exit(2);
        }
    }
}
