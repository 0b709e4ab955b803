//! The licensing programme's use cases: agreements and rights sets, product submissions and the
//! licensor's decisions, authenticity codes and their verification, and the audit log.
//!
//! The rules themselves live in `podium_domain::{licensing, approval, authenticity}`; this module
//! loads what they need, applies them, and writes the outcome together with its audit entry.

use async_trait::async_trait;
use podium_domain::approval::{self, Stages, State};
use podium_domain::catalogue::CategoryTree;
use podium_domain::licensing::{self, Agreement, AgreementStatus, Offer, RightsSet};
use podium_domain::Currency;
use time::OffsetDateTime;

use crate::catalogue::ProductRecord;
use crate::ports::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// An agreement with its parties and money terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementRecord {
    pub terms: Agreement,
    pub licensor: OrgRef,
    pub licensee: OrgRef,
    pub royalty_currency: Currency,
    pub advance_minor: i64,
    pub minimum_guarantee_minor: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub reference: String,
    pub licensor_id: String,
    pub licensee_id: String,
    pub royalty_currency: Currency,
    pub advance_minor: i64,
    pub minimum_guarantee_minor: i64,
}

/// Written in the same transaction as the change it records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// The organisation whose log shows it (the licensor, for licensing actions).
    pub org_id: String,
    pub actor_name: String,
    /// A stable code such as `submission.approve` or `agreement.suspend`.
    pub action: String,
    /// What was acted on, as people read it ("KEN-2026-001", "Harambee cap at concept").
    pub subject: String,
    pub detail: String,
    /// Where the request came from: the client's address, or `cli`.
    pub client: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub entry: AuditEntry,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// A product never approved before.
    New,
    /// Changes to an approved product, reviewed while the approved version stays on sale.
    Revision,
}

impl SubmissionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::New => "new",
            SubmissionKind::Revision => "revision",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub id: String,
    pub filename: String,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionEvent {
    pub id: String,
    pub stage: usize,
    /// `submitted`, `resubmitted`, or a decision (`approve`, `needs_revision`, `reject`).
    pub action: String,
    pub actor_name: String,
    pub comment: String,
    pub created_at: OffsetDateTime,
    pub attachments: Vec<AttachmentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    pub id: String,
    pub product_id: String,
    pub product_slug: String,
    pub product_handle: String,
    pub shop: OrgRef,
    pub licensor_id: String,
    pub kind: SubmissionKind,
    pub stages: Stages,
    pub state: State,
    /// For a revision: the proposed product (see [`Proposal`]).
    pub proposal: Option<String>,
    /// Since when it has been in its current state (the queue's waiting time).
    pub waiting_since: OffsetDateTime,
    pub created_at: OffsetDateTime,
    /// Oldest first.
    pub events: Vec<SubmissionEvent>,
}

impl SubmissionRecord {
    pub fn stage_name(&self) -> &str {
        self.stages.name(self.state.stage)
    }
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: String,
    pub actor_name: String,
    pub comment: String,
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub product_id: String,
    pub shop_id: String,
    pub licensor_id: String,
    pub kind: SubmissionKind,
    pub stages: Stages,
    pub stage: usize,
    pub proposal: Option<String>,
    pub event: NewEvent,
    pub at: OffsetDateTime,
}

/// One step of a submission: from a state to another, recorded in its history.
#[derive(Debug, Clone)]
pub struct Transition {
    pub from: State,
    pub to: State,
    pub event: NewEvent,
    /// Replaces the stored proposal when given.
    pub proposal: Option<Option<String>>,
    /// The audit entry for a licensor's decision.
    pub audit: Option<AuditEntry>,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub licensor_id: Option<String>,
    pub shop_id: Option<String>,
    pub product_id: Option<String>,
    pub open_only: bool,
}

