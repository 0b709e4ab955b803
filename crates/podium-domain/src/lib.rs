//! Podium's domain: the rules of a licensed-merchandise marketplace as pure types and functions.
//!
//! This crate must never do IO, spawn tasks or know about SQL or HTTP. Everything here is
//! deterministic and unit- or property-tested; the `app` crate wires it to storage and the web.

pub mod address;
pub mod approval;
pub mod authenticity;
pub mod bank;
pub mod catalogue;
pub mod country;
pub mod currency;
pub mod drop;
pub mod fx;
pub mod identity;
pub mod iso20022;
pub mod landed;
pub mod lang;
pub mod ledger;
pub mod licensing;
pub mod money;
pub mod order;
pub mod pay_method;
pub mod payment;
pub mod ranking;
pub mod role;
pub mod rounding;
pub mod royalty;
pub mod shipping;
pub mod story;
pub mod stripe;

pub use country::Country;
pub use currency::Currency;
pub use fx::{FxError, Rate, RateTable};
pub use lang::Lang;
pub use money::{Money, MoneyError};
pub use role::Role;
