//! Royalty statements (DESIGN §3.9): an agreement's quarter, read from the orders sold under
//! it — each line's royalty worked out as the ledger credits it (rate × net, half-even, in the
//! presentment currency) and converted to the agreement's currency at the rates locked when the
//! order was placed; returns taken off line by line, as the ledger reverses them.

use podium_domain::ledger::rate_of;
use podium_domain::order::unit_share;
use podium_domain::royalty::{self, Entry, Quarter, Statement, Terms};
use podium_domain::{Currency, Money, RateTable};

use crate::licensing::AgreementRecord;
use crate::ports::{StoreError, StoreResult};
use crate::Store;

/// The entries of an agreement so far, in its royalty currency.
pub async fn entries(store: &dyn Store, agreement: &AgreementRecord) -> StoreResult<Vec<Entry>> {
    let to = agreement.royalty_currency;
    let mut out = Vec::new();
    for l in store.royalty_lines(&agreement.terms.id).await? {
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
    use podium_domain::ledger::{AccountKey, AccountKind, Transfer};
    let mut charged = 0;
    for licensor in store.orgs_of_kind(podium_domain::role::OrgKind::Licensor).await? {
        for a in store.agreements_of(&licensor.id).await? {
            if a.licensor.id != licensor.id || a.minimum_guarantee_minor <= 0 {
                continue;
            }
            let t = terms(&a);
            let mut entries: Option<Vec<Entry>> = None;
            for k in 1..100 {
                let year_end = t.contract_start.replace_year(t.contract_start.year() + k).unwrap_or(t.contract_start);
                if year_end > now.date() {
                    break;
                }
                let year_start =
                    t.contract_start.replace_year(t.contract_start.year() + k - 1).unwrap_or(t.contract_start);
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
    }
    Ok(charged)
}
