//! The `Store` port: everything Podium keeps, behind one object-safe trait with an adapter per
//! backend (SQLite, PostgreSQL) in `podium-store`. The contract tests there run unchanged on both.

use async_trait::async_trait;
use podium_domain::role::OrgKind;
use podium_domain::Rate;
use time::{Date, OffsetDateTime};

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; `field` names it for the caller ("email", "slug").
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database could not be reached or answered with an error. Details are for logs only.
    #[error("storage failure: {0}")]
    Backend(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub kind: OrgKind,
    pub slug: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 code of where the organisation is based.
    pub country: String,
    /// The currency the organisation prices or is paid in.
    pub currency: String,
    /// A shop's story in its own words, shown on its page (plain text, paragraphs split by blank lines).
    pub story: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub slug: String,
    pub name: String,
    pub country: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_operator: bool,
    pub created_at: OffsetDateTime,
    /// Whether the owner of the address has confirmed it (accounts made through the sign-up
    /// page start unconfirmed and cannot sign in until then).
    pub confirmed: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
}

/// A server-side session, found by the SHA-256 of the cookie's token (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// One entry of the outbox: a change other nodes and the search index must learn of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub position: i64,
    pub topic: String,
    pub payload: String,
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait Store:
    crate::catalogue::CatalogueStore
    + crate::licensing::LicensingStore
    + crate::shipping::ShippingStore
    + crate::inventory::InventoryStore
    + crate::cart::CartStore
    + crate::orders::OrderStore
    + crate::payments::SandboxStore
    + crate::ledger::LedgerStore
    + crate::payouts::PayoutStore
    + crate::stories::StoryStore
    + crate::drops::DropStore
    + crate::security::SecurityStore
    + crate::signup::SignupStore
    + crate::display_rounding::RoundingStore
    + crate::code_requests::CodeRequestStore
    + crate::disputes::DisputeStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres", for logs and `/readyz`.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations; idempotent.
    async fn migrate(&self) -> StoreResult<()>;
    /// True when the database answers and every migration this binary knows is applied.
    async fn is_ready(&self) -> StoreResult<bool>;
    /// Tells databases apart (it changes when a database is created anew), so a node's search
    /// index built from one database is never taken for another's.
    async fn database_id(&self) -> StoreResult<String>;

    async fn create_org(&self, org: NewOrg) -> StoreResult<Org>;
    async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>>;
    async fn set_org_story(&self, org_id: &str, story: &str) -> StoreResult<()>;
    async fn orgs_of_kind(&self, kind: OrgKind) -> StoreResult<Vec<Org>>;

    /// Creates a user; the email is unique case-insensitively (`Conflict { field: "email" }`).
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn set_operator(&self, user_id: &str, operator: bool) -> StoreResult<()>;
    async fn add_membership(&self, user_id: &str, org_id: &str) -> StoreResult<()>;
    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<Org>>;
    async fn count_users(&self) -> StoreResult<i64>;

    async fn create_session(&self, session: SessionRecord) -> StoreResult<()>;
    /// The session with this token hash if it exists and has not expired at `now`.
    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// Counts one hit against `key` in the fixed window that contains `now`, and returns the
    /// hits so far in that window (this one included) and when the window ends.
    async fn hit_rate_limit(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)>;
    /// Forgets the hits against `key` (a successful sign-in clears its account's failures).
    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()>;
    /// Takes back one hit against `key` in the window that contains `now` (an attempt counted
    /// before it was known to succeed); never below zero, and nothing in another window.
    async fn refund_rate_limit(&self, key: &str, window: time::Duration, now: OffsetDateTime) -> StoreResult<()>;
    /// The hits against `key` in the window that contains `now`, without counting one, and
    /// when the window ends.
    async fn rate_limit_hits(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)>;

    /// The hits against each of `keys` (in their order) in the window that contains `now`, in
    /// one look at the store; a key never hit counts 0.
    async fn rate_limits_hits(
        &self,
        keys: &[&str],
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<i64>>;
    /// Counts one hit against each of `keys` in the window that contains `now`, in one
    /// transaction.
    async fn hit_rate_limits(&self, keys: &[&str], window: time::Duration, now: OffsetDateTime) -> StoreResult<()>;

    /// Stores rates (replacing any for the same currency and date) in one transaction. Returns how many were written.
    async fn save_rates(&self, rates: &[Rate]) -> StoreResult<u64>;
    /// The most recent rate of every currency.
    async fn latest_rates(&self) -> StoreResult<Vec<Rate>>;
    /// For each currency, the latest rate dated on or before `date`.
    async fn rates_on(&self, date: Date) -> StoreResult<Vec<Rate>>;

    /// Stores an imported trade-rules file (already checked) as the one that applies from now,
    /// and tells other nodes.
    async fn save_trade_rules(&self, source: &str, imported_by: &str) -> StoreResult<()>;
    /// The newest imported trade-rules file: (source, who imported it, when).
    async fn latest_trade_rules(&self) -> StoreResult<Option<(String, String, OffsetDateTime)>>;

    /// Outbox events with a position greater than `after`, oldest first, at most `limit`.
    /// Only positions every earlier writer has committed are returned, so a reader that
    /// remembers its last position never skips one.
    async fn outbox_after(&self, after: i64, limit: i64) -> StoreResult<Vec<OutboxEvent>>;
    /// The highest outbox position written so far (0 when empty).
    async fn outbox_head(&self) -> StoreResult<i64>;
}
