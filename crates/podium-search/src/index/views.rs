//! Browse views: a listing without search text (a category, a property, a shop, everything)
//! worked out once, its matches in result order and its facets, and kept while the index stays
//! as it is and no matching product's licence window opens or closes. Every page of the view
//! then costs what a page costs, not what the catalogue costs. Views are bounded in number and
//! in bytes; one whose order would be too large keeps only its first pages.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::index::{Facets, SearchQuery, Sort};

/// The most views kept, and the most result slots all of them hold together (4 bytes each).
const MAX_VIEWS: usize = 64;
const MAX_SLOTS: usize = 2_000_000;
/// A view of more matches than this keeps the order of its first ones only.
pub(crate) const MAX_ORDER: usize = 100_000;

pub(crate) struct View {
    pub(crate) total: usize,
    pub(crate) facets: Facets,
    /// Slots in result order: all `total` of them, or the first [`MAX_ORDER`].
    pub(crate) order: Vec<u32>,
    /// The index generation it was made from.
    generation: u64,
    /// It holds until this moment (microseconds): the next opening or closing of a licence
    /// window among the products it considered.
    until_us: i64,
}

#[derive(Default)]
pub(crate) struct Views {
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    map: HashMap<String, Arc<View>>,
    order: VecDeque<String>,
    slots: usize,
}

impl Views {
    pub(crate) fn get(&self, key: &str, generation: u64, at_us: i64) -> Option<Arc<View>> {
        let kept = self.inner.lock().ok()?;
        kept.map.get(key).filter(|v| v.generation == generation && at_us < v.until_us).cloned()
    }

    pub(crate) fn put(
        &self,
        key: String,
        total: usize,
        facets: Facets,
        order: Vec<u32>,
        generation: u64,
        until_us: i64,
    ) -> Arc<View> {
        let view = Arc::new(View { total, facets, order, generation, until_us });
        let Ok(mut kept) = self.inner.lock() else { return view };
        // Views of an older index are worthless now.
        if kept.map.values().any(|v| v.generation != generation) {
            *kept = Kept::default();
        }
        if let Some(old) = kept.map.insert(key.clone(), view.clone()) {
            kept.slots -= old.order.len();
            kept.order.retain(|k| k != &key);
        }
        kept.slots += view.order.len();
        kept.order.push_back(key);
        while kept.map.len() > MAX_VIEWS || kept.slots > MAX_SLOTS {
            let Some(oldest) = kept.order.pop_front() else { break };
            if let Some(gone) = kept.map.remove(&oldest) {
                kept.slots -= gone.order.len();
            }
        }
        view
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut kept) = self.inner.lock() {
            *kept = Kept::default();
        }
    }
}

/// What decides a browse view's content: everything in the query but the page. Rates and
/// trade rules are not in it: they change only through the outbox, which moves the index's
/// generation.
pub(crate) fn key(q: &SearchQuery, sort: Sort) -> String {
    let pricing = q.pricing.as_ref().map(|p| (p.ship_to, p.currency, p.date, &p.steps));
    format!(
        "{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
        q.property,
        q.category,
        q.shop,
        q.shop_country,
        q.in_stock_only,
        q.price,
        sort,
        q.price_edges,
        q.country,
        pricing
    )
}
