//! Payments (DESIGN §3.7): the [`PaymentProvider`] port — authorize, capture, void, refund and
//! signed webhooks — and the built-in [`SandboxProvider`], which behaves like a card processor:
//! it keeps its own books (in the database, so any node may serve the next step), declines the
//! test cards of DESIGN §4, asks for a second step on one of them, and announces every change
//! by webhooks queued to arrive late, sometimes twice, in no particular order. It sees a card
//! number only while authorizing and keeps the brand, last four digits and a keyed fingerprint.
//! The local methods (wallets, vouchers, debits, M-Pesa) are payments like the card's, with
//! what the fan must do kept as a [`PaymentAction`].

use async_trait::async_trait;
use podium_domain::pay_method::{self, PayMethod, PaymentAction};
use podium_domain::payment::{CardNumber, WebhookError};
use podium_domain::Money;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ports::StoreError;

mod sandbox;
pub use sandbox::{
    sandbox_action, sandbox_page, voucher_number, QueuedWebhook, SandboxChange, SandboxProvider, SandboxStore,
    SANDBOX_BOUNCING_ACCOUNT, SANDBOX_DEBIT_SECONDS,
};

/// Where a payment stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the cardholder's second step.
    RequiresAction,
    Authorized,
    Captured,
    Voided,
    Declined,
    /// Captured and then refunded in part or whole (`refunded` says how much).
    Refunded,
    /// Nothing for the fan to do: the bank answers later (a direct debit).
    Processing,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Processing => "processing",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        [
            PaymentStatus::RequiresAction,
            PaymentStatus::Authorized,
            PaymentStatus::Captured,
            PaymentStatus::Voided,
            PaymentStatus::Declined,
            PaymentStatus::Refunded,
            PaymentStatus::Processing,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Money has been taken (and not all of it given back necessarily).
    pub fn charged(self) -> bool {
        matches!(self, PaymentStatus::Captured | PaymentStatus::Refunded)
    }
}

/// A payment as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub id: String,
    /// The order the payment is for.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub decline_code: Option<String>,
    pub captured: i64,
    pub refunded: i64,
    pub brand: String,
    pub last4: String,
    pub fingerprint: String,
    pub created_at: OffsetDateTime,
    /// Where the cardholder takes the second step, while the payment waits for it: a page of
    /// the provider's (a redirect it named) or of Podium's that runs the provider's script.
    pub next_action: Option<String>,
    /// How the fan pays.
    pub method: PayMethod,
    /// What the fan must do while the payment waits for them (a QR code, a voucher, a phone
    /// prompt, a redirect), or what the bank is doing (a debit).
    pub action: Option<PaymentAction>,
    /// When a voucher expires, or when the sandbox's bank answers a debit.
    pub due_at: Option<OffsetDateTime>,
}

/// A fan's own market's way to pay, with what it needs: M-Pesa the phone number that gets the
/// prompt, a direct debit the account and its holder (the mandate). Checked when the checkout
/// validates (the phone in `254…` form, the IBAN in its electronic form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPayment {
    pub method: PayMethod,
    pub phone: String,
    pub iban: String,
    pub holder: String,
    /// Who pays (vouchers and wallets are issued to an e-mail address).
    pub email: String,
}

impl LocalPayment {
    pub fn new(method: PayMethod) -> Self {
        LocalPayment { method, phone: String::new(), iban: String::new(), holder: String::new(), email: String::new() }
    }

    /// What tells one payer apart, for the limits on unpaid orders and declines ("per card"):
    /// the phone, the account, or else the e-mail address.
    pub fn identity(&self) -> String {
        let who = match self.method {
            PayMethod::Mpesa => self.phone.clone(),
            PayMethod::SepaDebit => self.iban.clone(),
            _ => self.email.trim().to_lowercase(),
        };
        format!("{}:{who}", self.method.code())
    }

    /// The last characters of the phone or account, as shown to the fan.
    pub fn last4(&self) -> String {
        match self.method {
            PayMethod::Mpesa => pay_method::last4(&self.phone),
            PayMethod::SepaDebit => pay_method::last4(&self.iban),
            _ => String::new(),
        }
    }
}

