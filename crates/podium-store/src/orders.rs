//! The orders half of [`SqlStore`]: orders written with their reservations in one transaction,
//! payment, fulfilment and refund steps that are each conditional on the state they start
//! from, the mail queue, webhook de-duplication and idempotency keys.

use async_trait::async_trait;
use podium_app::orders::{
    Address, ConsignmentRecord, Fulfil, FulfilRefused, IdempotencyClaim, MailKind, MarkPaid, NewMail, NewOrder,
    NotPlaced, OrderLine, OrderRecord, OrderStore, PaymentFacts, QueuedMail, RefundPlan, ReturnRecord, RoyaltyLine,
    ShopConsignment,
};
use podium_app::{StoreError, StoreResult};
use podium_domain::order::{ConsignmentStatus, OrderStatus};
use sqlx::Row;
use time::OffsetDateTime;

use crate::ledger::post_transfers;
use crate::macros::{read, write_tx};
use crate::sql::{backend, decode_err, from_micros, micros, new_id, SqlStore};

const ORDER_SELECT: &str = "SELECT id, number, token_hash, cart_id, user_id, email, lang, country, currency, \
    ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, total, refunded, status, failure, payment_id, \
    card_brand, card_last4, card_fingerprint, next_action, created_at, hold_until, paid_at, fx_snapshot, ship_region, \
    ship_phone, ship_customs_code FROM orders";

const CONSIGNMENT_SELECT: &str = "SELECT c.id, c.order_id, c.shop_id, o.slug AS shop_slug, o.name AS shop_name, \
    c.ship_from, c.regime, c.goods, c.shipping, c.vat, c.duty, c.total, c.refunded, c.days_min, c.days_max, \
    c.return_window_days, c.commission_bp, c.status, c.carrier, c.tracking, c.accepted_at, c.shipped_at, \
    c.delivered_at FROM consignments c JOIN orgs o ON o.id = c.shop_id";

const LINE_SELECT: &str = "SELECT l.id, l.consignment_id, l.product_id, l.variant_id, l.sku, l.title, l.quantity, \
    l.unit, l.net, l.vat, l.duty, l.reservation_id, l.refunded_quantity, l.licensor_id, l.agreement_id, \
    l.rights_id, l.royalty_bp FROM order_lines l \
    JOIN consignments c ON c.id = l.consignment_id";

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

type ReturnRow = (String, String, String, String, i64, i64, i64, Option<i64>);

