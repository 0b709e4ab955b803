//! Multipart uploads read whole, images checked and thumbnailed off the request thread, and the
//! site's own address for links in exports.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::http::{header, HeaderMap, StatusCode};
use podium_app::catalogue::{ImageOwner, NewImage};
use podium_app::media;

use crate::kit::i18n::Tr;
use crate::AppState;

/// A multipart form read whole: text fields and at most one file.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<Vec<u8>>,
    /// The file was larger than the route's limit.
    pub too_large: bool,
}

pub(crate) async fn read_upload(mut form: Multipart) -> Upload {
    let mut up = Upload { fields: HashMap::new(), file: None, too_large: false };
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let is_file = field.file_name().is_some();
                match field.bytes().await {
                    Ok(bytes) if is_file => up.file = Some(bytes.to_vec()),
                    Ok(bytes) => {
                        up.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Err(e) => {
                        up.too_large |= e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                up.too_large |= e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                break;
            }
        }
    }
    up
}

/// Checks an uploaded file and draws its thumbnail on a blocking thread (decoding is CPU work).
pub(crate) async fn prepare_upload(
    too_large: bool,
    file: Option<Vec<u8>>,
    owner: ImageOwner,
    owner_id: String,
    alt: String,
) -> Result<Result<NewImage, media::MediaError>, tokio::task::JoinError> {
    match (too_large, file) {
        (true, _) => Ok(Err(media::MediaError::TooLarge(media::MAX_BYTES + 1))),
        (false, None) => Ok(Err(media::MediaError::Empty)),
        (false, Some(bytes)) => {
            tokio::task::spawn_blocking(move || media::prepare(bytes, owner, &owner_id, &alt)).await
        }
    }
}

/// The message for an upload problem, in the visitor's language.
pub(crate) fn image_error(tr: &Tr, e: &media::MediaError) -> String {
    image_error_message(tr, image_error_code(e))
}

/// The message for an upload problem's code (see [`image_error_code`]).
pub fn image_error_message(tr: &Tr, code: &str) -> String {
    match code {
        "empty" | "large" | "type" | "pixels" => tr.t(&format!("images-error-{code}")),
        _ => tr.t("images-error-corrupt"),
    }
}

/// This site's address as the request names it (`https://host` under TLS), for links in exports.
pub(crate) fn site_base(state: &AppState, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("{}://{h}", if state.config.secure_cookies { "https" } else { "http" }))
        .unwrap_or_default()
}

/// A short code for an upload problem, carried in a redirect.
pub fn image_error_code(e: &media::MediaError) -> &'static str {
    match e {
        media::MediaError::Empty => "empty",
        media::MediaError::TooLarge(_) => "large",
        media::MediaError::UnknownType => "type",
        media::MediaError::TooManyPixels(..) => "pixels",
        media::MediaError::Corrupt(_) => "corrupt",
    }
}