/// A stored attachment with the parties allowed to read it.
#[derive(Debug, Clone)]
pub struct AttachmentBlob {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub licensor_id: String,
    pub shop_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBatch {
    pub id: String,
    pub licensor_id: String,
    pub shop: OrgRef,
    pub product_id: String,
    pub product_slug: String,
    pub variant_id: String,
    pub variant_sku: String,
    pub quantity: i64,
    pub issued_by: String,
    pub created_at: OffsetDateTime,
    /// Codes of the batch verified at least once.
    pub verified: i64,
}

#[derive(Debug, Clone)]
pub struct NewBatch {
    pub licensor_id: String,
    pub shop_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub issued_by: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    pub code: String,
    pub batch_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub issued_at: OffsetDateTime,
    pub verifications: i64,
    pub first_verified_at: Option<OffsetDateTime>,
    pub first_country: Option<String>,
    /// Distinct countries it was verified from ("" for unknown is not counted).
    pub countries: i64,
    /// Distinct clients that verified it (each counted once however often it looked).
    pub clients: i64,
}

#[async_trait]
pub trait LicensingStore: Send + Sync {
    /// `Conflict { field: "reference" }` when the reference is taken.
    async fn create_agreement(&self, a: NewAgreement, audit: AuditEntry) -> StoreResult<AgreementRecord>;
    async fn agreement(&self, id: &str) -> StoreResult<Option<AgreementRecord>>;
    /// Agreements where the organisation is licensor or licensee, newest first, with rights sets.
    async fn agreements_of(&self, org_id: &str) -> StoreResult<Vec<AgreementRecord>>;
    /// Adds the rights set, or replaces the one with the same id in that agreement
    /// (`NotFound` when that id belongs to another agreement).
    async fn save_rights_set(&self, agreement_id: &str, rights: &RightsSet, audit: AuditEntry) -> StoreResult<()>;
    /// Moves the agreement from `from` to `to`; false when it was no longer `from`.
    async fn set_agreement_status(
        &self,
        id: &str,
        from: AgreementStatus,
        to: AgreementStatus,
        audit: AuditEntry,
    ) -> StoreResult<bool>;
    /// Every product of the shop under the licensor's properties (what an agreement change affects).
    async fn product_ids_under(&self, shop_id: &str, licensor_id: &str) -> StoreResult<Vec<String>>;

    async fn create_submission(&self, s: NewSubmission) -> StoreResult<SubmissionRecord>;
    async fn submission(&self, id: &str) -> StoreResult<Option<SubmissionRecord>>;
    /// Matching submissions, oldest waiting first, with their history.
    async fn submissions(&self, filter: &SubmissionFilter) -> StoreResult<Vec<SubmissionRecord>>;
    /// Moves a submission as `t` says, with its history entry; false when it had moved on from
    /// `t.from`. Reaching `Approved` marks the product approved (the first time) and tells other nodes.
    async fn transition_submission(&self, id: &str, t: Transition) -> StoreResult<bool>;
    async fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentBlob>>;
    /// Marks products approved at `at` without a submission history: for products whose
    /// approval happened outside Podium (generated benchmark catalogues).
    async fn mark_approved(&self, product_ids: &[String], at: OffsetDateTime) -> StoreResult<()>;

