//! Disputes (chargebacks): a fan's bank contests a payment. Podium holds back the shop's share
//! of every consignment of the order — moved in the ledger from what the shop may be paid to a
//! disputed balance payouts do not touch — and lists the dispute on the shop's and the
//! operator's consoles. Opening is idempotent by the provider's dispute id.

use async_trait::async_trait;
use podium_domain::ledger::{self, AccountKind, Transfer};
use podium_domain::Currency;
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRecord {
    /// The provider's id (`dp_…`).
    pub id: String,
    pub order_id: String,
    pub order_number: String,
    pub payment_id: String,
    /// What the bank contests, in the order's currency.
    pub amount: i64,
    pub currency: String,
    /// The bank's reason (`fraudulent`, `product_not_received`…).
    pub reason: String,
    /// `open` (money held back), `won` (given back to the shops) or `lost` (gone to the fan's bank).
    pub status: String,
    /// The shops whose money is held back, with how much.
    pub held: Vec<(String, i64)>,
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait DisputeStore: Send + Sync {
    /// Records the dispute and posts what it holds back, in one transaction; false when a
    /// dispute with this id was recorded already (nothing is posted again).
    async fn open_dispute(&self, d: &DisputeRecord, hold: &[Transfer], now: OffsetDateTime) -> StoreResult<bool>;
    /// Newest first; those holding back this shop's money when given.
    async fn disputes(&self, shop_id: Option<&str>, limit: i64) -> StoreResult<Vec<DisputeRecord>>;
    async fn dispute(&self, id: &str) -> StoreResult<Option<DisputeRecord>>;
    /// Open → `won` or `lost`, with its postings, in one transaction; false when it was not open.
    async fn close_dispute(
        &self,
        id: &str,
        status: &str,
        postings: &[Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
}

/// What the provider says about a dispute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contested {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub reason: String,
    /// How the bank decided, once it has: `won` or `lost` (empty while open).
    #[serde(default)]
    pub outcome: String,
}

/// The shop's share of a consignment still with it: what its capture credited the shop, less
/// what refunds took back.
async fn shop_share(store: &dyn Store, consignment: &str, returns: &[String], shop: &str) -> StoreResult<i64> {
    let mine = |account: &str, kinds: &[AccountKind]| {
        kinds.iter().any(|k| account.starts_with(&format!("{}:{shop}:", k.as_str())))
    };
    let merchant = [AccountKind::MerchantPending, AccountKind::MerchantAvailable];
    let mut share = 0;
    for t in store.ledger_transfers_for(consignment).await? {
        if t.code == "capture" && mine(&t.credit_account, &merchant) {
            share += t.amount;
        }
    }
    for r in returns {
        for t in store.ledger_transfers_for(r).await? {
            if mine(&t.debit_account, &merchant) {
                share -= t.amount;
            }
            if mine(&t.credit_account, &merchant) {
                share += t.amount;
            }
        }
    }
    Ok(share.max(0))
}

/// Opens a dispute on the order `order_id` paid by `c.payment_id`: every consignment's shop
/// share is held back. False when it was open already (or the order is not paid).
pub async fn open(store: &dyn Store, order_id: &str, c: &Contested, now: OffsetDateTime) -> StoreResult<bool> {
    let Some(order) = store.order(order_id).await? else { return Err(StoreError::NotFound("order")) };
    let currency = Currency::parse(&order.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut hold = Vec::new();
    let mut held = Vec::new();
    for cons in &order.consignments {
        let returns: Vec<String> = cons.returns.iter().map(|r| r.id.clone()).collect();
        let share = shop_share(store, &cons.id, &returns, &cons.shop_id).await?;
        if share > 0 {
            hold.extend(
                ledger::dispute_postings(&c.id, &cons.id, &cons.shop_id, currency, share)
                    .map_err(|e| StoreError::Backend(e.to_string()))?,
            );
            held.push((cons.shop_id.clone(), share));
        }
    }
    let record = DisputeRecord {
        id: c.id.clone(),
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        payment_id: c.payment_id.clone(),
        amount: c.amount,
        currency: order.currency.clone(),
        reason: c.reason.clone(),
        status: "open".into(),
        held,
        created_at: now,
    };
    store.open_dispute(&record, &hold, now).await
}

/// The bank decided: a dispute won gives the shops their money back; a lost one sends it to the
/// fan's bank (out of the disputed balance, through the provider). False when the dispute is
/// unknown or was closed already.
pub async fn close(store: &dyn Store, c: &Contested, now: OffsetDateTime) -> StoreResult<bool> {
    let Some(d) = store.dispute(&c.id).await?.filter(|d| d.status == "open") else { return Ok(false) };
    let currency = Currency::parse(&d.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let (status, postings) = match c.outcome.as_str() {
        "won" | "warning_closed" => ("won", moved(&d, currency, "dispute_won", AccountKind::MerchantAvailable)),
        "lost" => ("lost", moved(&d, currency, "chargeback", AccountKind::ProviderClearing)),
        _ => return Ok(false),
    };
    store.close_dispute(&d.id, status, &postings, now).await
}

/// Each shop's held-back money, out of its disputed balance to `to`: back to what it may be paid
/// (won), or to the provider, which paid the fan's bank (lost).
fn moved(d: &DisputeRecord, currency: Currency, code: &'static str, to: AccountKind) -> Vec<Transfer> {
    d.held
        .iter()
        .filter(|(_, amount)| *amount > 0)
        .map(|(shop, amount)| Transfer {
            id: format!("{code}:{}:{shop}", d.id),
            debit: ledger::AccountKey::new(shop.clone(), AccountKind::MerchantDisputed, currency),
            credit: if to == AccountKind::ProviderClearing {
                ledger::AccountKey::new(ledger::PROVIDER, to, currency)
            } else {
                ledger::AccountKey::new(shop.clone(), to, currency)
            },
            amount: *amount,
            code,
            reference: d.order_id.clone(),
        })
        .collect()
}
