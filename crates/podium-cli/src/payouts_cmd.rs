//! `podium payouts …`: runs (through the sandbox or as ISO 20022 bank files), the files a run
//! wrote, marking a file accepted by the bank, and importing the bank's camt.054 notification.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use podium_app::payouts;

use crate::{cli_audit, DbArgs};

#[derive(Subcommand)]
pub enum PayoutsCommand {
    /// Pay every shop's available balance and every licensor's royalties, converted to the
    /// payee's currency at the latest rates; a failed payout is reversed and paid by the next run.
    Run {
        #[command(flatten)]
        db: DbArgs,
        /// `sandbox` (pays at once, no real money) or `iso20022` (writes one pain.001 credit-
        /// transfer file per currency for the bank; payouts stay "sending" until settled).
        #[arg(long, value_enum, default_value = "sandbox")]
        provider: ProviderArg,
        /// Where iso20022 files are written.
        #[arg(long, default_value = "payout-files")]
        out: PathBuf,
        /// The marketplace account paid from (iso20022): holder name, IBAN and BIC.
        #[arg(long, env = "PODIUM_PAYOUT_DEBTOR_NAME")]
        debtor_name: Option<String>,
        #[arg(long, env = "PODIUM_PAYOUT_DEBTOR_IBAN")]
        debtor_iban: Option<String>,
        #[arg(long, env = "PODIUM_PAYOUT_DEBTOR_BIC")]
        debtor_bic: Option<String>,
        /// Make the sandbox provider refuse payouts to this payee (its slug); repeatable.
        #[arg(long = "sandbox-fail-for", value_name = "SLUG")]
        fail_for: Vec<String>,
    },
    /// List the bank files payout runs wrote.
    Files {
        #[command(flatten)]
        db: DbArgs,
    },
    /// The bank accepted a file: its payouts are paid.
    Accept {
        #[command(flatten)]
        db: DbArgs,
        /// The file's id (its pain.001 message id), as `podium payouts files` lists it.
        file: String,
    },
    /// Import the bank's camt.054 debit notification: booked transfers are paid, returned ones
    /// reversed (and paid by a later run).
    ImportCamt054 {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum ProviderArg {
    Sandbox,
    Iso20022,
}

pub async fn run(cmd: PayoutsCommand) -> Result<()> {
    let db = match &cmd {
        PayoutsCommand::Run { db, .. }
        | PayoutsCommand::Files { db }
        | PayoutsCommand::Accept { db, .. }
        | PayoutsCommand::ImportCamt054 { db, .. } => db.url()?,
    };
    let store = podium_store::connect(&db).await?;
    store.migrate().await.context("migration failed")?;
    let now = time::OffsetDateTime::now_utc();
    match cmd {
        PayoutsCommand::Run { provider, out, debtor_name, debtor_iban, debtor_bic, fail_for, .. } => {
            let rates = podium_domain::RateTable::new(store.latest_rates().await?);
            let summary = if provider == ProviderArg::Iso20022 {
                let need = |v: Option<String>, flag: &str| {
                    v.filter(|s| !s.trim().is_empty()).with_context(|| format!("--provider iso20022 needs {flag}"))
                };
                let debtor = podium_domain::iso20022::Debtor {
                    name: need(debtor_name, "--debtor-name")?,
                    iban: need(debtor_iban, "--debtor-iban")?,
                    bic: need(debtor_bic, "--debtor-bic")?,
                };
                let files = podium_app::payout_files::Iso20022Payouts::new(store.clone(), debtor, "Podium", now.date())
                    .map_err(|e| anyhow::anyhow!("--provider iso20022: {e}"))?;
                payouts::run(store.as_ref(), &files, &rates, "podium payouts run", now).await
            } else {
                let sandbox = payouts::SandboxPayouts::new(store.clone(), fail_for);
                payouts::run(store.as_ref(), &sandbox, &rates, "podium payouts run", now).await
            }
            .context("the payout run failed")?;
            cli_audit(store.as_ref(), "payouts.run", "payout run", &payouts::run_detail(&summary)).await?;
            for p in &summary.payouts {
                let amount = money(p.amount, &p.currency);
                let payee = payouts::payee_label(p);
                match (&p.failure, p.status.as_str()) {
                    (Some(why), _) => {
                        println!("  FAILED  {payee:<36} {amount}: {why} (reversed; paid by the next run)")
                    }
                    (None, "sending") => {
                        println!("  SENT    {payee:<36} {amount} (in the bank file; waits for the bank)")
                    }
                    (None, _) => println!("  paid    {payee:<36} {amount}"),
                }
            }
            for (payee, why) in &summary.skipped {
                println!("  SKIPPED {payee:<36} {why} (its balance stays for the next run)");
            }
            if provider == ProviderArg::Iso20022 {
                std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
                for f in store.payout_files(100).await?.into_iter().filter(|f| f.run_id == summary.run_id) {
                    let path = out.join(format!("{}.xml", f.id));
                    std::fs::write(&path, &f.body).with_context(|| format!("cannot write {}", path.display()))?;
                    println!("  wrote {} ({} transfers, {})", path.display(), f.transfers, money(f.total, &f.currency));
                }
            }
            println!(
                "payout run {}: {} paid, {} sent to the bank, {} failed, {} skipped",
                summary.run_id,
                summary.paid,
                summary.pending,
                summary.failed,
                summary.skipped.len()
            );
        }
        PayoutsCommand::Files { .. } => {
            let files = store.payout_files(100).await?;
            if files.is_empty() {
                println!("no payout files yet (podium payouts run --provider iso20022 writes them)");
            }
            for f in files {
                println!("{:<32} {:<9} {:>4} transfers  {}", f.id, f.status, f.transfers, money(f.total, &f.currency));
            }
        }
        PayoutsCommand::Accept { file, .. } => {
            match podium_app::payout_files::accept_file(store.as_ref(), &file, now).await? {
                None => anyhow::bail!("no payout file {file} (podium payouts files lists them)"),
                Some(n) => {
                    cli_audit(store.as_ref(), "payouts.file_accepted", &file, &format!("{n} payouts paid")).await?;
                    println!("{file} accepted by the bank: {n} payouts paid");
                }
            }
        }
        PayoutsCommand::ImportCamt054 { file, .. } => {
            let xml = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let s = podium_app::payout_files::import_camt054(store.as_ref(), &xml, now)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let detail = format!("{} paid, {} returned, {} not waiting", s.paid, s.returned, s.ignored);
            cli_audit(store.as_ref(), "payouts.camt054", &file.display().to_string(), &detail).await?;
            println!("{}: {detail}", file.display());
        }
    }
    Ok(())
}

fn money(amount: i64, currency: &str) -> String {
    podium_domain::Currency::parse(currency)
        .map(|c| podium_domain::Money::new(amount, c).formatted())
        .unwrap_or_else(|_| format!("{amount} {currency}"))
}
