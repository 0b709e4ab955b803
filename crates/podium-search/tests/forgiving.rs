//! Search that forgives: a short word with a typo, a word the catalogue spells another way (in
//! each language), and a query that finds nothing but is close to one that does.

use podium_app::catalogue::{NewProduct, NewVariant, ProductStatus, Translation};
use podium_app::Store;
use podium_domain::{Currency, Lang, Money};
use podium_search::{rebuild, SearchIndex, SearchQuery};
use podium_store::testing::{Backend, TestDb};

async fn demo_index(db: &TestDb) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("index");
    rebuild(&index, db.store.as_ref(), &|_, _| {}).await.expect("rebuild");
    index
}

fn query(q: &str) -> SearchQuery {
    SearchQuery { q: q.into(), limit: 100, ..Default::default() }
}

fn titles(index: &SearchIndex, q: &str, lang: Lang) -> Vec<String> {
    index.search(&query(q)).expect("search").hits.iter().map(|h| h.title(lang).to_string()).collect()
}

fn total(index: &SearchIndex, q: &str) -> usize {
    index.search(&query(q)).expect("search").total
}

/// Adds approved products with these English titles to a demo shop.
async fn add_products(store: &dyn Store, titles: &[&str]) {
    let shop = store.org_by_slug("hanok-threads").await.expect("find").expect("demo shop");
    let property = store.property_by_slug("pyeongchang-2018").await.expect("find").expect("demo property");
    for title in titles {
        let handle = title.to_lowercase().replace(' ', "-");
        let created = store
            .create_product(NewProduct {
                shop_id: shop.id.clone(),
                property_id: property.id.clone(),
                category_slug: "collectibles".into(),
                handle: handle.clone(),
                fallback_lang: Lang::En,
                tags: vec![],
                hs_code: "950300".into(),
                origin_country: "KR".into(),
                weight_grams: 50,
                status: ProductStatus::Live,
                translations: vec![Translation {
                    lang: Lang::En,
                    title: title.to_string(),
                    description: "A new arrival.".into(),
                }],
                variants: vec![NewVariant {
                    sku: handle.to_uppercase(),
                    options: vec![],
                    gtin: None,
                    price: Money::new(9000, Currency::KRW),
                    explicit_prices: vec![],
                    stock: vec![],
                }],
                created_at: time::OffsetDateTime::now_utc(),
            })
            .await
            .expect("create");
        store.mark_approved(&[created.id], time::OffsetDateTime::now_utc()).await.expect("approve");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn short_words_tolerate_one_edit_of_any_kind() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let index = demo_index(&db).await;
    let plush = total(&index, "plush");
    assert!(plush > 0);
    for (typo, expected) in [
        ("plsh", "Plush toy"),   // a letter left out
        ("pluhs", "Plush toy"),  // two letters swapped
        ("plusj", "Plush toy"),  // a letter mistyped
        ("pluush", "Plush toy"), // a letter doubled
        ("mugg", "Mug"),         // a letter added to a three-letter word
        ("tpte", "Tote bag"),    // a letter mistyped in a four-letter word
    ] {
        let found = titles(&index, typo, Lang::En);
        assert!(!found.is_empty(), "{typo}: nothing found");
        assert!(found.iter().all(|t| t.contains(expected)), "{typo}: {found:?}");
    }
    assert_eq!(total(&index, "plsh"), plush, "every plush toy, and only those");
    // Three letters are taken as typed: one edit turns most of them into other words.
    assert_eq!(total(&index, "mgu"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_matches_as_typed_ranks_above_typos_and_short_known_words_are_not_typos() {
    let db = TestDb::demo(Backend::Sqlite).await;
    add_products(db.store.as_ref(), &["Bridge Runner Pin", "Gold Rush Pin", "Cold Snap Pin"]).await;
    let index = demo_index(&db).await;
    // "ridge" is one letter from "bridge": what has the word itself (the Mountain Ridge motif,
    // the Rocky Ridge shop) comes first.
    let hits = index.search(&query("ridge")).expect("search").hits;
    let bridge = hits.iter().position(|h| h.title(Lang::En) == "Bridge Runner Pin").expect("the typo still finds it");
    assert_eq!(bridge + 1, hits.len(), "the typo's match comes last");
    assert!(hits[..bridge].iter().all(|h| h.title(Lang::En).contains("Ridge") || h.shop == "rocky-ridge"));
    // A four-letter word some product has is what the fan meant; an unknown one is a typo.
    assert_eq!(titles(&index, "gold", Lang::En), ["Gold Rush Pin"]);
    assert_eq!(titles(&index, "cold", Lang::En), ["Cold Snap Pin"]);
    assert_eq!(titles(&index, "gpld", Lang::En), ["Gold Rush Pin"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn synonyms_find_what_the_catalogue_calls_it_in_each_language() {
    let db = TestDb::demo(Backend::Sqlite).await;
    add_products(db.store.as_ref(), &["Tiger Cup"]).await;
    let index = demo_index(&db).await;
    for (q, lang, title_has, same_as) in [
        ("mascot", Lang::En, "Plush toy", "plush"),
        ("mascots", Lang::En, "Plush toy", "plush"),
        ("mascottes", Lang::Fr, "Peluche", "peluche"),
        ("chapeau", Lang::Fr, "Casquette", "casquette"),
        ("マスコット", Lang::Ja, "ぬいぐるみ", "ぬいぐるみ"),
        ("마스코트", Lang::Ko, "봉제 인형", "봉제 인형"),
        ("吉祥物", Lang::ZhHans, "毛绒玩具", "毛绒玩具"),
        ("hat", Lang::En, "Cap", "cap"),
        ("sweatshirt", Lang::En, "Hoodie", "hoodie"),
    ] {
        let found = titles(&index, q, lang);
        assert!(!found.is_empty(), "{q}: nothing found");
        assert!(found.iter().all(|t| t.contains(title_has)), "{q}: {found:?}");
        assert_eq!(total(&index, q), total(&index, same_as), "{q} finds every {same_as}");
    }
    // A word as typed ranks above its synonyms: the Tiger Cup first, then the mugs.
    let cups = titles(&index, "cup", Lang::En);
    assert_eq!(cups[0], "Tiger Cup");
    assert!(cups.len() > 1 && cups[1..].iter().all(|t| t.contains("Mug")), "{cups:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_word_the_search_box_suggests_finds_something() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let index = demo_index(&db).await;
    // The examples of `nav-search-placeholder` in podium-web's five locales.
    for q in [
        "teams",
        "Games",
        "mascots",
        "Équipes",
        "Jeux",
        "mascottes",
        "チーム",
        "大会",
        "マスコット",
        "팀",
        "대회",
        "마스코트",
        "球队",
        "赛事",
        "吉祥物",
    ] {
        assert!(total(&index, q) > 0, "{q}: nothing found");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_that_finds_nothing_is_offered_a_close_one_that_does() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let index = demo_index(&db).await;
    let dym = |q: &str| {
        let query = query(q);
        assert_eq!(index.search(&query).expect("search").total, 0, "{q} finds nothing");
        index.did_you_mean(&query).expect("did you mean")
    };
    assert_eq!(dym("mgu").as_deref(), Some("mug"));
    assert_eq!(dym("Snoflaek Hoodie").as_deref(), Some("snowflake Hoodie"), "the other words are kept as typed");
    assert_eq!(dym("mascto").as_deref(), Some("mascot"), "a synonym is a word the search knows");
    assert!(total(&index, "snowflake Hoodie") > 0 && total(&index, "mascot") > 0);
    assert_eq!(dym("zzzzqx"), None, "nothing close");
    assert_eq!(dym("snowflake marathon"), None, "each word finds something, just not together");
    // The correction must find something under the same filters.
    let filtered = SearchQuery { property: Some("no-such-property".into()), ..query("mgu") };
    assert_eq!(index.did_you_mean(&filtered).expect("did you mean"), None);
}
