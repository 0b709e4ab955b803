//! Accounts: sign-up, sign-in with attempt limits, server-side sessions, and who may do what.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use podium_domain::identity;
use podium_domain::role::{OrgKind, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::ports::{NewUser, Org, SessionRecord, Store, StoreError, StoreResult, User};

/// How long a session lasts without signing in again.
pub const SESSION_TTL: Duration = Duration::days(30);
/// Sign-in attempts allowed per account, and per client, in one window.
pub const ATTEMPTS_PER_ACCOUNT: i64 = 10;
pub const ATTEMPTS_PER_CLIENT: i64 = 30;
pub const ATTEMPT_WINDOW: Duration = Duration::minutes(15);
pub const MIN_PASSWORD_LEN: usize = 10;
/// The longest password read, in bytes (it bounds the hashing work).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    #[error("enter a valid email address")]
    InvalidEmail,
    #[error("enter the address as it is, without invisible characters or letters of another alphabet")]
    LookAlikeEmail,
    #[error("use at least {MIN_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("enter a name of 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("write the name in one alphabet; mixed alphabets can pass for another name")]
    LookAlikeName,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("too many sign-ups from here; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error(transparent)]
    Store(StoreError),
}

impl SignUpError {
    /// The form field the error belongs to, so a page can show it next to that field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SignUpError::InvalidEmail | SignUpError::LookAlikeEmail | SignUpError::EmailTaken => Some("email"),
            SignUpError::WeakPassword => Some("password"),
            SignUpError::InvalidName | SignUpError::LookAlikeName => Some("display_name"),
            SignUpError::TooManyAttempts { .. } | SignUpError::Store(_) => None,
        }
    }
}

impl From<identity::EmailError> for SignUpError {
    fn from(e: identity::EmailError) -> Self {
        match e {
            identity::EmailError::Invalid => SignUpError::InvalidEmail,
            identity::EmailError::LookAlike => SignUpError::LookAlikeEmail,
        }
    }
}

impl From<identity::NameError> for SignUpError {
    fn from(e: identity::NameError) -> Self {
        match e {
            identity::NameError::Length(_) => SignUpError::InvalidName,
            identity::NameError::MixedScripts => SignUpError::LookAlikeName,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or password is not right")]
    InvalidCredentials,
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The password is right but the address was never confirmed (said only then, so it tells
    /// nothing to someone who does not know the password).
    #[error("confirm your email address first: follow the link we sent to it")]
    Unconfirmed,
    #[error(transparent)]
    Store(StoreError),
}

/// What a successful sign-in hands to the web layer: the raw token goes in the cookie only.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub record: SessionRecord,
    pub user: User,
}

/// The signed-in user with the organisations they belong to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub orgs: Vec<Org>,
    pub csrf_token: String,
    pub session_hash: String,
    /// Set when the caller is an organisation's API token rather than a signed-in session.
    pub token: Option<TokenGrant>,
}

/// What an API token may do, for one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub id: String,
    pub scopes: Vec<crate::security::Scope>,
}

impl Principal {
    /// A signed-in session may do anything its roles allow; a token, only its scopes.
    pub fn allows(&self, scope: crate::security::Scope) -> bool {
        self.token.as_ref().is_none_or(|t| t.scopes.contains(&scope))
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut roles = vec![Role::Fan];
        roles.extend(self.orgs.iter().map(|o| o.kind.member_role()));
        if self.user.is_operator {
            roles.push(Role::Operator);
        }
        roles.sort();
        roles.dedup();
        roles
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// The console a user lands on: the most specific role they hold.
    pub fn home_role(&self) -> Role {
        self.roles().into_iter().max().unwrap_or(Role::Fan)
    }

    pub fn orgs_of(&self, kind: OrgKind) -> impl Iterator<Item = &Org> {
        self.orgs.iter().filter(move |o| o.kind == kind)
    }
}

/// An address as stored: see [`identity::clean_email`].
pub fn normalise_email(email: &str) -> Result<String, SignUpError> {
    Ok(identity::clean_email(email)?)
}

/// Checks what a sign-up form holds; returns the address and name as they are stored.
pub fn check_sign_up(email: &str, password: &str, display_name: &str) -> Result<(String, String), SignUpError> {
    let email = normalise_email(email)?;
    let name = identity::clean_name(display_name, MAX_NAME_CHARS)?;
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_BYTES {
        return Err(SignUpError::WeakPassword);
    }
    Ok((email, name))
}

fn argon2() -> Argon2<'static> {
    // argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane): OWASP's recommended floor.
    Argon2::default()
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Runs CPU-heavy hashing off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Backend(format!("hashing task failed: {e}")))
}

/// Makes a confirmed account at once (the demo, tests and the command line; the sign-up page
/// asks the owner of the address first, see [`crate::signup::request_signup`]).
pub async fn sign_up(store: &dyn Store, email: &str, password: &str, display_name: &str) -> Result<User, SignUpError> {
    let (email, display_name) = check_sign_up(email, password, display_name)?;
    let password = password.to_string();
    let password_hash = blocking(move || hash_password(&password)).await.and_then(|r| r).map_err(SignUpError::Store)?;
    store.create_user(NewUser { email, display_name, password_hash }).await.map_err(|e| match e {
        StoreError::Conflict { field: "email" } => SignUpError::EmailTaken,
        other => SignUpError::Store(other),
    })
}

