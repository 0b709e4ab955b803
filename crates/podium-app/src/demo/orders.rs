//! Demo orders: the demo fan's purchases from Hanok Threads in every state a parcel goes
//! through — new, being prepared, shipped with codes on its units, delivered with a return
//! asked for — and one refused card, all made by the real checkout with the sandbox provider,
//! so the fan's "My orders" and the merchant's console have something to show.

use std::sync::Arc;

use podium_domain::catalogue::CategoryTree;
use podium_domain::{Lang, RateTable};
use time::OffsetDateTime;

use crate::checkout::{self, CheckoutRequest};
use crate::fulfilment::{self, FulfilStep, Shipment};
use crate::orders::Address;
use crate::payments::SandboxProvider;
use crate::quote::QuoteContext;
use crate::{FixedClock, Store, StoreError};

/// How far each demo order goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Paid,
    Accepted,
    Shipped,
    Delivered,
    Declined,
}

const SHOP: &str = "hanok-threads";

/// Places the demo orders; returns how many were placed. `key` is the marketplace key (order
/// tokens, card fingerprints).
pub async fn seed(store: Arc<dyn Store>, now: OffsetDateTime, key: &[u8]) -> Result<usize, StoreError> {
    // Signed agreements' advances were paid when the season began.
    crate::royalties::post_advances(store.as_ref(), now - time::Duration::days(170)).await?;
    let history = history(store.clone(), now, key).await?;
    let recent = recent(store.clone(), now, key).await?;
    // Contract years that have ended charge their minimum-guarantee shortfalls.
    crate::royalties::charge_minimums(store.as_ref(), now).await?;
    Ok(history + recent)
}

/// Destinations the history's orders go to, in turn.
const DESTINATIONS: &[&str] = &["KR", "JP", "FR", "US", "GB", "KE", "AU", "DE"];

