//! Answering a query: the matches (from tantivy for search text; straight from the in-memory
//! catalogue when browsing without text), one pass over them for the filters the index does
//! not hold, facet counts and sort keys, then the shop-diversity re-rank and the page. A browse
//! view is kept (`views`), so its pages do not repeat the pass.

use std::sync::atomic::Ordering;

use podium_domain::licensing;
use podium_domain::Money;
use tantivy::query::{BooleanQuery, Occur};

use crate::index::catalog::{Catalog, KeyCollector};
use crate::index::ranking::{diversified_top, sorted_top, ListingPricer};
use crate::index::views::{self, MAX_ORDER};
use crate::index::{on_sale, poisoned, Facets, SearchError, SearchIndex, SearchQuery, SearchResult, Sort};

/// What one pass over the matches found.
struct Pass {
    /// (primary key, newest first, slot) per match that passed the filters.
    keys: Vec<(i64, i64, u32)>,
    facets: Facets,
    per_shop: Vec<u64>,
    /// The next moment (after the query's) a licence window of a considered product opens or
    /// closes: until then the same matches pass.
    next_change_us: i64,
}

impl SearchIndex {
    /// Runs a query: matching, filtering, facet counts over every match, sorting, the
    /// shop-diversity re-rank, then the page.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchError> {
        let text = q.q.trim();
        let sort = q.sort.unwrap_or(if text.is_empty() { Sort::Newest } else { Sort::Relevance });
        let at_us = q.at_us.unwrap_or_else(|| licensing::micros(time::OffsetDateTime::now_utc()));
        let end = q.offset + q.limit;
        if text.is_empty() {
            return self.browse(q, sort, at_us, end);
        }
        let mut clauses = self.filters(q);
        match self.text_query(text, false) {
            Some(tq) => clauses.push((Occur::Must, tq)),
            None => return self.browse(q, sort, at_us, end),
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let collector = KeyCollector { scoring: sort == Sort::Relevance, slots: self.doc_slots()? };
        let hits = searcher.search(&query, &collector)?;
        let catalog = self.catalog.read().map_err(poisoned)?;
        let matches = hits.into_iter().filter_map(|(key, score, hint)| Some((catalog.slot_of(key, hint)?, score)));
        let mut pass = pass(&catalog, q, sort, at_us, matches);
        let total = pass.keys.len();
        let order = order(&mut pass, sort, end.min(total), &catalog);
        let (result, missing) = page(&catalog, q, total, pass.facets, &order);
        drop(catalog);
        self.with_texts(result, &missing)
    }

    /// A query without search text: every product in the catalogue that the filters keep, as
    /// a kept view when there is one.
    fn browse(&self, q: &SearchQuery, sort: Sort, at_us: i64, end: usize) -> Result<SearchResult, SearchError> {
        let catalog = self.catalog.read().map_err(poisoned)?;
        // Read under the catalogue's lock, which every change to it holds while it bumps it.
        let generation = self.generation.load(Ordering::Acquire);
        // A query at a moment of its own (tests, previews) is answered afresh.
        let key = q.at_us.is_none().then(|| views::key(q, sort));
        if let Some(view) = key.as_deref().and_then(|k| self.views.get(k, generation, at_us)) {
            if end <= view.order.len() || view.order.len() == view.total {
                let (result, missing) = page(&catalog, q, view.total, view.facets.clone(), &view.order);
                drop(catalog);
                return self.with_texts(result, &missing);
            }
        }
        let filter = BrowseFilter::new(&catalog, q);
        let matches = (0..catalog.compact.len() as u32)
            .filter(|slot| catalog.is_live(*slot) && filter.keeps(&catalog, *slot))
            .map(|slot| (slot, 1.0f32));
        let mut pass = pass(&catalog, q, sort, at_us, matches);
        let total = pass.keys.len();
        let (result, missing) = match key {
            None => {
                let order = order(&mut pass, sort, end.min(total), &catalog);
                page(&catalog, q, total, pass.facets, &order)
            }
            Some(key) => {
                let depth = total.min(MAX_ORDER).max(end.min(total));
                let order = order(&mut pass, sort, depth, &catalog);
                let view = self.views.put(key, total, pass.facets, order, generation, pass.next_change_us);
                page(&catalog, q, view.total, view.facets.clone(), &view.order)
            }
        };
        drop(catalog);
        self.with_texts(result, &missing)
    }

    /// The result with the texts of hits the catalogue keeps no texts for (past its arena's
    /// budget) read from their stored documents.
    fn with_texts(&self, mut result: SearchResult, missing: &[(usize, u64)]) -> Result<SearchResult, SearchError> {
        result.hits = self.filled(result.hits, missing)?;
        Ok(result)
    }
}

/// The filters of a browse, as the catalogue's interned numbers (`None` inside: a value the
/// catalogue does not know, which nothing matches).
struct BrowseFilter {
    property: Option<Option<u32>>,
    shop: Option<Option<u32>>,
    country: Option<Option<u32>>,
    category: Option<Option<u32>>,
}

impl BrowseFilter {
    fn new(catalog: &Catalog, q: &SearchQuery) -> BrowseFilter {
        BrowseFilter {
            property: q.property.as_deref().map(|v| catalog.properties.ids.get(v).copied()),
            shop: q.shop.as_deref().map(|v| catalog.shops.ids.get(v).copied()),
            country: q.shop_country.as_deref().map(|v| catalog.countries.ids.get(v).copied()),
            category: q.category.as_deref().map(|v| catalog.categories.ids.get(v).copied()),
        }
    }

