//! Foreign exchange: rates quoted per 1 EUR (the ECB convention) and exact conversion.
//!
//! `target_minor = round_half_even(source_minor × 10^(e_t − e_s) × rate_t / rate_s)`, computed as
//! one fraction of integers and rounded once. A rate is a positive decimal with its date and source.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use crate::currency::Currency;
use crate::money::Money;

/// Units of `currency` worth 1 EUR on `date`, from `source` ("ECB", "operator: Central Bank of Kenya").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: Currency,
    pub per_eur: Decimal,
    pub date: Date,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error("no exchange rate for {0}")]
    MissingRate(Currency),
    #[error("exchange rate for {0} must be positive, got {1}")]
    NonPositiveRate(Currency, Decimal),
    #[error("conversion of {0} to {1} is out of range")]
    Overflow(Money, Currency),
}

/// Converts `minor` units of `from` to `to`, given each one's rate per EUR. Half-even, exact.
pub fn convert_minor(
    minor: i64,
    from: Currency,
    from_per_eur: Decimal,
    to: Currency,
    to_per_eur: Decimal,
) -> Result<i64, FxError> {
    Conversion::new(from, from_per_eur, to, to_per_eur)?.apply(minor)
}

/// A conversion from one currency to another as one fraction of integers, worked out once and
/// applied to many amounts (listings convert every matching product's price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    from: Currency,
    to: Currency,
    num: i128,
    den: i128,
}

impl Conversion {
    pub fn new(from: Currency, from_per_eur: Decimal, to: Currency, to_per_eur: Decimal) -> Result<Self, FxError> {
        if from_per_eur <= Decimal::ZERO {
            return Err(FxError::NonPositiveRate(from, from_per_eur));
        }
        if to_per_eur <= Decimal::ZERO {
            return Err(FxError::NonPositiveRate(to, to_per_eur));
        }
        let overflow = || FxError::Overflow(Money::new(1, from), to);
        // rate = mantissa / 10^scale, so  minor × 10^(et−es) × (mt/10^st) / (ms/10^ss)
        //   = minor × mt × 10^ss × 10^max(et−es,0)  /  (ms × 10^st × 10^max(es−et,0))
        let (mt, st) = (to_per_eur.mantissa(), to_per_eur.scale());
        let (ms, ss) = (from_per_eur.mantissa(), from_per_eur.scale());
        let (et, es) = (i32::from(to.exponent()), i32::from(from.exponent()));
        let num = mt.checked_mul(pow10(ss + (et - es).max(0) as u32).ok_or_else(overflow)?).ok_or_else(overflow)?;
        let den = ms.checked_mul(pow10(st + (es - et).max(0) as u32).ok_or_else(overflow)?).ok_or_else(overflow)?;
        Ok(Conversion { from, to, num, den })
    }

    /// `minor` units of the source currency in the target's minor units, rounded half-even once.
    pub fn apply(&self, minor: i64) -> Result<i64, FxError> {
        let overflow = || FxError::Overflow(Money::new(minor, self.from), self.to);
        let num = i128::from(minor).checked_mul(self.num).ok_or_else(overflow)?;
        i64::try_from(div_round_half_even(num, self.den)).map_err(|_| overflow())
    }
}

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// `num / den` rounded half to even. `den` must be positive.
pub fn div_round_half_even(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    // Most amounts fit in 64 bits, where division is several times cheaper (listings divide
    // once per matching product).
    if let (Ok(n), Ok(d)) = (i64::try_from(num), i64::try_from(den)) {
        let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
        return i128::from(round_quotient(q, r, d));
    }
    let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
    round_quotient(q, r, den)
}

/// Rounds the floor quotient `q` of a division with remainder `0 ≤ r < den` half to even.
/// Compares `r` with `den − r` rather than `2r` with `den`, which cannot overflow.
fn round_quotient<T>(q: T, r: T, den: T) -> T
where
    T: Copy + Ord + std::ops::Sub<Output = T> + std::ops::Add<Output = T> + std::ops::Rem<Output = T> + From<u8>,
{
    match r.cmp(&(den - r)) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + T::from(1),
        std::cmp::Ordering::Equal if q % T::from(2) == T::from(0) => q,
        std::cmp::Ordering::Equal => q + T::from(1),
    }
}

/// Rates older than this many days are flagged to the operator as stale.
pub const STALE_AFTER_DAYS: i64 = 3;

/// True when any of the rates is more than [`STALE_AFTER_DAYS`] days older than `today`.
pub fn any_stale(rates: &[Rate], today: Date) -> bool {
    rates.iter().any(|r| (today - r.date).whole_days() > STALE_AFTER_DAYS)
}

/// A set of rates, one per currency, that conversions read. EUR is always 1.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    rates: HashMap<Currency, Rate>,
}

impl RateTable {
    pub fn new(rates: impl IntoIterator<Item = Rate>) -> Self {
        RateTable { rates: rates.into_iter().map(|r| (r.currency, r)).collect() }
    }

