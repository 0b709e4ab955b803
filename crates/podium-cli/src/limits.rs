//! The money-safety limits of `podium serve` and `podium demo`: how long unpaid orders hold
//! stock, how many one client may keep, how many payment attempts and declines are allowed
//! (card testing), and the largest amounts anyone can enter.

use clap::Args;
use podium_app::checkout::HoldPolicy;
use podium_domain::money::Bounds;

#[derive(Args, Clone)]
pub struct LimitArgs {
    /// Minutes an unpaid order (waiting for the card's second step) holds its stock.
    #[arg(long, env = "PODIUM_HOLD_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=60))]
    pub hold_minutes: u16,
    /// Unpaid orders waiting for a second step one client address may keep at once.
    #[arg(long, env = "PODIUM_UNPAID_PER_CLIENT", default_value_t = 3)]
    pub unpaid_per_client: u16,
    /// Unpaid orders waiting for a second step one account may keep at once.
    #[arg(long, env = "PODIUM_UNPAID_PER_ACCOUNT", default_value_t = 3)]
    pub unpaid_per_account: u16,
    /// Unpaid orders waiting for a second step one card may keep at once.
    #[arg(long, env = "PODIUM_UNPAID_PER_CARD", default_value_t = 2)]
    pub unpaid_per_card: u16,
    /// Checkouts reaching the payment per client address per hour (card-testing defence).
    #[arg(long, env = "PODIUM_PAYMENT_ATTEMPTS_PER_CLIENT", default_value_t = 300)]
    pub payment_attempts_per_client: u32,
    /// Checkouts reaching the payment per cart per hour.
    #[arg(long, env = "PODIUM_PAYMENT_ATTEMPTS_PER_CART", default_value_t = 10)]
    pub payment_attempts_per_cart: u32,
    /// Declined payments per client address per hour before its checkouts are refused.
    #[arg(long, env = "PODIUM_DECLINES_PER_CLIENT", default_value_t = 5)]
    pub declines_per_client: u32,
    /// Declined payments per card per hour before it is refused.
    #[arg(long, env = "PODIUM_DECLINES_PER_CARD", default_value_t = 3)]
    pub declines_per_card: u32,
    /// The largest price of one unit of a product, in units of its currency.
    #[arg(long, env = "PODIUM_MAX_PRICE", default_value_t = 1_000_000, value_parser = clap::value_parser!(i64).range(1..=1_000_000_000))]
    pub max_price: i64,
    /// The largest order total, in units of its currency.
    #[arg(long, env = "PODIUM_MAX_ORDER_TOTAL", default_value_t = 10_000_000, value_parser = clap::value_parser!(i64).range(1..=10_000_000_000))]
    pub max_order_total: i64,
}

impl LimitArgs {
    pub fn holds(&self) -> HoldPolicy {
        HoldPolicy {
            hold: time::Duration::minutes(i64::from(self.hold_minutes)),
            per_client: i64::from(self.unpaid_per_client),
            per_account: i64::from(self.unpaid_per_account),
            per_card: i64::from(self.unpaid_per_card),
            attempts: podium_app::payment_limits::AttemptLimits {
                window: time::Duration::hours(1),
                attempts_per_client: i64::from(self.payment_attempts_per_client),
                attempts_per_cart: i64::from(self.payment_attempts_per_cart),
                declines_per_client: i64::from(self.declines_per_client),
                declines_per_card: i64::from(self.declines_per_card),
            },
        }
    }

    pub fn bounds(&self) -> Bounds {
        Bounds { max_price_units: self.max_price, max_order_units: self.max_order_total, ..Bounds::default() }
    }
}
