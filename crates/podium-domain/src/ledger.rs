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
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn krw() -> Currency {
        Currency::parse("KRW").expect("KRW")
    }

    #[test]
    fn a_dispute_holds_back_the_shops_share_where_payouts_do_not_reach() {
        let batch = dispute_postings("dp_1", "c1", "shop", krw(), 40_800).expect("postings");
        assert_eq!(batch.len(), 1);
        assert_eq!(
            (batch[0].debit.kind, batch[0].credit.kind),
            (AccountKind::MerchantAvailable, AccountKind::MerchantDisputed)
        );
        assert!(!AccountKind::MerchantDisputed.payable_to_owner(), "not paid out while disputed");
        let mut balances = BTreeMap::new();
        apply(&mut balances, &batch).expect("the available balance may go below zero");
        assert_eq!(AccountKind::parse("merchant_disputed"), Some(AccountKind::MerchantDisputed));
        assert_eq!(
            dispute_postings("dp_1", "c1", "shop", krw(), 0),
            Err(LedgerError::NotPositive("dispute:dp_1:c1".into()))
        );
    }

    fn line(net: i64, vat: i64, duty: i64, q: i64, licensor: &str, bp: u32) -> LineMoney {
        LineMoney { net, vat, duty, quantity: q, licensor: licensor.into(), royalty_bp: bp }
    }

    #[test]
    fn a_capture_credits_exactly_what_was_captured() {
        let lines = [line(51_000, 5_100, 0, 1, "team-kenya", 1_000), line(286_485, 33_947, 22_919, 3, "ioc", 1_200)];
        let c = Captured {
            consignment: "c1",
            shop: "hanok",
            country: "KR",
            currency: krw(),
            shipping: 6_700,
            lines: &lines,
            commission_bp: 1_000,
        };
        let batch = capture_postings(&c).expect("postings");
        check_batch(&batch).expect("valid");
        let captured = 51_000 + 5_100 + 286_485 + 33_947 + 22_919 + 6_700;
        assert_eq!(clearing_total(&batch), captured);
        let credit = |kind, owner: &str| {
            batch.iter().find(|t| t.credit.kind == kind && t.credit.owner == owner).map(|t| t.amount)
        };
        assert_eq!(credit(AccountKind::TaxPayable, "KR"), Some(39_047));
        assert_eq!(credit(AccountKind::DutyPayable, "KR"), Some(22_919));
        assert_eq!(credit(AccountKind::RoyaltyPayable, "team-kenya"), Some(5_100));
        // 286,485 × 12 % = 34,378.2 → 34,378 (half-even per line).
        assert_eq!(credit(AccountKind::RoyaltyPayable, "ioc"), Some(34_378));
        // 5,100 + 28,648.5 → 28,648 (half-even: the 8 is even).
        assert_eq!(credit(AccountKind::Commission, PLATFORM), Some(5_100 + 28_648));
        assert_eq!(
            credit(AccountKind::MerchantPending, "hanok"),
            Some(51_000 + 286_485 + 6_700 - 5_100 - 34_378 - 5_100 - 28_648)
        );
        // Retried, it is the same transfers (the same ids).
        assert_eq!(capture_postings(&c).expect("again"), batch);
    }

    #[test]
    fn half_even_rates() {
        assert_eq!(rate_of(25, 1_000).expect("rate"), 2); // 2.5 → 2
        assert_eq!(rate_of(35, 1_000).expect("rate"), 4); // 3.5 → 4
        assert_eq!(rate_of(34, 1_000).expect("rate"), 3);
        assert_eq!(rate_of(36, 1_000).expect("rate"), 4);
        assert_eq!(rate_of(0, 1_000).expect("rate"), 0);
    }

    #[test]
    fn balances_refuse_what_would_go_negative_and_change_nothing() {
        let eur = Currency::EUR;
        let clearing = AccountKey::new(PROVIDER, AccountKind::ProviderClearing, eur);
        let tax = AccountKey::new(PLATFORM, AccountKind::Commission, eur);
        let shop = AccountKey::new("s", AccountKind::MerchantAvailable, eur);
        let mut balances = BTreeMap::new();
        let t = |id: &str, debit: &AccountKey, credit: &AccountKey, amount| Transfer {
            id: id.into(),
            debit: debit.clone(),
            credit: credit.clone(),
            amount,
            code: "test",
            reference: "test".into(),
        };
        apply(&mut balances, &[t("a", &clearing, &tax, 100)]).expect("capture");
        assert_eq!(balances[&tax].balance(AccountKind::Commission), 100);
        assert_eq!(balances[&clearing].balance(AccountKind::ProviderClearing), 100);
        let before = balances.clone();
        let err =
            apply(&mut balances, &[t("b", &tax, &clearing, 60), t("c", &tax, &clearing, 60)]).expect_err("negative");
        assert!(matches!(err, LedgerError::Negative { kind: "commission", .. }));
        assert_eq!(balances, before, "all or nothing");
        // A shop's available balance may go negative (recovered from the next payout).
        apply(&mut balances, &[t("d", &shop, &clearing, 50)]).expect("may go negative");
        assert_eq!(balances[&shop].balance(AccountKind::MerchantAvailable), -50);
        assert!(matches!(check_batch(&[t("e", &tax, &clearing, 0)]), Err(LedgerError::NotPositive(_))));
        assert!(matches!(check_batch(&[t("e", &tax, &tax, 1)]), Err(LedgerError::SameAccount(_))));
        assert!(matches!(
            check_batch(&[t("e", &tax, &clearing, 1), t("e", &tax, &clearing, 1)]),
            Err(LedgerError::Duplicate(_))
        ));
        let usd = AccountKey::new("s", AccountKind::MerchantAvailable, Currency::parse("USD").expect("USD"));
        assert!(matches!(check_batch(&[t("f", &usd, &clearing, 1)]), Err(LedgerError::MixedCurrency(_))));
    }

    fn arb_lines() -> impl Strategy<Value = Vec<LineMoney>> {
        prop::collection::vec(
            (0i64..5_000_000, 0i64..1_000_000, 0i64..500_000, 1i64..6, 0usize..3, 0u32..3_000).prop_map(
                |(net, vat, duty, q, who, bp)| line(net, vat, duty, q, ["ioc", "pocog", "team-kenya"][who], bp),
            ),
            1..5,
        )
    }

    proptest! {
        /// Captures credit exactly what was captured; refunds of every unit, in any steps,
        /// reverse it exactly (shipping with the last); no account that may not go negative does.
        #[test]
        fn captures_and_refunds_in_any_steps_balance(
            lines in arb_lines(),
            shipping in 0i64..100_000,
            commission_bp in 0u32..2_000,
            steps in prop::collection::vec((0usize..5, 1i64..4), 0..12),
            released in any::<bool>(),
        ) {
            let c = Captured { consignment: "c", shop: "s", country: "KR", currency: krw(), shipping, lines: &lines, commission_bp };
            let capture = capture_postings(&c).expect("capture");
            let captured: i64 = lines.iter().map(|l| l.net + l.vat + l.duty).sum::<i64>() + shipping;
            prop_assert_eq!(clearing_total(&capture), captured);
            let mut balances = BTreeMap::new();
            apply(&mut balances, &capture).expect("capture applies");
            if released {
                // The shop's money moves to its available balance.
                let pending = AccountKey::new("s", AccountKind::MerchantPending, krw());
                let amount = balances.get(&pending).map_or(0, |p| p.balance(AccountKind::MerchantPending));
                if amount > 0 {
                    let t = Transfer { id: "release".into(), debit: pending, credit: AccountKey::new("s", AccountKind::MerchantAvailable, krw()), amount, code: "release", reference: "c".into() };
                    apply(&mut balances, &[t]).expect("release");
                }
            }
            let mut refunded = vec![0i64; lines.len()];
            let mut given_back = 0;
            let mut n = 0;
            let mut refund = |units: Vec<(usize, i64, i64)>, whole: bool, balances: &mut BTreeMap<AccountKey, Posted>| {
                n += 1;
                let id = format!("r{n}");
                let r = Refunded { id: &id, captured: &c, units: &units, whole, released };
                let batch = refund_postings(&r).expect("refund");
                apply(balances, &batch).expect("refund applies");
                -clearing_total(&batch)
            };
            for (i, want) in steps {
                let i = i % lines.len();
                let units = want.min(lines[i].quantity - refunded[i]);
                if units > 0 {
                    let all = refunded.iter().zip(&lines).enumerate().all(|(j, (r, l))| if j == i { r + units == l.quantity } else { *r == l.quantity });
                    given_back += refund(vec![(i, refunded[i], units)], all, &mut balances);
                    refunded[i] += units;
                }
            }
            // The rest comes back in one go.
            let rest: Vec<(usize, i64, i64)> = lines.iter().enumerate().filter(|(i, l)| refunded[*i] < l.quantity).map(|(i, l)| (i, refunded[i], l.quantity - refunded[i])).collect();
            let already_whole = rest.is_empty();
            if !already_whole {
                given_back += refund(rest, true, &mut balances);
            }
            prop_assert_eq!(given_back, captured, "everything captured went back");
            for (key, posted) in &balances {
                prop_assert_eq!(posted.balance(key.kind), 0, "{:?} is back to zero", key);
            }
        }
    }

    proptest! {
        /// Random captures in several currencies for several shops, releases, and payouts that
        /// convert every shop's balances into its own currency at random rates: every batch is
        /// valid, no limited account goes negative, each payout empties what it pays from, and
        /// what was paid out equals the conversions.
        #[test]
        fn payouts_through_fx_liquidity_keep_every_invariant(
            orders in prop::collection::vec((0usize..3, 0usize..3, 1i64..2_000_000, 0i64..200_000), 1..12),
            rates in prop::collection::vec(1i64..5_000, 3),
        ) {
            let currencies = [Currency::EUR, Currency::parse("KRW").expect("KRW"), Currency::parse("JPY").expect("JPY")];
            let shops = ["a", "b", "c"];
            let mut balances = BTreeMap::new();
            for (n, (shop, cur, net, shipping)) in orders.iter().enumerate() {
                let lines = [line(*net, net / 10, 0, 1, "ioc", 1_000)];
                let id = format!("c{n}");
                let c = Captured { consignment: &id, shop: shops[*shop], country: "KR", currency: currencies[*cur], shipping: *shipping, lines: &lines, commission_bp: 1_000 };
                apply(&mut balances, &capture_postings(&c).expect("capture")).expect("capture applies");
                // Released at once.
                let pending = AccountKey::new(shops[*shop], AccountKind::MerchantPending, currencies[*cur]);
                let amount = balances.get(&pending).map_or(0, |p| p.balance(AccountKind::MerchantPending));
                if amount > 0 {
                    let t = Transfer { id: format!("release:{id}"), debit: pending, credit: AccountKey::new(shops[*shop], AccountKind::MerchantAvailable, currencies[*cur]), amount, code: "release", reference: id.clone() };
                    apply(&mut balances, &[t]).expect("release");
                }
            }
            let clearing_before: i64 = balances.iter().filter(|(k, _)| k.kind == AccountKind::ProviderClearing).map(|(k, p)| p.balance(k.kind)).sum();
            for (i, shop) in shops.iter().enumerate() {
                let to = currencies[i];
                let from: Vec<(AccountKey, i64)> = balances
                    .iter()
                    .filter(|(k, _)| k.owner == *shop && k.kind == AccountKind::MerchantAvailable)
                    .map(|(k, p)| (k.clone(), p.balance(k.kind)))
                    .collect();
                // A made-up conversion: each currency's amount × its rate / the target's rate.
                let rate = |c: Currency| rates[currencies.iter().position(|x| *x == c).expect("known")];
                let converted: i64 = from.iter().map(|(k, a)| a * rate(k.currency) / rate(to)).sum();
                if from.is_empty() || converted <= 0 {
                    continue;
                }
                let batch = payout_postings(&format!("p{i}"), shop, &from, to, converted).expect("payout");
                apply(&mut balances, &batch).expect("payout applies");
                for (k, _) in &from {
                    prop_assert_eq!(balances[k].balance(k.kind), 0, "{:?} paid out whole", k);
                }
                let paid = AccountKey::new(*shop, AccountKind::PaidOut, to);
                prop_assert_eq!(balances[&paid].balance(AccountKind::PaidOut), converted);
                // A refused payout reversed leaves the balances as they were before it.
                let before = balances.clone();
                apply(&mut balances, &reverse(&batch, "payout_reversal")).expect("reversal applies");
                apply(&mut balances, &batch.iter().map(|t| Transfer { id: format!("again:{}", t.id), ..t.clone() }).collect::<Vec<_>>()).expect("paid again");
                for (k, p) in &before {
                    prop_assert_eq!(balances[k].balance(k.kind), p.balance(k.kind));
                }
            }
            // The provider still holds exactly what was captured: payouts move liabilities only.
            let clearing_after: i64 = balances.iter().filter(|(k, _)| k.kind == AccountKind::ProviderClearing).map(|(k, p)| p.balance(k.kind)).sum();
            prop_assert_eq!(clearing_before, clearing_after);
        }
    }
}
