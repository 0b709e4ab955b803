//! Saving many products at once (a CSV import, a generated catalogue): new products are written
//! a table at a time, and must read back exactly as saving them one by one would, on SQLite and
//! on PostgreSQL alike.

use std::sync::Arc;

use podium_app::catalogue::{NewProduct, NewProperty, NewVariant, ProductRecord, ProductStatus, Translation};
use podium_app::{NewOrg, Store, StoreError};
use podium_domain::role::OrgKind;
use podium_domain::{Currency, Lang, Money};

podium_store::on_both_backends!(
    a_batch_of_new_products_reads_back_as_saving_them_one_by_one_would,
    a_batch_with_a_clash_saves_nothing,
);

struct Shop {
    id: String,
    property_id: String,
    seoul: String,
    busan: String,
}

async fn shop(store: &Arc<dyn Store>, slug: &str) -> Shop {
    let org = |kind, slug: &str| NewOrg {
        kind,
        slug: slug.into(),
        name: format!("Org {slug}"),
        country: "KR".into(),
        currency: "KRW".into(),
    };
    let shop = store.create_org(org(OrgKind::Shop, slug)).await.expect("shop");
    let licensor = match store.org_by_slug("pocog").await.expect("find") {
        Some(l) => l,
        None => store.create_org(org(OrgKind::Licensor, "pocog")).await.expect("licensor"),
    };
    let property = match store.property_by_slug("pyeongchang-2018").await.expect("find") {
        Some(p) => p,
        None => store
            .create_property(NewProperty {
                licensor_id: licensor.id,
                slug: "pyeongchang-2018".into(),
                name: "PyeongChang 2018".into(),
                sport: "".into(),
            })
            .await
            .expect("property"),
    };
    let seoul = store.create_stock_location(&shop.id, "Seoul", "KR").await.expect("location").id;
    let busan = store.create_stock_location(&shop.id, "Busan", "KR").await.expect("location").id;
    Shop { id: shop.id, property_id: property.id, seoul, busan }
}

/// The `n`th product of a generated batch: each differs in texts, variants, explicit prices
/// and stock, so a row bound to the wrong product shows.
fn product(s: &Shop, n: usize) -> NewProduct {
    let variants = (0..1 + n % 3)
        .map(|v| NewVariant {
            sku: format!("SKU-{n}-{v}"),
            options: vec![("Size".into(), ["S", "M", "L"][v].into())],
            gtin: None,
            price: Money::new(10_000 + (n * 10 + v) as i64, Currency::KRW),
            explicit_prices: if n.is_multiple_of(2) { vec![Money::new(700 + n as i64, Currency::EUR)] } else { vec![] },
            // Busan named twice for the first variant of every fifth product: the last figure counts.
            stock: match (n % 5, v) {
                (0, 0) => vec![(s.busan.clone(), 1), (s.seoul.clone(), n as i64), (s.busan.clone(), 4)],
                _ => vec![(s.seoul.clone(), (n + v) as i64 % 9)],
            },
        })
        .collect();
    NewProduct {
        shop_id: s.id.clone(),
        property_id: s.property_id.clone(),
        category_slug: "t-shirts".into(),
        handle: format!("tee-{n}"),
        fallback_lang: if n.is_multiple_of(2) { Lang::Ko } else { Lang::En },
        tags: vec!["mascot".into(), format!("n{n}")],
        hs_code: "610910".into(),
        origin_country: "KR".into(),
        weight_grams: 100 + n as i64,
        status: if n.is_multiple_of(7) { ProductStatus::Draft } else { ProductStatus::Live },
        translations: vec![
            Translation {
                lang: Lang::Ko, title: format!("수호랑 티셔츠 {n}"), description: format!("설명 {n}")
            },
            Translation { lang: Lang::En, title: format!("Soohorang tee {n}"), description: format!("About {n}") },
        ],
        variants,
        created_at: time::OffsetDateTime::from_unix_timestamp(1_700_000_000 + n as i64).expect("time"),
    }
}

