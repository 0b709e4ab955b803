//! The catalogue port: properties, categories, products with translations, variants, stock.
//!
//! `CatalogueStore` is part of [`crate::Store`]; its adapter lives in `podium-store`.

use async_trait::async_trait;
use podium_domain::{Lang, Money};
use time::OffsetDateTime;

use crate::ports::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub id: String,
    pub licensor_id: String,
    pub licensor_slug: String,
    pub licensor_name: String,
    pub slug: String,
    pub name: String,
    pub sport: String,
    /// The property's emblem, when the licensor has uploaded one.
    pub emblem: Option<ImageRef>,
}

#[derive(Debug, Clone)]
pub struct NewProperty {
    pub licensor_id: String,
    pub slug: String,
    pub name: String,
    pub sport: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub slug: String,
    pub parent: Option<String>,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLocation {
    pub id: String,
    pub shop_id: String,
    pub name: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub lang: Lang,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Live,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Live => "live",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewVariant {
    /// The shop's own code, unique within the shop.
    pub sku: String,
    /// Option name and value pairs in display order: ("Size", "M"), ("Colour", "Navy").
    pub options: Vec<(String, String)>,
    /// A GTIN-14 already validated by `podium_domain::catalogue::parse_gtin`.
    pub gtin: Option<String>,
    /// Net price in the shop's currency.
    pub price: Money,
    /// Explicit prices in other currencies; they win over conversion.
    pub explicit_prices: Vec<Money>,
    /// Units on hand per stock location id.
    pub stock: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub shop_id: String,
    pub property_id: String,
    pub category_slug: String,
    /// Unique within the shop; the public slug is `{shop-slug}-{handle}`.
    pub handle: String,
    pub fallback_lang: Lang,
    pub tags: Vec<String>,
    pub hs_code: String,
    pub origin_country: String,
    pub weight_grams: i64,
    pub status: ProductStatus,
    pub translations: Vec<Translation>,
    pub variants: Vec<NewVariant>,
    /// When the product was created (the demo spreads these over past weeks).
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRecord {
    pub id: String,
    pub sku: String,
    pub options: Vec<(String, String)>,
    pub gtin: Option<String>,
    pub price: Money,
    pub explicit_prices: Vec<Money>,
    /// Units that can still be sold: on hand minus reserved, over every location.
    pub available: i64,
    /// Units held for checkouts not yet paid: they come back on sale if the payment fails.
    pub held: i64,
    /// Units on hand per stock location id, in location order.
    pub stock: Vec<(String, i64)>,
}

/// The organisation side of a product, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRef {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub country: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: String,
    pub slug: String,
    pub handle: String,
    pub shop: ShopRef,
    pub property: Property,
    pub category_slug: String,
    pub fallback_lang: Lang,
    pub tags: Vec<String>,
    pub hs_code: String,
    pub origin_country: String,
    pub weight_grams: i64,
    pub status: ProductStatus,
    pub created_at: OffsetDateTime,
    pub translations: Vec<Translation>,
    pub variants: Vec<VariantRecord>,
    /// Uploaded images in gallery order (none for products that use their drawn illustration).
    pub images: Vec<ImageRef>,
    /// When the licensor first approved the product at the final stage; fans see only approved products.
    pub approved_at: Option<OffsetDateTime>,
    /// The shop's agreements with the property's licensor, which decide where and when it sells.
    pub agreements: Vec<podium_domain::licensing::Agreement>,
    /// The profile assigned to this product, when it has one of its own.
    pub shipping_profile_id: Option<String>,
    /// The profile it ships with: its own, else the shop's default (`None` only for a shop
    /// without any profile, which ships nowhere).
    pub shipping: Option<podium_domain::shipping::ShippingProfile>,
    /// The stock locations holding this product, as (location id, country), in location order:
    /// where its consignments ship from.
    pub locations: Vec<(String, String)>,
}

/// An image as pages link it: `/media/{id}` and `/media/{id}/thumb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    /// Added to an approved product and waiting for the licensor: not shown to fans yet.
    pub pending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageOwner {
    Product,
    Property,
    /// Uploaded by a licensor or shop for its stories.
    Org,
}

impl ImageOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageOwner::Product => "product",
            ImageOwner::Property => "property",
            ImageOwner::Org => "org",
        }
    }
}

