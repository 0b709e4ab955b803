//! How a consignment's money reads to a fan, in the price convention of their country.
//!
//! Where the product page shows prices with VAT included (DESIGN §3.1: the destination's
//! `prices_include_tax`), the cart, checkout and order show them the same way: each line and
//! the shipping with its share of the consignment's VAT, and the VAT named as included. Elsewhere
//! lines are net and the VAT, if any, is added. Either way the parts shown add up, to the minor
//! unit, to the total charged: the VAT is split by largest remainder, never rounded twice.
//!
//! A VAT or duty of zero is not shown as an amount; a [`TaxNote`] says instead what is and is
//! not included.

use podium_domain::landed::Regime;
use podium_domain::order::largest_remainder;
use podium_domain::Money;

/// One line as charged: units and their net amounts in the presentment currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargedLine {
    pub quantity: i64,
    pub unit: Money,
    pub net: Money,
}

/// A consignment as charged (the quote's or the order's amounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    pub regime: Regime,
    pub lines: Vec<ChargedLine>,
    pub goods: Money,
    pub shipping: Money,
    pub vat: Money,
    pub duty: Money,
    pub total: Money,
}

/// A line as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownLine {
    pub quantity: i64,
    /// The amount of one unit; `exact` is false when the line's VAT share does not divide
    /// evenly among its units (the unit is then rounded to the nearest minor unit).
    pub unit: Money,
    pub exact: bool,
    pub amount: Money,
}

/// What the fan is told about taxes on a consignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxNote {
    /// Prices include the VAT shown; nothing is due on delivery.
    VatIncluded,
    /// VAT (and any duty) is added to the prices and paid now; nothing is due on delivery.
    VatAdded,
    /// A domestic sale on which no VAT or sales tax is charged.
    NoTax,
    /// Under the destination's duty-free allowance: no import VAT or duty.
    DutyFree,
    /// Paid now, without VAT (only duty, or nothing): nothing is due on delivery.
    PaidNow,
    /// No rules for the destination: duties and taxes may be due on delivery.
    OnDelivery,
}

/// A consignment as shown. `items + shipping + duty (+ vat unless inclusive) == total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub inclusive: bool,
    pub lines: Vec<ShownLine>,
    pub items: Money,
    pub shipping: Money,
    /// Zero means no duty is charged (and none is shown).
    pub duty: Money,
    /// Included in the amounts above when `inclusive`, added to them otherwise; zero means
    /// no VAT is charged (and none is shown).
    pub vat: Money,
    pub total: Money,
    pub note: TaxNote,
}

/// The consignment in the convention of a country that shows prices with tax (`inclusive`)
/// or without.
pub fn show(c: &Charged, inclusive: bool) -> Shown {
    let note = note(c, inclusive);
    let plain = |c: &Charged| Shown {
        inclusive: false,
        lines: c
            .lines
            .iter()
            .map(|l| ShownLine { quantity: l.quantity, unit: l.unit, exact: true, amount: l.net })
            .collect(),
        items: c.goods,
        shipping: c.shipping,
        duty: c.duty,
        vat: c.vat,
        total: c.total,
        note,
    };
    if !inclusive || c.vat.minor == 0 {
        let mut shown = plain(c);
        shown.inclusive = inclusive;
        return shown;
    }
    // The VAT is shared among the lines and the shipping by their net amounts. (Above the
    // low-value limit it is also levied on the duty; that part rides with the prices too, so the
    // duty reads as the customs duty charged, the same figure the order and the API give.)
    let mut weights: Vec<i64> = c.lines.iter().map(|l| l.net.minor).collect();
    weights.push(c.shipping.minor);
    let Some(shares) = largest_remainder(c.vat.minor, &weights) else {
        // Negative amounts or a VAT with nothing to carry it: show it added, as charged.
        return plain(c);
    };
    let cur = c.total.currency;
    let n = c.lines.len();
    let lines: Vec<ShownLine> = c
        .lines
        .iter()
        .zip(&shares)
        .map(|(l, share)| {
            let amount = l.net.minor.saturating_add(*share);
            let q = l.quantity.max(1);
            let unit = (amount + q / 2) / q;
            ShownLine {
                quantity: l.quantity,
                unit: Money::new(unit, cur),
                exact: amount % q == 0,
                amount: Money::new(amount, cur),
            }
        })
        .collect();
    let items = lines.iter().map(|l| l.amount.minor).sum::<i64>();
    Shown {
        inclusive: true,
        lines,
        items: Money::new(items, cur),
        shipping: Money::new(c.shipping.minor.saturating_add(shares[n]), cur),
        duty: c.duty,
        vat: c.vat,
        total: c.total,
        note,
    }
}

impl Charged {
    /// A quoted consignment (cart, checkout, product page).
    pub fn of_quote(c: &crate::quote::QuotedConsignment) -> Charged {
        Charged {
            regime: c.cost.regime,
            lines: c
                .lines
                .iter()
                .map(|l| ChargedLine { quantity: i64::from(l.quantity), unit: l.unit, net: l.net })
                .collect(),
            goods: c.cost.goods,
            shipping: c.cost.shipping,
            vat: c.cost.vat,
            duty: c.cost.duty,
            total: c.cost.total,
        }
    }

    /// A consignment of a placed order, in the order's currency.
    pub fn of_order(c: &crate::orders::ConsignmentRecord, currency: podium_domain::Currency) -> Charged {
        let m = |minor: i64| Money::new(minor, currency);
        Charged {
            regime: regime_of(&c.regime),
            lines: c
                .lines
                .iter()
                .map(|l| ChargedLine { quantity: l.quantity, unit: m(l.unit), net: m(l.net) })
                .collect(),
            goods: m(c.goods),
            shipping: m(c.shipping),
            vat: m(c.vat),
            duty: m(c.duty),
            total: m(c.total),
        }
    }
}

