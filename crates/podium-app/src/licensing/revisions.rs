//! Revisions of approved products: what an edit proposes, whether it needs the licensor's review
//! (price and stock alone do not), and the proposal that goes live once approved.

use crate::catalogue::{NewProduct, ProductRecord};
use crate::licensing::review::stages_of;
use crate::licensing::{
    ActingUser, NewEvent, NewSubmission, SubmissionFilter, SubmissionKind, SubmissionRecord, Transition,
};
use crate::ports::{Store, StoreError, StoreResult};
use podium_domain::approval::{State, Status};
use podium_domain::licensing::{self};
use podium_domain::Currency;
use time::OffsetDateTime;

/// A product as proposed in a revision: the whole product the merchant wants on sale once the
/// licensor approves, stored as JSON in the submission.
#[derive(Debug, Clone)]
pub struct Proposal(pub NewProduct);

#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct ProposalJson {
    pub(crate) shop_id: String,
    pub(crate) property_id: String,
    pub(crate) category: String,
    pub(crate) handle: String,
    pub(crate) fallback_lang: String,
    pub(crate) tags: Vec<String>,
    pub(crate) hs_code: String,
    pub(crate) origin: String,
    pub(crate) weight_grams: i64,
    pub(crate) live: bool,
    pub(crate) translations: Vec<(String, String, String)>,
    pub(crate) variants: Vec<VariantJson>,
    pub(crate) created_at: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct VariantJson {
    pub(crate) sku: String,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) gtin: Option<String>,
    pub(crate) price: (i64, String),
    pub(crate) explicit: Vec<(i64, String)>,
    pub(crate) stock: Vec<(String, i64)>,
}

impl Proposal {
    pub fn to_json(&self) -> String {
        use crate::catalogue::ProductStatus;
        let p = &self.0;
        let json = ProposalJson {
            shop_id: p.shop_id.clone(),
            property_id: p.property_id.clone(),
            category: p.category_slug.clone(),
            handle: p.handle.clone(),
            fallback_lang: p.fallback_lang.tag().into(),
            tags: p.tags.clone(),
            hs_code: p.hs_code.clone(),
            origin: p.origin_country.clone(),
            weight_grams: p.weight_grams,
            live: p.status == ProductStatus::Live,
            translations: p
                .translations
                .iter()
                .map(|t| (t.lang.tag().into(), t.title.clone(), t.description.clone()))
                .collect(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantJson {
                    sku: v.sku.clone(),
                    options: v.options.clone(),
                    gtin: v.gtin.clone(),
                    price: (v.price.minor, v.price.currency.code().into()),
                    explicit: v.explicit_prices.iter().map(|m| (m.minor, m.currency.code().into())).collect(),
                    stock: v.stock.clone(),
                })
                .collect(),
            created_at: licensing::micros(p.created_at),
        };
        serde_json::to_string(&json).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<Proposal, String> {
        use crate::catalogue::{NewVariant, ProductStatus, Translation};
        use podium_domain::{Lang, Money};
        let bad = || "the stored proposal cannot be read".to_string();
        let j: ProposalJson = serde_json::from_str(s).map_err(|_| bad())?;
        let money = |(minor, cur): (i64, String)| -> Result<Money, String> {
            Ok(Money::new(minor, Currency::parse(&cur).map_err(|_| bad())?))
        };
        let mut variants = Vec::with_capacity(j.variants.len());
        for v in j.variants {
            variants.push(NewVariant {
                sku: v.sku,
                options: v.options,
                gtin: v.gtin,
                price: money(v.price)?,
                explicit_prices: v.explicit.into_iter().map(money).collect::<Result<_, _>>()?,
                stock: v.stock,
            });
        }
        Ok(Proposal(NewProduct {
            shop_id: j.shop_id,
            property_id: j.property_id,
            category_slug: j.category,
            handle: j.handle,
            fallback_lang: Lang::from_tag(&j.fallback_lang).ok_or_else(bad)?,
            tags: j.tags,
            hs_code: j.hs_code,
            origin_country: j.origin,
            weight_grams: j.weight_grams,
            status: if j.live { ProductStatus::Live } else { ProductStatus::Draft },
            translations: j
                .translations
                .into_iter()
                .map(|(l, title, description)| {
                    Ok(Translation { lang: Lang::from_tag(&l).ok_or_else(bad)?, title, description })
                })
                .collect::<Result<_, String>>()?,
            variants,
            created_at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(j.created_at) * 1000)
                .map_err(|_| bad())?,
        }))
    }
}

