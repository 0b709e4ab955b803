//! The licensing rules, tested.

use super::*;
use proptest::prelude::*;
use time::macros::{date, datetime};

fn tree() -> CategoryTree {
    CategoryTree::new([
        ("apparel".to_string(), None),
        ("t-shirts".to_string(), Some("apparel".to_string())),
        ("caps".to_string(), Some("apparel".to_string())),
        ("pins".to_string(), None),
    ])
}

fn c(code: &str) -> Country {
    Country::parse(code).expect("country")
}

fn rights(id: &str, categories: &[&str], territory: &str) -> RightsSet {
    RightsSet {
        id: id.into(),
        properties: vec!["team-kenya".into()],
        categories: categories.iter().map(|s| s.to_string()).collect(),
        territory: Territory::parse(territory).expect("territory"),
        channels: vec![Channel::Online],
        start: date!(2026 - 01 - 01),
        end: date!(2027 - 01 - 01),
        selloff_end: Some(date!(2027 - 04 - 01)),
        royalty_bp: 1000,
        exclusive: false,
    }
}

fn agreement(id: &str, status: AgreementStatus, rights: Vec<RightsSet>) -> Agreement {
    Agreement {
        id: id.into(),
        reference: format!("REF-{id}"),
        licensor_id: "nock".into(),
        licensee_id: "shop".into(),
        status,
        rights,
    }
}

fn offer(category: &str) -> Offer<'_> {
    Offer { property_id: "team-kenya", category, approved_at: Some(datetime!(2026-02-01 0:00 UTC)) }
}

const MID: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

#[test]
fn territory_text_round_trips() {
    for (text, shown) in [
        ("worldwide", "worldwide"),
        ("Worldwide except jp", "worldwide except JP"),
        ("worldwide except JP, CN", "worldwide except CN, JP"),
        ("KR, KE", "KE, KR"),
        ("kr ke kr", "KE, KR"),
    ] {
        let t = Territory::parse(text).expect(text);
        assert_eq!(t.to_string(), shown);
        assert_eq!(Territory::parse(&t.to_string()), Ok(t));
    }
    assert_eq!(Territory::parse(""), Err(TerritoryError::Empty));
    assert_eq!(Territory::parse("KR, XX"), Err(TerritoryError::Country("XX".into())));
}

#[test]
fn category_grants_cover_their_subtree_only() {
    let a = [agreement("a", AgreementStatus::Active, vec![rights("r", &["apparel"], "worldwide")])];
    assert!(sellable(offer("t-shirts"), &a, &tree(), c("FR"), MID).is_ok());
    assert!(sellable(offer("apparel"), &a, &tree(), c("FR"), MID).is_ok());
    assert_eq!(sellable(offer("pins"), &a, &tree(), c("FR"), MID), Err(NotSellable::NotLicensed));
    let narrow = [agreement("a", AgreementStatus::Active, vec![rights("r", &["caps"], "worldwide")])];
    assert_eq!(sellable(offer("apparel"), &narrow, &tree(), c("FR"), MID), Err(NotSellable::NotLicensed));
}

#[test]
fn worldwide_except_leaves_out_the_named_countries() {
    let a = [agreement("a", AgreementStatus::Active, vec![rights("r", &["apparel"], "worldwide except JP")])];
    assert_eq!(sellable(offer("caps"), &a, &tree(), c("JP"), MID), Err(NotSellable::Territory(c("JP"))));
    assert!(sellable(offer("caps"), &a, &tree(), c("KR"), MID).is_ok());
}

#[test]
fn term_boundaries_are_midnight_utc() {
    let mut r = rights("r", &["apparel"], "worldwide");
    r.selloff_end = None;
    let a = [agreement("a", AgreementStatus::Active, vec![r])];
    let at = |t| sellable(offer("caps"), &a, &tree(), c("FR"), t);
    assert_eq!(at(datetime!(2025-12-31 23:59:59.999999 UTC)), Err(NotSellable::NotYet(date!(2026 - 01 - 01))));
    assert!(at(datetime!(2026-01-01 0:00 UTC)).is_ok());
    assert!(at(datetime!(2026-12-31 23:59:59.999999 UTC)).is_ok());
    assert_eq!(at(datetime!(2027-01-01 0:00 UTC)), Err(NotSellable::Expired(date!(2027 - 01 - 01))));
}

#[test]
fn selloff_only_for_products_approved_before_the_end() {
    let a = [agreement("a", AgreementStatus::Active, vec![rights("r", &["apparel"], "worldwide")])];
    let in_selloff = datetime!(2027-02-01 0:00 UTC);
    assert!(sellable(offer("caps"), &a, &tree(), c("FR"), in_selloff).is_ok());
    let late = Offer { approved_at: Some(datetime!(2027-01-01 0:00 UTC)), ..offer("caps") };
    assert_eq!(sellable(late, &a, &tree(), c("FR"), in_selloff), Err(NotSellable::Expired(date!(2027 - 01 - 01))));
    assert_eq!(
        sellable(offer("caps"), &a, &tree(), c("FR"), datetime!(2027-04-01 0:00 UTC)),
        Err(NotSellable::Expired(date!(2027 - 04 - 01)))
    );
}