    fn keeps(&self, catalog: &Catalog, slot: u32) -> bool {
        let c = &catalog.compact[slot as usize];
        let is = |wanted: Option<Option<u32>>, have: u32| wanted.is_none_or(|w| w == Some(have));
        is(self.property, c.property)
            && is(self.shop, c.shop)
            && is(self.country, c.country)
            // A category matches itself and everything below it.
            && self.category.is_none_or(|w| {
                w.is_some_and(|w| catalog.paths.get(c.category as usize).is_some_and(|p| p.contains(&w)))
            })
    }
}

/// One pass over the matches: the filters the index does not hold (licences now, shipping,
/// stock, price band), facet counts, and a compact sort key per match. Ties fall back to the
/// newest, then to the slot, so pages never shuffle between requests.
fn pass(catalog: &Catalog, q: &SearchQuery, sort: Sort, at_us: i64, matches: impl Iterator<Item = (u32, f32)>) -> Pass {
    let mut shop = vec![0u64; catalog.shops.names.len()];
    let mut property = vec![0u64; catalog.properties.names.len()];
    let mut country = vec![0u64; catalog.countries.names.len()];
    let mut leaf = vec![0u64; catalog.categories.names.len()];
    let mut price_bands = vec![0u64; q.price_edges.len() + 1];
    let pricer = ListingPricer::new(q.pricing.as_ref(), catalog);
    let mut in_stock = 0u64;
    let mut keys: Vec<(i64, i64, u32)> = Vec::new();
    let mut next_change_us = i64::MAX;
    // Window sets are shared by the products of one licence: each is looked at once.
    let mut set_seen = vec![false; catalog.window_sets.len()];
    for (slot, score) in matches {
        let c = &catalog.compact[slot as usize];
        if let Some(set) = catalog.windows.get(slot as usize).copied() {
            if let Some(seen) = set_seen.get_mut(set as usize).filter(|s| !**s) {
                *seen = true;
                for w in catalog.windows_of(slot) {
                    for t in [w.from_us, w.until_us] {
                        if t > at_us && t < next_change_us {
                            next_change_us = t;
                        }
                    }
                }
            }
        }
        if !on_sale(catalog.windows_of(slot), q.country, at_us)
            || q.country.is_some_and(|to| !catalog.ship_sets[c.ships_to as usize].covers(to))
            || (q.in_stock_only && !c.in_stock)
        {
            continue;
        }
        let price = pricer.price(catalog, slot, c);
        if q.price.is_some_and(|(from, to)| price < from || price >= to) {
            continue;
        }
        shop[c.shop as usize] += 1;
        property[c.property as usize] += 1;
        country[c.country as usize] += 1;
        leaf[c.category as usize] += 1;
        in_stock += u64::from(c.in_stock);
        price_bands[q.price_edges.iter().take_while(|e| price >= **e).count()] += 1;
        let primary = match sort {
            Sort::Relevance => -((f64::from(score) * 1e6) as i64),
            Sort::PriceAsc => price,
            Sort::PriceDesc => -price,
            Sort::Newest => -c.created,
        };
        keys.push((primary, -c.created, slot));
    }
    // A category counts the matches in it and below it.
    let mut category = vec![0u64; leaf.len()];
    for (id, n) in leaf.iter().enumerate().filter(|(_, n)| **n > 0) {
        for ancestor in &catalog.paths[id] {
            category[*ancestor as usize] += n;
        }
    }
    let facets = Facets {
        property: catalog.properties.counted(&property),
        category: catalog.categories.counted(&category),
        shop: catalog.shops.counted(&shop),
        shop_country: catalog.countries.counted(&country),
        price_bands,
        in_stock,
    };
    Pass { keys, facets, per_shop: shop, next_change_us }
}

/// The first `end` slots in result order. The diversity rule shapes relevance (and newest)
/// lists; a price sort is what the fan asked for.
fn order(pass: &mut Pass, sort: Sort, end: usize, catalog: &Catalog) -> Vec<u32> {
    if matches!(sort, Sort::Relevance | Sort::Newest) {
        diversified_top(&mut pass.keys, end, catalog, &pass.per_shop)
    } else {
        sorted_top(&mut pass.keys, end);
        pass.keys[..end].iter().map(|k| k.2).collect()
    }
}

/// The page `q` asks for out of `order`, each hit priced as the query prices it, and the hits
/// (position, product key) whose texts are to be read from the stored documents.
fn page(
    catalog: &Catalog,
    q: &SearchQuery,
    total: usize,
    facets: Facets,
    order: &[u32],
) -> (SearchResult, Vec<(usize, u64)>) {
    let pricer = ListingPricer::new(q.pricing.as_ref(), catalog);
    let mut missing = Vec::new();
    let mut hits = Vec::with_capacity(q.limit.min(order.len()));
    for &slot in order.iter().skip(q.offset).take(q.limit) {
        let Some((mut s, has_texts)) = catalog.summary(slot) else { continue };
        let c = &catalog.compact[slot as usize];
        s.price = pricer.money(pricer.price(catalog, slot, c));
        s.native = (c.native != i64::MAX).then(|| Money::new(c.native, c.native_currency));
        if !has_texts {
            missing.push((hits.len(), c.key));
        }
        hits.push(s);
    }
    (SearchResult { total, hits, facets }, missing)
}
