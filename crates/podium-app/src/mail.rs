//! The mail queue: e-mails are queued in the same transaction as what they tell of, then sent
//! by any node through two ports — a [`MailComposer`] (the web layer, which writes them in the
//! recipient's language) and a [`Mailer`] (a file drop or an SMTP relay). Each queued mail is
//! claimed with a lease, so several nodes share the queue without sending anything twice.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::orders::QueuedMail;
use crate::{Clock, Store};

/// A composed e-mail, ready for the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The queued mail's id (its `Message-ID` is built from it).
    pub id: String,
    pub to: String,
    pub subject: String,
    /// The plain-text body, as composed.
    pub text: String,
    /// The same message as HTML, sent beside the text.
    pub html: String,
    /// When it was queued: the message's `Date`.
    pub date: OffsetDateTime,
}

/// What a queued mail became.
#[derive(Debug)]
pub enum Composed {
    Mail(OutgoingMail),
    /// Nothing to send any more (a reset or confirmation used or expired): drop it.
    Stale,
    /// What it tells of cannot be read now: leave it queued for a later try.
    Later,
}

/// Writes a queued mail (the web layer, in the recipient's language).
#[async_trait]
pub trait MailComposer: Send + Sync {
    async fn compose(&self, mail: &QueuedMail) -> Composed;
}

/// Sends a composed mail; an error leaves it queued for a retry.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String>;
}

/// How long a node holds the mails it claimed before another may send them.
pub const LEASE: time::Duration = time::Duration::seconds(120);

/// Sends the queued mails due now (up to 20): claimed with a lease, composed, sent, marked
/// sent. Returns how many went out.
pub async fn send_due(store: &dyn Store, clock: &dyn Clock, composer: &dyn MailComposer, mailer: &dyn Mailer) -> usize {
    let claimed = match store.claim_mails(clock.now(), LEASE, 20).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the mail queue");
            return 0;
        }
    };
    let mut sent = 0;
    for queued in claimed {
        let mail = match composer.compose(&queued).await {
            Composed::Mail(m) => m,
            Composed::Later => continue,
            Composed::Stale => {
                if let Err(e) = store.mail_sent(&queued.id, clock.now()).await {
                    tracing::warn!(error = %e, "could not drop a stale mail");
                }
                continue;
            }
        };
        match mailer.send(&mail).await {
            Ok(()) => match store.mail_sent(&queued.id, clock.now()).await {
                Ok(()) => sent += 1,
                Err(e) => tracing::warn!(error = %e, "could not mark a mail sent"),
            },
            Err(e) => tracing::warn!(error = %e, mail = %queued.id, "sending a mail failed; it will be retried"),
        }
    }
    sent
}
