//! The illustrations drawn for products without photographs: an SVG for pages, and a PNG of
//! the same colours and pattern for link previews (Open Graph and Twitter cards, which do not
//! show SVG). Drawn on request, so nothing is downloaded or stored.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_app::catalogue::ProductRecord;

use crate::kit::context::Visitor;
use crate::AppState;

/// The size link previews draw best (1.91:1).
pub const CARD_WIDTH: u32 = 1200;
pub const CARD_HEIGHT: u32 = 630;

/// The product a fan may see (approved), or the shop's and licensor's preview.
async fn visible(state: &AppState, v: &Visitor, slug: &str) -> Result<ProductRecord, Response> {
    match state.store.product_by_slug(slug).await {
        // Like the product page: fans see public products only; the shop and licensor preview.
        Ok(Some(p)) if podium_app::storefront::visible_to(&p, v.orgs()) != podium_app::storefront::Sight::Hidden => {
            Ok(p)
        }
        Ok(_) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "art lookup failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// A deterministic illustration per product: the property's colours, a pattern chosen by the
/// product, and the property's initials.
pub async fn art(State(state): State<AppState>, v: Visitor, Path(slug): Path<String>) -> Response {
    match visible(&state, &v, &slug).await {
        Ok(product) => {
            let svg = draw(&product);
            ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg)
                .into_response()
        }
        Err(r) => r,
    }
}

/// The product's illustration as a PNG card, for link previews.
pub async fn art_png(State(state): State<AppState>, v: Visitor, Path(slug): Path<String>) -> Response {
    match visible(&state, &v, &slug).await {
        Ok(p) => {
            let (from, to) = hues(&p);
            png_response(card((from, 55, 38), (to, 60, 48), Motif::of(hash(&p.handle)), CARD_WIDTH, CARD_HEIGHT))
        }
        Err(r) => r,
    }
}

/// The marketplace's own card: its green, and the brand's diamond.
pub async fn site_card() -> Response {
    png_response(card(BRAND_FROM, BRAND_TO, Motif::Diamond, CARD_WIDTH, CARD_HEIGHT))
}

/// The marketplace's icon for home screens (the web-app manifest), 512 pixels square.
pub async fn site_icon() -> Response {
    png_response(card(BRAND_FROM, BRAND_TO, Motif::Diamond, ICON_SIZE, ICON_SIZE))
}

/// The brand's green (`--brand`, #0b5d4b) and a lighter one, as HSL.
const BRAND_FROM: (u32, u32, u32) = (166, 79, 20);
const BRAND_TO: (u32, u32, u32) = (166, 60, 32);
pub const ICON_SIZE: u32 = 512;

fn png_response(bytes: Option<Vec<u8>>) -> Response {
    match bytes {
        Some(b) => {
            ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], b).into_response()
        }
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn hash(s: &str) -> u32 {
    s.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619))
}

fn hues(p: &ProductRecord) -> (u32, u32) {
    let h = hash(&p.property.slug);
    (h % 360, (h / 360 + 140) % 360)
}

