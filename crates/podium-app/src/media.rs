//! Image uploads: the type is sniffed from the bytes (never trusted from the name or the
//! browser), size and dimensions are limited before anything is decoded in full, and a
//! thumbnail is drawn once at upload so serving costs no image work.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgb, RgbImage};
use sha2::{Digest, Sha256};

use crate::catalogue::{ImageOwner, NewImage};

/// The largest upload accepted.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 6000;
/// The longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 480;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes; images may be at most 8 MiB")]
    TooLarge(usize),
    #[error("this is not a PNG, JPEG, WebP or GIF image")]
    UnknownType,
    #[error("the image is {0}×{1} pixels; images may be at most 6000 pixels on a side")]
    TooManyPixels(u32, u32),
    #[error("the image cannot be read: {0}")]
    Corrupt(String),
}

/// The image format told by the first bytes of the file.
pub fn sniff(bytes: &[u8]) -> Option<(ImageFormat, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some((ImageFormat::Png, "image/png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((ImageFormat::Jpeg, "image/jpeg"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some((ImageFormat::WebP, "image/webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some((ImageFormat::Gif, "image/gif"))
    } else {
        None
    }
}

/// Checks an upload and draws its thumbnail (JPEG, transparency laid on white).
pub fn prepare(bytes: Vec<u8>, owner: ImageOwner, owner_id: &str, alt: &str) -> Result<NewImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge(bytes.len()));
    }
    let (format, content_type) = sniff(&bytes).ok_or(MediaError::UnknownType)?;
    let reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let (width, height) = reader.into_dimensions().map_err(|e| MediaError::Corrupt(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("it has no pixels".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(MediaError::TooManyPixels(width, height));
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| MediaError::Corrupt(e.to_string()))?;
    let thumb = thumbnail(&decoded)?;
    Ok(NewImage {
        pending: false,
        owner,
        owner_id: owner_id.to_string(),
        content_type: content_type.to_string(),
        width,
        height,
        alt: alt.trim().chars().take(300).collect(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        original: bytes,
        thumb,
    })
}

fn thumbnail(img: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let small = if img.width() > THUMB_SIDE || img.height() > THUMB_SIDE {
        img.resize(THUMB_SIDE, THUMB_SIDE, image::imageops::FilterType::Triangle)
    } else {
        img.clone()
    };
    let rgba = small.to_rgba8();
    let mut flat = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in flat.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        *dst = Rgb([over(src[0]), over(src[1]), over(src[2])]);
    }
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
    flat.write_with_encoder(encoder).map_err(|e| MediaError::Corrupt(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 200]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("encode");
        out
    }

    #[test]
    fn a_png_is_accepted_and_gets_a_small_jpeg_thumbnail() {
        let img = prepare(png(1200, 600), ImageOwner::Product, "p1", " Front ").expect("accepted");
        assert_eq!(
            (img.width, img.height, img.content_type.as_str(), img.alt.as_str()),
            (1200, 600, "image/png", "Front")
        );
        assert_eq!(sniff(&img.thumb).map(|s| s.1), Some("image/jpeg"));
        let thumb = image::load_from_memory(&img.thumb).expect("thumb decodes");
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
        assert_eq!(img.sha256.len(), 64);
    }

    #[test]
    fn the_type_comes_from_the_bytes_not_the_name() {
        assert_eq!(
            prepare(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), ImageOwner::Product, "p", "").unwrap_err(),
            MediaError::UnknownType
        );
        assert_eq!(prepare(b"%PDF-1.7".to_vec(), ImageOwner::Product, "p", "").unwrap_err(), MediaError::UnknownType);
        assert_eq!(prepare(Vec::new(), ImageOwner::Product, "p", "").unwrap_err(), MediaError::Empty);
    }

    #[test]
    fn oversized_and_truncated_files_are_refused() {
        assert!(matches!(
            prepare(vec![0u8; MAX_BYTES + 1], ImageOwner::Product, "p", ""),
            Err(MediaError::TooLarge(_))
        ));
        assert_eq!(
            prepare(png(6001, 2), ImageOwner::Product, "p", "").unwrap_err(),
            MediaError::TooManyPixels(6001, 2)
        );
        let mut cut = png(300, 300);
        cut.truncate(cut.len() / 2);
        assert!(matches!(prepare(cut, ImageOwner::Product, "p", ""), Err(MediaError::Corrupt(_))));
    }
}
