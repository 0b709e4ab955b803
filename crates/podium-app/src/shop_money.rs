//! Where a shop stands, currency by currency (DESIGN §3.8, §3.9): money pending (parcels not past
//! their return window), money available for the next payout, what was paid out; and, when the
//! available balance is below zero, what the shop owes and why — an advance or a
//! minimum-guarantee shortfall charged by a licensor, a refund of a sale already released.
//! A debt is never shown as money available: the page says it is owed, and how it is recovered
//! (from the shop's next sales, before anything is paid out).

use std::collections::BTreeMap;

use podium_domain::ledger::{AccountKey, AccountKind, Posted};
use podium_domain::Currency;
use time::Date;

use crate::ledger::account_id;
use crate::ports::StoreResult;
use crate::Store;

/// Why a shop's available balance was charged (or, for a recoupment, given back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeKind {
    /// An agreement's advance, paid to the licensor at signing.
    Advance,
    /// The annual minimum guarantee's shortfall for the contract year ending on this date.
    MinimumGuarantee { year_end: Option<Date> },
    /// Royalties recouped against the advance, given back to the shop (a negative charge).
    Recouped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub kind: ChargeKind,
    pub licensor: String,
    pub agreement: String,
    /// What it took from the shop's balance (negative when it gave back).
    pub amount: i64,
}

/// One currency of a shop's money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub currency: Currency,
    pub pending: i64,
    /// The available balance: below zero when the shop owes.
    pub available: i64,
    pub paid_out: i64,
    /// The licensors' charges that make up what the shop owes in this currency (each with the
    /// part of it still owed), when it owes.
    pub charges: Vec<Charge>,
    /// The part of the debt the charges do not explain: refunds of sales already released.
    pub refunds_after_release: i64,
}

impl Standing {
    /// What the shop owes in this currency, if anything.
    pub fn owed(&self) -> Option<i64> {
        (self.available < 0).then(|| -self.available)
    }

    /// What the next payout would pay from this currency, if anything.
    pub fn available_to_pay(&self) -> Option<i64> {
        (self.available > 0).then_some(self.available)
    }
}

/// What makes up a debt of `owed`: money that came in since (sales released, payouts that
/// recovered it) paid the oldest charges first, so the debt is the newest charges — each
/// minimum-guarantee shortfall, newest year first, then advances — up to what is owed (the
/// last one only in part). Returns those charges with the part of each still owed, and what
/// they leave unexplained (refunds of sales already released).
pub fn explain(owed: i64, charges: &[Charge]) -> (Vec<Charge>, i64) {
    let mut newest: Vec<&Charge> = charges.iter().filter(|c| c.amount > 0 && c.kind != ChargeKind::Recouped).collect();
    let rank = |c: &Charge| match &c.kind {
        ChargeKind::MinimumGuarantee { year_end } => (0, std::cmp::Reverse(*year_end)),
        _ => (1, std::cmp::Reverse(None)),
    };
    newest.sort_by_key(|c| rank(c));
    let mut left = owed.max(0);
    let mut out = Vec::new();
    for c in newest {
        if left == 0 {
            break;
        }
        let part = c.amount.min(left);
        left -= part;
        out.push(Charge { amount: part, ..c.clone() });
    }
    (out, left)
}

