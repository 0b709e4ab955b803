//! The built-in sandbox provider: it behaves like a card processor and the local methods' own
//! providers — it keeps its own books (in the database, so any node may serve the next step),
//! declines the test cards of DESIGN §4, asks for a second step on one of them, shows each
//! local method in its real shape (a QR code, a voucher, a phone prompt, a redirect, a debit the
//! bank answers later), and announces every change by webhooks queued to arrive late,
//! sometimes twice, in no particular order.

use std::sync::Arc;

use async_trait::async_trait;
use podium_domain::pay_method::{Flow, PayMethod, PaymentAction};
use podium_domain::payment::{self, CardNumber, SandboxCard, WebhookError};
use rand::Rng;
use time::OffsetDateTime;

use super::{
    AuthorizeRequest, LocalPayment, PaymentError, PaymentMethod, PaymentProvider, PaymentSource, PaymentState,
    PaymentStatus, WebhookEvent, WebhookHeaders,
};
use crate::ports::StoreResult;
use crate::Clock;

/// The sandbox's page where the fan (or the wallet, the till, the phone, the bank standing in
/// for them) answers a payment waiting for them.
pub fn sandbox_page(id: &str) -> String {
    format!("/sandbox/payments/{id}/confirm")
}

/// What the fan sees of a sandbox payment: where the second step is (cards and redirects) and
/// what to do (every method).
pub fn sandbox_action(
    id: &str,
    status: PaymentStatus,
    method: PayMethod,
    last4: &str,
    due_at: Option<OffsetDateTime>,
) -> (Option<String>, Option<PaymentAction>) {
    // Most reads are of payments nobody waits for (authorised, captured): nothing to make.
    match (status, method.flow()) {
        (PaymentStatus::RequiresAction, Flow::Card | Flow::Redirect) => {
            let page = sandbox_page(id);
            (Some(page.clone()), Some(PaymentAction::Redirect { url: page }))
        }
        (PaymentStatus::RequiresAction, Flow::Qr) => (None, Some(PaymentAction::Qr { data: sandbox_page(id) })),
        (PaymentStatus::RequiresAction, Flow::Voucher) => (
            None,
            Some(PaymentAction::Voucher {
                number: voucher_number(id),
                expires_at: due_at.map_or(0, OffsetDateTime::unix_timestamp),
                url: None,
            }),
        ),
        (PaymentStatus::RequiresAction, Flow::PhonePush) => {
            (None, Some(PaymentAction::PhonePush { phone_last4: last4.to_string() }))
        }
        (PaymentStatus::Processing, _) => (None, Some(PaymentAction::Debit { account_last4: last4.to_string() })),
        _ => (None, None),
    }
}

/// A sandbox voucher's payment number: twelve digits made from the payment's id, grouped as
/// convenience stores print them.
pub fn voucher_number(id: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(id.as_bytes());
    let n = d[..8].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) % 1_000_000_000_000;
    let s = format!("{n:012}");
    format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

/// In the sandbox, a debit from an account whose number ends in this bounces days later.
pub const SANDBOX_BOUNCING_ACCOUNT: &str = "3001";

/// A change of a sandbox payment, written with the webhooks that announce it.
#[derive(Debug, Clone)]
pub struct SandboxChange {
    pub payment_id: String,
    /// The states it may be in for the change to apply (the change is conditional).
    pub from: Vec<PaymentStatus>,
    pub to: PaymentStatus,
    pub captured: i64,
    pub refunded: i64,
    /// When set, the change applies only if the refunded total is still this.
    pub expect_refunded: Option<i64>,
}

/// One queued webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedWebhook {
    pub seq: i64,
    pub event_id: String,
    pub payment_id: String,
    pub payload: String,
    pub deliver_at: OffsetDateTime,
}

