//! Stories, follows and the fan's feed (the fan-engagement issue): licensors and shops write
//! stories in the five languages featuring their products; a shop's story about a licensor's
//! property waits for that licensor's review; fans follow properties, shops and licensors and
//! read what they published and released in their feed.

use async_trait::async_trait;
use podium_domain::role::OrgKind;
use podium_domain::story::{self, StoryError, StoryStatus, Video};
use podium_domain::Lang;
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryText {
    pub lang: Lang,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// What an author writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoryDraft {
    pub property_id: Option<String>,
    pub video_url: String,
    pub cover: String,
    pub texts: Vec<StoryText>,
    /// Featured products, in the order they are shown.
    pub product_ids: Vec<String>,
}

/// The organisation a story is by, or the property it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: String,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRecord {
    pub id: String,
    pub slug: String,
    pub author: Named,
    pub author_kind: OrgKind,
    pub property: Option<Named>,
    /// The licensor of the property (who reviews a shop's story), when there is a property.
    pub licensor_id: Option<String>,
    pub status: StoryStatus,
    pub draft: StoryDraft,
    pub review_note: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
}

impl StoryRecord {
    /// The text in `lang`, or the first one written.
    pub fn text(&self, lang: Lang) -> Option<&StoryText> {
        self.draft.texts.iter().find(|t| t.lang == lang).or_else(|| self.draft.texts.first())
    }
}

/// Which stories to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct StoryQuery {
    pub status: Option<StoryStatus>,
    pub property_id: Option<String>,
    pub author_id: Option<String>,
    /// Stories about the properties of this licensor.
    pub licensor_id: Option<String>,
    /// Stories of what this user follows (the property, its licensor, or the author).
    pub followed_by: Option<String>,
    /// Words to find in the title or summary, in any language.
    pub text: Option<String>,
    /// Published (or, without a status, updated) before this moment: the next page.
    pub before: Option<OffsetDateTime>,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowKind {
    Property,
    Shop,
    Licensor,
}

