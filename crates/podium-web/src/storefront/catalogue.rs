//! Storefront catalogue pages: listings by property, category and shop, and the product page
//! (its illustrations are drawn in `product_art`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use podium_app::catalogue::ProductFilter;
use podium_app::storefront;
use podium_domain::Country;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::category_name;
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::product_card::Card;
use crate::kit::render::render;
use crate::storefront::catalogue_meta as meta;
use crate::AppState;

pub const PER_PAGE: i64 = 24;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/products", all_products)
        .get("/products/{slug}", product)
        .get("/products/{slug}/art.svg", crate::storefront::product_art::art)
        .get("/products/{slug}/art.png", crate::storefront::product_art::art_png)
        .get("/properties/{slug}", property)
        .get("/categories/{slug}", category)
        .get("/shops/{slug}", shop)
}

fn country_name(tr: &Tr, code: &str) -> String {
    Country::parse(code).map(|c| tr.country(c)).unwrap_or_else(|_| code.to_string())
}

fn crumb(label: String, href: &str) -> Opt {
    Opt { value: href.to_string(), label, selected: false, extra: String::new() }
}

#[derive(Deserialize, Default)]
struct PageQuery {
    page: Option<String>,
    variant: Option<String>,
}

impl PageQuery {
    fn page(&self) -> i64 {
        self.page.as_deref().and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1)
    }
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    layout: Layout,
    heading: String,
    subheading: String,
    crumbs: Vec<Opt>,
    count_text: String,
    cards: Vec<Card>,
    page: i64,
    pages: i64,
    page_text: String,
    emblem: Option<String>,
    story: Vec<String>,
    follow: Option<crate::storefront::stories::FollowView>,
    /// A team's licensor, followed apart.
    follow_licensor: Option<crate::storefront::stories::FollowView>,
    stories: Vec<crate::kit::story_card::StoryCard>,
    atom: Option<String>,
}

/// What a property's or a shop's page adds: its follow button, its stories, its Atom feed.
#[derive(Default)]
struct Following {
    kind: Option<podium_app::stories::FollowKind>,
    target_id: String,
    path: String,
    /// Stories about the property (`property`) or by the shop (`author`).
    property_id: Option<String>,
    author_id: Option<String>,
    /// A team's licensor (id, name), followed apart.
    licensor: Option<(String, String)>,
}

struct Listing {
    heading: String,
    subheading: String,
    crumbs: Vec<Opt>,
    filter: ProductFilter,
    /// A property's emblem image id.
    emblem: Option<String>,
    /// A shop's story, by paragraph.
    story: Vec<String>,
    following: Following,
}

async fn render_listing(state: &AppState, v: Visitor, listing: Listing, page: i64) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    // Listings come from the search index, which applies each product's licences for the
    // fan's country at this moment.
    let f = listing.filter;
    let params = crate::kit::listing::ListingParams {
        property: f.property_slug,
        category: f.category_slugs.into_iter().next(),
        shop: f.shop_slug,
        ..crate::kit::listing::ListingParams::newest(v.prefs.country, page.clamp(1, 10_000) as usize, PER_PAGE as usize)
    };
    let found = crate::kit::listing::listing(state, &tr, v.shopper(), params)
        .await
        .map_err(|e| PageError::internal(tr.clone(), e.detail))?;
    let total = found.total as i64;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        return Err(PageError::not_found(tr));
    }
    let cards = found.cards(&tr);
    let f = &listing.following;
    let follow = match f.kind {
        Some(kind) => Some(crate::storefront::stories::follow_view(state, &v, kind, &f.target_id, &f.path).await?),
        None => None,
    };
    let stories = if f.kind.is_some() {
        crate::storefront::stories::stories_for(state, &tr, f.property_id.as_deref(), f.author_id.as_deref(), 6).await?
    } else {
        Vec::new()
    };
    let atom = f.kind.is_some().then(|| format!("{}/feed.atom", f.path));
    let follow_licensor = match &f.licensor {
        Some((id, name)) => {
            let mut view = crate::storefront::stories::follow_view(
                state,
                &v,
                podium_app::stories::FollowKind::Licensor,
                id,
                &f.path,
            )
            .await?;
            view.who = name.clone();
            Some(view)
        }
        None => None,
    };
    let page_view = ListingPage {
        layout: meta::listing(
            Layout::new(&v),
            &listing.heading,
            &listing.subheading,
            &listing.story,
            &listing.crumbs,
            atom.as_deref(),
        ),
        heading: listing.heading,
        subheading: listing.subheading,
        crumbs: listing.crumbs,
        count_text: tr.t1("listing-count", "count", &total.to_string()),
        cards,
        page,
        pages,
        page_text: tr.tn("pager-page", &[("page", &page.to_string()), ("pages", &pages.to_string())]),
        emblem: listing.emblem,
        story: listing.story,
        follow,
        follow_licensor,
        stories,
        atom,
    };
    Ok(render(v, StatusCode::OK, page_view))
}

