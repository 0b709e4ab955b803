//! Licence agreements and their rights sets (DESIGN §3.2): what a licensee may sell, where, through
//! which channels and until when; the **sellable** predicate every storefront path applies; the
//! choice of rights set when several cover a sale; and the exclusivity check.

use std::fmt;

use time::{Date, OffsetDateTime, Time};

use crate::catalogue::CategoryTree;
use crate::Country;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Territory {
    /// Only these countries.
    Only(Vec<Country>),
    /// Everywhere but these countries (an empty list is worldwide).
    WorldwideExcept(Vec<Country>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryError {
    #[error("name at least one country, or write \"worldwide\" or \"worldwide except JP, CN\"")]
    Empty,
    #[error("{0:?} is not an ISO 3166-1 alpha-2 country code")]
    Country(String),
}

impl Territory {
    /// Reads `worldwide`, `worldwide except JP, CN` or a list such as `KR, KE`.
    pub fn parse(s: &str) -> Result<Territory, TerritoryError> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let (worldwide, list) = if let Some(rest) = lower.strip_prefix("worldwide") {
            let rest = rest.trim_start();
            let rest = rest.strip_prefix("except").map(str::trim_start).unwrap_or(rest);
            (true, &s[s.len() - rest.len()..])
        } else {
            (false, s)
        };
        let mut countries = Vec::new();
        for code in list.split([',', ' ', ';']).map(str::trim).filter(|c| !c.is_empty()) {
            let c = Country::parse(code).map_err(|_| TerritoryError::Country(code.to_string()))?;
            if !countries.contains(&c) {
                countries.push(c);
            }
        }
        countries.sort();
        match (worldwide, countries.is_empty()) {
            (true, _) => Ok(Territory::WorldwideExcept(countries)),
            (false, true) => Err(TerritoryError::Empty),
            (false, false) => Ok(Territory::Only(countries)),
        }
    }

    pub fn covers(&self, country: Country) -> bool {
        match self {
            Territory::Only(list) => list.contains(&country),
            Territory::WorldwideExcept(list) => !list.contains(&country),
        }
    }

    /// True when some country lies in both.
    pub fn overlaps(&self, other: &Territory) -> bool {
        match (self, other) {
            (Territory::Only(a), t) | (t, Territory::Only(a)) => a.iter().any(|c| t.covers(*c)),
            // Two exclusion lists can never exclude every country between them.
            (Territory::WorldwideExcept(_), Territory::WorldwideExcept(_)) => true,
        }
    }

    pub fn is_explicit(&self) -> bool {
        matches!(self, Territory::Only(_))
    }
}

impl fmt::Display for Territory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |l: &[Country]| l.iter().map(Country::code).collect::<Vec<_>>().join(", ");
        match self {
            Territory::Only(l) => f.write_str(&join(l)),
            Territory::WorldwideExcept(l) if l.is_empty() => f.write_str("worldwide"),
            Territory::WorldwideExcept(l) => write!(f, "worldwide except {}", join(l)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Online,
    Retail,
    Wholesale,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Online, Channel::Retail, Channel::Wholesale];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Retail => "retail",
            Channel::Wholesale => "wholesale",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgreementStatus {
    Draft,
    Active,
    Suspended,
    Terminated,
}

impl AgreementStatus {
    pub const ALL: [AgreementStatus; 4] =
        [AgreementStatus::Draft, AgreementStatus::Active, AgreementStatus::Suspended, AgreementStatus::Terminated];

    pub fn as_str(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "draft",
            AgreementStatus::Active => "active",
            AgreementStatus::Suspended => "suspended",
            AgreementStatus::Terminated => "terminated",
        }
    }

    pub fn parse(s: &str) -> Option<AgreementStatus> {
        AgreementStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether a licensor may move an agreement from this status to `to`.
    pub fn change_to(self, to: AgreementStatus) -> Result<AgreementStatus, StatusChangeError> {
        use AgreementStatus::*;
        match (self, to) {
            (Draft, Active) | (Active, Suspended) | (Suspended, Active) | (Active | Suspended, Terminated) => Ok(to),
            (Terminated, _) => Err(StatusChangeError::Terminated),
            (from, to) if from == to => Err(StatusChangeError::Already(to)),
            (from, to) => Err(StatusChangeError::Illegal { from, to }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusChangeError {
    #[error("a terminated agreement is closed; grant a new one instead")]
    Terminated,
    #[error("the agreement is already {}", .0.as_str())]
    Already(AgreementStatus),
    #[error("a {} agreement cannot become {}", .from.as_str(), .to.as_str())]
    Illegal { from: AgreementStatus, to: AgreementStatus },
}

/// One grant inside an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsSet {
    pub id: String,
    /// Property ids.
    pub properties: Vec<String>,
    /// Category slugs; each covers its subtree.
    pub categories: Vec<String>,
    pub territory: Territory,
    pub channels: Vec<Channel>,
    /// First day of the term (from 00:00 UTC).
    pub start: Date,
    /// The day the term ends (at 00:00 UTC, exclusive).
    pub end: Date,
    /// The day the sell-off period ends (exclusive), for products approved before `end`.
    pub selloff_end: Option<Date>,
    /// Basis points of net sales.
    pub royalty_bp: u32,
    pub exclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightsSetError {
    #[error("name at least one property")]
    NoProperty,
    #[error("name at least one category")]
    NoCategory,
    #[error("{0:?} is not a category")]
    UnknownCategory(String),
    #[error("grant at least one channel")]
    NoChannel,
    #[error("the term must end after it starts")]
    Term,
    #[error("the sell-off period must end after the term")]
    Selloff,
    #[error("a royalty rate is between 0 and 100%")]
    Rate,
}

impl RightsSet {
    /// Checks the grant on its own (the exclusivity check needs the others: [`exclusivity_conflict`]).
    pub fn validate(&self, tree: &CategoryTree) -> Result<(), RightsSetError> {
        if self.properties.is_empty() {
            return Err(RightsSetError::NoProperty);
        }
        if self.categories.is_empty() {
            return Err(RightsSetError::NoCategory);
        }
        if let Some(c) = self.categories.iter().find(|c| !tree.contains(c)) {
            return Err(RightsSetError::UnknownCategory(c.clone()));
        }
        if self.channels.is_empty() {
            return Err(RightsSetError::NoChannel);
        }
        if self.end <= self.start {
            return Err(RightsSetError::Term);
        }
        if self.selloff_end.is_some_and(|s| s <= self.end) {
            return Err(RightsSetError::Selloff);
        }
        if self.royalty_bp > 10_000 {
            return Err(RightsSetError::Rate);
        }
        Ok(())
    }

    /// The deepest granted category that covers `category`, as its depth (root = 1); 0 when none does.
    fn category_depth(&self, tree: &CategoryTree, category: &str) -> usize {
        self.depth_in_path(&tree.path(category))
    }

    /// Like `category_depth`, given the category's path from the root.
    fn depth_in_path(&self, path: &[String]) -> usize {
        self.categories.iter().filter_map(|g| path.iter().position(|p| p == g).map(|i| i + 1)).max().unwrap_or(0)
    }

    fn categories_overlap(&self, other: &RightsSet, tree: &CategoryTree) -> bool {
        self.categories
            .iter()
            .any(|a| other.categories.iter().any(|b| tree.is_within(a, b) || tree.is_within(b, a) || a == b))
    }
}

/// Midnight UTC at the start of `d`.
pub fn day_start(d: Date) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_utc()
}

/// An agreement as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: String,
    /// A human reference, such as "KEN-2026-003", used when naming conflicts.
    pub reference: String,
    pub licensor_id: String,
    pub licensee_id: String,
    pub status: AgreementStatus,
    pub rights: Vec<RightsSet>,
}

/// What the predicate needs to know of a product.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    pub property_id: &'a str,
    pub category: &'a str,
    /// When the product was first approved at the final stage; `None` when it never was.
    pub approved_at: Option<OffsetDateTime>,
}

/// Why a product is not offered; earlier variants are further from being sellable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotSellable {
    /// The product has not passed the licensor's final approval.
    NotApproved,
    /// No rights set of the merchant's agreements covers the property and category.
    NotLicensed,
    /// The agreement that covers it is not active (draft, suspended or terminated).
    AgreementInactive(AgreementStatus),
    /// Online sales are not granted.
    NotOnline,
    /// The term has not started yet.
    NotYet(Date),
    /// The term (and any sell-off period this product qualifies for) is over.
    Expired(Date),
    /// Every covering grant excludes the destination country.
    Territory(Country),
}

/// Who the rights set chosen for a sale belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cover<'a> {
    pub agreement: &'a Agreement,
    pub rights: &'a RightsSet,
}

/// The sellable predicate of DESIGN §3.2: whether `offer` may be sold online to `country` at `at`
/// under the licensee's `agreements`, and if so under which rights set (the most specific: an
/// explicit territory list over "worldwide except", a narrower category over a broader one, then
/// the highest rate). Otherwise the reason closest to success.
pub fn sellable<'a>(
    offer: Offer<'_>,
    agreements: &'a [Agreement],
    tree: &CategoryTree,
    country: Country,
    at: OffsetDateTime,
) -> Result<Cover<'a>, NotSellable> {
    let Some(approved_at) = offer.approved_at else { return Err(NotSellable::NotApproved) };
    let mut best: Option<(Cover<'a>, (bool, usize, u32))> = None;
    let mut closest = NotSellable::NotLicensed;
    for agreement in agreements {
        for rights in &agreement.rights {
            if !rights.properties.iter().any(|p| p == offer.property_id) {
                continue;
            }
            let depth = rights.category_depth(tree, offer.category);
            if depth == 0 {
                continue;
            }
            let failure = if agreement.status != AgreementStatus::Active {
                Some(NotSellable::AgreementInactive(agreement.status))
            } else if !rights.channels.contains(&Channel::Online) {
                Some(NotSellable::NotOnline)
            } else if at < day_start(rights.start) {
                Some(NotSellable::NotYet(rights.start))
            } else if at >= day_start(sale_until(rights, approved_at)) {
                Some(NotSellable::Expired(sale_until(rights, approved_at)))
            } else if !rights.territory.covers(country) {
                Some(NotSellable::Territory(country))
            } else {
                None
            };
            match failure {
                Some(f) => closest = closest.max(f),
                None => {
                    let rank = (rights.territory.is_explicit(), depth, rights.royalty_bp);
                    if best.as_ref().is_none_or(|(_, r)| rank > *r) {
                        best = Some((Cover { agreement, rights }, rank));
                    }
                }
            }
        }
    }
    best.map(|(c, _)| c).ok_or(closest)
}

