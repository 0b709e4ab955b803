//! The ways to pay as the checkout and the order page show them: each method's name in the
//! fan's language, its brand, a small mark, what happens after the order is placed, and what
//! the fan must do by when while a payment waits for them.

use podium_app::orders::OrderRecord;
use podium_domain::order::OrderStatus;
use podium_domain::pay_method::{PayMethod, PaymentAction};
use podium_domain::{Country, Currency};

use crate::kit::format::{date, money};
use crate::kit::i18n::Tr;
use crate::AppState;

/// A way to pay, as the payment step lists it.
pub(crate) struct MethodView {
    pub(crate) code: &'static str,
    pub(crate) name: String,
    pub(crate) brand: &'static str,
    pub(crate) how: String,
    /// A small mark (inline SVG, made here: no third-party logo files).
    pub(crate) mark: &'static str,
    /// The field the method needs on the review step: `phone`, `iban` or none.
    pub(crate) field: &'static str,
}

pub(crate) fn view(tr: &Tr, m: PayMethod, holds: &podium_app::checkout::HoldPolicy) -> MethodView {
    let how_key = format!("paymethod-{}-how", m.code());
    let how = if m == PayMethod::Konbini {
        tr.t1(&how_key, "days", &holds.voucher.whole_days().max(1).to_string())
    } else {
        tr.t(&how_key)
    };
    MethodView {
        code: m.code(),
        name: tr.t(&format!("paymethod-{}", m.code())),
        brand: m.brand(),
        how,
        mark: mark(m),
        field: match m {
            PayMethod::Mpesa => "phone",
            PayMethod::SepaDebit => "iban",
            _ => "",
        },
    }
}

/// The local methods (not the card) that can pay for a cart delivered to `country` in
/// `currency` with the marketplace's provider.
pub(crate) fn local_for(state: &AppState, tr: &Tr, country: &str, currency: &str) -> Vec<MethodView> {
    let (Ok(to), Ok(cur)) = (Country::parse(country), Currency::parse(currency)) else { return Vec::new() };
    PayMethod::offered_for(to, cur)
        .into_iter()
        .filter(|m| *m != PayMethod::Card && state.payments.offers(*m))
        .map(|m| view(tr, m, &state.config.holds))
        .collect()
}

macro_rules! svg {
    ($bg:literal, $fg:literal, $text:literal) => {
        concat!(
            "<svg class=\"pay-mark\" width=\"44\" height=\"28\" viewBox=\"0 0 44 28\" aria-hidden=\"true\">",
            "<rect width=\"44\" height=\"28\" rx=\"5\" fill=\"",
            $bg,
            "\"/><text x=\"22\" y=\"18.5\" text-anchor=\"middle\" font-family=\"sans-serif\" font-weight=\"700\" ",
            "font-size=\"12\" fill=\"",
            $fg,
            "\">",
            $text,
            "</text></svg>"
        )
    };
}

/// A method's mark: its initials on its colour, drawn here.
pub(crate) fn mark(m: PayMethod) -> &'static str {
    match m {
        PayMethod::Card => svg!("#4b5563", "#fff", "CARD"),
        PayMethod::Alipay => svg!("#1677ff", "#fff", "支"),
        PayMethod::WechatPay => svg!("#07c160", "#fff", "微"),
        PayMethod::KakaoPay => svg!("#ffeb00", "#191919", "pay"),
        PayMethod::Konbini => svg!("#e8590c", "#fff", "CVS"),
        PayMethod::SepaDebit => svg!("#10298e", "#ffcc00", "SEPA"),
        PayMethod::Ideal => svg!("#cc0066", "#fff", "iD"),
        PayMethod::Bancontact => svg!("#005498", "#fff", "BC"),
        PayMethod::Mpesa => svg!("#3aa935", "#fff", "M"),
    }
}

