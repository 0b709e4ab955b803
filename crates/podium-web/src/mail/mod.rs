//! E-mails written in the recipient's language: [`Composer`] implements app's `MailComposer`
//! port (app's `mail::send_due` runs the queue). It never imports another area, and never sends.

mod compose;
pub mod html;

use async_trait::async_trait;
use podium_app::mail::{Composed, MailComposer, OutgoingMail};
use podium_app::orders::{MailKind, QueuedMail};
use podium_domain::Lang;

use crate::kit::i18n::Tr;
use crate::AppState;
use compose::Message;

/// Why a queued mail has no message (see [`Composed`]).
enum Gone {
    Stale,
    Later,
}

/// Writes the marketplace's mails; links point at `base_url` (where fans reach it).
pub struct Composer {
    state: AppState,
    base_url: String,
}

impl Composer {
    pub fn new(state: AppState, base_url: impl Into<String>) -> Self {
        Composer { state, base_url: base_url.into() }
    }

    /// The message, `Stale` when there is nothing to send any more, `Later` when what it tells
    /// of cannot be read now.
    async fn message(&self, mail: &QueuedMail) -> Composed {
        let (state, base) = (&self.state, self.base_url.as_str());
        let found = |r: Result<Option<Message>, podium_app::StoreError>, what: &str, gone: Gone| match r {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(gone),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a mail's {what}");
                Err(Gone::Later)
            }
        };
        let message = match mail.kind {
            MailKind::Story => {
                let story = state
                    .store
                    .story(&mail.order_id)
                    .await
                    .map(|s| s.map(|s| compose::compose_story(state, mail, &s, base)));
                found(story, "story", Gone::Later)
            }
            MailKind::PasswordReset => found(compose::compose_reset(state, mail, base).await, "reset", Gone::Stale),
            MailKind::SignupConfirm => {
                found(compose::compose_signup_confirm(state, mail, base).await, "confirmation", Gone::Stale)
            }
            MailKind::SignupTaken => Ok(compose::compose_signup_taken(state, mail, base)),
            MailKind::DropOpen => found(compose::compose_drop(state, mail, base).await, "drop", Gone::Later),
            _ => {
                let order =
                    state.store.order(&mail.order_id).await.map(|o| o.map(|o| compose::compose(state, mail, &o, base)));
                found(order, "order", Gone::Later)
            }
        };
        match message {
            Ok(m) => {
                let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
                let html = html::html(&m.subject, &m.body, tr.lang.tag(), &tr.t("site-name"));
                Composed::Mail(OutgoingMail {
                    id: mail.id.clone(),
                    to: m.to,
                    subject: m.subject,
                    text: m.body,
                    html,
                    date: mail.created_at,
                })
            }
            Err(Gone::Stale) => Composed::Stale,
            Err(Gone::Later) => Composed::Later,
        }
    }
}

#[async_trait]
impl MailComposer for Composer {
    async fn compose(&self, mail: &QueuedMail) -> Composed {
        self.message(mail).await
    }
}

/// Sends what the queue holds through `mailer`, composed by [`Composer`] (what the node's mail
/// worker runs each second); returns how many went out.
pub async fn send_due(state: &AppState, mailer: &dyn podium_app::mail::Mailer, base_url: &str) -> usize {
    let composer = Composer::new(state.clone(), base_url);
    podium_app::mail::send_due(state.store.as_ref(), state.clock.as_ref(), &composer, mailer).await
}