/// When sales under `rights` stop for a product approved at `approved_at`: the end of the
/// sell-off period if the product was approved before the term ended, else the term's end.
fn sale_until(rights: &RightsSet, approved_at: OffsetDateTime) -> Date {
    match rights.selloff_end {
        Some(s) if approved_at < day_start(rights.end) => s,
        _ => rights.end,
    }
}

/// A stretch of time and a territory where a product may be sold; what the search index keeps
/// so that terms and sell-off periods are checked at query time without any event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SaleWindow {
    pub territory: Territory,
    /// Microseconds since the Unix epoch, inclusive.
    pub from_us: i64,
    /// Microseconds since the Unix epoch, exclusive.
    pub until_us: i64,
}

impl SaleWindow {
    pub fn open(&self, at_us: i64) -> bool {
        self.from_us <= at_us && at_us < self.until_us
    }

    pub fn covers(&self, country: Country, at_us: i64) -> bool {
        self.open(at_us) && self.territory.covers(country)
    }
}

pub fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// Every window in which [`sellable`] could say yes: `sellable(..., c, t).is_ok()` exactly when
/// some window covers `c` at `t` (a property test holds the two together).
pub fn sale_windows(offer: Offer<'_>, agreements: &[Agreement], tree: &CategoryTree) -> Vec<SaleWindow> {
    sale_windows_in_path(offer, agreements, &tree.path(offer.category))
}

