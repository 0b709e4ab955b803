//! Local formats and honest prices, as a fan reads the pages: money written the way their
//! language writes it, the cart in the same price convention as the product page, no "VAT 0"
//! line where no VAT is charged, and "from" prices that a fan can actually buy at.

mod common;

use axum::http::StatusCode;
use common::{as_pairs, TestApp};
use podium_app::catalogue::CatalogueStore;
use podium_app::orders::OrderStore;
use podium_app::Store;
use podium_domain::{Country, Currency, Lang, Money};
use podium_store::testing::Backend;
use serde_json::{json, Value};

const JP_TEE: &str = "kumo-craft:TEE-OH-S";

fn money(v: &Value) -> Money {
    let currency = Currency::parse(v["currency"].as_str().expect("currency")).expect("known");
    Money::new(v["minor"].as_i64().expect("minor"), currency)
}

/// What a reader of `lang` in `country` sees for an amount.
fn shown(lang: Lang, country: &str, m: Money) -> String {
    podium_web::money_format::format(lang, Country::parse(country).ok(), m)
}

/// The text of the first element carrying `data-testid="{id}"` after `from` in `body`.
fn testid_text<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let marker = format!("data-testid=\"{id}\">");
    let at = body.find(&marker)? + marker.len();
    body[at..].split('<').next()
}

async fn product_url(app: &TestApp, sku: &str) -> String {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    format!("/products/{}?variant={code}", p.slug)
}

async fn add_to_cart(app: &mut TestApp, sku: &str, quantity: &str) {
    let page = app.get(&product_url(app, sku).await).await;
    let mut fields = page.form_fields("/cart/add");
    for f in fields.iter_mut().filter(|(k, _)| k == "quantity") {
        f.1 = quantity.to_string();
    }
    let r = app.post_form("/cart/add", &as_pairs(&fields)).await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/cart"), "{}", r.body);
}