impl FollowKind {
    pub const ALL: [FollowKind; 3] = [FollowKind::Property, FollowKind::Shop, FollowKind::Licensor];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowKind::Property => "property",
            FollowKind::Shop => "shop",
            FollowKind::Licensor => "licensor",
        }
    }

    pub fn parse(s: &str) -> Option<FollowKind> {
        FollowKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[async_trait]
pub trait StoryStore: Send + Sync {
    /// Writes a new story (a draft); `Conflict { field: "slug" }` when the slug is taken.
    async fn create_story(
        &self,
        id: &str,
        slug: &str,
        author_id: &str,
        draft: &StoryDraft,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Replaces the story's text, video, cover and products; false when it does not exist.
    async fn update_story(&self, id: &str, draft: &StoryDraft, now: OffsetDateTime) -> StoreResult<bool>;
    async fn story(&self, id: &str) -> StoreResult<Option<StoryRecord>>;
    async fn story_by_slug(&self, slug: &str) -> StoreResult<Option<StoryRecord>>;
    /// `from` → `to` (with the reviewer's note), conditional on `from`; publishing stamps the
    /// time it went live and queues the outbox event (mails to followers who asked for them).
    async fn set_story_status(
        &self,
        id: &str,
        from: StoryStatus,
        to: StoryStatus,
        note: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn stories(&self, q: &StoryQuery) -> StoreResult<Vec<StoryRecord>>;

    async fn follow(&self, user_id: &str, kind: FollowKind, target_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    async fn unfollow(&self, user_id: &str, kind: FollowKind, target_id: &str) -> StoreResult<()>;
    /// What the user follows, newest first.
    async fn follows_of(&self, user_id: &str) -> StoreResult<Vec<(FollowKind, String)>>;
    async fn follower_count(&self, kind: FollowKind, target_id: &str) -> StoreResult<i64>;
    /// Products approved (first time) before `before`, of what the user follows: (id, when).
    async fn followed_products(
        &self,
        user_id: &str,
        before: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<(String, OffsetDateTime)>>;
    /// When the user last read the feed; sets it to `now` and returns the previous value.
    async fn mark_feed_read(&self, user_id: &str, now: OffsetDateTime) -> StoreResult<Option<OffsetDateTime>>;
    /// Whether new stories of what the user follows are e-mailed to them.
    async fn story_mails(&self, user_id: &str) -> StoreResult<bool>;
    /// Turns those e-mails on or off (in the language given).
    async fn set_story_mails(&self, user_id: &str, on: bool, lang: Lang) -> StoreResult<()>;
    /// Turns them off for the address; false when no account has it.
    async fn unsubscribe_stories(&self, email: &str) -> StoreResult<bool>;
}

#[derive(Debug, thiserror::Error)]
pub enum StoryUseError {
    #[error("{0}")]
    Invalid(String),
    /// What is wrong with one field of the story, to be shown beside it.
    #[error("{1}")]
    InvalidField(StoryField, String),
    #[error("not found")]
    NotFound,
    #[error("the story changed meanwhile; reload and try again")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<StoryError> for StoryUseError {
    fn from(e: StoryError) -> Self {
        StoryUseError::Invalid(e.to_string())
    }
}

pub type StoryResult<T> = Result<T, StoryUseError>;

/// A field of what an author writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryField {
    Title(Lang),
    Summary(Lang),
    Body(Lang),
    Video,
    Cover,
}

fn in_field(field: StoryField) -> impl Fn(StoryError) -> StoryUseError {
    move |e| StoryUseError::InvalidField(field, e.to_string())
}

/// The organisation acting: its id and kind (the web layer checks the user belongs to it).
#[derive(Debug, Clone)]
pub struct Author {
    pub org_id: String,
    pub kind: OrgKind,
}

/// Checks what an author wrote: at least one language with a title and a body, each body in
/// the story markup, the video and cover addresses, featured products the author may show.
async fn check_draft(store: &dyn Store, author: &Author, draft: &mut StoryDraft) -> StoryResult<()> {
    draft.texts.retain(|t| !(t.title.trim().is_empty() && t.body.trim().is_empty()));
    if draft.texts.is_empty() {
        return Err(StoryUseError::Invalid("write the story's title and text in at least one language".into()));
    }
    for t in &mut draft.texts {
        t.title = t.title.trim().to_string();
        t.summary = t.summary.trim().to_string();
        story::check_text(&t.title, &t.summary).map_err(|e| match e {
            StoryError::Summary => in_field(StoryField::Summary(t.lang))(e),
            e => in_field(StoryField::Title(t.lang))(e),
        })?;
        story::parse_body(&t.body).map_err(in_field(StoryField::Body(t.lang)))?;
    }
    draft.video_url = draft.video_url.trim().to_string();
    if !draft.video_url.is_empty() {
        Video::parse(&draft.video_url).map_err(in_field(StoryField::Video))?;
    }
    draft.cover = draft.cover.trim().to_string();
    if !draft.cover.is_empty() && !story::is_own_image(&draft.cover) {
        return Err(in_field(StoryField::Cover)(StoryError::Image(draft.cover.clone())));
    }
    let properties = store.properties().await?;
    if let Some(p) = &draft.property_id {
        let Some(p) = properties.iter().find(|x| &x.id == p) else {
            return Err(StoryUseError::Invalid("that property does not exist".into()));
        };
        if author.kind == OrgKind::Licensor && p.licensor_id != author.org_id {
            return Err(StoryUseError::Invalid("a licensor writes about its own properties".into()));
        }
    }
    draft.product_ids.dedup();
    if draft.product_ids.len() > 12 {
        return Err(StoryUseError::Invalid("a story features at most 12 products".into()));
    }
    for p in store.products_by_ids(&draft.product_ids).await? {
        let allowed = match author.kind {
            OrgKind::Shop => p.shop.id == author.org_id,
            _ => p.property.licensor_id == author.org_id,
        };
        if !allowed {
            return Err(StoryUseError::Invalid(format!("{} is not one of your products", p.slug)));
        }
    }
    Ok(())
}

/// Writes a new story as a draft; returns it.
pub async fn create(
    store: &dyn Store,
    author: &Author,
    mut draft: StoryDraft,
    now: OffsetDateTime,
) -> StoryResult<StoryRecord> {
    check_draft(store, author, &mut draft).await?;
    let title = draft.texts.iter().find(|t| t.lang == Lang::En).unwrap_or(&draft.texts[0]).title.clone();
    let base = podium_domain::catalogue::slugify(&title);
    let base = if base.is_empty() { "story".to_string() } else { base.chars().take(60).collect() };
    let id = format!("st_{}", crate::accounts::random_hex(12));
    for attempt in 0..5 {
        let slug = if attempt == 0 { base.clone() } else { format!("{base}-{}", crate::accounts::random_hex(3)) };
        match store.create_story(&id, &slug, &author.org_id, &draft, now).await {
            Ok(()) => return store.story(&id).await?.ok_or(StoryUseError::NotFound),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoryUseError::Invalid("choose another title".into()))
}

/// The author's own story, or `NotFound`.
pub async fn own(store: &dyn Store, author: &Author, id: &str) -> StoryResult<StoryRecord> {
    match store.story(id).await? {
        Some(s) if s.author.id == author.org_id => Ok(s),
        _ => Err(StoryUseError::NotFound),
    }
}

/// Edits a story. A published story that a licensor must review goes back to review.
pub async fn update(
    store: &dyn Store,
    author: &Author,
    id: &str,
    mut draft: StoryDraft,
    now: OffsetDateTime,
) -> StoryResult<StoryRecord> {
    let s = own(store, author, id).await?;
    check_draft(store, author, &mut draft).await?;
    if !store.update_story(id, &draft, now).await? {
        return Err(StoryUseError::NotFound);
    }
    if s.status == StoryStatus::Published && !author_owns(author, &draft, store).await? {
        store.set_story_status(id, StoryStatus::Published, StoryStatus::InReview, "", now).await?;
    }
    own(store, author, id).await
}

/// Whether the author may publish without review: a licensor about its own property, or any
/// story that names no property.
async fn author_owns(author: &Author, draft: &StoryDraft, store: &dyn Store) -> StoryResult<bool> {
    let Some(p) = &draft.property_id else { return Ok(true) };
    let properties = store.properties().await?;
    Ok(properties.iter().any(|x| &x.id == p && x.licensor_id == author.org_id))
}

/// Publishes (or sends to the licensor's review); returns the new status.
pub async fn publish(store: &dyn Store, author: &Author, id: &str, now: OffsetDateTime) -> StoryResult<StoryStatus> {
    let s = own(store, author, id).await?;
    let to = StoryStatus::on_publish(author_owns(author, &s.draft, store).await?);
    s.status.check(to)?;
    if !store.set_story_status(id, s.status, to, "", now).await? {
        return Err(StoryUseError::Stale);
    }
    Ok(to)
}

/// Takes a published story down.
pub async fn withdraw(store: &dyn Store, author: &Author, id: &str, now: OffsetDateTime) -> StoryResult<()> {
    let s = own(store, author, id).await?;
    s.status.check(StoryStatus::Withdrawn)?;
    if !store.set_story_status(id, s.status, StoryStatus::Withdrawn, "", now).await? {
        return Err(StoryUseError::Stale);
    }
    Ok(())
}

/// The licensor's decision on a shop's story about one of its properties.
pub async fn review(
    store: &dyn Store,
    licensor_id: &str,
    id: &str,
    approve: bool,
    note: &str,
    now: OffsetDateTime,
) -> StoryResult<StoryStatus> {
    let Some(s) = store.story(id).await?.filter(|s| s.licensor_id.as_deref() == Some(licensor_id)) else {
        return Err(StoryUseError::NotFound);
    };
    let note = note.trim();
    if !approve && note.is_empty() {
        return Err(StoryUseError::Invalid("say what should change, so the shop can fix it".into()));
    }
    if note.chars().count() > 1_000 {
        return Err(StoryUseError::Invalid("keep the note under 1,000 characters".into()));
    }
    let to = if approve { StoryStatus::Published } else { StoryStatus::Rejected };
    if s.status != StoryStatus::InReview {
        return Err(StoryUseError::Stale);
    }
    if !store.set_story_status(id, s.status, to, note, now).await? {
        return Err(StoryUseError::Stale);
    }
    Ok(to)
}

/// The signature of a one-click unsubscribe link for `email` (a keyed hash, so the link works
/// without signing in and cannot be made for someone else's address).
pub fn unsubscribe_signature(key: &[u8], email: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(b"podium-unsubscribe-stories:");
    mac.update(email.trim().to_lowercase().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..20])
}

/// Whether `signature` is the one for `email`, compared in constant time.
pub fn unsubscribe_signature_ok(key: &[u8], email: &str, signature: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = unsubscribe_signature(key, email);
    !expected.is_empty() && expected.as_bytes().ct_eq(signature.as_bytes()).into()
}

/// One entry of a fan's feed.
#[derive(Debug, Clone)]
pub enum FeedItem {
    Story(Box<StoryRecord>),
    /// A newly approved product (its id).
    Product(String),
    /// A limited drop announced.
    Drop(Box<crate::drops::DropRecord>),
}

/// A page of the feed: entries published before `before`, newest first, with when each was.
pub async fn feed(
    store: &dyn Store,
    user_id: &str,
    before: OffsetDateTime,
    limit: i64,
) -> StoreResult<Vec<(OffsetDateTime, FeedItem)>> {
    let stories = store
        .stories(&StoryQuery {
            status: Some(StoryStatus::Published),
            followed_by: Some(user_id.to_string()),
            before: Some(before),
            limit,
            ..StoryQuery::default()
        })
        .await?;
    let products = store.followed_products(user_id, before, limit).await?;
    let drops = store.followed_drops(user_id, before, limit).await?;
    let mut items: Vec<(OffsetDateTime, FeedItem)> = stories
        .into_iter()
        .map(|s| (s.published_at.unwrap_or(s.updated_at), FeedItem::Story(Box::new(s))))
        .chain(products.into_iter().map(|(id, at)| (at, FeedItem::Product(id))))
        .chain(drops.into_iter().map(|d| (d.created_at, FeedItem::Drop(Box::new(d)))))
        .collect();
    items.sort_by_key(|b| std::cmp::Reverse(b.0));
    items.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(items)
}