impl SqlStore {
    /// Reads orders whole: consignments, lines, codes and returns, a fixed number of queries
    /// whatever the number of orders.
    async fn orders_where(&self, filter: &str, bind: &str, limit: i64) -> StoreResult<Vec<OrderRecord>> {
        let head = format!("{ORDER_SELECT} WHERE {filter} ORDER BY created_at DESC LIMIT $2");
        let cons = format!(
            "{CONSIGNMENT_SELECT} WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY c.order_id, c.position"
        );
        let lines = format!(
            "{LINE_SELECT} WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY l.consignment_id, l.position"
        );
        let codes_sql = "SELECT u.line_id, u.code FROM unit_codes u JOIN order_lines l ON l.id = u.line_id \
             JOIN consignments c ON c.id = l.consignment_id \
             WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY u.line_id, u.unit"
            .replace("{filter}", filter);
        let returns_sql =
            "SELECT r.id, r.consignment_id, r.status, r.reason, r.amount, r.restock, r.created_at, r.decided_at \
             FROM returns r JOIN consignments c ON c.id = r.consignment_id \
             WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2) \
             ORDER BY r.created_at"
                .replace("{filter}", filter);
        let rlines_sql = "SELECT rl.return_id, rl.line_id, rl.quantity FROM return_lines rl \
             JOIN returns r ON r.id = rl.return_id JOIN consignments c ON c.id = r.consignment_id \
             WHERE c.order_id IN (SELECT id FROM orders WHERE {filter} ORDER BY created_at DESC LIMIT $2)"
            .replace("{filter}", filter);
        let (mut orders, mut consignments, lines, codes, returns, rlines) = read!(self, |pool| {
            let orders: Vec<OrderRecord> = sqlx::query(&head)
                .bind(bind)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(backend)?
                .iter()
                .map(order_from)
                .collect::<StoreResult<_>>()?;
            if orders.is_empty() {
                return Ok(orders);
            }
            let consignments: Vec<ConsignmentRecord> = sqlx::query(&cons)
                .bind(bind)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(backend)?
                .iter()
                .map(consignment_from)
                .collect::<StoreResult<_>>()?;
            let lines: Vec<(String, OrderLine)> = sqlx::query(&lines)
                .bind(bind)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(backend)?
                .iter()
                .map(line_from)
                .collect::<StoreResult<_>>()?;
            let codes: Vec<(String, String)> =
                sqlx::query_as(&codes_sql).bind(bind).bind(limit).fetch_all(pool).await.map_err(backend)?;
            let returns: Vec<ReturnRow> =
                sqlx::query_as(&returns_sql).bind(bind).bind(limit).fetch_all(pool).await.map_err(backend)?;
            let rlines: Vec<(String, String, i64)> =
                sqlx::query_as(&rlines_sql).bind(bind).bind(limit).fetch_all(pool).await.map_err(backend)?;
            (orders, consignments, lines, codes, returns, rlines)
        });
        for (consignment_id, mut line) in lines {
            line.codes = codes.iter().filter(|(l, _)| *l == line.id).map(|(_, c)| c.clone()).collect();
            if let Some(c) = consignments.iter_mut().find(|c| c.id == consignment_id) {
                c.lines.push(line);
            }
        }
        for (id, consignment_id, status, reason, amount, restock, created_at, decided_at) in returns {
            let lines = rlines.iter().filter(|(r, _, _)| *r == id).map(|(_, l, q)| (l.clone(), *q)).collect();
            if let Some(c) = consignments.iter_mut().find(|c| c.id == consignment_id) {
                c.returns.push(ReturnRecord {
                    id,
                    status,
                    reason,
                    amount,
                    restock: restock != 0,
                    lines,
                    created_at: from_micros(created_at),
                    decided_at: decided_at.map(from_micros),
                });
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
        // Reserve in variant order so two checkouts that share variants never deadlock.
        let mut wanted: Vec<(usize, usize, &str, i64, &str)> = Vec::new();
        for (ci, c) in order.consignments.iter().enumerate() {
            for (li, l) in c.lines.iter().enumerate() {
                wanted.push((ci, li, l.variant_id.as_str(), l.quantity, l.sku.as_str()));
            }
        }
        wanted.sort_by(|a, b| a.2.cmp(b.2));
        let now = micros(order.created_at);
        let until = micros(order.reserve_until);
        let result = write_tx!(self, |tx| {
            // The cart first: a checkout claims it only if nobody has and its lines are those
            // priced. On PostgreSQL a second claim waits for the first's row lock, then finds
            // the condition false; on SQLite the IMMEDIATE transactions run one at a time.
            if let Some(cart_id) = &order.cart_id {
                let claimed = sqlx::query(
                    "UPDATE carts SET checkout_order_id = $2, revision = revision + 1 \
                     WHERE id = $1 AND revision = $3 AND checkout_order_id IS NULL",
                )
                .bind(cart_id)
                .bind(&order.id)
                .bind(order.cart_revision)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if claimed.rows_affected() == 0 {
                    return Ok(Err(NotPlaced::CartTaken));
                }
            }
            let mut reservations: Vec<((usize, usize), String)> = Vec::with_capacity(wanted.len());
            for (ci, li, variant_id, quantity, sku) in &wanted {
                let locations: Vec<(String,)> = sqlx::query_as(
                    "SELECT location_id FROM stock_levels WHERE variant_id = $1 AND on_hand - reserved >= $2 \
                     ORDER BY location_id",
                )
                .bind(*variant_id)
                .bind(*quantity)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                let mut taken = None;
                for (location_id,) in locations {
                    let done = sqlx::query(
                        "UPDATE stock_levels SET reserved = reserved + $1 \
                         WHERE variant_id = $2 AND location_id = $3 AND on_hand - reserved >= $1",
                    )
                    .bind(*quantity)
                    .bind(*variant_id)
                    .bind(&location_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if done.rows_affected() == 1 {
                        taken = Some(location_id);
                        break;
                    }
                }
                let Some(location_id) = taken else {
                    // Dropping the transaction rolls back every reservation taken so far.
                    return Ok(Err(NotPlaced::SoldOut { sku: (*sku).to_string() }));
                };
                let id = new_id();
                sqlx::query(
                    "INSERT INTO reservations (id, variant_id, location_id, quantity, state, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 'held', $5, $6)",
                )
                .bind(&id)
                .bind(*variant_id)
                .bind(&location_id)
                .bind(*quantity)
                .bind(until)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                reservations.push(((*ci, *li), id));
            }
            let a = &order.address;
            sqlx::query(
                "INSERT INTO orders (id, number, token_hash, cart_id, user_id, email, lang, country, currency, \
                 ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, total, status, created_at, updated_at, \
                 fx_snapshot, client_key, hold_until, ship_region, ship_phone, ship_customs_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending_payment', $16, $16, \
                 $17, $18, $19, $20, $21, $22)",
            )
            .bind(&order.id)
            .bind(&order.number)
            .bind(&order.token_hash)
            .bind(&order.cart_id)
            .bind(&order.user_id)
            .bind(&order.email)
            .bind(&order.lang)
            .bind(&a.country)
            .bind(&order.currency)
            .bind(&a.name)
            .bind(&a.line1)
            .bind(&a.line2)
            .bind(&a.city)
            .bind(&a.postal_code)
            .bind(order.total)
            .bind(now)
            .bind(&order.fx_snapshot)
            .bind(&order.client_key)
            .bind(until)
            .bind(&a.region)
            .bind(&a.phone)
            .bind(&a.customs_code)
            .execute(&mut *tx)
            .await
            .map_err(crate::sql::conflict("number"))?;
            for (ci, c) in order.consignments.iter().enumerate() {
                let cid = new_id();
                sqlx::query(
                    "INSERT INTO consignments (id, order_id, position, shop_id, ship_from, regime, goods, shipping, \
                     vat, duty, total, days_min, days_max, commission_bp, return_window_days, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     COALESCE((SELECT return_window_days FROM orgs WHERE id = $4), 14), 'new')",
                )
                .bind(&cid)
                .bind(&order.id)
                .bind(i64::try_from(ci).unwrap_or(0))
                .bind(&c.shop_id)
                .bind(&c.ship_from)
                .bind(&c.regime)
                .bind(c.goods)
                .bind(c.shipping)
                .bind(c.vat)
                .bind(c.duty)
                .bind(c.total)
                .bind(c.days_min)
                .bind(c.days_max)
                .bind(i64::from(c.commission_bp))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                for (li, l) in c.lines.iter().enumerate() {
                    let reservation = reservations
                        .iter()
                        .find(|(k, _)| *k == (ci, li))
                        .map(|(_, r)| r.clone())
                        .ok_or(StoreError::NotFound("reservation"))?;
                    sqlx::query(
                        "INSERT INTO order_lines (id, consignment_id, position, product_id, variant_id, sku, title, \
                         quantity, unit, net, vat, duty, reservation_id, licensor_id, agreement_id, royalty_bp, rights_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                    )
                    .bind(new_id())
                    .bind(&cid)
                    .bind(i64::try_from(li).unwrap_or(0))
                    .bind(&l.product_id)
                    .bind(&l.variant_id)
                    .bind(&l.sku)
                    .bind(&l.title)
                    .bind(l.quantity)
                    .bind(l.unit)
                    .bind(l.net)
                    .bind(l.vat)
                    .bind(l.duty)
                    .bind(reservation)
                    .bind(&l.licensor_id)
                    .bind(&l.agreement_id)
                    .bind(i64::from(l.royalty_bp))
                    .bind(&l.rights_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
            }
            Ok(())
        });
        Ok(result)
    }

    async fn order(&self, id: &str) -> StoreResult<Option<OrderRecord>> {
        self.one_order("id = $1", id).await
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<OrderRecord>> {
        self.one_order("number = $1", number).await
    }

    async fn record_payment(&self, order_id: &str, f: &PaymentFacts, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE orders SET payment_id = $2, card_brand = $3, card_last4 = $4, card_fingerprint = $5, \
                 next_action = COALESCE($6, next_action), updated_at = $7 WHERE id = $1",
            )
            .bind(order_id)
            .bind(&f.payment_id)
            .bind(&f.brand)
            .bind(&f.last4)
            .bind(&f.fingerprint)
            .bind(&f.next_action)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn mark_paid(
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
                 card_last4 = COALESCE($5, card_last4), card_fingerprint = COALESCE($6, card_fingerprint) \
                 WHERE id = $1 AND status = 'pending_payment' RETURNING cart_id",
            )
            .bind(order_id)
            .bind(at)
            .bind(facts.map(|f| f.payment_id.as_str()))
            .bind(facts.map(|f| f.brand.as_str()))
            .bind(facts.map(|f| f.last4.as_str()))
            .bind(facts.map(|f| f.fingerprint.as_str()))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((cart_id,)) = cart else { return Ok(MarkPaid::NotPending) };
            // Rolled back whole if one is no longer held: the order stays pending, nothing sold.
            if settle_reservations!(tx, order_id, "captured") > 0 {
                return Ok(MarkPaid::ReservationLost);
            }
            if let Some(cart_id) = cart_id {
                sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
                    .bind(&cart_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                // The cart became this order: a checkout priced from before is refused.
                sqlx::query(
                    "UPDATE carts SET revision = revision + 1, ordered_id = $2, \
                     checkout_order_id = CASE WHEN checkout_order_id = $2 THEN NULL ELSE checkout_order_id END \
                     WHERE id = $1",
                )
                .bind(&cart_id)
                .bind(order_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            // What was captured, split in the ledger in the same transaction.
            post_transfers!(tx, format!("capture:{order_id}"), postings, now);
            queue_mail!(tx, mail, now);
            MarkPaid::Paid
        });
        Ok(outcome)
    }

    async fn cancel_order(&self, order_id: &str, failure: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let cancelled = write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE orders SET status = 'cancelled', failure = $2, next_action = NULL, updated_at = $3 \
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

    async fn pending_holds(
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
                 FROM orders WHERE status = 'pending_payment' AND next_action IS NOT NULL AND hold_until > $4",
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

    async fn order_status(&self, id: &str) -> StoreResult<Option<OrderStatus>> {
        let row: Option<(String,)> = read!(self, |pool| {
            sqlx::query_as("SELECT status FROM orders WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        row.map(|(s,)| OrderStatus::parse(&s).ok_or_else(|| decode_err("order status", &s))).transpose()
    }

    async fn pending_orders(&self, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT id FROM orders WHERE status = 'pending_payment' AND created_at <= $1 ORDER BY created_at LIMIT $2",
            )
            .bind(micros(before))
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn orders_of_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<OrderRecord>> {
        self.orders_where("user_id = $1", user_id, limit).await
    }

    async fn shop_consignments(&self, shop_id: &str, limit: i64) -> StoreResult<Vec<ShopConsignment>> {
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

    async fn free_codes(&self, shop_id: &str, variant_id: &str, limit: i64) -> StoreResult<Vec<String>> {
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

    async fn request_return(
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

    async fn record_refund(
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
                    sqlx::query(
                        "UPDATE stock_levels SET on_hand = on_hand + $2 WHERE (variant_id, location_id) IN \
                         (SELECT r.variant_id, r.location_id FROM reservations r JOIN order_lines l \
                          ON l.reservation_id = r.id WHERE l.id = $1)",
                    )
                    .bind(line_id)
                    .bind(*q)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
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

    async fn refuse_return(&self, return_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
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

    async fn claim_mails(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: i64,
    ) -> StoreResult<Vec<QueuedMail>> {
        let at = micros(now);
        let until = micros(now + lease);
        type Row = (String, String, String, String, String, Option<String>, i64);
        // One conditional statement claims a batch; what another node claimed meanwhile no
        // longer matches and stays with it.
        let rows: Vec<Row> = write_tx!(self, |tx| {
            sqlx::query_as(
                "UPDATE mails SET lease_until = $2, attempts = attempts + 1 \
                 WHERE sent_at IS NULL AND lease_until <= $1 AND id IN \
                   (SELECT id FROM mails WHERE sent_at IS NULL AND lease_until <= $1 ORDER BY created_at LIMIT $3) \
                 RETURNING id, kind, recipient, lang, order_id, consignment_id, created_at",
            )
            .bind(at)
            .bind(until)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
        });
        let mut claimed = rows
            .into_iter()
            .map(|(id, kind, recipient, lang, order_id, consignment_id, created_at)| {
                Ok(QueuedMail {
                    kind: MailKind::parse(&kind).ok_or_else(|| decode_err("mail kind", &kind))?,
                    id,
                    recipient,
                    lang,
                    order_id,
                    consignment_id,
                    created_at: from_micros(created_at),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|m| m.created_at);
        Ok(claimed)
    }

    async fn mail_sent(&self, id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE mails SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn first_webhook(&self, event_id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let first = write_tx!(self, |tx| {
            sqlx::query("INSERT INTO webhook_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(event_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                == 1
        });
        Ok(first)
    }

    async fn claim_idempotency(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
        lease: time::Duration,
    ) -> StoreResult<IdempotencyClaim> {
        let at = micros(now);
        let until = micros(now + lease);
        let claim = write_tx!(self, |tx| {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (scope, idem_key, request_hash, lease_until, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(request_hash)
            .bind(until)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let row: Option<(String, Option<i64>, Option<String>, i64)> = sqlx::query_as(
                "SELECT request_hash, status, response, lease_until FROM idempotency_keys \
                 WHERE scope = $1 AND idem_key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            match row {
                _ if inserted.rows_affected() == 1 => IdempotencyClaim::Claimed,
                None => IdempotencyClaim::Running,
                Some((hash, _, _, _)) if hash != request_hash => IdempotencyClaim::Mismatch,
                Some((_, Some(status), Some(body), _)) => {
                    IdempotencyClaim::Done(u16::try_from(status).unwrap_or(500), body)
                }
                Some((_, _, _, lease)) if lease <= at => {
                    // The first holder died: take over, conditionally, so one taker wins.
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET lease_until = $3 \
                         WHERE scope = $1 AND idem_key = $2 AND status IS NULL AND lease_until <= $4",
                    )
                    .bind(scope)
                    .bind(key)
                    .bind(until)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if taken.rows_affected() == 1 {
                        IdempotencyClaim::Claimed
                    } else {
                        IdempotencyClaim::Running
                    }
                }
                Some(_) => IdempotencyClaim::Running,
            }
        });
        Ok(claim)
    }

    async fn royalty_lines(&self, agreement_id: &str) -> StoreResult<Vec<RoyaltyLine>> {
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

    async fn shared_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        let (value,): (String,) = write_tx!(self, |tx| {
            sqlx::query("INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(candidate)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            sqlx::query_as("SELECT value FROM shared_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?
        });
        Ok(value)
    }

    async fn finish_idempotency(&self, scope: &str, key: &str, answer: Option<(u16, &str)>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            match answer {
                Some((status, body)) => {
                    sqlx::query(
                        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE scope = $1 AND idem_key = $2",
                    )
                    .bind(scope)
                    .bind(key)
                    .bind(i64::from(status))
                    .bind(body)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                None => {
                    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND status IS NULL")
                        .bind(scope)
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
            }
        });
        Ok(())
    }
}
