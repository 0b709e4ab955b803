//! The merchant's shipping profiles (DESIGN §3.6): zones of countries with a flat rate per
//! consignment, a rate per extra item and a delivery estimate; one default profile per shop and
//! an optional profile per product. Forms post and redirect; nothing needs JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::shipping::{self, ProfileError};
use podium_app::{storefront, Org};
use podium_domain::money::parse_minor;
use podium_domain::shipping::{parse_countries, ShippingProfile, Zone};
use podium_domain::{Currency, Money};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;

/// Blank zone rows offered below a profile's zones.
const SPARE_ZONES: usize = 2;
/// Zones one profile may have.
const MAX_ZONES: usize = 20;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/shops/{shop}/shipping", shipping_page)
        .post("/console/shops/{shop}/shipping", save_profile)
        .post("/console/shops/{shop}/shipping/{id}/delete", delete_profile)
        .post("/console/shops/{shop}/shipping/assign", assign)
}

/// One zone row of a profile form, as typed.
struct ZoneRow {
    name: String,
    countries: String,
    flat: String,
    per_item: String,
    days_min: String,
    days_max: String,
}

/// A profile as its edit form draws it.
struct ProfileForm {
    id: String,
    name: String,
    is_default: bool,
    zones: Vec<ZoneRow>,
    /// The problem with what was submitted, shown above the form.
    error: Option<String>,
    /// How many of the shop's products use it.
    products: usize,
}

struct ProductChoice {
    id: String,
    title: String,
    options: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "shipping_console.html")]
struct ShippingPage {
    layout: Layout,
    shop: Org,
    profiles: Vec<ProfileForm>,
    new_profile: ProfileForm,
    products: Vec<ProductChoice>,
    notice: Option<String>,
}

fn rows_of(z: &[Zone], currency: Currency) -> Vec<ZoneRow> {
    let amount = |m: Money| Money::new(m.minor, currency).amount();
    let mut rows: Vec<ZoneRow> = z
        .iter()
        .map(|z| ZoneRow {
            name: z.name.clone(),
            countries: if z.rest_of_world {
                "*".into()
            } else {
                z.countries.iter().map(|c| c.code()).collect::<Vec<_>>().join(", ")
            },
            flat: amount(z.flat),
            per_item: amount(z.per_item),
            days_min: z.days_min.to_string(),
            days_max: z.days_max.to_string(),
        })
        .collect();
    rows.extend((0..SPARE_ZONES).map(|_| ZoneRow {
        name: String::new(),
        countries: String::new(),
        flat: String::new(),
        per_item: String::new(),
        days_min: String::new(),
        days_max: String::new(),
    }));
    rows
}

fn form_of(p: &ShippingProfile, currency: Currency, products: usize) -> ProfileForm {
    ProfileForm {
        id: p.id.clone(),
        name: p.name.clone(),
        is_default: p.is_default,
        zones: rows_of(&p.zones, currency),
        error: None,
        products,
    }
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    saved: String,
}

async fn shipping_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let notice = match n.saved.as_str() {
        "profile" => Some(v.tr.t("shipping-saved")),
        "deleted" => Some(v.tr.t("shipping-deleted")),
        "assigned" => Some(v.tr.t("shipping-assigned")),
        _ => None,
    };
    page(&state, v, shop, StatusCode::OK, notice, None).await
}

