//! The catalogue half of [`SqlStore`]: properties, categories, products and their parts, read with
//! a fixed number of queries whatever their count. It never decides a rule; app does.

use std::collections::HashMap;

use async_trait::async_trait;
use podium_app::catalogue::{
    CatalogueStore, Category, ImageBlob, ImageOwner, ImageRef, NewImage, NewProduct, NewProperty, ProductFilter,
    ProductRecord, ProductStatus, Property, ShopRef, StockLocation, Translation, VariantRecord,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::{Currency, Lang, Money};
use sqlx::Row;
use time::OffsetDateTime;

use crate::macros::{outbox, read, read_bulk, write_tx};

mod kept;
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, conflict, decode_err, from_micros, micros, new_id, placeholders, SqlStore};
pub(crate) use kept::KeptProducts;

const PROPERTY_SELECT: &str = "SELECT pr.id, pr.licensor_id, o.slug AS licensor_slug, o.name AS licensor_name, \
    pr.slug, pr.name, pr.sport, im.id AS emblem_id, im.width AS emblem_width, im.height AS emblem_height, \
    im.alt AS emblem_alt FROM properties pr JOIN orgs o ON o.id = pr.licensor_id \
    LEFT JOIN images im ON im.owner_kind = 'property' AND im.owner_id = pr.id";

/// The emblem columns of a property row (`emblem_id`, `emblem_width`, …), when it has one.
fn emblem_from<R: Row>(row: &R) -> StoreResult<Option<ImageRef>>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let Some(id) = row.try_get::<Option<String>, _>("emblem_id").map_err(backend)? else { return Ok(None) };
    Ok(Some(ImageRef {
        pending: false,
        id,
        width: row.try_get::<Option<i64>, _>("emblem_width").map_err(backend)?.unwrap_or(0) as u32,
        height: row.try_get::<Option<i64>, _>("emblem_height").map_err(backend)?.unwrap_or(0) as u32,
        alt: row.try_get::<Option<String>, _>("emblem_alt").map_err(backend)?.unwrap_or_default(),
    }))
}

fn property_from<R: Row>(row: &R) -> StoreResult<Property>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Property {
        id: row.try_get("id").map_err(backend)?,
        licensor_id: row.try_get("licensor_id").map_err(backend)?,
        licensor_slug: row.try_get("licensor_slug").map_err(backend)?,
        licensor_name: row.try_get("licensor_name").map_err(backend)?,
        slug: row.try_get("slug").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        sport: row.try_get("sport").map_err(backend)?,
        emblem: emblem_from(row)?,
    })
}

fn lang_of(tag: &str) -> StoreResult<Lang> {
    Lang::from_tag(tag).ok_or_else(|| decode_err("language", tag))
}

fn currency_of(code: &str) -> StoreResult<Currency> {
    Currency::parse(code).map_err(|_| decode_err("currency", code))
}

/// Options are stored as JSON `[["Size","M"],["Colour","Navy"]]` to keep their order.
fn options_json(options: &[(String, String)]) -> String {
    serde_json::to_string(options).unwrap_or_else(|_| "[]".into())
}

fn options_from(json: &str) -> StoreResult<Vec<(String, String)>> {
    serde_json::from_str(json).map_err(|_| decode_err("variant options", json))
}

/// A variant's stock levels (location, units on hand), and what they add up to.
#[derive(Default)]
struct Levels {
    at: Vec<(String, i64)>,
    /// Units on sale: on hand less reserved, summed.
    available: i64,
    /// Units reserved for checkouts not yet paid, summed.
    held: i64,
}

