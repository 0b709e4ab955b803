//! The ledger half of [`SqlStore`]: accounts with their posted debits and credits, and
//! transfers that are only appended (a trigger refuses updates and deletes). A batch is posted
//! in one transaction: its accounts made if new, each transfer inserted once by its id, and the
//! accounts' totals moved in account order (so concurrent batches never deadlock), where a
//! CHECK refuses a balance that may not go negative.

use async_trait::async_trait;
use podium_app::ledger::{AccountRow, LedgerStore, TransferRow};
use podium_app::StoreResult;
use podium_domain::ledger::Transfer;
use time::OffsetDateTime;

use crate::macros::{read, write_tx};
use crate::sql::{backend, micros, SqlStore};

/// Posts `$transfers` (a `&[Transfer]`) as batch `$batch` inside `$tx`, in a few statements
/// whatever the batch's size: the accounts it names made if new (one insert), the transfers
/// inserted once by id (one insert, returning those that are new), then each account's totals
/// moved by what the new transfers add up to, in account order (so concurrent batches never
/// deadlock), where the CHECK refuses a balance that may not go negative.
macro_rules! post_transfers {
    ($tx:ident, $batch:expr, $transfers:expr, $now:expr) => {{
        let transfers: &[podium_domain::ledger::Transfer] = $transfers;
        if !transfers.is_empty() {
            let batch: String = $batch.into();
            let ids: Vec<(String, String)> = transfers
                .iter()
                .map(|t| (podium_app::ledger::account_id(&t.debit), podium_app::ledger::account_id(&t.credit)))
                .collect();
            let mut accounts: std::collections::BTreeMap<&str, &podium_domain::ledger::AccountKey> =
                std::collections::BTreeMap::new();
            for (t, (debit, credit)) in transfers.iter().zip(&ids) {
                accounts.insert(debit, &t.debit);
                accounts.insert(credit, &t.credit);
            }
            let sql = crate::ledger::values_sql(
                "INSERT INTO ledger_accounts (id, owner, kind, currency, may_go_negative) VALUES ",
                accounts.len(),
                5,
                " ON CONFLICT DO NOTHING",
            );
            let mut q = sqlx::query(&sql);
            for (id, key) in &accounts {
                q = q
                    .bind(*id)
                    .bind(&key.owner)
                    .bind(key.kind.as_str())
                    .bind(key.currency.code())
                    .bind(i64::from(key.kind.may_go_negative()));
            }
            q.execute(&mut *$tx).await.map_err(crate::sql::backend)?;
            let sql = crate::ledger::values_sql(
                "INSERT INTO ledger_transfers (id, batch_id, debit_account, credit_account, amount, currency, code, \
                 reference, created_at) VALUES ",
                transfers.len(),
                9,
                " ON CONFLICT DO NOTHING RETURNING id",
            );
            let mut q = sqlx::query_as::<_, (String,)>(&sql);
            for (t, (debit, credit)) in transfers.iter().zip(&ids) {
                q = q
                    .bind(&t.id)
                    .bind(&batch)
                    .bind(debit)
                    .bind(credit)
                    .bind(t.amount)
                    .bind(t.debit.currency.code())
                    .bind(t.code)
                    .bind(&t.reference)
                    .bind(crate::sql::micros($now));
            }
            let inserted: std::collections::HashSet<String> =
                q.fetch_all(&mut *$tx).await.map_err(crate::sql::backend)?.into_iter().map(|(id,)| id).collect();
            let mut moves: std::collections::BTreeMap<&str, (i64, i64)> = std::collections::BTreeMap::new();
            for (t, (debit, credit)) in transfers.iter().zip(&ids) {
                if inserted.contains(&t.id) {
                    moves.entry(debit).or_default().0 += t.amount;
                    moves.entry(credit).or_default().1 += t.amount;
                    continue;
                }
                // Posted before: it must be the same transfer, or the id was reused.
                let same: Option<(i64,)> = sqlx::query_as(
                    "SELECT amount FROM ledger_transfers WHERE id = $1 AND debit_account = $2 AND credit_account = $3",
                )
                .bind(&t.id)
                .bind(debit)
                .bind(credit)
                .fetch_optional(&mut *$tx)
                .await
                .map_err(crate::sql::backend)?;
                if same.map(|(a,)| a) != Some(t.amount) {
                    return Err(podium_app::StoreError::Conflict { field: "transfer id" });
                }
            }
            if !moves.is_empty() && $crate::dialect::Dialect::one_writer(&*$tx) {
                // One writer at a time (SQLite): every balance in one statement.
                let rows: Vec<String> = (0..moves.len())
                    .map(|i| format!("SELECT ${} AS id, ${} AS d, ${} AS c", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                    .collect();
                let sql = format!(
                    "UPDATE ledger_accounts SET debits = debits + m.d, credits = credits + m.c \
                     FROM ({}) AS m WHERE ledger_accounts.id = m.id",
                    rows.join(" UNION ALL ")
                );
                let mut q = sqlx::query(&sql);
                for (account, (debits, credits)) in &moves {
                    q = q.bind(*account).bind(*debits).bind(*credits);
                }
                q.execute(&mut *$tx).await.map_err(crate::sql::backend)?;
            } else {
                // Concurrent writers (PostgreSQL): row by row in account order, so two postings
                // never wait for each other's locks in a circle.
                for (account, (debits, credits)) in moves {
                    sqlx::query(
                        "UPDATE ledger_accounts SET debits = debits + $2, credits = credits + $3 WHERE id = $1",
                    )
                    .bind(account)
                    .bind(debits)
                    .bind(credits)
                    .execute(&mut *$tx)
                    .await
                    .map_err(crate::sql::backend)?;
                }
            }
        }
    }};
}
pub(crate) use post_transfers;

#[async_trait]
impl LedgerStore for SqlStore {
    async fn post_batch(&self, batch_id: &str, transfers: &[Transfer], now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            post_transfers!(tx, batch_id, transfers, now);
        });
        Ok(())
    }

    async fn ledger_accounts(&self) -> StoreResult<Vec<AccountRow>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = read!(self, |pool| {
            sqlx::query_as("SELECT id, owner, kind, currency, debits, credits FROM ledger_accounts ORDER BY id")
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, owner, kind, currency, debits, credits)| AccountRow {
                id,
                owner,
                kind,
                currency,
                debits,
                credits,
            })
            .collect())
    }

    async fn ledger_transfers(&self) -> StoreResult<Vec<TransferRow>> {
        self.transfers_where(None).await
    }

    async fn ledger_transfers_for(&self, reference: &str) -> StoreResult<Vec<TransferRow>> {
        self.transfers_where(Some(reference)).await
    }

    async fn captured_consignments(&self) -> StoreResult<Vec<(String, i64)>> {
        read!(self, |pool| {
            sqlx::query_as(
                "SELECT c.id, c.total FROM consignments c JOIN orders o ON o.id = c.order_id \
                 WHERE o.paid_at IS NOT NULL ORDER BY c.id",
            )
            .fetch_all(pool)
            .await
            .map_err(backend)
        })
    }

    async fn consignments_to_complete(&self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT c.id FROM consignments c WHERE c.status = 'delivered' \
                 AND c.delivered_at + c.return_window_days * 86400000000 <= $1 \
                 AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.consignment_id = c.id AND r.status = 'requested') \
                 ORDER BY c.delivered_at LIMIT $2",
            )
            .bind(micros(now))
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(backend)?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn complete_consignment(&self, id: &str, release: &[Transfer], now: OffsetDateTime) -> StoreResult<bool> {
        let done = write_tx!(self, |tx| {
            let moved = sqlx::query(
                "UPDATE consignments SET status = 'completed' WHERE id = $1 AND status = 'delivered' \
                 AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.consignment_id = $1 AND r.status = 'requested')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if moved.rows_affected() == 0 {
                return Ok(false);
            }
            post_transfers!(tx, format!("release:{id}"), release, now);
            // An order is completed once every consignment is.
            sqlx::query(
                "UPDATE orders SET status = 'completed', updated_at = $2 WHERE status = 'paid' \
                 AND id = (SELECT order_id FROM consignments WHERE id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM consignments c WHERE c.order_id = orders.id \
                   AND c.status NOT IN ('completed', 'cancelled', 'refunded'))",
            )
            .bind(id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            true
        });
        Ok(done)
    }
}

