//! Authenticity codes issued by a licensor for a licensee's approved product, in batches of at
//! most [`MAX_BATCH`].

use crate::licensing::revisions::production_approved;
use crate::licensing::{audit, ActingUser, CodeBatch, LicensingError, LicensingResult, NewBatch, SubmissionFilter};
use crate::ports::{Store, StoreError};
use podium_domain::authenticity::Code;
use time::OffsetDateTime;

/// The most codes one batch may hold.
pub const MAX_BATCH: i64 = 10_000;

/// Issues `quantity` codes for a variant of a product of the licensor's, to its licensee.
pub async fn issue_codes(
    store: &dyn Store,
    who: &ActingUser,
    licensor_id: &str,
    product_slug: &str,
    sku: &str,
    quantity: i64,
    random: &mut (dyn FnMut() -> u64 + Send),
) -> LicensingResult<CodeBatch> {
    if !(1..=MAX_BATCH).contains(&quantity) {
        return Err(LicensingError::Invalid(format!("issue between 1 and {MAX_BATCH} codes at a time")));
    }
    let product = match store.product_by_slug(product_slug).await? {
        Some(p) if p.property.licensor_id == licensor_id => p,
        _ => return Err(LicensingError::Invalid(format!("{product_slug:?} is not a product under your properties"))),
    };
    let Some(variant) = product.variants.iter().find(|v| v.sku == sku) else {
        return Err(LicensingError::Invalid(format!("{} has no variant {sku:?}", product.slug)));
    };
    let subs =
        store.submissions(&SubmissionFilter { product_id: Some(product.id.clone()), ..Default::default() }).await?;
    if !production_approved(&subs, &product) {
        return Err(LicensingError::Invalid("codes are issued once the product's production stage is approved".into()));
    }
    let batch = NewBatch {
        licensor_id: licensor_id.to_string(),
        shop_id: product.shop.id.clone(),
        product_id: product.id.clone(),
        variant_id: variant.id.clone(),
        issued_by: who.name.clone(),
        at: OffsetDateTime::now_utc(),
    };
    let entry = audit(
        licensor_id,
        who,
        "codes.issue",
        &format!("{} {}", product.slug, variant.sku),
        format!("{quantity} codes to {}", product.shop.name),
    );
    // 60 random bits per code: a repeat is astronomically rare, and retried with fresh codes.
    for _ in 0..3 {
        let mut codes: Vec<String> = (0..quantity).map(|_| Code::from_random(random()).as_str().to_string()).collect();
        codes.sort();
        codes.dedup();
        if codes.len() as i64 != quantity {
            continue;
        }
        match store.issue_codes(batch.clone(), &codes, entry.clone()).await {
            Err(StoreError::Conflict { .. }) => continue,
            other => return Ok(other?),
        }
    }
    Err(LicensingError::Stale)
}