    pub fn get(&self, c: Currency) -> Option<&Rate> {
        self.rates.get(&c)
    }

    /// The rates as text to keep with an order (`EUR=1;KRW=1467.3;…`, sorted), so what it is
    /// later converted at is the rate locked at checkout.
    pub fn snapshot(&self) -> String {
        let mut parts: Vec<String> =
            self.rates.values().map(|r| format!("{}={}", r.currency.code(), r.per_eur.normalize())).collect();
        parts.sort();
        parts.join(";")
    }

    /// Reads a [`snapshot`](Self::snapshot) back; parts that do not read are left out.
    pub fn from_snapshot(text: &str, date: Date) -> RateTable {
        RateTable::new(text.split(';').filter_map(|part| {
            let (code, rate) = part.split_once('=')?;
            Some(Rate {
                currency: Currency::parse(code).ok()?,
                per_eur: rate.parse().ok()?,
                date,
                source: "locked at checkout".into(),
            })
        }))
    }

    fn per_eur(&self, c: Currency) -> Result<Decimal, FxError> {
        if c == Currency::EUR {
            return Ok(Decimal::ONE);
        }
        self.rates.get(&c).map(|r| r.per_eur).ok_or(FxError::MissingRate(c))
    }

    /// The conversion from `from` to `to` at these rates.
    pub fn conversion(&self, from: Currency, to: Currency) -> Result<Conversion, FxError> {
        Conversion::new(from, self.per_eur(from)?, to, self.per_eur(to)?)
    }

    pub fn convert(&self, amount: Money, to: Currency) -> Result<Money, FxError> {
        if amount.currency == to {
            return Ok(amount);
        }
        let minor =
            convert_minor(amount.minor, amount.currency, self.per_eur(amount.currency)?, to, self.per_eur(to)?)?;
        Ok(Money::new(minor, to))
    }

    /// Compares `amount`, converted exactly (unrounded) into `other`'s currency, with `other`.
    pub fn cmp_converted(&self, amount: Money, other: Money) -> Result<std::cmp::Ordering, FxError> {
        if amount.currency == other.currency {
            return Ok(amount.minor.cmp(&other.minor));
        }
        let (left, right) = self.cmp_factors(amount.currency, other)?;
        let left = i128::from(amount.minor).checked_mul(left).ok_or(FxError::Overflow(amount, other.currency))?;
        Ok(left.cmp(&right))
    }

    /// `(left, right)` such that an amount of `minor` units of `currency`, converted exactly into
    /// `other`'s currency, compares with `other` as `minor × left` compares with `right`.
    pub fn cmp_factors(&self, currency: Currency, other: Money) -> Result<(i128, i128), FxError> {
        if currency == other.currency {
            return Ok((1, i128::from(other.minor)));
        }
        let (to, from) = (self.per_eur(other.currency)?, self.per_eur(currency)?);
        let overflow = || FxError::Overflow(other, currency);
        // amount × 10^(et−es) × (mt/10^st) / (ms/10^ss)  vs  other, cross-multiplied in integers.
        let (mt, st) = (to.mantissa(), to.scale());
        let (ms, ss) = (from.mantissa(), from.scale());
        let (et, es) = (i32::from(other.currency.exponent()), i32::from(currency.exponent()));
        let left = mt.checked_mul(pow10(ss + (et - es).max(0) as u32).ok_or_else(overflow)?).ok_or_else(overflow)?;
        let right = i128::from(other.minor)
            .checked_mul(ms)
            .and_then(|v| v.checked_mul(pow10(st + (es - et).max(0) as u32)?))
            .ok_or_else(overflow)?;
        Ok((left, right))
    }

    pub fn len(&self) -> usize {
        self.rates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect(s)
    }

    fn table(pairs: &[(&str, &str)]) -> RateTable {
        RateTable::new(pairs.iter().map(|(c, r)| Rate {
            currency: Currency::parse(c).expect(c),
            per_eur: d(r),
            date: time::macros::date!(2026 - 11 - 27),
            source: "ECB".into(),
        }))
    }

