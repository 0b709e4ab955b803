//! Addresses per country through the checkout pages: a US fan picks a state and sees the order
//! printed as the US post expects it; a Korean import asks for the personal customs clearance
//! code (a domestic Korean order does not).

mod common;

use axum::http::StatusCode;
use common::{as_pairs, TestApp};
use podium_app::catalogue::CatalogueStore;
use podium_store::testing::Backend;

const KR_TEE: &str = "hanok-threads:TEE-OH-M";
const GB_PIN: &str = "thames-pin:PIN-OH-GOLD";

async fn add_to_cart(app: &mut TestApp, sku: &str) {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let page = app.get(&format!("/products/{}?variant={code}", p.slug)).await;
    let fields = page.form_fields("/cart/add");
    let r = app.post_form("/cart/add", &as_pairs(&fields)).await;
    assert_eq!(r.header("location"), "/cart", "{}", r.body);
}

/// Posts the address form with `values` over what the page offers.
async fn post_address(app: &mut TestApp, values: &[(&str, &str)]) -> common::Reply {
    let checkout = app.get("/checkout").await;
    assert_eq!(checkout.status, StatusCode::OK, "{}", checkout.body);
    let mut fields = checkout.form_fields("/checkout/address");
    for (k, v) in values {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    app.post_form("/checkout/address", &as_pairs(&fields)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_us_fan_picks_a_state_and_the_order_prints_city_state_and_zip() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=US&lang=en").await;
    add_to_cart(&mut app, GB_PIN).await;
    let checkout = app.get("/checkout").await;
    assert!(checkout.body.contains("<label for=\"region\">State</label>"), "{}", checkout.body);
    assert!(checkout.body.contains("<option value=\"NY\">New York</option>"), "a list of states");
    assert!(checkout.body.contains("id=\"phone\""), "a phone for the courier");
    assert!(!checkout.body.contains("id=\"customs_code\""), "no Korean customs code for the US");
    let us = [
        ("email", "ada@example.com"),
        ("name", "Ada Fan"),
        ("line1", "350 Fifth Avenue"),
        ("city", "New York"),
        ("postal_code", "10118"),
        ("phone", "+1 212 555 0100"),
    ];
    let r = post_address(&mut app, &us).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the state is required");
    assert!(r.body.contains("data-testid=\"field-error-region\">Choose the State.<"), "{}", r.body);
    assert!(r.body.contains("value=\"350 Fifth Avenue\""), "what was typed stays");
    let r = post_address(&mut app, &[&us[..], &[("region", "NY"), ("phone", "")]].concat()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("data-testid=\"field-error-phone\""), "{}", r.body);
    let r = post_address(&mut app, &[&us[..], &[("region", "NY"), ("postal_code", "1011")]].concat()).await;
    assert!(r.body.contains("data-testid=\"field-error-postal_code\""), "{}", r.body);
    let r = post_address(&mut app, &[&us[..], &[("region", "NY")]].concat()).await;
    assert_eq!(r.header("location"), "/checkout?step=shipping", "{}", r.body);
    let shipping = app.get("/checkout?step=shipping").await;
    assert!(shipping.body.contains("New York, NY 10118"), "{}", shipping.body);
    // Pay and read the order.
    let payment = app.get("/checkout?step=payment").await;
    let mut fields = payment.form_fields("/sandbox/cards");
    for (k, v) in fields.iter_mut() {
        if k == "card_number" {
            *v = "4242424242424242".into();
        }
    }
    let r = app.post_form("/sandbox/cards", &as_pairs(&fields)).await;
    let review = app.get(r.header("location")).await;
    let r = app.post_form("/checkout/place", &as_pairs(&review.form_fields("/checkout/place"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = app.get(r.header("location")).await;
    assert!(
        order.body.contains("Ada Fan<br>350 Fifth Avenue<br>New York, NY 10118<br>UNITED STATES"),
        "{}",
        order.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_korean_import_needs_the_personal_customs_clearance_code() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=KR&lang=en").await;
    add_to_cart(&mut app, KR_TEE).await;
    let kr = [
        ("email", "minji@example.com"),
        ("name", "Kim Min-ji"),
        ("line1", "12 Sejong-daero"),
        ("city", "Jongno-gu"),
        ("postal_code", "04524"),
        ("phone", "010-1234-5678"),
    ];
    // A domestic Korean order: no customs code.
    assert!(!app.get("/checkout").await.body.contains("id=\"customs_code\""));
    let r = post_address(&mut app, &kr).await;
    assert_eq!(r.header("location"), "/checkout?step=shipping", "{}", r.body);
    // A British shop's pin makes it an import.
    add_to_cart(&mut app, GB_PIN).await;
    let checkout = app.get("/checkout").await;
    assert!(checkout.body.contains("id=\"customs_code\""), "{}", checkout.body);
    let r = post_address(&mut app, &kr).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("data-testid=\"field-error-customs_code\">This order comes from outside Korea"),
        "{}",
        r.body
    );
    let r = post_address(&mut app, &[&kr[..], &[("customs_code", "P12345")]].concat()).await;
    assert!(r.body.contains("is P followed by 12 digits"), "{}", r.body);
    let r = post_address(&mut app, &[&kr[..], &[("customs_code", "p123456789012")]].concat()).await;
    assert_eq!(r.header("location"), "/checkout?step=shipping", "{}", r.body);
    let shipping = app.get("/checkout?step=shipping").await;
    assert!(shipping.body.contains("04524, Jongno-gu 12 Sejong-daero, Kim Min-ji, South Korea"), "{}", shipping.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_asks_a_korean_import_for_the_customs_code_and_keeps_phone_optional() {
    use common::shop;
    use serde_json::json;
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = shop::cart(&mut app, "KR", &[(GB_PIN, 1)]).await;
    // A client written before these fields: no phone, no customs code.
    let old = json!({"name": "Kim Min-ji", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": "KR"});
    let mut body = shop::body("4242424242424242");
    body["shipping_address"] = old.clone();
    let r = app.post_json(&format!("/api/v1/carts/{id}/checkout"), body.clone(), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("shipping_address.customs_code"), "{}", r.body);
    body["shipping_address"]["customs_code"] = json!("P123456789012");
    let r = app.post_json(&format!("/api/v1/carts/{id}/checkout"), body, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "the phone stays optional in the API: {}", r.body);
    let ship_to = &r.json()["order"]["shipping_address"];
    assert_eq!(ship_to["customs_code"], "P123456789012");
    assert_eq!(ship_to["phone"], "");
    assert_eq!(ship_to["lines"], json!(["04524", "Seoul 12 Sejong-daero", "Kim Min-ji", "South Korea"]));
}
