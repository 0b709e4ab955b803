//! The licensing consoles. For a licensor: the approval queue and each submission's decision,
//! agreements and their rights sets, authenticity code batches (CSV and a printable QR sheet),
//! and the audit log. For a merchant: "My licences", submissions with the licensor's comments,
//! submitting and resubmitting products. Forms post and redirect; nothing needs JavaScript.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::licensing::{
    self, AgreementRecord, LicensingError, NewAgreement, NewAttachment, Proposal, SubmissionFilter, SubmissionRecord,
};
use podium_app::{Org, StoreError};
use podium_domain::approval::{Action, Status};
use podium_domain::licensing::{AgreementStatus, Channel, RightsSet, Territory};
use podium_domain::role::OrgKind;
use podium_domain::Currency;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::{date, waited};
use crate::kit::guards::{acting, member_or_return};
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;

/// The most a decision's attachments may weigh together.
const MAX_ATTACHMENTS: usize = 8 * 1024 * 1024;

pub fn routes() -> crate::routes::Routes {
    let uploads = crate::routes::Routes::new()
        .post("/console/licensing/{org}/submissions/{id}/decide", decide)
        .map(|r| r.layer(DefaultBodyLimit::max(MAX_ATTACHMENTS + 64 * 1024)));
    crate::routes::Routes::new()
        .get("/console/licensing/{org}", queue)
        .get("/console/licensing/{org}/submissions/{id}", submission)
        .get("/console/licensing/{org}/agreements", agreements)
        .post("/console/licensing/{org}/agreements", create_agreement)
        .get("/console/licensing/{org}/agreements/{id}", agreement)
        .post("/console/licensing/{org}/agreements/{id}/status", crate::console::licensing::codes::agreement_status)
        .post("/console/licensing/{org}/agreements/{id}/rights", add_rights)
        .get("/console/licensing/{org}/codes", crate::console::licensing::codes::codes)
        .post("/console/licensing/{org}/codes", crate::console::licensing::codes::issue_codes)
        .get("/console/licensing/{org}/codes/{batch}/codes.csv", codes_csv)
        .get("/console/licensing/{org}/codes/{batch}/labels.svg", codes_svg)
        .get("/console/licensing/{org}/audit", crate::console::licensing::audit::audit)
        .get("/console/operator/audit", crate::console::licensing::audit::operator_audit)
        .post("/console/licensing/{org}/properties", add_property)
        .post("/console/licensing/{org}/stages", set_stages)
        .get("/console/shops/{shop}/licences", my_licences)
        .post("/console/shops/{shop}/products/{handle}/submit", submit)
        .post("/console/shops/{shop}/submissions/{id}/resubmit", resubmit)
        .get("/console/attachments/{id}", attachment)
        .merge(uploads)
}

pub(crate) fn internal(tr: &Tr) -> impl Fn(StoreError) -> PageError + '_ {
    move |e| PageError::internal(tr.clone(), e)
}

