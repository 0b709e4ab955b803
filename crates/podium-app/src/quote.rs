//! Quotes, delivered duty paid (DESIGN §3.5, §3.6): what a basket costs delivered to a country,
//! in the fan's currency — one consignment per shop and ship-from location, each with goods,
//! shipping, VAT and duty from the landed-cost engine. The cart and checkout build on this; the
//! product page quotes one item of a variant.

use podium_domain::catalogue::CategoryTree;
use podium_domain::fx::FxError;
use podium_domain::landed::{self, Consignment, LandedCost, LandedCostError, Regime, TradeRules};
use podium_domain::licensing::{self, NotSellable};
use podium_domain::shipping::{self, ShippingError};
use podium_domain::{Country, Currency, Money, Rate, RateTable};
use time::OffsetDateTime;

use crate::catalogue::{ProductRecord, VariantRecord};
use crate::licensing::offer_of;
use crate::ports::StoreError;
use crate::storefront::{self, public_sku};
use crate::Store;

/// Lines one quote may hold.
pub const MAX_LINES: usize = 100;
/// Units of one line.
pub const MAX_QUANTITY: u32 = 999;

/// One line as a fan asks for it: the marketplace-wide SKU (`{shop-slug}:{sku}`) and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub sku: String,
    pub quantity: u32,
}

/// What the quote reads besides the database: the rates, the trade rules in force, the category
/// tree (licences cover subtrees) and the moment.
#[derive(Clone, Copy)]
pub struct QuoteContext<'a> {
    pub rates: &'a RateTable,
    pub rules: &'a TradeRules,
    pub tree: &'a CategoryTree,
    pub at: OffsetDateTime,
    /// The shops' display rounding of converted prices (charged as shown).
    pub rounding: &'a crate::display_rounding::DisplayRounding,
}

#[derive(Debug, Clone)]
pub struct QuotedLine {
    pub sku: String,
    pub product_slug: String,
    pub quantity: u32,
    /// Net unit price in the presentment currency (explicit, else converted).
    pub unit: Money,
    pub net: Money,
}

#[derive(Debug, Clone)]
pub struct QuotedConsignment {
    pub shop_slug: String,
    pub shop_name: String,
    pub ship_from: Country,
    pub lines: Vec<QuotedLine>,
    pub cost: LandedCost,
    pub days_min: u16,
    pub days_max: u16,
}

#[derive(Debug, Clone)]
pub struct Quote {
    pub ship_to: Country,
    pub currency: Currency,
    pub consignments: Vec<QuotedConsignment>,
    pub total: Money,
    /// The rates the quote converted with (per EUR, with their dates and sources).
    pub rates: Vec<Rate>,
}

/// Why a line cannot be delivered to the country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undeliverable {
    UnknownSku,
    /// The shop has taken the product off sale (a draft).
    OffSale,
    /// The licence does not allow selling it there now.
    Licence(NotSellable),
    /// No zone of the product's shipping profile covers the country.
    NoShipping(Country),
    OutOfStock {
        available: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error("a quote needs at least one line")]
    Empty,
    #[error("a quote holds at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("line {line}: the quantity must be from 1 to {MAX_QUANTITY}")]
    Quantity { line: usize },
    #[error("line {line} ({sku}): {}", describe(reason))]
    Line { line: usize, sku: String, reason: Undeliverable },
    /// A consignment the destination refuses whole (China's per-consignment limit).
    #[error("the consignment from {shop}: {reason}")]
    Consignment { shop: String, reason: String },
    #[error(transparent)]
    Fx(#[from] FxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a line cannot be delivered, in a sentence (the API's detail).
pub fn describe(reason: &Undeliverable) -> String {
    match reason {
        Undeliverable::UnknownSku => "no product has this SKU".into(),
        Undeliverable::OffSale => "the shop has taken this product off sale".into(),
        Undeliverable::Licence(NotSellable::Territory(c)) => {
            format!("the licence does not cover sales to {}", c.english_name())
        }
        Undeliverable::Licence(NotSellable::Expired(_) | NotSellable::NotYet(_)) => {
            "the licence term does not cover sales now".into()
        }
        Undeliverable::Licence(_) => "not on sale under its licence".into(),
        Undeliverable::NoShipping(c) => format!("the shop does not ship this product to {}", c.english_name()),
        Undeliverable::OutOfStock { available } => format!("only {available} left in stock"),
    }
}

/// Splits a marketplace SKU into the shop's slug and the shop's own code.
fn split_sku(sku: &str) -> Option<(&str, &str)> {
    sku.split_once(':').filter(|(shop, code)| !shop.is_empty() && !code.is_empty())
}

/// Whether a product may be sold and shipped to `ship_to` now, else why not.
pub fn deliverable(p: &ProductRecord, ship_to: Country, ctx: &QuoteContext<'_>) -> Result<(), Undeliverable> {
    if p.status != crate::catalogue::ProductStatus::Live {
        return Err(Undeliverable::OffSale);
    }
    licensed_and_shipped(p, offer_of(p), ship_to, ctx)
}

/// Where a product not yet approved would sell: the licence checked as if the licensor approved
/// it now, and the shipping — what its shop and licensor see when they preview it. A live,
/// approved product gets the same answer as [`deliverable`].
pub fn deliverable_if_approved(
    p: &ProductRecord,
    ship_to: Country,
    ctx: &QuoteContext<'_>,
) -> Result<(), Undeliverable> {
    let mut offer = offer_of(p);
    offer.approved_at = offer.approved_at.or(Some(ctx.at));
    licensed_and_shipped(p, offer, ship_to, ctx)
}

fn licensed_and_shipped(
    p: &ProductRecord,
    offer: licensing::Offer<'_>,
    ship_to: Country,
    ctx: &QuoteContext<'_>,
) -> Result<(), Undeliverable> {
    licensing::sellable(offer, &p.agreements, ctx.tree, ship_to, ctx.at).map_err(Undeliverable::Licence)?;
    if !p.ships_to(ship_to) {
        return Err(Undeliverable::NoShipping(ship_to));
    }
    Ok(())
}

/// One line resolved to its product and variant.
struct Resolved<'p> {
    index: usize,
    sku: String,
    product: &'p ProductRecord,
    variant: &'p VariantRecord,
    quantity: u32,
    ship_from: Country,
}

