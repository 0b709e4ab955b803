//! The Store contract: every case runs unchanged on SQLite and on PostgreSQL.

use std::str::FromStr;
use std::sync::Arc;

use podium_app::{NewOrg, NewUser, SessionRecord, Store, StoreError};
use podium_domain::role::OrgKind;
use podium_domain::{Currency, Rate};
use podium_store::testing::{Backend, TestDb};
use rust_decimal::Decimal;
use time::macros::{date, datetime};
use time::Duration;

podium_store::on_both_backends!(
    migrations_are_applied_and_idempotent,
    orgs_have_unique_slugs,
    users_have_unique_emails_case_insensitively,
    memberships_link_users_to_orgs,
    operator_flag_is_stored,
    sessions_expire_and_can_be_deleted,
    password_resets_work_once_until_they_expire,
    signups_confirm_once_with_the_links_password,
    api_tokens_are_revoked_only_by_their_organisation,
    rate_limits_count_per_window,
    rate_limit_hits_are_refunded_in_their_window_only,
    rate_limits_are_read_and_hit_together,
    rate_limits_are_exact_under_concurrency,
    fx_rates_round_trip_exactly_and_pick_the_latest,
    outbox_records_changes_in_order,
    outbox_positions_never_skip_under_concurrent_writers,
    categories_ship_as_a_tree,
    properties_belong_to_licensors,
    products_are_created_whole_with_their_parts,
    product_handles_and_skus_are_unique_per_shop,
    products_filter_and_page_newest_first,
    saving_products_updates_by_handle_and_sku_keeping_reservations,
    a_failed_save_changes_nothing,
    images_are_stored_in_order_and_served_whole,
    shops_keep_a_story,
    agreements_keep_their_rights_sets_and_change_status_conditionally,
    submissions_move_conditionally_and_approval_marks_the_product,
    products_carry_their_licences,
    codes_are_issued_whole_and_verifications_counted,
    the_newest_trade_rules_apply,
    shipping_profiles_keep_one_default_and_products_use_it_unless_assigned,
    sixty_four_buyers_never_oversell_a_hundred_units,
    orders_refused_half_way_leave_nothing_while_their_neighbours_are_placed,
    reservations_settle_once_and_expire,
    orders_reserve_all_or_nothing_and_settle_once,
    idempotency_keys_claim_once_and_replay,
    mails_are_claimed_once_and_sent_once,
    sandbox_changes_are_conditional_and_queue_webhooks,
    ledger_batches_post_once_and_keep_balances,
    stories_keep_their_texts_and_products_and_move_through_review,
    follows_shape_the_feed,
    drops_admit_in_queue_order_once_whatever_the_nodes,
    a_cart_is_claimed_by_one_order_at_a_time,
    unpaid_orders_waiting_for_a_second_step_are_counted_per_client_account_and_card,
    the_sweep_looks_first_at_the_orders_whose_hold_ends_first,
    selling_out_and_coming_back_move_the_outbox_and_nothing_else_does,
    kept_product_records_show_stock_as_it_is_and_every_change_at_once,
);

/// Issue 22: listings answer from each node's index, which follows the outbox; a variant that
/// sells out or comes back on sale moves it (so "in stock" and "from" prices follow), an
/// ordinary sale does not (so the outbox does not move for every unit sold).
async fn selling_out_and_coming_back_move_the_outbox_and_nothing_else_does(store: Arc<dyn Store>) {
    let variant = stocked_variant(&store, "stock-events-shop", 3).await;
    let shop = store.org_by_slug("stock-events-shop").await.expect("find").expect("shop").id;
    let product = store.product_ids_of_shop(&shop).await.expect("ids").pop().expect("product");
    let head = || async { store.outbox_head().await.expect("head") };
    let changed_since = |from: i64| {
        let store = store.clone();
        let product = product.clone();
        async move {
            store
                .outbox_after(from, 100)
                .await
                .expect("outbox")
                .iter()
                .filter(|e| e.topic == "product.changed" && e.payload.contains(&product))
                .count()
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let start = head().await;
    // One of three units: still on sale, nothing announced.
    let a = new_order(&shop, &[(&variant, 1)], now);
    store.place_order(&a).await.expect("place").expect("held");
    assert_eq!(head().await, start, "an ordinary sale does not move the outbox");
    // The last two: sold out, announced once.
    let b = new_order(&shop, &[(&variant, 2)], now);
    store.place_order(&b).await.expect("place").expect("held");
    assert_eq!(changed_since(start).await, 1, "selling out is announced");
    // A declined payment gives the units back: on sale again, announced.
    let sold_out = head().await;
    assert!(store.cancel_order(&b.id, "card_declined", now).await.expect("release"));
    assert_eq!(changed_since(sold_out).await, 1, "coming back is announced");
    // Giving back a unit while units remain announces nothing.
    let back = head().await;
    assert!(store.cancel_order(&a.id, "card_declined", now).await.expect("release"));
    assert_eq!(head().await, back, "a release while on sale does not move the outbox");
    // An abandoned checkout of everything runs out; the sweep's release is announced.
    let c = new_order(&shop, &[(&variant, 3)], now - Duration::minutes(16));
    store.place_order(&c).await.expect("place").expect("held");
    let held = head().await;
    assert_eq!(store.release_expired(now).await.expect("sweep"), 1);
    assert_eq!(changed_since(held).await, 1, "the sweep's release is announced");
}

/// Issue 22: product records are kept between reads (stock aside) while the outbox stands
/// still. A kept record must read exactly like a fresh one: stock moved by a sale shows at once
/// though the outbox did not move, and a catalogue change shows on the next read.
async fn kept_product_records_show_stock_as_it_is_and_every_change_at_once(store: Arc<dyn Store>) {
    let variant = stocked_variant(&store, "kept-shop", 5).await;
    let shop = store.org_by_slug("kept-shop").await.expect("find").expect("shop").id;
    let product = store.product_ids_of_shop(&shop).await.expect("ids").pop().expect("product");
    let read =
        || async { store.products_by_ids(std::slice::from_ref(&product)).await.expect("read").pop().expect("one") };
    let first = read().await;
    let again = read().await;
    assert_eq!(format!("{first:?}"), format!("{again:?}"), "a kept record reads like a fresh one");
    assert_eq!((again.variants[0].available, again.variants[0].held), (5, 0));
    assert_eq!(again.variants[0].stock.len(), 1);
    assert_eq!(again.locations.len(), 1);
    // A sale moves stock, not the outbox: the kept record shows it at once.
    let head = store.outbox_head().await.expect("head");
    let now = time::OffsetDateTime::now_utc();
    store.place_order(&new_order(&shop, &[(&variant, 2)], now)).await.expect("place").expect("held");
    assert_eq!(store.outbox_head().await.expect("head"), head);
    let sold = read().await;
    assert_eq!((sold.variants[0].available, sold.variants[0].held), (3, 2), "stock is read now");
    assert_eq!(sold.variants[0].stock, first.variants[0].stock, "on hand is unchanged until capture");
    // A new title is on the next read, on every read path.
    let mut edit = podium_app::licensing::proposal_from(&sold);
    edit.translations[0].title = "Kept, then changed".into();
    store.save_products(&shop, vec![edit], &|_| {}).await.expect("save");
    let changed = read().await;
    assert_eq!(changed.translations[0].title, "Kept, then changed");
    let by_slug = store.product_by_slug(&changed.slug).await.expect("read").expect("found");
    assert_eq!(format!("{by_slug:?}"), format!("{changed:?}"));
}

/// Issue 18 (1): 32 checkouts of one cart at once; exactly one places its order (and only it
/// counts its payment attempt). A cancelled order gives the cart back; a paid one empties it
/// and is what the cart became.
async fn a_cart_is_claimed_by_one_order_at_a_time(store: Arc<dyn Store>) {
    let variant = stocked_variant(&store, "claim-shop", 50).await;
    let shop = store.org_by_slug("claim-shop").await.expect("find").expect("shop");
    store.create_cart("cart-claimed", "KR", "KRW").await.expect("cart");
    store.set_cart_line("cart-claimed", &format!("sku-{variant}"), 1).await.expect("line");
    let cart = store.cart("cart-claimed").await.expect("read").expect("cart");
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (store, variant, shop, revision) = (store.clone(), variant.clone(), shop.id.clone(), cart.revision);
        tries.spawn(async move {
            let mut order = new_order(&shop, &[(&variant, 1)], time::OffsetDateTime::now_utc());
            order.cart_id = Some("cart-claimed".into());
            order.cart_revision = revision;
            let keys = vec!["pay:client:claimer".to_string(), "pay:cart:cart-claimed".to_string()];
            order.counted = podium_app::orders::RateHits { keys, window: time::Duration::hours(1) };
            store.place_order(&order).await.expect("place").map(|()| order.id)
        });
    }
    let (mut placed, mut taken) = (Vec::new(), 0);
    while let Some(done) = tries.join_next().await {
        match done.expect("task") {
            Ok(id) => placed.push(id),
            Err(podium_app::orders::NotPlaced::CartTaken) => taken += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((placed.len(), taken), (1, 31), "one order, every other checkout refused");
    let hits = store
        .rate_limits_hits(
            &["pay:cart:cart-claimed", "pay:client:claimer"],
            time::Duration::hours(1),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("counters");
    assert_eq!(hits, vec![1, 1], "the placed order counted its attempt; the refused ones nothing");
    assert_eq!(store.stock_levels(&variant).await.expect("levels")[0].reserved, 1, "one unit held");
    let claimed = store.cart("cart-claimed").await.expect("read").expect("cart");
    assert_eq!(claimed.checkout_order.as_deref(), Some(placed[0].as_str()));
    // Cancelled: the cart is free again, but a checkout priced before the claim stays refused.
    let now = time::OffsetDateTime::now_utc();
    assert!(store.cancel_order(&placed[0], "card_declined", now).await.expect("cancel"));
    let freed = store.cart("cart-claimed").await.expect("read").expect("cart");
    assert_eq!(freed.checkout_order, None);
    let mut stale = new_order(&shop.id, &[(&variant, 1)], now);
    stale.cart_id = Some("cart-claimed".into());
    stale.cart_revision = cart.revision;
    assert_eq!(store.place_order(&stale).await.expect("place"), Err(podium_app::orders::NotPlaced::CartTaken));
    // A fresh checkout claims it and pays: the cart is emptied and remembers the order.
    let mut again = new_order(&shop.id, &[(&variant, 1)], now);
    again.cart_id = Some("cart-claimed".into());
    again.cart_revision = freed.revision;
    store.place_order(&again).await.expect("place").expect("claimed");
    let paid = store.mark_paid(&again.id, None, &confirmation(&again.id), &[], now).await.expect("paid");
    assert_eq!(paid, podium_app::orders::MarkPaid::Paid);
    let ordered = store.cart("cart-claimed").await.expect("read").expect("cart");
    assert!(ordered.lines.is_empty());
    assert_eq!((ordered.checkout_order, ordered.ordered.as_deref()), (None, Some(again.id.as_str())));
    assert_eq!(
        store.place_order(&from_cart(&shop.id, &variant, freed.revision)).await.expect("place"),
        Err(podium_app::orders::NotPlaced::CartTaken),
        "the paid cart's old revision is refused"
    );
    // New shopping: the cart no longer reads as ordered.
    store.set_cart_line("cart-claimed", &format!("sku-{variant}"), 2).await.expect("line");
    assert_eq!(store.cart("cart-claimed").await.expect("read").expect("cart").ordered, None);
}

/// An order of one unit placed from the test's cart, priced at `revision`.
fn from_cart(shop: &str, variant: &str, revision: i64) -> podium_app::orders::NewOrder {
    let mut o = new_order(shop, &[(variant, 1)], time::OffsetDateTime::now_utc());
    o.cart_id = Some("cart-claimed".into());
    o.cart_revision = revision;
    o
}

/// Issue 18 (2): only orders waiting for a second step, still holding stock, count.
async fn unpaid_orders_waiting_for_a_second_step_are_counted_per_client_account_and_card(store: Arc<dyn Store>) {
    use podium_app::orders::PaymentFacts;
    let variant = stocked_variant(&store, "hold-shop", 50).await;
    let shop = store.org_by_slug("hold-shop").await.expect("find").expect("shop");
    let now = time::OffsetDateTime::now_utc();
    let facts = |id: &str, card: &str| PaymentFacts {
        payment_id: format!("pay-{id}"),
        brand: "Visa".into(),
        last4: "3184".into(),
        fingerprint: card.into(),
        next_action: None,
        // A voucher waiting to be paid in a shop: what the fan must do is kept with the order.
        method: podium_domain::pay_method::PayMethod::Konbini,
        action: Some(podium_domain::pay_method::PaymentAction::Voucher {
            number: format!("1234-{card}"),
            expires_at: 1_900_000_000,
            url: None,
        }),
    };
    let mut ids = Vec::new();
    for (client, card) in [("client-a", "card-1"), ("client-a", "card-2"), ("client-b", "card-1")] {
        let mut o = new_order(&shop.id, &[(&variant, 1)], now);
        o.client_key = Some(client.into());
        store.place_order(&o).await.expect("place").expect("placed");
        store.record_payment(&o.id, &facts(&o.id, card), None, now).await.expect("facts");
        ids.push(o.id);
    }
    // One more from client-a that never reached a second step: it does not hold stock for long.
    let mut quick = new_order(&shop.id, &[(&variant, 1)], now);
    quick.client_key = Some("client-a".into());
    store.place_order(&quick).await.expect("place").expect("placed");
    let counts = store.pending_holds(Some("client-a"), None, Some("card-1"), now).await.expect("count");
    assert_eq!(counts, (2, 0, 2));
    let waiting = store.order(&ids[0]).await.expect("read").expect("order");
    assert_eq!(waiting.pay_method, podium_domain::pay_method::PayMethod::Konbini);
    assert!(
        matches!(&waiting.pay_action, Some(podium_domain::pay_method::PaymentAction::Voucher { number, .. }) if number == "1234-card-1"),
        "{:?}",
        waiting.pay_action
    );
    store.cancel_order(&ids[0], "abandoned", now).await.expect("cancel");
    let cancelled = store.order(&ids[0]).await.expect("read").expect("order");
    assert_eq!(cancelled.pay_action, None, "nothing left to do for a cancelled order");
    let counts = store.pending_holds(Some("client-a"), None, Some("card-1"), now).await.expect("count");
    assert_eq!(counts, (1, 0, 1), "a cancelled order holds nothing");
    // Past their hold, they no longer count either.
    let later = now + time::Duration::hours(1);
    assert_eq!(store.pending_holds(Some("client-a"), None, Some("card-1"), later).await.expect("count"), (0, 0, 0));
}

/// Vouchers wait days: however many there are, an order left in doubt a minute ago (whose hold
/// ends in minutes) is among the first the sweep looks at.
async fn the_sweep_looks_first_at_the_orders_whose_hold_ends_first(store: Arc<dyn Store>) {
    let variant = stocked_variant(&store, "sweep-shop", 50).await;
    let shop = store.org_by_slug("sweep-shop").await.expect("find").expect("shop");
    let start = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let mut vouchers = Vec::new();
    for i in 0..3 {
        let mut o = new_order(&shop.id, &[(&variant, 1)], start + time::Duration::seconds(i));
        o.reserve_until = o.created_at + time::Duration::days(3);
        store.place_order(&o).await.expect("place").expect("placed");
        vouchers.push(o.id);
    }
    let mut card = new_order(&shop.id, &[(&variant, 1)], start + time::Duration::minutes(30));
    card.reserve_until = card.created_at + time::Duration::minutes(10);
    store.place_order(&card).await.expect("place").expect("placed");
    let now = start + time::Duration::minutes(31);
    assert_eq!(store.pending_orders(now, 1).await.expect("pending"), vec![card.id.clone()]);
    let all = store.pending_orders(now, 10).await.expect("pending");
    assert_eq!(all.len(), 4);
    assert_eq!(&all[1..], &vouchers[..], "then the vouchers, the first to expire first");
}

/// A variant with `units` on hand at one location; returns its id.
async fn stocked_variant(store: &Arc<dyn Store>, shop: &str, units: i64) -> String {
    let c = catalogue(store, shop).await;
    let mut p = product(&c, "jersey", "t-shirts", 0);
    p.variants.truncate(1);
    p.variants[0].stock = vec![(c.location_id.clone(), units)];
    let created = store.create_product(p).await.expect("product");
    created.variants[0].id.clone()
}

/// The mail the paid transition queues (what it says does not matter here).
fn confirmation(order_id: &str) -> podium_app::orders::NewMail {
    podium_app::orders::NewMail {
        kind: podium_app::orders::MailKind::OrderConfirmation,
        recipient: "fan@example.com".into(),
        lang: "en".into(),
        order_id: order_id.into(),
        consignment_id: None,
    }
}

/// Concurrent orders share a commit on SQLite: an order that took a unit and was then refused
/// (its second line sold out) must give that unit back, while the orders placed beside it in
/// the same batch stay placed.
async fn orders_refused_half_way_leave_nothing_while_their_neighbours_are_placed(store: Arc<dyn Store>) {
    let one = stocked_variant(&store, "halfway-one", 1000).await;
    let two = stocked_variant(&store, "halfway-two", 1000).await;
    let shop = store.org_by_slug("halfway-one").await.expect("find").expect("shop").id;
    // Lines are reserved in variant order: the first has plenty, the second none left.
    let (first, second) = if one < two { (one, two) } else { (two, one) };
    let now = time::OffsetDateTime::now_utc();
    let all = new_order(&shop, &[(&second, 1000)], now);
    assert!(store.place_order(&all).await.expect("place").is_ok(), "the second variant taken whole");
    let mut buyers = tokio::task::JoinSet::new();
    for n in 0..48 {
        let (store, shop, first, second) = (store.clone(), shop.clone(), first.clone(), second.clone());
        buyers.spawn(async move {
            let lines: Vec<(&str, i64)> = if n % 2 == 0 { vec![(&first, 1)] } else { vec![(&first, 1), (&second, 1)] };
            let order = new_order(&shop, &lines, time::OffsetDateTime::now_utc());
            let placed = store.place_order(&order).await.expect("place").is_ok();
            (n % 2 == 0, placed, order.id)
        });
    }
    let mut placed = 0;
    while let Some(done) = buyers.join_next().await {
        let (whole, ok, id) = done.expect("buyer");
        assert_eq!(ok, whole, "only the orders without the sold-out line are placed");
        let kept = store.order(&id).await.expect("read");
        assert_eq!(kept.is_some(), whole, "a refused order leaves no order behind");
        placed += i64::from(ok);
    }
    assert_eq!(placed, 24);
    let levels = store.stock_levels(&first).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (1000, 24), "refused orders gave their unit back");
    let levels = store.stock_levels(&second).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (1000, 1000));
}

async fn sixty_four_buyers_never_oversell_a_hundred_units(store: Arc<dyn Store>) {
    use podium_app::orders::MarkPaid;
    let variant = stocked_variant(&store, "rush-shop", 100).await;
    let shop = store.org_by_slug("rush-shop").await.expect("find").expect("shop");
    let mut buyers = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (store, variant, shop) = (store.clone(), variant.clone(), shop.id.clone());
        buyers.spawn(async move {
            let (mut bought, mut refused) = (0u32, 0u32);
            // Each buyer takes one unit at a time until refused.
            loop {
                let now = time::OffsetDateTime::now_utc();
                let order = new_order(&shop, &[(&variant, 1)], now);
                match store.place_order(&order).await.expect("place") {
                    Ok(()) => {
                        let paid = store.mark_paid(&order.id, None, &confirmation(&order.id), &[], now).await;
                        assert_eq!(paid.expect("paid"), MarkPaid::Paid, "captured once");
                        bought += 1;
                    }
                    Err(_) => {
                        refused += 1;
                        break;
                    }
                }
                let levels = store.stock_levels(&variant).await.expect("levels");
                assert!(levels.iter().all(|l| 0 <= l.reserved && l.reserved <= l.on_hand), "{levels:?}");
            }
            (bought, refused)
        });
    }
    let (mut sold, mut refusals) = (0, 0);
    while let Some(done) = buyers.join_next().await {
        let (bought, refused) = done.expect("buyer");
        sold += bought;
        refusals += refused;
    }
    assert_eq!(sold, 100, "exactly the units on hand were sold");
    assert_eq!(refusals, 64, "every buyer was finally told it is sold out");
    let levels = store.stock_levels(&variant).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (0, 0));
}

