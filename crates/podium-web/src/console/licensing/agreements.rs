//! Agreements between a licensor and a shop, and the rights sets (properties, categories,
//! territories, channels, royalty) each grants.

use crate::console::licensing::console::{agreement_status_label, error_text, status_for};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::guards::{acting, member_or_return};
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::licensing::{self, AgreementRecord, LicensingError, NewAgreement};
use podium_app::Org;
use podium_domain::licensing::{AgreementStatus, Channel, RightsSet, Territory};
use podium_domain::role::OrgKind;
use podium_domain::Currency;
use serde::Deserialize;
use time::Date;

// ---------------------------------------------------------------------------------------------
// Agreements.

pub(crate) struct RightsView {
    pub(crate) id: String,
    pub(crate) properties: String,
    pub(crate) categories: String,
    pub(crate) territory: String,
    pub(crate) channels: String,
    pub(crate) term: String,
    pub(crate) selloff: String,
    pub(crate) rate: String,
    pub(crate) exclusive: bool,
}

pub(crate) struct AgreementView {
    pub(crate) id: String,
    pub(crate) reference: String,
    pub(crate) party: String,
    pub(crate) status: String,
    pub(crate) status_code: &'static str,
    /// Advance and annual minimum guarantee, formatted in the royalty currency.
    pub(crate) advance: String,
    pub(crate) minimum: String,
    pub(crate) rights: Vec<RightsView>,
}

pub(crate) fn agreement_view(
    tr: &Tr,
    a: &AgreementRecord,
    names: &[(String, String)],
    licensor_side: bool,
    today: Date,
) -> AgreementView {
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

pub(crate) fn territory_text(tr: &Tr, t: &Territory) -> String {
    let names = |l: &[podium_domain::Country]| l.iter().map(|c| tr.country(*c)).collect::<Vec<_>>().join(", ");
    match t {
        Territory::Only(l) => names(l),
        Territory::WorldwideExcept(l) if l.is_empty() => tr.t("territory-worldwide"),
        Territory::WorldwideExcept(l) => tr.t1("territory-except", "countries", &names(l)),
    }
}

#[derive(Template)]
#[template(path = "licensing_agreements.html")]
pub(crate) struct AgreementsPage {
    pub(crate) layout: Layout,
    pub(crate) org: Org,
    pub(crate) agreements: Vec<AgreementView>,
    pub(crate) shops: Vec<Opt>,
    pub(crate) currencies: Vec<Opt>,
    pub(crate) error: Option<String>,
    pub(crate) reference: String,
}

pub(crate) async fn property_names(state: &AppState, tr: &Tr) -> Result<Vec<(String, String)>, PageError> {
    Ok(state.store.properties().await.map_err(internal(tr))?.into_iter().map(|p| (p.id, p.name)).collect())
}

pub(crate) async fn agreements_page(
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
            .map(|a| agreement_view(&tr, a, &names, true, state.clock.now().date()))
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

pub(crate) async fn agreements(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements"));
    agreements_page(&state, v, org, None, String::new()).await
}

#[derive(Deserialize)]
pub(crate) struct NewAgreementForm {
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) reference: String,
    #[serde(default)]
    pub(crate) licensee: String,
    #[serde(default)]
    pub(crate) currency: String,
    #[serde(default)]
    pub(crate) advance: String,
    #[serde(default)]
    pub(crate) minimum: String,
}

/// An amount typed in major units ("5000", "1250.50"); empty is zero.
pub(crate) fn parse_amount(s: &str, currency: Currency) -> Option<i64> {
    let s = s.trim().replace([',', ' '], "");
    if s.is_empty() {
        return Some(0);
    }
    podium_domain::money::parse_minor(&s, currency).ok().filter(|m| *m >= 0)
}

pub(crate) async fn create_agreement(
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
pub(crate) struct AgreementPage {
    pub(crate) layout: Layout,
    pub(crate) org: Org,
    pub(crate) agreement: AgreementView,
    pub(crate) transitions: Vec<Opt>,
    pub(crate) properties: Vec<Opt>,
    pub(crate) categories: Vec<Opt>,
    pub(crate) form: RightsForm,
    /// The id of the rights set being edited; empty when adding one.
    pub(crate) editing: String,
    pub(crate) error: Option<String>,
    pub(crate) notice: Option<String>,
}

/// What the rights form held, to show it again with an error.
#[derive(Default, Clone)]
pub(crate) struct RightsDraft {
    /// The rights set being edited; empty for a new one.
    pub(crate) editing: String,
    pub(crate) form: RightsForm,
    pub(crate) properties: Vec<String>,
    pub(crate) categories: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RightsForm {
    #[serde(default)]
    pub(crate) territory: String,
    #[serde(default)]
    pub(crate) start: String,
    #[serde(default)]
    pub(crate) end: String,
    #[serde(default)]
    pub(crate) selloff: String,
    #[serde(default)]
    pub(crate) rate: String,
    #[serde(default)]
    pub(crate) exclusive: String,
    #[serde(default)]
    pub(crate) retail: String,
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
        agreement: agreement_view(&tr, &a, &names, true, state.clock.now().date()),
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
pub(crate) struct AgreementQuery {
    #[serde(default)]
    pub(crate) saved: String,
    /// A rights set to edit: the form below is filled with it.
    #[serde(default)]
    pub(crate) edit: String,
}

pub(crate) async fn agreement(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<AgreementQuery>,
) -> Result<Response, PageError> {
    let org = member_or_return!(v, slug, OrgKind::Licensor, format!("/console/licensing/{slug}/agreements/{id}"));
    let today = state.clock.now().date();
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

pub(crate) fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A royalty rate typed as a percentage ("10", "7.5") in basis points.
pub(crate) fn parse_rate(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac).filter(|bp| *bp <= 10_000)
}

pub(crate) async fn add_rights(
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
pub(crate) fn build_rights(tr: &Tr, draft: &RightsDraft) -> Result<RightsSet, String> {
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

pub(crate) fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}
