//! Landed cost, delivered duty paid (DESIGN §3.5): per consignment, the regime (domestic,
//! de minimis, low value, standard, unmodelled), VAT or GST and duty, every amount in the
//! presentment currency, rounded half-even once. Trade rules are data with effective dates.

use time::Date;

use crate::fx::{div_round_half_even, FxError, RateTable};
use crate::{Country, Currency, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    Domestic,
    DeMinimis,
    LowValue,
    Standard,
    Unmodelled,
}

impl Regime {
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Domestic => "domestic",
            Regime::DeMinimis => "de_minimis",
            Regime::LowValue => "low_value",
            Regime::Standard => "standard",
            Regime::Unmodelled => "unmodelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdKind {
    /// Nothing is charged at or under the threshold.
    DeMinimis,
    /// VAT is collected at checkout at or under the threshold (plus any flat duty).
    LowValue,
}

/// One effective-dated version of a country's low-value rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowValueRule {
    /// Applies to orders dated on or after this day (the latest such version wins).
    pub from: Date,
    /// `None`: from this date there is no threshold (everything is `standard`).
    pub threshold: Option<Money>,
    pub kind: ThresholdKind,
    /// Charged once per distinct 6-digit HS subheading under a `low_value` threshold; not part
    /// of the VAT base.
    pub flat_duty_per_hs6: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryRules {
    pub country: Country,
    /// Countries in the same customs union ship to each other as `domestic`.
    pub customs_union: Option<String>,
    /// VAT or GST on imports, in basis points (CN: the cross-border rate).
    pub vat_bp: u32,
    /// VAT on domestic sales, in basis points.
    pub domestic_vat_bp: u32,
    pub prices_include_tax: bool,
    pub duty_default_bp: u32,
    /// Duty by HS-code prefix; the longest matching prefix wins.
    pub duty: Vec<(String, u32)>,
    pub low_value: Vec<LowValueRule>,
    /// Consignments above this value are refused (CN's cross-border limit).
    pub consignment_limit: Option<Money>,
}

impl CountryRules {
    fn low_value_on(&self, date: Date) -> Option<&LowValueRule> {
        self.low_value.iter().filter(|r| r.from <= date).max_by_key(|r| r.from)
    }