/// Whether an edit touches what the licensor approved (title, description, category, property,
/// new variants, option values, GTINs); price and stock changes need no approval.
pub fn needs_review(approved: &ProductRecord, edit: &NewProduct) -> bool {
    let mut before: Vec<_> = approved.translations.iter().map(|t| (t.lang, &t.title, &t.description)).collect();
    let mut after: Vec<_> = edit.translations.iter().map(|t| (t.lang, &t.title, &t.description)).collect();
    before.sort_by_key(|t| t.0.tag());
    after.sort_by_key(|t| t.0.tag());
    before != after
        || approved.property.id != edit.property_id
        || approved.category_slug != edit.category_slug
        || edit
            .variants
            .iter()
            .any(|v| !approved.variants.iter().any(|a| a.sku == v.sku && a.options == v.options && a.gtin == v.gtin))
}

/// What is applied at once when an approved product is edited: the approved content with the
/// edit's prices, stock, status and removed variants.
pub fn price_and_stock_only(approved: &ProductRecord, edit: &NewProduct) -> NewProduct {
    let mut kept = proposal_from(approved);
    kept.variants.retain_mut(|v| match edit.variants.iter().find(|e| e.sku == v.sku) {
        Some(e) => {
            v.price = e.price;
            v.explicit_prices = e.explicit_prices.clone();
            v.stock = e.stock.clone();
            true
        }
        None => false,
    });
    kept.shop_id = edit.shop_id.clone();
    kept.tags = edit.tags.clone();
    kept.hs_code = edit.hs_code.clone();
    kept.origin_country = edit.origin_country.clone();
    kept.weight_grams = edit.weight_grams;
    kept.status = edit.status;
    kept
}

/// A proposal as it goes on sale: what the licensor approved (texts, category, property, new
/// variants) with the prices, stock, tags and status the shop has set since it was proposed.
pub fn with_live_trade(mut proposal: NewProduct, live: &ProductRecord) -> NewProduct {
    for v in &mut proposal.variants {
        if let Some(now) = live.variants.iter().find(|x| x.sku == v.sku) {
            v.price = now.price;
            v.explicit_prices = now.explicit_prices.clone();
            v.stock = now.stock.clone();
        }
    }
    proposal.tags = live.tags.clone();
    proposal.status = live.status;
    proposal.hs_code = live.hs_code.clone();
    proposal.origin_country = live.origin_country.clone();
    proposal.weight_grams = live.weight_grams;
    proposal
}

/// Saves a merchant's edit of products. Unapproved products change at once; for an approved
/// product, price and stock apply at once and any change the licensor must see becomes (or
/// updates) an open revision. `existing` holds the shop's products as they stand (callers have
/// them already). Returns how many revisions were opened or updated.
pub async fn save_with_review(
    store: &dyn Store,
    who: &ActingUser,
    shop_id: &str,
    products: Vec<NewProduct>,
    existing: &[ProductRecord],
    progress: &(dyn Fn(usize) + Sync),
) -> StoreResult<(Vec<ProductRecord>, usize)> {
    let mut apply = Vec::with_capacity(products.len());
    let mut revisions: Vec<(ProductRecord, NewProduct)> = Vec::new();
    for p in products {
        match existing.iter().find(|a| a.handle == p.handle && a.approved_at.is_some()) {
            Some(a) if needs_review(a, &p) => {
                apply.push(price_and_stock_only(a, &p));
                revisions.push((a.clone(), p));
            }
            _ => apply.push(p),
        }
    }
    let saved = store.save_products(shop_id, apply, progress).await?;
    let opened = revisions.len();
    for (approved, proposal) in revisions {
        open_revision(store, who, &approved, proposal).await?;
    }
    Ok((saved, opened))
}

