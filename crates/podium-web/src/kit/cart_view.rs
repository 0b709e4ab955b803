//! The cart, checkout and order as pages draw them: each consignment's lines and sums in the
//! price convention of the fan's country (VAT included where the product page includes it),
//! money in the reader's format, and a sentence saying what is and is not included. No VAT
//! or duty line reads "0": where none is charged, the sentence says so.
//!
//! The figures come from `podium_app::breakdown`, which guarantees they add up to what is
//! charged; this module only labels and formats them.

use podium_app::breakdown::{self, Charged, Shown, TaxNote};
use podium_app::cart::PricedCart;
use podium_app::orders::ConsignmentRecord;
use podium_app::quote;
use podium_app::storefront;
use podium_domain::{Country, Currency};

use crate::kit::i18n::Tr;

pub(crate) struct LineView {
    pub sku: String,
    pub title: String,
    pub url: String,
    pub quantity: u32,
    /// One unit; "≈ …" when the line's VAT share does not divide evenly among its units.
    pub unit: String,
    /// The line's amount (with its share of VAT where prices include it).
    pub net: String,
}

/// One row of a consignment's sums.
pub(crate) struct SumRow {
    pub label: String,
    pub amount: String,
    /// The row's `data-testid` (`shipping`, `vat`, `duty`, `consignment-total`), or empty.
    pub testid: &'static str,
    pub total: bool,
    /// A row that is part of the amounts above it (the VAT they include), not added to them.
    pub included: bool,
}

pub(crate) struct ConsignmentView {
    pub shop_name: String,
    pub ship_from: String,
    pub days: String,
    pub lines: Vec<LineView>,
    /// Shipping as the sums show it (with its VAT where prices include it).
    pub shipping: String,
    pub total: String,
    pub rows: Vec<SumRow>,
    /// What is and is not included.
    pub note: String,
}

pub(crate) struct SetAsideView {
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub reason: String,
}

/// The cart as pages draw it.
pub(crate) struct CartView {
    pub consignments: Vec<ConsignmentView>,
    pub set_aside: Vec<SetAsideView>,
    pub total: String,
    pub country: String,
    /// "Delivered to …, prices in …".
    pub delivering: String,
    pub empty: bool,
}

impl CartView {
    /// A cart with nothing in it yet.
    pub fn empty(tr: &Tr, country: Country, currency: Currency) -> CartView {
        let name = tr.country(country);
        CartView {
            consignments: Vec::new(),
            set_aside: Vec::new(),
            total: tr.money(podium_domain::Money::zero(currency)),
            delivering: tr.tn("cart-delivering", &[("country", &name), ("currency", currency.code())]),
            country: name,
            empty: true,
        }
    }
}

fn title_of(tr: &Tr, priced: &PricedCart, sku: &str) -> (String, String) {
    let (shop, code) = sku.split_once(':').unwrap_or(("", sku));
    priced
        .products
        .iter()
        .find(|p| p.shop.slug == shop && p.variants.iter().any(|v| v.sku == code))
        .map(|p| {
            let title =
                storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_else(|| p.slug.clone());
            let variant = p
                .variants
                .iter()
                .find(|v| v.sku == code)
                .map(|v| v.options.iter().map(|(_, val)| val.as_str()).collect::<Vec<_>>().join(" · "))
                .unwrap_or_default();
            let title = if variant.is_empty() { title } else { format!("{title} — {variant}") };
            (title, format!("/products/{}?variant={code}", p.slug))
        })
        .unwrap_or_else(|| (sku.to_string(), String::new()))
}

/// The sentence under a consignment's sums.
pub(crate) fn note_text(tr: &Tr, s: &Shown) -> String {
    let duty = s.duty.minor > 0;
    tr.t(match s.note {
        TaxNote::VatIncluded if duty => "tax-note-included-duty",
        TaxNote::VatIncluded => "tax-note-included",
        TaxNote::VatAdded if duty => "tax-note-added-duty",
        TaxNote::VatAdded => "tax-note-added",
        TaxNote::NoTax => "tax-note-none",
        TaxNote::DutyFree => "checkout-note-de-minimis",
        TaxNote::PaidNow if duty => "tax-note-duty-only",
        TaxNote::PaidNow => "tax-note-nothing",
        TaxNote::OnDelivery => "tax-note-on-delivery",
    })
}

/// The sums of a consignment: items, shipping, the VAT and duty actually charged, the total,
/// and in the inclusive convention the VAT the amounts include.
pub(crate) fn sum_rows(tr: &Tr, s: &Shown) -> Vec<SumRow> {
    let row = |key: &str, amount: podium_domain::Money, testid: &'static str| SumRow {
        label: tr.t(key),
        amount: tr.money(amount),
        testid,
        total: false,
        included: false,
    };
    let inclusive = s.inclusive && s.vat.minor > 0;
    let mut rows = vec![
        row(if inclusive { "checkout-goods-incl" } else { "checkout-goods" }, s.items, ""),
        row(if inclusive { "checkout-shipping-incl" } else { "checkout-shipping" }, s.shipping, "shipping"),
    ];
    if s.vat.minor > 0 && !inclusive {
        rows.push(row("checkout-vat", s.vat, "vat"));
    }
    if s.duty.minor > 0 {
        rows.push(row("checkout-duty", s.duty, "duty"));
    }
    rows.push(SumRow { total: true, ..row("checkout-consignment-total", s.total, "consignment-total") });
    if inclusive {
        rows.push(SumRow { included: true, ..row("checkout-vat-included", s.vat, "vat") });
    }
    rows
}

