//! A shop's console: its products, orders, shipping, rounding, codes and API tokens.
//! It must never import another area.

pub mod code_requests;
pub mod home;
pub mod orders;
pub mod products;
pub mod rounding;
pub mod shipping;
pub mod tokens;
