//! The sandbox payment provider's books in [`SqlStore`]: payments, conditional changes, and the
//! webhook queue (claimed with a lease so one node delivers each copy).

use async_trait::async_trait;
use podium_app::payments::{PaymentMethod, PaymentState, PaymentStatus, QueuedWebhook, SandboxChange, SandboxStore};
use podium_app::StoreResult;
use podium_domain::pay_method::PayMethod;
use sqlx::Row;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, decode_err, from_micros, micros, SqlStore};

const PAYMENT_COLUMNS: &str = "id, reference, amount, currency, status, decline_code, captured, refunded, \
    fingerprint, brand, last4, created_at, method, due_at";

fn payment_from<R: Row>(r: &R) -> StoreResult<PaymentState>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    i64: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| r.try_get::<String, _>(c).map_err(backend);
    let i = |c: &str| r.try_get::<i64, _>(c).map_err(backend);
    let status = s("status")?;
    let status = PaymentStatus::parse(&status).ok_or_else(|| decode_err("payment status", &status))?;
    let id = s("id")?;
    let method = s("method")?;
    let method = PayMethod::parse(&method).ok_or_else(|| decode_err("payment method", &method))?;
    let due_at = r.try_get::<Option<i64>, _>("due_at").map_err(backend)?.map(from_micros);
    let last4 = s("last4")?;
    let (next_action, action) = podium_app::payments::sandbox_action(&id, status, method, &last4, due_at);
    Ok(PaymentState {
        next_action,
        action,
        method,
        due_at,
        last4,
        id,
        reference: s("reference")?,
        amount: i("amount")?,
        currency: s("currency")?,
        status,
        decline_code: r.try_get("decline_code").map_err(backend)?,
        captured: i("captured")?,
        refunded: i("refunded")?,
        fingerprint: s("fingerprint")?,
        brand: s("brand")?,
        created_at: from_micros(i("created_at")?),
    })
}

/// Appends each webhook's insert to `rows`.
fn queue_webhooks(rows: &mut Chain, hooks: &[QueuedWebhook]) {
    for w in hooks {
        rows.push(
            "INSERT INTO sandbox_webhooks (seq, event_id, payment_id, payload, deliver_at) VALUES ($1, $2, $3, $4, $5)",
            [
                w.seq.into(),
                (&w.event_id).into(),
                (&w.payment_id).into(),
                (&w.payload).into(),
                micros(w.deliver_at).into(),
            ],
        );
    }
}

#[async_trait]
impl SandboxStore for SqlStore {
    async fn sandbox_insert(&self, p: &PaymentState, webhooks: &[QueuedWebhook]) -> StoreResult<()> {
        let mut rows = Chain::new();
        rows.push(
            "INSERT INTO sandbox_payments (id, reference, amount, currency, status, decline_code, captured, \
             refunded, fingerprint, brand, last4, created_at, updated_at, method, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)",
            [
                (&p.id).into(),
                (&p.reference).into(),
                p.amount.into(),
                (&p.currency).into(),
                p.status.as_str().into(),
                (&p.decline_code).into(),
                p.captured.into(),
                p.refunded.into(),
                (&p.fingerprint).into(),
                (&p.brand).into(),
                (&p.last4).into(),
                micros(p.created_at).into(),
                p.method.code().into(),
                p.due_at.map(micros).into(),
            ],
        );
        queue_webhooks(&mut rows, webhooks);
        write_tx!(self, |tx| {
            tx.run_chain(&rows).await.map_err(backend)?;
        });
        Ok(())
    }

