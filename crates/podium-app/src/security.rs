//! Account security beyond signing in: password change and reset by e-mailed link, signing out
//! everywhere, and organisations' API tokens with scopes.
//!
//! Secrets are never stored: a session, reset link or API token is kept as its SHA-256. A reset
//! link's token is derived from the reset's id with the marketplace's shared key, so the mail
//! worker can write it into the mail without the database ever holding it. Attempts are counted
//! in the database (`rate_limits`), so N nodes do not allow N times the limit.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::accounts::{
    blocking, hash_password, over_limit, random_hex, token_hash, verify_password, Principal, MAX_PASSWORD_BYTES,
    MIN_PASSWORD_LEN,
};
use crate::licensing::AuditEntry;
use crate::ports::{Store, StoreError, StoreResult, User};

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::hours(1);
/// Reset links one account may be sent per window, and requests one client may make.
pub const RESETS_PER_ACCOUNT: i64 = 3;
pub const RESET_REQUESTS_PER_CLIENT: i64 = 10;
/// Tries at using a reset link (or changing a password) per client, and per account.
pub const RESET_TRIES_PER_CLIENT: i64 = 20;
pub const PASSWORD_TRIES_PER_ACCOUNT: i64 = 10;
/// What every API token starts with, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "pdm_";
pub const MAX_TOKEN_NAME: usize = 80;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ReadCatalogue,
    WriteCatalogue,
    ReadOrders,
    FulfilOrders,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::ReadCatalogue, Scope::WriteCatalogue, Scope::ReadOrders, Scope::FulfilOrders];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadCatalogue => "catalogue:read",
            Scope::WriteCatalogue => "catalogue:write",
            Scope::ReadOrders => "orders:read",
            Scope::FulfilOrders => "orders:fulfil",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Scopes as stored: `catalogue:read orders:read`.
    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Reads stored scopes, ignoring any this version does not know.
    pub fn split(s: &str) -> Vec<Scope> {
        s.split_whitespace().filter_map(Scope::parse).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

impl PasswordReset {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub token_hash: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait SecurityStore {
    /// Ends every session of a user except the one with hash `keep`; returns how many ended.
    async fn delete_sessions_of_user(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64>;
    /// Sets a user's password and ends their sessions except `keep`, in one transaction.
    async fn set_password(&self, user_id: &str, password_hash: &str, keep: Option<&str>) -> StoreResult<()>;
    /// Stores a reset and queues its mail (kind `password_reset`, its `order_id` the reset's id)
    /// in one transaction.
    async fn create_password_reset(&self, reset: &PasswordReset, recipient: &str, lang: &str) -> StoreResult<()>;
    async fn password_reset(&self, id: &str) -> StoreResult<Option<PasswordReset>>;
    async fn password_reset_by_hash(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>>;
    /// Uses a live reset once: marks it used, sets the password and ends every session of the
    /// user, in one transaction. `None` when the link is unknown, used or expired.
    async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>>;

    /// Stores a new token and its audit entry in one transaction.
    async fn create_api_token(&self, token: &ApiToken, audit: &AuditEntry) -> StoreResult<()>;
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// An organisation's tokens, newest first (revoked ones too).
    async fn api_tokens_of(&self, org_id: &str) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of an organisation's tokens, with its audit entry; false if it was not one of
    /// theirs or was already revoked.
    async fn revoke_api_token(
        &self,
        org_id: &str,
        id: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Notes a token's use (at most once a minute is written).
    async fn touch_api_token(&self, id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// Appends to the append-only audit log.
    async fn append_audit(&self, entry: &AuditEntry, now: OffsetDateTime) -> StoreResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the current password is not right")]
    WrongPassword,
    #[error("use at least {MIN_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("this link has expired or was already used; ask for a new one")]
    LinkNotLive,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn limit(store: &dyn Store, key: &str, max: i64, now: OffsetDateTime) -> Result<(), PasswordError> {
    match over_limit(store, key, max, now).await? {
        Some(retry_after_secs) => Err(PasswordError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

fn check_new(password: &str, confirm: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::WeakPassword);
    }
    if password != confirm {
        return Err(PasswordError::Mismatch);
    }
    Ok(())
}

async fn hash(password: &str) -> Result<String, PasswordError> {
    let password = password.to_string();
    Ok(blocking(move || hash_password(&password)).await??)
}

/// Changes the signed-in user's password; every other session of theirs ends.
pub async fn change_password(
    store: &dyn Store,
    principal: &Principal,
    current: &str,
    new: &str,
    confirm: &str,
    now: OffsetDateTime,
) -> Result<(), PasswordError> {
    limit(store, &format!("password:account:{}", principal.user.id), PASSWORD_TRIES_PER_ACCOUNT, now).await?;
    if current.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::WeakPassword);
    }
    let stored = principal.user.password_hash.clone();
    let given = current.to_string();
    let ok = blocking(move || verify_password(&given, &stored)).await?;
    if !ok {
        return Err(PasswordError::WrongPassword);
    }
    check_new(new, confirm)?;
    let hashed = hash(new).await?;
    store.set_password(&principal.user.id, &hashed, Some(&principal.session_hash)).await?;
    Ok(())
}

/// The token of a reset link, derived from the reset's id with the marketplace's shared key.
pub fn reset_token(secret: &[u8], reset_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(b"password-reset:");
    mac.update(reset_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Someone asks for a reset link. The answer never says whether the account exists; a link is
/// queued only when it does, and not more than [`RESETS_PER_ACCOUNT`] per window.
pub async fn request_reset(
    store: &dyn Store,
    secret: &[u8],
    email: &str,
    client: &str,
    lang: &str,
    now: OffsetDateTime,
) -> Result<(), PasswordError> {
    limit(store, &format!("reset:client:{client}"), RESET_REQUESTS_PER_CLIENT, now).await?;
    let email = podium_domain::identity::email_key(email);
    let Some(user) = store.user_by_email(&email).await? else { return Ok(()) };
    if over_limit(store, &format!("reset:account:{}", user.id), RESETS_PER_ACCOUNT, now).await?.is_some() {
        // Quietly: the owner already has links on their way.
        return Ok(());
    }
    let id = random_hex(16);
    let reset = PasswordReset {
        token_hash: token_hash(&reset_token(secret, &id)),
        id,
        user_id: user.id.clone(),
        created_at: now,
        expires_at: now + RESET_TTL,
        used_at: None,
    };
    store.create_password_reset(&reset, &user.email, lang).await?;
    Ok(())
}

/// Whether a reset link still works (to show its form, or say it does not).
pub async fn reset_is_live(
    store: &dyn Store,
    token: &str,
    client: &str,
    now: OffsetDateTime,
) -> Result<bool, PasswordError> {
    limit(store, &format!("reset-use:client:{client}"), RESET_TRIES_PER_CLIENT, now).await?;
    Ok(store.password_reset_by_hash(&token_hash(token)).await?.is_some_and(|r| r.is_live(now)))
}

/// Sets a new password through a reset link; the link then stops working and every session of
/// the account ends.
pub async fn reset_password(
    store: &dyn Store,
    token: &str,
    new: &str,
    confirm: &str,
    client: &str,
    now: OffsetDateTime,
) -> Result<User, PasswordError> {
    limit(store, &format!("reset-use:client:{client}"), RESET_TRIES_PER_CLIENT, now).await?;
    check_new(new, confirm)?;
    let hashed = hash(new).await?;
    let Some(user_id) = store.use_password_reset(&token_hash(token), &hashed, now).await? else {
        return Err(PasswordError::LinkNotLive);
    };
    // A reset proves the mailbox: the account's sign-in failures are forgiven.
    let user = store.user_by_id(&user_id).await?.ok_or(StoreError::NotFound("user"))?;
    store.clear_rate_limit(&format!("signin:account:{}", user.email)).await?;
    Ok(user)
}

/// Ends every session of the signed-in user, this one included.
pub async fn sign_out_everywhere(store: &dyn Store, principal: &Principal) -> StoreResult<u64> {
    store.delete_sessions_of_user(&principal.user.id, None).await
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("give the token a name of 1 to {MAX_TOKEN_NAME} characters")]
    Name,
    #[error("choose at least one thing the token may do")]
    NoScope,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who acts, for the audit log: their name and where the request came from.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    pub client: String,
}

/// A new token for an organisation. Returns the token itself, to show once.
pub async fn create_token(
    store: &dyn Store,
    org_id: &str,
    actor: &Actor,
    name: &str,
    scopes: &[Scope],
    now: OffsetDateTime,
) -> Result<(String, ApiToken), TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
        return Err(TokenError::Name);
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(TokenError::NoScope);
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(24));
    let token = ApiToken {
        id: random_hex(12),
        org_id: org_id.to_string(),
        name: name.to_string(),
        token_hash: token_hash(&secret),
        scopes: scopes.clone(),
        created_by: actor.user_id.clone(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let audit = AuditEntry {
        org_id: org_id.to_string(),
        actor_name: actor.name.clone(),
        action: "token.create".into(),
        subject: name.to_string(),
        detail: Scope::join(&scopes),
        client: actor.client.clone(),
    };
    store.create_api_token(&token, &audit).await?;
    Ok((secret, token))
}

pub async fn revoke_token(
    store: &dyn Store,
    org_id: &str,
    actor: &Actor,
    id: &str,
    now: OffsetDateTime,
) -> Result<(), TokenError> {
    let tokens = store.api_tokens_of(org_id).await?;
    let Some(token) = tokens.iter().find(|t| t.id == id) else { return Err(TokenError::NotFound) };
    let audit = AuditEntry {
        org_id: org_id.to_string(),
        actor_name: actor.name.clone(),
        action: "token.revoke".into(),
        subject: token.name.clone(),
        detail: Scope::join(&token.scopes),
        client: actor.client.clone(),
    };
    if store.revoke_api_token(org_id, id, now, &audit).await? {
        Ok(())
    } else {
        Err(TokenError::NotFound)
    }
}

/// The caller behind an API token, if it is known and not revoked: its organisation only, and
/// only its scopes. Read from the database on every request, so a revocation holds on every
/// node at once.
pub async fn authenticate_token(store: &dyn Store, token: &str, now: OffsetDateTime) -> StoreResult<Option<Principal>> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some(t) = store.api_token_by_hash(&token_hash(token)).await? else { return Ok(None) };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(user) = store.user_by_id(&t.created_by).await? else { return Ok(None) };
    let orgs: Vec<_> = store.memberships(&user.id).await?.into_iter().filter(|o| o.id == t.org_id).collect();
    if orgs.is_empty() {
        // Its maker has left the organisation: the token no longer speaks for it.
        return Ok(None);
    }
    if t.last_used_at.is_none_or(|at| now - at > Duration::minutes(1)) {
        store.touch_api_token(&t.id, now).await?;
    }
    Ok(Some(Principal {
        user: User { password_hash: String::new(), is_operator: false, ..user },
        orgs,
        csrf_token: String::new(),
        session_hash: String::new(),
        token: Some(crate::accounts::TokenGrant { id: t.id, scopes: t.scopes }),
    }))
}

/// Records an operator's action (a payout run, a trade-rules or rates import, a role change) in
/// the marketplace operator's audit log.
pub async fn audit_operator(
    store: &dyn Store,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: &str,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let Some(operator) = store.orgs_of_kind(podium_domain::role::OrgKind::Operator).await?.into_iter().next() else {
        tracing::warn!(action, "no operator organisation to audit under");
        return Ok(());
    };
    let entry = AuditEntry {
        org_id: operator.id,
        actor_name: actor.name.clone(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
        client: actor.client.clone(),
    };
    store.append_audit(&entry, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_dropped() {
        let all = Scope::join(&Scope::ALL);
        assert_eq!(all, "catalogue:read catalogue:write orders:read orders:fulfil");
        assert_eq!(Scope::split(&all), Scope::ALL.to_vec());
        assert_eq!(Scope::split("orders:read admin:everything"), vec![Scope::ReadOrders]);
    }

    #[test]
    fn reset_tokens_depend_on_the_key_and_the_reset() {
        let a = reset_token(b"key one", "r1");
        assert_eq!(a, reset_token(b"key one", "r1"));
        assert_ne!(a, reset_token(b"key two", "r1"));
        assert_ne!(a, reset_token(b"key one", "r2"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(matches!(check_new("short", "short"), Err(PasswordError::WeakPassword)));
        assert!(matches!(check_new("long enough pw", "long enough pX"), Err(PasswordError::Mismatch)));
        assert!(check_new("long enough pw", "long enough pw").is_ok());
    }
}
