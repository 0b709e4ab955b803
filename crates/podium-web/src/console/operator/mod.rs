//! The operator's console: FX rates, trade rules and payout runs. It must never import another area.

pub mod payout_confirm;
pub mod payout_files;
pub mod payouts;
pub mod rates;
