//! After payment (DESIGN §3.7): the shop accepts its consignment, ships it with a carrier, a
//! tracking number and an authenticity code on every unit, and marks it delivered; the fan asks
//! for a return within the shop's window; the shop accepts (the refund goes back through the
//! provider, line by line, stock restored if the shop says so) or refuses.

use podium_domain::authenticity::Code;
use podium_domain::order::{unit_share, ConsignmentStatus};
use time::OffsetDateTime;

use crate::orders::{ConsignmentRecord, Fulfil, FulfilRefused, MailKind, NewMail, OrderRecord, RefundPlan};
use crate::payments::{PaymentError, PaymentProvider};
use crate::ports::StoreError;
use crate::Store;

pub const MAX_CARRIER: usize = 60;
pub const MAX_TRACKING: usize = 60;
pub const MAX_REASON: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum FulfilError {
    /// No such consignment, or not this shop's (the same answer, so nothing leaks).
    #[error("no such consignment")]
    NotFound,
    #[error("the consignment is {}, so this step is not possible", .0.as_str())]
    State(ConsignmentStatus),
    /// A field is missing or wrong: (field, why).
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    #[error("the code {0} is not one issued to this shop for that item, or is already on another unit")]
    Code(String),
    #[error("no such return, or it was already decided")]
    ReturnNotFound,
    /// Another request is deciding this return, or decided it already.
    #[error("this return is being decided or was decided already")]
    ReturnDecided,
    #[error("the return window closed on {0}")]
    WindowClosed(time::Date),
    #[error("the refund failed at the payment provider: {0}")]
    Provider(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PaymentError> for FulfilError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Store(s) => FulfilError::Store(s),
            other => FulfilError::Provider(other.to_string()),
        }
    }
}

/// The order and the consignment, when the consignment belongs to `shop_id`.
pub async fn shop_consignment(
    store: &dyn Store,
    shop_id: &str,
    consignment_id: &str,
) -> Result<(OrderRecord, ConsignmentRecord), FulfilError> {
    let order = store.order_of_consignment(consignment_id).await?.ok_or(FulfilError::NotFound)?;
    let c = order
        .consignments
        .iter()
        .find(|c| c.id == consignment_id && c.shop_id == shop_id)
        .cloned()
        .ok_or(FulfilError::NotFound)?;
    Ok((order, c))
}

/// What the merchant typed to ship: carrier, tracking number, and one code per unit
/// (order line id → the codes typed for its units, in order).
#[derive(Debug, Clone, Default)]
pub struct Shipment {
    pub carrier: String,
    pub tracking: String,
    pub codes: Vec<(String, Vec<String>)>,
}