async fn reservations_settle_once_and_expire(store: Arc<dyn Store>) {
    use podium_app::orders::MarkPaid;
    let variant = stocked_variant(&store, "hold-shop", 3).await;
    let shop = store.org_by_slug("hold-shop").await.expect("find").expect("shop").id;
    let now = time::OffsetDateTime::now_utc();
    let a = new_order(&shop, &[(&variant, 2)], now);
    store.place_order(&a).await.expect("place").expect("held");
    assert!(store.place_order(&new_order(&shop, &[(&variant, 2)], now)).await.expect("place").is_err(), "only 1 free");
    // A decline releases the units; releasing or capturing again changes nothing.
    assert!(store.cancel_order(&a.id, "card_declined", now).await.expect("release"));
    assert!(!store.cancel_order(&a.id, "card_declined", now).await.expect("release"));
    assert_eq!(
        store.mark_paid(&a.id, None, &confirmation(&a.id), &[], now).await.expect("capture"),
        MarkPaid::NotPending
    );
    let levels = store.stock_levels(&variant).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (3, 0));
    // An abandoned checkout's hold runs out and the sweep gives its units back, once.
    let b = new_order(&shop, &[(&variant, 3)], now - Duration::minutes(15) - Duration::seconds(1));
    store.place_order(&b).await.expect("place").expect("held");
    assert_eq!(store.release_expired(now).await.expect("sweep"), 1);
    assert_eq!(store.release_expired(now).await.expect("sweep"), 0);
    let late = store.mark_paid(&b.id, None, &confirmation(&b.id), &[], now).await.expect("capture");
    assert_eq!(late, MarkPaid::ReservationLost, "too late to capture");
    let c = new_order(&shop, &[(&variant, 3)], now);
    store.place_order(&c).await.expect("place").expect("held");
    assert_eq!(store.mark_paid(&c.id, None, &confirmation(&c.id), &[], now).await.expect("capture"), MarkPaid::Paid);
    let levels = store.stock_levels(&variant).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (0, 0));
}

async fn shipping_profiles_keep_one_default_and_products_use_it_unless_assigned(store: Arc<dyn Store>) {
    use podium_domain::shipping::{ShippingProfile, Zone};
    use podium_domain::Country;
    let c = catalogue(&store, "ship-shop").await;
    let created = store.create_product(product(&c, "cap", "headwear", 1)).await.expect("product");
    // A new shop ships everywhere, free, with its default profile.
    let profiles = store.shipping_profiles(&c.shop_id).await.expect("profiles");
    assert_eq!(profiles.len(), 1);
    assert!(profiles[0].is_default && profiles[0].zones[0].rest_of_world);
    assert!(created.ships_to(Country::parse("CA").expect("ca")));
    let krw = |minor| Money::new(minor, Currency::KRW);
    let zone = |name: &str, countries: &[&str], flat| Zone {
        name: name.into(),
        countries: countries.iter().map(|c| Country::parse(c).expect("country")).collect(),
        rest_of_world: countries.is_empty(),
        flat: krw(flat),
        per_item: krw(1000),
        days_min: 2,
        days_max: 5,
    };
    let asia = ShippingProfile {
        id: String::new(),
        name: "Asia only".into(),
        is_default: true,
        zones: vec![zone("Korea", &["KR"], 3000), zone("Nearby", &["JP", "CN"], 12000)],
    };
    let head = store.outbox_head().await.expect("head");
    let asia = store.save_shipping_profile(&c.shop_id, &asia).await.expect("save");
    assert!(store.outbox_head().await.expect("head") > head, "the index learns of it");
    let profiles = store.shipping_profiles(&c.shop_id).await.expect("profiles");
    assert_eq!(profiles.iter().filter(|p| p.is_default).count(), 1, "the new default took over");
    assert_eq!(profiles[0], asia, "zones round-trip in order");
    let p = store.product_by_slug("ship-shop-cap").await.expect("read").expect("exists");
    assert!(p.ships_to(Country::parse("JP").expect("jp")) && !p.ships_to(Country::parse("FR").expect("fr")));
    assert_eq!(p.locations, vec![(c.location_id.clone(), "KR".to_string())], "it ships from its stock location");
    // Another profile assigned to the product wins over the default.
    let world = ShippingProfile {
        id: String::new(),
        name: "Worldwide tracked".into(),
        is_default: false,
        zones: vec![zone("World", &[], 25000)],
    };
    let world = store.save_shipping_profile(&c.shop_id, &world).await.expect("save");
    let duplicate = ShippingProfile { id: String::new(), ..world.clone() };
    assert!(matches!(
        store.save_shipping_profile(&c.shop_id, &duplicate).await,
        Err(StoreError::Conflict { field: "name" })
    ));
    assert_eq!(
        store.assign_shipping_profile(&c.shop_id, std::slice::from_ref(&p.id), Some(&world.id)).await.expect("assign"),
        1
    );
    let p = store.product_by_slug("ship-shop-cap").await.expect("read").expect("exists");
    assert_eq!(p.shipping_profile_id.as_deref(), Some(world.id.as_str()));
    assert!(p.ships_to(Country::parse("FR").expect("fr")));
    // Another shop cannot assign its products to this profile, nor delete it.
    let other = catalogue(&store, "other-ship-shop").await;
    assert!(store.assign_shipping_profile(&other.shop_id, std::slice::from_ref(&p.id), Some(&world.id)).await.is_err());
    assert!(store.delete_shipping_profile(&other.shop_id, &world.id).await.is_err());
    // The default cannot be deleted; deleting another sends its products back to the default.
    assert!(store.delete_shipping_profile(&c.shop_id, &asia.id).await.is_err());
    store.delete_shipping_profile(&c.shop_id, &world.id).await.expect("delete");
    let p = store.product_by_slug("ship-shop-cap").await.expect("read").expect("exists");
    assert_eq!(p.shipping_profile_id, None);
    assert_eq!(p.shipping.map(|s| s.id), Some(asia.id));
}

async fn the_newest_trade_rules_apply(store: Arc<dyn Store>) {
    assert!(store.latest_trade_rules().await.expect("read").is_none());
    let head = store.outbox_head().await.expect("head");
    store.save_trade_rules("# first", "operator@podium.example").await.expect("save");
    store.save_trade_rules("# second", "podium import trade-rules").await.expect("save");
    let (source, by, _) = store.latest_trade_rules().await.expect("read").expect("stored");
    assert_eq!((source.as_str(), by.as_str()), ("# second", "podium import trade-rules"));
    assert_eq!(store.outbox_head().await.expect("head"), head + 2, "other nodes learn of each import");
}

use podium_app::catalogue::{NewProduct, NewProperty, NewVariant, ProductFilter, ProductStatus, Translation};
use podium_domain::{Lang, Money};

struct Catalogue {
    shop_id: String,
    property_id: String,
    location_id: String,
}

