//! The orders half of [`SqlStore`]: orders read with their consignments and lines, and the
//! macros the steps share. It never decides a business rule; each write checks the state it starts from.

use async_trait::async_trait;
use podium_app::orders::{
    Address, ConsignmentRecord, Fulfil, FulfilRefused, IdempotencyClaim, MarkPaid, NewMail, NewOrder, NotPlaced,
    OrderLine, OrderRecord, OrderStore, PaymentFacts, QueuedMail, RefundPlan, ReturnRecord, RoyaltyLine,
    ShopConsignment,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::order::{ConsignmentStatus, OrderStatus};
use sqlx::Row;
use time::OffsetDateTime;

use crate::macros::read;
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, decode_err, from_micros, SqlStore};

const ORDER_SELECT: &str = "SELECT id, number, token_hash, cart_id, user_id, email, lang, country, currency, \
    ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, total, refunded, status, failure, payment_id, \
    card_brand, card_last4, card_fingerprint, next_action, created_at, hold_until, paid_at, fx_snapshot, ship_region, \
    ship_phone, ship_customs_code, pay_method, pay_action FROM orders";

const CONSIGNMENT_SELECT: &str = "SELECT c.id, c.order_id, c.shop_id, o.slug AS shop_slug, o.name AS shop_name, \
    c.ship_from, c.regime, c.goods, c.shipping, c.vat, c.duty, c.total, c.refunded, c.days_min, c.days_max, \
    c.return_window_days, c.commission_bp, c.status, c.carrier, c.tracking, c.accepted_at, c.shipped_at, \
    c.delivered_at FROM consignments c JOIN orgs o ON o.id = c.shop_id";

const LINE_SELECT: &str = "SELECT l.id, l.consignment_id, l.product_id, l.variant_id, l.sku, l.title, l.quantity, \
    l.unit, l.net, l.vat, l.duty, l.reservation_id, l.refunded_quantity, l.licensor_id, l.agreement_id, \
    l.rights_id, l.royalty_bp, u.code FROM order_lines l \
    JOIN consignments c ON c.id = l.consignment_id LEFT JOIN unit_codes u ON u.line_id = l.id";

fn order_from<R: Row>(r: &R) -> StoreResult<OrderRecord>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    i64: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| r.try_get::<String, _>(c).map_err(backend);
    let o = |c: &str| r.try_get::<Option<String>, _>(c).map_err(backend);
    let status: String = s("status")?;
    let created_at: i64 = r.try_get("created_at").map_err(backend)?;
    Ok(OrderRecord {
        id: s("id")?,
        number: s("number")?,
        token_hash: s("token_hash")?,
        cart_id: o("cart_id")?,
        user_id: o("user_id")?,
        email: s("email")?,
        lang: s("lang")?,
        address: Address {
            name: s("ship_name")?,
            line1: s("ship_line1")?,
            line2: s("ship_line2")?,
            city: s("ship_city")?,
            postal_code: s("ship_postal_code")?,
            region: s("ship_region")?,
            phone: s("ship_phone")?,
            customs_code: s("ship_customs_code")?,
            country: s("country")?,
        },
        currency: s("currency")?,
        total: r.try_get("total").map_err(backend)?,
        refunded: r.try_get("refunded").map_err(backend)?,
        status: OrderStatus::parse(&status).ok_or_else(|| decode_err("order status", &status))?,
        failure: o("failure")?,
        payment_id: o("payment_id")?,
        card_brand: o("card_brand")?,
        card_last4: o("card_last4")?,
        card_fingerprint: o("card_fingerprint")?,
        next_action: o("next_action")?,
        pay_method: {
            let m = s("pay_method")?;
            podium_domain::pay_method::PayMethod::parse(&m).ok_or_else(|| decode_err("payment method", &m))?
        },
        pay_action: o("pay_action")?.as_deref().and_then(podium_domain::pay_method::PaymentAction::from_json),
        created_at: from_micros(created_at),
        hold_until: r
            .try_get::<Option<i64>, _>("hold_until")
            .map_err(backend)?
            .map_or(from_micros(created_at) + time::Duration::minutes(15), from_micros),
        paid_at: r.try_get::<Option<i64>, _>("paid_at").map_err(backend)?.map(from_micros),
        fx_snapshot: s("fx_snapshot")?,
        consignments: Vec::new(),
    })
}

