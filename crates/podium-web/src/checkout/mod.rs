//! The cart, the checkout without JavaScript, the sandbox's card pages, Stripe's pages and a
//! fan's orders.
//! It must never import another area; the rules it calls live in `podium-app`.

pub mod cart;
pub mod order_page;
pub mod pages;
pub mod stripe;