async fn catalogue(store: &Arc<dyn Store>, shop_slug: &str) -> Catalogue {
    let shop = store.create_org(shop(shop_slug)).await.expect("shop");
    let licensor = match store.org_by_slug("pyeongchang").await.expect("find") {
        Some(l) => l,
        None => store
            .create_org(NewOrg {
                kind: OrgKind::Licensor,
                slug: "pyeongchang".into(),
                name: "POCOG".into(),
                country: "KR".into(),
                currency: "KRW".into(),
            })
            .await
            .expect("licensor"),
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
    let location = store.create_stock_location(&shop.id, "Seoul", "KR").await.expect("location");
    Catalogue { shop_id: shop.id, property_id: property.id, location_id: location.id }
}

fn product(c: &Catalogue, handle: &str, category: &str, age_days: i64) -> NewProduct {
    NewProduct {
        shop_id: c.shop_id.clone(),
        property_id: c.property_id.clone(),
        category_slug: category.into(),
        handle: handle.into(),
        fallback_lang: Lang::Ko,
        tags: vec!["mascot".into(), "winter".into()],
        hs_code: "950300".into(),
        origin_country: "KR".into(),
        weight_grams: 300,
        status: ProductStatus::Live,
        translations: vec![
            Translation {
                lang: Lang::Ko,
                title: format!("수호랑 {handle}"),
                description: "겨울 올림픽 마스코트".into(),
            },
            Translation {
                lang: Lang::En,
                title: format!("Soohorang {handle}"),
                description: "The winter mascot".into(),
            },
        ],
        variants: vec![
            NewVariant {
                sku: format!("{handle}-s"),
                options: vec![("Size".into(), "S".into()), ("Colour".into(), "White".into())],
                gtin: Some("04006381333931".into()),
                price: Money::new(35000, Currency::KRW),
                explicit_prices: vec![Money::new(2500, Currency::EUR)],
                stock: vec![(c.location_id.clone(), 7)],
            },
            NewVariant {
                sku: format!("{handle}-m"),
                options: vec![("Size".into(), "M".into()), ("Colour".into(), "White".into())],
                gtin: None,
                price: Money::new(36000, Currency::KRW),
                explicit_prices: vec![],
                stock: vec![],
            },
        ],
        created_at: time::OffsetDateTime::now_utc() - Duration::days(age_days),
    }
}

async fn categories_ship_as_a_tree(store: Arc<dyn Store>) {
    let cats = store.categories().await.expect("categories");
    assert!(cats.len() >= 10);
    let tee = cats.iter().find(|c| c.slug == "t-shirts").expect("t-shirts");
    assert_eq!(tee.parent.as_deref(), Some("apparel"));
}

async fn properties_belong_to_licensors(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    let props = store.properties().await.expect("list");
    assert_eq!(props.len(), 1);
    assert_eq!((props[0].slug.as_str(), props[0].licensor_slug.as_str()), ("pyeongchang-2018", "pyeongchang"));
    let dup = store
        .create_property(NewProperty {
            licensor_id: props[0].licensor_id.clone(),
            slug: "pyeongchang-2018".into(),
            name: "x".into(),
            sport: "".into(),
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict { field: "slug" })));
    let _ = c;
}

async fn products_are_created_whole_with_their_parts(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    let created = store.create_product(product(&c, "plush", "plush-and-mascots", 0)).await.expect("create");
    assert_eq!(created.slug, "hanok-plush");
    let found = store.product_by_slug("hanok-plush").await.expect("find").expect("exists");
    assert_eq!(found, created);
    assert_eq!(found.translations.len(), 2);
    assert_eq!(found.tags, ["mascot", "winter"]);
    assert_eq!(found.variants.len(), 2);
    let s = &found.variants[0];
    assert_eq!(s.options, vec![("Size".to_string(), "S".to_string()), ("Colour".to_string(), "White".to_string())]);
    assert_eq!(
        (s.price, s.explicit_prices.clone(), s.available),
        (Money::new(35000, Currency::KRW), vec![Money::new(2500, Currency::EUR)], 7)
    );
    assert_eq!(s.gtin.as_deref(), Some("04006381333931"));
    assert_eq!(found.variants[1].available, 0);
    assert_eq!(found.available(), 7);
    assert!(store.product_by_slug("nope").await.expect("find").is_none());
    let events = store.outbox_after(0, 1000).await.expect("outbox");
    assert!(events.iter().any(|e| e.topic == "product.changed" && e.payload.contains(&created.id)));
}

async fn product_handles_and_skus_are_unique_per_shop(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    store.create_product(product(&c, "plush", "plush-and-mascots", 0)).await.expect("create");
    let again = store.create_product(product(&c, "plush", "plush-and-mascots", 0)).await;
    assert!(matches!(again, Err(StoreError::Conflict { field: "handle" })), "{again:?}");
    let mut same_sku = product(&c, "other", "plush-and-mascots", 0);
    same_sku.variants[0].sku = "plush-s".into();
    let r = store.create_product(same_sku).await;
    assert!(matches!(r, Err(StoreError::Conflict { field: "sku" })), "{r:?}");
    assert!(
        store.product_by_slug("hanok-other").await.expect("find").is_none(),
        "a refused product leaves nothing behind"
    );
    // Another shop may use the same handle and SKUs.
    let other = catalogue(&store, "kumo").await;
    store.create_product(product(&other, "plush", "plush-and-mascots", 0)).await.expect("other shop");
    let mut bad = product(&c, "bad-stock", "plush-and-mascots", 0);
    bad.variants[0].stock = vec![(c.location_id.clone(), -1)];
    assert!(matches!(store.create_product(bad).await, Err(StoreError::Conflict { field: "stock" })));
    let mut bad = product(&c, "bad-cat", "no-such-category", 0);
    bad.variants.clear();
    assert!(matches!(store.create_product(bad).await, Err(StoreError::NotFound(_))));
}

async fn saving_products_updates_by_handle_and_sku_keeping_reservations(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    let created = store.create_product(product(&c, "plush", "plush-and-mascots", 3)).await.expect("create");
    let mut edit = product(&c, "plush", "home", 0);
    edit.translations[1].title = "Soohorang plush, 30 cm".into();
    edit.variants.remove(1); // "plush-m" goes
    edit.variants[0].price = Money::new(39000, Currency::KRW);
    edit.variants[0].explicit_prices = vec![Money::new(2900, Currency::USD)];
    edit.variants[0].stock = vec![(c.location_id.clone(), 12)];
    edit.variants.push(NewVariant {
        sku: "plush-l".into(),
        options: vec![("Size".into(), "L".into()), ("Colour".into(), "White".into())],
        gtin: None,
        price: Money::new(41000, Currency::KRW),
        explicit_prices: vec![],
        stock: vec![(c.location_id.clone(), 2)],
    });
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |n: usize| seen.lock().expect("lock").push(n);
    let fresh = product(&c, "scarf", "scarves", 0);
    let saved = store.save_products(&c.shop_id, vec![edit, fresh], &progress).await.expect("save");
    assert_eq!(*seen.lock().expect("lock"), [1, 2]);
    let plush = &saved[0];
    assert_eq!(
        (plush.id.as_str(), plush.slug.as_str()),
        (created.id.as_str(), "hanok-plush"),
        "an update keeps id and slug"
    );
    assert_eq!(plush.created_at, created.created_at, "and its creation time");
    assert_eq!(plush.category_slug, "home");
    assert!(plush.translations.iter().any(|t| t.title == "Soohorang plush, 30 cm"));
    assert_eq!(plush.variants.iter().map(|v| v.sku.as_str()).collect::<Vec<_>>(), ["plush-s", "plush-l"]);
    assert_eq!(plush.variants[0].id, created.variants[0].id, "a kept SKU keeps its variant");
    assert_eq!(plush.variants[0].price, Money::new(39000, Currency::KRW));
    assert_eq!(plush.variants[0].explicit_prices, vec![Money::new(2900, Currency::USD)]);
    assert_eq!(plush.variants[0].stock, vec![(c.location_id.clone(), 12)]);
    assert_eq!(plush.available(), 14);
    assert_eq!(saved[1].slug, "hanok-scarf");
    // The removed variant's SKU is free again.
    let mut reuse = product(&c, "reuse", "scarves", 0);
    reuse.variants.truncate(1);
    reuse.variants[0].sku = "plush-m".into();
    store.create_product(reuse).await.expect("the SKU of a removed variant may be used again");
    let events = store.outbox_after(0, 1000).await.expect("outbox");
    assert!(events.iter().filter(|e| e.topic == "product.changed" && e.payload.contains(&created.id)).count() >= 2);
}

async fn a_failed_save_changes_nothing(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    store.create_product(product(&c, "plush", "plush-and-mascots", 0)).await.expect("create");
    let mut edit = product(&c, "plush", "home", 0);
    edit.translations[1].title = "Changed".into();
    let mut clash = product(&c, "mug", "mugs", 0);
    clash.variants[0].stock = vec![(c.location_id.clone(), -5)];
    let r = store.save_products(&c.shop_id, vec![edit, clash], &|_| {}).await;
    assert!(matches!(r, Err(StoreError::Conflict { field: "stock" })), "{r:?}");
    let plush = store.product_by_slug("hanok-plush").await.expect("find").expect("exists");
    assert_eq!(plush.category_slug, "plush-and-mascots", "the first product's update was rolled back");
    assert!(!plush.translations.iter().any(|t| t.title == "Changed"));
    assert!(store.product_by_slug("hanok-mug").await.expect("find").is_none());
}

