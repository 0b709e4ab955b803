//! Product records kept between requests: everything but stock, valid while the outbox stands
//! still. Every write that changes what a record holds (the product and its variants, prices,
//! translations and images, its shop, property, agreements and shipping profiles) appends to the
//! outbox in its own transaction, so a record read at outbox position P is current for as long
//! as the database's last position is P. Each read asks the database for that position and for
//! the products' stock in one round trip (two statements chained, see `sql::chain`): a cart, a
//! checkout or a product page reads once instead of twelve times, and never a stale licence,
//! price or stock figure, on every node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use podium_app::catalogue::ProductRecord;
use podium_app::{StoreError, StoreResult};
use sqlx::Row;

use crate::macros::read;
use crate::sql::chain::{Chain, RunChain, Value};
use crate::sql::{backend, placeholders, SqlStore};

/// At most this many records are kept (a few MiB); when full, all are let go and the ones
/// asked for next come back.
const CAPACITY: usize = 1024;
/// Reads of more products than this (an index build, an export) are read whole and not kept:
/// they would only push out what carts and pages read again and again.
pub(super) const KEEP_UP_TO: usize = 64;

#[derive(Default)]
pub(crate) struct KeptProducts {
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// The outbox position the records were read at.
    position: i64,
    records: HashMap<String, Arc<ProductRecord>>,
}

impl KeptProducts {
    /// Lets every record go (for rows changed behind Podium's back, see `testing`).
    pub(crate) fn clear(&self) {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).records.clear();
    }

    /// The kept records among `ids` at `position` (any kept at another position are let go).
    fn find(&self, position: i64, ids: &[String]) -> Vec<Option<Arc<ProductRecord>>> {
        let mut kept = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.position != position {
            kept.records.clear();
            kept.position = position;
        }
        ids.iter().map(|id| kept.records.get(id).cloned()).collect()
    }

    /// Keeps records read at `position`, unless the outbox moved on meanwhile.
    fn keep(&self, position: i64, records: &[ProductRecord]) {
        let mut kept = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.position != position {
            return;
        }
        if kept.records.len() + records.len() > CAPACITY {
            kept.records.clear();
        }
        for r in records {
            let mut bare = r.clone();
            for v in &mut bare.variants {
                v.available = 0;
                v.held = 0;
                v.stock = Vec::new();
            }
            bare.locations = Vec::new();
            kept.records.insert(r.id.clone(), Arc::new(bare));
        }
    }
}

impl SqlStore {
    /// Full records for `ids`, in the order given: kept ones with their stock read now, the
    /// others read whole.
    pub(crate) async fn load_products(&self, ids: &[String]) -> StoreResult<Vec<ProductRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > KEEP_UP_TO {
            return self.load_products_whole(ids).await;
        }
        // The outbox's position and the products' stock now, in one round trip.
        let (position, stock) = self.position_and_stock(ids).await?;
        let found = self.kept.find(position, ids);
        let missing: Vec<String> =
            ids.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(id, _)| id.clone()).collect();
        let mut read_now: HashMap<String, ProductRecord> = HashMap::new();
        if !missing.is_empty() {
            let fresh = self.load_products_whole(&missing).await?;
            self.kept.keep(position, &fresh);
            read_now.extend(fresh.into_iter().map(|p| (p.id.clone(), p)));
        }
        let mut kept: Vec<ProductRecord> = found.iter().flatten().map(|p| (**p).clone()).collect();
        if !kept.is_empty() {
            fill_stock(&mut kept, stock);
        }
        read_now.extend(kept.into_iter().map(|p| (p.id.clone(), p)));
        Ok(ids.iter().filter_map(|id| read_now.remove(id)).collect())
    }

    /// The outbox's last position, and each variant's stock per location for `ids`.
    async fn position_and_stock(&self, ids: &[String]) -> StoreResult<(i64, Vec<StockRow>)> {
        let sql = format!(
            "SELECT sl.variant_id, v.product_id, sl.location_id, sl.on_hand, sl.reserved, loc.country \
             FROM stock_levels sl JOIN variants v ON v.id = sl.variant_id \
             JOIN stock_locations loc ON loc.id = sl.location_id \
             WHERE v.product_id IN ({}) ORDER BY sl.location_id",
            placeholders(1, ids.len())
        );
        let mut reads = Chain::new();
        reads.push("SELECT COALESCE(MAX(position), 0) AS position FROM outbox", []);
        reads.push(sql, ids.iter().map(Value::from));
        read!(self, |pool| {
            let mut conn = pool.acquire().await.map_err(backend)?;
            let sets = RunChain::fetch_chain(&mut *conn, &reads).await.map_err(backend)?;
            let [head, rows] =
                <[_; 2]>::try_from(sets).map_err(|_| StoreError::Backend("a stock read came back short".into()))?;
            let position: i64 = match head.first() {
                Some(row) => row.try_get("position").map_err(backend)?,
                None => 0,
            };
            Ok((position, rows.iter().map(stock_row).collect::<StoreResult<Vec<_>>>()?))
        })
    }
}

/// Each variant's stock per location as it is now, and the locations each product ships
/// from, as the whole read computes them.
fn fill_stock(products: &mut [ProductRecord], rows: Vec<StockRow>) {
    let at: HashMap<String, usize> = products.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
    for (variant, product, location, on_hand, reserved, country) in rows {
        let Some(&i) = at.get(&product) else { continue };
        let p = &mut products[i];
        if !p.locations.iter().any(|(l, _)| *l == location) {
            p.locations.push((location.clone(), country));
        }
        if let Some(v) = p.variants.iter_mut().find(|v| v.id == variant) {
            v.available += on_hand - reserved;
            v.held += reserved;
            v.stock.push((location, on_hand));
        }
    }
}

type StockRow = (String, String, String, i64, i64, String);

fn stock_row<R: Row>(row: &R) -> StoreResult<StockRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        row.try_get("variant_id").map_err(backend)?,
        row.try_get("product_id").map_err(backend)?,
        row.try_get("location_id").map_err(backend)?,
        row.try_get("on_hand").map_err(backend)?,
        row.try_get("reserved").map_err(backend)?,
        row.try_get("country").map_err(backend)?,
    ))
}
