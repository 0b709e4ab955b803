//! The `podium` binary: one process that serves the marketplace, plus the admin commands.
//!
//! Errors here are `anyhow` with context; each becomes one line on stderr and a non-zero exit.

mod limits;
mod mail_args;
mod payment_args;
mod payouts_cmd;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// mimalloc: indexing and serving allocate many small strings across threads, where it is
/// measurably faster than the system allocator (see bench/README.md). Built without
/// transparent huge pages (`no_thp`): with them every arena a thread touches becomes 2 MiB
/// resident, which more than doubled an idle node's memory (17 → 42 MiB of heap).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "podium",
    version,
    about = "Podium: a marketplace for officially licensed merchandise",
    propagate_version = true
)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "PODIUM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo marketplace (if the database is empty), print its accounts, and serve it.
    Demo(DemoArgs),
    /// Serve the marketplace.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data to files.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Check the money ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Pay shops and licensors.
    #[command(subcommand)]
    Payouts(payouts_cmd::PayoutsCommand),
    /// Give accounts their roles: membership of a shop or licensor, or operator.
    #[command(subcommand)]
    Roles(RolesCommand),
    /// Rebuild this node's search index from the database (stop the node first).
    Reindex {
        #[command(flatten)]
        db: DbArgs,
        /// The node's data directory, which holds the index.
        #[arg(long, env = "PODIUM_DATA_DIR", default_value = "podium-data")]
        data_dir: PathBuf,
    },
}

/// A progress bar on stderr; hidden when stderr is not a terminal.
pub fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

#[derive(Args, Clone)]
pub(crate) struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (also read from DATABASE_URL).
    #[arg(long, env = "PODIUM_DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    pub(crate) fn url(&self) -> Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => bail!("no database given: pass --database-url sqlite://podium.db (or postgres://…), or set PODIUM_DATABASE_URL"),
        }
    }
}