async fn images_are_stored_in_order_and_served_whole(store: Arc<dyn Store>) {
    use podium_app::catalogue::{ImageOwner, NewImage};
    let c = catalogue(&store, "hanok").await;
    let p = store.create_product(product(&c, "plush", "plush-and-mascots", 0)).await.expect("create");
    let image = |owner, owner_id: &str, byte: u8| NewImage {
        owner,
        owner_id: owner_id.into(),
        content_type: "image/png".into(),
        width: 800,
        height: 600,
        alt: format!("view {byte}"),
        sha256: format!("{byte:064}"),
        original: vec![byte; 70_000],
        thumb: vec![byte, 1, 2],
        pending: false,
    };
    let first = store.add_image(image(ImageOwner::Product, &p.id, 1)).await.expect("add");
    let second = store.add_image(image(ImageOwner::Product, &p.id, 2)).await.expect("add");
    let found = store.product_by_slug("hanok-plush").await.expect("find").expect("exists");
    assert_eq!(found.images.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [first.id.as_str(), second.id.as_str()]);
    assert_eq!((found.images[0].width, found.images[0].alt.as_str()), (800, "view 1"));
    let blob = store.image(&second.id, false).await.expect("read").expect("exists");
    assert_eq!((blob.content_type.as_str(), blob.bytes.len()), ("image/png", 70_000));
    assert!(blob.bytes.iter().all(|b| *b == 2));
    let thumb = store.image(&second.id, true).await.expect("read").expect("exists");
    assert_eq!((thumb.content_type.as_str(), thumb.bytes), ("image/jpeg", vec![2, 1, 2]));
    assert!(matches!(
        store.add_image(image(ImageOwner::Product, "no-such-product", 3)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_image(ImageOwner::Product, "someone-else", &first.id).await,
        Err(StoreError::NotFound(_))
    ));
    store.delete_image(ImageOwner::Product, &p.id, &first.id).await.expect("delete");
    assert!(store.image(&first.id, false).await.expect("read").is_none());
    // A property keeps one emblem; a new one replaces it.
    let old = store.add_image(image(ImageOwner::Property, &c.property_id, 4)).await.expect("emblem");
    let new = store.add_image(image(ImageOwner::Property, &c.property_id, 5)).await.expect("emblem");
    assert!(store.image(&old.id, false).await.expect("read").is_none());
    let prop = store.property_by_slug("pyeongchang-2018").await.expect("find").expect("exists");
    assert_eq!(prop.emblem.map(|e| e.id), Some(new.id.clone()));
    let again = store.product_by_slug("hanok-plush").await.expect("find").expect("exists");
    assert_eq!(again.property.emblem.map(|e| e.id), Some(new.id));
}

async fn shops_keep_a_story(store: Arc<dyn Store>) {
    let shop = store.create_org(shop("hanok")).await.expect("shop");
    assert_eq!(shop.story, "");
    store.set_org_story(&shop.id, "We print by hand in Jeonju.\n\nSince 1998.").await.expect("story");
    let found = store.org_by_slug("hanok").await.expect("find").expect("exists");
    assert_eq!(found.story, "We print by hand in Jeonju.\n\nSince 1998.");
    assert!(matches!(store.set_org_story("missing", "x").await, Err(StoreError::NotFound(_))));
}

async fn products_filter_and_page_newest_first(store: Arc<dyn Store>) {
    let c = catalogue(&store, "hanok").await;
    for (i, cat) in ["t-shirts", "hoodies", "mugs", "t-shirts", "pins-and-badges"].iter().enumerate() {
        store.create_product(product(&c, &format!("p{i}"), cat, i as i64)).await.expect("create");
    }
    let mut draft = product(&c, "draft", "t-shirts", 0);
    draft.status = ProductStatus::Draft;
    store.create_product(draft).await.expect("draft");
    let all = ProductFilter { live_only: true, limit: 10, ..Default::default() };
    let (page, total) = store.products(&all).await.expect("list");
    assert_eq!(total, 5, "drafts are not live");
    assert_eq!(page.iter().map(|p| p.handle.as_str()).collect::<Vec<_>>(), ["p0", "p1", "p2", "p3", "p4"]);
    let apparel =
        ProductFilter { category_slugs: vec!["apparel".into(), "t-shirts".into(), "hoodies".into()], ..all.clone() };
    let (page, total) = store.products(&apparel).await.expect("list");
    assert_eq!((total, page.len()), (3, 3));
    let paged = ProductFilter { limit: 2, offset: 2, ..all.clone() };
    let (page, total) = store.products(&paged).await.expect("list");
    assert_eq!((total, page.iter().map(|p| p.handle.as_str()).collect::<Vec<_>>()), (5, vec!["p2", "p3"]));
    let by_shop = ProductFilter { shop_slug: Some("nobody".into()), ..all.clone() };
    assert_eq!(store.products(&by_shop).await.expect("list").1, 0);
    let by_property = ProductFilter { property_slug: Some("pyeongchang-2018".into()), ..all };
    assert_eq!(store.products(&by_property).await.expect("list").1, 5);
}

fn new_user(email: &str) -> NewUser {
    NewUser { email: email.into(), display_name: "Test Fan".into(), password_hash: "$argon2id$stub".into() }
}

fn shop(slug: &str) -> NewOrg {
    NewOrg {
        kind: OrgKind::Shop,
        slug: slug.into(),
        name: format!("Shop {slug}"),
        country: "KR".into(),
        currency: "KRW".into(),
    }
}

async fn migrations_are_applied_and_idempotent(store: Arc<dyn Store>) {
    assert!(store.is_ready().await.expect("ready check"));
    store.migrate().await.expect("second migrate is a no-op");
    assert!(store.is_ready().await.expect("ready check"));
    assert_eq!(store.count_users().await.expect("count"), 0, "a fresh database has no users");
}

async fn orgs_have_unique_slugs(store: Arc<dyn Store>) {
    let created = store.create_org(shop("hanok")).await.expect("create");
    assert_eq!(created.kind, OrgKind::Shop);
    let found = store.org_by_slug("hanok").await.expect("find").expect("exists");
    assert_eq!(found, created);
    assert!(matches!(store.create_org(shop("hanok")).await, Err(StoreError::Conflict { field: "slug" })));
    assert!(store.org_by_slug("nope").await.expect("find").is_none());
    store
        .create_org(NewOrg {
            kind: OrgKind::Licensor,
            slug: "ioc".into(),
            name: "IOC".into(),
            country: "CH".into(),
            currency: "CHF".into(),
        })
        .await
        .expect("create licensor");
    let shops = store.orgs_of_kind(OrgKind::Shop).await.expect("list");
    assert_eq!(shops.iter().map(|o| o.slug.as_str()).collect::<Vec<_>>(), ["hanok"]);
}

async fn users_have_unique_emails_case_insensitively(store: Arc<dyn Store>) {
    let u = store.create_user(new_user("Mina@Example.com")).await.expect("create");
    assert_eq!(u.email, "mina@example.com");
    assert!(!u.is_operator);
    assert!(matches!(
        store.create_user(new_user("MINA@example.com")).await,
        Err(StoreError::Conflict { field: "email" })
    ));
    assert_eq!(store.user_by_email("mina@EXAMPLE.com").await.expect("find"), Some(u.clone()));
    assert_eq!(store.user_by_id(&u.id).await.expect("find"), Some(u));
    assert_eq!(store.user_by_id("missing").await.expect("find"), None);
    assert_eq!(store.count_users().await.expect("count"), 1);
}

async fn memberships_link_users_to_orgs(store: Arc<dyn Store>) {
    let u = store.create_user(new_user("m@example.com")).await.expect("user");
    let a = store.create_org(shop("b-shop")).await.expect("org");
    let b = store.create_org(shop("a-shop")).await.expect("org");
    store.add_membership(&u.id, &a.id).await.expect("join");
    store.add_membership(&u.id, &b.id).await.expect("join");
    store.add_membership(&u.id, &b.id).await.expect("joining twice is harmless");
    let orgs = store.memberships(&u.id).await.expect("list");
    assert_eq!(orgs.iter().map(|o| o.slug.as_str()).collect::<Vec<_>>(), ["a-shop", "b-shop"]);
    assert!(matches!(store.add_membership(&u.id, "no-such-org").await, Err(StoreError::NotFound(_))));
}

async fn operator_flag_is_stored(store: Arc<dyn Store>) {
    let u = store.create_user(new_user("op@example.com")).await.expect("user");
    store.set_operator(&u.id, true).await.expect("set");
    assert!(store.user_by_id(&u.id).await.expect("find").expect("exists").is_operator);
    assert!(matches!(store.set_operator("ghost", true).await, Err(StoreError::NotFound(_))));
}

async fn sessions_expire_and_can_be_deleted(store: Arc<dyn Store>) {
    let u = store.create_user(new_user("s@example.com")).await.expect("user");
    let now = datetime!(2026-11-28 12:00 UTC);
    let s = SessionRecord {
        token_hash: "h1".into(),
        user_id: u.id.clone(),
        csrf_token: "c1".into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    store.create_session(s.clone()).await.expect("create");
    assert_eq!(store.session("h1", now).await.expect("get"), Some(s.clone()));
    assert_eq!(store.session("h1", now + Duration::hours(1)).await.expect("get"), None, "expired at expires_at");
    assert_eq!(store.delete_expired_sessions(now).await.expect("sweep"), 0);
    assert_eq!(store.delete_expired_sessions(now + Duration::hours(2)).await.expect("sweep"), 1);
    store.create_session(s).await.expect("create again");
    store.delete_session("h1").await.expect("delete");
    assert_eq!(store.session("h1", now).await.expect("get"), None);
}

fn session(hash: &str, user: &str, now: time::OffsetDateTime) -> SessionRecord {
    SessionRecord {
        token_hash: hash.into(),
        user_id: user.into(),
        csrf_token: "c".into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
    }
}

async fn signups_confirm_once_with_the_links_password(store: Arc<dyn Store>) {
    use podium_app::orders::MailKind;
    use podium_app::signup::SignupConfirmation;
    let now = datetime!(2026-11-28 12:00 UTC);
    let link = |id: &str, hash: &str, password: &str| SignupConfirmation {
        id: id.into(),
        user_id: String::new(),
        token_hash: hash.into(),
        password_hash: password.into(),
        display_name: format!("Name {id}"),
        created_at: now,
        expires_at: now + Duration::hours(24),
        used_at: None,
    };
    let first = NewUser { email: "New@Example.com".into(), display_name: "Name c1".into(), password_hash: "h1".into() };
    let u = store.create_unconfirmed_user(first, &link("c1", "t1", "h1"), "ja").await.expect("create");
    assert!(!u.confirmed && u.email == "new@example.com");
    let read = store.user_by_email("new@example.com").await.expect("read").expect("user");
    assert!(!read.confirmed, "unconfirmed until the link is followed");
    // The address is taken, confirmed or not.
    let again = NewUser { email: "new@example.com".into(), display_name: "X".into(), password_hash: "h".into() };
    assert!(matches!(
        store.create_unconfirmed_user(again, &link("c0", "t0", "h0"), "ja").await,
        Err(StoreError::Conflict { field: "email" })
    ));
    assert_eq!(store.signup_confirmation("c0").await.expect("read"), None, "nothing of the refused one stays");
    let mut second = link("c2", "t2", "h2");
    second.user_id = u.id.clone();
    store.add_signup_confirmation(&second, &u.email, "ko").await.expect("add");
    let mails = store.claim_mails(now, Duration::minutes(2), 10).await.expect("mails");
    let mut kinds: Vec<_> = mails.iter().map(|m| (m.kind, m.order_id.as_str(), m.lang.as_str())).collect();
    kinds.sort_by_key(|k| k.1.to_string());
    assert_eq!(kinds, [(MailKind::SignupConfirm, "c1", "ja"), (MailKind::SignupConfirm, "c2", "ko")]);
    let stored = store.signup_confirmation_by_hash("t1").await.expect("read").expect("link");
    assert_eq!((stored.user_id.as_str(), stored.password_hash.as_str()), (u.id.as_str(), "h1"));
    assert_eq!(store.signup_confirmation("c2").await.expect("read"), Some(second.clone()));

    // Expired: refused; live: once, with that link's password and name; the other link dies.
    assert_eq!(store.confirm_signup("t2", now + Duration::hours(24)).await.expect("use"), None);
    assert_eq!(store.confirm_signup("t2", now + Duration::minutes(5)).await.expect("use"), Some(u.id.clone()));
    let confirmed = store.user_by_id(&u.id).await.expect("read").expect("user");
    assert!(confirmed.confirmed);
    assert_eq!((confirmed.password_hash.as_str(), confirmed.display_name.as_str()), ("h2", "Name c2"));
    assert_eq!(store.confirm_signup("t2", now + Duration::minutes(6)).await.expect("use"), None);
    assert_eq!(store.confirm_signup("t1", now + Duration::minutes(6)).await.expect("use"), None);
    assert!(store.signup_confirmation("c1").await.expect("read").expect("kept").used_at.is_some());
    assert_eq!(store.confirm_signup("unknown", now).await.expect("use"), None);

    // Accounts made directly are confirmed; the notice mail is queued once per id.
    let direct = store.create_user(new_user("direct@example.com")).await.expect("user");
    assert!(direct.confirmed && store.user_by_id(&direct.id).await.expect("read").expect("user").confirmed);
    store.queue_signup_notice("n1", &direct.id, &direct.email, "fr", now).await.expect("notice");
    let mails = store.claim_mails(now, Duration::minutes(2), 10).await.expect("mails");
    assert_eq!(mails.len(), 1);
    assert_eq!(
        (mails[0].kind, mails[0].recipient.as_str(), mails[0].lang.as_str()),
        (MailKind::SignupTaken, "direct@example.com", "fr")
    );

    // A password reset proves the mailbox too.
    let other = NewUser { email: "other@example.com".into(), display_name: "O".into(), password_hash: "h".into() };
    let o = store.create_unconfirmed_user(other, &link("c3", "t3", "h"), "en").await.expect("create");
    let reset = podium_app::security::PasswordReset {
        id: "r3".into(),
        user_id: o.id.clone(),
        token_hash: "rt3".into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
        used_at: None,
    };
    store.create_password_reset(&reset, &o.email, "en").await.expect("reset");
    assert_eq!(store.use_password_reset("rt3", "new", now).await.expect("use"), Some(o.id.clone()));
    assert!(store.user_by_id(&o.id).await.expect("read").expect("user").confirmed);
    assert_eq!(store.confirm_signup("t3", now).await.expect("use"), None, "its link no longer changes the password");
}

async fn password_resets_work_once_until_they_expire(store: Arc<dyn Store>) {
    use podium_app::security::PasswordReset;
    let u = store.create_user(new_user("r@example.com")).await.expect("user");
    let now = datetime!(2026-11-28 12:00 UTC);
    for h in ["s1", "s2"] {
        store.create_session(session(h, &u.id, now)).await.expect("session");
    }
    let reset = |id: &str, hash: &str| PasswordReset {
        id: id.into(),
        user_id: u.id.clone(),
        token_hash: hash.into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
        used_at: None,
    };
    store.create_password_reset(&reset("r1", "t1"), "r@example.com", "ko").await.expect("reset");
    store.create_password_reset(&reset("r2", "t2"), "r@example.com", "ko").await.expect("reset");
    let mails = store.claim_mails(now, Duration::minutes(2), 10).await.expect("mails");
    assert_eq!(mails.len(), 2, "each reset queues its mail");
    assert!(mails.iter().all(|m| m.kind == podium_app::orders::MailKind::PasswordReset && m.lang == "ko"));
    assert_eq!(store.password_reset("r1").await.expect("read"), Some(reset("r1", "t1")));
    // Expired: refused, nothing changed.
    let late = now + Duration::hours(1);
    assert_eq!(store.use_password_reset("t1", "new-hash", late).await.expect("use"), None);
    assert_eq!(store.user_by_id(&u.id).await.expect("read").expect("user").password_hash, u.password_hash);
    // Live: once; the password changes, every session ends, the other link dies with it.
    let used = store.use_password_reset("t1", "new-hash", now + Duration::minutes(5)).await.expect("use");
    assert_eq!(used, Some(u.id.clone()));
    assert_eq!(store.user_by_id(&u.id).await.expect("read").expect("user").password_hash, "new-hash");
    assert_eq!(store.session("s1", now).await.expect("read"), None);
    assert_eq!(store.use_password_reset("t1", "again", now + Duration::minutes(6)).await.expect("use"), None);
    assert_eq!(store.use_password_reset("t2", "again", now + Duration::minutes(6)).await.expect("use"), None);
    assert!(store.password_reset_by_hash("t2").await.expect("read").expect("kept").used_at.is_some());

    // Changing a password keeps the session that did it and ends the others.
    for h in ["s3", "s4"] {
        store.create_session(session(h, &u.id, now)).await.expect("session");
    }
    store.set_password(&u.id, "third-hash", Some("s3")).await.expect("set");
    assert!(store.session("s3", now).await.expect("read").is_some());
    assert_eq!(store.session("s4", now).await.expect("read"), None);
    assert_eq!(store.delete_sessions_of_user(&u.id, None).await.expect("end"), 1);
    assert_eq!(store.session("s3", now).await.expect("read"), None);
}

async fn api_tokens_are_revoked_only_by_their_organisation(store: Arc<dyn Store>) {
    use podium_app::security::{ApiToken, Scope};
    let u = store.create_user(new_user("t@example.com")).await.expect("user");
    let other = store.create_org(shop("other-shop")).await.expect("org");
    let shop = store.create_org(shop("token-shop")).await.expect("org");
    let now = datetime!(2026-11-28 12:00 UTC);
    let token = ApiToken {
        id: "tok1".into(),
        org_id: shop.id.clone(),
        name: "Till".into(),
        token_hash: "hash1".into(),
        scopes: vec![Scope::ReadCatalogue, Scope::FulfilOrders],
        created_by: u.id.clone(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let entry = licensing_cases::audit(&shop.id, "token.create");
    store.create_api_token(&token, &entry).await.expect("create");
    assert_eq!(store.api_token_by_hash("hash1").await.expect("read"), Some(token.clone()));
    store.touch_api_token("tok1", now + Duration::minutes(3)).await.expect("touch");
    let listed = store.api_tokens_of(&shop.id).await.expect("list");
    assert_eq!(listed[0].last_used_at, Some(now + Duration::minutes(3)));
    assert!(store.api_tokens_of(&other.id).await.expect("list").is_empty());
    // Another organisation cannot revoke it; its own can, once.
    let revoke = licensing_cases::audit(&shop.id, "token.revoke");
    assert!(!store.revoke_api_token(&other.id, "tok1", now, &revoke).await.expect("revoke"));
    assert!(store.revoke_api_token(&shop.id, "tok1", now, &revoke).await.expect("revoke"));
    assert!(!store.revoke_api_token(&shop.id, "tok1", now, &revoke).await.expect("revoke"));
    assert_eq!(store.api_token_by_hash("hash1").await.expect("read").expect("kept").revoked_at, Some(now));
    // The log holds both, with where they came from.
    let log = store.audit_log(&shop.id, 10).await.expect("log");
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.entry.client == "127.0.0.1"));
}

async fn rate_limits_count_per_window(store: Arc<dyn Store>) {
    let now = datetime!(2026-11-28 12:00 UTC);
    let w = Duration::minutes(15);
    assert_eq!(store.hit_rate_limit("k", w, now).await.expect("hit").0, 1);
    let (hits, end) = store.hit_rate_limit("k", w, now + Duration::minutes(14)).await.expect("hit");
    assert_eq!((hits, end), (2, datetime!(2026-11-28 12:15 UTC)));
    assert_eq!(store.hit_rate_limit("other", w, now).await.expect("hit").0, 1, "keys are independent");
    assert_eq!(
        store.hit_rate_limit("k", w, now + Duration::minutes(15)).await.expect("hit").0,
        1,
        "a new window starts over"
    );
    store.clear_rate_limit("k").await.expect("clear");
    assert_eq!(store.hit_rate_limit("k", w, now + Duration::minutes(16)).await.expect("hit").0, 1);
}

/// Issue 22: a checkout reads its card-testing counters in one look and counts its attempt in
/// one transaction.
async fn rate_limits_are_read_and_hit_together(store: Arc<dyn Store>) {
    let w = Duration::minutes(15);
    let now = datetime!(2026-12-07 10:00 UTC);
    store.hit_rate_limit("a", w, now).await.expect("hit");
    store.hit_rate_limits(&["a", "b", "a"], w, now).await.expect("hit together");
    assert_eq!(store.rate_limits_hits(&["b", "never", "a"], w, now).await.expect("read"), vec![1, 0, 3]);
    assert_eq!(store.rate_limit_hits("a", w, now).await.expect("read").0, 3, "the same count one by one");
    // In the next window everything starts again.
    let later = now + Duration::minutes(15);
    assert_eq!(store.rate_limits_hits(&["a", "b"], w, later).await.expect("read"), vec![0, 0]);
    store.hit_rate_limits(&["a"], w, later).await.expect("hit");
    assert_eq!(store.rate_limits_hits(&["a"], w, later).await.expect("read"), vec![1]);
    assert!(store.rate_limits_hits(&[], w, later).await.expect("nothing").is_empty());
    store.hit_rate_limits(&[], w, later).await.expect("nothing to hit");
}

async fn rate_limit_hits_are_refunded_in_their_window_only(store: Arc<dyn Store>) {
    let now = datetime!(2026-11-28 12:00 UTC);
    let w = Duration::minutes(15);
    for _ in 0..3 {
        store.hit_rate_limit("k", w, now).await.expect("hit");
    }
    store.refund_rate_limit("k", w, now + Duration::minutes(1)).await.expect("refund");
    assert_eq!(store.hit_rate_limit("k", w, now).await.expect("hit").0, 3, "one of three taken back");
    // A refund in a later window leaves that window's count alone, and never goes below zero.
    store.refund_rate_limit("k", w, now + Duration::minutes(20)).await.expect("refund");
    assert_eq!(store.hit_rate_limit("k", w, now + Duration::minutes(20)).await.expect("hit").0, 1);
    store.refund_rate_limit("k", w, now + Duration::minutes(20)).await.expect("refund");
    store.refund_rate_limit("k", w, now + Duration::minutes(20)).await.expect("refund");
    assert_eq!(store.hit_rate_limit("k", w, now + Duration::minutes(20)).await.expect("hit").0, 1);
    store.refund_rate_limit("unknown", w, now).await.expect("nothing to refund");
}

async fn rate_limits_are_exact_under_concurrency(store: Arc<dyn Store>) {
    let now = datetime!(2026-11-28 12:00 UTC);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.hit_rate_limit("hot", Duration::minutes(1), now).await.expect("hit").0
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.expect("task"));
    }
    seen.sort();
    assert_eq!(seen, (1..=40).collect::<Vec<i64>>(), "every hit counted once");
}

