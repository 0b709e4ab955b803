//! The per-node product index. Documents carry the searchable text and the filter terms; each
//! hit maps (through its segment's document map, else its numeric key) to a slot of the
//! in-memory catalogue, whose packed numbers serve facets, sorting and the shop-diversity
//! re-rank, so counting matches touches no stored document. A page's ids, slugs and titles
//! come from the catalogue's text arena, or from the stored documents for products past its
//! byte budget. It never decides who may see a product or where it sells: app's storefront and
//! domain's licensing rules do.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use podium_app::catalogue::ProductRecord;
use podium_app::storefront;
use podium_domain::licensing::{self, SaleWindow};
use podium_domain::{Country, Currency, Lang, RateTable};

use tantivy::query::{Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::analysis::{self, CJK, EN, FR, WORDS};

mod correct;
mod query;

use catalog::*;
pub use query::typo_distance;
use ranking::*;
pub use summary::*;

pub(crate) fn poisoned<T>(_: T) -> SearchError {
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
pub(crate) struct FastHasher(u64);

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

pub(crate) type Fast = std::hash::BuildHasherDefault<FastHasher>;

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    pub(crate) key: Field,
    pub(crate) summary: Field,
    pub(crate) title_en: Field,
    pub(crate) desc_en: Field,
    pub(crate) title_fr: Field,
    pub(crate) desc_fr: Field,
    pub(crate) title_cjk: Field,
    pub(crate) desc_cjk: Field,
    pub(crate) words: Field,
    pub(crate) property: Field,
    pub(crate) category: Field,
    pub(crate) shop: Field,
    pub(crate) shop_country: Field,
}

/// A text field: terms with their frequencies (for BM25). No positions: Podium runs no phrase
/// queries, and recording them cost about a fifth of index build time.
pub(crate) fn text(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(IndexRecordOption::WithFreqs),
    )
}

