//! A shop's price rounding in its console: per currency, converted prices rounded up to a round
//! step (`podium_app::display_rounding`). Off until the shop types a step.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::display_rounding::{self, SetRoundingError};
use podium_app::Org;
use podium_domain::currency::STOREFRONT;
use podium_domain::rounding::RoundingError;
use podium_domain::{Currency, Money};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/shops/{shop}/rounding", rounding_page)
        .post("/console/shops/{shop}/rounding", save)
}

/// One currency's row: its code, the step as typed (empty: off) and an example.
struct Row {
    code: String,
    step: String,
    example: String,
}

#[derive(Template)]
#[template(path = "rounding_console.html")]
struct RoundingPage {
    layout: Layout,
    shop: Org,
    rows: Vec<Row>,
    notice: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct Saved {
    #[serde(default)]
    saved: String,
}

/// The currencies a shop's prices are converted into: the storefront's, less its own.
fn currencies(shop: &Org) -> Vec<Currency> {
    STOREFRONT.iter().filter_map(|c| Currency::parse(c).ok()).filter(|c| c.code() != shop.currency).collect()
}

/// A step that reads naturally for the currency (₩100, ¥10, €1.00), shown as a hint.
fn example(tr: &Tr, c: Currency) -> String {
    let minor = match c.exponent() {
        0 => 100,
        e => 10i64.pow(u32::from(e)),
    };
    tr.t1("rounding-example", "example", &tr.money(Money::new(minor, c)))
}

async fn show(
    state: &AppState,
    v: Visitor,
    shop: Org,
    typed: Option<Vec<(String, String)>>,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let reference =
        state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let steps = reference.rounding.of_shop(&shop.id);
    let rows = currencies(&shop)
        .into_iter()
        .map(|c| Row {
            code: c.code().to_string(),
            step: match &typed {
                Some(t) => t.iter().find(|(k, _)| *k == c.code()).map(|(_, s)| s.clone()).unwrap_or_default(),
                None => steps.iter().find(|s| s.currency == c).map(|s| s.amount().amount()).unwrap_or_default(),
            },
            example: example(&v.tr, c),
        })
        .collect();
    let page = RoundingPage { layout: Layout::new(&v), shop, rows, notice, errors };
    Ok(render(v, status, page))
}

async fn rounding_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let notice = (q.saved == "1").then(|| v.tr.t("rounding-saved"));
    show(&state, v, shop, None, StatusCode::OK, notice, Vec::new()).await
}

fn error_text(tr: &Tr, code: &str, e: &SetRoundingError) -> String {
    let reason = match e {
        SetRoundingError::Amount(value, c) => {
            tr.tn("rounding-error-amount", &[("value", value), ("currency", c.code())])
        }
        SetRoundingError::Step(RoundingError::TooSmall(_)) => tr.t("rounding-error-small"),
        SetRoundingError::Step(RoundingError::TooLarge(c)) => tr.t1("rounding-error-large", "currency", c.code()),
        SetRoundingError::Currency(c) => c.clone(),
        SetRoundingError::Store(_) => tr.t("error-server-title"),
    };
    format!("{code}: {reason}")
}

/// Saves every currency's step (each one checked; a bad one is reported and left as it was).
async fn save(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone()).unwrap_or_default();
    v.check_csrf(&get("csrf_token"))?;
    let shop = shop_or_return!(v, slug);
    let now = state.clock.now();
    let mut typed = Vec::new();
    let mut errors = Vec::new();
    for c in currencies(&shop) {
        let step: String = get(&format!("step.{}", c.code())).chars().take(30).collect();
        match display_rounding::set_rounding(state.store.as_ref(), &shop.id, c.code(), &step, now).await {
            Ok(_) => {}
            Err(SetRoundingError::Store(e)) => return Err(PageError::internal(v.tr.clone(), e)),
            Err(e) => errors.push(error_text(&v.tr, c.code(), &e)),
        }
        typed.push((c.code().to_string(), step));
    }
    if errors.is_empty() {
        return Ok(v.respond(Redirect::to(&format!("/console/shops/{}/rounding?saved=1", shop.slug))));
    }
    show(&state, v, shop, Some(typed), StatusCode::UNPROCESSABLE_ENTITY, None, errors).await
}
