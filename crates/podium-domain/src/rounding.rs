//! Display rounding ("charm" prices) for converted prices: a shop may ask that a price converted
//! into a currency be rounded to a round number there — won to the hundred, yen to the ten —
//! so a fan in Korea reads ₩46,500 rather than ₩46,417.
//!
//! The rounding goes **up** to the next multiple of the step: the shop never receives less than
//! its price converted at the day's rate, and a price already on a multiple stays as it is. It
//! applies only to converted prices; a price the shop set by hand in that currency is its own
//! choice and is never rounded. The rounded price is the price: it is shown, charged, taxed and
//! paid royalties on, so what the fan reads is exactly what they pay.

use crate::{Currency, Money};

/// The largest step, in units of the currency: rounding to more than a thousand units is no
/// longer rounding.
pub const MAX_STEP_UNITS: i64 = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundingError {
    #[error("a rounding step must be more than one minor unit of {0}")]
    TooSmall(Currency),
    #[error("a rounding step may be at most {MAX_STEP_UNITS} units of {0}")]
    TooLarge(Currency),
}

/// A step of rounding in one currency, in its minor units (100 for KRW "to the hundred").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub currency: Currency,
    pub minor: i64,
}

impl Step {
    /// A step the shop may choose: more than one minor unit, at most [`MAX_STEP_UNITS`] units.
    pub fn new(amount: Money) -> Result<Step, RoundingError> {
        let max = crate::money::Bounds::units_to_minor(MAX_STEP_UNITS, amount.currency);
        if amount.minor <= 1 {
            Err(RoundingError::TooSmall(amount.currency))
        } else if amount.minor > max {
            Err(RoundingError::TooLarge(amount.currency))
        } else {
            Ok(Step { currency: amount.currency, minor: amount.minor })
        }
    }

    /// `price` rounded up to a multiple of the step (unchanged in another currency, or when
    /// rounding would overflow).
    pub fn round_up(&self, price: Money) -> Money {
        if price.currency != self.currency || self.minor <= 1 {
            return price;
        }
        let rest = price.minor.rem_euclid(self.minor);
        if rest == 0 {
            return price;
        }
        match price.minor.checked_add(self.minor - rest) {
            Some(minor) => Money::new(minor, price.currency),
            None => price,
        }
    }

    pub fn amount(&self) -> Money {
        Money::new(self.minor, self.currency)
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
    fn converted_prices_round_up_to_the_step() {
        let won = Step::new(m("100 KRW")).expect("step");
        assert_eq!(won.round_up(m("46417 KRW")), m("46500 KRW"));
        assert_eq!(won.round_up(m("46500 KRW")), m("46500 KRW"), "already round");
        assert_eq!(won.round_up(m("46401 KRW")), m("46500 KRW"), "up, never down");
        assert_eq!(won.round_up(m("12.34 EUR")), m("12.34 EUR"), "another currency is left alone");
        let yen = Step::new(m("10 JPY")).expect("step");
        assert_eq!(yen.round_up(m("4701 JPY")), m("4710 JPY"));
        let euro = Step::new(m("0.50 EUR")).expect("step");
        assert_eq!(euro.round_up(m("12.34 EUR")), m("12.50 EUR"));
        assert_eq!(
            Step::new(m("100 KRW")).expect("step").round_up(Money::new(i64::MAX, Currency::KRW)).minor,
            i64::MAX
        );
    }

    #[test]
    fn steps_are_bounded() {
        assert_eq!(Step::new(m("1 KRW")), Err(RoundingError::TooSmall(Currency::KRW)));
        assert_eq!(Step::new(m("0.01 EUR")), Err(RoundingError::TooSmall(Currency::EUR)));
        assert_eq!(Step::new(m("-100 KRW")), Err(RoundingError::TooSmall(Currency::KRW)));
        assert_eq!(Step::new(m("1001 JPY")), Err(RoundingError::TooLarge(Currency::JPY)));
        assert!(Step::new(m("1000 JPY")).is_ok());
        assert!(Step::new(m("0.02 EUR")).is_ok());
    }

    proptest! {
        #[test]
        fn rounding_is_the_least_multiple_not_below(minor in 0i64..1_000_000_000, step in 2i64..100_000) {
            let s = Step { currency: Currency::KRW, minor: step };
            let r = s.round_up(Money::new(minor, Currency::KRW)).minor;
            prop_assert!(r >= minor && r - minor < step && r % step == 0);
        }
    }
}