fn rate(code: &str, per_eur: &str, date: time::Date) -> Rate {
    Rate {
        currency: Currency::parse(code).expect("known"),
        per_eur: Decimal::from_str(per_eur).expect("decimal"),
        date,
        source: "ECB".into(),
    }
}

async fn fx_rates_round_trip_exactly_and_pick_the_latest(store: Arc<dyn Store>) {
    let rates = vec![
        rate("USD", "1.0543", date!(2026 - 11 - 26)),
        rate("USD", "1.0565", date!(2026 - 11 - 27)),
        rate("KRW", "1478.94", date!(2026 - 11 - 26)),
        rate("BHD", "0.39812345", date!(2026 - 11 - 27)),
    ];
    assert_eq!(store.save_rates(&rates).await.expect("save"), 4);
    let latest = store.latest_rates().await.expect("latest");
    assert_eq!(
        latest.iter().map(|r| (r.currency.code(), r.per_eur.to_string())).collect::<Vec<_>>(),
        [("BHD", "0.39812345".to_string()), ("KRW", "1478.94".to_string()), ("USD", "1.0565".to_string()),]
    );
    let on_26 = store.rates_on(date!(2026 - 11 - 26)).await.expect("on date");
    assert_eq!(on_26.len(), 2);
    assert!(on_26.iter().any(|r| r.currency == Currency::USD && r.per_eur.to_string() == "1.0543"));
    // Re-importing a day replaces its rate rather than duplicating it.
    let mut fixed = rates[1].clone();
    fixed.per_eur = Decimal::from_str("1.0570").expect("decimal");
    fixed.source = "ECB (corrected)".into();
    store.save_rates(&[fixed]).await.expect("save");
    let usd =
        store.latest_rates().await.expect("latest").into_iter().find(|r| r.currency == Currency::USD).expect("usd");
    assert_eq!((usd.per_eur.to_string().as_str(), usd.source.as_str()), ("1.0570", "ECB (corrected)"));
    // A large file goes through in chunks.
    let many: Vec<Rate> = (0..1000).map(|d| rate("JPY", "160.5", date!(2020 - 01 - 01) + Duration::days(d))).collect();
    assert_eq!(store.save_rates(&many).await.expect("save"), 1000);
}

async fn outbox_records_changes_in_order(store: Arc<dyn Store>) {
    let start = store.outbox_after(0, 1000).await.expect("read").last().map(|e| e.position).unwrap_or(0);
    let org = store.create_org(shop("outboxed")).await.expect("org");
    let user = store.create_user(new_user("o@example.com")).await.expect("user");
    store.add_membership(&user.id, &org.id).await.expect("join");
    let events = store.outbox_after(start, 100).await.expect("read");
    let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
    assert_eq!(topics, ["org.created", "user.created", "membership.added"]);
    assert!(events.windows(2).all(|w| w[0].position < w[1].position));
    assert!(events[1].payload.contains(&user.id) && !events[1].payload.contains("o@example.com"), "no personal data");
    // A failed change leaves no event behind.
    let _ = store.create_org(shop("outboxed")).await;
    assert_eq!(store.outbox_after(events[2].position, 100).await.expect("read").len(), 0);
    assert_eq!(store.outbox_after(start, 1).await.expect("read").len(), 1, "limit respected");
}

async fn outbox_positions_never_skip_under_concurrent_writers(store: Arc<dyn Store>) {
    // A reader polls while writers commit; every event it sees must arrive in position order and
    // it must never see a position after having moved past it.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    store.create_org(shop(&format!("w{w}-{i}"))).await.expect("org");
                }
            })
        })
        .collect();
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut last = 0;
            let mut seen = 0;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while seen < 80 && std::time::Instant::now() < deadline {
                for e in store.outbox_after(last, 1000).await.expect("read") {
                    assert!(e.position > last);
                    last = e.position;
                    seen += 1;
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    for w in writers {
        w.await.expect("writer");
    }
    assert_eq!(reader.await.expect("reader"), 80, "the reader saw every event exactly once");
}

#[tokio::test]
async fn each_test_database_is_fresh_and_removed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url;
        {
            let db = TestDb::new(backend).await;
            db.store.create_user(new_user("x@example.com")).await.expect("user");
            url = db.url.clone();
            let other = TestDb::new(backend).await;
            assert_eq!(other.store.count_users().await.expect("count"), 0, "{backend:?}: databases are isolated");
        }
        match backend {
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://");
                assert!(!std::path::Path::new(path).exists(), "the SQLite file is removed");
            }
            Backend::Postgres => {
                let name = url.rsplit('/').next().expect("db name").to_string();
                let admin = podium_store::testing::pg_admin_url();
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.expect("admin");
                let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .expect("query");
                assert!(!exists, "the PostgreSQL database {name} is dropped");
            }
        }
    }
}

mod licensing_cases {
    use std::sync::Arc;

    use podium_app::licensing::{AuditEntry, NewAgreement, NewEvent, NewSubmission, SubmissionKind, Transition};
    use podium_app::Store;
    use podium_domain::approval::{Stages, State};
    use podium_domain::licensing::{Channel, RightsSet, Territory};
    use podium_domain::Currency;
    use time::macros::date;

    pub fn audit(org: &str, action: &str) -> AuditEntry {
        AuditEntry {
            org_id: org.into(),
            actor_name: "Tester".into(),
            action: action.into(),
            subject: "subject".into(),
            detail: String::new(),
            client: "127.0.0.1".into(),
        }
    }

    pub fn rights(id: &str, property: &str, territory: &str) -> RightsSet {
        RightsSet {
            id: id.into(),
            properties: vec![property.into()],
            categories: vec!["apparel".into(), "collectibles".into()],
            territory: Territory::parse(territory).expect("territory"),
            channels: vec![Channel::Online, Channel::Retail],
            start: date!(2026 - 01 - 01),
            end: date!(2027 - 01 - 01),
            selloff_end: Some(date!(2027 - 03 - 01)),
            royalty_bp: 875,
            exclusive: false,
        }
    }

    pub fn event(action: &str) -> NewEvent {
        NewEvent { action: action.into(), actor_name: "Tester".into(), comment: String::new(), attachments: Vec::new() }
    }

    /// A licensed shop with one product: (licensor id, shop id, product id, agreement id).
    pub async fn licensed(store: &Arc<dyn Store>, shop_slug: &str) -> (String, String, String, String) {
        let c = super::catalogue(store, shop_slug).await;
        let p = store.create_product(super::product(&c, "plush", "collectibles", 1)).await.expect("product");
        let licensor = p.property.licensor_id.clone();
        let a = store
            .create_agreement(
                NewAgreement {
                    reference: format!("REF-{shop_slug}"),
                    licensor_id: licensor.clone(),
                    licensee_id: c.shop_id.clone(),
                    royalty_currency: Currency::KRW,
                    advance_minor: 0,
                    minimum_guarantee_minor: 0,
                },
                audit(&licensor, "agreement.create"),
            )
            .await
            .expect("agreement");
        (licensor, c.shop_id, p.id, a.terms.id)
    }

    pub async fn submit(store: &Arc<dyn Store>, product: &str, shop: &str, licensor: &str) -> String {
        store
            .create_submission(NewSubmission {
                product_id: product.into(),
                shop_id: shop.into(),
                licensor_id: licensor.into(),
                kind: SubmissionKind::New,
                stages: Stages::default(),
                stage: 0,
                proposal: None,
                event: event("submitted"),
                at: time::OffsetDateTime::now_utc(),
            })
            .await
            .expect("submit")
            .id
    }

    pub fn step(from: State, to: State, action: &str) -> Transition {
        Transition { from, to, event: event(action), proposal: None, audit: None, at: time::OffsetDateTime::now_utc() }
    }
}

use podium_app::licensing::{NewAttachment as Attachment, NewBatch as Batch, SubmissionFilter as Filter};
use podium_domain::approval::{State as St, Status as Stt};
use podium_domain::licensing::AgreementStatus as AS;
use StoreError as Err;