/// Five months of orders across the shops, fulfilled, delivered, some returned, with payouts at
/// the end of two months: so statements, dashboards and payouts have a history.
async fn history(store: Arc<dyn Store>, now: OffsetDateTime, key: &[u8]) -> Result<usize, StoreError> {
    let s = store.as_ref();
    let Some(fan) = s.user_by_email("fan@podium.example").await? else { return Ok(0) };
    let rates = RateTable::new(s.latest_rates().await?);
    let rules = crate::trade_rules::current(s).await?.0;
    let tree = CategoryTree::new(s.categories().await?.into_iter().map(|c| (c.slug, c.parent)));
    let who = crate::licensing::ActingUser { name: "Licensing desk".into(), ..Default::default() };
    let mut random = rand::random::<u64>;
    // A pool of variants, each with a destination it can be delivered to, and codes issued.
    let start = now - time::Duration::days(160);
    let ctx_then = QuoteContext {
        rates: &rates,
        rules: &rules,
        tree: &tree,
        at: start,
        rounding: crate::display_rounding::DisplayRounding::none(),
    };
    let mut pool: Vec<(String, String, String)> = Vec::new(); // (sku, country, shop id)
    for shop in s.orgs_of_kind(podium_domain::role::OrgKind::Shop).await? {
        let ids = s.product_ids_of_shop(&shop.id).await?;
        let mut taken = 0;
        // Two products at most per licensor, so every licence of the shop sells something.
        let mut per_licensor: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for p in s.products_by_ids(&ids).await? {
            if taken == 6 || p.approved_at.is_none() || p.status != crate::catalogue::ProductStatus::Live {
                continue;
            }
            if per_licensor.get(&p.property.licensor_id).copied().unwrap_or(0) >= 2 {
                continue;
            }
            let Some(v) = p.variants.iter().find(|v| v.available >= 6) else { continue };
            let Some(country) = DESTINATIONS.iter().copied().find(|c| {
                podium_domain::Country::parse(c).is_ok_and(|c| crate::quote::deliverable(&p, c, &ctx_then).is_ok())
            }) else {
                continue;
            };
            let licensor = p.property.licensor_id.clone();
            if crate::licensing::issue_codes(s, &who, &licensor, &p.slug, &v.sku, 6, &mut random).await.is_err() {
                continue;
            }
            pool.push((format!("{}:{}", shop.slug, v.sku), country.to_string(), shop.id.clone()));
            *per_licensor.entry(p.property.licensor_id.clone()).or_default() += 1;
            taken += 1;
        }
    }
    if pool.is_empty() {
        return Ok(0);
    }
    let payouts = crate::payouts::SandboxPayouts::new(store.clone(), Vec::new());
    let mut placed = 0;
    let mut n = 0usize;
    for month in (1..=5i64).rev() {
        let base = now - time::Duration::days(month * 30);
        for i in 0..6i64 {
            let at = base + time::Duration::days(i * 4) + time::Duration::hours(9 + i);
            let (sku, country, shop_id) = pool[n % pool.len()].clone();
            n += 1;
            let ctx = QuoteContext {
                rates: &rates,
                rules: &rules,
                tree: &tree,
                at,
                rounding: crate::display_rounding::DisplayRounding::none(),
            };
            let currency = podium_domain::Country::parse(&country)
                .map(|c| c.default_currency())
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            let cart = crate::cart::new_cart_id();
            s.create_cart(&cart, &country, currency.code()).await?;
            s.set_cart_owner(&cart, &fan.id).await?;
            if crate::cart::add_line(s, &cart, &sku, 1, &ctx).await.is_err() {
                continue;
            }
            let provider = SandboxProvider::new(store.clone(), Arc::new(FixedClock::new(at)), key.to_vec());
            let req = CheckoutRequest {
                email: fan.email.clone(),
                address: demo_address(&country),
                card_number: "4242424242424242".into(),
                payment_method: None,
                local: None,
                public_url: String::new(),
                lang: Lang::En,
                user_id: Some(fan.id.clone()),
                token_key: key.to_vec(),
                commission_bp: crate::ledger::DEFAULT_COMMISSION_BP,
                client: "demo".into(),
                holds: crate::checkout::HoldPolicy::unlimited(),
                max_order_units: podium_domain::money::Bounds::default().max_order_units,
                phone_required: true,
            };
            let order = match checkout::checkout(s, &provider, &cart, &req, &ctx).await {
                Ok(p) => p.order,
                Err(checkout::CheckoutError::Store(e)) => return Err(e),
                Err(_) => continue,
            };
            placed += 1;
            let Some(c) = order.consignments.first() else { continue };
            fulfil(s, &shop_id, &c.id, FulfilStep::Accept, at + time::Duration::days(1)).await?;
            let line = &c.lines[0];
            let codes = s.free_codes(&shop_id, &line.variant_id, line.quantity).await?;
            if i64::try_from(codes.len()).unwrap_or(0) < line.quantity {
                continue;
            }
            let shipment = Shipment {
                carrier: "DHL Express".into(),
                tracking: format!("JD01{:012}", n * 7_919),
                codes: vec![(line.id.clone(), codes)],
            };
            fulfil(s, &shop_id, &c.id, FulfilStep::Ship(shipment), at + time::Duration::days(2)).await?;
            let delivered = at + time::Duration::days(6);
            if delivered >= now {
                continue;
            }
            fulfil(s, &shop_id, &c.id, FulfilStep::Deliver, delivered).await?;
            // Now and then a fan sends something back and the shop refunds it.
            if i == 2 && month % 2 == 0 {
                let order = s.order(&order.id).await?.ok_or(StoreError::NotFound("demo order"))?;
                let rid = fulfilment::request_return(
                    s,
                    &order,
                    &c.id,
                    &[(line.id.clone(), 1)],
                    "It does not fit, sorry.",
                    delivered + time::Duration::days(3),
                )
                .await
                .map_err(|e| StoreError::Backend(format!("demo return: {e}")))?;
                let sandbox = SandboxProvider::new(store.clone(), Arc::new(FixedClock::new(delivered)), key.to_vec());
                fulfilment::accept_return(
                    s,
                    &sandbox,
                    &shop_id,
                    &c.id,
                    &rid,
                    true,
                    delivered + time::Duration::days(4),
                )
                .await
                .map_err(|e| StoreError::Backend(format!("demo refund: {e}")))?;
            }
        }
        let month_end = base + time::Duration::days(29);
        crate::ledger::complete_due(s, month_end).await?;
        if month % 2 == 0 {
            crate::payouts::run(s, &payouts, &rates, "demo", month_end).await?;
        }
    }
    crate::ledger::complete_due(s, now).await?;
    Ok(placed)
}

