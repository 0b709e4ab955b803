//! The stories half of [`SqlStore`]: stories with their texts per language and featured
//! products, follows, and what the feed reads.

use async_trait::async_trait;
use podium_app::stories::{FollowKind, Named, StoryDraft, StoryQuery, StoryRecord, StoryStore, StoryText};
use podium_app::StoreResult;
use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;
use podium_domain::Lang;
use sqlx::Row;
use time::OffsetDateTime;

use crate::macros::{outbox, read, write_tx};
use crate::sql::{backend, conflict, decode_err, from_micros, micros, placeholders, SqlStore};

const STORY_SELECT: &str = "SELECT s.id, s.slug, s.author_org_id, o.slug AS author_slug, o.name AS author_name, \
    o.kind AS author_kind, s.property_id, p.slug AS property_slug, p.name AS property_name, p.licensor_id, s.status, \
    s.video_url, s.cover, s.review_note, s.created_at, s.updated_at, s.published_at \
    FROM stories s JOIN orgs o ON o.id = s.author_org_id LEFT JOIN properties p ON p.id = s.property_id";

/// The condition that a follow `f` reaches something about `property`, by `org` (its shop or
/// authoring organisation, followed as a shop or a licensor) under `licensor`: the one rule of
/// who hears of what (feed stories, products and drops, story e-mails). Arguments are column
/// names.
pub(crate) fn follow_reaches(property: &str, org: &str, licensor: &str) -> String {
    format!(
        "((f.kind = 'property' AND f.target_id = {property}) \
         OR (f.kind IN ('shop', 'licensor') AND f.target_id = {org}) \
         OR (f.kind = 'licensor' AND f.target_id = {licensor}))"
    )
}

