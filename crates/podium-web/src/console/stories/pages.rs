//! Stories, following and the fan's feed, as pages: the stories index and a story's page with
//! its featured products (only those the fan can buy, at the fan's price, with an add-to-cart
//! button), follow buttons, the feed (what the followed properties, shops and licensors
//! published and released, newest first, what is new since the last visit marked), the fan's
//! follows (the Atom feeds are in `feeds`), and the consoles where licensors and shops write
//! stories and licensors review the stories shops write about their properties.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::catalogue::{ProductFilter, ProductRecord};
use podium_app::stories::{
    self, Author, FeedItem, FollowKind, StoryDraft, StoryField, StoryQuery, StoryRecord, StoryText, StoryUseError,
};
use podium_app::{Org, StoreError};
use podium_domain::role::OrgKind;
use podium_domain::story::{self, Block, StoryStatus, Video};
use podium_domain::Lang;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::kit::context::{CsrfForm, Visitor};
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::storefront::catalogue::Card;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    let uploads = crate::routes::Routes::new()
        .post("/console/stories/{org}/images", upload_image)
        // The 8 MiB image limit plus room for the form's other fields.
        .map(|r| r.layer(axum::extract::DefaultBodyLimit::max(podium_app::media::MAX_BYTES + 64 * 1024)));
    crate::routes::Routes::new()
        .merge(uploads)
        .get("/stories", index)
        .get("/stories/{slug}", page)
        .post("/follow", follow)
        .get("/feed", feed)
        .get("/account/follows", follows)
        .post("/account/notifications", notifications)
        .get("/unsubscribe", unsubscribe)
        .get("/properties/{slug}/feed.atom", crate::storefront::feeds::property_atom)
        .get("/shops/{slug}/feed.atom", crate::storefront::feeds::shop_atom)
        .get("/stories/feed.atom", crate::storefront::feeds::stories_atom)
        .get("/console/stories/{org}", console_list)
        .post("/console/stories/{org}", console_create)
        .get("/console/stories/{org}/{id}", console_edit)
        .post("/console/stories/{org}/{id}", console_save)
        .post("/console/stories/{org}/{id}/publish", console_publish)
        .post("/console/stories/{org}/{id}/withdraw", console_withdraw)
        .get("/console/licensing/{org}/stories", review_queue)
        .post("/console/licensing/{org}/stories/{id}/review", review)
}

const PER_PAGE: i64 = 12;

fn internal(tr: &Tr) -> impl Fn(StoreError) -> PageError + '_ {
    move |e| PageError::internal(tr.clone(), e)
}

/// A day as pages show dates elsewhere (ISO 8601, the same in every language).
fn date(at: OffsetDateTime) -> String {
    at.date().to_string()
}

/// A story as a card shows it.
pub struct StoryCard {
    pub slug: String,
    pub title: String,
    pub teaser: String,
    pub lang: &'static str,
    pub is_fallback: bool,
    pub byline: String,
    pub date: String,
    pub cover: String,
}

pub fn story_card(tr: &Tr, s: &StoryRecord) -> StoryCard {
    let text = s.text(tr.lang);
    let teaser = text
        .map(|t| if t.summary.is_empty() { story::teaser(&story::read_body(&t.body), 180) } else { t.summary.clone() })
        .unwrap_or_default();
    StoryCard {
        slug: s.slug.clone(),
        title: text.map(|t| t.title.clone()).unwrap_or_default(),
        teaser,
        lang: text.map(|t| t.lang.tag()).unwrap_or("en"),
        is_fallback: text.is_some_and(|t| t.lang != tr.lang),
        byline: match &s.property {
            Some(p) if p.id != s.author.id => {
                tr.tn("story-by-about", &[("author", &s.author.name), ("property", &p.name)])
            }
            _ => tr.t1("story-by", "author", &s.author.name),
        },
        date: s.published_at.map(date).unwrap_or_default(),
        cover: own_cover(s),
    }
}

