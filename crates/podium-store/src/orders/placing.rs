//! Placing an order: stock reserved in variant order (so concurrent checkouts never deadlock),
//! the order, its consignments and lines written in one transaction.

use crate::macros::{stock_moved, write_tx};
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, micros, new_id, SqlStore};
use podium_app::orders::{NewOrder, NotPlaced};
use podium_app::{StoreError, StoreResult};

impl SqlStore {
    pub(super) async fn place_order_in(&self, order: &NewOrder) -> StoreResult<Result<(), NotPlaced>> {
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
            // What the checkout writes once its stock is taken goes in one round trip.
            let mut rows = Chain::new();
            for (ci, li, variant_id, quantity, sku) in &wanted {
                // One statement takes the units from the first location holding enough …
                let first: Option<(String, i64)> = sqlx::query_as(
                    "UPDATE stock_levels SET reserved = reserved + $1 \
                     WHERE variant_id = $2 AND on_hand - reserved >= $1 AND location_id = \
                     (SELECT location_id FROM stock_levels WHERE variant_id = $2 AND on_hand - reserved >= $1 \
                      ORDER BY location_id LIMIT 1) \
                     RETURNING location_id, on_hand - reserved",
                )
                .bind(*quantity)
                .bind(*variant_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let mut taken = first;
                // … unless (on PostgreSQL) another checkout emptied it between the choice and the
                // row lock: then each location holding enough is tried in turn.
                let locations: Vec<(String,)> = if taken.is_some() {
                    Vec::new()
                } else {
                    sqlx::query_as(
                        "SELECT location_id FROM stock_levels WHERE variant_id = $1 AND on_hand - reserved >= $2 \
                         ORDER BY location_id",
                    )
                    .bind(*variant_id)
                    .bind(*quantity)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?
                };
                for (location_id,) in locations {
                    let done: Option<(i64,)> = sqlx::query_as(
                        "UPDATE stock_levels SET reserved = reserved + $1 \
                         WHERE variant_id = $2 AND location_id = $3 AND on_hand - reserved >= $1 \
                         RETURNING on_hand - reserved",
                    )
                    .bind(*quantity)
                    .bind(*variant_id)
                    .bind(&location_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if let Some((left,)) = done {
                        taken = Some((location_id, left));
                        break;
                    }
                }
                let Some((location_id, left)) = taken else {
                    // Dropping the transaction rolls back every reservation taken so far.
                    return Ok(Err(NotPlaced::SoldOut { sku: (*sku).to_string() }));
                };
                // The last units here: the variant may have sold out (other locations decide).
                if left <= 0 {
                    stock_moved!(tx, *variant_id, -*quantity, order.created_at);
                }
                let id = new_id();
                rows.push(
                    "INSERT INTO reservations (id, variant_id, location_id, quantity, state, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 'held', $5, $6)",
                    [
                        id.as_str().into(),
                        (*variant_id).into(),
                        location_id.into(),
                        (*quantity).into(),
                        until.into(),
                        now.into(),
                    ],
                );
                reservations.push(((*ci, *li), id));
            }
            let a = &order.address;
            rows.push(
                "INSERT INTO orders (id, number, token_hash, cart_id, user_id, email, lang, country, currency, \
                 ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, total, status, created_at, updated_at, \
                 fx_snapshot, client_key, hold_until, ship_region, ship_phone, ship_customs_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending_payment', $16, $16, \
                 $17, $18, $19, $20, $21, $22)",
                [
                    (&order.id).into(),
                    (&order.number).into(),
                    (&order.token_hash).into(),
                    (&order.cart_id).into(),
                    (&order.user_id).into(),
                    (&order.email).into(),
                    (&order.lang).into(),
                    (&a.country).into(),
                    (&order.currency).into(),
                    (&a.name).into(),
                    (&a.line1).into(),
                    (&a.line2).into(),
                    (&a.city).into(),
                    (&a.postal_code).into(),
                    order.total.into(),
                    now.into(),
                    (&order.fx_snapshot).into(),
                    (&order.client_key).into(),
                    until.into(),
                    (&a.region).into(),
                    (&a.phone).into(),
                    (&a.customs_code).into(),
                ],
            );
            for (ci, c) in order.consignments.iter().enumerate() {
                let cid = new_id();
                rows.push(
                    "INSERT INTO consignments (id, order_id, position, shop_id, ship_from, regime, goods, shipping, \
                     vat, duty, total, days_min, days_max, commission_bp, return_window_days, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     COALESCE((SELECT return_window_days FROM orgs WHERE id = $4), 14), 'new')",
                    [
                        (&cid).into(),
                        (&order.id).into(),
                        i64::try_from(ci).unwrap_or(0).into(),
                        (&c.shop_id).into(),
                        (&c.ship_from).into(),
                        (&c.regime).into(),
                        c.goods.into(),
                        c.shipping.into(),
                        c.vat.into(),
                        c.duty.into(),
                        c.total.into(),
                        c.days_min.into(),
                        c.days_max.into(),
                        i64::from(c.commission_bp).into(),
                    ],
                );
                for (li, l) in c.lines.iter().enumerate() {
                    let reservation = reservations
                        .iter()
                        .find(|(k, _)| *k == (ci, li))
                        .map(|(_, r)| r.clone())
                        .ok_or(StoreError::NotFound("reservation"))?;
                    rows.push(
                        "INSERT INTO order_lines (id, consignment_id, position, product_id, variant_id, sku, title, \
                         quantity, unit, net, vat, duty, reservation_id, licensor_id, agreement_id, royalty_bp, rights_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                        [
                            new_id().into(),
                            (&cid).into(),
                            i64::try_from(li).unwrap_or(0).into(),
                            (&l.product_id).into(),
                            (&l.variant_id).into(),
                            (&l.sku).into(),
                            (&l.title).into(),
                            l.quantity.into(),
                            l.unit.into(),
                            l.net.into(),
                            l.vat.into(),
                            l.duty.into(),
                            reservation.into(),
                            (&l.licensor_id).into(),
                            (&l.agreement_id).into(),
                            i64::from(l.royalty_bp).into(),
                            (&l.rights_id).into(),
                        ],
                    );
                }
            }
            // The card-testing counters count the attempt with the order it placed.
            crate::sql::sessions::push_rate_hits(
                &mut rows,
                &order.counted.keys,
                order.counted.window,
                order.created_at,
            );
            // A clash can only be the order number's (every other id is new here).
            tx.run_chain(&rows).await.map_err(crate::sql::conflict("number"))?;
            Ok(())
        });
        Ok(result)
    }
}
