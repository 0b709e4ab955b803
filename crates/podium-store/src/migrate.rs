//! A small migration runner: numbered SQL files per backend, embedded in the binary, applied in
//! order inside transactions, each recorded with a checksum so an edited migration is caught.

use sha2::{Digest, Sha256};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

pub(crate) const SQLITE: &[Migration] =
    &[Migration { version: 1, name: "foundation", sql: include_str!("../migrations/sqlite/0001_foundation.sql") }];

pub(crate) const POSTGRES: &[Migration] =
    &[Migration { version: 1, name: "foundation", sql: include_str!("../migrations/postgres/0001_foundation.sql") }];

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS podium_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// A fingerprint of every migration of a backend, naming test templates so a changed
/// migration never reuses a stale template.
pub(crate) fn fingerprint(migrations: &[Migration]) -> String {
    let mut h = Sha256::new();
    for m in migrations {
        h.update(m.version.to_le_bytes());
        h.update(m.sql.as_bytes());
    }
    hex::encode(h.finalize())[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let a: Vec<_> = SQLITE.iter().map(|m| (m.version, m.name)).collect();
        let b: Vec<_> = POSTGRES.iter().map(|m| (m.version, m.name)).collect();
        assert_eq!(a, b);
        for w in SQLITE.windows(2) {
            assert!(w[0].version < w[1].version);
        }
    }
}