fn stage_label(tr: &Tr, stage: &str) -> String {
    let key = format!("stage-{stage}");
    if tr.i18n.has(tr.lang, &key) {
        return tr.t(&key);
    }
    // A licensor's own stage: "colour-proof" reads "Colour proof".
    let words = stage.replace('-', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn status_label(tr: &Tr, s: Status) -> String {
    tr.t(&format!("submission-{}", s.as_str().replace('_', "-")))
}

pub(crate) fn agreement_status_label(tr: &Tr, s: AgreementStatus) -> String {
    tr.t(&format!("agreement-{}", s.as_str()))
}

pub(crate) fn error_text(tr: &Tr, e: &LicensingError) -> String {
    match e {
        LicensingError::Conflict(c) => tr.t1("licensing-conflict", "detail", c),
        other => other.to_string(),
    }
}

/// A page shown again with an error is a 422; otherwise a 200.
pub(crate) fn status_for(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

// ---------------------------------------------------------------------------------------------
// The approval queue.

struct QueueRow {
    id: String,
    title: String,
    shop: String,
    kind: String,
    stage: String,
    waited: String,
    waiting_on_us: bool,
}

struct StageCount {
    label: String,
    count: usize,
}

#[derive(Template)]
#[template(path = "licensing_queue.html")]
struct QueuePage {
    layout: Layout,
    org: Org,
    stages: Vec<StageCount>,
    /// The licensor's stages as typed in the settings form.
    stage_list: String,
    rows: Vec<QueueRow>,
    sent_back: Vec<QueueRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn titles_of(state: &AppState, tr: &Tr, subs: &[SubmissionRecord]) -> Result<Vec<String>, PageError> {
    let ids: Vec<String> = subs.iter().map(|s| s.product_id.clone()).collect();
    let products = state.store.products_by_ids(&ids).await.map_err(internal(tr))?;
    Ok(subs
        .iter()
        .map(|s| {
            products
                .iter()
                .find(|p| p.id == s.product_id)
                .and_then(|p| podium_app::storefront::text(p, tr.lang))
                .map(|t| t.translation.title.clone())
                .unwrap_or_else(|| s.product_handle.clone())
        })
        .collect())
}

fn queue_row(tr: &Tr, s: &SubmissionRecord, title: String, now: OffsetDateTime) -> QueueRow {
    QueueRow {
        id: s.id.clone(),
        title,
        shop: s.shop.name.clone(),
        kind: tr.t(&format!("submission-kind-{}", s.kind.as_str())),
        stage: stage_label(tr, s.stage_name()),
        waited: waited(tr, s.waiting_since, now),
        waiting_on_us: s.state.status == Status::Submitted,
    }
}

async fn queue(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}"));
    let tr = v.tr.clone();
    let subs = state
        .store
        .submissions(&SubmissionFilter { licensor_id: Some(org.id.clone()), open_only: true, ..Default::default() })
        .await
        .map_err(internal(&tr))?;
    let titles = titles_of(&state, &tr, &subs).await?;
    let now = OffsetDateTime::now_utc();
    let stages = licensing::stages_of(state.store.as_ref(), &org.id).await.map_err(internal(&tr))?;
    let mut rows = Vec::new();
    let mut sent_back = Vec::new();
    for (s, title) in subs.iter().zip(titles) {
        let row = queue_row(&tr, s, title, now);
        if row.waiting_on_us {
            rows.push(row);
        } else {
            sent_back.push(row);
        }
    }
    // Submissions keep the stages they started with, so they are counted by stage name.
    let counts = stages
        .names()
        .iter()
        .map(|name| StageCount {
            label: stage_label(&tr, name),
            count: subs.iter().filter(|s| s.state.status == Status::Submitted && s.stage_name() == name).count(),
        })
        .collect();
    let notice = match q.stages.as_str() {
        "saved" => Some(tr.t("stages-saved")),
        _ => None,
    };
    let page = QueuePage {
        layout: Layout::new(&v),
        org,
        stages: counts,
        stage_list: stages.names().join(", "),
        rows,
        sent_back,
        notice,
        error: None,
    };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    stages: String,
}

#[derive(Deserialize)]
struct StagesForm {
    csrf_token: String,
    #[serde(default)]
    stages: String,
}

/// Sets the licensor's approval stages for new submissions.
async fn set_stages(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<StagesForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}"));
    match licensing::set_stages(state.store.as_ref(), &acting(&v), &org.id, &f.stages).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}?stages=saved", org.slug)))),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let tr = v.tr.clone();
            let page = QueuePage {
                layout: Layout::new(&v),
                org,
                stages: Vec::new(),
                stage_list: f.stages.chars().take(400).collect(),
                rows: Vec::new(),
                sent_back: Vec::new(),
                notice: None,
                error: Some(error_text(&tr, &e)),
            };
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One submission: the product as the merchant sees it, the history, the decision.

struct EventView {
    when: String,
    who: String,
    what: String,
    stage: String,
    comment: String,
    files: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "licensing_submission.html")]
struct SubmissionPage {
    layout: Layout,
    org_slug: String,
    /// Where the decision posts; empty on the merchant's side.
    decide_url: String,
    title: String,
    description: String,
    shop: String,
    property: String,
    category: String,
    kind: String,
    stage: String,
    status: String,
    waited: String,
    can_decide: bool,
    preview_url: String,
    image: String,
    variants: Vec<String>,
    /// For revisions: (field, approved, proposed) where they differ.
    changes: Vec<(String, String, String)>,
    /// Images added to an approved product, waiting for this decision: (id, alt).
    new_images: Vec<(String, String)>,
    history: Vec<EventView>,
    error: Option<String>,
    /// What the licensor had typed and chosen, kept when a decision fails: (comment, decision).
    draft: (String, String),
}

fn history(tr: &Tr, s: &SubmissionRecord) -> Vec<EventView> {
    s.events
        .iter()
        .rev()
        .map(|e| EventView {
            when: date(e.created_at),
            who: e.actor_name.clone(),
            what: tr.t(&format!("event-{}", e.action.replace('_', "-"))),
            stage: stage_label(tr, s.stages.name(e.stage)),
            comment: e.comment.clone(),
            files: e.attachments.iter().map(|a| (a.id.clone(), a.filename.clone())).collect(),
        })
        .collect()
}

async fn submission_page(
    state: &AppState,
    v: Visitor,
    org: &Org,
    id: &str,
    error: Option<String>,
    draft: (String, String),
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let s = match state.store.submission(id).await.map_err(internal(&tr))? {
        Some(s) if s.licensor_id == org.id => s,
        _ => return Err(PageError::not_found(tr)),
    };
    let Some(p) = state.store.products_by_ids(std::slice::from_ref(&s.product_id)).await.map_err(internal(&tr))?.pop()
    else {
        return Err(PageError::not_found(tr));
    };
    let text = podium_app::storefront::text(&p, tr.lang);
    let mut changes = Vec::new();
    if let Some(proposal) = s.proposal.as_deref().and_then(|j| Proposal::from_json(j).ok()) {
        for t in &proposal.0.translations {
            let before = p.translations.iter().find(|x| x.lang == t.lang);
            if before.map(|b| &b.title) != Some(&t.title) {
                changes.push((
                    tr.t1("field-title", "lang", t.lang.tag()),
                    before.map(|b| b.title.clone()).unwrap_or_default(),
                    t.title.clone(),
                ));
            }
            if before.map(|b| &b.description) != Some(&t.description) {
                changes.push((
                    format!("{} — {}", tr.t("field-description"), t.lang.tag()),
                    before.map(|b| b.description.clone()).unwrap_or_default(),
                    t.description.clone(),
                ));
            }
        }
        if proposal.0.category_slug != p.category_slug {
            changes.push((tr.t("field-category"), p.category_slug.clone(), proposal.0.category_slug.clone()));
        }
        for nv in proposal.0.variants.iter().filter(|nv| !p.variants.iter().any(|x| x.sku == nv.sku)) {
            changes.push((tr.t("field-new-variant"), String::new(), nv.sku.clone()));
        }
    }
    // Images added since approval wait for this decision.
    let new_images: Vec<(String, String)> =
        p.images.iter().filter(|i| i.pending).map(|i| (i.id.clone(), i.alt.clone())).collect();
    let now = OffsetDateTime::now_utc();
    let page = SubmissionPage {
        layout: Layout::new(&v),
        org_slug: org.slug.clone(),
        decide_url: format!("/console/licensing/{}/submissions/{}/decide", org.slug, s.id),
        title: text.as_ref().map(|t| t.translation.title.clone()).unwrap_or_else(|| p.handle.clone()),
        description: text.as_ref().map(|t| t.translation.description.clone()).unwrap_or_default(),
        shop: s.shop.name.clone(),
        property: p.property.name.clone(),
        category: crate::kit::format::category_name(&tr, &p.category_slug),
        kind: tr.t(&format!("submission-kind-{}", s.kind.as_str())),
        stage: stage_label(&tr, s.stage_name()),
        status: status_label(&tr, s.state.status),
        waited: waited(&tr, s.waiting_since, now),
        can_decide: s.state.status == Status::Submitted,
        preview_url: format!("/products/{}", p.slug),
        image: match p.public_images().next() {
            Some(i) => format!("/media/{}/thumb", i.id),
            None => format!("/products/{}/art.svg", p.slug),
        },
        variants: p
            .variants
            .iter()
            .map(|x| {
                let opts: Vec<&str> = x.options.iter().map(|(_, v)| v.as_str()).collect();
                format!("{} · {} · {}", x.sku, opts.join(" / "), tr.money(x.price))
            })
            .collect(),
        changes,
        new_images,
        history: history(&tr, &s),
        error,
        draft,
    };
    Ok(render(v, status_for(&page.error), page))
}

async fn submission(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/submissions/{id}"));
    submission_page(&state, v, &org, &id, None, Default::default()).await
}

async fn decide(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut fields = std::collections::HashMap::new();
    let mut files = Vec::new();
    let mut too_large = false;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                match field.bytes().await {
                    Ok(bytes) => match filename {
                        Some(f) if !bytes.is_empty() => files.push(NewAttachment {
                            filename: f
                                .chars()
                                .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                                .take(120)
                                .collect(),
                            content_type,
                            bytes: bytes.to_vec(),
                        }),
                        Some(_) => {}
                        None => {
                            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                        }
                    },
                    Err(_) => {
                        too_large = true;
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                too_large = true;
                break;
            }
        }
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    if !too_large {
        v.check_csrf(&get("csrf_token"))?;
    }
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/submissions/{id}"));
    let comment: String = get("comment").chars().take(4000).collect();
    if too_large {
        let e = v.tr.t("decision-too-large");
        return submission_page(&state, v, &org, &id, Some(e), (comment, get("decision"))).await;
    }
    let Some(action) = Action::parse(&get("decision")).filter(|a| *a != Action::Resubmit) else {
        let e = v.tr.t("decision-choose");
        return submission_page(&state, v, &org, &id, Some(e), (comment, String::new())).await;
    };
    match licensing::decide(state.store.as_ref(), &acting(&v), &org.id, &id, action, &comment, files).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}?decided={}", org.slug, action.as_str())))),
        Err(LicensingError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let msg = error_text(&v.tr, &e);
            submission_page(&state, v, &org, &id, Some(msg), (comment, get("decision"))).await
        }
    }
}

