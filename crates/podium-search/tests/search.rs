//! Search over the demo catalogue: languages, typos, facets, the diversity rule, and keeping
//! in step with the database through the outbox, on one node and across two.

use std::sync::Arc;
use std::time::{Duration, Instant};

use podium_app::catalogue::CatalogueStore;
use podium_app::catalogue::{NewProduct, NewVariant, ProductStatus, Translation};
use podium_app::Store;
use podium_domain::{Currency, Lang, Money};
use podium_search::{rebuild, Follower, SearchIndex, SearchQuery, Sort};
use podium_store::testing::{Backend, TestDb};

async fn demo_index(backend: Backend) -> (TestDb, SearchIndex) {
    let db = TestDb::demo(backend).await;
    let index = SearchIndex::in_memory().expect("index");
    rebuild(&index, db.store.as_ref(), &|_, _| {}).await.expect("rebuild");
    (db, index)
}

fn query(q: &str) -> SearchQuery {
    SearchQuery { q: q.into(), limit: 20, ..Default::default() }
}

fn titles(index: &SearchIndex, q: &str, lang: Lang) -> (usize, Vec<String>) {
    let r = index.search(&query(q)).expect("search");
    (r.total, r.hits.iter().map(|h| h.title(lang).to_string()).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_products_in_each_language() {
    let (_db, index) = demo_index(Backend::Sqlite).await;
    // 240 demo products, 9 of them still waiting for their licensor's approval.
    assert_eq!(index.len(), 231);
    for (q, lang, must_contain) in [
        ("雪の結晶", Lang::Ja, "雪の結晶"),
        ("눈꽃 티셔츠", Lang::Ko, "눈꽃 티셔츠"),
        ("雪花", Lang::ZhHans, "雪花"),
        ("snowflake hoodie", Lang::En, "Snowflake Hoodie"),
        ("écharpes", Lang::Fr, "Écharpe"),
        ("shirts", Lang::En, "T-shirt"),
    ] {
        let (total, found) = titles(&index, q, lang);
        assert!(total > 0, "{q}: no results");
        assert!(found.iter().all(|t| t.contains(must_contain)), "{q}: {found:?}");
    }
    // Every product whose Japanese title names the snowflake motif is found, and nothing else.
    let (all, _) = _db
        .store
        .products(&podium_app::catalogue::ProductFilter { limit: 500, ..Default::default() })
        .await
        .expect("all");
    let expected = all
        .iter()
        .filter(|p| p.translations.iter().any(|t| t.lang == Lang::Ja && t.title.contains("雪の結晶")))
        .count();
    let (total, _) = titles(&index, "雪の結晶", Lang::Ja);
    assert!(expected > 0);
    assert_eq!(total, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn tolerates_real_misspellings() {
    let (_db, index) = demo_index(Backend::Sqlite).await;
    let cases = [
        ("snowflak", "Snowflake"),
        ("hodie", "Hoodie"),
        ("scraf", "Scarf"),
        ("marathn", "Marathon"),
        ("savanah", "Savannah"),
        ("keyrng", "Keyring"),
        ("postr", "Poster"),
        ("enamle", "Enamel"),
        ("plsuh", "Plush"),
        ("laurell", "Laurel"),
        ("stadiun", "Stadium"),
        ("amsterdma", "Amsterdam"),
        ("heritag", "Heritage"),
        ("kenia", "Kenya"),
        ("mountian", "Mountain"),
        ("olympc", "Olympic"),
        ("colurs", "Colours"),
        ("torhc", "Torch"),
        ("pyeongchnag", "PyeongChang"),
        ("rollr", "Roller"),
        ("sunrsie", "Sunrise"),
        ("blaeds", "Blades"),
    ];
    for (typo, expected) in cases {
        let (total, found) = titles(&index, typo, Lang::En);
        assert!(total > 0, "{typo}: nothing found");
        assert!(found[0].contains(expected), "{typo}: top result {:?}", found[0]);
    }
    let (total, _) = titles(&index, "zzzzqx", Lang::En);
    assert_eq!(total, 0, "nonsense finds nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn facets_count_after_filters_and_filters_narrow() {
    let (_db, index) = demo_index(Backend::Sqlite).await;
    let all =
        index.search(&SearchQuery { limit: 10, price_edges: vec![1500, 3000], ..Default::default() }).expect("search");
    // The 231 approved products less the 10 under Thames Pin's suspended Team Kenya licence.
    assert_eq!(all.total, 221);
    assert_eq!(all.facets.property.values().sum::<u64>(), 221);
    assert_eq!(all.facets.shop.len(), 8);
    assert_eq!(all.facets.category.get("apparel"), Some(&92));
    assert_eq!(all.facets.price_bands.iter().sum::<u64>(), 221);
    let kenya = index
        .search(&SearchQuery {
            property: Some("team-kenya".into()),
            category: Some("apparel".into()),
            limit: 50,
            ..Default::default()
        })
        .expect("search");
    assert_eq!(kenya.total, 12, "four shops × four apparel items, less the suspended licence's four");
    assert_eq!(kenya.facets.property.len(), 1);
    assert!(kenya.hits.iter().all(|h| h.property == "team-kenya" && h.categories.contains(&"apparel".to_string())));
    let cheap_first =
        index.search(&SearchQuery { sort: Some(Sort::PriceAsc), limit: 240, ..Default::default() }).expect("search");
    assert_eq!(cheap_first.hits.len(), 221);
    assert!(cheap_first.hits.windows(2).all(|w| w[0].price_eur <= w[1].price_eur));
    let page2 = index.search(&SearchQuery { offset: 20, limit: 20, ..Default::default() }).expect("search");
    let page1 = index.search(&SearchQuery { offset: 0, limit: 40, ..Default::default() }).expect("search");
    assert_eq!(
        page2.hits.iter().map(|h| &h.id).collect::<Vec<_>>(),
        page1.hits[20..].iter().map(|h| &h.id).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_shop_fills_more_than_three_of_ten() {
    let (_db, index) = demo_index(Backend::Sqlite).await;
    // Hanok Threads sells 30 products; "hanok" matches its name in every one of them, and
    // "tiger" matches others too.
    for q in ["hanok tiger", "", "t-shirt"] {
        let r = index.search(&SearchQuery { q: q.into(), limit: 60, ..Default::default() }).expect("search");
        for w in r.hits.windows(10) {
            let mut counts = std::collections::HashMap::new();
            for h in w {
                *counts.entry(&h.shop).or_insert(0) += 1;
            }
            assert!(counts.values().all(|c| *c <= 3), "{q:?}: {counts:?}");
        }
    }
}

fn new_product(shop_id: &str, property_id: &str, handle: &str, title: &str) -> NewProduct {
    NewProduct {
        shop_id: shop_id.into(),
        property_id: property_id.into(),
        category_slug: "collectibles".into(),
        handle: handle.into(),
        fallback_lang: Lang::En,
        tags: vec![],
        hs_code: "950300".into(),
        origin_country: "KR".into(),
        weight_grams: 50,
        status: ProductStatus::Live,
        translations: vec![Translation { lang: Lang::En, title: title.into(), description: "A new arrival.".into() }],
        variants: vec![NewVariant {
            sku: handle.to_uppercase(),
            options: vec![],
            gtin: None,
            price: Money::new(9000, Currency::KRW),
            explicit_prices: vec![],
            stock: vec![],
        }],
        created_at: time::OffsetDateTime::now_utc(),
    }
}

async fn shop_and_property(store: &dyn Store) -> (String, String) {
    let shop = store.org_by_slug("hanok-threads").await.expect("find").expect("demo shop");
    let property = store.property_by_slug("pyeongchang-2018").await.expect("find").expect("demo property");
    (shop.id, property.id)
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_arrive_through_the_outbox() {
    let (db, index) = demo_index(Backend::Sqlite).await;
    let store: Arc<dyn Store> = db.dyn_store();
    let follower = Follower::new(Arc::new(index), store.outbox_head().await.expect("head"));
    let (shop, property) = shop_and_property(store.as_ref()).await;
    store
        .create_product(new_product(&shop, &property, "gold-medal-replica", "Gold medal replica"))
        .await
        .expect("create");
    follower.step(store.as_ref()).await.expect("catch up");
    assert_eq!(follower.index.search(&query("medal replica")).expect("search").total, 0, "not approved yet");
    let id = store.product_by_slug("hanok-threads-gold-medal-replica").await.expect("find").expect("created").id;
    store.mark_approved(&[id], time::OffsetDateTime::now_utc()).await.expect("approve");
    assert_eq!(follower.index.search(&query("medal replica")).expect("search").total, 0, "not yet caught up");
    follower.step(store.as_ref()).await.expect("catch up");
    assert_eq!(follower.index.search(&query("medal replica")).expect("search").total, 1);
    assert_eq!(follower.position(), store.outbox_head().await.expect("head"));
}

/// Two nodes: each its own index, following the same database in the background.
async fn two_nodes(store: &Arc<dyn Store>) -> Vec<Arc<Follower>> {
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let index = SearchIndex::in_memory().expect("index");
        let position = rebuild(&index, store.as_ref(), &|_, _| {}).await.expect("rebuild");
        let follower = Follower::new(Arc::new(index), position);
        tokio::spawn(follower.clone().run(store.clone(), Duration::from_millis(200)));
        nodes.push(follower);
    }
    nodes
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_on_one_postgres_stay_in_step() {
    let db = TestDb::demo(Backend::Postgres).await;
    let store: Arc<dyn Store> = db.dyn_store();
    let nodes = two_nodes(&store).await;
    // A change committed through "node A" (any writer on the database)...
    let (shop, property) = shop_and_property(store.as_ref()).await;
    let created = store
        .create_product(new_product(&shop, &property, "curling-stone", "Miniature curling stone"))
        .await
        .expect("create");
    let started = Instant::now();
    store.mark_approved(&[created.id], time::OffsetDateTime::now_utc()).await.expect("approve");
    // ...is searchable on both nodes within two seconds.
    for node in &nodes {
        loop {
            if node.index.search(&query("curling stone")).expect("search").total == 1 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(2), "not searchable within 2 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Products of Savannah Stitch under Team Kenya that fans in `country` can find on this node.
fn savannah_kenya(node: &Follower, country: &str) -> usize {
    let q = SearchQuery {
        shop: Some("savannah-stitch".into()),
        property: Some("team-kenya".into()),
        country: Some(podium_domain::Country::parse(country).expect("country")),
        limit: 50,
        ..Default::default()
    };
    node.index.search(&q).expect("search").total
}

#[tokio::test(flavor = "multi_thread")]
async fn suspending_an_agreement_takes_its_products_off_sale_on_every_node() {
    use podium_app::licensing::{self, ActingUser};
    use podium_domain::licensing::AgreementStatus;
    let db = TestDb::demo(Backend::Postgres).await;
    let store: Arc<dyn Store> = db.dyn_store();
    let nodes = two_nodes(&store).await;
    let before = savannah_kenya(&nodes[0], "KE");
    assert!(before >= 5, "the demo sells Savannah Stitch's Team Kenya range ({before})");
    assert_eq!(savannah_kenya(&nodes[1], "FR"), before, "worldwide");
    let licensor = store.org_by_slug("team-kenya").await.expect("find").expect("licensor");
    let agreement = store
        .agreements_of(&licensor.id)
        .await
        .expect("agreements")
        .into_iter()
        .find(|a| a.licensee.slug == "savannah-stitch")
        .expect("the demo agreement");
    let who = ActingUser { name: "Wanjiru Kamau".into(), ..Default::default() };
    let started = Instant::now();
    licensing::change_agreement_status(
        store.as_ref(),
        &who,
        &licensor.id,
        &agreement.terms.id,
        AgreementStatus::Suspended,
    )
    .await
    .expect("suspend");
    for node in &nodes {
        while savannah_kenya(node, "KE") != 0 {
            assert!(started.elapsed() < Duration::from_secs(2), "still on sale after 2 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Reinstating puts them back, again everywhere.
    licensing::change_agreement_status(
        store.as_ref(),
        &who,
        &licensor.id,
        &agreement.terms.id,
        AgreementStatus::Active,
    )
    .await
    .expect("reinstate");
    let started = Instant::now();
    for node in &nodes {
        while savannah_kenya(node, "KE") != before {
            assert!(started.elapsed() < Duration::from_secs(2), "not back on sale after 2 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let log = store.audit_log(&licensor.id, 10).await.expect("audit");
    assert_eq!(log[0].entry.action, "agreement.reinstate");
    assert_eq!(log[1].entry.action, "agreement.suspend");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_on_disk_reopens_where_it_left_off() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tmp");
    let position = {
        let (index, pos) = SearchIndex::open(dir.path()).expect("open");
        assert_eq!((pos, index.len()), (0, 0));
        rebuild(&index, db.store.as_ref(), &|_, _| {}).await.expect("rebuild")
    };
    let (index, reopened_at) = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(reopened_at, position);
    assert_eq!(index.len(), 231, "summaries come back from the stored documents");
    assert!(index.search(&query("雪の結晶")).expect("search").total > 0);
    let suggestions = index.suggest("snowfl", None, 5).expect("suggest");
    assert!(!suggestions.is_empty() && suggestions.iter().all(|s| s.title(Lang::En).contains("Snowflake")));
    // Shipping coverage and prices come back too: Savannah Stitch does not ship to Japan, and
    // Atelier Chamonix's scarves keep their explicit GBP price (£27.00, £32.40 with UK VAT).
    let shop = |country: &str| SearchQuery {
        shop: Some("savannah-stitch".into()),
        country: Some(podium_domain::Country::parse(country).expect("country")),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(index.search(&shop("JP")).expect("search").total, 0);
    assert!(index.search(&shop("FR")).expect("search").total > 0);
    let gb = podium_domain::Country::parse("GB").expect("gb");
    let pricing = podium_search::Pricing {
        ship_to: gb,
        currency: Currency::GBP,
        rules: Arc::new(podium_domain::landed::default_rules()),
        rates: Arc::new(podium_domain::RateTable::new(db.store.latest_rates().await.expect("rates"))),
        date: time::OffsetDateTime::now_utc().date(),
        steps: Vec::new(),
    };
    let scarves = SearchQuery {
        q: "scarf".into(),
        shop: Some("atelier-chamonix".into()),
        country: Some(gb),
        pricing: Some(pricing),
        limit: 10,
        ..Default::default()
    };
    let hits = index.search(&scarves).expect("search").hits;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.price == Some(Money::new(3240, Currency::GBP))), "{:?}", hits[0].price);
}

#[tokio::test(flavor = "multi_thread")]
async fn synthetic_editions_are_searchable_in_every_language() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let store = db.dyn_store();
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let made = podium_app::demo::generate_from(store.as_ref(), 0, 48, time::OffsetDateTime::now_utc(), &rates, &|_| {})
        .await
        .expect("generate");
    assert_eq!(made, 48);
    // A second batch continues the numbering instead of colliding with the first.
    podium_app::demo::generate_from(store.as_ref(), 48, 24, time::OffsetDateTime::now_utc(), &rates, &|_| {})
        .await
        .expect("generate more");
    let index = SearchIndex::in_memory().expect("index");
    rebuild(&index, store.as_ref(), &|_, _| {}).await.expect("rebuild");
    assert_eq!(index.len(), 231 + 72);
    // Three of the 72 fall under Thames Pin's suspended Team Kenya licence: indexed, not on sale.
    assert_eq!(index.search(&query("edition")).expect("search").total, 69);
    assert!(index.search(&query("第1弾")).expect("search").total > 0, "Japanese edition titles");
}

/// A browse (no search text) is kept as a view; every page of it must be what a fresh pass over
/// the catalogue gives (a query at an explicit moment is always answered afresh).
#[tokio::test(flavor = "multi_thread")]
async fn kept_browse_views_answer_every_page_as_a_fresh_pass_would() {
    let (_db, index) = demo_index(Backend::Sqlite).await;
    let now = podium_domain::licensing::micros(time::OffsetDateTime::now_utc());
    let ids = |r: &podium_search::SearchResult| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    for (category, country, sort) in [
        (None, None, None),
        (Some("apparel"), Some("FR"), None),
        (None, Some("KR"), Some(Sort::PriceAsc)),
        (Some("t-shirts"), Some("JP"), Some(Sort::Newest)),
        (Some("no-such-category"), None, None),
    ] {
        for page in 0..4 {
            let q = SearchQuery {
                category: category.map(str::to_string),
                country: country.map(|c| podium_domain::Country::parse(c).expect("country")),
                sort,
                offset: page * 24,
                limit: 24,
                price_edges: vec![2000, 4000],
                ..Default::default()
            };
            let kept = index.search(&q).expect("kept");
            let again = index.search(&q).expect("kept again");
            let fresh = index.search(&SearchQuery { at_us: Some(now), ..q.clone() }).expect("fresh");
            assert_eq!((kept.total, ids(&kept)), (fresh.total, ids(&fresh)), "{category:?} {country:?} page {page}");
            assert_eq!(ids(&again), ids(&kept));
            assert_eq!(kept.facets.category, fresh.facets.category);
            assert_eq!(kept.facets.price_bands, fresh.facets.price_bands);
            assert_eq!(kept.facets.in_stock, fresh.facets.in_stock);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn past_its_memory_budget_the_index_reads_page_texts_from_its_documents() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tmp");
    let (full, _) = SearchIndex::open(dir.path()).expect("open");
    rebuild(&full, db.store.as_ref(), &|_, _| {}).await.expect("rebuild");
    drop(full);
    let (full, _) = SearchIndex::open(dir.path()).expect("reopen");
    // Room for the texts of a dozen products or so: the rest come from stored documents.
    let small = full.clone().with_text_budget(3_000).expect("budget");
    let seen = |index: &SearchIndex, q: SearchQuery| -> Vec<(String, String, String, String)> {
        let r = index.search(&q).expect("search");
        r.hits
            .iter()
            .map(|h| (h.id.clone(), h.slug.clone(), h.title(Lang::En).into(), h.title(Lang::Ja).into()))
            .collect()
    };
    let mut pages = 0;
    for offset in (0..240).step_by(24) {
        let q = SearchQuery { offset, limit: 24, ..Default::default() };
        let expected = seen(&full, q.clone());
        assert!(expected.iter().all(|h| !h.0.is_empty() && !h.1.is_empty() && !h.2.is_empty()));
        assert_eq!(seen(&small, q), expected, "page at {offset}");
        pages += usize::from(!expected.is_empty());
    }
    assert_eq!(pages, 10, "231 products, 24 a page");
    for q in ["snowflake hoodie", "雪の結晶", "눈꽃"] {
        assert_eq!(seen(&small, query(q)), seen(&full, query(q)), "{q}");
    }
    let suggested = |index: &SearchIndex| -> Vec<(String, String)> {
        let s = index.suggest("snowfl", None, 8).expect("suggest");
        s.iter().map(|h| (h.slug.clone(), h.title(Lang::En).to_string())).collect()
    };
    assert_eq!(suggested(&small), suggested(&full));
    assert!(suggested(&small).iter().all(|(slug, title)| !slug.is_empty() && title.contains("Snowflake")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_written_with_another_schema_starts_afresh_and_rebuilds() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        // An index as an older Podium might have left it: other fields, one document.
        let mut b = tantivy::schema::Schema::builder();
        let title = b.add_text_field("title", tantivy::schema::TEXT | tantivy::schema::STORED);
        let old = tantivy::Index::create_in_dir(dir.path(), b.build()).expect("old index");
        let mut writer: tantivy::IndexWriter = old.writer(15_000_000).expect("writer");
        writer.add_document(tantivy::doc!(title => "old")).expect("add");
        writer.commit().expect("commit");
    }
    let (index, position) = SearchIndex::open(dir.path()).expect("an index with another schema opens");
    assert_eq!((position, index.len()), (0, 0), "nothing of the old index is trusted");
    let db = TestDb::demo(Backend::Sqlite).await;
    rebuild(&index, db.store.as_ref(), &|_, _| {}).await.expect("rebuild");
    assert_eq!(index.len(), 231);
    drop(index);
    assert_eq!(SearchIndex::open(dir.path()).expect("reopen").0.len(), 231);
}

/// Hits find their catalogue slot through each segment's document map; after products come,
/// go (their slots freed), change (their old documents deleted) and come again (taking freed
/// slots), a followed index must answer exactly as one rebuilt from scratch, with room in
/// memory for few products' texts (the rest read from their live stored documents) or for all.
#[tokio::test(flavor = "multi_thread")]
async fn a_followed_index_answers_as_a_rebuilt_one_after_products_come_and_go() {
    for budget in [2_000, podium_search::TEXT_BUDGET] {
        followed_against_rebuilt(budget).await;
    }
}

async fn followed_against_rebuilt(budget: usize) {
    let (db, index) = demo_index(Backend::Sqlite).await;
    let store: Arc<dyn Store> = db.dyn_store();
    let index = index.with_text_budget(budget).expect("budget");
    let follower = Follower::new(Arc::new(index), store.outbox_head().await.expect("head"));
    let (shop, property) = shop_and_property(store.as_ref()).await;
    let now = time::OffsetDateTime::now_utc();
    let save = |products: Vec<NewProduct>| {
        let store = store.clone();
        let shop = shop.clone();
        async move {
            let saved = store.save_products(&shop, products, &|_| {}).await.expect("save");
            let ids: Vec<String> = saved.into_iter().map(|p| p.id).collect();
            store.mark_approved(&ids, now).await.expect("approve");
        }
    };
    save(
        (0..30)
            .map(|i| new_product(&shop, &property, &format!("replica-{i}"), &format!("Medal replica {i}")))
            .collect(),
    )
    .await;
    follower.step(store.as_ref()).await.expect("catch up");
    // Twelve go back to draft: off the index, their slots free.
    save(
        (0..12)
            .map(|i| {
                let mut p = new_product(&shop, &property, &format!("replica-{i}"), &format!("Medal replica {i}"));
                p.status = ProductStatus::Draft;
                p
            })
            .collect(),
    )
    .await;
    follower.step(store.as_ref()).await.expect("catch up");
    // The rest change their titles: new documents, the old ones deleted.
    save(
        (12..30)
            .map(|i| new_product(&shop, &property, &format!("replica-{i}"), &format!("Medal replica {i}, boxed")))
            .collect(),
    )
    .await;
    follower.step(store.as_ref()).await.expect("catch up");
    save((0..20).map(|i| new_product(&shop, &property, &format!("pin-{i}"), &format!("Medal pin {i}"))).collect())
        .await;
    follower.step(store.as_ref()).await.expect("catch up");
    let fresh = SearchIndex::in_memory().expect("index");
    rebuild(&fresh, store.as_ref(), &|_, _| {}).await.expect("rebuild");
    let found = |index: &SearchIndex, q: &str| {
        let r = index.search(&SearchQuery { q: q.into(), limit: 1000, ..Default::default() }).expect("search");
        let mut ids: Vec<String> = r.hits.iter().map(|h| format!("{} {}", h.id, h.title(Lang::En))).collect();
        ids.sort();
        (r.total, ids)
    };
    for q in ["medal", "replica", "boxed", "pin", "snowflake", ""] {
        assert_eq!(found(&follower.index, q), found(&fresh, q), "{q:?}");
    }
    assert_eq!(found(&follower.index, "replica").0, 18);
    assert_eq!(found(&follower.index, "boxed").0, 18, "the changed titles, not the old ones");
    assert_eq!(found(&follower.index, "medal").0, 38);
}
