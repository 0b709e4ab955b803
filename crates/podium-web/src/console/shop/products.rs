//! The merchant console: a shop's catalogue (create and edit products and variants, stock,
//! images, CSV import and export, the shop's story) and the licensor's property emblems (the
//! image server is `media_pages`). Forms post and redirect; nothing needs JavaScript.
//!
//! Product forms name their fields after the CSV columns (`HS Code`, `Variant SKU.0`, …), so
//! the console and `podium import products` check input with the same code and the same words.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::catalogue::{ImageOwner, ProductRecord, ProductStatus, StockLocation};
use podium_app::catalogue_csv::{self, FieldError, ImportContext, ImportError};
use podium_app::{media, Org, StoreError};
use podium_domain::catalogue::{validate_slug, CategoryTree};
use podium_domain::role::OrgKind;
use podium_domain::{Country, Currency, Lang};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::kit::uploads::{image_error, image_error_code, prepare_upload, read_upload, site_base};
use crate::AppState;

/// Blank variant rows offered below the existing ones.
const SPARE_ROWS: usize = 3;

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

fn internal(tr: &Tr) -> impl Fn(StoreError) -> PageError + '_ {
    move |e| PageError::internal(tr.clone(), e)
}

struct ProductRow {
    handle: String,
    slug: String,
    title: String,
    live: bool,
    approved: bool,
    variants: usize,
    available: i64,
    price: String,
}

#[derive(Template)]
#[template(path = "shop_console.html")]
struct ShopConsolePage {
    layout: Layout,
    shop: Org,
    place: String,
    products: Vec<ProductRow>,
    story: String,
    notice: Option<String>,
    import_errors: Vec<String>,
    import_notes: Vec<String>,
    todo: crate::console::shop::home::ToDoView,
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    saved: String,
}

