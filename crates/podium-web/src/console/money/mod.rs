//! Money as each role sees it: balances, royalty statements and standing. It must never import
//! another area.

pub mod bank_account;
pub mod dashboards;
pub mod standing;
pub mod statements;
