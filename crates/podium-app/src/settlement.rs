//! Settling orders against their payments (DESIGN §3.7): [`settle`] brings an order in line
//! with what the provider says about its payment; checkout, the second step's return, webhooks
//! and the restart sweep all call it, so whichever arrives first does the work and the others
//! find nothing left to do.

use podium_domain::order::OrderStatus;
use time::OffsetDateTime;

use crate::checkout::{CheckoutError, SETTLE_AFTER_SECS};
use crate::orders::{MailKind, MarkPaid, NewMail, OrderRecord, PaymentFacts};
use crate::payments::{PaymentProvider, PaymentState, PaymentStatus};
use crate::ports::StoreError;
use crate::Store;

/// Brings an order in line with its payment at the provider.
pub async fn settle(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    order_id: &str,
    now: OffsetDateTime,
) -> Result<OrderStatus, CheckoutError> {
    settle_with(store, provider, order_id, None, now).await
}

pub(crate) async fn settle_with(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    order_id: &str,
    known: Option<PaymentState>,
    now: OffsetDateTime,
) -> Result<OrderStatus, CheckoutError> {
    settle_recorded(store, provider, order_id, known, now).await.map(|(status, _)| status)
}

/// [`settle_with`], and the order as it now stands when settling it from the payment the
/// caller knew made it paid (the checkout answers with it without reading it back).
pub(crate) async fn settle_recorded(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    order_id: &str,
    known: Option<PaymentState>,
    now: OffsetDateTime,
) -> Result<(OrderStatus, Option<OrderRecord>), CheckoutError> {
    // Most calls (webhooks after the checkout finished) find the order settled: one query. The
    // checkout itself (which knows the payment) settles a pending order: it reads it whole.
    let (status, whole) = if known.is_some() {
        let order = store.order(order_id).await?.ok_or(StoreError::NotFound("order"))?;
        (order.status, Some(order))
    } else {
        (store.order_status(order_id).await?.ok_or(StoreError::NotFound("order"))?, None)
    };
    match status {
        OrderStatus::PendingPayment => {}
        OrderStatus::Cancelled => {
            // No charge without an order: a payment left behind by a cancelled order goes back.
            let payments = match known {
                Some(p) => vec![p],
                None => provider.payments_for(order_id).await?,
            };
            for p in &payments {
                give_back(provider, p).await?;
            }
            return Ok((status, None));
        }
        settled => return Ok((settled, None)),
    }
    let order = match whole {
        Some(order) => order,
        None => store.order(order_id).await?.ok_or(StoreError::NotFound("order"))?,
    };
    let payments = match known {
        Some(p) => vec![p],
        None => provider.payments_for(order_id).await?,
    };
    let expired = now >= order.hold_until;
    let Some(payment) = payments.last().cloned() else {
        // Never reached the provider (or died before it answered): after a grace period the
        // order is cancelled and its stock released.
        if now >= order.created_at + time::Duration::seconds(SETTLE_AFTER_SECS) {
            store.cancel_order(order_id, "payment_not_started", now).await?;
            return Ok((OrderStatus::Cancelled, None));
        }
        return Ok((OrderStatus::PendingPayment, None));
    };
    let facts = PaymentFacts {
        payment_id: payment.id.clone(),
        brand: payment.brand.clone(),
        last4: payment.last4.clone(),
        fingerprint: payment.fingerprint.clone(),
        next_action: payment.next_action.clone(),
        method: payment.method,
        action: payment.action.clone(),
    };
    // The payment's facts go with whatever the order becomes; a paid order records them in
    // the same transaction that marks it paid.
    let known_facts = order.payment_id.as_deref() == Some(payment.id.as_str());
    if !known_facts && !matches!(payment.status, PaymentStatus::Authorized | PaymentStatus::Captured) {
        // A voucher or a debit is paid days later: the fan gets its number and expiry (or the
        // account being debited) by e-mail, once, as the payment starts waiting.
        let due = matches!(
            payment.action,
            Some(
                podium_domain::pay_method::PaymentAction::Voucher { .. }
                    | podium_domain::pay_method::PaymentAction::Debit { .. }
            )
        );
        let mail = due.then(|| NewMail {
            kind: MailKind::PaymentDue,
            recipient: order.email.clone(),
            lang: order.lang.clone(),
            order_id: order.id.clone(),
            consignment_id: None,
        });
        store.record_payment(order_id, &facts, mail.as_ref(), now).await?;
    }
    match payment.status {
        PaymentStatus::Authorized | PaymentStatus::Captured => {
            let captured = if payment.status == PaymentStatus::Authorized {
                provider.capture(&payment.id).await?
            } else {
                payment.clone()
            };
            let mail = NewMail {
                kind: MailKind::OrderConfirmation,
                recipient: order.email.clone(),
                lang: order.lang.clone(),
                order_id: order.id.clone(),
                consignment_id: None,
            };
            let postings = crate::ledger::capture_batch(&order)?;
            let given = (!known_facts).then_some(&facts);
            match store.mark_paid(order_id, given, &mail, &postings, now).await? {
                MarkPaid::Paid => Ok((OrderStatus::Paid, Some(order.paid(given, now)))),
                MarkPaid::NotPending => {
                    let again = store.order(order_id).await?.map_or(OrderStatus::Cancelled, |o| o.status);
                    if again == OrderStatus::Cancelled {
                        give_back(provider, &captured).await?;
                    }
                    Ok((again, None))
                }
                MarkPaid::ReservationLost => {
                    store.cancel_order(order_id, "reservation_expired", now).await?;
                    give_back(provider, &captured).await?;
                    Ok((OrderStatus::Cancelled, None))
                }
            }
        }
        PaymentStatus::RequiresAction | PaymentStatus::Processing => {
            // A voucher not paid by its expiry (or a wallet, phone or bank that never answered
            // within the hold) is cancelled at the provider first, so it can no longer be paid,
            // then the order, and its stock goes back on sale.
            let due = payment.due_at.is_some_and(|d| now >= d);
            if expired || (due && payment.status == PaymentStatus::RequiresAction) {
                if let Err(e) = provider.void(&payment.id).await {
                    // A debit the bank is still deciding cannot be cancelled (Stripe refuses):
                    // the order waits for the answer; its hold has run out, so a late success
                    // finds the stock released and is refunded (`ReservationLost` above).
                    if payment.status == PaymentStatus::Processing {
                        tracing::info!(order = order_id, error = %e, "a debit past its hold is still processing");
                        return Ok((OrderStatus::PendingPayment, None));
                    }
                    return Err(e.into());
                }
                let why = match payment.method.flow() {
                    podium_domain::pay_method::Flow::Voucher => "voucher_expired",
                    podium_domain::pay_method::Flow::Debit => "debit_timed_out",
                    _ => "confirmation_timed_out",
                };
                store.cancel_order(order_id, why, now).await?;
                Ok((OrderStatus::Cancelled, None))
            } else {
                Ok((OrderStatus::PendingPayment, None))
            }
        }
        PaymentStatus::Declined => {
            let code = payment.decline_code.as_deref().unwrap_or("card_declined");
            store.cancel_order(order_id, code, now).await?;
            Ok((OrderStatus::Cancelled, None))
        }
        PaymentStatus::Voided | PaymentStatus::Refunded => {
            store.cancel_order(order_id, "payment_voided", now).await?;
            Ok((OrderStatus::Cancelled, None))
        }
    }
}

