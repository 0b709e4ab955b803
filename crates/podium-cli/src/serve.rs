//! Starting the server: connect, migrate, optionally seed the demo, serve until a signal.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use podium_app::{demo, Clock, SystemClock};
use podium_domain::Country;
use podium_web::{AppState, WebConfig};

use crate::HttpArgs;

/// Marks a demo run: seed the demo data, add `products` synthetic ones, print the accounts.
pub struct Demo {
    pub products: usize,
}

pub async fn serve(url: &str, http: &HttpArgs, data_dir: &Path, demo_mode: Option<Demo>) -> Result<()> {
    let default_country =
        Country::parse(&http.default_country).map_err(|e| anyhow::anyhow!("--default-country: {e}"))?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let store = podium_store::connect(url).await?;
    store.migrate().await.context("migration failed")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Every node of the marketplace reads the same key from the database (made once).
    let shared_secret = hex::decode(
        store
            .shared_secret("marketplace", &hex::encode(podium_web::Secret::random().0))
            .await
            .context("cannot read the marketplace key")?,
    )
    .context("the stored marketplace key is not hex")?;

    if let Some(demo_args) = demo_mode {
        match demo::seed(store.as_ref(), clock.now()).await.context("creating the demo marketplace failed")? {
            demo::Seeded::Created { products } => {
                let orders = demo::orders::seed(store.clone(), clock.now(), &shared_secret)
                    .await
                    .context("placing the demo orders failed")?;
                println!(
                    "Created the demo marketplace ({products} products, {orders} orders) in {}",
                    podium_store::redact(url)
                )
            }
            demo::Seeded::AlreadyThere => println!("Using the existing marketplace in {}", podium_store::redact(url)),
        }
        add_synthetic(store.as_ref(), demo_args.products, clock.now()).await?;
        println!("\nDemo accounts (role, email, password):");
        for a in demo::ACCOUNTS {
            println!("  {:<9} {:<26} {}", a.role, a.email, a.password);
        }
        println!();
    }

    let search = open_search(store.as_ref(), data_dir).await?;
    tokio::spawn(search.clone().run(store.clone(), Duration::from_millis(500)));
    let listener =
        tokio::net::TcpListener::bind(http.addr).await.with_context(|| format!("cannot listen on {}", http.addr))?;
    let local = listener.local_addr().context("no local address")?;
    let public_url = public_url(http.public_url.as_deref(), local)?;
    let payments = http.payment.provider()?;
    let trusted_proxies = podium_web::kit::proxy::TrustedProxies::parse(http.trusted_proxy.as_deref().unwrap_or(""))
        .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))?;
    let config = WebConfig {
        trusted_proxies,
        sandbox_debit_delay: http.limits.sandbox_debit_delay,
        response_cache: podium_web::response_cache::CacheSettings {
            enabled: !http.no_response_cache,
            max_bytes: (http.response_cache_mb as usize) << 20,
            ttl: std::time::Duration::from_secs(http.response_cache_ttl.whole_seconds().max(0) as u64),
        },
        stripe: payments.as_ref().map(|(_, browser)| browser.clone()),
        default_country,
        secure_cookies: http.secure_cookies,
        country_header: http.country_header.clone().filter(|h| !h.trim().is_empty()),
        verify_per_minute: http.verify_per_minute.max(1),
        suspicious_after: http.suspicious_after,
        shared_secret: podium_web::Secret(shared_secret),
        commission_bp: http.commission_bp.min(10_000),
        sandbox_payout_failures: http.sandbox_payout_fail_for.clone(),
        drop_min_lead: time::Duration::seconds(i64::from(http.drop_min_lead_seconds)),
        holds: http.limits.holds(),
        bounds: http.limits.bounds(),
        in_flight: podium_web::shedding::InFlightLimits {
            pages: http.max_in_flight_pages as usize,
            api: http.max_in_flight_api as usize,
        },
        metrics_token: http
            .metrics_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| podium_web::Secret(t.as_bytes().to_vec())),
        public_url: public_url.clone(),
        security_contact: http.security_contact.clone(),
    };
    let mut state = AppState::new(store.clone(), clock.clone(), config, search).map_err(|e| anyhow::anyhow!(e))?;
    if let Some((provider, _)) = payments {
        println!("Payments go through Stripe ({})", http.payment.stripe_api_base);
        state = state.with_payments(provider);
    }
    let app = podium_web::router(state.clone());
    println!("Podium is serving http://{local}/  (API docs: http://{local}/api/docs)");
    tracing::info!(addr = %local, backend = store.backend(), "serving");

    // Expired sessions are swept hourly; any node may do it, the delete is idempotent.
    let sweeper = {
        let store = store.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                match store.delete_expired_sessions(clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                }
                // Advances of agreements signed while their own posting failed, and
                // minimum-guarantee shortfalls of contract years that have ended (each posted
                // once, whichever node gets there first).
                if let Err(e) = podium_app::royalties::post_advances(store.as_ref(), clock.now()).await {
                    tracing::warn!(error = %e, "advance sweep failed");
                }
                match podium_app::royalties::charge_minimums(store.as_ref(), clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(charged = n, "minimum-guarantee shortfalls charged"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "minimum-guarantee sweep failed"),
                }
            }
        })
    };

    // Stock held by abandoned checkouts goes back on sale when its hold runs out; every node
    // sweeps, and each release is conditional, so none is released twice.
    let holds = {
        let store = store.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(15));
            loop {
                tick.tick().await;
                match store.release_expired(clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(released = n, "expired stock reservations released"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reservation sweep failed"),
                }
            }
        })
    };

    // Drops: fans are let in as units allow, and those who asked are told a drop opened; every
    // node runs this, the store admits one batch at a time per drop and mails each fan once.
    let admissions = {
        let store = store.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                match podium_app::drops::admit_due(store.as_ref(), clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(admitted = n, "fans admitted to drops"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "drop admission sweep failed"),
                }
            }
        })
    };

    let mailer = http.mail.mailer(data_dir)?;
    let workers = spawn_workers(state, local.to_string(), mailer, public_url);

    let limits = podium_web::server::ServerLimits {
        header_timeout: Duration::from_secs(http.header_timeout),
        body_timeout: Duration::from_secs(http.body_timeout),
        idle_timeout: Duration::from_secs(http.idle_timeout),
        max_connections: http.max_connections as usize,
    };
    podium_web::server::serve(listener, app, limits, shutdown_signal()).await.context("server error")?;
    sweeper.abort();
    holds.abort();
    admissions.abort();
    for w in workers {
        w.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Where fans reach the marketplace: `--public-url` (an http or https address, no trailing
/// slash), else the listen address (`localhost` for one that listens everywhere).
fn public_url(given: Option<&str>, local: std::net::SocketAddr) -> Result<String> {
    match given.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(u.trim_end_matches('/').to_string()),
        Some(u) => anyhow::bail!("--public-url: {u} is not an http:// or https:// address"),
        None if local.ip().is_unspecified() => Ok(format!("http://localhost:{}", local.port())),
        None => Ok(format!("http://{local}")),
    }
}

/// The sandbox's webhooks (posted to this node's own endpoint), the mail queue, and the sweep
/// that settles orders left waiting for payment — first at start, so a node that died between
/// authorizing a card and committing the order puts it right as it comes back.
fn spawn_workers(
    state: AppState,
    addr: String,
    mailer: std::sync::Arc<dyn podium_app::mail::Mailer>,
    public_url: String,
) -> Vec<tokio::task::JoinHandle<()>> {
    use podium_app::background;
    let hooks = {
        let state = state.clone();
        let poster = podium_outbound::HttpWebhookPoster::new(addr, "/api/v1/webhooks/sandbox");
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                background::deliver_webhooks(state.store.as_ref(), state.clock.as_ref(), &state.sandbox, &poster).await;
            }
        })
    };
    let mail = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let n = podium_web::mail::send_due(&state, mailer.as_ref(), &public_url).await;
                if n > 0 {
                    tracing::info!(sent = n, "e-mails sent");
                }
            }
        })
    };
    let settle = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            let n = background::reconcile(state.store.as_ref(), state.clock.as_ref(), state.payments.as_ref()).await;
            if n > 0 {
                tracing::info!(settled = n, "orders waiting for payment settled");
            }
        }
    });
    vec![hooks, mail, settle]
}

