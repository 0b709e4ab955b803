//! Drops over a real store: scheduling is checked, and fans who wait in the lobby are admitted
//! in an order that does not follow their arrival (tested over many drops, not one lucky run).

mod common;

use common::shop::body;
use common::TestApp;
use podium_app::drops::{self, NewDrop};
use podium_app::inventory::InventoryStore;
use podium_store::testing::Backend;
use serde_json::json;
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
    let lead = podium_domain::drop::MIN_LEAD;
    assert!(drops::schedule(store.as_ref(), NewDrop { per_fan: 11, ..new(now + Duration::hours(1)) }, now, lead)
        .await
        .is_err());
    assert!(drops::schedule(store.as_ref(), new(now + Duration::minutes(1)), now, lead).await.is_err(), "too soon");
    let big = NewDrop { quantity: variant.available + 1, ..new(now + Duration::hours(1)) };
    assert!(drops::schedule(store.as_ref(), big, now, lead).await.is_err(), "more than in stock");
    let scheduled = drops::schedule(store.as_ref(), new(now + Duration::hours(1)), now, lead).await.expect("schedule");
    assert!(drops::schedule(store.as_ref(), new(now + Duration::hours(2)), now, lead).await.is_err(), "one at a time");
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

/// A fan with an API token (a new account, or a demo one).
async fn fan_token(app: &mut TestApp, email: &str, password: &str, create: bool) -> String {
    if create {
        let mut guest = app.clone_app();
        guest.cookies.clear();
        let r = guest.sign_up("Drop fan", email, password).await;
        assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = app.post_json("/api/v1/sessions", json!({"email": email, "password": password}), &[]).await;
    format!("Bearer {}", r.json()["token"].as_str().expect("token"))
}

async fn buy(app: &mut TestApp, token: &str, sku: &str, quantity: i64) -> common::Reply {
    let auth = [("authorization", token)];
    let cart = app.post_json("/api/v1/carts", json!({"country": "KR"}), &auth).await.json()["id"]
        .as_str()
        .expect("cart")
        .to_string();
    let r =
        app.post_json(&format!("/api/v1/carts/{cart}/lines"), json!({"sku": sku, "quantity": quantity}), &auth).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    app.post_json(&format!("/api/v1/carts/{cart}/checkout"), body("4242424242424242"), &auth).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admitted_fans_buy_and_no_more_than_the_limit_by_account_or_card() {
    use axum::http::StatusCode;
    let mut app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let now = app.state.clock.now();
    let product =
        store.product_by_slug("hanok-threads-kenya-ice-lions-face-off-tee").await.expect("read").expect("tee");
    let variant = product.variants.iter().find(|v| v.available >= 5).expect("in stock").clone();
    let sku = format!("hanok-threads:{}", variant.sku);
    // The shop schedules a drop from its console: the product page shows the countdown and
    // "notify me", and no add-to-cart for that variant.
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let page = merchant.get("/console/shops/hanok-threads/drops?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let at = now + Duration::minutes(30);
    let starts = format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute());
    let choice = format!("{}|{}", product.id, variant.id);
    let too_soon = format!("{}T{:02}:{:02}", now.date(), now.hour(), now.minute());
    let r = merchant
        .post_form(
            "/console/shops/hanok-threads/drops",
            &[
                ("csrf_token", &csrf),
                ("variant", &choice),
                ("quantity", "4"),
                ("per_fan", "2"),
                ("starts_at", &too_soon),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "too soon");
    let r = merchant
        .post_form(
            "/console/shops/hanok-threads/drops",
            &[("csrf_token", &csrf), ("variant", &choice), ("quantity", "4"), ("per_fan", "2"), ("starts_at", &starts)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.clone_app().get("/console/shops/thames-pin/drops").await.status,
        StatusCode::SEE_OTHER,
        "signed out: sign in"
    );
    let d = store.drops_of_product(&product.id).await.expect("drops").remove(0);
    let shown =
        app.get_anonymous(&format!("/products/{}?variant={}&lang=en&country=KR", product.slug, variant.sku)).await;
    assert!(shown.body.contains("data-testid=\"countdown\"") && shown.body.contains("data-testid=\"notify-me\""));
    assert!(shown.body.contains("<div class=\"buy-now\" hidden>"), "sold only through the drop: no add-to-cart");
    // The drop's own page (shared, mailed) carries what the product page's box has: price,
    // limits, a countdown in words that the script keeps in words, and "notify me".
    let room = app.get_anonymous(&format!("/drops/{}?lang=en&country=KR", d.id)).await;
    assert_eq!(room.status, StatusCode::OK);
    for part in [
        "data-testid=\"notify-me\"",
        "data-testid=\"price\">₩",
        "at most 2 per fan",
        "data-hours=\"Opens in {h} h {m} min\"",
    ] {
        assert!(room.body.contains(part), "{part} on the drop page");
    }
    assert!(!room.body.contains("data-testid=\"join-drop\""), "the waiting room opens later");
    let fan = fan_token(&mut app, "fan@podium.example", "fan-demo-2026", false).await;
    let early = buy(&mut app, &fan, &sku, 1).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("opens at"), "{}", early.body);

    // A drop that has just opened (made directly: the console needs a lead time).
    store.close_drop(&d.id, now).await.expect("close the scheduled one");
    let open = store
        .create_drop(
            &podium_app::drops::NewDrop {
                shop_id: product.shop.id.clone(),
                product_id: product.id.clone(),
                variant_id: variant.id.clone(),
                quantity: 4,
                per_fan: 2,
                starts_at: now - Duration::seconds(1),
            },
            now,
        )
        .await
        .expect("drop");
    // Not in the waiting room: refused, nothing held.
    let before = app.db.store.stock_levels(&variant.id).await.expect("stock").iter().map(|l| l.reserved).sum::<i64>();
    let r = buy(&mut app, &fan, &sku, 1).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("waiting room"), "{}", r.body);
    // The fan enters the waiting room (pages) and is admitted.
    let mut fan_pages = app.clone_app();
    fan_pages.sign_in("fan@podium.example", "fan-demo-2026").await;
    let room = fan_pages.get(&format!("/drops/{}?lang=en", open.id)).await;
    let csrf = room.csrf();
    // It asked to be told: the sweep queues the "on sale now" e-mail once.
    let told = fan_pages.post_form(&format!("/drops/{}/notify", open.id), &[("csrf_token", &csrf)]).await;
    assert_eq!(told.header("location"), format!("/drops/{}?notify=1", open.id));
    podium_app::drops::admit_due(store.as_ref(), app.state.clock.now()).await.expect("sweep");
    podium_app::drops::admit_due(store.as_ref(), app.state.clock.now()).await.expect("again");
    let dir = tempfile::tempdir().expect("dir");
    let transport = podium_outbound::FileMailer::new(dir.path());
    podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await;
    let mails: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .filter(|m| m.contains(&format!("/drops/{}", open.id)))
        .collect();
    assert_eq!(mails.len(), 1, "one 'on sale now' mail");
    assert!(mails[0].contains("To: fan@podium.example"));
    let joined = fan_pages.post_form(&format!("/drops/{}/join", open.id), &[("csrf_token", &csrf)]).await;
    assert_eq!(joined.header("location"), format!("/drops/{}", open.id));
    let room = fan_pages.get(&format!("/drops/{}?lang=en", open.id)).await;
    assert!(room.body.contains("You are in!"), "{}", room.body);
    // Two units (the limit) sell; a third is refused for the account.
    assert_eq!(buy(&mut app, &fan, &sku, 2).await.status, StatusCode::CREATED);
    let third = buy(&mut app, &fan, &sku, 1).await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    assert!(third.body.contains("at most 2 per fan"), "{}", third.body);
    // Another account paying with the same card is refused too, and the payment given back.
    let other = fan_token(&mut app, "second-fan@example.com", "a-long-password-1", true).await;
    let mut other_pages = app.clone_app();
    other_pages.sign_in("second-fan@example.com", "a-long-password-1").await;
    let csrf = other_pages.get(&format!("/drops/{}", open.id)).await.csrf();
    other_pages.post_form(&format!("/drops/{}/join", open.id), &[("csrf_token", &csrf)]).await;
    other_pages.get(&format!("/drops/{}", open.id)).await;
    let same_card = buy(&mut app, &other, &sku, 1).await;
    assert_eq!(same_card.status, StatusCode::CONFLICT, "{}", same_card.body);
    assert!(same_card.body.contains("this card"), "{}", same_card.body);
    let after = app.db.store.stock_levels(&variant.id).await.expect("stock").iter().map(|l| l.reserved).sum::<i64>();
    assert_eq!(after, before, "nothing stays held for refused orders");
    // The demo fan follows the Kenya Ice Lions: both drops of their tee are in the feed.
    let feed = fan_pages.get("/feed?lang=en&country=KR").await;
    assert!(feed.body.contains("data-testid=\"feed-drop\""), "{}", feed.body);
    // The shop sees the drop's progress.
    let console = merchant.get("/console/shops/hanok-threads/drops?lang=en").await;
    assert!(console.body.contains("data-testid=\"bought\">2<"), "{}", console.body);
}
