//! The payouts half of [`SqlStore`]: runs, payouts written with their ledger transfers, their
//! settlement (a failure posts its reversal in the same transaction), and the sandbox payout
//! provider's record of what it paid.

use async_trait::async_trait;
use podium_app::payouts::{parse_parts, parts_text, PayeeAccount, PayoutFile, PayoutRecord, PayoutStore};
use podium_app::{StoreError, StoreResult};
use podium_domain::ledger::{AccountKind, Transfer};
use podium_domain::Money;
use time::OffsetDateTime;

use crate::ledger::post_transfers;
use crate::macros::{read, write_tx};
use crate::sql::{backend, from_micros, micros, SqlStore};

const PAYOUT_SELECT: &str =
    "SELECT p.id, p.run_id, p.payee_id, COALESCE(o.name, p.payee_id), p.currency, p.amount, p.status, p.failure, \
    p.provider_ref, p.parts, p.created_at FROM payouts p LEFT JOIN orgs o ON o.id = p.payee_id";

type Row = (String, String, String, String, String, i64, String, Option<String>, Option<String>, String, i64);

fn record(
    (id, run_id, payee_id, payee_name, currency, amount, status, failure, provider_ref, parts, created_at): Row,
) -> PayoutRecord {
    PayoutRecord {
        id,
        run_id,
        payee_id,
        payee_name,
        currency,
        amount,
        status,
        failure,
        provider_ref,
        parts: parse_parts(&parts),
        created_at: from_micros(created_at),
    }
}

