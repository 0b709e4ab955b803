//! The image server: uploaded images and their thumbnails, by id, cached by their hash.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/media/{id}", media_original).get("/media/{id}/thumb", media_thumb)
}

async fn media_original(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_image(&state, &headers, &id, false).await
}

async fn media_thumb(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve_image(&state, &headers, &id, true).await
}

/// Images never change under an id (a new upload gets a new one), so they are cached for a
/// year and revalidated by their hash.
async fn serve_image(state: &AppState, headers: &HeaderMap, id: &str, thumb: bool) -> Response {
    let blob = match state.store.image(id, thumb).await {
        Ok(Some(b)) => b,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such image").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "image read failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "image unavailable").into_response();
        }
    };
    let etag = format!("\"{}{}\"", &blob.sha256[..blob.sha256.len().min(32)], if thumb { "-t" } else { "" });
    let cache = (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_string());
    if headers.get(header::IF_NONE_MATCH).and_then(|h| h.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [cache, (header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, blob.content_type),
            cache,
            (header::ETAG, etag),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        blob.bytes,
    )
        .into_response()
}
