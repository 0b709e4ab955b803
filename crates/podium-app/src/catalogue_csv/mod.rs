//! Product CSV import and export: the format, the row checks (`rows.rs`) and the export
//! (`export.rs`). It holds no HTTP and no SQL: it reads and writes through the `Store` port.
//!
//! The format follows Shopify's product CSV where the meaning is the same, so a shop moving to
//! Podium can start from the file it already has, and adds Podium's own columns:
//!
//! | Column | Meaning |
//! |---|---|
//! | `Handle` | the product's handle in the shop (required on every row) |
//! | `Title`, `Body (HTML)` | title and description in the product's `Language` |
//! | `Vendor` | the shop's name (written on export, ignored on import: `--shop` decides) |
//! | `Type` | the category slug, used when `Category` is empty |
//! | `Tags` | comma-separated tags |
//! | `Status` | `active` (live) or `draft` |
//! | `Option1 Name` … `Option3 Value` | variant options such as Size and Colour |
//! | `Variant SKU` | unique within the shop (required) |
//! | `Variant Price` | in the shop's currency, as a decimal: `35000`, `24.50` |
//! | `Variant Barcode` | a GTIN-8/12/13/14; its check digit is verified |
//! | `Variant Grams` | the product's shipping weight (read from its first variant) |
//! | `Variant Inventory Qty` | units on hand at the shop's first stock location |
//! | `Image Src`, `Image Alt Text` | gallery images (export only: images are uploaded in the console) |
//! | `Property` | slug of the licensed property (required) |
//! | `Category` | slug of the category |
//! | `HS Code` | 6 to 10 digits (required: duties depend on it) |
//! | `Origin Country` | ISO 3166-1 alpha-2 (required) |
//! | `Language` | the language of `Title` and `Body (HTML)` and the fallback for the others (default `en`) |
//! | `Title (fr)`, `Body (fr)`, … | the other languages: `en`, `fr`, `zh-Hans`, `ja`, `ko` |
//! | `Variant Prices` | explicit prices in other currencies: `USD 25.00; JPY 3800` |
//! | `Variant Stock` | on hand per location: `Nairobi workshop=12; Seoul=4` (wins over `Variant Inventory Qty`) |
//!
//! The first row of a handle carries the product's fields; further rows of the same handle
//! add variants. Other columns (Shopify's SEO fields and the like) are ignored and listed.
//!
//! **All or nothing:** a file is checked whole first and every bad row is reported with its line
//! number; if any row is bad nothing is saved. A good file is saved in one transaction. Products
//! are matched by handle (created or updated) and variants by SKU; products of the shop that
//! are not in the file are left alone.

use std::collections::{HashMap, HashSet};

use podium_domain::catalogue::{validate_slug, CategoryTree};
use podium_domain::{Currency, Lang};
use time::OffsetDateTime;

use crate::catalogue::{NewProduct, ProductRecord, StockLocation};
use crate::ports::{Org, StoreError};
use crate::Store;
mod export;
mod rows;

pub use export::*;
pub use rows::*;

/// The longest product title and description, in characters, in any language.
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;

/// Every column Podium writes, in order.
pub fn columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "Handle",
        "Title",
        "Body (HTML)",
        "Vendor",
        "Type",
        "Tags",
        "Status",
        "Option1 Name",
        "Option1 Value",
        "Option2 Name",
        "Option2 Value",
        "Option3 Name",
        "Option3 Value",
        "Variant SKU",
        "Variant Price",
        "Variant Barcode",
        "Variant Grams",
        "Variant Inventory Qty",
        "Image Src",
        "Image Alt Text",
        "Property",
        "Category",
        "HS Code",
        "Origin Country",
        "Language",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for lang in Lang::ALL {
        c.push(format!("Title ({})", lang.tag()));
        c.push(format!("Body ({})", lang.tag()));
    }
    c.push("Variant Prices".into());
    c.push("Variant Stock".into());
    c
}

/// A bad row: its line in the file (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no shop is called {0:?}")]
    UnknownShop(String),
    #[error("the file has {} bad row(s); nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub variants: usize,
    /// Approved products whose changes went to the licensor as revisions (their approved
    /// version stays on sale until the revision is approved).
    pub sent_for_review: usize,
    /// Things worth knowing that did not stop the import (ignored columns, images not fetched).
    pub notes: Vec<String>,
}

/// What a file is checked against.
pub struct ImportContext<'a> {
    pub shop: &'a Org,
    pub currency: Currency,
    pub properties: HashMap<String, String>,
    pub categories: &'a CategoryTree,
    pub locations: &'a [StockLocation],
    /// The shop's products now, to tell creates from updates and to keep SKUs unique.
    pub existing: &'a [ProductRecord],
    pub now: OffsetDateTime,
    /// The largest price and stock anyone can enter.
    pub bounds: podium_domain::money::Bounds,
}