#[test]
fn suspension_and_missing_approval_take_a_product_off_sale() {
    for status in [AgreementStatus::Draft, AgreementStatus::Suspended, AgreementStatus::Terminated] {
        let a = [agreement("a", status, vec![rights("r", &["apparel"], "worldwide")])];
        assert_eq!(sellable(offer("caps"), &a, &tree(), c("FR"), MID), Err(NotSellable::AgreementInactive(status)));
    }
    let a = [agreement("a", AgreementStatus::Active, vec![rights("r", &["apparel"], "worldwide")])];
    let unapproved = Offer { approved_at: None, ..offer("caps") };
    assert_eq!(sellable(unapproved, &a, &tree(), c("FR"), MID), Err(NotSellable::NotApproved));
    let mut retail = rights("r", &["apparel"], "worldwide");
    retail.channels = vec![Channel::Retail];
    let a = [agreement("a", AgreementStatus::Active, vec![retail])];
    assert_eq!(sellable(offer("caps"), &a, &tree(), c("FR"), MID), Err(NotSellable::NotOnline));
}

#[test]
fn the_most_specific_rights_set_applies() {
    let mut broad = rights("broad", &["apparel"], "worldwide");
    broad.royalty_bp = 1500;
    let mut explicit = rights("explicit", &["apparel"], "KE, KR");
    explicit.royalty_bp = 800;
    let mut narrow = rights("narrow", &["caps"], "KE, KR");
    narrow.royalty_bp = 500;
    let a = [agreement("a", AgreementStatus::Active, vec![broad.clone(), explicit.clone(), narrow.clone()])];
    let chosen = |cat, country| sellable(offer(cat), &a, &tree(), c(country), MID).map(|c| c.rights.id.clone());
    assert_eq!(chosen("caps", "KR"), Ok("narrow".into()), "narrower category wins");
    assert_eq!(chosen("t-shirts", "KR"), Ok("explicit".into()), "explicit list beats worldwide");
    assert_eq!(chosen("t-shirts", "FR"), Ok("broad".into()));
    let mut rich = explicit.clone();
    rich.id = "rich".into();
    rich.royalty_bp = 900;
    let a = [agreement("a", AgreementStatus::Active, vec![explicit, rich])];
    assert_eq!(sellable(offer("caps"), &a, &tree(), c("KE"), MID).map(|c| c.rights.id.as_str()), Ok("rich"));
}

#[test]
fn exclusivity_is_checked_both_ways_and_names_the_agreement() {
    let mut exclusive = rights("x", &["apparel"], "KR");
    exclusive.exclusive = true;
    let held = [agreement("held", AgreementStatus::Active, vec![exclusive.clone()])];
    let newcomer = rights("n", &["caps"], "worldwide except JP");
    let conflict = exclusivity_conflict(&newcomer, "new", &held, &tree()).expect("conflict");
    assert_eq!(conflict.agreement_reference, "REF-held");
    assert!(conflict.existing_is_exclusive);
    assert!(conflict.to_string().contains("REF-held"));
    // The other direction: an exclusive grant over an ordinary one.
    let ordinary = [agreement("plain", AgreementStatus::Active, vec![rights("p", &["caps"], "KR, KE")])];
    let conflict = exclusivity_conflict(&exclusive, "new", &ordinary, &tree()).expect("conflict");
    assert_eq!((conflict.agreement_reference.as_str(), conflict.existing_is_exclusive), ("REF-plain", false));
    // No overlap in territory, category or term, or an inactive agreement: no conflict.
    assert_eq!(exclusivity_conflict(&rights("n", &["caps"], "JP"), "new", &held, &tree()), None);
    assert_eq!(exclusivity_conflict(&rights("n", &["pins"], "KR"), "new", &held, &tree()), None);
    let mut later = rights("n", &["caps"], "KR");
    later.start = date!(2027 - 01 - 01);
    later.end = date!(2028 - 01 - 01);
    assert_eq!(exclusivity_conflict(&later, "new", &held, &tree()), None);
    let suspended = [agreement("held", AgreementStatus::Suspended, vec![exclusive.clone()])];
    assert_eq!(exclusivity_conflict(&newcomer, "new", &suspended, &tree()), None);
    assert_eq!(
        exclusivity_conflict(&newcomer, "held", &held, &tree()),
        None,
        "an agreement never conflicts with itself"
    );
}