/// Draws the page; `failed` is a submitted profile form to show again with its problem.
async fn page(
    state: &AppState,
    v: Visitor,
    shop: Org,
    status: StatusCode,
    notice: Option<String>,
    failed: Option<ProfileForm>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let currency = Currency::parse(&shop.currency).unwrap_or(Currency::EUR);
    let profiles = state.store.shipping_profiles(&shop.id).await.map_err(internal)?;
    let ids = state.store.product_ids_of_shop(&shop.id).await.map_err(internal)?;
    let products = state.store.products_by_ids(&ids).await.map_err(internal)?;
    let default_id = profiles.iter().find(|p| p.is_default).map(|p| p.id.clone()).unwrap_or_default();
    let uses = |id: &str| {
        products.iter().filter(|p| p.shipping_profile_id.as_deref().unwrap_or(default_id.as_str()) == id).count()
    };
    let mut forms: Vec<ProfileForm> = profiles.iter().map(|p| form_of(p, currency, uses(&p.id))).collect();
    let mut new_profile = ProfileForm {
        id: String::new(),
        name: String::new(),
        is_default: false,
        zones: rows_of(&[], currency),
        error: None,
        products: 0,
    };
    if let Some(f) = failed {
        match forms.iter_mut().find(|p| !f.id.is_empty() && p.id == f.id) {
            Some(slot) => *slot = ProfileForm { products: slot.products, ..f },
            None => new_profile = f,
        }
    }
    let choices = products
        .iter()
        .map(|p| ProductChoice {
            id: p.id.clone(),
            title: storefront::text(p, tr.lang)
                .map(|t| t.translation.title.clone())
                .unwrap_or_else(|| p.handle.clone()),
            options: std::iter::once(Opt {
                value: String::new(),
                label: tr.t("shipping-use-default"),
                selected: p.shipping_profile_id.is_none(),
                extra: String::new(),
            })
            .chain(profiles.iter().filter(|x| !x.is_default).map(|x| Opt {
                value: x.id.clone(),
                label: x.name.clone(),
                selected: p.shipping_profile_id.as_deref() == Some(x.id.as_str()),
                extra: String::new(),
            }))
            .collect(),
        })
        .collect();
    let view = ShippingPage { layout: Layout::new(&v), shop, profiles: forms, new_profile, products: choices, notice };
    Ok(render(v, status, view))
}

/// Reads a submitted profile form into a profile, or the first problem with it in words.
fn read_profile(
    tr: &Tr,
    pairs: &[(String, String)],
    currency: Currency,
) -> (ProfileForm, Result<ShippingProfile, String>) {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let mut rows = Vec::new();
    for i in 0..MAX_ZONES + SPARE_ZONES {
        let field = |f: &str| get(&format!("zone.{i}.{f}"));
        let row = ZoneRow {
            name: field("name").chars().take(100).collect(),
            countries: field("countries").chars().take(2000).collect(),
            flat: field("flat"),
            per_item: field("per_item"),
            days_min: field("days_min"),
            days_max: field("days_max"),
        };
        let blank = [&row.name, &row.countries, &row.flat, &row.per_item, &row.days_min, &row.days_max]
            .iter()
            .all(|s| s.is_empty());
        if !blank {
            rows.push(row);
        }
    }
    let form = |rows: Vec<ZoneRow>| ProfileForm {
        id: get("id"),
        name: get("name").chars().take(100).collect(),
        is_default: get("is_default") == "on",
        zones: rows,
        error: None,
        products: 0,
    };
    let mut zones = Vec::with_capacity(rows.len());
    let mut problem = None;
    for r in &rows {
        let label = if r.name.is_empty() { tr.t("shipping-zone") } else { r.name.clone() };
        let money = |s: &str, what: &str| {
            let s = if s.is_empty() { "0" } else { s };
            parse_minor(s, currency)
                .map(|m| Money::new(m, currency))
                .map_err(|_| tr.tn("shipping-bad-amount", &[("zone", &label), ("field", &tr.t(what)), ("value", s)]))
        };
        let days = |s: &str| s.parse::<u16>().ok();
        let countries = match r.countries.as_str() {
            "*" => Ok(Vec::new()),
            text => parse_countries(text)
                .map_err(|code| tr.tn("shipping-bad-country", &[("zone", &label), ("code", &code)])),
        };
        let zone = (|| -> Result<Zone, String> {
            Ok(Zone {
                name: r.name.clone(),
                rest_of_world: r.countries == "*",
                countries: countries?,
                flat: money(&r.flat, "shipping-flat")?,
                per_item: money(&r.per_item, "shipping-per-item")?,
                days_min: days(&r.days_min).unwrap_or(0),
                days_max: days(&r.days_max).unwrap_or(0),
            })
        })();
        match zone {
            Ok(z) => zones.push(z),
            Err(e) => {
                problem = Some(e);
                break;
            }
        }
    }
    let f = form(rows);
    let result = match problem {
        Some(e) => Err(e),
        None => Ok(ShippingProfile { id: f.id.clone(), name: f.name.clone(), is_default: f.is_default, zones }),
    };
    (f, result)
}

