//! The licensing half of [`SqlStore`]: agreements, rights sets, submissions and their history,
//! authenticity codes and verifications, and the audit log. Rows are read as tuples and turned
//! into records by plain functions, so each query is written once for both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use podium_app::licensing::{
    AgreementRecord, AttachmentBlob, AttachmentRef, AuditEntry, AuditRecord, CodeBatch, CodeState, LicensingStore,
    NewAgreement, NewBatch, NewSubmission, OrgRef, SubmissionEvent, SubmissionFilter, SubmissionKind, SubmissionRecord,
    Transition,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::approval::{Stages, State, Status};
use podium_domain::licensing::{Agreement, AgreementStatus, Channel, RightsSet, Territory};
use podium_domain::Currency;
use time::{Date, OffsetDateTime};

use crate::macros::{audit, read, write_tx};
use crate::sql::{backend, decode_err, from_micros, placeholders, SqlStore};

const AGREEMENT_SELECT: &str = "SELECT a.id, a.reference, a.licensor_id, lo.slug, lo.name, a.licensee_id, le.slug, \
    le.name, a.status, a.royalty_currency, a.advance_minor, a.minimum_guarantee_minor, a.created_at, a.updated_at \
    FROM agreements a JOIN orgs lo ON lo.id = a.licensor_id JOIN orgs le ON le.id = a.licensee_id";

type AgreementRow =
    (String, String, String, String, String, String, String, String, String, String, i64, i64, i64, i64);
type RightsRow = (String, String, String, String, String, String, String, String, Option<String>, i64, i64);

const RIGHTS_SELECT: &str = "SELECT id, agreement_id, properties, categories, territory, channels, start_date, \
    end_date, selloff_end, royalty_bp, exclusive FROM rights_sets";

fn date_of(s: &str) -> StoreResult<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| decode_err("date", s))
}

fn date_text(d: Date) -> String {
    d.to_string()
}

fn rights_from(r: RightsRow) -> StoreResult<(String, RightsSet)> {
    let (id, agreement_id, properties, categories, territory, channels, start, end, selloff, bp, exclusive) = r;
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    Ok((
        agreement_id,
        RightsSet {
            id,
            properties: words(&properties),
            categories: words(&categories),
            territory: Territory::parse(&territory).map_err(|_| decode_err("territory", &territory))?,
            channels: channels.split_whitespace().filter_map(Channel::parse).collect(),
            start: date_of(&start)?,
            end: date_of(&end)?,
            selloff_end: selloff.as_deref().map(date_of).transpose()?,
            royalty_bp: bp.clamp(0, 10_000) as u32,
            exclusive: exclusive != 0,
        },
    ))
}

fn agreement_from(r: AgreementRow, rights: Vec<RightsSet>) -> StoreResult<AgreementRecord> {
    let (id, reference, lor_id, lor_slug, lor_name, lee_id, lee_slug, lee_name, status, cur, adv, mg, created, updated) =
        r;
    Ok(AgreementRecord {
        terms: Agreement {
            id,
            reference,
            licensor_id: lor_id.clone(),
            licensee_id: lee_id.clone(),
            status: AgreementStatus::parse(&status).ok_or_else(|| decode_err("agreement status", &status))?,
            rights,
        },
        licensor: OrgRef { id: lor_id, slug: lor_slug, name: lor_name },
        licensee: OrgRef { id: lee_id, slug: lee_slug, name: lee_name },
        royalty_currency: Currency::parse(&cur).map_err(|_| decode_err("currency", &cur))?,
        advance_minor: adv,
        minimum_guarantee_minor: mg,
        created_at: from_micros(created),
        updated_at: from_micros(updated),
    })
}

const SUBMISSION_SELECT: &str = "SELECT s.id, s.product_id, p.slug, p.handle, s.shop_id, o.slug, o.name, \
    s.licensor_id, s.kind, s.stages, s.stage, s.status, s.proposal, s.waiting_since, s.created_at \
    FROM submissions s JOIN products p ON p.id = s.product_id JOIN orgs o ON o.id = s.shop_id";

type SubmissionRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    i64,
    i64,
);
type EventRow = (String, String, i64, String, String, String, i64);
type AttachmentRow = (String, String, String, String);

