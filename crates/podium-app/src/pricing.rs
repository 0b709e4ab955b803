//! Pricing's reference data — exchange rates, trade rules, categories, display rounding,
//! properties and shops — loaded once per change instead of once per request, and the pricing
//! context a quote is made in. Every change to the reference data is written to the outbox in
//! the same transaction, so the cache is keyed by the outbox head: one indexed lookup tells
//! whether anything may have changed since it was filled.

use std::sync::{Arc, RwLock};

use crate::catalogue::Property;
use crate::display_rounding::DisplayRounding;
use crate::quote::QuoteContext;
use crate::{Org, Store, StoreResult};
use podium_domain::catalogue::CategoryTree;
use podium_domain::landed::TradeRules;
use podium_domain::role::OrgKind;
use podium_domain::RateTable;
use time::OffsetDateTime;

pub struct Reference {
    pub rates: Arc<RateTable>,
    /// The trade rules in force (the newest import, else the shipped defaults).
    pub rules: Arc<TradeRules>,
    pub properties: Vec<Property>,
    pub shops: Vec<Org>,
    /// The category tree (categories are fixed by migrations, so loading them with the rest is enough).
    pub categories: CategoryTree,
    /// The shops' display rounding of converted prices.
    pub rounding: DisplayRounding,
}

impl Reference {
    pub fn property_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.properties.iter().find(|p| p.slug == slug).map(|p| p.name.as_str()).unwrap_or(slug)
    }

    /// The context a quote is made in at `at`: these rates, rules, categories and rounding.
    pub fn context(&self, at: OffsetDateTime) -> QuoteContext<'_> {
        QuoteContext { rates: &self.rates, rules: &self.rules, tree: &self.categories, at, rounding: &self.rounding }
    }

    /// The display rounding steps shops set for `currency`, by shop slug (what a listing's
    /// [`crate::search::Pricing`] asks for).
    pub fn steps_by_slug(&self, currency: podium_domain::Currency) -> Vec<(String, podium_domain::rounding::Step)> {
        self.rounding
            .in_currency(currency)
            .filter_map(|(id, step)| Some((self.shops.iter().find(|o| o.id == id)?.slug.clone(), step)))
            .collect()
    }

    pub fn shop_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.shops.iter().find(|o| o.slug == slug).map(|o| o.name.as_str()).unwrap_or(slug)
    }
}

#[derive(Default)]
pub struct ReferenceCache {
    current: RwLock<Option<(i64, Arc<Reference>)>>,
}

impl ReferenceCache {
    /// The reference data as of the outbox position `at` or later, for reads that follow the
    /// outbox (listings, which the search index answers as of `at`): the cached copy when it
    /// is at least that new, without asking the store anything.
    pub async fn get_following(&self, store: &dyn Store, at: i64) -> StoreResult<Arc<Reference>> {
        if let Ok(guard) = self.current.read() {
            if let Some((cached_at, r)) = guard.as_ref() {
                if *cached_at >= at {
                    return Ok(r.clone());
                }
            }
        }
        self.get(store).await
    }

    /// The reference data now: one look at the outbox's head, and a reload when it moved.
    pub async fn get(&self, store: &dyn Store) -> StoreResult<Arc<Reference>> {
        let head = store.outbox_head().await?;
        if let Ok(guard) = self.current.read() {
            if let Some((at, r)) = guard.as_ref() {
                if *at == head {
                    return Ok(r.clone());
                }
            }
        }
        let fresh = Arc::new(Reference {
            rates: Arc::new(RateTable::new(store.latest_rates().await?)),
            rules: Arc::new(crate::trade_rules::current(store).await?.0),
            properties: store.properties().await?,
            shops: store.orgs_of_kind(OrgKind::Shop).await?,
            categories: CategoryTree::new(store.categories().await?.into_iter().map(|c| (c.slug, c.parent))),
            rounding: DisplayRounding::new(store.display_roundings().await?),
        });
        if let Ok(mut guard) = self.current.write() {
            *guard = Some((head, fresh.clone()));
        }
        Ok(fresh)
    }
}
