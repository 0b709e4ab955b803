//! One CSV row checked field by field: a product's head (title, category, HS code, origin,
//! weight, status) and its variants (SKU, options, price, stock, GTIN), each error named by column.

use crate::catalogue::{NewProduct, NewVariant, ProductStatus, Translation};
use crate::catalogue_csv::{html_to_text, ImportContext, MAX_DESCRIPTION, MAX_TITLE};
use podium_domain::catalogue::{parse_gtin, parse_hs_code};
use podium_domain::money::parse_minor;
use podium_domain::{Country, Lang, Money};
use std::collections::BTreeMap;

/// A problem with one field, named by its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: String,
    pub message: String,
}

pub(crate) fn field_err(column: &str, message: String) -> FieldError {
    FieldError { column: column.to_string(), message }
}

/// Reads a product's own fields (everything but its variants) through `get`, which returns a
/// column's trimmed value or "" — a CSV row or the console's form. Returns the product and its
/// option names, or every problem found.
pub fn product_head(
    get: &dyn Fn(&str) -> String,
    handle: &str,
    ctx: &ImportContext,
) -> Result<(NewProduct, Vec<String>), Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let lang_tag = get("Language");
    let fallback = if lang_tag.is_empty() {
        Lang::En
    } else {
        Lang::from_tag(&lang_tag).unwrap_or_else(|| {
            errors.push(field_err("Language", format!("Language {lang_tag:?} is not one of en, fr, zh-Hans, ja, ko")));
            Lang::En
        })
    };
    let mut translations: BTreeMap<&'static str, Translation> = BTreeMap::new();
    let title = get("Title");
    if !title.is_empty() {
        translations.insert(
            fallback.tag(),
            Translation { lang: fallback, title: title.clone(), description: html_to_text(&get("Body (HTML)")) },
        );
    }
    for lang in Lang::ALL {
        let t = get(&format!("Title ({})", lang.tag()));
        if t.is_empty() {
            continue;
        }
        let description = html_to_text(&get(&format!("Body ({})", lang.tag())));
        match translations.get(lang.tag()) {
            Some(existing) if existing.title != t || existing.description != description => errors.push(field_err(
                &format!("Title ({})", lang.tag()),
                format!("Title ({0}) differs from Title, which is already in {0}; leave one of them empty", lang.tag()),
            )),
            Some(_) => {}
            None => {
                translations.insert(lang.tag(), Translation { lang, title: t.clone(), description });
            }
        }
    }
    for t in translations.values() {
        if t.title.chars().count() > MAX_TITLE {
            errors.push(field_err(
                &format!("Title ({})", t.lang.tag()),
                format!("Title ({}) is longer than {MAX_TITLE} characters", t.lang.tag()),
            ));
        }
        if t.description.chars().count() > MAX_DESCRIPTION {
            errors.push(field_err(
                &format!("Body ({})", t.lang.tag()),
                format!("Body ({}) is longer than {MAX_DESCRIPTION} characters", t.lang.tag()),
            ));
        }
    }
    if !translations.contains_key(fallback.tag()) {
        errors.push(field_err(
            &format!("Title ({})", fallback.tag()),
            format!("Title is required in the product's language ({})", fallback.tag()),
        ));
    }
    let property = get("Property");
    let property = property.as_str();
    let property_id = match ctx.properties.get(property) {
        Some(id) => id.clone(),
        None if property.is_empty() => {
            errors.push(field_err("Property", "Property is required: the slug of the licensed property".into()));
            String::new()
        }
        None => {
            errors.push(field_err("Property", format!("Property {property:?} does not exist")));
            String::new()
        }
    };
    let category = match get("Category") {
        c if c.is_empty() => get("Type"),
        c => c,
    };
    if category.is_empty() {
        errors.push(field_err("Category", "Category is required".into()));
    } else if !ctx.categories.contains(&category) {
        errors.push(field_err("Category", format!("Category {category:?} does not exist")));
    }
    let hs = get("HS Code");
    let hs_code = match parse_hs_code(&hs) {
        Ok(h) => h,
        Err(_) if hs.is_empty() => {
            errors.push(field_err("HS Code", "HS Code is required (6 to 10 digits)".into()));
            String::new()
        }
        Err(e) => {
            errors.push(field_err("HS Code", e.to_string()));
            String::new()
        }
    };
    let origin = get("Origin Country");
    let origin_country = match Country::parse(&origin) {
        Ok(c) => c.code().to_string(),
        Err(_) => {
            errors.push(field_err(
                "Origin Country",
                format!("Origin Country {origin:?} is not an ISO 3166-1 alpha-2 code"),
            ));
            String::new()
        }
    };
    let grams = get("Variant Grams");
    let weight_grams = match grams.parse::<f64>() {
        _ if grams.is_empty() => 0,
        Ok(g) if g >= 0.0 && g.fract() == 0.0 && g < 1e9 => g as i64,
        _ => {
            errors.push(field_err("Variant Grams", format!("Variant Grams {grams:?} is not a whole number of grams")));
            0
        }
    };
    let status = match get("Status").to_ascii_lowercase().as_str() {
        "" | "active" | "live" => ProductStatus::Live,
        "draft" | "archived" => ProductStatus::Draft,
        other => {
            errors.push(field_err("Status", format!("Status {other:?} is not active or draft")));
            ProductStatus::Draft
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for t in get("Tags").split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    let option_names: Vec<String> =
        (1..=3).map(|i| get(&format!("Option{i} Name"))).take_while(|n| !n.is_empty() && n != "Title").collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let created_at = ctx.existing.iter().find(|p| p.handle == handle).map(|p| p.created_at).unwrap_or(ctx.now);
    Ok((
        NewProduct {
            shop_id: ctx.shop.id.clone(),
            property_id,
            category_slug: category,
            handle: handle.to_string(),
            fallback_lang: fallback,
            tags,
            hs_code,
            origin_country,
            weight_grams,
            status,
            translations: translations.into_values().collect(),
            variants: Vec::new(),
            created_at,
        },
        option_names,
    ))
}

/// Reads one variant through `get` (see [`product_head`]).
pub fn variant(
    get: &dyn Fn(&str) -> String,
    option_names: &[String],
    ctx: &ImportContext,
) -> Result<NewVariant, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let default_location = ctx.locations.first();
    let sku = get("Variant SKU");
    if sku.is_empty() {
        errors.push(field_err("Variant SKU", "Variant SKU is required".into()));
    } else if sku.chars().count() > 64 {
        errors.push(field_err("Variant SKU", format!("Variant SKU {sku:?} is longer than 64 characters")));
    }
    let price_text = get("Variant Price");
    let price = match parse_minor(&price_text, ctx.currency) {
        Ok(m) if ctx.bounds.price_ok(Money::new(m, ctx.currency)) => Money::new(m, ctx.currency),
        // Over the bound, or too many digits for any amount at all.
        Ok(0..) | Err(podium_domain::money::MoneyError::Overflow) => {
            errors.push(field_err(
                "Variant Price",
                format!(
                    "Variant Price {price_text:?} is over the marketplace's limit of {}",
                    ctx.bounds.max_price(ctx.currency).formatted()
                ),
            ));
            Money::zero(ctx.currency)
        }
        _ => {
            errors.push(field_err(
                "Variant Price",
                format!("Variant Price {price_text:?} is not an amount in {}", ctx.currency.code()),
            ));
            Money::zero(ctx.currency)
        }
    };
    let mut options = Vec::new();
    for (i, name) in option_names.iter().enumerate() {
        let value = get(&format!("Option{} Value", i + 1));
        if value.is_empty() {
            errors.push(field_err(
                &format!("Option{} Value", i + 1),
                format!("Option{} Value is required: the product has option {name:?}", i + 1),
            ));
        } else {
            options.push((name.clone(), value));
        }
    }
    let barcode = get("Variant Barcode");
    let barcode = barcode.trim_start_matches('\'');
    let gtin = if barcode.is_empty() {
        None
    } else {
        match parse_gtin(barcode) {
            Ok(g) => Some(g),
            Err(e) => {
                errors.push(field_err("Variant Barcode", format!("Variant Barcode: {e}")));
                None
            }
        }
    };
    let mut explicit_prices: Vec<Money> = Vec::new();
    for part in get("Variant Prices").split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match Money::parse(part) {
            Ok(m) if m.minor >= 0 && !ctx.bounds.price_ok(m) => errors.push(field_err(
                "Variant Prices",
                format!(
                    "Variant Prices: {part:?} is over the marketplace's limit of {}",
                    ctx.bounds.max_price(m.currency).formatted()
                ),
            )),
            Ok(m) if m.minor >= 0 && m.currency != ctx.currency => {
                if explicit_prices.iter().any(|x| x.currency == m.currency) {
                    errors
                        .push(field_err("Variant Prices", format!("Variant Prices gives {} twice", m.currency.code())));
                } else {
                    explicit_prices.push(m);
                }
            }
            Ok(m) if m.currency == ctx.currency => errors.push(field_err(
                "Variant Prices",
                format!("Variant Prices: {part:?} is in the shop's own currency; use Variant Price"),
            )),
            _ => errors.push(field_err(
                "Variant Prices",
                format!("Variant Prices: {part:?} is not an amount with a currency, like \"USD 25.00\""),
            )),
        }
    }
    explicit_prices.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
    let mut stock: Vec<(String, i64)> = Vec::new();
    let per_location = get("Variant Stock");
    if !per_location.is_empty() {
        for part in per_location.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, qty)) = part.rsplit_once('=') else {
                errors.push(field_err(
                    "Variant Stock",
                    format!("Variant Stock: {part:?} should read \"location=units\""),
                ));
                continue;
            };
            let Some(loc) = ctx.locations.iter().find(|l| l.name == name.trim()) else {
                errors.push(field_err(
                    "Variant Stock",
                    format!("Variant Stock: the shop has no stock location {:?}", name.trim()),
                ));
                continue;
            };
            match qty.trim().parse::<i64>() {
                Ok(n) if (0..=ctx.bounds.max_stock).contains(&n) => stock.push((loc.id.clone(), n)),
                Ok(n) if n > 0 => errors.push(field_err(
                    "Variant Stock",
                    format!("Variant Stock: {n} is more than the {} units a location can hold", ctx.bounds.max_stock),
                )),
                _ => errors.push(field_err(
                    "Variant Stock",
                    format!("Variant Stock: {:?} is not a number of units", qty.trim()),
                )),
            }
        }
    } else {
        let qty = get("Variant Inventory Qty");
        if !qty.is_empty() {
            match (qty.parse::<i64>(), default_location) {
                (Ok(n), Some(loc)) if (0..=ctx.bounds.max_stock).contains(&n) => stock.push((loc.id.clone(), n)),
                (Ok(n), Some(_)) if n > 0 => errors.push(field_err(
                    "Variant Inventory Qty",
                    format!(
                        "Variant Inventory Qty {n} is more than the {} units a location can hold",
                        ctx.bounds.max_stock
                    ),
                )),
                (Ok(n), None) if n >= 0 => errors.push(field_err(
                    "Variant Inventory Qty",
                    "Variant Inventory Qty needs a stock location; add one to the shop first".into(),
                )),
                _ => errors.push(field_err(
                    "Variant Inventory Qty",
                    format!("Variant Inventory Qty {qty:?} is not a number of units"),
                )),
            }
        }
    }
    if errors.is_empty() {
        Ok(NewVariant { sku, options, gtin, price, explicit_prices, stock })
    } else {
        Err(errors)
    }
}
