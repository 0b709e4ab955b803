//! Podium's search: a tantivy index per node, kept current by following the outbox.
//!
//! The index is never the source of truth: `podium reindex` rebuilds it from the database,
//! and a node that starts with an index behind the outbox catches up before it says it is
//! ready. Analysis is language-aware (English and French stemming, CJK bigrams), queries
//! tolerate typos and expand synonyms (data in `synonyms/`), a query that finds nothing gets
//! a "did you mean" built from the index's own words, and results pass through the
//! shop-diversity re-rank of `podium_domain::ranking`.

pub mod analysis;
mod follow;
mod index;
mod port;
mod stem;
pub mod synonyms;

pub use follow::{catch_up, rebuild, Follower};
/// The stored document format; a node whose index was written in another format rebuilds it.
/// 2: documents carry each product's licence sale windows.
/// 3: and its HS code, shipping coverage and explicit prices (display prices per query).
/// 4: text fields keep term frequencies but no positions (no query reads them).
pub const INDEX_FORMAT: u32 = 4;

pub use index::{
    typo_distance, Facets, Pricing, SearchError, SearchIndex, SearchQuery, SearchResult, ShipsTo, Sort, Summary,
    TEXT_BUDGET,
};