/// The sandbox's books, kept by the store.
#[async_trait]
pub trait SandboxStore: Send + Sync {
    async fn sandbox_insert(&self, p: &PaymentState, webhooks: &[QueuedWebhook]) -> StoreResult<()>;
    async fn sandbox_payment(&self, id: &str) -> StoreResult<Option<PaymentState>>;
    async fn sandbox_payments_for(&self, reference: &str) -> StoreResult<Vec<PaymentState>>;
    /// Applies the change when the payment is in one of `from`, with its webhooks, in one
    /// transaction; `None` when it was not (someone else moved it first).
    async fn sandbox_change(
        &self,
        change: &SandboxChange,
        webhooks: &[QueuedWebhook],
        now: OffsetDateTime,
    ) -> StoreResult<Option<PaymentState>>;
    /// Claims up to `limit` webhooks due at `now` for `lease` (another node skips them meanwhile).
    async fn sandbox_due_webhooks(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: i64,
    ) -> StoreResult<Vec<QueuedWebhook>>;
    /// Marks webhooks (event id, seq) delivered, all in one write.
    async fn sandbox_webhooks_delivered(&self, delivered: &[(String, i64)], now: OffsetDateTime) -> StoreResult<()>;
    /// Webhooks queued and not yet delivered.
    async fn sandbox_webhooks_waiting(&self) -> StoreResult<i64>;
    async fn sandbox_save_method(&self, m: &PaymentMethod) -> StoreResult<()>;
    async fn sandbox_method(&self, id: &str) -> StoreResult<Option<PaymentMethod>>;
}

/// The built-in sandbox provider.
pub struct SandboxProvider {
    store: Arc<dyn crate::Store>,
    clock: Arc<dyn Clock>,
    secret: Vec<u8>,
    /// Webhooks wait between these many milliseconds before they may be delivered.
    delay_ms: (u64, u64),
    /// The chance (in percent) that an event is queued a second time.
    duplicate_percent: u32,
    /// How long the sandbox's bank takes to answer a direct debit.
    debit_delay: time::Duration,
}

/// How long the sandbox's bank takes to answer a direct debit by default (a real one takes
/// days; the demo should show the answer while the fan still looks).
pub const SANDBOX_DEBIT_SECONDS: i64 = 20;

impl SandboxProvider {
    pub fn new(store: Arc<dyn crate::Store>, clock: Arc<dyn Clock>, secret: Vec<u8>) -> Self {
        SandboxProvider {
            store,
            clock,
            secret,
            delay_ms: (200, 2_000),
            duplicate_percent: 30,
            debit_delay: time::Duration::seconds(SANDBOX_DEBIT_SECONDS),
        }
    }

    /// Sets how long the sandbox's bank takes to answer a direct debit.
    pub fn with_debit_delay(mut self, delay: time::Duration) -> Self {
        self.debit_delay = delay.max(time::Duration::ZERO);
        self
    }

    /// A debit whose bank has answered by now is settled (paid, or bounced when the account
    /// is the sandbox's bouncing one), announced by webhook like every change. Conditional, so
    /// two nodes maturing the same debit change it once.
    async fn mature(&self, p: PaymentState) -> Result<PaymentState, PaymentError> {
        let now = self.clock.now();
        if p.status != PaymentStatus::Processing || p.due_at.is_none_or(|d| now < d) {
            return Ok(p);
        }
        let bounced = p.decline_code.is_some();
        let (to, kind) = if bounced {
            (PaymentStatus::Declined, "payment.declined")
        } else {
            (PaymentStatus::Captured, "payment.captured")
        };
        let amount = p.amount;
        let changed = self
            .change(&p.id, &[PaymentStatus::Processing], to, kind, |x| (if bounced { 0 } else { amount }, x.refunded))
            .await?;
        match changed {
            Some(next) => Ok(next),
            None => self.store.sandbox_payment(&p.id).await?.ok_or(PaymentError::NotFound),
        }
    }

