//! Organisations, users and memberships: created, found by slug, e-mail or id, and the operator
//! flag.

use crate::macros::{outbox, read, write_tx};
use podium_app::{NewOrg, NewUser, Org, StoreError, StoreResult, User};
use podium_domain::role::OrgKind;
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn create_org_in(&self, org: NewOrg) -> StoreResult<Org> {
        let now = OffsetDateTime::now_utc();
        let created = Org {
            id: new_id(),
            kind: org.kind,
            slug: org.slug,
            name: org.name,
            country: org.country,
            currency: org.currency,
            story: String::new(),
            created_at: from_micros(micros(now)),
        };
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO orgs (id, kind, slug, name, country, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&created.id)
                .bind(created.kind.as_str())
                .bind(&created.slug)
                .bind(&created.name)
                .bind(&created.country)
                .bind(&created.currency)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(conflict("slug"))?;
            // A new shop ships everywhere, free, until its merchant sets rates (as migration 0006
            // did for shops that existed before profiles).
            if created.kind == OrgKind::Shop {
                let profile = format!("default-{}", created.id);
                sqlx::query(
                    "INSERT INTO shipping_profiles (id, shop_id, name, is_default, created_at) VALUES ($1, $2, 'Standard', 1, $3)",
                )
                .bind(&profile)
                .bind(&created.id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO shipping_zones (profile_id, position, name, countries, flat_minor, per_item_minor, \
                     currency, days_min, days_max) VALUES ($1, 0, 'Worldwide', '*', 0, 0, $2, 5, 15)",
                )
                .bind(&profile)
                .bind(&created.currency)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            let payload =
                serde_json::json!({"id": created.id, "kind": created.kind.as_str(), "slug": created.slug}).to_string();
            outbox!(tx, "org.created", payload, now);
        });
        Ok(created)
    }

    pub(super) async fn set_org_story_in(&self, org_id: &str, story: &str) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let done = sqlx::query("UPDATE orgs SET story = $1 WHERE id = $2")
                .bind(story)
                .bind(org_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("organisation"));
            }
            outbox!(tx, "org.changed", serde_json::json!({"id": org_id}).to_string(), now);
        });
        Ok(())
    }

    pub(super) async fn org_by_slug_in(&self, slug: &str) -> StoreResult<Option<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE slug = $1");
        read!(self, |pool| {
            let row = sqlx::query(&sql).bind(slug).fetch_optional(pool).await.map_err(backend)?;
            row.as_ref().map(org_from).transpose()
        })
    }

    pub(super) async fn orgs_of_kind_in(&self, kind: OrgKind) -> StoreResult<Vec<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE kind = $1 ORDER BY name");
        read!(self, |pool| {
            let rows = sqlx::query(&sql).bind(kind.as_str()).fetch_all(pool).await.map_err(backend)?;
            rows.iter().map(org_from).collect()
        })
    }

    pub(super) async fn create_user_in(&self, user: NewUser) -> StoreResult<User> {
        let now = OffsetDateTime::now_utc();
        let created = User {
            id: new_id(),
            email: user.email.to_lowercase(),
            display_name: user.display_name,
            password_hash: user.password_hash,
            is_operator: false,
            created_at: from_micros(micros(now)),
            confirmed: true,
        };
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO users (id, email, display_name, password_hash, is_operator, created_at, confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
                .bind(&created.id)
                .bind(&created.email)
                .bind(&created.display_name)
                .bind(&created.password_hash)
                .bind(false)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(conflict("email"))?;
            // The outbox carries ids, never personal data.
            let payload = serde_json::json!({"id": created.id}).to_string();
            outbox!(tx, "user.created", payload, now);
        });
        Ok(created)
    }

    pub(super) async fn user_by_email_in(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let email = email.trim().to_lowercase();
        read!(self, |pool| {
            let row = sqlx::query(&sql).bind(&email).fetch_optional(pool).await.map_err(backend)?;
            row.as_ref().map(user_from).transpose()
        })
    }

    pub(super) async fn user_by_id_in(&self, id: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        read!(self, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await.map_err(backend)?;
            row.as_ref().map(user_from).transpose()
        })
    }

    pub(super) async fn set_operator_in(&self, user_id: &str, operator: bool) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let done = sqlx::query("UPDATE users SET is_operator = $1 WHERE id = $2")
                .bind(operator)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("user"));
            }
            let payload = serde_json::json!({"id": user_id, "operator": operator}).to_string();
            outbox!(tx, "user.roles_changed", payload, now);
        });
        Ok(())
    }

    pub(super) async fn add_membership_in(&self, user_id: &str, org_id: &str) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let result = sqlx::query("INSERT INTO memberships (user_id, org_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, org_id) DO NOTHING")
                .bind(user_id)
                .bind(org_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await;
            match result {
                Ok(_) => {}
                Err(e) if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) => {
                    return Err(StoreError::NotFound("user or organisation"))
                }
                Err(e) => return Err(backend(e)),
            }
            let payload = serde_json::json!({"user_id": user_id, "org_id": org_id}).to_string();
            outbox!(tx, "membership.added", payload, now);
        });
        Ok(())
    }

    pub(super) async fn memberships_in(&self, user_id: &str) -> StoreResult<Vec<Org>> {
        let sql = "SELECT o.id, o.kind, o.slug, o.name, o.country, o.currency, o.story, o.created_at \
                   FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name";
        read!(self, |pool| {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(pool).await.map_err(backend)?;
            rows.iter().map(org_from).collect()
        })
    }

    pub(super) async fn count_users_in(&self) -> StoreResult<i64> {
        read!(self, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(pool).await.map_err(backend)
        })
    }
}
