//! The per-node product index. Documents carry the searchable text and the filter terms; a
//! numeric key links each hit to an in-memory summary used for facets, sorting and the
//! shop-diversity re-rank, so a query touches no stored documents.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use podium_app::catalogue::{ProductRecord, ProductStatus};
use podium_app::storefront;
use podium_domain::landed::{DisplayPricer, TradeRules};
use podium_domain::licensing::{self, SaleWindow, Territory};
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{DocId, Index, IndexReader, IndexWriter, Score, SegmentOrdinal, SegmentReader, TantivyDocument, Term};
use time::Date;

use crate::analysis::{self, CJK, EN, FR, WORDS};

mod correct;
mod query;

pub use query::typo_distance;

fn poisoned<T>(_: T) -> SearchError {
    SearchError::Directory("the in-memory catalogue lock was poisoned".into())
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
    #[error(transparent)]
    Store(#[from] podium_app::StoreError),
}

/// A hasher for keys that are already well-mixed hashes (product keys), and FNV-1a for short
/// strings (facet values): both far cheaper per hit than the default SipHash.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf29ce484222325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type Fast = std::hash::BuildHasherDefault<FastHasher>;

/// What the index keeps in memory per product for facets, sorting and suggestions.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: String,
    pub slug: String,
    pub shop: String,
    pub shop_country: String,
    pub property: String,
    /// The category and its ancestors.
    pub categories: Vec<String>,
    /// The lowest variant price converted to EUR cents at indexing time, for sorting and bands.
    pub price_eur: i64,
    pub created: i64,
    pub in_stock: bool,
    pub titles: Vec<(Lang, String)>,
    pub fallback: Lang,
    /// The display price the query that returned this summary sorted and banded it by (`None`
    /// when the query asked for no pricing); not stored.
    pub price: Option<Money>,
}

/// What the index keeps of a product besides its summary, packed or interned in the catalogue
/// rather than held per product.
#[derive(Debug, Clone, Default)]
struct Extra {
    /// Where and when its licences let it sell.
    windows: Vec<SaleWindow>,
    hs_code: String,
    /// Where its shipping profile delivers.
    ships_to: ShipsTo,
    /// The lowest variant price in the shop's currency: listings convert it per query.
    native: Option<Money>,
    /// The lowest variant price in each currency some variant has an explicit price in.
    explicit: Vec<Money>,
}

/// The countries a product's shipping profile covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ShipsTo {
    pub rest_of_world: bool,
    pub countries: Vec<Country>,
}

impl ShipsTo {
    pub fn of(p: &ProductRecord) -> ShipsTo {
        let Some(profile) = &p.shipping else { return ShipsTo::default() };
        // A rest-of-the-world zone covers every country: no list to keep.
        if profile.zones.iter().any(|z| z.rest_of_world) {
            return ShipsTo { rest_of_world: true, countries: Vec::new() };
        }
        let mut countries: Vec<Country> = profile.zones.iter().flat_map(|z| z.countries.iter().copied()).collect();
        countries.sort_unstable();
        countries.dedup();
        ShipsTo { rest_of_world: false, countries }
    }

    pub fn covers(&self, c: Country) -> bool {
        self.rest_of_world || self.countries.binary_search(&c).is_ok()
    }

    fn encode(&self) -> String {
        if self.rest_of_world {
            return "*".into();
        }
        self.countries.iter().map(Country::code).collect::<Vec<_>>().join(",")
    }

    fn decode(s: &str) -> ShipsTo {
        if s == "*" {
            return ShipsTo { rest_of_world: true, countries: Vec::new() };
        }
        let mut countries: Vec<Country> = s.split(',').filter_map(|c| Country::parse(c).ok()).collect();
        countries.sort_unstable();
        ShipsTo { rest_of_world: false, countries }
    }
}

/// How a query prices products: the display price of DESIGN §3.1 for this destination and
/// presentment currency, at these rates and trade rules, on this day.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub ship_to: Country,
    pub currency: Currency,
    pub rules: Arc<TradeRules>,
    pub rates: Arc<RateTable>,
    pub date: Date,
}

