//! The ledger's posting rules, tested.

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
    let credit =
        |kind, owner: &str| batch.iter().find(|t| t.credit.kind == kind && t.credit.owner == owner).map(|t| t.amount);
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
    let err = apply(&mut balances, &[t("b", &tax, &clearing, 60), t("c", &tax, &clearing, 60)]).expect_err("negative");
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
        (0i64..5_000_000, 0i64..1_000_000, 0i64..500_000, 1i64..6, 0usize..3, 0u32..3_000)
            .prop_map(|(net, vat, duty, q, who, bp)| line(net, vat, duty, q, ["ioc", "pocog", "team-kenya"][who], bp)),
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
