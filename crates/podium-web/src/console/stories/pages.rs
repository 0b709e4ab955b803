//! Stories, following and the fan's feed, as pages: the stories index and a story's page with
//! its featured products (only those the fan can buy, at the fan's price, with an add-to-cart
//! button), follow buttons, the feed (what the followed properties, shops and licensors
//! published and released, newest first, what is new since the last visit marked), the fan's
//! follows (the Atom feeds are in `feeds`), and the consoles where licensors and shops write
//! stories and licensors review the stories shops write about their properties.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::ProductFilter;
use podium_app::stories::{self, Author, StoryDraft, StoryField, StoryQuery, StoryRecord, StoryText, StoryUseError};
use podium_app::Org;
use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;
use podium_domain::Lang;
use serde::Deserialize;

use crate::kit::context::{CsrfForm, Visitor};
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::day;
use crate::kit::guards::author_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    let uploads = crate::routes::Routes::new()
        .post("/console/stories/{org}/images", upload_image)
        // The 8 MiB image limit plus room for the form's other fields.
        .map(|r| r.layer(axum::extract::DefaultBodyLimit::max(podium_app::media::MAX_BYTES + 64 * 1024)));
    crate::routes::Routes::new()
        .get("/console/stories/{org}", console_list)
        .post("/console/stories/{org}", console_create)
        .get("/console/stories/{org}/{id}", console_edit)
        .post("/console/stories/{org}/{id}", console_save)
        .post("/console/stories/{org}/{id}/publish", console_publish)
        .post("/console/stories/{org}/{id}/withdraw", console_withdraw)
        .get("/console/licensing/{org}/stories", crate::console::stories::review::review_queue)
        .post("/console/licensing/{org}/stories/{id}/review", crate::console::stories::review::review)
        .merge(uploads)
}

// ---------------------------------------------------------------------------------------------
// Consoles: writing stories (licensors and shops) and reviewing them (licensors).

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
        date: day(s.updated_at),
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
        .filter(|p| podium_app::storefront::is_public(p))
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