/// `head (…), (…) tail` with `rows` groups of `cols` numbered placeholders.
pub(crate) fn values_sql(head: &str, rows: usize, cols: usize, tail: &str) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * cols * 5);
    sql.push_str(head);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            let _ = write!(sql, "{}${}", if c == 0 { "" } else { ", " }, r * cols + c + 1);
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

impl SqlStore {
    /// Every transfer, or those of one reference, oldest first.
    async fn transfers_where(&self, reference: Option<&str>) -> StoreResult<Vec<TransferRow>> {
        type Row = (String, String, String, String, i64, String, String, String);
        const SELECT: &str = "SELECT id, batch_id, debit_account, credit_account, amount, currency, code, reference \
             FROM ledger_transfers";
        let rows: Vec<Row> = read!(self, |pool| {
            match reference {
                Some(r) => sqlx::query_as(&format!("{SELECT} WHERE reference = $1 ORDER BY created_at, id"))
                    .bind(r)
                    .fetch_all(pool)
                    .await
                    .map_err(backend)?,
                None => sqlx::query_as(&format!("{SELECT} ORDER BY created_at, id"))
                    .fetch_all(pool)
                    .await
                    .map_err(backend)?,
            }
        });
        Ok(rows
            .into_iter()
            .map(|(id, batch_id, debit_account, credit_account, amount, currency, code, reference)| TransferRow {
                id,
                batch_id,
                debit_account,
                credit_account,
                amount,
                currency,
                code,
                reference,
            })
            .collect())
    }
}
