//! The shared queues and keys every node uses: the mail queue, webhook de-duplication,
//! idempotency keys and the marketplace's shared secrets, claimed with conditional updates.

use crate::macros::write_tx;
use crate::sql::{backend, decode_err, from_micros, micros, SqlStore};
use podium_app::orders::{IdempotencyClaim, MailKind, QueuedMail};
use podium_app::StoreResult;
use time::OffsetDateTime;

impl SqlStore {
    pub(super) async fn claim_mails_in(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: i64,
    ) -> StoreResult<Vec<QueuedMail>> {
        let at = micros(now);
        let until = micros(now + lease);
        type Row = (String, String, String, String, String, Option<String>, i64);
        // One conditional statement claims a batch; what another node claimed meanwhile no
        // longer matches and stays with it.
        let rows: Vec<Row> = write_tx!(self, |tx| {
            sqlx::query_as(
                "UPDATE mails SET lease_until = $2, attempts = attempts + 1 \
                 WHERE sent_at IS NULL AND lease_until <= $1 AND id IN \
                   (SELECT id FROM mails WHERE sent_at IS NULL AND lease_until <= $1 ORDER BY created_at LIMIT $3) \
                 RETURNING id, kind, recipient, lang, order_id, consignment_id, created_at",
            )
            .bind(at)
            .bind(until)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
        });
        let mut claimed = rows
            .into_iter()
            .map(|(id, kind, recipient, lang, order_id, consignment_id, created_at)| {
                Ok(QueuedMail {
                    kind: MailKind::parse(&kind).ok_or_else(|| decode_err("mail kind", &kind))?,
                    id,
                    recipient,
                    lang,
                    order_id,
                    consignment_id,
                    created_at: from_micros(created_at),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|m| m.created_at);
        Ok(claimed)
    }

    pub(super) async fn mail_sent_in(&self, id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE mails SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    pub(super) async fn first_webhook_in(&self, event_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let first = write_tx!(self, |tx| {
            sqlx::query("INSERT INTO webhook_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(event_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                == 1
        });
        Ok(first)
    }

    pub(super) async fn claim_idempotency_in(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
        lease: time::Duration,
    ) -> StoreResult<IdempotencyClaim> {
        let at = micros(now);
        let until = micros(now + lease);
        let claim = write_tx!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (scope, idem_key, request_hash, lease_until, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(request_hash)
            .bind(until)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let row: Option<(String, Option<i64>, Option<String>, i64)> = sqlx::query_as(
                "SELECT request_hash, status, response, lease_until FROM idempotency_keys \
                 WHERE scope = $1 AND idem_key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            match row {
                _ if inserted.rows_affected() == 1 => IdempotencyClaim::Claimed,
                None => IdempotencyClaim::Running,
                Some((hash, _, _, _)) if hash != request_hash => IdempotencyClaim::Mismatch,
                Some((_, Some(status), Some(body), _)) => {
                    IdempotencyClaim::Done(u16::try_from(status).unwrap_or(500), body)
                }
                Some((_, _, _, lease)) if lease <= at => {
                    // The first holder died: take over, conditionally, so one taker wins.
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET lease_until = $3 \
                         WHERE scope = $1 AND idem_key = $2 AND status IS NULL AND lease_until <= $4",
                    )
                    .bind(scope)
                    .bind(key)
                    .bind(until)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if taken.rows_affected() == 1 {
                        IdempotencyClaim::Claimed
                    } else {
                        IdempotencyClaim::Running
                    }
                }
                Some(_) => IdempotencyClaim::Running,
            }
        });
        Ok(claim)
    }

    pub(super) async fn finish_idempotency_in(
        &self,
        scope: &str,
        key: &str,
        answer: Option<(u16, &str)>,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match answer {
                Some((status, body)) => {
                    sqlx::query(
                        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE scope = $1 AND idem_key = $2",
                    )
                    .bind(scope)
                    .bind(key)
                    .bind(i64::from(status))
                    .bind(body)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                None => {
                    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND status IS NULL")
                        .bind(scope)
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
            }
        });
        Ok(())
    }

    pub(super) async fn shared_secret_in(&self, name: &str, candidate: &str) -> StoreResult<String> {
        let (value,): (String,) = write_tx!(self, |tx| {
            sqlx::query("INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(candidate)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            sqlx::query_as("SELECT value FROM shared_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?
        });
        Ok(value)
    }
}