#[derive(Args, Clone)]
pub struct HttpArgs {
    /// Address to listen on.
    #[arg(long, env = "PODIUM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Ship-to country for visitors whose request names none (ISO 3166-1 alpha-2).
    #[arg(long, env = "PODIUM_DEFAULT_COUNTRY", default_value = "US")]
    pub default_country: String,
    /// Mark cookies Secure; set this when Podium is served over HTTPS.
    #[arg(long, env = "PODIUM_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// A request header a trusted proxy sets to the client's country (e.g. CF-IPCountry), used
    /// to record where authenticity codes are verified from.
    #[arg(long, env = "PODIUM_COUNTRY_HEADER")]
    pub country_header: Option<String>,
    /// Authenticity look-ups allowed per client per minute.
    #[arg(long, env = "PODIUM_VERIFY_PER_MINUTE", default_value_t = 30)]
    pub verify_per_minute: i64,
    /// A code verified by more distinct clients than this is flagged as suspicious (as is one
    /// verified from more than one country); repeated look-ups by one client count once.
    #[arg(long, env = "PODIUM_SUSPICIOUS_AFTER", default_value_t = 20)]
    pub suspicious_after: u64,
    /// The address fans reach Podium at (https://shop.example): the origin of canonical links,
    /// link previews, the sitemap, feeds, JSON-LD and e-mail links (default: the listen address).
    #[arg(long, env = "PODIUM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Where vulnerabilities in this marketplace are reported, for /.well-known/security.txt
    /// (mailto: or https:; default: security@ the public URL's host).
    #[arg(long, env = "PODIUM_SECURITY_CONTACT")]
    pub security_contact: Option<String>,
    /// Reverse proxies (addresses or networks, comma-separated: 10.0.0.0/8,::1) whose
    /// Forwarded / X-Forwarded-For headers name the client. Without it those headers are
    /// ignored, since any client can send them.
    #[arg(long, env = "PODIUM_TRUSTED_PROXY")]
    pub trusted_proxy: Option<String>,
    #[command(flatten)]
    pub mail: crate::mail_args::MailArgs,
    #[command(flatten)]
    pub payment: crate::payment_args::PaymentArgs,
    /// The platform's commission on each order's net goods, in basis points (1000 = 10 %).
    #[arg(long, env = "PODIUM_COMMISSION_BP", default_value_t = 1000)]
    pub commission_bp: u32,
    /// Make the sandbox payout provider refuse payouts to this payee (its slug); repeatable.
    #[arg(long = "sandbox-payout-fail-for", value_name = "SLUG")]
    pub sandbox_payout_fail_for: Vec<String>,
    /// How many seconds ahead of its start a shop must schedule a drop (lower it for demos).
    #[arg(long, env = "PODIUM_DROP_MIN_LEAD_SECONDS", default_value_t = 300)]
    pub drop_min_lead_seconds: u32,
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
    /// Seconds a client has from the first byte of a request to the end of its headers.
    #[arg(long, env = "PODIUM_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a client has from the end of a request's headers to the end of its body.
    #[arg(long, env = "PODIUM_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Seconds a connection may stay open without a request under way and without traffic.
    #[arg(long, env = "PODIUM_IDLE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "PODIUM_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Page requests (outside /api/) answered at once; more are turned away with 503 and Retry-After.
    #[arg(long, env = "PODIUM_MAX_IN_FLIGHT_PAGES", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight_pages: u32,
    /// API requests (/api/) answered at once; more are turned away with 503 and Retry-After.
    #[arg(long, env = "PODIUM_MAX_IN_FLIGHT_API", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight_api: u32,
    /// Require `Authorization: Bearer <token>` on /metrics (otherwise it is public).
    #[arg(long, env = "PODIUM_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Answer every request afresh: keep no anonymous catalogue reads of the API in memory
    /// (answers still carry `ETag` and revalidate to 304).
    #[arg(long, env = "PODIUM_NO_RESPONSE_CACHE")]
    pub no_response_cache: bool,
    /// Megabytes of answers the response cache keeps at most.
    #[arg(long, env = "PODIUM_RESPONSE_CACHE_MB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub response_cache_mb: u32,
    /// The longest an answer is served from the response cache, whatever the outbox (it bounds
    /// what moves without it: stock counts, licence terms ending): `2s`, `1m`.
    #[arg(long, env = "PODIUM_RESPONSE_CACHE_TTL", default_value = "2s", value_parser = crate::limits::parse_duration)]
    pub response_cache_ttl: time::Duration,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    http: HttpArgs,
    /// Directory for this node's own files (its search index, caches).
    #[arg(long, env = "PODIUM_DATA_DIR", default_value = "podium-data")]
    data_dir: PathBuf,
}