fn consignment_from<R: Row>(r: &R) -> StoreResult<ConsignmentRecord>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    i64: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| r.try_get::<String, _>(c).map_err(backend);
    let i = |c: &str| r.try_get::<i64, _>(c).map_err(backend);
    let t = |c: &str| r.try_get::<Option<i64>, _>(c).map(|v| v.map(from_micros)).map_err(backend);
    let status: String = s("status")?;
    Ok(ConsignmentRecord {
        id: s("id")?,
        order_id: s("order_id")?,
        shop_id: s("shop_id")?,
        shop_slug: s("shop_slug")?,
        shop_name: s("shop_name")?,
        ship_from: s("ship_from")?,
        regime: s("regime")?,
        goods: i("goods")?,
        shipping: i("shipping")?,
        vat: i("vat")?,
        duty: i("duty")?,
        total: i("total")?,
        refunded: i("refunded")?,
        days_min: i("days_min")?,
        days_max: i("days_max")?,
        return_window_days: i("return_window_days")?,
        commission_bp: u32::try_from(i("commission_bp")?).unwrap_or(0),
        status: ConsignmentStatus::parse(&status).ok_or_else(|| decode_err("consignment status", &status))?,
        carrier: r.try_get("carrier").map_err(backend)?,
        tracking: r.try_get("tracking").map_err(backend)?,
        accepted_at: t("accepted_at")?,
        shipped_at: t("shipped_at")?,
        delivered_at: t("delivered_at")?,
        lines: Vec::new(),
        returns: Vec::new(),
    })
}

fn line_from<R: Row>(r: &R) -> StoreResult<(String, OrderLine)>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    i64: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'x> sqlx::Decode<'x, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| r.try_get::<String, _>(c).map_err(backend);
    let i = |c: &str| r.try_get::<i64, _>(c).map_err(backend);
    Ok((
        s("consignment_id")?,
        OrderLine {
            id: s("id")?,
            product_id: s("product_id")?,
            variant_id: s("variant_id")?,
            sku: s("sku")?,
            title: s("title")?,
            quantity: i("quantity")?,
            unit: i("unit")?,
            net: i("net")?,
            vat: i("vat")?,
            duty: i("duty")?,
            reservation_id: s("reservation_id")?,
            refunded_quantity: i("refunded_quantity")?,
            licensor_id: s("licensor_id")?,
            agreement_id: s("agreement_id")?,
            rights_id: s("rights_id")?,
            royalty_bp: u32::try_from(i("royalty_bp")?).unwrap_or(0),
            codes: Vec::new(),
        },
    ))
}

/// A return with one of its lines (none: a return without lines).
type ReturnRow = (String, String, String, String, i64, i64, i64, Option<i64>, Option<String>, Option<i64>);