/// Takes one fulfilment step on the shop's consignment.
pub async fn fulfil(
    store: &dyn Store,
    shop_id: &str,
    consignment_id: &str,
    step: FulfilStep,
    now: OffsetDateTime,
) -> Result<(), FulfilError> {
    let (order, c) = shop_consignment(store, shop_id, consignment_id).await?;
    let (to, fulfil, mail) = match step {
        FulfilStep::Accept => (ConsignmentStatus::Accepted, Fulfil::Accept, None),
        FulfilStep::Deliver => (ConsignmentStatus::Delivered, Fulfil::Deliver, None),
        FulfilStep::Ship(s) => {
            let carrier = s.carrier.trim();
            let tracking = s.tracking.trim();
            if carrier.is_empty() || carrier.chars().count() > MAX_CARRIER {
                return Err(FulfilError::Invalid("carrier", format!("is required, up to {MAX_CARRIER} characters")));
            }
            if tracking.is_empty() || tracking.chars().count() > MAX_TRACKING || tracking.chars().any(char::is_control)
            {
                return Err(FulfilError::Invalid("tracking", format!("is required, up to {MAX_TRACKING} characters")));
            }
            let mut codes = Vec::new();
            for line in &c.lines {
                let typed = s.codes.iter().find(|(id, _)| *id == line.id).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
                let units = line.quantity - line.refunded_quantity;
                let typed: Vec<&String> = typed.iter().filter(|t| !t.trim().is_empty()).collect();
                if i64::try_from(typed.len()).unwrap_or(i64::MAX) != units {
                    return Err(FulfilError::Invalid(
                        "codes",
                        format!("{}: {} unit(s) need one code each", line.title, units),
                    ));
                }
                for (unit, t) in typed.into_iter().enumerate() {
                    let code = Code::parse(t).map_err(|_| FulfilError::Code(t.trim().to_string()))?;
                    codes.push((line.id.clone(), i64::try_from(unit).unwrap_or(0), code.as_str().to_string()));
                }
            }
            let mut seen: Vec<&str> = codes.iter().map(|(_, _, c)| c.as_str()).collect();
            seen.sort_unstable();
            if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
                return Err(FulfilError::Code(w[0].to_string()));
            }
            let mail = NewMail {
                kind: MailKind::Shipped,
                recipient: order.email.clone(),
                lang: order.lang.clone(),
                order_id: order.id.clone(),
                consignment_id: Some(c.id.clone()),
            };
            (
                ConsignmentStatus::Shipped,
                Fulfil::Ship { carrier: carrier.to_string(), tracking: tracking.to_string(), codes },
                Some(mail),
            )
        }
    };
    if !c.status.can_become(to) {
        return Err(FulfilError::State(c.status));
    }
    match store.fulfil(consignment_id, &fulfil, mail.as_ref(), now).await? {
        Ok(()) => Ok(()),
        Err(FulfilRefused::State(s)) => Err(FulfilError::State(s)),
        Err(FulfilRefused::Code(code)) => Err(FulfilError::Code(code)),
    }
}

#[derive(Debug, Clone)]
pub enum FulfilStep {
    Accept,
    Ship(Shipment),
    Deliver,
}

/// The day the consignment's return window closes, once it is delivered.
pub fn return_deadline(c: &ConsignmentRecord) -> Option<OffsetDateTime> {
    c.delivered_at.map(|d| d + time::Duration::days(c.return_window_days))
}

/// Units of a line that may still be asked back (not refunded, not in an open return).
pub fn returnable(c: &ConsignmentRecord, line_id: &str) -> i64 {
    let Some(line) = c.lines.iter().find(|l| l.id == line_id) else { return 0 };
    let open: i64 = c
        .returns
        .iter()
        .filter(|r| r.status == "requested")
        .flat_map(|r| r.lines.iter())
        .filter(|(id, _)| id == line_id)
        .map(|(_, q)| *q)
        .sum();
    line.quantity - line.refunded_quantity - open
}

/// The fan asks to return units of a delivered consignment within its window.
pub async fn request_return(
    store: &dyn Store,
    order: &OrderRecord,
    consignment_id: &str,
    lines: &[(String, i64)],
    reason: &str,
    now: OffsetDateTime,
) -> Result<String, FulfilError> {
    let c = order.consignments.iter().find(|c| c.id == consignment_id).ok_or(FulfilError::NotFound)?;
    if c.status != ConsignmentStatus::Delivered {
        return Err(FulfilError::State(c.status));
    }
    if let Some(deadline) = return_deadline(c) {
        if now > deadline {
            return Err(FulfilError::WindowClosed(deadline.date()));
        }
    }
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON {
        return Err(FulfilError::Invalid("reason", format!("is longer than {MAX_REASON} characters")));
    }
    let asked: Vec<(String, i64)> = lines.iter().filter(|(_, q)| *q > 0).cloned().collect();
    if asked.is_empty() {
        return Err(FulfilError::Invalid("lines", "choose at least one item to return".into()));
    }
    for (id, q) in &asked {
        if *q > returnable(c, id) {
            return Err(FulfilError::Invalid("lines", "more units than can be returned".into()));
        }
    }
    Ok(store.request_return(consignment_id, &asked, reason, now).await?)
}

