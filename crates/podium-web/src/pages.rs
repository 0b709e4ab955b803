//! Storefront and console pages. Every form posts and redirects; nothing needs JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::accounts::{self, SignInError};
use podium_app::Org;
use podium_domain::role::{OrgKind, Role};
use podium_domain::Country;
use serde::Deserialize;

use crate::context::Visitor;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::layout::{Layout, Opt};
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/", home)
        .get("/signin", signin_page)
        .post("/signin", signin)
        .post("/signout", signout)
        .get("/console", console_home)
        .get("/console/{role}", console)
        .get("/static/podium.css", stylesheet)
        .get("/static/story.js", story_script)
        .get("/static/drop.js", drop_script)
}

pub(crate) fn render(v: Visitor, status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => v.respond((status, Html(html))),
        Err(e) => PageError::internal(v.tr.clone(), e).into_response(),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/podium.css"),
    )
}

async fn story_script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/story.js"),
    )
}

async fn drop_script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/drop.js"),
    )
}

pub async fn not_found(v: Visitor) -> Response {
    let tr = v.tr.clone();
    v.respond(PageError::not_found(tr))
}

/// An organisation as a card or table row shows it.
struct OrgView {
    slug: String,
    name: String,
    place: String,
    currency: String,
}

fn org_view(tr: &Tr, o: &Org) -> OrgView {
    let place = Country::parse(&o.country).map(|c| tr.country(c)).unwrap_or_else(|_| o.country.clone());
    OrgView {
        slug: o.slug.clone(),
        name: o.name.clone(),
        place: tr.t1("home-shop-based-in", "country", &place),
        currency: o.currency.clone(),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    prices_for: String,
    properties: Vec<Opt>,
    shops: Vec<OrgView>,
    cards: Vec<crate::catalogue_pages::Card>,
    stories: Vec<crate::stories_pages::StoryCard>,
}

async fn home(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let store = state.store.as_ref();
    let properties = store.properties().await.map_err(internal)?;
    let shops = store.orgs_of_kind(OrgKind::Shop).await.map_err(internal)?;
    let newest = crate::api_catalogue::ListingParams::newest(v.prefs.country, 1, 8);
    let found = crate::api_catalogue::listing(&state, &tr, v.shopper(), newest)
        .await
        .map_err(|e| PageError::internal(tr.clone(), e.detail))?;
    let country = tr.country(v.prefs.country);
    let prices_for = tr.tn("home-hero-prices", &[("currency", v.prefs.currency.code()), ("country", &country)]);
    let page = HomePage {
        layout: crate::head::home(Layout::new(&v)),
        prices_for,
        properties: properties
            .iter()
            .map(|p| Opt {
                value: p.slug.clone(),
                label: p.name.clone(),
                selected: false,
                extra: p.licensor_name.clone(),
            })
            .collect(),
        shops: shops.iter().map(|o| org_view(&tr, o)).collect(),
        cards: found.products.iter().map(|p| crate::catalogue_pages::card(&tr, p, found.price_of(p))).collect(),
        stories: crate::stories_pages::stories_for(&state, &tr, None, None, 3).await?,
    };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
    /// Set after a password reset (`reset=1`) or signing out everywhere (`ended=1`).
    #[serde(default)]
    reset: String,
    #[serde(default)]
    ended: String,
}

/// Where a form sends the browser next: a same-site path, normalised as a browser reads it
/// (the rule is [`podium_app::links::same_site_path`]), else `default`. A target with a line
/// break or control character answers 400.
pub(crate) fn safe_target(tr: &Tr, raw: &str, default: &str) -> Result<String, PageError> {
    match podium_app::links::same_site_path(raw) {
        Ok(path) => Ok(path.unwrap_or_else(|| default.to_string())),
        Err(_) => Err(PageError::bad_link(tr.clone())),
    }
}

/// Only same-site paths are followed after sign-in, so the form cannot redirect elsewhere.
fn safe_next(tr: &Tr, next: &str) -> Result<String, PageError> {
    safe_target(tr, next, "/console")
}

async fn signin_page(v: Visitor, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let next = safe_next(&v.tr, &q.next)?;
    if v.principal.is_some() {
        return Ok(v.respond(Redirect::to("/console")));
    }
    let mut layout = Layout::new(&v);
    if q.reset == "1" {
        layout.notices.push(v.tr.t("signin-reset-done"));
    }
    if q.ended == "1" {
        layout.notices.push(v.tr.t("signin-ended"));
    }
    let page = SignInPage { layout, error: None, email: String::new(), next };
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn signin(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let next = safe_next(&v.tr, &form.next)?;
    let now = state.clock.now();
    let result = accounts::sign_in(state.store.as_ref(), &form.email, &form.password, &v.client, now).await;
    let (status, error) = match result {
        Ok(session) => {
            // A new session id at every sign-in: whatever session this browser held ends.
            if let Some(old) = &v.principal {
                if let Err(e) = accounts::sign_out(state.store.as_ref(), old).await {
                    tracing::warn!(error = %e, "could not end the session replaced at sign-in");
                }
            }
            v.set_session(&session.token);
            // A guest cart joins the fan's own cart (or becomes it).
            match podium_app::cart::adopt(state.store.as_ref(), v.cart_id().as_deref(), &session.user.id).await {
                Ok(Some(cart)) => v.set_cart(&cart),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not keep the guest cart"),
            }
            return Ok(v.respond(Redirect::to(&next)));
        }
        Err(SignInError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, v.tr.t("signin-error-credentials")),
        Err(SignInError::Unconfirmed) => (StatusCode::FORBIDDEN, v.tr.t("signin-error-unconfirmed")),
        Err(SignInError::TooManyAttempts { retry_after_secs }) => {
            let minutes = ((retry_after_secs + 59) / 60).to_string();
            (StatusCode::TOO_MANY_REQUESTS, v.tr.t1("signin-error-throttled", "minutes", &minutes))
        }
        Err(SignInError::Store(e)) => return Err(PageError::internal(v.tr.clone(), e)),
    };
    let page = SignInPage { layout: Layout::new(&v), error: Some(error), email: form.email, next };
    Ok(render(v, status, page))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn signout(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    if let Some(p) = &v.principal {
        accounts::sign_out(state.store.as_ref(), p).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    }
    v.clear_session();
    // The fan's cart (name and address saved in it) stays with the fan, not with the browser.
    v.clear_cart();
    Ok(v.respond(Redirect::to("/")))
}

async fn console_home(v: Visitor) -> Response {
    match &v.principal {
        Some(p) => {
            let role = p.home_role();
            v.respond(Redirect::to(&format!("/console/{}", role.as_str())))
        }
        None => v.respond(Redirect::to("/signin?next=/console")),
    }
}

struct RateRow {
    currency: String,
    per_eur: String,
    date: String,
    source: String,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
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
    orders: Vec<crate::fan_console::FanOrder>,
}

/// A licensor's property in the console, with its emblem.
struct PropertyAdmin {
    slug: String,
    name: String,
    emblem: Option<String>,
}

#[derive(Deserialize, Default)]
struct ConsoleQuery {
    #[serde(default)]
    emblem: String,
    /// The outcome of a rates upload or manual rate: `imported-N`, `manual`, `error-…`.
    #[serde(default)]
    rates: String,
    #[serde(default)]
    property: String,
}

async fn console(
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
        other => Some(crate::shop_console::image_error_message(&tr, other.trim_start_matches("error-"))),
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
    let orders = if role == Role::Fan { crate::fan_console::recent_orders(&state, &v).await? } else { Vec::new() };
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

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
