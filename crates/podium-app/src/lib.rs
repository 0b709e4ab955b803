//! Podium's use cases and the ports they need.
//!
//! Use cases (`accounts::sign_in`, `fx_import::import`, `demo::seed`, …) take their ports as
//! arguments: the [`Store`] for persistence and a [`Clock`] for time. This crate holds no HTTP and
//! no SQL text; the `store` and `web` crates adapt it to the outside world.
//!
//! Errors: each use case returns a specific `thiserror` enum the web layer maps to a status code;
//! [`StoreError`] carries the storage failures every use case may meet.

pub mod accounts;
pub mod audit;
pub mod authenticity;
pub mod background;
pub mod breakdown;
pub mod cart;
pub mod catalogue;
pub mod catalogue_csv;
pub mod checkout;
pub mod clock;
pub mod code_requests;
pub mod demo;
pub mod display_rounding;
pub mod disputes;
pub mod drops;
pub mod fulfilment;
pub mod fuzzing;
pub mod fx_import;
pub mod holds;
pub mod idempotency;
pub mod inventory;
pub mod ledger;
pub mod licensing;
pub mod links;
pub mod mail;
pub mod media;
pub mod orders;
pub mod orgs;
pub mod payment_limits;
pub mod payments;
pub mod payout_files;
pub mod payouts;
pub mod ports;
pub mod pricing;
pub mod public_pages;
pub mod quote;
pub mod royalties;
pub mod search;
pub mod security;
pub mod settlement;
pub mod shipping;
pub mod shipping_address;
pub mod shop_home;
pub mod shop_money;
pub mod signup;
pub mod storefront;
pub mod stories;
pub mod trade_rules;

pub use clock::{Clock, FixedClock, SystemClock};
pub use ports::{NewOrg, NewUser, Org, OutboxEvent, SessionRecord, Store, StoreError, StoreResult, User};
