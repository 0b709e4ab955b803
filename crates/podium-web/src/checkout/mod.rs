//! The cart, the checkout without JavaScript, the sandbox's card pages, Stripe's pages and a
//! fan's orders.
//! It must never import another area; the rules it calls live in `podium-app`.

pub mod cart;
pub(crate) mod methods;
pub mod order_page;
pub mod pages;
pub(crate) mod sandbox;
pub mod stripe;
