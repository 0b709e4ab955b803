//! The licensing programme's use cases: agreements and rights sets, product submissions and the
//! licensor's decisions, authenticity codes and their verification, and the audit log.
//!
//! The rules themselves live in `podium_domain::{licensing, approval, authenticity}`; this module
//! loads what they need, applies them, and writes the outcome together with its audit entry.

use async_trait::async_trait;
use podium_domain::approval::{self, Action, Actor, Stages, State, Status};
use podium_domain::authenticity::Code;
use podium_domain::catalogue::CategoryTree;
use podium_domain::licensing::{self, Agreement, AgreementStatus, Offer, RightsSet};
use podium_domain::Currency;
use time::OffsetDateTime;

use crate::catalogue::{NewProduct, ProductRecord};
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

async fn tree(store: &dyn Store) -> StoreResult<CategoryTree> {
    Ok(CategoryTree::new(store.categories().await?.into_iter().map(|c| (c.slug, c.parent))))
}

fn audit(org_id: &str, who: &ActingUser, action: &str, subject: &str, detail: String) -> AuditEntry {
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
async fn check_exclusivity(
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

/// A product as proposed in a revision: the whole product the merchant wants on sale once the
/// licensor approves, stored as JSON in the submission.
#[derive(Debug, Clone)]
pub struct Proposal(pub NewProduct);

#[derive(serde::Serialize, serde::Deserialize)]
struct ProposalJson {
    shop_id: String,
    property_id: String,
    category: String,
    handle: String,
    fallback_lang: String,
    tags: Vec<String>,
    hs_code: String,
    origin: String,
    weight_grams: i64,
    live: bool,
    translations: Vec<(String, String, String)>,
    variants: Vec<VariantJson>,
    created_at: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct VariantJson {
    sku: String,
    options: Vec<(String, String)>,
    gtin: Option<String>,
    price: (i64, String),
    explicit: Vec<(i64, String)>,
    stock: Vec<(String, i64)>,
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

async fn open_revision(
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

/// Whether a product is on sale to `country` at `at`, and under which rights set.
pub fn offer_of(p: &ProductRecord) -> Offer<'_> {
    Offer { property_id: &p.property.id, category: &p.category_slug, approved_at: p.approved_at }
}
