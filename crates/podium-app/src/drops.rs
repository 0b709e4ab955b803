//! Limited drops (the fan-engagement issue): a shop schedules a release of one variant; fans who
//! arrive in the waiting room before the start are admitted in random order at the start, later
//! ones first come first served; admission lives in the database, so any node serves any fan.

use async_trait::async_trait;
use podium_domain::drop::{self, DropError, Phase};
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDrop {
    pub shop_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub quantity: i64,
    pub per_fan: i64,
    pub starts_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRecord {
    pub id: String,
    pub shop_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub quantity: i64,
    pub per_fan: i64,
    pub starts_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A fan's place in a drop's waiting room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropEntry {
    pub user_id: String,
    pub joined_at: OffsetDateTime,
    pub admitted_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
}

impl DropEntry {
    /// Admitted and still inside the checkout window.
    pub fn may_buy(&self, now: OffsetDateTime) -> bool {
        self.admitted_at.is_some() && self.expires_at.is_some_and(|e| e > now)
    }
}

/// How a drop is going, for the shop's live view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropProgress {
    /// In the waiting room, not admitted yet.
    pub waiting: i64,
    /// Admitted and inside their window.
    pub admitted: i64,
    /// Admitted whose window ran out.
    pub left: i64,
    /// Units bought (orders not cancelled).
    pub bought: i64,
}

#[async_trait]
pub trait DropStore: Send + Sync {
    async fn create_drop(&self, d: &NewDrop, now: OffsetDateTime) -> StoreResult<DropRecord>;
    async fn drop_by_id(&self, id: &str) -> StoreResult<Option<DropRecord>>;
    /// The product's drops, newest start first.
    async fn drops_of_product(&self, product_id: &str) -> StoreResult<Vec<DropRecord>>;
    async fn drops_of_shop(&self, shop_id: &str) -> StoreResult<Vec<DropRecord>>;
    /// The drops not closed of any of these variants (one query, for the checkout).
    async fn unclosed_drops_of_variants(&self, variant_ids: &[&str]) -> StoreResult<Vec<DropRecord>>;
    /// Drops started and not closed (what the admission sweep looks at).
    async fn open_drops(&self, now: OffsetDateTime) -> StoreResult<Vec<DropRecord>>;
    async fn close_drop(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool>;
    /// Enters the fan in the waiting room with `queue_key`, or returns their existing entry
    /// (a second arrival keeps the first place: no redrawing).
    async fn join_drop(
        &self,
        drop_id: &str,
        user_id: &str,
        queue_key: i64,
        now: OffsetDateTime,
    ) -> StoreResult<DropEntry>;
    async fn drop_entry(&self, drop_id: &str, user_id: &str) -> StoreResult<Option<DropEntry>>;
    /// Admits, in queue order, as many waiting fans as `available` units allow beyond the
    /// admitted fans still inside their window; one admission at a time per drop (the drop's
    /// row is locked), so nodes admitting at once never admit twice. Returns how many.
    async fn admit(
        &self,
        drop_id: &str,
        available: i64,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<i64>;
    /// The admission order so far: user ids by admission, then queue place.
    async fn admitted_order(&self, drop_id: &str) -> StoreResult<Vec<String>>;
    async fn drop_progress(&self, drop_id: &str, now: OffsetDateTime) -> StoreResult<DropProgress>;
    /// Takes `units` slots of the per-fan `limit` for `holder` (`user:…` or `card:…`) for the
    /// order; `Ok(Err(already))` when that would pass the limit (nothing taken). Slots of
    /// cancelled orders (or of orders that never came to be) are given back first.
    async fn claim_drop(
        &self,
        drop_id: &str,
        holder: &str,
        order_id: &str,
        units: i64,
        limit: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Result<(), i64>>;
    /// Drops announced before `before` of what the user follows (the product's property, its
    /// licensor, or the shop), newest first.
    async fn followed_drops(&self, user_id: &str, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<DropRecord>>;
    /// Queues the "it is open" e-mail for each fan who asked, once per fan and drop.
    async fn queue_drop_alerts(&self, drop_id: &str, now: OffsetDateTime) -> StoreResult<u64>;
    /// "Notify me": remembered once per fan.
    async fn alert_me(&self, drop_id: &str, user_id: &str, now: OffsetDateTime) -> StoreResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum DropUseError {
    #[error(transparent)]
    Invalid(#[from] DropError),
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Schedules a drop of one of the shop's variants; the shop must hold the units.
pub async fn schedule(
    store: &dyn Store,
    d: NewDrop,
    now: OffsetDateTime,
    min_lead: time::Duration,
) -> Result<DropRecord, DropUseError> {
    drop::check_new(d.quantity, d.per_fan, d.starts_at, now, min_lead)?;
    let Some(p) = store.products_by_ids(std::slice::from_ref(&d.product_id)).await?.pop() else {
        return Err(DropUseError::NotFound);
    };
    if p.shop.id != d.shop_id {
        return Err(DropUseError::NotFound);
    }
    let Some(v) = p.variants.iter().find(|v| v.id == d.variant_id) else { return Err(DropUseError::NotFound) };
    if v.available < d.quantity {
        return Err(DropUseError::Refused(format!("only {} in stock for this variant", v.available)));
    }
    let overlapping =
        store.drops_of_product(&d.product_id).await?.into_iter().any(|x| {
            x.variant_id == d.variant_id && x.closed_at.is_none() && x.starts_at + time::Duration::days(1) > now
        });
    if overlapping {
        return Err(DropUseError::Refused("this variant already has a drop scheduled".into()));
    }
    Ok(store.create_drop(&d, now).await?)
}

/// The drop's phase now, given the units still available.
pub fn phase_of(d: &DropRecord, available: i64, now: OffsetDateTime) -> Phase {
    drop::phase(d.starts_at, d.closed_at.is_some(), available.min(d.quantity), now)
}

/// A fan arrives: entered with a random place when they come before the start (nobody is
/// admitted before it), or behind everyone in the lobby when they come later.
pub async fn join(store: &dyn Store, d: &DropRecord, user_id: &str, now: OffsetDateTime) -> StoreResult<DropEntry> {
    let key = drop::queue_key(now, d.starts_at, rand::random::<u64>());
    store.join_drop(&d.id, user_id, key, now).await
}

/// The units a drop can still sell: its quantity less what its orders hold, at most what is in
/// stock.
pub async fn units_left(store: &dyn Store, d: &DropRecord, now: OffsetDateTime) -> StoreResult<i64> {
    let Some(p) = store.products_by_ids(std::slice::from_ref(&d.product_id)).await?.pop() else { return Ok(0) };
    let stock = p.variants.iter().find(|v| v.id == d.variant_id).map(|v| v.available).unwrap_or(0);
    let sold = store.drop_progress(&d.id, now).await?.bought;
    Ok(stock.min(d.quantity - sold).max(0))
}

/// Admits fans into every open drop as its units allow, and queues the "it is open" e-mails
/// (every node runs this; the store admits one batch at a time per drop and mails each fan
/// once). Returns how many were admitted.
pub async fn admit_due(store: &dyn Store, now: OffsetDateTime) -> StoreResult<i64> {
    let mut admitted = 0;
    for d in store.open_drops(now).await? {
        // The "it is open" mails go in the first hour (each once; later sweeps add nothing).
        if now - d.starts_at < time::Duration::hours(1) {
            store.queue_drop_alerts(&d.id, now).await?;
        }
        let left = units_left(store, &d, now).await?;
        if left == 0 && store.drop_progress(&d.id, now).await?.admitted == 0 {
            // Sold out and nobody inside a checkout window: the drop is over.
            store.close_drop(&d.id, now).await?;
            continue;
        }
        admitted += store.admit(&d.id, left, now, drop::ADMISSION).await?;
    }
    Ok(admitted)
}

/// Why a fan may not buy from a drop now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropRefusal {
    #[error("this product is in a limited drop that opens at {0} UTC")]
    NotOpen(OffsetDateTime),
    #[error("this product is in a limited drop: join its waiting room and buy once you are admitted")]
    NotAdmitted,
    #[error(transparent)]
    Limit(#[from] drop::LimitError),
    #[error("this drop is sold out")]
    SoldOut,
}

/// The drops an order's lines are in, with the units of each (for [`claim`]); refused when a
/// drop has not opened or the buyer is not admitted.
pub async fn gate(
    store: &dyn Store,
    order: &crate::orders::NewOrder,
    now: OffsetDateTime,
) -> Result<Vec<(DropRecord, i64)>, crate::checkout::CheckoutError> {
    use crate::checkout::CheckoutError;
    let lines: Vec<&crate::orders::NewOrderLine> = order.consignments.iter().flat_map(|c| &c.lines).collect();
    let variants: Vec<&str> = lines.iter().map(|l| l.variant_id.as_str()).collect();
    let drops = store.unclosed_drops_of_variants(&variants).await?;
    let mut gated: Vec<(DropRecord, i64)> = Vec::new();
    for line in lines {
        let Some(d) = drops.iter().find(|d| d.variant_id == line.variant_id).cloned() else { continue };
        if now < d.starts_at {
            return Err(CheckoutError::Drop(DropRefusal::NotOpen(d.starts_at)));
        }
        let admitted = match &order.user_id {
            Some(u) => store.drop_entry(&d.id, u).await?.is_some_and(|e| e.may_buy(now)),
            None => false,
        };
        if !admitted {
            return Err(CheckoutError::Drop(DropRefusal::NotAdmitted));
        }
        match gated.iter_mut().find(|(x, _)| x.id == d.id) {
            Some((_, units)) => *units += line.quantity,
            None => gated.push((d, line.quantity)),
        }
    }
    Ok(gated)
}

/// Takes the order's units from the per-fan limit of each drop it buys from: the account's
/// (`card` `None`) or the card's (its fingerprint from the payment provider).
pub async fn claim(
    store: &dyn Store,
    gated: &[(DropRecord, i64)],
    order: &crate::orders::NewOrder,
    card: Option<&str>,
    now: OffsetDateTime,
) -> StoreResult<Result<(), DropRefusal>> {
    for (d, units) in gated {
        // The drop's own quantity first (once per order): slots 1 to the quantity, whoever
        // holds them; a clash with another checkout taking the same slots is tried again.
        if card.is_none() {
            let mut tries = 0;
            loop {
                match store.claim_drop(&d.id, "drop", &order.id, *units, d.quantity, now).await? {
                    Ok(()) => break,
                    Err(taken) if taken + units > d.quantity => return Ok(Err(DropRefusal::SoldOut)),
                    Err(_) if tries < 8 => tries += 1,
                    Err(_) => return Ok(Err(DropRefusal::SoldOut)),
                }
            }
        }
        let holder = match (card, &order.user_id) {
            (Some(fp), _) if !fp.is_empty() => format!("card:{fp}"),
            (Some(_), _) => continue,
            (None, Some(u)) => format!("user:{u}"),
            (None, None) => continue,
        };
        if let Err(already) = store.claim_drop(&d.id, &holder, &order.id, *units, d.per_fan, now).await? {
            let refusal = match card {
                Some(_) => drop::LimitError::Card { limit: d.per_fan, already },
                None => drop::LimitError::Account { limit: d.per_fan, already },
            };
            return Ok(Err(DropRefusal::Limit(refusal)));
        }
    }
    Ok(Ok(()))
}