pub(crate) async fn open_revision(
    store: &dyn Store,
    who: &ActingUser,
    approved: &ProductRecord,
    proposal: NewProduct,
) -> StoreResult<()> {
    let json = Proposal(proposal).to_json();
    let event = |action: &str| NewEvent {
        action: action.into(),
        actor_name: who.name.clone(),
        comment: String::new(),
        attachments: Vec::new(),
    };
    // Twice at most: when another save opens the revision between our read and our insert, the
    // second round finds it and updates it.
    for _ in 0..2 {
        let open = store
            .submissions(&SubmissionFilter {
                product_id: Some(approved.id.clone()),
                open_only: true,
                ..Default::default()
            })
            .await?;
        let step = |s: &SubmissionRecord, to: State, action: &str| Transition {
            from: s.state,
            to,
            event: event(action),
            proposal: Some(Some(json.clone())),
            audit: None,
            at: OffsetDateTime::now_utc(),
        };
        match open.into_iter().find(|s| s.kind == SubmissionKind::Revision) {
            // A revision sent back for changes is resubmitted with the new proposal; one still
            // waiting keeps its place and takes the newer proposal.
            Some(s) if s.state.status == Status::NeedsRevision => {
                if store.transition_submission(&s.id, step(&s, State::new(s.state.stage), "resubmitted")).await? {
                    return Ok(());
                }
            }
            Some(s) => {
                if store.transition_submission(&s.id, step(&s, s.state, "updated")).await? {
                    return Ok(());
                }
            }
            None => {
                let stages = stages_of(store, &approved.property.licensor_id).await?;
                let created = store
                    .create_submission(NewSubmission {
                        product_id: approved.id.clone(),
                        shop_id: approved.shop.id.clone(),
                        licensor_id: approved.property.licensor_id.clone(),
                        kind: SubmissionKind::Revision,
                        stage: stages.revision_start(),
                        stages,
                        proposal: Some(json.clone()),
                        event: event("submitted"),
                        at: OffsetDateTime::now_utc(),
                    })
                    .await;
                match created {
                    Err(StoreError::Conflict { .. }) => continue,
                    other => {
                        other?;
                        return Ok(());
                    }
                }
            }
        }
    }
    Err(StoreError::Backend("the revision kept changing while it was being saved; try again".into()))
}

/// The product as it stands, as a proposal (for a revision that changes only its images).
pub fn proposal_from(p: &ProductRecord) -> NewProduct {
    use crate::catalogue::{NewVariant, Translation};
    NewProduct {
        shop_id: p.shop.id.clone(),
        property_id: p.property.id.clone(),
        category_slug: p.category_slug.clone(),
        handle: p.handle.clone(),
        fallback_lang: p.fallback_lang,
        tags: p.tags.clone(),
        hs_code: p.hs_code.clone(),
        origin_country: p.origin_country.clone(),
        weight_grams: p.weight_grams,
        status: p.status,
        translations: p
            .translations
            .iter()
            .map(|t| Translation { lang: t.lang, title: t.title.clone(), description: t.description.clone() })
            .collect(),
        variants: p
            .variants
            .iter()
            .map(|v| NewVariant {
                sku: v.sku.clone(),
                options: v.options.clone(),
                gtin: v.gtin.clone(),
                price: v.price,
                explicit_prices: v.explicit_prices.clone(),
                stock: v.stock.clone(),
            })
            .collect(),
        created_at: p.created_at,
    }
}

/// Adds an image to a product. Before approval it is part of what the licensor reviews anyway;
/// on an approved product it waits, hidden from fans, in a revision (opened if none is open,
/// keeping any proposal already there) until the licensor approves it at Final.
pub async fn add_product_image(
    store: &dyn Store,
    who: &ActingUser,
    product: &ProductRecord,
    mut image: crate::catalogue::NewImage,
) -> StoreResult<crate::catalogue::ImageRef> {
    image.pending = product.approved_at.is_some();
    let added = store.add_image(image).await?;
    if added.pending {
        let open = store
            .submissions(&SubmissionFilter {
                product_id: Some(product.id.clone()),
                open_only: true,
                ..Default::default()
            })
            .await?;
        let proposal =
            match open.iter().find(|s| s.kind == SubmissionKind::Revision).and_then(|s| s.proposal.as_deref()) {
                Some(json) => Proposal::from_json(json).map(|p| p.0).unwrap_or_else(|_| proposal_from(product)),
                None => proposal_from(product),
            };
        open_revision(store, who, product, proposal).await?;
    }
    Ok(added)
}

/// Whether the product's Production stage is approved (codes may be issued from then on).
pub fn production_approved(subs: &[SubmissionRecord], product: &ProductRecord) -> bool {
    product.approved_at.is_some()
        || subs.iter().any(|s| {
            s.product_id == product.id
                && s.kind == SubmissionKind::New
                && (s.state.status == Status::Approved || s.state.stage > s.stages.production())
        })
}