impl Summary {
    pub fn title(&self, lang: Lang) -> &str {
        podium_domain::catalogue::resolve_lang(&self.titles, |t| t.0, lang, self.fallback)
            .map(|r| r.value.1.as_str())
            .unwrap_or("")
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    key: Field,
    summary: Field,
    title_en: Field,
    desc_en: Field,
    title_fr: Field,
    desc_fr: Field,
    title_cjk: Field,
    desc_cjk: Field,
    words: Field,
    property: Field,
    category: Field,
    shop: Field,
    shop_country: Field,
}

fn text(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        key: b.add_u64_field("key", FAST | INDEXED),
        summary: b.add_text_field("summary", STORED),
        title_en: b.add_text_field("title_en", text(EN)),
        desc_en: b.add_text_field("desc_en", text(EN)),
        title_fr: b.add_text_field("title_fr", text(FR)),
        desc_fr: b.add_text_field("desc_fr", text(FR)),
        title_cjk: b.add_text_field("title_cjk", text(CJK)),
        desc_cjk: b.add_text_field("desc_cjk", text(CJK)),
        words: b.add_text_field("words", text(WORDS)),
        property: b.add_text_field("property", STRING),
        category: b.add_text_field("category", STRING),
        shop: b.add_text_field("shop", STRING),
        shop_country: b.add_text_field("shop_country", STRING),
    };
    (b.build(), fields)
}

/// A 64-bit key for a product id (FNV-1a); collisions among real ids are vanishingly rare and
/// would only merge two hits' summaries, never lose a document.
fn key_of(id: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FastHasher::default();
    h.write(id.as_bytes());
    h.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "price_asc" => Some(Sort::PriceAsc),
            "price_desc" => Some(Sort::PriceDesc),
            "newest" => Some(Sort::Newest),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub q: String,
    pub property: Option<String>,
    pub category: Option<String>,
    pub shop: Option<String>,
    pub shop_country: Option<String>,
    pub in_stock_only: bool,
    /// Only products whose price (lowest variant; minor units of the pricing currency, EUR
    /// cents without pricing) lies in `[from, to)`.
    pub price: Option<(i64, i64)>,
    /// `None` means relevance with a query and newest without one.
    pub sort: Option<Sort>,
    pub offset: usize,
    pub limit: usize,
    /// Price band edges in the same units as `price`, ascending; counts come back per band.
    pub price_edges: Vec<i64>,
    /// Sort, band and filter by the display price for a destination and currency; without it,
    /// by the net price in EUR.
    pub pricing: Option<Pricing>,
    /// Only products that may be delivered to this country (the fan's ship-to).
    pub country: Option<Country>,
    /// The moment licences are checked at, in microseconds since the epoch; `None` is now.
    pub at_us: Option<i64>,
}

fn on_sale(windows: &[SaleWindow], country: Option<Country>, at_us: i64) -> bool {
    windows.iter().any(|w| w.open(at_us) && country.is_none_or(|c| w.territory.covers(c)))
}

#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub property: BTreeMap<String, u64>,
    pub category: BTreeMap<String, u64>,
    pub shop: BTreeMap<String, u64>,
    pub shop_country: BTreeMap<String, u64>,
    /// One count per band: below the first edge, between edges, above the last.
    pub price_bands: Vec<u64>,
    pub in_stock: u64,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub total: usize,
    /// The page, after sorting and the shop-diversity re-rank.
    pub hits: Vec<Summary>,
    pub facets: Facets,
}

/// Cheap to clone: clones share the index, its writer and the in-memory catalogue, so bulk
/// work can move to a blocking thread.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    fields: Fields,
    catalog: Arc<RwLock<Catalog>>,
}

/// Facet values interned to small numbers, so counting a hit is an array increment.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32, Fast>,
    names: Vec<String>,
}