#[test]
fn status_changes_follow_the_lifecycle() {
    use AgreementStatus::*;
    let allowed =
        [(Draft, Active), (Active, Suspended), (Suspended, Active), (Active, Terminated), (Suspended, Terminated)];
    for from in AgreementStatus::ALL {
        for to in AgreementStatus::ALL {
            let r = from.change_to(to);
            assert_eq!(r.is_ok(), allowed.contains(&(from, to)), "{from:?} → {to:?}");
            if let Err(e) = r {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

fn arb_territory() -> impl Strategy<Value = Territory> {
    let codes = ["KR", "JP", "KE", "FR", "US"];
    (any::<bool>(), proptest::sample::subsequence(codes.to_vec(), 0..=3)).prop_map(|(ww, list)| {
        let list: Vec<Country> = list.iter().map(|s| c(s)).collect();
        if ww || list.is_empty() {
            Territory::WorldwideExcept(list)
        } else {
            Territory::Only(list)
        }
    })
}

fn arb_rights() -> impl Strategy<Value = RightsSet> {
    (
        proptest::sample::select(vec!["apparel", "caps", "t-shirts", "pins"]),
        arb_territory(),
        0i64..40,
        1i64..30,
        proptest::option::of(1i64..20),
        any::<bool>(),
        0u32..3000,
        any::<bool>(),
    )
        .prop_map(|(cat, territory, start, len, selloff, online, bp, prop)| {
            let base = date!(2026 - 01 - 01);
            let start = base + time::Duration::days(start);
            let end = start + time::Duration::days(len);
            RightsSet {
                id: format!("r{bp}"),
                properties: vec![if prop { "team-kenya" } else { "other" }.into()],
                categories: vec![cat.into()],
                territory,
                channels: if online { vec![Channel::Online] } else { vec![Channel::Retail] },
                start,
                end,
                selloff_end: selloff.map(|d| end + time::Duration::days(d)),
                royalty_bp: bp,
                exclusive: false,
            }
        })
}

fn arb_status() -> impl Strategy<Value = AgreementStatus> {
    proptest::sample::select(AgreementStatus::ALL.to_vec())
}

proptest! {
    #[test]
    fn windows_agree_with_the_predicate(
        sets in proptest::collection::vec((arb_status(), arb_rights()), 0..4),
        cat in proptest::sample::select(vec!["apparel", "caps", "t-shirts", "pins"]),
        approved in proptest::option::of(0i64..90),
        at_minutes in 0i64..(90 * 24 * 60),
        country in proptest::sample::select(vec!["KR", "JP", "KE", "FR", "US", "GB"]),
    ) {
        let agreements: Vec<Agreement> =
            sets.into_iter().enumerate().map(|(i, (s, r))| agreement(&i.to_string(), s, vec![r])).collect();
        let base = datetime!(2026-01-01 0:00 UTC);
        let offer = Offer {
            property_id: "team-kenya",
            category: cat,
            approved_at: approved.map(|d| base + time::Duration::days(d)),
        };
        let at = base + time::Duration::minutes(at_minutes);
        let country = c(country);
        let verdict = sellable(offer, &agreements, &tree(), country, at);
        let windows = sale_windows(offer, &agreements, &tree());
        prop_assert_eq!(verdict.is_ok(), windows.iter().any(|w| w.covers(country, micros(at))));
        if let Ok(cover) = verdict {
            // The chosen set really covers the sale.
            prop_assert_eq!(cover.agreement.status, AgreementStatus::Active);
            prop_assert!(cover.rights.territory.covers(country));
            prop_assert!(at >= day_start(cover.rights.start));
            prop_assert!(tree().is_within(cat, &cover.rights.categories[0]));
            prop_assert!(cover.rights.channels.contains(&Channel::Online));
        }
    }

    #[test]
    fn suspending_any_agreement_never_adds_a_sale(
        sets in proptest::collection::vec(arb_rights(), 1..4),
        at_minutes in 0i64..(90 * 24 * 60),
        country in proptest::sample::select(vec!["KR", "JP", "KE", "FR"]),
        which in 0usize..4,
    ) {
        let mut agreements: Vec<Agreement> =
            sets.into_iter().enumerate().map(|(i, r)| agreement(&i.to_string(), AgreementStatus::Active, vec![r])).collect();
        let at = datetime!(2026-01-01 0:00 UTC) + time::Duration::minutes(at_minutes);
        let before = sellable(offer("caps"), &agreements, &tree(), c(country), at).is_ok();
        let n = agreements.len();
        agreements[which % n].status = AgreementStatus::Suspended;
        let after = sellable(offer("caps"), &agreements, &tree(), c(country), at).is_ok();
        prop_assert!(before || !after);
        for a in &mut agreements { a.status = AgreementStatus::Suspended; }
        prop_assert!(sellable(offer("caps"), &agreements, &tree(), c(country), at).is_err());
    }

    #[test]
    fn overlap_is_symmetric_and_exclusivity_is_checked_from_both_sides(a in arb_rights(), b in arb_rights()) {
        prop_assert_eq!(rights_overlap(&a, &b, &tree()), rights_overlap(&b, &a, &tree()));
        let mut a_ex = a.clone();
        a_ex.exclusive = true;
        let held_plain = [agreement("held", AgreementStatus::Active, vec![b.clone()])];
        let held_ex = [agreement("held", AgreementStatus::Active, vec![a_ex.clone()])];
        let overlap = rights_overlap(&a, &b, &tree());
        prop_assert_eq!(exclusivity_conflict(&a_ex, "new", &held_plain, &tree()).is_some(), overlap);
        prop_assert_eq!(exclusivity_conflict(&b, "new", &held_ex, &tree()).is_some(), overlap);
    }
}
