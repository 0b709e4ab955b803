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

/// Declares the migrations of one backend folder, in order.
macro_rules! migrations {
    ($dir:literal: $($version:literal $name:literal $file:literal),* $(,)?) => {
        &[$(Migration { version: $version, name: $name, sql: include_str!(concat!("../migrations/", $dir, "/", $file)) }),*]
    };
}

pub(crate) const SQLITE: &[Migration] = migrations!("sqlite":
    1 "foundation" "0001_foundation.sql",
    2 "catalogue" "0002_catalogue.sql",
    3 "media" "0003_media.sql",
    4 "licensing" "0004_licensing.sql",
    5 "trade rules" "0005_trade_rules.sql",
    6 "shipping" "0006_shipping.sql",
    7 "reservations" "0007_reservations.sql",
    8 "carts" "0008_carts.sql",
    9 "orders" "0009_orders.sql",
    10 "ledger" "0010_ledger.sql",
    11 "payouts" "0011_payouts.sql",
    12 "remittances" "0012_remittances.sql",
    13 "engagement" "0013_engagement.sql",
    14 "drops" "0014_drops.sql",
    15 "security" "0015_security.sql",
    16 "money safety" "0016_money_safety.sql",
    17 "accounts" "0017_accounts.sql",
    18 "verifications" "0018_verifications.sql",
    19 "formats" "0019_formats.sql",
    20 "code requests" "0020_code_requests.sql",
    21 "payout files and disputes" "0021_payout_files.sql",
    22 "local payment methods" "0022_local_methods.sql",
);

pub(crate) const POSTGRES: &[Migration] = migrations!("postgres":
    1 "foundation" "0001_foundation.sql",
    2 "catalogue" "0002_catalogue.sql",
    3 "media" "0003_media.sql",
    4 "licensing" "0004_licensing.sql",
    5 "trade rules" "0005_trade_rules.sql",
    6 "shipping" "0006_shipping.sql",
    7 "reservations" "0007_reservations.sql",
    8 "carts" "0008_carts.sql",
    9 "orders" "0009_orders.sql",
    10 "ledger" "0010_ledger.sql",
    11 "payouts" "0011_payouts.sql",
    12 "remittances" "0012_remittances.sql",
    13 "engagement" "0013_engagement.sql",
    14 "drops" "0014_drops.sql",
    15 "security" "0015_security.sql",
    16 "money safety" "0016_money_safety.sql",
    17 "accounts" "0017_accounts.sql",
    18 "verifications" "0018_verifications.sql",
    19 "formats" "0019_formats.sql",
    20 "code requests" "0020_code_requests.sql",
    21 "payout files and disputes" "0021_payout_files.sql",
    22 "local payment methods" "0022_local_methods.sql",
);

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
    fn every_migration_file_is_registered() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
            let files = std::fs::read_dir(&path).expect("migrations dir").count();
            assert_eq!(files, list.len(), "{dir}: every file in {path} must be listed in migrate.rs");
        }
    }

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
