//! Asking for authenticity codes (DESIGN §3.4). A merchant cannot ship a unit without a code,
//! and only the licensor issues codes; so the merchant asks, from the product or from an order
//! that lacks them, and the request lands in the licensor's queue with the quantity needed.
//! Issuing codes for that variant to that shop answers it: fulfilled when the batch covers what
//! was asked, or left open for the rest.
//!
//! The shortfall of a variant is what the merchant can be asked to ship that it has no code for:
//! the units on hand plus the units sold and not shipped yet, minus the codes issued to the shop
//! for that variant and not yet on a unit. Shown on the product and the order before a fan pays.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::catalogue::ProductRecord;
use crate::licensing::{self, ActingUser, CodeBatch, LicensingError, LicensingResult};
use crate::ports::StoreResult;
use crate::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Open,
    Fulfilled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Fulfilled => "fulfilled",
        }
    }

    pub fn parse(s: &str) -> Option<RequestStatus> {
        match s {
            "open" => Some(RequestStatus::Open),
            "fulfilled" => Some(RequestStatus::Fulfilled),
            _ => None,
        }
    }
}

/// A merchant's request for codes for one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub id: String,
    pub licensor_id: String,
    pub shop_id: String,
    pub product_id: String,
    pub variant_id: String,
    /// Codes still asked for.
    pub quantity: i64,
    /// Why, in the merchant's words or the order it is for ("Order PD-1234").
    pub note: String,
    pub requested_by: String,
    pub status: RequestStatus,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    /// The batch that fulfilled it.
    pub batch_id: Option<String>,
}

/// Which requests to list: a licensor's queue or a shop's own, open ones only or all.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub licensor_id: Option<String>,
    pub shop_id: Option<String>,
    pub variant_id: Option<String>,
    pub open_only: bool,
}

#[async_trait]
pub trait CodeRequestStore: Send + Sync {
    /// Records the request, or, when the shop already has one open for the variant, raises that
    /// one's quantity to this one's (one open request per variant). Returns the open request.
    async fn open_code_request(&self, r: &CodeRequest) -> StoreResult<CodeRequest>;
    /// Matching requests, open first, oldest first.
    async fn code_requests(&self, filter: &RequestFilter) -> StoreResult<Vec<CodeRequest>>;
    /// Sets what is still asked for; `Some((batch, at))` marks it fulfilled by that batch.
    async fn update_code_request(
        &self,
        id: &str,
        quantity: i64,
        fulfilled: Option<(&str, OffsetDateTime)>,
    ) -> StoreResult<()>;
    /// The shop's codes not yet on a unit, per variant: `(variant id, count)`.
    async fn free_code_counts(&self, shop_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// Units sold and not yet shipped (new or accepted consignments), per variant.
    async fn unshipped_units(&self, shop_id: &str) -> StoreResult<Vec<(String, i64)>>;
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("no such product or variant in this shop")]
    NotFound,
    #[error("ask for between 1 and {max} codes")]
    Quantity { max: i64 },
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// A variant that lacks codes: what the merchant may have to ship, what it has codes for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub unshipped: i64,
    pub free_codes: i64,
    /// Codes needed so every unit on hand or sold can ship.
    pub missing: i64,
    /// Codes already asked for and not yet issued.
    pub requested: i64,
}

/// The shortfall of one variant from its counts (pure, for tests and callers with the numbers).
pub fn missing(on_hand: i64, unshipped: i64, free_codes: i64) -> i64 {
    (on_hand.max(0) + unshipped.max(0) - free_codes.max(0)).max(0)
}