/// What the order page tells a fan whose payment waits for them.
pub(crate) struct PayNow {
    /// What to do, by when, in a sentence.
    pub(crate) say: String,
    pub(crate) method: String,
    pub(crate) mark: &'static str,
    /// The QR code to scan (inline SVG).
    pub(crate) qr: Option<String>,
    /// The voucher's payment number.
    pub(crate) number: Option<String>,
    /// The provider's printable voucher.
    pub(crate) voucher_url: Option<String>,
    /// A page to go on to (a wallet's or bank's).
    pub(crate) go: Option<String>,
    /// The sandbox's stand-in for the wallet, the till or the phone.
    pub(crate) sandbox: Option<String>,
    /// Whether the page should look again by itself (the answer comes from elsewhere).
    pub(crate) refresh: bool,
}

pub(crate) fn pay_now(state: &AppState, tr: &Tr, o: &OrderRecord) -> Option<PayNow> {
    if o.status != OrderStatus::PendingPayment || o.pay_method == PayMethod::Card {
        return None;
    }
    let action = o.pay_action.as_ref()?;
    let m = o.pay_method;
    let method = tr.t(&format!("paymethod-{}", m.code()));
    let amount = money(tr, o.total, &o.currency);
    let time = date(o.hold_until);
    let sandbox = (state.payments.name() == "sandbox")
        .then(|| o.payment_id.as_deref().map(podium_app::payments::sandbox_page))
        .flatten();
    let base = PayNow {
        say: String::new(),
        method: method.clone(),
        mark: mark(m),
        qr: None,
        number: None,
        voucher_url: None,
        go: None,
        sandbox,
        refresh: true,
    };
    Some(match action {
        PaymentAction::Qr { data } => {
            // The sandbox's wallet page, made absolute so that a phone can open it.
            let data = if data.starts_with('/') { format!("{}{data}", state.config.public_url) } else { data.clone() };
            PayNow {
                say: tr.tn("order-pay-qr", &[("method", &method), ("amount", &amount), ("time", &time)]),
                qr: qr_svg(&data),
                ..base
            }
        }
        PaymentAction::Voucher { number, expires_at, url } => {
            let until = time::OffsetDateTime::from_unix_timestamp(*expires_at).map(date).unwrap_or(time.clone());
            PayNow {
                say: tr.tn("order-pay-voucher", &[("amount", &amount), ("time", &until)]),
                number: Some(number.clone()),
                voucher_url: url.clone(),
                // Paid days later in a shop: the fan comes back, the page need not keep asking.
                refresh: false,
                ..base
            }
        }
        PaymentAction::PhonePush { phone_last4 } => PayNow {
            say: tr.tn("order-pay-phone", &[("last4", phone_last4), ("amount", &amount), ("time", &time)]),
            ..base
        },
        PaymentAction::Debit { account_last4 } => PayNow {
            say: tr.tn("order-pay-debit", &[("last4", account_last4), ("amount", &amount)]),
            // Nothing for the fan to do: the bank answers.
            sandbox: None,
            ..base
        },
        PaymentAction::Redirect { url } => PayNow {
            say: tr.tn("order-pay-redirect", &[("method", &method), ("amount", &amount), ("time", &time)]),
            go: Some(url.clone()),
            // The bank's page is where the fan acts; the sandbox link is that page already.
            sandbox: None,
            refresh: false,
            ..base
        },
    })
}

/// A QR code as inline SVG (dark modules as one path), or nothing if the data is too long.
pub(crate) fn qr_svg(data: &str) -> Option<String> {
    let qr = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = qr.width();
    let mut path = String::with_capacity(width * width * 4);
    for (n, dark) in qr.to_colors().iter().enumerate() {
        if *dark == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", n % width + 4, n / width + 4));
        }
    }
    let size = width + 8;
    Some(format!(
        "<svg class=\"qr\" viewBox=\"0 0 {size} {size}\" width=\"220\" height=\"220\" aria-hidden=\"true\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}