impl Names {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Counts per id as a map by name, leaving out zeros.
    fn counted(&self, counts: &[u64]) -> BTreeMap<String, u64> {
        counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (self.names[i].clone(), *n)).collect()
    }
}

/// What a hit needs for filtering, facets and sorting, packed small: reading it costs one
/// cache line rather than a walk through a summary's strings.
#[derive(Clone, Copy)]
struct Compact {
    shop: u32,
    property: u32,
    country: u32,
    /// The product's own category; its ancestors are counted from `Catalog::paths`.
    category: u32,
    in_stock: bool,
    /// Some variant has an explicit price in another currency (see `Summary::explicit`).
    explicit: bool,
    price_eur: i64,
    /// The lowest price in the shop's currency (`i64::MAX` when unknown).
    native: i64,
    native_currency: Currency,
    created: i64,
    hs: u32,
    ships_to: u32,
}

/// The in-memory side of the index: one slot per live product, found by the product's key.
#[derive(Default)]
struct Catalog {
    by_key: HashMap<u64, u32, Fast>,
    compact: Vec<Compact>,
    summaries: Vec<Option<Summary>>,
    /// Each slot's sale windows, as an index into `window_sets`: products under the same
    /// licence share one list.
    windows: Vec<u32>,
    window_sets: Vec<Vec<SaleWindow>>,
    window_ids: HashMap<Vec<SaleWindow>, u32, Fast>,
    /// Shipping coverage, interned like the windows: products of one profile share it.
    ship_sets: Vec<ShipsTo>,
    ship_ids: HashMap<ShipsTo, u32, Fast>,
    hs_codes: Names,
    /// Explicit prices of the few slots that have them (see `Extra::explicit`).
    explicit: HashMap<u32, Vec<Money>, Fast>,
    /// Every shop currency among the products (a handful).
    currencies: Vec<Currency>,
    free: Vec<u32>,
    shops: Names,
    properties: Names,
    countries: Names,
    categories: Names,
    /// For each category id, the ids of the path from the root to it.
    paths: Vec<Vec<u32>>,
}

impl Catalog {
    fn len(&self) -> usize {
        self.by_key.len()
    }

    fn get(&self, key: u64) -> Option<(u32, &Compact)> {
        let slot = *self.by_key.get(&key)?;
        Some((slot, &self.compact[slot as usize]))
    }

    fn summary(&self, slot: u32) -> Option<&Summary> {
        self.summaries.get(slot as usize).and_then(Option::as_ref)
    }

    fn window_set(&mut self, windows: Vec<SaleWindow>) -> u32 {
        if let Some(id) = self.window_ids.get(&windows) {
            return *id;
        }
        let id = self.window_sets.len() as u32;
        self.window_sets.push(windows.clone());
        self.window_ids.insert(windows, id);
        id
    }

    fn ship_set(&mut self, ships: &ShipsTo) -> u32 {
        if let Some(id) = self.ship_ids.get(ships) {
            return *id;
        }
        let id = self.ship_sets.len() as u32;
        self.ship_sets.push(ships.clone());
        self.ship_ids.insert(ships.clone(), id);
        id
    }

    /// Where and when the product in `slot` may be sold (its licences).
    fn windows_of(&self, slot: u32) -> &[SaleWindow] {
        self.windows.get(slot as usize).and_then(|w| self.window_sets.get(*w as usize)).map_or(&[], Vec::as_slice)
    }

    fn insert(&mut self, key: u64, s: Summary, extra: Extra) {
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
                    self.summaries.push(None);
                    self.windows.push(0);
                    (self.compact.len() - 1) as u32
                }
            },
        };
        self.by_key.insert(key, slot);
        self.compact[slot as usize] = compact;
        self.windows[slot as usize] = window_set;
        if extra.explicit.is_empty() {
            self.explicit.remove(&slot);
        } else {
            self.explicit.insert(slot, extra.explicit);
        }
        self.summaries[slot as usize] = Some(s);
    }

    fn remove(&mut self, key: u64) {
        if let Some(slot) = self.by_key.remove(&key) {
            self.summaries[slot as usize] = None;
            self.explicit.remove(&slot);
            self.free.push(slot);
        }
    }
}