async fn agreements_keep_their_rights_sets_and_change_status_conditionally(store: Arc<dyn Store>) {
    use licensing_cases::*;
    let (licensor, shop, _, agreement) = licensed(&store, "rights-shop").await;
    let property = store.property_by_slug("pyeongchang-2018").await.expect("find").expect("property").id;
    let again = store
        .create_agreement(
            podium_app::licensing::NewAgreement {
                reference: "REF-rights-shop".into(),
                licensor_id: licensor.clone(),
                licensee_id: shop.clone(),
                royalty_currency: Currency::KRW,
                advance_minor: 0,
                minimum_guarantee_minor: 0,
            },
            audit(&licensor, "agreement.create"),
        )
        .await;
    assert!(matches!(again, Err(Err::Conflict { field: "reference" })), "references are unique");
    let head = store.outbox_head().await.expect("head");
    store
        .save_rights_set(&agreement, &rights("r1", &property, "worldwide except JP"), audit(&licensor, "x"))
        .await
        .expect("r1");
    store.save_rights_set(&agreement, &rights("r2", &property, "KR, KE"), audit(&licensor, "x")).await.expect("r2");
    let mut edited = rights("r1", &property, "worldwide except JP, CN");
    edited.exclusive = true;
    edited.selloff_end = None;
    store.save_rights_set(&agreement, &edited, audit(&licensor, "x")).await.expect("edit r1");
    let a = store.agreement(&agreement).await.expect("read").expect("exists");
    assert_eq!(a.terms.status, AS::Draft);
    assert_eq!(a.terms.rights.len(), 2, "an edit replaces, it does not add");
    assert_eq!(a.terms.rights[0], edited, "round trip of every field, in order");
    assert_eq!(a.terms.rights[1], rights("r2", &property, "KR, KE"));
    assert_eq!((a.licensor.id.as_str(), a.licensee.id.as_str()), (licensor.as_str(), shop.as_str()));
    assert!(store.outbox_head().await.expect("head") > head, "rights changes reach other nodes");
    // Status changes happen only from the state the caller saw.
    assert!(store.set_agreement_status(&agreement, AS::Draft, AS::Active, audit(&licensor, "a")).await.expect("go"));
    assert!(!store
        .set_agreement_status(&agreement, AS::Draft, AS::Suspended, audit(&licensor, "b"))
        .await
        .expect("stale"));
    assert_eq!(store.agreement(&agreement).await.expect("read").expect("exists").terms.status, AS::Active);
    let mine = store.agreements_of(&shop).await.expect("of shop");
    assert_eq!(mine.len(), 1);
    assert_eq!(store.agreements_of(&licensor).await.expect("of licensor").len(), 1);
    assert_eq!(store.product_ids_under(&shop, &licensor).await.expect("ids").len(), 1);
    // A rights set id of another agreement is never taken over.
    let (other_licensor, _, _, other) = licensed(&store, "rights-shop-two").await;
    let stolen = store.save_rights_set(&other, &rights("r2", &property, "JP"), audit(&other_licensor, "x")).await;
    assert!(matches!(stolen, Err(Err::NotFound(_))), "{stolen:?}");
    assert_eq!(
        store.agreement(&agreement).await.expect("read").expect("exists").terms.rights[1],
        rights("r2", &property, "KR, KE")
    );
}

async fn submissions_move_conditionally_and_approval_marks_the_product(store: Arc<dyn Store>) {
    use licensing_cases::*;
    let (licensor, shop, product, _) = licensed(&store, "approval-shop").await;
    let id = submit(&store, &product, &shop, &licensor).await;
    let second = store
        .create_submission(podium_app::licensing::NewSubmission {
            product_id: product.clone(),
            shop_id: shop.clone(),
            licensor_id: licensor.clone(),
            kind: podium_app::licensing::SubmissionKind::Revision,
            stages: podium_domain::approval::Stages::default(),
            stage: 2,
            proposal: None,
            event: event("submitted"),
            at: time::OffsetDateTime::now_utc(),
        })
        .await;
    assert!(matches!(second, Err(Err::Conflict { field: "submission" })), "one open submission per product");
    let open = store
        .submissions(&Filter { licensor_id: Some(licensor.clone()), open_only: true, ..Default::default() })
        .await
        .expect("queue");
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].state, open[0].events.len()), (St::new(0), 1));
    // A decision with a comment and a file.
    let mut revise = step(St::new(0), St { stage: 0, status: Stt::NeedsRevision }, "needs_revision");
    revise.event.comment = "Use the crest's green.".into();
    revise.event.attachments =
        vec![Attachment { filename: "proof.png".into(), content_type: "image/png".into(), bytes: vec![1, 2, 3] }];
    revise.audit = Some(audit(&licensor, "submission.needs_revision"));
    assert!(store.transition_submission(&id, revise.clone()).await.expect("revise"));
    assert!(!store.transition_submission(&id, revise).await.expect("twice"), "a stale decision changes nothing");
    let s = store.submission(&id).await.expect("read").expect("exists");
    assert_eq!(s.state.status, Stt::NeedsRevision);
    let file = &s.events[1].attachments[0];
    assert_eq!((s.events[1].comment.as_str(), file.filename.as_str()), ("Use the crest's green.", "proof.png"));
    let blob = store.attachment(&file.id).await.expect("read").expect("stored");
    assert_eq!((blob.bytes, blob.licensor_id, blob.shop_id), (vec![1, 2, 3], licensor.clone(), shop.clone()));
    // Resubmit with a proposal, then approve through Final.
    let mut again = step(s.state, St::new(0), "resubmitted");
    again.proposal = Some(Some("{\"x\":1}".into()));
    assert!(store.transition_submission(&id, again).await.expect("resubmit"));
    assert_eq!(store.submission(&id).await.expect("read").expect("exists").proposal.as_deref(), Some("{\"x\":1}"));
    for stage in 0..3 {
        assert!(store
            .transition_submission(&id, step(St::new(stage), St::new(stage + 1), "approve"))
            .await
            .expect("up"));
        let p = store.products_by_ids(std::slice::from_ref(&product)).await.expect("read");
        assert_eq!(p[0].approved_at, None, "not before Final");
    }
    let head = store.outbox_head().await.expect("head");
    let done = St { stage: 3, status: Stt::Approved };
    assert!(store.transition_submission(&id, step(St::new(3), done, "approve")).await.expect("final"));
    let p = store.products_by_ids(std::slice::from_ref(&product)).await.expect("read");
    assert!(p[0].approved_at.is_some(), "Final approval marks the product");
    assert!(store.outbox_head().await.expect("head") > head, "and tells the search index");
    let open = store
        .submissions(&Filter { shop_id: Some(shop.clone()), open_only: true, ..Default::default() })
        .await
        .expect("open");
    assert!(open.is_empty());
    let all = store.submissions(&Filter { product_id: Some(product), ..Default::default() }).await.expect("all");
    assert_eq!(all[0].events.len(), 7, "submitted, revise, resubmitted, four approvals");
}

async fn products_carry_their_licences(store: Arc<dyn Store>) {
    use licensing_cases::*;
    let (licensor, _, product, agreement) = licensed(&store, "carry-shop").await;
    let property = store.property_by_slug("pyeongchang-2018").await.expect("find").expect("property").id;
    store.save_rights_set(&agreement, &rights("c1", &property, "KR"), audit(&licensor, "x")).await.expect("rights");
    let (_, _, other_product, _) = licensed(&store, "other-carry-shop").await;
    let loaded = store.products_by_ids(&[product.clone(), other_product]).await.expect("read");
    assert_eq!(loaded[0].agreements.len(), 1, "its shop's agreement with the property's licensor");
    assert_eq!(loaded[0].agreements[0].rights[0].id, "c1");
    assert_eq!(loaded[1].agreements.len(), 1);
    assert!(loaded[1].agreements[0].rights.is_empty(), "another shop's agreements are its own");
    let at = time::OffsetDateTime::now_utc();
    store.mark_approved(std::slice::from_ref(&product), at).await.expect("approve");
    let p = store.product_by_slug("carry-shop-plush").await.expect("read").expect("exists");
    assert_eq!(p.approved_at.map(|t| t.unix_timestamp()), Some(at.unix_timestamp()));
}

async fn codes_are_issued_whole_and_verifications_counted(store: Arc<dyn Store>) {
    use licensing_cases::*;
    let (licensor, shop, product, _) = licensed(&store, "codes-shop").await;
    let p = store.products_by_ids(std::slice::from_ref(&product)).await.expect("read").remove(0);
    let batch = |variant: &str| Batch {
        licensor_id: licensor.clone(),
        shop_id: shop.clone(),
        product_id: product.clone(),
        variant_id: variant.into(),
        issued_by: "Tester".into(),
        at: time::OffsetDateTime::now_utc(),
    };
    let codes: Vec<String> = (0..450).map(|i| format!("CODE{i:09}")).collect();
    let b = store.issue_codes(batch(&p.variants[0].id), &codes, audit(&licensor, "codes.issue")).await.expect("issue");
    assert_eq!((b.quantity, b.verified, b.variant_sku.as_str()), (450, 0, "plush-s"));
    let listed = store.batch_codes(&b.id).await.expect("codes");
    assert_eq!(listed.iter().map(|c| c.code.clone()).collect::<Vec<_>>(), codes, "in issue order");
    // A repeated code refuses the whole batch.
    let clash = vec!["FRESH0000001".to_string(), codes[7].clone()];
    assert!(matches!(
        store.issue_codes(batch(&p.variants[1].id), &clash, audit(&licensor, "codes.issue")).await,
        Err(Err::Conflict { field: "code" })
    ));
    assert_eq!(store.code_batches(&shop).await.expect("batches").len(), 1, "nothing of the refused batch stays");
    let t0 = time::OffsetDateTime::now_utc();
    let first = store.record_verification(&codes[0], "KE", "client-a", t0).await.expect("verify").expect("known");
    assert_eq!((first.verifications, first.first_country.as_deref(), first.countries), (1, Some("KE"), 1));
    assert_eq!(first.clients, 1);
    let later = t0 + time::Duration::days(1);
    let second = store.record_verification(&codes[0], "GB", "client-b", later).await.expect("verify").expect("known");
    assert_eq!((second.verifications, second.first_country.as_deref(), second.countries), (2, Some("KE"), 2));
    assert_eq!(second.first_verified_at.map(|t| t.unix_timestamp()), Some(t0.unix_timestamp()));
    // The same client again is one more look-up, not one more client.
    for _ in 0..3 {
        store.record_verification(&codes[0], "GB", "client-b", later).await.expect("verify");
    }
    let again = store.record_verification(&codes[0], "GB", "client-a", later).await.expect("verify").expect("known");
    assert_eq!((again.verifications, again.clients, again.countries), (6, 2, 2));
    let unknown = store.record_verification(&codes[1], "", "", t0).await.expect("verify").expect("known");
    assert_eq!((unknown.first_country, unknown.countries), (None, 0), "an unknown country is not a country");
    assert_eq!(unknown.clients, 0, "an unknown client is not a client");
    assert!(store.record_verification("NOSUCHCODE000", "KE", "client-a", t0).await.expect("verify").is_none());
    assert_eq!(store.code_batch(&b.id).await.expect("read").expect("exists").verified, 2);
}

