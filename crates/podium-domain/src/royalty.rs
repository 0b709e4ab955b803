//! Royalty statements (DESIGN §3.9), the pure part: from an agreement's sales and returns (each
//! already in the agreement's currency), one quarter's statement — gross sales, returns, net
//! sales, royalty by territory and by rights set, advance recoupment, and at a contract year's
//! end the minimum-guarantee shortfall. A quarter without sales still has a statement.

use std::collections::BTreeMap;

use time::{Date, Month};

/// A sale or a return under the agreement, in the agreement's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The day it counts on: the day paid (a sale) or refunded (a return).
    pub on: Date,
    /// The destination country (the territory it sold in).
    pub country: String,
    /// The rights set it sold under.
    pub rights: String,
    /// Net goods value (positive; a return takes it off).
    pub net: i64,
    /// The royalty on it (positive; a return takes it off).
    pub royalty: i64,
    pub returned: bool,
}

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    pub fn of(d: Date) -> Quarter {
        Quarter { year: d.year(), q: (u8::from(d.month()) - 1) / 3 + 1 }
    }

    /// `2026-Q4`.
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s.split_once("-Q")?;
        let (year, q) = (y.parse().ok()?, q.parse().ok()?);
        ((1..=4).contains(&q) && (2000..=2200).contains(&year)).then_some(Quarter { year, q })
    }

    pub fn start(self) -> Date {
        let month = Month::try_from(self.q * 3 - 2).unwrap_or(Month::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }

    /// The first day after the quarter.
    pub fn end(self) -> Date {
        self.next().start()
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter { year: self.year + 1, q: 1 }
        } else {
            Quarter { year: self.year, q: self.q + 1 }
        }
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter { year: self.year - 1, q: 4 }
        } else {
            Quarter { year: self.year, q: self.q - 1 }
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// Net sales and royalty of one territory or rights set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    pub gross: i64,
    pub returns: i64,
    pub net: i64,
    pub royalty: i64,
}

impl Part {
    fn add(&mut self, e: &Entry) {
        if e.returned {
            self.returns += e.net;
            self.net -= e.net;
            self.royalty -= e.royalty;
        } else {
            self.gross += e.net;
            self.net += e.net;
            self.royalty += e.royalty;
        }
    }
}

/// The minimum guarantee at a contract year's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub year_start: Date,
    pub year_end: Date,
    pub minimum: i64,
    pub royalties: i64,
    /// minimum − royalties, when positive.
    pub shortfall: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub quarter: Quarter,
    pub total: Part,
    pub by_territory: BTreeMap<String, Part>,
    pub by_rights: BTreeMap<String, Part>,
    pub advance: i64,
    /// Of the advance, recouped before this quarter and in it.
    pub recouped_before: i64,
    pub recouped_now: i64,
    /// Royalty of the quarter after recoupment.
    pub payable: i64,
    pub shortfall: Option<Shortfall>,
}

/// The terms a statement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// The first day of the first contract year.
    pub contract_start: Date,
    pub advance: i64,
    pub minimum_guarantee: i64,
}

fn add_years(d: Date, years: i32) -> Date {
    d.replace_year(d.year() + years).or_else(|_| Date::from_calendar_date(d.year() + years, d.month(), 28)).unwrap_or(d)
}

