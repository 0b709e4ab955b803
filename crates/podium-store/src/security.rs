//! The security half of [`SqlStore`]: ending sessions, password resets with their mail, API
//! tokens, and appending to the audit log.

use async_trait::async_trait;
use podium_app::licensing::AuditEntry;
use podium_app::security::{ApiToken, PasswordReset, Scope, SecurityStore};
use podium_app::StoreResult;
use time::OffsetDateTime;

use crate::macros::{audit, read, write_tx};
use crate::sql::{backend, from_micros, micros, SqlStore};

type ResetRow = (String, String, String, i64, i64, Option<i64>);

fn reset_from((id, user_id, token_hash, created, expires, used): ResetRow) -> PasswordReset {
    PasswordReset {
        id,
        user_id,
        token_hash,
        created_at: from_micros(created),
        expires_at: from_micros(expires),
        used_at: used.map(from_micros),
    }
}

const RESET_SELECT: &str = "SELECT id, user_id, token_hash, created_at, expires_at, used_at FROM password_resets";

type TokenRow = (String, String, String, String, String, String, i64, Option<i64>, Option<i64>);

fn token_from((id, org_id, name, token_hash, scopes, created_by, created, used, revoked): TokenRow) -> ApiToken {
    ApiToken {
        id,
        org_id,
        name,
        token_hash,
        scopes: Scope::split(&scopes),
        created_by,
        created_at: from_micros(created),
        last_used_at: used.map(from_micros),
        revoked_at: revoked.map(from_micros),
    }
}

const TOKEN_SELECT: &str =
    "SELECT id, org_id, name, token_hash, scopes, created_by, created_at, last_used_at, revoked_at \
     FROM api_tokens";

impl SqlStore {
    /// The reset whose `column` (a fixed name: `id` or `token_hash`) equals `value`.
    async fn reset_where(&self, column: &'static str, value: &str) -> StoreResult<Option<PasswordReset>> {
        let sql = format!("{RESET_SELECT} WHERE {column} = $1");
        let row: Option<ResetRow> =
            read!(self, |pool| sqlx::query_as(&sql).bind(value).fetch_optional(pool).await.map_err(backend)?);
        Ok(row.map(reset_from))
    }
}

/// Inside the transaction `$tx`: sets a user's password hash and ends their sessions but the one
/// whose hash is `$keep` ("" keeps none).
macro_rules! set_password_ending_sessions {
    ($tx:ident, $user_id:expr, $hash:expr, $keep:expr) => {{
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind($hash)
            .bind($user_id)
            .execute(&mut *$tx)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind($user_id)
            .bind($keep)
            .execute(&mut *$tx)
            .await
            .map_err(backend)?;
    }};
}

#[async_trait]
impl SecurityStore for SqlStore {
    async fn delete_sessions_of_user(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        }))
    }

    async fn set_password(&self, user_id: &str, password_hash: &str, keep: Option<&str>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            set_password_ending_sessions!(tx, user_id, password_hash, keep.unwrap_or(""));
        });
        Ok(())
    }

    async fn create_password_reset(&self, reset: &PasswordReset, recipient: &str, lang: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&reset.id)
            .bind(&reset.user_id)
            .bind(&reset.token_hash)
            .bind(micros(reset.created_at))
            .bind(micros(reset.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query(
                "INSERT INTO mails (id, kind, recipient, lang, order_id, created_at) \
                 VALUES ($1, 'password_reset', $2, $3, $4, $5)",
            )
            .bind(format!("reset:{}", reset.id))
            .bind(recipient)
            .bind(lang)
            .bind(&reset.id)
            .bind(micros(reset.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn password_reset(&self, id: &str) -> StoreResult<Option<PasswordReset>> {
        self.reset_where("id", id).await
    }

    async fn password_reset_by_hash(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>> {
        self.reset_where("token_hash", token_hash).await
    }

    async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>> {
        Ok(write_tx!(self, |tx| {
            // Marking it used is the claim: of two requests with one link, one wins.
            let user: Option<(String,)> = sqlx::query_as(
                "UPDATE password_resets SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
            )
            .bind(token_hash)
            .bind(micros(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some((user_id,)) = &user {
                set_password_ending_sessions!(tx, user_id, password_hash, "");
                // A reset link proves the mailbox as a confirmation link does.
                sqlx::query("UPDATE users SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL")
                    .bind(user_id)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                // Any other link sent to this account stops working too.
                sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            user.map(|(u,)| u)
        }))
    }

    async fn create_api_token(&self, token: &ApiToken, entry: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO api_tokens (id, org_id, name, token_hash, scopes, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&token.id)
            .bind(&token.org_id)
            .bind(&token.name)
            .bind(&token.token_hash)
            .bind(Scope::join(&token.scopes))
            .bind(&token.created_by)
            .bind(micros(token.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            audit!(tx, entry, token.created_at);
        });
        Ok(())
    }

    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let row: Option<TokenRow> = read!(self, |pool| {
            sqlx::query_as(&format!("{TOKEN_SELECT} WHERE token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(row.map(token_from))
    }

    async fn api_tokens_of(&self, org_id: &str) -> StoreResult<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = read!(self, |pool| {
            sqlx::query_as(&format!("{TOKEN_SELECT} WHERE org_id = $1 ORDER BY created_at DESC, id DESC"))
                .bind(org_id)
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows.into_iter().map(token_from).collect())
    }

    async fn revoke_api_token(
        &self,
        org_id: &str,
        id: &str,
        now: OffsetDateTime,
        entry: &AuditEntry,
    ) -> StoreResult<bool> {
        Ok(write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
            )
            .bind(org_id)
            .bind(id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
                == 1;
            if done {
                audit!(tx, entry, now);
            }
            done
        }))
    }

    async fn touch_api_token(&self, id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn append_audit(&self, entry: &AuditEntry, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            audit!(tx, entry, now);
        });
        Ok(())
    }
}