/// The year end a minimum-guarantee transfer names in its id (`minimum:{agreement}:{date}`).
fn year_end_of(transfer_id: &str) -> Option<Date> {
    let date = transfer_id.rsplit(':').next()?;
    Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// The shop's money per currency, with what it owes explained.
pub async fn standing(store: &dyn Store, shop_id: &str) -> StoreResult<Vec<Standing>> {
    let mut by_currency: BTreeMap<Currency, Standing> = BTreeMap::new();
    for a in store.ledger_accounts().await?.into_iter().filter(|a| a.owner == shop_id) {
        let (Some(kind), Ok(currency)) = (AccountKind::parse(&a.kind), Currency::parse(&a.currency)) else { continue };
        let balance = Posted { debits: a.debits, credits: a.credits }.balance(kind);
        let s = by_currency.entry(currency).or_insert_with(|| Standing {
            currency,
            pending: 0,
            available: 0,
            paid_out: 0,
            charges: Vec::new(),
            refunds_after_release: 0,
        });
        match kind {
            AccountKind::MerchantPending => s.pending += balance,
            AccountKind::MerchantAvailable => s.available += balance,
            AccountKind::PaidOut => s.paid_out += balance,
            _ => {}
        }
    }
    if by_currency.values().any(|s| s.owed().is_some()) {
        for a in store.agreements_of(shop_id).await?.into_iter().filter(|a| a.licensee.id == shop_id) {
            let transfers = store.ledger_transfers_for(&a.terms.id).await?;
            for (currency, s) in by_currency.iter_mut().filter(|(_, s)| s.owed().is_some()) {
                let mine = account_id(&AccountKey::new(shop_id.to_string(), AccountKind::MerchantAvailable, *currency));
                for t in transfers.iter().filter(|t| t.currency == currency.code()) {
                    let amount = if t.debit_account == mine {
                        t.amount
                    } else if t.credit_account == mine {
                        -t.amount
                    } else {
                        continue;
                    };
                    let kind = match t.code.as_str() {
                        "advance" => ChargeKind::Advance,
                        "minimum_guarantee" => ChargeKind::MinimumGuarantee { year_end: year_end_of(&t.id) },
                        "recoup" => ChargeKind::Recouped,
                        _ => continue,
                    };
                    s.charges.push(Charge {
                        kind,
                        licensor: a.licensor.name.clone(),
                        agreement: a.terms.reference.clone(),
                        amount,
                    });
                }
            }
        }
        for s in by_currency.values_mut() {
            if let Some(owed) = s.owed() {
                (s.charges, s.refunds_after_release) = explain(owed, &s.charges);
            }
        }
    }
    Ok(by_currency.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(available: i64) -> Standing {
        Standing {
            currency: Currency::parse("KES").expect("KES"),
            pending: 0,
            available,
            paid_out: 0,
            charges: Vec::new(),
            refunds_after_release: 0,
        }
    }

    #[test]
    fn a_debt_is_owed_never_available() {
        let s = standing(-5_898_105);
        assert_eq!(s.owed(), Some(5_898_105));
        assert_eq!(s.available_to_pay(), None);
        let s = standing(1_200);
        assert_eq!((s.owed(), s.available_to_pay()), (None, Some(1_200)));
        assert_eq!((standing(0).owed(), standing(0).available_to_pay()), (None, None));
    }

    #[test]
    fn a_debt_is_the_newest_charges_up_to_what_is_owed() {
        let charge = |kind, amount| Charge { kind, licensor: "Team Kenya".into(), agreement: "KEN-1".into(), amount };
        let year =
            |y| ChargeKind::MinimumGuarantee { year_end: Some(time::Date::from_ordinal_date(y, 60).expect("date")) };
        let charges = [
            charge(ChargeKind::Advance, 500_000),
            charge(year(2025), 1_000),
            charge(year(2026), 5_898_105),
            charge(ChargeKind::Recouped, -2_000),
        ];
        // A later payout recovered the advance and the older shortfall: only the newest is owed.
        let (why, rest) = explain(5_898_105, &charges);
        assert_eq!(why.len(), 1);
        assert_eq!((why[0].kind.clone(), why[0].amount, rest), (year(2026), 5_898_105, 0));
        // Part of an older one still owed too.
        let (why, rest) = explain(5_898_605, &charges);
        assert_eq!(why.iter().map(|c| c.amount).collect::<Vec<_>>(), [5_898_105, 500]);
        assert_eq!(rest, 0);
        // More owed than every charge: refunds after release make up the rest.
        let (why, rest) = explain(7_000_000, &charges);
        assert_eq!((why.len(), rest), (3, 7_000_000 - 5_898_105 - 1_000 - 500_000));
        assert_eq!(explain(0, &charges), (Vec::new(), 0));
        assert_eq!(year_end_of("minimum:agr_1:2026-03-01"), Some(time::macros::date!(2026 - 03 - 01)));
        assert_eq!(year_end_of("advance:agr_1"), None);
    }
}
