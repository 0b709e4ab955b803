//! Podium's outgoing adapters, behind app's ports: [`FileMailer`] and [`SmtpMailer`] implement
//! `podium_app::mail::Mailer`, [`HttpWebhookPoster`] implements
//! `podium_app::background::WebhookPoster`, [`StripeProvider`] implements
//! `podium_app::payments::PaymentProvider`. Only the `podium` binary wires them; nothing here
//! decides what to send or when (app does).

mod message;
mod smtp;
mod stripe;
mod webhook;

pub use message::{rfc5322, FileMailer};
pub use smtp::{SmtpMailer, SmtpOptions, StartTls};
pub use stripe::{StripeConfig, StripeProvider, STRIPE_API};
pub use webhook::HttpWebhookPoster;