async fn attachment(State(state): State<AppState>, v: Visitor, Path(id): Path<String>) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(principal) = &v.principal else { return Err(PageError::not_found(tr)) };
    let Some(a) = state.store.attachment(&id).await.map_err(internal(&tr))? else {
        return Err(PageError::not_found(tr));
    };
    if !principal.orgs.iter().any(|o| o.id == a.licensor_id || o.id == a.shop_id) {
        return Err(PageError::not_found(tr));
    }
    let disposition = format!("attachment; filename=\"{}\"", a.filename.replace('"', ""));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        a.bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Agreements.

struct RightsView {
    id: String,
    properties: String,
    categories: String,
    territory: String,
    channels: String,
    term: String,
    selloff: String,
    rate: String,
    exclusive: bool,
}

struct AgreementView {
    id: String,
    reference: String,
    party: String,
    status: String,
    status_code: &'static str,
    /// Advance and annual minimum guarantee, formatted in the royalty currency.
    advance: String,
    minimum: String,
    rights: Vec<RightsView>,
}

fn agreement_view(tr: &Tr, a: &AgreementRecord, names: &[(String, String)], licensor_side: bool) -> AgreementView {
    let today = OffsetDateTime::now_utc().date();
    let rights: Vec<RightsView> = a
        .terms
        .rights
        .iter()
        .map(|r| RightsView {
            id: r.id.clone(),
            properties: r
                .properties
                .iter()
                .map(|id| names.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            categories: r
                .categories
                .iter()
                .map(|c| crate::kit::format::category_name(tr, c))
                .collect::<Vec<_>>()
                .join(", "),
            territory: territory_text(tr, &r.territory),
            channels: r
                .channels
                .iter()
                .map(|c| tr.t(&format!("channel-{}", c.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
            term: format!("{} → {}", r.start, r.end),
            selloff: r.selloff_end.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            rate: format!("{}.{:02} %", r.royalty_bp / 100, r.royalty_bp % 100),
            exclusive: r.exclusive,
        })
        .collect();
    // Past the end of every term (and sell-off) reads as expired; no job has to run for that.
    let any = !a.terms.rights.is_empty();
    let expired = any && a.terms.rights.iter().all(|r| r.selloff_end.unwrap_or(r.end) <= today);
    let selloff = any && !expired && a.terms.rights.iter().all(|r| r.end <= today);
    let selloff_until = a.terms.rights.iter().filter_map(|r| r.selloff_end).max();
    let active = a.terms.status == AgreementStatus::Active;
    let (status, status_code) = match (active, expired, selloff, selloff_until) {
        (true, true, _, _) => (tr.t("agreement-expired"), "expired"),
        (true, _, true, Some(until)) => (tr.t1("agreement-selloff", "date", &until.to_string()), "selloff"),
        _ => (agreement_status_label(tr, a.terms.status), a.terms.status.as_str()),
    };
    AgreementView {
        id: a.terms.id.clone(),
        reference: a.terms.reference.clone(),
        party: if licensor_side { a.licensee.name.clone() } else { a.licensor.name.clone() },
        status,
        status_code,
        advance: tr.money(podium_domain::Money::new(a.advance_minor, a.royalty_currency)),
        minimum: tr.money(podium_domain::Money::new(a.minimum_guarantee_minor, a.royalty_currency)),
        rights,
    }
}

fn territory_text(tr: &Tr, t: &Territory) -> String {
    let names = |l: &[podium_domain::Country]| l.iter().map(|c| tr.country(*c)).collect::<Vec<_>>().join(", ");
    match t {
        Territory::Only(l) => names(l),
        Territory::WorldwideExcept(l) if l.is_empty() => tr.t("territory-worldwide"),
        Territory::WorldwideExcept(l) => tr.t1("territory-except", "countries", &names(l)),
    }
}

#[derive(Template)]
#[template(path = "licensing_agreements.html")]
struct AgreementsPage {
    layout: Layout,
    org: Org,
    agreements: Vec<AgreementView>,
    shops: Vec<Opt>,
    currencies: Vec<Opt>,
    error: Option<String>,
    reference: String,
}

async fn property_names(state: &AppState, tr: &Tr) -> Result<Vec<(String, String)>, PageError> {
    Ok(state.store.properties().await.map_err(internal(tr))?.into_iter().map(|p| (p.id, p.name)).collect())
}

async fn agreements_page(
    state: &AppState,
    v: Visitor,
    org: Org,
    error: Option<String>,
    reference: String,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let all = state.store.agreements_of(&org.id).await.map_err(internal(&tr))?;
    let names = property_names(state, &tr).await?;
    let shops = state.store.orgs_of_kind(OrgKind::Shop).await.map_err(internal(&tr))?;
    let page = AgreementsPage {
        layout: Layout::new(&v),
        agreements: all
            .iter()
            .filter(|a| a.terms.licensor_id == org.id)
            .map(|a| agreement_view(&tr, a, &names, true))
            .collect(),
        shops: shops
            .into_iter()
            .map(|s| Opt { value: s.id, label: s.name, selected: false, extra: String::new() })
            .collect(),
        currencies: ["EUR", "USD", "GBP", "CHF", "KRW", "JPY", "KES", "AUD", "CNY"]
            .iter()
            .map(|c| Opt {
                value: c.to_string(),
                label: c.to_string(),
                selected: *c == org.currency,
                extra: String::new(),
            })
            .collect(),
        org,
        error,
        reference,
    };
    Ok(render(v, status_for(&page.error), page))
}

async fn agreements(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements"));
    agreements_page(&state, v, org, None, String::new()).await
}

#[derive(Deserialize)]
struct NewAgreementForm {
    csrf_token: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    licensee: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    advance: String,
    #[serde(default)]
    minimum: String,
}

/// An amount typed in major units ("5000", "1250.50"); empty is zero.
fn parse_amount(s: &str, currency: Currency) -> Option<i64> {
    let s = s.trim().replace([',', ' '], "");
    if s.is_empty() {
        return Some(0);
    }
    podium_domain::money::parse_minor(&s, currency).ok().filter(|m| *m >= 0)
}

async fn create_agreement(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<NewAgreementForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements"));
    let shops = state.store.orgs_of_kind(OrgKind::Shop).await.map_err(internal(&v.tr))?;
    let Some(shop) = shops.iter().find(|s| s.id == f.licensee) else {
        let e = v.tr.t("agreement-choose-licensee");
        return agreements_page(&state, v, org, Some(e), f.reference).await;
    };
    let currency = Currency::parse(&f.currency).unwrap_or(Currency::EUR);
    let (Some(advance_minor), Some(minimum_guarantee_minor)) =
        (parse_amount(&f.advance, currency), parse_amount(&f.minimum, currency))
    else {
        let e = v.tr.t1("agreement-bad-amount", "currency", currency.code());
        return agreements_page(&state, v, org, Some(e), f.reference).await;
    };
    let new = NewAgreement {
        reference: f.reference.clone(),
        licensor_id: org.id.clone(),
        licensee_id: shop.id.clone(),
        royalty_currency: currency,
        advance_minor,
        minimum_guarantee_minor,
    };
    match licensing::create_agreement(state.store.as_ref(), &acting(&v), new).await {
        Ok(a) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/agreements/{}", org.slug, a.terms.id)))),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let msg = error_text(&v.tr, &e);
            agreements_page(&state, v, org, Some(msg), f.reference).await
        }
    }
}

#[derive(Template)]
#[template(path = "licensing_agreement.html")]
struct AgreementPage {
    layout: Layout,
    org: Org,
    agreement: AgreementView,
    transitions: Vec<Opt>,
    properties: Vec<Opt>,
    categories: Vec<Opt>,
    form: RightsForm,
    /// The id of the rights set being edited; empty when adding one.
    editing: String,
    error: Option<String>,
    notice: Option<String>,
}

/// What the rights form held, to show it again with an error.
#[derive(Default, Clone)]
pub(crate) struct RightsDraft {
    /// The rights set being edited; empty for a new one.
    editing: String,
    form: RightsForm,
    properties: Vec<String>,
    categories: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
struct RightsForm {
    #[serde(default)]
    territory: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    selloff: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    exclusive: String,
    #[serde(default)]
    retail: String,
}

pub(crate) async fn agreement_page(
    state: &AppState,
    v: Visitor,
    org: Org,
    id: &str,
    draft: RightsDraft,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let RightsDraft { editing, form, properties: chosen_properties, categories: chosen_categories } = draft;
    let tr = v.tr.clone();
    let a = match licensing::own_agreement(state.store.as_ref(), &org.id, id).await {
        Ok(a) => a,
        Err(LicensingError::Store(e)) => return Err(PageError::internal(tr, e)),
        Err(_) => return Err(PageError::not_found(tr)),
    };
    let names = property_names(state, &tr).await?;
    let props = state.store.properties().await.map_err(internal(&tr))?;
    let cats = state.store.categories().await.map_err(internal(&tr))?;
    let transitions = AgreementStatus::ALL
        .iter()
        .filter(|to| a.terms.status.change_to(**to).is_ok())
        .map(|to| Opt {
            value: to.as_str().to_string(),
            label: tr.t(&format!("agreement-to-{}", to.as_str())),
            selected: false,
            extra: tr.t(&format!("agreement-confirm-{}", to.as_str())),
        })
        .collect();
    let page = AgreementPage {
        layout: Layout::new(&v),
        agreement: agreement_view(&tr, &a, &names, true),
        transitions,
        properties: props
            .into_iter()
            .filter(|p| p.licensor_id == org.id)
            .map(|p| Opt {
                selected: chosen_properties.contains(&p.id),
                value: p.id,
                label: p.name,
                extra: String::new(),
            })
            .collect(),
        categories: cats
            .into_iter()
            .filter(|c| c.parent.is_none())
            .map(|c| Opt {
                selected: chosen_categories.contains(&c.slug),
                label: crate::kit::format::category_name(&tr, &c.slug),
                value: c.slug,
                extra: String::new(),
            })
            .collect(),
        org,
        form,
        editing,
        error,
        notice,
    };
    Ok(render(v, status_for(&page.error), page))
}

#[derive(Deserialize, Default)]
struct AgreementQuery {
    #[serde(default)]
    saved: String,
    /// A rights set to edit: the form below is filled with it.
    #[serde(default)]
    edit: String,
}

async fn agreement(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<AgreementQuery>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements/{id}"));
    let today = OffsetDateTime::now_utc().date();
    let notice = match q.saved.as_str() {
        "" => None,
        s => Some(v.tr.t(&format!("agreement-saved-{s}"))),
    };
    let existing = match licensing::own_agreement(state.store.as_ref(), &org.id, &id).await {
        Ok(a) => a.terms.rights.into_iter().find(|r| r.id == q.edit),
        Err(LicensingError::Store(e)) => return Err(PageError::internal(v.tr.clone(), e)),
        Err(_) => return Err(PageError::not_found(v.tr.clone())),
    };
    let draft = match existing {
        Some(r) => RightsDraft {
            editing: r.id.clone(),
            form: RightsForm {
                territory: r.territory.to_string(),
                start: r.start.to_string(),
                end: r.end.to_string(),
                selloff: r.selloff_end.map(|d| d.to_string()).unwrap_or_default(),
                rate: format!("{}.{:02}", r.royalty_bp / 100, r.royalty_bp % 100),
                exclusive: if r.exclusive { "1".into() } else { String::new() },
                retail: if r.channels.contains(&Channel::Retail) { "1".into() } else { String::new() },
            },
            properties: r.properties,
            categories: r.categories,
        },
        None => RightsDraft {
            form: RightsForm {
                territory: "worldwide".into(),
                start: today.to_string(),
                end: today.replace_year(today.year() + 2).unwrap_or(today).to_string(),
                rate: "10".into(),
                ..Default::default()
            },
            ..Default::default()
        },
    };
    agreement_page(&state, v, org, &id, draft, None, notice).await
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A royalty rate typed as a percentage ("10", "7.5") in basis points.
fn parse_rate(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac).filter(|bp| *bp <= 10_000)
}

async fn add_rights(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let many = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    v.check_csrf(&one("csrf_token"))?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements/{id}"));
    let form = RightsForm {
        territory: one("territory"),
        start: one("start"),
        end: one("end"),
        selloff: one("selloff"),
        rate: one("rate"),
        exclusive: one("exclusive"),
        retail: one("retail"),
    };
    let draft =
        RightsDraft { editing: one("rights_id"), form, properties: many("property"), categories: many("category") };
    let tr = v.tr.clone();
    let rights = match build_rights(&tr, &draft) {
        Ok(r) => r,
        Err(msg) => return agreement_page(&state, v, org, &id, draft, Some(msg), None).await,
    };
    match licensing::grant_rights(state.store.as_ref(), &acting(&v), &org.id, &id, rights).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/agreements/{id}?saved=rights", org.slug)))),
        Err(LicensingError::NotFound) => Err(PageError::not_found(tr)),
        Err(LicensingError::Store(e)) => Err(PageError::internal(tr, e)),
        Err(e) => {
            let msg = error_text(&tr, &e);
            agreement_page(&state, v, org, &id, draft, Some(msg), None).await
        }
    }
}

/// The rights set a filled-in form describes, or what is wrong with it.
fn build_rights(tr: &Tr, draft: &RightsDraft) -> Result<RightsSet, String> {
    let form = &draft.form;
    let territory = Territory::parse(&form.territory).map_err(|e| e.to_string())?;
    let start = parse_date(&form.start).ok_or_else(|| tr.t("rights-bad-start"))?;
    let end = parse_date(&form.end).ok_or_else(|| tr.t("rights-bad-end"))?;
    let selloff_end = match form.selloff.trim() {
        "" => None,
        s => Some(parse_date(s).ok_or_else(|| tr.t("rights-bad-selloff"))?),
    };
    let royalty_bp = parse_rate(&form.rate).ok_or_else(|| tr.t("rights-bad-rate"))?;
    let mut channels = vec![Channel::Online];
    if !form.retail.is_empty() {
        channels.push(Channel::Retail);
    }
    Ok(RightsSet {
        id: if draft.editing.is_empty() { uuid_like() } else { draft.editing.clone() },
        properties: draft.properties.clone(),
        categories: draft.categories.clone(),
        territory,
        channels,
        start,
        end,
        selloff_end,
        royalty_bp,
        exclusive: !form.exclusive.is_empty(),
    })
}

fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}

// ---------------------------------------------------------------------------------------------
// Authenticity codes (the page and issuing are in `licence_codes`).

/// The batch, when it belongs to the licensor or the shop.
async fn batch_for(
    state: &AppState,
    v: &Visitor,
    slug: &str,
    batch: &str,
) -> Result<(podium_app::licensing::CodeBatch, Vec<podium_app::licensing::CodeState>), PageError> {
    let tr = v.tr.clone();
    let Some(p) = &v.principal else { return Err(PageError::not_found(tr)) };
    let Some(org) = p.orgs.iter().find(|o| o.slug == slug) else { return Err(PageError::forbidden(tr)) };
    match state.store.code_batch(batch).await.map_err(internal(&tr))? {
        Some(b) if b.licensor_id == org.id || b.shop.id == org.id => {
            let codes = state.store.batch_codes(&b.id).await.map_err(internal(&tr))?;
            Ok((b, codes))
        }
        _ => Err(PageError::not_found(tr)),
    }
}

fn public_base(headers: &axum::http::HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-')).collect();
    format!("http://{host}")
}

async fn codes_csv(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path((slug, batch)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (b, codes) = batch_for(&state, &v, &slug, &batch).await?;
    let base = public_base(&headers);
    let mut out = String::from("code,grouped,url,product,sku,verifications\n");
    for c in &codes {
        let code = podium_domain::authenticity::Code::parse(&c.code).map(|c| c.grouped()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{base}/verify/{},{},{},{}\n",
            c.code, code, c.code, b.product_slug, b.variant_sku, c.verifications
        ));
    }
    let name = format!("attachment; filename=\"codes-{}.csv\"", b.id);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out)
        .into_response())
}

