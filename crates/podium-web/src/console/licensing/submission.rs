//! One submission as the licensor reviews it: the product, its history, the decision with
//! comments and attachments.

use crate::console::licensing::console::{error_text, stage_label, status_for, status_label};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::{date, waited};
use crate::kit::guards::{acting, member_or_return};
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::licensing::{self, LicensingError, NewAttachment, Proposal, SubmissionRecord};
use podium_app::Org;
use podium_domain::approval::{Action, Status};
use podium_domain::role::OrgKind;

// ---------------------------------------------------------------------------------------------
// One submission: the product as the merchant sees it, the history, the decision.

pub(crate) struct EventView {
    pub(crate) when: String,
    pub(crate) who: String,
    pub(crate) what: String,
    pub(crate) stage: String,
    pub(crate) comment: String,
    pub(crate) files: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "licensing_submission.html")]
pub(crate) struct SubmissionPage {
    pub(crate) layout: Layout,
    pub(crate) org_slug: String,
    /// Where the decision posts; empty on the merchant's side.
    pub(crate) decide_url: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) shop: String,
    pub(crate) property: String,
    pub(crate) category: String,
    pub(crate) kind: String,
    pub(crate) stage: String,
    pub(crate) status: String,
    pub(crate) waited: String,
    pub(crate) can_decide: bool,
    pub(crate) preview_url: String,
    pub(crate) image: String,
    pub(crate) variants: Vec<String>,
    /// For revisions: (field, approved, proposed) where they differ.
    pub(crate) changes: Vec<(String, String, String)>,
    /// Images added to an approved product, waiting for this decision: (id, alt).
    pub(crate) new_images: Vec<(String, String)>,
    pub(crate) history: Vec<EventView>,
    pub(crate) error: Option<String>,
    /// What the licensor had typed and chosen, kept when a decision fails: (comment, decision).
    pub(crate) draft: (String, String),
}

pub(crate) fn history(tr: &Tr, s: &SubmissionRecord) -> Vec<EventView> {
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

pub(crate) async fn submission_page(
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
    let now = state.clock.now();
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

pub(crate) async fn submission(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/submissions/{id}"));
    submission_page(&state, v, &org, &id, None, Default::default()).await
}

pub(crate) async fn decide(
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

pub(crate) async fn attachment(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
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
