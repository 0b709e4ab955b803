//! Cross-border pricing as fans and API clients meet it: display prices, delivered prices,
//! quotes for the demo in every country of the default trade rules, shipping coverage.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_app::catalogue::CatalogueStore;
use podium_app::shipping::ShippingStore;
use podium_store::testing::Backend;
use serde_json::{json, Value};

fn minor(v: &Value) -> i64 {
    v["minor"].as_i64().unwrap_or_else(|| panic!("money: {v}"))
}

/// `amount × bp / 10000`, rounded half to even, as DESIGN §3.5 rounds every amount.
fn percent(amount: i64, bp: i64) -> i64 {
    let num = amount * bp;
    let (q, r) = (num.div_euclid(10_000), num.rem_euclid(10_000));
    match (2 * r).cmp(&10_000) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q % 2),
    }
}

async fn quote(app: &mut TestApp, country: &str, lines: Value) -> (StatusCode, Value) {
    let r = app.post_json("/api/v1/quotes", json!({"country": country, "lines": lines}), &[]).await;
    (r.status, r.json())
}

/// A Japanese T-shirt (HS 6109) twice and a pin (HS 7117) from Kumo Craft in Tokyo, and a hoodie
/// (HS 6110) from Rocky Ridge in Denver: two consignments wherever the fan is.
fn basket() -> Value {
    json!([
        {"sku": "kumo-craft:TEE-OH-M", "quantity": 2},
        {"sku": "kumo-craft:PIN-OH-GOLD", "quantity": 1},
        {"sku": "rocky-ridge:HOODIE-OH-S", "quantity": 1}
    ])
}

#[tokio::test]
async fn quotes_follow_the_default_trade_rules_in_every_modelled_country() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // (country, currency, Kumo Craft's regime, Rocky Ridge's regime, VAT bp, duty rule)
    let cases = [
        ("DE", "EUR", "low_value", "low_value", 1900),
        ("FR", "EUR", "low_value", "low_value", 2000),
        ("GB", "GBP", "low_value", "low_value", 2000),
        ("AU", "AUD", "low_value", "low_value", 1000),
        ("US", "USD", "standard", "domestic", 0),
        ("JP", "JPY", "domestic", "de_minimis", 1000),
        ("KR", "KRW", "de_minimis", "de_minimis", 1000),
        ("CN", "CNY", "low_value", "low_value", 910),
        ("KE", "KES", "standard", "standard", 1600),
        ("CA", "CAD", "unmodelled", "unmodelled", 0),
    ];
    for (country, currency, kumo, rocky, vat_bp) in cases {
        let (status, q) = quote(&mut app, country, basket()).await;
        assert_eq!(status, StatusCode::OK, "{country}: {q}");
        assert_eq!(q["currency"], currency, "{country}: the country's currency by default");
        let cons = q["consignments"].as_array().expect("consignments");
        assert_eq!(cons.len(), 2, "{country}: one consignment per shop");
        assert_eq!(
            (cons[0]["shop"].as_str(), cons[0]["regime"].as_str()),
            (Some("kumo-craft"), Some(kumo)),
            "{country}"
        );
        assert_eq!(
            (cons[1]["shop"].as_str(), cons[1]["regime"].as_str()),
            (Some("rocky-ridge"), Some(rocky)),
            "{country}"
        );
        let mut sum = 0;
        for c in cons {
            let (goods, shipping, vat, duty, total) =
                (minor(&c["goods"]), minor(&c["shipping"]), minor(&c["vat"]), minor(&c["duty"]), minor(&c["total"]));
            assert_eq!(total, goods + shipping + vat + duty, "{country}: the parts add up");
            let lines: i64 = c["lines"].as_array().expect("lines").iter().map(|l| minor(&l["net"])).sum();
            assert_eq!(goods, lines, "{country}: goods are the lines' net prices");
            match c["regime"].as_str() {
                // EU from July 2026: 3.00 EUR per distinct HS-6 outside the VAT base. Kumo sends
                // T-shirts and a pin (two subheadings), Rocky Ridge one hoodie. Elsewhere no duty.
                Some("low_value") => {
                    assert_eq!(vat, percent(goods + shipping, vat_bp), "{country}: VAT on goods and shipping");
                    let hs6 = if c["shop"] == "kumo-craft" { 2 } else { 1 };
                    let flat = if currency == "EUR" { 300 * hs6 } else { 0 };
                    assert_eq!(duty, flat, "{country}: low-value duty");
                }
                Some("domestic") => assert_eq!(vat, percent(goods + shipping, vat_bp), "{country}"),
                Some("de_minimis") | Some("unmodelled") => assert_eq!((vat, duty), (0, 0), "{country}"),
                Some("standard") => {
                    // US 5 %, KE 25 % on every line; import VAT on goods + shipping + duty.
                    let duty_bp = if country == "US" { 500 } else { 2500 };
                    assert_eq!(duty, percent(goods, duty_bp), "{country}: duty rounded once");
                    assert_eq!(vat, percent(goods + shipping + duty, vat_bp), "{country}: import VAT");
                }
                other => panic!("{country}: unexpected regime {other:?}"),
            }
            assert_eq!(c["duties_due_on_delivery"], country == "CA", "{country}");
            sum += total;
        }
        assert_eq!(minor(&q["total"]), sum, "{country}: the quote's total is its consignments'");
        assert!(
            q["rates"].as_array().is_some_and(|r| r.iter().any(|r| r["currency"] == "JPY" && r["per_eur"] == "161.25")),
            "{country}: the rates used are listed"
        );
    }
    // Worked by hand for Germany: 2 × ¥5,850 + ¥1,800 = ¥13,500 → €72.56 (each line converted,
    // 5,850 / 161.25 = 36.279… → €36.28). Shipping: the T-shirts' rest-of-world zone (¥2,300
    // flat, ¥480 per extra item) carries the first item; the second T-shirt adds ¥480, the
    // pin's small parcel ¥160 → ¥2,940 → €18.23. VAT 19 % of €90.79 = €17.25; duty €6.00.
    let (_, q) = quote(&mut app, "DE", basket()).await;
    let kumo = &q["consignments"][0];
    assert_eq!(
        [&kumo["goods"], &kumo["shipping"], &kumo["vat"], &kumo["duty"], &kumo["total"]].map(minor),
        [7256, 1823, 1725, 600, 11404]
    );
    // China refuses a consignment over 5,000 CNY as a whole, and says so.
    let big = json!([{"sku": "kumo-craft:TEE-OH-XL", "quantity": 15}, {"sku": "kumo-craft:TEE-OH-L", "quantity": 12}]);
    let (status, problem) = quote(&mut app, "CN", big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().is_some_and(|d| d.contains("5000.00 CNY") && d.contains("Kumo Craft")),
        "{problem}"
    );
}

