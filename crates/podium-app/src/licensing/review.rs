//! Approval: a licensor's stages, a product submitted for review, a stage's decision and a
//! resubmission after changes were asked for.

use crate::catalogue::ProductRecord;
use crate::licensing::revisions::{with_live_trade, Proposal};
use crate::licensing::{
    audit, may_submit, tree, ActingUser, LicensingError, LicensingResult, NewAttachment, NewEvent, NewSubmission,
    SubmissionFilter, SubmissionKind, SubmissionRecord, Transition,
};
use crate::ports::{Store, StoreError, StoreResult};
use podium_domain::approval::{Action, Actor, Stages, Status};
use podium_domain::licensing::Agreement;
use time::OffsetDateTime;

/// The stages a licensor reviews new submissions in: its own, else the default four. A
/// submission keeps the stages it started with.
pub async fn stages_of(store: &dyn Store, licensor_id: &str) -> StoreResult<Stages> {
    Ok(store.approval_stages(licensor_id).await?.unwrap_or_default())
}

/// The most stages a licensor may set.
pub const MAX_STAGES: usize = 8;

/// Sets a licensor's stages from a list such as `design, colour-proof, final` (lowercase
/// letters, digits and hyphens; one to eight, no repeats). Submissions already open keep theirs.
pub async fn set_stages(store: &dyn Store, who: &ActingUser, licensor_id: &str, text: &str) -> LicensingResult<Stages> {
    let names: Vec<String> =
        text.split([',', ' ', '\n', '\r', ';']).map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    if names.is_empty() || names.len() > MAX_STAGES {
        return Err(LicensingError::Invalid(format!(
            "name between 1 and {MAX_STAGES} stages, the last one being final"
        )));
    }
    if let Some(bad) = names.iter().find(|n| podium_domain::catalogue::validate_slug(n).is_err() || n.len() > 40) {
        return Err(LicensingError::Invalid(format!(
            "{bad:?} cannot be a stage: use lowercase letters, digits and hyphens"
        )));
    }
    let stages = Stages::new(names).ok_or_else(|| LicensingError::Invalid("each stage may appear only once".into()))?;
    let entry = audit(licensor_id, who, "approval.stages", "", stages.names().join(" → "));
    store.set_approval_stages(licensor_id, &stages, entry).await?;
    Ok(stages)
}

/// Submits a product for approval at the first stage. Refused when no active rights set of the
/// shop covers the product's property and category, or when it already has an open submission.
pub async fn submit_product(
    store: &dyn Store,
    who: &ActingUser,
    shop_id: &str,
    product: &ProductRecord,
    comment: &str,
) -> LicensingResult<SubmissionRecord> {
    if product.shop.id != shop_id {
        return Err(LicensingError::NotFound);
    }
    if product.approved_at.is_some() {
        return Err(LicensingError::Invalid(
            "this product is already approved; edits to it are sent as revisions".into(),
        ));
    }
    let tree = tree(store).await?;
    let agreements: Vec<Agreement> = product.agreements.clone();
    if !may_submit(&agreements, &product.property.id, &product.category_slug, &tree) {
        return Err(LicensingError::Invalid(format!(
            "none of your active licences covers {} in this category",
            product.property.name
        )));
    }
    let open = store
        .submissions(&SubmissionFilter { product_id: Some(product.id.clone()), open_only: true, ..Default::default() })
        .await?;
    let waiting = || LicensingError::Invalid("this product is already waiting for the licensor".into());
    if !open.is_empty() {
        return Err(waiting());
    }
    // Two clicks at once: the database keeps one open submission per product.
    let created = store
        .create_submission(NewSubmission {
            product_id: product.id.clone(),
            shop_id: shop_id.to_string(),
            licensor_id: product.property.licensor_id.clone(),
            kind: SubmissionKind::New,
            stages: stages_of(store, &product.property.licensor_id).await?,
            stage: 0,
            proposal: None,
            event: NewEvent {
                action: "submitted".into(),
                actor_name: who.name.clone(),
                comment: comment.trim().to_string(),
                attachments: Vec::new(),
            },
            at: OffsetDateTime::now_utc(),
        })
        .await;
    match created {
        Err(StoreError::Conflict { .. }) => Err(waiting()),
        other => Ok(other?),
    }
}

/// A licensor decides a submission waiting at its current stage.
pub async fn decide(
    store: &dyn Store,
    who: &ActingUser,
    licensor_id: &str,
    submission_id: &str,
    action: Action,
    comment: &str,
    attachments: Vec<NewAttachment>,
) -> LicensingResult<SubmissionRecord> {
    let sub = match store.submission(submission_id).await? {
        Some(s) if s.licensor_id == licensor_id => s,
        _ => return Err(LicensingError::NotFound),
    };
    let to = sub.state.apply(action, Actor::Licensor, &sub.stages)?;
    let comment = comment.trim();
    if matches!(action, Action::RequestRevision | Action::Reject) && comment.is_empty() {
        return Err(LicensingError::Invalid("say what must change (or why it is rejected) in the comment".into()));
    }
    // A revision approved at Final replaces the approved version; apply it first so a crash in
    // between leaves the submission waiting (approving again re-applies the same proposal).
    let product = store.products_by_ids(std::slice::from_ref(&sub.product_id)).await?;
    if to.status == Status::Approved && sub.kind == SubmissionKind::Revision {
        if let (Some(json), Some(live)) = (&sub.proposal, product.first()) {
            let proposal = Proposal::from_json(json).map_err(LicensingError::Invalid)?;
            store.save_products(&sub.shop.id, vec![with_live_trade(proposal.0, live)], &|_| {}).await?;
        }
    }
    let title = product.first().map(|p| p.handle.clone()).unwrap_or_default();
    let entry = audit(
        licensor_id,
        who,
        &format!("submission.{}", action.as_str()),
        &format!("{} · {}", title, sub.stage_name()),
        comment.to_string(),
    );
    let event =
        NewEvent { action: action.as_str().into(), actor_name: who.name.clone(), comment: comment.into(), attachments };
    let step =
        Transition { from: sub.state, to, event, proposal: None, audit: Some(entry), at: OffsetDateTime::now_utc() };
    if !store.transition_submission(&sub.id, step).await? {
        return Err(LicensingError::Stale);
    }
    store.submission(&sub.id).await?.ok_or(LicensingError::NotFound)
}

/// The merchant resubmits a submission the licensor sent back, optionally with a new proposal.
pub async fn resubmit(
    store: &dyn Store,
    who: &ActingUser,
    shop_id: &str,
    submission_id: &str,
    comment: &str,
    proposal: Option<String>,
) -> LicensingResult<SubmissionRecord> {
    let sub = match store.submission(submission_id).await? {
        Some(s) if s.shop.id == shop_id => s,
        _ => return Err(LicensingError::NotFound),
    };
    let to = sub.state.apply(Action::Resubmit, Actor::Licensee, &sub.stages)?;
    let event = NewEvent {
        action: "resubmitted".into(),
        actor_name: who.name.clone(),
        comment: comment.trim().into(),
        attachments: Vec::new(),
    };
    let proposal = proposal.map(Some);
    let step = Transition { from: sub.state, to, event, proposal, audit: None, at: OffsetDateTime::now_utc() };
    if !store.transition_submission(&sub.id, step).await? {
        return Err(LicensingError::Stale);
    }
    store.submission(&sub.id).await?.ok_or(LicensingError::NotFound)
}
