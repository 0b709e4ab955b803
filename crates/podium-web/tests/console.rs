//! The merchant console as a shop owner meets it: products, variants, stock, images, CSV,
//! the shop's story, and a licensor's emblem. Runs on both backends.

mod common;

use axum::http::StatusCode;
use common::{png, post_multipart, TestApp};
use podium_app::catalogue::CatalogueStore;
use podium_store::testing::Backend;

async fn merchant(backend: Backend) -> TestApp {
    let mut app = TestApp::new(backend).await;
    let r = app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app
}

async fn create_edit_and_publish(backend: Backend) {
    let mut app = merchant(backend).await;
    let home = app.get("/console/merchant").await;
    assert!(home.body.contains("href=\"/console/shops/hanok-threads\""), "the merchant console links to the shop");
    let shop = app.get("/console/shops/hanok-threads").await;
    assert_eq!(shop.status, StatusCode::OK);
    assert!(shop.body.contains("/console/shops/hanok-threads/products/new"));
    let form = app.get("/console/shops/hanok-threads/products/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("Handle", "tiger-scarf"),
        ("Status", "active"),
        ("Property", "pyeongchang-2018"),
        ("Category", "scarves"),
        ("Language", "ko"),
        ("Tags", "winter, scarf"),
        ("HS Code", "6117.10"),
        ("Origin Country", "KR"),
        ("Variant Grams", "180"),
        ("Title (ko)", "수호랑 목도리"),
        ("Body (ko)", "따뜻한 겨울 목도리"),
        ("Title (en)", "Soohorang tiger scarf"),
        ("Body (en)", "A warm winter scarf."),
        ("Option1 Name", "Colour"),
        ("Variant SKU.0", "SCARF-WHT"),
        ("Option1 Value.0", "White"),
        ("Variant Price.0", "29000.5"),
        ("Variant Barcode.0", "4006381333932"),
        ("Stock 0.0", "12"),
        ("Variant SKU.1", "SCARF-RED"),
        ("Option1 Value.1", "Red"),
        ("Variant Price.1", "29000"),
        ("Variant Prices.1", "USD 22.00"),
        ("Stock 0.1", "4"),
    ];
    // Bad input: shown beside the field, with what was typed kept, and nothing saved.
    let bad = app.post_form("/console/shops/hanok-threads/products", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"variant-price-0-error\""), "the price error sits by its field");
    // In the merchant's words, not the CSV's column names.
    assert!(bad.body.contains("Give the price of one unit in KRW, before VAT"), "{}", bad.body);
    assert!(bad.body.contains("the last digit checks the others"), "{}", bad.body);
    assert!(!bad.body.contains("Variant Price &#34;"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Soohorang tiger scarf\""), "typed values are kept");
    assert!(bad.body.contains("value=\"SCARF-RED\""));
    assert_eq!(app.get("/products/hanok-threads-tiger-scarf").await.status, StatusCode::NOT_FOUND);
    // Fixed, it saves and lands on the edit page.
    for f in fields.iter_mut() {
        match f.0 {
            "Variant Price.0" => f.1 = "29000",
            "Variant Barcode.0" => f.1 = "4006381333931",
            _ => {}
        }
    }
    let ok = app.post_form("/console/shops/hanok-threads/products", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.header("location"), "/console/shops/hanok-threads/products/tiger-scarf?saved=product");
    let edit = app.get("/console/shops/hanok-threads/products/tiger-scarf?saved=product").await;
    assert!(edit.body.contains("value=\"SCARF-WHT\"") && edit.body.contains("value=\"USD 22.00\""));
    // Fans cannot see it until the licensor approves it; the shop sees a preview.
    let preview = app.get("/products/hanok-threads-tiger-scarf?lang=ko&country=KR").await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("data-testid=\"preview\""));
    let hidden = app.get_anonymous("/products/hanok-threads-tiger-scarf?lang=ko&country=KR").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "not approved yet");
    // Once approved at the final stage, fans see it in Korean and with its price.
    app.approve_through_final("hanok-threads-tiger-scarf").await;
    let page = app.get_anonymous("/products/hanok-threads-tiger-scarf?lang=ko&country=KR").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("수호랑 목도리") && page.body.contains("₩29,000"), "{}", page.body);
    assert!(!page.body.contains("data-testid=\"preview\""));
    // A second save with the same handle is refused beside the handle field.
    let again = app.post_form("/console/shops/hanok-threads/products", &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("id=\"handle-error\""));
    // Editing: drop the red variant, set stock, go back to draft.
    let csrf = edit.csrf();
    let edit_fields = vec![
        ("csrf_token", csrf.as_str()),
        ("Status", "draft"),
        ("Property", "pyeongchang-2018"),
        ("Category", "scarves"),
        ("Language", "ko"),
        ("HS Code", "611710"),
        ("Origin Country", "KR"),
        ("Variant Grams", "180"),
        ("Title (ko)", "수호랑 목도리"),
        ("Option1 Name", "Colour"),
        ("Variant SKU.0", "SCARF-WHT"),
        ("Option1 Value.0", "White"),
        ("Variant Price.0", "31000"),
        ("Stock 0.0", "3"),
    ];
    let saved = app.post_form("/console/shops/hanok-threads/products/tiger-scarf", &edit_fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = app.get("/console/shops/hanok-threads").await;
    assert!(list.body.contains("tiger-scarf"));
    let record = app.db.store.product_by_slug("hanok-threads-tiger-scarf").await.expect("read").expect("exists");
    assert_eq!(record.variants.len(), 1);
    assert_eq!((record.variants[0].price.minor, record.available()), (31000, 3));
    assert_eq!(
        app.get_anonymous("/products/hanok-threads-tiger-scarf").await.status,
        StatusCode::NOT_FOUND,
        "drafts are hidden"
    );
}