#[tokio::test]
async fn a_line_that_cannot_be_delivered_is_named_with_its_reason() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let cases = [
        // The Kenya Ice Lions licence covers Korea and Kenya only.
        ("FR", "hanok-threads:TEE-KIL-M", 1, "the licence does not cover sales to France"),
        // Savannah Stitch ships to East Africa, Europe and North America only.
        ("JP", "savannah-stitch:TEE-OH-M", 1, "the shop does not ship this product to Japan"),
        ("FR", "kumo-craft:TEE-OH-M", 500, "only 9 left in stock"),
        ("FR", "kumo-craft:NO-SUCH-SKU", 1, "no product has this SKU"),
    ];
    for (country, sku, quantity, reason) in cases {
        let lines = json!([{"sku": "kumo-craft:PIN-OH-GOLD", "quantity": 1}, {"sku": sku, "quantity": quantity}]);
        let (status, problem) = quote(&mut app, country, lines).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{sku}");
        assert_eq!(problem["field"], "lines[1]", "{sku}");
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(detail.starts_with(&format!("line 2 ({sku})")) && detail.ends_with(reason), "{detail}");
    }
    let (status, problem) = quote(&mut app, "FR", json!([{"sku": "kumo-craft:TEE-OH-M", "quantity": 0}])).await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].quantity")));
    let (status, _) = quote(&mut app, "ZZ", basket()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = quote(&mut app, "FR", json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn pages_listings_and_the_api_show_the_same_display_and_delivered_prices() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for (country, currency) in
        [("FR", "EUR"), ("US", "USD"), ("JP", "JPY"), ("GB", "GBP"), ("KE", "KES"), ("CA", "CAD")]
    {
        let list = app.get(&format!("/api/v1/products?country={country}&per_page=100&sort=price_asc")).await.json();
        let items = list["items"].as_array().expect("items");
        assert!(!items.is_empty(), "{country}");
        // The price sort is by the display price the fan sees.
        let prices: Vec<i64> = items.iter().map(|i| minor(&i["price"])).collect();
        assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{country}: sorted by display price");
        assert!(items.iter().all(|i| i["price"]["currency"] == currency), "{country}");
        let bands: u64 =
            list["facets"]["price"].as_array().expect("bands").iter().filter_map(|b| b["count"].as_u64()).sum();
        assert_eq!(bands, list["total"].as_u64().unwrap_or(0), "{country}: every result in one price band");
        // Every fifth item: the product API's display price is the listing's, and its delivered
        // price is what the quote API says for one item of that variant.
        let mut delivered_checked = 0;
        for item in items.iter().step_by(5) {
            let slug = item["slug"].as_str().expect("slug");
            let p = app.get(&format!("/api/v1/products/{slug}?country={country}")).await.json();
            assert_eq!(p["price"], item["price"], "{country} {slug}: listing and product agree");
            // Out of stock, nothing to deliver: the rest of the page is compared.
            let Some(delivered) = p.get("delivered") else { continue };
            delivered_checked += 1;
            let sku = delivered["lines"][0]["sku"].as_str().expect("sku");
            let (status, q) = quote(&mut app, country, json!([{"sku": sku, "quantity": 1}])).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                &q["consignments"][0], delivered,
                "{country} {slug}: the product's delivered price is the quote"
            );
            // And the product page shows that total.
            let page = app.get(&format!("/products/{slug}?country={country}&lang=en")).await;
            // Written as an English reader in that country expects it (CLDR, en-CA, en-AU…).
            let total = podium_web::money_format::format(
                podium_domain::Lang::En,
                podium_domain::Country::parse(country).ok(),
                podium_domain::Money::new(
                    minor(&delivered["total"]),
                    podium_domain::Currency::parse(currency).expect("currency"),
                ),
            );
            assert!(
                page.body.contains(&format!("data-testid=\"delivered-total\">{total}<")),
                "{country} {slug}: the page shows {total}"
            );
        }
        assert!(delivered_checked >= 5, "{country}: only {delivered_checked} delivered prices compared");
    }
    // Tax-inclusive countries show VAT in the display price; the US shows the net price.
    let fr = app.get("/api/v1/products/kumo-craft-olympic-heritage-laurel-tee?country=FR").await.json();
    let us = app.get("/api/v1/products/kumo-craft-olympic-heritage-laurel-tee?country=US&currency=EUR").await.json();
    assert_eq!((fr["price_includes_tax"].as_bool(), us["price_includes_tax"].as_bool()), (Some(true), Some(false)));
    // €29.15 net (¥4,700 / 161.25): 20 % French VAT on a low-value import makes €34.98.
    assert_eq!((minor(&us["price"]), minor(&fr["price"])), (2915, 3498));
    // An explicit price in a second currency wins: Atelier Chamonix prices its scarves at
    // £27.00 by hand; with 20 % UK VAT on a low-value import the fan sees £32.40.
    let gb = app.get("/api/v1/products/atelier-chamonix-olympic-heritage-vintage-poster-scarf?country=GB").await.json();
    assert_eq!(gb["variants"][0]["price"]["formatted"], "£32.40", "{gb}");
}

