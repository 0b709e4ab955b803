//! What catalogue pages tell search engines and link previews: titles and descriptions, the
//! picture, breadcrumbs, feeds and the schema.org `Product` (every address absolute).

use podium_app::catalogue::{ProductRecord, VariantRecord};
use podium_app::storefront;
use podium_domain::Money;
use serde_json::json;

use crate::kit::head::script_json;
use crate::kit::layout::{Layout, Opt};

/// Breadcrumbs as (name, path) pairs; the page itself has an empty path.
fn trail(crumbs: &[Opt]) -> Vec<(String, String)> {
    crumbs.iter().map(|c| (c.label.clone(), c.value.clone())).collect()
}

/// A listing (a team, a category, a shop): its heading, what it says of itself, its breadcrumbs
/// and, for teams and shops, its Atom feed.
pub fn listing(
    layout: Layout,
    heading: &str,
    subheading: &str,
    story: &[String],
    crumbs: &[Opt],
    atom: Option<&str>,
) -> Layout {
    let description = match story.first() {
        Some(first) => first.clone(),
        None if subheading.is_empty() => format!("{heading} — {}", layout.tr.t("site-tagline")),
        None => format!("{heading} — {subheading}"),
    };
    let layout = layout.titled(heading, &description).crumbs(&trail(crumbs));
    match atom {
        Some(path) => layout.feed(heading, path),
        None => layout,
    }
}

/// The product page: its head, and the schema.org `Product` the page carries.
pub fn product(
    layout: Layout,
    p: &ProductRecord,
    title: &str,
    description: &str,
    variant: &VariantRecord,
    price: Money,
    crumbs: &[Opt],
) -> (Layout, String) {
    let image = match p.public_images().next() {
        Some(i) => format!("/media/{}", i.id),
        None => format!("/products/{}/art.png", p.slug),
    };
    let alt = layout.tr.t1("product-image-alt", "title", title);
    let layout = layout.titled(title, description).image(&image, &alt).og_type("product").crumbs(&trail(crumbs));
    let head = &layout.head;
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "@id": format!("{}#product", head.canonical),
        "url": head.canonical,
        "name": title,
        "description": description,
        "sku": storefront::public_sku(&p.shop.slug, &variant.sku),
        "gtin14": variant.gtin,
        "brand": {"@type": "Brand", "name": p.property.name},
        "image": head.image,
        "offers": {
            "@type": "Offer",
            "url": head.canonical,
            "price": price.amount(),
            "priceCurrency": price.currency.code(),
            "availability": if variant.available > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            "seller": {"@type": "Organization", "name": p.shop.name, "url": head.absolute(&format!("/shops/{}", p.shop.slug))},
        }
    });
    let json_ld = script_json(&ld);
    (layout, json_ld)
}
