//! The few places where SQLite and PostgreSQL must be told apart.

use sqlx::{PgConnection, SqliteConnection};

pub(crate) trait Dialect {
    /// A statement that serialises outbox writers until their transaction ends, so outbox
    /// positions become visible in commit order. SQLite has one writer at a time already.
    fn outbox_lock(&self) -> Option<&'static str>;
    /// A statement that lets one node at a time run migrations.
    fn migration_lock(&self) -> Option<&'static str>;
    /// Whether writes run one at a time (SQLite's one writer), so a statement may lock rows in
    /// any order without risking a deadlock with another write.
    fn one_writer(&self) -> bool;
}

impl Dialect for SqliteConnection {
    fn outbox_lock(&self) -> Option<&'static str> {
        None
    }
    fn migration_lock(&self) -> Option<&'static str> {
        None
    }
    fn one_writer(&self) -> bool {
        true
    }
}

impl Dialect for PgConnection {
    fn outbox_lock(&self) -> Option<&'static str> {
        // An arbitrary constant key reserved for the outbox.
        Some("SELECT pg_advisory_xact_lock(730100001)")
    }
    fn migration_lock(&self) -> Option<&'static str> {
        Some("SELECT pg_advisory_xact_lock(730100000)")
    }
    fn one_writer(&self) -> bool {
        false
    }
}
