//! The inventory half of [`SqlStore`]: reservations by conditional update, capture, release
//! and the expiry sweep. Every change is one transaction whose first statement is conditional,
//! so concurrent checkouts on any number of nodes can never push `reserved` past `on_hand`.

use async_trait::async_trait;
use podium_app::inventory::{InventoryStore, Reservation, StockLevel};
use podium_app::StoreResult;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::{backend, from_micros, micros, new_id, SqlStore};

#[async_trait]
impl InventoryStore for SqlStore {
    async fn reserve(
        &self,
        variant_id: &str,
        quantity: i64,
        expires_at: OffsetDateTime,
    ) -> StoreResult<Option<Reservation>> {
        if quantity <= 0 {
            return Ok(None);
        }
        let now = OffsetDateTime::now_utc();
        let locations: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as("SELECT location_id FROM stock_levels WHERE variant_id = $1 ORDER BY location_id")
                .bind(variant_id)
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        for (location_id,) in locations {
            let id = new_id();
            let taken = write_tx!(self, |tx| {
                let done = sqlx::query(
                    "UPDATE stock_levels SET reserved = reserved + $1 \
                     WHERE variant_id = $2 AND location_id = $3 AND on_hand - reserved >= $1",
                )
                .bind(quantity)
                .bind(variant_id)
                .bind(&location_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 1 {
                    sqlx::query(
                        "INSERT INTO reservations (id, variant_id, location_id, quantity, state, expires_at, created_at) \
                         VALUES ($1, $2, $3, $4, 'held', $5, $6)",
                    )
                    .bind(&id)
                    .bind(variant_id)
                    .bind(&location_id)
                    .bind(quantity)
                    .bind(micros(expires_at))
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                done.rows_affected() == 1
            });
            if taken {
                return Ok(Some(Reservation {
                    id,
                    variant_id: variant_id.to_string(),
                    location_id,
                    quantity,
                    expires_at: from_micros(micros(expires_at)),
                }));
            }
        }
        Ok(None)
    }

    async fn capture_reservation(&self, id: &str) -> StoreResult<bool> {
        self.settle(id, "captured").await
    }

    async fn release_reservation(&self, id: &str) -> StoreResult<bool> {
        self.settle(id, "released").await
    }

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
            }
            held.is_some()
        });
        Ok(settled)
    }
}