/// A checked, re-encoded upload ready to store (see `crate::media`).
#[derive(Debug, Clone)]
pub struct NewImage {
    pub owner: ImageOwner,
    pub owner_id: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub sha256: String,
    pub original: Vec<u8>,
    pub thumb: Vec<u8>,
    /// Hold it back from fans until the licensor approves (see [`ImageRef::pending`]).
    pub pending: bool,
}

/// Stored image bytes, as served.
#[derive(Debug, Clone)]
pub struct ImageBlob {
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl ProductRecord {
    /// The images fans see: those the licensor has approved.
    pub fn public_images(&self) -> impl Iterator<Item = &ImageRef> {
        self.images.iter().filter(|i| !i.pending)
    }

    /// True when a zone of the product's shipping profile covers `country`.
    pub fn ships_to(&self, country: podium_domain::Country) -> bool {
        self.shipping.as_ref().is_some_and(|p| p.covers(country))
    }

    pub fn available(&self) -> i64 {
        self.variants.iter().map(|v| v.available).sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub property_slug: Option<String>,
    /// Any of these categories (a subtree, resolved by the caller).
    pub category_slugs: Vec<String>,
    pub shop_slug: Option<String>,
    pub live_only: bool,
    pub limit: i64,
    pub offset: i64,
}

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    async fn create_property(&self, p: NewProperty) -> StoreResult<Property>;
    async fn properties(&self) -> StoreResult<Vec<Property>>;
    async fn property_by_slug(&self, slug: &str) -> StoreResult<Option<Property>>;
    async fn categories(&self) -> StoreResult<Vec<Category>>;
    async fn create_stock_location(&self, shop_id: &str, name: &str, country: &str) -> StoreResult<StockLocation>;
    async fn stock_locations(&self, shop_id: &str) -> StoreResult<Vec<StockLocation>>;
    /// Creates a product with its translations, variants, prices and stock in one transaction.
    /// `Conflict { field: "handle" }` or `Conflict { field: "sku" }` when taken in the shop.
    async fn create_product(&self, p: NewProduct) -> StoreResult<ProductRecord>;
    async fn product_by_slug(&self, slug: &str) -> StoreResult<Option<ProductRecord>>;
    /// The shop's products with these handles (unknown handles are skipped).
    async fn products_by_handles(&self, shop_id: &str, handles: &[String]) -> StoreResult<Vec<ProductRecord>>;
    /// For each (shop slug, shop's SKU) that exists: `(shop slug, sku, product id)`.
    async fn product_ids_by_skus(&self, skus: &[(String, String)]) -> StoreResult<Vec<(String, String, String)>>;
    /// The ids of every live product, for rebuilding indexes.
    async fn live_product_ids(&self) -> StoreResult<Vec<String>>;
    /// Full records of these products, in the order given; unknown ids are skipped.
    async fn products_by_ids(&self, ids: &[String]) -> StoreResult<Vec<ProductRecord>>;
    /// Products matching the filter, newest first, and how many match in all.
    async fn products(&self, filter: &ProductFilter) -> StoreResult<(Vec<ProductRecord>, i64)>;
    /// Creates or updates products of one shop, matched by handle, all in one transaction: either
    /// every product is saved or none is. Variants are matched by SKU; variants left out are
    /// removed; stock is set per location (units already reserved stay reserved). An updated
    /// product keeps its id, slug, creation time and images. `progress(n)` is told how many are
    /// written so far. Returns the saved records in order.
    async fn save_products(
        &self,
        shop_id: &str,
        products: Vec<NewProduct>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> StoreResult<Vec<ProductRecord>>;
    /// Stores an image and appends it to its owner's gallery (a property keeps one emblem: a new
    /// one replaces the old).
    async fn add_image(&self, image: NewImage) -> StoreResult<ImageRef>;
    /// An organisation's story images, newest first.
    async fn org_images(&self, org_id: &str) -> StoreResult<Vec<ImageRef>>;
    /// The original (`thumb = false`) or thumbnail bytes of an image.
    async fn image(&self, id: &str, thumb: bool) -> StoreResult<Option<ImageBlob>>;
    /// Removes an image from its owner's gallery.
    async fn delete_image(&self, owner: ImageOwner, owner_id: &str, image_id: &str) -> StoreResult<()>;
}