    /// Stores a batch with its codes in one transaction (`Conflict { field: "code" }` on the
    /// rare repeat, for the caller to retry with fresh codes).
    async fn issue_codes(&self, batch: NewBatch, codes: &[String], audit: AuditEntry) -> StoreResult<CodeBatch>;
    /// Batches issued by (licensor) or to (shop) the organisation, newest first.
    async fn code_batches(&self, org_id: &str) -> StoreResult<Vec<CodeBatch>>;
    async fn code_batch(&self, id: &str) -> StoreResult<Option<CodeBatch>>;
    /// The codes of a batch in issue order.
    async fn batch_codes(&self, batch_id: &str) -> StoreResult<Vec<CodeState>>;
    /// Counts a verification from `country` ("" when unknown) by `client` (a keyed hash of its
    /// address, "" when unknown: not counted as a client) and returns the code's state after it.
    async fn record_verification(
        &self,
        code: &str,
        country: &str,
        client: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Option<CodeState>>;

    /// The organisation's audit log, newest first.
    async fn audit_log(&self, org_id: &str, limit: i64) -> StoreResult<Vec<AuditRecord>>;

    /// A licensor's own approval stages (`None`: the default four).
    async fn approval_stages(&self, licensor_id: &str) -> StoreResult<Option<Stages>>;
    async fn set_approval_stages(&self, licensor_id: &str, stages: &Stages, audit: AuditEntry) -> StoreResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum LicensingError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// The refusal names the conflicting agreement.
    #[error("refused: {0}")]
    Conflict(String),
    #[error(transparent)]
    Transition(#[from] approval::TransitionError),
    #[error("{0}")]
    Status(#[from] licensing::StatusChangeError),
    #[error("someone else changed this meanwhile; reload and try again")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type LicensingResult<T> = Result<T, LicensingError>;

/// Who is acting, for the history and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ActingUser {
    pub name: String,
    /// Where the request came from, for the audit log.
    pub client: String,
}

pub(crate) async fn tree(store: &dyn Store) -> StoreResult<CategoryTree> {
    Ok(CategoryTree::new(store.categories().await?.into_iter().map(|c| (c.slug, c.parent))))
}

pub(crate) fn audit(org_id: &str, who: &ActingUser, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry {
        org_id: org_id.to_string(),
        actor_name: who.name.clone(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail,
        client: who.client.clone(),
    }
}

/// Checks `rights` against the licensor's other active agreements.
pub(crate) async fn check_exclusivity(
    store: &dyn Store,
    licensor_id: &str,
    agreement_id: &str,
    rights: &RightsSet,
    tree: &CategoryTree,
) -> LicensingResult<()> {
    let others: Vec<Agreement> = store
        .agreements_of(licensor_id)
        .await?
        .into_iter()
        .filter(|a| a.terms.licensor_id == licensor_id)
        .map(|a| a.terms)
        .collect();
    match licensing::exclusivity_conflict(rights, agreement_id, &others, tree) {
        Some(c) => Err(LicensingError::Conflict(c.to_string())),
        None => Ok(()),
    }
}

pub async fn create_agreement(
    store: &dyn Store,
    who: &ActingUser,
    new: NewAgreement,
) -> LicensingResult<AgreementRecord> {
    let reference = new.reference.trim().to_string();
    if reference.is_empty() || reference.len() > 40 {
        return Err(LicensingError::Invalid("give the agreement a reference of 1 to 40 characters".into()));
    }
    if new.advance_minor < 0 || new.minimum_guarantee_minor < 0 {
        return Err(LicensingError::Invalid("the advance and minimum guarantee cannot be negative".into()));
    }
    let entry = audit(&new.licensor_id, who, "agreement.create", &reference, String::new());
    match store.create_agreement(NewAgreement { reference, ..new }, entry).await {
        Err(StoreError::Conflict { .. }) => Err(LicensingError::Invalid("that reference is already used".into())),
        other => Ok(other?),
    }
}

/// An agreement the licensor owns, or `NotFound`.
pub async fn own_agreement(store: &dyn Store, licensor_id: &str, id: &str) -> LicensingResult<AgreementRecord> {
    match store.agreement(id).await? {
        Some(a) if a.terms.licensor_id == licensor_id => Ok(a),
        _ => Err(LicensingError::NotFound),
    }
}

/// Adds or edits a rights set; refused when it overlaps an exclusive grant (or is exclusive and
/// overlaps any) of an active agreement.
pub async fn grant_rights(
    store: &dyn Store,
    who: &ActingUser,
    licensor_id: &str,
    agreement_id: &str,
    rights: RightsSet,
) -> LicensingResult<()> {
    let agreement = own_agreement(store, licensor_id, agreement_id).await?;
    if agreement.terms.status == AgreementStatus::Terminated {
        return Err(LicensingError::Invalid("a terminated agreement cannot change".into()));
    }
    let tree = tree(store).await?;
    rights.validate(&tree).map_err(|e| LicensingError::Invalid(e.to_string()))?;
    let own: Vec<String> =
        store.properties().await?.into_iter().filter(|p| p.licensor_id == licensor_id).map(|p| p.id).collect();
    if rights.properties.iter().any(|p| !own.contains(p)) {
        return Err(LicensingError::Invalid("a rights set may only grant your own properties".into()));
    }
    check_exclusivity(store, licensor_id, agreement_id, &rights, &tree).await?;
    let detail = format!(
        "{} · {} · {} → {} · {} bp{}",
        rights.categories.join(" "),
        rights.territory,
        rights.start,
        rights.end,
        rights.royalty_bp,
        if rights.exclusive { " · exclusive" } else { "" }
    );
    let entry = audit(licensor_id, who, "agreement.rights", &agreement.terms.reference, detail);
    match store.save_rights_set(agreement_id, &rights, entry).await {
        // The id of a rights set of another agreement, sent back by a tampered form.
        Err(StoreError::NotFound(_)) => Err(LicensingError::NotFound),
        other => Ok(other?),
    }
}

pub async fn change_agreement_status(
    store: &dyn Store,
    who: &ActingUser,
    licensor_id: &str,
    agreement_id: &str,
    to: AgreementStatus,
) -> LicensingResult<()> {
    let agreement = own_agreement(store, licensor_id, agreement_id).await?;
    let from = agreement.terms.status;
    from.change_to(to)?;
    if to == AgreementStatus::Active {
        if agreement.terms.rights.is_empty() {
            return Err(LicensingError::Invalid("add a rights set before activating the agreement".into()));
        }
        let tree = tree(store).await?;
        for rights in &agreement.terms.rights {
            check_exclusivity(store, licensor_id, agreement_id, rights, &tree).await?;
        }
    }
    let action = match to {
        AgreementStatus::Active if from == AgreementStatus::Suspended => "agreement.reinstate",
        AgreementStatus::Active => "agreement.activate",
        AgreementStatus::Suspended => "agreement.suspend",
        AgreementStatus::Terminated => "agreement.terminate",
        AgreementStatus::Draft => "agreement.draft",
    };
    let entry = audit(licensor_id, who, action, &agreement.terms.reference, String::new());
    if !store.set_agreement_status(agreement_id, from, to, entry).await? {
        return Err(LicensingError::Stale);
    }
    if to == AgreementStatus::Active {
        // Signed: the advance is paid now (the hourly sweep posts it if this fails).
        let signed = AgreementRecord { terms: Agreement { status: to, ..agreement.terms }, ..agreement };
        crate::royalties::post_advance(store, &signed, time::OffsetDateTime::now_utc()).await?;
    }
    Ok(())
}

/// The agreements of a shop that the sellable predicate reads for `product`.
pub fn licences_for<'a>(product: &ProductRecord, agreements: &'a [AgreementRecord]) -> Vec<&'a Agreement> {
    agreements
        .iter()
        .filter(|a| a.terms.licensee_id == product.shop.id && a.terms.licensor_id == product.property.licensor_id)
        .map(|a| &a.terms)
        .collect()
}

/// Whether some rights set of the shop's active agreements covers the property and
/// category, whatever the territory and time: the condition for submitting a product.
pub fn may_submit(agreements: &[Agreement], property_id: &str, category: &str, tree: &CategoryTree) -> bool {
    agreements.iter().filter(|a| matches!(a.status, AgreementStatus::Active)).any(|a| {
        a.rights.iter().any(|r| {
            r.properties.iter().any(|p| p == property_id) && r.categories.iter().any(|c| tree.is_within(category, c))
        })
    })
}

/// Whether a product is on sale to `country` at `at`, and under which rights set.
pub fn offer_of(p: &ProductRecord) -> Offer<'_> {
    Offer { property_id: &p.property.id, category: &p.category_slug, approved_at: p.approved_at }
}
mod codes;
mod review;
mod revisions;

pub use codes::*;
pub use review::*;
pub use revisions::*;
