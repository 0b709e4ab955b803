//! Payments through Stripe in tests: a node whose provider is the Stripe adapter pointed at
//! localstripe (`PODIUM_TEST_STRIPE_URL`), and a client playing Stripe.js and the dashboard.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::common::shop::address;
use crate::common::TestApp;
use podium_store::testing::Backend;

pub const SECRET_KEY: &str = "sk_test_podium";
pub const PUBLISHABLE_KEY: &str = "pk_test_podium";

pub fn hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

pub async fn json_of(r: Result<reqwest::Response, reqwest::Error>) -> Value {
    let bytes = r.expect("localstripe answers").bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("JSON")
}

pub fn localstripe() -> String {
    std::env::var("PODIUM_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

/// A Stripe test double's HTTP client, playing Stripe.js and the dashboard.
pub struct Fake {
    pub base: String,
    pub http: reqwest::Client,
}

impl Fake {
    pub async fn new() -> Fake {
        let base = localstripe();
        let http = reqwest::Client::new();
        let answers = http.get(format!("{base}/v1/balance")).bearer_auth(SECRET_KEY).send().await;
        if !answers.as_ref().is_ok_and(|r| r.status().is_success()) {
            panic!(
                "the Stripe tests need localstripe at {base} (PODIUM_TEST_STRIPE_URL), but it did not answer: {answers:?}.\n\
                 Run scripts/test, which starts it, or: pip install localstripe && localstripe --port 8420 --from-scratch"
            );
        }
        Fake { base, http }
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let r = self.http.post(format!("{}{path}", self.base)).bearer_auth(SECRET_KEY).form(form).send().await;
        json_of(r).await
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(SECRET_KEY).send().await;
        json_of(r).await
    }

    /// What Stripe.js makes of a card typed into its form.
    pub async fn payment_method(&self, number: &str) -> String {
        let pm = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", number),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2030"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        pm["id"].as_str().unwrap_or_else(|| panic!("a payment method: {pm}")).to_string()
    }

    /// The cardholder passes (or fails) the bank's check, as Stripe.js reports it.
    pub async fn authenticate(&self, intent: &str, success: bool) -> Value {
        let secret = self.get(&format!("/v1/payment_intents/{intent}")).await["client_secret"]
            .as_str()
            .expect("secret")
            .to_string();
        let url = format!("{}/v1/payment_intents/{intent}/_authenticate?success={success}", self.base);
        let body = json!({"key": PUBLISHABLE_KEY, "client_secret": secret}).to_string();
        let r = self.http.post(url).header("content-type", "application/json").body(body).send().await;
        json_of(r).await
    }

    /// Stripe's events about an intent, oldest first.
    pub async fn events_for(&self, intent: &str) -> Vec<Value> {
        let mut all: Vec<Value> =
            self.get("/v1/events?limit=100").await["data"].as_array().cloned().unwrap_or_default();
        all.retain(|e| e["data"]["object"]["id"] == intent || e["data"]["object"]["payment_intent"] == intent);
        all.sort_by_key(|e| e["created"].as_i64());
        all
    }
}

/// A Podium node that takes payments through localstripe, with its own webhook secret.
pub async fn stripe_app(backend: Backend) -> (TestApp, Arc<podium_outbound::StripeProvider>, String) {
    let base = TestApp::new(backend).await;
    let webhook_secret = format!("whsec_{}", hex(12));
    let provider = Arc::new(
        podium_outbound::StripeProvider::new(podium_outbound::StripeConfig {
            secret_key: SECRET_KEY.into(),
            webhook_secret: webhook_secret.clone(),
            api_base: localstripe(),
        })
        .expect("provider"),
    );
    let config = podium_web::WebConfig {
        stripe: Some(podium_web::StripeBrowser {
            publishable_key: PUBLISHABLE_KEY.into(),
            js_url: format!("{}/js.stripe.com/v3/", localstripe()),
            api_origin: localstripe(),
        }),
        ..base.state.config.clone()
    };
    let mut app = base.with_config(config);
    app.state = app.state.clone().with_payments(provider.clone());
    app.router = podium_web::router(app.state.clone());
    (app, provider, webhook_secret)
}

pub fn stripe_body(pm: &str) -> Value {
    json!({"email": "minji@example.com", "shipping_address": address("KR"), "lang": "ko",
           "payment": {"method": "stripe", "payment_method": pm}})
}

pub async fn balanced(app: &TestApp) {
    let verified = podium_app::ledger::verify(app.db.store.as_ref()).await.expect("verify");
    assert!(verified.is_ok(), "the ledger balances: {verified:?}");
}
