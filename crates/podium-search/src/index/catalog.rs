//! The in-memory catalogue beside the tantivy index: each product's summary, facet values interned
//! to small numbers, and the collector that gathers matching keys.

use crate::index::texts::{self, At, Entry, Texts};
use crate::index::{poisoned, Extra, Fast, SearchError, SearchIndex, ShipsTo, Summary};
use podium_domain::licensing::SaleWindow;
use podium_domain::{Currency, Money};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Facet values interned to small numbers, so counting a hit is an array increment.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) ids: HashMap<String, u32, Fast>,
    pub(crate) names: Vec<String>,
}

impl Names {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Counts per id as a map by name, leaving out zeros.
    pub(crate) fn counted(&self, counts: &[u64]) -> BTreeMap<String, u64> {
        counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (self.names[i].clone(), *n)).collect()
    }
}

/// What a hit needs for filtering, facets and sorting, packed small: reading it costs one
/// cache line rather than a walk through a summary's strings.
#[derive(Clone, Copy)]
pub(crate) struct Compact {
    /// The product's key (see `key_of`): checks a slot found through a segment's doc map.
    pub(crate) key: u64,
    pub(crate) shop: u32,
    pub(crate) property: u32,
    pub(crate) country: u32,
    /// The product's own category; its ancestors are counted from `Catalog::paths`.
    pub(crate) category: u32,
    pub(crate) in_stock: bool,
    /// Some variant has an explicit price in another currency (see `Summary::explicit`).
    pub(crate) explicit: bool,
    pub(crate) price_eur: i64,
    /// The lowest price in the shop's currency (`i64::MAX` when unknown).
    pub(crate) native: i64,
    pub(crate) native_currency: Currency,
    pub(crate) created: i64,
    pub(crate) hs: u32,
    pub(crate) ships_to: u32,
}

/// The in-memory side of the index: one slot per live product, found by the product's key.
#[derive(Default)]
pub(crate) struct Catalog {
    pub(crate) by_key: HashMap<u64, u32, Fast>,
    pub(crate) compact: Vec<Compact>,
    /// Whether the slot holds a product (freed slots are reused).
    pub(crate) live: Vec<bool>,
    /// Each slot's id, slug and titles (`texts::NONE` past the arena's budget).
    pub(crate) text_at: Vec<At>,
    pub(crate) texts: Texts,
    /// Each slot's sale windows, as an index into `window_sets`: products under the same
    /// licence share one list.
    pub(crate) windows: Vec<u32>,
    pub(crate) window_sets: Vec<Vec<SaleWindow>>,
    pub(crate) window_ids: HashMap<Vec<SaleWindow>, u32, Fast>,
    /// Shipping coverage, interned like the windows: products of one profile share it.
    pub(crate) ship_sets: Vec<ShipsTo>,
    pub(crate) ship_ids: HashMap<ShipsTo, u32, Fast>,
    pub(crate) hs_codes: Names,
    /// Explicit prices of the few slots that have them (see `Extra::explicit`).
    pub(crate) explicit: HashMap<u32, Vec<Money>, Fast>,
    /// Every shop currency among the products (a handful).
    pub(crate) currencies: Vec<Currency>,
    pub(crate) free: Vec<u32>,
    pub(crate) shops: Names,
    pub(crate) properties: Names,
    pub(crate) countries: Names,
    pub(crate) categories: Names,
    /// For each category id, the ids of the path from the root to it.
    pub(crate) paths: Vec<Vec<u32>>,
}

