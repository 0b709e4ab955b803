//! Authenticity verification for fans: `/verify` (a form), `/verify/{code}`, the GS1 Digital Link
//! `/01/{gtin14}/21/{serial}`, and `GET /api/v1/authenticity/{code}`. Every look-up is counted
//! per client in the database, so no node lets codes be enumerated.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::authenticity::LookUp;
use podium_domain::authenticity::{Code, CodeError};
use podium_domain::catalogue::parse_gtin;
use podium_domain::Country;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::kit::context::{look_up_code as look_up, Visitor};
use crate::kit::error::PageError;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/verify", form)
        .get("/verify/{code}", page)
        .get("/01/{gtin}/21/{serial}", digital_link)
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    /// What was typed, for the form.
    typed: String,
    /// genuine, suspicious, unknown, malformed, limited, or empty for the bare form.
    status: &'static str,
    heading: String,
    message: String,
    facts: Vec<(String, String)>,
    product_url: Option<String>,
}

fn date(t: OffsetDateTime) -> String {
    format!("{} UTC", t.date())
}

fn verify_page(v: &Visitor, typed: &str, outcome: LookUp) -> (StatusCode, VerifyPage) {
    let tr = &v.tr;
    let mut facts = Vec::new();
    let mut product_url = None;
    let (status, code, heading, message) = match outcome {
        LookUp::Found(found) => {
            let s = &found.state;
            if let Some(p) = &found.product {
                let title =
                    podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
                facts.push((tr.t("verify-product"), title));
                facts.push((tr.t("verify-licensee"), p.shop.name.clone()));
                facts.push((tr.t("verify-licensor"), p.property.licensor_name.clone()));
                facts.push((tr.t("verify-property"), p.property.name.clone()));
                if podium_app::storefront::is_public(p) {
                    product_url = Some(format!("/products/{}", p.slug));
                }
            }
            facts.push((tr.t("verify-issued"), date(s.issued_at)));
            let first = match (s.first_verified_at, &s.first_country) {
                (Some(at), Some(c)) => {
                    let country = Country::parse(c).map(|c| tr.country(c)).unwrap_or_else(|_| c.clone());
                    format!("{} · {}", date(at), country)
                }
                (Some(at), None) => format!("{} · {}", date(at), tr.t("verify-country-unknown")),
                _ => tr.t("verify-never"),
            };
            facts.push((tr.t("verify-first"), first));
            facts.push((tr.t("verify-count"), s.verifications.to_string()));
            if found.suspicious {
                ("suspicious", StatusCode::OK, tr.t("verify-suspicious-title"), tr.t("verify-suspicious-body"))
            } else {
                ("genuine", StatusCode::OK, tr.t("verify-genuine-title"), tr.t("verify-genuine-body"))
            }
        }
        LookUp::Unknown => {
            ("unknown", StatusCode::NOT_FOUND, tr.t("verify-unknown-title"), tr.t("verify-unknown-body"))
        }
        LookUp::Malformed(e) => {
            let why = match e {
                CodeError::Length(n) => tr.t1("verify-malformed-length", "count", &n.to_string()),
                CodeError::Symbol(c) => tr.t1("verify-malformed-symbol", "symbol", &c.to_string()),
                CodeError::Check => tr.t("verify-malformed-check"),
            };
            ("malformed", StatusCode::UNPROCESSABLE_ENTITY, tr.t("verify-malformed-title"), why)
        }
        LookUp::Limited(secs) => (
            "limited",
            StatusCode::TOO_MANY_REQUESTS,
            tr.t("verify-limited-title"),
            tr.t1("verify-limited-body", "seconds", &secs.to_string()),
        ),
    };
    let page = VerifyPage {
        layout: Layout::new(v).titled(heading.as_str(), &message),
        typed: typed.chars().take(40).collect(),
        status,
        heading,
        message,
        facts,
        product_url,
    };
    (code, page)
}

#[derive(Deserialize)]
struct FormQuery {
    code: Option<String>,
}

async fn form(v: Visitor, Query(q): Query<FormQuery>) -> Response {
    if let Some(code) = q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        // Spaces and hyphens people type are dropped; the page itself reads the code forgivingly.
        let clean: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).take(40).collect();
        if !clean.is_empty() {
            // A well-formed code goes to its canonical address (upper case, O and I read as 0 and 1).
            let canonical =
                Code::parse(&clean).map(|c| c.as_str().to_string()).unwrap_or_else(|_| clean.to_uppercase());
            return Redirect::to(&format!("/verify/{canonical}")).into_response();
        }
    }
    let tr = v.tr.clone();
    let page = VerifyPage {
        layout: Layout::new(&v).keyed("verify-title", "verify-intro"),
        typed: String::new(),
        status: "",
        heading: tr.t("verify-title"),
        message: tr.t("verify-intro"),
        facts: Vec::new(),
        product_url: None,
    };
    render(v, StatusCode::OK, page)
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    parts: Parts,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let outcome = look_up(&state, &parts, &code).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let limited = if let LookUp::Limited(secs) = outcome { Some(secs) } else { None };
    let (status, page) = verify_page(&v, &code, outcome);
    let mut response = render(v, status, page);
    if let Some(secs) = limited {
        if let Ok(value) = secs.to_string().parse() {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
    }
    Ok(response)
}

/// `/01/{GTIN-14}/21/{serial}`: the serial is the code; the GTIN must be valid and match the
/// product the code was issued for.
async fn digital_link(
    State(state): State<AppState>,
    v: Visitor,
    parts: Parts,
    Path((gtin, serial)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let gtin = match parse_gtin(&gtin) {
        Ok(g) if g.len() == 14 => g,
        _ => {
            let page = VerifyPage {
                layout: Layout::new(&v),
                typed: serial.chars().take(40).collect(),
                status: "malformed",
                heading: tr.t("verify-malformed-title"),
                message: tr.t("verify-bad-gtin"),
                facts: Vec::new(),
                product_url: None,
            };
            return Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    let outcome = look_up(&state, &parts, &serial).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    // A genuine serial printed under another product's GTIN is not this product's label.
    let outcome = match outcome {
        LookUp::Found(found) => {
            let matches = found
                .product
                .as_ref()
                .and_then(|p| p.variants.iter().find(|x| x.id == found.state.variant_id))
                .is_some_and(|x| x.gtin.as_deref() == Some(gtin.as_str()));
            if matches {
                LookUp::Found(found)
            } else {
                LookUp::Unknown
            }
        }
        other => other,
    };
    let (status, page) = verify_page(&v, &serial, outcome);
    Ok(render(v, status, page))
}
