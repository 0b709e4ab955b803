//! Stripe behind app's `PaymentProvider` port, over Stripe's REST API with reqwest (no SDK).
//!
//! - A checkout creates a PaymentIntent with `capture_method=manual` for the order's total in
//!   the currency's minor units, then confirms it: authorised, it waits for Podium's capture;
//!   cancelled on void. Creating and confirming are two requests so that a decline still names
//!   the intent it declined.
//! - Every request that changes something carries an `Idempotency-Key` made of Podium's own ids
//!   (the order, the intent, the refunded total it brings the payment to), so a retry after a
//!   crash is the same request to Stripe and never a second charge.
//! - The order's id travels as the intent's `metadata[podium_reference]`; after a crash the
//!   restart sweep finds the intents of an order by it (Stripe's search, or the intents listed
//!   newest first where search is not offered).
//! - A `requires_action` intent (3-D Secure) sends the fan to Stripe's redirect when Stripe names
//!   one, else to Podium's page that runs Stripe.js with the intent's client secret.
//! - Webhooks are believed only with a valid `Stripe-Signature` (see `podium_domain::stripe`).

use std::time::Duration;

use async_trait::async_trait;
use podium_app::payments::{
    AuthorizeRequest, PaymentError, PaymentProvider, PaymentSource, PaymentState, PaymentStatus, WebhookEvent,
    WebhookHeaders,
};
use podium_domain::pay_method::{Flow, PayMethod};
use podium_domain::payment::WebhookError;
use serde_json::Value;
use time::OffsetDateTime;

mod reading;
use reading::{event_of, ids_of, state_of};

/// Where Stripe's API answers.
pub const STRIPE_API: &str = "https://api.stripe.com";

/// The API version the adapter is written against (sent with every request, so an account's
/// default version changing does not change the answers).
const STRIPE_VERSION: &str = "2024-06-20";

/// The metadata key holding the order's id on each intent.
const REFERENCE: &str = "podium_reference";

