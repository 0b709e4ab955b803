//! Card-testing defence: someone with a list of stolen card numbers tries them one after another
//! against a small order to learn which work. Podium counts, in the database (so every node
//! counts the same), payment attempts per client address and per cart, and declines per client
//! address and per card (by its fingerprint); over a limit, the checkout is refused before any
//! stock is reserved or the provider is asked, with how long to wait (`Retry-After`).
//! An attempt counts once its order is placed (a checkout that loses the race for its cart to
//! another does not), a decline once the provider declines.

use time::{Duration, OffsetDateTime};

use crate::ports::StoreResult;
use crate::Store;

/// How many payment attempts and declines are allowed in each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    pub window: Duration,
    /// Checkouts that reach the payment, per client address.
    pub attempts_per_client: i64,
    /// Checkouts that reach the payment, per cart.
    pub attempts_per_cart: i64,
    /// Declined payments per client address.
    pub declines_per_client: i64,
    /// Declined payments per card.
    pub declines_per_card: i64,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        AttemptLimits {
            window: Duration::hours(1),
            attempts_per_client: 300,
            attempts_per_cart: 10,
            declines_per_client: 5,
            declines_per_card: 3,
        }
    }
}

impl AttemptLimits {
    /// No limits (the demo's history and load tests).
    pub fn unlimited() -> Self {
        AttemptLimits {
            attempts_per_client: i64::MAX,
            attempts_per_cart: i64::MAX,
            declines_per_client: i64::MAX,
            declines_per_card: i64::MAX,
            ..AttemptLimits::default()
        }
    }
}

/// Which count is over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptLimit {
    ClientAttempts,
    CartAttempts,
    ClientDeclines,
    CardDeclines,
}

impl AttemptLimit {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptLimit::ClientAttempts => "payment attempts from this address",
            AttemptLimit::CartAttempts => "payment attempts for this cart",
            AttemptLimit::ClientDeclines => "declined payments from this address",
            AttemptLimit::CardDeclines => "declined payments with this card",
        }
    }
}

fn client_key(client_key: &str) -> String {
    format!("pay:client:{client_key}")
}

/// Checks the counts before a checkout reserves anything: answers the limit passed and the
/// seconds until its window ends, if any. Nothing is counted here (a checkout that loses the
/// race for its cart never reaches the payment); [`attempt`] names what one that does counts.
pub async fn admit(
    store: &dyn Store,
    limits: &AttemptLimits,
    client: &str,
    cart_id: &str,
    card: Option<&str>,
    now: OffsetDateTime,
) -> StoreResult<Option<(AttemptLimit, i64)>> {
    let card = card.filter(|c| !c.is_empty());
    let counts = [
        (Some(format!("decline:client:{client}")), limits.declines_per_client, AttemptLimit::ClientDeclines),
        (card.map(|c| format!("decline:card:{c}")), limits.declines_per_card, AttemptLimit::CardDeclines),
        (Some(client_key(client)), limits.attempts_per_client, AttemptLimit::ClientAttempts),
        (Some(cart_key(cart_id)), limits.attempts_per_cart, AttemptLimit::CartAttempts),
    ];
    let asked: Vec<(&str, i64, AttemptLimit)> =
        counts.iter().filter_map(|(k, limit, which)| Some((k.as_deref()?, *limit, *which))).collect();
    // One look at the store for every counter, in the order they are checked.
    let keys: Vec<&str> = asked.iter().map(|(k, _, _)| *k).collect();
    let hits = store.rate_limits_hits(&keys, limits.window, now).await?;
    let window_us = (limits.window.whole_microseconds() as i64).max(1);
    let now_us = (now.unix_timestamp_nanos() / 1000) as i64;
    let end_us = now_us.div_euclid(window_us) * window_us + window_us;
    for ((_, limit, which), hits) in asked.iter().zip(hits) {
        if hits >= *limit {
            return Ok(Some((*which, ((end_us - now_us) / 1_000_000).max(1))));
        }
    }
    Ok(None)
}

/// The counters a checkout that reaches the payment hits, against its client and its cart:
/// the store counts them in the transaction that places the order
/// ([`crate::orders::NewOrder::counted`]), so a checkout that loses the race for its cart
/// counts nothing and a placed one is always counted.
pub fn attempt(limits: &AttemptLimits, client: &str, cart_id: &str) -> crate::orders::RateHits {
    crate::orders::RateHits { keys: vec![client_key(client), cart_key(cart_id)], window: limits.window }
}

fn cart_key(cart_id: &str) -> String {
    format!("pay:cart:{cart_id}")
}

/// Counts a declined payment against the client and the card.
pub async fn declined(
    store: &dyn Store,
    limits: &AttemptLimits,
    client: &str,
    card: Option<&str>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let by_client = format!("decline:client:{client}");
    let by_card = card.filter(|c| !c.is_empty()).map(|c| format!("decline:card:{c}"));
    let keys: Vec<&str> = std::iter::once(by_client.as_str()).chain(by_card.as_deref()).collect();
    store.hit_rate_limits(&keys, limits.window, now).await
}
