//! Returns and refunds: a fan's request, the shop's refusal or refund (with its ledger postings),
//! and the royalty lines of an agreement's sales.

use crate::ledger::post_transfers;
use crate::macros::{read, stock_moved, write_tx};
use crate::sql::{backend, from_micros, micros, new_id, SqlStore};
use podium_app::orders::{NewMail, RefundPlan, RoyaltyLine};
use podium_app::StoreResult;
use time::OffsetDateTime;

impl SqlStore {
    pub(super) async fn request_return_in(
        &self,
        consignment_id: &str,
        lines: &[(String, i64)],
        reason: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String> {
        let id = new_id();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO returns (id, consignment_id, status, reason, created_at) VALUES ($1, $2, 'requested', $3, $4)",
            )
            .bind(&id)
            .bind(consignment_id)
            .bind(reason)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            for (line_id, q) in lines {
                sqlx::query("INSERT INTO return_lines (return_id, line_id, quantity) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(line_id)
                    .bind(*q)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        });
        Ok(id)
    }

    pub(super) async fn record_refund_in(
        &self,
        plan: &RefundPlan,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let at = micros(now);
        let done = write_tx!(self, |tx| {
            let r = sqlx::query(
                "UPDATE returns SET status = 'refunded', amount = $2, restock = $3, decided_at = $4 \
                 WHERE id = $1 AND status = 'requested'",
            )
            .bind(&plan.return_id)
            .bind(plan.amount)
            .bind(i64::from(plan.restock))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if r.rows_affected() == 0 {
                return Ok(false);
            }
            for (line_id, q) in &plan.lines {
                sqlx::query("UPDATE order_lines SET refunded_quantity = refunded_quantity + $2 WHERE id = $1")
                    .bind(line_id)
                    .bind(*q)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if plan.restock {
                    let restocked: Option<(String,)> = sqlx::query_as(
                        "UPDATE stock_levels SET on_hand = on_hand + $2 WHERE (variant_id, location_id) IN \
                         (SELECT r.variant_id, r.location_id FROM reservations r JOIN order_lines l \
                          ON l.reservation_id = r.id WHERE l.id = $1) RETURNING variant_id",
                    )
                    .bind(line_id)
                    .bind(*q)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if let Some((variant_id,)) = restocked {
                        stock_moved!(tx, &variant_id, *q, now);
                    }
                }
            }
            let status = if plan.whole { ", status = 'refunded'" } else { "" };
            let order: (String,) = sqlx::query_as(&format!(
                "UPDATE consignments SET refunded = refunded + $2{status} WHERE id = $1 RETURNING order_id"
            ))
            .bind(&plan.consignment_id)
            .bind(plan.amount)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query(
                "UPDATE orders SET refunded = refunded + $2, updated_at = $3, \
                 status = CASE WHEN refunded + $2 >= total THEN 'refunded' ELSE 'partially_refunded' END \
                 WHERE id = $1",
            )
            .bind(&order.0)
            .bind(plan.amount)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            post_transfers!(tx, format!("refund:{}", plan.return_id), postings, now);
            queue_mail!(tx, mail, now);
            true
        });
        Ok(done)
    }

    pub(super) async fn refuse_return_in(&self, return_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            sqlx::query("UPDATE returns SET status = 'refused', decided_at = $2 WHERE id = $1 AND status = 'requested'")
                .bind(return_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                == 1
        });
        Ok(done)
    }

    pub(super) async fn royalty_lines_in(&self, agreement_id: &str) -> StoreResult<Vec<RoyaltyLine>> {
        type Line = (String, i64, String, String, String, String, i64, i64, i64);
        let (lines, refunds): (Vec<Line>, Vec<(String, i64, i64)>) = read!(self, |pool| {
            let lines = sqlx::query_as(
                "SELECT l.id, o.paid_at, o.currency, o.fx_snapshot, o.country, l.rights_id, l.net, l.royalty_bp, \
                 l.quantity FROM order_lines l JOIN consignments c ON c.id = l.consignment_id \
                 JOIN orders o ON o.id = c.order_id WHERE l.agreement_id = $1 AND o.paid_at IS NOT NULL \
                 ORDER BY o.paid_at, l.id",
            )
            .bind(agreement_id)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
            let refunds = sqlx::query_as(
                "SELECT rl.line_id, r.decided_at, rl.quantity FROM return_lines rl \
                 JOIN returns r ON r.id = rl.return_id JOIN order_lines l ON l.id = rl.line_id \
                 WHERE l.agreement_id = $1 AND r.status = 'refunded' ORDER BY r.decided_at",
            )
            .bind(agreement_id)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
            (lines, refunds)
        });
        Ok(lines
            .into_iter()
            .map(|(line_id, paid_at, currency, fx_snapshot, country, rights_id, net, royalty_bp, quantity)| {
                let refunds =
                    refunds.iter().filter(|(l, _, _)| *l == line_id).map(|(_, at, q)| (from_micros(*at), *q)).collect();
                RoyaltyLine {
                    paid_at: from_micros(paid_at),
                    currency,
                    fx_snapshot,
                    country,
                    rights_id,
                    net,
                    royalty_bp: u32::try_from(royalty_bp).unwrap_or(0),
                    quantity,
                    refunds,
                    line_id,
                }
            })
            .collect())
    }
}