fn unit_text(tr: &Tr, l: &breakdown::ShownLine) -> String {
    if l.exact {
        tr.money(l.unit)
    } else {
        format!("≈ {}", tr.money(l.unit))
    }
}

/// The cart (or the checkout's review of it) in the convention of its country: `inclusive`
/// when that country's prices include VAT.
pub(crate) fn cart_view(tr: &Tr, priced: &PricedCart, inclusive: bool) -> CartView {
    let currency = Currency::parse(&priced.cart.currency).unwrap_or(Currency::EUR);
    let consignments = priced
        .quote
        .iter()
        .flat_map(|q| q.consignments.iter())
        .map(|c| {
            let shown = breakdown::show(&Charged::of_quote(c), inclusive);
            ConsignmentView {
                shop_name: c.shop_name.clone(),
                ship_from: tr.country(c.ship_from),
                days: tr.tn("checkout-days", &[("min", &c.days_min.to_string()), ("max", &c.days_max.to_string())]),
                lines: c
                    .lines
                    .iter()
                    .zip(&shown.lines)
                    .map(|(l, s)| {
                        let (title, url) = title_of(tr, priced, &l.sku);
                        LineView {
                            sku: l.sku.clone(),
                            title,
                            url,
                            quantity: l.quantity,
                            unit: unit_text(tr, s),
                            net: tr.money(s.amount),
                        }
                    })
                    .collect(),
                shipping: tr.money(shown.shipping),
                total: tr.money(shown.total),
                rows: sum_rows(tr, &shown),
                note: note_text(tr, &shown),
            }
        })
        .collect::<Vec<_>>();
    let set_aside = priced
        .set_aside
        .iter()
        .map(|(sku, quantity, reason)| SetAsideView {
            sku: sku.clone(),
            title: title_of(tr, priced, sku).0,
            quantity: *quantity,
            reason: quote::describe(reason),
        })
        .collect::<Vec<_>>();
    let country = Country::parse(&priced.cart.country).map(|c| tr.country(c)).unwrap_or_default();
    CartView {
        delivering: tr.tn("cart-delivering", &[("country", &country), ("currency", currency.code())]),
        empty: consignments.is_empty() && set_aside.is_empty(),
        consignments,
        set_aside,
        total: tr.money(priced.quote.as_ref().map_or(podium_domain::Money::zero(currency), |q| q.total)),
        country,
    }
}

/// A placed order's consignment in the convention of its destination: each line's amount (in
/// line order) and the sums, with the sentence about what is included.
pub(crate) fn order_consignment(
    tr: &Tr,
    c: &ConsignmentRecord,
    currency: Currency,
    inclusive: bool,
) -> (Vec<String>, Vec<SumRow>, String) {
    let shown = breakdown::show(&Charged::of_order(c, currency), inclusive);
    let amounts = shown.lines.iter().map(|l| tr.money(l.amount)).collect();
    (amounts, sum_rows(tr, &shown), note_text(tr, &shown))
}

/// Whether prices for delivery to `country` (ISO code) are shown with VAT included.
pub(crate) fn includes_tax(rules: &podium_domain::landed::TradeRules, country: &str) -> bool {
    Country::parse(country).ok().and_then(|c| rules.country(c)).is_some_and(|r| r.prices_include_tax)
}

/// Whether an order to `country` reads with VAT included, by the trade rules in force.
pub(crate) async fn order_includes_tax(state: &crate::AppState, country: &str) -> podium_app::StoreResult<bool> {
    let reference = state.reference.get(state.store.as_ref()).await?;
    Ok(includes_tax(&reference.rules, country))
}

/// The product page's delivered-price breakdown: item, shipping, and the VAT and duty only
/// where they are charged.
pub(crate) fn delivered_rows(tr: &Tr, c: &podium_domain::landed::LandedCost) -> Vec<(String, String)> {
    let mut rows =
        vec![(tr.t("delivered-goods"), tr.money(c.goods)), (tr.t("delivered-shipping"), tr.money(c.shipping))];
    if c.vat.minor > 0 {
        rows.push((tr.t("delivered-vat"), tr.money(c.vat)));
    }
    if c.duty.minor > 0 {
        rows.push((tr.t("delivered-duty"), tr.money(c.duty)));
    }
    rows
}

/// Which rule applied to a delivered price, in a sentence that says what is charged.
pub(crate) fn regime_text(tr: &Tr, c: &podium_domain::landed::LandedCost, country: &str) -> String {
    use podium_domain::landed::Regime;
    match c.regime {
        // A domestic sale where no VAT applies (the United States: sales tax is not modelled).
        Regime::Domestic if c.vat.minor == 0 => tr.t("tax-note-none"),
        r => tr.t1(&format!("regime-{}", r.as_str().replace('_', "-")), "country", country),
    }
}
