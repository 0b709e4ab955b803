//! Macros that expand one query body for each backend's pool type, so SQL is written once.

/// Runs `$body` against the read pool of whichever backend is in use, with `$pool` bound to it.
macro_rules! read {
    ($self:expr, |$pool:ident| $body:expr) => {
        match &$self.pools {
            $crate::sql::Pools::Sqlite { read: $pool, .. } => $body,
            $crate::sql::Pools::Postgres($pool) => $body,
        }
    };
}

/// [`read!`] for a read that may return many rows (a rebuild's chunk of products, every product
/// id) when `$many` holds: on SQLite it runs on a connection with a thread of its own, so that it
/// does not hold one of the runtime's threads the way the other readers' statements do.
macro_rules! read_bulk {
    ($self:expr, $many:expr, |$pool:ident| $body:expr) => {
        match &$self.pools {
            $crate::sql::Pools::Sqlite { read, bulk, .. } => {
                let $pool = if $many { bulk } else { read };
                $body
            }
            $crate::sql::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`, committing when it returns `Ok`;
/// returning early (or with an error) rolls back what it wrote.
/// On SQLite the body runs in a savepoint of the batch of writes queued together, which
/// commit at once ([`crate::sql::group`]); it returns once that commit is on disk. The batch
/// began IMMEDIATE so a writer never fails half-way with SQLITE_BUSY.
macro_rules! write_tx {
    ($self:expr, |$tx:ident| $body:expr) => {
        match &$self.pools {
            $crate::sql::Pools::Sqlite { writer, .. } => {
                let mut slot = writer.enter().await?;
                let out = {
                    let mut $tx = sqlx::Acquire::begin(slot.tx()?).await.map_err($crate::sql::backend)?;
                    let out = $body;
                    $tx.commit().await.map_err($crate::sql::backend)?;
                    out
                };
                slot.done().await?;
                out
            }
            $crate::sql::Pools::Postgres(pool) => {
                let mut $tx = pool.begin().await.map_err($crate::sql::backend)?;
                let out = $body;
                $tx.commit().await.map_err($crate::sql::backend)?;
                out
            }
        }
    };
}

/// Appends to the outbox inside the transaction `$tx`.
macro_rules! outbox {
    ($tx:ident, $topic:expr, $payload:expr, $now:expr) => {{
        if let Some(lock) = $crate::dialect::Dialect::outbox_lock(&*$tx) {
            sqlx::query(lock).execute(&mut *$tx).await.map_err($crate::sql::backend)?;
        }
        sqlx::query("INSERT INTO outbox (topic, payload, created_at) VALUES ($1, $2, $3)")
            .bind($topic)
            .bind($payload)
            .bind($crate::sql::micros($now))
            .execute(&mut *$tx)
            .await
            .map_err($crate::sql::backend)?;
    }};
}

/// Appends one outbox entry per payload in `$payloads` (a slice of strings), all under
/// `$topic`, inside the transaction `$tx`: a multi-row statement per few thousand entries.
macro_rules! outbox_each {
    ($tx:ident, $topic:expr, $payloads:expr, $now:expr) => {{
        if let Some(lock) = $crate::dialect::Dialect::outbox_lock(&*$tx) {
            sqlx::query(lock).execute(&mut *$tx).await.map_err($crate::sql::backend)?;
        }
        let at = $crate::sql::micros($now);
        for chunk in $payloads.chunks($crate::sql::rows_per_statement(3)) {
            let sql = $crate::sql::values_rows("INSERT INTO outbox (topic, payload, created_at)", 3, chunk.len());
            let mut q = sqlx::query(&sql);
            for payload in chunk {
                q = q.bind($topic).bind(payload).bind(at);
            }
            q.execute(&mut *$tx).await.map_err($crate::sql::backend)?;
        }
    }};
}

/// Appends an audit entry inside the transaction `$tx`.
macro_rules! audit {
    ($tx:ident, $entry:expr, $now:expr) => {{
        let e: &podium_app::licensing::AuditEntry = $entry;
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, actor_name, action, subject, detail, client, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($crate::sql::new_id())
        .bind(&e.org_id)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(&e.detail)
        .bind(&e.client)
        .bind($crate::sql::micros($now))
        .execute(&mut *$tx)
        .await
        .map_err($crate::sql::backend)?;
    }};
}

/// Tells every node, through the outbox, when a variant sells out or comes back on sale: when
/// the change of `$delta` units just made to its available stock (negative for a
/// reservation) crossed zero. Listings' "in stock" and "from" prices follow stock this way,
/// without the outbox moving for every unit sold.
macro_rules! stock_moved {
    ($tx:ident, $variant_id:expr, $delta:expr, $now:expr) => {{
        let (product_id, available): (String, i64) = sqlx::query_as(
            "SELECT v.product_id, CAST(COALESCE((SELECT SUM(sl.on_hand - sl.reserved) FROM stock_levels sl \
             WHERE sl.variant_id = v.id), 0) AS BIGINT) FROM variants v WHERE v.id = $1",
        )
        .bind($variant_id)
        .fetch_one(&mut *$tx)
        .await
        .map_err($crate::sql::backend)?;
        if podium_domain::catalogue::stock_crossed_zero(available, $delta) {
            $crate::macros::outbox!(
                $tx,
                "product.changed",
                serde_json::json!({ "id": product_id }).to_string(),
                $now
            );
        }
    }};
}

pub(crate) use {audit, outbox, outbox_each, read, read_bulk, stock_moved, write_tx};
