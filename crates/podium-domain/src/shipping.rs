//! Shipping profiles (DESIGN §3.6): zones of countries with a flat rate per consignment, a rate
//! per additional item and a delivery estimate, in the shop's currency. A consignment's shipping
//! is the highest flat rate among its lines' zones plus, for every item beyond the first, its
//! zone's per-item rate. A product ships only where a zone of its profile covers the country.

use crate::{Country, Currency, Money};

/// One zone of a profile. A "rest of the world" zone covers every country no other zone of the
/// profile lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub countries: Vec<Country>,
    pub rest_of_world: bool,
    pub flat: Money,
    pub per_item: Money,
    pub days_min: u16,
    pub days_max: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingProfile {
    pub id: String,
    pub name: String,
    /// The shop's default profile: every product without a profile of its own uses it.
    pub is_default: bool,
    pub zones: Vec<Zone>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShippingError {
    #[error("the profile needs a name")]
    NoName,
    #[error("the profile needs at least one zone")]
    NoZones,
    #[error("zone {0} needs a name")]
    ZoneNoName(usize),
    #[error("zone “{0}” lists no countries")]
    ZoneNoCountries(String),
    #[error("{country} is in two zones (“{first}” and “{second}”)")]
    CountryTwice { country: Country, first: String, second: String },
    #[error("only one zone can cover the rest of the world")]
    TwoRestOfWorld,
    #[error("zone “{0}”: rates must be in {1}, the shop’s currency")]
    WrongCurrency(String, Currency),
    #[error("zone “{0}”: rates cannot be negative")]
    Negative(String),
    #[error("zone “{0}”: the delivery estimate must be between 1 and 365 days, the shorter first")]
    Days(String),
    #[error("these items use rates in different currencies")]
    MixedCurrency,
    #[error("a consignment needs at least one item")]
    Empty,
    #[error("the shipping amount is too large")]
    Overflow,
}

impl ShippingProfile {
    /// The zone that covers `country`: a zone listing it, else the rest-of-the-world zone.
    pub fn zone_for(&self, country: Country) -> Option<&Zone> {
        self.zones
            .iter()
            .find(|z| !z.rest_of_world && z.countries.contains(&country))
            .or_else(|| self.zones.iter().find(|z| z.rest_of_world))
    }

    pub fn covers(&self, country: Country) -> bool {
        self.zone_for(country).is_some()
    }

    /// Checks the profile as a merchant saves it, with rates in the shop's `currency`.
    pub fn validate(&self, currency: Currency) -> Result<(), ShippingError> {
        if self.name.trim().is_empty() {
            return Err(ShippingError::NoName);
        }
        if self.zones.is_empty() {
            return Err(ShippingError::NoZones);
        }
        if self.zones.iter().filter(|z| z.rest_of_world).count() > 1 {
            return Err(ShippingError::TwoRestOfWorld);
        }
        let mut seen: Vec<(Country, &str)> = Vec::new();
        for (i, z) in self.zones.iter().enumerate() {
            if z.name.trim().is_empty() {
                return Err(ShippingError::ZoneNoName(i + 1));
            }
            if !z.rest_of_world && z.countries.is_empty() {
                return Err(ShippingError::ZoneNoCountries(z.name.clone()));
            }
            if z.flat.currency != currency || z.per_item.currency != currency {
                return Err(ShippingError::WrongCurrency(z.name.clone(), currency));
            }
            if z.flat.minor < 0 || z.per_item.minor < 0 {
                return Err(ShippingError::Negative(z.name.clone()));
            }
            if z.days_min == 0 || z.days_min > z.days_max || z.days_max > 365 {
                return Err(ShippingError::Days(z.name.clone()));
            }
            for c in &z.countries {
                if let Some((_, first)) = seen.iter().find(|(s, _)| s == c) {
                    return Err(ShippingError::CountryTwice {
                        country: *c,
                        first: (*first).to_string(),
                        second: z.name.clone(),
                    });
                }
                seen.push((*c, &z.name));
            }
        }
        Ok(())
    }
}

/// What a consignment costs to ship and how long it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipping {
    pub amount: Money,
    pub days_min: u16,
    pub days_max: u16,
}