    async fn sandbox_payment(&self, id: &str) -> StoreResult<Option<PaymentState>> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM sandbox_payments WHERE id = $1");
        read!(self, |pool| {
            match sqlx::query(&sql).bind(id).fetch_optional(pool).await.map_err(backend)? {
                Some(row) => payment_from(&row).map(Some),
                None => Ok(None),
            }
        })
    }

    async fn sandbox_payments_for(&self, reference: &str) -> StoreResult<Vec<PaymentState>> {
        let sql =
            format!("SELECT {PAYMENT_COLUMNS} FROM sandbox_payments WHERE reference = $1 ORDER BY created_at, id");
        read!(self, |pool| {
            sqlx::query(&sql).bind(reference).fetch_all(pool).await.map_err(backend)?.iter().map(payment_from).collect()
        })
    }

    async fn sandbox_change(
        &self,
        change: &SandboxChange,
        webhooks: &[QueuedWebhook],
        now: OffsetDateTime,
    ) -> StoreResult<Option<PaymentState>> {
        let from: Vec<&str> = change.from.iter().map(|s| s.as_str()).collect();
        let list = (0..from.len()).map(|i| format!("${}", i + 6)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "UPDATE sandbox_payments SET status = $2, captured = $3, refunded = $4, updated_at = $5 \
             WHERE id = $1 AND status IN ({list}){} RETURNING {PAYMENT_COLUMNS}",
            if change.expect_refunded.is_some() {
                format!(" AND refunded = ${}", from.len() + 6)
            } else {
                String::new()
            }
        );
        let mut hooks = Chain::new();
        queue_webhooks(&mut hooks, webhooks);
        let changed = write_tx!(self, |tx| {
            let mut q = sqlx::query(&sql)
                .bind(&change.payment_id)
                .bind(change.to.as_str())
                .bind(change.captured)
                .bind(change.refunded)
                .bind(micros(now));
            for f in &from {
                q = q.bind(*f);
            }
            if let Some(r) = change.expect_refunded {
                q = q.bind(r);
            }
            // The payment as changed comes back from the change itself.
            match q.fetch_optional(&mut *tx).await.map_err(backend)? {
                Some(row) => {
                    let changed = payment_from(&row)?;
                    tx.run_chain(&hooks).await.map_err(backend)?;
                    Some(changed)
                }
                None => None,
            }
        });
        Ok(changed)
    }

    async fn sandbox_due_webhooks(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: i64,
    ) -> StoreResult<Vec<QueuedWebhook>> {
        let at = micros(now);
        // One conditional statement claims a batch: a row another node claimed meanwhile no
        // longer matches `lease_until <= now` and is left to it.
        let rows: Vec<(String, i64, String, String, i64)> = write_tx!(self, |tx| {
            sqlx::query_as(
                "UPDATE sandbox_webhooks SET lease_until = $2, attempts = attempts + 1 \
                 WHERE delivered_at IS NULL AND deliver_at <= $1 AND lease_until <= $1 \
                 AND (event_id, seq) IN (SELECT event_id, seq FROM sandbox_webhooks \
                   WHERE delivered_at IS NULL AND deliver_at <= $1 AND lease_until <= $1 ORDER BY deliver_at LIMIT $3) \
                 RETURNING event_id, seq, payment_id, payload, deliver_at",
            )
            .bind(at)
            .bind(micros(now + lease))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
        });
        let mut claimed: Vec<QueuedWebhook> = rows
            .into_iter()
            .map(|(event_id, seq, payment_id, payload, deliver_at)| QueuedWebhook {
                seq,
                event_id,
                payment_id,
                payload,
                deliver_at: from_micros(deliver_at),
            })
            .collect();
        claimed.sort_by_key(|w| w.deliver_at);
        Ok(claimed)
    }

    async fn sandbox_webhooks_delivered(&self, delivered: &[(String, i64)], now: OffsetDateTime) -> StoreResult<()> {
        if delivered.is_empty() {
            return Ok(());
        }
        // One write for the batch (one statement each, the same text, prepared once).
        write_tx!(self, |tx| {
            for (event_id, seq) in delivered {
                sqlx::query("UPDATE sandbox_webhooks SET delivered_at = $3 WHERE event_id = $1 AND seq = $2")
                    .bind(event_id)
                    .bind(seq)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        });
        Ok(())
    }

    async fn sandbox_save_method(&self, m: &PaymentMethod) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sandbox_payment_methods (id, behaviour, brand, last4, fingerprint, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&m.id)
            .bind(&m.behaviour)
            .bind(&m.brand)
            .bind(&m.last4)
            .bind(&m.fingerprint)
            .bind(micros(m.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn sandbox_method(&self, id: &str) -> StoreResult<Option<PaymentMethod>> {
        type Row = (String, String, String, String, i64);
        let row: Option<Row> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT behaviour, brand, last4, fingerprint, created_at FROM sandbox_payment_methods WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(|(behaviour, brand, last4, fingerprint, created_at)| PaymentMethod {
            id: id.to_string(),
            behaviour,
            brand,
            last4,
            fingerprint,
            created_at: from_micros(created_at),
        }))
    }

    async fn sandbox_webhooks_waiting(&self) -> StoreResult<i64> {
        let (n,): (i64,) = read!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM sandbox_webhooks WHERE delivered_at IS NULL")
                .fetch_one(pool)
                .await
                .map_err(backend)?
        });
        Ok(n)
    }
}
