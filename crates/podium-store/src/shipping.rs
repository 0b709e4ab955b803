//! The shipping half of [`SqlStore`]: profiles and their zones, one default per shop.

use async_trait::async_trait;
use podium_app::shipping::ShippingStore;
use podium_app::{StoreError, StoreResult};
use podium_domain::shipping::{ShippingProfile, Zone};
use podium_domain::{Country, Currency, Money};
use time::OffsetDateTime;

use crate::macros::{outbox, read, write_tx};
use crate::sql::placeholders;
use crate::sql::{backend, conflict, decode_err, micros, new_id, SqlStore};

type ProfileRow = (String, String, String, i64);
type ZoneRow = (String, String, String, i64, i64, String, i64, i64);

/// `countries` as stored: comma-separated codes, or `*` for the rest of the world.
fn countries_text(z: &Zone) -> String {
    if z.rest_of_world {
        "*".into()
    } else {
        z.countries.iter().map(Country::code).collect::<Vec<_>>().join(",")
    }
}

fn zone_from(row: ZoneRow) -> StoreResult<(String, Zone)> {
    let (profile_id, name, countries, flat, per_item, currency, days_min, days_max) = row;
    let currency = Currency::parse(&currency).map_err(|_| decode_err("currency", &currency))?;
    let rest_of_world = countries == "*";
    let countries = if rest_of_world {
        Vec::new()
    } else {
        countries
            .split(',')
            .map(|c| Country::parse(c).map_err(|_| decode_err("country", c)))
            .collect::<StoreResult<Vec<_>>>()?
    };
    Ok((
        profile_id,
        Zone {
            name,
            countries,
            rest_of_world,
            flat: Money::new(flat, currency),
            per_item: Money::new(per_item, currency),
            days_min: u16::try_from(days_min).unwrap_or(0),
            days_max: u16::try_from(days_max).unwrap_or(0),
        },
    ))
}

