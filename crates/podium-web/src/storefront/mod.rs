//! What a fan browses: home, catalogue and product pages, search, drops, stories, verification,
//! and what crawlers read. It must never import another area; shared helpers live in `kit`.

pub mod catalogue;
pub mod catalogue_meta;
pub mod discovery;
pub mod drops;
pub mod feeds;
pub mod home;
pub mod media;
pub mod product_art;
pub mod search;
pub mod sitemap;
pub mod stories;
pub mod variant_picker;
pub mod verify;