/// Tops the catalogue up to the demo's 240 products plus `wanted` synthetic ones.
async fn add_synthetic(store: &dyn podium_app::Store, wanted: usize, now: time::OffsetDateTime) -> Result<()> {
    if wanted == 0 {
        return Ok(());
    }
    let filter = podium_app::catalogue::ProductFilter { limit: 0, ..Default::default() };
    let (_, existing) = store.products(&filter).await?;
    let missing = (240 + wanted).saturating_sub(existing as usize);
    if missing == 0 {
        return Ok(());
    }
    // Editions are numbered from where an earlier run stopped, so handles never collide.
    let rates = podium_domain::RateTable::new(store.latest_rates().await?);
    let started = std::time::Instant::now();
    let bar = crate::progress_bar("Generating products");
    bar.set_length(missing as u64);
    let first = (existing as usize).saturating_sub(240);
    let progress = |done: usize| bar.set_position(done as u64);
    demo::generate_from(store, first, missing, now, &rates, &progress).await.context("generating products failed")?;
    bar.finish_and_clear();
    println!("Generated {missing} products in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The file beside the index that names the database and the document format it was built
/// from, and what it should say for `store`.
pub async fn index_marker(store: &dyn podium_app::Store, data_dir: &Path) -> Result<(std::path::PathBuf, String)> {
    let database = format!(
        "{} index-format {}",
        store.database_id().await.context("cannot read the database identity")?,
        podium_search::INDEX_FORMAT
    );
    Ok((data_dir.join("search-database"), database))
}

/// Opens this node's index in `data_dir/search` and brings it up to date: a full build when it
/// is new, otherwise a catch-up from the outbox position it last committed.
pub async fn open_search(store: &dyn podium_app::Store, data_dir: &Path) -> Result<Arc<podium_search::Follower>> {
    let dir = data_dir.join("search");
    let (index, position) = podium_search::SearchIndex::open(&dir)
        .with_context(|| format!("cannot open the search index in {} (is another podium using it?)", dir.display()))?;
    // An index built from another database (a demo file deleted and created again, another URL)
    // or by a binary that stored documents differently is rebuilt rather than trusted.
    let (marker, database) = index_marker(store, data_dir).await?;
    let same_database = std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == database);
    if !same_database && !index.is_empty() {
        tracing::info!("the search index was built from another database; rebuilding it");
    }
    std::fs::write(&marker, &database).with_context(|| format!("cannot write {}", marker.display()))?;
    let position = if !same_database || (position == 0 && index.is_empty()) {
        let bar = crate::progress_bar("Indexing products");
        let reached = podium_search::rebuild(&index, store, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .context("building the search index failed")?;
        bar.finish_and_clear();
        reached
    } else {
        podium_search::catch_up(&index, store, position).await.context("catching up the search index failed")?
    };
    tracing::info!(documents = index.len(), position, "search index ready");
    Ok(podium_search::Follower::new(Arc::new(index), position))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn the_public_url_is_given_or_the_listen_address() {
        let local = "127.0.0.1:8080".parse().expect("addr");
        assert_eq!(public_url(Some("https://shop.example/"), local).ok().as_deref(), Some("https://shop.example"));
        assert_eq!(public_url(None, local).ok().as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(public_url(Some("  "), local).ok().as_deref(), Some("http://127.0.0.1:8080"));
        let everywhere = "0.0.0.0:9000".parse().expect("addr");
        assert_eq!(public_url(None, everywhere).ok().as_deref(), Some("http://localhost:9000"));
        assert!(public_url(Some("shop.example"), local).is_err(), "a scheme is required");
    }
}