/// The CSRF token of a form read as pairs.
fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or("")
}

/// The profile error in the reader's language.
fn profile_error_text(tr: &Tr, e: &ProfileError) -> String {
    use podium_domain::shipping::ShippingError as S;
    match e {
        ProfileError::Invalid(S::NoName) => tr.t("shipping-err-name"),
        ProfileError::Invalid(S::NoZones) => tr.t("shipping-err-zones"),
        ProfileError::Invalid(S::ZoneNoName(_)) => tr.t("shipping-err-zone-name"),
        ProfileError::Invalid(S::ZoneNoCountries(z)) => tr.t1("shipping-err-countries", "zone", z),
        ProfileError::Invalid(S::CountryTwice { country, first, second }) => {
            tr.tn("shipping-err-twice", &[("country", &tr.country(*country)), ("first", first), ("second", second)])
        }
        ProfileError::Invalid(S::TwoRestOfWorld) => tr.t("shipping-err-world"),
        ProfileError::Invalid(S::Days(z)) => tr.t1("shipping-err-days", "zone", z),
        ProfileError::Invalid(S::Negative(z)) => tr.t1("shipping-err-negative", "zone", z),
        ProfileError::NameTaken(n) => tr.t1("shipping-err-taken", "name", n),
        ProfileError::DeleteDefault => tr.t("shipping-err-delete-default"),
        ProfileError::NotFound => tr.t("shipping-err-not-found"),
        other => other.to_string(),
    }
}

async fn save_profile(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    v.check_csrf(csrf_of(&pairs))?;
    let shop = shop_or_return!(v, slug);
    let currency = Currency::parse(&shop.currency).unwrap_or(Currency::EUR);
    let (mut form, read) = read_profile(&v.tr, &pairs, currency);
    let outcome = match read {
        Err(e) => Err(e),
        Ok(profile) => {
            shipping::save_profile(state.store.as_ref(), &shop.id, currency, profile).await.map_err(|e| match e {
                ProfileError::Store(s) => s.to_string(),
                other => profile_error_text(&v.tr, &other),
            })
        }
    };
    match outcome {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/shipping?saved=profile", shop.slug)))),
        Err(e) => {
            form.error = Some(e);
            form.zones.extend(rows_of(&[], currency));
            page(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, None, Some(form)).await
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn delete_profile(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    match shipping::delete_profile(state.store.as_ref(), &shop.id, &id).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/shipping?saved=deleted", shop.slug)))),
        // Not one of this shop's profiles.
        Err(ProfileError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(ProfileError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let text = profile_error_text(&v.tr, &e);
            page(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, Some(text), None).await
        }
    }
}

/// Saves the product table: each product's profile (`""`: the shop's default).
async fn assign(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    v.check_csrf(csrf_of(&pairs))?;
    let shop = shop_or_return!(v, slug);
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let profiles = state.store.shipping_profiles(&shop.id).await.map_err(internal)?;
    let mut by_profile: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for (k, value) in &pairs {
        let Some(product) = k.strip_prefix("product.") else { continue };
        let profile = (!value.is_empty()).then(|| value.clone());
        if profile.as_ref().is_some_and(|id| !profiles.iter().any(|p| &p.id == id)) {
            let text = tr.t("shipping-err-not-found");
            return page(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, Some(text), None).await;
        }
        match by_profile.iter_mut().find(|(p, _)| *p == profile) {
            Some((_, ids)) => ids.push(product.to_string()),
            None => by_profile.push((profile, vec![product.to_string()])),
        }
    }
    for (profile, ids) in by_profile {
        state.store.assign_shipping_profile(&shop.id, &ids, profile.as_deref()).await.map_err(internal)?;
    }
    Ok(v.respond(Redirect::to(&format!("/console/shops/{}/shipping?saved=assigned", shop.slug))))
}