/// Quotes the lines delivered to `ship_to` in `currency`.
pub async fn quote(
    store: &dyn Store,
    ship_to: Country,
    currency: Currency,
    lines: &[LineRequest],
    ctx: &QuoteContext<'_>,
) -> Result<Quote, QuoteError> {
    if lines.is_empty() {
        return Err(QuoteError::Empty);
    }
    if lines.len() > MAX_LINES {
        return Err(QuoteError::TooManyLines);
    }
    for (i, l) in lines.iter().enumerate() {
        if l.quantity == 0 || l.quantity > MAX_QUANTITY {
            return Err(QuoteError::Quantity { line: i + 1 });
        }
    }
    let products = load_products(store, lines).await?;
    price(ship_to, currency, lines, &products, ctx)
}

/// The products the lines' SKUs belong to (unknown SKUs are simply absent).
pub async fn load_products(store: &dyn Store, lines: &[LineRequest]) -> Result<Vec<ProductRecord>, StoreError> {
    let mut wanted: Vec<(String, String)> =
        lines.iter().filter_map(|l| split_sku(&l.sku)).map(|(s, c)| (s.to_string(), c.to_string())).collect();
    wanted.sort();
    wanted.dedup();
    let found = store.product_ids_by_skus(&wanted).await?;
    let mut ids: Vec<String> = found.iter().map(|(_, _, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    store.products_by_ids(&ids).await
}

/// One item of a variant delivered to `ship_to`: the product page's delivered price.
pub fn delivered(
    p: &ProductRecord,
    v: &VariantRecord,
    ship_to: Country,
    currency: Currency,
    ctx: &QuoteContext<'_>,
) -> Result<Quote, QuoteError> {
    let line = LineRequest { sku: public_sku(&p.shop.slug, &v.sku), quantity: 1 };
    price(ship_to, currency, std::slice::from_ref(&line), std::slice::from_ref(p), ctx)
}

/// The pure half of [`quote`]: prices lines against already loaded products.
pub fn price(
    ship_to: Country,
    currency: Currency,
    lines: &[LineRequest],
    products: &[ProductRecord],
    ctx: &QuoteContext<'_>,
) -> Result<Quote, QuoteError> {
    let mut resolved: Vec<Resolved<'_>> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let bad = |reason| QuoteError::Line { line: i + 1, sku: l.sku.clone(), reason };
        let (shop, code) = split_sku(&l.sku).ok_or_else(|| bad(Undeliverable::UnknownSku))?;
        let (product, variant) = products
            .iter()
            .filter(|p| p.shop.slug == shop && p.approved_at.is_some())
            .find_map(|p| p.variants.iter().find(|v| v.sku == code).map(|v| (p, v)))
            .ok_or_else(|| bad(Undeliverable::UnknownSku))?;
        deliverable(product, ship_to, ctx).map_err(bad)?;
        // Units already in this quote count against the stock too.
        let asked: i64 = resolved.iter().filter(|r| r.variant.id == variant.id).map(|r| i64::from(r.quantity)).sum();
        if asked + i64::from(l.quantity) > variant.available {
            return Err(bad(Undeliverable::OutOfStock { available: (variant.available - asked).max(0) }));
        }
        let ship_from = ship_from(product, variant, l.quantity).ok_or_else(|| QuoteError::Consignment {
            shop: product.shop.name.clone(),
            reason: "the shop has no country to ship from".into(),
        })?;
        resolved.push(Resolved { index: i, sku: l.sku.clone(), product, variant, quantity: l.quantity, ship_from });
    }
    // One consignment per shop and ship-from country, in the order lines first name them.
    let mut groups: Vec<(String, Country, Vec<&Resolved<'_>>)> = Vec::new();
    for r in &resolved {
        match groups.iter_mut().find(|(shop, from, _)| *shop == r.product.shop.id && *from == r.ship_from) {
            Some((_, _, rs)) => rs.push(r),
            None => groups.push((r.product.shop.id.clone(), r.ship_from, vec![r])),
        }
    }
    let date = ctx.at.date();
    let mut consignments = Vec::with_capacity(groups.len());
    let mut total = Money::zero(currency);
    let mut used: Vec<Currency> = vec![currency];
    for (_, ship_from, rs) in groups {
        let shop = &rs[0].product.shop;
        let mut items = Vec::with_capacity(rs.len());
        let mut quoted = Vec::with_capacity(rs.len());
        let mut engine_lines = Vec::with_capacity(rs.len());
        for r in &rs {
            let bad = |reason| QuoteError::Line { line: r.index + 1, sku: r.sku.clone(), reason };
            let zone = r
                .product
                .shipping
                .as_ref()
                .and_then(|p| p.zone_for(ship_to))
                .ok_or_else(|| bad(Undeliverable::NoShipping(ship_to)))?;
            items.push((zone, r.quantity));
            let unit = storefront::shop_price(r.product, r.variant, currency, ctx.rates, ctx.rounding)?;
            used.push(r.variant.price.currency);
            let net = unit
                .checked_mul(i64::from(r.quantity))
                .map_err(|_| QuoteError::Consignment { shop: shop.name.clone(), reason: "amounts too large".into() })?;
            engine_lines.push(landed::Line { hs_code: r.product.hs_code.clone(), net });
            quoted.push(QuotedLine {
                sku: public_sku(&r.product.shop.slug, &r.variant.sku),
                product_slug: r.product.slug.clone(),
                quantity: r.quantity,
                unit,
                net,
            });
        }
        let shipping = shipping::consignment_shipping(&items).map_err(|e| QuoteError::Consignment {
            shop: shop.name.clone(),
            reason: match e {
                ShippingError::MixedCurrency => "its shipping rates are in different currencies".into(),
                other => other.to_string(),
            },
        })?;
        used.push(shipping.amount.currency);
        let consignment = Consignment {
            ship_from,
            ship_to,
            date,
            lines: engine_lines,
            shipping: ctx.rates.convert(shipping.amount, currency)?,
        };
        let cost = landed::landed_cost(ctx.rules, &consignment, ctx.rates).map_err(|e| match e {
            LandedCostError::Fx(fx) => QuoteError::Fx(fx),
            other => QuoteError::Consignment { shop: shop.name.clone(), reason: other.to_string() },
        })?;
        if let Some(limit) = ctx.rules.country(ship_to).and_then(|r| r.consignment_limit) {
            used.push(limit.currency);
        }
        total = total
            .checked_add(cost.total)
            .map_err(|_| QuoteError::Consignment { shop: shop.name.clone(), reason: "amounts too large".into() })?;
        consignments.push(QuotedConsignment {
            shop_slug: shop.slug.clone(),
            shop_name: shop.name.clone(),
            ship_from,
            lines: quoted,
            cost,
            days_min: shipping.days_min,
            days_max: shipping.days_max,
        });
    }
    if let Some(rule) = ctx.rules.country(ship_to) {
        used.extend(rule.low_value.iter().filter_map(|r| r.threshold.map(|t| t.currency)));
    }
    used.sort_unstable();
    used.dedup();
    let rates = used.into_iter().filter_map(|c| ctx.rates.get(c).cloned()).collect();
    Ok(Quote { ship_to, currency, consignments, total, rates })
}

/// The country a line ships from: the first stock location (in the shop's order) that holds
/// enough units, else the one holding the most, else the shop's own country.
fn ship_from(p: &ProductRecord, v: &VariantRecord, quantity: u32) -> Option<Country> {
    let country_of = |id: &str| p.locations.iter().find(|(l, _)| l == id).and_then(|(_, c)| Country::parse(c).ok());
    let enough = p.locations.iter().find_map(|(id, c)| {
        v.stock.iter().find(|(l, n)| l == id && *n >= i64::from(quantity)).and_then(|_| Country::parse(c).ok())
    });
    enough
        .or_else(|| v.stock.iter().max_by_key(|(_, n)| *n).and_then(|(l, _)| country_of(l)))
        .or_else(|| Country::parse(&p.shop.country).ok())
}

/// True when the consignment's regime means the fan may owe duties and taxes on delivery.
pub fn unmodelled(c: &QuotedConsignment) -> bool {
    c.cost.regime == Regime::Unmodelled
}