/// The demo fan's recent orders from Hanok Threads, one in each state.
async fn recent(store: Arc<dyn Store>, now: OffsetDateTime, key: &[u8]) -> Result<usize, StoreError> {
    let s = store.as_ref();
    let Some(fan) = s.user_by_email("fan@podium.example").await? else { return Ok(0) };
    let Some(shop) = s.org_by_slug(SHOP).await? else { return Ok(0) };
    let rates = RateTable::new(s.latest_rates().await?);
    let rules = crate::trade_rules::current(s).await?.0;
    let tree = CategoryTree::new(s.categories().await?.into_iter().map(|c| (c.slug, c.parent)));
    let ctx = QuoteContext {
        rates: &rates,
        rules: &rules,
        tree: &tree,
        at: now,
        rounding: crate::display_rounding::DisplayRounding::none(),
    };
    let provider = SandboxProvider::new(store.clone(), Arc::new(FixedClock::new(now)), key.to_vec());
    // One variant each, of products on sale, with a unit in stock.
    let ids = s.product_ids_of_shop(&shop.id).await?;
    let products = s.products_by_ids(&ids).await?;
    let mut candidates = Vec::new();
    for p in products.iter().filter(|p| p.approved_at.is_some() && p.status == crate::catalogue::ProductStatus::Live) {
        if let Some(v) = p.variants.iter().find(|v| v.available >= 1) {
            candidates.push((p, v));
        }
    }
    let plan = [
        (Step::Delivered, Lang::Ko, "4242424242424242"),
        (Step::Shipped, Lang::Ko, "4242424242424242"),
        (Step::Accepted, Lang::En, "4242424242424242"),
        (Step::Paid, Lang::Ko, "4242424242424242"),
        (Step::Declined, Lang::Ko, "4000000000000002"),
    ];
    let mut random = rand::random::<u64>;
    let mut placed = 0;
    for ((step, lang, card), (product, variant)) in plan.into_iter().zip(candidates.iter().step_by(3)) {
        let sku = format!("{SHOP}:{}", variant.sku);
        if matches!(step, Step::Shipped | Step::Delivered) && s.free_codes(&shop.id, &variant.id, 1).await?.is_empty() {
            // The licensor issues labels for it, as it would once production is approved.
            let who = crate::licensing::ActingUser { name: "Wanjiru Kamau".into(), ..Default::default() };
            let licensor = &product.property.licensor_id;
            if crate::licensing::issue_codes(s, &who, licensor, &product.slug, &variant.sku, 12, &mut random)
                .await
                .is_err()
            {
                continue;
            }
        }
        let cart = crate::cart::new_cart_id();
        s.create_cart(&cart, "KR", "KRW").await?;
        s.set_cart_owner(&cart, &fan.id).await?;
        if crate::cart::add_line(s, &cart, &sku, 1, &ctx).await.is_err() {
            continue;
        }
        let req = CheckoutRequest {
            email: fan.email.clone(),
            address: Address {
                name: "박민아 (Mina Park)".into(),
                line1: "서울특별시 종로구 세종대로 175".into(),
                line2: "3층".into(),
                city: "서울".into(),
                postal_code: "03154".into(),
                country: "KR".into(),
                region: String::new(),
                phone: "010-1234-5678".into(),
                customs_code: "P123456789012".into(),
            },
            card_number: card.into(),
            payment_method: None,
            local: None,
            public_url: String::new(),
            lang,
            user_id: Some(fan.id.clone()),
            token_key: key.to_vec(),
            commission_bp: crate::ledger::DEFAULT_COMMISSION_BP,
            client: "demo".into(),
            holds: crate::checkout::HoldPolicy::unlimited(),
            max_order_units: podium_domain::money::Bounds::default().max_order_units,
            phone_required: true,
        };
        let order = match checkout::checkout(s, &provider, &cart, &req, &ctx).await {
            Ok(p) => p.order,
            Err(checkout::CheckoutError::Declined { .. }) if step == Step::Declined => {
                placed += 1;
                continue;
            }
            Err(checkout::CheckoutError::Store(e)) => return Err(e),
            Err(e) => return Err(StoreError::Backend(format!("demo order: {e}"))),
        };
        placed += 1;
        let Some(c) = order.consignments.first() else { continue };
        let steps: &[FulfilStep] = match step {
            Step::Paid | Step::Declined => &[],
            Step::Accepted => &[FulfilStep::Accept],
            Step::Shipped | Step::Delivered => &[FulfilStep::Accept],
        };
        for f in steps {
            fulfil(s, &shop.id, &c.id, f.clone(), now).await?;
        }
        if matches!(step, Step::Shipped | Step::Delivered) {
            let line = &c.lines[0];
            let codes = s.free_codes(&shop.id, &line.variant_id, line.quantity).await?;
            let shipment = Shipment {
                carrier: "CJ대한통운".into(),
                tracking: format!("6896{:08}", placed * 7_331),
                codes: vec![(line.id.clone(), codes)],
            };
            fulfil(s, &shop.id, &c.id, FulfilStep::Ship(shipment), now).await?;
        }
        if step == Step::Delivered {
            fulfil(s, &shop.id, &c.id, FulfilStep::Deliver, now).await?;
            let order = s.order(&order.id).await?.ok_or(StoreError::NotFound("demo order"))?;
            let line = order.consignments[0].lines[0].id.clone();
            fulfilment::request_return(
                s,
                &order,
                &c.id,
                &[(line, 1)],
                "사이즈가 조금 작아요. 한 치수 큰 것으로 교환하고 싶습니다.",
                now,
            )
            .await
            .map_err(|e| StoreError::Backend(format!("demo return: {e}")))?;
        }
    }
    Ok(placed)
}

async fn fulfil(
    s: &dyn Store,
    shop: &str,
    consignment: &str,
    step: FulfilStep,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    fulfilment::fulfil(s, shop, consignment, step, now).await.map_err(|e| match e {
        fulfilment::FulfilError::Store(s) => s,
        other => StoreError::Backend(format!("demo fulfilment: {other}")),
    })
}

/// A demo fan's address in `country`, with what that country's post and customs ask.
fn demo_address(country: &str) -> Address {
    let c = podium_domain::Country::parse(country).ok();
    let format = c.map(podium_domain::address::format);
    let postal = match country {
        "JP" => "100-0005",
        "CN" => "100000",
        "CA" => "H2X 1Y4",
        "AU" => "3000",
        "GB" => "SW1A 1AA",
        _ => "10001",
    };
    Address {
        name: "Mina Park".into(),
        line1: "12 Harbour Road".into(),
        line2: String::new(),
        city: "Harbourside".into(),
        postal_code: postal.into(),
        country: country.to_string(),
        region: format.and_then(|f| f.regions.first()).map(|(v, _)| v.to_string()).unwrap_or_default(),
        phone: "+44 20 7946 0958".into(),
        customs_code: if country == "KR" { "P123456789012".into() } else { String::new() },
    }
}