#[tokio::test]
async fn a_merchant_creates_and_edits_a_product_sqlite() {
    create_edit_and_publish(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_merchant_creates_and_edits_a_product_postgres() {
    create_edit_and_publish(Backend::Postgres).await;
}

#[tokio::test]
async fn images_are_checked_resized_and_served_with_cache_headers() {
    let mut app = merchant(Backend::Sqlite).await;
    let slug = "hanok-threads";
    let products = podium_app::catalogue_csv::shop_products(app.db.store.as_ref(), slug).await.expect("products");
    let handle = products[0].handle.clone();
    let edit_uri = format!("/console/shops/{slug}/products/{handle}");
    let csrf = app.get(&edit_uri).await.csrf();
    let upload = format!("{edit_uri}/images");
    let r = post_multipart(
        &mut app,
        &upload,
        &[("csrf_token", &csrf), ("alt", "Front view")],
        ("front.png", &png(900, 600)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A PDF renamed .png is refused by its bytes, with a clear message.
    let r = post_multipart(&mut app, &upload, &[("csrf_token", &csrf)], ("evil.png", b"%PDF-1.7 not an image")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not a PNG, JPEG, WebP or GIF"));
    // Too large: refused before it is read whole.
    let big = vec![0u8; 9 * 1024 * 1024];
    let r = post_multipart(&mut app, &upload, &[("csrf_token", &csrf)], ("big.png", &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("larger than 8 MiB"));
    let record = app.db.store.product_by_slug(&products[0].slug).await.expect("read").expect("exists");
    assert_eq!(record.images.len(), 1, "only the real image was stored");
    let id = &record.images[0].id;
    let thumb = app.get(&format!("/media/{id}/thumb")).await;
    assert_eq!(thumb.status, StatusCode::OK);
    assert_eq!(thumb.header("content-type"), "image/jpeg");
    assert!(thumb.header("cache-control").contains("immutable"));
    let etag = thumb.header("etag").to_string();
    let again = app.get_with(&format!("/media/{id}/thumb"), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let original = app.get(&format!("/media/{id}")).await;
    assert_eq!((original.status, original.header("content-type")), (StatusCode::OK, "image/png"));
    assert_eq!(app.get("/media/no-such-image").await.status, StatusCode::NOT_FOUND);
    // The product page shows the gallery instead of the drawing.
    let page = app.get(&format!("/products/{}", products[0].slug)).await;
    assert!(page.body.contains(&format!("/media/{id}")) && page.body.contains("alt=\"Front view\""));
    // Removing it.
    let r = app.post_form(&format!("{edit_uri}/images/{id}/delete"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/media/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn csv_import_in_the_console_reports_lines_and_export_downloads() {
    let mut app = merchant(Backend::Sqlite).await;
    let export = app.get("/console/shops/hanok-threads/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.header("content-type").starts_with("text/csv"));
    assert!(export.header("content-disposition").contains("hanok-threads-products.csv"));
    assert!(export.body.starts_with("Handle,Title,Body (HTML),Vendor,Type,Tags"));
    let csrf = app.get("/console/shops/hanok-threads").await.csrf();
    let r = post_multipart(
        &mut app,
        "/console/shops/hanok-threads/import",
        &[("csrf_token", &csrf)],
        ("p.csv", export.body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("0 new"), "{}", r.body);
    let broken = "Handle,Title,Property,Category,HS Code,Origin Country,Variant SKU,Variant Price\n\
                  new-mug,Mug,pyeongchang-2018,mugs,691200,KR,MUG-1,12000\n\
                  bad-mug,Mug,nowhere,mugs,12,KR,MUG-2,abc\n";
    let r = post_multipart(
        &mut app,
        "/console/shops/hanok-threads/import",
        &[("csrf_token", &csrf)],
        ("b.csv", broken.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("line 3: Property &#34;nowhere&#34; does not exist"), "{}", r.body);
    assert!(r.body.contains("line 3: Variant Price &#34;abc&#34; is not an amount in KRW"));
    assert!(app.db.store.product_by_slug("hanok-threads-new-mug").await.expect("read").is_none(), "all or nothing");
}

#[tokio::test]
async fn only_members_reach_a_shop_console() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/console/shops/hanok-threads").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").starts_with("/signin?next=/console/shops/hanok-threads"));
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    assert_eq!(app.get("/console/shops/hanok-threads").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/console/shops/hanok-threads/export.csv").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn shop_stories_and_property_emblems_show_on_public_pages() {
    let mut app = merchant(Backend::Sqlite).await;
    let csrf = app.get("/console/shops/hanok-threads").await.csrf();
    let story = "We print by hand in Jeonju.\r\n\r\nEvery scarf is numbered.";
    let r = app.post_form("/console/shops/hanok-threads/story", &[("csrf_token", &csrf), ("story", story)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/shops/hanok-threads").await;
    assert!(
        page.body.contains("<p>We print by hand in Jeonju.</p>")
            && page.body.contains("<p>Every scarf is numbered.</p>")
    );

    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let console = app.get("/console/licensor").await;
    assert_eq!(console.status, StatusCode::OK);
    let property = ["/console/properties/", "\"/properties/"]
        .iter()
        .find_map(|m| console.body.split(m).nth(1).map(|rest| rest.split(['/', '"']).next().unwrap_or("").to_string()))
        .expect("the licensor console lists its properties");
    let csrf = console.csrf();
    let r = post_multipart(
        &mut app,
        &format!("/console/properties/{property}/emblem"),
        &[("csrf_token", &csrf)],
        ("e.png", &png(300, 300)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").contains("emblem=saved"), "{}", r.header("location"));
    let public = app.get(&format!("/properties/{property}")).await;
    assert!(public.body.contains("class=\"emblem\""), "the emblem shows on the property page");
}

#[tokio::test]
async fn the_operator_imports_ecb_rates_and_enters_the_ones_the_ecb_lacks() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let csrf = app.get("/").await.csrf();
    // Today's rates: newer than the demo's (yesterday's), so they are the ones shown.
    let today = time::OffsetDateTime::now_utc().date();
    let xml = format!(
        "<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
         xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\"><Cube><Cube time='{today}'>\
         <Cube currency='USD' rate='1.2000'/><Cube currency='JPY' rate='150.00'/></Cube></Cube></gesmes:Envelope>"
    );
    let r =
        post_multipart(&mut app, "/console/operator/rates", &[("csrf_token", &csrf)], ("daily.xml", xml.as_bytes()))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "merchants do not set rates");
    let csrf = app.get("/").await.csrf();
    app.post_form("/signout", &[("csrf_token", &csrf)]).await;
    app.sign_in("operator@podium.example", "operator-demo-2026").await;
    let console = app.get("/console/operator?lang=en").await;
    assert!(console.body.contains("action=\"/console/operator/rates\""), "the upload is on the console");
    let csrf = console.csrf();
    let r =
        post_multipart(&mut app, "/console/operator/rates", &[("csrf_token", &csrf)], ("daily.xml", xml.as_bytes()))
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(r.header("location")).await;
    assert!(page.body.contains("Imported 2 rates."), "told what came in");
    assert!(page
        .body
        .contains(&format!("<th scope=\"row\">USD</th><td class=\"num\">1.2000</td><td>{today}</td><td>ECB</td>")));
    // A file that is not ECB data changes nothing and says so.
    let r = post_multipart(&mut app, "/console/operator/rates", &[("csrf_token", &csrf)], ("x.csv", b"hello")).await;
    let page = app.get(&format!("{}&lang=en", r.header("location").replace('#', "&x=#"))).await;
    assert!(page.body.contains("Nothing changed."), "{}", r.header("location"));
    assert!(page.body.contains("<td class=\"num\">1.2000</td>"));
    // KES is entered by hand, with its source, dated today.
    let r = app
        .post_form(
            "/console/operator/rates/manual",
            &[("csrf_token", &csrf), ("currency", "kes"), ("per_eur", "140.25"), ("source", "Central Bank of Kenya")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/console/operator?lang=en").await;
    assert!(page.body.contains("<td class=\"num\">140.25</td>"));
    assert!(page.body.contains("operator: Central Bank of Kenya"));
    let r = app
        .post_form(
            "/console/operator/rates/manual",
            &[("csrf_token", &csrf), ("currency", "KES"), ("per_eur", "-3"), ("source", "x")],
        )
        .await;
    assert!(r.header("location").contains("error-rate"));
    // The new rates price the storefront at once.
    app.catch_up().await;
    let p = app.get("/api/v1/products/rocky-ridge-olympic-heritage-laurel-tee?country=US&currency=EUR").await.json();
    let usd = app.get("/api/v1/products/rocky-ridge-olympic-heritage-laurel-tee?country=US").await.json();
    let (eur, usd) = (p["price"]["minor"].as_i64().unwrap_or(0), usd["price"]["minor"].as_i64().unwrap_or(0));
    assert!((eur * 12 - usd * 10).abs() <= 6, "converted at 1.2000 USD per EUR: {usd} → {eur}");
}
