//! The merchant's side of licensing: "My licences", submissions with the licensor's comments,
//! submitting and resubmitting a product.

use crate::console::licensing::agreements::{agreement_view, property_names, AgreementView};
use crate::console::licensing::console::{error_text, stage_label, status_for, status_label};
use crate::console::licensing::queue::titles_of;
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::date;
use crate::kit::guards::{acting, member_or_return};
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::licensing::{self, LicensingError, SubmissionFilter};
use podium_app::Org;
use podium_domain::approval::Status;
use podium_domain::licensing::AgreementStatus;
use podium_domain::role::OrgKind;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// The merchant's side: my licences and submissions.

pub(crate) struct MySubmission {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) handle: String,
    pub(crate) kind: String,
    pub(crate) stage: String,
    pub(crate) status: String,
    pub(crate) can_resubmit: bool,
    pub(crate) comments: Vec<(String, String, String)>,
    pub(crate) approved: bool,
}

#[derive(Template)]
#[template(path = "my_licences.html")]
pub(crate) struct LicencesPage {
    pub(crate) layout: Layout,
    pub(crate) shop: Org,
    pub(crate) agreements: Vec<AgreementView>,
    pub(crate) submissions: Vec<MySubmission>,
    /// Products approved at the final stage (listed apart, folded).
    pub(crate) approved: Vec<MySubmission>,
    /// Products never submitted: (handle, title).
    pub(crate) unsubmitted: Vec<(String, String)>,
    pub(crate) error: Option<String>,
    pub(crate) notice: Option<String>,
}

pub(crate) async fn licences_page(
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
            .map(|a| agreement_view(&tr, a, &names, false, state.clock.now().date()))
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
pub(crate) struct LicencesQuery {
    #[serde(default)]
    pub(crate) done: String,
}

pub(crate) async fn my_licences(
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
pub(crate) struct CommentForm {
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) comment: String,
}

pub(crate) async fn submit(
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

pub(crate) async fn resubmit(
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
