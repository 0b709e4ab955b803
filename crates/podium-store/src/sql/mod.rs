//! [`SqlStore`]: the `Store` port on either backend, with each query written once: pools,
//! migrations, readiness, trade rules, rates and the outbox. It never decides a business rule.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use podium_app::{NewOrg, NewUser, Org, OutboxEvent, SessionRecord, Store, StoreError, StoreResult, User};
use podium_domain::role::OrgKind;
use podium_domain::{Currency, Rate};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};
use time::{Date, OffsetDateTime};

use crate::dialect::Dialect;
use crate::macros::{outbox, read, write_tx};
use crate::migrate::{self, Migration};

pub(crate) mod chain;
pub(crate) mod group;

#[derive(Clone)]
pub(crate) enum Pools {
    /// One writer connection (SQLite allows one writer at a time anyway), whose writes commit
    /// in groups; a few readers, which like the writer run on the caller's thread; and, for
    /// reads of many rows, connections with threads of their own, opened when first needed.
    Sqlite {
        writer: Arc<group::GroupWriter>,
        read: SqlitePool,
        bulk: SqlitePool,
    },
    Postgres(PgPool),
}

#[derive(Clone)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    /// Product records between reads, valid while the outbox stands still.
    pub(crate) kept: Arc<crate::catalogue::KeptProducts>,
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps a unique-constraint violation to a `Conflict` naming `field`.
pub(crate) fn conflict(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict { field },
        _ => backend(e),
    }
}

pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

pub(crate) fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn decode_err(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} {value:?} cannot be read"))
}

const ORG_COLUMNS: &str = "id, kind, slug, name, country, currency, story, created_at";
const USER_COLUMNS: &str = "id, email, display_name, password_hash, is_operator, created_at, confirmed_at";

fn org_from<R: Row>(row: &R) -> StoreResult<Org>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind").map_err(backend)?;
    Ok(Org {
        id: row.try_get("id").map_err(backend)?,
        kind: OrgKind::parse(&kind).ok_or_else(|| decode_err("organisation kind", &kind))?,
        slug: row.try_get("slug").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        country: row.try_get("country").map_err(backend)?,
        currency: row.try_get("currency").map_err(backend)?,
        story: row.try_get("story").map_err(backend)?,
        created_at: from_micros(row.try_get("created_at").map_err(backend)?),
    })
}

fn user_from<R: Row>(row: &R) -> StoreResult<User>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(User {
        id: row.try_get("id").map_err(backend)?,
        email: row.try_get("email").map_err(backend)?,
        display_name: row.try_get("display_name").map_err(backend)?,
        password_hash: row.try_get("password_hash").map_err(backend)?,
        is_operator: row.try_get("is_operator").map_err(backend)?,
        created_at: from_micros(row.try_get("created_at").map_err(backend)?),
        confirmed: row.try_get::<Option<i64>, _>("confirmed_at").map_err(backend)?.is_some(),
    })
}

fn session_from<R: Row>(row: &R) -> StoreResult<SessionRecord>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(SessionRecord {
        token_hash: row.try_get("token_hash").map_err(backend)?,
        user_id: row.try_get("user_id").map_err(backend)?,
        csrf_token: row.try_get("csrf_token").map_err(backend)?,
        created_at: from_micros(row.try_get("created_at").map_err(backend)?),
        expires_at: from_micros(row.try_get("expires_at").map_err(backend)?),
    })
}

fn rate_from<R: Row>(row: &R) -> StoreResult<Rate>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let code: String = row.try_get("currency").map_err(backend)?;
    let date: String = row.try_get("rate_date").map_err(backend)?;
    let per_eur: String = row.try_get("per_eur").map_err(backend)?;
    Ok(Rate {
        currency: Currency::parse(&code).map_err(|_| decode_err("currency", &code))?,
        per_eur: Decimal::from_str(&per_eur).map_err(|_| decode_err("rate", &per_eur))?,
        date: Date::parse(&date, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| decode_err("rate date", &date))?,
        source: row.try_get("source").map_err(backend)?,
    })
}

/// `$first, $first+1, …` for an IN list of `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A list of ids for `… IN (…)`, written as each backend reads a long list best. SQLite's
/// driver binds a statement's n parameters in time proportional to n² (it looks each one's
/// name up among all of them), so there the list is one parameter, a JSON array read with
/// `json_each` (the planner still looks each id up in the column's index). PostgreSQL gets
/// one parameter per id.
pub(crate) struct IdList<'a> {
    ids: &'a [String],
    json: Option<String>,
}

