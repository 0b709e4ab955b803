//! `GET /api/v1/authenticity/{code}`: the JSON face of the fans' authenticity look-up.

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use podium_app::authenticity::LookUp;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::kit::context::look_up_code as look_up;
use crate::kit::error::ApiError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct FirstVerified {
    /// RFC 3339.
    pub at: String,
    /// ISO 3166-1 alpha-2, or "unknown".
    pub country: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuthenticityJson {
    pub code: String,
    /// `genuine` or `suspicious`.
    pub status: String,
    pub product: String,
    pub product_slug: String,
    pub licensee: String,
    pub licensor: String,
    pub property: String,
    pub issued_at: String,
    pub first_verified: Option<FirstVerified>,
    pub verifications: i64,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Verifies an authenticity code (each look-up counts as a verification). An unknown code is a
/// 404; a malformed one a 422 saying what is wrong; too many look-ups a 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/authenticity/{code}", tag = "authenticity",
    params(("code" = String, Path, description = "The code on the label, with or without hyphens")),
    responses((status = 200, body = AuthenticityJson), (status = 404, body = crate::kit::error::Problem),
        (status = 422, body = crate::kit::error::Problem), (status = 429, body = crate::kit::error::Problem)))]
pub async fn api_verify(
    State(state): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
) -> Result<Json<AuthenticityJson>, ApiError> {
    match look_up(&state, &parts, &code).await? {
        LookUp::Limited(secs) => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many look-ups",
                format!("too many authenticity look-ups from this client; try again in {secs} s"),
            );
            e.retry_after = Some(secs);
            Err(e)
        }
        LookUp::Malformed(e) => Err(ApiError::invalid("code", e.to_string())),
        LookUp::Unknown => Err(ApiError::not_found("no such authenticity code: the label may not be genuine")),
        LookUp::Found(found) => {
            let s = &found.state;
            let p = found.product.as_ref();
            Ok(Json(AuthenticityJson {
                code: found.code.as_str().to_string(),
                status: if found.suspicious { "suspicious" } else { "genuine" }.into(),
                product: p
                    .and_then(|p| podium_app::storefront::text(p, podium_domain::Lang::En))
                    .map(|t| t.translation.title.clone())
                    .unwrap_or_default(),
                product_slug: p.map(|p| p.slug.clone()).unwrap_or_default(),
                licensee: p.map(|p| p.shop.name.clone()).unwrap_or_default(),
                licensor: p.map(|p| p.property.licensor_name.clone()).unwrap_or_default(),
                property: p.map(|p| p.property.name.clone()).unwrap_or_default(),
                issued_at: rfc3339(s.issued_at),
                first_verified: s.first_verified_at.map(|at| FirstVerified {
                    at: rfc3339(at),
                    country: s.first_country.clone().unwrap_or_else(|| "unknown".into()),
                }),
                verifications: s.verifications,
            }))
        }
    }
}