struct KeyCollector {
    /// False for sorts that ignore relevance: tantivy then skips computing scores.
    scoring: bool,
}
struct KeySegment {
    keys: Column<u64>,
    hits: Vec<(u64, Score)>,
}

impl Collector for KeyCollector {
    type Fruit = Vec<(u64, Score)>;
    type Child = KeySegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<KeySegment> {
        Ok(KeySegment { keys: segment.fast_fields().u64("key")?, hits: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for KeySegment {
    type Fruit = Vec<(u64, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(k) = self.keys.first(doc) {
            self.hits.push((k, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent. Returns the index and the outbox
    /// position it had caught up to (0 for a new index).
    pub fn open(dir: &Path) -> Result<(SearchIndex, i64), SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema.clone())?;
        Self::from_index(index, fields)
    }

    /// An index held in memory, for tests and throwaway nodes.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Ok(Self::from_index(Index::create_in_ram(schema), fields)?.0)
    }

    fn from_index(index: Index, fields: Fields) -> Result<(SearchIndex, i64), SearchError> {
        analysis::register(&index);
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?;
        let position = index.load_metas()?.payload.and_then(|p| p.parse().ok()).unwrap_or(0);
        let this = SearchIndex {
            index,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
            catalog: Arc::new(RwLock::new(Catalog::default())),
        };
        this.load_summaries()?;
        Ok((this, position))
    }

    fn load_summaries(&self) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let mut catalog = Catalog::default();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64).map_err(|e| SearchError::Directory(e.to_string()))?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                if let Some((s, extra)) =
                    doc.get_first(self.fields.summary).and_then(|v| v.as_str()).and_then(decode_summary)
                {
                    catalog.insert(key_of(&s.id), s, extra);
                }
            }
        }
        *self.catalog.write().map_err(poisoned)? = catalog;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.catalog.read().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(
        &self,
        p: &ProductRecord,
        rates: &RateTable,
        categories: &[String],
    ) -> (TantivyDocument, Summary, Extra) {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &p.id);
        doc.add_u64(f.key, key_of(&p.id));
        for t in &p.translations {
            let (title, desc) = match t.lang {
                Lang::En => (f.title_en, f.desc_en),
                Lang::Fr => (f.title_fr, f.desc_fr),
                Lang::ZhHans | Lang::Ja | Lang::Ko => (f.title_cjk, f.desc_cjk),
            };
            doc.add_text(title, &t.title);
            doc.add_text(desc, &t.description);
            if matches!(t.lang, Lang::En | Lang::Fr) {
                doc.add_text(f.words, &t.title);
            }
        }
        for tag in &p.tags {
            doc.add_text(f.words, tag.replace('-', " "));
        }
        doc.add_text(f.words, &p.property.name);
        doc.add_text(f.words, &p.shop.name);
        doc.add_text(f.property, &p.property.slug);
        doc.add_text(f.shop, &p.shop.slug);
        doc.add_text(f.shop_country, &p.shop.country);
        for c in categories {
            doc.add_text(f.category, c);
        }
        let price_eur =
            storefront::from_price(p, Currency::EUR, rates).ok().flatten().map(|m| m.minor).unwrap_or(i64::MAX);
        let summary = Summary {
            id: p.id.clone(),
            slug: p.slug.clone(),
            shop: p.shop.slug.clone(),
            shop_country: p.shop.country.clone(),
            property: p.property.slug.clone(),
            categories: categories.to_vec(),
            price_eur,
            created: (p.created_at.unix_timestamp_nanos() / 1000) as i64,
            in_stock: p.available() > 0,
            titles: p.translations.iter().map(|t| (t.lang, t.title.clone())).collect(),
            fallback: p.fallback_lang,
            price: None,
        };
        let extra = Extra {
            windows: licensing::sale_windows_in_path(podium_app::licensing::offer_of(p), &p.agreements, categories),
            hs_code: p.hs_code.clone(),
            ships_to: ShipsTo::of(p),
            native: Currency::parse(&p.shop.currency)
                .ok()
                .and_then(|c| storefront::from_price(p, c, rates).ok().flatten()),
            explicit: explicit_from_prices(p, rates),
        };
        doc.add_text(f.summary, encode_summary(&summary, &extra));
        (doc, summary, extra)
    }

    /// Adds or replaces products (drafts are removed), removes `deleted` ids, and commits with
    /// `position` as the outbox position now caught up to.
    pub fn apply(
        &self,
        products: &[ProductRecord],
        deleted: &[String],
        rates: &RateTable,
        category_path: &(dyn Fn(&str) -> Vec<String> + Sync),
        position: i64,
    ) -> Result<(), SearchError> {
        let mut updates = Vec::with_capacity(products.len());
        {
            let writer = self.writer.lock().map_err(|_| SearchError::Directory("index writer poisoned".into()))?;
            for id in deleted {
                writer.delete_term(Term::from_field_text(self.fields.id, id));
            }
            for p in products {
                writer.delete_term(Term::from_field_text(self.fields.id, &p.id));
                match indexable(p) {
                    true => {
                        let (doc, summary, extra) = self.document(p, rates, &category_path(&p.category_slug));
                        writer.add_document(doc)?;
                        updates.push((key_of(&p.id), Some((summary, extra))));
                    }
                    false => updates.push((key_of(&p.id), None)),
                }
            }
        }
        self.commit(position)?;
        let mut catalog = self.catalog.write().map_err(poisoned)?;
        for id in deleted {
            catalog.remove(key_of(id));
        }
        for (k, s) in updates {
            match s {
                Some((s, extra)) => catalog.insert(k, s, extra),
                None => catalog.remove(k),
            }
        }
        Ok(())
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Directory("index writer poisoned".into()))?;
        writer.delete_all_documents()?;
        drop(writer);
        *self.catalog.write().map_err(poisoned)? = Catalog::default();
        Ok(())
    }

