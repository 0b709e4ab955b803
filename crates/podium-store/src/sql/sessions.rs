//! Server-side sessions and the rate-limit counters every node shares (hit, refund, clear).

use crate::macros::{read, write_tx};
use crate::sql::chain::{Chain, RunChain};
use podium_app::{SessionRecord, StoreResult};
use time::OffsetDateTime;

use super::*;

/// Counts one hit on each of `keys` in the window `now` falls in (a counter from an earlier
/// window starts again at one). In key order, so two writers counting the same keys never wait
/// on each other in turn.
pub(crate) fn push_rate_hits<K: AsRef<str>>(rows: &mut Chain, keys: &[K], window: time::Duration, now: OffsetDateTime) {
    let window_us = (window.whole_microseconds() as i64).max(1);
    let start = micros(now).div_euclid(window_us) * window_us;
    let mut sorted: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    for key in sorted {
        rows.push(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END, \
               window_start = excluded.window_start",
            [key.into(), start.into()],
        );
    }
}

impl SqlStore {
    pub(super) async fn create_session_in(&self, s: SessionRecord) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&s.token_hash)
                .bind(&s.user_id)
                .bind(&s.csrf_token)
                .bind(micros(s.created_at))
                .bind(micros(s.expires_at))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    pub(super) async fn session_in(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRecord>> {
        read!(self, |pool| {
            let row = sqlx::query("SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(micros(now))
                .fetch_optional(pool)
                .await
                .map_err(backend)?;
            row.as_ref().map(session_from).transpose()
        })
    }

    pub(super) async fn delete_session_in(&self, token_hash: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    pub(super) async fn delete_expired_sessions_in(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        }))
    }

    pub(super) async fn hit_rate_limit_in(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)> {
        let window_us = (window.whole_microseconds() as i64).max(1);
        let start = micros(now).div_euclid(window_us) * window_us;
        let hits: i64 = write_tx!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                   hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END, \
                   window_start = excluded.window_start \
                 RETURNING hits",
            )
            .bind(key)
            .bind(start)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?
        });
        Ok((hits, from_micros(start + window_us)))
    }

    pub(super) async fn rate_limit_hits_in(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)> {
        let window_us = (window.whole_microseconds() as i64).max(1);
        let start = micros(now).div_euclid(window_us) * window_us;
        let hits: Option<i64> = read!(self, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT hits FROM rate_limits WHERE key = $1 AND window_start = $2")
                .bind(key)
                .bind(start)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok((hits.unwrap_or(0), from_micros(start + window_us)))
    }

    pub(super) async fn rate_limits_hits_in(
        &self,
        keys: &[&str],
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<i64>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let window_us = (window.whole_microseconds() as i64).max(1);
        let start = micros(now).div_euclid(window_us) * window_us;
        let sql = format!(
            "SELECT key, hits FROM rate_limits WHERE window_start = $1 AND key IN ({})",
            crate::sql::placeholders(2, keys.len())
        );
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(start);
            for k in keys {
                q = q.bind(*k);
            }
            q.fetch_all(pool).await.map_err(backend)?
        });
        Ok(keys.iter().map(|k| rows.iter().find(|(key, _)| key == k).map_or(0, |(_, n)| *n)).collect())
    }

    pub(super) async fn hit_rate_limits_in(
        &self,
        keys: &[&str],
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut rows = Chain::new();
        push_rate_hits(&mut rows, keys, window, now);
        write_tx!(self, |tx| {
            tx.run_chain(&rows).await.map_err(backend)?;
        });
        Ok(())
    }

    pub(super) async fn refund_rate_limit_in(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let window_us = (window.whole_microseconds() as i64).max(1);
        let start = micros(now).div_euclid(window_us) * window_us;
        write_tx!(self, |tx| {
            sqlx::query("UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND window_start = $2 AND hits > 0")
                .bind(key)
                .bind(start)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    pub(super) async fn clear_rate_limit_in(&self, key: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(&mut *tx).await.map_err(backend)?;
        });
        Ok(())
    }
}