/// Voids an authorization or refunds what is left of a capture.
pub(crate) async fn give_back(provider: &dyn PaymentProvider, p: &PaymentState) -> Result<(), CheckoutError> {
    let current = provider.retrieve(&p.id).await?.unwrap_or_else(|| p.clone());
    match current.status {
        PaymentStatus::Authorized | PaymentStatus::RequiresAction | PaymentStatus::Processing => {
            provider.void(&current.id).await?;
        }
        PaymentStatus::Captured | PaymentStatus::Refunded if current.refunded < current.captured => {
            provider.refund(&current.id, current.captured - current.refunded).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The restart and periodic sweep: every order still waiting for payment is settled against
/// its payment. Returns how many orders changed state.
pub async fn reconcile(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    now: OffsetDateTime,
) -> Result<u64, CheckoutError> {
    // Completing an order whose payment went through is safe at any age (every step is
    // conditional); only an order with no payment yet gets a grace period, in `settle`.
    let ids = store.pending_orders(now, 500).await?;
    let mut changed = 0;
    for id in ids {
        if settle(store, provider, &id, now).await? != OrderStatus::PendingPayment {
            changed += 1;
        }
    }
    Ok(changed)
}

/// A verified webhook: applied once (by event id); the order is settled against the payment's
/// state at the provider, not the event's, so late and reordered events do no harm. An event
/// that names only the payment (a refund or a dispute announces the charge) finds its order
/// through the payment.
pub async fn on_webhook(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    event: &crate::payments::WebhookEvent,
    now: OffsetDateTime,
) -> Result<bool, CheckoutError> {
    let reference = if event.reference.is_empty() && !event.payment_id.is_empty() {
        provider.retrieve(&event.payment_id).await?.map(|p| p.reference).unwrap_or_default()
    } else {
        event.reference.clone()
    };
    if !reference.is_empty() {
        match settle(store, provider, &reference, now).await {
            // An event about a payment for no order of ours is recorded and otherwise ignored.
            Ok(_) | Err(CheckoutError::Store(StoreError::NotFound(_))) => {}
            Err(e) => return Err(e),
        }
        // A chargeback holds back the shops' money (once per dispute, however often announced).
        if let Some(d) = event.dispute.as_ref() {
            let done = match event.kind.as_str() {
                "charge.dispute.created" => crate::disputes::open(store, &reference, d, now).await,
                "charge.dispute.closed" => crate::disputes::close(store, d, now).await,
                _ => Ok(false),
            };
            match done {
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(store.first_webhook(&event.id, now).await?)
}
