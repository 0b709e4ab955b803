//! The demo's drops: Hanok Threads releases a Kenya Ice Lions cap in an hour (the demo fan asked
//! to be told), and a PyeongChang tee drop that ended three days ago.

use time::{Duration, OffsetDateTime};

use crate::drops::NewDrop;
use crate::{Store, StoreError};

/// (product, units, per fan, start relative to now, ended after)
const DROPS: &[(&str, i64, i64, Duration, Option<Duration>)] = &[
    ("hanok-threads-kenya-ice-lions-roller-blades-cap", 20, 2, Duration::hours(1), None),
    ("hanok-threads-pyeongchang-2018-white-tiger-tee", 12, 1, Duration::days(-3), Some(Duration::minutes(40))),
];

pub async fn seed(store: &dyn Store, now: OffsetDateTime) -> Result<usize, StoreError> {
    let fan = store.user_by_email("fan@podium.example").await?;
    let mut made = 0;
    for (slug, quantity, per_fan, start, ended_after) in DROPS {
        let Some(p) = store.product_by_slug(slug).await? else { continue };
        // The variant with the most units on hand; the drop takes what it can of them.
        let Some(v) = p.variants.iter().max_by_key(|v| v.available) else { continue };
        let quantity = (*quantity).min(v.available);
        if quantity == 0 {
            continue;
        }
        let starts_at = now + *start;
        let d = NewDrop {
            shop_id: p.shop.id.clone(),
            product_id: p.id.clone(),
            variant_id: v.id.clone(),
            quantity,
            per_fan: *per_fan,
            starts_at,
        };
        let d = store.create_drop(&d, starts_at - Duration::days(2)).await?;
        match ended_after {
            Some(after) => {
                store.close_drop(&d.id, starts_at + *after).await?;
            }
            None => {
                if let Some(fan) = &fan {
                    store.alert_me(&d.id, &fan.id, now).await?;
                }
            }
        }
        made += 1;
    }
    Ok(made)
}
