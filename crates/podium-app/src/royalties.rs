//! Royalty statements (DESIGN §3.9): an agreement's quarter, read from the orders sold under
//! it — each line's royalty worked out as the ledger credits it (rate × net, half-even, in the
//! presentment currency) and converted to the agreement's currency at the rates locked when the
//! order was placed; returns taken off line by line, as the ledger reverses them.

use podium_domain::ledger::rate_of;
use podium_domain::ledger::{AccountKey, AccountKind, Transfer};
use podium_domain::licensing::AgreementStatus;
use podium_domain::order::unit_share;
use podium_domain::royalty::{self, Accrued, Entry, Quarter, Statement, Terms};
use podium_domain::{Currency, Money, RateTable};

use crate::licensing::AgreementRecord;
use crate::ports::{StoreError, StoreResult};
use crate::Store;

/// The entries of an agreement so far, in its royalty currency.
pub async fn entries(store: &dyn Store, agreement: &AgreementRecord) -> StoreResult<Vec<Entry>> {
    let to = agreement.royalty_currency;
    let mut out = Vec::new();
    for l in store.royalty_lines(&agreement.terms.id).await? {
        // A line whose amounts cannot be worked out (stored out of range before amounts were
        // bounded) is left out and logged: the statement of every other line still reads.
        match line_entries(&l, to) {
            Ok(entries) => out.extend(entries),
            Err(e) => tracing::error!(line = %l.line_id, error = %e, "royalty line left out of the statement"),
        }
    }
    Ok(out)
}