/// [`sale_windows`] given the product category's path from the root (as the search index holds it).
pub fn sale_windows_in_path(offer: Offer<'_>, agreements: &[Agreement], path: &[String]) -> Vec<SaleWindow> {
    let Some(approved_at) = offer.approved_at else { return Vec::new() };
    let mut out = Vec::new();
    for agreement in agreements.iter().filter(|a| a.status == AgreementStatus::Active) {
        for rights in &agreement.rights {
            if rights.properties.iter().any(|p| p == offer.property_id)
                && rights.depth_in_path(path) > 0
                && rights.channels.contains(&Channel::Online)
            {
                let window = SaleWindow {
                    territory: rights.territory.clone(),
                    from_us: micros(day_start(rights.start)),
                    until_us: micros(day_start(sale_until(rights, approved_at))),
                };
                if window.from_us < window.until_us && !out.contains(&window) {
                    out.push(window);
                }
            }
        }
    }
    out
}

/// A refusal to grant: the rights set would overlap an exclusive one, or is exclusive and would
/// overlap another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub agreement_id: String,
    pub agreement_reference: String,
    pub rights_set_id: String,
    /// True when the existing set is the exclusive one.
    pub existing_is_exclusive: bool,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.existing_is_exclusive {
            write!(f, "it overlaps an exclusive grant of agreement {}", self.agreement_reference)
        } else {
            write!(f, "an exclusive grant cannot overlap agreement {}", self.agreement_reference)
        }
    }
}

/// Whether two grants share a property, a category (one within the other), a country and a day.
pub fn rights_overlap(a: &RightsSet, b: &RightsSet, tree: &CategoryTree) -> bool {
    a.properties.iter().any(|p| b.properties.contains(p))
        && a.categories_overlap(b, tree)
        && a.territory.overlaps(&b.territory)
        && a.start < b.end
        && b.start < a.end
}

/// The first active grant of another agreement that `candidate` (part of `candidate_agreement`)
/// may not coexist with: either side exclusive and the two overlapping.
pub fn exclusivity_conflict(
    candidate: &RightsSet,
    candidate_agreement: &str,
    others: &[Agreement],
    tree: &CategoryTree,
) -> Option<Conflict> {
    for agreement in others.iter().filter(|a| a.id != candidate_agreement && a.status == AgreementStatus::Active) {
        for existing in &agreement.rights {
            if (candidate.exclusive || existing.exclusive) && rights_overlap(candidate, existing, tree) {
                return Some(Conflict {
                    agreement_id: agreement.id.clone(),
                    agreement_reference: agreement.reference.clone(),
                    rights_set_id: existing.id.clone(),
                    existing_is_exclusive: existing.exclusive,
                });
            }
        }
    }
    None
}

#[cfg(test)]
#[path = "licensing_tests.rs"]
mod tests;
