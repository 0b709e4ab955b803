//! Inventory that never oversells (DESIGN §3.7): reservations taken by a conditional update
//! (`reserved = reserved + q WHERE on_hand − reserved ≥ q`) at one location that can cover the
//! line, captured into a sale or released on decline, void or expiry. `0 ≤ reserved ≤ on_hand`
//! holds in the database itself (a CHECK), on either backend, whatever the concurrency.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::ports::StoreResult;

/// Units held for a checkout at one location until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: String,
    pub variant_id: String,
    pub location_id: String,
    pub quantity: i64,
    pub expires_at: OffsetDateTime,
}

/// One location's stock of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub location_id: String,
    pub on_hand: i64,
    pub reserved: i64,
}

#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Holds `quantity` units of the variant at the first location (in location order) that
    /// still has them free, until `expires_at`. `None` when no single location can cover it:
    /// sold out.
    async fn reserve(
        &self,
        variant_id: &str,
        quantity: i64,
        expires_at: OffsetDateTime,
    ) -> StoreResult<Option<Reservation>>;
    /// Turns a held reservation into a sale (on_hand and reserved both fall). False when it was
    /// no longer held (already captured, released or expired and swept): nothing changes.
    async fn capture_reservation(&self, id: &str) -> StoreResult<bool>;
    /// Gives a held reservation's units back. False when it was no longer held.
    async fn release_reservation(&self, id: &str) -> StoreResult<bool>;
    /// Releases every held reservation that expired at or before `now`; safe to run on several
    /// nodes at once (each release is conditional). Returns how many were released here.
    async fn release_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;
    /// The variant's stock per location, in location order.
    async fn stock_levels(&self, variant_id: &str) -> StoreResult<Vec<StockLevel>>;
}
