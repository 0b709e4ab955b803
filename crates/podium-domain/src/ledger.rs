//! The money ledger, the pure parts (DESIGN §3.8): accounts `(owner, kind, currency)`, transfers
//! that debit one account and credit another by a positive amount in one currency, batches that
//! must balance, balances on each account's normal side with the limits that apply to them, and
//! the postings of a captured consignment and of a refund, allocated so every batch adds up to
//! the cent.

use std::collections::BTreeMap;

use crate::order::unit_share;
use crate::Currency;

/// The side on which an account's balance grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Debit,
    Credit,
}

/// What an account is for. The owner says whose: a country for taxes, a licensor for
/// royalties, a shop for what it is owed, `platform` for the marketplace's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKind {
    /// Money the payment provider holds for the marketplace (an asset).
    ProviderClearing,
    /// VAT collected for a destination country, to remit.
    TaxPayable,
    /// Import duty collected for a destination country, to remit.
    DutyPayable,
    /// Royalties owed to a licensor.
    RoyaltyPayable,
    /// The platform's commission (revenue).
    Commission,
    /// What a shop will be owed once the parcel is delivered and its return window has passed.
    MerchantPending,
    /// What a shop is owed and may be paid out.
    MerchantAvailable,
    /// The platform's holdings per currency, through which payouts change currency.
    FxLiquidity,
    /// What has been paid out to a payee, in the payee's currency.
    PaidOut,
    /// A shop's money held back while a fan's bank disputes the payment (not paid out).
    MerchantDisputed,
}

impl AccountKind {
    pub const ALL: [AccountKind; 10] = [
        AccountKind::ProviderClearing,
        AccountKind::TaxPayable,
        AccountKind::DutyPayable,
        AccountKind::RoyaltyPayable,
        AccountKind::Commission,
        AccountKind::MerchantPending,
        AccountKind::MerchantAvailable,
        AccountKind::FxLiquidity,
        AccountKind::PaidOut,
        AccountKind::MerchantDisputed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::ProviderClearing => "provider_clearing",
            AccountKind::TaxPayable => "tax_payable",
            AccountKind::DutyPayable => "duty_payable",
            AccountKind::RoyaltyPayable => "royalty_payable",
            AccountKind::Commission => "commission",
            AccountKind::MerchantPending => "merchant_pending",
            AccountKind::MerchantAvailable => "merchant_available",
            AccountKind::FxLiquidity => "fx_liquidity",
            AccountKind::PaidOut => "paid_out",
            AccountKind::MerchantDisputed => "merchant_disputed",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The side its balance grows on.
    pub fn normal(self) -> Side {
        match self {
            AccountKind::ProviderClearing => Side::Debit,
            _ => Side::Credit,
        }
    }

    /// Whether its balance may go below zero. A shop's available balance may: a refund after
    /// its money was released is drawn from it and recovered from the next payout; so may a
    /// licensor's royalties, for a refund after they were paid, and a country's taxes and
    /// duties, for a refund after they were remitted (set off against the next remittance).
    pub fn may_go_negative(self) -> bool {
        matches!(
            self,
            AccountKind::MerchantAvailable
                | AccountKind::RoyaltyPayable
                | AccountKind::FxLiquidity
                | AccountKind::TaxPayable
                | AccountKind::DutyPayable
        )
    }

    /// Balances remitted to a country's authorities (the owner is the country's code).
    pub fn remitted_to_authority(self) -> bool {
        matches!(self, AccountKind::TaxPayable | AccountKind::DutyPayable)
    }

    /// Balances that are paid out to their owner.
    pub fn payable_to_owner(self) -> bool {
        matches!(self, AccountKind::MerchantAvailable | AccountKind::RoyaltyPayable)
    }
}

/// An account: whose, what for, in which currency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountKey {
    pub owner: String,
    pub kind: AccountKind,
    pub currency: Currency,
}

impl AccountKey {
    pub fn new(owner: impl Into<String>, kind: AccountKind, currency: Currency) -> AccountKey {
        AccountKey { owner: owner.into(), kind, currency }
    }
}

/// The owner of the platform's own accounts.
pub const PLATFORM: &str = "platform";
/// The owner of the provider clearing account.
pub const PROVIDER: &str = "sandbox";

