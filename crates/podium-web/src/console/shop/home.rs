//! The shop console's home panel: what needs doing now, each line linking to where it is done
//! (`podium_app::shop_home` counts; this words it).

use podium_app::catalogue::ProductRecord;
use podium_app::Org;
use podium_domain::Money;

use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::AppState;

/// One thing to do: what, where, and whether it is urgent (money owed, parcels waiting).
pub struct Task {
    pub text: String,
    pub href: String,
    pub urgent: bool,
}

pub struct ToDoView {
    pub tasks: Vec<Task>,
    /// (label, amount) per currency: available, pending or owed.
    pub money: Vec<(String, String)>,
}

pub(crate) async fn view(
    state: &AppState,
    tr: &Tr,
    shop: &Org,
    products: &[ProductRecord],
) -> Result<ToDoView, PageError> {
    let t = podium_app::shop_home::to_do(state.store.as_ref(), &shop.id, products)
        .await
        .map_err(|e| PageError::internal(tr.clone(), e))?;
    let base = format!("/console/shops/{}", shop.slug);
    let n = |x: usize| x.to_string();
    let mut tasks = Vec::new();
    let mut add = |cond: bool, text: String, href: String, urgent: bool| {
        if cond {
            tasks.push(Task { text, href, urgent });
        }
    };
    add(t.to_fulfil > 0, tr.t1("home-to-fulfil", "count", &n(t.to_fulfil)), format!("{base}/orders?show=open"), true);
    add(t.returns > 0, tr.t1("home-returns", "count", &t.returns.to_string()), format!("{base}/orders"), true);
    add(
        t.short_variants > 0,
        tr.tn("home-codes-missing", &[("count", &t.codes_missing.to_string()), ("variants", &n(t.short_variants))]),
        format!("{base}/codes"),
        false,
    );
    add(t.to_revise > 0, tr.t1("home-to-revise", "count", &n(t.to_revise)), format!("{base}/licences"), false);
    add(
        t.awaiting_licensor > 0,
        tr.t1("home-awaiting", "count", &n(t.awaiting_licensor)),
        format!("{base}/licences"),
        false,
    );
    let mut money = Vec::new();
    for s in &t.money {
        let m = |x: i64| tr.money(Money::new(x, s.currency));
        match (s.available_to_pay(), s.owed()) {
            (Some(a), _) => money.push((tr.t1("dash-available-in", "currency", s.currency.code()), m(a))),
            (None, Some(o)) => {
                money.push((tr.t1("dash-owed-in", "currency", s.currency.code()), m(o)));
                tasks.push(Task {
                    text: tr.t1("home-owed", "amount", &m(o)),
                    href: format!("{base}/money"),
                    urgent: true,
                });
            }
            (None, None) => {}
        }
        if s.pending > 0 {
            money.push((tr.t1("dash-pending-in", "currency", s.currency.code()), m(s.pending)));
        }
    }
    Ok(ToDoView { tasks, money })
}