    /// Adds documents without committing (for bulk rebuilds; call [`Self::commit`] after).
    pub fn add_uncommitted(
        &self,
        products: &[ProductRecord],
        rates: &RateTable,
        category_path: &(dyn Fn(&str) -> Vec<String> + Sync),
    ) -> Result<(), SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Directory("index writer poisoned".into()))?;
        let mut summaries = Vec::with_capacity(products.len());
        for p in products.iter().filter(|p| indexable(p)) {
            let (doc, summary, extra) = self.document(p, rates, &category_path(&p.category_slug));
            writer.add_document(doc)?;
            summaries.push((key_of(&p.id), summary, extra));
        }
        drop(writer);
        let mut catalog = self.catalog.write().map_err(poisoned)?;
        for (k, s, extra) in summaries {
            catalog.insert(k, s, extra);
        }
        Ok(())
    }

    pub fn commit(&self, position: i64) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Directory("index writer poisoned".into()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&position.to_string());
        prepared.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, value) in
            [(f.property, &q.property), (f.category, &q.category), (f.shop, &q.shop), (f.shop_country, &q.shop_country)]
        {
            if let Some(v) = value {
                out.push((
                    Occur::Must,
                    Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic)),
                ));
            }
        }
        out
    }

    /// Runs a query: matching, filtering, facet counts over every match, sorting, the
    /// shop-diversity re-rank, then the page.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchError> {
        let mut clauses = self.filters(q);
        let text = q.q.trim();
        match self.text_query(text, false) {
            Some(tq) => clauses.push((Occur::Must, tq)),
            None => clauses.push((Occur::Must, Box::new(AllQuery))),
        }
        let query = BooleanQuery::new(clauses);
        let sort = q.sort.unwrap_or(if text.is_empty() { Sort::Newest } else { Sort::Relevance });
        let searcher = self.reader.searcher();
        let hits = searcher.search(&query, &KeyCollector { scoring: sort == Sort::Relevance })?;
        let catalog = self.catalog.read().map_err(poisoned)?;
        let mut shop = vec![0u64; catalog.shops.names.len()];
        let mut property = vec![0u64; catalog.properties.names.len()];
        let mut country = vec![0u64; catalog.countries.names.len()];
        let mut leaf = vec![0u64; catalog.categories.names.len()];
        let mut price_bands = vec![0u64; q.price_edges.len() + 1];
        let pricer = ListingPricer::new(q.pricing.as_ref(), &catalog);
        let mut in_stock = 0u64;
        // One pass over the matches: the filters the index does not hold, facet counts, and a
        // compact sort key per match. Ties fall back to the newest, then to the slot, so pages
        // never shuffle between requests.
        let mut keys: Vec<(i64, i64, u32)> = Vec::with_capacity(hits.len());
        let at_us = q.at_us.unwrap_or_else(|| licensing::micros(time::OffsetDateTime::now_utc()));
        for (key, score) in hits {
            let Some((slot, c)) = catalog.get(key) else { continue };
            if !on_sale(catalog.windows_of(slot), q.country, at_us)
                || q.country.is_some_and(|to| !catalog.ship_sets[c.ships_to as usize].covers(to))
                || (q.in_stock_only && !c.in_stock)
            {
                continue;
            }
            let price = pricer.price(&catalog, slot, c);
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
        let total = keys.len();
        let end = (q.offset + q.limit).min(total);
        // The diversity rule shapes relevance (and newest) lists; a price sort is what the fan asked for.
        let order = if matches!(sort, Sort::Relevance | Sort::Newest) {
            diversified_top(&mut keys, end, &catalog, &shop)
        } else {
            sorted_top(&mut keys, end);
            keys.truncate(end);
            keys.iter().map(|k| k.2).collect()
        };
        let hits = order
            .into_iter()
            .skip(q.offset)
            .filter_map(|slot| {
                let mut s = catalog.summary(slot)?.clone();
                s.price = pricer.money(pricer.price(&catalog, slot, &catalog.compact[slot as usize]));
                Some(s)
            })
            .collect();
        Ok(SearchResult { total, hits, facets })
    }

    /// Up to `limit` products whose titles start like `q` as typed so far, best first.
    pub fn suggest(&self, q: &str, country: Option<Country>, limit: usize) -> Result<Vec<Summary>, SearchError> {
        let Some(query) = self.text_query(q.trim(), true) else { return Ok(Vec::new()) };
        let searcher = self.reader.searcher();
        let mut hits = searcher.search(&query, &KeyCollector { scoring: true })?;
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let catalog = self.catalog.read().map_err(poisoned)?;
        let now = licensing::micros(time::OffsetDateTime::now_utc());
        Ok(hits
            .into_iter()
            .filter_map(|(k, _)| catalog.get(k))
            .filter(|(_, c)| country.is_none_or(|to| catalog.ship_sets[c.ships_to as usize].covers(to)))
            .map(|(slot, _)| slot)
            .filter(|slot| on_sale(catalog.windows_of(*slot), country, now))
            .filter_map(|slot| catalog.summary(slot))
            .take(limit)
            .cloned()
            .collect())
    }
}