/// How to reach a Stripe account.
#[derive(Clone)]
pub struct StripeConfig {
    /// `sk_live_…` or `sk_test_…`.
    pub secret_key: String,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: String,
    /// `https://api.stripe.com`, or a stand-in such as localstripe in tests.
    pub api_base: String,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

/// The Stripe provider.
pub struct StripeProvider {
    config: StripeConfig,
    http: reqwest::Client,
}

/// Stripe answered with an error object.
struct StripeError {
    status: u16,
    code: String,
    message: String,
}

impl StripeProvider {
    pub fn new(mut config: StripeConfig) -> Result<Self, String> {
        config.api_base = config.api_base.trim_end_matches('/').to_string();
        if !config.secret_key.starts_with("sk_") && !config.secret_key.starts_with("rk_") {
            return Err("the Stripe secret key must start with sk_ (or rk_ for a restricted key)".into());
        }
        if config.webhook_secret.is_empty() {
            return Err("the Stripe webhook signing secret (whsec_…) is missing".into());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("the HTTP client could not start: {e}"))?;
        Ok(StripeProvider { config, http })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Result<Value, StripeError>, PaymentError> {
        let url = format!("{}{path}", self.config.api_base);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.config.secret_key)
            .header("Stripe-Version", STRIPE_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request = if method == reqwest::Method::GET { request.query(form) } else { request.form(form) };
        let response = request.send().await.map_err(|e| unreachable(&e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| unreachable(&e))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|_| PaymentError::Provider(format!("Stripe answered {status} with something not JSON")))?;
        if (200..300).contains(&status) {
            return Ok(Ok(value));
        }
        let e = &value["error"];
        let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
        let code = [text("decline_code"), text("code")].into_iter().find(|c| !c.is_empty()).unwrap_or_default();
        Ok(Err(StripeError { status, code, message: text("message") }))
    }

    async fn intent(&self, id: &str) -> Result<Option<PaymentState>, PaymentError> {
        let expand = [("expand[]", "latest_charge".to_string()), ("expand[]", "payment_method".to_string())];
        match self.call(reqwest::Method::GET, &format!("/v1/payment_intents/{}", path_id(id)?), &expand, None).await? {
            Ok(v) => Ok(Some(state_of(&v)?)),
            Err(e) if e.status == 404 => Ok(None),
            Err(e) => Err(refused(&e)),
        }
    }

    async fn post_intent(&self, id: &str, action: &str, form: &[(&str, String)], key: &str) -> Result<(), StripeError> {
        let path = format!("/v1/payment_intents/{id}/{action}");
        match self.call(reqwest::Method::POST, &path, form, Some(key)).await {
            Ok(answer) => answer.map(|_| ()),
            Err(e) => Err(StripeError { status: 0, code: String::new(), message: e.to_string() }),
        }
    }

    /// A local method's intent: the method made from the fan's details (a debit's account and
    /// mandate; a wallet, bank or voucher from the payer's name and e-mail), then confirmed
    /// with where the fan comes back to. Only cards and Kakao Pay are authorised for a later
    /// capture; the others take the money when the fan pays, as Stripe runs them.
    async fn authorize_local(
        &self,
        req: &AuthorizeRequest<'_>,
        l: &podium_app::payments::LocalPayment,
    ) -> Result<PaymentState, PaymentError> {
        if !self.offers(l.method) || l.method == PayMethod::Card {
            return Err(PaymentError::UnknownMethod);
        }
        let amount = podium_domain::stripe::amount(req.amount).map_err(|_| PaymentError::Amount("not chargeable"))?;
        let kind = l.method.code().to_string();
        let mut form = vec![
            ("amount", amount.to_string()),
            ("currency", req.amount.currency.code().to_ascii_lowercase()),
            ("payment_method_types[]", kind.clone()),
            ("metadata[podium_reference]", req.reference.to_string()),
        ];
        if l.method == PayMethod::KakaoPay {
            form.push(("capture_method", "manual".to_string()));
        }
        if l.method == PayMethod::SepaDebit {
            // The account as its own PaymentMethod (what the mandate is for).
            let pm_form = [
                ("type", kind.clone()),
                ("sepa_debit[iban]", l.iban.clone()),
                ("billing_details[name]", l.holder.clone()),
                ("billing_details[email]", req.email.to_string()),
            ];
            let key = format!("podium-{}-method", req.reference);
            let pm = self
                .call(reqwest::Method::POST, "/v1/payment_methods", &pm_form, Some(&key))
                .await?
                .map_err(|e| refused(&e))?;
            let pm = pm["id"].as_str().ok_or_else(|| PaymentError::Provider("Stripe made no payment method".into()))?;
            form.push(("payment_method", pm.to_string()));
        } else {
            form.push(("payment_method_data[type]", kind.clone()));
            form.push(("payment_method_data[billing_details][name]", req.name.to_string()));
            form.push(("payment_method_data[billing_details][email]", req.email.to_string()));
        }
        let key = format!("podium-{}-create", req.reference);
        let created = self
            .call(reqwest::Method::POST, "/v1/payment_intents", &form, Some(&key))
            .await?
            .map_err(|e| refused(&e))?;
        let id = created["id"].as_str().ok_or_else(|| PaymentError::Provider("Stripe made no intent".into()))?;
        let id = path_id(id)?.to_string();
        let mut confirm: Vec<(&str, String)> = Vec::new();
        match l.method.flow() {
            Flow::Debit => confirm.push(("mandate_data[customer_acceptance][type]", "offline".to_string())),
            Flow::Voucher => {
                let days = voucher_days(req.pay_by, OffsetDateTime::now_utc());
                confirm.push(("payment_method_options[konbini][expires_after_days]", days.to_string()));
            }
            Flow::Qr => {
                confirm.push(("payment_method_options[wechat_pay][client]", "web".to_string()));
                confirm.push(("return_url", req.return_url.to_string()));
            }
            _ => confirm.push(("return_url", req.return_url.to_string())),
        }
        let key = format!("podium-{}-confirm", req.reference);
        match self.post_intent(&id, "confirm", &confirm, &key).await {
            Ok(()) => {}
            // Stand-ins for Stripe (localstripe) know no mandates: the same confirmation
            // without one, under its own key.
            Err(e) if e.status == 400 && e.message.contains("Unexpected mandate_data") => {
                let key = format!("podium-{}-confirm-plain", req.reference);
                if let Err(e) = self.post_intent(&id, "confirm", &[], &key).await {
                    if e.status != 402 && e.status != 400 {
                        return Err(refused(&e));
                    }
                }
            }
            Err(e) if e.status == 402 || e.status == 400 => {}
            Err(e) => return Err(refused(&e)),
        }
        self.intent(&id).await?.ok_or(PaymentError::NotFound)
    }

    /// The intents whose metadata names `reference`: Stripe's search where it is offered, else
    /// the intents listed newest first (a bounded look back: orders in doubt are recent).
    async fn find(&self, reference: &str) -> Result<Vec<PaymentState>, PaymentError> {
        let query = [("query", format!("metadata['{REFERENCE}']:'{}'", reference.replace('\'', "")))];
        let ids: Vec<String> = match self.call(reqwest::Method::GET, "/v1/payment_intents/search", &query, None).await?
        {
            Ok(v) => ids_of(&v, reference),
            Err(e) if e.status == 404 || e.status == 400 => {
                let mut ids = Vec::new();
                let mut after: Option<String> = None;
                for _ in 0..20 {
                    let mut form = vec![("limit", "100".to_string())];
                    if let Some(a) = &after {
                        form.push(("starting_after", a.clone()));
                    }
                    let page = self.call(reqwest::Method::GET, "/v1/payment_intents", &form, None).await?;
                    let page = page.map_err(|e| refused(&e))?;
                    ids.extend(ids_of(&page, reference));
                    after =
                        page["data"].as_array().and_then(|d| d.last()).and_then(|l| l["id"].as_str()).map(String::from);
                    if page["has_more"].as_bool() != Some(true) || after.is_none() {
                        break;
                    }
                }
                ids
            }
            Err(e) => return Err(refused(&e)),
        };
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(p) = self.intent(&id).await? {
                found.push(p);
            }
        }
        found.sort_by_key(|p| p.created_at);
        Ok(found)
    }
}

/// Stripe's `expires_after_days` for a voucher payable until `pay_by`: whole days rounded up
/// (three days less the milliseconds checkout took are three days), one to sixty.
fn voucher_days(pay_by: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let secs = (pay_by - now).whole_seconds().max(0);
    ((secs + 86_399) / 86_400).clamp(1, 60)
}

fn unreachable(e: &reqwest::Error) -> PaymentError {
    PaymentError::Provider(format!("Stripe could not be reached: {e}"))
}

fn refused(e: &StripeError) -> PaymentError {
    PaymentError::Provider(format!("Stripe refused ({}): {} {}", e.status, e.code, e.message).trim().to_string())
}

/// Ids go into paths: only Stripe's id characters are allowed.
fn path_id(id: &str) -> Result<&str, PaymentError> {
    if !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(PaymentError::NotFound)
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn authorize(&self, req: AuthorizeRequest<'_>) -> Result<PaymentState, PaymentError> {
        let method = match req.source {
            PaymentSource::Method(m) => path_id(m).map_err(|_| PaymentError::UnknownMethod)?,
            // Card numbers never reach Podium's server with Stripe: Stripe.js makes a method.
            PaymentSource::Card(_) => return Err(PaymentError::CardNotAccepted),
            PaymentSource::Local(l) => return self.authorize_local(&req, l).await,
        };
        let amount = podium_domain::stripe::amount(req.amount).map_err(|e| match e {
            podium_domain::stripe::AmountError::NotPositive => PaymentError::Amount("a payment must be positive"),
            podium_domain::stripe::AmountError::NotTens { .. } => {
                PaymentError::Amount("three-decimal currencies are charged in steps of ten")
            }
        })?;
        let form = [
            ("amount", amount.to_string()),
            ("currency", req.amount.currency.code().to_ascii_lowercase()),
            ("payment_method", method.to_string()),
            ("capture_method", "manual".to_string()),
            ("payment_method_types[]", "card".to_string()),
            ("metadata[podium_reference]", req.reference.to_string()),
        ];
        let key = format!("podium-{}-create", req.reference);
        let created = match self.call(reqwest::Method::POST, "/v1/payment_intents", &form, Some(&key)).await? {
            Ok(v) => v,
            Err(e) if e.status == 404 || e.code == "resource_missing" => return Err(PaymentError::UnknownMethod),
            Err(e) => return Err(refused(&e)),
        };
        let id = created["id"].as_str().ok_or_else(|| PaymentError::Provider("Stripe made no intent".into()))?;
        let id = path_id(id)?.to_string();
        // A decline answers 402 and leaves the intent saying why: read either way.
        if let Err(e) = self.post_intent(&id, "confirm", &[], &format!("podium-{}-confirm", req.reference)).await {
            if e.status != 402 && e.status != 400 {
                return Err(refused(&e));
            }
        }
        self.intent(&id).await?.ok_or(PaymentError::NotFound)
    }

    async fn capture(&self, payment_id: &str) -> Result<PaymentState, PaymentError> {
        let id = path_id(payment_id)?;
        let outcome = self.post_intent(id, "capture", &[], &format!("podium-{id}-capture")).await;
        let p = self.intent(id).await?.ok_or(PaymentError::NotFound)?;
        match outcome {
            _ if p.status.charged() => Ok(p),
            // Stripe could not be asked: say so (the sweep captures it later).
            Err(e) if e.status == 0 => Err(PaymentError::Provider(e.message)),
            _ => Err(PaymentError::State(p.status.as_str())),
        }
    }

    async fn void(&self, payment_id: &str) -> Result<PaymentState, PaymentError> {
        let id = path_id(payment_id)?;
        let _ = self.post_intent(id, "cancel", &[], &format!("podium-{id}-cancel")).await;
        let p = self.intent(id).await?.ok_or(PaymentError::NotFound)?;
        match p.status {
            PaymentStatus::Voided | PaymentStatus::Declined => Ok(p),
            other => Err(PaymentError::State(other.as_str())),
        }
    }

    async fn refund(&self, payment_id: &str, amount: i64) -> Result<PaymentState, PaymentError> {
        if amount <= 0 {
            return Err(PaymentError::Amount("a refund must be positive"));
        }
        let id = path_id(payment_id)?;
        let current = self.intent(id).await?.ok_or(PaymentError::NotFound)?;
        if !current.status.charged() {
            return Err(PaymentError::State(current.status.as_str()));
        }
        if current.refunded + amount > current.captured {
            return Err(PaymentError::Amount("more than what is left to refund"));
        }
        // Named by the refunded total it brings the payment to: a retry of the same refund is
        // the same request, a later refund a new one.
        let key = format!("podium-{id}-refund-to-{}", current.refunded + amount);
        let form = [("payment_intent", id.to_string()), ("amount", amount.to_string())];
        self.call(reqwest::Method::POST, "/v1/refunds", &form, Some(&key)).await?.map_err(|e| refused(&e))?;
        self.intent(id).await?.ok_or(PaymentError::NotFound)
    }

    async fn retrieve(&self, payment_id: &str) -> Result<Option<PaymentState>, PaymentError> {
        match path_id(payment_id) {
            Ok(id) => self.intent(id).await,
            Err(_) => Ok(None),
        }
    }

    async fn payments_for(&self, reference: &str) -> Result<Vec<PaymentState>, PaymentError> {
        self.find(reference).await
    }

    fn verify_webhook(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        podium_domain::stripe::verify(&self.config.webhook_secret, &headers.signature, body, now.unix_timestamp())
            .map_err(|e| match e {
                podium_domain::stripe::SignatureError::Malformed => WebhookError::Missing,
                podium_domain::stripe::SignatureError::Mismatch => WebhookError::BadSignature,
                podium_domain::stripe::SignatureError::Stale(s) => WebhookError::Stale(s),
            })?;
        let event: Value = serde_json::from_slice(body).map_err(|_| WebhookError::Missing)?;
        event_of(&event).ok_or(WebhookError::Missing)
    }

    async fn fingerprint(&self, source: PaymentSource<'_>) -> Result<Option<String>, PaymentError> {
        let PaymentSource::Method(m) = source else { return Ok(None) };
        let Ok(id) = path_id(m) else { return Ok(None) };
        match self.call(reqwest::Method::GET, &format!("/v1/payment_methods/{id}"), &[], None).await? {
            Ok(pm) => {
                let card = if pm["card"].is_object() { &pm["card"] } else { &pm };
                Ok(card["fingerprint"].as_str().filter(|f| !f.is_empty()).map(String::from))
            }
            Err(e) if e.status == 404 => Err(PaymentError::UnknownMethod),
            Err(e) => Err(refused(&e)),
        }
    }

    /// Everything Stripe offers of Podium's methods (M-Pesa is not among them).
    fn offers(&self, method: PayMethod) -> bool {
        method != PayMethod::Mpesa
    }

    async fn action_secret(&self, payment_id: &str) -> Result<Option<String>, PaymentError> {
        let Ok(id) = path_id(payment_id) else { return Ok(None) };
        match self.call(reqwest::Method::GET, &format!("/v1/payment_intents/{id}"), &[], None).await? {
            Ok(v) => Ok(v["client_secret"].as_str().map(String::from)),
            Err(e) if e.status == 404 => Ok(None),
            Err(e) => Err(refused(&e)),
        }
    }
}
