//! Shops' display rounding rules ("charm" prices, `podium_domain::rounding`): per shop and
//! currency, converted prices rounded up to a round step. Off unless a shop sets a step.
//!
//! The rounding is applied where the presentment price is computed
//! (`storefront::shop_price`), so the product page, the cart, the quote and the order all use
//! the same rounded price: what the fan reads is what they are charged, and VAT, duty,
//! royalties and commission are computed on it.

use async_trait::async_trait;
use podium_domain::rounding::{RoundingError, Step};
use podium_domain::{Currency, Money};
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};

/// Every shop's rounding steps, looked up per product (a handful of rows in all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayRounding {
    rules: Vec<(String, Step)>,
}

static NONE: DisplayRounding = DisplayRounding { rules: Vec::new() };

impl DisplayRounding {
    pub fn new(rules: Vec<(String, Step)>) -> DisplayRounding {
        DisplayRounding { rules }
    }

    /// No shop rounds anything.
    pub fn none() -> &'static DisplayRounding {
        &NONE
    }

    /// The step a shop rounds converted prices in `currency` to, if it set one.
    pub fn step(&self, shop_id: &str, currency: Currency) -> Option<Step> {
        self.rules.iter().find(|(s, step)| s == shop_id && step.currency == currency).map(|(_, step)| *step)
    }

    /// Every shop's step for `currency`, as (shop id, step).
    pub fn in_currency(&self, currency: Currency) -> impl Iterator<Item = (&str, Step)> + '_ {
        self.rules.iter().filter(move |(_, step)| step.currency == currency).map(|(s, step)| (s.as_str(), *step))
    }

    /// A shop's steps, by currency code.
    pub fn of_shop(&self, shop_id: &str) -> Vec<Step> {
        let mut steps: Vec<Step> = self.rules.iter().filter(|(s, _)| s == shop_id).map(|(_, step)| *step).collect();
        steps.sort_by_key(|s| s.currency);
        steps
    }
}

/// Where the rules are kept.
#[async_trait]
pub trait RoundingStore: Send + Sync {
    /// Every shop's steps.
    async fn display_roundings(&self) -> StoreResult<Vec<(String, Step)>>;
    /// Sets (or with `None` removes) a shop's step for a currency, telling every node through
    /// the outbox so their cached prices follow.
    async fn set_display_rounding(
        &self,
        shop_id: &str,
        currency: Currency,
        step: Option<Step>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum SetRoundingError {
    #[error("{0:?} is not a currency Podium knows")]
    Currency(String),
    #[error("{0:?} is not an amount in {1}")]
    Amount(String, Currency),
    #[error(transparent)]
    Step(#[from] RoundingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A shop sets the step for a currency from what it typed ("100", "0.50"); an empty step turns
/// rounding off for that currency.
pub async fn set_rounding(
    store: &dyn RoundingStore,
    shop_id: &str,
    currency: &str,
    step: &str,
    now: OffsetDateTime,
) -> Result<Option<Step>, SetRoundingError> {
    let currency = Currency::parse(currency).map_err(|_| SetRoundingError::Currency(currency.to_string()))?;
    let step = step.trim();
    let step = if step.is_empty() {
        None
    } else {
        let minor = podium_domain::money::parse_minor(step, currency)
            .map_err(|_| SetRoundingError::Amount(step.to_string(), currency))?;
        Some(Step::new(Money::new(minor, currency))?)
    };
    store.set_display_rounding(shop_id, currency, step, now).await?;
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_per_shop_and_currency() {
        let step = |s: &str| Step::new(Money::parse(s).expect(s)).expect("step");
        let r = DisplayRounding::new(vec![("a".into(), step("100 KRW")), ("a".into(), step("10 JPY"))]);
        assert_eq!(r.step("a", Currency::KRW), Some(step("100 KRW")));
        assert_eq!(r.step("b", Currency::KRW), None);
        assert_eq!(r.step("a", Currency::EUR), None);
        assert_eq!(r.of_shop("a").iter().map(|s| s.currency.code().to_string()).collect::<Vec<_>>(), ["JPY", "KRW"]);
        assert_eq!(DisplayRounding::none().step("a", Currency::KRW), None);
    }
}