/// A printable A4 sheet of labels: a QR code per code pointing to `/verify/{code}`, with the code
/// written underneath for people who type it.
async fn codes_svg(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path((slug, batch)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (b, codes) = batch_for(&state, &v, &slug, &batch).await?;
    let base = public_base(&headers);
    let (cols, cell_w, cell_h) = (4usize, 50.0f64, 62.0f64);
    let rows = codes.len().div_ceil(cols).max(1);
    let height = 20.0 + rows as f64 * cell_h;
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='210mm' height='{height}mm' viewBox='0 0 210 {height}'>\
         <text x='8' y='10' font-family='sans-serif' font-size='4'>{} · {} · {}</text>",
        xml(&b.product_slug),
        xml(&b.variant_sku),
        xml(&b.shop.name)
    );
    for (i, c) in codes.iter().enumerate() {
        let x = 8.0 + (i % cols) as f64 * cell_w;
        let y = 16.0 + (i / cols) as f64 * cell_h;
        let url = format!("{base}/verify/{}", c.code);
        let Ok(qr) = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M) else { continue };
        let width = qr.width();
        let scale = 40.0 / width as f64;
        let mut path = String::new();
        for (n, dark) in qr.to_colors().iter().enumerate() {
            if *dark == qrcode::Color::Dark {
                let (cx, cy) = (n % width, n / width);
                path.push_str(&format!("M{cx} {cy}h1v1h-1z"));
            }
        }
        let grouped = podium_domain::authenticity::Code::parse(&c.code).map(|c| c.grouped()).unwrap_or_default();
        svg.push_str(&format!(
            "<g transform='translate({x} {y})'><rect width='44' height='56' fill='none' stroke='#bbb' stroke-width='.2'/>\
             <g transform='translate(2 2) scale({scale})'><path d='{path}' fill='#000'/></g>\
             <text x='22' y='50' text-anchor='middle' font-family='monospace' font-size='3.6'>{grouped}</text></g>"
        ));
    }
    svg.push_str("</svg>");
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}

