//! The licensor's authenticity codes page: the merchants' open requests for codes (with the
//! quantities they need, each answerable in one form), issuing a batch for any variant (found by
//! a search), and the batches issued. Also the agreement's status changes. Issuing codes and
//! changing an agreement's status cannot be undone, so each form says what will happen and
//! needs its box ticked; the server refuses a form without it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::code_requests::{self, RequestFilter};
use podium_app::licensing::{self, LicensingError, SubmissionFilter};
use podium_app::Org;
use podium_domain::licensing::AgreementStatus;
use podium_domain::role::OrgKind;
use serde::Deserialize;

use crate::console::licensing::agreements::{agreement_page, RightsDraft};
use crate::console::licensing::console::{error_text, status_for};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::date;
use crate::kit::guards::{acting, member_or_return};
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;

struct BatchView {
    id: String,
    when: String,
    product: String,
    sku: String,
    shop: String,
    quantity: i64,
    verified: i64,
    by: String,
}

/// An open request from a licensee, answerable from the page.
struct RequestView {
    id: String,
    /// `product slug|sku`, what the issue form posts.
    variant: String,
    label: String,
    /// "Nairobi Threads needs 12 codes".
    headline: String,
    /// What ticking the box agrees to.
    confirm: String,
    quantity: i64,
    note: String,
    by: String,
    waited: String,
}

#[derive(Template)]
#[template(path = "licensing_codes.html")]
struct CodesPage {
    layout: Layout,
    org: Org,
    batches: Vec<BatchView>,
    products: Vec<Opt>,
    requests: Vec<RequestView>,
    q: String,
    error: Option<String>,
    notice: Option<String>,
}

/// Whether every word of the search is in the label (case does not matter).
fn matches(label: &str, q: &str) -> bool {
    let label = label.to_lowercase();
    q.split_whitespace().all(|w| label.contains(&w.to_lowercase()))
}

async fn codes_page(
    state: &AppState,
    v: Visitor,
    org: Org,
    q: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let batches = state.store.code_batches(&org.id).await.map_err(internal(&tr))?;
    // Variants of products whose production stage is approved: what codes can be issued for.
    let subs = state
        .store
        .submissions(&SubmissionFilter { licensor_id: Some(org.id.clone()), ..Default::default() })
        .await
        .map_err(internal(&tr))?;
    let filter = RequestFilter { licensor_id: Some(org.id.clone()), open_only: true, ..Default::default() };
    let open = state.store.code_requests(&filter).await.map_err(internal(&tr))?;
    let mut ids: Vec<String> =
        subs.iter().map(|s| s.product_id.clone()).chain(open.iter().map(|r| r.product_id.clone())).collect();
    ids.sort();
    ids.dedup();
    let products = state.store.products_by_ids(&ids).await.map_err(internal(&tr))?;
    let label_of = |p: &podium_app::catalogue::ProductRecord, x: &podium_app::catalogue::VariantRecord| {
        let title = podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
        let opts: Vec<&str> = x.options.iter().map(|(_, v)| v.as_str()).collect();
        format!("{title} · {} · {} · {}", opts.join(" / "), x.sku, p.shop.name)
    };
    let mut options = Vec::new();
    for p in products.iter().filter(|p| licensing::production_approved(&subs, p)) {
        for x in &p.variants {
            let label = label_of(p, x);
            if matches(&label, q) {
                let value = format!("{}|{}", p.slug, x.sku);
                options.push(Opt { value, label, selected: false, extra: String::new() });
            }
        }
    }
    options.sort_by(|a, b| a.label.cmp(&b.label));
    let now = state.clock.now();
    let requests = open
        .iter()
        .filter_map(|r| {
            let p = products.iter().find(|p| p.id == r.product_id)?;
            let x = p.variants.iter().find(|x| x.id == r.variant_id)?;
            Some(RequestView {
                id: r.id.clone(),
                variant: format!("{}|{}", p.slug, x.sku),
                label: label_of(p, x),
                headline: tr.tn("code-requests-line", &[("count", &r.quantity.to_string()), ("shop", &p.shop.name)]),
                confirm: tr.t1("codes-confirm-check", "shop", &p.shop.name),
                quantity: r.quantity,
                note: r.note.clone(),
                by: r.requested_by.clone(),
                waited: crate::kit::format::waited(&tr, r.created_at, now),
            })
        })
        .collect();
    let page = CodesPage {
        layout: Layout::new(&v),
        batches: batches
            .into_iter()
            .map(|b| BatchView {
                id: b.id,
                when: date(b.created_at),
                product: b.product_slug,
                sku: b.variant_sku,
                shop: b.shop.name,
                quantity: b.quantity,
                verified: b.verified,
                by: b.issued_by,
            })
            .collect(),
        products: options,
        requests,
        q: q.to_string(),
        org,
        error,
        notice,
    };
    Ok(render(v, status_for(&page.error), page))
}

#[derive(Deserialize, Default)]
pub(crate) struct CodesQuery {
    #[serde(default)]
    issued: String,
    #[serde(default)]
    q: String,
}

pub(crate) async fn codes(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<CodesQuery>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/codes"));
    let notice = (!q.issued.is_empty()).then(|| v.tr.t1("codes-issued", "count", &q.issued));
    codes_page(&state, v, org, q.q.trim(), None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct IssueForm {
    csrf_token: String,
    #[serde(default)]
    variant: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn issue_codes(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<IssueForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/codes"));
    let Some((product, sku)) = f.variant.split_once('|') else {
        let e = v.tr.t("codes-choose-variant");
        return codes_page(&state, v, org, "", Some(e), None).await;
    };
    let Ok(quantity) = f.quantity.trim().parse::<i64>() else {
        let e = v.tr.t1("codes-bad-quantity", "max", &licensing::MAX_BATCH.to_string());
        return codes_page(&state, v, org, "", Some(e), None).await;
    };
    if f.confirm != "yes" {
        let e = v.tr.t("codes-confirm-missing");
        return codes_page(&state, v, org, "", Some(e), None).await;
    }
    let mut random = || rand::random::<u64>();
    let now = state.clock.now();
    let who = acting(&v);
    match code_requests::issue_codes(state.store.as_ref(), &who, &org.id, product, sku, quantity, &mut random, now)
        .await
    {
        Ok(b) => Ok(v.respond(Redirect::to(&format!("/console/licensing/{}/codes?issued={}", org.slug, b.quantity)))),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let msg = error_text(&v.tr, &e);
            codes_page(&state, v, org, "", Some(msg), None).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    csrf_token: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn agreement_status(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements/{id}"));
    let Some(to) = AgreementStatus::parse(&f.to) else { return Err(PageError::not_found(v.tr.clone())) };
    if f.confirm != "yes" {
        let msg = v.tr.t("agreement-confirm-missing");
        return agreement_page(&state, v, org, &id, RightsDraft::default(), Some(msg), None).await;
    }
    match licensing::change_agreement_status(state.store.as_ref(), &acting(&v), &org.id, &id, to).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!(
            "/console/licensing/{}/agreements/{id}?saved={}",
            org.slug,
            to.as_str()
        )))),
        Err(LicensingError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(LicensingError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let msg = error_text(&v.tr, &e);
            agreement_page(&state, v, org, &id, RightsDraft::default(), Some(msg), None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_search_finds_variants_by_every_word_in_any_case() {
        let label = "Harambee cap · One size · team-kenya-cap-os · Nairobi Threads";
        assert!(matches(label, "harambee NAIROBI"));
        assert!(matches(label, ""));
        assert!(!matches(label, "harambee tee"));
    }
}