/// The statement of `quarter`, from every entry of the agreement so far.
pub fn statement(terms: Terms, quarter: Quarter, entries: &[Entry]) -> Statement {
    let (start, end) = (quarter.start(), quarter.end());
    let mut total = Part::default();
    let mut by_territory: BTreeMap<String, Part> = BTreeMap::new();
    let mut by_rights: BTreeMap<String, Part> = BTreeMap::new();
    let mut before = 0i64;
    for e in entries {
        let signed = if e.returned { -e.royalty } else { e.royalty };
        if e.on < start {
            before += signed;
        } else if e.on < end {
            total.add(e);
            by_territory.entry(e.country.clone()).or_default().add(e);
            by_rights.entry(e.rights.clone()).or_default().add(e);
        }
    }
    let advance = terms.advance.max(0);
    let recouped_before = before.clamp(0, advance);
    let recouped_now = total.royalty.clamp(0, advance - recouped_before);
    let payable = total.royalty - recouped_now;
    // A contract year that ends inside the quarter: its minimum guarantee against its royalties.
    let mut shortfall = None;
    if terms.minimum_guarantee > 0 {
        let mut k = 1;
        loop {
            let year_end = add_years(terms.contract_start, k);
            if year_end > end {
                break;
            }
            if year_end > start {
                let year_start = add_years(terms.contract_start, k - 1);
                let royalties: i64 = entries
                    .iter()
                    .filter(|e| e.on >= year_start && e.on < year_end)
                    .map(|e| if e.returned { -e.royalty } else { e.royalty })
                    .sum();
                shortfall = Some(Shortfall {
                    year_start,
                    year_end,
                    minimum: terms.minimum_guarantee,
                    royalties,
                    shortfall: (terms.minimum_guarantee - royalties).max(0),
                });
            }
            k += 1;
        }
    }
    Statement { quarter, total, by_territory, by_rights, advance, recouped_before, recouped_now, payable, shortfall }
}

/// A sale's royalty as the ledger holds it: in the currency it was paid in, and converted to
/// the agreement's currency at the rates locked on its order (both net of what was returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accrued {
    pub currency: crate::Currency,
    pub royalty: i64,
    pub converted: i64,
}