/// The story's cover when it is one of Podium's own images (an older story may name another
/// site's, which is not shown).
pub(crate) fn own_cover(s: &StoryRecord) -> String {
    if story::is_own_image(&s.draft.cover) {
        s.draft.cover.clone()
    } else {
        String::new()
    }
}

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
struct ListQuery {
    #[serde(default)]
    before: String,
    /// Only the stories about this licensor's properties.
    #[serde(default)]
    licensor: String,
}

fn before_of(q: &ListQuery) -> Option<OffsetDateTime> {
    q.before.parse::<i128>().ok().and_then(|us| OffsetDateTime::from_unix_timestamp_nanos(us.saturating_mul(1000)).ok())
}

fn cursor(at: OffsetDateTime) -> String {
    (at.unix_timestamp_nanos() / 1000).to_string()
}

#[derive(Template)]
#[template(path = "stories.html")]
struct IndexPage {
    layout: Layout,
    stories: Vec<StoryCard>,
    next: Option<String>,
}

async fn index(State(state): State<AppState>, v: Visitor, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
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

struct BlockView {
    kind: &'static str,
    text: String,
    src: String,
}

fn blocks(body: &str) -> Vec<BlockView> {
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
struct Featured {
    id: String,
    card: Card,
    sku: String,
}

/// The featured products the visitor can buy where they ship to, at their price.
async fn featured(state: &AppState, v: &Visitor, ids: &[String]) -> Result<Vec<Featured>, PageError> {
    let tr = &v.tr;
    let products: Vec<ProductRecord> = state.store.products_by_ids(ids).await.map_err(internal(tr))?;
    let reference = state.reference.get(state.store.as_ref()).await.map_err(internal(tr))?;
    let pres = v.shopper().presentment(&reference, state.clock.now().date());
    let now = state.clock.now();
    let mut out = Vec::new();
    for id in ids {
        let Some(p) = products.iter().find(|p| &p.id == id) else { continue };
        let public = p.status == podium_app::catalogue::ProductStatus::Live && p.approved_at.is_some();
        let sellable = podium_domain::licensing::sellable(
            podium_app::licensing::offer_of(p),
            &p.agreements,
            &reference.categories,
            v.prefs.country,
            now,
        )
        .is_ok();
        let Some(variant) = p.variants.iter().find(|x| x.available > 0).or(p.variants.first()) else { continue };
        if !public || !sellable || !p.ships_to(v.prefs.country) {
            continue;
        }
        let price = pres.from_price(p).ok().flatten();
        out.push(Featured {
            id: p.id.clone(),
            card: crate::storefront::catalogue::card(tr, p, price),
            sku: if variant.available > 0 { format!("{}:{}", p.shop.slug, variant.sku) } else { String::new() },
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "story.html")]
struct StoryPage {
    layout: Layout,
    title: String,
    lang: &'static str,
    is_fallback: bool,
    byline: String,
    date: String,
    cover: String,
    blocks: Vec<BlockView>,
    video: Option<Video>,
    featured: Vec<Featured>,
    follow: Option<FollowView>,
    preview: Option<String>,
    about_href: String,
}

/// Whether the visitor may see the story before it is published: its author's members, and
/// the reviewing licensor's.
fn insider(v: &Visitor, s: &StoryRecord) -> bool {
    v.principal
        .as_ref()
        .is_some_and(|p| p.orgs.iter().any(|o| o.id == s.author.id || Some(&o.id) == s.licensor_id.as_ref()))
}

async fn page(State(state): State<AppState>, v: Visitor, Path(slug): Path<String>) -> Result<Response, PageError> {
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
struct FollowForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    unfollow: String,
}

/// Only same-site paths are followed back (the rule `next` at sign-in follows too).
fn safe_back(tr: &crate::kit::i18n::Tr, back: &str) -> Result<String, PageError> {
    crate::kit::render::safe_target(tr, back, "/feed")
}

async fn follow(State(state): State<AppState>, v: Visitor, Form(f): Form<FollowForm>) -> Result<Response, PageError> {
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

struct FeedEntry {
    is_new: bool,
    when: String,
    story: Option<StoryCard>,
    product: Option<Card>,
    /// A drop: what it says, and where it is.
    drop: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    layout: Layout,
    entries: Vec<FeedEntry>,
    next: Option<String>,
    follows_nothing: bool,
}

async fn feed(State(state): State<AppState>, v: Visitor, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
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
        entries.push(FeedEntry { is_new: seen.is_some_and(|s| at > s), when: date(at), story, product, drop });
    }
    let page = FeedPage { layout: Layout::new(&v), entries, next, follows_nothing };
    Ok(render(v, StatusCode::OK, page))
}

struct FollowRow {
    kind: &'static str,
    kind_label: String,
    target: String,
    name: String,
    href: String,
}

#[derive(Template)]
#[template(path = "follows.html")]
struct FollowsPage {
    layout: Layout,
    rows: Vec<FollowRow>,
    story_mails: bool,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn follows(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let Some(p) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to("/signin?next=/account/follows")));
    };
    let tr = v.tr.clone();
    let store = state.store.as_ref();
    let properties = store.properties().await.map_err(internal(&tr))?;
    let mut orgs = store.orgs_of_kind(OrgKind::Shop).await.map_err(internal(&tr))?;
    orgs.extend(store.orgs_of_kind(OrgKind::Licensor).await.map_err(internal(&tr))?);
    let mut rows = Vec::new();
    for (kind, target) in store.follows_of(&p.user.id).await.map_err(internal(&tr))? {
        let (name, href) = match kind {
            FollowKind::Property => match properties.iter().find(|x| x.id == target) {
                Some(x) => (x.name.clone(), format!("/properties/{}", x.slug)),
                None => continue,
            },
            FollowKind::Shop => match orgs.iter().find(|o| o.id == target) {
                Some(o) => (o.name.clone(), format!("/shops/{}", o.slug)),
                None => continue,
            },
            FollowKind::Licensor => match orgs.iter().find(|o| o.id == target) {
                Some(o) => (o.name.clone(), format!("/stories?licensor={}", o.slug)),
                None => continue,
            },
        };
        rows.push(FollowRow {
            kind: kind.as_str(),
            kind_label: tr.t(&format!("follow-kind-{}", kind.as_str())),
            target,
            name,
            href,
        });
    }
    let story_mails = store.story_mails(&p.user.id).await.map_err(internal(&tr))?;
    let page = FollowsPage { layout: Layout::new(&v), rows, story_mails, saved: !q.saved.is_empty() };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
struct NotificationsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    story_mails: String,
}

/// Turns the new-story e-mails on or off, in the language the fan reads the page in.
async fn notifications(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<NotificationsForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(p) = &v.principal else {
        return Ok(v.respond(Redirect::to("/signin?next=/account/follows")));
    };
    let on = !f.story_mails.is_empty();
    state.store.set_story_mails(&p.user.id, on, v.tr.lang).await.map_err(internal(&v.tr))?;
    Ok(v.respond(Redirect::to("/account/follows?saved=1")))
}

#[derive(Deserialize, Default)]
struct UnsubscribeQuery {
    #[serde(default)]
    email: String,
    #[serde(default)]
    sig: String,
}

#[derive(Template)]
#[template(path = "unsubscribed.html")]
struct UnsubscribedPage {
    layout: Layout,
    done: bool,
}

/// The one-click unsubscribe link of the new-story e-mails: signed for the address, so it works
/// without signing in and cannot be forged for another address.
async fn unsubscribe(
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

// ---------------------------------------------------------------------------------------------
// Consoles: writing stories (licensors and shops) and reviewing them (licensors).

/// The licensor or shop the signed-in user belongs to, or the sign-in page / 403.
fn author_of(v: &Visitor, slug: &str, path: &str) -> Result<Org, Box<Response>> {
    let Some(p) = &v.principal else {
        return Err(Box::new(Redirect::to(&format!("/signin?next={path}")).into_response()));
    };
    match p.orgs.iter().find(|o| o.slug == slug && matches!(o.kind, OrgKind::Shop | OrgKind::Licensor)) {
        Some(o) => Ok(o.clone()),
        None => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}

macro_rules! author_or_return {
    ($v:expr, $slug:expr, $path:expr) => {
        match author_of(&$v, &$slug, &$path) {
            Ok(o) => o,
            Err(r) => return Ok($v.respond(*r)),
        }
    };
}

struct ConsoleRow {
    id: String,
    title: String,
    status: String,
    status_class: &'static str,
    note: String,
    date: String,
}

fn status_class(s: StoryStatus) -> &'static str {
    match s {
        StoryStatus::Published => "good",
        StoryStatus::Rejected => "bad",
        StoryStatus::InReview => "wait",
        _ => "",
    }
}

fn console_row(tr: &Tr, s: &StoryRecord) -> ConsoleRow {
    ConsoleRow {
        id: s.id.clone(),
        title: s.text(tr.lang).map(|t| t.title.clone()).unwrap_or_default(),
        status: tr.t(&format!("story-status-{}", s.status.as_str())),
        status_class: status_class(s.status),
        note: s.review_note.clone(),
        date: date(s.updated_at),
    }
}

/// One language's fields in the story form.
struct LangFields {
    tag: &'static str,
    name: String,
    /// Shown open: the author's own language, or one already written.
    open: bool,
    title: String,
    summary: String,
    body: String,
    /// What is wrong with a field, shown beside it.
    title_error: Option<String>,
    summary_error: Option<String>,
    body_error: Option<String>,
}

/// A product the author may feature, ticked when it is.
struct Pick {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "story_form.html")]
struct FormPage {
    layout: Layout,
    org_slug: String,
    org_name: String,
    /// Empty for a new story.
    id: String,
    slug: String,
    status: String,
    status_class: &'static str,
    can_publish: bool,
    can_withdraw: bool,
    review_note: String,
    error: Option<String>,
    langs: Vec<LangFields>,
    properties: Vec<crate::kit::layout::Opt>,
    video_url: String,
    video_error: Option<String>,
    cover: String,
    cover_error: Option<String>,
    products: Vec<Pick>,
    rows: Vec<ConsoleRow>,
    /// The organisation's uploaded images: (id, the line that shows it in a story).
    images: Vec<(String, String)>,
    image_notice: Option<String>,
}

async fn form_page(
    state: &AppState,
    v: &Visitor,
    org: &Org,
    story: Option<&StoryRecord>,
    draft: &StoryDraft,
    error: Option<String>,
) -> Result<FormPage, PageError> {
    let tr = &v.tr;
    let store = state.store.as_ref();
    let own_properties: Vec<podium_app::catalogue::Property> = store
        .properties()
        .await
        .map_err(internal(tr))?
        .into_iter()
        .filter(|p| org.kind == OrgKind::Shop || p.licensor_id == org.id)
        .collect();
    let mut records = Vec::new();
    let filters: Vec<ProductFilter> = match org.kind {
        OrgKind::Shop => vec![ProductFilter { shop_slug: Some(org.slug.clone()), ..ProductFilter::default() }],
        _ => own_properties
            .iter()
            .map(|p| ProductFilter { property_slug: Some(p.slug.clone()), ..ProductFilter::default() })
            .collect(),
    };
    for f in filters {
        let (found, _) =
            store.products(&ProductFilter { live_only: true, limit: 500, ..f }).await.map_err(internal(tr))?;
        records.extend(found);
    }
    let mut products: Vec<Pick> = records
        .iter()
        .filter(|p| p.approved_at.is_some())
        .map(|p| Pick {
            id: p.id.clone(),
            label: podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default()
                + &if org.kind == OrgKind::Shop { String::new() } else { format!(" · {}", p.shop.name) },
            checked: draft.product_ids.contains(&p.id),
        })
        .collect();
    products.sort_by(|a, b| b.checked.cmp(&a.checked).then_with(|| a.label.cmp(&b.label)));
    products.truncate(200);
    let mut properties = vec![crate::kit::layout::Opt {
        value: String::new(),
        label: tr.t("story-no-property"),
        selected: draft.property_id.is_none(),
        extra: String::new(),
    }];
    properties.extend(own_properties.iter().map(|p| crate::kit::layout::Opt {
        value: p.id.clone(),
        label: p.name.clone(),
        selected: draft.property_id.as_deref() == Some(p.id.as_str()),
        extra: String::new(),
    }));
    let langs = Lang::ALL
        .iter()
        .map(|l| {
            let t = draft.texts.iter().find(|t| t.lang == *l);
            LangFields {
                tag: l.tag(),
                name: tr.t(&format!("lang-{}", l.tag())),
                open: *l == tr.lang || t.is_some_and(|t| !t.title.is_empty() || !t.body.is_empty()),
                title: t.map(|t| t.title.clone()).unwrap_or_default(),
                summary: t.map(|t| t.summary.clone()).unwrap_or_default(),
                body: t.map(|t| t.body.clone()).unwrap_or_default(),
                title_error: None,
                summary_error: None,
                body_error: None,
            }
        })
        .collect();
    let rows = store
        .stories(&StoryQuery { author_id: Some(org.id.clone()), limit: 100, ..StoryQuery::default() })
        .await
        .map_err(internal(tr))?
        .iter()
        .map(|s| console_row(tr, s))
        .collect();
    let images = store
        .org_images(&org.id)
        .await
        .map_err(internal(tr))?
        .into_iter()
        .map(|i| (i.id.clone(), format!("![{}](/media/{})", i.alt, i.id)))
        .collect();
    Ok(FormPage {
        images,
        image_notice: None,
        layout: Layout::new(v),
        org_slug: org.slug.clone(),
        org_name: org.name.clone(),
        id: story.map(|s| s.id.clone()).unwrap_or_default(),
        slug: story.map(|s| s.slug.clone()).unwrap_or_default(),
        status: story.map(|s| tr.t(&format!("story-status-{}", s.status.as_str()))).unwrap_or_default(),
        status_class: story.map(|s| status_class(s.status)).unwrap_or(""),
        can_publish: story.is_some_and(|s| !matches!(s.status, StoryStatus::Published | StoryStatus::InReview)),
        can_withdraw: story.is_some_and(|s| s.status == StoryStatus::Published),
        review_note: story.map(|s| s.review_note.clone()).unwrap_or_default(),
        error,
        langs,
        properties,
        video_url: draft.video_url.clone(),
        video_error: None,
        cover: draft.cover.clone(),
        cover_error: None,
        products,
        rows,
    })
}

impl FormPage {
    /// Shows why the story was not saved: beside the field it is about, or above the form.
    fn show_error(&mut self, e: &StoryUseError, why: String) {
        let StoryUseError::InvalidField(field, _) = e else {
            self.error = Some(why);
            return;
        };
        match *field {
            StoryField::Video => self.video_error = Some(why),
            StoryField::Cover => self.cover_error = Some(why),
            StoryField::Title(lang) | StoryField::Summary(lang) | StoryField::Body(lang) => {
                let Some(l) = self.langs.iter_mut().find(|l| l.tag == lang.tag()) else {
                    self.error = Some(why);
                    return;
                };
                l.open = true;
                match *field {
                    StoryField::Title(_) => l.title_error = Some(why),
                    StoryField::Summary(_) => l.summary_error = Some(why),
                    _ => l.body_error = Some(why),
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct ImageQuery {
    #[serde(default)]
    image: String,
}

fn image_notice(tr: &Tr, q: &ImageQuery) -> Option<String> {
    match q.image.as_str() {
        "" => None,
        "saved" => Some(tr.t("story-image-saved")),
        code => Some(crate::kit::uploads::image_error_message(tr, code.trim_start_matches("error-"))),
    }
}

async fn console_list(
    State(state): State<AppState>,
    v: Visitor,
    Path(org): Path<String>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, PageError> {
    let org = author_or_return!(v, org, format!("/console/stories/{org}"));
    let mut page = form_page(&state, &v, &org, None, &StoryDraft::default(), None).await?;
    page.image_notice = image_notice(&v.tr, &q);
    Ok(render(v, StatusCode::OK, page))
}

/// An image for the organisation's stories: checked by its content, re-encoded, stored; the
/// form then shows the line that puts it in a story.
async fn upload_image(
    State(state): State<AppState>,
    v: Visitor,
    Path(org): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let up = crate::kit::uploads::read_upload(form).await;
    // An oversized body is refused before its fields can be read; it changes nothing.
    if !up.too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    let org = author_or_return!(v, org, format!("/console/stories/{org}"));
    let story: String = up
        .fields
        .get("story")
        .map(|s| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .unwrap_or_default();
    let back = if story.is_empty() { String::new() } else { format!("/{story}") };
    let alt = up.fields.get("alt").cloned().unwrap_or_default().chars().take(200).collect::<String>();
    let prepared = crate::kit::uploads::prepare_upload(
        up.too_large,
        up.file,
        podium_app::catalogue::ImageOwner::Org,
        org.id.clone(),
        alt,
    )
    .await
    .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let outcome = match prepared {
        Ok(image) => {
            state.store.add_image(image).await.map_err(internal(&v.tr))?;
            "saved".to_string()
        }
        Err(e) => format!("error-{}", crate::kit::uploads::image_error_code(&e)),
    };
    Ok(v.respond(Redirect::to(&format!("/console/stories/{}{back}?image={outcome}", org.slug))))
}

async fn console_edit(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, PageError> {
    let org = author_or_return!(v, org, format!("/console/stories/{org}/{id}"));
    let author = Author { org_id: org.id.clone(), kind: org.kind };
    let s = match stories::own(state.store.as_ref(), &author, &id).await {
        Ok(s) => s,
        Err(_) => return Err(PageError::not_found(v.tr.clone())),
    };
    let mut page = form_page(&state, &v, &org, Some(&s), &s.draft, None).await?;
    page.image_notice = image_notice(&v.tr, &q);
    Ok(render(v, StatusCode::OK, page))
}

/// The story form as posted: `title_{lang}`, `summary_{lang}`, `body_{lang}` for each language,
/// the property, video, cover and ticked products.
fn draft_from(fields: &[(String, String)]) -> (String, StoryDraft) {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let texts = Lang::ALL
        .iter()
        .map(|l| StoryText {
            lang: *l,
            title: get(&format!("title_{}", l.tag())),
            summary: get(&format!("summary_{}", l.tag())),
            body: get(&format!("body_{}", l.tag())),
        })
        .collect();
    let property = get("property");
    (
        get("csrf_token"),
        StoryDraft {
            property_id: (!property.is_empty()).then_some(property),
            video_url: get("video_url"),
            cover: get("cover"),
            texts,
            product_ids: fields.iter().filter(|(k, _)| k == "product").map(|(_, v)| v.clone()).collect(),
        },
    )
}

fn use_error_text(tr: &Tr, e: &StoryUseError) -> Option<String> {
    match e {
        StoryUseError::Invalid(why) | StoryUseError::InvalidField(_, why) => Some(why.clone()),
        StoryUseError::Stale => Some(tr.t("story-stale")),
        _ => None,
    }
}

async fn console_create(
    State(state): State<AppState>,
    v: Visitor,
    Path(org): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, draft) = draft_from(&fields);
    v.check_csrf(&csrf)?;
    let org = author_or_return!(v, org, format!("/console/stories/{org}"));
    let author = Author { org_id: org.id.clone(), kind: org.kind };
    match stories::create(state.store.as_ref(), &author, draft.clone(), state.clock.now()).await {
        Ok(s) => Ok(v.respond(Redirect::to(&format!("/console/stories/{}/{}?saved=1", org.slug, s.id)))),
        Err(e) => match use_error_text(&v.tr, &e) {
            Some(why) => {
                let mut page = form_page(&state, &v, &org, None, &draft, None).await?;
                page.show_error(&e, why);
                Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
            }
            None => Err(PageError::internal(v.tr.clone(), e)),
        },
    }
}

async fn console_save(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (csrf, draft) = draft_from(&fields);
    v.check_csrf(&csrf)?;
    let org = author_or_return!(v, org, format!("/console/stories/{org}/{id}"));
    let author = Author { org_id: org.id.clone(), kind: org.kind };
    match stories::update(state.store.as_ref(), &author, &id, draft.clone(), state.clock.now()).await {
        Ok(s) => Ok(v.respond(Redirect::to(&format!("/console/stories/{}/{}?saved=1", org.slug, s.id)))),
        Err(StoryUseError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(e) => match use_error_text(&v.tr, &e) {
            Some(why) => {
                let s = stories::own(state.store.as_ref(), &author, &id).await.ok();
                let mut page = form_page(&state, &v, &org, s.as_ref(), &draft, None).await?;
                page.show_error(&e, why);
                Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
            }
            None => Err(PageError::internal(v.tr.clone(), e)),
        },
    }
}

async fn console_publish(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = author_or_return!(v, org, format!("/console/stories/{org}/{id}"));
    let author = Author { org_id: org.id.clone(), kind: org.kind };
    let result = stories::publish(state.store.as_ref(), &author, &id, state.clock.now()).await;
    let to = match result {
        Ok(to) => to,
        Err(e) => return refused_change(&state, v, &org, &author, &id, e).await,
    };
    Ok(v.respond(Redirect::to(&format!("/console/stories/{}/{id}?now={}", org.slug, to.as_str()))))
}

/// A publish or withdraw the story's state does not allow: the form again with why (409).
async fn refused_change(
    state: &AppState,
    v: Visitor,
    org: &Org,
    author: &Author,
    id: &str,
    e: StoryUseError,
) -> Result<Response, PageError> {
    let Some(why) = use_error_text(&v.tr, &e) else {
        return Err(match e {
            StoryUseError::NotFound => PageError::not_found(v.tr.clone()),
            e => PageError::internal(v.tr.clone(), e),
        });
    };
    let s = stories::own(state.store.as_ref(), author, id).await.ok();
    let draft = s.as_ref().map(|s| s.draft.clone()).unwrap_or_default();
    let page = form_page(state, &v, org, s.as_ref(), &draft, Some(why)).await?;
    Ok(render(v, StatusCode::CONFLICT, page))
}

async fn console_withdraw(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = author_or_return!(v, org, format!("/console/stories/{org}/{id}"));
    let author = Author { org_id: org.id.clone(), kind: org.kind };
    match stories::withdraw(state.store.as_ref(), &author, &id, state.clock.now()).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!("/console/stories/{}/{id}", org.slug)))),
        Err(e) => refused_change(&state, v, &org, &author, &id, e).await,
    }
}

struct ReviewRow {
    id: String,
    slug: String,
    title: String,
    byline: String,
    date: String,
}

#[derive(Template)]
#[template(path = "story_reviews.html")]
struct ReviewPage {
    layout: Layout,
    org_slug: String,
    org_name: String,
    rows: Vec<ReviewRow>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn review_queue(
    State(state): State<AppState>,
    v: Visitor,
    Path(org): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let org = author_or_return!(v, org, format!("/console/licensing/{org}/stories"));
    if org.kind != OrgKind::Licensor {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let tr = v.tr.clone();
    let waiting = state
        .store
        .stories(&StoryQuery {
            status: Some(StoryStatus::InReview),
            licensor_id: Some(org.id.clone()),
            limit: 200,
            ..StoryQuery::default()
        })
        .await
        .map_err(internal(&tr))?;
    let rows = waiting
        .iter()
        .map(|s| {
            let card = story_card(&tr, s);
            ReviewRow {
                id: s.id.clone(),
                slug: s.slug.clone(),
                title: card.title,
                byline: card.byline,
                date: date(s.updated_at),
            }
        })
        .collect();
    let done = match q.done.as_str() {
        "published" => Some(tr.t("story-review-approved")),
        "rejected" => Some(tr.t("story-review-rejected")),
        "note" => Some(tr.t("story-review-note-needed")),
        _ => None,
    };
    let page = ReviewPage { layout: Layout::new(&v), org_slug: org.slug, org_name: org.name, rows, done };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    v: Visitor,
    Path((org, id)): Path<(String, String)>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = author_or_return!(v, org, format!("/console/licensing/{org}/stories"));
    if org.kind != OrgKind::Licensor {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let approve = f.decision == "approve";
    match stories::review(state.store.as_ref(), &org.id, &id, approve, &f.note, state.clock.now()).await {
        Ok(to) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories?done={}", org.slug, to.as_str())))),
        Err(StoryUseError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(StoryUseError::Invalid(_)) => {
            Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories?done=note", org.slug))))
        }
        Err(StoryUseError::Stale) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/stories", org.slug)))),
        Err(e) => Err(PageError::internal(v.tr.clone(), e)),
    }
}
