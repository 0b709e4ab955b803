//! Submissions for approval: created, listed, moved from stage to stage with their history and
//! attachments, and a product marked approved when the last stage says yes.

use crate::macros::{audit, outbox, outbox_each, read, write_tx};
use crate::sql::{backend, conflict, micros, new_id, SqlStore};
use podium_app::licensing::{
    AttachmentBlob, LicensingStore, NewEvent, NewSubmission, SubmissionFilter, SubmissionRecord, Transition,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::approval::Status;
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn create_submission_in(&self, s: NewSubmission) -> StoreResult<SubmissionRecord> {
        let id = new_id();
        let now = s.at;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO submissions (id, product_id, shop_id, licensor_id, kind, stages, stage, status, proposal, \
                 waiting_since, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9, $9, $9)",
            )
            .bind(&id)
            .bind(&s.product_id)
            .bind(&s.shop_id)
            .bind(&s.licensor_id)
            .bind(s.kind.as_str())
            .bind(s.stages.names().join(" "))
            .bind(s.stage as i64)
            .bind(&s.proposal)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(conflict("submission"))?;
            event!(tx, &id, s.stage, &s.event, now);
        });
        self.submission(&id).await?.ok_or(StoreError::NotFound("submission"))
    }

    pub(super) async fn submission_in(&self, id: &str) -> StoreResult<Option<SubmissionRecord>> {
        Ok(self.load_submissions("WHERE s.id = $1", &[id.to_string()]).await?.pop())
    }

    pub(super) async fn submissions_in(&self, f: &SubmissionFilter) -> StoreResult<Vec<SubmissionRecord>> {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        for (column, value) in
            [("s.licensor_id", &f.licensor_id), ("s.shop_id", &f.shop_id), ("s.product_id", &f.product_id)]
        {
            if let Some(v) = value {
                binds.push(v.clone());
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if f.open_only {
            conditions.push("s.status IN ('submitted', 'needs_revision')".into());
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        self.load_submissions(&filter, &binds).await
    }

    pub(super) async fn transition_submission_in(&self, id: &str, t: Transition) -> StoreResult<bool> {
        let Transition { from, to, event, proposal, audit, at: now } = t;
        Ok(write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE submissions SET stage = $4, status = $5, updated_at = $6, \
                 waiting_since = CASE WHEN stage = $4 AND status = $5 THEN waiting_since ELSE $6 END, \
                 proposal = CASE WHEN $7 = 1 THEN $8 ELSE proposal END \
                 WHERE id = $1 AND stage = $2 AND status = $3",
            )
            .bind(id)
            .bind(from.stage as i64)
            .bind(from.status.as_str())
            .bind(to.stage as i64)
            .bind(to.status.as_str())
            .bind(micros(now))
            .bind(i64::from(proposal.is_some()))
            .bind(proposal.clone().flatten())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if n == 1 {
                event!(tx, id, from.stage, &event, now);
                if let Some(entry) = &audit {
                    audit!(tx, entry, now);
                }
                if to.status == Status::Approved {
                    let product: String = sqlx::query_scalar("SELECT product_id FROM submissions WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(backend)?;
                    sqlx::query(
                        "UPDATE products SET approved_at = COALESCE(approved_at, $2), updated_at = $2 WHERE id = $1",
                    )
                    .bind(&product)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    // Images that waited for this approval go on show with it.
                    sqlx::query(
                        "UPDATE images SET pending = 0 WHERE owner_kind = 'product' AND owner_id = $1 AND pending = 1",
                    )
                    .bind(&product)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    outbox!(tx, "product.changed", serde_json::json!({"id": product}).to_string(), now);
                }
            }
            n == 1
        }))
    }

    pub(super) async fn attachment_in(&self, id: &str) -> StoreResult<Option<AttachmentBlob>> {
        let row: Option<(String, String, Vec<u8>, String, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.filename, a.content_type, a.bytes, s.licensor_id, s.shop_id FROM attachments a \
                 JOIN submission_events e ON e.id = a.event_id JOIN submissions s ON s.id = e.submission_id \
                 WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(|(filename, content_type, bytes, licensor_id, shop_id)| AttachmentBlob {
            filename,
            content_type,
            bytes,
            licensor_id,
            shop_id,
        }))
    }

    pub(super) async fn mark_approved_in(&self, product_ids: &[String], at: OffsetDateTime) -> StoreResult<()> {
        for chunk in product_ids.chunks(500) {
            let sql = format!(
                "UPDATE products SET approved_at = COALESCE(approved_at, $1) WHERE id IN ({})",
                placeholders(2, chunk.len())
            );
            write_tx!(self, |tx| {
                let mut q = sqlx::query(&sql).bind(micros(at));
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await.map_err(backend)?;
                let payloads: Vec<String> = chunk.iter().map(|id| serde_json::json!({"id": id}).to_string()).collect();
                outbox_each!(tx, "product.changed", payloads, at);
            });
        }
        Ok(())
    }
}
