//! The ledger port and its use cases (DESIGN §3.8): batches of transfers posted all or nothing
//! (a transfer id posted twice is one transfer), the postings of captures and refunds, the
//! release of a shop's money once its parcel is delivered and the return window has passed, and
//! `verify`, which recomputes everything from the transfers.

use async_trait::async_trait;
use podium_domain::ledger::{self, AccountKind, Captured, LedgerError, LineMoney, Refunded, Transfer};
use podium_domain::Currency;
use time::OffsetDateTime;

use crate::orders::{ConsignmentRecord, OrderRecord, RefundPlan};
use crate::ports::{StoreError, StoreResult};
use crate::Store;

/// An account as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub owner: String,
    pub kind: String,
    pub currency: String,
    pub debits: i64,
    pub credits: i64,
}

/// A posted transfer as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    pub id: String,
    pub batch_id: String,
    pub debit_account: String,
    pub credit_account: String,
    pub amount: i64,
    pub currency: String,
    pub code: String,
    pub reference: String,
}

/// The store's id of an account.
pub fn account_id(key: &ledger::AccountKey) -> String {
    format!("{}:{}:{}", key.kind.as_str(), key.owner, key.currency.code())
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Posts a batch in one transaction; transfers whose id is already posted are skipped.
    /// Refused whole (nothing written) when an account that may not go negative would.
    async fn post_batch(&self, batch_id: &str, transfers: &[Transfer], now: OffsetDateTime) -> StoreResult<()>;
    async fn ledger_accounts(&self) -> StoreResult<Vec<AccountRow>>;
    /// Every transfer, oldest first.
    async fn ledger_transfers(&self) -> StoreResult<Vec<TransferRow>>;
    async fn ledger_transfers_for(&self, reference: &str) -> StoreResult<Vec<TransferRow>>;
    /// Every consignment of a paid order (paid, refunded or not), with its total: what the
    /// ledger's capture credits must add up to.
    async fn captured_consignments(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Consignments delivered before `before` and still waiting for their window to close.
    async fn consignments_to_complete(&self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>>;
    /// Delivered → completed, with the release of the shop's money, in one transaction;
    /// false when it was no longer delivered (or has an open return).
    async fn complete_consignment(&self, id: &str, release: &[Transfer], now: OffsetDateTime) -> StoreResult<bool>;
}

/// The platform's commission when nothing else is configured: 10 % of net goods.
pub const DEFAULT_COMMISSION_BP: u32 = 1_000;

fn err(e: LedgerError) -> StoreError {
    StoreError::Backend(format!("ledger: {e}"))
}

/// The lines of a consignment as the ledger reads them.
pub fn lines_of(c: &ConsignmentRecord) -> Vec<LineMoney> {
    c.lines
        .iter()
        .map(|l| LineMoney {
            net: l.net,
            vat: l.vat,
            duty: l.duty,
            quantity: l.quantity,
            licensor: l.licensor_id.clone(),
            royalty_bp: l.royalty_bp,
        })
        .collect()
}

/// A consignment as the ledger's posting rules read it (its lines from `lines_of`).
fn captured<'a>(order: &'a OrderRecord, c: &'a ConsignmentRecord, lines: &'a [LineMoney]) -> StoreResult<Captured<'a>> {
    Ok(Captured {
        consignment: &c.id,
        shop: &c.shop_id,
        country: &order.address.country,
        currency: Currency::parse(&order.currency).map_err(|e| StoreError::Backend(e.to_string()))?,
        shipping: c.shipping,
        lines,
        commission_bp: c.commission_bp,
    })
}

/// The postings of a paid order: each consignment's split of what was captured.
pub fn capture_batch(order: &OrderRecord) -> StoreResult<Vec<Transfer>> {
    let mut out = Vec::new();
    for c in &order.consignments {
        let lines = lines_of(c);
        out.extend(ledger::capture_postings(&captured(order, c, &lines)?).map_err(err)?);
    }
    Ok(out)
}

/// The reverse postings of a refund.
pub fn refund_batch(order: &OrderRecord, c: &ConsignmentRecord, plan: &RefundPlan) -> StoreResult<Vec<Transfer>> {
    let lines = lines_of(c);
    let captured = captured(order, c, &lines)?;
    let units: Vec<(usize, i64, i64)> = plan
        .lines
        .iter()
        .filter_map(|(id, q)| c.lines.iter().position(|l| l.id == *id).map(|i| (i, c.lines[i].refunded_quantity, *q)))
        .collect();
    let released = c.status == podium_domain::order::ConsignmentStatus::Completed;
    let r = Refunded { id: &plan.return_id, captured: &captured, units: &units, whole: plan.whole, released };
    ledger::refund_postings(&r).map_err(err)
}

