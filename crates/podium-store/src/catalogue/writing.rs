//! Writing products: one product, or many at once (a CSV import) with their variants, prices,
//! translations and stock, in one transaction per batch, each change written to the outbox.

use crate::macros::{outbox, read, write_tx};
use crate::sql::{backend, conflict, micros, new_id, SqlStore};
use podium_app::catalogue::{CatalogueStore, NewProduct, ProductRecord};
use podium_app::{StoreError, StoreResult};
use sqlx::Row;
use std::collections::HashMap;
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn create_product_in(&self, p: NewProduct) -> StoreResult<ProductRecord> {
        let taken: Option<String> = read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM products WHERE shop_id = $1 AND handle = $2")
                .bind(&p.shop_id)
                .bind(&p.handle)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        if taken.is_some() {
            return Err(StoreError::Conflict { field: "handle" });
        }
        let shop_id = p.shop_id.clone();
        self.save_products(&shop_id, vec![p], &|_| {}).await?.pop().ok_or(StoreError::NotFound("product"))
    }

    pub(super) async fn save_products_in(
        &self,
        shop_id: &str,
        products: Vec<NewProduct>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> StoreResult<Vec<ProductRecord>> {
        let now = OffsetDateTime::now_utc();
        let mut ids: Vec<String> = Vec::with_capacity(products.len());
        let product_err = |e: sqlx::Error| match e.as_database_error() {
            Some(d) if d.is_foreign_key_violation() => StoreError::NotFound("property or category"),
            _ => conflict("handle")(e),
        };
        let stock_err = |e: sqlx::Error| match e.as_database_error() {
            Some(d) if d.is_check_violation() => StoreError::Conflict { field: "stock" },
            Some(d) if d.is_foreign_key_violation() => StoreError::NotFound("stock location"),
            _ => backend(e),
        };
        write_tx!(self, |tx| {
            let shop_slug: Option<String> = sqlx::query_scalar("SELECT slug FROM orgs WHERE id = $1 AND kind = 'shop'")
                .bind(shop_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            let shop_slug = shop_slug.ok_or(StoreError::NotFound("shop"))?;
            for p in &products {
                let existing: Option<String> =
                    sqlx::query_scalar("SELECT id FROM products WHERE shop_id = $1 AND handle = $2")
                        .bind(shop_id)
                        .bind(&p.handle)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                let id = match existing {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE products SET property_id = $2, category_slug = $3, fallback_lang = $4, tags = $5, \
                             hs_code = $6, origin_country = $7, weight_grams = $8, status = $9, updated_at = $10 \
                             WHERE id = $1",
                        )
                        .bind(&id)
                        .bind(&p.property_id)
                        .bind(&p.category_slug)
                        .bind(p.fallback_lang.tag())
                        .bind(p.tags.join(","))
                        .bind(&p.hs_code)
                        .bind(&p.origin_country)
                        .bind(p.weight_grams)
                        .bind(p.status.as_str())
                        .bind(micros(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(product_err)?;
                        sqlx::query("DELETE FROM product_translations WHERE product_id = $1")
                            .bind(&id)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                        id
                    }
                    None => {
                        let id = new_id();
                        sqlx::query(
                            "INSERT INTO products (id, shop_id, property_id, category_slug, handle, slug, fallback_lang, \
                             tags, hs_code, origin_country, weight_grams, status, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        )
                        .bind(&id)
                        .bind(shop_id)
                        .bind(&p.property_id)
                        .bind(&p.category_slug)
                        .bind(&p.handle)
                        .bind(format!("{shop_slug}-{}", p.handle))
                        .bind(p.fallback_lang.tag())
                        .bind(p.tags.join(","))
                        .bind(&p.hs_code)
                        .bind(&p.origin_country)
                        .bind(p.weight_grams)
                        .bind(p.status.as_str())
                        .bind(micros(p.created_at))
                        .bind(micros(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(product_err)?;
                        id
                    }
                };
                for t in &p.translations {
                    sqlx::query(
                        "INSERT INTO product_translations (product_id, lang, title, description) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&id)
                    .bind(t.lang.tag())
                    .bind(&t.title)
                    .bind(&t.description)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict("translation"))?;
                }
                // Variants are matched by SKU, so stock and reservations of a kept variant survive.
                let rows = sqlx::query("SELECT id, sku FROM variants WHERE product_id = $1")
                    .bind(&id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
                let mut kept: HashMap<String, String> = HashMap::with_capacity(rows.len());
                for row in rows {
                    let vid: String = row.try_get("id").map_err(backend)?;
                    let sku: String = row.try_get("sku").map_err(backend)?;
                    if p.variants.iter().any(|v| v.sku == sku) {
                        kept.insert(sku, vid);
                    } else {
                        sqlx::query("DELETE FROM variants WHERE id = $1")
                            .bind(&vid)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                }
                for (pos, v) in p.variants.iter().enumerate() {
                    let vid = match kept.get(&v.sku) {
                        Some(vid) => {
                            sqlx::query(
                                "UPDATE variants SET options = $2, gtin = $3, price_minor = $4, currency = $5, \
                                 position = $6 WHERE id = $1",
                            )
                            .bind(vid)
                            .bind(options_json(&v.options))
                            .bind(&v.gtin)
                            .bind(v.price.minor)
                            .bind(v.price.currency.code())
                            .bind(pos as i64)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                            sqlx::query("DELETE FROM variant_prices WHERE variant_id = $1")
                                .bind(vid)
                                .execute(&mut *tx)
                                .await
                                .map_err(backend)?;
                            vid.clone()
                        }
                        None => {
                            let vid = new_id();
                            sqlx::query(
                                "INSERT INTO variants (id, product_id, shop_id, sku, options, gtin, price_minor, currency, \
                                 position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            )
                            .bind(&vid)
                            .bind(&id)
                            .bind(shop_id)
                            .bind(&v.sku)
                            .bind(options_json(&v.options))
                            .bind(&v.gtin)
                            .bind(v.price.minor)
                            .bind(v.price.currency.code())
                            .bind(pos as i64)
                            .execute(&mut *tx)
                            .await
                            .map_err(conflict("sku"))?;
                            vid
                        }
                    };
                    for m in &v.explicit_prices {
                        sqlx::query("INSERT INTO variant_prices (variant_id, currency, minor) VALUES ($1, $2, $3)")
                            .bind(&vid)
                            .bind(m.currency.code())
                            .bind(m.minor)
                            .execute(&mut *tx)
                            .await
                            .map_err(conflict("price"))?;
                    }
                    for (location_id, on_hand) in &v.stock {
                        sqlx::query(
                            "INSERT INTO stock_levels (variant_id, location_id, on_hand, reserved) VALUES ($1, $2, $3, 0) \
                             ON CONFLICT (variant_id, location_id) DO UPDATE SET on_hand = excluded.on_hand",
                        )
                        .bind(&vid)
                        .bind(location_id)
                        .bind(on_hand)
                        .execute(&mut *tx)
                        .await
                        .map_err(stock_err)?;
                    }
                }
                outbox!(tx, "product.changed", serde_json::json!({"id": id}).to_string(), now);
                ids.push(id);
                progress(ids.len());
            }
        });
        self.products_by_ids(&ids).await
    }
}
