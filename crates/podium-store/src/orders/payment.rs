//! An order's payment: recording what the provider said, marking it paid (settling reservations
//! and posting the ledger) or cancelling it, and the pending orders and holds the sweeps look at.

use crate::ledger::post_transfers;
use crate::macros::{read, write_tx};
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, decode_err, micros, new_id, SqlStore};
use podium_app::orders::{MarkPaid, NewMail, PaymentFacts};
use podium_app::StoreResult;
use podium_domain::order::OrderStatus;
use time::OffsetDateTime;

impl SqlStore {
    pub(super) async fn record_payment_in(
        &self,
        order_id: &str,
        f: &PaymentFacts,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let recorded = sqlx::query(
                "UPDATE orders SET payment_id = $2, card_brand = $3, card_last4 = $4, card_fingerprint = $5, \
                 next_action = COALESCE($6, next_action), updated_at = $7, pay_method = $8, pay_action = $9 \
                 WHERE id = $1 AND (payment_id IS NULL OR payment_id <> $2)",
            )
            .bind(order_id)
            .bind(&f.payment_id)
            .bind(&f.brand)
            .bind(&f.last4)
            .bind(&f.fingerprint)
            .bind(&f.next_action)
            .bind(micros(now))
            .bind(f.method.code())
            .bind(f.action.as_ref().map(|a| a.to_json()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if let (Some(mail), 1) = (mail, recorded.rows_affected()) {
                queue_mail!(tx, mail, now);
            }
        });
        Ok(())
    }

    pub(super) async fn mark_paid_in(
        &self,
        order_id: &str,
        facts: Option<&PaymentFacts>,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<MarkPaid> {
        let at = micros(now);
        let outcome = write_tx!(self, |tx| {
            let cart: Option<(Option<String>,)> = sqlx::query_as(
                "UPDATE orders SET status = 'paid', paid_at = $2, updated_at = $2, next_action = NULL, \
                 payment_id = COALESCE($3, payment_id), card_brand = COALESCE($4, card_brand), \
                 card_last4 = COALESCE($5, card_last4), card_fingerprint = COALESCE($6, card_fingerprint), \
                 pay_method = COALESCE($7, pay_method), pay_action = NULL \
                 WHERE id = $1 AND status = 'pending_payment' RETURNING cart_id",
            )
            .bind(order_id)
            .bind(at)
            .bind(facts.map(|f| f.payment_id.as_str()))
            .bind(facts.map(|f| f.brand.as_str()))
            .bind(facts.map(|f| f.last4.as_str()))
            .bind(facts.map(|f| f.fingerprint.as_str()))
            .bind(facts.map(|f| f.method.code()))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((cart_id,)) = cart else { return Ok(MarkPaid::NotPending) };
            // Rolled back whole if one is no longer held: the order stays pending, nothing sold.
            if settle_reservations!(tx, order_id, "captured") > 0 {
                return Ok(MarkPaid::ReservationLost);
            }
            if let Some(cart_id) = cart_id {
                let mut rows = Chain::new();
                rows.push("DELETE FROM cart_lines WHERE cart_id = $1", [(&cart_id).into()]);
                // The cart became this order: a checkout priced from before is refused.
                rows.push(
                    "UPDATE carts SET revision = revision + 1, ordered_id = $2, \
                     checkout_order_id = CASE WHEN checkout_order_id = $2 THEN NULL ELSE checkout_order_id END \
                     WHERE id = $1",
                    [(&cart_id).into(), order_id.into()],
                );
                tx.run_chain(&rows).await.map_err(backend)?;
            }
            // What was captured, split in the ledger in the same transaction.
            post_transfers!(tx, format!("capture:{order_id}"), postings, now);
            queue_mail!(tx, mail, now);
            MarkPaid::Paid
        });
        Ok(outcome)
    }

    pub(super) async fn cancel_order_in(
        &self,
        order_id: &str,
        failure: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let cancelled = write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE orders SET status = 'cancelled', failure = $2, next_action = NULL, pay_action = NULL, updated_at = $3 \
                 WHERE id = $1 AND status = 'pending_payment'",
            )
            .bind(order_id)
            .bind(failure)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query("UPDATE consignments SET status = 'cancelled' WHERE order_id = $1")
                .bind(order_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            // The cart may be checked out again.
            sqlx::query(
                "UPDATE carts SET checkout_order_id = NULL \
                 WHERE id = (SELECT cart_id FROM orders WHERE id = $1) AND checkout_order_id = $1",
            )
            .bind(order_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            // Already released by the expiry sweep is fine: nothing is held either way.
            settle_reservations!(tx, order_id, "released");
            true
        });
        Ok(cancelled)
    }

    pub(super) async fn pending_holds_in(
        &self,
        client_key: Option<&str>,
        user_id: Option<&str>,
        card_fingerprint: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, i64, i64)> {
        // Few orders wait for a second step at any time; `orders_by_status` finds them.
        let row: (Option<i64>, Option<i64>, Option<i64>) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT SUM(CASE WHEN client_key = $1 THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN card_fingerprint = $3 THEN 1 ELSE 0 END) \
                 FROM orders WHERE status = 'pending_payment' AND payment_id IS NOT NULL AND hold_until > $4",
            )
            .bind(client_key)
            .bind(user_id)
            .bind(card_fingerprint)
            .bind(micros(now))
            .fetch_one(pool)
            .await
            .map_err(backend)?
        });
        Ok((row.0.unwrap_or(0), row.1.unwrap_or(0), row.2.unwrap_or(0)))
    }

    pub(super) async fn order_status_in(&self, id: &str) -> StoreResult<Option<OrderStatus>> {
        let row: Option<(String,)> = read!(self, |pool| {
            sqlx::query_as("SELECT status FROM orders WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        row.map(|(s,)| OrderStatus::parse(&s).ok_or_else(|| decode_err("order status", &s))).transpose()
    }

    pub(super) async fn pending_orders_in(&self, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                // The holds that end first come first: a sweep bounded by `limit` never lets
                // vouchers waiting for days crowd out an order left in doubt minutes ago.
                "SELECT id FROM orders WHERE status = 'pending_payment' AND created_at <= $1 \
                 ORDER BY COALESCE(hold_until, created_at), created_at, id LIMIT $2",
            )
            .bind(micros(before))
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