fn draw(p: &ProductRecord) -> String {
    let (hue1, hue2) = hues(p);
    let initials: String = p.property.name.split_whitespace().filter_map(|w| w.chars().next()).take(3).collect();
    let motif = hash(&p.handle) % 4;
    let pattern = match motif {
        0 => "<circle cx='160' cy='160' r='110' fill='none' stroke='white' stroke-opacity='.35' stroke-width='14'/><circle cx='160' cy='160' r='70' fill='none' stroke='white' stroke-opacity='.25' stroke-width='10'/>".to_string(),
        1 => (0..6).map(|i| format!("<rect x='{}' y='0' width='18' height='320' fill='white' fill-opacity='.12' transform='rotate(20 160 160)'/>", 20 + i * 52)).collect(),
        2 => "<path d='M0 250 L80 150 L140 210 L210 110 L320 240 L320 320 L0 320 Z' fill='white' fill-opacity='.22'/>".to_string(),
        _ => (0..5).flat_map(|r| (0..5).map(move |c| format!("<circle cx='{}' cy='{}' r='6' fill='white' fill-opacity='.25'/>", 32 + c * 64, 32 + r * 64))).collect(),
    };
    format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 320 320' width='320' height='320' role='img'>\
         <defs><linearGradient id='g' x1='0' y1='0' x2='1' y2='1'><stop offset='0' stop-color='hsl({hue1},55%,38%)'/>\
         <stop offset='1' stop-color='hsl({hue2},60%,48%)'/></linearGradient></defs>\
         <rect width='320' height='320' fill='url(#g)'/>{pattern}\
         <text x='160' y='182' text-anchor='middle' font-family='system-ui, sans-serif' font-size='64' font-weight='800' fill='white'>{}</text>\
         <text x='160' y='290' text-anchor='middle' font-family='system-ui, sans-serif' font-size='18' fill='white' fill-opacity='.85'>{}</text></svg>",
        xml_escape(&initials),
        xml_escape(&p.category_slug.replace('-', " ").to_uppercase()),
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}

/// The pattern laid over a card's gradient (the SVG's four, and the brand's diamond).
#[derive(Clone, Copy)]
enum Motif {
    Rings,
    Stripes,
    Peaks,
    Dots,
    Diamond,
}

impl Motif {
    fn of(h: u32) -> Motif {
        match h % 4 {
            0 => Motif::Rings,
            1 => Motif::Stripes,
            2 => Motif::Peaks,
            _ => Motif::Dots,
        }
    }

    /// How much white covers the point (x, y) of a card `w` × `h`, 0 to 1 (below 0: the
    /// brand's orange).
    fn cover(self, x: f32, y: f32, w: f32, h: f32) -> f32 {
        let (cx, cy) = (w / 2.0, h / 2.0);
        match self {
            Motif::Rings => {
                let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
                if (d - 220.0).abs() < 22.0 {
                    0.35
                } else if (d - 140.0).abs() < 16.0 {
                    0.25
                } else {
                    0.0
                }
            }
            Motif::Stripes => {
                let u = (x + y * 0.36).rem_euclid(160.0);
                if u < 44.0 {
                    0.12
                } else {
                    0.0
                }
            }
            Motif::Peaks => {
                let ridge = [(0.0, 0.78), (0.25, 0.47), (0.44, 0.66), (0.66, 0.34), (1.0, 0.75)];
                let t = x / w;
                let edge = ridge
                    .windows(2)
                    .find(|s| t >= s[0].0 && t <= s[1].0)
                    .map(|s| s[0].1 + (s[1].1 - s[0].1) * (t - s[0].0) / (s[1].0 - s[0].0))
                    .unwrap_or(1.0);
                if y / h >= edge {
                    0.22
                } else {
                    0.0
                }
            }
            Motif::Dots => {
                let (gx, gy) = ((x - 60.0).rem_euclid(120.0) - 60.0, (y - 45.0).rem_euclid(90.0) - 45.0);
                if gx * gx + gy * gy < 100.0 {
                    0.25
                } else {
                    0.0
                }
            }
            Motif::Diamond => {
                // The brand's ◆ in its orange, drawn as a solid shape.
                if (x - cx).abs() / (h * 0.24) + (y - cy).abs() / (h * 0.32) <= 1.0 {
                    -1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// HSL (degrees, percent, percent) to RGB.
fn rgb((h, s, l): (u32, u32, u32)) -> [f32; 3] {
    let (h, s, l) = (h as f32 / 360.0, s as f32 / 100.0, l as f32 / 100.0);
    let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
    let p = 2.0 * l - q;
    let channel = |t: f32| {
        let t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    [channel(h + 1.0 / 3.0) * 255.0, channel(h) * 255.0, channel(h - 1.0 / 3.0) * 255.0]
}

/// A card: a diagonal gradient between two colours with a motif over it, as PNG bytes.
fn card(from: (u32, u32, u32), to: (u32, u32, u32), motif: Motif, w: u32, h: u32) -> Option<Vec<u8>> {
    const ACCENT: [f32; 3] = [200.0, 144.0, 46.0];
    let (a, b) = (rgb(from), rgb(to));
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let t = (x as f32 / w as f32 + y as f32 / h as f32) / 2.0;
            let cover = motif.cover(x as f32, y as f32, w as f32, h as f32);
            for c in 0..3 {
                let base = a[c] + (b[c] - a[c]) * t;
                let value = if cover < 0.0 { ACCENT[c] } else { base + (255.0 - base) * cover };
                pixels.push(value.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_pngs_of_the_preview_size() {
        let bytes = card(BRAND_FROM, BRAND_TO, Motif::Diamond, CARD_WIDTH, CARD_HEIGHT).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, right after the chunk's length and name.
        assert_eq!(u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]), CARD_WIDTH);
        assert_eq!(u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]), CARD_HEIGHT);
    }

    #[test]
    fn hsl_converts_like_css() {
        assert_eq!(rgb((0, 100, 50)).map(|c| c.round() as u8), [255, 0, 0]);
        assert_eq!(rgb((120, 100, 25)).map(|c| c.round() as u8), [0, 128, 0]);
    }
}