    #[test]
    fn half_even_rounds_ties_to_even_both_signs() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(-7, 2), -4);
        assert_eq!(div_round_half_even(26, 10), 3);
        assert_eq!(div_round_half_even(-26, 10), -3);
        assert_eq!(div_round_half_even(24, 10), 2);
        assert_eq!(div_round_half_even(0, 3), 0);
    }

    #[test]
    fn converts_through_eur_with_exponents() {
        let t = table(&[("USD", "1.0800"), ("KRW", "1450.66"), ("JPY", "161.25"), ("BHD", "0.4071")]);
        // 100.00 EUR → USD
        assert_eq!(t.convert(Money::new(10000, Currency::EUR), Currency::USD), Ok(Money::new(10800, Currency::USD)));
        // 1000 KRW → 0.74 USD → 994 KRW: a round trip is exact only to the coarser minor unit.
        let usd = t.convert(Money::new(1000, Currency::KRW), Currency::USD).expect("converts");
        assert_eq!(usd, Money::new(74, Currency::USD));
        assert_eq!(t.convert(usd, Currency::KRW), Ok(Money::new(994, Currency::KRW)));
        // JPY (0 decimals) to BHD (3 decimals): 10000 JPY = 62.0155… EUR = 25.246… BHD
        assert_eq!(t.convert(Money::new(10000, Currency::JPY), Currency::BHD), Ok(Money::new(25247, Currency::BHD)));
    }

    #[test]
    fn rates_older_than_three_days_are_stale() {
        let t = table(&[("USD", "1.08")]);
        let rates: Vec<Rate> = t.get(Currency::USD).into_iter().cloned().collect();
        assert!(!any_stale(&rates, time::macros::date!(2026 - 11 - 30)), "3 days old is fine");
        assert!(any_stale(&rates, time::macros::date!(2026 - 12 - 01)), "4 days old is stale");
        assert!(!any_stale(&[], time::macros::date!(2030 - 01 - 01)));
    }

    #[test]
    fn exact_ties_round_to_even() {
        // 1 EUR = 2 XXX-style: 0.01 EUR → 0.005·… build a tie: rate 0.5 USD per EUR, 1 cent EUR → 0.5 cent USD
        let t = table(&[("USD", "0.5")]);
        assert_eq!(t.convert(Money::new(1, Currency::EUR), Currency::USD), Ok(Money::new(0, Currency::USD)));
        assert_eq!(t.convert(Money::new(3, Currency::EUR), Currency::USD), Ok(Money::new(2, Currency::USD)));
        assert_eq!(t.convert(Money::new(-3, Currency::EUR), Currency::USD), Ok(Money::new(-2, Currency::USD)));
    }

    #[test]
    fn missing_and_bad_rates_are_errors_not_guesses() {
        let t = table(&[("USD", "1.08")]);
        assert_eq!(t.convert(Money::new(1, Currency::EUR), Currency::KES), Err(FxError::MissingRate(Currency::KES)));
        assert!(matches!(
            convert_minor(1, Currency::EUR, d("0"), Currency::USD, d("1")),
            Err(FxError::NonPositiveRate(..))
        ));
        assert!(matches!(
            convert_minor(i64::MAX, Currency::JPY, d("0.0001"), Currency::BHD, d("99999")),
            Err(FxError::Overflow(..))
        ));
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec!["JPY", "KRW", "USD", "EUR", "GBP", "KES", "BHD", "KWD", "CLF"])
            .prop_map(|c| Currency::parse(c).expect("known"))
    }

    /// A rate with up to 6 decimals between 0.0001 and 100000.
    fn rate() -> impl Strategy<Value = Decimal> {
        (0u32..=6).prop_flat_map(|s| {
            let lo = 10i64.pow(s.saturating_sub(4));
            (lo..=100_000 * 10i64.pow(s)).prop_map(move |m| Decimal::new(m, s))
        })
    }

    proptest! {
        #[test]
        fn conversion_never_panics(minor in any::<i64>(), a in currency(), b in currency(), ra in rate(), rb in rate()) {
            let _ = convert_minor(minor, a, ra, b, rb);
        }

        /// A→B→A is off by at most half of B's minor unit (in A's terms) plus A's own rounding:
        /// with k = B-minor per A-minor, 2·|back − x|·k ≤ 1 + k. Where B is at least as fine as
        /// A (k ≥ 1) the trip is exact.
        #[test]
        fn round_trip_is_exact_to_the_coarser_minor_unit(x in -1_000_000_000i64..1_000_000_000, a in currency(), b in currency(), ra in rate(), rb in rate()) {
            let y = convert_minor(x, a, ra, b, rb);
            prop_assume!(y.is_ok());
            let y = y.expect("assumed");
            let back = convert_minor(y, b, rb, a, ra).expect("the way back is smaller");
            // k = rb/ra × 10^(eb−ea) as a fraction p/q.
            let (eb, ea) = (i32::from(b.exponent()), i32::from(a.exponent()));
            let p = rb.mantissa() * 10i128.pow(ra.scale()) * 10i128.pow((eb - ea).max(0) as u32);
            let q = ra.mantissa() * 10i128.pow(rb.scale()) * 10i128.pow((ea - eb).max(0) as u32);
            let diff = i128::from((back - x).abs());
            prop_assert!(2 * diff * p <= q + p, "x={x} {a}->{b} y={y} back={back} rates {ra}/{rb}");
            if p >= q {
                prop_assert_eq!(back, x);
            }
        }

        #[test]
        fn conversion_is_monotonic(x in -1_000_000_000i64..1_000_000_000, a in currency(), b in currency(), ra in rate(), rb in rate()) {
            if let (Ok(y1), Ok(y2)) = (convert_minor(x, a, ra, b, rb), convert_minor(x + 1, a, ra, b, rb)) {
                prop_assert!(y1 <= y2);
            }
        }
    }
}
