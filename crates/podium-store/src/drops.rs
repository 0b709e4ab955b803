//! The drops half of [`SqlStore`]: drops, their waiting rooms and admissions.

use async_trait::async_trait;
use podium_app::drops::{DropEntry, DropProgress, DropRecord, DropStore, NewDrop};
use podium_app::StoreResult;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::{backend, from_micros, micros, new_id, SqlStore};

const DROP_SELECT: &str =
    "SELECT id, shop_id, product_id, variant_id, quantity, per_fan, starts_at, closed_at, created_at FROM drops";

type DropRow = (String, String, String, String, i64, i64, i64, Option<i64>, i64);

fn record(
    (id, shop_id, product_id, variant_id, quantity, per_fan, starts_at, closed_at, created_at): DropRow,
) -> DropRecord {
    DropRecord {
        id,
        shop_id,
        product_id,
        variant_id,
        quantity,
        per_fan,
        starts_at: from_micros(starts_at),
        closed_at: closed_at.map(from_micros),
        created_at: from_micros(created_at),
    }
}

type EntryRow = (String, i64, Option<i64>, Option<i64>);

fn entry((user_id, joined_at, admitted_at, expires_at): EntryRow) -> DropEntry {
    DropEntry {
        user_id,
        joined_at: from_micros(joined_at),
        admitted_at: admitted_at.map(from_micros),
        expires_at: expires_at.map(from_micros),
    }
}

impl SqlStore {
    /// The drops matching `clause`, whose one parameter `$1` is `bind`.
    async fn drops_where(&self, clause: &str, bind: &str) -> StoreResult<Vec<DropRecord>> {
        let sql = format!("{DROP_SELECT} WHERE {clause}");
        let rows: Vec<DropRow> =
            read!(self, |pool| { sqlx::query_as(&sql).bind(bind).fetch_all(pool).await.map_err(backend)? });
        Ok(rows.into_iter().map(record).collect())
    }
}

#[async_trait]
impl DropStore for SqlStore {
    async fn create_drop(&self, d: &NewDrop, now: OffsetDateTime) -> StoreResult<DropRecord> {
        let id = new_id();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO drops (id, shop_id, product_id, variant_id, quantity, per_fan, starts_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id)
            .bind(&d.shop_id)
            .bind(&d.product_id)
            .bind(&d.variant_id)
            .bind(d.quantity)
            .bind(d.per_fan)
            .bind(micros(d.starts_at))
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        self.drop_by_id(&id).await?.ok_or(podium_app::StoreError::NotFound("drop"))
    }

    async fn drop_by_id(&self, id: &str) -> StoreResult<Option<DropRecord>> {
        Ok(self.drops_where("id = $1", id).await?.pop())
    }

    async fn drops_of_product(&self, product_id: &str) -> StoreResult<Vec<DropRecord>> {
        self.drops_where("product_id = $1 ORDER BY starts_at DESC", product_id).await
    }

    async fn drops_of_shop(&self, shop_id: &str) -> StoreResult<Vec<DropRecord>> {
        self.drops_where("shop_id = $1 ORDER BY starts_at DESC", shop_id).await
    }