/// One movement of money: `amount` (minor units, > 0) from `debit` to `credit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Chosen by the caller so a retry is harmless: the same id is one transfer.
    pub id: String,
    pub debit: AccountKey,
    pub credit: AccountKey,
    pub amount: i64,
    /// What it is for (`capture`, `refund`, `release`, …), for statements and checks.
    pub code: &'static str,
    /// What it belongs to: a consignment (capture, release) or a return (refund).
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("transfer {0}: the amount must be positive")]
    NotPositive(String),
    #[error("transfer {0}: both accounts must be in one currency")]
    MixedCurrency(String),
    #[error("transfer {0}: it debits and credits the same account")]
    SameAccount(String),
    #[error("transfer {0} appears twice in the batch")]
    Duplicate(String),
    #[error("{kind} of {owner} in {currency} would go below zero")]
    Negative { owner: String, kind: &'static str, currency: Currency },
    #[error("the rates add up to more than 100 %")]
    Rates,
    #[error("the amounts are too large")]
    Overflow,
}

/// Checks a batch on its own: positive amounts, one currency per transfer, distinct ids.
/// (Each transfer debits what it credits, so a batch that passes balances per currency.)
pub fn check_batch(batch: &[Transfer]) -> Result<(), LedgerError> {
    let mut ids: Vec<&str> = Vec::with_capacity(batch.len());
    for t in batch {
        if t.amount <= 0 {
            return Err(LedgerError::NotPositive(t.id.clone()));
        }
        if t.debit.currency != t.credit.currency {
            return Err(LedgerError::MixedCurrency(t.id.clone()));
        }
        if t.debit == t.credit {
            return Err(LedgerError::SameAccount(t.id.clone()));
        }
        ids.push(&t.id);
    }
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(LedgerError::Duplicate(w[0].to_string()));
    }
    Ok(())
}

/// Debits and credits posted to an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Posted {
    pub debits: i64,
    pub credits: i64,
}

impl Posted {
    /// The balance on the account's normal side.
    pub fn balance(self, kind: AccountKind) -> i64 {
        match kind.normal() {
            Side::Debit => self.debits - self.credits,
            Side::Credit => self.credits - self.debits,
        }
    }
}

/// Applies a batch to balances, all or nothing: refused when an account that may not go
/// negative would.
pub fn apply(balances: &mut BTreeMap<AccountKey, Posted>, batch: &[Transfer]) -> Result<(), LedgerError> {
    check_batch(batch)?;
    let mut next = balances.clone();
    for t in batch {
        let d = next.entry(t.debit.clone()).or_default();
        d.debits = d.debits.checked_add(t.amount).ok_or(LedgerError::Overflow)?;
        let c = next.entry(t.credit.clone()).or_default();
        c.credits = c.credits.checked_add(t.amount).ok_or(LedgerError::Overflow)?;
    }
    for t in batch {
        for key in [&t.debit, &t.credit] {
            let posted = next.get(key).copied().unwrap_or_default();
            if !key.kind.may_go_negative() && posted.balance(key.kind) < 0 {
                return Err(LedgerError::Negative {
                    owner: key.owner.clone(),
                    kind: key.kind.as_str(),
                    currency: key.currency,
                });
            }
        }
    }
    *balances = next;
    Ok(())
}

/// `amount × bp / 10000`, rounded half-even to the minor unit (DESIGN §3.9: per line).
pub fn rate_of(amount: i64, bp: u32) -> Result<i64, LedgerError> {
    let n = i128::from(amount) * i128::from(bp);
    let (q, r) = (n / 10_000, n % 10_000);
    let rounded = match (r * 2).cmp(&10_000) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Equal => q + (q & 1),
    };
    i64::try_from(rounded).map_err(|_| LedgerError::Overflow)
}

/// One line of a captured consignment as the ledger needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMoney {
    pub net: i64,
    pub vat: i64,
    pub duty: i64,
    pub quantity: i64,
    /// The licensor the royalty is owed to, and its rate.
    pub licensor: String,
    pub royalty_bp: u32,
}

/// A consignment at capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured<'a> {
    pub consignment: &'a str,
    pub shop: &'a str,
    /// The destination country (taxes and duties are owed there).
    pub country: &'a str,
    pub currency: Currency,
    pub shipping: i64,
    pub lines: &'a [LineMoney],
    pub commission_bp: u32,
}