fn home_crumb(tr: &Tr) -> Opt {
    crumb(tr.t("breadcrumb-home"), "/")
}

async fn all_products(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let heading = tr.t("listing-all-title");
    let listing = Listing {
        crumbs: vec![home_crumb(&tr), crumb(heading.clone(), "")],
        heading,
        subheading: String::new(),
        filter: ProductFilter::default(),
        emblem: None,
        story: Vec::new(),
        following: Following::default(),
    };
    render_listing(&state, v, listing, q.page()).await
}

async fn property(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let Some(p) = state.store.property_by_slug(&slug).await.map_err(|e| PageError::internal(tr.clone(), e))? else {
        return Err(PageError::not_found(tr));
    };
    let listing = Listing {
        crumbs: vec![home_crumb(&tr), crumb(tr.t("nav-properties"), ""), crumb(p.name.clone(), "")],
        heading: p.name.clone(),
        subheading: tr.t1("listing-property-by", "licensor", &p.licensor_name),
        following: Following {
            kind: Some(podium_app::stories::FollowKind::Property),
            target_id: p.id.clone(),
            path: format!("/properties/{}", p.slug),
            property_id: Some(p.id.clone()),
            author_id: None,
            licensor: Some((p.licensor_id.clone(), p.licensor_name.clone())),
        },
        filter: ProductFilter { property_slug: Some(p.slug), ..Default::default() },
        emblem: p.emblem.map(|e| e.id),
        story: Vec::new(),
    };
    render_listing(&state, v, listing, q.page()).await
}

async fn category(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let reference = state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    let tree = &reference.categories;
    if !tree.contains(&slug) {
        return Err(PageError::not_found(tr));
    }
    let path = tree.path(&slug);
    let mut crumbs = vec![home_crumb(&tr)];
    for (i, s) in path.iter().enumerate() {
        let href = if i + 1 == path.len() { String::new() } else { format!("/categories/{s}") };
        crumbs.push(crumb(category_name(&tr, s), &href));
    }
    let listing = Listing {
        crumbs,
        heading: category_name(&tr, &slug),
        subheading: String::new(),
        filter: ProductFilter { category_slugs: vec![slug.clone()], ..Default::default() },
        emblem: None,
        story: Vec::new(),
        following: Following::default(),
    };
    render_listing(&state, v, listing, q.page()).await
}

async fn shop(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let org = state.store.org_by_slug(&slug).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    let Some(org) = org.filter(|o| o.kind == podium_domain::role::OrgKind::Shop) else {
        return Err(PageError::not_found(tr));
    };
    let country = country_name(&tr, &org.country);
    let listing = Listing {
        crumbs: vec![home_crumb(&tr), crumb(tr.t("nav-shops"), ""), crumb(org.name.clone(), "")],
        heading: tr.tn("shop-title", &[("shop", &org.name), ("country", &country)]),
        subheading: tr.tn("product-shop-based", &[("shop", &org.name), ("country", &country)]),
        following: Following {
            kind: Some(podium_app::stories::FollowKind::Shop),
            target_id: org.id.clone(),
            path: format!("/shops/{}", org.slug),
            property_id: None,
            author_id: Some(org.id.clone()),
            licensor: None,
        },
        filter: ProductFilter { shop_slug: Some(org.slug), ..Default::default() },
        emblem: None,
        story: org.story.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect(),
    };
    render_listing(&state, v, listing, q.page()).await
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    slug: String,
    crumbs: Vec<Opt>,
    title: String,
    description: String,
    is_fallback: bool,
    content_lang: &'static str,
    fallback_note: String,
    property: String,
    property_slug: String,
    shop_slug: String,
    made_by: String,
    price: String,
    option_name: String,
    variants: Vec<crate::storefront::variant_picker::Choice>,
    available: i64,
    stock_text: String,
    licence: String,
    sku: String,
    gtin: Option<String>,
    origin: String,
    weight: String,
    shop_note: String,
    image_alt: String,
    /// Uploaded images (id, alt); the drawn illustration stands in when there are none.
    images: Vec<(String, String)>,
    json_ld: String,
    /// Why the fan cannot buy it (their country is not covered, the licence is not active).
    unavailable: Option<String>,
    /// Whether the price includes VAT or GST, or is shown before sales tax.
    price_note: String,
    /// One item delivered to the fan's country, duties and taxes paid.
    delivered: Option<Delivered>,
    /// Shown to the shop and licensor when fans cannot see the product yet.
    preview: Option<String>,
    /// Its limited drop, if it has one now.
    drop: Option<crate::storefront::drops::DropView>,
    /// The chosen variant sells only through its drop's waiting room.
    gated: bool,
}