    /// Sets how late (min, max milliseconds) webhooks arrive and how often one arrives twice.
    pub fn with_webhooks(mut self, delay_ms: (u64, u64), duplicate_percent: u32) -> Self {
        self.delay_ms = (delay_ms.0.min(delay_ms.1), delay_ms.1);
        self.duplicate_percent = duplicate_percent.min(100);
        self
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The webhooks announcing `kind` for the payment: one, sometimes two, each at a random delay.
    fn webhooks(&self, kind: &str, p: &PaymentState, now: OffsetDateTime) -> Vec<QueuedWebhook> {
        let mut rng = rand::thread_rng();
        let event = WebhookEvent {
            id: format!("evt_{}", crate::accounts::random_hex(12)),
            kind: kind.to_string(),
            payment_id: p.id.clone(),
            reference: p.reference.clone(),
            created_at: now.unix_timestamp(),
            dispute: None,
        };
        let payload = serde_json::to_string(&event).unwrap_or_default();
        let copies = if rng.gen_range(0..100) < self.duplicate_percent { 2 } else { 1 };
        (0..copies)
            .map(|seq| {
                let delay = rng.gen_range(self.delay_ms.0..=self.delay_ms.1);
                QueuedWebhook {
                    seq,
                    event_id: event.id.clone(),
                    payment_id: event.payment_id.clone(),
                    payload: payload.clone(),
                    deliver_at: now + time::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX)),
                }
            })
            .collect()
    }

    async fn change(
        &self,
        id: &str,
        from: &[PaymentStatus],
        to: PaymentStatus,
        kind: &str,
        amounts: impl FnOnce(&PaymentState) -> (i64, i64),
    ) -> Result<Option<PaymentState>, PaymentError> {
        let now = self.clock.now();
        let current = self.store.sandbox_payment(id).await?.ok_or(PaymentError::NotFound)?;
        let (captured, refunded) = amounts(&current);
        let mut next = current.clone();
        next.status = to;
        next.captured = captured;
        next.refunded = refunded;
        let hooks = self.webhooks(kind, &next, now);
        let change = SandboxChange {
            payment_id: id.to_string(),
            from: from.to_vec(),
            to,
            captured,
            refunded,
            expect_refunded: None,
        };
        Ok(self.store.sandbox_change(&change, &hooks, now).await?)
    }

    /// The cardholder's second step: authorizes a payment waiting for it (or declines it when
    /// `approve` is false). Answers the payment as it stands afterwards.
    ///
    /// A wallet, a bank transfer or a voucher takes the money at once (captured); a card and
    /// Kakao Pay are authorised for Podium to capture. A voucher past its expiry can no longer
    /// be paid.
    pub async fn confirm(&self, payment_id: &str, approve: bool) -> Result<PaymentState, PaymentError> {
        let current = self.store.sandbox_payment(payment_id).await?.ok_or(PaymentError::NotFound)?;
        if approve && current.due_at.is_some_and(|d| self.clock.now() >= d) {
            return Err(PaymentError::State("expired"));
        }
        let at_once = current.method.captures_at_once();
        let (to, kind) = match (approve, at_once) {
            (true, true) => (PaymentStatus::Captured, "payment.captured"),
            (true, false) => (PaymentStatus::Authorized, "payment.authorized"),
            (false, _) => (PaymentStatus::Declined, "payment.declined"),
        };
        let amount = current.amount;
        let changed = self
            .change(payment_id, &[PaymentStatus::RequiresAction], to, kind, |p| {
                (if to == PaymentStatus::Captured { amount } else { p.captured }, p.refunded)
            })
            .await?;
        match changed {
            Some(p) => Ok(p),
            None => self.store.sandbox_payment(payment_id).await?.ok_or(PaymentError::NotFound),
        }
    }

    /// The provider's card form: turns a test card into a payment method token (`pm_…`).
    pub async fn tokenize(&self, card: &CardNumber) -> Result<PaymentMethod, PaymentError> {
        let behaviour = SandboxCard::of(card).map_err(|_| PaymentError::UnknownCard)?;
        let m = PaymentMethod {
            id: format!("pm_{}", crate::accounts::random_hex(16)),
            behaviour: behaviour.as_str().to_string(),
            brand: card.brand().to_string(),
            last4: card.last4().to_string(),
            fingerprint: card.fingerprint(&self.secret),
            created_at: self.clock.now(),
        };
        self.store.sandbox_save_method(&m).await?;
        Ok(m)
    }

    /// A keyed fingerprint of who pays by a local method (the phone, the account, the e-mail).
    fn local_fingerprint(&self, l: &LocalPayment) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&self.secret) else { return String::new() };
        mac.update(b"podium-payer:");
        mac.update(l.identity().as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// A local method's payment, in the shape the real one has: waiting for the wallet, the
    /// till or the phone (or, for a debit, processing until the bank answers).
    async fn authorize_local(
        &self,
        req: &AuthorizeRequest<'_>,
        l: &LocalPayment,
    ) -> Result<PaymentState, PaymentError> {
        if l.method == PayMethod::Card {
            return Err(PaymentError::UnknownMethod);
        }
        if req.amount.minor <= 0 {
            return Err(PaymentError::Amount("a payment must be positive"));
        }
        let now = self.clock.now();
        let (status, kind, due_at, decline_code) = match l.method.flow() {
            Flow::Debit => (
                PaymentStatus::Processing,
                "payment.processing",
                Some(now + self.debit_delay),
                l.iban.ends_with(SANDBOX_BOUNCING_ACCOUNT).then(|| "insufficient_funds".to_string()),
            ),
            Flow::Voucher => (PaymentStatus::RequiresAction, "payment.requires_action", Some(req.pay_by), None),
            _ => (PaymentStatus::RequiresAction, "payment.requires_action", None, None),
        };
        let id = format!("pay_{}", crate::accounts::random_hex(12));
        let last4 = l.last4();
        let (next_action, action) = sandbox_action(&id, status, l.method, &last4, due_at);
        let p = PaymentState {
            id,
            reference: req.reference.to_string(),
            amount: req.amount.minor,
            currency: req.amount.currency.code().to_string(),
            status,
            // A debit from the bouncing account knows its answer already; it is given when
            // the bank "answers" (see `mature`).
            decline_code,
            captured: 0,
            refunded: 0,
            brand: l.method.brand().to_string(),
            last4,
            fingerprint: self.local_fingerprint(l),
            created_at: now,
            next_action,
            method: l.method,
            action,
            due_at,
        };
        let hooks = self.webhooks(kind, &p, now);
        self.store.sandbox_insert(&p, &hooks).await?;
        Ok(p)
    }

    /// Signs a queued webhook for delivery: the headers and the body.
    pub fn sign(&self, w: &QueuedWebhook, now: OffsetDateTime) -> (WebhookHeaders, String) {
        let ts = now.unix_timestamp();
        let signature = payment::sign_webhook(&self.secret, &w.event_id, ts, w.payload.as_bytes());
        (WebhookHeaders { id: w.event_id.clone(), timestamp: ts.to_string(), signature }, w.payload.clone())
    }
}

