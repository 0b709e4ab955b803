//! What a search engine may index: the catalogue and stories any visitor can open, without
//! signing in. Products are listed only once their licensor approved them and while they are
//! live; only published stories are listed. The web layer turns these into addresses.

use time::OffsetDateTime;

use crate::catalogue::ProductFilter;
use crate::stories::StoryQuery;
use crate::{Store, StoreResult};
use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;

/// A public page: what it is of, its slug, and when it last changed (if known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPage {
    pub kind: PageKind,
    pub slug: String,
    pub updated: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Product,
    Property,
    Category,
    Shop,
    Story,
}

/// How many records are read at a time.
const BATCH: i64 = 1000;

/// Every public page of the catalogue and the stories, teams first, then categories, shops,
/// stories and products (newest first).
pub async fn public_pages(store: &dyn Store) -> StoreResult<Vec<PublicPage>> {
    let page = |kind, slug: &str, updated| PublicPage { kind, slug: slug.to_string(), updated };
    let mut out: Vec<PublicPage> = Vec::new();
    out.extend(store.properties().await?.iter().map(|p| page(PageKind::Property, &p.slug, None)));
    out.extend(store.categories().await?.iter().map(|c| page(PageKind::Category, &c.slug, None)));
    out.extend(store.orgs_of_kind(OrgKind::Shop).await?.iter().map(|o| page(PageKind::Shop, &o.slug, None)));
    let mut before = None;
    loop {
        let q = StoryQuery { status: Some(StoryStatus::Published), before, limit: BATCH, ..StoryQuery::default() };
        let stories = store.stories(&q).await?;
        out.extend(stories.iter().map(|s| page(PageKind::Story, &s.slug, Some(s.updated_at))));
        match stories.last().and_then(|s| s.published_at) {
            Some(at) if stories.len() as i64 == BATCH => before = Some(at),
            _ => break,
        }
    }
    let mut offset = 0;
    loop {
        let filter = ProductFilter { live_only: true, limit: BATCH, offset, ..ProductFilter::default() };
        let (products, _) = store.products(&filter).await?;
        let n = products.len() as i64;
        out.extend(
            products
                .iter()
                .filter(|p| crate::storefront::is_public(p))
                .map(|p| page(PageKind::Product, &p.slug, p.approved_at)),
        );
        if n < BATCH {
            break;
        }
        offset += n;
    }
    Ok(out)
}
