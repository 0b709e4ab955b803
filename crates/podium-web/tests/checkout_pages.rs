//! Buying through the pages, without JavaScript: forms post and redirect, as a browser with
//! scripts off would do it. The merchant fulfils through its console.

mod common;

use axum::http::StatusCode;
use common::{as_pairs, TestApp};
use podium_app::catalogue::CatalogueStore;
use podium_app::inventory::InventoryStore;
use podium_store::testing::Backend;

const KR_TEE: &str = "hanok-threads:TEE-OH-M";
const GB_PIN: &str = "thames-pin:PIN-OH-GOLD";

async fn product_page_of(app: &mut TestApp, sku: &str) -> String {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let v = p.variants.iter().find(|v| v.sku == code).expect("variant");
    format!("/products/{}?variant={}", p.slug, v.sku)
}

async fn add_to_cart(app: &mut TestApp, sku: &str, quantity: &str) -> common::Reply {
    let url = product_page_of(app, sku).await;
    let page = app.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"add-to-cart\""), "the product page offers Add to cart");
    let mut fields = page.form_fields("/cart/add");
    for f in fields.iter_mut().filter(|(k, _)| k == "quantity") {
        f.1 = quantity.to_string();
    }
    assert!(fields.iter().any(|(k, v)| k == "sku" && v == sku), "{fields:?}");
    app.post_form("/cart/add", &as_pairs(&fields)).await
}

async fn held(app: &TestApp, sku: &str) -> i64 {
    let (shop, code) = sku.split_once(':').expect("sku");
    let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
    let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
    let v = p.variants.iter().find(|v| v.sku == code).expect("variant");
    app.db.store.stock_levels(&v.id).await.expect("levels").iter().map(|l| l.reserved).sum()
}