async fn quote(app: &mut TestApp, country: &str, sku: &str, quantity: u32) -> Value {
    let body = json!({"country": country, "lines": [{"sku": sku, "quantity": quantity}]});
    let r = app.post_json("/api/v1/quotes", body, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

#[tokio::test]
async fn a_french_fan_reads_french_money_and_the_cart_keeps_the_product_pages_prices() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=FR&lang=fr").await;
    let page = app.get(&product_url(&app, JP_TEE).await).await;
    assert_eq!(page.status, StatusCode::OK);
    let price = testid_text(&page.body, "price").expect("price").to_string();
    // "34,98 €": decimal comma, the euro sign after a no-break space.
    assert!(price.ends_with("\u{a0}€") && price.contains(',') && !price.starts_with('€'), "{price}");
    let api = app.get("/api/v1/products/kumo-craft-olympic-heritage-laurel-tee?country=FR").await.json();
    let variant = api["variants"].as_array().expect("variants").iter().find(|v| v["sku"] == JP_TEE).expect("S");
    assert_eq!(price, shown(Lang::Fr, "FR", money(&variant["price"])), "the display price, in French");

    add_to_cart(&mut app, JP_TEE, "2").await;
    let cart = app.get("/cart").await;
    assert_eq!(cart.status, StatusCode::OK);
    // France shows prices with VAT: the cart's unit price is the product page's.
    assert!(cart.body.contains(&format!("\">{price}</td>")), "{}", cart.body);
    assert!(cart.body.contains("Articles (TTC)") && cart.body.contains("Livraison (TTC)"));
    let q = quote(&mut app, "FR", JP_TEE, 2).await;
    let c = &q["consignments"][0];
    assert!(money(&c["vat"]).minor > 0);
    assert!(cart.body.contains("Dont TVA"), "the VAT is named as included");
    assert_eq!(testid_text(&cart.body, "vat"), Some(shown(Lang::Fr, "FR", money(&c["vat"])).as_str()));
    assert_eq!(testid_text(&cart.body, "consignment-total"), Some(shown(Lang::Fr, "FR", money(&c["total"])).as_str()));
    assert_eq!(testid_text(&cart.body, "cart-total"), Some(shown(Lang::Fr, "FR", money(&q["total"])).as_str()));
    // What is charged is what the parts add up to: items and shipping with their VAT, plus duty.
    let items = money(&c["goods"]).minor + money(&c["shipping"]).minor + money(&c["vat"]).minor;
    assert_eq!(items + money(&c["duty"]).minor, money(&c["total"]).minor);
    assert!(cart.body.contains("Les prix sont TTC"), "{}", cart.body);
    assert!(!cart.body.contains("0,00\u{a0}€<"), "no zero line");
}

#[tokio::test]
async fn no_vat_line_where_no_vat_is_charged_and_the_page_says_what_is_included() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // A Japanese tee into Korea is under the duty-free allowance: neither VAT nor duty.
    app.get("/?country=KR&lang=en").await;
    let page = app.get(&product_url(&app, JP_TEE).await).await;
    assert!(page.body.contains("data-testid=\"delivered\""));
    assert!(!page.body.contains("<dt>VAT / GST</dt>") && !page.body.contains("<dt>Import duty</dt>"), "{}", page.body);
    add_to_cart(&mut app, JP_TEE, "1").await;
    let cart = app.get("/cart").await;
    assert!(!cart.body.contains("data-testid=\"vat\"") && !cart.body.contains("data-testid=\"duty\""), "{}", cart.body);
    assert!(cart.body.contains("Below the import threshold: no import VAT or duty."));

    // A Japanese tee into the United States: duty, and no VAT (sales tax is not charged).
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=US&lang=en").await;
    let page = app.get(&product_url(&app, JP_TEE).await).await;
    let delivered = &page.body[page.body.find("data-testid=\"delivered\"").unwrap_or(0)..];
    assert!(
        delivered.contains("<dt>Import duty</dt>") && !delivered.contains("<dt>VAT / GST</dt>"),
        "{}",
        &delivered[..delivered.len().min(1500)]
    );
    add_to_cart(&mut app, JP_TEE, "1").await;
    let cart = app.get("/cart").await;
    let q = quote(&mut app, "US", JP_TEE, 1).await;
    let c = &q["consignments"][0];
    assert_eq!((money(&c["vat"]).minor, c["regime"].as_str()), (0, Some("standard")));
    assert!(!cart.body.contains("data-testid=\"vat\""), "no VAT line");
    assert_eq!(testid_text(&cart.body, "duty"), Some(shown(Lang::En, "US", money(&c["duty"])).as_str()));
    assert!(cart.body.contains("No VAT is charged on this parcel; the import duty is paid now"), "{}", cart.body);
    // Unit prices are net there, as on the product page.
    let price = testid_text(&page.body, "price").expect("price").to_string();
    assert!(cart.body.contains(&format!("\">{price}</td>")), "{price}");
}

