//! Shopping helpers for the HTTP tests: carts, checkout, stock, codes and fulfilment through
//! the API, as a fan, a shop and a licensor would.

use axum::http::StatusCode;
use podium_app::catalogue::CatalogueStore;
use podium_app::inventory::InventoryStore;
use podium_app::orders::OrderStore;
use serde_json::{json, Value};

use super::{Reply, TestApp};

/// A Hanok Threads tee (Olympic heritage) and a Thames Pin pin.
pub const KR_TEE: &str = "hanok-threads:TEE-OH-M";
pub const GB_PIN: &str = "thames-pin:PIN-OH-GOLD";

pub fn address(country: &str) -> Value {
    json!({"name": "Kim Min-ji", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": country,
        "phone": "010-1234-5678", "customs_code": "P123456789012"})
}

pub fn body(card: &str) -> Value {
    json!({"email": "minji@example.com", "shipping_address": address("KR"), "lang": "ko",
           "payment": {"method": "sandbox_card", "card_number": card}})
}

pub async fn cart(app: &mut TestApp, country: &str, lines: &[(&str, i64)]) -> String {
    let r = app.post_json("/api/v1/carts", json!({"country": country}), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_string();
    for (sku, q) in lines {
        let r = app.post_json(&format!("/api/v1/carts/{id}/lines"), json!({"sku": sku, "quantity": q}), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    id
}

pub async fn variant_id(app: &TestApp, sku: &str) -> String {
    let (shop, code) = sku.split_once(':').expect("marketplace sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let product = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    product.variants.iter().find(|v| v.sku == code).expect("variant").id.clone()
}

/// (on_hand, reserved) summed over locations.
pub async fn stock(app: &TestApp, sku: &str) -> (i64, i64) {
    let levels = app.db.store.stock_levels(&variant_id(app, sku).await).await.expect("levels");
    levels.iter().fold((0, 0), |(h, r), l| (h + l.on_hand, r + l.reserved))
}

/// Sets a variant's units on hand (at its first location, the others emptied).
pub async fn set_stock(app: &TestApp, sku: &str, units: i64) {
    let (shop, code) = sku.split_once(':').expect("marketplace sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let product = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let mut edit = podium_app::licensing::proposal_from(&product);
    for v in edit.variants.iter_mut().filter(|v| v.sku == code) {
        let first =
            v.stock.first().map(|(l, _)| l.clone()).or_else(|| product.locations.first().map(|(l, _)| l.clone()));
        v.stock = first.into_iter().map(|l| (l, units)).collect();
    }
    app.db.store.save_products(&product.shop.id, vec![edit], &|_| {}).await.expect("save stock");
}

pub async fn checkout(app: &mut TestApp, cart: &str, body: Value, key: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| vec![("idempotency-key", k)]).unwrap_or_default();
    app.post_json(&format!("/api/v1/carts/{cart}/checkout"), body, &headers).await
}

pub async fn bearer(app: &mut TestApp, email: &str, password: &str) -> String {
    let r = app.post_json("/api/v1/sessions", json!({"email": email, "password": password}), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    format!("Bearer {}", r.json()["token"].as_str().expect("token"))
}

/// Issues `n` authenticity codes for a variant to its shop, as its licensor does.
pub async fn issue_codes(app: &TestApp, sku: &str, n: i64) -> Vec<String> {
    let (shop, code) = sku.split_once(':').expect("marketplace sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let product = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let who = podium_app::licensing::ActingUser { name: "Licensing desk".into(), ..Default::default() };
    let mut rng = rand::random::<u64>;
    podium_app::licensing::issue_codes(
        app.db.store.as_ref(),
        &who,
        &product.property.licensor_id,
        &product.slug,
        code,
        n,
        &mut rng,
    )
    .await
    .expect("issue");
    let variant = variant_id(app, sku).await;
    app.db.store.free_codes(&product.shop.id, &variant, n).await.expect("codes")
}

/// The shop accepts, ships (a code on each of the `units` of `sku`, its first line) and delivers
/// the order's first consignment; returns the consignment's id.
pub async fn deliver_first_parcel(app: &mut TestApp, order: &Value, sku: &str, units: i64) -> String {
    let merchant = bearer(app, "merchant@podium.example", "merchant-demo-2026").await;
    let auth = [("authorization", merchant.as_str())];
    let cid = order["consignments"][0]["id"].as_str().expect("id").to_string();
    let line = order["consignments"][0]["lines"][0]["id"].as_str().expect("line").to_string();
    let codes = issue_codes(app, sku, units).await;
    app.post_json(&format!("/api/v1/consignments/{cid}/accept"), json!({}), &auth).await;
    let ship = json!({"carrier": "CJ", "tracking": "1", "codes": [{"line": line, "codes": codes}]});
    assert_eq!(app.post_json(&format!("/api/v1/consignments/{cid}/ship"), ship, &auth).await.status, StatusCode::OK);
    let r = app.post_json(&format!("/api/v1/consignments/{cid}/deliver"), json!({}), &auth).await;
    assert_eq!(r.status, StatusCode::OK);
    cid
}
