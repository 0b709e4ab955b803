//! The kit every area uses: the visitor, errors, translations, layout and head, formatting of
//! money and dates, guards and uploads. It must never import an area (`api`, `storefront`, …).

pub mod address;
pub mod cart_view;
pub mod context;
pub mod error;
pub mod form_errors;
pub mod format;
pub mod guards;
pub mod head;
pub mod i18n;
pub mod idempotent;
pub mod json;
pub mod lang_path;
pub mod layout;
pub mod listing;
pub mod money_format;
pub mod org_view;
pub mod product_card;
pub mod proxy;
pub mod render;
pub mod story_card;
pub mod uploads;
