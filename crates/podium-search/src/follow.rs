//! Keeping the index in step with the database: a full rebuild, and catching up from the
//! outbox position the index last committed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use podium_app::Store;
use podium_domain::catalogue::CategoryTree;
use podium_domain::RateTable;

use crate::index::{SearchError, SearchIndex};

/// Outbox events read per round.
const BATCH: i64 = 1000;

async fn context(store: &dyn Store) -> Result<(RateTable, CategoryTree), SearchError> {
    let rates = RateTable::new(store.latest_rates().await?);
    let tree = CategoryTree::new(store.categories().await?.into_iter().map(|c| (c.slug, c.parent)));
    Ok((rates, tree))
}

/// Rebuilds the whole index from the database, calling `progress(done, total)` as it goes.
/// Returns the outbox position the index is now current to.
pub async fn rebuild(
    index: &SearchIndex,
    store: &dyn Store,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<i64, SearchError> {
    // Read the head first: anything written during the rebuild is caught up afterwards.
    let head = store.outbox_head().await?;
    let (rates, tree) = context(store).await?;
    index.clear()?;
    let ids = store.live_product_ids().await?;
    let total = ids.len() as u64;
    let mut done = 0u64;
    // Loading chunks from the database overlaps with turning the previous ones into documents
    // on a blocking thread (and tantivy indexing on its own thread). Two chunks are read at a
    // time, on two of the pool's connections, so the database's side of reading runs on both
    // cores too.
    let mut pending: Option<tokio::task::JoinHandle<Result<(), SearchError>>> = None;
    let chunks: Vec<&[String]> = ids.chunks(1000).collect();
    for pair in chunks.chunks(2) {
        let (first, second) = (pair[0], pair.get(1).copied().unwrap_or(&[]));
        let (a, b) = tokio::join!(store.products_by_ids(first), store.products_by_ids(second));
        let mut page = a?;
        page.extend(b?);
        if let Some(previous) = pending.take() {
            previous.await.map_err(|e| SearchError::Directory(e.to_string()))??;
            progress(done, total);
        }
        done += (first.len() + second.len()) as u64;
        let (index, rates, tree) = (index.clone(), rates.clone(), tree.clone());
        pending = Some(tokio::task::spawn_blocking(move || {
            index.add_uncommitted(&page, &rates, &|slug: &str| tree.path(slug))
        }));
    }
    if let Some(last) = pending.take() {
        last.await.map_err(|e| SearchError::Directory(e.to_string()))??;
    }
    progress(done, total);
    index.commit(head)?;
    catch_up(index, store, head).await
}

/// Applies every outbox event after `from`; returns the position reached.
pub async fn catch_up(index: &SearchIndex, store: &dyn Store, from: i64) -> Result<i64, SearchError> {
    let mut position = from;
    loop {
        let events = store.outbox_after(position, BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else { return Ok(position) };
        // Rates move every price and a property's name is on all its products: rebuild then.
        if events.iter().any(|e| e.topic == "fx.rates_updated" || e.topic == "property.changed") {
            return Box::pin(rebuild(index, store, &|_, _| {})).await;
        }
        let payload = |e: &podium_app::OutboxEvent| serde_json::from_str::<serde_json::Value>(&e.payload).ok();
        let mut ids: Vec<String> = events
            .iter()
            .filter(|e| e.topic == "product.changed")
            .filter_map(|e| payload(e)?["id"].as_str().map(str::to_string))
            .collect();
        // An agreement change (suspension, a new rights set) moves every product it licenses.
        for e in events.iter().filter(|e| e.topic == "agreement.changed") {
            let Some(v) = payload(e) else { continue };
            if let (Some(shop), Some(licensor)) = (v["licensee_id"].as_str(), v["licensor_id"].as_str()) {
                ids.extend(store.product_ids_under(shop, licensor).await?);
            }
        }
        // A shipping profile change moves where the shop's products are offered.
        for e in events.iter().filter(|e| e.topic == "shipping.changed") {
            if let Some(shop) = payload(e).and_then(|v| v["shop_id"].as_str().map(str::to_string)) {
                ids.extend(store.product_ids_of_shop(&shop).await?);
            }
        }
        ids.sort();
        ids.dedup();
        let products = store.products_by_ids(&ids).await?;
        let gone: Vec<String> = ids.iter().filter(|id| !products.iter().any(|p| &p.id == *id)).cloned().collect();
        let (rates, tree) = context(store).await?;
        index.apply(&products, &gone, &rates, &|slug| tree.path(slug), last)?;
        position = last;
    }
}

/// Follows the outbox in the background, so a change committed on any node is searchable here
/// within about a second.
pub struct Follower {
    pub index: Arc<SearchIndex>,
    position: AtomicI64,
}

impl Follower {
    pub fn new(index: Arc<SearchIndex>, position: i64) -> Arc<Follower> {
        Arc::new(Follower { index, position: AtomicI64::new(position) })
    }

    pub fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    /// Catches up once; used at start and by [`Follower::run`].
    pub async fn step(&self, store: &dyn Store) -> Result<i64, SearchError> {
        let reached = catch_up(&self.index, store, self.position()).await?;
        self.position.store(reached, Ordering::Release);
        Ok(reached)
    }

    pub async fn run(self: Arc<Self>, store: Arc<dyn Store>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.step(store.as_ref()).await {
                tracing::warn!(error = %e, "search index catch-up failed; will retry");
            }
        }
    }
}