/// Works out the refund of a return: per line the change in its share, plus shipping when the
/// whole consignment has now come back.
pub fn refund_plan(c: &ConsignmentRecord, return_id: &str, restock: bool) -> Option<RefundPlan> {
    let r = c.returns.iter().find(|r| r.id == return_id && r.status == "requested")?;
    let mut amount = 0;
    let mut left = 0;
    for line in &c.lines {
        let q = r.lines.iter().find(|(id, _)| *id == line.id).map_or(0, |(_, q)| *q);
        let total = line.net + line.vat + line.duty;
        let before = unit_share(total, line.quantity, line.refunded_quantity);
        let after = unit_share(total, line.quantity, line.refunded_quantity + q);
        amount += after - before;
        left += line.quantity - line.refunded_quantity - q;
    }
    let whole = left == 0;
    if whole {
        amount += c.shipping;
    }
    Some(RefundPlan {
        return_id: r.id.clone(),
        consignment_id: c.id.clone(),
        amount,
        lines: r.lines.clone(),
        restock,
        whole,
    })
}

/// The shop accepts a return: the refund goes back through the provider, then is recorded.
pub async fn accept_return(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    shop_id: &str,
    consignment_id: &str,
    return_id: &str,
    restock: bool,
    now: OffsetDateTime,
) -> Result<i64, FulfilError> {
    shop_consignment(store, shop_id, consignment_id).await?;
    // One acceptance at a time, whatever the node: the others are told it is being decided.
    // The lease lets a crashed acceptance be retried after a while.
    match store.claim_idempotency("return-accept", return_id, "accept", now, time::Duration::minutes(2)).await? {
        crate::orders::IdempotencyClaim::Claimed => {}
        _ => return Err(FulfilError::ReturnDecided),
    }
    let result = accept_claimed(store, provider, shop_id, consignment_id, return_id, restock, now).await;
    // Done: later attempts hear it was decided; failed: the return may be accepted afresh.
    let answer = result.as_ref().ok().map(|_| (200u16, ""));
    store.finish_idempotency("return-accept", return_id, answer).await?;
    result
}

async fn accept_claimed(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    shop_id: &str,
    consignment_id: &str,
    return_id: &str,
    restock: bool,
    now: OffsetDateTime,
) -> Result<i64, FulfilError> {
    let (order, c) = shop_consignment(store, shop_id, consignment_id).await?;
    match c.returns.iter().find(|r| r.id == return_id) {
        None => return Err(FulfilError::ReturnNotFound),
        Some(r) if r.status != "requested" => return Err(FulfilError::ReturnDecided),
        Some(_) => {}
    }
    let plan = refund_plan(&c, return_id, restock).ok_or(FulfilError::ReturnNotFound)?;
    let payment_id = order.payment_id.clone().ok_or(FulfilError::Provider("the order has no payment".into()))?;
    if plan.amount > 0 {
        let at_provider = provider.retrieve(&payment_id).await?.ok_or(PaymentError::NotFound)?;
        // A refund the provider made but this store never recorded (a crash in between) is
        // not made twice.
        if at_provider.refunded - order.refunded != plan.amount {
            provider.refund(&payment_id, plan.amount).await?;
        }
    }
    let mail = NewMail {
        kind: MailKind::Refunded,
        recipient: order.email.clone(),
        lang: order.lang.clone(),
        order_id: order.id.clone(),
        consignment_id: Some(c.id.clone()),
    };
    let postings = crate::ledger::refund_batch(&order, &c, &plan)?;
    if !store.record_refund(&plan, &mail, &postings, now).await? {
        return Err(FulfilError::ReturnDecided);
    }
    Ok(plan.amount)
}

pub async fn refuse_return(
    store: &dyn Store,
    shop_id: &str,
    consignment_id: &str,
    return_id: &str,
    now: OffsetDateTime,
) -> Result<(), FulfilError> {
    let (_, c) = shop_consignment(store, shop_id, consignment_id).await?;
    if !c.returns.iter().any(|r| r.id == return_id && r.status == "requested") {
        return Err(FulfilError::ReturnNotFound);
    }
    if store.refuse_return(return_id, now).await? {
        Ok(())
    } else {
        Err(FulfilError::ReturnNotFound)
    }
}
