//! Background work every node runs: delivering the sandbox provider's queued webhooks (signed,
//! over HTTP, to the marketplace's webhook endpoint), sending queued e-mails through the mail
//! transport, and settling orders left waiting for payment (after a crash, say).

use std::path::PathBuf;
use std::time::Duration;

use podium_app::checkout;
use podium_app::orders::{MailKind, OrderRecord, QueuedMail};
use podium_app::payments::WebhookHeaders;
use podium_domain::Lang;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::kit::i18n::Tr;
use crate::AppState;

/// A queued webhook, signed and ready to post.
pub struct SignedWebhook {
    pub event_id: String,
    pub seq: i64,
    pub headers: WebhookHeaders,
    pub body: String,
}

/// Claims the webhooks due now and signs them (the caller posts them and marks them delivered).
pub async fn due_webhooks(state: &AppState, limit: i64) -> Vec<SignedWebhook> {
    let now = state.clock.now();
    match state.store.sandbox_due_webhooks(now, time::Duration::seconds(30), limit).await {
        Ok(due) => due
            .into_iter()
            .map(|w| {
                let (headers, body) = state.sandbox.sign(&w, now);
                SignedWebhook { event_id: w.event_id, seq: w.seq, headers, body }
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the webhook queue");
            Vec::new()
        }
    }
}

/// Posts one webhook over HTTP/1.1 to `addr` (host:port) and `path`; true on a 2xx answer.
pub async fn post_webhook(addr: &str, path: &str, w: &SignedWebhook) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             webhook-id: {}\r\nwebhook-timestamp: {}\r\nwebhook-signature: {}\r\nConnection: close\r\n\r\n{}",
            w.body.len(),
            w.headers.id,
            w.headers.timestamp,
            w.headers.signature,
            w.body
        );
        stream.write_all(request.as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(head.starts_with(b"HTTP/1.1 2"))
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, event = %w.event_id, "webhook delivery failed; it will be retried");
            false
        }
        Err(_) => false,
    }
}

/// Delivers what is due to this node's own webhook endpoint; returns how many were accepted.
pub async fn deliver_webhooks(state: &AppState, addr: &str) -> usize {
    let mut delivered = 0;
    for w in due_webhooks(state, 50).await {
        if post_webhook(addr, "/api/v1/webhooks/sandbox", &w).await {
            if let Err(e) = state.store.sandbox_webhook_delivered(&w.event_id, w.seq, state.clock.now()).await {
                tracing::warn!(error = %e, "could not mark a webhook delivered");
            }
            delivered += 1;
        }
    }
    delivered
}

/// Where e-mails go.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Each message as an RFC 5322 `.eml` file named by its id (so a retry overwrites, never
    /// duplicates).
    Files(PathBuf),
    /// An SMTP relay, plain text (`host:port`), for a local relay or a test server.
    Smtp { addr: String, from: String },
}

/// A composed message.
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Composes a new-story mail in the recipient's language, with a one-click unsubscribe link.
pub fn compose_story(
    state: &AppState,
    mail: &QueuedMail,
    story: &podium_app::stories::StoryRecord,
    base_url: &str,
) -> Message {
    let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    let card = crate::kit::story_card::story_card(&tr, story);
    let sig = podium_app::stories::unsubscribe_signature(&state.config.shared_secret.0, &mail.recipient);
    let email: String = form_urlencoded::byte_serialize(mail.recipient.as_bytes()).collect();
    let body = format!(
        "{}\n\n{}\n\n{}\n{base_url}/stories/{}?lang={}\n\n--\n{}\n{base_url}/unsubscribe?email={email}&sig={sig}\n",
        card.byline,
        card.teaser,
        tr.t("mail-story-read"),
        story.slug,
        tr.lang.tag(),
        tr.t("mail-story-unsubscribe"),
    );
    Message { to: mail.recipient.clone(), subject: tr.t1("mail-story-subject", "title", &card.title), body }
}

