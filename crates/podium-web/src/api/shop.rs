//! A shop's own catalogue through the API, for its integrations: the console's CSV format out
//! and in. A member signed in may use it, or an API token with the scope it needs.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use podium_app::catalogue_csv::{self, ImportError};
use podium_app::security::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::orders::shop_of;
use crate::api::Caller;
use crate::kit::error::{ApiError, Problem};
use crate::AppState;

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportJson {
    pub created: usize,
    pub updated: usize,
    pub variants: usize,
    /// Approved products whose changes went to their licensor as revisions.
    pub sent_for_review: usize,
    pub notes: Vec<String>,
}

/// The shop's products as CSV (the console's export: one row per variant, every language).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/products.csv", tag = "catalogue", security(("bearer" = [])),
    params(("shop" = String, Path, description = "The shop's slug")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    let p = caller.require_scope(Scope::ReadCatalogue)?;
    let shop_id = shop_of(&p, &shop)?;
    let store = state.store.as_ref();
    let products = catalogue_csv::shop_products(store, &shop).await?;
    let locations = store.stock_locations(&shop_id).await?;
    let csv = catalogue_csv::export(&products, &locations, &crate::kit::uploads::site_base(&state, &headers));
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// Creates and updates the shop's products from CSV (the export's columns; Shopify's work too).
/// Every row is checked first: one bad row and nothing is saved.
#[utoipa::path(post, path = "/api/v1/shops/{shop}/products.csv", tag = "catalogue", security(("bearer" = [])),
    params(("shop" = String, Path, description = "The shop's slug")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "Bad rows; the detail lists them by line")))]
pub async fn import(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<ImportJson>, ApiError> {
    let p = caller.require_scope(Scope::WriteCatalogue)?;
    shop_of(&p, &shop)?;
    match catalogue_csv::import(
        state.store.as_ref(),
        &shop,
        &body,
        state.clock.now(),
        state.config.bounds,
        &|_, _, _| {},
    )
    .await
    {
        Ok(r) => Ok(Json(ImportJson {
            created: r.created,
            updated: r.updated,
            variants: r.variants,
            sent_for_review: r.sent_for_review,
            notes: r.notes,
        })),
        Err(ImportError::Rows(rows)) => {
            let mut lines: Vec<String> =
                rows.iter().take(20).map(|r| format!("line {}: {}", r.line, r.message)).collect();
            if rows.len() > lines.len() {
                lines.push(format!("and {} more", rows.len() - lines.len()));
            }
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-rows",
                "The file has bad rows; nothing was imported",
                lines.join("; "),
            ))
        }
        Err(ImportError::UnknownShop(_)) => Err(ApiError::not_found("no such shop")),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// One product waiting for the licensor's decision.
#[derive(Serialize, ToSchema)]
pub struct SubmissionJson {
    pub id: String,
    /// The product's slug.
    pub product: String,
    /// The shop's slug.
    pub shop: String,
    /// `new` or `revision`.
    pub kind: String,
    /// The approval stage it waits at.
    pub stage: String,
    /// RFC 3339.
    pub waiting_since: String,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionsJson {
    pub items: Vec<SubmissionJson>,
}

/// The products waiting for a licensor's decision, oldest first. Members of the licensor, or
/// its API token with the `catalogue:read` scope.
#[utoipa::path(get, path = "/api/v1/licensors/{org}/submissions", tag = "licensing", security(("bearer" = [])),
    params(("org" = String, Path, description = "The licensor's slug")),
    responses((status = 200, body = SubmissionsJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn licensor_submissions(
    State(state): State<AppState>,
    Path(org): Path<String>,
    caller: Caller,
) -> Result<Json<SubmissionsJson>, ApiError> {
    let p = caller.require_scope(Scope::ReadCatalogue)?;
    let Some(licensor) = p.orgs_of(podium_domain::role::OrgKind::Licensor).find(|o| o.slug == org) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "you are not a member of this licensor",
        ));
    };
    let filter = podium_app::licensing::SubmissionFilter {
        licensor_id: Some(licensor.id.clone()),
        shop_id: None,
        product_id: None,
        open_only: true,
    };
    let mut subs = state.store.submissions(&filter).await?;
    subs.sort_by_key(|s| s.waiting_since);
    let rfc3339 =
        |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(Json(SubmissionsJson {
        items: subs
            .into_iter()
            .map(|s| SubmissionJson {
                stage: s.stage_name().to_string(),
                kind: s.kind.as_str().to_string(),
                waiting_since: rfc3339(s.waiting_since),
                product: s.product_slug,
                shop: s.shop.slug,
                id: s.id,
            })
            .collect(),
    }))
}