/// The regime an order recorded (`Regime::as_str`); an unknown name reads as unmodelled.
pub fn regime_of(s: &str) -> Regime {
    [Regime::Domestic, Regime::DeMinimis, Regime::LowValue, Regime::Standard]
        .into_iter()
        .find(|r| r.as_str() == s)
        .unwrap_or(Regime::Unmodelled)
}

fn note(c: &Charged, inclusive: bool) -> TaxNote {
    match c.regime {
        Regime::Unmodelled => TaxNote::OnDelivery,
        Regime::DeMinimis => TaxNote::DutyFree,
        _ if c.vat.minor > 0 && inclusive => TaxNote::VatIncluded,
        _ if c.vat.minor > 0 => TaxNote::VatAdded,
        Regime::Domestic => TaxNote::NoTax,
        Regime::LowValue | Regime::Standard => TaxNote::PaidNow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podium_domain::Currency;
    use proptest::prelude::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn charged(regime: Regime, lines: &[(i64, i64)], shipping: i64, vat: i64, duty: i64) -> Charged {
        let lines: Vec<ChargedLine> =
            lines.iter().map(|(q, u)| ChargedLine { quantity: *q, unit: eur(*u), net: eur(q * u) }).collect();
        let goods = lines.iter().map(|l| l.net.minor).sum::<i64>();
        Charged {
            regime,
            lines,
            goods: eur(goods),
            shipping: eur(shipping),
            vat: eur(vat),
            duty: eur(duty),
            total: eur(goods + shipping + vat + duty),
        }
    }

    #[test]
    fn an_inclusive_cart_shows_the_product_page_prices_and_adds_up() {
        // Two tees at 20.00 net and shipping 5.00 into France at 20 %: VAT 9.00.
        let c = charged(Regime::LowValue, &[(2, 2000)], 500, 900, 0);
        let s = show(&c, true);
        assert_eq!(s.lines[0].unit, eur(2400), "the unit reads as on the product page");
        assert!(s.lines[0].exact);
        assert_eq!((s.items, s.shipping, s.duty), (eur(4800), eur(600), eur(0)));
        assert_eq!(s.items.minor + s.shipping.minor + s.duty.minor, s.total.minor);
        assert_eq!(s.note, TaxNote::VatIncluded);
    }

    #[test]
    fn a_share_that_does_not_divide_marks_the_unit_as_rounded() {
        let c = charged(Regime::Domestic, &[(3, 1999)], 0, 1199, 0);
        let s = show(&c, true);
        assert_eq!(s.lines[0].amount, eur(5997 + 1199));
        assert!(!s.lines[0].exact);
        assert_eq!(s.lines[0].unit, eur(2399));
        assert_eq!(s.shipping, eur(0), "free shipping carries no VAT");
    }

    #[test]
    fn above_the_limit_the_duty_reads_as_charged_and_its_vat_rides_with_the_prices() {
        // Standard regime: duty 12.00 on 100.00, VAT 20 % of (100 + 10 + 12) = 24.40.
        let c = charged(Regime::Standard, &[(1, 10000)], 1000, 2440, 1200);
        let s = show(&c, true);
        assert_eq!((s.items, s.shipping, s.duty), (eur(12218), eur(1222), eur(1200)));
        assert_eq!(s.items.minor + s.shipping.minor + s.duty.minor, s.total.minor);
    }

    #[test]
    fn an_exclusive_cart_adds_vat_and_notes_say_what_is_charged() {
        let c = charged(Regime::Standard, &[(1, 10000)], 1000, 0, 500);
        let s = show(&c, false);
        assert_eq!((s.items, s.vat, s.duty), (eur(10000), eur(0), eur(500)));
        assert_eq!(s.note, TaxNote::PaidNow);
        assert_eq!(show(&charged(Regime::Domestic, &[(1, 100)], 0, 0, 0), false).note, TaxNote::NoTax);
        assert_eq!(show(&charged(Regime::DeMinimis, &[(1, 100)], 0, 0, 0), true).note, TaxNote::DutyFree);
        assert_eq!(show(&charged(Regime::Unmodelled, &[(1, 100)], 0, 0, 0), false).note, TaxNote::OnDelivery);
        assert_eq!(show(&charged(Regime::LowValue, &[(1, 100)], 0, 20, 0), false).note, TaxNote::VatAdded);
    }

    proptest! {
        #[test]
        fn shown_parts_always_add_up_to_the_total(
            lines in prop::collection::vec((1i64..20, 0i64..100_000), 1..6),
            shipping in 0i64..5_000,
            vat_bp in 0i64..3_000,
            duty in 0i64..10_000,
            standard in any::<bool>(),
        ) {
            let goods: i64 = lines.iter().map(|(q, u)| q * u).sum();
            let base = goods + shipping + if standard { duty } else { 0 };
            let vat = base * vat_bp / 10_000;
            let regime = if standard { Regime::Standard } else { Regime::LowValue };
            let c = charged(regime, &lines, shipping, vat, duty);
            for inclusive in [true, false] {
                let s = show(&c, inclusive);
                let added = if s.inclusive { 0 } else { s.vat.minor };
                prop_assert_eq!(s.items.minor + s.shipping.minor + s.duty.minor + added, c.total.minor);
                prop_assert_eq!(s.lines.iter().map(|l| l.amount.minor).sum::<i64>(), s.items.minor);
                for (l, cl) in s.lines.iter().zip(&c.lines) {
                    prop_assert!(l.amount.minor >= cl.net.minor);
                    if l.exact { prop_assert_eq!(l.unit.minor * l.quantity, l.amount.minor); }
                }
            }
        }
    }
}
