//! The sign-up half of [`SqlStore`]: unconfirmed accounts, their confirmation links with their
//! mails, and the mail telling an account's owner that someone tried to sign up as them.

use async_trait::async_trait;
use podium_app::signup::{SignupConfirmation, SignupStore};
use podium_app::{NewUser, StoreError, StoreResult, User};
use time::OffsetDateTime;

use crate::macros::{outbox, read, write_tx};
use crate::sql::{backend, conflict, from_micros, micros, new_id, SqlStore};

type ConfirmationRow = (String, String, String, String, String, i64, i64, Option<i64>);

fn confirmation_from(
    (id, user_id, token_hash, password_hash, display_name, created, expires, used): ConfirmationRow,
) -> SignupConfirmation {
    SignupConfirmation {
        id,
        user_id,
        token_hash,
        password_hash,
        display_name,
        created_at: from_micros(created),
        expires_at: from_micros(expires),
        used_at: used.map(from_micros),
    }
}

const CONFIRMATION_SELECT: &str = "SELECT id, user_id, token_hash, password_hash, display_name, created_at, \
     expires_at, used_at FROM signup_confirmations";

/// Inside the transaction `$tx`: stores a confirmation and queues its mail.
macro_rules! insert_confirmation {
    ($tx:ident, $c:expr, $user_id:expr, $recipient:expr, $lang:expr) => {{
        let c: &SignupConfirmation = $c;
        sqlx::query(
            "INSERT INTO signup_confirmations \
             (id, user_id, token_hash, password_hash, display_name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind($user_id)
        .bind(&c.token_hash)
        .bind(&c.password_hash)
        .bind(&c.display_name)
        .bind(micros(c.created_at))
        .bind(micros(c.expires_at))
        .execute(&mut *$tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO mails (id, kind, recipient, lang, order_id, created_at) \
             VALUES ($1, 'signup_confirm', $2, $3, $4, $5)",
        )
        .bind(format!("confirm:{}", c.id))
        .bind($recipient)
        .bind($lang)
        .bind(&c.id)
        .bind(micros(c.created_at))
        .execute(&mut *$tx)
        .await
        .map_err(backend)?;
    }};
}

impl SqlStore {
    /// The confirmation whose `column` (a fixed name: `id` or `token_hash`) equals `value`.
    async fn confirmation_where(&self, column: &'static str, value: &str) -> StoreResult<Option<SignupConfirmation>> {
        let sql = format!("{CONFIRMATION_SELECT} WHERE {column} = $1");
        let row: Option<ConfirmationRow> =
            read!(self, |pool| sqlx::query_as(&sql).bind(value).fetch_optional(pool).await.map_err(backend)?);
        Ok(row.map(confirmation_from))
    }
}

#[async_trait]
impl SignupStore for SqlStore {
    async fn create_unconfirmed_user(
        &self,
        user: NewUser,
        confirmation: &SignupConfirmation,
        lang: &str,
    ) -> StoreResult<User> {
        let now = confirmation.created_at;
        let created = User {
            id: new_id(),
            email: user.email.to_lowercase(),
            display_name: user.display_name,
            password_hash: user.password_hash,
            is_operator: false,
            created_at: from_micros(micros(now)),
            confirmed: false,
        };
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO users (id, email, display_name, password_hash, is_operator, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&created.id)
            .bind(&created.email)
            .bind(&created.display_name)
            .bind(&created.password_hash)
            .bind(false)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(conflict("email"))?;
            insert_confirmation!(tx, confirmation, &created.id, &created.email, lang);
            // The outbox carries ids, never personal data.
            outbox!(tx, "user.created", serde_json::json!({"id": created.id}).to_string(), now);
        });
        Ok(created)
    }

    async fn add_signup_confirmation(
        &self,
        confirmation: &SignupConfirmation,
        recipient: &str,
        lang: &str,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            insert_confirmation!(tx, confirmation, &confirmation.user_id, recipient, lang);
        });
        Ok(())
    }

    async fn signup_confirmation(&self, id: &str) -> StoreResult<Option<SignupConfirmation>> {
        self.confirmation_where("id", id).await
    }

    async fn signup_confirmation_by_hash(&self, token_hash: &str) -> StoreResult<Option<SignupConfirmation>> {
        self.confirmation_where("token_hash", token_hash).await
    }

    async fn confirm_signup(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<String>> {
        Ok(write_tx!(self, |tx| {
            // Marking it used is the claim: of two requests with one link, one wins.
            let claimed: Option<(String, String, String)> = sqlx::query_as(
                "UPDATE signup_confirmations SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING user_id, password_hash, display_name",
            )
            .bind(token_hash)
            .bind(micros(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            match claimed {
                Some((user_id, password_hash, display_name)) => {
                    let done = sqlx::query(
                        "UPDATE users SET password_hash = $2, display_name = $3, confirmed_at = $4 \
                         WHERE id = $1 AND confirmed_at IS NULL",
                    )
                    .bind(&user_id)
                    .bind(&password_hash)
                    .bind(&display_name)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    sqlx::query("UPDATE signup_confirmations SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                        .bind(&user_id)
                        .bind(micros(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    // An account confirmed another way (a password reset) keeps its password.
                    (done.rows_affected() == 1).then_some(user_id)
                }
                None => None,
            }
        }))
    }

    async fn queue_signup_notice(
        &self,
        id: &str,
        user_id: &str,
        recipient: &str,
        lang: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO mails (id, kind, recipient, lang, order_id, created_at) \
                 VALUES ($1, 'signup_taken', $2, $3, $4, $5)",
            )
            .bind(format!("taken:{id}"))
            .bind(recipient)
            .bind(lang)
            .bind(user_id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(db) if db.is_unique_violation() => StoreError::Conflict { field: "id" },
                _ => backend(e),
            })?;
        });
        Ok(())
    }
}
