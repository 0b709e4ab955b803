//! The cart half of [`SqlStore`].

use async_trait::async_trait;
use podium_app::cart::{CartRecord, CartStore};
use podium_app::orders::Address;
use podium_app::{StoreError, StoreResult};
use sqlx::Row;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::chain::{Chain, RunChain};
use crate::sql::{backend, from_micros, micros, SqlStore};

#[async_trait]
impl CartStore for SqlStore {
    async fn create_cart(&self, id: &str, country: &str, currency: &str) -> StoreResult<CartRecord> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO carts (id, country, currency, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(id)
            .bind(country)
            .bind(currency)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(CartRecord {
            id: id.to_string(),
            country: country.to_string(),
            currency: currency.to_string(),
            lines: Vec::new(),
            email: String::new(),
            address: Address { country: country.to_string(), ..Address::default() },
            created_at: from_micros(micros(now)),
            user_id: None,
            revision: 0,
            checkout_order: None,
            ordered: None,
        })
    }

    async fn cart(&self, id: &str) -> StoreResult<Option<CartRecord>> {
        // The cart and its lines in one query (one snapshot): a row per line, or one row with no
        // line for an empty cart.
        let sql = "SELECT c.country, c.currency, c.created_at, c.email, c.ship_name, c.ship_line1, c.ship_line2, \
                   c.ship_city, c.ship_postal_code, c.user_id, c.revision, c.checkout_order_id, c.ordered_id, \
                   c.ship_region, c.ship_phone, c.ship_customs_code, l.sku, l.quantity \
                   FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE c.id = $1 ORDER BY l.position";
        read!(self, |pool| {
            let rows = sqlx::query(sql).bind(id).fetch_all(pool).await.map_err(backend)?;
            let Some(first) = rows.first() else { return Ok(None) };
            let mut lines = Vec::with_capacity(rows.len());
            for row in &rows {
                let sku: Option<String> = row.try_get("sku").map_err(backend)?;
                let quantity: Option<i64> = row.try_get("quantity").map_err(backend)?;
                lines.extend(sku.zip(quantity));
            }
            let s = |c: &str| first.try_get::<String, _>(c).map_err(backend);
            let o = |c: &str| first.try_get::<Option<String>, _>(c).map_err(backend);
            let country = s("country")?;
            Ok(Some(CartRecord {
                id: id.to_string(),
                address: Address {
                    name: s("ship_name")?,
                    line1: s("ship_line1")?,
                    line2: s("ship_line2")?,
                    city: s("ship_city")?,
                    postal_code: s("ship_postal_code")?,
                    country: country.clone(),
                    region: s("ship_region")?,
                    phone: s("ship_phone")?,
                    customs_code: s("ship_customs_code")?,
                },
                email: s("email")?,
                country,
                currency: s("currency")?,
                lines,
                created_at: from_micros(first.try_get("created_at").map_err(backend)?),
                user_id: o("user_id")?,
                revision: first.try_get("revision").map_err(backend)?,
                checkout_order: o("checkout_order_id")?,
                ordered: o("ordered_id")?,
            }))
        })
    }

    async fn set_cart_line(&self, cart_id: &str, sku: &str, quantity: i64) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        // One round trip: the cart touched, and its line written only if the cart exists;
        // nothing changed means there is no such cart.
        let mut rows = Chain::new();
        // A new line after an order starts new shopping: the cart no longer reads as ordered.
        rows.push(
            "UPDATE carts SET updated_at = $2, revision = revision + 1, \
             ordered_id = CASE WHEN $3 > 0 THEN NULL ELSE ordered_id END WHERE id = $1",
            [cart_id.into(), micros(now).into(), quantity.into()],
        );
        if quantity <= 0 {
            rows.push("DELETE FROM cart_lines WHERE cart_id = $1 AND sku = $2", [cart_id.into(), sku.into()]);
        } else {
            rows.push(
                "INSERT INTO cart_lines (cart_id, sku, quantity, position) \
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM carts WHERE id = $1) \
                 ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = excluded.quantity",
                [cart_id.into(), sku.into(), quantity.into(), micros(now).into()],
            );
        }
        write_tx!(self, |tx| {
            if tx.run_chain(&rows).await.map_err(backend)? == 0 {
                return Err(StoreError::NotFound("cart"));
            }
        });
        Ok(())
    }

    async fn set_cart_contact(&self, cart_id: &str, email: &str, a: &Address) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let done = sqlx::query(
                "UPDATE carts SET email = $2, ship_name = $3, ship_line1 = $4, ship_line2 = $5, ship_city = $6, \
                 ship_postal_code = $7, updated_at = $8, ship_region = $9, ship_phone = $10, ship_customs_code = $11 \
                 WHERE id = $1",
            )
            .bind(cart_id)
            .bind(email)
            .bind(&a.name)
            .bind(&a.line1)
            .bind(&a.line2)
            .bind(&a.city)
            .bind(&a.postal_code)
            .bind(micros(now))
            .bind(&a.region)
            .bind(&a.phone)
            .bind(&a.customs_code)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("cart"));
            }
        });
        Ok(())
    }

    async fn user_cart(&self, user_id: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = read!(self, |pool| {
            sqlx::query_as("SELECT id FROM carts WHERE user_id = $1 ORDER BY updated_at DESC LIMIT 1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(row.map(|(id,)| id))
    }

    async fn set_cart_owner(&self, cart_id: &str, user_id: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE carts SET user_id = $2 WHERE id = $1")
                .bind(cart_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn set_cart_place(&self, cart_id: &str, country: &str, currency: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE carts SET country = $2, currency = $3, updated_at = $4, revision = revision + 1 WHERE id = $1",
            )
            .bind(cart_id)
            .bind(country)
            .bind(currency)
            .bind(micros(OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }
}
