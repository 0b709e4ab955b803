//! Stories as fans read them: the index, a story's page, the followed feed, following and
//! unsubscribing from story mail.

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::day;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::product_card::Card;
use crate::kit::render::render;
use crate::kit::story_card::{own_cover, story_card, StoryCard};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::ProductRecord;
use podium_app::stories::{self, FeedItem, FollowKind, StoryQuery, StoryRecord};
use podium_domain::role::OrgKind;
use podium_domain::story::{self, Block, StoryStatus, Video};
use serde::Deserialize;
use time::OffsetDateTime;

pub(crate) const PER_PAGE: i64 = 12;

/// The published stories about a property or by an organisation, newest first (for the pages
/// of properties and shops).
pub async fn stories_for(
    state: &AppState,
    tr: &Tr,
    property_id: Option<&str>,
    author_id: Option<&str>,
    limit: i64,
) -> Result<Vec<StoryCard>, PageError> {
    let found = state
        .store
        .stories(&StoryQuery {
            status: Some(StoryStatus::Published),
            property_id: property_id.map(str::to_string),
            author_id: author_id.map(str::to_string),
            limit,
            ..StoryQuery::default()
        })
        .await
        .map_err(internal(tr))?;
    Ok(found.iter().map(|s| story_card(tr, s)).collect())
}

/// Published stories whose title or summary holds the words, newest first (search results).
pub async fn stories_matching(state: &AppState, tr: &Tr, q: &str, limit: i64) -> Result<Vec<StoryCard>, PageError> {
    let found = state
        .store
        .stories(&StoryQuery {
            status: Some(StoryStatus::Published),
            text: Some(q.chars().take(100).collect()),
            limit,
            ..StoryQuery::default()
        })
        .await
        .map_err(internal(tr))?;
    Ok(found.iter().map(|s| story_card(tr, s)).collect())
}

/// A follow button's state: what, whom, how many follow, whether the visitor does.
pub struct FollowView {
    /// Whom the button follows, when the page is about something else (a team's licensor).
    pub who: String,
    pub kind: &'static str,
    pub target: String,
    pub following: bool,
    pub count_text: String,
    pub back: String,
}