fn submission_from(r: SubmissionRow) -> StoreResult<SubmissionRecord> {
    let (
        id,
        product_id,
        slug,
        handle,
        shop_id,
        shop_slug,
        shop_name,
        licensor_id,
        kind,
        stages,
        stage,
        status,
        proposal,
        waiting,
        created,
    ) = r;
    Ok(SubmissionRecord {
        id,
        product_id,
        product_slug: slug,
        product_handle: handle,
        shop: OrgRef { id: shop_id, slug: shop_slug, name: shop_name },
        licensor_id,
        kind: if kind == "revision" { SubmissionKind::Revision } else { SubmissionKind::New },
        stages: Stages::new(stages.split_whitespace().map(str::to_string).collect())
            .ok_or_else(|| decode_err("stages", &stages))?,
        state: State {
            stage: stage.max(0) as usize,
            status: Status::parse(&status).ok_or_else(|| decode_err("submission status", &status))?,
        },
        proposal,
        waiting_since: from_micros(waiting),
        created_at: from_micros(created),
        events: Vec::new(),
    })
}

type BatchRow = (String, String, String, String, String, String, String, String, String, i64, String, i64, i64);

const BATCH_SELECT: &str = "SELECT b.id, b.licensor_id, b.shop_id, o.slug, o.name, b.product_id, p.slug, \
    b.variant_id, COALESCE(v.sku, ''), b.quantity, b.issued_by, b.created_at, \
    CAST((SELECT COUNT(*) FROM auth_codes c WHERE c.batch_id = b.id AND c.verifications > 0) AS BIGINT) \
    FROM code_batches b JOIN orgs o ON o.id = b.shop_id JOIN products p ON p.id = b.product_id \
    LEFT JOIN variants v ON v.id = b.variant_id";

fn batch_from(r: BatchRow) -> CodeBatch {
    let (
        id,
        licensor_id,
        shop_id,
        shop_slug,
        shop_name,
        product_id,
        product_slug,
        variant_id,
        sku,
        quantity,
        by,
        at,
        verified,
    ) = r;
    CodeBatch {
        id,
        licensor_id,
        shop: OrgRef { id: shop_id, slug: shop_slug, name: shop_name },
        product_id,
        product_slug,
        variant_id,
        variant_sku: sku,
        quantity,
        issued_by: by,
        created_at: from_micros(at),
        verified,
    }
}

type CodeRow = (String, String, String, String, i64, i64, Option<i64>, Option<String>, i64, i64);

const CODE_SELECT: &str = "SELECT c.code, c.batch_id, b.product_id, b.variant_id, b.created_at, c.verifications, \
    c.first_verified_at, c.first_country, \
    CAST((SELECT COUNT(DISTINCT cv.country) FROM code_verifications cv WHERE cv.code = c.code AND cv.country <> '') AS BIGINT), \
    CAST((SELECT COUNT(*) FROM code_verifiers vr WHERE vr.code = c.code) AS BIGINT) \
    FROM auth_codes c JOIN code_batches b ON b.id = c.batch_id";

fn code_from(r: CodeRow) -> CodeState {
    let (code, batch_id, product_id, variant_id, issued, verifications, first_at, first_country, countries, clients) =
        r;
    CodeState {
        code,
        batch_id,
        product_id,
        variant_id,
        issued_at: from_micros(issued),
        verifications,
        first_verified_at: first_at.map(from_micros),
        first_country: first_country.filter(|c| !c.is_empty()),
        countries,
        clients,
    }
}

