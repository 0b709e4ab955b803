//! Podium's HTTP face: storefront and console pages, the JSON API under `/api/v1`, and the
//! operational endpoints (`/healthz`, `/readyz`, `/metrics`).
//!
//! Handlers are thin: they resolve the visitor ([`context`]), call a use case from `podium-app`,
//! and render a template or JSON. No SQL and no business rules live here. Errors are
//! [`error::ApiError`] (problem+json) for the API and [`error::PageError`] for pages.

pub mod account;
pub mod api;
pub mod checkout;
pub mod console;
pub mod kit;
pub mod mail;
pub mod ops;
pub mod response_cache;
pub mod routes;
pub mod server;
pub mod shedding;
pub mod storefront;

pub use kit::{context, error, i18n, lang_path, money_format};
pub use storefront::sitemap;

use std::sync::Arc;

use axum::Router;
use podium_app::{Clock, Store};
use podium_domain::Country;

/// Settings the web layer reads; the CLI fills them from flags and `PODIUM_*` variables.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Ship-to country when nothing in the request says otherwise.
    pub default_country: Country,
    /// Mark cookies `Secure` (set when Podium is served over HTTPS).
    pub secure_cookies: bool,
    /// A header a trusted proxy sets to the client's ISO country (where codes are verified from).
    pub country_header: Option<String>,
    /// Authenticity look-ups allowed per client per minute.
    pub verify_per_minute: i64,
    /// Distinct clients verifying a code beyond which it is flagged as suspicious.
    pub suspicious_after: u64,
    /// The marketplace's shared key: the sandbox provider's webhook signatures and card
    /// fingerprints, and order tokens. Every node of one marketplace must use the same.
    pub shared_secret: Secret,
    /// The platform's commission on net goods, in basis points, fixed on each order.
    pub commission_bp: u32,
    /// Payees (slugs) the sandbox payout provider refuses, to try failures.
    pub sandbox_payout_failures: Vec<String>,
    /// How far ahead of its start a drop must be scheduled.
    pub drop_min_lead: time::Duration,
    /// How long unpaid orders hold stock, and how many one client, account or card may keep.
    pub holds: podium_app::checkout::HoldPolicy,
    /// The largest price, order total and stock anyone can enter.
    pub bounds: podium_domain::money::Bounds,
    /// Requests answered at once per route class; more are shed with 503 and `Retry-After`.
    pub in_flight: shedding::InFlightLimits,
    /// When set, `/metrics` answers only `Authorization: Bearer <this token>`.
    pub metrics_token: Option<Secret>,
    /// Where fans reach the marketplace (`https://shop.example`, no trailing slash): the origin
    /// of canonical links, social cards, the sitemap, feeds, JSON-LD and e-mail links.
    pub public_url: String,
    /// Where vulnerabilities are reported (`mailto:` or `https:`), for `security.txt`; by
    /// default `security@` the public URL's host.
    pub security_contact: Option<String>,
    /// Set when payments go through Stripe: what the checkout page's Stripe.js needs.
    pub stripe: Option<StripeBrowser>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client (none by default).
    pub trusted_proxies: kit::proxy::TrustedProxies,
    /// How long the sandbox's bank takes to answer a direct debit.
    pub sandbox_debit_delay: time::Duration,
    /// The in-memory cache of anonymous catalogue reads (see [`response_cache`]).
    pub response_cache: response_cache::CacheSettings,
}

/// What the browser needs to take card details and the second step through Stripe.js, so
/// that card numbers never reach Podium.
#[derive(Debug, Clone)]
pub struct StripeBrowser {
    /// `pk_test_…` or `pk_live_…`.
    pub publishable_key: String,
    /// Where Stripe.js is loaded from (`https://js.stripe.com/v3/`).
    pub js_url: String,
    /// The origin Stripe.js talks to, allowed by the pages' Content-Security-Policy.
    pub api_origin: String,
}

