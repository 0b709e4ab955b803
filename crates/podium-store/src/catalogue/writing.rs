//! Writing products: one product, or many at once (a CSV import) with their variants, prices,
//! translations and stock, in one transaction per batch, each change written to the outbox.

use crate::macros::{outbox, outbox_each, read, write_tx};
use crate::sql::{backend, conflict, micros, new_id, placeholders, rows_per_statement, values_rows, SqlStore};
use podium_app::catalogue::{CatalogueStore, NewProduct, NewVariant, ProductRecord};
use podium_app::{StoreError, StoreResult};
use podium_domain::Money;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
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
            // Products whose handle is new to the shop are inserted a table at a time (a CSV
            // import or a generated catalogue: a few statements for hundreds of products); the
            // rest are updated one by one below, keeping their variants' stock.
            let mut taken: HashSet<String> = HashSet::new();
            for chunk in products.chunks(500) {
                let sql = format!(
                    "SELECT handle FROM products WHERE shop_id = $1 AND handle IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query_scalar::<_, String>(&sql).bind(shop_id);
                for p in chunk {
                    q = q.bind(&p.handle);
                }
                taken.extend(q.fetch_all(&mut *tx).await.map_err(backend)?);
            }
            let mut fresh: Vec<(String, &NewProduct)> = Vec::new();
            let mut again: Vec<&NewProduct> = Vec::new();
            for p in &products {
                if taken.insert(p.handle.clone()) {
                    fresh.push((new_id(), p));
                } else {
                    again.push(p);
                }
            }
            for chunk in fresh.chunks(rows_per_statement(14)) {
                let sql = values_rows(
                    "INSERT INTO products (id, shop_id, property_id, category_slug, handle, slug, fallback_lang, \
                     tags, hs_code, origin_country, weight_grams, status, created_at, updated_at)",
                    14,
                    chunk.len(),
                );
                let mut q = sqlx::query(&sql);
                for (id, p) in chunk {
                    q = q
                        .bind(id)
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
                        .bind(micros(now));
                }
                q.execute(&mut *tx).await.map_err(product_err)?;
            }
            let translations: Vec<(&str, &_)> =
                fresh.iter().flat_map(|(id, p)| p.translations.iter().map(move |t| (id.as_str(), t))).collect();
            for chunk in translations.chunks(rows_per_statement(4)) {
                let sql = values_rows(
                    "INSERT INTO product_translations (product_id, lang, title, description)",
                    4,
                    chunk.len(),
                );
                let mut q = sqlx::query(&sql);
                for (id, t) in chunk {
                    q = q.bind(*id).bind(t.lang.tag()).bind(&t.title).bind(&t.description);
                }
                q.execute(&mut *tx).await.map_err(conflict("translation"))?;
            }
            let variants: Vec<(String, &str, usize, &NewVariant)> = fresh
                .iter()
                .flat_map(|(id, p)| p.variants.iter().enumerate().map(move |(pos, v)| (new_id(), id.as_str(), pos, v)))
                .collect();
            for chunk in variants.chunks(rows_per_statement(9)) {
                let sql = values_rows(
                    "INSERT INTO variants (id, product_id, shop_id, sku, options, gtin, price_minor, currency, position)",
                    9,
                    chunk.len(),
                );
                let mut q = sqlx::query(&sql);
                for (vid, id, pos, v) in chunk {
                    q = q
                        .bind(vid)
                        .bind(*id)
                        .bind(shop_id)
                        .bind(&v.sku)
                        .bind(options_json(&v.options))
                        .bind(&v.gtin)
                        .bind(v.price.minor)
                        .bind(v.price.currency.code())
                        .bind(*pos as i64);
                }
                q.execute(&mut *tx).await.map_err(conflict("sku"))?;
            }
            let prices: Vec<(&str, &Money)> = variants
                .iter()
                .flat_map(|(vid, _, _, v)| v.explicit_prices.iter().map(move |m| (vid.as_str(), m)))
                .collect();
            for chunk in prices.chunks(rows_per_statement(3)) {
                let sql = values_rows("INSERT INTO variant_prices (variant_id, currency, minor)", 3, chunk.len());
                let mut q = sqlx::query(&sql);
                for (vid, m) in chunk {
                    q = q.bind(*vid).bind(m.currency.code()).bind(m.minor);
                }
                q.execute(&mut *tx).await.map_err(conflict("price"))?;
            }
            // A location named twice for one variant keeps its last figure, as one by one would.
            let stock: Vec<(&str, &String, i64)> = variants
                .iter()
                .flat_map(|(vid, _, _, v)| {
                    v.stock
                        .iter()
                        .enumerate()
                        .filter(|(i, (loc, _))| !v.stock[i + 1..].iter().any(|(later, _)| later == loc))
                        .map(move |(_, (loc, n))| (vid.as_str(), loc, *n))
                })
                .collect();
            for chunk in stock.chunks(rows_per_statement(4)) {
                let sql = values_rows(
                    "INSERT INTO stock_levels (variant_id, location_id, on_hand, reserved)",
                    4,
                    chunk.len(),
                );
                let mut q = sqlx::query(&sql);
                for (vid, loc, n) in chunk {
                    q = q.bind(*vid).bind(*loc).bind(*n).bind(0i64);
                }
                q.execute(&mut *tx).await.map_err(stock_err)?;
            }
            let payloads: Vec<String> = fresh.iter().map(|(id, _)| serde_json::json!({"id": id}).to_string()).collect();
            outbox_each!(tx, "product.changed", payloads, now);
            let mut ids_of: HashMap<&str, String> = fresh.into_iter().map(|(id, p)| (p.handle.as_str(), id)).collect();
            progress(ids_of.len());
            // Every handle here exists by now: in the shop before, or inserted above (a handle
            // given twice in the batch).
            for p in again {
                let existing: Option<String> =
                    sqlx::query_scalar("SELECT id FROM products WHERE shop_id = $1 AND handle = $2")
                        .bind(shop_id)
                        .bind(&p.handle)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                let Some(id) = existing else { return Err(StoreError::NotFound("product")) };
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
                ids_of.insert(p.handle.as_str(), id);
                progress(ids_of.len());
            }
            // In the order given; a handle given twice is one product.
            for p in &products {
                if let Some(id) = ids_of.remove(p.handle.as_str()) {
                    ids.push(id);
                }
            }
        });
        self.products_by_ids(&ids).await
    }
}