#[tokio::test]
async fn products_are_offered_only_where_a_shipping_zone_reaches() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let slug = "savannah-stitch-olympic-heritage-vintage-poster-tee";
    let fr = app.get(&format!("/api/v1/products/{slug}?country=FR")).await.json();
    assert_eq!(fr["sellable"], true, "{fr}");
    let jp = app.get(&format!("/api/v1/products/{slug}?country=JP&lang=en")).await.json();
    assert_eq!(jp["sellable"], false);
    assert_eq!(jp["not_sellable_reason"], "Not available for delivery to Japan.");
    assert!(jp.get("delivered").is_none());
    let page = app.get(&format!("/products/{slug}?country=JP&lang=en")).await;
    assert!(page.body.contains("data-testid=\"not-sellable\">Not available for delivery to Japan.<"));
    assert!(!page.body.contains("data-testid=\"delivered\""));
    for (country, listed) in [("JP", false), ("KR", false), ("FR", true), ("US", true), ("KE", true)] {
        let shops = app.get(&format!("/api/v1/products?country={country}&shop=savannah-stitch")).await.json();
        assert_eq!(shops["total"].as_u64().is_some_and(|n| n > 0), listed, "{country}");
    }
}

#[tokio::test]
async fn an_imported_rule_change_moves_the_next_quote() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let lines = json!([{"sku": "rocky-ridge:HOODIE-OH-S", "quantity": 1}]);
    let (_, before) = quote(&mut app, "CA", lines.clone()).await;
    assert_eq!(before["consignments"][0]["regime"], "unmodelled");
    // The operator adds Canada: 5 % GST, 18 % duty on hoodies, 8 % otherwise, no threshold.
    let mut rules = podium_app::trade_rules::DEFAULT_RULES.to_string();
    rules.push_str(
        "\n[[country]]\ncode = \"CA\"\nvat_bp = 500\nprices_include_tax = false\nduty_default_bp = 800\n\
         duty = [ { hs = \"6110\", bp = 1800 } ]\n",
    );
    podium_app::trade_rules::import(app.db.store.as_ref(), &rules, "operator@podium.example").await.expect("import");
    let (_, after) = quote(&mut app, "CA", lines).await;
    let c = &after["consignments"][0];
    assert_eq!(c["regime"], "standard", "{after}");
    let (goods, shipping) = (minor(&c["goods"]), minor(&c["shipping"]));
    assert_eq!(minor(&c["duty"]), percent(goods, 1800));
    assert_eq!(minor(&c["vat"]), percent(goods + shipping + percent(goods, 1800), 500));
}

