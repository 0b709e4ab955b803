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
    /// How long a Konbini voucher may be paid (its order holds its stock until then): a number
    /// and a unit, `3d`, `36h`, `90m` or `30s`.
    #[arg(long, env = "PODIUM_VOUCHER_EXPIRY", default_value = "3d", value_parser = parse_duration)]
    pub voucher_expiry: time::Duration,
    /// How long an order paid by direct debit holds its stock while the bank answers.
    #[arg(long, env = "PODIUM_DEBIT_HOLD", default_value = "5d", value_parser = parse_duration)]
    pub debit_hold: time::Duration,
    /// How long the sandbox's bank takes to answer a direct debit (a real one takes days).
    #[arg(long, env = "PODIUM_SANDBOX_DEBIT_DELAY", default_value = "20s", value_parser = parse_duration)]
    pub sandbox_debit_delay: time::Duration,
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
            voucher: self.voucher_expiry,
            debit: self.debit_hold,
        }
    }

    pub fn bounds(&self) -> Bounds {
        Bounds { max_price_units: self.max_price, max_order_units: self.max_order_total, ..Bounds::default() }
    }
}

/// A duration as a number and a unit: `3d`, `36h`, `90m`, `30s` (from one second to 60 days).
pub fn parse_duration(s: &str) -> Result<time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| format!("{s:?} is not a duration such as 3d, 36h, 90m or 30s"))?;
    let d = match unit {
        "d" => time::Duration::days(n),
        "h" => time::Duration::hours(n),
        "m" => time::Duration::minutes(n),
        "s" => time::Duration::seconds(n),
        _ => return Err(format!("{s:?} is not a duration such as 3d, 36h, 90m or 30s")),
    };
    if d < time::Duration::seconds(1) || d > time::Duration::days(60) {
        return Err(format!("{s} is not between one second and 60 days"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("3d"), Ok(time::Duration::days(3)));
        assert_eq!(parse_duration("90m"), Ok(time::Duration::minutes(90)));
        assert_eq!(parse_duration(" 30s "), Ok(time::Duration::seconds(30)));
        for bad in ["", "3", "d", "3w", "0s", "61d", "-1d", "1.5d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
