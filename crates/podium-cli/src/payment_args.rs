//! Which provider takes the marketplace's payments: the built-in sandbox (the default, for the
//! demo and tests) or Stripe, with its keys.

use std::sync::Arc;

use anyhow::Result;
use podium_app::payments::PaymentProvider;

#[derive(clap::Args, Debug, Clone)]
pub struct PaymentArgs {
    /// Who takes payments: `sandbox` (built in: test cards, no real money) or `stripe`.
    #[arg(long, env = "PODIUM_PAYMENTS", value_enum, default_value = "sandbox")]
    pub payments: ProviderArg,
    /// Stripe's secret key (sk_test_… or sk_live_…); prefer the environment variable.
    #[arg(long, env = "PODIUM_STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<String>,
    /// The signing secret (whsec_…) of the webhook endpoint set up in Stripe's dashboard for
    /// https://<your host>/api/v1/webhooks/stripe.
    #[arg(long, env = "PODIUM_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's publishable key (pk_test_… or pk_live_…), which the checkout page's Stripe.js uses.
    #[arg(long, env = "PODIUM_STRIPE_PUBLISHABLE_KEY")]
    pub stripe_publishable_key: Option<String>,
    /// Where Stripe's API answers; set it only to test against a stand-in such as localstripe.
    #[arg(long, env = "PODIUM_STRIPE_API_BASE", default_value = podium_outbound::STRIPE_API)]
    pub stripe_api_base: String,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderArg {
    Sandbox,
    Stripe,
}

impl PaymentArgs {
    /// The provider these options describe and what the checkout page's script needs; `None`
    /// for the sandbox, which the web state makes itself.
    pub fn provider(&self) -> Result<Option<(Arc<dyn PaymentProvider>, podium_web::StripeBrowser)>> {
        if self.payments == ProviderArg::Sandbox {
            return Ok(None);
        }
        let need = |v: &Option<String>, flag: &str| {
            v.clone()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| anyhow::anyhow!("--payments stripe needs {flag}"))
        };
        let config = podium_outbound::StripeConfig {
            secret_key: need(&self.stripe_secret_key, "--stripe-secret-key (or PODIUM_STRIPE_SECRET_KEY)")?,
            webhook_secret: need(
                &self.stripe_webhook_secret,
                "--stripe-webhook-secret (or PODIUM_STRIPE_WEBHOOK_SECRET)",
            )?,
            api_base: self.stripe_api_base.trim().to_string(),
        };
        if !config.api_base.starts_with("https://") && !config.api_base.starts_with("http://") {
            anyhow::bail!("--stripe-api-base: {} is not an http(s):// address", config.api_base);
        }
        let publishable_key =
            need(&self.stripe_publishable_key, "--stripe-publishable-key (or PODIUM_STRIPE_PUBLISHABLE_KEY)")?;
        if !publishable_key.starts_with("pk_") {
            anyhow::bail!("--stripe-publishable-key must start with pk_");
        }
        // Stripe.js comes from Stripe; a stand-in serves its own copy under its address.
        let base = config.api_base.trim_end_matches('/');
        let js_url = if base == podium_outbound::STRIPE_API {
            "https://js.stripe.com/v3/".to_string()
        } else {
            format!("{base}/js.stripe.com/v3/")
        };
        let browser = podium_web::StripeBrowser { publishable_key, js_url, api_origin: base.to_string() };
        let provider =
            podium_outbound::StripeProvider::new(config).map_err(|e| anyhow::anyhow!("--payments stripe: {e}"))?;
        Ok(Some((Arc::new(provider), browser)))
    }
}
