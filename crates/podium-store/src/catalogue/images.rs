//! Images of products, properties and organisations: stored bytes with their thumbnails, read
//! back for the image server, deleted with an outbox event so every node's pages follow.

use crate::macros::{outbox, read, write_tx};
use crate::sql::{backend, micros, new_id, SqlStore};
use podium_app::catalogue::{ImageBlob, ImageOwner, ImageRef, NewImage};
use podium_app::{StoreError, StoreResult};
use sqlx::Row;
use time::OffsetDateTime;

use super::*;

impl SqlStore {
    pub(super) async fn org_images_in(&self, org_id: &str) -> StoreResult<Vec<ImageRef>> {
        let rows: Vec<(String, i64, i64, String)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, width, height, alt FROM images WHERE owner_kind = 'org' AND owner_id = $1 \
                 ORDER BY position DESC LIMIT 200",
            )
            .bind(org_id)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, width, height, alt)| ImageRef {
                id,
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                alt,
                pending: false,
            })
            .collect())
    }

    pub(super) async fn add_image_in(&self, image: NewImage) -> StoreResult<ImageRef> {
        let id = new_id();
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let owner_sql = match image.owner {
                ImageOwner::Product => "SELECT id FROM products WHERE id = $1",
                ImageOwner::Property => "SELECT id FROM properties WHERE id = $1",
                ImageOwner::Org => "SELECT id FROM orgs WHERE id = $1",
            };
            let owner: Option<String> =
                sqlx::query_scalar(owner_sql).bind(&image.owner_id).fetch_optional(&mut *tx).await.map_err(backend)?;
            if owner.is_none() {
                return Err(StoreError::NotFound(image.owner.as_str()));
            }
            if image.owner == ImageOwner::Property {
                sqlx::query("DELETE FROM images WHERE owner_kind = 'property' AND owner_id = $1")
                    .bind(&image.owner_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            let position: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(position), -1) + 1 AS BIGINT) FROM images WHERE owner_kind = $1 AND owner_id = $2",
            )
            .bind(image.owner.as_str())
            .bind(&image.owner_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query(
                "INSERT INTO images (id, owner_kind, owner_id, position, content_type, width, height, alt, sha256, \
                 original, thumb, created_at, pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&id)
            .bind(image.owner.as_str())
            .bind(&image.owner_id)
            .bind(position)
            .bind(&image.content_type)
            .bind(i64::from(image.width))
            .bind(i64::from(image.height))
            .bind(&image.alt)
            .bind(&image.sha256)
            .bind(&image.original)
            .bind(&image.thumb)
            .bind(micros(now))
            .bind(i64::from(image.pending))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(topic) = changed_topic(image.owner) {
                outbox!(tx, topic, serde_json::json!({"id": image.owner_id}).to_string(), now);
            }
        });
        Ok(ImageRef { id, width: image.width, height: image.height, alt: image.alt, pending: image.pending })
    }

    pub(super) async fn image_in(&self, id: &str, thumb: bool) -> StoreResult<Option<ImageBlob>> {
        let sql = if thumb {
            "SELECT 'image/jpeg' AS content_type, sha256, thumb AS bytes FROM images WHERE id = $1"
        } else {
            "SELECT content_type, sha256, original AS bytes FROM images WHERE id = $1"
        };
        read!(self, |pool| {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await.map_err(backend)?;
            match row {
                Some(r) => Ok(Some(ImageBlob {
                    content_type: r.try_get("content_type").map_err(backend)?,
                    sha256: r.try_get("sha256").map_err(backend)?,
                    bytes: r.try_get("bytes").map_err(backend)?,
                })),
                None => Ok(None),
            }
        })
    }

    pub(super) async fn delete_image_in(&self, owner: ImageOwner, owner_id: &str, image_id: &str) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        write_tx!(self, |tx| {
            let done = sqlx::query("DELETE FROM images WHERE id = $1 AND owner_kind = $2 AND owner_id = $3")
                .bind(image_id)
                .bind(owner.as_str())
                .bind(owner_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("image"));
            }
            if let Some(topic) = changed_topic(owner) {
                outbox!(tx, topic, serde_json::json!({"id": owner_id}).to_string(), now);
            }
        });
        Ok(())
    }
}