// ---------------------------------------------------------------------------------------------
// The audit log.

// (Its pages are in `audit_pages`.)

// ---------------------------------------------------------------------------------------------
// Properties.

#[derive(Deserialize)]
struct PropertyForm {
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sport: String,
}

/// Adds a property (a team, a Games) to the licensor's portfolio; its slug comes from its name.
async fn add_property(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, "/console/licensor");
    let name = f.name.trim();
    let property_slug = podium_domain::catalogue::slugify(name);
    let outcome = if name.is_empty() || name.chars().count() > 100 || property_slug.is_empty() {
        "invalid"
    } else {
        let new = podium_app::catalogue::NewProperty {
            licensor_id: org.id.clone(),
            slug: property_slug,
            name: name.to_string(),
            sport: f.sport.trim().chars().take(60).collect(),
        };
        match state.store.create_property(new).await {
            Ok(_) => "added",
            Err(StoreError::Conflict { .. }) => "taken",
            Err(e) => return Err(PageError::internal(v.tr.clone(), e)),
        }
    };
    Ok(v.respond(Redirect::to(&format!("/console/licensor?property={outcome}"))))
}

// ---------------------------------------------------------------------------------------------
// The merchant's side: my licences and submissions.

struct MySubmission {
    id: String,
    title: String,
    handle: String,
    kind: String,
    stage: String,
    status: String,
    can_resubmit: bool,
    comments: Vec<(String, String, String)>,
    approved: bool,
}

