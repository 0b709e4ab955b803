//! Composing each kind of queued e-mail in the recipient's language: order confirmations,
//! shipping and refund notices, new stories, open drops, password resets and sign-ups.

use podium_app::checkout;
use podium_app::orders::{MailKind, OrderRecord, QueuedMail};
use podium_domain::Lang;

use crate::kit::i18n::Tr;
use crate::AppState;

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
        MailKind::PaymentDue => (
            tr.tn(
                "mail-payment-due-subject",
                &[("number", &order.number), ("time", &crate::kit::format::date(order.hold_until))],
            ),
            payment_due(&tr, order),
        ),
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
            MailKind::PaymentDue => {}
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

/// What a fan paying by voucher or debit must do, as the order page says it.
fn payment_due(tr: &Tr, order: &OrderRecord) -> String {
    use podium_domain::pay_method::PaymentAction;
    let amount = tr.money_of(order.total, &order.currency);
    match &order.pay_action {
        Some(PaymentAction::Voucher { number, expires_at, .. }) => {
            let until = time::OffsetDateTime::from_unix_timestamp(*expires_at)
                .map(crate::kit::format::date)
                .unwrap_or_else(|_| crate::kit::format::date(order.hold_until));
            format!(
                "{}\n\n    {}: {number}",
                tr.tn("order-pay-voucher", &[("amount", &amount), ("time", &until)]),
                tr.t("order-pay-voucher-number")
            )
        }
        Some(PaymentAction::Debit { account_last4 }) => {
            tr.tn("order-pay-debit", &[("last4", account_last4), ("amount", &amount)])
        }
        // Paid or cancelled before this mail went out: the order page says how it stands.
        _ => tr.t1("order-headline-pending-until", "time", &crate::kit::format::date(order.hold_until)),
    }
}