/// How much of each currency's royalties goes back to the licensee to recoup an advance
/// (DESIGN §3.9): the sales in the order they were made, each recouped whole while the advance
/// lasts, the one that reaches it in proportion (half-even), none after it.
pub fn recoupment(advance: i64, sales: &[Accrued]) -> BTreeMap<crate::Currency, i64> {
    let mut left = advance.max(0);
    let mut out: BTreeMap<crate::Currency, i64> = BTreeMap::new();
    for s in sales {
        if left == 0 {
            break;
        }
        if s.royalty <= 0 || s.converted <= 0 {
            continue;
        }
        let part = if s.converted <= left {
            left -= s.converted;
            s.royalty
        } else {
            let n = i128::from(s.royalty) * i128::from(left);
            let d = i128::from(s.converted);
            let (q, r) = (n / d, n % d);
            let rounded = match (r * 2).cmp(&d) {
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Less => q,
                std::cmp::Ordering::Equal => q + (q & 1),
            };
            left = 0;
            i64::try_from(rounded).unwrap_or(s.royalty).min(s.royalty)
        };
        if part > 0 {
            *out.entry(s.currency).or_default() += part;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn sale(on: Date, country: &str, net: i64, royalty: i64) -> Entry {
        Entry { on, country: country.into(), rights: "r1".into(), net, royalty, returned: false }
    }

    #[test]
    fn quarters_read_and_step() {
        let q = Quarter::parse("2026-Q4").expect("quarter");
        assert_eq!((q.start(), q.end()), (date!(2026 - 10 - 01), date!(2027 - 01 - 01)));
        assert_eq!(q.to_string(), "2026-Q4");
        assert_eq!(Quarter::of(date!(2026 - 02 - 28)), Quarter { year: 2026, q: 1 });
        assert_eq!(q.next(), Quarter { year: 2027, q: 1 });
        assert_eq!(Quarter { year: 2027, q: 1 }.previous(), q);
        for bad in ["2026-Q5", "2026", "Q1-2026", "1999-Q1", "2026-Q0"] {
            assert_eq!(Quarter::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_quarter_with_sales_returns_recoupment_and_a_year_end() {
        let terms = Terms { contract_start: date!(2025 - 11 - 15), advance: 500, minimum_guarantee: 2_000 };
        let mut back = sale(date!(2026 - 11 - 20), "KR", 1_000, 100);
        back.returned = true;
        let entries = [
            sale(date!(2026 - 03 - 01), "KR", 3_000, 300), // before the quarter: recoups 300 of 500
            sale(date!(2026 - 10 - 02), "KR", 5_000, 500),
            sale(date!(2026 - 11 - 02), "JP", 2_000, 240),
            back,
        ];
        let s = statement(terms, Quarter { year: 2026, q: 4 }, &entries);
        assert_eq!(s.total, Part { gross: 7_000, returns: 1_000, net: 6_000, royalty: 640 });
        assert_eq!(s.by_territory["KR"], Part { gross: 5_000, returns: 1_000, net: 4_000, royalty: 400 });
        assert_eq!(s.by_territory["JP"].royalty, 240);
        assert_eq!((s.recouped_before, s.recouped_now, s.payable), (300, 200, 440));
        // The first contract year (2025-11-15 to 2026-11-15) ends in the quarter: its royalties
        // are 300 + 500 + 240 (the return came after the year's end).
        let sf = s.shortfall.expect("a year ends in Q4");
        assert_eq!((sf.year_start, sf.year_end), (date!(2025 - 11 - 15), date!(2026 - 11 - 15)));
        assert_eq!((sf.royalties, sf.shortfall), (1_040, 960));
    }

    #[test]
    fn a_quarter_without_sales_still_has_a_statement() {
        let terms = Terms { contract_start: date!(2026 - 01 - 01), advance: 0, minimum_guarantee: 0 };
        let s = statement(terms, Quarter { year: 2026, q: 2 }, &[]);
        assert_eq!(s.total, Part::default());
        assert!(s.by_territory.is_empty() && s.shortfall.is_none());
        assert_eq!(s.payable, 0);
    }

    fn accrued(code: &str, royalty: i64, converted: i64) -> Accrued {
        Accrued { currency: crate::Currency::parse(code).expect("currency"), royalty, converted }
    }

    #[test]
    fn recoupment_takes_sales_in_order_until_the_advance_is_met() {
        let sales = [accrued("KRW", 8_160, 753), accrued("EUR", 1_000, 13_650), accrued("KRW", 4_000, 369)];
        // Everything, when the royalties stay under the advance.
        let all = recoupment(50_000, &sales);
        assert_eq!(all.get(&crate::Currency::parse("KRW").expect("KRW")), Some(&12_160));
        assert_eq!(all.get(&crate::Currency::EUR), Some(&1_000));
        // 753 recouped whole, then 1,000 of the EUR sale's 13,650 (73.26… → 73), nothing after.
        let part = recoupment(1_753, &sales);
        assert_eq!(part.get(&crate::Currency::parse("KRW").expect("KRW")), Some(&8_160));
        assert_eq!(part.get(&crate::Currency::EUR), Some(&73));
        assert!(recoupment(0, &sales).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn recoupment_never_takes_more_than_the_advance_or_the_royalties(
            advance in 0i64..2_000_000,
            sales in proptest::collection::vec((1i64..100_000, 1i64..100_000), 0..20),
        ) {
            let sales: Vec<Accrued> = sales.into_iter().map(|(r, c)| accrued("EUR", r, c)).collect();
            let taken = recoupment(advance, &sales).get(&crate::Currency::EUR).copied().unwrap_or(0);
            let royalties: i64 = sales.iter().map(|s| s.royalty).sum();
            let converted: i64 = sales.iter().map(|s| s.converted).sum();
            proptest::prop_assert!(taken <= royalties);
            if converted <= advance {
                proptest::prop_assert_eq!(taken, royalties);
            }
            // A larger advance never recoups less.
            let more = recoupment(advance + 1_000, &sales).get(&crate::Currency::EUR).copied().unwrap_or(0);
            proptest::prop_assert!(more >= taken);
        }
    }
}