impl SqlStore {
    /// Reads full records for `ids` (stock included), in the order given, with ten queries
    /// whatever their number (the first eight sent together: one round trip on SQLite);
    /// [`Self::load_products`] keeps them between reads.
    pub(crate) async fn load_products_whole(&self, ids: &[String]) -> StoreResult<Vec<ProductRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let n = ids.len();
        let list = self.id_list(ids);
        let within = list.sql_in(1);
        // Shops and properties once each, not repeated on every product's row.
        let shops_sql = format!(
            "SELECT s.id, s.slug, s.name, s.country, s.currency FROM orgs s \
             WHERE s.id IN (SELECT p.shop_id FROM products p WHERE p.id {within})"
        );
        let properties_sql =
            format!("{PROPERTY_SELECT} WHERE pr.id IN (SELECT p.property_id FROM products p WHERE p.id {within})");
        let heads_sql = format!(
            "SELECT p.id, p.slug, p.handle, p.category_slug, p.fallback_lang, p.tags, p.hs_code, p.origin_country, \
             p.weight_grams, p.status, p.created_at, p.approved_at, p.shipping_profile_id, p.shop_id, p.property_id \
             FROM products p WHERE p.id {within}"
        );
        let tr_sql =
            format!("SELECT product_id, lang, title, description FROM product_translations WHERE product_id {within}");
        let var_sql = format!(
            "SELECT v.id, v.product_id, v.sku, v.options, v.gtin, v.price_minor, v.currency \
             FROM variants v WHERE v.product_id {within} ORDER BY v.product_id, v.position"
        );
        let price_sql = format!(
            "SELECT vp.variant_id, vp.currency, vp.minor FROM variant_prices vp JOIN variants v ON v.id = vp.variant_id \
             WHERE v.product_id {within} ORDER BY vp.currency"
        );
        let img_sql = format!(
            "SELECT id, owner_id, width, height, alt, pending FROM images WHERE owner_kind = 'product' AND owner_id {within} \
             ORDER BY owner_id, position"
        );
        let stock_sql = format!(
            "SELECT sl.variant_id, v.product_id, sl.location_id, sl.on_hand, sl.reserved, loc.country FROM stock_levels sl \
             JOIN variants v ON v.id = sl.variant_id JOIN stock_locations loc ON loc.id = sl.location_id \
             WHERE v.product_id {within} ORDER BY sl.location_id"
        );
        let mut reads = Chain::new();
        for sql in [shops_sql, properties_sql, heads_sql, tr_sql, price_sql, stock_sql, var_sql, img_sql] {
            reads.push(sql, list.values());
        }
        let mut heads: HashMap<String, ProductRecord> = HashMap::with_capacity(n);
        // A cart's or a page's few products on the caller's thread; a rebuild's chunk (more than
        // the kept records are read from) apart.
        read_bulk!(self, n > kept::KEEP_UP_TO, |pool| {
            let mut conn = pool.acquire().await.map_err(backend)?;
            let sets = RunChain::fetch_chain(&mut *conn, &reads).await.map_err(backend)?;
            drop(conn);
            let [shop_rows, property_rows, head_rows, tr_rows, price_rows, stock_rows, var_rows, img_rows] =
                <[_; 8]>::try_from(sets).map_err(|_| StoreError::Backend("a product read came back short".into()))?;
            let mut shops: HashMap<String, ShopRef> = HashMap::with_capacity(shop_rows.len());
            for row in &shop_rows {
                let shop = ShopRef {
                    id: row.try_get("id").map_err(backend)?,
                    slug: row.try_get("slug").map_err(backend)?,
                    name: row.try_get("name").map_err(backend)?,
                    country: row.try_get("country").map_err(backend)?,
                    currency: row.try_get("currency").map_err(backend)?,
                };
                shops.insert(shop.id.clone(), shop);
            }
            let mut properties: HashMap<String, Property> = HashMap::with_capacity(property_rows.len());
            for row in &property_rows {
                let property = property_from(row)?;
                properties.insert(property.id.clone(), property);
            }
            for row in &head_rows {
                let shop = shops.get(row.try_get::<&str, _>("shop_id").map_err(backend)?);
                let property = properties.get(row.try_get::<&str, _>("property_id").map_err(backend)?);
                // Both are the product's foreign keys, read in the same command.
                let (Some(shop), Some(property)) = (shop, property) else { continue };
                let status: &str = row.try_get("status").map_err(backend)?;
                let tags: &str = row.try_get("tags").map_err(backend)?;
                let record = ProductRecord {
                    id: row.try_get("id").map_err(backend)?,
                    slug: row.try_get("slug").map_err(backend)?,
                    handle: row.try_get("handle").map_err(backend)?,
                    shop: shop.clone(),
                    property: property.clone(),
                    category_slug: row.try_get("category_slug").map_err(backend)?,
                    fallback_lang: lang_of(row.try_get::<&str, _>("fallback_lang").map_err(backend)?)?,
                    tags: tags.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
                    hs_code: row.try_get("hs_code").map_err(backend)?,
                    origin_country: row.try_get("origin_country").map_err(backend)?,
                    weight_grams: row.try_get("weight_grams").map_err(backend)?,
                    status: if status == "live" { ProductStatus::Live } else { ProductStatus::Draft },
                    created_at: from_micros(row.try_get("created_at").map_err(backend)?),
                    translations: Vec::new(),
                    variants: Vec::new(),
                    images: Vec::new(),
                    approved_at: row.try_get::<Option<i64>, _>("approved_at").map_err(backend)?.map(from_micros),
                    agreements: Vec::new(),
                    shipping_profile_id: row.try_get("shipping_profile_id").map_err(backend)?,
                    shipping: None,
                    locations: Vec::new(),
                };
                heads.insert(record.id.clone(), record);
            }
            for row in &tr_rows {
                let pid: &str = row.try_get("product_id").map_err(backend)?;
                let lang = lang_of(row.try_get::<&str, _>("lang").map_err(backend)?)?;
                if let Some(h) = heads.get_mut(pid) {
                    h.translations.push(Translation {
                        lang,
                        title: row.try_get("title").map_err(backend)?,
                        description: row.try_get("description").map_err(backend)?,
                    });
                }
            }
            let mut explicit: HashMap<String, Vec<Money>> = HashMap::new();
            for row in &price_rows {
                let vid: String = row.try_get("variant_id").map_err(backend)?;
                let cur = currency_of(row.try_get::<&str, _>("currency").map_err(backend)?)?;
                explicit.entry(vid).or_default().push(Money::new(row.try_get("minor").map_err(backend)?, cur));
            }
            let mut stock: HashMap<String, Levels> = HashMap::new();
            for row in &stock_rows {
                let vid: String = row.try_get("variant_id").map_err(backend)?;
                let pid: &str = row.try_get("product_id").map_err(backend)?;
                let location: String = row.try_get("location_id").map_err(backend)?;
                let on_hand: i64 = row.try_get("on_hand").map_err(backend)?;
                let reserved: i64 = row.try_get("reserved").map_err(backend)?;
                if let Some(h) = heads.get_mut(pid) {
                    if !h.locations.iter().any(|(l, _)| *l == location) {
                        h.locations.push((location.clone(), row.try_get("country").map_err(backend)?));
                    }
                }
                let levels = stock.entry(vid).or_default();
                levels.at.push((location, on_hand));
                levels.available += on_hand - reserved;
                levels.held += reserved;
            }
            for row in &var_rows {
                let pid: &str = row.try_get("product_id").map_err(backend)?;
                let id: String = row.try_get("id").map_err(backend)?;
                let cur = currency_of(row.try_get::<&str, _>("currency").map_err(backend)?)?;
                let Levels { at: stock, available, held } = stock.remove(&id).unwrap_or_default();
                let variant = VariantRecord {
                    sku: row.try_get("sku").map_err(backend)?,
                    options: options_from(row.try_get::<&str, _>("options").map_err(backend)?)?,
                    gtin: row.try_get("gtin").map_err(backend)?,
                    price: Money::new(row.try_get("price_minor").map_err(backend)?, cur),
                    explicit_prices: explicit.remove(&id).unwrap_or_default(),
                    available,
                    held,
                    stock,
                    id,
                };
                if let Some(h) = heads.get_mut(pid) {
                    h.variants.push(variant);
                }
            }
            for row in &img_rows {
                let pid: &str = row.try_get("owner_id").map_err(backend)?;
                if let Some(h) = heads.get_mut(pid) {
                    h.images.push(ImageRef {
                        id: row.try_get("id").map_err(backend)?,
                        width: row.try_get::<i64, _>("width").map_err(backend)? as u32,
                        height: row.try_get::<i64, _>("height").map_err(backend)? as u32,
                        alt: row.try_get("alt").map_err(backend)?,
                        pending: row.try_get::<i64, _>("pending").map_err(backend)? != 0,
                    });
                }
            }
        });
        // The agreements between each shop and its products' licensors decide where they sell.
        let mut shops: Vec<String> = heads.values().map(|h| h.shop.id.clone()).collect();
        shops.sort();
        shops.dedup();
        if !shops.is_empty() {
            let filter = format!("WHERE a.licensee_id IN ({})", placeholders(1, shops.len()));
            let agreements = self.load_agreements(&filter, &shops).await?;
            for h in heads.values_mut() {
                h.agreements = agreements
                    .iter()
                    .filter(|a| a.terms.licensee_id == h.shop.id && a.terms.licensor_id == h.property.licensor_id)
                    .map(|a| a.terms.clone())
                    .collect();
            }
            // Each product ships with its own profile, else its shop's default.
            let profiles = self.load_profiles(&shops).await?;
            for h in heads.values_mut() {
                h.shipping = profiles
                    .iter()
                    .find(|(_, p)| Some(&p.id) == h.shipping_profile_id.as_ref())
                    .or_else(|| profiles.iter().find(|(shop, p)| *shop == h.shop.id && p.is_default))
                    .map(|(_, p)| p.clone());
            }
        }
        Ok(ids.iter().filter_map(|id| heads.remove(id)).collect())
    }
}