#[derive(Args)]
struct DemoArgs {
    /// SQLite file for the demo (shorthand for --database-url sqlite://FILE).
    #[arg(long, default_value = "podium-demo.db", conflicts_with = "database_url")]
    db: PathBuf,
    /// Use another database instead (sqlite:// or postgres://).
    #[arg(long, env = "PODIUM_DEMO_DATABASE_URL")]
    database_url: Option<String>,
    /// Add this many synthetic products (numbered editions in five languages) for benchmarks.
    #[arg(long, default_value_t = 0)]
    products: usize,
    #[command(flatten)]
    http: HttpArgs,
    /// Directory for this node's own files.
    #[arg(long, env = "PODIUM_DATA_DIR", default_value = "podium-data")]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import exchange rates from an ECB file (daily or historical XML, or CSV).
    Fx {
        /// The file to read.
        file: PathBuf,
        /// Where the rates come from, recorded with each one.
        #[arg(long, default_value = "ECB")]
        source: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import trade rules (VAT, duty, thresholds per country) from a TOML file; see
    /// docs/trade-rules.md. The whole file is checked first; a file with any problem changes nothing.
    TradeRules {
        /// The TOML file to read.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import a shop's products from a CSV file (Shopify's product columns plus Podium's; see
    /// docs/product-csv.md). All or nothing: a file with any bad row changes nothing.
    Products {
        /// The CSV file to read.
        file: PathBuf,
        /// The shop the products belong to (its slug).
        #[arg(long)]
        shop: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every balance from the transfers, check every transfer's currency, every
    /// limit and that each captured consignment's credits equal what was captured; exits
    /// non-zero naming the first breach.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum RolesCommand {
    /// Make an account a member of a shop or licensor (by its slug).
    AddMember {
        #[command(flatten)]
        db: DbArgs,
        email: String,
        org: String,
    },
    /// Make an account an operator of the marketplace, or (with --revoke) no longer one.
    Operator {
        #[command(flatten)]
        db: DbArgs,
        email: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Write a shop's products as CSV in the format `podium import products` reads.
    Products {
        /// The shop (its slug).
        #[arg(long)]
        shop: String,
        /// Where to write; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The site's public address, used in image links.
        #[arg(long, env = "PODIUM_PUBLIC_URL", default_value = "")]
        public_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("podium: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes, joined.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("podium: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Migrate(db) => {
            let url = db.url()?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            println!("database {} is migrated", podium_store::redact(&url));
            Ok(())
        }
        Command::Serve(args) => {
            let url = args.db.url()?;
            serve::serve(&url, &args.http, &args.data_dir, None).await
        }
        Command::Demo(args) => {
            let url = match args.database_url {
                Some(url) => url,
                None => format!("sqlite://{}", args.db.display()),
            };
            serve::serve(&url, &args.http, &args.data_dir, Some(serve::Demo { products: args.products })).await
        }
        Command::Ledger(LedgerCommand::Verify { db }) => {
            let url = db.url()?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            match podium_app::ledger::verify(store.as_ref()).await.context("reading the ledger failed")? {
                Ok(v) => {
                    println!(
                        "the ledger balances: {} accounts, {} transfers, {} captured consignments agree",
                        v.accounts, v.transfers, v.consignments
                    );
                    Ok(())
                }
                Err(breach) => anyhow::bail!("ledger breach: {breach}"),
            }
        }
        Command::Roles(RolesCommand::AddMember { db, email, org }) => {
            let store = podium_store::connect(&db.url()?).await?;
            store.migrate().await.context("migration failed")?;
            let user = store.user_by_email(&email.trim().to_lowercase()).await?;
            let Some(user) = user else { bail!("no account uses {email}") };
            let Some(o) = store.org_by_slug(&org).await? else { bail!("no shop or licensor is called {org}") };
            if store.memberships(&user.id).await?.iter().any(|m| m.id == o.id) {
                println!("{} is already a member of {}", user.email, o.name);
                return Ok(());
            }
            store.add_membership(&user.id, &o.id).await?;
            cli_audit(store.as_ref(), "role.member", &user.email, &format!("member of {} ({})", o.name, o.slug))
                .await?;
            println!("{} is now a member of {}", user.email, o.name);
            Ok(())
        }
        Command::Roles(RolesCommand::Operator { db, email, revoke }) => {
            let store = podium_store::connect(&db.url()?).await?;
            store.migrate().await.context("migration failed")?;
            let Some(user) = store.user_by_email(&email.trim().to_lowercase()).await? else {
                bail!("no account uses {email}")
            };
            store.set_operator(&user.id, !revoke).await?;
            let (action, what) = if revoke {
                ("role.operator.revoke", "no longer an operator")
            } else {
                ("role.operator", "an operator")
            };
            cli_audit(store.as_ref(), action, &user.email, what).await?;
            println!("{} is now {what}", user.email);
            Ok(())
        }
        Command::Payouts(cmd) => payouts_cmd::run(cmd).await,
        Command::Reindex { db, data_dir } => {
            let url = db.url()?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            let dir = data_dir.join("search");
            let (index, _) = podium_search::SearchIndex::open(&dir).with_context(|| {
                format!("cannot open the search index in {} (stop the podium using it first)", dir.display())
            })?;
            let started = std::time::Instant::now();
            let bar = progress_bar("Indexing products");
            let position = podium_search::rebuild(&index, store.as_ref(), &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await
            .context("reindexing failed")?;
            bar.finish_and_clear();
            // A node started on this directory now trusts the index instead of building it again.
            let (marker, database) = serve::index_marker(store.as_ref(), &data_dir).await?;
            std::fs::write(&marker, database).with_context(|| format!("cannot write {}", marker.display()))?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "indexed {} products in {secs:.2} s ({:.0} per second), current to outbox position {position}",
                index.len(),
                index.len() as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        Command::Import(ImportCommand::Products { file, shop, db }) => {
            let url = db.url()?;
            let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            let bar = progress_bar("Checking rows");
            let now = time::OffsetDateTime::now_utc();
            let result = podium_app::catalogue_csv::import(
                store.as_ref(),
                &shop,
                &data,
                now,
                Default::default(),
                &|stage, done, total| {
                    if stage == "save" && bar.message() != "Saving products" {
                        bar.set_message("Saving products");
                    }
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )
            .await;
            bar.finish_and_clear();
            match result {
                Ok(report) => {
                    for note in &report.notes {
                        eprintln!("note: {note}");
                    }
                    println!(
                        "imported {} products into {shop} ({} new, {} updated, {} variants)",
                        report.created + report.updated,
                        report.created,
                        report.updated,
                        report.variants
                    );
                    if report.sent_for_review > 0 {
                        println!(
                            "{} approved products changed what the licensor approved: sent for review (the approved versions stay on sale)",
                            report.sent_for_review
                        );
                    }
                    Ok(())
                }
                Err(podium_app::catalogue_csv::ImportError::Rows(rows)) => {
                    for r in &rows {
                        eprintln!("{}: {r}", file.display());
                    }
                    bail!("{} was not imported: {} bad row(s); nothing was changed", file.display(), rows.len())
                }
                Err(e) => Err(anyhow::Error::new(e).context(format!("{} was not imported", file.display()))),
            }
        }
        Command::Export(ExportCommand::Products { shop, output, public_url, db }) => {
            let url = db.url()?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            let org = store
                .org_by_slug(&shop)
                .await?
                .filter(|o| o.kind == podium_domain::role::OrgKind::Shop)
                .with_context(|| format!("no shop is called {shop:?}"))?;
            let products = podium_app::catalogue_csv::shop_products(store.as_ref(), &shop).await?;
            let locations = store.stock_locations(&org.id).await?;
            let csv = podium_app::catalogue_csv::export(&products, &locations, public_url.trim_end_matches('/'));
            match output {
                Some(path) => {
                    std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("wrote {} products of {shop} to {}", products.len(), path.display());
                }
                None => print!("{csv}"),
            }
            Ok(())
        }
        Command::Import(ImportCommand::TradeRules { file, db }) => {
            let url = db.url()?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            let by = format!("podium import trade-rules {}", file.display());
            match podium_app::trade_rules::import(store.as_ref(), &text, &by).await {
                Ok(rules) => {
                    let detail = format!("{} countries, {} bytes", rules.countries.len(), text.len());
                    cli_audit(store.as_ref(), "trade-rules.import", &file.display().to_string(), &detail).await?;
                    let codes: Vec<String> = rules.countries.iter().map(|c| c.country.code().to_string()).collect();
                    println!("imported trade rules for {} countries ({})", codes.len(), codes.join(", "));
                    Ok(())
                }
                Err(podium_app::trade_rules::ImportRulesError::Rules(problems)) => {
                    for p in &problems {
                        eprintln!("{}: {p}", file.display());
                    }
                    bail!("{} was not imported: {} problem(s); nothing was changed", file.display(), problems.len())
                }
                Err(e) => Err(anyhow::Error::new(e).context(format!("{} was not imported", file.display()))),
            }
        }
        Command::Import(ImportCommand::Fx { file, source, db }) => {
            let url = db.url()?;
            let content = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = podium_store::connect(&url).await?;
            store.migrate().await.context("migration failed")?;
            let report = podium_app::fx_import::import(store.as_ref(), &content, &source)
                .await
                .with_context(|| format!("{} was not imported", file.display()))?;
            cli_audit(store.as_ref(), "rates.import", &file.display().to_string(), &report.summary()).await?;
            println!("{}", report.summary());
            Ok(())
        }
    }
}

/// Records a command's change in the operator's audit log: who ran it (the shell's user) from
/// the command line.
pub(crate) async fn cli_audit(store: &dyn podium_app::Store, action: &str, subject: &str, detail: &str) -> Result<()> {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let actor = podium_app::security::Actor {
        user_id: String::new(),
        name: format!("{user} (podium command)"),
        client: "cli".into(),
    };
    podium_app::security::audit_operator(store, &actor, action, subject, detail, time::OffsetDateTime::now_utc())
        .await
        .context("could not write the audit log")
}
