//! The console's start: `/console` and each role's page listing its organisations. An area of its own.

pub mod fan_orders;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::{Layout, Opt};
use crate::kit::org_view::{org_view, OrgView};
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use podium_domain::role::{OrgKind, Role};
use serde::Deserialize;

pub(crate) async fn console_home(v: Visitor) -> Response {
    match &v.principal {
        Some(p) => {
            let role = p.home_role();
            v.respond(Redirect::to(&format!("/console/{}", role.as_str())))
        }
        None => v.respond(Redirect::to("/signin?next=/console")),
    }
}

pub(crate) struct RateRow {
    currency: String,
    per_eur: String,
    date: String,
    source: String,
}

#[derive(Template)]
#[template(path = "console.html")]
pub(crate) struct ConsolePage {
    layout: Layout,
    role: &'static str,
    roles: Vec<Opt>,
    welcome: String,
    heading: String,
    intro: String,
    orgs: Vec<OrgView>,
    rates: Vec<RateRow>,
    rates_stale: bool,
    rates_notice: Option<String>,
    rates_failed: bool,
    properties: Vec<PropertyAdmin>,
    emblem_notice: Option<String>,
    emblem_failed: bool,
    /// The outcome of adding a property, and whether it failed.
    property_notice: Option<String>,
    property_failed: bool,
    /// The fan's latest orders (the fan console only).
    orders: Vec<crate::console::start::fan_orders::FanOrder>,
}

/// A licensor's property in the console, with its emblem.
pub(crate) struct PropertyAdmin {
    slug: String,
    name: String,
    emblem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ConsoleQuery {
    #[serde(default)]
    emblem: String,
    /// The outcome of a rates upload or manual rate: `imported-N`, `manual`, `error-…`.
    #[serde(default)]
    rates: String,
    #[serde(default)]
    property: String,
}

pub(crate) async fn console(
    State(state): State<AppState>,
    v: Visitor,
    Path(role): Path<String>,
    Query(cq): Query<ConsoleQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(principal) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to(&format!("/signin?next=/console/{}", urlencode(&role)))));
    };
    let role = match role.as_str() {
        "fan" => Role::Fan,
        "merchant" => Role::Merchant,
        "licensor" => Role::Licensor,
        "operator" => Role::Operator,
        _ => return Err(PageError::not_found(tr)),
    };
    // Role check: each console opens only for those who hold its role.
    if !principal.has_role(role) {
        return Err(PageError::forbidden(tr));
    }
    let (heading, intro, kind) = match role {
        Role::Fan => ("console-fan-title", "console-fan-body", None),
        Role::Merchant => ("console-merchant-title", "console-merchant-body", Some(OrgKind::Shop)),
        Role::Licensor => ("console-licensor-title", "console-licensor-body", Some(OrgKind::Licensor)),
        Role::Operator => ("console-operator-title", "console-operator-body", Some(OrgKind::Operator)),
    };
    let orgs = kind.map(|k| principal.orgs_of(k).map(|o| org_view(&tr, o)).collect()).unwrap_or_default();
    let (rates, rates_stale) = if role == Role::Operator {
        let rates = state.store.latest_rates().await.map_err(|e| PageError::internal(tr.clone(), e))?;
        let today = state.clock.now().date();
        let stale = podium_domain::fx::any_stale(&rates, today);
        let rows = rates
            .into_iter()
            .map(|r| RateRow {
                currency: r.currency.code().to_string(),
                per_eur: r.per_eur.to_string(),
                date: r.date.to_string(),
                source: r.source,
            })
            .collect();
        (rows, stale)
    } else {
        (Vec::new(), false)
    };
    let properties = if role == Role::Licensor {
        let mine: Vec<&str> = principal.orgs_of(OrgKind::Licensor).map(|o| o.id.as_str()).collect();
        let all = state.store.properties().await.map_err(|e| PageError::internal(tr.clone(), e))?;
        all.into_iter()
            .filter(|p| mine.contains(&p.licensor_id.as_str()))
            .map(|p| PropertyAdmin { slug: p.slug, name: p.name, emblem: p.emblem.map(|e| e.id) })
            .collect()
    } else {
        Vec::new()
    };
    let property_failed = matches!(cq.property.as_str(), "taken" | "invalid");
    let property_notice = match cq.property.as_str() {
        "added" | "taken" | "invalid" => Some(tr.t(&format!("property-{}", cq.property))),
        _ => None,
    };
    let emblem_failed = cq.emblem.starts_with("error-");
    let emblem_notice = match cq.emblem.as_str() {
        "" => None,
        "saved" => Some(tr.t("emblem-saved")),
        other => Some(crate::kit::uploads::image_error_message(&tr, other.trim_start_matches("error-"))),
    };
    let rates_failed = cq.rates.starts_with("error-");
    let rates_notice = match cq.rates.as_str() {
        "" => None,
        "manual" => Some(tr.t("rates-manual-saved")),
        r if r.starts_with("imported-") => Some(tr.t1("rates-imported", "count", r.trim_start_matches("imported-"))),
        r if r.starts_with("error-line-") => {
            Some(tr.t1("rates-error-line", "line", r.trim_start_matches("error-line-")))
        }
        "error-large" | "error-empty" | "error-currency" | "error-rate" | "error-source" => {
            Some(tr.t(&format!("rates-{}", cq.rates)))
        }
        _ => None,
    };
    let roles = principal
        .roles()
        .into_iter()
        .map(|r| Opt {
            value: r.as_str().to_string(),
            label: tr.t(&format!("role-{}", r.as_str())),
            selected: r == role,
            extra: String::new(),
        })
        .collect();
    let orders = if role == Role::Fan {
        crate::console::start::fan_orders::recent_orders(&state, &v).await?
    } else {
        Vec::new()
    };
    let page = ConsolePage {
        orders,
        layout: Layout::new(&v),
        role: role.as_str(),
        roles,
        welcome: tr.t1("console-welcome", "name", &principal.user.display_name),
        heading: tr.t(heading),
        intro: tr.t(intro),
        orgs,
        rates,
        rates_stale,
        rates_notice,
        rates_failed,
        properties,
        emblem_notice,
        emblem_failed,
        property_notice,
        property_failed,
    };
    Ok(render(v, StatusCode::OK, page))
}

pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/console", console_home).get("/console/{role}", console)
}
