//! A shop's money as its page shows it: per currency, what is pending, available and paid out,
//! and — never as money available — what the shop owes, in words, with each reason
//! (`podium_app::shop_money` decides; this renders).

use podium_app::shop_money::{self, ChargeKind, Standing};
use podium_app::StoreResult;
use podium_domain::Money;

use crate::kit::i18n::Tr;

/// A debt in one currency: the amount and each reason, as sentences.
pub struct Owed {
    pub currency: String,
    pub headline: String,
    pub reasons: Vec<String>,
    pub recovery: String,
}

fn money(tr: &Tr, minor: i64, s: &Standing) -> String {
    tr.money(Money::new(minor, s.currency))
}

fn owed_view(tr: &Tr, s: &Standing, owed: i64) -> Owed {
    let mut reasons: Vec<String> = s
        .charges
        .iter()
        .map(|c| {
            let args = |amount: i64| {
                vec![
                    ("licensor", c.licensor.clone()),
                    ("agreement", c.agreement.clone()),
                    ("amount", money(tr, amount, s)),
                ]
            };
            let (key, pairs) = match &c.kind {
                ChargeKind::Advance => ("owed-reason-advance", args(c.amount)),
                ChargeKind::MinimumGuarantee { year_end } => {
                    let mut a = args(c.amount);
                    a.push(("date", year_end.map(|d| d.to_string()).unwrap_or_default()));
                    ("owed-reason-minimum", a)
                }
                ChargeKind::Recouped => ("owed-reason-recouped", args(-c.amount)),
            };
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tr.tn(key, &borrowed)
        })
        .collect();
    if s.refunds_after_release > 0 {
        reasons.push(tr.t1("owed-reason-refunds", "amount", &money(tr, s.refunds_after_release, s)));
    }
    let amount = money(tr, owed, s);
    Owed {
        currency: s.currency.code().to_string(),
        headline: tr.tn("owed-headline", &[("amount", &amount), ("currency", s.currency.code())]),
        reasons,
        recovery: tr.t("owed-recovery"),
    }
}

/// The figures (label, amount) of every currency, and the debts apart.
pub async fn figures(
    tr: &Tr,
    store: &dyn podium_app::Store,
    shop_id: &str,
) -> StoreResult<(Vec<(String, String)>, Vec<Owed>)> {
    let mut figures = Vec::new();
    let mut owed = Vec::new();
    for s in shop_money::standing(store, shop_id).await? {
        let code = s.currency.code();
        if s.pending != 0 {
            figures.push((tr.t1("dash-pending-in", "currency", code), money(tr, s.pending, &s)));
        }
        match (s.available_to_pay(), s.owed()) {
            (Some(a), _) => figures.push((tr.t1("dash-available-in", "currency", code), money(tr, a, &s))),
            (None, Some(o)) => {
                figures.push((tr.t1("dash-owed-in", "currency", code), money(tr, o, &s)));
                owed.push(owed_view(tr, &s, o));
            }
            (None, None) => {}
        }
        if s.paid_out != 0 {
            figures.push((tr.t1("dash-paid-out-in", "currency", code), money(tr, s.paid_out, &s)));
        }
    }
    Ok((figures, owed))
}
