//! The inventory half of [`SqlStore`]: the expiry sweep, stock levels, and how settling a
//! reservation moves stock (shared with the orders' transactions, which take and settle
//! reservations). Every release is conditional, so sweeps on any number of nodes release each
//! expired hold once.

use async_trait::async_trait;
use podium_app::inventory::{InventoryStore, StockLevel};
use podium_app::StoreResult;
use time::OffsetDateTime;

use crate::macros::{read, stock_moved, write_tx};
use crate::sql::{backend, micros, SqlStore};

#[async_trait]
impl InventoryStore for SqlStore {
    async fn release_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let due: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as("SELECT id FROM reservations WHERE state = 'held' AND expires_at <= $1 ORDER BY expires_at")
                .bind(micros(now))
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        let mut released = 0;
        for (id,) in due {
            // Another node (or the checkout itself) may have settled it meanwhile: conditional.
            if self.settle(&id, "released").await? {
                released += 1;
            }
        }
        Ok(released)
    }

    async fn stock_levels(&self, variant_id: &str) -> StoreResult<Vec<StockLevel>> {
        let rows: Vec<(String, i64, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT location_id, on_hand, reserved FROM stock_levels WHERE variant_id = $1 ORDER BY location_id",
            )
            .bind(variant_id)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows
            .into_iter()
            .map(|(location_id, on_hand, reserved)| StockLevel { location_id, on_hand, reserved })
            .collect())
    }
}

/// How stock changes when a reservation is settled: a capture is a sale (on_hand and reserved
/// fall together), a release gives the units back (reserved falls). Binds quantity, variant,
/// location.
pub(crate) fn stock_sql(to: &str) -> &'static str {
    match to {
        "captured" => {
            "UPDATE stock_levels SET on_hand = on_hand - $1, reserved = reserved - $1 \
             WHERE variant_id = $2 AND location_id = $3"
        }
        _ => "UPDATE stock_levels SET reserved = reserved - $1 WHERE variant_id = $2 AND location_id = $3",
    }
}

impl SqlStore {
    /// Moves a held reservation to `captured` (a sale: on_hand and reserved fall together) or
    /// `released` (reserved falls), in one transaction that starts with the conditional state
    /// change, so a reservation is settled once however many callers race.
    async fn settle(&self, id: &str, to: &'static str) -> StoreResult<bool> {
        let stock_sql = stock_sql(to);
        let settled = write_tx!(self, |tx| {
            let held: Option<(String, String, i64)> = sqlx::query_as(
                "UPDATE reservations SET state = $2 WHERE id = $1 AND state = 'held' \
                 RETURNING variant_id, location_id, quantity",
            )
            .bind(id)
            .bind(to)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some((variant_id, location_id, quantity)) = &held {
                sqlx::query(stock_sql)
                    .bind(quantity)
                    .bind(variant_id)
                    .bind(location_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if to == "released" {
                    stock_moved!(tx, variant_id, *quantity, OffsetDateTime::now_utc());
                }
            }
            held.is_some()
        });
        Ok(settled)
    }
}