pub(crate) fn schema() -> (Schema, Fields) {
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
pub(crate) fn key_of(id: &str) -> u64 {
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

pub(crate) fn on_sale(windows: &[SaleWindow], country: Option<Country>, at_us: i64) -> bool {
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
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) writer: Arc<Mutex<IndexWriter>>,
    pub(crate) fields: Fields,
    pub(crate) catalog: Arc<RwLock<Catalog>>,
    /// Moves whenever the catalogue changes (always while its write lock is held), so a view
    /// made under the read lock knows which catalogue it describes.
    pub(crate) generation: Arc<AtomicU64>,
    pub(crate) views: Arc<views::Views>,
    /// Bytes of ids, slugs and titles the catalogue keeps in memory (see [`texts`]).
    pub(crate) text_budget: usize,
    /// Each searchable segment's document → catalogue slot map (see [`DocSlots`]).
    pub(crate) slots: Arc<RwLock<DocSlots>>,
    /// Where the index lives on disk (`None` in memory).
    pub(crate) dir: Option<Arc<Path>>,
}

/// The default for [`SearchIndex::with_text_budget`]: every product's texts up to about
/// 175,000 of the demo's products (titles in five languages); beyond, page hits read theirs
/// from the stored documents.
pub const TEXT_BUDGET: usize = 64 << 20;

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent. Returns the index and the outbox
    /// position it had caught up to (0 for a new index).
    pub fn open(dir: &Path) -> Result<(SearchIndex, i64), SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
        let index = match Index::open_or_create(mmap, schema.clone()) {
            Ok(index) => index,
            // Written by a Podium whose documents had other fields: the index is derived from
            // the database, so it is emptied here and rebuilt by the caller.
            Err(tantivy::TantivyError::SchemaError(e)) => {
                tracing::info!(dir = %dir.display(), error = %e, "the search index has another schema; starting it afresh");
                let gone = |e: std::io::Error| SearchError::Directory(format!("{}: {e}", dir.display()));
                std::fs::remove_dir_all(dir).map_err(gone)?;
                std::fs::create_dir_all(dir).map_err(gone)?;
                let mmap =
                    tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
                Index::create(mmap, schema, tantivy::IndexSettings::default())?
            }
            Err(e) => return Err(e.into()),
        };
        Self::from_index(index, fields, Some(dir))
    }

    /// An index held in memory, for tests and throwaway nodes.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Ok(Self::from_index(Index::create_in_ram(schema), fields, None)?.0)
    }

    fn from_index(index: Index, fields: Fields, dir: Option<&Path>) -> Result<(SearchIndex, i64), SearchError> {
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
            generation: Arc::new(AtomicU64::new(0)),
            views: Arc::new(views::Views::default()),
            text_budget: TEXT_BUDGET,
            slots: Arc::new(RwLock::new(DocSlots::default())),
            dir: dir.map(Arc::from),
        };
        this.load_summaries()?;
        Ok((this, position))
    }

    /// The same index keeping at most `bytes` of product ids, slugs and titles in memory, in
    /// an in-memory catalogue of its own loaded from the stored documents (clones made before
    /// keep theirs).
    pub fn with_text_budget(mut self, bytes: usize) -> Result<SearchIndex, SearchError> {
        self.text_budget = bytes;
        self.catalog = Arc::new(RwLock::new(Catalog::with_text_budget(bytes)));
        self.generation = Arc::new(AtomicU64::new(0));
        self.views = Arc::new(views::Views::default());
        self.slots = Arc::new(RwLock::new(DocSlots::default()));
        self.load_summaries()?;
        Ok(self)
    }

    fn load_summaries(&self) -> Result<(), SearchError> {
        // On disk, the stored documents are read through mappings of their own, unmapped when
        // the load is done: every document is read once here and rarely after, and through
        // the node's own mappings their pages stayed resident (170 MiB at a million products).
        let loader = match &self.dir {
            Some(dir) => Some(
                Index::open_in_dir(dir)?.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?,
            ),
            None => None,
        };
        let searcher = loader.as_ref().unwrap_or(&self.reader).searcher();
        let mut catalog = Catalog::with_text_budget(self.text_budget);
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
        let with_texts = catalog.text_at.iter().zip(&catalog.live).filter(|(at, live)| **live && **at != texts::NONE);
        tracing::info!(
            products = catalog.len(),
            texts_in_memory = with_texts.count(),
            text_bytes = catalog.texts.bytes(),
            "search catalogue loaded"
        );
        drop(searcher);
        drop(loader);
        let mut current = self.catalog.write().map_err(poisoned)?;
        *current = catalog;
        self.changed();
        drop(current);
        self.refresh_slots(true)
    }

    /// Marks the catalogue changed: kept views describe it no longer. Called with the
    /// catalogue's write lock held.
    fn changed(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.views.clear();
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
            native: None,
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
        self.commit_only(position)?;
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
        // Even an empty batch (trade rules, a shop's rounding) changes what listings show.
        self.changed();
        drop(catalog);
        self.refresh_slots(false)
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        let writer = self.writer.lock().map_err(|_| SearchError::Directory("index writer poisoned".into()))?;
        writer.delete_all_documents()?;
        drop(writer);
        let mut catalog = self.catalog.write().map_err(poisoned)?;
        *catalog = Catalog::with_text_budget(self.text_budget);
        self.changed();
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
        self.changed();
        Ok(())
    }

    /// Commits what was added, with `position` as the outbox position caught up to; the
    /// catalogue must already hold it (as [`Self::add_uncommitted`] leaves it).
    pub fn commit(&self, position: i64) -> Result<(), SearchError> {
        self.commit_only(position)?;
        self.refresh_slots(false)
    }

    fn commit_only(&self, position: i64) -> Result<(), SearchError> {
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

    /// Up to `limit` products whose titles start like `q` as typed so far, best first.
    pub fn suggest(&self, q: &str, country: Option<Country>, limit: usize) -> Result<Vec<Summary>, SearchError> {
        let Some(query) = self.text_query(q.trim(), true) else { return Ok(Vec::new()) };
        let searcher = self.reader.searcher();
        let mut hits = searcher.search(&query, &KeyCollector { scoring: true, slots: self.doc_slots()? })?;
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let catalog = self.catalog.read().map_err(poisoned)?;
        let now = licensing::micros(time::OffsetDateTime::now_utc());
        let mut missing = Vec::new();
        let mut out = Vec::with_capacity(limit);
        for (key, slot) in hits
            .into_iter()
            .filter_map(|(k, _, hint)| {
                let slot = catalog.slot_of(k, hint)?;
                Some((k, (slot, &catalog.compact[slot as usize])))
            })
            .filter(|(_, (_, c))| country.is_none_or(|to| catalog.ship_sets[c.ships_to as usize].covers(to)))
            .map(|(k, (slot, _))| (k, slot))
            .filter(|(_, slot)| on_sale(catalog.windows_of(*slot), country, now))
            .take(limit)
        {
            let Some((s, has_texts)) = catalog.summary(slot) else { continue };
            if !has_texts {
                missing.push((out.len(), key));
            }
            out.push(s);
        }
        drop(catalog);
        self.filled(out, &missing)
    }
}
mod catalog;
mod listing;
mod ranking;
mod summary;
mod texts;
mod views;
