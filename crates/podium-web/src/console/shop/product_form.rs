//! The product form: creating and editing a product, its variants, stock per location and
//! translations, shown again with each field's error.

use crate::console::shop::products::{Notice, SPARE_ROWS};
use crate::kit::context::Visitor;
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::{ProductRecord, ProductStatus, StockLocation};
use podium_app::catalogue_csv::{self, FieldError, ImportContext};
use podium_app::{Org, StoreError};
use podium_domain::catalogue::{validate_slug, CategoryTree};
use podium_domain::{Country, Currency, Lang};
use std::collections::HashMap;

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

pub(crate) struct VariantRow {
    pub(crate) fields: Vec<Field>,
}

pub(crate) struct ImageView {
    pub(crate) id: String,
    pub(crate) alt: String,
    /// Waiting for the licensor: fans do not see it yet.
    pub(crate) pending: bool,
}

#[derive(Template)]
#[template(path = "product_form.html")]
pub(crate) struct ProductFormPage {
    pub(crate) layout: Layout,
    pub(crate) shop: Org,
    pub(crate) heading: String,
    pub(crate) action: String,
    /// The public page, for a saved product.
    public_slug: Option<String>,
    pub(crate) handle: String,
    pub(crate) notice: Option<String>,
    pub(crate) has_errors: bool,
    pub(crate) general: Vec<Field>,
    pub(crate) texts: Vec<Field>,
    pub(crate) option_names: Vec<Field>,
    pub(crate) columns: Vec<String>,
    pub(crate) variants: Vec<VariantRow>,
    pub(crate) images: Vec<ImageView>,
    pub(crate) image_error: Option<String>,
    /// Variants with more units to ship than codes (a saved product's page only).
    pub(crate) missing: Vec<crate::console::shop::code_requests::MissingView>,
}

/// Everything a product form is drawn from and checked against.
pub(crate) struct FormContext {
    pub(crate) shop: Org,
    pub(crate) currency: Currency,
    pub(crate) properties: Vec<(String, String, String)>,
    pub(crate) tree: CategoryTree,
    pub(crate) categories: Vec<String>,
    pub(crate) locations: Vec<StockLocation>,
    pub(crate) existing: Vec<ProductRecord>,
}

pub(crate) async fn form_context(state: &AppState, tr: &Tr, shop: Org) -> Result<FormContext, PageError> {
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
pub(crate) type Values = HashMap<String, String>;

pub(crate) fn values_of(p: &ProductRecord, locations: &[StockLocation]) -> Values {
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
pub(crate) fn row_count(values: &Values) -> usize {
    values
        .keys()
        .filter_map(|k| k.rsplit_once('.').and_then(|(_, i)| i.parse::<usize>().ok()))
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn form_page(
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

pub(crate) fn field_id(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

pub(crate) async fn new_product(
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

pub(crate) async fn edit_product(
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

pub(crate) async fn create_product(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_product(state, v, slug, None, pairs).await
}

pub(crate) async fn update_product(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, handle)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save_product(state, v, slug, Some(handle), pairs).await
}

/// Checks a submitted product form with the import's rules and saves it, or draws the form
/// again with each problem beside its field and everything typed kept.
pub(crate) async fn save_product(
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