#[async_trait]
impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn authorize(&self, req: AuthorizeRequest<'_>) -> Result<PaymentState, PaymentError> {
        if let PaymentSource::Local(local) = req.source {
            return self.authorize_local(&req, local).await;
        }
        let (card, brand, last4, fingerprint) = match req.source {
            PaymentSource::Card(c) => (
                SandboxCard::of(c).map_err(|_| PaymentError::UnknownCard)?,
                c.brand().to_string(),
                c.last4().to_string(),
                c.fingerprint(&self.secret),
            ),
            PaymentSource::Method(id) => {
                let m = self.store.sandbox_method(id).await?.ok_or(PaymentError::UnknownMethod)?;
                (SandboxCard::parse(&m.behaviour).ok_or(PaymentError::UnknownMethod)?, m.brand, m.last4, m.fingerprint)
            }
            PaymentSource::Local(_) => return Err(PaymentError::UnknownMethod),
        };
        if req.amount.minor < 0 {
            return Err(PaymentError::Amount("negative"));
        }
        let now = self.clock.now();
        let (status, kind) = match card {
            SandboxCard::Succeeds => (PaymentStatus::Authorized, "payment.authorized"),
            SandboxCard::RequiresAction => (PaymentStatus::RequiresAction, "payment.requires_action"),
            SandboxCard::Declined | SandboxCard::InsufficientFunds => (PaymentStatus::Declined, "payment.declined"),
        };
        let p = PaymentState {
            id: format!("pay_{}", crate::accounts::random_hex(12)),
            reference: req.reference.to_string(),
            amount: req.amount.minor,
            currency: req.amount.currency.code().to_string(),
            status,
            decline_code: card.decline_code().map(str::to_string),
            captured: 0,
            refunded: 0,
            brand,
            last4,
            fingerprint,
            created_at: now,
            next_action: None,
            method: PayMethod::Card,
            action: None,
            due_at: None,
        };
        let (next_action, action) = sandbox_action(&p.id, p.status, p.method, &p.last4, None);
        let p = PaymentState { next_action, action, ..p };
        let hooks = self.webhooks(kind, &p, now);
        self.store.sandbox_insert(&p, &hooks).await?;
        Ok(p)
    }

    async fn capture(&self, payment_id: &str) -> Result<PaymentState, PaymentError> {
        let done = self
            .change(payment_id, &[PaymentStatus::Authorized], PaymentStatus::Captured, "payment.captured", |p| {
                (p.amount, p.refunded)
            })
            .await?;
        if let Some(p) = done {
            return Ok(p);
        }
        let p = self.store.sandbox_payment(payment_id).await?.ok_or(PaymentError::NotFound)?;
        if p.status.charged() {
            Ok(p)
        } else {
            Err(PaymentError::State(p.status.as_str()))
        }
    }

    async fn void(&self, payment_id: &str) -> Result<PaymentState, PaymentError> {
        let done = self
            .change(
                payment_id,
                &[PaymentStatus::Authorized, PaymentStatus::RequiresAction, PaymentStatus::Processing],
                PaymentStatus::Voided,
                "payment.voided",
                |p| (p.captured, p.refunded),
            )
            .await?;
        if let Some(p) = done {
            return Ok(p);
        }
        let p = self.store.sandbox_payment(payment_id).await?.ok_or(PaymentError::NotFound)?;
        match p.status {
            PaymentStatus::Voided | PaymentStatus::Declined => Ok(p),
            other => Err(PaymentError::State(other.as_str())),
        }
    }

    async fn refund(&self, payment_id: &str, amount: i64) -> Result<PaymentState, PaymentError> {
        if amount <= 0 {
            return Err(PaymentError::Amount("a refund must be positive"));
        }
        let current = self.store.sandbox_payment(payment_id).await?.ok_or(PaymentError::NotFound)?;
        if !current.status.charged() {
            return Err(PaymentError::State(current.status.as_str()));
        }
        if current.refunded + amount > current.captured {
            return Err(PaymentError::Amount("more than what is left to refund"));
        }
        // Conditional on the refunded total it was computed from, so two refunds never both
        // pass the check above against the same balance.
        let now = self.clock.now();
        let mut next = current.clone();
        next.status = PaymentStatus::Refunded;
        next.refunded = current.refunded + amount;
        let hooks = self.webhooks("payment.refunded", &next, now);
        let change = SandboxChange {
            payment_id: payment_id.to_string(),
            from: vec![current.status],
            to: PaymentStatus::Refunded,
            captured: current.captured,
            refunded: next.refunded,
            expect_refunded: Some(current.refunded),
        };
        match self.store.sandbox_change(&change, &hooks, now).await? {
            Some(p) if p.refunded == next.refunded => Ok(p),
            _ => Err(PaymentError::State("changing; try again")),
        }
    }

    async fn retrieve(&self, payment_id: &str) -> Result<Option<PaymentState>, PaymentError> {
        match self.store.sandbox_payment(payment_id).await? {
            Some(p) => Ok(Some(self.mature(p).await?)),
            None => Ok(None),
        }
    }

    async fn fingerprint(&self, source: PaymentSource<'_>) -> Result<Option<String>, PaymentError> {
        Ok(match source {
            PaymentSource::Card(c) => Some(c.fingerprint(&self.secret)),
            PaymentSource::Method(id) => self.store.sandbox_method(id).await?.map(|m| m.fingerprint),
            PaymentSource::Local(l) => Some(self.local_fingerprint(l)),
        })
    }

    async fn payments_for(&self, reference: &str) -> Result<Vec<PaymentState>, PaymentError> {
        let mut out = Vec::new();
        for p in self.store.sandbox_payments_for(reference).await? {
            out.push(self.mature(p).await?);
        }
        Ok(out)
    }

    fn offers(&self, _method: PayMethod) -> bool {
        true
    }

    fn verify_webhook(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        payment::verify_webhook(
            &self.secret,
            &headers.id,
            &headers.timestamp,
            &headers.signature,
            body,
            now.unix_timestamp(),
        )?;
        let event: WebhookEvent = serde_json::from_slice(body).map_err(|_| WebhookError::Missing)?;
        if event.id != headers.id {
            return Err(WebhookError::BadSignature);
        }
        Ok(event)
    }
}