/// The delivered price of one item and how it is made up.
struct Delivered {
    headline: String,
    /// (label, amount) rows: goods, shipping, VAT, duty.
    rows: Vec<(String, String)>,
    total: String,
    /// Which rule applied, in a sentence.
    regime: String,
    ships: String,
}

fn delivered_view(tr: &Tr, c: &podium_app::quote::QuotedConsignment, ship_to: Country, inclusive: bool) -> Delivered {
    use podium_domain::landed::Regime;
    let country = tr.country(ship_to);
    let total = tr.money(c.cost.total);
    let headline = match c.cost.regime {
        Regime::Unmodelled => tr.tn("delivered-unmodelled", &[("country", &country), ("price", &total)]),
        _ if inclusive => tr.tn("delivered-incl", &[("country", &country), ("price", &total)]),
        _ => tr.tn("delivered-plus", &[("country", &country), ("price", &total)]),
    };
    Delivered {
        headline,
        rows: crate::kit::cart_view::delivered_rows(tr, &c.cost),
        total,
        regime: crate::kit::cart_view::regime_text(tr, &c.cost, &country),
        ships: tr.tn(
            "delivered-ships",
            &[
                ("country", &tr.country(c.ship_from)),
                ("min", &c.days_min.to_string()),
                ("max", &c.days_max.to_string()),
            ],
        ),
    }
}

fn option_label(tr: &Tr, name: &str) -> String {
    match name {
        "Size" => tr.t("option-size"),
        "Colour" => tr.t("option-colour"),
        other => other.to_string(),
    }
}