/// What pays: a card number handed over directly (the API), or a payment method the
/// provider's card form made of it earlier (the checkout pages).
#[derive(Clone, Copy)]
pub enum PaymentSource<'a> {
    Card(&'a CardNumber),
    Method(&'a str),
    /// A local method (a wallet, a voucher, a bank).
    Local(&'a LocalPayment),
}

/// What authorizing asks for.
pub struct AuthorizeRequest<'a> {
    pub reference: &'a str,
    pub amount: Money,
    pub source: PaymentSource<'a>,
    /// Who pays, as the fan gave it at checkout (vouchers and mandates are made out to them).
    pub email: &'a str,
    pub name: &'a str,
    /// When the order stops holding its stock: a voucher expires by then.
    pub pay_by: OffsetDateTime,
    /// Where a wallet or bank sends the fan back to (an absolute address of Podium's).
    pub return_url: &'a str,
}

/// A card kept by the provider as a token: what it will do and how to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    pub id: String,
    pub behaviour: String,
    pub brand: String,
    pub last4: String,
    pub fingerprint: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("no such payment")]
    NotFound,
    /// The payment is not in a state that allows this (capturing a declined payment, say).
    #[error("the payment is {0}")]
    State(&'static str),
    #[error("the amount is not possible: {0}")]
    Amount(&'static str),
    #[error("the card is not one the sandbox knows")]
    UnknownCard,
    #[error("no such payment method")]
    UnknownMethod,
    /// The provider takes cards only through its own form (Stripe.js): a card number sent to
    /// Podium is refused before it goes anywhere.
    #[error("card numbers are not taken here: pay with a payment method made by the provider's card form")]
    CardNotAccepted,
    /// The provider could not be reached or refused the request.
    #[error("the payment provider: {0}")]
    Provider(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified webhook: which event, and which payment it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payment_id: String,
    pub reference: String,
    pub created_at: i64,
    /// A dispute the event opens (a chargeback), as the provider describes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute: Option<crate::disputes::Contested>,
}

/// The three Standard Webhooks headers.
#[derive(Debug, Clone, Default)]
pub struct WebhookHeaders {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Authorizes the amount on the card. A decline is an answer (status `declined` with its
    /// code), not an error.
    async fn authorize(&self, req: AuthorizeRequest<'_>) -> Result<PaymentState, PaymentError>;
    /// Captures an authorized payment in full; capturing a captured payment is a no-op.
    async fn capture(&self, payment_id: &str) -> Result<PaymentState, PaymentError>;
    /// Cancels an authorization (or a payment still waiting for its second step); voiding a
    /// voided or declined payment is a no-op.
    async fn void(&self, payment_id: &str) -> Result<PaymentState, PaymentError>;
    /// Gives back part or all of what was captured.
    async fn refund(&self, payment_id: &str, amount: i64) -> Result<PaymentState, PaymentError>;
    async fn retrieve(&self, payment_id: &str) -> Result<Option<PaymentState>, PaymentError>;
    /// Every payment made for a reference, oldest first (how a restart finds out what happened).
    async fn payments_for(&self, reference: &str) -> Result<Vec<PaymentState>, PaymentError>;
    /// Checks a webhook's signature and age and reads it.
    fn verify_webhook(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError>;
    /// What the provider's script in the browser needs to take the cardholder's second step
    /// (Stripe's client secret); `None` for a provider whose second step is a plain page.
    async fn action_secret(&self, payment_id: &str) -> Result<Option<String>, PaymentError> {
        let _ = payment_id;
        Ok(None)
    }
    /// The fingerprint of the card a source pays with, before it is charged (so a card that was
    /// declined too often is refused at once); `None` when the provider cannot say.
    async fn fingerprint(&self, source: PaymentSource<'_>) -> Result<Option<String>, PaymentError> {
        let _ = source;
        Ok(None)
    }
    /// Whether the provider can take payments by this method at all.
    fn offers(&self, method: PayMethod) -> bool {
        method == PayMethod::Card
    }
}
