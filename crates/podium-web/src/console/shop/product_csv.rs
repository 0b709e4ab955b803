//! The catalogue as a CSV file: importing many products at once (with a report of each row's
//! errors) and exporting them.

use crate::console::shop::products::shop_page;
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::uploads::{read_upload, site_base};
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_app::catalogue_csv::{self, ImportError};
use podium_app::StoreError;

pub(crate) async fn import_csv(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(form).await;
    if !up.too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    let shop = shop_or_return!(v, slug);
    let data = up.file.unwrap_or_default();
    if up.too_large || data.is_empty() {
        let (key, status) = if up.too_large {
            ("console-shop-import-large", StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            ("console-shop-import-empty", StatusCode::UNPROCESSABLE_ENTITY)
        };
        let errors = vec![v.tr.t(key)];
        return shop_page(&state, v, shop, status, None, errors, Vec::new()).await;
    }
    let now = state.clock.now();
    match catalogue_csv::import(state.store.as_ref(), &shop.slug, &data, now, state.config.bounds, &|_, _, _| {}).await
    {
        Ok(report) => {
            let notice = v.tr.tn(
                "console-shop-import-done",
                &[
                    ("created", &report.created.to_string()),
                    ("updated", &report.updated.to_string()),
                    ("variants", &report.variants.to_string()),
                ],
            );
            let mut notes = report.notes;
            if report.sent_for_review > 0 {
                notes.push(v.tr.t1("console-shop-import-review", "count", &report.sent_for_review.to_string()));
            }
            shop_page(&state, v, shop, StatusCode::OK, Some(notice), Vec::new(), notes).await
        }
        Err(ImportError::Rows(rows)) => {
            let errors = rows.iter().map(|r| r.to_string()).collect();
            shop_page(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, None, errors, Vec::new()).await
        }
        Err(ImportError::Store(StoreError::Conflict { field })) => {
            let errors = vec![format!("{field}: {}", v.tr.t("console-shop-import-conflict"))];
            shop_page(&state, v, shop, StatusCode::CONFLICT, None, errors, Vec::new()).await
        }
        Err(e) => Err(PageError::internal(v.tr.clone(), e)),
    }
}

pub(crate) async fn export_csv(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let store = state.store.as_ref();
    let products = catalogue_csv::shop_products(store, &shop.slug).await.map_err(internal(&v.tr))?;
    let locations = store.stock_locations(&shop.id).await.map_err(internal(&v.tr))?;
    let csv = catalogue_csv::export(&products, &locations, &site_base(&state, &headers));
    let disposition = format!("attachment; filename=\"{}-products.csv\"", shop.slug);
    Ok(v.respond(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            csv,
        )
            .into_response(),
    ))
}