/// The shipping of one consignment whose lines use these zones, with these quantities: the
/// highest flat rate, plus each further item's per-item rate. The first item is one of the line
/// with the highest flat rate (of those, the one with the highest per-item rate, so the fan pays
/// the least). The estimate runs from the latest minimum to the latest maximum.
pub fn consignment_shipping(items: &[(&Zone, u32)]) -> Result<Shipping, ShippingError> {
    let items: Vec<&(&Zone, u32)> = items.iter().filter(|(_, q)| *q > 0).collect();
    let first = items.iter().max_by_key(|(z, _)| (z.flat.minor, z.per_item.minor)).ok_or(ShippingError::Empty)?.0;
    let currency = first.flat.currency;
    if items.iter().any(|(z, _)| z.flat.currency != currency || z.per_item.currency != currency) {
        return Err(ShippingError::MixedCurrency);
    }
    let mut minor = first.flat.minor;
    for (z, q) in &items {
        minor = z
            .per_item
            .minor
            .checked_mul(i64::from(*q))
            .and_then(|extra| minor.checked_add(extra))
            .ok_or(ShippingError::Overflow)?;
    }
    minor -= first.per_item.minor;
    Ok(Shipping {
        amount: Money::new(minor, currency),
        days_min: items.iter().map(|(z, _)| z.days_min).max().unwrap_or(0),
        days_max: items.iter().map(|(z, _)| z.days_max).max().unwrap_or(0),
    })
}