async fn product(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let p = match state.store.product_by_slug(&slug).await.map_err(internal)? {
        Some(p) if !p.variants.is_empty() => p,
        _ => return Err(PageError::not_found(tr)),
    };
    // Fans see only live products the licensor approved; the shop and the licensor may preview.
    let sight = storefront::visible_to(&p, v.orgs());
    if sight == storefront::Sight::Hidden {
        return Err(PageError::not_found(tr));
    }
    let public = sight == storefront::Sight::Public;
    let reference = state.reference.get(state.store.as_ref()).await.map_err(internal)?;
    // A preview (not approved yet) is checked as if approved now, so the shop sees where it will sell.
    let ctx = reference.context(state.clock.now());
    let unavailable = match podium_app::quote::deliverable_if_approved(&p, v.prefs.country, &ctx) {
        Err(podium_app::quote::Undeliverable::Licence(podium_domain::licensing::NotSellable::NotApproved)) => None,
        Err(reason) => Some(crate::kit::listing::undeliverable_text(&tr, &reason)),
        Ok(()) => None,
    };
    let pres = v.shopper().presentment(&reference, state.clock.now().date());
    let preview = (!public).then(|| tr.t("product-preview"));
    let show_pending = storefront::insider(&p, v.orgs());
    let currency = v.prefs.currency;
    let Some(text) = storefront::text(&p, tr.lang) else { return Err(PageError::not_found(tr)) };
    // The chosen variant (by the shop's code or the public SKU), else the first in stock, else the first.
    let chosen = |x: &podium_app::catalogue::VariantRecord, sku: &str| {
        x.sku == sku || sku.strip_prefix(p.shop.slug.as_str()).and_then(|s| s.strip_prefix(':')) == Some(x.sku.as_str())
    };
    let selected = q
        .variant
        .as_deref()
        .and_then(|sku| p.variants.iter().position(|x| chosen(x, sku)))
        .or_else(|| p.variants.iter().position(|x| x.available > 0))
        .unwrap_or(0);
    let price_of = |i: usize| pres.variant_price(&p, &p.variants[i]).unwrap_or(p.variants[i].price);
    let variant = &p.variants[selected];
    let option_name =
        variant.options.first().map(|(n, _)| option_label(&tr, n)).unwrap_or_else(|| tr.t("product-choose"));
    let drop = crate::storefront::drops::product_drop(&state, &tr, &p).await?;
    let gated_variant = |id: &str| drop.as_ref().is_some_and(|d| d.variant_id == id && d.phase != "ended");
    let variants = p
        .variants
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let value = x.options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ");
            let price = tr.money(price_of(i));
            let label = if x.available > 0 {
                format!("{value} — {price}")
            } else {
                format!("{value} — {}", tr.t("product-out-of-stock"))
            };
            crate::storefront::variant_picker::Choice {
                sku: storefront::public_sku(&p.shop.slug, &x.sku),
                code: x.sku.clone(),
                label,
                price,
                stock: crate::storefront::variant_picker::stock_text(&tr, x),
                buyable: unavailable.is_none() && x.available > 0 && !gated_variant(&x.id),
                selected: i == selected,
            }
        })
        .collect();
    let tree = &reference.categories;
    let mut crumbs = vec![home_crumb(&tr)];
    crumbs
        .extend(tree.path(&p.category_slug).iter().map(|s| crumb(category_name(&tr, s), &format!("/categories/{s}"))));
    crumbs.push(crumb(text.translation.title.clone(), ""));
    let price = price_of(selected);
    let delivered = match (&unavailable, public && variant.available > 0) {
        (None, true) => podium_app::quote::delivered(&p, variant, v.prefs.country, currency, &ctx)
            .ok()
            .and_then(|q| q.consignments.into_iter().next())
            .map(|c| delivered_view(&tr, &c, v.prefs.country, pres.includes_tax())),
        _ => None,
    };
    let price_note = if pres.includes_tax() {
        tr.t1("product-price-incl", "country", &tr.country(v.prefs.country))
    } else {
        tr.t("product-price-net")
    };
    let shop_country = country_name(&tr, &p.shop.country);
    let (title, description) = (&text.translation.title, &text.translation.description);
    let (mut layout, json_ld) =
        crate::storefront::catalogue_meta::product(Layout::new(&v), &p, title, description, variant, price, &crumbs);
    layout.keep.push(Opt {
        value: "variant".into(),
        label: variant.sku.clone(),
        selected: false,
        extra: String::new(),
    });
    let gated = gated_variant(&variant.id);
    let page = ProductPage {
        drop,
        gated,
        layout,
        crumbs,
        title: text.translation.title.clone(),
        description: text.translation.description.clone(),
        is_fallback: text.is_fallback,
        content_lang: text.translation.lang.tag(),
        fallback_note: tr.t1("product-fallback", "lang", &tr.t(&format!("lang-{}", text.translation.lang.tag()))),
        property: p.property.name.clone(),
        property_slug: p.property.slug.clone(),
        shop_slug: p.shop.slug.clone(),
        made_by: tr.t1("product-by-shop", "shop", &p.shop.name),
        price: tr.money(price),
        option_name,
        variants,
        available: variant.available,
        stock_text: crate::storefront::variant_picker::stock_text(&tr, variant),
        licence: tr.tn("product-licence", &[("property", &p.property.name), ("licensor", &p.property.licensor_name)]),
        sku: storefront::public_sku(&p.shop.slug, &variant.sku),
        gtin: variant.gtin.clone(),
        origin: country_name(&tr, &p.origin_country),
        weight: format!("{} g", p.weight_grams),
        shop_note: tr.tn("product-shop-based", &[("shop", &p.shop.name), ("country", &shop_country)]),
        image_alt: tr.t1("product-image-alt", "title", &text.translation.title),
        // Images waiting for the licensor show in the shop's and licensor's preview only.
        images: p
            .images
            .iter()
            .filter(|i| !i.pending || show_pending)
            .map(|i| {
                let alt = if i.alt.is_empty() {
                    tr.t1("product-image-alt", "title", &text.translation.title)
                } else {
                    i.alt.clone()
                };
                (i.id.clone(), alt)
            })
            .collect(),
        json_ld,
        slug: p.slug,
        unavailable,
        preview,
        price_note,
        delivered,
    };
    Ok(render(v, StatusCode::OK, page))
}