/// What a reader sees of a saved product, without the ids the store made up (`busan`: the
/// shop's second location).
fn seen(p: &ProductRecord, busan: &str) -> String {
    let mut translations: Vec<_> = p.translations.iter().map(|t| (t.lang.tag(), &t.title, &t.description)).collect();
    translations.sort();
    let variants: Vec<_> = p
        .variants
        .iter()
        .map(|v| {
            let mut stock: Vec<(i64, &str)> =
                v.stock.iter().map(|(loc, n)| (*n, if loc == busan { "Busan" } else { "Seoul" })).collect();
            stock.sort();
            (&v.sku, &v.options, v.price, &v.explicit_prices, stock, v.available)
        })
        .collect();
    format!(
        "{} {} {} {:?} {:?} {} {} {} {:?} {} {translations:?} {variants:?}",
        p.handle,
        p.slug.split_once('-').map_or("", |s| s.1),
        p.category_slug,
        p.fallback_lang,
        p.tags,
        p.hs_code,
        p.weight_grams,
        p.origin_country,
        p.status,
        p.created_at.unix_timestamp(),
    )
}

async fn a_batch_of_new_products_reads_back_as_saving_them_one_by_one_would(store: Arc<dyn Store>) {
    // More rows than one multi-row statement carries, for every table.
    const N: usize = 150;
    let batch = shop(&store, "batch").await;
    let single = shop(&store, "single").await;
    let head = store.outbox_head().await.expect("head");
    let products: Vec<NewProduct> = (0..N).map(|n| product(&batch, n)).collect();
    let saved = store.save_products(&batch.id, products, &|_| {}).await.expect("save");
    assert_eq!(saved.len(), N);
    let events = store.outbox_after(head, 10 * N as i64).await.expect("outbox");
    assert!(
        saved.iter().all(|p| events.iter().filter(|e| e.payload.contains(&p.id)).count() == 1),
        "each new product is announced once"
    );
    let mut one_by_one = Vec::with_capacity(N);
    for n in 0..N {
        one_by_one.extend(store.save_products(&single.id, vec![product(&single, n)], &|_| {}).await.expect("save"));
    }
    for (n, (a, b)) in saved.iter().zip(&one_by_one).enumerate() {
        assert_eq!(a.handle, format!("tee-{n}"), "in the order given");
        assert_eq!(seen(a, &batch.busan), seen(b, &single.busan), "product {n}");
    }
    let fifth = &saved[5];
    assert_eq!(fifth.variants[0].stock.len(), 2, "one figure per location");
    assert_eq!(fifth.variants[0].available, 4 + 5, "Busan's last figure and Seoul's");
    // Saving the batch again updates in place: same ids, no new products.
    let again = store
        .save_products(&batch.id, (0..N).map(|n| product(&batch, n)).collect(), &|_| {})
        .await
        .expect("save again");
    assert_eq!(again.iter().map(|p| &p.id).collect::<Vec<_>>(), saved.iter().map(|p| &p.id).collect::<Vec<_>>());
    // A handle given twice in one batch is one product, as the later line describes it.
    let mut first = product(&batch, 900);
    first.translations[1].title = "first".into();
    let mut later = product(&batch, 900);
    later.translations[1].title = "later".into();
    let twice = store.save_products(&batch.id, vec![first, later], &|_| {}).await.expect("save");
    assert_eq!(twice.len(), 1);
    assert!(twice[0].translations.iter().any(|t| t.title == "later"));
}

async fn a_batch_with_a_clash_saves_nothing(store: Arc<dyn Store>) {
    let s = shop(&store, "clash").await;
    let before = store.product_ids_of_shop(&s.id).await.expect("ids").len();
    let mut products: Vec<NewProduct> = (0..80).map(|n| product(&s, n)).collect();
    // Two new products share a SKU.
    products[60].variants[0].sku = products[3].variants[0].sku.clone();
    let r = store.save_products(&s.id, products, &|_| {}).await;
    assert!(matches!(r, Err(StoreError::Conflict { field: "sku" })), "{r:?}");
    assert_eq!(store.product_ids_of_shop(&s.id).await.expect("ids").len(), before, "nothing was saved");
    let mut bad = product(&s, 1);
    bad.variants[0].stock = vec![(s.seoul.clone(), -1)];
    let r = store.save_products(&s.id, vec![product(&s, 0), bad], &|_| {}).await;
    assert!(matches!(r, Err(StoreError::Conflict { field: "stock" })), "{r:?}");
    assert_eq!(store.product_ids_of_shop(&s.id).await.expect("ids").len(), before);
}
