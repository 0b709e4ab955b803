//! The disputes half of [`SqlStore`]: a dispute recorded with the shops' money it holds back,
//! posted to the ledger in the same transaction, once per provider dispute id.

use async_trait::async_trait;
use podium_app::disputes::{DisputeRecord, DisputeStore};
use podium_app::StoreResult;
use podium_domain::ledger::Transfer;
use time::OffsetDateTime;

use crate::ledger::post_transfers;
use crate::macros::{read, write_tx};
use crate::sql::placeholders;
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

    async fn dispute(&self, id: &str) -> StoreResult<Option<DisputeRecord>> {
        let row: Option<Row> = read!(self, |pool| {
            sqlx::query_as(&format!("{SELECT} WHERE d.id = $1")).bind(id).fetch_optional(pool).await.map_err(backend)?
        });
        match row {
            Some(r) => Ok(self.with_holds(vec![r]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn close_dispute(
        &self,
        id: &str,
        status: &str,
        postings: &[Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let batch = format!("dispute-closed:{id}");
        let closed = write_tx!(self, |tx| {
            let n = sqlx::query("UPDATE disputes SET status = $2 WHERE id = $1 AND status = 'open'")
                .bind(id)
                .bind(status)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if n == 1 {
                post_transfers!(tx, &batch, postings, now);
            }
            n == 1
        });
        Ok(closed)
    }

    async fn disputes(&self, shop_id: Option<&str>, limit: i64) -> StoreResult<Vec<DisputeRecord>> {
        let rows: Vec<Row> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "{SELECT} WHERE $1 = '' OR EXISTS (SELECT 1 FROM dispute_holds h WHERE h.dispute_id = d.id AND h.shop_id = $1) \
                 ORDER BY d.created_at DESC, d.id LIMIT $2"
            ))
            .bind(shop_id.unwrap_or(""))
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        self.with_holds(rows).await
    }
}

const SELECT: &str =
    "SELECT d.id, d.order_id, d.order_number, d.payment_id, d.amount, d.currency, d.reason, d.status, \
    d.created_at FROM disputes d";

impl SqlStore {
    /// The disputes of these rows with what each holds back (one query for all of them).
    async fn with_holds(&self, rows: Vec<Row>) -> StoreResult<Vec<DisputeRecord>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT dispute_id, shop_id, amount FROM dispute_holds WHERE dispute_id IN ({}) ORDER BY dispute_id, shop_id",
            placeholders(1, rows.len())
        );
        let holds: Vec<(String, String, i64)> = read!(self, |pool| {
            let mut q = sqlx::query_as(&sql);
            for r in &rows {
                q = q.bind(&r.0);
            }
            q.fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, order_id, order_number, payment_id, amount, currency, reason, status, created_at)| {
                let held = holds.iter().filter(|h| h.0 == id).map(|h| (h.1.clone(), h.2)).collect();
                DisputeRecord {
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
                }
            })
            .collect())
    }
}