/// Whether a token from a mailed link (password reset, sign-up confirmation) has the shape
/// those links carry: 64 hexadecimal digits. Anything else is refused before any look-up.
pub fn is_link_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `bytes` random bytes, hex: tokens and ids nobody can guess.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token for double-submit CSRF protection of visitors who are not signed in.
pub fn new_csrf_token() -> String {
    random_hex(32)
}

/// Counts a hit against `key`; when it is over `limit`, the seconds until the window ends.
pub(crate) async fn over_limit(
    store: &dyn Store,
    key: &str,
    limit: i64,
    now: OffsetDateTime,
) -> StoreResult<Option<i64>> {
    let (hits, window_end) = store.hit_rate_limit(key, ATTEMPT_WINDOW, now).await?;
    Ok((hits > limit).then(|| (window_end - now).whole_seconds().max(1)))
}

async fn check_limit(store: &dyn Store, key: &str, limit: i64, now: OffsetDateTime) -> Result<(), SignInError> {
    match over_limit(store, key, limit, now).await.map_err(SignInError::Store)? {
        Some(retry_after_secs) => Err(SignInError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

/// Signs in by email and password. Failures are limited per account and per client (`client`
/// is the caller's address). Every attempt is counted before the password is checked, so
/// attempts made at once cannot slip past the limit; a success then takes its hit back from
/// the client's count (many fans signing in from one office lock nobody out) and clears the
/// account's.
pub async fn sign_in(
    store: &dyn Store,
    email: &str,
    password: &str,
    client: &str,
    now: OffsetDateTime,
) -> Result<NewSession, SignInError> {
    let email = podium_domain::identity::email_key(email);
    let account_key = format!("signin:account:{email}");
    let client_key = format!("signin:client:{client}");
    check_limit(store, &client_key, ATTEMPTS_PER_CLIENT, now).await?;
    check_limit(store, &account_key, ATTEMPTS_PER_ACCOUNT, now).await?;

    let user = store.user_by_email(&email).await.map_err(SignInError::Store)?;
    // Verify against a fixed hash when the account does not exist, so timing does not tell.
    let stored = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = password.to_string();
    let ok = blocking(move || verify_password(&password, &stored)).await.map_err(SignInError::Store)?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => return Err(SignInError::InvalidCredentials),
    };
    store.refund_rate_limit(&client_key, ATTEMPT_WINDOW, now).await.map_err(SignInError::Store)?;
    if !user.confirmed {
        return Err(SignInError::Unconfirmed);
    }
    store.clear_rate_limit(&account_key).await.map_err(SignInError::Store)?;
    start_session(store, user, now).await.map_err(SignInError::Store)
}

/// A new session for `user`, who has just proved who they are.
pub(crate) async fn start_session(store: &dyn Store, user: User, now: OffsetDateTime) -> StoreResult<NewSession> {
    let token = random_hex(32);
    let record = SessionRecord {
        token_hash: token_hash(&token),
        user_id: user.id.clone(),
        csrf_token: random_hex(32),
        created_at: now,
        expires_at: now + SESSION_TTL,
    };
    store.create_session(record.clone()).await?;
    Ok(NewSession { token, record, user })
}

/// An argon2id hash of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Jq7nZ8Ck5pXyGwK0Wd9l8nq1l1rQy8wq3Jm7M0cX1Y";

/// Finds the signed-in user behind a session token, if the session is live.
pub async fn authenticate(
    store: &dyn Store,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<Principal>, StoreError> {
    let hash = token_hash(token);
    let Some(session) = store.session(&hash, now).await? else {
        return Ok(None);
    };
    let Some(user) = store.user_by_id(&session.user_id).await? else {
        return Ok(None);
    };
    let orgs = store.memberships(&user.id).await?;
    Ok(Some(Principal { user, orgs, csrf_token: session.csrf_token, session_hash: hash, token: None }))
}

pub async fn sign_out(store: &dyn Store, principal: &Principal) -> Result<(), StoreError> {
    store.delete_session(&principal.session_hash).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email("  Fan@Example.COM ").ok(), Some("fan@example.com".to_string()));
        for bad in ["", "fan", "fan@", "@example.com", "fan@example", "f an@example.com", "a@b@c.com", "fan@.com"] {
            assert!(matches!(normalise_email(bad), Err(SignUpError::InvalidEmail)), "{bad}");
        }
    }

    #[test]
    fn sign_up_forms_refuse_look_alikes_beside_their_fields() {
        let pw = "long enough pw";
        let check = |email: &str, name: &str| check_sign_up(email, pw, name).map_err(|e| e.field());
        assert_eq!(check("fan@podium.example\u{200B}", "Aiko"), Err(Some("email")));
        assert_eq!(check("f\u{0430}n@podium.example", "Aiko"), Err(Some("email")), "a Cyrillic а");
        assert_eq!(check("aiko@example.jp", "P\u{043E}dium Support"), Err(Some("display_name")));
        assert!(matches!(check_sign_up("aiko@example.jp", pw, "P\u{043E}dium"), Err(SignUpError::LookAlikeName)));
        // Bidirectional controls are taken out of names; a name in one script is kept.
        assert_eq!(
            check("aiko@example.jp", "Aiko\u{202E}gpj.exe"),
            Ok(("aiko@example.jp".into(), "Aikogpj.exe".into()))
        );
        assert_eq!(check("ivan@example.ru", "Москва"), Ok(("ivan@example.ru".into(), "Москва".into())));
        assert_eq!(check("minji@example.kr", "김민지"), Ok(("minji@example.kr".into(), "김민지".into())));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", DUMMY_HASH));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_hex(32), random_hex(32));
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
