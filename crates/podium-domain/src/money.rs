//! Money: an integer count of minor units in one currency. Never a float.

use std::fmt;

use serde::Serialize;

use crate::currency::{Currency, CurrencyError};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}: convert one of them first")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
    #[error(transparent)]
    Currency(#[from] CurrencyError),
    #[error("{0:?} is not an amount: write it as \"12.50 EUR\"")]
    Malformed(String),
    #[error("{amount} has more decimals than {currency} allows ({exponent})")]
    TooPrecise { amount: String, currency: Currency, exponent: u8 },
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_mul(self, n: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(n).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The amount in major units as a plain decimal string: "35000", "12.50", "-0.05", "1.234".
    pub fn amount(&self) -> String {
        let e = self.currency.exponent() as u32;
        let neg = self.minor < 0;
        let abs = self.minor.unsigned_abs();
        let mut out = String::with_capacity(24);
        if neg {
            out.push('-');
        }
        if e == 0 {
            out.push_str(&abs.to_string());
        } else {
            let div = 10u64.pow(e);
            out.push_str(&(abs / div).to_string());
            out.push('.');
            out.push_str(&format!("{:0width$}", abs % div, width = e as usize));
        }
        out
    }

    /// A human form with the currency's symbol and grouped thousands: "₩35,000", "€12.50",
    /// "CHF 9.90". Locale-specific layouts come from the web layer where needed.
    pub fn formatted(&self) -> String {
        let amount = self.amount();
        let (sign, digits) = match amount.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", amount.as_str()),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let mut grouped = String::with_capacity(int.len() + int.len() / 3);
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if let Some(f) = frac {
            grouped.push('.');
            grouped.push_str(f);
        }
        let symbol = self.currency.symbol();
        if symbol.is_empty() || symbol.len() > 2 && symbol.chars().all(|c| c.is_ascii_uppercase()) {
            format!("{sign}{} {grouped}", self.currency.code())
        } else {
            format!("{sign}{symbol}{grouped}")
        }
    }

    /// Parses "12.50 EUR", "35000 KRW" or "EUR 12.50". More decimals than the currency has are
    /// refused, never silently rounded.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        let mut parts = s.split_whitespace();
        let (a, b) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => (a, b),
            _ => return Err(MoneyError::Malformed(s.to_string())),
        };
        let (amount, code) = if a.chars().any(|c| c.is_ascii_digit()) { (a, b) } else { (b, a) };
        let currency = Currency::parse(code)?;
        let minor = parse_minor(amount, currency)?;
        Ok(Money { minor, currency })
    }
}

/// Parses a decimal string in major units into minor units of `currency`, exactly.
pub fn parse_minor(amount: &str, currency: Currency) -> Result<i64, MoneyError> {
    let malformed = || MoneyError::Malformed(amount.to_string());
    let (neg, digits) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    if digits.contains('.') && frac.is_empty() {
        return Err(malformed());
    }
    let e = currency.exponent() as usize;
    let frac = frac.trim_end_matches('0');
    if frac.len() > e {
        return Err(MoneyError::TooPrecise { amount: amount.to_string(), currency, exponent: e as u8 });
    }
    let mut minor: i64 = 0;
    for b in int.bytes().chain(frac.bytes()).chain(std::iter::repeat_n(b'0', e - frac.len())) {
        minor = minor.checked_mul(10).and_then(|m| m.checked_add(i64::from(b - b'0'))).ok_or(MoneyError::Overflow)?;
    }
    Ok(if neg { -minor } else { minor })
}

/// Upper bounds on the amounts anyone can enter or order, in units of the currency (so one
/// bound reads the same in yen and in dinars). They keep every sum, conversion and ledger
/// balance far inside `i64`: a price of 1,000,000 units of a three-decimal currency is 10^9
/// minor units, and 20 lines of 999 units of it about 2 × 10^13.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The largest price of one unit of a product.
    pub max_price_units: i64,
    /// The largest total of one order.
    pub max_order_units: i64,
    /// The most units of a variant one stock location can hold.
    pub max_stock: i64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_price_units: 1_000_000, max_order_units: 10_000_000, max_stock: 1_000_000 }
    }
}

impl Bounds {
    /// `units` whole units of `currency` in its minor units (saturating).
    pub fn units_to_minor(units: i64, currency: Currency) -> i64 {
        units.saturating_mul(10i64.saturating_pow(u32::from(currency.exponent())))
    }

    /// The largest price of one unit in `currency`, in minor units.
    pub fn max_price(&self, currency: Currency) -> Money {
        Money::new(Self::units_to_minor(self.max_price_units, currency), currency)
    }

