//! The merchant console's catalogue: its routes, the shop's page with its product list, and the
//! shop's story. Product forms name their fields after the CSV columns (`HS Code`,
//! `Variant SKU.0`, …), so the console and `podium import products` check input alike.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::ProductStatus;
use podium_app::catalogue_csv::{self};
use podium_app::{media, Org};
use podium_domain::Country;
use serde::Deserialize;

use crate::console::shop::product_csv::{export_csv, import_csv};
use crate::console::shop::product_form::{create_product, edit_product, new_product, update_product};
use crate::console::shop::product_media::{delete_image, upload_emblem, upload_image};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

/// Blank variant rows offered below the existing ones.
pub(crate) const SPARE_ROWS: usize = 3;

pub fn routes() -> crate::routes::Routes {
    let uploads = crate::routes::Routes::new()
        .post("/console/shops/{shop}/products/{handle}/images", upload_image)
        .post("/console/shops/{shop}/import", import_csv)
        .post("/console/properties/{slug}/emblem", upload_emblem)
        // The 8 MiB image limit plus room for the form's other fields.
        .map(|r| r.layer(DefaultBodyLimit::max(media::MAX_BYTES + 64 * 1024)));
    crate::routes::Routes::new()
        .get("/console/shops/{shop}", shop_home)
        .post("/console/shops/{shop}/story", save_story)
        .get("/console/shops/{shop}/products/new", new_product)
        .post("/console/shops/{shop}/products", create_product)
        .get("/console/shops/{shop}/products/{handle}", edit_product)
        .post("/console/shops/{shop}/products/{handle}", update_product)
        .post("/console/shops/{shop}/products/{handle}/images/{id}/delete", delete_image)
        .get("/console/shops/{shop}/export.csv", export_csv)
        .merge(uploads)
}

pub(crate) struct ProductRow {
    pub(crate) handle: String,
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) live: bool,
    pub(crate) approved: bool,
    pub(crate) variants: usize,
    pub(crate) available: i64,
    pub(crate) price: String,
}

#[derive(Template)]
#[template(path = "shop_console.html")]
pub(crate) struct ShopConsolePage {
    pub(crate) layout: Layout,
    pub(crate) shop: Org,
    pub(crate) place: String,
    pub(crate) products: Vec<ProductRow>,
    pub(crate) story: String,
    pub(crate) notice: Option<String>,
    pub(crate) import_errors: Vec<String>,
    pub(crate) import_notes: Vec<String>,
    pub(crate) todo: crate::console::shop::home::ToDoView,
}

#[derive(Deserialize, Default)]
pub(crate) struct Notice {
    #[serde(default)]
    pub(crate) saved: String,
}

pub(crate) async fn shop_page(
    state: &AppState,
    v: Visitor,
    shop: Org,
    status: StatusCode,
    notice: Option<String>,
    import_errors: Vec<String>,
    import_notes: Vec<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let products = catalogue_csv::shop_products(state.store.as_ref(), &shop.slug).await.map_err(internal(&tr))?;
    let rows = products
        .iter()
        .map(|p| ProductRow {
            handle: p.handle.clone(),
            slug: p.slug.clone(),
            title: podium_app::storefront::text(p, tr.lang)
                .map(|t| t.translation.title.clone())
                .unwrap_or_else(|| p.handle.clone()),
            live: p.status == ProductStatus::Live,
            approved: p.approved_at.is_some(),
            variants: p.variants.len(),
            available: p.available(),
            price: p.variants.iter().map(|v| v.price).min_by_key(|m| m.minor).map(|m| tr.money(m)).unwrap_or_default(),
        })
        .collect();
    let place = Country::parse(&shop.country).map(|c| tr.country(c)).unwrap_or_else(|_| shop.country.clone());
    let page = ShopConsolePage {
        todo: crate::console::shop::home::view(state, &tr, &shop, &products).await?,
        layout: Layout::new(&v),
        story: shop.story.clone(),
        shop,
        place,
        products: rows,
        notice,
        import_errors,
        import_notes,
    };
    Ok(render(v, status, page))
}

pub(crate) async fn shop_home(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let notice = match n.saved.as_str() {
        "story" => Some(v.tr.t("console-shop-story-saved")),
        _ => None,
    };
    shop_page(&state, v, shop, StatusCode::OK, notice, Vec::new(), Vec::new()).await
}

#[derive(Deserialize)]
pub(crate) struct StoryForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) story: String,
}

pub(crate) async fn save_story(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(form): Form<StoryForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    let story: String = form.story.trim().replace("\r\n", "\n").chars().take(4000).collect();
    state.store.set_org_story(&shop.id, &story).await.map_err(internal(&v.tr))?;
    Ok(v.respond(Redirect::to(&format!("/console/shops/{}?saved=story", shop.slug))))
}
