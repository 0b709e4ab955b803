//! What a merchant has to do now, for the shop console's home: parcels to fulfil, returns to
//! decide, variants short of authenticity codes, products waiting on the licensor or on the
//! merchant's revision, and money (a debt first).

use podium_domain::approval::Status;
use podium_domain::order::ConsignmentStatus;

use crate::catalogue::ProductRecord;
use crate::licensing::SubmissionFilter;
use crate::ports::StoreResult;
use crate::shop_money::{self, Standing};
use crate::Store;

#[derive(Debug, Clone, Default)]
pub struct ToDo {
    /// Paid parcels not shipped yet (new or accepted).
    pub to_fulfil: usize,
    /// Return requests waiting for the shop's decision.
    pub returns: i64,
    /// Variants with more units to ship than codes, and the codes they lack in all.
    pub short_variants: usize,
    pub codes_missing: i64,
    /// Submissions the licensor has to decide.
    pub awaiting_licensor: usize,
    /// Submissions sent back for the merchant to revise.
    pub to_revise: usize,
    pub money: Vec<Standing>,
}

impl ToDo {
    /// Whether nothing needs the merchant (money aside, unless owed).
    pub fn nothing(&self) -> bool {
        self.to_fulfil == 0
            && self.returns == 0
            && self.short_variants == 0
            && self.to_revise == 0
            && !self.money.iter().any(|s| s.owed().is_some())
    }
}

pub async fn to_do(store: &dyn Store, shop_id: &str, products: &[ProductRecord]) -> StoreResult<ToDo> {
    let parcels = store.shop_consignments(shop_id, 2_000).await?;
    let to_fulfil =
        parcels.iter().filter(|c| matches!(c.status, ConsignmentStatus::New | ConsignmentStatus::Accepted)).count();
    let returns = parcels.iter().map(|c| c.open_returns).sum();
    let short = crate::code_requests::shortfalls(store, shop_id, products).await?;
    let filter = SubmissionFilter { shop_id: Some(shop_id.to_string()), open_only: true, ..Default::default() };
    let subs = store.submissions(&filter).await?;
    Ok(ToDo {
        to_fulfil,
        returns,
        short_variants: short.len(),
        codes_missing: short.iter().map(|s| s.missing).sum(),
        awaiting_licensor: subs.iter().filter(|s| s.state.status == Status::Submitted).count(),
        to_revise: subs.iter().filter(|s| s.state.status == Status::NeedsRevision).count(),
        money: shop_money::standing(store, shop_id).await?,
    })
}

/// Which of a shop's parcels its orders list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    #[default]
    All,
    /// Paid and not shipped yet: to fulfil.
    Open,
    /// On their way or delivered.
    Shipped,
    /// With a return request to decide.
    Returns,
    /// Completed, cancelled or refunded.
    Closed,
}

impl Show {
    pub const ALL: [Show; 5] = [Show::All, Show::Open, Show::Shipped, Show::Returns, Show::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::Open => "open",
            Show::Shipped => "shipped",
            Show::Returns => "returns",
            Show::Closed => "closed",
        }
    }

    /// An unknown value shows everything.
    pub fn parse(s: &str) -> Show {
        Show::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or_default()
    }
}

/// Whether a parcel is listed for `show` and the search `q` (words found in its order number,
/// the addressee's name or the destination country code, in any case).
pub fn listed(c: &crate::orders::ShopConsignment, show: Show, q: &str) -> bool {
    let shown = match show {
        Show::All => true,
        Show::Open => matches!(c.status, ConsignmentStatus::New | ConsignmentStatus::Accepted),
        Show::Shipped => matches!(c.status, ConsignmentStatus::Shipped | ConsignmentStatus::Delivered),
        Show::Returns => c.open_returns > 0,
        Show::Closed => !matches!(
            c.status,
            ConsignmentStatus::New
                | ConsignmentStatus::Accepted
                | ConsignmentStatus::Shipped
                | ConsignmentStatus::Delivered
        ),
    };
    let haystack = format!("{} {} {}", c.order_number, c.ship_name, c.country).to_lowercase();
    shown && q.split_whitespace().all(|w| haystack.contains(&w.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel(status: ConsignmentStatus, returns: i64) -> crate::orders::ShopConsignment {
        crate::orders::ShopConsignment {
            id: "c1".into(),
            order_number: "PD-7K3M".into(),
            status,
            country: "KR".into(),
            currency: "KRW".into(),
            total: 35_000,
            units: 1,
            ship_name: "Kim Min-ji".into(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            open_returns: returns,
        }
    }

    #[test]
    fn parcels_are_listed_by_what_they_need_and_found_by_number_or_name() {
        let new = parcel(ConsignmentStatus::New, 0);
        let shipped = parcel(ConsignmentStatus::Shipped, 0);
        let returned = parcel(ConsignmentStatus::Delivered, 1);
        assert!(listed(&new, Show::Open, "") && !listed(&shipped, Show::Open, ""));
        assert!(listed(&shipped, Show::Shipped, "") && !listed(&new, Show::Shipped, ""));
        assert!(listed(&returned, Show::Returns, "") && !listed(&new, Show::Returns, ""));
        assert!(listed(&parcel(ConsignmentStatus::Completed, 0), Show::Closed, "") && !listed(&new, Show::Closed, ""));
        assert!(listed(&new, Show::All, "pd-7k3m") && listed(&new, Show::All, "min-ji kr"));
        assert!(!listed(&new, Show::All, "tanaka"));
        assert_eq!(Show::parse("nonsense"), Show::All);
    }
}
