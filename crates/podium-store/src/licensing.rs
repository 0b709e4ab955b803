//! The licensing half of [`SqlStore`]: agreements, rights sets, submissions and their history,
//! authenticity codes and verifications, and the audit log. Rows are read as tuples and turned
//! into records by plain functions, so each query is written once for both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use podium_app::licensing::{
    AgreementRecord, AttachmentBlob, AttachmentRef, AuditEntry, AuditRecord, CodeBatch, CodeState, LicensingStore,
    NewAgreement, NewBatch, NewEvent, NewSubmission, OrgRef, SubmissionEvent, SubmissionFilter, SubmissionKind,
    SubmissionRecord, Transition,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::approval::{Stages, State, Status};
use podium_domain::licensing::{Agreement, AgreementStatus, Channel, RightsSet, Territory};
use podium_domain::Currency;
use time::{Date, OffsetDateTime};

use crate::macros::{audit, outbox, read, write_tx};
use crate::sql::{backend, conflict, decode_err, from_micros, micros, new_id, SqlStore};

pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

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
        let id = new_id();
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO agreements (id, reference, licensor_id, licensee_id, status, royalty_currency, \
                 advance_minor, minimum_guarantee_minor, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $8)",
            )
            .bind(&id)
            .bind(&a.reference)
            .bind(&a.licensor_id)
            .bind(&a.licensee_id)
            .bind(a.royalty_currency.code())
            .bind(a.advance_minor)
            .bind(a.minimum_guarantee_minor)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(conflict("reference"))?;
            audit!(tx, &audit, now);
        });
        self.agreement(&id).await?.ok_or(StoreError::NotFound("agreement"))
    }

    async fn agreement(&self, id: &str) -> StoreResult<Option<AgreementRecord>> {
        Ok(self.load_agreements("WHERE a.id = $1", &[id.to_string()]).await?.pop())
    }

    async fn agreements_of(&self, org_id: &str) -> StoreResult<Vec<AgreementRecord>> {
        self.load_agreements("WHERE a.licensor_id = $1 OR a.licensee_id = $1", &[org_id.to_string()]).await
    }

    async fn save_rights_set(&self, agreement_id: &str, r: &RightsSet, audit: AuditEntry) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let agreement = self.agreement(agreement_id).await?.ok_or(StoreError::NotFound("agreement"))?;
        let channels: Vec<&str> = r.channels.iter().map(|c| c.as_str()).collect();
        write_tx!(self, |tx| {
            // Insert, or replace the set with this id in this agreement; a set of another
            // agreement is left alone (and reported as not found).
            let written = sqlx::query(
                "INSERT INTO rights_sets (id, agreement_id, position, properties, categories, territory, channels, \
                 start_date, end_date, selloff_end, royalty_bp, exclusive, created_at) \
                 VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM rights_sets WHERE agreement_id = $2), \
                 $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (id) DO UPDATE SET properties = excluded.properties, categories = excluded.categories, \
                 territory = excluded.territory, channels = excluded.channels, start_date = excluded.start_date, \
                 end_date = excluded.end_date, selloff_end = excluded.selloff_end, royalty_bp = excluded.royalty_bp, \
                 exclusive = excluded.exclusive WHERE rights_sets.agreement_id = excluded.agreement_id",
            )
            .bind(&r.id)
            .bind(agreement_id)
            .bind(r.properties.join(" "))
            .bind(r.categories.join(" "))
            .bind(r.territory.to_string())
            .bind(channels.join(" "))
            .bind(date_text(r.start))
            .bind(date_text(r.end))
            .bind(r.selloff_end.map(date_text))
            .bind(i64::from(r.royalty_bp))
            .bind(i64::from(r.exclusive))
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if written == 0 {
                return Err(StoreError::NotFound("rights set"));
            }
            sqlx::query("UPDATE agreements SET updated_at = $2 WHERE id = $1")
                .bind(agreement_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            audit!(tx, &audit, now);
            outbox!(tx, "agreement.changed", agreement_event(&agreement.terms), now);
        });
        Ok(())
    }

    async fn set_agreement_status(
        &self,
        id: &str,
        from: AgreementStatus,
        to: AgreementStatus,
        audit: AuditEntry,
    ) -> StoreResult<bool> {
        let now = OffsetDateTime::now_utc();
        let agreement = self.agreement(id).await?.ok_or(StoreError::NotFound("agreement"))?;
        Ok(write_tx!(self, |tx| {
            let n = sqlx::query("UPDATE agreements SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            if n == 1 {
                audit!(tx, &audit, now);
                outbox!(tx, "agreement.changed", agreement_event(&agreement.terms), now);
            }
            n == 1
        }))
    }

    async fn product_ids_under(&self, shop_id: &str, licensor_id: &str) -> StoreResult<Vec<String>> {
        read!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT p.id FROM products p JOIN properties pr ON pr.id = p.property_id \
                 WHERE p.shop_id = $1 AND pr.licensor_id = $2 ORDER BY p.id",
            )
            .bind(shop_id)
            .bind(licensor_id)
            .fetch_all(pool)
            .await
            .map_err(backend)
        })
    }

    async fn create_submission(&self, s: NewSubmission) -> StoreResult<SubmissionRecord> {
        let id = new_id();
        let now = s.at;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO submissions (id, product_id, shop_id, licensor_id, kind, stages, stage, status, proposal, \
                 waiting_since, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9, $9, $9)",
            )
            .bind(&id)
            .bind(&s.product_id)
            .bind(&s.shop_id)
            .bind(&s.licensor_id)
            .bind(s.kind.as_str())
            .bind(s.stages.names().join(" "))
            .bind(s.stage as i64)
            .bind(&s.proposal)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(conflict("submission"))?;
            event!(tx, &id, s.stage, &s.event, now);
        });
        self.submission(&id).await?.ok_or(StoreError::NotFound("submission"))
    }

    async fn submission(&self, id: &str) -> StoreResult<Option<SubmissionRecord>> {
        Ok(self.load_submissions("WHERE s.id = $1", &[id.to_string()]).await?.pop())
    }

    async fn submissions(&self, f: &SubmissionFilter) -> StoreResult<Vec<SubmissionRecord>> {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        for (column, value) in
            [("s.licensor_id", &f.licensor_id), ("s.shop_id", &f.shop_id), ("s.product_id", &f.product_id)]
        {
            if let Some(v) = value {
                binds.push(v.clone());
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if f.open_only {
            conditions.push("s.status IN ('submitted', 'needs_revision')".into());
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        self.load_submissions(&filter, &binds).await
    }

    async fn transition_submission(&self, id: &str, t: Transition) -> StoreResult<bool> {
        let Transition { from, to, event, proposal, audit, at: now } = t;
        Ok(write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE submissions SET stage = $4, status = $5, updated_at = $6, \
                 waiting_since = CASE WHEN stage = $4 AND status = $5 THEN waiting_since ELSE $6 END, \
                 proposal = CASE WHEN $7 = 1 THEN $8 ELSE proposal END \
                 WHERE id = $1 AND stage = $2 AND status = $3",
            )
            .bind(id)
            .bind(from.stage as i64)
            .bind(from.status.as_str())
            .bind(to.stage as i64)
            .bind(to.status.as_str())
            .bind(micros(now))
            .bind(i64::from(proposal.is_some()))
            .bind(proposal.clone().flatten())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if n == 1 {
                event!(tx, id, from.stage, &event, now);
                if let Some(entry) = &audit {
                    audit!(tx, entry, now);
                }
                if to.status == Status::Approved {
                    let product: String = sqlx::query_scalar("SELECT product_id FROM submissions WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(backend)?;
                    sqlx::query(
                        "UPDATE products SET approved_at = COALESCE(approved_at, $2), updated_at = $2 WHERE id = $1",
                    )
                    .bind(&product)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    // Images that waited for this approval go on show with it.
                    sqlx::query(
                        "UPDATE images SET pending = 0 WHERE owner_kind = 'product' AND owner_id = $1 AND pending = 1",
                    )
                    .bind(&product)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    outbox!(tx, "product.changed", serde_json::json!({"id": product}).to_string(), now);
                }
            }
            n == 1
        }))
    }

    async fn attachment(&self, id: &str) -> StoreResult<Option<AttachmentBlob>> {
        let row: Option<(String, String, Vec<u8>, String, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.filename, a.content_type, a.bytes, s.licensor_id, s.shop_id FROM attachments a \
                 JOIN submission_events e ON e.id = a.event_id JOIN submissions s ON s.id = e.submission_id \
                 WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(|(filename, content_type, bytes, licensor_id, shop_id)| AttachmentBlob {
            filename,
            content_type,
            bytes,
            licensor_id,
            shop_id,
        }))
    }

    async fn mark_approved(&self, product_ids: &[String], at: OffsetDateTime) -> StoreResult<()> {
        for chunk in product_ids.chunks(500) {
            let sql = format!(
                "UPDATE products SET approved_at = COALESCE(approved_at, $1) WHERE id IN ({})",
                placeholders(2, chunk.len())
            );
            write_tx!(self, |tx| {
                let mut q = sqlx::query(&sql).bind(micros(at));
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await.map_err(backend)?;
                for id in chunk {
                    outbox!(tx, "product.changed", serde_json::json!({"id": id}).to_string(), at);
                }
            });
        }
        Ok(())
    }

    async fn issue_codes(&self, b: NewBatch, codes: &[String], audit: AuditEntry) -> StoreResult<CodeBatch> {
        let id = new_id();
        let now = b.at;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO code_batches (id, licensor_id, shop_id, product_id, variant_id, quantity, issued_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id)
            .bind(&b.licensor_id)
            .bind(&b.shop_id)
            .bind(&b.product_id)
            .bind(&b.variant_id)
            .bind(codes.len() as i64)
            .bind(&b.issued_by)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            // Many rows per statement: a batch of thousands is a handful of round trips.
            for (chunk_no, chunk) in codes.chunks(200).enumerate() {
                let values: Vec<String> =
                    (0..chunk.len()).map(|i| format!("(${}, $1, ${})", 2 + 2 * i, 3 + 2 * i)).collect();
                let sql = format!("INSERT INTO auth_codes (code, batch_id, position) VALUES {}", values.join(", "));
                let mut q = sqlx::query(&sql).bind(&id);
                for (i, code) in chunk.iter().enumerate() {
                    q = q.bind(code).bind((chunk_no * 200 + i) as i64);
                }
                q.execute(&mut *tx).await.map_err(conflict("code"))?;
            }
            audit!(tx, &audit, now);
        });
        self.code_batch(&id).await?.ok_or(StoreError::NotFound("code batch"))
    }

    async fn code_batches(&self, org_id: &str) -> StoreResult<Vec<CodeBatch>> {
        self.load_batches("WHERE b.licensor_id = $1 OR b.shop_id = $1", org_id).await
    }

    async fn code_batch(&self, id: &str) -> StoreResult<Option<CodeBatch>> {
        Ok(self.load_batches("WHERE b.id = $1", id).await?.pop())
    }

    async fn batch_codes(&self, batch_id: &str) -> StoreResult<Vec<CodeState>> {
        let sql = format!("{CODE_SELECT} WHERE c.batch_id = $1 ORDER BY c.position");
        let rows: Vec<CodeRow> = read!(self, |pool| {
            sqlx::query_as::<_, CodeRow>(&sql).bind(batch_id).fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows.into_iter().map(code_from).collect())
    }

    async fn record_verification(
        &self,
        code: &str,
        country: &str,
        client: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Option<CodeState>> {
        let sql = format!("{CODE_SELECT} WHERE c.code = $1");
        let row: Option<CodeRow> = write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE auth_codes SET verifications = verifications + 1, \
                 first_country = CASE WHEN first_verified_at IS NULL THEN $3 ELSE first_country END, \
                 first_verified_at = COALESCE(first_verified_at, $2) WHERE code = $1",
            )
            .bind(code)
            .bind(micros(at))
            .bind(country)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO code_verifications (code, country, created_at) VALUES ($1, $2, $3)")
                    .bind(code)
                    .bind(country)
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if !client.is_empty() {
                    sqlx::query(
                        "INSERT INTO code_verifiers (code, client, first_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (code, client) DO NOTHING",
                    )
                    .bind(code)
                    .bind(client)
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                Some(sqlx::query_as::<_, CodeRow>(&sql).bind(code).fetch_one(&mut *tx).await.map_err(backend)?)
            } else {
                None
            }
        });
        Ok(row.map(code_from))
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
