//! Inventory that never oversells (DESIGN §3.7): reservations are taken with the order
//! (`OrderStore::place_order`, a conditional update `reserved = reserved + q WHERE on_hand −
//! reserved ≥ q` at one location that can cover the line), captured into a sale when it is paid
//! or released on decline, void or cancellation; here, the expiry sweep and stock levels. `0 ≤ reserved ≤ on_hand`
//! holds in the database itself (a CHECK), on either backend, whatever the concurrency.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::ports::StoreResult;

/// One location's stock of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub location_id: String,
    pub on_hand: i64,
    pub reserved: i64,
}

#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Releases every held reservation that expired at or before `now`; safe to run on several
    /// nodes at once (each release is conditional). Returns how many were released here.
    async fn release_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;
    /// The variant's stock per location, in location order.
    async fn stock_levels(&self, variant_id: &str) -> StoreResult<Vec<StockLevel>>;
}