/// A parsed, checked file ready to save.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub products: Vec<NewProduct>,
    pub notes: Vec<String>,
}

pub(crate) struct Columns {
    pub(crate) index: HashMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index.get(&name.to_ascii_lowercase()).and_then(|i| row.get(*i)).map(str::trim).unwrap_or("")
    }
}

/// Body (HTML) to plain text: paragraphs and line breaks become newlines, other tags go, and the
/// common entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        if tag == "/p" || tag.starts_with("br") {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.trim().to_string()
}

/// Plain text to Body (HTML): each line a paragraph, special characters escaped.
pub fn text_to_html(text: &str) -> String {
    text.lines()
        .map(|l| {
            let esc = l.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
            format!("<p>{esc}</p>")
        })
        .collect()
}

pub(crate) struct Draft {
    pub(crate) line: u64,
    pub(crate) product: NewProduct,
    pub(crate) option_names: Vec<String>,
}

/// Reads and checks a whole file. Returns every problem found, not just the first.
pub fn parse(data: &[u8], ctx: &ImportContext, progress: &dyn Fn(u64, u64)) -> Result<Parsed, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let text = match std::str::from_utf8(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![RowError { line: 0, message: format!("the file is not UTF-8 text ({e})") }]);
        }
    };
    let total_lines = text.lines().count().saturating_sub(1) as u64;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![RowError { line: 1, message: format!("the header cannot be read: {e}") }]),
    };
    let known: HashSet<String> = columns().iter().map(|c| c.to_ascii_lowercase()).collect();
    let index: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.trim().to_ascii_lowercase(), i)).collect();
    if !index.contains_key("handle") {
        return Err(vec![RowError { line: 1, message: "there is no Handle column".into() }]);
    }
    let ignored: Vec<&str> = headers.iter().filter(|h| !known.contains(&h.trim().to_ascii_lowercase())).collect();
    if !ignored.is_empty() {
        notes.push(format!("ignored columns: {}", ignored.join(", ")));
    }
    let cols = Columns { index };
    let mut drafts: Vec<Draft> = Vec::new();
    let mut by_handle: HashMap<String, usize> = HashMap::new();
    let mut sku_lines: HashMap<String, u64> = HashMap::new();
    let mut external_images = 0usize;
    for record in reader.records() {
        let (line, row) = match record {
            Ok(r) => (r.position().map(|p| p.line()).unwrap_or(0), r),
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError { line, message: format!("the row cannot be read: {e}") });
                continue;
            }
        };
        progress(line.saturating_sub(1).min(total_lines), total_lines);
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut bad = |message: String| errors.push(RowError { line, message });
        let handle = cols.get(&row, "Handle");
        if validate_slug(handle).is_err() {
            bad(format!("Handle {handle:?} must be 1 to 80 lowercase letters, digits and single hyphens"));
            continue;
        }
        let image = cols.get(&row, "Image Src");
        if !image.is_empty() && !image.contains("/media/") {
            external_images += 1;
        }
        let slot = match by_handle.get(handle) {
            Some(i) => *i,
            None => match product_head(&|c| cols.get(&row, c).to_string(), handle, ctx) {
                Ok(d) => {
                    drafts.push(Draft { line, product: d.0, option_names: d.1 });
                    by_handle.insert(handle.to_string(), drafts.len() - 1);
                    drafts.len() - 1
                }
                Err(problems) => {
                    for p in problems {
                        bad(p.message);
                    }
                    // The row's variant is checked too, so one pass finds everything wrong with it.
                    let get = |c: &str| cols.get(&row, c).to_string();
                    let names: Vec<String> = (1..=3)
                        .map(|i| get(&format!("Option{i} Name")))
                        .take_while(|n| !n.is_empty() && n != "Title")
                        .collect();
                    if let Err(problems) = variant(&get, &names, ctx) {
                        for p in problems {
                            bad(p.message);
                        }
                    }
                    // Keep the handle so its later rows are not reported as new products.
                    by_handle.insert(handle.to_string(), usize::MAX);
                    continue;
                }
            },
        };
        if slot == usize::MAX {
            continue;
        }
        let sku = cols.get(&row, "Variant SKU");
        let price = cols.get(&row, "Variant Price");
        let has_options = (1..=3).any(|i| !cols.get(&row, &format!("Option{i} Value")).is_empty());
        if sku.is_empty() && price.is_empty() && !has_options {
            continue; // an image-only row
        }
        match variant(&|c| cols.get(&row, c).to_string(), &drafts[slot].option_names, ctx) {
            Ok(v) => {
                if let Some(first) = sku_lines.get(&v.sku) {
                    bad(format!("Variant SKU {:?} is already used on line {first}", v.sku));
                    continue;
                }
                sku_lines.insert(v.sku.clone(), line);
                drafts[slot].product.variants.push(v);
            }
            Err(problems) => {
                for p in problems {
                    bad(p.message);
                }
            }
        }
    }
    progress(total_lines, total_lines);
    for d in &drafts {
        if d.product.variants.is_empty() {
            errors.push(RowError {
                line: d.line,
                message: format!("product {:?} has no variant: give a Variant SKU and Variant Price", d.product.handle),
            });
        }
    }
    // A SKU may move between products of the file, but not take one from a product left out of it.
    let in_file: HashSet<&str> = drafts.iter().map(|d| d.product.handle.as_str()).collect();
    for p in ctx.existing.iter().filter(|p| !in_file.contains(p.handle.as_str())) {
        for v in &p.variants {
            if let Some(line) = sku_lines.get(&v.sku) {
                errors.push(RowError {
                    line: *line,
                    message: format!("Variant SKU {:?} already belongs to product {:?} of this shop", v.sku, p.handle),
                });
            }
        }
    }
    if external_images > 0 {
        notes.push(format!(
            "{external_images} Image Src address(es) outside Podium were not fetched; upload images in the console"
        ));
    }
    if drafts.is_empty() && errors.is_empty() {
        errors.push(RowError { line: 0, message: "the file has no products".into() });
    }
    if errors.is_empty() {
        Ok(Parsed { products: drafts.into_iter().map(|d| d.product).collect(), notes })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Checks a file against the shop and saves it whole, or reports every bad row and saves nothing.
/// `progress(stage, done, total)` follows the check (`"check"`) and the save (`"save"`).
pub async fn import(
    store: &dyn Store,
    shop_slug: &str,
    data: &[u8],
    now: OffsetDateTime,
    bounds: podium_domain::money::Bounds,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> Result<ImportReport, ImportError> {
    let shop = store
        .org_by_slug(shop_slug)
        .await?
        .filter(|o| o.kind == podium_domain::role::OrgKind::Shop)
        .ok_or_else(|| ImportError::UnknownShop(shop_slug.to_string()))?;
    let currency = Currency::parse(&shop.currency).map_err(|_| StoreError::Backend("shop currency".into()))?;
    let properties = store.properties().await?.into_iter().map(|p| (p.slug, p.id)).collect();
    let categories = CategoryTree::new(store.categories().await?.into_iter().map(|c| (c.slug, c.parent)));
    let locations = store.stock_locations(&shop.id).await?;
    let existing = shop_products(store, shop_slug).await?;
    let ctx = ImportContext {
        shop: &shop,
        currency,
        properties,
        categories: &categories,
        locations: &locations,
        existing: &existing,
        now,
        bounds,
    };
    let parsed = parse(data, &ctx, &|done, total| progress("check", done, total)).map_err(ImportError::Rows)?;
    let known: HashSet<&str> = existing.iter().map(|p| p.handle.as_str()).collect();
    let mut report = ImportReport { notes: parsed.notes, ..Default::default() };
    for p in &parsed.products {
        report.variants += p.variants.len();
        if known.contains(p.handle.as_str()) {
            report.updated += 1;
        } else {
            report.created += 1;
        }
    }
    let total = parsed.products.len() as u64;
    let who = crate::licensing::ActingUser { name: shop.name.clone(), ..Default::default() };
    let (_, revisions) = crate::licensing::save_with_review(store, &who, &shop.id, parsed.products, &existing, &|n| {
        progress("save", n as u64, total)
    })
    .await?;
    report.sent_for_review = revisions;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_html_round_trips_plain_text() {
        let text = "Hand-printed in Nairobi.\nSizes run large & wide <really>.";
        assert_eq!(html_to_text(&text_to_html(text)), text);
        assert_eq!(
            html_to_text("<p>One<br/>Two</p><p><strong>Three</strong> &amp; four</p>"),
            "One\nTwo\nThree & four"
        );
    }

    #[test]
    fn gtins_are_written_at_their_usual_length() {
        assert_eq!(short_gtin("04006381333931"), "4006381333931");
        assert_eq!(short_gtin("00000096385074"), "96385074");
        assert_eq!(short_gtin("00012345678905"), "012345678905");
    }

    #[test]
    fn the_columns_include_shopify_names_and_every_language() {
        let c = columns();
        for name in
            ["Handle", "Body (HTML)", "Option1 Name", "Variant SKU", "Variant Barcode", "Image Src", "Title (ko)"]
        {
            assert!(c.iter().any(|x| x == name), "{name}");
        }
    }
}
