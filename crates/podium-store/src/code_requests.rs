//! The code-requests half of [`SqlStore`]: merchants' requests for authenticity codes, and the
//! counts a shortfall is worked out from (codes not yet on a unit, units sold and not shipped).

use async_trait::async_trait;
use podium_app::code_requests::{CodeRequest, CodeRequestStore, RequestFilter, RequestStatus};
use podium_app::StoreResult;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::{backend, decode_err, from_micros, micros, SqlStore};

type RequestRow =
    (String, String, String, String, String, i64, String, String, String, i64, Option<i64>, Option<String>);

const SELECT: &str = "SELECT id, licensor_id, shop_id, product_id, variant_id, quantity, note, requested_by, status, \
     created_at, resolved_at, batch_id FROM code_requests";

fn request_from(row: RequestRow) -> StoreResult<CodeRequest> {
    let (
        id,
        licensor_id,
        shop_id,
        product_id,
        variant_id,
        quantity,
        note,
        requested_by,
        status,
        created,
        resolved,
        batch,
    ) = row;
    Ok(CodeRequest {
        status: RequestStatus::parse(&status).ok_or_else(|| decode_err("code request status", &status))?,
        id,
        licensor_id,
        shop_id,
        product_id,
        variant_id,
        quantity,
        note,
        requested_by,
        created_at: from_micros(created),
        resolved_at: resolved.map(from_micros),
        batch_id: batch,
    })
}

#[async_trait]
impl CodeRequestStore for SqlStore {
    async fn open_code_request(&self, r: &CodeRequest) -> StoreResult<CodeRequest> {
        let row: RequestRow = write_tx!(self, |tx| {
            let open: Option<(String,)> = sqlx::query_as(
                "SELECT id FROM code_requests WHERE shop_id = $1 AND variant_id = $2 AND status = 'open' \
                 ORDER BY created_at LIMIT 1",
            )
            .bind(&r.shop_id)
            .bind(&r.variant_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let id = match open {
                Some((id,)) => {
                    sqlx::query("UPDATE code_requests SET quantity = $2, note = $3, requested_by = $4 WHERE id = $1")
                        .bind(&id)
                        .bind(r.quantity)
                        .bind(&r.note)
                        .bind(&r.requested_by)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    id
                }
                None => {
                    sqlx::query(
                        "INSERT INTO code_requests (id, licensor_id, shop_id, product_id, variant_id, quantity, note, \
                         requested_by, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)",
                    )
                    .bind(&r.id)
                    .bind(&r.licensor_id)
                    .bind(&r.shop_id)
                    .bind(&r.product_id)
                    .bind(&r.variant_id)
                    .bind(r.quantity)
                    .bind(&r.note)
                    .bind(&r.requested_by)
                    .bind(micros(r.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    r.id.clone()
                }
            };
            sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(&id).fetch_one(&mut *tx).await.map_err(backend)?
        });
        request_from(row)
    }

    async fn code_requests(&self, f: &RequestFilter) -> StoreResult<Vec<CodeRequest>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = '' OR licensor_id = $1) AND ($2 = '' OR shop_id = $2) AND ($3 = '' OR variant_id = $3) \
             AND ($4 = 0 OR status = 'open') ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, created_at LIMIT 500"
        );
        let rows: Vec<RequestRow> = read!(self, |pool| sqlx::query_as(&sql)
            .bind(f.licensor_id.clone().unwrap_or_default())
            .bind(f.shop_id.clone().unwrap_or_default())
            .bind(f.variant_id.clone().unwrap_or_default())
            .bind(i64::from(f.open_only))
            .fetch_all(pool)
            .await
            .map_err(backend)?);
        rows.into_iter().map(request_from).collect()
    }

    async fn update_code_request(
        &self,
        id: &str,
        quantity: i64,
        fulfilled: Option<(&str, OffsetDateTime)>,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match fulfilled {
                Some((batch, at)) => sqlx::query(
                    "UPDATE code_requests SET status = 'fulfilled', batch_id = $2, resolved_at = $3 \
                     WHERE id = $1 AND status = 'open'",
                )
                .bind(id)
                .bind(batch)
                .bind(micros(at))
                .execute(&mut *tx)
                .await
                .map_err(backend)?,
                None => sqlx::query("UPDATE code_requests SET quantity = $2 WHERE id = $1 AND status = 'open'")
                    .bind(id)
                    .bind(quantity.max(1))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?,
            };
        });
        Ok(())
    }

    async fn free_code_counts(&self, shop_id: &str) -> StoreResult<Vec<(String, i64)>> {
        read!(self, |pool| sqlx::query_as(
            "SELECT b.variant_id, COUNT(*) FROM auth_codes a JOIN code_batches b ON b.id = a.batch_id \
             WHERE b.shop_id = $1 AND NOT EXISTS (SELECT 1 FROM unit_codes u WHERE u.code = a.code) \
             GROUP BY b.variant_id",
        )
        .bind(shop_id)
        .fetch_all(pool)
        .await
        .map_err(backend))
    }

    async fn unshipped_units(&self, shop_id: &str) -> StoreResult<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = read!(self, |pool| sqlx::query_as(
            "SELECT l.variant_id, CAST(SUM(l.quantity - l.refunded_quantity) AS BIGINT) FROM order_lines l \
             JOIN consignments c ON c.id = l.consignment_id \
             WHERE c.shop_id = $1 AND c.status IN ('new', 'accepted') GROUP BY l.variant_id",
        )
        .bind(shop_id)
        .fetch_all(pool)
        .await
        .map_err(backend)?);
        Ok(rows)
    }
}
