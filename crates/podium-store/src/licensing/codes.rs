//! Authenticity codes: batches issued for a shop's product, their codes, and each verification
//! recorded (with the first and repeated scans that make a code suspicious).

use crate::macros::{audit, read, write_tx};
use crate::sql::{backend, conflict, micros, new_id, SqlStore};
use podium_app::licensing::{AuditEntry, CodeBatch, CodeState, LicensingStore, NewBatch};
use podium_app::{StoreError, StoreResult};
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn issue_codes_in(
        &self,
        b: NewBatch,
        codes: &[String],
        audit: AuditEntry,
    ) -> StoreResult<CodeBatch> {
        let id = new_id();
        let now = b.at;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO code_batches (id, licensor_id, shop_id, product_id, variant_id, quantity, issued_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id)
            .bind(&b.licensor_id)
            .bind(&b.shop_id)
            .bind(&b.product_id)
            .bind(&b.variant_id)
            .bind(codes.len() as i64)
            .bind(&b.issued_by)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            // Many rows per statement: a batch of thousands is a handful of round trips.
            for (chunk_no, chunk) in codes.chunks(200).enumerate() {
                let values: Vec<String> =
                    (0..chunk.len()).map(|i| format!("(${}, $1, ${})", 2 + 2 * i, 3 + 2 * i)).collect();
                let sql = format!("INSERT INTO auth_codes (code, batch_id, position) VALUES {}", values.join(", "));
                let mut q = sqlx::query(&sql).bind(&id);
                for (i, code) in chunk.iter().enumerate() {
                    q = q.bind(code).bind((chunk_no * 200 + i) as i64);
                }
                q.execute(&mut *tx).await.map_err(conflict("code"))?;
            }
            audit!(tx, &audit, now);
        });
        self.code_batch(&id).await?.ok_or(StoreError::NotFound("code batch"))
    }

    pub(super) async fn code_batches_in(&self, org_id: &str) -> StoreResult<Vec<CodeBatch>> {
        self.load_batches("WHERE b.licensor_id = $1 OR b.shop_id = $1", org_id).await
    }

    pub(super) async fn code_batch_in(&self, id: &str) -> StoreResult<Option<CodeBatch>> {
        Ok(self.load_batches("WHERE b.id = $1", id).await?.pop())
    }

    pub(super) async fn batch_codes_in(&self, batch_id: &str) -> StoreResult<Vec<CodeState>> {
        let sql = format!("{CODE_SELECT} WHERE c.batch_id = $1 ORDER BY c.position");
        let rows: Vec<CodeRow> = read!(self, |pool| {
            sqlx::query_as::<_, CodeRow>(&sql).bind(batch_id).fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows.into_iter().map(code_from).collect())
    }

    pub(super) async fn record_verification_in(
        &self,
        code: &str,
        country: &str,
        client: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Option<CodeState>> {
        let sql = format!("{CODE_SELECT} WHERE c.code = $1");
        let row: Option<CodeRow> = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE auth_codes SET verifications = verifications + 1, \
                 first_country = CASE WHEN first_verified_at IS NULL THEN $3 ELSE first_country END, \
                 first_verified_at = COALESCE(first_verified_at, $2) WHERE code = $1",
            )
            .bind(code)
            .bind(micros(at))
            .bind(country)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO code_verifications (code, country, created_at) VALUES ($1, $2, $3)")
                    .bind(code)
                    .bind(country)
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if !client.is_empty() {
                    sqlx::query(
                        "INSERT INTO code_verifiers (code, client, first_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (code, client) DO NOTHING",
                    )
                    .bind(code)
                    .bind(client)
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                Some(sqlx::query_as::<_, CodeRow>(&sql).bind(code).fetch_one(&mut *tx).await.map_err(backend)?)
            } else {
                None
            }
        });
        Ok(row.map(code_from))
    }
}
