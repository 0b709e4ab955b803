//! The `Store` port on SQLite (embedded default) and PostgreSQL (scale-out).
//!
//! One implementation, [`SqlStore`], holds the SQL once: every query is written in the portable
//! subset both engines accept (`$1` placeholders, `ON CONFLICT`, `RETURNING`) and the
//! [`on_backend!`] macro expands it for each pool type. Where the engines must differ (SQLite
//! `BEGIN IMMEDIATE`, the PostgreSQL outbox lock) the difference sits in [`dialect`].
//! Migrations live in one folder per backend. This crate holds no business rules.

mod cart;
mod catalogue;
mod code_requests;
mod dialect;
mod disputes;
mod drops;
mod inventory;
mod ledger;
mod licensing;
mod macros;
mod migrate;
mod orders;
mod payouts;
mod rounding;
mod sandbox;
mod security;
mod shipping;
mod signup;
mod sql;
mod stories;
pub mod testing;

use std::sync::Arc;

pub use sql::SqlStore;

use podium_app::{Store, StoreError};

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (created if missing).
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::Backend("sqlite:// needs a file path, e.g. sqlite://podium.db".into()));
            }
            Ok(DatabaseUrl::Sqlite(path.to_string()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(url.to_string()))
        } else {
            Err(StoreError::Backend(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DB",
                redact(url)
            )))
        }
    }
}

/// Hides a password in a URL before it reaches a log or an error message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Connects to the database a URL names. Does not migrate; call [`Store::migrate`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store = match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path) => SqlStore::open_sqlite(&path).await?,
        DatabaseUrl::Postgres(url) => SqlStore::open_postgres(&url).await?,
    };
    Ok(Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(DatabaseUrl::parse("sqlite://demo.db").ok(), Some(DatabaseUrl::Sqlite("demo.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db").ok(), Some(DatabaseUrl::Sqlite("/tmp/x.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://bob:s3cret@db:5432/podium"), "postgres://bob:***@db:5432/podium");
        assert_eq!(redact("postgres://bob@db/podium"), "postgres://bob@db/podium");
        let err = DatabaseUrl::parse("mysql://bob:s3cret@db/x").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
