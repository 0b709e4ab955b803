//! The catalogue written back in the import format (so an export imports back unchanged), and a
//! shop's products, drafts included, for export and import checks.

use crate::catalogue::{ProductRecord, ProductStatus, StockLocation};
use crate::catalogue_csv::{columns, text_to_html};
use crate::ports::StoreError;
use crate::Store;

/// Writes products in the import format, so an export imports back unchanged. `media_base`
/// prefixes image addresses (the site's public address).
pub fn export(products: &[ProductRecord], locations: &[StockLocation], media_base: &str) -> String {
    let cols = columns();
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(&cols);
    let at = |name: &str| cols.iter().position(|c| c == name).unwrap_or(0);
    let location_name =
        |id: &str| locations.iter().find(|l| l.id == id).map(|l| l.name.clone()).unwrap_or_else(|| id.to_string());
    for p in products {
        let rows = p.variants.len().max(p.images.len()).max(1);
        for i in 0..rows {
            let mut r = vec![String::new(); cols.len()];
            r[at("Handle")] = p.handle.clone();
            if i == 0 {
                if let Some(t) = p.translations.iter().find(|t| t.lang == p.fallback_lang) {
                    r[at("Title")] = t.title.clone();
                    r[at("Body (HTML)")] = text_to_html(&t.description);
                }
                for t in p.translations.iter().filter(|t| t.lang != p.fallback_lang) {
                    r[at(&format!("Title ({})", t.lang.tag()))] = t.title.clone();
                    r[at(&format!("Body ({})", t.lang.tag()))] = text_to_html(&t.description);
                }
                r[at("Vendor")] = p.shop.name.clone();
                r[at("Type")] = p.category_slug.clone();
                r[at("Tags")] = p.tags.join(", ");
                r[at("Status")] = if p.status == ProductStatus::Live { "active" } else { "draft" }.into();
                r[at("Property")] = p.property.slug.clone();
                r[at("Category")] = p.category_slug.clone();
                r[at("HS Code")] = p.hs_code.clone();
                r[at("Origin Country")] = p.origin_country.clone();
                r[at("Language")] = p.fallback_lang.tag().into();
                r[at("Variant Grams")] = p.weight_grams.to_string();
                for (k, (name, _)) in p.variants.first().map(|v| v.options.as_slice()).unwrap_or(&[]).iter().enumerate()
                {
                    r[at(&format!("Option{} Name", k + 1))] = name.clone();
                }
            }
            if let Some(v) = p.variants.get(i) {
                for (k, (_, value)) in v.options.iter().enumerate().take(3) {
                    r[at(&format!("Option{} Value", k + 1))] = value.clone();
                }
                r[at("Variant SKU")] = v.sku.clone();
                r[at("Variant Price")] = v.price.amount();
                // GTINs are kept as GTIN-14; a leading zero pad is dropped for the common lengths.
                r[at("Variant Barcode")] = v.gtin.as_deref().map(short_gtin).unwrap_or_default();
                r[at("Variant Inventory Qty")] = v.stock.iter().map(|s| s.1).sum::<i64>().to_string();
                r[at("Variant Prices")] = v
                    .explicit_prices
                    .iter()
                    .map(|m| format!("{} {}", m.currency.code(), m.amount()))
                    .collect::<Vec<_>>()
                    .join("; ");
                r[at("Variant Stock")] =
                    v.stock.iter().map(|(loc, n)| format!("{}={n}", location_name(loc))).collect::<Vec<_>>().join("; ");
            }
            if let Some(img) = p.images.get(i) {
                r[at("Image Src")] = format!("{media_base}/media/{}", img.id);
                r[at("Image Alt Text")] = img.alt.clone();
            }
            let _ = w.write_record(&r);
        }
    }
    w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

pub(crate) fn short_gtin(g: &str) -> String {
    let trimmed = g.trim_start_matches('0');
    for len in [8, 12, 13, 14] {
        if trimmed.len() <= len {
            return format!("{trimmed:0>len$}");
        }
    }
    g.to_string()
}

/// Every product of a shop, drafts included, for export and import checks.
pub async fn shop_products(store: &dyn Store, shop_slug: &str) -> Result<Vec<ProductRecord>, StoreError> {
    let filter = crate::catalogue::ProductFilter {
        shop_slug: Some(shop_slug.to_string()),
        live_only: false,
        limit: i64::MAX / 2,
        ..Default::default()
    };
    Ok(store.products(&filter).await?.0)
}