impl SqlStore {
    /// The profiles of these shops with their zones, as `(shop_id, profile)`, each shop's default
    /// first and then by name.
    pub(crate) async fn load_profiles(&self, shop_ids: &[String]) -> StoreResult<Vec<(String, ShippingProfile)>> {
        if shop_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders(1, shop_ids.len());
        let profiles_sql = format!(
            "SELECT id, shop_id, name, is_default FROM shipping_profiles WHERE shop_id IN ({list}) \
             ORDER BY shop_id, is_default DESC, name"
        );
        let zones_sql = format!(
            "SELECT z.profile_id, z.name, z.countries, z.flat_minor, z.per_item_minor, z.currency, z.days_min, \
             z.days_max FROM shipping_zones z JOIN shipping_profiles p ON p.id = z.profile_id \
             WHERE p.shop_id IN ({list}) ORDER BY z.profile_id, z.position"
        );
        let (profiles, zones): (Vec<ProfileRow>, Vec<ZoneRow>) = read!(self, |pool| {
            let mut q = sqlx::query_as(&profiles_sql);
            for id in shop_ids {
                q = q.bind(id);
            }
            let profiles = q.fetch_all(pool).await.map_err(backend)?;
            let mut q = sqlx::query_as(&zones_sql);
            for id in shop_ids {
                q = q.bind(id);
            }
            (profiles, q.fetch_all(pool).await.map_err(backend)?)
        });
        let mut out: Vec<(String, ShippingProfile)> = profiles
            .into_iter()
            .map(|(id, shop_id, name, is_default)| {
                (shop_id, ShippingProfile { id, name, is_default: is_default != 0, zones: Vec::new() })
            })
            .collect();
        for row in zones {
            let (profile_id, zone) = zone_from(row)?;
            if let Some((_, p)) = out.iter_mut().find(|(_, p)| p.id == profile_id) {
                p.zones.push(zone);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ShippingStore for SqlStore {
    async fn shipping_profiles(&self, shop_id: &str) -> StoreResult<Vec<ShippingProfile>> {
        Ok(self.load_profiles(&[shop_id.to_string()]).await?.into_iter().map(|(_, p)| p).collect())
    }

    async fn save_shipping_profile(&self, shop_id: &str, profile: &ShippingProfile) -> StoreResult<ShippingProfile> {
        let now = OffsetDateTime::now_utc();
        let mut saved = profile.clone();
        write_tx!(self, |tx| {
            if saved.is_default {
                sqlx::query("UPDATE shipping_profiles SET is_default = 0 WHERE shop_id = $1 AND id <> $2")
                    .bind(shop_id)
                    .bind(&saved.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            if saved.id.is_empty() {
                saved.id = new_id();
                sqlx::query(
                    "INSERT INTO shipping_profiles (id, shop_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&saved.id)
                .bind(shop_id)
                .bind(&saved.name)
                .bind(i64::from(saved.is_default))
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(conflict("name"))?;
            } else {
                let done = sqlx::query(
                    "UPDATE shipping_profiles SET name = $3, is_default = $4 WHERE id = $1 AND shop_id = $2",
                )
                .bind(&saved.id)
                .bind(shop_id)
                .bind(&saved.name)
                .bind(i64::from(saved.is_default))
                .execute(&mut *tx)
                .await
                .map_err(conflict("name"))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("shipping profile"));
                }
                sqlx::query("DELETE FROM shipping_zones WHERE profile_id = $1")
                    .bind(&saved.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            for (position, z) in saved.zones.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO shipping_zones (profile_id, position, name, countries, flat_minor, per_item_minor, \
                     currency, days_min, days_max) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&saved.id)
                .bind(position as i64)
                .bind(&z.name)
                .bind(countries_text(z))
                .bind(z.flat.minor)
                .bind(z.per_item.minor)
                .bind(z.flat.currency.code())
                .bind(i64::from(z.days_min))
                .bind(i64::from(z.days_max))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            outbox!(tx, "shipping.changed", serde_json::json!({"shop_id": shop_id}).to_string(), now);
        });
        Ok(saved)
    }

    async fn delete_shipping_profile(&self, shop_id: &str, profile_id: &str) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE products SET shipping_profile_id = NULL WHERE shop_id = $1 AND shipping_profile_id = $2",
            )
            .bind(shop_id)
            .bind(profile_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let done = sqlx::query("DELETE FROM shipping_profiles WHERE id = $1 AND shop_id = $2 AND is_default = 0")
                .bind(profile_id)
                .bind(shop_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("shipping profile"));
            }
            outbox!(tx, "shipping.changed", serde_json::json!({"shop_id": shop_id}).to_string(), now);
        });
        Ok(())
    }

    async fn product_ids_of_shop(&self, shop_id: &str) -> StoreResult<Vec<String>> {
        read!(self, |pool| {
            sqlx::query_scalar::<_, String>("SELECT id FROM products WHERE shop_id = $1 ORDER BY id")
                .bind(shop_id)
                .fetch_all(pool)
                .await
                .map_err(backend)
        })
    }

    async fn assign_shipping_profile(
        &self,
        shop_id: &str,
        product_ids: &[String],
        profile_id: Option<&str>,
    ) -> StoreResult<u64> {
        if product_ids.is_empty() {
            return Ok(0);
        }
        let now = OffsetDateTime::now_utc();
        let sql = format!(
            "UPDATE products SET shipping_profile_id = $1 WHERE shop_id = $2 AND id IN ({})",
            placeholders(3, product_ids.len())
        );
        let changed = write_tx!(self, |tx| {
            if let Some(id) = profile_id {
                let found: Option<(String,)> =
                    sqlx::query_as("SELECT id FROM shipping_profiles WHERE id = $1 AND shop_id = $2")
                        .bind(id)
                        .bind(shop_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                if found.is_none() {
                    return Err(StoreError::NotFound("shipping profile"));
                }
            }
            let mut q = sqlx::query(&sql).bind(profile_id).bind(shop_id);
            for id in product_ids {
                q = q.bind(id);
            }
            let changed = q.execute(&mut *tx).await.map_err(backend)?.rows_affected();
            outbox!(tx, "shipping.changed", serde_json::json!({"shop_id": shop_id}).to_string(), now);
            changed
        });
        Ok(changed)
    }
}