/// Every variant of these products (all the shop's) that lacks codes, with what was asked.
pub async fn shortfalls(store: &dyn Store, shop_id: &str, products: &[ProductRecord]) -> StoreResult<Vec<Shortfall>> {
    let free = store.free_code_counts(shop_id).await?;
    let unshipped = store.unshipped_units(shop_id).await?;
    let open = store
        .code_requests(&RequestFilter { shop_id: Some(shop_id.to_string()), open_only: true, ..Default::default() })
        .await?;
    let count = |list: &[(String, i64)], id: &str| list.iter().find(|(v, _)| v == id).map_or(0, |(_, n)| *n);
    let mut out = Vec::new();
    for p in products.iter().filter(|p| p.shop.id == shop_id) {
        for v in &p.variants {
            let on_hand: i64 = v.stock.iter().map(|(_, n)| n).sum();
            let (unshipped, free_codes) = (count(&unshipped, &v.id), count(&free, &v.id));
            let missing = missing(on_hand, unshipped, free_codes);
            if missing == 0 {
                continue;
            }
            let requested = open.iter().filter(|r| r.variant_id == v.id).map(|r| r.quantity).sum();
            out.push(Shortfall {
                product_id: p.id.clone(),
                variant_id: v.id.clone(),
                sku: v.sku.clone(),
                on_hand,
                unshipped,
                free_codes,
                missing,
                requested,
            });
        }
    }
    Ok(out)
}

/// The merchant asks the product's licensor for `quantity` codes for one of its variants.
#[allow(clippy::too_many_arguments)]
pub async fn request_codes(
    store: &dyn Store,
    who: &ActingUser,
    shop_id: &str,
    product: &ProductRecord,
    sku: &str,
    quantity: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<CodeRequest, RequestError> {
    if product.shop.id != shop_id {
        return Err(RequestError::NotFound);
    }
    let Some(variant) = product.variants.iter().find(|v| v.sku == sku) else { return Err(RequestError::NotFound) };
    if !(1..=licensing::MAX_BATCH).contains(&quantity) {
        return Err(RequestError::Quantity { max: licensing::MAX_BATCH });
    }
    let request = CodeRequest {
        id: format!("cr_{}", crate::accounts::random_hex(10)),
        licensor_id: product.property.licensor_id.clone(),
        shop_id: shop_id.to_string(),
        product_id: product.id.clone(),
        variant_id: variant.id.clone(),
        quantity,
        note: note.trim().chars().take(200).collect(),
        requested_by: who.name.clone(),
        status: RequestStatus::Open,
        created_at: now,
        resolved_at: None,
        batch_id: None,
    };
    Ok(store.open_code_request(&request).await?)
}

/// Answers the shop's open requests for the batch's variant with the batch: each is fulfilled
/// while the batch covers it, and the last one it only partly covers keeps asking for the rest.
pub async fn answer_with(store: &dyn Store, batch: &CodeBatch, now: OffsetDateTime) -> StoreResult<usize> {
    let filter = RequestFilter {
        shop_id: Some(batch.shop.id.clone()),
        variant_id: Some(batch.variant_id.clone()),
        open_only: true,
        ..Default::default()
    };
    let mut left = batch.quantity;
    let mut fulfilled = 0;
    for r in store.code_requests(&filter).await? {
        if left <= 0 {
            break;
        }
        if r.quantity <= left {
            store.update_code_request(&r.id, r.quantity, Some((&batch.id, now))).await?;
            left -= r.quantity;
            fulfilled += 1;
        } else {
            store.update_code_request(&r.id, r.quantity - left, None).await?;
            left = 0;
        }
    }
    Ok(fulfilled)
}

/// The licensor issues codes (see [`licensing::issue_codes`]) and the shop's requests for that
/// variant are answered.
#[allow(clippy::too_many_arguments)]
pub async fn issue_codes(
    store: &dyn Store,
    who: &ActingUser,
    licensor_id: &str,
    product_slug: &str,
    sku: &str,
    quantity: i64,
    random: &mut (dyn FnMut() -> u64 + Send),
    now: OffsetDateTime,
) -> LicensingResult<CodeBatch> {
    let batch = licensing::issue_codes(store, who, licensor_id, product_slug, sku, quantity, random).await?;
    answer_with(store, &batch, now).await.map_err(LicensingError::Store)?;
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_missing_counts_stock_and_unshipped_sales_against_free_codes() {
        assert_eq!(missing(10, 2, 5), 7, "12 units may ship, 5 codes");
        assert_eq!(missing(3, 0, 5), 0, "more codes than units");
        assert_eq!(missing(0, 0, 0), 0);
        assert_eq!(missing(-1, 0, 0), 0, "a negative count never asks for codes");
    }

    #[test]
    fn statuses_read_back() {
        for s in [RequestStatus::Open, RequestStatus::Fulfilled] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestStatus::parse("closed"), None);
    }
}