#[derive(Template)]
#[template(path = "my_licences.html")]
struct LicencesPage {
    layout: Layout,
    shop: Org,
    agreements: Vec<AgreementView>,
    submissions: Vec<MySubmission>,
    /// Products approved at the final stage (listed apart, folded).
    approved: Vec<MySubmission>,
    /// Products never submitted: (handle, title).
    unsubmitted: Vec<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn licences_page(
    state: &AppState,
    v: Visitor,
    shop: Org,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let all = state.store.agreements_of(&shop.id).await.map_err(internal(&tr))?;
    let names = property_names(state, &tr).await?;
    let subs = state
        .store
        .submissions(&SubmissionFilter { shop_id: Some(shop.id.clone()), ..Default::default() })
        .await
        .map_err(internal(&tr))?;
    let titles = titles_of(state, &tr, &subs).await?;
    let products =
        podium_app::catalogue_csv::shop_products(state.store.as_ref(), &shop.slug).await.map_err(internal(&tr))?;
    let unsubmitted = products
        .iter()
        .filter(|p| {
            p.approved_at.is_none() && !subs.iter().any(|s| s.product_id == p.id && s.state.status != Status::Rejected)
        })
        .map(|p| {
            let title =
                podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
            (p.handle.clone(), title)
        })
        .collect();
    // Open submissions first, then the rest, newest first within each.
    let mut order: Vec<usize> = (0..subs.len()).collect();
    order.sort_by_key(|i| (!subs[*i].state.status.is_open(), std::cmp::Reverse(subs[*i].waiting_since)));
    let (submissions, approved): (Vec<MySubmission>, Vec<MySubmission>) = order
        .into_iter()
        .map(|i| {
            let s = &subs[i];
            MySubmission {
                id: s.id.clone(),
                title: titles[i].clone(),
                handle: s.product_handle.clone(),
                kind: tr.t(&format!("submission-kind-{}", s.kind.as_str())),
                stage: stage_label(&tr, s.stage_name()),
                status: status_label(&tr, s.state.status),
                can_resubmit: s.state.status == Status::NeedsRevision,
                // The licensor's latest word; the full history is on the submission.
                comments: s
                    .events
                    .iter()
                    .rev()
                    .filter(|e| {
                        !e.comment.is_empty() && matches!(e.action.as_str(), "approve" | "needs_revision" | "reject")
                    })
                    .take(1)
                    .map(|e| (date(e.created_at), e.actor_name.clone(), e.comment.clone()))
                    .collect(),
                approved: s.state.status == Status::Approved,
            }
        })
        .partition(|s| !s.approved);
    let page = LicencesPage {
        layout: Layout::new(&v),
        agreements: all
            .iter()
            .filter(|a| a.terms.licensee_id == shop.id && a.terms.status != AgreementStatus::Draft)
            .map(|a| agreement_view(&tr, a, &names, false))
            .collect(),
        submissions,
        approved,
        unsubmitted,
        shop,
        error,
        notice,
    };
    Ok(render(v, status_for(&page.error), page))
}

#[derive(Deserialize, Default)]
struct LicencesQuery {
    #[serde(default)]
    done: String,
}

async fn my_licences(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<LicencesQuery>,
) -> Result<Response, PageError> {
    let shop = member_or_return!(v, slug, OrgKind::Shop, format!("/console/shops/{slug}/licences"));
    let notice = match q.done.as_str() {
        "submitted" => Some(v.tr.t("licences-submitted")),
        "resubmitted" => Some(v.tr.t("licences-resubmitted")),
        _ => None,
    };
    licences_page(&state, v, shop, None, notice).await
}

#[derive(Deserialize)]
struct CommentForm {
    csrf_token: String,
    #[serde(default)]
    comment: String,
}

async fn submit(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = member_or_return!(v, slug, OrgKind::Shop, format!("/console/shops/{slug}/licences"));
    let tr = v.tr.clone();
    let found =
        state.store.products_by_handles(&shop.id, std::slice::from_ref(&handle)).await.map_err(internal(&tr))?;
    let Some(product) = found.into_iter().next() else { return Err(PageError::not_found(tr)) };
    let comment: String = f.comment.chars().take(4000).collect();
    match licensing::submit_product(state.store.as_ref(), &acting(&v), &shop.id, &product, &comment).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/licences?done=submitted", shop.slug)))),
        Err(LicensingError::Store(e)) => Err(PageError::internal(tr, e)),
        Err(e) => {
            let msg = error_text(&tr, &e);
            licences_page(&state, v, shop, Some(msg), None).await
        }
    }
}

async fn resubmit(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = member_or_return!(v, slug, OrgKind::Shop, format!("/console/shops/{slug}/licences"));
    let tr = v.tr.clone();
    let comment: String = f.comment.chars().take(4000).collect();
    match licensing::resubmit(state.store.as_ref(), &acting(&v), &shop.id, &id, &comment, None).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/licences?done=resubmitted", shop.slug)))),
        Err(LicensingError::NotFound) => Err(PageError::not_found(tr)),
        Err(LicensingError::Store(e)) => Err(PageError::internal(tr, e)),
        Err(e) => {
            let msg = error_text(&tr, &e);
            licences_page(&state, v, shop, Some(msg), None).await
        }
    }
}