/// What a line's royalty and the platform's commission on it are.
pub fn line_cuts(line: &LineMoney, commission_bp: u32) -> Result<(i64, i64), LedgerError> {
    if line.royalty_bp.saturating_add(commission_bp) > 10_000 {
        return Err(LedgerError::Rates);
    }
    Ok((rate_of(line.net, line.royalty_bp)?, rate_of(line.net, commission_bp)?))
}

/// The parts of a consignment's money (or of a refund of some of it): what goes to each account.
struct Split<'a> {
    vat: i64,
    duty: i64,
    royalties: BTreeMap<&'a str, i64>,
    commission: i64,
    merchant: i64,
    merchant_kind: AccountKind,
}

impl Split<'_> {
    /// The transfers between the clearing account and each part (`into_parts`: money captured
    /// flows into them; otherwise a refund flows back out), ids `{prefix}:{part}`.
    fn transfers(
        &self,
        c: &Captured<'_>,
        prefix: &str,
        code: &'static str,
        reference: &str,
        into_parts: bool,
    ) -> Vec<Transfer> {
        let clearing = AccountKey::new(PROVIDER, AccountKind::ProviderClearing, c.currency);
        let mut out = Vec::new();
        let mut push = |what: &str, part: AccountKey, amount: i64| {
            if amount > 0 {
                let (debit, credit) = if into_parts { (clearing.clone(), part) } else { (part, clearing.clone()) };
                out.push(Transfer {
                    id: format!("{prefix}:{what}"),
                    debit,
                    credit,
                    amount,
                    code,
                    reference: reference.to_string(),
                });
            }
        };
        push("vat", AccountKey::new(c.country, AccountKind::TaxPayable, c.currency), self.vat);
        push("duty", AccountKey::new(c.country, AccountKind::DutyPayable, c.currency), self.duty);
        for (licensor, amount) in &self.royalties {
            push(
                &format!("royalty:{licensor}"),
                AccountKey::new(*licensor, AccountKind::RoyaltyPayable, c.currency),
                *amount,
            );
        }
        push("commission", AccountKey::new(PLATFORM, AccountKind::Commission, c.currency), self.commission);
        push("merchant", AccountKey::new(c.shop, self.merchant_kind, c.currency), self.merchant);
        out
    }
}

/// The postings of a captured consignment (DESIGN §3.8): from the provider clearing account to
/// tax and duty payable (the destination country), royalty payable (each licensor), the
/// platform's commission and the shop's pending balance — together exactly what was captured.
pub fn capture_postings(c: &Captured<'_>) -> Result<Vec<Transfer>, LedgerError> {
    let (mut vat, mut duty, mut goods, mut commission) = (0i64, 0i64, 0i64, 0i64);
    let mut royalties: BTreeMap<&str, i64> = BTreeMap::new();
    for l in c.lines {
        let (royalty, cut) = line_cuts(l, c.commission_bp)?;
        vat += l.vat;
        duty += l.duty;
        goods += l.net;
        commission += cut;
        *royalties.entry(l.licensor.as_str()).or_default() += royalty;
    }
    let royalty: i64 = royalties.values().sum();
    let merchant = goods + c.shipping - royalty - commission;
    if merchant < 0 {
        return Err(LedgerError::Rates);
    }
    let split = Split { vat, duty, royalties, commission, merchant, merchant_kind: AccountKind::MerchantPending };
    Ok(split.transfers(c, &format!("capture:{}", c.consignment), "capture", c.consignment, true))
}

/// A refund of units of a consignment's lines: (line, units already refunded, units now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded<'a> {
    pub id: &'a str,
    pub captured: &'a Captured<'a>,
    pub units: &'a [(usize, i64, i64)],
    /// The whole consignment has now come back: the shipping goes back too.
    pub whole: bool,
    /// The shop's money was already released to its available balance.
    pub released: bool,
}

