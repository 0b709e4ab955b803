//! A batch of authenticity codes taken away: as CSV, and as a printable sheet of QR labels
//! pointing to the verify page.

use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

// ---------------------------------------------------------------------------------------------
// Authenticity codes (the page and issuing are in `licence_codes`).

/// The batch, when it belongs to the licensor or the shop.
pub(crate) async fn batch_for(
    state: &AppState,
    v: &Visitor,
    slug: &str,
    batch: &str,
) -> Result<(podium_app::licensing::CodeBatch, Vec<podium_app::licensing::CodeState>), PageError> {
    let tr = v.tr.clone();
    let Some(p) = &v.principal else { return Err(PageError::not_found(tr)) };
    let Some(org) = p.orgs.iter().find(|o| o.slug == slug) else { return Err(PageError::forbidden(tr)) };
    match state.store.code_batch(batch).await.map_err(internal(&tr))? {
        Some(b) if b.licensor_id == org.id || b.shop.id == org.id => {
            let codes = state.store.batch_codes(&b.id).await.map_err(internal(&tr))?;
            Ok((b, codes))
        }
        _ => Err(PageError::not_found(tr)),
    }
}

pub(crate) fn public_base(headers: &axum::http::HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-')).collect();
    format!("http://{host}")
}

pub(crate) async fn codes_csv(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path((slug, batch)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (b, codes) = batch_for(&state, &v, &slug, &batch).await?;
    let base = public_base(&headers);
    let mut out = String::from("code,grouped,url,product,sku,verifications\n");
    for c in &codes {
        let code = podium_domain::authenticity::Code::parse(&c.code).map(|c| c.grouped()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{base}/verify/{},{},{},{}\n",
            c.code, code, c.code, b.product_slug, b.variant_sku, c.verifications
        ));
    }
    let name = format!("attachment; filename=\"codes-{}.csv\"", b.id);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out)
        .into_response())
}

/// A printable A4 sheet of labels: a QR code per code pointing to `/verify/{code}`, with the code
/// written underneath for people who type it.
pub(crate) async fn codes_svg(
    State(state): State<AppState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path((slug, batch)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (b, codes) = batch_for(&state, &v, &slug, &batch).await?;
    let base = public_base(&headers);
    let (cols, cell_w, cell_h) = (4usize, 50.0f64, 62.0f64);
    let rows = codes.len().div_ceil(cols).max(1);
    let height = 20.0 + rows as f64 * cell_h;
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='210mm' height='{height}mm' viewBox='0 0 210 {height}'>\
         <text x='8' y='10' font-family='sans-serif' font-size='4'>{} · {} · {}</text>",
        xml(&b.product_slug),
        xml(&b.variant_sku),
        xml(&b.shop.name)
    );
    for (i, c) in codes.iter().enumerate() {
        let x = 8.0 + (i % cols) as f64 * cell_w;
        let y = 16.0 + (i / cols) as f64 * cell_h;
        let url = format!("{base}/verify/{}", c.code);
        let Ok(qr) = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M) else { continue };
        let width = qr.width();
        let scale = 40.0 / width as f64;
        let mut path = String::new();
        for (n, dark) in qr.to_colors().iter().enumerate() {
            if *dark == qrcode::Color::Dark {
                let (cx, cy) = (n % width, n / width);
                path.push_str(&format!("M{cx} {cy}h1v1h-1z"));
            }
        }
        let grouped = podium_domain::authenticity::Code::parse(&c.code).map(|c| c.grouped()).unwrap_or_default();
        svg.push_str(&format!(
            "<g transform='translate({x} {y})'><rect width='44' height='56' fill='none' stroke='#bbb' stroke-width='.2'/>\
             <g transform='translate(2 2) scale({scale})'><path d='{path}' fill='#000'/></g>\
             <text x='22' y='50' text-anchor='middle' font-family='monospace' font-size='3.6'>{grouped}</text></g>"
        ));
    }
    svg.push_str("</svg>");
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}
