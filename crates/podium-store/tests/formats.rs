//! Storage for local formats and display rounding, on SQLite and on PostgreSQL alike.

use std::sync::Arc;

use podium_app::display_rounding::{set_rounding, SetRoundingError};
use podium_app::{NewOrg, Store};
use podium_domain::role::OrgKind;
use podium_domain::rounding::Step;
use podium_domain::{Currency, Money};

podium_store::on_both_backends!(a_shop_sets_changes_and_removes_its_rounding_steps);

fn shop(slug: &str) -> NewOrg {
    NewOrg {
        kind: OrgKind::Shop,
        slug: slug.into(),
        name: format!("Shop {slug}"),
        country: "JP".into(),
        currency: "JPY".into(),
    }
}

async fn a_shop_sets_changes_and_removes_its_rounding_steps(store: Arc<dyn Store>) {
    let a = store.create_org(shop("kumo")).await.expect("shop");
    let b = store.create_org(shop("other")).await.expect("shop");
    let now = time::OffsetDateTime::now_utc();
    assert!(store.display_roundings().await.expect("read").is_empty(), "off by default");
    let head = store.outbox_head().await.expect("head");
    let set = set_rounding(store.as_ref(), &a.id, "krw", "100", now).await.expect("set");
    assert_eq!(set, Some(Step { currency: Currency::KRW, minor: 100 }));
    assert!(store.outbox_head().await.expect("head") > head, "other nodes hear of it");
    set_rounding(store.as_ref(), &a.id, "JPY", "10", now).await.expect("set");
    set_rounding(store.as_ref(), &b.id, "EUR", "0.50", now).await.expect("set");
    // Setting again replaces.
    set_rounding(store.as_ref(), &a.id, "KRW", "1000", now).await.expect("replace");
    let mut all = store.display_roundings().await.expect("read");
    all.sort_by(|x, y| (x.0.as_str(), x.1.currency).cmp(&(y.0.as_str(), y.1.currency)));
    let mut want = vec![
        (a.id.clone(), Step::new(Money::new(10, Currency::JPY)).expect("step")),
        (a.id.clone(), Step::new(Money::new(1000, Currency::KRW)).expect("step")),
        (b.id.clone(), Step::new(Money::new(50, Currency::EUR)).expect("step")),
    ];
    want.sort_by(|x, y| (x.0.as_str(), x.1.currency).cmp(&(y.0.as_str(), y.1.currency)));
    assert_eq!(all, want);
    // Bad steps are refused and change nothing.
    assert!(matches!(set_rounding(store.as_ref(), &a.id, "KRW", "1", now).await, Err(SetRoundingError::Step(_))));
    assert!(matches!(
        set_rounding(store.as_ref(), &a.id, "EUR", "0.505", now).await,
        Err(SetRoundingError::Amount(..))
    ));
    assert!(matches!(set_rounding(store.as_ref(), &a.id, "XYZ", "10", now).await, Err(SetRoundingError::Currency(_))));
    assert_eq!(store.display_roundings().await.expect("read").len(), 3);
    // An empty step turns rounding off for that currency only.
    assert_eq!(set_rounding(store.as_ref(), &a.id, "KRW", " ", now).await.expect("off"), None);
    let left: Vec<Currency> = store.display_roundings().await.expect("read").iter().map(|(_, s)| s.currency).collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&Currency::KRW) && left.contains(&Currency::JPY));
}
