//! The display-rounding half of [`SqlStore`]: each shop's rounding step per currency.

use async_trait::async_trait;
use podium_app::display_rounding::RoundingStore;
use podium_app::StoreResult;
use podium_domain::rounding::Step;
use podium_domain::{Currency, Money};
use time::OffsetDateTime;

use crate::macros::{outbox, read, write_tx};
use crate::sql::{backend, decode_err, micros, SqlStore};

#[async_trait]
impl RoundingStore for SqlStore {
    async fn display_roundings(&self) -> StoreResult<Vec<(String, Step)>> {
        let rows: Vec<(String, String, i64)> = read!(self, |pool| {
            sqlx::query_as("SELECT shop_id, currency, step_minor FROM display_rounding ORDER BY shop_id, currency")
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        rows.into_iter()
            .map(|(shop, currency, minor)| {
                let c = Currency::parse(&currency).map_err(|_| decode_err("currency", &currency))?;
                let step =
                    Step::new(Money::new(minor, c)).map_err(|_| decode_err("rounding step", &minor.to_string()))?;
                Ok((shop, step))
            })
            .collect()
    }

    async fn set_display_rounding(
        &self,
        shop_id: &str,
        currency: Currency,
        step: Option<Step>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match step {
                Some(step) => {
                    sqlx::query(
                        "INSERT INTO display_rounding (shop_id, currency, step_minor, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (shop_id, currency) DO UPDATE SET step_minor = excluded.step_minor, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(shop_id)
                    .bind(currency.code())
                    .bind(step.minor)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                None => {
                    sqlx::query("DELETE FROM display_rounding WHERE shop_id = $1 AND currency = $2")
                        .bind(shop_id)
                        .bind(currency.code())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
            }
            // Prices shown from caches (the reference data, the search index's cards) follow.
            let payload = serde_json::json!({"shop_id": shop_id, "currency": currency.code()}).to_string();
            outbox!(tx, "shop.rounding_changed", payload, now);
        });
        Ok(())
    }
}