/// Composes the "it is open" mail of a drop, in the recipient's language.
pub async fn compose_drop(
    state: &AppState,
    mail: &QueuedMail,
    base_url: &str,
) -> Result<Option<Message>, podium_app::StoreError> {
    let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    let Some(d) = state.store.drop_by_id(&mail.order_id).await? else { return Ok(None) };
    let Some(p) = state.store.products_by_ids(std::slice::from_ref(&d.product_id)).await?.pop() else {
        return Ok(None);
    };
    let title = podium_app::storefront::text(&p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
    let body = format!(
        "{}\n\n{base_url}/drops/{}?lang={}\n",
        tr.t1("mail-drop-intro", "limit", &d.per_fan.to_string()),
        d.id,
        tr.lang.tag()
    );
    Ok(Some(Message { to: mail.recipient.clone(), subject: tr.t1("mail-drop-subject", "title", &title), body }))
}

/// A password reset link, while the reset is live (a used or expired one is not sent).
pub async fn compose_reset(
    state: &AppState,
    mail: &QueuedMail,
    base_url: &str,
) -> Result<Option<Message>, podium_app::StoreError> {
    let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    let Some(reset) = state.store.password_reset(&mail.order_id).await? else { return Ok(None) };
    if !reset.is_live(state.clock.now()) {
        return Ok(None);
    }
    let token = podium_app::security::reset_token(&state.config.shared_secret.0, &reset.id);
    Ok(Some(link_mail(&tr, mail, &format!("{base_url}/password/reset?token={token}"), "mail-reset")))
}

/// A mail whose point is one link: `{kind}-intro`, the link (in the mail's language), then
/// `{kind}-ignore`, under `{kind}-subject`.
fn link_mail(tr: &Tr, mail: &QueuedMail, link: &str, kind: &str) -> Message {
    let body = format!(
        "{}\n\n{link}&lang={}\n\n{}\n",
        tr.t(&format!("{kind}-intro")),
        tr.lang.tag(),
        tr.t(&format!("{kind}-ignore"))
    );
    Message { to: mail.recipient.clone(), subject: tr.t(&format!("{kind}-subject")), body }
}

/// A sign-up's confirmation link, while it is live (a used or expired one is not sent).
pub async fn compose_signup_confirm(
    state: &AppState,
    mail: &QueuedMail,
    base_url: &str,
) -> Result<Option<Message>, podium_app::StoreError> {
    let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    let Some(c) = state.store.signup_confirmation(&mail.order_id).await? else { return Ok(None) };
    if !c.is_live(state.clock.now()) {
        return Ok(None);
    }
    let token = podium_app::signup::confirm_token(&state.config.shared_secret.0, &c.id);
    Ok(Some(link_mail(&tr, mail, &format!("{base_url}/signup/confirm?token={token}"), "mail-confirm")))
}

/// Tells an account's owner that someone tried to sign up with their address.
pub fn compose_signup_taken(state: &AppState, mail: &QueuedMail, base_url: &str) -> Message {
    let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    let lang = tr.lang.tag();
    let body = format!(
        "{}\n\n{}\n{base_url}/signin?lang={lang}\n\n{}\n{base_url}/password/forgot?lang={lang}\n",
        tr.t("mail-taken-intro"),
        tr.t("mail-taken-signin"),
        tr.t("mail-taken-reset"),
    );
    Message { to: mail.recipient.clone(), subject: tr.t("mail-taken-subject"), body }
}

/// Composes a queued mail in the recipient's language from the order as it stands.
pub fn compose(state: &AppState, mail: &QueuedMail, order: &OrderRecord, base_url: &str) -> Message {
    let mut tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
    // Amounts as a reader of the mail's language in the delivery country writes them.
    tr.region = podium_domain::Country::parse(&order.address.country).ok();
    let money = |minor: i64, currency: &str| tr.money_of(minor, currency);
    let token = checkout::order_token(&state.config.shared_secret.0, &order.id);
    let link = format!("{base_url}/orders/{}?token={token}&lang={}", order.number, tr.lang.tag());
    let mut body = String::new();
    let (subject, intro) = match mail.kind {
        MailKind::OrderConfirmation => (
            tr.t1("mail-order-subject", "number", &order.number),
            tr.t1("mail-order-intro", "total", &money(order.total, &order.currency)),
        ),
        MailKind::Shipped => (tr.t1("mail-shipped-subject", "number", &order.number), tr.t("mail-shipped-intro")),
        // (Story, drop, reset and sign-up mails have composers of their own above.)
        MailKind::Refunded
        | MailKind::Story
        | MailKind::DropOpen
        | MailKind::PasswordReset
        | MailKind::SignupConfirm
        | MailKind::SignupTaken => {
            (tr.t1("mail-refunded-subject", "number", &order.number), tr.t("mail-refunded-intro"))
        }
    };
    body.push_str(&intro);
    body.push_str("\n\n");
    for c in &order.consignments {
        if mail.consignment_id.as_deref().is_some_and(|id| id != c.id) {
            continue;
        }
        body.push_str(&format!("— {} —\n", c.shop_name));
        for l in &c.lines {
            body.push_str(&format!("  {} × {}  {}\n", l.quantity, l.title, money(l.net, &order.currency)));
            for code in &l.codes {
                body.push_str(&format!("    {}: {base_url}/verify/{code}\n", tr.t("mail-verify")));
            }
        }
        match mail.kind {
            MailKind::OrderConfirmation => body.push_str(&format!(
                "  {} {}  ·  {} {}  ·  {} {}  ·  {} {}\n",
                tr.t("checkout-shipping"),
                money(c.shipping, &order.currency),
                tr.t("checkout-vat"),
                money(c.vat, &order.currency),
                tr.t("checkout-duty"),
                money(c.duty, &order.currency),
                tr.t("checkout-total"),
                money(c.total, &order.currency)
            )),
            MailKind::Shipped => body.push_str(&format!(
                "  {}: {} {}\n",
                tr.t("order-tracking"),
                c.carrier.as_deref().unwrap_or(""),
                c.tracking.as_deref().unwrap_or("")
            )),
            MailKind::Refunded
            | MailKind::Story
            | MailKind::DropOpen
            | MailKind::PasswordReset
            | MailKind::SignupConfirm
            | MailKind::SignupTaken => {
                body.push_str(&format!("  {}: {}\n", tr.t("order-refunded"), money(c.refunded, &order.currency)))
            }
        }
        body.push('\n');
    }
    if mail.kind == MailKind::OrderConfirmation {
        body.push_str(&format!("{}:\n", tr.t("checkout-deliver-to")));
        for l in crate::kit::address::printed(&tr, &order.address) {
            body.push_str(&format!("  {l}\n"));
        }
        body.push('\n');
    }
    body.push_str(&format!("{}\n{link}\n", tr.t("mail-see-order")));
    Message { to: mail.recipient.clone(), subject, body }
}

/// RFC 2047 encoding of a header with non-ASCII text.
fn header_text(s: &str) -> String {
    if s.is_ascii() {
        s.to_string()
    } else {
        use base64::Engine;
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
    }
}

/// The message as sent: the plain text as composed, and an HTML version of it beside it.
fn rfc5322(id: &str, from: &str, m: &Message, at: time::OffsetDateTime, tr: &Tr) -> String {
    let date = at.format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
    let html = crate::mail_html::html(&m.subject, &m.body, tr.lang.tag(), &tr.t("site-name"));
    let (content_type, body) = crate::mail_html::alternative(id, &m.body, &html);
    format!(
        "From: {from}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{id}@podium>\r\nMIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n\r\n{body}",
        m.to,
        header_text(&m.subject),
    )
}

async fn smtp_send(addr: &str, from: &str, to: &str, data: &str) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    async fn expect(
        lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>>,
        code: &str,
    ) -> std::io::Result<()> {
        loop {
            let line = lines.next_line().await?.unwrap_or_default();
            if !line.starts_with(code) {
                return Err(std::io::Error::other(format!("SMTP: expected {code}, got {line:?}")));
            }
            // "250-" continues, "250 " ends a reply.
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }
    expect(&mut lines, "220").await?;
    for (cmd, code) in [
        ("EHLO podium\r\n".to_string(), "250"),
        (format!("MAIL FROM:<{from}>\r\n"), "250"),
        (format!("RCPT TO:<{to}>\r\n"), "250"),
        ("DATA\r\n".to_string(), "354"),
    ] {
        w.write_all(cmd.as_bytes()).await?;
        expect(&mut lines, code).await?;
    }
    // Dot-stuffing: a line starting with "." gets another.
    let stuffed = data.replace("\r\n.", "\r\n..");
    w.write_all(stuffed.as_bytes()).await?;
    w.write_all(b"\r\n.\r\n").await?;
    expect(&mut lines, "250").await?;
    w.write_all(b"QUIT\r\n").await?;
    Ok(())
}

/// Sends the queued mails: claimed with a lease (one node sends each), marked sent once sent.
/// Returns how many went out.
pub async fn send_mails(state: &AppState, transport: &MailTransport, base_url: &str) -> usize {
    let now = state.clock.now();
    let claimed = match state.store.claim_mails(now, time::Duration::seconds(120), 20).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the mail queue");
            return 0;
        }
    };
    let mut sent = 0;
    for mail in claimed {
        let message = match mail.kind {
            MailKind::Story => match state.store.story(&mail.order_id).await {
                Ok(Some(s)) => compose_story(state, &mail, &s, base_url),
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a mail's story");
                    continue;
                }
            },
            MailKind::PasswordReset => match compose_reset(state, &mail, base_url).await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    // Used or expired before it left: nothing to send.
                    if let Err(e) = state.store.mail_sent(&mail.id, state.clock.now()).await {
                        tracing::warn!(error = %e, "could not drop a stale reset mail");
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a mail's reset");
                    continue;
                }
            },
            MailKind::SignupConfirm => match compose_signup_confirm(state, &mail, base_url).await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    // Used or expired before it left: nothing to send.
                    if let Err(e) = state.store.mail_sent(&mail.id, state.clock.now()).await {
                        tracing::warn!(error = %e, "could not drop a stale confirmation mail");
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a mail's confirmation");
                    continue;
                }
            },
            MailKind::SignupTaken => compose_signup_taken(state, &mail, base_url),
            MailKind::DropOpen => match compose_drop(state, &mail, base_url).await {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a mail's drop");
                    continue;
                }
            },
            _ => match state.store.order(&mail.order_id).await {
                Ok(Some(o)) => compose(state, &mail, &o, base_url),
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a mail's order");
                    continue;
                }
            },
        };
        let tr = Tr::new(state.i18n.clone(), Lang::from_tag(&mail.lang).unwrap_or(Lang::En));
        let outcome = match transport {
            MailTransport::Files(dir) => {
                let text = rfc5322(&mail.id, "Podium <orders@podium.example>", &message, mail.created_at, &tr);
                let path = dir.join(format!("{}-{}.eml", mail.created_at.unix_timestamp(), mail.id));
                match tokio::fs::create_dir_all(dir).await {
                    Ok(()) => tokio::fs::write(&path, text).await,
                    Err(e) => Err(e),
                }
            }
            MailTransport::Smtp { addr, from } => {
                let text = rfc5322(&mail.id, from, &message, mail.created_at, &tr);
                smtp_send(addr, from, &message.to, &text).await
            }
        };
        match outcome {
            Ok(()) => {
                if let Err(e) = state.store.mail_sent(&mail.id, state.clock.now()).await {
                    tracing::warn!(error = %e, "could not mark a mail sent");
                } else {
                    sent += 1;
                }
            }
            Err(e) => tracing::warn!(error = %e, mail = %mail.id, "sending a mail failed; it will be retried"),
        }
    }
    sent
}

/// Settles orders left waiting for payment and completes delivered consignments whose return
/// window has passed (releasing their shops' money); returns how many changed.
pub async fn reconcile(state: &AppState) -> u64 {
    let now = state.clock.now();
    let settled = match checkout::reconcile(state.store.as_ref(), state.sandbox.as_ref(), now).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "settling pending orders failed");
            0
        }
    };
    let completed = match podium_app::ledger::complete_due(state.store.as_ref(), now).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "completing delivered consignments failed");
            0
        }
    };
    settled + completed
}