async fn audit_log_is_append_only(backend: Backend) {
    use licensing_cases::*;
    let db = TestDb::new(backend).await;
    let store = db.dyn_store();
    let (licensor, _, _, agreement) = licensed(&store, "audit-shop").await;
    store
        .set_agreement_status(&agreement, AS::Draft, AS::Active, audit(&licensor, "agreement.activate"))
        .await
        .expect("go");
    let log = store.audit_log(&licensor, 10).await.expect("log");
    assert_eq!(
        log.iter().map(|r| r.entry.action.as_str()).collect::<Vec<_>>(),
        ["agreement.activate", "agreement.create"]
    );
    // The database itself refuses to change or remove entries, whoever asks.
    let attempts = ["UPDATE audit_log SET detail = 'forged'", "DELETE FROM audit_log"];
    for sql in attempts {
        let refused = match backend {
            Backend::Sqlite => {
                let path = db.url.trim_start_matches("sqlite://");
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.expect("connect");
                let r = sqlx::query(sql).execute(&pool).await.map(|_| ());
                pool.close().await;
                r
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
                let r = sqlx::query(sql).execute(&pool).await.map(|_| ());
                pool.close().await;
                r
            }
        };
        let err = refused.expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.audit_log(&licensor, 10).await.expect("log"), log, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_is_append_only_sqlite() {
    audit_log_is_append_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_is_append_only_postgres() {
    audit_log_is_append_only(Backend::Postgres).await;
}

fn new_order(shop_id: &str, lines: &[(&str, i64)], now: time::OffsetDateTime) -> podium_app::orders::NewOrder {
    use podium_app::orders::{Address, NewConsignment, NewOrder, NewOrderLine};
    let id = podium_app::checkout::new_order_number();
    NewOrder {
        id: id.clone(),
        number: id,
        token_hash: "hash".into(),
        cart_id: None,
        cart_revision: 0,
        client_key: None,
        user_id: None,
        email: "fan@example.com".into(),
        lang: "ko".into(),
        address: Address {
            name: "Fan".into(),
            line1: "1 Road".into(),
            city: "Seoul".into(),
            country: "KR".into(),
            ..Default::default()
        },
        currency: "KRW".into(),
        total: 1000,
        consignments: vec![NewConsignment {
            shop_id: shop_id.into(),
            ship_from: "KR".into(),
            regime: "domestic".into(),
            goods: 1000,
            shipping: 0,
            vat: 0,
            duty: 0,
            total: 1000,
            days_min: 1,
            days_max: 3,
            commission_bp: 1_000,
            lines: lines
                .iter()
                .map(|(variant, q)| NewOrderLine {
                    product_id: "p".into(),
                    variant_id: (*variant).into(),
                    sku: format!("sku-{variant}"),
                    title: "Jersey".into(),
                    quantity: *q,
                    unit: 500,
                    net: 500 * q,
                    vat: 0,
                    duty: 0,
                    licensor_id: "licensor".into(),
                    agreement_id: "agreement".into(),
                    rights_id: "rights".into(),
                    royalty_bp: 1_000,
                })
                .collect(),
        }],
        reserve_until: now + Duration::minutes(15),
        created_at: now,
        fx_snapshot: "EUR=1;KRW=1467.3".into(),
        counted: Default::default(),
    }
}

async fn orders_reserve_all_or_nothing_and_settle_once(store: Arc<dyn Store>) {
    use podium_app::orders::{MailKind, MarkPaid, NewMail};
    use podium_domain::order::OrderStatus;
    let a = stocked_variant(&store, "order-shop-a", 2).await;
    let b = stocked_variant(&store, "order-shop-b", 1).await;
    let shop = store.org_by_slug("order-shop-a").await.expect("find").expect("shop");
    let now = time::OffsetDateTime::now_utc();
    // Two of a and two of b: b has one, so nothing at all is reserved.
    let refused = new_order(&shop.id, &[(&a, 2), (&b, 2)], now);
    let sold_out = store.place_order(&refused).await.expect("place").expect_err("sold out");
    assert_eq!(sold_out, podium_app::orders::NotPlaced::SoldOut { sku: format!("sku-{b}") });
    assert!(store.order(&refused.id).await.expect("read").is_none(), "no order was written");
    assert_eq!(store.stock_levels(&a).await.expect("levels")[0].reserved, 0, "a's units were given back");

    let placed = new_order(&shop.id, &[(&a, 2), (&b, 1)], now);
    store.place_order(&placed).await.expect("place").expect("reserved");
    let o = store.order(&placed.id).await.expect("read").expect("order");
    assert_eq!(o.status, OrderStatus::PendingPayment);
    assert_eq!(o.consignments.len(), 1);
    assert_eq!(o.consignments[0].lines.len(), 2);
    assert_eq!(o.consignments[0].return_window_days, 14);
    assert_eq!(store.stock_levels(&a).await.expect("levels")[0].reserved, 2);
    let mail = NewMail {
        kind: MailKind::OrderConfirmation,
        recipient: o.email.clone(),
        lang: "ko".into(),
        order_id: o.id.clone(),
        consignment_id: None,
    };
    let facts = podium_app::orders::PaymentFacts {
        payment_id: "pay_1".into(),
        brand: "Visa".into(),
        last4: "4242".into(),
        fingerprint: "fp".into(),
        next_action: None,
        method: podium_domain::pay_method::PayMethod::Card,
        action: None,
    };
    assert_eq!(store.mark_paid(&o.id, Some(&facts), &mail, &[], now).await.expect("paid"), MarkPaid::Paid);
    assert_eq!(store.mark_paid(&o.id, None, &mail, &[], now).await.expect("paid"), MarkPaid::NotPending, "once");
    let paid = store.order(&o.id).await.expect("read").expect("order");
    assert_eq!((paid.payment_id.as_deref(), paid.card_last4.as_deref()), (Some("pay_1"), Some("4242")));
    assert_eq!(store.order_status(&o.id).await.expect("status"), Some(OrderStatus::Paid));
    assert_eq!(store.order_status("nope").await.expect("status"), None);
    assert!(!store.cancel_order(&o.id, "late", now).await.expect("cancel"), "a paid order is not cancelled");
    let levels = store.stock_levels(&a).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (0, 0), "sold");

    // A cancelled order gives its units back; its reservations cannot be captured afterwards.
    let c = stocked_variant(&store, "order-shop-c", 1).await;
    let again = new_order(&shop.id, &[(&c, 1)], now);
    store.place_order(&again).await.expect("place").expect("reserved");
    assert!(store.cancel_order(&again.id, "card_declined", now).await.expect("cancel"));
    assert_eq!(store.mark_paid(&again.id, None, &mail, &[], now).await.expect("paid"), MarkPaid::NotPending);
    let levels = store.stock_levels(&c).await.expect("levels");
    assert_eq!((levels[0].on_hand, levels[0].reserved), (1, 0));
    let o = store.order(&again.id).await.expect("read").expect("order");
    assert_eq!((o.status, o.failure.as_deref()), (OrderStatus::Cancelled, Some("card_declined")));

    // A hold that ran out and was swept cannot be paid for: nothing changes.
    let late = new_order(&shop.id, &[(&c, 1)], now - Duration::minutes(20));
    store.place_order(&late).await.expect("place").expect("reserved");
    assert_eq!(store.release_expired(now).await.expect("sweep"), 1);
    assert_eq!(store.mark_paid(&late.id, None, &mail, &[], now).await.expect("paid"), MarkPaid::ReservationLost);
    let o = store.order(&late.id).await.expect("read").expect("order");
    assert_eq!(o.status, OrderStatus::PendingPayment, "rolled back whole");
    assert_eq!(store.stock_levels(&c).await.expect("levels")[0].on_hand, 1);
}

async fn idempotency_keys_claim_once_and_replay(store: Arc<dyn Store>) {
    use podium_app::orders::IdempotencyClaim;
    let now = time::OffsetDateTime::now_utc();
    let lease = Duration::seconds(30);
    assert_eq!(
        store.claim_idempotency("cart", "k1", "h1", now, lease).await.expect("claim"),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        store.claim_idempotency("cart", "k1", "h1", now, lease).await.expect("claim"),
        IdempotencyClaim::Running
    );
    assert_eq!(
        store.claim_idempotency("cart", "k1", "h2", now, lease).await.expect("claim"),
        IdempotencyClaim::Mismatch
    );
    store.finish_idempotency("cart", "k1", Some((201, "{}"))).await.expect("finish");
    assert_eq!(
        store.claim_idempotency("cart", "k1", "h1", now, lease).await.expect("claim"),
        IdempotencyClaim::Done(201, "{}".into())
    );
    // Another scope is another key.
    assert_eq!(
        store.claim_idempotency("other", "k1", "h2", now, lease).await.expect("claim"),
        IdempotencyClaim::Claimed
    );
    // A holder that died: its lease ends and one of the racers takes over.
    assert_eq!(store.claim_idempotency("cart", "k2", "h", now, lease).await.expect("claim"), IdempotencyClaim::Claimed);
    let later = now + Duration::seconds(31);
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        racers.spawn(async move { store.claim_idempotency("cart", "k2", "h", later, lease).await.expect("claim") });
    }
    let mut claimed = 0;
    while let Some(c) = racers.join_next().await {
        if c.expect("racer") == IdempotencyClaim::Claimed {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1, "one racer takes over");
    // Letting a key go allows a fresh attempt.
    store.finish_idempotency("cart", "k2", None).await.expect("release");
    assert_eq!(
        store.claim_idempotency("cart", "k2", "h", later, lease).await.expect("claim"),
        IdempotencyClaim::Claimed
    );
}

async fn mails_are_claimed_once_and_sent_once(store: Arc<dyn Store>) {
    use podium_app::orders::{MailKind, NewMail};
    let a = stocked_variant(&store, "mail-shop", 5).await;
    let shop = store.org_by_slug("mail-shop").await.expect("find").expect("shop");
    let now = time::OffsetDateTime::now_utc();
    let o = new_order(&shop.id, &[(&a, 1)], now);
    store.place_order(&o).await.expect("place").expect("reserved");
    let mail = NewMail {
        kind: MailKind::OrderConfirmation,
        recipient: "fan@example.com".into(),
        lang: "ja".into(),
        order_id: o.id.clone(),
        consignment_id: None,
    };
    store.mark_paid(&o.id, None, &mail, &[], now).await.expect("paid");
    let lease = Duration::seconds(60);
    let (x, y) = tokio::join!(store.claim_mails(now, lease, 10), store.claim_mails(now, lease, 10));
    let (x, y) = (x.expect("claim"), y.expect("claim"));
    assert_eq!(x.len() + y.len(), 1, "one claimer gets it");
    let m = x.into_iter().chain(y).next().expect("mail");
    assert_eq!((m.kind, m.lang.as_str(), m.order_id.as_str()), (MailKind::OrderConfirmation, "ja", o.id.as_str()));
    // A sender that died: after the lease it is claimed again; once sent, never again.
    assert!(store.claim_mails(now + Duration::seconds(61), lease, 10).await.expect("claim").len() == 1);
    store.mail_sent(&m.id, now).await.expect("sent");
    assert!(store.claim_mails(now + Duration::seconds(200), lease, 10).await.expect("claim").is_empty());
    assert!(store.first_webhook("evt_1", now).await.expect("first"));
    assert!(!store.first_webhook("evt_1", now).await.expect("again"), "a duplicate is recognised");
}

async fn sandbox_changes_are_conditional_and_queue_webhooks(store: Arc<dyn Store>) {
    use podium_app::payments::{PaymentState, PaymentStatus, QueuedWebhook, SandboxChange};
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("whole second");
    let p = PaymentState {
        id: "pay_1".into(),
        reference: "order-1".into(),
        amount: 5000,
        currency: "GBP".into(),
        status: PaymentStatus::Authorized,
        decline_code: None,
        captured: 0,
        refunded: 0,
        brand: "visa".into(),
        last4: "4242".into(),
        fingerprint: "fp".into(),
        created_at: now,
        next_action: None,
        // A voucher's payment keeps its method and expiry.
        method: podium_domain::pay_method::PayMethod::Konbini,
        action: None,
        due_at: Some(now + Duration::days(3)),
    };
    let hook = |id: &str, seq: i64, at| QueuedWebhook {
        seq,
        event_id: id.into(),
        payment_id: "pay_1".into(),
        payload: format!(r#"{{"id":"{id}","payment_id":"pay_1"}}"#),
        deliver_at: at,
    };
    store
        .sandbox_insert(&p, &[hook("evt_a", 0, now), hook("evt_a", 1, now + Duration::seconds(5))])
        .await
        .expect("insert");
    assert_eq!(store.sandbox_payment("pay_1").await.expect("read"), Some(p.clone()));
    assert_eq!(store.sandbox_payments_for("order-1").await.expect("read").len(), 1);
    let capture = SandboxChange {
        payment_id: "pay_1".into(),
        from: vec![PaymentStatus::Authorized],
        to: PaymentStatus::Captured,
        captured: 5000,
        refunded: 0,
        expect_refunded: None,
    };
    let (hb, hc) = ([hook("evt_b", 0, now)], [hook("evt_c", 0, now)]);
    let (x, y) = tokio::join!(store.sandbox_change(&capture, &hb, now), store.sandbox_change(&capture, &hc, now));
    let done: Vec<_> = [x.expect("change"), y.expect("change")].into_iter().flatten().collect();
    assert_eq!(done.len(), 1, "captured once");
    assert_eq!((done[0].status, done[0].captured), (PaymentStatus::Captured, 5000));
    // The queue: what is due now, claimed once; the duplicate waits for its time.
    let due = store.sandbox_due_webhooks(now, Duration::seconds(30), 10).await.expect("due");
    assert_eq!(due.len(), 2, "evt_a and one capture event: {due:?}");
    assert!(store.sandbox_due_webhooks(now, Duration::seconds(30), 10).await.expect("due").is_empty(), "leased");
    let delivered: Vec<(String, i64)> = due.iter().map(|w| (w.event_id.clone(), w.seq)).collect();
    store.sandbox_webhooks_delivered(&delivered, now).await.expect("delivered");
    assert_eq!(store.sandbox_webhooks_waiting().await.expect("waiting"), 1);
    let later = store.sandbox_due_webhooks(now + Duration::seconds(6), Duration::seconds(30), 10).await.expect("due");
    assert_eq!((later.len(), later[0].seq), (1, 1), "the copy arrives later");
}

/// Runs one SQL statement outside the store (as someone with database access would).
async fn raw_sql(db: &TestDb, backend: Backend, sql: &str) -> Result<u64, String> {
    match backend {
        Backend::Sqlite => {
            let path = db.url.trim_start_matches("sqlite://");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.expect("connect");
            let r = sqlx::query(sql).execute(&pool).await.map(|r| r.rows_affected()).map_err(|e| e.to_string());
            pool.close().await;
            r
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
            let r = sqlx::query(sql).execute(&pool).await.map(|r| r.rows_affected()).map_err(|e| e.to_string());
            pool.close().await;
            r
        }
    }
}

mod ledger_cases {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ledger_is_append_only_and_verify_catches_a_forged_balance_sqlite() {
        super::ledger_is_append_only_and_verify_catches_a_forged_balance(podium_store::testing::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ledger_is_append_only_and_verify_catches_a_forged_balance_postgres() {
        super::ledger_is_append_only_and_verify_catches_a_forged_balance(podium_store::testing::Backend::Postgres)
            .await;
    }
}

fn transfer(
    id: &str,
    debit: (&str, podium_domain::ledger::AccountKind),
    credit: (&str, podium_domain::ledger::AccountKind),
    amount: i64,
) -> podium_domain::ledger::Transfer {
    use podium_domain::ledger::{AccountKey, Transfer};
    Transfer {
        id: id.into(),
        debit: AccountKey::new(debit.0, debit.1, Currency::EUR),
        credit: AccountKey::new(credit.0, credit.1, Currency::EUR),
        amount,
        code: "capture",
        reference: format!("ref-{id}"),
    }
}

async fn ledger_batches_post_once_and_keep_balances(store: Arc<dyn Store>) {
    use podium_domain::ledger::AccountKind as K;
    let now = time::OffsetDateTime::now_utc();
    let clearing = ("sandbox", K::ProviderClearing);
    let batch = [
        transfer("t1", clearing, ("FR", K::TaxPayable), 2_000),
        transfer("t2", clearing, ("shop", K::MerchantPending), 8_000),
    ];
    store.post_batch("b1", &batch, now).await.expect("post");
    // Posting it again (a retry) changes nothing.
    store.post_batch("b1", &batch, now).await.expect("again");
    let balance = |accounts: &[podium_app::ledger::AccountRow], id: &str| {
        accounts.iter().find(|a| a.id == id).map(|a| (a.debits, a.credits))
    };
    let accounts = store.ledger_accounts().await.expect("accounts");
    assert_eq!(balance(&accounts, "provider_clearing:sandbox:EUR"), Some((10_000, 0)));
    assert_eq!(balance(&accounts, "tax_payable:FR:EUR"), Some((0, 2_000)));
    assert_eq!(store.ledger_transfers().await.expect("transfers").len(), 2);
    // The same id with another amount is refused.
    let forged = [transfer("t1", clearing, ("FR", K::TaxPayable), 9_999)];
    assert!(matches!(store.post_batch("b2", &forged, now).await, Err(StoreError::Conflict { .. })));
    // A batch that would take the shop's pending money below zero is refused whole.
    let refund = [
        transfer("r1", ("FR", K::TaxPayable), clearing, 1_000),
        transfer("r2", ("shop", K::MerchantPending), clearing, 8_500),
    ];
    assert!(store.post_batch("b3", &refund, now).await.is_err());
    let after = store.ledger_accounts().await.expect("accounts");
    assert_eq!(after, accounts, "nothing moved");
    assert_eq!(store.ledger_transfers().await.expect("transfers").len(), 2, "nothing written");
    // A shop's available balance may go negative (recovered from the next payout).
    store
        .post_batch("b4", &[transfer("r3", ("shop", K::MerchantAvailable), clearing, 500)], now)
        .await
        .expect("may go negative");
    assert_eq!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").map(|v| v.transfers), Ok(3));
}

async fn ledger_is_append_only_and_verify_catches_a_forged_balance(backend: Backend) {
    use podium_domain::ledger::AccountKind as K;
    let db = TestDb::new(backend).await;
    let store = db.dyn_store();
    let now = time::OffsetDateTime::now_utc();
    let clearing = ("sandbox", K::ProviderClearing);
    store.post_batch("b1", &[transfer("t1", clearing, ("KR", K::TaxPayable), 700)], now).await.expect("post");
    for sql in ["UPDATE ledger_transfers SET amount = 1", "DELETE FROM ledger_transfers"] {
        let err = raw_sql(&db, backend, sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // Someone edits a cached balance behind the ledger's back: verify names the account.
    raw_sql(&db, backend, "UPDATE ledger_accounts SET credits = 800 WHERE id = 'tax_payable:KR:EUR'")
        .await
        .expect("edit");
    let breach = podium_app::ledger::verify(store.as_ref()).await.expect("verify").expect_err("breach");
    assert!(breach.contains("tax_payable:KR:EUR"), "{breach}");
}

use podium_app::stories::{FollowKind, StoryDraft, StoryQuery, StoryText};
use podium_domain::story::StoryStatus;

fn draft(property_id: &str, product_id: &str, title: &str) -> StoryDraft {
    StoryDraft {
        property_id: Some(property_id.into()),
        video_url: "https://youtu.be/abc".into(),
        cover: String::new(),
        texts: vec![
            StoryText { lang: Lang::Ko, title: format!("{title} (ko)"), summary: String::new(), body: "본문".into() },
            StoryText { lang: Lang::En, title: title.into(), summary: "A summary".into(), body: "Body".into() },
        ],
        product_ids: vec![product_id.into()],
    }
}

async fn stories_keep_their_texts_and_products_and_move_through_review(store: Arc<dyn Store>) {
    let c = catalogue(&store, "story-shop").await;
    let product = store.create_product(product(&c, "tee", "apparel", 0)).await.expect("product");
    let t0 = datetime!(2026-11-01 09:00 UTC);
    let d = draft(&c.property_id, &product.id, "Roller blades to ice");
    store.create_story("st_1", "roller-blades-to-ice", &c.shop_id, &d, t0).await.expect("create");
    assert!(matches!(
        store.create_story("st_2", "roller-blades-to-ice", &c.shop_id, &d, t0).await,
        Err(StoreError::Conflict { field: "slug" })
    ));
    let s = store.story_by_slug("roller-blades-to-ice").await.expect("read").expect("story");
    assert_eq!((s.id.as_str(), s.status, s.author.id.as_str()), ("st_1", StoryStatus::Draft, c.shop_id.as_str()));
    assert_eq!(s.draft.texts.iter().map(|t| t.lang).collect::<Vec<_>>(), [Lang::En, Lang::Ko], "in language order");
    assert_eq!(s.draft.product_ids, std::slice::from_ref(&product.id));
    assert_eq!(s.property.as_ref().map(|p| p.id.as_str()), Some(c.property_id.as_str()));
    let licensor = store.org_by_slug("pyeongchang").await.expect("read").expect("licensor");
    assert_eq!(s.licensor_id.as_deref(), Some(licensor.id.as_str()));
    // Editing replaces the texts and products.
    let mut edited = d.clone();
    edited.texts.truncate(1);
    edited.product_ids.clear();
    assert!(store.update_story("st_1", &edited, t0).await.expect("update"));
    assert!(!store.update_story("st_none", &edited, t0).await.expect("update"));
    let s = store.story("st_1").await.expect("read").expect("story");
    assert_eq!((s.draft.texts.len(), s.draft.product_ids.len()), (1, 0));
    // Review: only from the state it was read in; publishing stamps the time once.
    let head = store.outbox_head().await.expect("head");
    assert!(store.set_story_status("st_1", StoryStatus::Draft, StoryStatus::InReview, "", t0).await.expect("submit"));
    assert!(!store.set_story_status("st_1", StoryStatus::Draft, StoryStatus::InReview, "", t0).await.expect("stale"));
    let queue = store
        .stories(&StoryQuery {
            status: Some(StoryStatus::InReview),
            licensor_id: Some(licensor.id.clone()),
            limit: 10,
            ..StoryQuery::default()
        })
        .await
        .expect("queue");
    assert_eq!(queue.len(), 1);
    let t1 = t0 + Duration::hours(1);
    assert!(store.set_story_status("st_1", StoryStatus::InReview, StoryStatus::Published, "", t1).await.expect("ok"));
    assert_eq!(store.outbox_head().await.expect("head"), head + 1, "publishing is announced");
    let s = store.story("st_1").await.expect("read").expect("story");
    assert_eq!((s.status, s.published_at), (StoryStatus::Published, Some(t1)));
    // Found by words of its title in any language, and not by others.
    let found = |text: &str| StoryQuery {
        text: Some(text.into()),
        status: Some(StoryStatus::Published),
        limit: 10,
        ..StoryQuery::default()
    };
    assert_eq!(store.stories(&found("(KO)")).await.expect("search").len(), 1);
    assert_eq!(store.stories(&found("nothing like it")).await.expect("search").len(), 0);
    assert_eq!(store.stories(&found("100%")).await.expect("search").len(), 0, "wildcards are text");
}

async fn follows_shape_the_feed(store: Arc<dyn Store>) {
    let c = catalogue(&store, "feed-shop").await;
    let fan = store
        .create_user(NewUser {
            email: "follower@example.com".into(),
            display_name: "F".into(),
            password_hash: "x".into(),
        })
        .await
        .expect("fan");
    let old = store.create_product(product(&c, "old", "apparel", 0)).await.expect("product");
    let new = store.create_product(product(&c, "new", "apparel", 0)).await.expect("product");
    let t0 = datetime!(2026-11-01 09:00 UTC);
    store.mark_approved(std::slice::from_ref(&old.id), t0).await.expect("approve");
    store.mark_approved(std::slice::from_ref(&new.id), t0 + Duration::days(2)).await.expect("approve");
    store
        .create_story("st_f", "feed-story", &c.shop_id, &draft(&c.property_id, &new.id, "Feed"), t0)
        .await
        .expect("story");
    store
        .set_story_status("st_f", StoryStatus::Draft, StoryStatus::Published, "", t0 + Duration::days(1))
        .await
        .expect("pub");
    let later = t0 + Duration::days(10);
    // Nothing followed: an empty feed.
    assert!(store.followed_products(&fan.id, later, 10).await.expect("feed").is_empty());
    let feed_stories = |before| StoryQuery {
        status: Some(StoryStatus::Published),
        followed_by: Some(fan.id.clone()),
        before: Some(before),
        limit: 10,
        ..StoryQuery::default()
    };
    assert!(store.stories(&feed_stories(later)).await.expect("feed").is_empty());
    // Following the property brings its products (newest first) and stories.
    store.follow(&fan.id, FollowKind::Property, &c.property_id, t0).await.expect("follow");
    store.follow(&fan.id, FollowKind::Property, &c.property_id, t0).await.expect("twice is once");
    assert_eq!(store.follower_count(FollowKind::Property, &c.property_id).await.expect("count"), 1);
    let products = store.followed_products(&fan.id, later, 10).await.expect("feed");
    assert_eq!(products.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), [new.id.as_str(), old.id.as_str()]);
    assert_eq!(
        store.followed_products(&fan.id, t0 + Duration::days(1), 10).await.expect("page").len(),
        1,
        "older page"
    );
    assert_eq!(store.stories(&feed_stories(later)).await.expect("feed").len(), 1);
    // Following the shop instead finds the same.
    store.unfollow(&fan.id, FollowKind::Property, &c.property_id).await.expect("unfollow");
    assert!(store.follows_of(&fan.id).await.expect("follows").is_empty());
    store.follow(&fan.id, FollowKind::Shop, &c.shop_id, t0).await.expect("follow shop");
    assert_eq!(store.followed_products(&fan.id, later, 10).await.expect("feed").len(), 2);
    assert_eq!(store.stories(&feed_stories(later)).await.expect("feed").len(), 1);
    assert_eq!(store.follows_of(&fan.id).await.expect("follows"), [(FollowKind::Shop, c.shop_id.clone())]);
    // The feed remembers when it was read.
    assert_eq!(store.mark_feed_read(&fan.id, later).await.expect("read"), None);
    assert_eq!(store.mark_feed_read(&fan.id, later + Duration::days(1)).await.expect("read"), Some(later));
}

async fn drops_admit_in_queue_order_once_whatever_the_nodes(store: Arc<dyn Store>) {
    use podium_app::drops::NewDrop;
    let c = catalogue(&store, "drop-shop").await;
    let product = store.create_product(product(&c, "drop-tee", "apparel", 0)).await.expect("product");
    let start = datetime!(2026-12-01 12:00 UTC);
    let new = |variant: &str| NewDrop {
        shop_id: c.shop_id.clone(),
        product_id: product.id.clone(),
        variant_id: variant.to_string(),
        quantity: 5,
        per_fan: 2,
        starts_at: start,
    };
    let d = store.create_drop(&new(&product.variants[0].id), start - Duration::days(1)).await.expect("drop");
    assert!(store.open_drops(start - Duration::minutes(1)).await.expect("open").is_empty(), "not before the start");
    let mut fans = Vec::new();
    for i in 0..9 {
        let u = store
            .create_user(NewUser {
                email: format!("drop-fan-{i}@example.com"),
                display_name: format!("F{i}"),
                password_hash: "x".into(),
            })
            .await
            .expect("fan");
        fans.push(u.id);
    }
    // Eight fans arrive in the lobby; their draws put them in reverse arrival order. A second
    // arrival keeps the first place.
    for (i, fan) in fans.iter().take(8).enumerate() {
        let joined = start - Duration::minutes(10) + Duration::seconds(i as i64);
        store.join_drop(&d.id, fan, (8 - i as i64) * 1_000, joined).await.expect("join");
    }
    let again = store.join_drop(&d.id, &fans[0], 1, start - Duration::minutes(1)).await.expect("again");
    assert_eq!(again.joined_at, start - Duration::minutes(10), "first place kept");
    // One arrives after the start: behind everyone.
    let late = podium_domain::drop::queue_key(start + Duration::seconds(5), start, 0);
    store.join_drop(&d.id, &fans[8], late, start + Duration::seconds(5)).await.expect("late");
    assert_eq!(store.open_drops(start).await.expect("open").len(), 1);
    let window = Duration::minutes(10);
    assert_eq!(store.admit(&d.id, 3, start, window).await.expect("admit"), 3);
    assert_eq!(store.admit(&d.id, 3, start, window).await.expect("again"), 0, "three are inside already");
    let order = store.admitted_order(&d.id).await.expect("order");
    assert_eq!(order, [fans[7].clone(), fans[6].clone(), fans[5].clone()], "by draw, not by arrival");
    let entry = store.drop_entry(&d.id, &fans[7]).await.expect("read").expect("entry");
    assert!(entry.may_buy(start + Duration::minutes(9)) && !entry.may_buy(start + Duration::minutes(10)));
    let p = store.drop_progress(&d.id, start).await.expect("progress");
    assert_eq!((p.waiting, p.admitted, p.left), (6, 3, 0));
    // Their windows run out; two units are left: the next two in the queue.
    let later = start + Duration::minutes(11);
    assert_eq!(store.admit(&d.id, 2, later, window).await.expect("admit"), 2);
    let p = store.drop_progress(&d.id, later).await.expect("progress");
    assert_eq!((p.waiting, p.admitted, p.left), (4, 2, 3));
    // Everyone else, the late arrival last.
    assert_eq!(store.admit(&d.id, 100, later + Duration::seconds(1), window).await.expect("admit"), 4);
    assert_eq!(store.admitted_order(&d.id).await.expect("order").last(), Some(&fans[8]));
    // Two nodes admitting at once admit no more than the units allow.
    let d2 = store.create_drop(&new(&product.variants[0].id), start).await.expect("drop");
    for (i, fan) in fans.iter().enumerate() {
        store.join_drop(&d2.id, fan, i as i64, start - Duration::minutes(1)).await.expect("join");
    }
    let (a, b) = tokio::join!(store.admit(&d2.id, 4, start, window), store.admit(&d2.id, 4, start, window));
    assert_eq!(a.expect("a") + b.expect("b"), 4);
    // A closed drop admits nobody and is no longer open.
    assert!(store.close_drop(&d2.id, start).await.expect("close"));
    assert!(!store.close_drop(&d2.id, start).await.expect("once"));
    assert_eq!(store.admit(&d2.id, 100, start, window).await.expect("closed"), 0);
    assert!(store.open_drops(start).await.expect("open").iter().all(|x| x.id != d2.id));
    store.alert_me(&d.id, &fans[0], start).await.expect("alert");
    store.alert_me(&d.id, &fans[0], start).await.expect("alert twice is once");
}