async fn shop_page(
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

async fn shop_home(
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
struct StoryForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    story: String,
}

async fn save_story(
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

/// One form field as the template draws it.
pub struct Field {
    pub name: String,
    pub id: String,
    pub label: String,
    /// "text", "number", "textarea" or "select".
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub error: Option<String>,
    pub lang: &'static str,
}

struct VariantRow {
    fields: Vec<Field>,
}

struct ImageView {
    id: String,
    alt: String,
    /// Waiting for the licensor: fans do not see it yet.
    pending: bool,
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    layout: Layout,
    shop: Org,
    heading: String,
    action: String,
    /// The public page, for a saved product.
    public_slug: Option<String>,
    handle: String,
    notice: Option<String>,
    has_errors: bool,
    general: Vec<Field>,
    texts: Vec<Field>,
    option_names: Vec<Field>,
    columns: Vec<String>,
    variants: Vec<VariantRow>,
    images: Vec<ImageView>,
    image_error: Option<String>,
    /// Variants with more units to ship than codes (a saved product's page only).
    missing: Vec<crate::console::shop::code_requests::MissingView>,
}

/// Everything a product form is drawn from and checked against.
struct FormContext {
    shop: Org,
    currency: Currency,
    properties: Vec<(String, String, String)>,
    tree: CategoryTree,
    categories: Vec<String>,
    locations: Vec<StockLocation>,
    existing: Vec<ProductRecord>,
}

async fn form_context(state: &AppState, tr: &Tr, shop: Org) -> Result<FormContext, PageError> {
    let store = state.store.as_ref();
    let currency = Currency::parse(&shop.currency).map_err(|e| PageError::internal(tr.clone(), e))?;
    let properties =
        store.properties().await.map_err(internal(tr))?.into_iter().map(|p| (p.slug, p.id, p.name)).collect();
    let cats = store.categories().await.map_err(internal(tr))?;
    let categories = cats.iter().map(|c| c.slug.clone()).collect();
    let tree = CategoryTree::new(cats.into_iter().map(|c| (c.slug, c.parent)));
    let locations = store.stock_locations(&shop.id).await.map_err(internal(tr))?;
    let existing = catalogue_csv::shop_products(store, &shop.slug).await.map_err(internal(tr))?;
    Ok(FormContext { shop, currency, properties, tree, categories, locations, existing })
}

/// The submitted (or stored) values by field name.
type Values = HashMap<String, String>;

fn values_of(p: &ProductRecord, locations: &[StockLocation]) -> Values {
    let mut v = Values::new();
    v.insert("Status".into(), if p.status == ProductStatus::Live { "active" } else { "draft" }.into());
    v.insert("Property".into(), p.property.slug.clone());
    v.insert("Category".into(), p.category_slug.clone());
    v.insert("Language".into(), p.fallback_lang.tag().into());
    v.insert("Tags".into(), p.tags.join(", "));
    v.insert("HS Code".into(), p.hs_code.clone());
    v.insert("Origin Country".into(), p.origin_country.clone());
    v.insert("Variant Grams".into(), p.weight_grams.to_string());
    for t in &p.translations {
        v.insert(format!("Title ({})", t.lang.tag()), t.title.clone());
        v.insert(format!("Body ({})", t.lang.tag()), t.description.clone());
    }
    if let Some(first) = p.variants.first() {
        for (k, (name, _)) in first.options.iter().enumerate() {
            v.insert(format!("Option{} Name", k + 1), name.clone());
        }
    }
    for (i, var) in p.variants.iter().enumerate() {
        v.insert(format!("Variant SKU.{i}"), var.sku.clone());
        v.insert(format!("Variant Price.{i}"), var.price.amount());
        v.insert(format!("Variant Barcode.{i}"), var.gtin.clone().unwrap_or_default());
        for (k, (_, value)) in var.options.iter().enumerate() {
            v.insert(format!("Option{} Value.{i}", k + 1), value.clone());
        }
        let explicit: Vec<String> =
            var.explicit_prices.iter().map(|m| format!("{} {}", m.currency.code(), m.amount())).collect();
        v.insert(format!("Variant Prices.{i}"), explicit.join("; "));
        for (k, loc) in locations.iter().enumerate() {
            let n = var.stock.iter().find(|s| s.0 == loc.id).map(|s| s.1).unwrap_or(0);
            v.insert(format!("Stock {k}.{i}"), n.to_string());
        }
    }
    v
}

/// How many variant rows the submitted values hold.
fn row_count(values: &Values) -> usize {
    values
        .keys()
        .filter_map(|k| k.rsplit_once('.').and_then(|(_, i)| i.parse::<usize>().ok()))
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    v: &Visitor,
    ctx: &FormContext,
    values: &Values,
    errors: &HashMap<String, String>,
    handle: Option<&str>,
    product: Option<&ProductRecord>,
    notice: Option<String>,
    image_error: Option<String>,
) -> ProductFormPage {
    let tr = &v.tr;
    let val = |name: &str| values.get(name).cloned().unwrap_or_default();
    let field = |name: &str, label: String, kind: &'static str, options: Vec<Opt>| {
        let value = val(name);
        let options = options.into_iter().map(|o| Opt { selected: o.value == value, ..o }).collect();
        Field {
            id: field_id(name),
            name: name.to_string(),
            label,
            kind,
            value,
            options,
            error: errors.get(name).cloned(),
            lang: "",
        }
    };
    let opt = |value: &str, label: String| Opt { value: value.into(), label, selected: false, extra: String::new() };
    let mut general = Vec::new();
    if handle.is_none() {
        general.push(field("Handle", tr.t("field-handle"), "text", Vec::new()));
    }
    general.push(field(
        "Status",
        tr.t("field-status"),
        "select",
        vec![opt("draft", tr.t("status-draft")), opt("active", tr.t("status-live"))],
    ));
    general.push(field(
        "Property",
        tr.t("field-property"),
        "select",
        ctx.properties.iter().map(|(slug, _, name)| opt(slug, name.clone())).collect(),
    ));
    general.push(field(
        "Category",
        tr.t("field-category"),
        "select",
        ctx.categories.iter().map(|c| opt(c, tr.t(&format!("category-{c}")))).collect(),
    ));
    general.push(field(
        "Language",
        tr.t("field-language"),
        "select",
        Lang::ALL.iter().map(|l| opt(l.tag(), l.native_name().to_string())).collect(),
    ));
    general.push(field("Tags", tr.t("field-tags"), "text", Vec::new()));
    general.push(field("HS Code", tr.t("field-hs-code"), "text", Vec::new()));
    let mut countries: Vec<Opt> = Country::all().map(|c| opt(c.code(), tr.country(c))).collect();
    countries.sort_by(|a, b| a.label.cmp(&b.label));
    general.push(field("Origin Country", tr.t("field-origin"), "select", countries));
    general.push(field("Variant Grams", tr.t("field-weight"), "number", Vec::new()));
    let mut texts = Vec::new();
    for lang in Lang::ALL {
        let name = lang.native_name();
        let mut t = field(&format!("Title ({})", lang.tag()), tr.t1("field-title", "lang", name), "text", Vec::new());
        t.lang = lang.tag();
        texts.push(t);
        let mut b = field(&format!("Body ({})", lang.tag()), tr.t1("field-body", "lang", name), "textarea", Vec::new());
        b.lang = lang.tag();
        texts.push(b);
    }
    let option_names = (1..=3)
        .map(|n| field(&format!("Option{n} Name"), tr.t1("field-option-name", "n", &n.to_string()), "text", Vec::new()))
        .collect();
    let mut columns = vec![tr.t("field-sku")];
    columns.extend((1..=3).map(|n| tr.t1("field-option-value", "n", &n.to_string())));
    columns.push(tr.t1("field-price", "currency", ctx.currency.code()));
    columns.push(tr.t("field-gtin"));
    columns.push(tr.t("field-explicit"));
    columns.extend(ctx.locations.iter().map(|l| tr.t1("field-stock", "location", &l.name)));
    let rows = row_count(values) + SPARE_ROWS;
    let variants = (0..rows)
        .map(|i| {
            let mut fields: Vec<Field> = ["Variant SKU", "Option1 Value", "Option2 Value", "Option3 Value"]
                .iter()
                .chain(["Variant Price", "Variant Barcode", "Variant Prices"].iter())
                .map(|c| field(&format!("{c}.{i}"), String::new(), "text", Vec::new()))
                .collect();
            fields.extend(
                (0..ctx.locations.len()).map(|k| field(&format!("Stock {k}.{i}"), String::new(), "number", Vec::new())),
            );
            for (f, label) in fields.iter_mut().zip(columns.iter()) {
                f.label = format!("{label} ({})", i + 1);
            }
            VariantRow { fields }
        })
        .collect();
    let title = product
        .and_then(|p| podium_app::storefront::text(p, tr.lang))
        .map(|t| t.translation.title.clone())
        .unwrap_or_default();
    ProductFormPage {
        layout: Layout::new(v),
        shop: ctx.shop.clone(),
        heading: match handle {
            Some(_) => tr.t1("product-form-edit", "title", &title),
            None => tr.t("product-form-new"),
        },
        action: match handle {
            Some(h) => format!("/console/shops/{}/products/{h}", ctx.shop.slug),
            None => format!("/console/shops/{}/products", ctx.shop.slug),
        },
        public_slug: product.filter(|p| p.status == ProductStatus::Live).map(|p| p.slug.clone()),
        handle: handle.unwrap_or_default().to_string(),
        notice,
        has_errors: !errors.is_empty(),
        general,
        texts,
        option_names,
        columns,
        variants,
        images: product
            .map(|p| {
                p.images
                    .iter()
                    .map(|i| ImageView { id: i.id.clone(), alt: i.alt.clone(), pending: i.pending })
                    .collect()
            })
            .unwrap_or_default(),
        image_error,
        missing: Vec::new(),
    }
}

fn field_id(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

async fn new_product(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let ctx = form_context(&state, &v.tr, shop).await?;
    let mut values = Values::new();
    values.insert("Status".into(), "draft".into());
    values.insert("Language".into(), v.tr.lang.tag().into());
    values.insert("Origin Country".into(), ctx.shop.country.clone());
    let page = form_page(&v, &ctx, &values, &HashMap::new(), None, None, None, None);
    Ok(render(v, StatusCode::OK, page))
}

async fn edit_product(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let ctx = form_context(&state, &v.tr, shop).await?;
    let Some(product) = ctx.existing.iter().find(|p| p.handle == handle) else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let values = values_of(product, &ctx.locations);
    let notice = match n.saved.as_str() {
        "product" => Some(v.tr.t("product-form-saved")),
        "revision" => Some(v.tr.t("product-form-revision")),
        "image" => Some(v.tr.t("images-saved")),
        "image-review" => Some(v.tr.t("images-saved-review")),
        _ => None,
    };
    let mut page = form_page(&v, &ctx, &values, &HashMap::new(), Some(&handle), Some(product), notice, None);
    let products = std::slice::from_ref(product);
    page.missing = crate::console::shop::code_requests::missing_for(&state, &v.tr, &ctx.shop, products).await?;
    Ok(render(v, StatusCode::OK, page))
}

async fn create_product(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_product(state, v, slug, None, pairs).await
}

async fn update_product(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_product(state, v, slug, Some(handle), pairs).await
}

/// Checks a submitted product form with the import's rules and saves it, or draws the form
/// again with each problem beside its field and everything typed kept.
async fn save_product(
    state: AppState,
    v: Visitor,
    slug: String,
    handle: Option<String>,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let values: Values = pairs.into_iter().collect();
    v.check_csrf(values.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    let shop = shop_or_return!(v, slug);
    let ctx = form_context(&state, &v.tr, shop).await?;
    let existing = match &handle {
        Some(h) => match ctx.existing.iter().find(|p| &p.handle == h) {
            Some(p) => Some(p),
            None => return Err(PageError::not_found(v.tr.clone())),
        },
        None => None,
    };
    let handle_value =
        handle.clone().unwrap_or_else(|| values.get("Handle").map(|h| h.trim().to_string()).unwrap_or_default());
    let mut errors: HashMap<String, String> = HashMap::new();
    if handle.is_none() {
        if validate_slug(&handle_value).is_err() {
            errors.insert("Handle".into(), v.tr.t("field-handle-invalid"));
        } else if ctx.existing.iter().any(|p| p.handle == handle_value) {
            errors.insert("Handle".into(), v.tr.t("field-handle-taken"));
        }
    }
    let import_ctx = ImportContext {
        shop: &ctx.shop,
        currency: ctx.currency,
        properties: ctx.properties.iter().map(|(slug, id, _)| (slug.clone(), id.clone())).collect(),
        categories: &ctx.tree,
        locations: &ctx.locations,
        existing: &ctx.existing,
        now: state.clock.now(),
        bounds: state.config.bounds,
    };
    let get = |name: &str| values.get(name).map(|s| s.trim().to_string()).unwrap_or_default();
    let max_price = v.tr.money(state.config.bounds.max_price(ctx.currency));
    let say = |c: &str, m: &str| crate::kit::form_errors::message(&v.tr, c, m, ctx.currency.code(), &max_price);
    let head = catalogue_csv::product_head(&get, &handle_value, &import_ctx);
    let option_names: Vec<String> = match &head {
        Ok((_, names)) => names.clone(),
        Err(_) => (1..=3).map(|n| get(&format!("Option{n} Name"))).take_while(|n| !n.is_empty()).collect(),
    };
    let mut variants = Vec::new();
    let mut skus: HashMap<String, usize> = HashMap::new();
    for i in 0..row_count(&values) {
        let cell = |c: &str| get(&format!("{c}.{i}"));
        let blank =
            ["Variant SKU", "Variant Price", "Option1 Value", "Option2 Value", "Option3 Value", "Variant Barcode"]
                .iter()
                .all(|c| cell(c).is_empty());
        if blank {
            continue;
        }
        let stock: Vec<String> = ctx
            .locations
            .iter()
            .enumerate()
            .filter_map(|(k, loc)| {
                let n = cell(&format!("Stock {k}"));
                (!n.is_empty()).then(|| format!("{}={n}", loc.name))
            })
            .collect();
        let row_get = |c: &str| if c == "Variant Stock" { stock.join("; ") } else { cell(c) };
        match catalogue_csv::variant(&row_get, &option_names, &import_ctx) {
            Ok(var) => {
                if skus.insert(var.sku.clone(), i).is_some() {
                    errors.insert(format!("Variant SKU.{i}"), v.tr.t("field-sku-twice"));
                }
                let taken = ctx
                    .existing
                    .iter()
                    .filter(|p| p.handle != handle_value)
                    .find(|p| p.variants.iter().any(|x| x.sku == var.sku));
                if let Some(other) = taken {
                    errors.insert(format!("Variant SKU.{i}"), v.tr.t1("field-sku-taken", "handle", &other.handle));
                }
                variants.push(var);
            }
            Err(problems) => {
                for FieldError { column, message } in problems {
                    let name = if column == "Variant Stock" { format!("Stock 0.{i}") } else { format!("{column}.{i}") };
                    errors.entry(name).or_insert(say(&column, &message));
                }
            }
        }
    }
    let mut product = match head {
        Ok((p, _)) => Some(p),
        Err(problems) => {
            for FieldError { column, message } in problems {
                errors.entry(column.clone()).or_insert(say(&column, &message));
            }
            None
        }
    };
    if variants.is_empty() && !errors.keys().any(|k| k.starts_with("Variant")) {
        errors.insert("Variant SKU.0".into(), v.tr.t("field-variant-needed"));
    }
    if let (Some(p), true) = (product.as_mut(), errors.is_empty()) {
        p.variants = variants;
        let who = podium_app::licensing::ActingUser {
            name: v.principal.as_ref().map(|p| p.user.display_name.clone()).unwrap_or_default(),
            client: v.client.clone(),
        };
        let saved = podium_app::licensing::save_with_review(
            state.store.as_ref(),
            &who,
            &ctx.shop.id,
            vec![p.clone()],
            &ctx.existing,
            &|_| {},
        )
        .await;
        match saved {
            Ok((_, revisions)) => {
                let what = if revisions > 0 { "revision" } else { "product" };
                let to = format!("/console/shops/{}/products/{handle_value}?saved={what}", ctx.shop.slug);
                return Ok(v.respond(Redirect::to(&to)));
            }
            Err(StoreError::Conflict { field: "sku" }) => {
                errors.insert("Variant SKU.0".into(), v.tr.t1("field-sku-taken", "handle", "?"));
            }
            Err(StoreError::Conflict { field: "handle" }) => {
                errors.insert("Handle".into(), v.tr.t("field-handle-taken"));
            }
            Err(e) => return Err(PageError::internal(v.tr.clone(), e)),
        }
    }
    let page = form_page(&v, &ctx, &values, &errors, handle.as_deref(), existing, None, None);
    Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
}

async fn upload_image(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(form).await;
    // An oversized body is refused before its fields (the CSRF token among them) can be read;
    // it changes nothing, so it gets its explanation without the token.
    if !up.too_large {
        v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    }
    let shop = shop_or_return!(v, slug);
    let ctx = form_context(&state, &v.tr, shop).await?;
    let Some(product) = ctx.existing.iter().find(|p| p.handle == handle) else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    let alt = up.fields.get("alt").cloned().unwrap_or_default();
    let prepared = prepare_upload(up.too_large, up.file, ImageOwner::Product, product.id.clone(), alt)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    match prepared {
        Ok(image) => {
            let who = podium_app::licensing::ActingUser {
                name: v.principal.as_ref().map(|p| p.user.display_name.clone()).unwrap_or_default(),
                client: v.client.clone(),
            };
            let added = podium_app::licensing::add_product_image(state.store.as_ref(), &who, product, image)
                .await
                .map_err(internal(&v.tr))?;
            let saved = if added.pending { "image-review" } else { "image" };
            Ok(v.respond(Redirect::to(&format!("/console/shops/{}/products/{handle}?saved={saved}", ctx.shop.slug))))
        }
        Err(e) => {
            let values = values_of(product, &ctx.locations);
            let message = image_error(&v.tr, &e);
            let status = if up.too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNPROCESSABLE_ENTITY };
            let page = form_page(&v, &ctx, &values, &HashMap::new(), Some(&handle), Some(product), None, Some(message));
            Ok(render(v, status, page))
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn delete_image(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle, id)): Path<(String, String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    v.check_csrf(&form.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    let products = catalogue_csv::shop_products(state.store.as_ref(), &shop.slug).await.map_err(internal(&v.tr))?;
    let Some(product) = products.iter().find(|p| p.handle == handle) else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    match state.store.delete_image(ImageOwner::Product, &product.id, &id).await {
        Ok(()) | Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(PageError::internal(v.tr.clone(), e)),
    }
    Ok(v.respond(Redirect::to(&format!("/console/shops/{}/products/{handle}?saved=image", shop.slug))))
}

async fn import_csv(
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

async fn export_csv(
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

async fn upload_emblem(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(form).await;
    v.check_csrf(up.fields.get("csrf_token").map(String::as_str).unwrap_or(""))?;
    let Some(principal) = v.principal.clone() else {
        return Ok(v.respond(Redirect::to("/signin?next=/console/licensor")));
    };
    let Some(property) = state.store.property_by_slug(&slug).await.map_err(internal(&v.tr))? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    if !principal.orgs_of(OrgKind::Licensor).any(|o| o.id == property.licensor_id) {
        return Err(PageError::forbidden(v.tr.clone()));
    }
    let prepared =
        prepare_upload(up.too_large, up.file, ImageOwner::Property, property.id.clone(), property.name.clone())
            .await
            .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let outcome = match prepared {
        Ok(image) => {
            state.store.add_image(image).await.map_err(internal(&v.tr))?;
            "saved".to_string()
        }
        Err(e) => format!("error-{}", image_error_code(&e)),
    };
    Ok(v.respond(Redirect::to(&format!("/console/licensor?emblem={outcome}&property={slug}"))))
}