/// The lowest variant price (explicit, else converted at the indexing rates, which a rates
/// change rebuilds) in every currency that some variant has an explicit price in.
fn explicit_from_prices(p: &ProductRecord, rates: &RateTable) -> Vec<Money> {
    let mut currencies: Vec<Currency> =
        p.variants.iter().flat_map(|v| v.explicit_prices.iter().map(|m| m.currency)).collect();
    currencies.sort_unstable();
    currencies.dedup();
    currencies.into_iter().filter_map(|c| storefront::from_price(p, c, rates).ok().flatten()).collect()
}

/// A query's pricing worked out once: the conversion from EUR, and per shop country and HS
/// code what the display price needs, so each match costs a few integer operations.
struct ListingPricer<'a> {
    pricing: Option<(&'a Pricing, DisplayPricer<'a>)>,
    /// From each shop currency met so far into the presentment currency.
    conversions: Vec<(Currency, Option<podium_domain::fx::Conversion>)>,
    domestic: Vec<bool>,
    duty: Vec<u32>,
}

impl<'a> ListingPricer<'a> {
    fn new(pricing: Option<&'a Pricing>, catalog: &Catalog) -> ListingPricer<'a> {
        let ready = pricing.and_then(|p| {
            let pricer = DisplayPricer::new(&p.rules, p.ship_to, p.currency, p.date, &p.rates).ok()?;
            Some((p, pricer))
        });
        let (domestic, duty) = match &ready {
            Some((_, pricer)) => (
                catalog.countries.names.iter().map(|c| Country::parse(c).is_ok_and(|c| pricer.domestic(c))).collect(),
                catalog.hs_codes.names.iter().map(|hs| pricer.duty_bp(hs)).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let conversions = match &ready {
            Some((p, _)) => catalog.currencies.iter().map(|c| (*c, p.rates.conversion(*c, p.currency).ok())).collect(),
            None => Vec::new(),
        };
        ListingPricer { pricing: ready, conversions, domestic, duty }
    }

    /// The product's display price in the query's currency (its EUR net price without pricing).
    fn price(&self, catalog: &Catalog, slot: u32, c: &Compact) -> i64 {
        let Some((pricing, pricer)) = &self.pricing else { return c.price_eur };
        if c.native == i64::MAX {
            return i64::MAX;
        }
        let explicit = c
            .explicit
            .then(|| catalog.explicit.get(&slot))
            .flatten()
            .and_then(|prices| prices.iter().find(|m| m.currency == pricing.currency))
            .map(|m| m.minor);
        let conversion = self.conversions.iter().find(|(cur, _)| *cur == c.native_currency).and_then(|(_, conv)| *conv);
        let Some(net) = explicit.or_else(|| conversion?.apply(c.native).ok()) else { return i64::MAX };
        let domestic = self.domestic.get(c.country as usize).copied().unwrap_or(false);
        let duty = self.duty.get(c.hs as usize).copied().unwrap_or(0);
        pricer.price_with(domestic, duty, net)
    }

    fn money(&self, minor: i64) -> Option<Money> {
        let (pricing, _) = self.pricing.as_ref()?;
        (minor != i64::MAX).then(|| Money::new(minor, pricing.currency))
    }
}

/// Fans only ever see live products with variants that the licensor approved at the final stage;
/// whether a licence covers them is checked per query.
fn indexable(p: &ProductRecord) -> bool {
    p.status == ProductStatus::Live && !p.variants.is_empty() && p.approved_at.is_some()
}

/// Puts the `n` smallest keys, in order, at the front: a partial selection, then a sort of
/// only that part.
fn sorted_top(keys: &mut [(i64, i64, u32)], n: usize) {
    if n == 0 {
        return;
    }
    if n < keys.len() {
        keys.select_nth_unstable(n - 1);
    }
    keys[..n].sort_unstable();
}

/// The first `end` slots of the shop-diversified order. The re-rank reads a sorted prefix a
/// few pages long and the per-shop counts of everything after it; only when that prefix
/// cannot settle the page (one shop dominating deep into the list) does it read further.
fn diversified_top(keys: &mut [(i64, i64, u32)], end: usize, catalog: &Catalog, per_shop: &[u64]) -> Vec<u32> {
    let mut n = (end * 4).max(256);
    loop {
        let n_now = n.min(keys.len());
        sorted_top(keys, n_now);
        let prefix: Vec<u32> = keys[..n_now].iter().map(|k| catalog.compact[k.2 as usize].shop).collect();
        let mut beyond: HashMap<u32, usize> =
            per_shop.iter().enumerate().filter(|(_, c)| **c > 0).map(|(shop, c)| (shop as u32, *c as usize)).collect();
        for s in &prefix {
            if let Some(c) = beyond.get_mut(s) {
                *c = c.saturating_sub(1);
            }
        }
        beyond.retain(|_, c| *c > 0);
        if let Some(order) = podium_domain::ranking::diversify_prefix(&prefix, &beyond, end) {
            return order.into_iter().map(|i| keys[i].2).collect();
        }
        n *= 4;
    }
}

/// The stored form of a summary: compact JSON written and read without an intermediate tree.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSummary<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    slug: Cow<'a, str>,
    #[serde(borrow)]
    shop: Cow<'a, str>,
    #[serde(borrow)]
    shop_country: Cow<'a, str>,
    #[serde(borrow)]
    property: Cow<'a, str>,
    #[serde(borrow)]
    categories: Vec<Cow<'a, str>>,
    price_eur: i64,
    created: i64,
    in_stock: bool,
    #[serde(borrow)]
    titles: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    #[serde(borrow)]
    fallback: Cow<'a, str>,
    /// (territory as text, from, until) per window.
    #[serde(default)]
    windows: Vec<(String, i64, i64)>,
    #[serde(borrow, default)]
    hs: Cow<'a, str>,
    /// `*`, or the covered countries separated by commas.
    #[serde(borrow, default)]
    ships: Cow<'a, str>,
    #[serde(default)]
    native: Option<(String, i64)>,
    /// (currency, minor) per explicit lowest price.
    #[serde(default)]
    explicit: Vec<(String, i64)>,
}

fn encode_summary(s: &Summary, extra: &Extra) -> String {
    let stored = StoredSummary {
        id: Cow::Borrowed(&s.id),
        slug: Cow::Borrowed(&s.slug),
        shop: Cow::Borrowed(&s.shop),
        shop_country: Cow::Borrowed(&s.shop_country),
        property: Cow::Borrowed(&s.property),
        categories: s.categories.iter().map(|c| Cow::Borrowed(c.as_str())).collect(),
        price_eur: s.price_eur,
        created: s.created,
        in_stock: s.in_stock,
        titles: s.titles.iter().map(|(l, t)| (Cow::Borrowed(l.tag()), Cow::Borrowed(t.as_str()))).collect(),
        fallback: Cow::Borrowed(s.fallback.tag()),
        windows: extra.windows.iter().map(|w| (w.territory.to_string(), w.from_us, w.until_us)).collect(),
        hs: Cow::Borrowed(&extra.hs_code),
        ships: Cow::Owned(extra.ships_to.encode()),
        native: extra.native.map(|m| (m.currency.code().to_string(), m.minor)),
        explicit: extra.explicit.iter().map(|m| (m.currency.code().to_string(), m.minor)).collect(),
    };
    serde_json::to_string(&stored).unwrap_or_default()
}

fn decode_summary(json: &str) -> Option<(Summary, Extra)> {
    let s: StoredSummary = serde_json::from_str(json).ok()?;
    let extra = Extra {
        windows: s
            .windows
            .into_iter()
            .filter_map(|(t, from_us, until_us)| {
                Some(SaleWindow { territory: Territory::parse(&t).ok()?, from_us, until_us })
            })
            .collect(),
        hs_code: s.hs.into_owned(),
        ships_to: ShipsTo::decode(&s.ships),
        native: s.native.and_then(|(c, minor)| Some(Money::new(minor, Currency::parse(&c).ok()?))),
        explicit: s
            .explicit
            .into_iter()
            .filter_map(|(c, minor)| Some(Money::new(minor, Currency::parse(&c).ok()?)))
            .collect(),
    };
    let summary = Summary {
        id: s.id.into_owned(),
        slug: s.slug.into_owned(),
        shop: s.shop.into_owned(),
        shop_country: s.shop_country.into_owned(),
        property: s.property.into_owned(),
        categories: s.categories.into_iter().map(Cow::into_owned).collect(),
        price_eur: s.price_eur,
        created: s.created,
        in_stock: s.in_stock,
        titles: s.titles.into_iter().filter_map(|(l, t)| Some((Lang::from_tag(&l)?, t.into_owned()))).collect(),
        fallback: Lang::from_tag(&s.fallback)?,
        price: None,
    };
    Some((summary, extra))
}
