//! Royalty statements (DESIGN §3.9): an agreement's quarter, read from the orders sold under
//! it — each line's royalty worked out as the ledger credits it (rate × net, half-even, in the
//! presentment currency) and converted to the agreement's currency at the rates locked when the
//! order was placed; returns taken off line by line, as the ledger reverses them.

use podium_domain::ledger::rate_of;
use podium_domain::order::largest_remainder;
use podium_domain::royalty::{self, Entry, Quarter, Statement, Terms};
use podium_domain::{Currency, Money, RateTable};

use crate::licensing::AgreementRecord;
use crate::ports::{StoreError, StoreResult};
use crate::Store;

fn share(total: i64, quantity: i64, refunded: i64) -> i64 {
    largest_remainder(total, &[refunded, quantity - refunded]).map_or(0, |p| p[0])
}

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
            let part = |total: i64| share(total, l.quantity, before + q) - share(total, l.quantity, before);
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
