//! A shop's console: its products, orders, shipping, rounding, codes and API tokens.
//! It must never import another area.

pub mod code_requests;
pub mod home;
pub mod orders;
pub mod product_csv;
pub mod product_form;
pub mod product_media;
pub mod products;
pub mod rounding;
pub mod shipping;
pub mod tokens;