#[tokio::test]
async fn a_merchant_sets_shipping_profiles_and_fans_see_where_products_ship() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // Only the shop's own people reach its shipping page.
    let r = app.get("/console/shops/hanok-threads/shipping").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "signed out: to the sign-in page");
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    assert_eq!(app.get("/console/shops/hanok-threads/shipping").await.status, StatusCode::FORBIDDEN);
    let csrf = app.get("/").await.csrf();
    app.post_form("/signout", &[("csrf_token", &csrf)]).await;
    app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let console = app.get("/console/shops/hanok-threads?lang=en").await;
    assert!(console.body.contains("href=\"/console/shops/hanok-threads/shipping\""), "one click from the shop console");
    let page = app.get("/console/shops/hanok-threads/shipping?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"Standard\"") && page.body.contains("value=\"Small parcel\""));
    let csrf = page.csrf();
    // A mistyped country is refused with the zone named, and what was typed stays.
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("id", ""),
        ("name", "Korea only"),
        ("zone.0.name", "Korea"),
        ("zone.0.countries", "KR, XX"),
        ("zone.0.flat", "3000"),
        ("zone.0.per_item", "500"),
        ("zone.0.days_min", "1"),
        ("zone.0.days_max", "2"),
    ];
    let r = app.post_form("/console/shops/hanok-threads/shipping?lang=en", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Zone “Korea”: “XX” is not a country code such as FR or JP."), "{}", r.body.len());
    assert!(r.body.contains("value=\"KR, XX\""), "the input is kept");
    form[4] = ("zone.0.countries", "KR");
    let r = app.post_form("/console/shops/hanok-threads/shipping", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Give the Kenya Ice Lions tee (licensed for Korea and Kenya) the Korea-only profile.
    let tee = app
        .db
        .store
        .product_by_slug("hanok-threads-kenya-ice-lions-face-off-tee")
        .await
        .expect("read")
        .expect("product");
    let page = app.get("/console/shops/hanok-threads/shipping").await;
    let profiles = app.db.store.shipping_profiles(&tee.shop.id).await.expect("profiles");
    let korea = profiles.iter().find(|p| p.name == "Korea only").cloned().expect("saved");
    let standard = profiles.iter().find(|p| p.is_default).cloned().expect("default");
    assert_eq!(korea.zones[0].flat.minor, 3000);
    let field = format!("product.{}", tee.id);
    let r = app
        .post_form("/console/shops/hanok-threads/shipping/assign", &[("csrf_token", &page.csrf()), (&field, &korea.id)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.catch_up().await;
    let slug = "hanok-threads-kenya-ice-lions-face-off-tee";
    let ke = app.get(&format!("/api/v1/products/{slug}?country=KE&lang=en")).await.json();
    assert_eq!(
        (ke["sellable"].as_bool(), ke["not_sellable_reason"].as_str()),
        (Some(false), Some("Not available for delivery to Kenya."))
    );
    let kr = app.get(&format!("/api/v1/products/{slug}?country=KR")).await.json();
    assert_eq!(kr["delivered"]["shipping"]["minor"], 3000, "the new zone's flat rate");
    let listed = app.get("/api/v1/products?country=KE&shop=hanok-threads&per_page=100").await.json();
    assert!(listed["items"].as_array().is_some_and(|i| i.iter().all(|p| p["slug"] != slug)), "not listed in Kenya");
    // The default profile cannot be deleted; another can, and its products go back to the default.
    let r = app
        .post_form(
            &format!("/console/shops/hanok-threads/shipping/{}/delete?lang=en", standard.id),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The default profile cannot be deleted"));
    let r = app
        .post_form(
            &format!("/console/shops/hanok-threads/shipping/{}/delete", korea.id),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.catch_up().await;
    let ke = app.get(&format!("/api/v1/products/{slug}?country=KE")).await.json();
    assert_eq!(ke["sellable"], true);
}

#[tokio::test]
async fn a_cart_prices_each_shop_as_the_quote_does_and_sets_aside_what_cannot_be_delivered() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.post_json("/api/v1/carts", json!({"country": "KR"}), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let cart = r.json();
    assert_eq!((cart["currency"].as_str(), cart["total"]["minor"].as_i64()), (Some("KRW"), Some(0)));
    let id = cart["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 48, "a random token, not a guessable number");
    let lines_url = format!("/api/v1/carts/{id}/lines");
    // A Korean T-shirt and a British pin: two shops, two consignments, priced like a quote.
    for (sku, quantity) in [("hanok-threads:TEE-OH-M", 1), ("thames-pin:PIN-OH-GOLD", 2), ("hanok-threads:TEE-OH-M", 1)]
    {
        let r = app.post_json(&lines_url, json!({"sku": sku, "quantity": quantity}), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let cart = app.get(&format!("/api/v1/carts/{id}")).await.json();
    let (_, q) = quote(
        &mut app,
        "KR",
        json!([{"sku": "hanok-threads:TEE-OH-M", "quantity": 2}, {"sku": "thames-pin:PIN-OH-GOLD", "quantity": 2}]),
    )
    .await;
    assert_eq!(cart["consignments"], q["consignments"], "the cart's consignments are the quote's");
    assert_eq!(cart["total"], q["total"]);
    assert_eq!(cart["consignments"][0]["regime"], "domestic");
    // What cannot be delivered to Korea is refused with the reason; nonsense is refused too.
    let r = app.post_json(&lines_url, json!({"sku": "savannah-stitch:TEE-OH-M", "quantity": 1}), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["detail"]
        .as_str()
        .is_some_and(|d| d.ends_with("the shop does not ship this product to South Korea")));
    let r = app.post_json(&lines_url, json!({"sku": "hanok-threads:TEE-OH-M", "quantity": 0}), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/carts/no-such-cart").await.status, StatusCode::NOT_FOUND);
    // A line that becomes undeliverable is set aside with its reason, and the rest still prices.
    let slug = cart["consignments"][0]["lines"][0]["product"].as_str().expect("slug").to_string();
    let tee = app.db.store.product_by_slug(&slug).await.expect("read").expect("the tee of TEE-OH-M");
    let japan_only = podium_domain::shipping::ShippingProfile {
        id: String::new(),
        name: "Japan only".into(),
        is_default: false,
        zones: vec![podium_domain::shipping::Zone {
            name: "Japan".into(),
            countries: vec![podium_domain::Country::parse("JP").expect("jp")],
            rest_of_world: false,
            flat: podium_domain::Money::new(5000, podium_domain::Currency::KRW),
            per_item: podium_domain::Money::new(0, podium_domain::Currency::KRW),
            days_min: 2,
            days_max: 4,
        }],
    };
    let saved = app.db.store.save_shipping_profile(&tee.shop.id, &japan_only).await.expect("save");
    app.db
        .store
        .assign_shipping_profile(&tee.shop.id, std::slice::from_ref(&tee.id), Some(&saved.id))
        .await
        .expect("assign");
    let cart = app.get(&format!("/api/v1/carts/{id}")).await.json();
    assert_eq!(cart["set_aside"][0]["sku"], "hanok-threads:TEE-OH-M", "{cart}");
    assert_eq!(cart["set_aside"][0]["reason"], "the shop does not ship this product to South Korea");
    assert_eq!(cart["consignments"].as_array().map(Vec::len), Some(1), "the pins still price");
    assert_eq!(cart["consignments"][0]["shop"], "thames-pin");
}
