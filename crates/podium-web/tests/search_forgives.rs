//! The search page and API forgive: short typos, words the catalogue spells another way, and a
//! "did you mean" link when nothing matches.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_store::testing::Backend;

/// The href of the page's "did you mean" link, unescaped.
fn did_you_mean_href(body: &str) -> Option<String> {
    let at = body.find("data-testid=\"did-you-mean\"")?;
    let rest = &body[at..];
    let href = rest.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn short_typos_and_synonyms_find_products_on_the_search_page() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for (q, lang, title) in [
        ("plsh", "en", "Plush toy"),
        ("pluhs", "en", "Plush toy"),
        ("mascot", "en", "Plush toy"),
        ("mascottes", "fr", "Peluche"),
        ("%E3%83%9E%E3%82%B9%E3%82%B3%E3%83%83%E3%83%88", "ja", "ぬいぐるみ"), // マスコット
    ] {
        let r = app.get(&format!("/search?q={q}&lang={lang}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("class=\"card\""), "{q}: results");
        assert!(r.body.contains(title), "{q}: {title}");
        assert!(!r.body.contains("data-testid=\"did-you-mean\""), "{q}: nothing to correct");
    }
}

#[tokio::test]
async fn a_query_that_finds_nothing_links_to_a_close_one_that_does() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/search?q=snoflaek+hoodie&lang=en").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("class=\"card\""), "the query itself finds nothing");
    assert!(r.body.contains("Did you mean <a href="), "{}", r.body);
    let href = did_you_mean_href(&r.body).expect("a did-you-mean link");
    assert_eq!(href, "/search?q=snowflake+hoodie");
    assert!(r.body.contains(">snowflake hoodie</a>?"));
    let r = app.get(&format!("{href}&lang=en")).await;
    assert!(r.body.contains("Snowflake Hoodie"), "the link leads to results");
    assert!(!r.body.contains("data-testid=\"did-you-mean\""));

    // In French, keeping the filters.
    let r = app.get("/search?q=mgu&property=amsterdam-1928&lang=fr").await;
    assert!(r.body.contains("Vouliez-vous dire <a href="), "{}", r.body);
    let href = did_you_mean_href(&r.body).expect("a did-you-mean link");
    assert_eq!(href, "/search?q=mug&property=amsterdam-1928");
    let r = app.get(&format!("{href}&lang=fr")).await;
    assert!(r.body.contains("class=\"card\"") && r.body.contains("Mug"));

    // Nonsense gets no suggestion, only the plain "nothing matches".
    let r = app.get("/search?q=zzzzqx&lang=en").await;
    assert!(r.body.contains("Nothing matches"));
    assert!(!r.body.contains("Did you mean"));
}

#[tokio::test]
async fn the_api_offers_did_you_mean_only_when_nothing_matches() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let j = app.get("/api/v1/products?q=mgu").await.json();
    assert_eq!(j["total"], 0);
    assert_eq!(j["did_you_mean"], "mug");
    let j = app.get("/api/v1/products?q=mug").await.json();
    assert!(j["total"].as_u64().is_some_and(|n| n > 0));
    assert!(j.get("did_you_mean").is_none(), "absent when the query finds something: {j}");
    let j = app.get("/api/v1/products?q=zzzzqx").await.json();
    assert!(j.get("did_you_mean").is_none(), "absent when nothing close finds anything");
    // The OpenAPI document describes the field.
    let doc = app.get("/api/v1/openapi.json").await.json();
    let field = &doc["components"]["schemas"]["ProductsJson"]["properties"]["did_you_mean"];
    assert!(field.is_object(), "{}", doc["components"]["schemas"]["ProductsJson"]);
}