impl SqlStore {
    /// Reads orders whole: consignments, lines with their codes, and returns with their lines,
    /// in four queries whatever the number of orders.
    async fn orders_where(&self, filter: &str, bind: &str, limit: i64) -> StoreResult<Vec<OrderRecord>> {
        let head = format!("{ORDER_SELECT} WHERE {filter} ORDER BY created_at DESC LIMIT $2");
        let cons = format!(
            "{CONSIGNMENT_SELECT} WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY c.order_id, c.position"
        );
        let lines_sql = format!(
            "{LINE_SELECT} WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY l.consignment_id, l.position, l.id, u.unit"
        );
        let returns_sql =
            "SELECT r.id, r.consignment_id, r.status, r.reason, r.amount, r.restock, r.created_at, r.decided_at, \
             rl.line_id, rl.quantity FROM returns r JOIN consignments c ON c.id = r.consignment_id \
             LEFT JOIN return_lines rl ON rl.return_id = r.id \
             WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY r.created_at, r.id"
                .replace("{filter}", filter);
        // The four as one round trip (on SQLite; one after another on PostgreSQL).
        let mut reads = Chain::new();
        for sql in [head, cons, lines_sql, returns_sql] {
            reads.push(sql, [bind.into(), limit.into()]);
        }
        let (mut orders, mut consignments, lines, returns) = read!(self, |pool| {
            let mut conn = pool.acquire().await.map_err(backend)?;
            let sets = RunChain::fetch_chain(&mut *conn, &reads).await.map_err(backend)?;
            let [order_rows, consignment_rows, line_rows, return_rows] =
                <[_; 4]>::try_from(sets).map_err(|_| StoreError::Backend("an order read came back short".into()))?;
            let orders: Vec<OrderRecord> = order_rows.iter().map(order_from).collect::<StoreResult<_>>()?;
            let consignments: Vec<ConsignmentRecord> =
                consignment_rows.iter().map(consignment_from).collect::<StoreResult<_>>()?;
            // One row per line and code (a line without codes: one row, no code).
            let mut lines: Vec<(String, OrderLine)> = Vec::new();
            for row in &line_rows {
                let code: Option<String> = row.try_get("code").map_err(backend)?;
                let id: String = row.try_get("id").map_err(backend)?;
                match lines.last_mut() {
                    Some((_, line)) if line.id == id => line.codes.extend(code),
                    _ => {
                        let (consignment_id, mut line) = line_from(row)?;
                        line.codes.extend(code);
                        lines.push((consignment_id, line));
                    }
                }
            }
            let returns: Vec<ReturnRow> =
                return_rows.iter().map(sqlx::FromRow::from_row).collect::<Result<_, sqlx::Error>>().map_err(backend)?;
            (orders, consignments, lines, returns)
        });
        for (consignment_id, line) in lines {
            if let Some(c) = consignments.iter_mut().find(|c| c.id == consignment_id) {
                c.lines.push(line);
            }
        }
        // One row per return and line (a return without lines: one row, no line).
        let mut kept: Vec<(String, ReturnRecord)> = Vec::new();
        for (id, consignment_id, status, reason, amount, restock, created_at, decided_at, line, quantity) in returns {
            let line = line.zip(quantity);
            match kept.last_mut() {
                Some((_, r)) if r.id == id => r.lines.extend(line),
                _ => kept.push((
                    consignment_id,
                    ReturnRecord {
                        id,
                        status,
                        reason,
                        amount,
                        restock: restock != 0,
                        lines: line.into_iter().collect(),
                        created_at: from_micros(created_at),
                        decided_at: decided_at.map(from_micros),
                    },
                )),
            }
        }
        for (consignment_id, r) in kept {
            if let Some(c) = consignments.iter_mut().find(|c| c.id == consignment_id) {
                c.returns.push(r);
            }
        }
        for c in consignments {
            if let Some(o) = orders.iter_mut().find(|o| o.id == c.order_id) {
                o.consignments.push(c);
            }
        }
        Ok(orders)
    }

    async fn one_order(&self, filter: &str, bind: &str) -> StoreResult<Option<OrderRecord>> {
        Ok(self.orders_where(filter, bind, 1).await?.into_iter().next())
    }
}

/// Settles every reservation of the order's lines (`"captured"`: sold; `"released"`: given
/// back) inside the transaction `$tx`, each conditional on its still being held, in variant
/// order; evaluates to how many were no longer held.
macro_rules! settle_reservations {
    ($tx:ident, $order_id:expr, $to:literal) => {{
        let held: Vec<(String,)> = sqlx::query_as(
            "SELECT l.reservation_id FROM order_lines l JOIN consignments c ON c.id = l.consignment_id \
             WHERE c.order_id = $1 ORDER BY l.variant_id",
        )
        .bind($order_id)
        .fetch_all(&mut *$tx)
        .await
        .map_err(backend)?;
        let mut gone = 0usize;
        for (rid,) in held {
            let r: Option<(String, String, i64)> = sqlx::query_as(
                "UPDATE reservations SET state = $2 WHERE id = $1 AND state = 'held' \
                 RETURNING variant_id, location_id, quantity",
            )
            .bind(&rid)
            .bind($to)
            .fetch_optional(&mut *$tx)
            .await
            .map_err(backend)?;
            match r {
                Some((variant_id, location_id, quantity)) => {
                    sqlx::query(crate::inventory::stock_sql($to))
                        .bind(quantity)
                        .bind(&variant_id)
                        .bind(&location_id)
                        .execute(&mut *$tx)
                        .await
                        .map_err(backend)?;
                    if $to == "released" {
                        crate::macros::stock_moved!($tx, &variant_id, quantity, time::OffsetDateTime::now_utc());
                    }
                }
                None => gone += 1,
            }
        }
        gone
    }};
}