/// Writes a story's texts and products (after deleting the old ones) inside `$tx`.
macro_rules! write_parts {
    ($tx:ident, $id:expr, $draft:expr) => {{
        let id: &str = $id;
        let draft: &StoryDraft = $draft;
        for table in ["story_texts", "story_products"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE story_id = $1"))
                .bind(id)
                .execute(&mut *$tx)
                .await
                .map_err(backend)?;
        }
        for t in &draft.texts {
            sqlx::query("INSERT INTO story_texts (story_id, lang, title, summary, body) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(t.lang.tag())
                .bind(&t.title)
                .bind(&t.summary)
                .bind(&t.body)
                .execute(&mut *$tx)
                .await
                .map_err(backend)?;
        }
        for (i, p) in draft.product_ids.iter().enumerate() {
            sqlx::query("INSERT INTO story_products (story_id, product_id, position) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(p)
                .bind(i as i64)
                .execute(&mut *$tx)
                .await
                .map_err(backend)?;
        }
    }};
}

impl SqlStore {
    /// The stories of `sql` (a `STORY_SELECT …` with `binds` as `$1…`), with their texts and
    /// products, in the order the query returns them.
    async fn load_stories(&self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<StoryRecord>> {
        let mut out: Vec<StoryRecord> = read!(self, |pool| {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = match b {
                    Bind::Text(s) => q.bind(s.clone()),
                    Bind::Int(i) => q.bind(*i),
                };
            }
            let rows = q.fetch_all(pool).await.map_err(backend)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let status: String = r.try_get("status").map_err(backend)?;
                let kind: String = r.try_get("author_kind").map_err(backend)?;
                let property_id: Option<String> = r.try_get("property_id").map_err(backend)?;
                let property = match property_id {
                    Some(id) => Some(Named {
                        id,
                        slug: r.try_get::<Option<String>, _>("property_slug").map_err(backend)?.unwrap_or_default(),
                        name: r.try_get::<Option<String>, _>("property_name").map_err(backend)?.unwrap_or_default(),
                    }),
                    None => None,
                };
                out.push(StoryRecord {
                    id: r.try_get("id").map_err(backend)?,
                    slug: r.try_get("slug").map_err(backend)?,
                    author: Named {
                        id: r.try_get("author_org_id").map_err(backend)?,
                        slug: r.try_get("author_slug").map_err(backend)?,
                        name: r.try_get("author_name").map_err(backend)?,
                    },
                    author_kind: OrgKind::parse(&kind).ok_or_else(|| decode_err("org kind", &kind))?,
                    property,
                    licensor_id: r.try_get("licensor_id").map_err(backend)?,
                    status: StoryStatus::parse(&status).ok_or_else(|| decode_err("story status", &status))?,
                    draft: StoryDraft {
                        property_id: None,
                        video_url: r.try_get("video_url").map_err(backend)?,
                        cover: r.try_get("cover").map_err(backend)?,
                        texts: Vec::new(),
                        product_ids: Vec::new(),
                    },
                    review_note: r.try_get("review_note").map_err(backend)?,
                    created_at: from_micros(r.try_get("created_at").map_err(backend)?),
                    updated_at: from_micros(r.try_get("updated_at").map_err(backend)?),
                    published_at: r.try_get::<Option<i64>, _>("published_at").map_err(backend)?.map(from_micros),
                });
            }
            out
        });
        if out.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = out.iter().map(|s| s.id.clone()).collect();
        let list = placeholders(1, ids.len());
        let texts_sql = format!(
            "SELECT story_id, lang, title, summary, body FROM story_texts WHERE story_id IN ({list}) ORDER BY lang"
        );
        let products_sql =
            format!("SELECT story_id, product_id FROM story_products WHERE story_id IN ({list}) ORDER BY position");
        let (texts, products): (Vec<TextRow>, Vec<(String, String)>) = read!(self, |pool| {
            let mut q = sqlx::query_as(&texts_sql);
            for id in &ids {
                q = q.bind(id);
            }
            let texts = q.fetch_all(pool).await.map_err(backend)?;
            let mut q = sqlx::query_as(&products_sql);
            for id in &ids {
                q = q.bind(id);
            }
            (texts, q.fetch_all(pool).await.map_err(backend)?)
        });
        for s in &mut out {
            s.draft.property_id = s.property.as_ref().map(|p| p.id.clone());
            // In the languages' own order (English first), whatever the collation.
            let mut mine: Vec<StoryText> = texts
                .iter()
                .filter(|t| t.0 == s.id)
                .filter_map(|(_, lang, title, summary, body)| {
                    Some(StoryText {
                        lang: Lang::from_tag(lang)?,
                        title: title.clone(),
                        summary: summary.clone(),
                        body: body.clone(),
                    })
                })
                .collect();
            mine.sort_by_key(|t| Lang::ALL.iter().position(|l| *l == t.lang));
            s.draft.texts = mine;
            s.draft.product_ids = products.iter().filter(|p| p.0 == s.id).map(|p| p.1.clone()).collect();
        }
        Ok(out)
    }
}

/// (story, lang, title, summary, body)
type TextRow = (String, String, String, String, String);

enum Bind {
    Text(String),
    Int(i64),
}

#[async_trait]
impl StoryStore for SqlStore {
    async fn create_story(
        &self,
        id: &str,
        slug: &str,
        author_id: &str,
        draft: &StoryDraft,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO stories (id, slug, author_org_id, property_id, status, video_url, cover, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $7)",
            )
            .bind(id)
            .bind(slug)
            .bind(author_id)
            .bind(&draft.property_id)
            .bind(&draft.video_url)
            .bind(&draft.cover)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(conflict("slug"))?;
            write_parts!(tx, id, draft);
        });
        Ok(())
    }

    async fn update_story(&self, id: &str, draft: &StoryDraft, now: OffsetDateTime) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE stories SET property_id = $2, video_url = $3, cover = $4, updated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(&draft.property_id)
            .bind(&draft.video_url)
            .bind(&draft.cover)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if changed.rows_affected() == 0 {
                return Ok(false);
            }
            write_parts!(tx, id, draft);
            true
        });
        Ok(done)
    }

    async fn story(&self, id: &str) -> StoreResult<Option<StoryRecord>> {
        let sql = format!("{STORY_SELECT} WHERE s.id = $1");
        Ok(self.load_stories(&sql, &[Bind::Text(id.to_string())]).await?.pop())
    }

    async fn story_by_slug(&self, slug: &str) -> StoreResult<Option<StoryRecord>> {
        let sql = format!("{STORY_SELECT} WHERE s.slug = $1");
        Ok(self.load_stories(&sql, &[Bind::Text(slug.to_string())]).await?.pop())
    }

    async fn set_story_status(
        &self,
        id: &str,
        from: StoryStatus,
        to: StoryStatus,
        note: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE stories SET status = $3, review_note = $4, updated_at = $5, \
                 published_at = CASE WHEN $3 = 'published' THEN COALESCE(published_at, $5) ELSE published_at END \
                 WHERE id = $1 AND status = $2",
            )
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(note)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if changed.rows_affected() == 0 {
                return Ok(false);
            }
            if to == StoryStatus::Published {
                outbox!(tx, "story.published", id, now);
                // An e-mail to each follower who asked for them, once per story whatever
                // happens to it later (the mail's id names the story and the reader).
                let sql = format!(
                    "INSERT INTO mails (id, kind, recipient, lang, order_id, created_at) \
                     SELECT DISTINCT 'story:' || CAST($1 AS TEXT) || ':' || u.id, 'story', u.email, u.lang, \
                       CAST($1 AS TEXT), $2 \
                     FROM users u JOIN follows f ON f.user_id = u.id \
                     JOIN stories s ON s.id = CAST($1 AS TEXT) LEFT JOIN properties p ON p.id = s.property_id \
                     WHERE u.story_mails = 1 AND {} ON CONFLICT DO NOTHING",
                    follow_reaches("s.property_id", "s.author_org_id", "p.licensor_id")
                );
                sqlx::query(&sql).bind(id).bind(micros(now)).execute(&mut *tx).await.map_err(backend)?;
            }
            true
        });
        Ok(done)
    }

    async fn stories(&self, q: &StoryQuery) -> StoreResult<Vec<StoryRecord>> {
        let mut sql = format!("{STORY_SELECT} WHERE 1 = 1");
        let mut binds: Vec<Bind> = Vec::new();
        let next = |binds: &mut Vec<Bind>, b: Bind| {
            binds.push(b);
            format!("${}", binds.len())
        };
        if let Some(s) = q.status {
            sql += &format!(" AND s.status = {}", next(&mut binds, Bind::Text(s.as_str().into())));
        }
        if let Some(p) = &q.property_id {
            sql += &format!(" AND s.property_id = {}", next(&mut binds, Bind::Text(p.clone())));
        }
        if let Some(a) = &q.author_id {
            sql += &format!(" AND s.author_org_id = {}", next(&mut binds, Bind::Text(a.clone())));
        }
        if let Some(l) = &q.licensor_id {
            sql += &format!(" AND p.licensor_id = {}", next(&mut binds, Bind::Text(l.clone())));
        }
        if let Some(u) = &q.followed_by {
            let n = next(&mut binds, Bind::Text(u.clone()));
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM follows f WHERE f.user_id = {n} AND {})",
                follow_reaches("s.property_id", "s.author_org_id", "p.licensor_id")
            );
        }
        if let Some(text) = &q.text {
            let words: String =
                text.chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect::<String>().to_lowercase();
            if !words.trim().is_empty() {
                let n = next(&mut binds, Bind::Text(format!("%{}%", words.trim())));
                sql += &format!(
                    " AND EXISTS (SELECT 1 FROM story_texts t WHERE t.story_id = s.id AND \
                     (LOWER(t.title) LIKE {n} OR LOWER(t.summary) LIKE {n}))"
                );
            }
        }
        if let Some(b) = q.before {
            sql += &format!(" AND COALESCE(s.published_at, s.updated_at) < {}", next(&mut binds, Bind::Int(micros(b))));
        }
        let limit = next(&mut binds, Bind::Int(q.limit.clamp(1, 200)));
        sql += &format!(" ORDER BY COALESCE(s.published_at, s.updated_at) DESC, s.id DESC LIMIT {limit}");
        self.load_stories(&sql, &binds).await
    }

    async fn follow(&self, user_id: &str, kind: FollowKind, target_id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO follows (user_id, kind, target_id, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(kind.as_str())
            .bind(target_id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn unfollow(&self, user_id: &str, kind: FollowKind, target_id: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM follows WHERE user_id = $1 AND kind = $2 AND target_id = $3")
                .bind(user_id)
                .bind(kind.as_str())
                .bind(target_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn follows_of(&self, user_id: &str) -> StoreResult<Vec<(FollowKind, String)>> {
        let rows: Vec<(String, String)> = read!(self, |pool| {
            sqlx::query_as("SELECT kind, target_id FROM follows WHERE user_id = $1 ORDER BY created_at DESC")
                .bind(user_id)
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows.into_iter().filter_map(|(k, t)| Some((FollowKind::parse(&k)?, t))).collect())
    }

    async fn follower_count(&self, kind: FollowKind, target_id: &str) -> StoreResult<i64> {
        let (n,): (i64,) = read!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM follows WHERE kind = $1 AND target_id = $2")
                .bind(kind.as_str())
                .bind(target_id)
                .fetch_one(pool)
                .await
                .map_err(backend)?
        });
        Ok(n)
    }

    async fn followed_products(
        &self,
        user_id: &str,
        before: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<(String, OffsetDateTime)>> {
        let sql = format!(
            "SELECT pr.id, pr.approved_at FROM products pr JOIN properties p ON p.id = pr.property_id \
             WHERE pr.approved_at IS NOT NULL AND pr.status = 'live' AND pr.approved_at < $2 \
             AND EXISTS (SELECT 1 FROM follows f WHERE f.user_id = $1 AND {}) \
             ORDER BY pr.approved_at DESC, pr.id LIMIT $3",
            follow_reaches("pr.property_id", "pr.shop_id", "p.licensor_id")
        );
        let rows: Vec<(String, i64)> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(user_id)
                .bind(micros(before))
                .bind(limit.clamp(1, 200))
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(id, at)| (id, from_micros(at))).collect())
    }

    async fn story_mails(&self, user_id: &str) -> StoreResult<bool> {
        let row: Option<(i64,)> = read!(self, |pool| {
            sqlx::query_as("SELECT story_mails FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(row.is_some_and(|(on,)| on == 1))
    }

    async fn set_story_mails(&self, user_id: &str, on: bool, lang: Lang) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET story_mails = $2, lang = $3 WHERE id = $1")
                .bind(user_id)
                .bind(i64::from(on))
                .bind(lang.tag())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn unsubscribe_stories(&self, email: &str) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET story_mails = 0 WHERE LOWER(email) = LOWER($1)")
                .bind(email.trim())
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        });
        Ok(done > 0)
    }

    async fn mark_feed_read(&self, user_id: &str, now: OffsetDateTime) -> StoreResult<Option<OffsetDateTime>> {
        let before = write_tx!(self, |tx| {
            let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT feed_seen_at FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            sqlx::query("UPDATE users SET feed_seen_at = $2 WHERE id = $1")
                .bind(user_id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            row.and_then(|(at,)| at)
        });
        Ok(before.map(from_micros))
    }
}