pub async fn follow_view(
    state: &AppState,
    v: &Visitor,
    kind: FollowKind,
    target_id: &str,
    back: &str,
) -> Result<FollowView, PageError> {
    let tr = &v.tr;
    let count = state.store.follower_count(kind, target_id).await.map_err(internal(tr))?;
    let following = match &v.principal {
        Some(p) => state
            .store
            .follows_of(&p.user.id)
            .await
            .map_err(internal(tr))?
            .iter()
            .any(|(k, t)| *k == kind && t == target_id),
        None => false,
    };
    Ok(FollowView {
        who: String::new(),
        kind: kind.as_str(),
        target: target_id.to_string(),
        following,
        count_text: if count == 1 {
            tr.t("follow-count-one")
        } else {
            tr.t1("follow-count", "count", &count.to_string())
        },
        back: back.to_string(),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) before: String,
    /// Only the stories about this licensor's properties.
    #[serde(default)]
    pub(crate) licensor: String,
}

pub(crate) fn before_of(q: &ListQuery) -> Option<OffsetDateTime> {
    q.before.parse::<i128>().ok().and_then(|us| OffsetDateTime::from_unix_timestamp_nanos(us.saturating_mul(1000)).ok())
}

pub(crate) fn cursor(at: OffsetDateTime) -> String {
    (at.unix_timestamp_nanos() / 1000).to_string()
}

#[derive(Template)]
#[template(path = "stories.html")]
pub(crate) struct IndexPage {
    pub(crate) layout: Layout,
    pub(crate) stories: Vec<StoryCard>,
    pub(crate) next: Option<String>,
}

pub(crate) async fn index(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let licensor = match q.licensor.as_str() {
        "" => None,
        slug => match state.store.org_by_slug(slug).await.map_err(internal(&tr))? {
            Some(o) if o.kind == OrgKind::Licensor => Some(o.id),
            _ => return Err(PageError::not_found(tr)),
        },
    };
    let found = state
        .store
        .stories(&StoryQuery {
            status: Some(StoryStatus::Published),
            licensor_id: licensor,
            before: before_of(&q),
            limit: PER_PAGE + 1,
            ..StoryQuery::default()
        })
        .await
        .map_err(internal(&tr))?;
    let next = (found.len() as i64 > PER_PAGE)
        .then(|| found.get(PER_PAGE as usize - 1).and_then(|s| s.published_at).map(cursor))
        .flatten();
    let stories = found.iter().take(PER_PAGE as usize).map(|s| story_card(&tr, s)).collect();
    let page = IndexPage { layout: crate::storefront::feeds::index_head(Layout::new(&v)), stories, next };
    Ok(render(v, StatusCode::OK, page))
}

pub(crate) struct BlockView {
    pub(crate) kind: &'static str,
    pub(crate) text: String,
    pub(crate) src: String,
}

pub(crate) fn blocks(body: &str) -> Vec<BlockView> {
    story::read_body(body)
        .into_iter()
        .map(|b| match b {
            Block::Heading(t) => BlockView { kind: "h", text: t, src: String::new() },
            Block::Paragraph(t) => BlockView { kind: "p", text: t, src: String::new() },
            Block::Image { src, alt } => BlockView { kind: "img", text: alt, src },
        })
        .collect()
}

/// A featured product as the story shows it: a card, and the SKU its add-to-cart button adds.
pub(crate) struct Featured {
    pub(crate) id: String,
    pub(crate) card: Card,
    pub(crate) sku: String,
}

/// The featured products the visitor can buy where they ship to, at their price.
pub(crate) async fn featured(state: &AppState, v: &Visitor, ids: &[String]) -> Result<Vec<Featured>, PageError> {
    let tr = &v.tr;
    let products: Vec<ProductRecord> = state.store.products_by_ids(ids).await.map_err(internal(tr))?;
    let reference = state.reference.get(state.store.as_ref()).await.map_err(internal(tr))?;
    let pres = v.shopper().presentment(&reference, state.clock.now().date());
    let ctx = reference.context(state.clock.now());
    let mut out = Vec::new();
    for id in ids {
        let Some(p) = products.iter().find(|p| &p.id == id) else { continue };
        let Some(variant) = p.variants.iter().find(|x| x.available > 0).or(p.variants.first()) else { continue };
        let public = podium_app::storefront::is_public(p);
        if !public || podium_app::quote::deliverable(p, v.prefs.country, &ctx).is_err() {
            continue;
        }
        let price = pres.from_price(p).ok().flatten();
        out.push(Featured {
            id: p.id.clone(),
            card: crate::kit::product_card::card(tr, p, price),
            sku: if variant.available > 0 { format!("{}:{}", p.shop.slug, variant.sku) } else { String::new() },
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "story.html")]
pub(crate) struct StoryPage {
    pub(crate) layout: Layout,
    pub(crate) title: String,
    pub(crate) lang: &'static str,
    pub(crate) is_fallback: bool,
    pub(crate) byline: String,
    pub(crate) date: String,
    pub(crate) cover: String,
    pub(crate) blocks: Vec<BlockView>,
    pub(crate) video: Option<Video>,
    pub(crate) featured: Vec<Featured>,
    pub(crate) follow: Option<FollowView>,
    pub(crate) preview: Option<String>,
    pub(crate) about_href: String,
}

/// Whether the visitor may see the story before it is published: its author's members, and
/// the reviewing licensor's.
pub(crate) fn insider(v: &Visitor, s: &StoryRecord) -> bool {
    v.principal
        .as_ref()
        .is_some_and(|p| p.orgs.iter().any(|o| o.id == s.author.id || Some(&o.id) == s.licensor_id.as_ref()))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(s) = state.store.story_by_slug(&slug).await.map_err(internal(&tr))? else {
        return Err(PageError::not_found(tr));
    };
    let published = s.status == StoryStatus::Published;
    if !published && !insider(&v, &s) {
        return Err(PageError::not_found(tr));
    }
    let Some(text) = s.text(tr.lang).cloned() else { return Err(PageError::not_found(tr)) };
    let featured = featured(&state, &v, &s.draft.product_ids).await?;
    let back = format!("/stories/{}", s.slug);
    let follow = match &s.property {
        Some(p) => Some(follow_view(&state, &v, FollowKind::Property, &p.id, &back).await?),
        None => None,
    };
    let card = story_card(&tr, &s);
    let page = StoryPage {
        layout: crate::storefront::feeds::story_head(Layout::new(&v), &s, &card, &own_cover(&s)),
        title: text.title.clone(),
        lang: text.lang.tag(),
        is_fallback: text.lang != tr.lang,
        byline: card.byline,
        date: card.date,
        cover: own_cover(&s),
        blocks: blocks(&text.body),
        video: (!s.draft.video_url.is_empty()).then(|| Video::parse(&s.draft.video_url).ok()).flatten(),
        featured,
        follow,
        preview: (!published).then(|| tr.t(&format!("story-status-{}", s.status.as_str()))),
        about_href: s.property.as_ref().map(|p| format!("/properties/{}", p.slug)).unwrap_or_default(),
    };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
pub(crate) struct FollowForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) target: String,
    #[serde(default)]
    pub(crate) back: String,
    #[serde(default)]
    pub(crate) unfollow: String,
}

/// Only same-site paths are followed back (the rule `next` at sign-in follows too).
pub(crate) fn safe_back(tr: &crate::kit::i18n::Tr, back: &str) -> Result<String, PageError> {
    crate::kit::render::safe_target(tr, back, "/feed")
}

pub(crate) async fn follow(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<FollowForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let back = safe_back(&v.tr, &f.back)?;
    let Some(p) = &v.principal else {
        return Ok(v.respond(Redirect::to(&format!("/signin?next={back}"))));
    };
    let tr = v.tr.clone();
    let Some(kind) = FollowKind::parse(&f.kind) else { return Err(PageError::not_found(tr)) };
    // Only what exists may be followed.
    let exists = match kind {
        FollowKind::Property => state.store.properties().await.map_err(internal(&tr))?.iter().any(|x| x.id == f.target),
        FollowKind::Shop | FollowKind::Licensor => {
            let org_kind = if kind == FollowKind::Shop { OrgKind::Shop } else { OrgKind::Licensor };
            state.store.orgs_of_kind(org_kind).await.map_err(internal(&tr))?.iter().any(|o| o.id == f.target)
        }
    };
    if !exists {
        return Err(PageError::not_found(tr));
    }
    if f.unfollow.is_empty() {
        state.store.follow(&p.user.id, kind, &f.target, state.clock.now()).await.map_err(internal(&tr))?;
    } else {
        state.store.unfollow(&p.user.id, kind, &f.target).await.map_err(internal(&tr))?;
    }
    Ok(v.respond(Redirect::to(&back)))
}

pub(crate) struct FeedEntry {
    pub(crate) is_new: bool,
    pub(crate) when: String,
    pub(crate) story: Option<StoryCard>,
    pub(crate) product: Option<Card>,
    /// A drop: what it says, and where it is.
    pub(crate) drop: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "feed.html")]
pub(crate) struct FeedPage {
    pub(crate) layout: Layout,
    pub(crate) entries: Vec<FeedEntry>,
    pub(crate) next: Option<String>,
    pub(crate) follows_nothing: bool,
}

pub(crate) async fn feed(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let Some(p) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to("/signin?next=/feed")));
    };
    let tr = v.tr.clone();
    let store = state.store.as_ref();
    let now = state.clock.now();
    let before = before_of(&q);
    // The first page marks the feed read; what is newer than the last read is "new".
    let seen =
        if before.is_none() { store.mark_feed_read(&p.user.id, now).await.map_err(internal(&tr))? } else { None };
    let follows_nothing = store.follows_of(&p.user.id).await.map_err(internal(&tr))?.is_empty();
    let items = stories::feed(store, &p.user.id, before.unwrap_or(now + time::Duration::seconds(1)), PER_PAGE + 1)
        .await
        .map_err(internal(&tr))?;
    let next = (items.len() as i64 > PER_PAGE).then(|| cursor(items[PER_PAGE as usize - 1].0));
    let product_ids: Vec<String> = items
        .iter()
        .filter_map(|(_, i)| match i {
            FeedItem::Product(id) => Some(id.clone()),
            FeedItem::Drop(d) => Some(d.product_id.clone()),
            FeedItem::Story(_) => None,
        })
        .collect();
    let mut cards = featured(&state, &v, &product_ids).await?;
    let mut entries = Vec::new();
    for (at, item) in items.into_iter().take(PER_PAGE as usize) {
        let (story, product, drop) = match item {
            FeedItem::Story(s) => (Some(story_card(&tr, &s)), None, None),
            FeedItem::Product(id) => {
                // Products the fan cannot buy where they are do not appear.
                let Some(i) = cards.iter().position(|f| f.id == id) else { continue };
                (None, Some(cards.remove(i).card), None)
            }
            FeedItem::Drop(d) => {
                let Some(f) = cards.iter().find(|f| f.id == d.product_id) else { continue };
                let what = tr.tn(
                    "feed-drop",
                    &[("quantity", &d.quantity.to_string()), ("at", &crate::kit::format::date(d.starts_at))],
                );
                (None, Some(f.card.clone()), Some((what, format!("/drops/{}", d.id))))
            }
        };
        entries.push(FeedEntry { is_new: seen.is_some_and(|s| at > s), when: day(at), story, product, drop });
    }
    let page = FeedPage { layout: Layout::new(&v), entries, next, follows_nothing };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize, Default)]
pub(crate) struct UnsubscribeQuery {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) sig: String,
}

#[derive(Template)]
#[template(path = "unsubscribed.html")]
pub(crate) struct UnsubscribedPage {
    pub(crate) layout: Layout,
    pub(crate) done: bool,
}

/// The one-click unsubscribe link of the new-story e-mails: signed for the address, so it works
/// without signing in and cannot be forged for another address.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<Response, PageError> {
    let valid = podium_app::stories::unsubscribe_signature_ok(&state.config.shared_secret.0, &q.email, &q.sig);
    if valid {
        state.store.unsubscribe_stories(&q.email).await.map_err(internal(&v.tr))?;
    }
    let status = if valid { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = UnsubscribedPage { layout: Layout::new(&v), done: valid };
    Ok(render(v, status, page))
}

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/stories", index)
        .get("/stories/{slug}", page)
        .post("/follow", follow)
        .get("/feed", feed)
        .get("/unsubscribe", unsubscribe)
        .get("/properties/{slug}/feed.atom", crate::storefront::feeds::property_atom)
        .get("/shops/{slug}/feed.atom", crate::storefront::feeds::shop_atom)
        .get("/stories/feed.atom", crate::storefront::feeds::stories_atom)
}