impl SqlStore {
    pub(crate) fn id_list<'a>(&self, ids: &'a [String]) -> IdList<'a> {
        let json = match self.pools {
            Pools::Sqlite { .. } => Some(serde_json::Value::from(ids).to_string()),
            Pools::Postgres(_) => None,
        };
        IdList { ids, json }
    }
}

impl IdList<'_> {
    /// `IN (…)` with the list's parameters numbered from `$first`.
    pub(crate) fn sql_in(&self, first: usize) -> String {
        match self.json {
            Some(_) => format!("IN (SELECT value FROM json_each(${first}))"),
            None => format!("IN ({})", placeholders(first, self.ids.len())),
        }
    }

    /// The list's parameters as a chained statement's values ([`chain::Chain::push`]).
    pub(crate) fn values(&self) -> Vec<chain::Value> {
        match &self.json {
            Some(json) => vec![chain::Value::Text(Some(json.clone()))],
            None => self.ids.iter().map(chain::Value::from).collect(),
        }
    }
}

/// `head` followed by `VALUES` and `rows` groups of `cols` numbered placeholders: a multi-row
/// INSERT, one statement (one round trip to the database) for many rows.
pub(crate) fn values_rows(head: &str, cols: usize, rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(head.len() + 8 + rows * cols * 6);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            let _ = write!(sql, "{}${}", if c == 0 { "" } else { ", " }, r * cols + c + 1);
        }
        sql.push(')');
    }
    sql
}

/// How many rows of `cols` columns one multi-row statement carries: about 500 bound
/// parameters. Far inside both databases' limits, because SQLite's driver finds each
/// parameter's name by a scan of the statement's parameter list (quadratic in their number:
/// at 30,000 parameters a statement, binding took 60 % of a bulk import's time).
pub(crate) fn rows_per_statement(cols: usize) -> usize {
    (512 / cols.max(1)).max(1)
}

fn iso_date(d: Date) -> String {
    // Date's Display is ISO 8601 (YYYY-MM-DD) for the years Podium handles.
    d.to_string()
}

/// Rows a SQLite connection's thread may read ahead of the request taking them.
const ROW_CHANNEL: usize = 4096;