    async fn unclosed_drops_of_variants(&self, variant_ids: &[&str]) -> StoreResult<Vec<DropRecord>> {
        if variant_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=variant_ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("{DROP_SELECT} WHERE closed_at IS NULL AND variant_id IN ({list})");
        let rows: Vec<DropRow> = read!(self, |pool| {
            let mut q = sqlx::query_as(&sql);
            for v in variant_ids {
                q = q.bind(*v);
            }
            q.fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn open_drops(&self, now: OffsetDateTime) -> StoreResult<Vec<DropRecord>> {
        let sql = format!("{DROP_SELECT} WHERE closed_at IS NULL AND starts_at <= $1 ORDER BY starts_at");
        let rows: Vec<DropRow> =
            read!(self, |pool| { sqlx::query_as(&sql).bind(micros(now)).fetch_all(pool).await.map_err(backend)? });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn close_drop(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            sqlx::query("UPDATE drops SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        });
        Ok(done == 1)
    }

    async fn join_drop(
        &self,
        drop_id: &str,
        user_id: &str,
        queue_key: i64,
        now: OffsetDateTime,
    ) -> StoreResult<DropEntry> {
        let row: EntryRow = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO drop_entries (drop_id, user_id, joined_at, queue_key) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(drop_id)
            .bind(user_id)
            .bind(micros(now))
            .bind(queue_key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query_as(
                "SELECT user_id, joined_at, admitted_at, expires_at FROM drop_entries WHERE drop_id = $1 AND user_id = $2",
            )
            .bind(drop_id)
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?
        });
        Ok(entry(row))
    }

    async fn drop_entry(&self, drop_id: &str, user_id: &str) -> StoreResult<Option<DropEntry>> {
        let row: Option<EntryRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT user_id, joined_at, admitted_at, expires_at FROM drop_entries WHERE drop_id = $1 AND user_id = $2",
            )
            .bind(drop_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(entry))
    }

    async fn admit(
        &self,
        drop_id: &str,
        available: i64,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<i64> {
        let at = micros(now);
        let admitted = write_tx!(self, |tx| {
            // One admission at a time per drop: the drop's row is locked until commit.
            let open = sqlx::query("UPDATE drops SET closed_at = closed_at WHERE id = $1 AND closed_at IS NULL")
                .bind(drop_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if open.rows_affected() == 0 {
                return Ok(0);
            }
            let (inside,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM drop_entries WHERE drop_id = $1 AND admitted_at IS NOT NULL AND expires_at > $2",
            )
            .bind(drop_id)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let room = podium_domain::drop::to_admit(available, inside);
            if room == 0 {
                return Ok(0);
            }
            sqlx::query(
                "UPDATE drop_entries SET admitted_at = $2, expires_at = $3 WHERE drop_id = $1 AND user_id IN \
                 (SELECT user_id FROM drop_entries WHERE drop_id = $1 AND admitted_at IS NULL \
                  ORDER BY queue_key, user_id LIMIT $4)",
            )
            .bind(drop_id)
            .bind(at)
            .bind(micros(now + window))
            .bind(room)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected() as i64
        });
        Ok(admitted)
    }

    async fn admitted_order(&self, drop_id: &str) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT user_id FROM drop_entries WHERE drop_id = $1 AND admitted_at IS NOT NULL \
                 ORDER BY admitted_at, queue_key, user_id",
            )
            .bind(drop_id)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(u,)| u).collect())
    }

    async fn drop_progress(&self, drop_id: &str, now: OffsetDateTime) -> StoreResult<DropProgress> {
        let (waiting, admitted, left, bought): (i64, i64, i64, i64) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT \
                   COALESCE(SUM(CASE WHEN admitted_at IS NULL THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN admitted_at IS NOT NULL AND expires_at > $2 THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN admitted_at IS NOT NULL AND expires_at <= $2 THEN 1 ELSE 0 END), 0), \
                   (SELECT COUNT(*) FROM drop_claims c JOIN orders o ON o.id = c.order_id \
                    WHERE c.drop_id = $1 AND c.holder LIKE 'user:%' AND o.status <> 'cancelled') \
                 FROM drop_entries WHERE drop_id = $1",
            )
            .bind(drop_id)
            .bind(micros(now))
            .fetch_one(pool)
            .await
            .map_err(backend)?
        });
        Ok(DropProgress { waiting, admitted, left, bought })
    }

    async fn claim_drop(
        &self,
        drop_id: &str,
        holder: &str,
        order_id: &str,
        units: i64,
        limit: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Result<(), i64>> {
        let at = micros(now);
        let outcome = write_tx!(self, |tx| {
            sqlx::query(
                "DELETE FROM drop_claims WHERE drop_id = $1 AND holder = $2 AND order_id <> $3 AND ( \
                   order_id IN (SELECT id FROM orders WHERE status = 'cancelled') \
                   OR (created_at < $4 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = drop_claims.order_id)))",
            )
            .bind(drop_id)
            .bind(holder)
            .bind(order_id)
            .bind(at - 60_000_000)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let (taken,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM drop_claims WHERE drop_id = $1 AND holder = $2")
                    .bind(drop_id)
                    .bind(holder)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            if taken + units > limit {
                return Ok(Err(taken));
            }
            let sql = crate::ledger::values_sql(
                "INSERT INTO drop_claims (drop_id, holder, slot, order_id, created_at) VALUES ",
                usize::try_from(units).unwrap_or(0),
                5,
                "",
            );
            let mut q = sqlx::query(&sql);
            for slot in taken + 1..=taken + units {
                q = q.bind(drop_id).bind(holder).bind(slot).bind(order_id).bind(at);
            }
            match q.execute(&mut *tx).await {
                Ok(_) => Ok(()),
                // Another checkout took these slots a moment ago.
                Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => return Ok(Err(taken)),
                Err(e) => return Err(backend(e)),
            }
        });
        Ok(outcome)
    }

    async fn followed_drops(&self, user_id: &str, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<DropRecord>> {
        let sql = format!(
            "SELECT d.id, d.shop_id, d.product_id, d.variant_id, d.quantity, d.per_fan, d.starts_at, d.closed_at, \
             d.created_at FROM drops d JOIN products pr ON pr.id = d.product_id \
             JOIN properties p ON p.id = pr.property_id \
             WHERE d.created_at < $2 AND EXISTS (SELECT 1 FROM follows f WHERE f.user_id = $1 AND {}) \
             ORDER BY d.created_at DESC, d.id LIMIT $3",
            crate::stories::follow_reaches("pr.property_id", "d.shop_id", "p.licensor_id")
        );
        let rows: Vec<DropRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(user_id)
                .bind(micros(before))
                .bind(limit.clamp(1, 200))
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn queue_drop_alerts(&self, drop_id: &str, now: OffsetDateTime) -> StoreResult<u64> {
        let queued = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO mails (id, kind, recipient, lang, order_id, created_at) \
                 SELECT 'drop:' || a.drop_id || ':' || u.id, 'drop_open', u.email, u.lang, a.drop_id, $2 \
                 FROM drop_alerts a JOIN users u ON u.id = a.user_id WHERE a.drop_id = $1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(drop_id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
        });
        Ok(queued)
    }

    async fn alert_me(&self, drop_id: &str, user_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO drop_alerts (drop_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(drop_id)
            .bind(user_id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }
}