    /// The duty rate for an HS code: the longest matching prefix, else the country default.
    pub fn duty_bp(&self, hs: &str) -> u32 {
        self.duty
            .iter()
            .filter(|(prefix, _)| hs.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, bp)| *bp)
            .unwrap_or(self.duty_default_bp)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeRules {
    pub countries: Vec<CountryRules>,
}

impl TradeRules {
    pub fn country(&self, c: Country) -> Option<&CountryRules> {
        self.countries.iter().find(|r| r.country == c)
    }
}

/// One line of a consignment: its net goods value (unit price × quantity) in the presentment
/// currency and its HS code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub hs_code: String,
    pub net: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consignment {
    pub ship_from: Country,
    pub ship_to: Country,
    /// The order's date (which effective-dated rules apply).
    pub date: Date,
    pub lines: Vec<Line>,
    /// Shipping in the presentment currency.
    pub shipping: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandedCost {
    pub regime: Regime,
    pub goods: Money,
    pub shipping: Money,
    pub vat: Money,
    pub duty: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LandedCostError {
    #[error("a consignment needs at least one line")]
    Empty,
    #[error("every amount must be in {0}")]
    MixedCurrency(Currency),
    #[error("amounts cannot be negative")]
    Negative,
    #[error("{country} does not accept a single consignment worth more than {limit}; split the order")]
    OverLimit { country: Country, limit: Money },
    #[error(transparent)]
    Fx(#[from] FxError),
    #[error("the amounts are too large")]
    Overflow,
}

/// `amount × bp / 10000`, rounded half-even to the minor unit.
fn percent(amount: i64, bp: u32) -> i64 {
    div_round_half_even(i128::from(amount) * i128::from(bp), 10_000) as i64
}

/// The landed cost of one consignment under `rules`, in the currency its lines are priced in.
pub fn landed_cost(rules: &TradeRules, c: &Consignment, rates: &RateTable) -> Result<LandedCost, LandedCostError> {
    let currency = c.lines.first().ok_or(LandedCostError::Empty)?.net.currency;
    if c.lines.iter().any(|l| l.net.currency != currency) || c.shipping.currency != currency {
        return Err(LandedCostError::MixedCurrency(currency));
    }
    if c.lines.iter().any(|l| l.net.minor < 0) || c.shipping.minor < 0 {
        return Err(LandedCostError::Negative);
    }
    let goods_minor =
        c.lines.iter().try_fold(0i64, |a, l| a.checked_add(l.net.minor)).ok_or(LandedCostError::Overflow)?;
    let goods = Money::new(goods_minor, currency);
    let shipping = c.shipping;
    let goods_and_shipping = goods_minor.checked_add(shipping.minor).ok_or(LandedCostError::Overflow)?;
    let money = |minor: i64| Money::new(minor, currency);
    let result = |regime, vat: i64, duty: i64| -> Result<LandedCost, LandedCostError> {
        let total = goods_minor
            .checked_add(shipping.minor)
            .and_then(|t| t.checked_add(vat))
            .and_then(|t| t.checked_add(duty))
            .ok_or(LandedCostError::Overflow)?;
        Ok(LandedCost { regime, goods, shipping, vat: money(vat), duty: money(duty), total: money(total) })
    };
    let Some(to) = rules.country(c.ship_to) else { return result(Regime::Unmodelled, 0, 0) };
    let same_union = c.ship_from == c.ship_to
        || (to.customs_union.is_some()
            && rules.country(c.ship_from).and_then(|f| f.customs_union.as_ref()) == to.customs_union.as_ref());
    if same_union {
        return result(Regime::Domestic, percent(goods_and_shipping, to.domestic_vat_bp), 0);
    }
    if let Some(limit) = to.consignment_limit {
        if rates.cmp_converted(goods, limit)? == std::cmp::Ordering::Greater {
            return Err(LandedCostError::OverLimit { country: c.ship_to, limit });
        }
    }
    let rule = to.low_value_on(c.date);
    if let Some((rule, threshold)) = rule.and_then(|r| r.threshold.map(|t| (r, t))) {
        if rates.cmp_converted(goods, threshold)? != std::cmp::Ordering::Greater {
            return match rule.kind {
                ThresholdKind::DeMinimis => result(Regime::DeMinimis, 0, 0),
                ThresholdKind::LowValue => {
                    let vat = percent(goods_and_shipping, to.vat_bp);
                    let duty = match rule.flat_duty_per_hs6 {
                        Some(flat) if flat.minor > 0 => {
                            let mut hs6: Vec<&str> =
                                c.lines.iter().map(|l| l.hs_code.get(..6).unwrap_or(&l.hs_code)).collect();
                            hs6.sort_unstable();
                            hs6.dedup();
                            let each = rates.convert(flat, currency)?;
                            each.minor.checked_mul(hs6.len() as i64).ok_or(LandedCostError::Overflow)?
                        }
                        _ => 0,
                    };
                    result(Regime::LowValue, vat, duty)
                }
            };
        }
    }
    // Standard: duty per line at its rate, summed unrounded and rounded once; VAT on goods,
    // shipping and the rounded duty.
    let duty_num: i128 = c.lines.iter().map(|l| i128::from(l.net.minor) * i128::from(to.duty_bp(&l.hs_code))).sum();
    let duty = i64::try_from(div_round_half_even(duty_num, 10_000)).map_err(|_| LandedCostError::Overflow)?;
    let vat_base = goods_and_shipping.checked_add(duty).ok_or(LandedCostError::Overflow)?;
    result(Regime::Standard, percent(vat_base, to.vat_bp), duty)
}

/// The display price of DESIGN §3.1 for one destination, presentment currency and day: the net
/// price plus, where the destination's prices include tax, the VAT a one-item consignment would
/// be charged there (no shipping, no duty). Built once per query; [`DisplayPricer::price`] is
/// then a few integer operations per product, so listings can sort and band by it.
#[derive(Debug, Clone)]
pub struct DisplayPricer<'a> {
    rules: &'a TradeRules,
    to: Option<&'a CountryRules>,
    /// Under the threshold: `net × left ≤ right` (the threshold converted exactly, unrounded).
    threshold: Option<(ThresholdKind, i128, i128)>,
}

impl<'a> DisplayPricer<'a> {
    pub fn new(
        rules: &'a TradeRules,
        ship_to: Country,
        currency: Currency,
        date: Date,
        rates: &RateTable,
    ) -> Result<Self, FxError> {
        let to = rules.country(ship_to).filter(|r| r.prices_include_tax);
        let mut threshold = None;
        if let Some(rule) = to.and_then(|r| r.low_value_on(date)) {
            if let Some(limit) = rule.threshold {
                let (left, right) = rates.cmp_factors(currency, limit)?;
                threshold = Some((rule.kind, left, right));
            }
        }
        Ok(DisplayPricer { rules, to, threshold })
    }

    /// The display price (minor units of the presentment currency) of `net` shipped from
    /// `ship_from`, with this HS code.
    pub fn price(&self, ship_from: Country, hs_code: &str, net: i64) -> i64 {
        self.price_with(self.domestic(ship_from), self.duty_bp(hs_code), net)
    }

    /// True when goods from `ship_from` travel as a domestic sale (same country or customs union).
    pub fn domestic(&self, ship_from: Country) -> bool {
        self.to.is_some_and(|to| {
            ship_from == to.country
                || (to.customs_union.is_some()
                    && self.rules.country(ship_from).and_then(|f| f.customs_union.as_ref())
                        == to.customs_union.as_ref())
        })
    }

    /// The destination's duty rate for an HS code (0 where prices are shown net).
    pub fn duty_bp(&self, hs_code: &str) -> u32 {
        self.to.map_or(0, |to| to.duty_bp(hs_code))
    }

    /// [`Self::price`] with the origin and duty rate worked out beforehand (once per shop
    /// country and HS code in a listing, rather than once per product).
    pub fn price_with(&self, domestic: bool, duty_bp: u32, net: i64) -> i64 {
        let Some(to) = self.to else { return net };
        if domestic {
            return net.saturating_add(percent(net, to.domestic_vat_bp));
        }
        if let Some((kind, left, right)) = self.threshold {
            if i128::from(net).saturating_mul(left) <= right {
                return match kind {
                    ThresholdKind::DeMinimis => net,
                    ThresholdKind::LowValue => net.saturating_add(percent(net, to.vat_bp)),
                };
            }
        }
        let duty = div_round_half_even(i128::from(net) * i128::from(duty_bp), 10_000) as i64;
        net.saturating_add(percent(net.saturating_add(duty), to.vat_bp))
    }
}

fn day(y: i32, m: u8, d: u8) -> Date {
    time::Month::try_from(m).ok().and_then(|m| Date::from_calendar_date(y, m, d).ok()).unwrap_or(Date::MIN)
}

fn c(code: &str) -> Option<Country> {
    Country::parse(code).ok()
}

/// The default trade rules of DESIGN §3.5 — **illustrative defaults: verify with your customs
/// advisor.** Sources: EU Council 2021 VAT e-commerce package and the 2025/2026 customs reform
/// (3.00 EUR per HS-6 from 2026-07-01), UK VATA 1994 s.5A, ATO GST on low-value imports, US
/// executive order of 30 July 2025 (de minimis suspended from 2025-08-29).
pub fn default_rules() -> TradeRules {
    let eur = |minor| Some(Money::new(minor, Currency::EUR));
    let eu = |code: &str, vat: u32| {
        c(code).map(|country| CountryRules {
            country,
            customs_union: Some("EU".into()),
            vat_bp: vat,
            domestic_vat_bp: vat,
            prices_include_tax: true,
            duty_default_bp: 400,
            duty: vec![("6109".into(), 1200), ("6110".into(), 1200), ("9503".into(), 0)],
            low_value: vec![
                LowValueRule {
                    from: day(2021, 7, 1),
                    threshold: eur(15_000),
                    kind: ThresholdKind::LowValue,
                    flat_duty_per_hs6: None,
                },
                LowValueRule {
                    from: day(2026, 7, 1),
                    threshold: eur(15_000),
                    kind: ThresholdKind::LowValue,
                    flat_duty_per_hs6: eur(300),
                },
            ],
            consignment_limit: None,
        })
    };
    let simple = |code: &str, vat: u32, duty: u32, low: Vec<LowValueRule>, limit: Option<Money>, domestic: u32| {
        c(code).map(|country| CountryRules {
            country,
            customs_union: None,
            vat_bp: vat,
            domestic_vat_bp: domestic,
            prices_include_tax: vat > 0,
            duty_default_bp: duty,
            duty: Vec::new(),
            low_value: low,
            consignment_limit: limit,
        })
    };
    let lv = |from: Date, minor: i64, cur: Currency, kind| LowValueRule {
        from,
        threshold: Some(Money::new(minor, cur)),
        kind,
        flat_duty_per_hs6: None,
    };
    let countries = [
        eu("DE", 1900),
        eu("FR", 2000),
        eu("IT", 2200),
        eu("ES", 2100),
        eu("NL", 2100),
        simple("GB", 2000, 400, vec![lv(day(2021, 1, 1), 13_500, Currency::GBP, ThresholdKind::LowValue)], None, 2000),
        simple("AU", 1000, 500, vec![lv(day(2018, 7, 1), 100_000, Currency::AUD, ThresholdKind::LowValue)], None, 1000),
        simple(
            "US",
            0,
            500,
            vec![
                lv(day(2016, 3, 10), 80_000, Currency::USD, ThresholdKind::DeMinimis),
                LowValueRule {
                    from: day(2025, 8, 29),
                    threshold: None,
                    kind: ThresholdKind::DeMinimis,
                    flat_duty_per_hs6: None,
                },
            ],
            None,
            0,
        ),
        simple("JP", 1000, 500, vec![lv(day(2000, 1, 1), 10_000, Currency::JPY, ThresholdKind::DeMinimis)], None, 1000),
        simple("KR", 1000, 800, vec![lv(day(2000, 1, 1), 15_000, Currency::USD, ThresholdKind::DeMinimis)], None, 1000),
        simple(
            "CN",
            910,
            0,
            vec![lv(day(2019, 1, 1), 500_000, Currency::CNY, ThresholdKind::LowValue)],
            Some(Money::new(500_000, Currency::CNY)),
            1300,
        ),
        simple("KE", 1600, 2500, Vec::new(), None, 1600),
    ];
    TradeRules { countries: countries.into_iter().flatten().collect() }
}

#[cfg(test)]
#[path = "landed_tests.rs"]
mod tests;
