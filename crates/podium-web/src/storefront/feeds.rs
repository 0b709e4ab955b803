//! Atom feeds (RFC 4287): every published story, and per team (property) and shop their
//! stories and newly approved products; and what story pages say of themselves in `<head>`.
//! Every link in a feed is absolute, on the public address; a feed asked for under a language
//! prefix (`/ko/stories/feed.atom`) is in that language and links to that language's pages.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use podium_app::catalogue::{ProductFilter, ProductRecord};
use podium_app::stories::{StoryQuery, StoryRecord};
use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;
use serde_json::json;
use time::OffsetDateTime;

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::story_card::{story_card, StoryCard};
use crate::AppState;

/// Where a feed's links start: the public address, and the language prefix it was asked under.
fn links_base(v: &Visitor) -> String {
    let origin = v.origin.trim_end_matches('/');
    match v.path_lang {
        Some(l) => format!("{origin}/{}", l.tag()),
        None => origin.to_string(),
    }
}

/// Every published story, newest first.
pub async fn stories_atom(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let title = format!("{} · {}", v.tr.t("stories-title"), v.tr.t("site-name"));
    let feed = Feed { origin: links_base(&v), title: &title, path: "/stories" };
    atom_of(&state, v, &feed, StoryQuery::default(), None).await
}

/// The stories index offers the site-wide feed.
pub fn index_head(layout: Layout) -> Layout {
    let title = layout.tr.t("stories-title");
    let description = layout.tr.t("meta-stories");
    layout.titled(title.clone(), &description).feed(&title, "/stories/feed.atom")
}

/// A story's page: its title and teaser, its cover, and a schema.org `Article`.
pub fn story_head(layout: Layout, s: &StoryRecord, card: &StoryCard, cover: &str) -> Layout {
    let layout = layout.titled(card.title.clone(), &card.teaser).og_type("article");
    let layout = if cover.is_empty() { layout } else { layout.image(cover, &card.title) };
    let feed_title = layout.tr.t("stories-title");
    let head = &layout.head;
    let article = json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": card.title,
        "description": head.description,
        "url": head.canonical,
        "mainEntityOfPage": head.canonical,
        "image": head.image,
        "datePublished": s.published_at.map(rfc3339),
        "author": {"@type": "Organization", "name": s.author.name},
        "publisher": crate::kit::head::organization(head),
    });
    let home = layout.tr.t("breadcrumb-home");
    let trail =
        [(home, "/".to_string()), (feed_title.clone(), "/stories".to_string()), (card.title.clone(), String::new())];
    layout.ld(article).crumbs(&trail).feed(&feed_title, "/stories/feed.atom")
}

/// What an Atom feed is of: where its links start (the public address, with the feed's
/// language prefix when it was asked for in one), a title, and the page it mirrors.
struct Feed<'a> {
    origin: String,
    title: &'a str,
    path: &'a str,
}

/// An Atom feed of a property's or a shop's stories and newly approved products, newest first.
fn atom(tr: &Tr, feed: &Feed<'_>, stories: &[StoryRecord], products: &[ProductRecord]) -> Response {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    }
    let base = &feed.origin;
    let entry = |path: &str, title: &str, at: OffsetDateTime, author: &str, summary: &str| {
        format!(
            "<entry><id>{base}{path}</id><title>{}</title><link href=\"{base}{path}\"/><updated>{}</updated>\
             <author><name>{}</name></author><summary>{}</summary></entry>",
            esc(title),
            rfc3339(at),
            esc(author),
            esc(summary),
        )
    };
    let mut entries: Vec<(OffsetDateTime, String)> = Vec::new();
    for s in stories {
        let Some(at) = s.published_at else { continue };
        let card = story_card(tr, s);
        entries.push((at, entry(&format!("/stories/{}", s.slug), &card.title, at, &s.author.name, &card.teaser)));
    }
    for p in products {
        let Some(at) = p.approved_at else { continue };
        let title = podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
        let summary = tr.t1("feed-new-product", "shop", &p.shop.name);
        entries.push((at, entry(&format!("/products/{}", p.slug), &title, at, &p.shop.name, &summary)));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries.truncate(30);
    let updated = entries.first().map(|e| rfc3339(e.0)).unwrap_or_else(|| rfc3339(OffsetDateTime::UNIX_EPOCH));
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\
         <id>{base}{path}/feed.atom</id><title>{title}</title><updated>{updated}</updated>\
         <link rel=\"self\" href=\"{base}{path}/feed.atom\"/><link href=\"{base}{path}\"/>",
        lang = tr.lang.tag(),
        path = feed.path,
        title = esc(feed.title),
    );
    for (_, e) in entries {
        xml.push_str(&e);
    }
    xml.push_str("</feed>\n");
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The newest approved, live products of a property or a shop, for its Atom feed.
async fn newest_products(state: &AppState, tr: &Tr, filter: ProductFilter) -> Result<Vec<ProductRecord>, PageError> {
    let filter = ProductFilter { live_only: true, limit: 500, ..filter };
    let (mut products, _) = state.store.products(&filter).await.map_err(internal(tr))?;
    products.retain(podium_app::storefront::is_public);
    products.sort_by_key(|p| std::cmp::Reverse(p.approved_at));
    products.truncate(20);
    Ok(products)
}

pub async fn property_atom(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(p) = state.store.property_by_slug(&slug).await.map_err(internal(&tr))? else {
        return Err(PageError::not_found(tr));
    };
    let stories = StoryQuery { property_id: Some(p.id.clone()), ..StoryQuery::default() };
    let products = ProductFilter { property_slug: Some(slug.clone()), ..ProductFilter::default() };
    let feed = Feed { origin: links_base(&v), title: &p.name, path: &format!("/properties/{slug}") };
    atom_of(&state, v, &feed, stories, Some(products)).await
}

pub async fn shop_atom(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(shop) = state.store.org_by_slug(&slug).await.map_err(internal(&tr))?.filter(|o| o.kind == OrgKind::Shop)
    else {
        return Err(PageError::not_found(tr));
    };
    let stories = StoryQuery { author_id: Some(shop.id.clone()), ..StoryQuery::default() };
    let products = ProductFilter { shop_slug: Some(slug.clone()), ..ProductFilter::default() };
    let feed = Feed { origin: links_base(&v), title: &shop.name, path: &format!("/shops/{slug}") };
    atom_of(&state, v, &feed, stories, Some(products)).await
}

/// The Atom feed of the published stories and the newest products a query and a filter find.
async fn atom_of(
    state: &AppState,
    v: Visitor,
    feed: &Feed<'_>,
    stories: StoryQuery,
    products: Option<ProductFilter>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let query = StoryQuery { status: Some(StoryStatus::Published), limit: 20, ..stories };
    let stories = state.store.stories(&query).await.map_err(internal(&tr))?;
    let products = match products {
        Some(filter) => newest_products(state, &tr, filter).await?,
        None => Vec::new(),
    };
    let body = atom(&tr, feed, &stories, &products);
    Ok(v.respond(body))
}