/// Writes a history entry and its attachments inside the transaction `$tx`.
macro_rules! event {
    ($tx:ident, $submission:expr, $stage:expr, $event:expr, $now:expr) => {{
        let ev: &NewEvent = $event;
        let event_id = new_id();
        sqlx::query(
            "INSERT INTO submission_events (id, submission_id, stage, action, actor_name, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event_id)
        .bind($submission)
        .bind($stage as i64)
        .bind(&ev.action)
        .bind(&ev.actor_name)
        .bind(&ev.comment)
        .bind(micros($now))
        .execute(&mut *$tx)
        .await
        .map_err(backend)?;
        for a in &ev.attachments {
            sqlx::query(
                "INSERT INTO attachments (id, event_id, filename, content_type, bytes, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(&event_id)
            .bind(&a.filename)
            .bind(&a.content_type)
            .bind(&a.bytes)
            .bind(micros($now))
            .execute(&mut *$tx)
            .await
            .map_err(backend)?;
        }
    }};
}

fn agreement_event(a: &Agreement) -> String {
    serde_json::json!({"id": a.id, "licensee_id": a.licensee_id, "licensor_id": a.licensor_id}).to_string()
}

impl SqlStore {
    /// Agreements matching `filter` (SQL over `a`), newest first, each with its rights sets.
    pub(crate) async fn load_agreements(&self, filter: &str, binds: &[String]) -> StoreResult<Vec<AgreementRecord>> {
        let sql = format!("{AGREEMENT_SELECT} {filter} ORDER BY a.created_at DESC, a.id");
        let rows: Vec<AgreementRow> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, AgreementRow>(&sql);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_all(pool).await.map_err(backend)?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let mut rights: HashMap<String, Vec<RightsSet>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "{RIGHTS_SELECT} WHERE agreement_id IN ({}) ORDER BY agreement_id, position",
                placeholders(1, chunk.len())
            );
            let found: Vec<RightsRow> = read!(self, |pool| {
                let mut q = sqlx::query_as::<_, RightsRow>(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await.map_err(backend)?
            });
            for row in found {
                let (agreement, set) = rights_from(row)?;
                rights.entry(agreement).or_default().push(set);
            }
        }
        rows.into_iter()
            .map(|r| {
                let sets = rights.remove(&r.0).unwrap_or_default();
                agreement_from(r, sets)
            })
            .collect()
    }

    async fn load_submissions(&self, filter: &str, binds: &[String]) -> StoreResult<Vec<SubmissionRecord>> {
        let sql = format!("{SUBMISSION_SELECT} {filter} ORDER BY s.waiting_since, s.id");
        let rows: Vec<SubmissionRow> = read!(self, |pool| {
            let mut q = sqlx::query_as::<_, SubmissionRow>(&sql);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_all(pool).await.map_err(backend)?
        });
        let mut subs: Vec<SubmissionRecord> = rows.into_iter().map(submission_from).collect::<StoreResult<_>>()?;
        if subs.is_empty() {
            return Ok(subs);
        }
        let index: HashMap<String, usize> = subs.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        let ids: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
        for chunk in ids.chunks(500) {
            let ev_sql = format!(
                "SELECT id, submission_id, stage, action, actor_name, comment, created_at FROM submission_events \
                 WHERE submission_id IN ({}) ORDER BY created_at, id",
                placeholders(1, chunk.len())
            );
            let att_sql = format!(
                "SELECT a.id, a.event_id, a.filename, a.content_type FROM attachments a \
                 JOIN submission_events e ON e.id = a.event_id WHERE e.submission_id IN ({}) ORDER BY a.created_at, a.id",
                placeholders(1, chunk.len())
            );
            let (events, attachments): (Vec<EventRow>, Vec<AttachmentRow>) = read!(self, |pool| {
                let mut q = sqlx::query_as::<_, EventRow>(&ev_sql);
                for id in chunk {
                    q = q.bind(id);
                }
                let events = q.fetch_all(pool).await.map_err(backend)?;
                let mut q = sqlx::query_as::<_, AttachmentRow>(&att_sql);
                for id in chunk {
                    q = q.bind(id);
                }
                (events, q.fetch_all(pool).await.map_err(backend)?)
            });
            let mut by_event: HashMap<String, Vec<AttachmentRef>> = HashMap::new();
            for (id, event_id, filename, content_type) in attachments {
                by_event.entry(event_id).or_default().push(AttachmentRef { id, filename, content_type });
            }
            for (id, sub, stage, action, actor_name, comment, at) in events {
                if let Some(i) = index.get(&sub) {
                    subs[*i].events.push(SubmissionEvent {
                        attachments: by_event.remove(&id).unwrap_or_default(),
                        id,
                        stage: stage.max(0) as usize,
                        action,
                        actor_name,
                        comment,
                        created_at: from_micros(at),
                    });
                }
            }
        }
        Ok(subs)
    }

    async fn load_batches(&self, filter: &str, bind: &str) -> StoreResult<Vec<CodeBatch>> {
        let sql = format!("{BATCH_SELECT} {filter} ORDER BY b.created_at DESC, b.id");
        let rows: Vec<BatchRow> = read!(self, |pool| {
            sqlx::query_as::<_, BatchRow>(&sql).bind(bind).fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows.into_iter().map(batch_from).collect())
    }
}

#[async_trait]
impl LicensingStore for SqlStore {
    async fn approval_stages(&self, licensor_id: &str) -> StoreResult<Option<Stages>> {
        let text: Option<String> = read!(self, |pool| {
            sqlx::query_scalar("SELECT approval_stages FROM orgs WHERE id = $1")
                .bind(licensor_id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(text.and_then(|t| Stages::new(t.split_whitespace().map(str::to_string).collect())))
    }

    async fn set_approval_stages(&self, licensor_id: &str, stages: &Stages, audit: AuditEntry) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let n = sqlx::query("UPDATE orgs SET approval_stages = $2 WHERE id = $1 AND kind = 'licensor'")
                .bind(licensor_id)
                .bind(stages.names().join(" "))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("licensor"));
            }
            audit!(tx, &audit, now);
        });
        Ok(())
    }

    async fn create_agreement(&self, a: NewAgreement, audit: AuditEntry) -> StoreResult<AgreementRecord> {
        self.create_agreement_in(a, audit).await
    }

    async fn agreement(&self, id: &str) -> StoreResult<Option<AgreementRecord>> {
        Ok(self.load_agreements("WHERE a.id = $1", &[id.to_string()]).await?.pop())
    }

    async fn agreements_of(&self, org_id: &str) -> StoreResult<Vec<AgreementRecord>> {
        self.load_agreements("WHERE a.licensor_id = $1 OR a.licensee_id = $1", &[org_id.to_string()]).await
    }

    async fn save_rights_set(&self, agreement_id: &str, r: &RightsSet, audit: AuditEntry) -> StoreResult<()> {
        self.save_rights_set_in(agreement_id, r, audit).await
    }

    async fn set_agreement_status(
        &self,
        id: &str,
        from: AgreementStatus,
        to: AgreementStatus,
        audit: AuditEntry,
    ) -> StoreResult<bool> {
        self.set_agreement_status_in(id, from, to, audit).await
    }

    async fn product_ids_under(&self, shop_id: &str, licensor_id: &str) -> StoreResult<Vec<String>> {
        self.product_ids_under_in(shop_id, licensor_id).await
    }

    async fn create_submission(&self, s: NewSubmission) -> StoreResult<SubmissionRecord> {
        self.create_submission_in(s).await
    }

    async fn submission(&self, id: &str) -> StoreResult<Option<SubmissionRecord>> {
        self.submission_in(id).await
    }

    async fn submissions(&self, f: &SubmissionFilter) -> StoreResult<Vec<SubmissionRecord>> {
        self.submissions_in(f).await
    }

    async fn transition_submission(&self, id: &str, t: Transition) -> StoreResult<bool> {
        self.transition_submission_in(id, t).await
    }

    async fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentBlob>> {
        self.attachment_in(id).await
    }

    async fn mark_approved(&self, product_ids: &[String], at: OffsetDateTime) -> StoreResult<()> {
        self.mark_approved_in(product_ids, at).await
    }

    async fn issue_codes(&self, b: NewBatch, codes: &[String], audit: AuditEntry) -> StoreResult<CodeBatch> {
        self.issue_codes_in(b, codes, audit).await
    }

    async fn code_batches(&self, org_id: &str) -> StoreResult<Vec<CodeBatch>> {
        self.code_batches_in(org_id).await
    }

    async fn code_batch(&self, id: &str) -> StoreResult<Option<CodeBatch>> {
        self.code_batch_in(id).await
    }

    async fn batch_codes(&self, batch_id: &str) -> StoreResult<Vec<CodeState>> {
        self.batch_codes_in(batch_id).await
    }

    async fn record_verification(
        &self,
        code: &str,
        country: &str,
        client: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Option<CodeState>> {
        self.record_verification_in(code, country, client, at).await
    }

    async fn audit_log(&self, org_id: &str, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<(String, String, String, String, String, String, String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, org_id, actor_name, action, subject, detail, client, created_at FROM audit_log \
                 WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(org_id)
            .bind(limit.clamp(1, 1000))
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, org_id, actor_name, action, subject, detail, client, at)| AuditRecord {
                id,
                entry: AuditEntry { org_id, actor_name, action, subject, detail, client },
                created_at: from_micros(at),
            })
            .collect())
    }
}

mod agreements;
mod codes;
mod submissions;