/// The release of a completed consignment: what its shop still has pending for it moves to
/// its available balance.
pub async fn release_batch(
    store: &dyn Store,
    order: &OrderRecord,
    c: &ConsignmentRecord,
) -> StoreResult<Vec<Transfer>> {
    let currency = Currency::parse(&order.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let pending = ledger::AccountKey::new(c.shop_id.clone(), AccountKind::MerchantPending, currency);
    let pending_id = account_id(&pending);
    // What this consignment put in the shop's pending balance, less what its refunds took out.
    let mut amount = 0;
    for t in store.ledger_transfers_for(&c.id).await? {
        if t.credit_account == pending_id {
            amount += t.amount;
        }
    }
    for r in &c.returns {
        for t in store.ledger_transfers_for(&r.id).await? {
            if t.debit_account == pending_id {
                amount -= t.amount;
            }
        }
    }
    if amount <= 0 {
        return Ok(Vec::new());
    }
    Ok(vec![Transfer {
        id: format!("release:{}", c.id),
        debit: pending,
        credit: ledger::AccountKey::new(c.shop_id.clone(), AccountKind::MerchantAvailable, currency),
        amount,
        code: "release",
        reference: c.id.clone(),
    }])
}

/// Completes every delivered consignment whose return window has passed, releasing its shop's
/// money. Safe on several nodes (each completion is conditional). Returns how many completed.
pub async fn complete_due(store: &dyn Store, now: OffsetDateTime) -> StoreResult<u64> {
    let mut done = 0;
    for id in store.consignments_to_complete(now, 200).await? {
        let Some(order) = store.order_of_consignment(&id).await? else { continue };
        let Some(c) = order.consignments.iter().find(|c| c.id == id) else { continue };
        let release = release_batch(store, &order, c).await?;
        if store.complete_consignment(&id, &release, now).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// What `podium ledger verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub accounts: usize,
    pub transfers: usize,
    pub consignments: usize,
}

/// Recomputes every balance from the transfers, checks each transfer's accounts share its
/// currency, that no account that may not go negative is, and that every captured
/// consignment's capture credits equal its total. The first breach, in words.
pub async fn verify(store: &dyn Store) -> StoreResult<Result<Verified, String>> {
    let accounts = store.ledger_accounts().await?;
    let transfers = store.ledger_transfers().await?;
    let mut sums: std::collections::BTreeMap<&str, (i64, i64)> = std::collections::BTreeMap::new();
    let mut per_ref: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    let currency_of = |id: &str| accounts.iter().find(|a| a.id == id).map(|a| a.currency.clone());
    for t in &transfers {
        if t.amount <= 0 {
            return Ok(Err(format!("transfer {} moves {} (not positive)", t.id, t.amount)));
        }
        for side in [&t.debit_account, &t.credit_account] {
            match currency_of(side) {
                Some(c) if c == t.currency => {}
                Some(c) => {
                    return Ok(Err(format!("transfer {} is in {} but account {side} is in {c}", t.id, t.currency)))
                }
                None => return Ok(Err(format!("transfer {} names an unknown account {side}", t.id))),
            }
        }
        sums.entry(t.debit_account.as_str()).or_default().0 += t.amount;
        sums.entry(t.credit_account.as_str()).or_default().1 += t.amount;
        if t.code == "capture" {
            *per_ref.entry(t.reference.as_str()).or_default() += t.amount;
        }
    }
    for a in &accounts {
        let (d, c) = sums.get(a.id.as_str()).copied().unwrap_or_default();
        if (d, c) != (a.debits, a.credits) {
            return Ok(Err(format!(
                "account {}: its balance says debits {} and credits {}, its transfers add up to {d} and {c}",
                a.id, a.debits, a.credits
            )));
        }
        let Some(kind) = AccountKind::parse(&a.kind) else {
            return Ok(Err(format!("account {} has an unknown kind {}", a.id, a.kind)));
        };
        let balance = ledger::Posted { debits: d, credits: c }.balance(kind);
        if balance < 0 && !kind.may_go_negative() {
            return Ok(Err(format!("account {} is below zero ({balance})", a.id)));
        }
    }
    if let Some(id) = sums.keys().find(|id| !accounts.iter().any(|a| a.id == **id)) {
        return Ok(Err(format!("transfers name an account {id} that does not exist")));
    }
    // Every captured consignment: the capture credits add up to what the fan paid for it.
    let captured = store.captured_consignments().await?;
    for (id, total) in &captured {
        let credited = per_ref.get(id.as_str()).copied().unwrap_or(0);
        if credited != *total {
            return Ok(Err(format!("consignment {id}: captured {total}, the ledger credited {credited}")));
        }
    }
    Ok(Ok(Verified { accounts: accounts.len(), transfers: transfers.len(), consignments: captured.len() }))
}
