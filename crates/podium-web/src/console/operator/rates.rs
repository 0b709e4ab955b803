//! The operator's trade rules: which rules are in force (the shipped illustrative defaults or
//! the newest import), country by country, and an upload that checks the whole file and reports
//! every problem with its line and field before anything changes.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::trade_rules::{self, ImportRulesError, RulesSource};
use podium_domain::landed::{ThresholdKind, TradeRules};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::{audit, operator_or};
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

/// Rules files are small; a megabyte leaves plenty of room.
const MAX_RULES_BYTES: usize = 1024 * 1024;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/operator/trade-rules", page)
        .post("/console/operator/trade-rules", upload)
        .post("/console/operator/rates", upload_rates)
        .map(|r| r.layer(DefaultBodyLimit::max(MAX_RULES_BYTES + 16 * 1024)))
        .post("/console/operator/rates/manual", manual_rate)
}

struct CountryRow {
    country: String,
    vat: String,
    threshold: String,
    duty: String,
}

#[derive(Template)]
#[template(path = "trade_rules.html")]
struct RulesPage {
    layout: Layout,
    source: String,
    defaults: bool,
    rows: Vec<CountryRow>,
    errors: Vec<String>,
    notice: Option<String>,
}

fn percent(bp: u32) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100)
}

fn rows(tr: &Tr, rules: &TradeRules, today: time::Date) -> Vec<CountryRow> {
    rules
        .countries
        .iter()
        .map(|c| {
            let current = c.low_value.iter().filter(|r| r.from <= today).max_by_key(|r| r.from);
            let threshold = match current.and_then(|r| r.threshold.map(|t| (r, t))) {
                Some((r, t)) => {
                    let kind = match r.kind {
                        ThresholdKind::DeMinimis => tr.t("rules-de-minimis"),
                        ThresholdKind::LowValue => tr.t("rules-low-value"),
                    };
                    format!("{} · {kind}", tr.money(t))
                }
                None => tr.t("rules-no-threshold"),
            };
            CountryRow {
                country: format!("{} ({})", tr.country(c.country), c.country.code()),
                vat: percent(c.vat_bp),
                threshold,
                duty: percent(c.duty_default_bp),
            }
        })
        .collect()
}

async fn render_page(
    state: &AppState,
    v: Visitor,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let (rules, source) =
        trade_rules::current(state.store.as_ref()).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    let (source_text, defaults) = match source {
        RulesSource::Defaults => (tr.t("rules-source-defaults"), true),
        RulesSource::Imported { by, at } => {
            (tr.tn("rules-source-imported", &[("by", &by), ("at", &format!("{} UTC", at.date()))]), false)
        }
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RulesPage {
        layout: Layout::new(&v),
        source: source_text,
        defaults,
        rows: rows(&tr, &rules, state.clock.now().date()),
        errors,
        notice,
    };
    Ok(render(v, status, page))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    imported: String,
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Result<Response, PageError> {
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let notice = (!q.imported.is_empty()).then(|| v.tr.t1("rules-imported", "count", &q.imported));
    render_page(&state, v, Vec::new(), notice).await
}

async fn upload(State(state): State<AppState>, v: Visitor, form: Multipart) -> Result<Response, PageError> {
    let up = crate::kit::uploads::read_upload(form).await;
    let too_large = up.too_large;
    if !too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    let file = up.file;
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let tr = v.tr.clone();
    let text = match (too_large, file.map(String::from_utf8)) {
        (true, _) => return render_page(&state, v, vec![tr.t("rules-too-large")], None).await,
        (false, Some(Ok(text))) if !text.trim().is_empty() => text,
        (false, Some(Err(_))) => return render_page(&state, v, vec![tr.t("rules-not-text")], None).await,
        _ => return render_page(&state, v, vec![tr.t("rules-empty")], None).await,
    };
    let by = v.principal.as_ref().map(|p| p.user.email.clone()).unwrap_or_default();
    match trade_rules::import(state.store.as_ref(), &text, &by).await {
        Ok(rules) => {
            let detail = format!("{} countries, {} bytes", rules.countries.len(), text.len());
            audit(&state, &v, "trade-rules.import", "trade rules", &detail).await?;
            Ok(v.respond(Redirect::to(&format!("/console/operator/trade-rules?imported={}", rules.countries.len()))))
        }
        Err(ImportRulesError::Rules(problems)) => {
            let errors = problems.iter().map(|p| p.to_string()).collect();
            render_page(&state, v, errors, None).await
        }
        Err(ImportRulesError::Store(e)) => Err(PageError::internal(tr, e)),
    }
}

/// An ECB file (daily XML or CSV) uploaded from the operator console, read by the same code as
/// `podium import fx`; the console says how many rates came in, or which line is wrong.
async fn upload_rates(State(state): State<AppState>, v: Visitor, form: Multipart) -> Result<Response, PageError> {
    let up = crate::kit::uploads::read_upload(form).await;
    if !up.too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let back = |q: &str| Redirect::to(&format!("/console/operator?rates={q}#rates-title"));
    let text = match (up.too_large, up.file.map(String::from_utf8)) {
        (false, Some(Ok(text))) if !text.trim().is_empty() => text,
        (true, _) => return Ok(v.respond(back("error-large"))),
        _ => return Ok(v.respond(back("error-empty"))),
    };
    match podium_app::fx_import::import(state.store.as_ref(), &text, "ECB").await {
        Ok(report) => {
            audit(&state, &v, "rates.import", "ECB rates", &report.summary()).await?;
            Ok(v.respond(back(&format!("imported-{}", report.rates.len()))))
        }
        Err(podium_app::fx_import::FxImportError::Invalid { line, .. }) => {
            Ok(v.respond(back(&format!("error-line-{line}"))))
        }
        Err(podium_app::fx_import::FxImportError::Empty) => Ok(v.respond(back("error-empty"))),
        Err(podium_app::fx_import::FxImportError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
    }
}

#[derive(Deserialize)]
struct ManualRate {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    per_eur: String,
    #[serde(default)]
    source: String,
}

/// A rate the ECB does not publish (KES, for one), entered by hand with its source, dated today.
async fn manual_rate(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<ManualRate>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    if let Err(r) = operator_or(&v) {
        return Ok(v.respond(*r));
    }
    let back = |q: &str| Redirect::to(&format!("/console/operator?rates={q}#rates-title"));
    let Ok(currency) = podium_domain::Currency::parse(f.currency.trim().to_ascii_uppercase().as_str()) else {
        return Ok(v.respond(back("error-currency")));
    };
    let per_eur = match f.per_eur.trim().replace(',', ".").parse::<rust_decimal::Decimal>() {
        Ok(d) if d > rust_decimal::Decimal::ZERO && currency != podium_domain::Currency::EUR => d,
        _ => return Ok(v.respond(back("error-rate"))),
    };
    let source: String = f.source.trim().chars().take(200).collect();
    if source.is_empty() {
        return Ok(v.respond(back("error-source")));
    }
    let rate = podium_domain::Rate {
        currency,
        per_eur,
        date: state.clock.now().date(),
        source: format!("operator: {source}"),
    };
    let detail = format!("{} per EUR, {}", rate.per_eur, rate.source);
    state.store.save_rates(&[rate]).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    audit(&state, &v, "rates.manual", currency.code(), &detail).await?;
    Ok(v.respond(back("manual")))
}
