//! Agreements and their rights sets: created, amended and moved between states, each change in
//! the audit log, and the products a rights set covers.

use crate::macros::{audit, outbox, read, write_tx};
use crate::sql::{backend, conflict, micros, new_id, SqlStore};
use podium_app::licensing::{AgreementRecord, AuditEntry, LicensingStore, NewAgreement};
use podium_app::{StoreError, StoreResult};
use podium_domain::licensing::{AgreementStatus, RightsSet};
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn create_agreement_in(&self, a: NewAgreement, audit: AuditEntry) -> StoreResult<AgreementRecord> {
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
            // A draft sells nothing yet, but it is part of the products it will license.
            let event = serde_json::json!({"id": id, "licensee_id": a.licensee_id, "licensor_id": a.licensor_id});
            outbox!(tx, "agreement.changed", event.to_string(), now);
        });
        self.agreement(&id).await?.ok_or(StoreError::NotFound("agreement"))
    }

    pub(super) async fn save_rights_set_in(
        &self,
        agreement_id: &str,
        r: &RightsSet,
        audit: AuditEntry,
    ) -> StoreResult<()> {
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

    pub(super) async fn set_agreement_status_in(
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

    pub(super) async fn product_ids_under_in(&self, shop_id: &str, licensor_id: &str) -> StoreResult<Vec<String>> {
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
}