/// Parses a list of countries as a merchant types it: codes separated by commas or spaces
/// ("KR, JP CN"). Returns the sorted, de-duplicated list, or the first unknown code.
pub fn parse_countries(text: &str) -> Result<Vec<Country>, String> {
    let mut out = Vec::new();
    for code in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
        out.push(Country::parse(&code.to_ascii_uppercase()).map_err(|_| code.to_string())?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(code: &str) -> Country {
        Country::parse(code).expect("country")
    }

    fn zone(name: &str, countries: &[&str], flat: i64, per_item: i64, days: (u16, u16)) -> Zone {
        Zone {
            name: name.into(),
            countries: countries.iter().map(|s| c(s)).collect(),
            rest_of_world: countries.is_empty(),
            flat: Money::new(flat, Currency::KRW),
            per_item: Money::new(per_item, Currency::KRW),
            days_min: days.0,
            days_max: days.1,
        }
    }

    fn profile(zones: Vec<Zone>) -> ShippingProfile {
        ShippingProfile { id: "p".into(), name: "Standard".into(), is_default: true, zones }
    }

    #[test]
    fn a_listed_zone_wins_over_the_rest_of_the_world() {
        let p = profile(vec![
            zone("Korea", &["KR"], 3000, 1000, (1, 3)),
            zone("World", &[], 25000, 5000, (7, 14)),
            zone("Asia", &["JP", "CN"], 12000, 3000, (4, 7)),
        ]);
        assert_eq!(p.zone_for(c("KR")).map(|z| z.name.as_str()), Some("Korea"));
        assert_eq!(p.zone_for(c("JP")).map(|z| z.name.as_str()), Some("Asia"));
        assert_eq!(p.zone_for(c("FR")).map(|z| z.name.as_str()), Some("World"));
        let domestic_only = profile(vec![zone("Korea", &["KR"], 3000, 1000, (1, 3))]);
        assert!(domestic_only.covers(c("KR")));
        assert!(!domestic_only.covers(c("JP")), "no zone covers Japan: not offered there");
    }

    #[test]
    fn the_highest_flat_rate_plus_each_further_item() {
        let cheap = zone("Asia", &["JP"], 5000, 1000, (3, 5));
        let dear = zone("Asia", &["JP"], 12000, 3000, (4, 9));
        // One item: the flat rate alone.
        assert_eq!(consignment_shipping(&[(&cheap, 1)]).map(|s| s.amount.minor), Ok(5000));
        // Three of one profile: flat + 2 × per item.
        assert_eq!(consignment_shipping(&[(&cheap, 3)]).map(|s| s.amount.minor), Ok(7000));
        // Mixed: the dear flat rate carries the first item; 2 cheap items and 1 more dear item add theirs.
        let s = consignment_shipping(&[(&cheap, 2), (&dear, 2)]).expect("shipping");
        assert_eq!(s.amount.minor, 12000 + 1000 * 2 + 3000);
        assert_eq!((s.days_min, s.days_max), (4, 9));
        assert_eq!(consignment_shipping(&[]), Err(ShippingError::Empty));
        assert_eq!(consignment_shipping(&[(&cheap, 0)]), Err(ShippingError::Empty));
        let mut usd = cheap.clone();
        usd.flat = Money::new(500, Currency::USD);
        assert_eq!(consignment_shipping(&[(&usd, 1), (&dear, 1)]), Err(ShippingError::MixedCurrency));
    }

    #[test]
    fn profiles_are_checked_before_they_are_saved() {
        let ok = profile(vec![zone("Korea", &["KR"], 3000, 1000, (1, 3)), zone("World", &[], 25000, 5000, (7, 14))]);
        assert_eq!(ok.validate(Currency::KRW), Ok(()));
        assert!(matches!(ok.validate(Currency::EUR), Err(ShippingError::WrongCurrency(..))));
        let twice = profile(vec![zone("A", &["KR"], 1, 1, (1, 2)), zone("B", &["JP", "KR"], 1, 1, (1, 2))]);
        assert_eq!(
            twice.validate(Currency::KRW).map_err(|e| e.to_string()),
            Err("KR is in two zones (“A” and “B”)".to_string())
        );
        let two_rows = profile(vec![zone("A", &[], 1, 1, (1, 2)), zone("B", &[], 1, 1, (1, 2))]);
        assert_eq!(two_rows.validate(Currency::KRW), Err(ShippingError::TwoRestOfWorld));
        assert_eq!(profile(vec![]).validate(Currency::KRW), Err(ShippingError::NoZones));
        assert!(matches!(
            profile(vec![zone("A", &["KR"], -1, 0, (1, 2))]).validate(Currency::KRW),
            Err(ShippingError::Negative(_))
        ));
        assert!(matches!(
            profile(vec![zone("A", &["KR"], 1, 0, (5, 2))]).validate(Currency::KRW),
            Err(ShippingError::Days(_))
        ));
    }

    #[test]
    fn countries_parse_as_merchants_type_them() {
        assert_eq!(parse_countries("kr, JP  cn,KR"), Ok(vec![c("CN"), c("JP"), c("KR")]));
        assert_eq!(parse_countries("KR, XX"), Err("XX".to_string()));
        assert_eq!(parse_countries(" "), Ok(vec![]));
    }

    proptest! {
        #[test]
        fn shipping_ignores_line_order_and_never_undercuts_the_flat_rate(
            lines in proptest::collection::vec((0i64..30_000, 0i64..8_000, 1u32..5), 1..6)
        ) {
            let zones: Vec<Zone> = lines.iter().map(|(f, p, _)| zone("Z", &["JP"], *f, *p, (2, 5))).collect();
            let items: Vec<(&Zone, u32)> = zones.iter().zip(&lines).map(|(z, l)| (z, l.2)).collect();
            let s = consignment_shipping(&items).expect("shipping");
            let mut reversed = items.clone();
            reversed.reverse();
            prop_assert_eq!(consignment_shipping(&reversed).expect("shipping"), s);
            let max_flat = lines.iter().map(|l| l.0).max().unwrap_or(0);
            prop_assert!(s.amount.minor >= max_flat);
            let all_extra: i64 = lines.iter().map(|(_, p, q)| p * i64::from(*q)).sum();
            prop_assert!(s.amount.minor <= max_flat + all_extra);
        }
    }
}