/// Address → shipping → payment (the sandbox's card form) → review; returns the review page.
async fn to_review(app: &mut TestApp, card: &str) -> common::Reply {
    let checkout = app.get("/checkout").await;
    assert_eq!(checkout.status, StatusCode::OK, "{}", checkout.body);
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
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/checkout?step=shipping"), "{}", r.body);
    let shipping = app.get("/checkout?step=shipping").await;
    assert!(shipping.body.contains("data-testid=\"shipping-step\""));
    let payment = app.get("/checkout?step=payment").await;
    assert!(payment.body.contains("action=\"/sandbox/cards\""), "the card form posts to the sandbox provider");
    let mut fields = payment.form_fields("/sandbox/cards");
    for (k, v) in fields.iter_mut() {
        if k == "card_number" {
            *v = card.to_string();
        }
    }
    let r = app.post_form("/sandbox/cards", &as_pairs(&fields)).await;
    let to = r.header("location").to_string();
    assert!(to.starts_with("/checkout?step=review&pm=pm_"), "{to}");
    let review = app.get(&to).await;
    assert!(review.body.contains("data-testid=\"place-order\""), "{}", review.body);
    assert!(!review.body.contains(card), "the number is not on the page");
    review
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_buys_through_the_pages_and_the_shop_fulfils_through_its_console() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // The fan ships to Korea and reads Korean.
    app.get("/?country=KR&lang=ko").await;
    assert_eq!(add_to_cart(&mut app, KR_TEE, "2").await.header("location"), "/cart");
    assert_eq!(add_to_cart(&mut app, GB_PIN, "1").await.header("location"), "/cart");
    let cart = app.get("/cart").await;
    assert_eq!(cart.status, StatusCode::OK);
    assert_eq!(cart.body.matches("data-testid=\"consignment\"").count(), 2, "one parcel per shop");
    assert!(cart.body.contains("Hanok Threads") && cart.body.contains("Thames Pin"));
    assert!(cart.body.contains("₩"), "priced in won");
    let review = to_review(&mut app, "4242 4242 4242 4242").await;
    let total = {
        let at =
            review.body.find("data-testid=\"review-total\">").expect("total") + "data-testid=\"review-total\">".len();
        review.body[at..].split('<').next().expect("text").to_string()
    };
    let place = review.form_fields("/checkout/place");
    let r = app.post_form("/checkout/place", &as_pairs(&place)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order_url = r.header("location").to_string();
    assert!(order_url.starts_with("/orders/PD-") && order_url.contains("token="), "{order_url}");
    // A second click on the same review page makes no second order.
    let again = app.post_form("/checkout/place", &as_pairs(&place)).await;
    assert_eq!(again.header("location"), order_url);
    let order = app.get(&order_url).await;
    assert_eq!(order.status, StatusCode::OK);
    assert!(order.body.contains("data-testid=\"order-placed\""));
    assert!(order.body.contains("결제 완료"), "paid, in Korean");
    assert!(order.body.contains(&total), "the order shows what the review said: {total}");
    assert_eq!(order.body.matches("data-testid=\"order-consignment\"").count(), 2);
    assert_eq!(held(&app, KR_TEE).await, 0);
    let cart = app.get("/cart").await;
    assert!(!cart.body.contains("data-testid=\"consignment\""), "the cart is empty after paying");

    // The merchant of Hanok Threads sees the parcel, accepts it and ships it with codes.
    let codes = {
        let (shop, code) = KR_TEE.split_once(':').expect("sku");
        let found = app.db.store.product_ids_by_skus(&[(shop.to_string(), code.to_string())]).await.expect("find");
        let p = app.db.store.products_by_ids(&[found[0].2.clone()]).await.expect("read").remove(0);
        let who = podium_app::licensing::ActingUser { name: "Licensing desk".into(), ..Default::default() };
        let mut rng = rand::random::<u64>;
        podium_app::licensing::issue_codes(
            app.db.store.as_ref(),
            &who,
            &p.property.licensor_id,
            &p.slug,
            code,
            2,
            &mut rng,
        )
        .await
        .expect("issue")
    };
    assert_eq!(codes.quantity, 2);
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let list = merchant.get("/console/shops/hanok-threads/orders").await;
    assert_eq!(list.status, StatusCode::OK);
    let number = order_url.trim_start_matches("/orders/").split('?').next().expect("number").to_string();
    assert!(list.body.contains(&number), "the consignment is listed");
    assert!(!list.body.contains("Thames Pin"), "only its own");
    let link = {
        let marker = "href=\"/console/shops/hanok-threads/orders/";
        let at = list.body.find(marker).expect("link") + "href=\"".len();
        list.body[at..].split('"').next().expect("href").to_string()
    };
    let detail = merchant.get(&link).await;
    let accept = detail.form_fields(&format!("{link}/accept"));
    let r = merchant.post_form(&format!("{link}/accept"), &as_pairs(&accept)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let detail = merchant.get(&link).await;
    let mut ship = detail.form_fields(&format!("{link}/ship"));
    let prefilled: Vec<String> = ship.iter().filter(|(k, _)| k.starts_with("code.")).map(|(_, v)| v.clone()).collect();
    assert_eq!(prefilled.len(), 2, "one code field per unit, filled from the issued codes");
    assert!(prefilled.iter().all(|c| c.len() == 13));
    // Without a tracking number it is refused, and what was typed stays.
    for (k, v) in ship.iter_mut() {
        if k == "carrier" {
            *v = "CJ Logistics".into();
        }
    }
    let r = merchant.post_form(&format!("{link}/ship"), &as_pairs(&ship)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("CJ Logistics"));
    for (k, v) in ship.iter_mut() {
        if k == "tracking" {
            *v = "6896-2231-0042".into();
        }
    }
    let r = merchant.post_form(&format!("{link}/ship"), &as_pairs(&ship)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = app.get(&order_url).await;
    assert!(order.body.contains("6896-2231-0042"), "tracking on the fan's page");
    for c in &prefilled {
        assert!(order.body.contains(&format!("href=\"/verify/{c}\"")), "a verify link per unit");
    }
    let verify = app.get(&format!("/verify/{}", prefilled[0])).await;
    assert!(verify.body.contains("data-status=\"genuine\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_says_so_and_holds_nothing() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=KR&lang=en").await;
    add_to_cart(&mut app, GB_PIN, "1").await;
    let review = to_review(&mut app, "4000000000000002").await;
    let r = app.post_form("/checkout/place", &as_pairs(&review.form_fields("/checkout/place"))).await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED);
    assert!(r.body.contains("Your card was declined. Nothing was charged and nothing is held for you"), "{}", r.body);
    assert!(r.body.contains("action=\"/sandbox/cards\""), "back on the payment step");
    assert_eq!(held(&app, GB_PIN).await, 0, "nothing stays reserved");
    // Another card works with the same cart.
    let review = to_review(&mut app, "4242424242424242").await;
    let r = app.post_form("/checkout/place", &as_pairs(&review.form_fields("/checkout/place"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Adding more than is left is refused on the cart page with the reason.
    let r = add_to_cart(&mut app, KR_TEE, "999").await;
    assert!(r.status == StatusCode::CONFLICT || r.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.status);
    assert!(r.body.contains("data-testid=\"cart-error\""));
    // A form without its CSRF token is refused.
    assert_eq!(app.post_form("/cart/add", &[("sku", GB_PIN), ("quantity", "1")]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cart_joins_the_fans_cart_on_sign_in() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/?country=KR").await;
    add_to_cart(&mut app, GB_PIN, "1").await;
    let r = app.sign_in("fan@podium.example", "fan-demo-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The fan signs in from another browser: the cart is theirs there too.
    let mut other = app.clone_app();
    other.get("/?country=KR").await;
    other.sign_in("fan@podium.example", "fan-demo-2026").await;
    let cart = other.get("/cart").await;
    assert!(cart.body.contains("Thames Pin"), "the guest's line followed the fan");
}