fn line_entries(l: &crate::orders::RoyaltyLine, to: Currency) -> StoreResult<Vec<Entry>> {
    let mut out = Vec::with_capacity(1 + l.refunds.len());
    let from = Currency::parse(&l.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let rates = RateTable::from_snapshot(&l.fx_snapshot, l.paid_at.date());
    let convert = |minor: i64| -> StoreResult<i64> {
        rates
            .convert(Money::new(minor, from), to)
            .map(|m| m.minor)
            .map_err(|e| StoreError::Backend(format!("order line {}: {e}", l.line_id)))
    };
    let royalty = rate_of(l.net, l.royalty_bp).map_err(|e| StoreError::Backend(e.to_string()))?;
    out.push(Entry {
        on: l.paid_at.date(),
        country: l.country.clone(),
        rights: l.rights_id.clone(),
        net: convert(l.net)?,
        royalty: convert(royalty)?,
        returned: false,
    });
    let mut before = 0;
    for (at, q) in &l.refunds {
        let part = |total: i64| unit_share(total, l.quantity, before + q) - unit_share(total, l.quantity, before);
        out.push(Entry {
            on: at.date(),
            country: l.country.clone(),
            rights: l.rights_id.clone(),
            net: convert(part(l.net))?,
            royalty: convert(part(royalty))?,
            returned: true,
        });
        before += q;
    }
    Ok(out)
}

/// The terms a statement reads from an agreement: the first contract year starts with its
/// earliest rights set.
pub fn terms(agreement: &AgreementRecord) -> Terms {
    let start = agreement.terms.rights.iter().map(|r| r.start).min().unwrap_or(agreement.created_at.date());
    Terms {
        contract_start: start,
        advance: agreement.advance_minor,
        minimum_guarantee: agreement.minimum_guarantee_minor,
    }
}

/// An agreement's statement for a quarter.
pub async fn statement(store: &dyn Store, agreement: &AgreementRecord, quarter: Quarter) -> StoreResult<Statement> {
    let entries = entries(store, agreement).await?;
    Ok(royalty::statement(terms(agreement), quarter, &entries))
}

/// Charges every minimum-guarantee shortfall whose contract year has ended: the licensee's
/// available balance pays the licensor the difference between the annual minimum and the
/// year's royalties (DESIGN §3.9). Each charge's transfer id names the agreement and the year's
/// end, so running this again (on any node) charges nothing twice. Returns how many were charged.
pub async fn charge_minimums(store: &dyn Store, now: time::OffsetDateTime) -> StoreResult<usize> {
    let mut charged = 0;
    for a in all_agreements(store).await? {
        if a.minimum_guarantee_minor <= 0 {
            continue;
        }
        let t = terms(&a);
        let mut entries: Option<Vec<Entry>> = None;
        for k in 1..100 {
            let year_end = t.contract_start.replace_year(t.contract_start.year() + k).unwrap_or(t.contract_start);
            if year_end > now.date() {
                break;
            }
            let year_start = t.contract_start.replace_year(t.contract_start.year() + k - 1).unwrap_or(t.contract_start);
            let id = format!("minimum:{}:{year_end}", a.terms.id);
            if !store.ledger_transfers_for(&a.terms.id).await?.iter().all(|x| x.id != id) {
                continue;
            }
            if entries.is_none() {
                entries = Some(self::entries(store, &a).await?);
            }
            let royalties: i64 = entries
                .iter()
                .flatten()
                .filter(|e| e.on >= year_start && e.on < year_end)
                .map(|e| if e.returned { -e.royalty } else { e.royalty })
                .sum();
            let shortfall = a.minimum_guarantee_minor - royalties;
            if shortfall <= 0 {
                continue;
            }
            let cur = a.royalty_currency;
            let transfer = Transfer {
                id,
                debit: AccountKey::new(a.licensee.id.clone(), AccountKind::MerchantAvailable, cur),
                credit: AccountKey::new(a.licensor.id.clone(), AccountKind::RoyaltyPayable, cur),
                amount: shortfall,
                code: "minimum_guarantee",
                reference: a.terms.id.clone(),
            };
            store.post_batch(&format!("minimum:{}", a.terms.id), &[transfer], now).await?;
            charged += 1;
        }
    }
    Ok(charged)
}

/// Every agreement of every licensor (each once).
async fn all_agreements(store: &dyn Store) -> StoreResult<Vec<AgreementRecord>> {
    let mut out = Vec::new();
    for licensor in store.orgs_of_kind(podium_domain::role::OrgKind::Licensor).await? {
        out.extend(store.agreements_of(&licensor.id).await?.into_iter().filter(|a| a.licensor.id == licensor.id));
    }
    Ok(out)
}

/// The ledger transfer of an agreement's advance: paid at signing, from the licensee's balance
/// (recovered from its payouts) to the licensor's royalties (paid by the next payout run).
fn advance_transfer(a: &AgreementRecord) -> Transfer {
    let cur = a.royalty_currency;
    Transfer {
        id: format!("advance:{}", a.terms.id),
        debit: AccountKey::new(a.licensee.id.clone(), AccountKind::MerchantAvailable, cur),
        credit: AccountKey::new(a.licensor.id.clone(), AccountKind::RoyaltyPayable, cur),
        amount: a.advance_minor,
        code: "advance",
        reference: a.terms.id.clone(),
    }
}

/// Posts the advance of every signed agreement (active, or once active) whose advance is not
/// in the ledger yet (DESIGN §3.9). The transfer id names the agreement, so running this on
/// any node, any number of times, posts each advance once. Returns how many were posted.
pub async fn post_advances(store: &dyn Store, now: time::OffsetDateTime) -> StoreResult<usize> {
    let mut posted = 0;
    for a in all_agreements(store).await? {
        if post_advance(store, &a, now).await? {
            posted += 1;
        }
    }
    Ok(posted)
}

/// Posts one agreement's advance if it is signed and not posted yet; true when it posted.
pub async fn post_advance(store: &dyn Store, a: &AgreementRecord, now: time::OffsetDateTime) -> StoreResult<bool> {
    if a.advance_minor <= 0 || a.terms.status == AgreementStatus::Draft {
        return Ok(false);
    }
    let t = advance_transfer(a);
    if store.ledger_transfers_for(&a.terms.id).await?.iter().any(|x| x.id == t.id) {
        return Ok(false);
    }
    match store.post_batch(&t.id.clone(), &[t], now).await {
        Ok(()) => Ok(true),
        // Posted meanwhile with another amount (the advance was edited after signing): the
        // first posting stands; a correction is a new transfer.
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Each sale's royalty under an agreement, net of returns, in its currency and converted at
/// the order's locked rates, oldest first.
async fn accrued(store: &dyn Store, a: &AgreementRecord) -> StoreResult<Vec<Accrued>> {
    let mut lines = store.royalty_lines(&a.terms.id).await?;
    lines.sort_by(|x, y| (x.paid_at, &x.line_id).cmp(&(y.paid_at, &y.line_id)));
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let currency = Currency::parse(&l.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        let royalty = rate_of(l.net, l.royalty_bp).map_err(|e| StoreError::Backend(e.to_string()))?;
        let returned: i64 = l.refunds.iter().map(|(_, q)| q).sum();
        let kept = royalty - unit_share(royalty, l.quantity, returned);
        let converted = RateTable::from_snapshot(&l.fx_snapshot, l.paid_at.date())
            .convert(Money::new(kept, currency), a.royalty_currency)
            .map_err(|e| StoreError::Backend(format!("order line {}: {e}", l.line_id)))?
            .minor;
        out.push(Accrued { currency, royalty: kept, converted });
    }
    Ok(out)
}

/// Recoups advances before royalties are paid out (DESIGN §3.9): for each agreement whose
/// advance is posted, the royalties accrued under it — up to the advance, oldest sales first —
/// move from the licensor's royalties back to the licensee's balance, in the currencies they
/// were paid in. What was recouped before is counted from the ledger, so each run posts only
/// the difference (a return of a recouped sale gives some back). Returns the transfers posted.
pub async fn recoup(store: &dyn Store, now: time::OffsetDateTime) -> StoreResult<Recouped> {
    let mut out = Recouped::default();
    for a in all_agreements(store).await? {
        if a.advance_minor <= 0 {
            continue;
        }
        // One agreement whose figures cannot be worked out is reported; the others go on.
        match recoup_one(store, &a, now).await {
            Ok(n) => out.posted += n,
            Err(e) => {
                tracing::error!(agreement = %a.terms.id, error = %e, "recoupment skipped");
                out.failed.push((a.licensor.id.clone(), a.licensee.id.clone(), e.to_string()));
            }
        }
    }
    Ok(out)
}

/// What a recoupment pass did: transfers posted, and the agreements it could not work out as
/// (licensor, licensee, why) — neither is paid until it can.
#[derive(Debug, Default)]
pub struct Recouped {
    pub posted: usize,
    pub failed: Vec<(String, String, String)>,
}

async fn recoup_one(store: &dyn Store, a: &AgreementRecord, now: time::OffsetDateTime) -> StoreResult<usize> {
    let mut posted = 0;
    let done = store.ledger_transfers_for(&a.terms.id).await?;
    let Some(advance) = done.iter().find(|x| x.code == "advance") else { return Ok(0) };
    let want = royalty::recoupment(advance.amount, &accrued(store, a).await?);
    let mut currencies: Vec<Currency> = want.keys().copied().collect();
    for x in done.iter().filter(|x| x.code == "recoup") {
        if let Ok(c) = Currency::parse(&x.currency) {
            if !currencies.contains(&c) {
                currencies.push(c);
            }
        }
    }
    for cur in currencies {
        let licensor = AccountKey::new(a.licensor.id.clone(), AccountKind::RoyaltyPayable, cur);
        let licensee = AccountKey::new(a.licensee.id.clone(), AccountKind::MerchantAvailable, cur);
        let from_licensor = crate::ledger::account_id(&licensor);
        let earlier: Vec<&crate::ledger::TransferRow> =
            done.iter().filter(|x| x.code == "recoup" && x.currency == cur.code()).collect();
        let so_far: i64 =
            earlier.iter().map(|x| if x.debit_account == from_licensor { x.amount } else { -x.amount }).sum();
        let delta = want.get(&cur).copied().unwrap_or(0) - so_far;
        if delta == 0 {
            continue;
        }
        let (debit, credit) = if delta > 0 { (licensor, licensee) } else { (licensee, licensor) };
        let t = Transfer {
            // Numbered by what came before, so two runs at once post the same transfer.
            id: format!("recoup:{}:{}:{}", a.terms.id, cur.code(), earlier.len() + 1),
            debit,
            credit,
            amount: delta.abs(),
            code: "recoup",
            reference: a.terms.id.clone(),
        };
        match store.post_batch(&t.id.clone(), &[t], now).await {
            Ok(()) => posted += 1,
            // Another run posted this step with what it saw; the next run evens it out.
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(posted)
}

/// A period a licensor reads its royalties over: from `from` (inclusive) to `to` (inclusive),
/// either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
}

impl Period {
    /// Reads `YYYY-MM-DD` ends (empty: open); `None` when one is not a date or they are the
    /// wrong way round.
    pub fn parse(from: &str, to: &str) -> Option<Period> {
        let date = |s: &str| -> Result<Option<time::Date>, ()> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map(Some).map_err(|_| ())
        };
        let p = Period { from: date(from).ok()?, to: date(to).ok()? };
        match (p.from, p.to) {
            (Some(f), Some(t)) if f > t => None,
            _ => Some(p),
        }
    }

    pub fn contains(&self, on: time::Date) -> bool {
        self.from.is_none_or(|f| on >= f) && self.to.is_none_or(|t| on <= t)
    }
}

#[cfg(test)]
mod period_tests {
    use super::Period;
    use time::macros::date;

    #[test]
    fn a_period_reads_its_ends_and_holds_the_days_between() {
        let p = Period::parse("2026-01-01", "2026-03-31").expect("a period");
        assert!(p.contains(date!(2026 - 01 - 01)) && p.contains(date!(2026 - 03 - 31)));
        assert!(!p.contains(date!(2025 - 12 - 31)) && !p.contains(date!(2026 - 04 - 01)));
        assert!(Period::parse("", "").expect("open").contains(date!(1999 - 01 - 01)));
        assert_eq!(Period::parse("2026-04-01", "2026-01-01"), None, "the wrong way round");
        assert_eq!(Period::parse("last year", ""), None);
    }
}