impl SqlStore {
    pub async fn open_sqlite(path: &str) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every commit is on disk before it is acknowledged, so an order, a payment or
            // a ledger posting a client was told about survives a power cut, not only a crash of
            // the process (which NORMAL already survives). A checkout commits a few times; at
            // the thousands of fsyncs a second a server disk does, that costs little (see
            // docs/performance.md for the measurement).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(StdDuration::from_secs(10))
            // A `bulk` connection's rows come from its own thread through a bounded channel:
            // once it is full, the thread waits for each row taken before it reads the next, a
            // thread switch per row. Room for a whole rebuild chunk lets it read on.
            .row_buffer_size(ROW_CHANNEL);
        // The writer and the readers run their statements on the thread of the task that holds
        // them, sparing the two thread switches of a round trip to a connection's own thread
        // (most of a short statement's time; docs/performance.md). Reads of many rows go to
        // `bulk`, whose connections keep their threads.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(StdDuration::from_secs(30))
            .connect_with(opts.clone().run_on_caller(true))
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open SQLite database {path}: {e}")))?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.clone().read_only(true).run_on_caller(true))
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open SQLite database {path}: {e}")))?;
        let bulk = SqlitePoolOptions::new()
            .max_connections(2)
            .idle_timeout(StdDuration::from_secs(60))
            .connect_lazy_with(opts.read_only(true));
        Ok(SqlStore {
            pools: Pools::Sqlite { writer: Arc::new(group::GroupWriter::new(write)), read, bulk },
            kept: Arc::default(),
        })
    }

    pub async fn open_postgres(url: &str) -> StoreResult<Self> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL {}: {e}", crate::redact(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(StdDuration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL at {}: {e}", crate::redact(url))))?;
        Ok(SqlStore { pools: Pools::Postgres(pool), kept: Arc::default() })
    }

    fn migrations(&self) -> &'static [Migration] {
        match self.pools {
            Pools::Sqlite { .. } => migrate::SQLITE,
            Pools::Postgres(_) => migrate::POSTGRES,
        }
    }

    /// Closes every connection; used before a test database is dropped.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, read, bulk } => {
                writer.pool().close().await;
                read.close().await;
                bulk.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.pools {
            Pools::Sqlite { .. } => "sqlite",
            Pools::Postgres(_) => "postgres",
        }
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrations = self.migrations();
        write_tx!(self, |tx| {
            // Several nodes may start at once: serialise them (SQLite already is, by IMMEDIATE).
            if let Some(lock) = (*tx).migration_lock() {
                sqlx::query(lock).execute(&mut *tx).await.map_err(backend)?;
            }
            sqlx::query(migrate::CREATE_TABLE).execute(&mut *tx).await.map_err(backend)?;
            let rows = sqlx::query("SELECT version, checksum FROM podium_migrations")
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
            let mut applied = std::collections::HashMap::new();
            for row in &rows {
                let v: i64 = row.try_get("version").map_err(backend)?;
                let c: String = row.try_get("checksum").map_err(backend)?;
                applied.insert(v, c);
            }
            for m in migrations {
                match applied.get(&m.version) {
                    Some(sum) if *sum == m.checksum() => continue,
                    Some(_) => {
                        return Err(StoreError::Backend(format!(
                            "migration {} ({}) was changed after it was applied",
                            m.version, m.name
                        )))
                    }
                    None => {}
                }
                // A plain string runs unprepared, so one file may hold several statements.
                sqlx::Executor::execute(&mut *tx, m.sql)
                    .await
                    .map_err(|e| StoreError::Backend(format!("migration {} ({}) failed: {e}", m.version, m.name)))?;
                sqlx::query(
                    "INSERT INTO podium_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(m.checksum())
                .bind(micros(OffsetDateTime::now_utc()))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
            }
            Ok::<(), StoreError>(())
        })
    }

    async fn is_ready(&self) -> StoreResult<bool> {
        let latest = self.migrations().last().map(|m| m.version).unwrap_or(0);
        let applied: Option<i64> = read!(self, |pool| {
            match sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM podium_migrations")
                .fetch_one(pool)
                .await
            {
                Ok(v) => v,
                // No migrations table yet: reachable, but not ready.
                Err(sqlx::Error::Database(_)) => None,
                Err(e) => return Err(backend(e)),
            }
        });
        Ok(applied == Some(latest))
    }

    async fn save_trade_rules(&self, source: &str, imported_by: &str) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO trade_rules (id, source, imported_by, imported_at) VALUES ($1, $2, $3, $4)")
                .bind(new_id())
                .bind(source)
                .bind(imported_by)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            outbox!(tx, "trade_rules.changed", "{}", now);
        });
        Ok(())
    }

    async fn latest_trade_rules(&self) -> StoreResult<Option<(String, String, OffsetDateTime)>> {
        let row: Option<(String, String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT source, imported_by, imported_at FROM trade_rules ORDER BY imported_at DESC, id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(|(s, by, at)| (s, by, from_micros(at))))
    }

    async fn database_id(&self) -> StoreResult<String> {
        let created: Option<i64> = read!(self, |pool| {
            sqlx::query_scalar("SELECT applied_at FROM podium_migrations WHERE version = 1")
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(format!("{}-{}", self.backend(), created.unwrap_or(0)))
    }

    async fn create_org(&self, org: NewOrg) -> StoreResult<Org> {
        self.create_org_in(org).await
    }

    async fn set_org_story(&self, org_id: &str, story: &str) -> StoreResult<()> {
        self.set_org_story_in(org_id, story).await
    }

    async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        self.org_by_slug_in(slug).await
    }

    async fn orgs_of_kind(&self, kind: OrgKind) -> StoreResult<Vec<Org>> {
        self.orgs_of_kind_in(kind).await
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        self.create_user_in(user).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.user_by_email_in(email).await
    }

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        self.user_by_id_in(id).await
    }

    async fn set_operator(&self, user_id: &str, operator: bool) -> StoreResult<()> {
        self.set_operator_in(user_id, operator).await
    }

    async fn add_membership(&self, user_id: &str, org_id: &str) -> StoreResult<()> {
        self.add_membership_in(user_id, org_id).await
    }

    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<Org>> {
        self.memberships_in(user_id).await
    }

    async fn count_users(&self) -> StoreResult<i64> {
        self.count_users_in().await
    }

    async fn create_session(&self, s: SessionRecord) -> StoreResult<()> {
        self.create_session_in(s).await
    }

    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRecord>> {
        self.session_in(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.delete_session_in(token_hash).await
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> StoreResult<u64> {
        self.delete_expired_sessions_in(now).await
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)> {
        self.hit_rate_limit_in(key, window, now).await
    }

    async fn refund_rate_limit(&self, key: &str, window: time::Duration, now: OffsetDateTime) -> StoreResult<()> {
        self.refund_rate_limit_in(key, window, now).await
    }

    async fn rate_limit_hits(
        &self,
        key: &str,
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, OffsetDateTime)> {
        self.rate_limit_hits_in(key, window, now).await
    }

    async fn rate_limits_hits(
        &self,
        keys: &[&str],
        window: time::Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<i64>> {
        self.rate_limits_hits_in(keys, window, now).await
    }

    async fn hit_rate_limits(&self, keys: &[&str], window: time::Duration, now: OffsetDateTime) -> StoreResult<()> {
        self.hit_rate_limits_in(keys, window, now).await
    }

    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()> {
        self.clear_rate_limit_in(key).await
    }

    async fn save_rates(&self, rates: &[Rate]) -> StoreResult<u64> {
        const PER_STATEMENT: usize = 200;
        let mut written = 0u64;
        write_tx!(self, |tx| {
            for chunk in rates.chunks(PER_STATEMENT) {
                let mut sql = String::from("INSERT INTO fx_rates (currency, rate_date, per_eur, source) VALUES ");
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    let b = i * 4;
                    sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
                }
                sql.push_str(" ON CONFLICT (currency, rate_date) DO UPDATE SET per_eur = excluded.per_eur, source = excluded.source");
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(r.currency.code().to_string())
                        .bind(iso_date(r.date))
                        .bind(r.per_eur.to_string())
                        .bind(r.source.clone());
                }
                written += q.execute(&mut *tx).await.map_err(backend)?.rows_affected();
            }
            let payload = serde_json::json!({"count": rates.len()}).to_string();
            outbox!(tx, "fx.rates_updated", payload, OffsetDateTime::now_utc());
        });
        Ok(written)
    }

    async fn latest_rates(&self) -> StoreResult<Vec<Rate>> {
        self.rates_on(time::macros::date!(9999 - 12 - 31)).await
    }

    async fn rates_on(&self, date: Date) -> StoreResult<Vec<Rate>> {
        let sql = "SELECT r.currency, r.rate_date, r.per_eur, r.source FROM fx_rates r \
                   JOIN (SELECT currency, MAX(rate_date) AS d FROM fx_rates WHERE rate_date <= $1 GROUP BY currency) m \
                   ON r.currency = m.currency AND r.rate_date = m.d ORDER BY r.currency";
        read!(self, |pool| {
            let rows = sqlx::query(sql).bind(iso_date(date)).fetch_all(pool).await.map_err(backend)?;
            rows.iter().map(rate_from).collect()
        })
    }

    async fn outbox_head(&self) -> StoreResult<i64> {
        read!(self, |pool| {
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(position) FROM outbox")
                .fetch_one(pool)
                .await
                .map(|v| v.unwrap_or(0))
                .map_err(backend)
        })
    }

    async fn outbox_after(&self, after: i64, limit: i64) -> StoreResult<Vec<OutboxEvent>> {
        read!(self, |pool| {
            let rows = sqlx::query("SELECT position, topic, payload, created_at FROM outbox WHERE position > $1 ORDER BY position LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(backend)?;
            rows.iter()
                .map(|r| {
                    Ok(OutboxEvent {
                        position: r.try_get("position").map_err(backend)?,
                        topic: r.try_get("topic").map_err(backend)?,
                        payload: r.try_get("payload").map_err(backend)?,
                        created_at: from_micros(r.try_get("created_at").map_err(backend)?),
                    })
                })
                .collect()
        })
    }
}

mod accounts;
pub(crate) mod sessions;

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    /// `.cargo/config.toml` builds SQLite without its two global locks (memory statistics and
    /// the shared page cache); a build that lost the setting would still pass every other test.
    #[tokio::test]
    async fn sqlite_is_built_without_its_global_locks() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await.expect("open");
        let options: Vec<String> =
            sqlx::query_scalar("PRAGMA compile_options").fetch_all(&mut conn).await.expect("compile options");
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    }
}
