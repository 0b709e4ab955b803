//! Payouts (DESIGN §3.8): a run pays every shop's available balance and every licensor's
//! royalties (after recouping advances), and remits each country's taxes and duties, converted to the payee's currency at the day's rates through the platform's FX
//! liquidity accounts, by a [`PayoutProvider`]. A payout is written with its ledger transfers
//! before the provider is asked; a failure is reversed by new transfers (nothing is lost, and the
//! next run pays it); a payout left "sending" by a crash is settled by the next run, which asks
//! the provider again under the same id (the provider pays each id once).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use podium_domain::ledger::{self, AccountKey, AccountKind, Transfer};
use podium_domain::role::OrgKind;
use podium_domain::{Currency, Money, RateTable};
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRecord {
    pub id: String,
    pub run_id: String,
    pub payee_id: String,
    pub payee_name: String,
    pub currency: String,
    pub amount: i64,
    pub status: String,
    pub failure: Option<String>,
    pub provider_ref: Option<String>,
    /// (account kind, currency, amount, rate to the payout currency as text)
    pub parts: Vec<(String, String, i64, String)>,
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait PayoutStore: Send + Sync {
    async fn create_payout_run(&self, id: &str, by: &str, now: OffsetDateTime) -> StoreResult<()>;
    async fn finish_payout_run(&self, id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// Writes the payout ("sending") and posts its transfers, in one transaction.
    async fn start_payout(&self, p: &PayoutRecord, transfers: &[Transfer], now: OffsetDateTime) -> StoreResult<()>;
    /// Sending → paid, or → failed with the reversal posted, in one transaction; false when it
    /// was no longer sending.
    async fn settle_payout(
        &self,
        id: &str,
        outcome: Result<&str, &str>,
        reversal: &[Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn payouts_sending(&self) -> StoreResult<Vec<PayoutRecord>>;
    /// Newest first; for one payee when given.
    async fn payouts(&self, payee_id: Option<&str>, limit: i64) -> StoreResult<Vec<PayoutRecord>>;
    async fn payout(&self, id: &str) -> StoreResult<Option<PayoutRecord>>;
    /// The sandbox's record of a transfer: made once per payout id.
    async fn sandbox_pay(&self, payout_id: &str, payee: &str, amount: Money, now: OffsetDateTime) -> StoreResult<()>;
    /// Keeps the provider's reference of a payout that stays "sending" (sent in a bank file).
    async fn payout_sent(&self, id: &str, provider_ref: &str) -> StoreResult<()>;
    /// Payouts still sending under a provider reference.
    async fn payouts_with_ref(&self, provider_ref: &str) -> StoreResult<Vec<PayoutRecord>>;
    async fn save_payee_account(&self, account: &PayeeAccount) -> StoreResult<()>;
    async fn payee_account(&self, payee_id: &str) -> StoreResult<Option<PayeeAccount>>;
    async fn save_payout_file(&self, file: &PayoutFile) -> StoreResult<()>;
    /// Newest first.
    async fn payout_files(&self, limit: i64) -> StoreResult<Vec<PayoutFile>>;
    async fn payout_file(&self, id: &str) -> StoreResult<Option<PayoutFile>>;
    /// Marks a file accepted by the bank; false when it was already.
    async fn accept_payout_file(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

/// Where a payee is paid by bank transfer (kept in its console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeAccount {
    pub payee_id: String,
    pub holder: String,
    /// The bank's country (ISO 3166).
    pub country: String,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub account_number: Option<String>,
    pub bank_code: Option<String>,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

/// A credit-transfer file written for the bank: one per run and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFile {
    pub id: String,
    pub run_id: String,
    pub currency: String,
    pub transfers: i64,
    pub total: i64,
    /// The pain.001 document.
    pub body: String,
    /// `written`, then `accepted` when the operator says the bank took it.
    pub status: String,
    pub created_at: OffsetDateTime,
}

/// What a payout provider says about one payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    /// Paid, with the provider's reference.
    Paid(String),
    /// Refused, with why (the payout is reversed and paid by a later run).
    Failed(String),
    /// Sent and not yet confirmed (a bank file waiting to be accepted or booked), with the
    /// provider's reference; the payout stays "sending" until it is settled.
    Pending(String),
}

#[async_trait]
pub trait PayoutProvider: Send + Sync {
    /// Pays the payout to the payee (`payee_slug` names it to the provider); the same payout
    /// id is paid once however often it is asked.
    async fn pay(&self, payout: &PayoutRecord, payee_slug: &str) -> StoreResult<PayOutcome>;
    /// Called once at the end of a run (a file provider writes its files then).
    async fn finish(&self, run_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        let _ = (run_id, now);
        Ok(())
    }
}

/// The sandbox payout provider: pays everyone, except the payees it is told to fail for.
pub struct SandboxPayouts {
    store: Arc<dyn Store>,
    fail_for: Vec<String>,
}

impl SandboxPayouts {
    pub fn new(store: Arc<dyn Store>, fail_for: Vec<String>) -> Self {
        SandboxPayouts { store, fail_for }
    }
}

#[async_trait]
impl PayoutProvider for SandboxPayouts {
    async fn pay(&self, p: &PayoutRecord, payee_slug: &str) -> StoreResult<PayOutcome> {
        if self.fail_for.iter().any(|s| s == payee_slug) {
            return Ok(PayOutcome::Failed("the payee's bank refused the transfer (sandbox)".into()));
        }
        let currency = Currency::parse(&p.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.store.sandbox_pay(&p.id, payee_slug, Money::new(p.amount, currency), OffsetDateTime::now_utc()).await?;
        Ok(PayOutcome::Paid(format!("sbx_{}", p.id)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunSummary {
    pub run_id: String,
    pub paid: usize,
    pub failed: usize,
    /// Sent and waiting for the bank (a payout file not yet accepted or booked).
    pub pending: usize,
    pub payouts: Vec<PayoutRecord>,
    /// Payees that could not be paid at all this run (their balance stays for the next),
    /// with why: (payee, reason). The others are paid regardless.
    pub skipped: Vec<(String, String)>,
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", crate::accounts::random_hex(12))
}

/// The transfers of a payout, rebuilt from its record (to reverse a failed one).
pub(crate) fn transfers_of(p: &PayoutRecord) -> StoreResult<Vec<Transfer>> {
    let to = Currency::parse(&p.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut from = Vec::with_capacity(p.parts.len());
    for (kind, currency, amount, _) in &p.parts {
        let kind = AccountKind::parse(kind).ok_or_else(|| StoreError::Backend(format!("payout part kind {kind}")))?;
        let currency = Currency::parse(currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        from.push((AccountKey::new(p.payee_id.clone(), kind, currency), *amount));
    }
    ledger::payout_postings(&p.id, &p.payee_id, &from, to, p.amount).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Asks the provider to pay a payout written "sending" and records what it says: paid, failed
/// (reversed at once), or still pending (its reference kept). True when paid.
async fn settle(
    store: &dyn Store,
    provider: &dyn PayoutProvider,
    p: &PayoutRecord,
    slug: &str,
    now: OffsetDateTime,
) -> StoreResult<Option<bool>> {
    match provider.pay(p, slug).await? {
        PayOutcome::Paid(reference) => {
            store.settle_payout(&p.id, Ok(&reference), &[], now).await?;
            Ok(Some(true))
        }
        PayOutcome::Failed(why) => {
            fail(store, p, &why, now).await?;
            Ok(Some(false))
        }
        PayOutcome::Pending(reference) => {
            store.payout_sent(&p.id, &reference).await?;
            Ok(None)
        }
    }
}

/// A payout that could not be made: reversed by new transfers, its balance paid by a later run.
pub(crate) async fn fail(store: &dyn Store, p: &PayoutRecord, why: &str, now: OffsetDateTime) -> StoreResult<bool> {
    let reversal = ledger::reverse(&transfers_of(p)?, "payout_reversal");
    store.settle_payout(&p.id, Err(why), &reversal, now).await
}

/// Runs payouts: settles any left sending, then pays every positive balance.
pub async fn run(
    store: &dyn Store,
    provider: &dyn PayoutProvider,
    rates: &RateTable,
    by: &str,
    now: OffsetDateTime,
) -> StoreResult<RunSummary> {
    let mut orgs = store.orgs_of_kind(OrgKind::Shop).await?;
    orgs.extend(store.orgs_of_kind(OrgKind::Licensor).await?);
    let slug_of = |id: &str| orgs.iter().find(|o| o.id == id).map(|o| o.slug.clone()).unwrap_or_default();
    let run_id = new_id("run");
    store.create_payout_run(&run_id, by, now).await?;
    let mut summary = RunSummary { run_id: run_id.clone(), ..RunSummary::default() };
    for p in store.payouts_sending().await? {
        match settle(store, provider, &p, &slug_of(&p.payee_id), now).await? {
            Some(true) => summary.paid += 1,
            Some(false) => summary.failed += 1,
            None => summary.pending += 1,
        }
    }
    // Advances are recouped from royalties before any royalty is paid out.
    let recouped = crate::royalties::recoup(store, now).await?;
    let mut held_back: BTreeMap<String, String> = BTreeMap::new();
    for (licensor, licensee, why) in recouped.failed {
        held_back.insert(licensor, format!("the advance's recoupment could not be worked out: {why}"));
        held_back.insert(licensee, format!("the advance's recoupment could not be worked out: {why}"));
    }
    for (payee, from) in payable_balances(store).await? {
        let Some(to) = payee_of(&orgs, &payee, &from) else { continue };
        // One payee that cannot be paid (a balance no rate can convert, an amount out of
        // range) is reported and skipped; every other payee is still paid.
        let label = match &to {
            Ok((name, _, _)) => name.clone(),
            Err(_) => payee.clone(),
        };
        if let Some(why) = held_back.get(&payee) {
            summary.skipped.push((label, why.clone()));
            continue;
        }
        match pay_one(store, provider, rates, &run_id, &payee, &from, to, now).await {
            Ok(Some(Some(true))) => summary.paid += 1,
            Ok(Some(Some(false))) => summary.failed += 1,
            Ok(Some(None)) => summary.pending += 1,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(payee = %label, error = %e, "payout skipped");
                summary.skipped.push((label, e.to_string()));
            }
        }
    }
    provider.finish(&run_id, now).await?;
    store.finish_payout_run(&run_id, now).await?;
    summary.payouts = store.payouts(None, 500).await?.into_iter().filter(|p| p.run_id == run_id).collect();
    Ok(summary)
}

/// Every payable balance, by payee: shops and licensors, and each country's authorities for
/// the taxes and duties collected there.
async fn payable_balances(store: &dyn Store) -> StoreResult<BTreeMap<String, Vec<(AccountKey, i64)>>> {
    let mut by_payee: BTreeMap<String, Vec<(AccountKey, i64)>> = BTreeMap::new();
    for a in store.ledger_accounts().await? {
        let Some(kind) = AccountKind::parse(&a.kind).filter(|k| k.payable_to_owner() || k.remitted_to_authority())
        else {
            continue;
        };
        let currency = Currency::parse(&a.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        let balance = ledger::Posted { debits: a.debits, credits: a.credits }.balance(kind);
        if balance != 0 {
            by_payee.entry(a.owner.clone()).or_default().push((AccountKey::new(a.owner, kind, currency), balance));
        }
    }
    Ok(by_payee)
}

/// A payee's balances converted to the currency it is paid in: the total, and each part as
/// (account kind, currency, amount, rate as text).
type Converted = (i64, Vec<(String, String, i64, String)>);

fn convert_parts(rates: &RateTable, slug: &str, from: &[(AccountKey, i64)], to: Currency) -> StoreResult<Converted> {
    let mut total = 0i64;
    let mut parts = Vec::with_capacity(from.len());
    for (key, amount) in from {
        let converted = rates
            .convert(Money::new(*amount, key.currency), to)
            .map_err(|e| StoreError::Backend(format!("payout to {slug}: {e}")))?;
        let rate = match (rates.get(key.currency), rates.get(to)) {
            (Some(f), Some(t)) if f.per_eur > rust_decimal::Decimal::ZERO => {
                (t.per_eur / f.per_eur).round_dp(6).to_string()
            }
            _ => "1".into(),
        };
        total = total
            .checked_add(converted.minor)
            .ok_or_else(|| StoreError::Backend(format!("payout to {slug}: the total is out of range")))?;
        parts.push((key.kind.as_str().to_string(), key.currency.code().to_string(), *amount, rate));
    }
    Ok((total, parts))
}

/// One payee in a preview: who, how much in which currency, and from which balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    pub payee_id: String,
    /// The organisation's name, or the country's code for a remittance (`authority` is set).
    pub name: String,
    /// The country whose tax and customs authorities this remittance pays.
    pub authority: Option<String>,
    pub currency: String,
    /// Positive: what the run would pay. Negative: what the payee owes (nothing is paid; it is
    /// recovered from later payouts).
    pub amount: i64,
    pub parts: Vec<(String, String, i64, String)>,
}

/// What a payout run would do now, before anything moves: the operator reads it and confirms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    pub to_pay: Vec<PreviewLine>,
    /// Payees whose balances add up to a debt: not paid this run.
    pub owed: Vec<PreviewLine>,
    /// Payees that cannot be paid (a balance no rate converts): (payee, why).
    pub unpayable: Vec<(String, String)>,
    /// Payouts left "sending" by an earlier run, settled first.
    pub sending: usize,
}

impl Preview {
    /// The total the run would pay, per currency.
    pub fn totals(&self) -> BTreeMap<String, i64> {
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for l in &self.to_pay {
            *out.entry(l.currency.clone()).or_default() += l.amount;
        }
        out
    }

    /// A short fingerprint of what would be paid: a confirmation names it, so money moves only
    /// when the run still pays what the operator read.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for l in &self.to_pay {
            h.update(format!("{}|{}|{};", l.payee_id, l.currency, l.amount).as_bytes());
        }
        h.update(format!("sending:{}", self.sending).as_bytes());
        hex::encode(h.finalize())[..16].to_string()
    }
}

/// What [`run`] would pay now, at these rates, without moving anything. Advances are recouped
/// when the run starts, which may lower a licensor's royalties below what is shown here.
pub async fn preview(store: &dyn Store, rates: &RateTable) -> StoreResult<Preview> {
    let mut orgs = store.orgs_of_kind(OrgKind::Shop).await?;
    orgs.extend(store.orgs_of_kind(OrgKind::Licensor).await?);
    let mut out = Preview { sending: store.payouts_sending().await?.len(), ..Preview::default() };
    for (payee, from) in payable_balances(store).await? {
        let Some(to) = payee_of(&orgs, &payee, &from) else { continue };
        let (name, slug, currency) = match to {
            Ok(found) => found,
            Err(e) => {
                out.unpayable.push((payee.clone(), e.to_string()));
                continue;
            }
        };
        let authority = (name == payee && !orgs.iter().any(|o| o.id == payee)).then(|| payee.clone());
        match convert_parts(rates, &slug, &from, currency) {
            Ok((amount, parts)) => {
                let line = PreviewLine {
                    payee_id: payee,
                    name,
                    authority,
                    currency: currency.code().to_string(),
                    amount,
                    parts,
                };
                match amount {
                    a if a > 0 => out.to_pay.push(line),
                    a if a < 0 => out.owed.push(line),
                    _ => {}
                }
            }
            Err(e) => out.unpayable.push((name, e.to_string())),
        }
    }
    Ok(out)
}

/// What a confirmed run did: it ran, or it did not because what it would pay is no longer what
/// the operator confirmed (new sales, a refund, another run meanwhile): here is the new preview.
#[derive(Debug)]
pub enum Confirmed {
    Ran(RunSummary),
    Changed(Preview),
}

/// Runs payouts only if they still pay what the operator read: `fingerprint` is the
/// [`Preview::fingerprint`] of the preview that was confirmed.
pub async fn run_confirmed(
    store: &dyn Store,
    provider: &dyn PayoutProvider,
    rates: &RateTable,
    by: &str,
    fingerprint: &str,
    now: OffsetDateTime,
) -> StoreResult<Confirmed> {
    let current = preview(store, rates).await?;
    if current.fingerprint() != fingerprint {
        return Ok(Confirmed::Changed(current));
    }
    Ok(Confirmed::Ran(run(store, provider, rates, by, now).await?))
}

/// A run in one line for the audit log: how many were paid, refused, and who was skipped why.
pub fn run_detail(summary: &RunSummary) -> String {
    let mut detail = format!("{} paid, {} failed", summary.paid, summary.failed);
    if !summary.skipped.is_empty() {
        let skipped: Vec<String> = summary.skipped.iter().map(|(who, why)| format!("{who} ({why})")).collect();
        detail.push_str(&format!(", {} skipped: {}", skipped.len(), skipped.join("; ")));
    }
    detail
}

/// Pays one payee its balances, converted to its currency: `Some(paid)` when a payout was
/// made, `None` when there was nothing to pay (or another run paid it meanwhile).
#[allow(clippy::too_many_arguments)]
async fn pay_one(
    store: &dyn Store,
    provider: &dyn PayoutProvider,
    rates: &RateTable,
    run_id: &str,
    payee: &str,
    from: &[(AccountKey, i64)],
    to: StoreResult<(String, String, Currency)>,
    now: OffsetDateTime,
) -> StoreResult<Option<Option<bool>>> {
    let (name, slug, to) = to?;
    let (total, parts) = convert_parts(rates, &slug, from, to)?;
    if total <= 0 {
        // Owed by the payee (refunds after release): recovered from a later payout.
        return Ok(None);
    }
    let id = new_id("po");
    let transfers =
        ledger::payout_postings(&id, payee, from, to, total).map_err(|e| StoreError::Backend(e.to_string()))?;
    let record = PayoutRecord {
        id: id.clone(),
        run_id: run_id.to_string(),
        payee_id: payee.to_string(),
        payee_name: name,
        currency: to.code().to_string(),
        amount: total,
        status: "sending".into(),
        failure: None,
        provider_ref: None,
        parts,
        created_at: now,
    };
    match store.start_payout(&record, &transfers, now).await {
        Ok(()) => {}
        // Another run paid these balances meanwhile.
        Err(StoreError::Conflict { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    Ok(Some(settle(store, provider, &record, &slug, now).await?))
}

/// The payee in English (logs, the command line): the organisation, or a country's authorities
/// for a remittance (whose payee is the country's code).
pub fn payee_label(p: &PayoutRecord) -> String {
    match podium_domain::Country::parse(&p.payee_id) {
        Ok(c) if p.payee_name == p.payee_id => format!("Tax and customs authorities · {}", c.english_name()),
        _ => p.payee_name.clone(),
    }
}

/// The slug the provider pays for a country's tax and customs authorities.
pub fn authority_slug(country: &str) -> String {
    format!("authority-{}", country.to_ascii_lowercase())
}

/// Who a payee is: (name, the slug the provider pays, the currency paid in) — a shop or a
/// licensor in its own currency, or a country's authorities (remittances, in the country's
/// currency); `None` for an owner that is neither.
fn payee_of(
    orgs: &[crate::ports::Org],
    payee: &str,
    from: &[(AccountKey, i64)],
) -> Option<StoreResult<(String, String, Currency)>> {
    if let Some(org) = orgs.iter().find(|o| o.id == payee) {
        return Some(
            Currency::parse(&org.currency)
                .map(|c| (org.name.clone(), org.slug.clone(), c))
                .map_err(|e| StoreError::Backend(e.to_string())),
        );
    }
    if !from.iter().all(|(k, _)| k.kind.remitted_to_authority()) {
        return None;
    }
    let country = podium_domain::Country::parse(payee).ok()?;
    Some(Ok((payee.to_string(), authority_slug(payee), country.default_currency())))
}

/// A payout's parts as stored: `kind:CUR:amount:rate`, separated by `;`.
pub fn parts_text(parts: &[(String, String, i64, String)]) -> String {
    parts.iter().map(|(k, c, a, r)| format!("{k}:{c}:{a}:{r}")).collect::<Vec<_>>().join(";")
}

pub fn parse_parts(text: &str) -> Vec<(String, String, i64, String)> {
    text.split(';')
        .filter_map(|p| {
            let mut it = p.split(':');
            Some((it.next()?.to_string(), it.next()?.to_string(), it.next()?.parse().ok()?, it.next()?.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remittances_name_the_countrys_authorities() {
        let record = |id: &str, name: &str| PayoutRecord {
            id: "po_1".into(),
            run_id: "run_1".into(),
            payee_id: id.into(),
            payee_name: name.into(),
            currency: "KRW".into(),
            amount: 1,
            status: "paid".into(),
            failure: None,
            provider_ref: None,
            parts: Vec::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(payee_label(&record("KR", "KR")), "Tax and customs authorities · South Korea");
        assert_eq!(payee_label(&record("org_1", "Hanok Threads")), "Hanok Threads");
    }
}