#[tokio::test]
async fn a_cards_from_price_is_the_lowest_price_still_in_stock() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let slug = "hanok-threads-kenya-ice-lions-face-off-tee";
    let api = format!("/api/v1/products/{slug}?country=KR");
    let before = app.get(&api).await.json();
    let variants = before["variants"].as_array().expect("variants").clone();
    let lowest = variants.iter().map(|v| money(&v["price"]).minor).min().expect("variants");
    assert_eq!(money(&before["price"]).minor, lowest);
    // The shop sells out of the cheapest size(s).
    let r = app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let record = app.db.store.product_by_slug(slug).await.expect("read").expect("exists");
    let edit_uri = format!("/console/shops/hanok-threads/products/{}", record.handle);
    let edit = app.get(&edit_uri).await;
    let mut fields = edit.form_fields(&edit_uri);
    let cheap: Vec<usize> =
        variants.iter().enumerate().filter(|(_, v)| money(&v["price"]).minor == lowest).map(|(i, _)| i).collect();
    assert!(cheap.len() < variants.len(), "some sizes cost more");
    for (k, v) in fields.iter_mut() {
        if let Some(i) = k.strip_prefix("Stock ").and_then(|r| r.split_once('.')).map(|(_, i)| i) {
            if cheap.iter().any(|c| c.to_string() == i) {
                *v = "0".into();
            }
        }
    }
    let saved = app.post_form(&edit_uri, &as_pairs(&fields)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    app.catch_up().await;
    let after = app.get(&api).await.json();
    let in_stock = after["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .filter(|v| v["available"].as_i64() > Some(0))
        .map(|v| money(&v["price"]))
        .min_by_key(|m| m.minor)
        .expect("some size left");
    assert!(in_stock.minor > lowest);
    assert_eq!(money(&after["price"]), in_stock, "from the cheapest size still in stock");
    // The shop's page (cards) says the same.
    let shop = app.get_anonymous("/shops/hanok-threads?country=KR&lang=en").await;
    let from = format!("from {}", shown(Lang::En, "KR", in_stock));
    assert!(shop.body.contains(&from), "{from}");
    let listed = app.get_anonymous("/api/v1/products?country=KR&shop=hanok-threads&per_page=100").await.json();
    let item = listed["items"].as_array().expect("items").iter().find(|i| i["slug"] == slug).expect("listed");
    assert_eq!(money(&item["price"]), in_stock);
}

/// Address → shipping → payment → review → place, as a browser without scripts; the order's URL.
async fn buy_through_the_pages(app: &mut TestApp) -> String {
    let checkout = app.get("/checkout").await;
    let mut fields = checkout.form_fields("/checkout/address");
    for (k, v) in fields.iter_mut() {
        *v = match k.as_str() {
            "email" => "minji@example.com".into(),
            "name" => "김민지".into(),
            "line1" => "세종대로 12".into(),
            "city" => "서울".into(),
            "postal_code" => "04524".into(),
            "phone" => "010-1234-5678".into(),
            "customs_code" => "P123456789012".into(),
            _ => v.clone(),
        };
    }
    let r = app.post_form("/checkout/address", &as_pairs(&fields)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let payment = app.get("/checkout?step=payment").await;
    let mut fields = payment.form_fields("/sandbox/cards");
    for (_, v) in fields.iter_mut().filter(|(k, _)| k == "card_number") {
        *v = "4242 4242 4242 4242".into();
    }
    let r = app.post_form("/sandbox/cards", &as_pairs(&fields)).await;
    let review = app.get(r.header("location")).await;
    let place = review.form_fields("/checkout/place");
    let r = app.post_form("/checkout/place", &as_pairs(&place)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.header("location").to_string()
}

#[tokio::test]
async fn with_rounding_on_a_korean_fan_sees_a_round_price_and_is_charged_exactly_it() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let kumo = app.db.store.org_by_slug("kumo-craft").await.expect("read").expect("shop");
    app.get("/?country=KR&lang=ko").await;
    let url = product_url(&app, JP_TEE).await;
    let before = testid_text(&app.get(&url).await.body, "price").expect("price").to_string();
    let now = time::OffsetDateTime::now_utc();
    podium_app::display_rounding::set_rounding(app.db.store.as_ref(), &kumo.id, "KRW", "100", now)
        .await
        .expect("rounding on");
    let page = app.get(&url).await;
    let price = testid_text(&page.body, "price").expect("price").to_string();
    assert!(price.ends_with("00") && price != before, "{before} → {price}");
    // The API, the listing and the cart agree with the page.
    let api = app.get("/api/v1/products/kumo-craft-olympic-heritage-laurel-tee?country=KR").await.json();
    let variant = api["variants"].as_array().expect("variants").iter().find(|v| v["sku"] == JP_TEE).expect("S");
    let rounded = money(&variant["price"]);
    assert_eq!(rounded.minor % 100, 0);
    assert_eq!(shown(Lang::Ko, "KR", rounded), price);
    add_to_cart(&mut app, JP_TEE, "2").await;
    let cart = app.get("/cart").await;
    assert!(cart.body.contains(&format!("\">{price}</td>")), "{}", cart.body);
    let q = quote(&mut app, "KR", JP_TEE, 2).await;
    assert_eq!(money(&q["consignments"][0]["lines"][0]["unit_price"]), rounded, "the quote charges it");
    let order_url = buy_through_the_pages(&mut app).await;
    let order = app.get(&order_url).await;
    assert_eq!(testid_text(&order.body, "order-total"), Some(shown(Lang::Ko, "KR", money(&q["total"])).as_str()));
    let number = order_url.trim_start_matches("/orders/").split('?').next().expect("number").to_string();
    let record = app.db.store.order_by_number(&number).await.expect("read").expect("order");
    let line = &record.consignments[0].lines[0];
    assert_eq!((line.unit, line.net), (rounded.minor, 2 * rounded.minor), "charged exactly what was shown");
    // Turning it off shows the converted price again.
    podium_app::display_rounding::set_rounding(app.db.store.as_ref(), &kumo.id, "KRW", "", now).await.expect("off");
    assert_eq!(testid_text(&app.get(&url).await.body, "price"), Some(before.as_str()));
}