impl Catalog {
    pub(crate) fn with_text_budget(bytes: usize) -> Catalog {
        Catalog { texts: Texts::with_budget(bytes), ..Catalog::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(crate) fn is_live(&self, slot: u32) -> bool {
        self.live.get(slot as usize).copied().unwrap_or(false)
    }

    /// The summary of the product in `slot`, its numbers and names from the packed side. Its
    /// id, slug and titles are empty when the texts arena had no room for them; the second
    /// value says so, and the caller reads them from the stored document.
    pub(crate) fn summary(&self, slot: u32) -> Option<(Summary, bool)> {
        if !self.is_live(slot) {
            return None;
        }
        let c = &self.compact[slot as usize];
        let texts = self.texts.get(self.text_at[slot as usize]);
        let has_texts = texts.is_some();
        let Entry { id, slug, titles, fallback } = texts.unwrap_or(Entry {
            id: String::new(),
            slug: String::new(),
            titles: Vec::new(),
            fallback: Default::default(),
        });
        let name = |names: &Names, id: u32| names.names.get(id as usize).cloned().unwrap_or_default();
        let categories = self
            .paths
            .get(c.category as usize)
            .map_or_else(Vec::new, |path| path.iter().map(|id| name(&self.categories, *id)).collect());
        let summary = Summary {
            id,
            slug,
            shop: name(&self.shops, c.shop),
            shop_country: name(&self.countries, c.country),
            property: name(&self.properties, c.property),
            categories,
            price_eur: c.price_eur,
            created: c.created,
            in_stock: c.in_stock,
            titles,
            fallback,
            price: None,
            native: None,
        };
        Some((summary, has_texts))
    }

    pub(crate) fn window_set(&mut self, windows: Vec<SaleWindow>) -> u32 {
        if let Some(id) = self.window_ids.get(&windows) {
            return *id;
        }
        let id = self.window_sets.len() as u32;
        self.window_sets.push(windows.clone());
        self.window_ids.insert(windows, id);
        id
    }

    pub(crate) fn ship_set(&mut self, ships: &ShipsTo) -> u32 {
        if let Some(id) = self.ship_ids.get(ships) {
            return *id;
        }
        let id = self.ship_sets.len() as u32;
        self.ship_sets.push(ships.clone());
        self.ship_ids.insert(ships.clone(), id);
        id
    }

    /// Where and when the product in `slot` may be sold (its licences).
    pub(crate) fn windows_of(&self, slot: u32) -> &[SaleWindow] {
        self.windows.get(slot as usize).and_then(|w| self.window_sets.get(*w as usize)).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn insert(&mut self, key: u64, s: Summary, extra: Extra) {
        let window_set = self.window_set(extra.windows);
        let mut path = Vec::with_capacity(s.categories.len());
        for c in &s.categories {
            path.push(self.categories.intern(c));
        }
        let category = path.last().copied().unwrap_or_else(|| self.categories.intern(""));
        if self.paths.len() <= category as usize {
            self.paths.resize(category as usize + 1, Vec::new());
        }
        self.paths[category as usize] = path;
        let compact = Compact {
            key,
            shop: self.shops.intern(&s.shop),
            property: self.properties.intern(&s.property),
            country: self.countries.intern(&s.shop_country),
            category,
            in_stock: s.in_stock,
            explicit: !extra.explicit.is_empty(),
            price_eur: s.price_eur,
            native: extra.native.map_or(i64::MAX, |m| m.minor),
            native_currency: extra.native.map_or(Currency::EUR, |m| m.currency),
            created: s.created,
            hs: self.hs_codes.intern(&extra.hs_code),
            ships_to: self.ship_set(&extra.ships_to),
        };
        if !self.currencies.contains(&compact.native_currency) {
            self.currencies.push(compact.native_currency);
        }
        let slot = match self.by_key.get(&key) {
            Some(slot) => *slot,
            None => match self.free.pop() {
                Some(slot) => slot,
                None => {
                    self.compact.push(compact);
                    self.live.push(false);
                    self.text_at.push(texts::NONE);
                    self.windows.push(0);
                    (self.compact.len() - 1) as u32
                }
            },
        };
        let i = slot as usize;
        self.by_key.insert(key, slot);
        self.compact[i] = compact;
        self.windows[i] = window_set;
        self.live[i] = true;
        if extra.explicit.is_empty() {
            self.explicit.remove(&slot);
        } else {
            self.explicit.insert(slot, extra.explicit);
        }
        self.texts.forget(self.text_at[i]);
        self.text_at[i] = self.texts.put(&Entry { id: s.id, slug: s.slug, titles: s.titles, fallback: s.fallback });
        if self.texts.wasteful() {
            self.texts.compact(&mut self.text_at);
        }
    }

    pub(crate) fn remove(&mut self, key: u64) {
        if let Some(slot) = self.by_key.remove(&key) {
            let i = slot as usize;
            self.live[i] = false;
            self.texts.forget(self.text_at[i]);
            self.text_at[i] = texts::NONE;
            self.explicit.remove(&slot);
            self.free.push(slot);
        }
    }
}

/// For one segment, the catalogue slot of each document (`NO_SLOT` for deleted documents and
/// products the catalogue does not hold): a hit's slot is then an array read in document
/// order, not a lookup in a hash table of every product, which at a million products cost
/// half of a search's time in cache misses. Built after the catalogue changes
/// (`SearchIndex::refresh_slots`); a hit whose slot does not hold its key falls back to the
/// lookup.
pub(crate) type DocSlots = HashMap<SegmentId, Arc<[u32]>>;
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// The slots of `segment`'s live documents in `catalog`.
pub(crate) fn doc_slots(segment: &SegmentReader, catalog: &Catalog) -> tantivy::Result<Arc<[u32]>> {
    let keys = segment.fast_fields().u64("key")?;
    let mut slots = vec![NO_SLOT; segment.max_doc() as usize];
    for doc in segment.doc_ids_alive() {
        if let Some(slot) = keys.first(doc).and_then(|k| catalog.by_key.get(&k)) {
            slots[doc as usize] = *slot;
        }
    }
    Ok(slots.into())
}

impl Catalog {
    /// The slot of a hit with product key `key`, whose segment's doc map said `hint`.
    pub(crate) fn slot_of(&self, key: u64, hint: u32) -> Option<u32> {
        match self.compact.get(hint as usize) {
            Some(c) if c.key == key && self.is_live(hint) => Some(hint),
            _ => self.by_key.get(&key).copied(),
        }
    }
}

impl SearchIndex {
    /// The document → slot maps of the searchable segments, for one query.
    pub(crate) fn doc_slots(&self) -> Result<DocSlots, SearchError> {
        Ok(self.slots.read().map_err(poisoned)?.clone())
    }

    /// Builds the document → slot maps of segments that have none (all of them when `all`:
    /// the catalogue was rebuilt) and drops those of segments gone (merged). Called once the
    /// catalogue holds what the segments hold.
    pub(crate) fn refresh_slots(&self, all: bool) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let known = self.doc_slots()?;
        let mut fresh = DocSlots::default();
        let catalog = self.catalog.read().map_err(poisoned)?;
        for segment in searcher.segment_readers() {
            let id = segment.segment_id();
            let slots = match known.get(&id) {
                Some(slots) if !all => slots.clone(),
                _ => doc_slots(segment, &catalog)?,
            };
            fresh.insert(id, slots);
        }
        drop(catalog);
        *self.slots.write().map_err(poisoned)? = fresh;
        Ok(())
    }
}

/// Gathers every hit as (product key, score, slot hint).
pub(crate) struct KeyCollector {
    /// False for sorts that ignore relevance: tantivy then skips computing scores.
    pub(crate) scoring: bool,
    pub(crate) slots: DocSlots,
}
pub(crate) struct KeySegment {
    pub(crate) keys: Column<u64>,
    pub(crate) slots: Option<Arc<[u32]>>,
    pub(crate) hits: Vec<(u64, Score, u32)>,
}

impl Collector for KeyCollector {
    type Fruit = Vec<(u64, Score, u32)>;
    type Child = KeySegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<KeySegment> {
        Ok(KeySegment {
            keys: segment.fast_fields().u64("key")?,
            slots: self.slots.get(&segment.segment_id()).cloned(),
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Score, u32)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for KeySegment {
    type Fruit = Vec<(u64, Score, u32)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(k) = self.keys.first(doc) {
            let hint = self.slots.as_ref().and_then(|s| s.get(doc as usize).copied()).unwrap_or(NO_SLOT);
            self.hits.push((k, score, hint));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_products_numbers_fit_one_cache_line() {
        assert!(std::mem::size_of::<super::Compact>() <= 64, "{}", std::mem::size_of::<super::Compact>());
    }
}
