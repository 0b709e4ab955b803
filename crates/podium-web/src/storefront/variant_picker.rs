//! The product page's variant picker. The choice is part of the add-to-cart form itself, so what
//! a fan ticks is exactly what "Add to cart" adds, with or without JavaScript. Without
//! JavaScript, "Show price" sends the choice here and comes back to the product page with that
//! variant's price, stock and delivered cost; with it, `static/product.js` updates them at once.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::catalogue::VariantRecord;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().post("/products/{slug}/variant", choose).get("/static/product.js", script)
}

async fn script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/product.js"),
    )
}

/// One variant as the picker offers it: the radio's value is the SKU the cart takes, and its
/// data attributes carry what the page shows when it is chosen.
pub struct Choice {
    /// The public SKU (`shop:code`), as the cart takes it.
    pub sku: String,
    /// The shop's own code, as `?variant=` takes it.
    pub code: String,
    pub label: String,
    pub price: String,
    pub stock: String,
    /// Whether it can be added to a cart here and now (in stock, not only through a drop).
    pub buyable: bool,
    pub selected: bool,
}

/// What the page says of a variant's stock: how many are left, and how many sit in other fans'
/// unpaid checkouts and may come back on sale.
pub fn stock_text(tr: &Tr, v: &VariantRecord) -> String {
    let text = if v.available > 0 {
        tr.t1("product-in-stock", "count", &v.available.to_string())
    } else {
        tr.t("product-out-of-stock")
    };
    if v.held > 0 {
        format!("{text} · {}", tr.t1("product-held", "count", &v.held.to_string()))
    } else {
        text
    }
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    sku: String,
}

/// "Show price" without JavaScript: back to the product page with the chosen variant.
async fn choose(v: Visitor, Path(slug): Path<String>, Form(f): Form<ChooseForm>) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    // The radio carries the public SKU (`shop:code`); the page takes the shop's code.
    let code = f.sku.rsplit_once(':').map_or(f.sku.as_str(), |(_, c)| c);
    let mut to = String::from("/products/");
    to.extend(form_urlencoded::byte_serialize(slug.as_bytes()));
    if !code.is_empty() {
        to.push_str("?variant=");
        to.extend(form_urlencoded::byte_serialize(code.as_bytes()));
    }
    Ok(Redirect::to(&to).into_response())
}