/// The reverse postings of a refund: line by line the goods, VAT, duty, royalty and commission
/// attributable to the refunded units; what the fan gets back is what leaves the clearing
/// account.
pub fn refund_postings(r: &Refunded<'_>) -> Result<Vec<Transfer>, LedgerError> {
    let c = r.captured;
    let (mut vat, mut duty, mut goods, mut commission) = (0i64, 0i64, 0i64, 0i64);
    let mut royalties: BTreeMap<&str, i64> = BTreeMap::new();
    for &(i, before, now) in r.units {
        let Some(l) = c.lines.get(i) else { continue };
        let (royalty, cut) = line_cuts(l, c.commission_bp)?;
        let part = |total: i64| unit_share(total, l.quantity, before + now) - unit_share(total, l.quantity, before);
        vat += part(l.vat);
        duty += part(l.duty);
        goods += part(l.net);
        commission += part(cut);
        *royalties.entry(l.licensor.as_str()).or_default() += part(royalty);
    }
    let royalty: i64 = royalties.values().sum();
    let shipping = if r.whole { c.shipping } else { 0 };
    let merchant = goods + shipping - royalty - commission;
    let merchant_kind = if r.released { AccountKind::MerchantAvailable } else { AccountKind::MerchantPending };
    let split = Split { vat, duty, royalties, commission, merchant, merchant_kind };
    Ok(split.transfers(c, &format!("refund:{}", r.id), "refund", r.id, false))
}

/// The transfers of a payout: each of the payee's balances (`from`, in its own currency) moves
/// to the platform's FX liquidity in that currency, and the converted total leaves the liquidity
/// of the payee's currency to what has been paid out to the payee.
pub fn payout_postings(
    payout: &str,
    payee: &str,
    from: &[(AccountKey, i64)],
    to: Currency,
    converted: i64,
) -> Result<Vec<Transfer>, LedgerError> {
    let mut out = Vec::with_capacity(from.len() + 1);
    for (key, amount) in from.iter().filter(|(_, a)| *a != 0) {
        let liquidity = AccountKey::new(PLATFORM, AccountKind::FxLiquidity, key.currency);
        // A balance below zero (a refund after the money was released) is settled by the
        // payout too: it is made whole from the liquidity and taken off what is paid.
        let (debit, credit) = if *amount > 0 { (key.clone(), liquidity) } else { (liquidity, key.clone()) };
        out.push(Transfer {
            id: format!("payout:{payout}:{}:{}", key.kind.as_str(), key.currency.code()),
            debit,
            credit,
            amount: amount.abs(),
            code: "payout",
            reference: payout.to_string(),
        });
    }
    if converted > 0 {
        out.push(Transfer {
            id: format!("payout:{payout}:paid"),
            debit: AccountKey::new(PLATFORM, AccountKind::FxLiquidity, to),
            credit: AccountKey::new(payee, AccountKind::PaidOut, to),
            amount: converted,
            code: "payout",
            reference: payout.to_string(),
        });
    }
    check_batch(&out)?;
    Ok(out)
}

/// A dispute holds back a shop's share of a consignment: it moves from what the shop may be
/// paid to a disputed balance that payouts leave alone (the available balance may go below
/// zero when the money was already paid out; the next payout recovers it).
pub fn dispute_postings(
    dispute: &str,
    consignment: &str,
    shop: &str,
    currency: Currency,
    amount: i64,
) -> Result<Vec<Transfer>, LedgerError> {
    let out = vec![Transfer {
        id: format!("dispute:{dispute}:{consignment}"),
        debit: AccountKey::new(shop, AccountKind::MerchantAvailable, currency),
        credit: AccountKey::new(shop, AccountKind::MerchantDisputed, currency),
        amount,
        code: "dispute",
        reference: consignment.to_string(),
    }];
    check_batch(&out)?;
    Ok(out)
}

/// The reversal of a failed payout's transfers: each one back, as a new transfer.
pub fn reverse(batch: &[Transfer], code: &'static str) -> Vec<Transfer> {
    batch
        .iter()
        .map(|t| Transfer {
            id: format!("reverse:{}", t.id),
            debit: t.credit.clone(),
            credit: t.debit.clone(),
            amount: t.amount,
            code,
            reference: t.reference.clone(),
        })
        .collect()
}

/// Sum of what a batch takes out of (capture: puts into) the clearing account.
pub fn clearing_total(batch: &[Transfer]) -> i64 {
    batch
        .iter()
        .map(|t| match (t.debit.kind, t.credit.kind) {
            (AccountKind::ProviderClearing, _) => t.amount,
            (_, AccountKind::ProviderClearing) => -t.amount,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