/// The outbox topic that tells other nodes an image owner changed (story images change
/// nothing the search index or the caches hold).
fn changed_topic(owner: ImageOwner) -> Option<&'static str> {
    match owner {
        ImageOwner::Product => Some("product.changed"),
        ImageOwner::Property => Some("property.changed"),
        ImageOwner::Org => None,
    }
}

#[async_trait]
impl CatalogueStore for SqlStore {
    async fn create_property(&self, p: NewProperty) -> StoreResult<Property> {
        let id = new_id();
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO properties (id, licensor_id, slug, name, sport, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(&p.licensor_id)
                .bind(&p.slug)
                .bind(&p.name)
                .bind(&p.sport)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(conflict("slug"))?;
            outbox!(tx, "property.changed", serde_json::json!({"id": id}).to_string(), now);
        });
        self.property_by_slug(&p.slug).await?.ok_or(StoreError::NotFound("property"))
    }

    async fn properties(&self) -> StoreResult<Vec<Property>> {
        let sql = format!("{PROPERTY_SELECT} ORDER BY pr.name");
        read!(self, |pool| {
            let rows = sqlx::query(&sql).fetch_all(pool).await.map_err(backend)?;
            rows.iter().map(property_from).collect()
        })
    }

    async fn property_by_slug(&self, slug: &str) -> StoreResult<Option<Property>> {
        let sql = format!("{PROPERTY_SELECT} WHERE pr.slug = $1");
        read!(self, |pool| {
            let row = sqlx::query(&sql).bind(slug).fetch_optional(pool).await.map_err(backend)?;
            row.as_ref().map(property_from).transpose()
        })
    }

    async fn categories(&self) -> StoreResult<Vec<Category>> {
        read!(self, |pool| {
            let rows = sqlx::query("SELECT slug, parent_slug, position FROM categories ORDER BY position")
                .fetch_all(pool)
                .await
                .map_err(backend)?;
            rows.iter()
                .map(|r| {
                    Ok(Category {
                        slug: r.try_get("slug").map_err(backend)?,
                        parent: r.try_get("parent_slug").map_err(backend)?,
                        position: r.try_get("position").map_err(backend)?,
                    })
                })
                .collect()
        })
    }

    async fn create_stock_location(&self, shop_id: &str, name: &str, country: &str) -> StoreResult<StockLocation> {
        let loc = StockLocation { id: new_id(), shop_id: shop_id.into(), name: name.into(), country: country.into() };
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO stock_locations (id, shop_id, name, country) VALUES ($1, $2, $3, $4)")
                .bind(&loc.id)
                .bind(&loc.shop_id)
                .bind(&loc.name)
                .bind(&loc.country)
                .execute(&mut *tx)
                .await
                .map_err(conflict("name"))?;
        });
        Ok(loc)
    }

    async fn stock_locations(&self, shop_id: &str) -> StoreResult<Vec<StockLocation>> {
        read!(self, |pool| {
            let rows =
                sqlx::query("SELECT id, shop_id, name, country FROM stock_locations WHERE shop_id = $1 ORDER BY name")
                    .bind(shop_id)
                    .fetch_all(pool)
                    .await
                    .map_err(backend)?;
            rows.iter()
                .map(|r| {
                    Ok(StockLocation {
                        id: r.try_get("id").map_err(backend)?,
                        shop_id: r.try_get("shop_id").map_err(backend)?,
                        name: r.try_get("name").map_err(backend)?,
                        country: r.try_get("country").map_err(backend)?,
                    })
                })
                .collect()
        })
    }

    async fn create_product(&self, p: NewProduct) -> StoreResult<ProductRecord> {
        self.create_product_in(p).await
    }

    async fn save_products(
        &self,
        shop_id: &str,
        products: Vec<NewProduct>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> StoreResult<Vec<ProductRecord>> {
        self.save_products_in(shop_id, products, progress).await
    }

    async fn org_images(&self, org_id: &str) -> StoreResult<Vec<ImageRef>> {
        self.org_images_in(org_id).await
    }

    async fn add_image(&self, image: NewImage) -> StoreResult<ImageRef> {
        self.add_image_in(image).await
    }

    async fn image(&self, id: &str, thumb: bool) -> StoreResult<Option<ImageBlob>> {
        self.image_in(id, thumb).await
    }

    async fn delete_image(&self, owner: ImageOwner, owner_id: &str, image_id: &str) -> StoreResult<()> {
        self.delete_image_in(owner, owner_id, image_id).await
    }

    async fn product_by_slug(&self, slug: &str) -> StoreResult<Option<ProductRecord>> {
        let id: Option<String> = read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        match id {
            Some(id) => Ok(self.load_products(&[id]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn products_by_handles(&self, shop_id: &str, handles: &[String]) -> StoreResult<Vec<ProductRecord>> {
        let mut out = Vec::new();
        for chunk in handles.chunks(500) {
            let sql = format!(
                "SELECT id FROM products WHERE shop_id = $1 AND handle IN ({}) ORDER BY id",
                placeholders(2, chunk.len())
            );
            let ids: Vec<String> = read!(self, |pool| {
                let mut q = sqlx::query_scalar::<_, String>(&sql).bind(shop_id);
                for h in chunk {
                    q = q.bind(h);
                }
                q.fetch_all(pool).await.map_err(backend)?
            });
            out.extend(self.load_products(&ids).await?);
        }
        Ok(out)
    }

    async fn product_ids_by_skus(&self, skus: &[(String, String)]) -> StoreResult<Vec<(String, String, String)>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        // Each pair looks up the shop by its unique slug, then the variant by the (shop, SKU)
        // unique index: a few index probes however large the catalogue.
        let pairs: Vec<String> = (0..skus.len())
            .map(|i| {
                format!(
                    "SELECT o.slug, v.sku, v.product_id FROM orgs o JOIN variants v ON v.shop_id = o.id \
                     WHERE o.slug = ${} AND v.sku = ${}",
                    2 * i + 1,
                    2 * i + 2
                )
            })
            .collect();
        let sql = pairs.join(" UNION ALL ");
        read!(self, |pool| {
            let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
            for (shop, sku) in skus {
                q = q.bind(shop).bind(sku);
            }
            q.fetch_all(pool).await.map_err(backend)
        })
    }

    async fn live_product_ids(&self) -> StoreResult<Vec<String>> {
        read_bulk!(self, true, |pool| {
            sqlx::query_scalar::<_, String>("SELECT id FROM products WHERE status = 'live' ORDER BY id")
                .fetch_all(pool)
                .await
                .map_err(backend)
        })
    }

    async fn products_by_ids(&self, ids: &[String]) -> StoreResult<Vec<ProductRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists keep every backend within its parameter limit.
        for chunk in ids.chunks(1000) {
            out.extend(self.load_products(chunk).await?);
        }
        Ok(out)
    }

    async fn products(&self, f: &ProductFilter) -> StoreResult<(Vec<ProductRecord>, i64)> {
        let mut conditions = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(p) = &f.property_slug {
            binds.push(p.clone());
            conditions.push(format!("pr.slug = ${}", binds.len()));
        }
        if let Some(s) = &f.shop_slug {
            binds.push(s.clone());
            conditions.push(format!("s.slug = ${}", binds.len()));
        }
        if !f.category_slugs.is_empty() {
            let first = binds.len() + 1;
            binds.extend(f.category_slugs.iter().cloned());
            conditions.push(format!("p.category_slug IN ({})", placeholders(first, f.category_slugs.len())));
        }
        if f.live_only {
            conditions.push("p.status = 'live'".into());
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let from = "FROM products p JOIN orgs s ON s.id = p.shop_id JOIN properties pr ON pr.id = p.property_id";
        let count_sql = format!("SELECT COUNT(*) {from} {filter}");
        let page_sql = format!(
            "SELECT p.id {from} {filter} ORDER BY p.created_at DESC, p.id LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let (total, ids): (i64, Vec<String>) = read!(self, |pool| {
            let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
            for b in &binds {
                q = q.bind(b);
            }
            let total = q.fetch_one(pool).await.map_err(backend)?;
            let mut q = sqlx::query_scalar::<_, String>(&page_sql);
            for b in &binds {
                q = q.bind(b);
            }
            let ids = q.bind(f.limit.clamp(0, 500)).bind(f.offset.max(0)).fetch_all(pool).await.map_err(backend)?;
            (total, ids)
        });
        Ok((self.load_products(&ids).await?, total))
    }
}

mod images;
mod writing;
