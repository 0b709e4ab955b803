//! Unpaid orders holding stock (issue of stock hoarding): how long an order waiting for the
//! card's second step keeps its units, and how many such orders one client address, one account
//! and one card may keep at once. The checkout counts them (with the new order) in
//! [`crate::checkout::checkout`]; over a limit, that order is cancelled at once.

use podium_domain::order::OrderStatus;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::checkout::{give_back, CheckoutError};
use crate::payments::PaymentProvider;
use crate::Store;

/// How long stock stays reserved for a payment (and the second step's window) by default.
pub const RESERVATION_MINUTES: i64 = 10;

/// How long an unpaid order may hold its stock, and how many such orders (waiting for the
/// card's second step) one client address, one account and one card may keep at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldPolicy {
    pub hold: time::Duration,
    pub per_client: i64,
    pub per_account: i64,
    pub per_card: i64,
    /// Payment attempts and declines allowed per client, cart and card (card testing).
    pub attempts: crate::payment_limits::AttemptLimits,
    /// How long a convenience-store voucher may be paid (and its order holds its stock).
    pub voucher: time::Duration,
    /// How long an order paid by direct debit holds its stock while the bank answers.
    pub debit: time::Duration,
}

/// How long a Konbini voucher stays payable by default (as Stripe's default).
pub const VOUCHER_DAYS: i64 = 3;
/// How long a direct debit may take to be answered (SEPA's usual clearing, with margin).
pub const DEBIT_DAYS: i64 = 5;

impl Default for HoldPolicy {
    fn default() -> Self {
        HoldPolicy {
            hold: time::Duration::minutes(RESERVATION_MINUTES),
            per_client: 3,
            per_account: 3,
            per_card: 2,
            attempts: crate::payment_limits::AttemptLimits::default(),
            voucher: time::Duration::days(VOUCHER_DAYS),
            debit: time::Duration::days(DEBIT_DAYS),
        }
    }
}

impl HoldPolicy {
    /// How long an order paid by `method` holds its stock: a voucher until it expires, a debit
    /// until the bank can have answered, everything else for the second step's window.
    pub fn window(&self, method: podium_domain::pay_method::PayMethod) -> time::Duration {
        use podium_domain::pay_method::Flow;
        match method.flow() {
            Flow::Voucher => self.voucher,
            Flow::Debit => self.debit,
            _ => self.hold,
        }
    }

    /// No limit on unpaid orders (the demo's history), with the default hold.
    pub fn unlimited() -> Self {
        HoldPolicy {
            per_client: i64::MAX,
            per_account: i64::MAX,
            per_card: i64::MAX,
            attempts: crate::payment_limits::AttemptLimits::unlimited(),
            ..HoldPolicy::default()
        }
    }

    /// The first limit these counts of unpaid orders (the new one included) are over, if any.
    pub fn over(&self, by_client: i64, by_account: i64, by_card: i64) -> Option<HoldLimit> {
        if by_client > self.per_client {
            Some(HoldLimit::Client)
        } else if by_account > self.per_account {
            Some(HoldLimit::Account)
        } else if by_card > self.per_card {
            Some(HoldLimit::Card)
        } else {
            None
        }
    }
}

/// Who is over which limit of unpaid orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldLimit {
    Client,
    Account,
    Card,
}

/// A keyed hash of the client's address: enough to count one client's unpaid orders, useless
/// for finding out who the client was.
pub fn client_key(key: &[u8], client: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(b"podium-client:");
    mac.update(client.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// The fan gives up an unpaid order (or a limit cancels it): the payment is voided and the
/// order cancelled at once, its stock back on sale and its cart free to check out again.
/// False when the order was no longer waiting for payment.
pub async fn abandon(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    order_id: &str,
    why: &str,
    now: OffsetDateTime,
) -> Result<bool, CheckoutError> {
    if store.order_status(order_id).await? != Some(OrderStatus::PendingPayment) {
        return Ok(false);
    }
    // Paid meanwhile (the second step went through first): the order stands, nothing goes back.
    if !store.cancel_order(order_id, why, now).await? {
        return Ok(false);
    }
    // Whatever the provider holds for the cancelled order goes back; a capture racing this
    // finds the order cancelled and gives its money back itself (see `settle_with`).
    for p in provider.payments_for(order_id).await? {
        give_back(provider, &p).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_limit_passed_is_named() {
        let p = HoldPolicy::default();
        assert_eq!(p.over(3, 3, 2), None, "at the limits is allowed");
        assert_eq!(p.over(4, 0, 0), Some(HoldLimit::Client));
        assert_eq!(p.over(1, 4, 0), Some(HoldLimit::Account));
        assert_eq!(p.over(1, 1, 3), Some(HoldLimit::Card));
        assert_eq!(HoldPolicy::unlimited().over(1_000, 1_000, 1_000), None);
    }

    #[test]
    fn a_client_is_told_apart_without_its_address() {
        let a = client_key(b"key", "203.0.113.7");
        assert_eq!(a, client_key(b"key", "203.0.113.7"));
        assert_ne!(a, client_key(b"key", "203.0.113.8"));
        assert_ne!(a, client_key(b"other key", "203.0.113.7"));
        assert!(!a.contains("203"));
    }
}