/// Bytes that never show in logs.
#[derive(Clone)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn random() -> Secret {
        use rand::RngCore;
        let mut b = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut b);
        Secret(b)
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            default_country: Country::parse("US").expect("US is an ISO 3166 country"),
            secure_cookies: false,
            country_header: None,
            verify_per_minute: 30,
            suspicious_after: 20,
            shared_secret: Secret::random(),
            commission_bp: podium_app::ledger::DEFAULT_COMMISSION_BP,
            sandbox_payout_failures: Vec::new(),
            drop_min_lead: podium_domain::drop::MIN_LEAD,
            holds: podium_app::checkout::HoldPolicy::default(),
            bounds: podium_domain::money::Bounds::default(),
            in_flight: shedding::InFlightLimits::default(),
            metrics_token: None,
            public_url: "http://127.0.0.1:8080".to_string(),
            security_contact: None,
            stripe: None,
            trusted_proxies: kit::proxy::TrustedProxies::default(),
            sandbox_debit_delay: time::Duration::seconds(podium_app::payments::SANDBOX_DEBIT_SECONDS),
            response_cache: response_cache::CacheSettings::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub i18n: Arc<i18n::I18n>,
    pub config: WebConfig,
    /// This node's search index and the outbox position it has caught up to.
    pub search: Arc<dyn podium_app::search::SearchIndex>,
    /// Rates, properties and shops, reloaded only when the outbox moves.
    pub reference: Arc<podium_app::pricing::ReferenceCache>,
    /// The built-in sandbox payment provider (its own pages and webhooks use it).
    pub sandbox: Arc<podium_app::payments::SandboxProvider>,
    /// The provider that takes the marketplace's payments: the sandbox unless another is set
    /// with [`AppState::with_payments`].
    pub payments: Arc<dyn podium_app::payments::PaymentProvider>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: WebConfig,
        search: Arc<dyn podium_app::search::SearchIndex>,
    ) -> Result<Self, String> {
        let sandbox = Arc::new(
            podium_app::payments::SandboxProvider::new(store.clone(), clock.clone(), config.shared_secret.0.clone())
                .with_debit_delay(config.sandbox_debit_delay),
        );
        Ok(AppState {
            payments: sandbox.clone(),
            sandbox,
            store,
            clock,
            i18n: Arc::new(i18n::I18n::load()?),
            config,
            search,
            reference: Arc::new(podium_app::pricing::ReferenceCache::default()),
        })
    }
}

impl AppState {
    /// Takes payments through `provider` (Stripe, say) instead of the sandbox.
    pub fn with_payments(mut self, provider: Arc<dyn podium_app::payments::PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }
}

/// Every route Podium serves, with the router that serves them (see [`routes`]).
fn all_routes() -> routes::Routes {
    routes::Routes::new()
        .merge(storefront::home::routes())
        .merge(account::signin::routes())
        .merge(console::start::routes())
        .merge(account::security::routes())
        .merge(account::signup::routes())
        .merge(storefront::catalogue::routes())
        .merge(storefront::variant_picker::routes())
        .merge(checkout::pages::routes())
        .merge(checkout::stripe::routes())
        .merge(storefront::search::routes())
        .merge(console::shop::products::routes())
        .merge(storefront::media::routes())
        .merge(console::shop::shipping::routes())
        .merge(console::shop::rounding::routes())
        .merge(console::shop::orders::routes())
        .merge(console::shop::code_requests::routes())
        .merge(console::money::statements::routes())
        .merge(console::stories::pages::routes())
        .merge(storefront::stories::routes())
        .merge(account::follows::routes())
        .merge(storefront::drops::routes())
        .merge(console::operator::payouts::routes())
        .merge(console::operator::payout_files::routes())
        .merge(console::money::dashboards::routes())
        .merge(console::money::bank_account::routes())
        .merge(storefront::verify::routes())
        .merge(console::operator::rates::routes())
        .merge(console::licensing::console::routes())
        .merge(console::shop::tokens::routes())
        .merge(api::routes())
        .merge(ops::routes())
        .merge(storefront::discovery::routes())
}

/// The method and path of every route, in the order they are added.
pub fn route_table() -> Vec<routes::Route> {
    all_routes().into_parts().1
}

/// The whole application: pages, API, operational endpoints, with logging and metrics.
pub fn router(state: AppState) -> Router {
    let tls = state.config.secure_cookies;
    let shedder = Arc::new(shedding::Shedder::new(state.config.in_flight, state.i18n.clone()));
    let proxies = state.config.trusted_proxies.clone();
    let search = state.search.clone();
    let cache = Arc::new(response_cache::ResponseCache::new(state.config.response_cache, move || search.position()));
    let app = all_routes()
        .into_parts()
        .0
        .fallback(kit::render::not_found)
        .layer(axum::middleware::from_fn_with_state(state.i18n.clone(), ops::limit_text_fields))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(cache, response_cache::serve))
        .layer(axum::middleware::from_fn_with_state(shedder, shedding::shed))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(axum::middleware::from_fn_with_state(tls, ops::security_headers))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        // Outermost: everything inside sees the client a trusted proxy names.
        .layer(axum::middleware::from_fn_with_state(proxies, kit::proxy::real_client));
    // A language prefix (`/ko/…`) comes off before routing, so it must wrap the whole router.
    Router::new().fallback_service(tower::ServiceExt::map_request(app, lang_path::strip))
}
