//! Merchants' requests for authenticity codes, on SQLite and PostgreSQL: one open request per
//! variant, the licensor's queue, answering with a batch, and the counts shortfalls read.

use std::sync::Arc;

use podium_app::code_requests::{self, CodeRequest, RequestFilter, RequestStatus};
use podium_app::licensing::ActingUser;
use podium_app::Store;
use podium_store::testing::{Backend, TestDb};
use time::OffsetDateTime;

async fn requests_are_queued_one_per_variant_and_answered_by_codes(store: Arc<dyn Store>) {
    let store: &dyn Store = store.as_ref();
    let product = "hanok-threads-kenya-ice-lions-roller-blades-plush";
    let p = store.product_by_slug(product).await.expect("read").expect("the demo's plush");
    let sku = p.variants[0].sku.clone();
    let shop = p.shop.id.clone();
    let who = ActingUser { name: "Ji-woo Han".into(), ..Default::default() };
    let now = OffsetDateTime::now_utc();

    let before = code_requests::shortfalls(store, &shop, std::slice::from_ref(&p)).await.expect("shortfalls");
    let short = before.iter().find(|s| s.sku == sku).expect("the plush has stock and no codes");
    assert!(short.missing > 0 && short.requested == 0, "{short:?}");

    let first = code_requests::request_codes(store, &who, &shop, &p, &sku, 7, "for stock", now).await.expect("ask");
    assert_eq!((first.quantity, first.status), (7, RequestStatus::Open));
    assert_eq!(first.licensor_id, p.property.licensor_id, "the request goes to the property's licensor");
    // Asking again for the same variant raises the one open request instead of adding another.
    let again = code_requests::request_codes(store, &who, &shop, &p, &sku, 12, "Order PD-1", now).await.expect("ask");
    assert_eq!((again.id.as_str(), again.quantity), (first.id.as_str(), 12));
    let queue =
        RequestFilter { licensor_id: Some(p.property.licensor_id.clone()), open_only: true, ..Default::default() };
    let listed = store.code_requests(&queue).await.expect("queue");
    assert_eq!(listed.iter().filter(|r| r.variant_id == first.variant_id).count(), 1);
    let after = code_requests::shortfalls(store, &shop, std::slice::from_ref(&p)).await.expect("shortfalls");
    assert_eq!(after.iter().find(|s| s.sku == sku).expect("still short").requested, 12);

    // Bad quantities and other shops' products are refused.
    assert!(code_requests::request_codes(store, &who, &shop, &p, &sku, 0, "", now).await.is_err());
    assert!(code_requests::request_codes(store, &who, "another-shop", &p, &sku, 3, "", now).await.is_err());
    assert!(code_requests::request_codes(store, &who, &shop, &p, "NO-SUCH-SKU", 3, "", now).await.is_err());

    // The licensor issues 5: the request stays open for the 7 still missing.
    // Fresh codes each run (a deterministic start could repeat the demo's).
    let mut n = u64::try_from(now.unix_timestamp_nanos() & 0xffff_ffff_ffff).unwrap_or(1);
    let mut random = move || {
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        n >> 4
    };
    let licensor = ActingUser { name: "Wanjiru Kamau".into(), ..Default::default() };
    let lid = p.property.licensor_id.clone();
    code_requests::issue_codes(store, &licensor, &lid, product, &sku, 5, &mut random, now).await.expect("issue 5");
    let open = store.code_requests(&queue).await.expect("queue");
    let r = open.iter().find(|r| r.id == first.id).expect("still open");
    assert_eq!(r.quantity, 7);
    let free = store.free_code_counts(&shop).await.expect("free codes");
    assert_eq!(free.iter().find(|(v, _)| *v == first.variant_id).map(|(_, n)| *n), Some(5));
    // Then 7 more: fulfilled, out of the queue, kept in the shop's history with its batch.
    code_requests::issue_codes(store, &licensor, &lid, product, &sku, 7, &mut random, now).await.expect("issue 7");
    assert!(store.code_requests(&queue).await.expect("queue").iter().all(|r| r.id != first.id));
    let mine = RequestFilter { shop_id: Some(shop.clone()), ..Default::default() };
    let done: Vec<CodeRequest> = store.code_requests(&mine).await.expect("history");
    let done = done.iter().find(|r| r.id == first.id).expect("kept");
    assert_eq!(done.status, RequestStatus::Fulfilled);
    assert!(done.batch_id.is_some() && done.resolved_at.is_some());
}

async fn unshipped_units_count_new_and_accepted_parcels_only(store: Arc<dyn Store>) {
    // The demo's orders: whatever is counted is positive and names a variant of the shop.
    let shop = store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    for (variant, units) in store.unshipped_units(&shop.id).await.expect("unshipped") {
        assert!(!variant.is_empty() && units > 0, "{variant}: {units}");
    }
}

macro_rules! both {
    ($($case:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = super::TestDb::demo(super::Backend::Sqlite).await;
                super::$case(db.dyn_store()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = super::TestDb::demo(super::Backend::Postgres).await;
                super::$case(db.dyn_store()).await;
            })*
        }
    };
}

both!(requests_are_queued_one_per_variant_and_answered_by_codes, unshipped_units_count_new_and_accepted_parcels_only);
