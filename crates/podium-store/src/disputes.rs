//! The disputes half of [`SqlStore`]: a dispute recorded with the shops' money it holds back,
//! posted to the ledger in the same transaction, once per provider dispute id.

use async_trait::async_trait;
use podium_app::disputes::{DisputeRecord, DisputeStore};
use podium_app::StoreResult;
use podium_domain::ledger::Transfer;
use time::OffsetDateTime;

use crate::ledger::post_transfers;
use crate::macros::{read, write_tx};
use crate::sql::{backend, from_micros, micros, SqlStore};

type Row = (String, String, String, String, i64, String, String, String, i64);

#[async_trait]
impl DisputeStore for SqlStore {
    async fn open_dispute(&self, d: &DisputeRecord, hold: &[Transfer], now: OffsetDateTime) -> StoreResult<bool> {
        let batch = format!("dispute:{}", d.id);
        let opened = write_tx!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO disputes (id, order_id, order_number, payment_id, amount, currency, reason, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&d.id)
            .bind(&d.order_id)
            .bind(&d.order_number)
            .bind(&d.payment_id)
            .bind(d.amount)
            .bind(&d.currency)
            .bind(&d.reason)
            .bind(&d.status)
            .bind(micros(d.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                for (shop, amount) in &d.held {
                    sqlx::query("INSERT INTO dispute_holds (dispute_id, shop_id, amount) VALUES ($1, $2, $3)")
                        .bind(&d.id)
                        .bind(shop)
                        .bind(*amount)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                post_transfers!(tx, &batch, hold, now);
            }
            inserted == 1
        });
        Ok(opened)
    }

    async fn disputes(&self, shop_id: Option<&str>, limit: i64) -> StoreResult<Vec<DisputeRecord>> {
        let rows: Vec<Row> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT d.id, d.order_id, d.order_number, d.payment_id, d.amount, d.currency, d.reason, d.status, d.created_at \
                 FROM disputes d WHERE $1 = '' OR EXISTS (SELECT 1 FROM dispute_holds h WHERE h.dispute_id = d.id AND h.shop_id = $1) \
                 ORDER BY d.created_at DESC, d.id LIMIT $2",
            )
            .bind(shop_id.unwrap_or(""))
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (id, order_id, order_number, payment_id, amount, currency, reason, status, created_at) in rows {
            let held: Vec<(String, i64)> = read!(self, |pool| {
                sqlx::query_as("SELECT shop_id, amount FROM dispute_holds WHERE dispute_id = $1 ORDER BY shop_id")
                    .bind(&id)
                    .fetch_all(pool)
                    .await
                    .map_err(backend)?
            });
            out.push(DisputeRecord {
                id,
                order_id,
                order_number,
                payment_id,
                amount,
                currency,
                reason,
                status,
                held,
                created_at: from_micros(created_at),
            });
        }
        Ok(out)
    }
}
