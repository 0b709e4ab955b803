//! Signing up through the page, without telling anyone which addresses have accounts.
//!
//! The page answers the same for every well-formed request: "we sent a link to confirm your
//! address". A new address gets an unconfirmed account and a single-use confirmation link; an
//! address that already has an account gets a mail saying someone tried to sign up with it (sign
//! in, or reset the password); an address whose account is still unconfirmed gets a new link.
//! The password is hashed in every case, so the answer takes as long either way. Following the
//! link confirms the account and signs in. As for a password reset, the link's token is derived
//! from the confirmation's id with the marketplace's shared key and only its SHA-256 is stored.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::accounts::{
    blocking, check_sign_up, hash_password, over_limit, random_hex, start_session, token_hash, NewSession, SignUpError,
};
use crate::ports::{NewUser, Store, StoreError, StoreResult, User};

/// How long a confirmation link works.
pub const CONFIRM_TTL: Duration = Duration::hours(24);
/// Sign-ups one client may ask for per window (see [`crate::accounts::ATTEMPT_WINDOW`]).
pub const SIGNUPS_PER_CLIENT: i64 = 10;
/// Mails one address may be sent by sign-ups per window.
pub const SIGNUP_MAILS_PER_ADDRESS: i64 = 3;
/// Tries at confirmation links per client.
pub const CONFIRM_TRIES_PER_CLIENT: i64 = 20;

/// A confirmation link: following it sets the password and name chosen when it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupConfirmation {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub password_hash: String,
    pub display_name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

impl SignupConfirmation {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

#[async_trait]
pub trait SignupStore {
    /// Creates an unconfirmed account with its first confirmation (whose `user_id` is the new
    /// account's) and queues the confirmation's mail (kind `signup_confirm`, its `order_id` the
    /// confirmation's id), in one transaction. `Conflict { field: "email" }` when the address
    /// has an account.
    async fn create_unconfirmed_user(
        &self,
        user: NewUser,
        confirmation: &SignupConfirmation,
        lang: &str,
    ) -> StoreResult<User>;
    /// Adds a confirmation to an unconfirmed account and queues its mail, in one transaction.
    async fn add_signup_confirmation(
        &self,
        confirmation: &SignupConfirmation,
        recipient: &str,
        lang: &str,
    ) -> StoreResult<()>;
    async fn signup_confirmation(&self, id: &str) -> StoreResult<Option<SignupConfirmation>>;
    async fn signup_confirmation_by_hash(&self, token_hash: &str) -> StoreResult<Option<SignupConfirmation>>;
    /// Uses a live confirmation once: marks it and every other link of the account used, sets
    /// the account's password and name to the link's and marks it confirmed, in one
    /// transaction. The account's id, or `None` when the link is unknown, used or expired.
    async fn confirm_signup(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<String>>;
    /// Queues the mail telling an account's owner that someone tried to sign up with their
    /// address (kind `signup_taken`, its `order_id` the account's id; `id` is the mail's).
    async fn queue_signup_notice(
        &self,
        id: &str,
        user_id: &str,
        recipient: &str,
        lang: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("this link has expired or was already used")]
    LinkNotLive,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The token of a confirmation link, derived from the confirmation's id with the shared key.
pub fn confirm_token(secret: &[u8], confirmation_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(b"signup-confirm:");
    mac.update(confirmation_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Someone fills in the sign-up page. Errors name a field of the form (or the client's limit);
/// `Ok` never says whether the address already had an account.
#[allow(clippy::too_many_arguments)]
pub async fn request_signup(
    store: &dyn Store,
    secret: &[u8],
    email: &str,
    password: &str,
    display_name: &str,
    client: &str,
    lang: &str,
    now: OffsetDateTime,
) -> Result<(), SignUpError> {
    if let Some(retry_after_secs) = over_limit(store, &format!("signup:client:{client}"), SIGNUPS_PER_CLIENT, now)
        .await
        .map_err(SignUpError::Store)?
    {
        return Err(SignUpError::TooManyAttempts { retry_after_secs });
    }
    let (email, display_name) = check_sign_up(email, password, display_name)?;
    // Hashed whether or not the address has an account, so both answers take as long.
    let password = password.to_string();
    let password_hash = blocking(move || hash_password(&password)).await.and_then(|r| r).map_err(SignUpError::Store)?;
    let confirmation = |user_id: &str| {
        let id = random_hex(16);
        SignupConfirmation {
            token_hash: token_hash(&confirm_token(secret, &id)),
            id,
            user_id: user_id.to_string(),
            password_hash: password_hash.clone(),
            display_name: display_name.clone(),
            created_at: now,
            expires_at: now + CONFIRM_TTL,
            used_at: None,
        }
    };
    let existing = store.user_by_email(&email).await.map_err(SignUpError::Store)?;
    let Some(user) = existing else {
        let new =
            NewUser { email: email.clone(), display_name: display_name.clone(), password_hash: password_hash.clone() };
        return match store.create_unconfirmed_user(new, &confirmation(""), lang).await {
            // Another request made the account first: its link is on its way.
            Ok(_) | Err(StoreError::Conflict { field: "email" }) => Ok(()),
            Err(e) => Err(SignUpError::Store(e)),
        };
    };
    let mails = over_limit(store, &format!("signup:address:{}", user.id), SIGNUP_MAILS_PER_ADDRESS, now)
        .await
        .map_err(SignUpError::Store)?;
    if mails.is_some() {
        // Quietly: the owner already has mails on their way.
        return Ok(());
    }
    if user.confirmed {
        store.queue_signup_notice(&random_hex(16), &user.id, &user.email, lang, now).await.map_err(SignUpError::Store)
    } else {
        store.add_signup_confirmation(&confirmation(&user.id), &user.email, lang).await.map_err(SignUpError::Store)
    }
}

async fn confirm_limit(store: &dyn Store, client: &str, now: OffsetDateTime) -> Result<(), ConfirmError> {
    let key = format!("signup-confirm:client:{client}");
    match over_limit(store, &key, CONFIRM_TRIES_PER_CLIENT, now).await? {
        Some(retry_after_secs) => Err(ConfirmError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

/// Whether a confirmation link still works (to show its button, or say it does not).
pub async fn confirmation_is_live(
    store: &dyn Store,
    token: &str,
    client: &str,
    now: OffsetDateTime,
) -> Result<bool, ConfirmError> {
    confirm_limit(store, client, now).await?;
    Ok(store.signup_confirmation_by_hash(&token_hash(token)).await?.is_some_and(|c| c.is_live(now)))
}

/// Follows a confirmation link: the account is confirmed, with the password and name of that
/// link, and signed in. The link then stops working, and so does every other of the account.
pub async fn confirm(
    store: &dyn Store,
    token: &str,
    client: &str,
    now: OffsetDateTime,
) -> Result<NewSession, ConfirmError> {
    confirm_limit(store, client, now).await?;
    let Some(user_id) = store.confirm_signup(&token_hash(token), now).await? else {
        return Err(ConfirmError::LinkNotLive);
    };
    let user = store.user_by_id(&user_id).await?.ok_or(StoreError::NotFound("user"))?;
    Ok(start_session(store, user, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_tokens_are_keyed_and_differ_from_reset_tokens() {
        let a = confirm_token(b"key", "c1");
        assert_eq!(a, confirm_token(b"key", "c1"));
        assert_ne!(a, confirm_token(b"other key", "c1"));
        assert_ne!(a, confirm_token(b"key", "c2"));
        assert_ne!(a, crate::security::reset_token(b"key", "c1"), "a reset link never confirms");
        assert_eq!(a.len(), 64);
    }
}
