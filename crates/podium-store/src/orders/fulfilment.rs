//! Fulfilment on the shop's side: its consignments, accepting, shipping with tracking and
//! authenticity codes, delivering.

use crate::macros::{read, write_tx};
use crate::sql::{backend, decode_err, from_micros, micros, new_id, SqlStore};
use podium_app::orders::{Fulfil, FulfilRefused, NewMail, ShopConsignment};
use podium_app::StoreResult;
use podium_domain::order::ConsignmentStatus;
use time::OffsetDateTime;

impl SqlStore {
    pub(super) async fn shop_consignments_in(&self, shop_id: &str, limit: i64) -> StoreResult<Vec<ShopConsignment>> {
        type Row = (String, String, String, String, String, i64, i64, String, i64, i64);
        let rows: Vec<Row> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT c.id, o.number, c.status, o.country, o.currency, c.total, \
                 (SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l WHERE l.consignment_id = c.id), \
                 o.ship_name, o.created_at, \
                 (SELECT COUNT(*) FROM returns r WHERE r.consignment_id = c.id AND r.status = 'requested') \
                 FROM consignments c JOIN orders o ON o.id = c.order_id \
                 WHERE c.shop_id = $1 AND o.status <> 'pending_payment' AND c.status <> 'cancelled' \
                 ORDER BY o.created_at DESC LIMIT $2",
            )
            .bind(shop_id)
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        rows.into_iter()
            .map(|(id, order_number, status, country, currency, total, units, ship_name, created_at, open_returns)| {
                Ok(ShopConsignment {
                    status: ConsignmentStatus::parse(&status)
                        .ok_or_else(|| decode_err("consignment status", &status))?,
                    id,
                    order_number,
                    country,
                    currency,
                    total,
                    units,
                    ship_name,
                    created_at: from_micros(created_at),
                    open_returns,
                })
            })
            .collect()
    }

    pub(super) async fn fulfil_in(
        &self,
        consignment_id: &str,
        step: &Fulfil,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<Result<(), FulfilRefused>> {
        let at = micros(now);
        let (from, to) = match step {
            Fulfil::Accept => ("new", "accepted"),
            Fulfil::Ship { .. } => ("accepted", "shipped"),
            Fulfil::Deliver => ("shipped", "delivered"),
        };
        let result = write_tx!(self, |tx| {
            let done = sqlx::query(&format!(
                "UPDATE consignments SET status = $2, {}_at = $3 WHERE id = $1 AND status = $4",
                to
            ))
            .bind(consignment_id)
            .bind(to)
            .bind(at)
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 0 {
                let now_status: Option<(String,)> = sqlx::query_as("SELECT status FROM consignments WHERE id = $1")
                    .bind(consignment_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                let s =
                    now_status.and_then(|(s,)| ConsignmentStatus::parse(&s)).unwrap_or(ConsignmentStatus::Cancelled);
                return Ok(Err(FulfilRefused::State(s)));
            }
            if let Fulfil::Ship { carrier, tracking, codes } = step {
                sqlx::query("UPDATE consignments SET carrier = $2, tracking = $3 WHERE id = $1")
                    .bind(consignment_id)
                    .bind(carrier)
                    .bind(tracking)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for (line_id, unit, code) in codes {
                    // The code must be issued to this shop for this line's variant, and free.
                    let ok = sqlx::query(
                        "INSERT INTO unit_codes (line_id, unit, code) \
                         SELECT $1, $2, a.code FROM auth_codes a JOIN code_batches b ON b.id = a.batch_id \
                         JOIN order_lines l ON l.id = $1 JOIN consignments c ON c.id = l.consignment_id \
                         WHERE a.code = $3 AND b.shop_id = c.shop_id AND b.variant_id = l.variant_id \
                         AND NOT EXISTS (SELECT 1 FROM unit_codes u WHERE u.code = $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(line_id)
                    .bind(*unit)
                    .bind(code)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if ok.rows_affected() != 1 {
                        return Ok(Err(FulfilRefused::Code(code.clone())));
                    }
                }
            }
            if let Some(mail) = mail {
                queue_mail!(tx, mail, now);
            }
            Ok(())
        });
        Ok(result)
    }

    pub(super) async fn free_codes_in(&self, shop_id: &str, variant_id: &str, limit: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.code FROM auth_codes a JOIN code_batches b ON b.id = a.batch_id \
                 WHERE b.shop_id = $1 AND b.variant_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM unit_codes u WHERE u.code = a.code) \
                 ORDER BY b.created_at, a.position LIMIT $3",
            )
            .bind(shop_id)
            .bind(variant_id)
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }
}
