//! JSON shapes the API and pages share.

use podium_domain::Money;
use serde::Serialize;
use utoipa::ToSchema;

/// Money as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MoneyJson {
    /// Major units as a decimal string, e.g. "12.50" or "35000".
    #[schema(example = "35000")]
    pub amount: String,
    #[schema(example = "KRW")]
    pub currency: String,
    /// Integer minor units.
    #[schema(example = 35000)]
    pub minor: i64,
    /// A display form with English conventions (symbol first, comma groups), the same whatever
    /// language was asked for. To show an amount in a fan's language and locale, format
    /// `amount` and `currency` with that locale's rules (CLDR); Podium's pages do.
    #[schema(example = "₩35,000")]
    pub formatted: String,
}

impl From<Money> for MoneyJson {
    fn from(m: Money) -> Self {
        MoneyJson {
            amount: m.amount(),
            currency: m.currency.code().to_string(),
            minor: m.minor,
            formatted: m.formatted(),
        }
    }
}