    /// Whether a price may be entered: from zero to the largest price.
    pub fn price_ok(&self, price: Money) -> bool {
        (0..=self.max_price(price.currency).minor).contains(&price.minor)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency)
    }
}

/// The API's money object: `{"amount": "35000", "currency": "KRW", "minor": 35000, "formatted": "₩35,000"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoneyView {
    pub amount: String,
    pub currency: Currency,
    pub minor: i64,
    pub formatted: String,
}

impl From<Money> for MoneyView {
    fn from(m: Money) -> Self {
        MoneyView { amount: m.amount(), currency: m.currency, minor: m.minor, formatted: m.formatted() }
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    #[test]
    fn bounds_read_in_units_of_each_currency() {
        let b = Bounds::default();
        let krw = Currency::parse("KRW").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(b.max_price(krw).minor, 1_000_000);
        assert_eq!(b.max_price(eur).minor, 100_000_000);
        assert_eq!(b.max_price(bhd).minor, 1_000_000_000);
        assert!(b.price_ok(Money::new(100_000_000, eur)));
        assert!(!b.price_ok(Money::new(100_000_001, eur)));
        assert!(!b.price_ok(Money::new(-1, eur)));
        assert!(!b.price_ok(Money::new(i64::MAX, krw)));
        assert_eq!(Bounds::units_to_minor(i64::MAX, eur), i64::MAX, "saturates");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::parse(s).expect(s)
    }

    #[test]
    fn amounts_follow_the_currency_exponent() {
        assert_eq!(m("35000 KRW").minor, 35000);
        assert_eq!(m("35000 KRW").amount(), "35000");
        assert_eq!(m("12.5 EUR").minor, 1250);
        assert_eq!(m("12.50 EUR").amount(), "12.50");
        assert_eq!(m("1.234 BHD").minor, 1234);
        assert_eq!(m("-0.05 USD").amount(), "-0.05");
        assert_eq!(m("JPY 3000").minor, 3000);
    }

    #[test]
    fn formatted_uses_symbols_and_groups_thousands() {
        assert_eq!(m("35000 KRW").formatted(), "₩35,000");
        assert_eq!(m("1234567.89 USD").formatted(), "$1,234,567.89");
        assert_eq!(m("12.50 EUR").formatted(), "€12.50");
        assert_eq!(m("9.90 CHF").formatted(), "CHF 9.90");
        assert_eq!(m("1.500 KWD").formatted(), "KWD 1.500");
        assert_eq!(m("-100 JPY").formatted(), "-¥100");
    }

    #[test]
    fn parse_refuses_what_it_cannot_represent_exactly() {
        assert!(matches!(Money::parse("12.345 EUR"), Err(MoneyError::TooPrecise { .. })));
        assert!(matches!(Money::parse("1.5 JPY"), Err(MoneyError::TooPrecise { .. })));
        assert_eq!(m("1.50 JPY".replace(".50", ".0").as_str()).minor, 1);
        for bad in ["", "12", "12 EUR extra", "1,50 EUR", "12. EUR", ".5 EUR", "abc EUR"] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(Money::parse("12 XYZ"), Err(MoneyError::Currency(_))));
        assert_eq!(Money::parse("99999999999999999999 KRW"), Err(MoneyError::Overflow));
    }

    #[test]
    fn arithmetic_never_mixes_currencies() {
        assert_eq!(m("1 EUR").checked_add(m("1 USD")), Err(MoneyError::CurrencyMismatch(Currency::EUR, Currency::USD)));
        assert_eq!(m("1 EUR").checked_add(m("0.50 EUR")), Ok(m("1.50 EUR")));
        assert_eq!(m("1 EUR").checked_sub(m("1.50 EUR")), Ok(m("-0.50 EUR")));
        assert_eq!(Money::new(i64::MAX, Currency::EUR).checked_add(m("0.01 EUR")), Err(MoneyError::Overflow));
        assert_eq!(Money::new(i64::MAX, Currency::EUR).checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn api_view_has_the_contract_fields() {
        let v = MoneyView::from(m("35000 KRW"));
        assert_eq!((v.amount.as_str(), v.minor, v.formatted.as_str()), ("35000", 35000, "₩35,000"));
    }

    proptest! {
        #[test]
        fn amount_parses_back_to_the_same_money(minor in any::<i64>().prop_filter("i64::MIN has no positive twin", |v| *v != i64::MIN), code in prop::sample::select(vec!["KRW", "EUR", "BHD", "CLF"])) {
            let c = Currency::parse(code).expect("known");
            let money = Money::new(minor, c);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }
    }
}
