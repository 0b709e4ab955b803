//! Drops over a real store: scheduling is checked, and fans who wait in the lobby are admitted
//! in an order that does not follow their arrival (tested over many drops, not one lucky run).

mod common;

use common::TestApp;
use podium_app::drops::{self, NewDrop};
use podium_store::testing::Backend;
use time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lobby_arrivals_are_admitted_in_random_order_over_many_drops() {
    let app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let now = app.state.clock.now();
    let product =
        store.product_by_slug("hanok-threads-kenya-ice-lions-face-off-tee").await.expect("read").expect("tee");
    let variant = product.variants.iter().find(|v| v.available >= 5).expect("a variant in stock").clone();
    let new = |starts_at| NewDrop {
        shop_id: product.shop.id.clone(),
        product_id: product.id.clone(),
        variant_id: variant.id.clone(),
        quantity: 5,
        per_fan: 1,
        starts_at,
    };
    // Scheduling refuses what cannot be honoured.
    assert!(drops::schedule(store.as_ref(), NewDrop { per_fan: 11, ..new(now + Duration::hours(1)) }, now)
        .await
        .is_err());
    assert!(drops::schedule(store.as_ref(), new(now + Duration::minutes(1)), now).await.is_err(), "too soon");
    let big = NewDrop { quantity: variant.available + 1, ..new(now + Duration::hours(1)) };
    assert!(drops::schedule(store.as_ref(), big, now).await.is_err(), "more than in stock");
    let scheduled = drops::schedule(store.as_ref(), new(now + Duration::hours(1)), now).await.expect("schedule");
    assert!(drops::schedule(store.as_ref(), new(now + Duration::hours(2)), now).await.is_err(), "one at a time");
    store.close_drop(&scheduled.id, now).await.expect("close");

    // Five fans arrive in the lobby one after the other, in the same order each time.
    let mut fans = Vec::new();
    for i in 0..5 {
        let u = store
            .create_user(podium_app::NewUser {
                email: format!("queue-{i}@example.com"),
                display_name: format!("Q{i}"),
                password_hash: "x".into(),
            })
            .await
            .expect("fan");
        fans.push(u.id);
    }
    const DROPS: usize = 300;
    let mut first_admitted = [0usize; 5];
    for n in 0..DROPS {
        let start = now + Duration::days(n as i64 + 1);
        let d = store.create_drop(&new(start), now).await.expect("drop");
        for (i, fan) in fans.iter().enumerate() {
            let arrived = start - Duration::minutes(10) + Duration::seconds(i as i64 * 30);
            drops::join(store.as_ref(), &d, fan, arrived).await.expect("join");
        }
        // One unit at the start: one fan admitted.
        assert_eq!(store.admit(&d.id, 1, start, Duration::minutes(10)).await.expect("admit"), 1);
        let order = store.admitted_order(&d.id).await.expect("order");
        first_admitted[fans.iter().position(|f| f == &order[0]).expect("a fan")] += 1;
        store.close_drop(&d.id, start).await.expect("close");
    }
    // Each arrival position is admitted first about a fifth of the time: chi-square with four
    // degrees of freedom below 18.47 (p = 0.001).
    let expected = DROPS as f64 / 5.0;
    let chi: f64 = first_admitted.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
    assert!(chi < 18.47, "first admitted by arrival position: {first_admitted:?} (chi-square {chi:.1})");
    assert!(first_admitted.iter().all(|&c| c > 0), "every arrival position was admitted first sometimes");
}