#[async_trait]
impl PayoutStore for SqlStore {
    async fn create_payout_run(&self, id: &str, by: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("INSERT INTO payout_runs (id, started_by, started_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(by)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn finish_payout_run(&self, id: &str, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE payout_runs SET finished_at = $2 WHERE id = $1")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn start_payout(&self, p: &PayoutRecord, transfers: &[Transfer], now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO payouts (id, run_id, payee_id, currency, amount, status, parts, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'sending', $6, $7)",
            )
            .bind(&p.id)
            .bind(&p.run_id)
            .bind(&p.payee_id)
            .bind(&p.currency)
            .bind(p.amount)
            .bind(parts_text(&p.parts))
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            post_transfers!(tx, format!("payout:{}", p.id), transfers, now);
            // The payout takes each balance it pays from down to exactly zero; if another run
            // moved it meanwhile, this one is refused whole (nobody is paid twice).
            for t in transfers {
                for key in [&t.debit, &t.credit] {
                    if !key.kind.payable_to_owner() {
                        continue;
                    }
                    let (debits, credits): (i64, i64) =
                        sqlx::query_as("SELECT debits, credits FROM ledger_accounts WHERE id = $1")
                            .bind(podium_app::ledger::account_id(key))
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(backend)?;
                    let balance = podium_domain::ledger::Posted { debits, credits }.balance(key.kind);
                    if balance != 0 && key.kind != AccountKind::PaidOut {
                        return Err(StoreError::Conflict { field: "payout" });
                    }
                }
            }
        });
        Ok(())
    }

    async fn settle_payout(
        &self,
        id: &str,
        outcome: Result<&str, &str>,
        reversal: &[Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (status, failure, reference) = match outcome {
            Ok(r) => ("paid", None, Some(r)),
            Err(why) => ("failed", Some(why), None),
        };
        let done = write_tx!(self, |tx| {
            let moved = sqlx::query(
                "UPDATE payouts SET status = $2, failure = $3, provider_ref = $4, settled_at = $5 \
                 WHERE id = $1 AND status = 'sending'",
            )
            .bind(id)
            .bind(status)
            .bind(failure)
            .bind(reference)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if moved.rows_affected() == 0 {
                return Ok(false);
            }
            if status == "failed" {
                post_transfers!(tx, format!("payout-reversal:{id}"), reversal, now);
            }
            true
        });
        Ok(done)
    }

    async fn payouts_sending(&self) -> StoreResult<Vec<PayoutRecord>> {
        let sql = format!("{PAYOUT_SELECT} WHERE p.status = 'sending' ORDER BY p.created_at");
        let rows: Vec<Row> = read!(self, |pool| { sqlx::query_as(&sql).fetch_all(pool).await.map_err(backend)? });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn payouts(&self, payee_id: Option<&str>, limit: i64) -> StoreResult<Vec<PayoutRecord>> {
        let sql =
            format!("{PAYOUT_SELECT} WHERE ($1 = '' OR p.payee_id = $1) ORDER BY p.created_at DESC, p.id LIMIT $2");
        let rows: Vec<Row> = read!(self, |pool| {
            sqlx::query_as(&sql).bind(payee_id.unwrap_or("")).bind(limit).fetch_all(pool).await.map_err(backend)?
        });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn payout(&self, id: &str) -> StoreResult<Option<PayoutRecord>> {
        let sql = format!("{PAYOUT_SELECT} WHERE p.id = $1");
        let row: Option<Row> =
            read!(self, |pool| { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await.map_err(backend)? });
        Ok(row.map(record))
    }

    async fn sandbox_pay(&self, payout_id: &str, payee: &str, amount: Money, now: OffsetDateTime) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sandbox_payouts (id, payee, currency, amount, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(payout_id)
            .bind(payee)
            .bind(amount.currency.code())
            .bind(amount.minor)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn payout_sent(&self, id: &str, provider_ref: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE payouts SET provider_ref = $2 WHERE id = $1 AND status = 'sending'")
                .bind(id)
                .bind(provider_ref)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        });
        Ok(())
    }

    async fn payouts_with_ref(&self, provider_ref: &str) -> StoreResult<Vec<PayoutRecord>> {
        let sql = format!("{PAYOUT_SELECT} WHERE p.status = 'sending' AND p.provider_ref = $1 ORDER BY p.created_at");
        let rows: Vec<Row> =
            read!(self, |pool| { sqlx::query_as(&sql).bind(provider_ref).fetch_all(pool).await.map_err(backend)? });
        Ok(rows.into_iter().map(record).collect())
    }

    async fn save_payee_account(&self, a: &PayeeAccount) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO payee_accounts (payee_id, holder, country, iban, bic, account_number, bank_code, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (payee_id) DO UPDATE SET holder = excluded.holder, country = excluded.country, \
                 iban = excluded.iban, bic = excluded.bic, account_number = excluded.account_number, \
                 bank_code = excluded.bank_code, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(&a.payee_id)
            .bind(&a.holder)
            .bind(&a.country)
            .bind(&a.iban)
            .bind(&a.bic)
            .bind(&a.account_number)
            .bind(&a.bank_code)
            .bind(&a.updated_by)
            .bind(micros(a.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn payee_account(&self, payee_id: &str) -> StoreResult<Option<PayeeAccount>> {
        type AccountRow =
            (String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, String, i64);
        let row: Option<AccountRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT payee_id, holder, country, iban, bic, account_number, bank_code, updated_by, updated_at \
                 FROM payee_accounts WHERE payee_id = $1",
            )
            .bind(payee_id)
            .fetch_optional(pool)
            .await
            .map_err(backend)?
        });
        Ok(row.map(|(payee_id, holder, country, iban, bic, account_number, bank_code, updated_by, at)| PayeeAccount {
            payee_id,
            holder,
            country,
            iban,
            bic,
            account_number,
            bank_code,
            updated_by,
            updated_at: from_micros(at),
        }))
    }

    async fn save_payout_file(&self, f: &PayoutFile) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO payout_files (id, run_id, currency, transfers, total, body, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&f.id)
            .bind(&f.run_id)
            .bind(&f.currency)
            .bind(f.transfers)
            .bind(f.total)
            .bind(&f.body)
            .bind(&f.status)
            .bind(micros(f.created_at))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        });
        Ok(())
    }

    async fn payout_files(&self, limit: i64) -> StoreResult<Vec<PayoutFile>> {
        let rows: Vec<FileRow> = read!(self, |pool| {
            sqlx::query_as(&format!("{FILE_SELECT} ORDER BY created_at DESC, id LIMIT $1"))
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(backend)?
        });
        Ok(rows.into_iter().map(file).collect())
    }

    async fn payout_file(&self, id: &str) -> StoreResult<Option<PayoutFile>> {
        let row: Option<FileRow> = read!(self, |pool| {
            sqlx::query_as(&format!("{FILE_SELECT} WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(backend)?
        });
        Ok(row.map(file))
    }

    async fn accept_payout_file(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let n = write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE payout_files SET status = 'accepted', accepted_at = $2 WHERE id = $1 AND status = 'written'",
            )
            .bind(id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
        });
        Ok(n == 1)
    }
}

const FILE_SELECT: &str = "SELECT id, run_id, currency, transfers, total, body, status, created_at FROM payout_files";

type FileRow = (String, String, String, i64, i64, String, String, i64);

fn file((id, run_id, currency, transfers, total, body, status, created_at): FileRow) -> PayoutFile {
    PayoutFile { id, run_id, currency, transfers, total, body, status, created_at: from_micros(created_at) }
}