/// Queues a mail inside the transaction `$tx`.
macro_rules! queue_mail {
    ($tx:ident, $mail:expr, $now:expr) => {{
        let mail: &NewMail = $mail;
        sqlx::query(
            "INSERT INTO mails (id, kind, recipient, lang, order_id, consignment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(mail.kind.as_str())
        .bind(&mail.recipient)
        .bind(&mail.lang)
        .bind(&mail.order_id)
        .bind(&mail.consignment_id)
        .bind(micros($now))
        .execute(&mut *$tx)
        .await
        .map_err(backend)?;
    }};
}

#[async_trait]
impl OrderStore for SqlStore {
    async fn place_order(&self, order: &NewOrder) -> StoreResult<Result<(), NotPlaced>> {
        self.place_order_in(order).await
    }

    async fn order(&self, id: &str) -> StoreResult<Option<OrderRecord>> {
        self.one_order("id = $1", id).await
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<OrderRecord>> {
        self.one_order("number = $1", number).await
    }

    async fn record_payment(
        &self,
        order_id: &str,
        f: &PaymentFacts,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.record_payment_in(order_id, f, mail, now).await
    }

    async fn mark_paid(
        &self,
        order_id: &str,
        facts: Option<&PaymentFacts>,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<MarkPaid> {
        self.mark_paid_in(order_id, facts, mail, postings, now).await
    }

    async fn cancel_order(&self, order_id: &str, failure: &str, now: OffsetDateTime) -> StoreResult<bool> {
        self.cancel_order_in(order_id, failure, now).await
    }

    async fn pending_holds(
        &self,
        client_key: Option<&str>,
        user_id: Option<&str>,
        card_fingerprint: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, i64, i64)> {
        self.pending_holds_in(client_key, user_id, card_fingerprint, now).await
    }

    async fn order_status(&self, id: &str) -> StoreResult<Option<OrderStatus>> {
        self.order_status_in(id).await
    }

    async fn pending_orders(&self, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>> {
        self.pending_orders_in(before, limit).await
    }

    async fn orders_of_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<OrderRecord>> {
        self.orders_where("user_id = $1", user_id, limit).await
    }

    async fn shop_consignments(&self, shop_id: &str, limit: i64) -> StoreResult<Vec<ShopConsignment>> {
        self.shop_consignments_in(shop_id, limit).await
    }

    async fn order_of_consignment(&self, consignment_id: &str) -> StoreResult<Option<OrderRecord>> {
        self.one_order("id = (SELECT order_id FROM consignments WHERE id = $1)", consignment_id).await
    }

    async fn fulfil(
        &self,
        consignment_id: &str,
        step: &Fulfil,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<Result<(), FulfilRefused>> {
        self.fulfil_in(consignment_id, step, mail, now).await
    }

    async fn free_codes(&self, shop_id: &str, variant_id: &str, limit: i64) -> StoreResult<Vec<String>> {
        self.free_codes_in(shop_id, variant_id, limit).await
    }

    async fn request_return(
        &self,
        consignment_id: &str,
        lines: &[(String, i64)],
        reason: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String> {
        self.request_return_in(consignment_id, lines, reason, now).await
    }

    async fn record_refund(
        &self,
        plan: &RefundPlan,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        self.record_refund_in(plan, mail, postings, now).await
    }

    async fn refuse_return(&self, return_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        self.refuse_return_in(return_id, now).await
    }

    async fn claim_mails(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: i64,
    ) -> StoreResult<Vec<QueuedMail>> {
        self.claim_mails_in(now, lease, limit).await
    }

    async fn mail_sent(&self, id: &str, now: OffsetDateTime) -> StoreResult<()> {
        self.mail_sent_in(id, now).await
    }

    async fn first_webhook(&self, event_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        self.first_webhook_in(event_id, now).await
    }

    async fn claim_idempotency(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
        lease: time::Duration,
    ) -> StoreResult<IdempotencyClaim> {
        self.claim_idempotency_in(scope, key, request_hash, now, lease).await
    }

    async fn royalty_lines(&self, agreement_id: &str) -> StoreResult<Vec<RoyaltyLine>> {
        self.royalty_lines_in(agreement_id).await
    }

    async fn shared_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        self.shared_secret_in(name, candidate).await
    }

    async fn finish_idempotency(&self, scope: &str, key: &str, answer: Option<(u16, &str)>) -> StoreResult<()> {
        self.finish_idempotency_in(scope, key, answer).await
    }
}

mod fulfilment;
mod payment;
mod placing;
mod queues;
mod returns;
