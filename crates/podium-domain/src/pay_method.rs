//! The ways fans pay (DESIGN §3.7): cards everywhere, and the methods each market uses at home —
//! Alipay and WeChat Pay (a QR code scanned with the wallet app), Kakao Pay, iDEAL and Bancontact
//! (a redirect to the wallet or bank), Konbini (a voucher paid in a convenience store days
//! later), SEPA Direct Debit (the bank answers days later) and M-Pesa (a push to the fan's
//! phone). A method is offered only where it can pay: the destination's country and the
//! presentment currency both have to be its own.

use serde::{Deserialize, Serialize};

use crate::{Country, Currency};

/// A way to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    Card,
    Alipay,
    WechatPay,
    KakaoPay,
    Konbini,
    SepaDebit,
    Ideal,
    Bancontact,
    Mpesa,
}

/// What the fan does after placing the order, by method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// A card: authorised at once, sometimes after a second step (3-D Secure).
    Card,
    /// The fan is sent to the wallet or bank and comes back.
    Redirect,
    /// The fan scans a QR code with the wallet app on the phone; it completes asynchronously.
    Qr,
    /// A payment number the fan pays in a shop before it expires.
    Voucher,
    /// A mandate to debit a bank account; the bank answers days later, yes or no.
    Debit,
    /// A prompt on the fan's phone, approved with the wallet's PIN.
    PhonePush,
}

impl PayMethod {
    pub const ALL: [PayMethod; 9] = [
        PayMethod::Card,
        PayMethod::Alipay,
        PayMethod::WechatPay,
        PayMethod::KakaoPay,
        PayMethod::Konbini,
        PayMethod::SepaDebit,
        PayMethod::Ideal,
        PayMethod::Bancontact,
        PayMethod::Mpesa,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PayMethod::Card => "card",
            PayMethod::Alipay => "alipay",
            PayMethod::WechatPay => "wechat_pay",
            PayMethod::KakaoPay => "kakao_pay",
            PayMethod::Konbini => "konbini",
            PayMethod::SepaDebit => "sepa_debit",
            PayMethod::Ideal => "ideal",
            PayMethod::Bancontact => "bancontact",
            PayMethod::Mpesa => "mpesa",
        }
    }

    pub fn parse(code: &str) -> Option<PayMethod> {
        PayMethod::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The method's own name, as its makers write it (shown beside the translated description).
    pub fn brand(self) -> &'static str {
        match self {
            PayMethod::Card => "Card",
            PayMethod::Alipay => "Alipay",
            PayMethod::WechatPay => "WeChat Pay",
            PayMethod::KakaoPay => "Kakao Pay",
            PayMethod::Konbini => "Konbini",
            PayMethod::SepaDebit => "SEPA Direct Debit",
            PayMethod::Ideal => "iDEAL",
            PayMethod::Bancontact => "Bancontact",
            PayMethod::Mpesa => "M-Pesa",
        }
    }

    pub fn flow(self) -> Flow {
        match self {
            PayMethod::Card => Flow::Card,
            PayMethod::KakaoPay | PayMethod::Ideal | PayMethod::Bancontact => Flow::Redirect,
            PayMethod::Alipay | PayMethod::WechatPay => Flow::Qr,
            PayMethod::Konbini => Flow::Voucher,
            PayMethod::SepaDebit => Flow::Debit,
            PayMethod::Mpesa => Flow::PhonePush,
        }
    }

    /// Whether the money is taken when the fan approves (wallets, bank transfers, vouchers),
    /// rather than authorised first and captured by Podium (cards, Kakao Pay).
    pub fn captures_at_once(self) -> bool {
        !matches!(self, PayMethod::Card | PayMethod::KakaoPay)
    }

    /// Whether the method can pay for an order delivered to `country` in `currency`.
    pub fn offered(self, country: Country, currency: Currency) -> bool {
        let (c, cur) = (country.code(), currency.code());
        match self {
            PayMethod::Card => true,
            PayMethod::Alipay | PayMethod::WechatPay => c == "CN" && cur == "CNY",
            PayMethod::KakaoPay => c == "KR" && cur == "KRW",
            PayMethod::Konbini => c == "JP" && cur == "JPY",
            PayMethod::SepaDebit => cur == "EUR" && crate::bank::SEPA.contains(&c),
            PayMethod::Ideal => c == "NL" && cur == "EUR",
            PayMethod::Bancontact => c == "BE" && cur == "EUR",
            PayMethod::Mpesa => c == "KE" && cur == "KES",
        }
    }

    /// The methods that can pay for an order delivered to `country` in `currency`, the card
    /// last (fans reach for their own market's method first).
    pub fn offered_for(country: Country, currency: Currency) -> Vec<PayMethod> {
        let mut v: Vec<PayMethod> =
            PayMethod::ALL.into_iter().filter(|m| *m != PayMethod::Card && m.offered(country, currency)).collect();
        v.push(PayMethod::Card);
        v
    }
}

/// What the fan must do for a payment that waits for them, as the provider described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentAction {
    /// Follow this address (the wallet's or bank's page, or the card's second step).
    Redirect { url: String },
    /// Scan this with the wallet app (a URL or the wallet's own payload).
    Qr { data: String },
    /// Pay this number in a convenience store before `expires_at` (Unix seconds); `url` is the
    /// provider's printable voucher where it has one.
    Voucher {
        number: String,
        expires_at: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Approve the prompt sent to the phone ending in these digits.
    PhonePush { phone_last4: String },
    /// Nothing: the bank is debiting the account ending in these characters.
    Debit { account_last4: String },
}

impl PaymentAction {
    /// The action as the JSON kept with the order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Option<PaymentAction> {
        serde_json::from_str(s).ok()
    }
}

/// Why a phone number cannot take an M-Pesa prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("an M-Pesa number is a Kenyan mobile number, such as 0712 345 678 or +254 712 345 678")]
    NotKenyanMobile,
}

/// A Kenyan mobile number (`07…`, `01…`, `+2547…`, `2541…`, spaces and dashes allowed) in the
/// form M-Pesa takes: `254` and nine digits.
pub fn mpesa_phone(input: &str) -> Result<String, PhoneError> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let rest = if let Some(r) = digits.strip_prefix("+254") {
        r
    } else if let Some(r) = digits.strip_prefix("254") {
        r
    } else if let Some(r) = digits.strip_prefix('0') {
        r
    } else {
        return Err(PhoneError::NotKenyanMobile);
    };
    let ok = rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) && matches!(rest.as_bytes()[0], b'7' | b'1');
    if ok {
        Ok(format!("254{rest}"))
    } else {
        Err(PhoneError::NotKenyanMobile)
    }
}

/// The last four characters of a number or account, for showing which one is meant.
pub fn last4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(c: &str, cur: &str) -> Vec<PayMethod> {
        PayMethod::offered_for(Country::parse(c).expect("country"), Currency::parse(cur).expect("currency"))
    }

    #[test]
    fn each_market_gets_its_own_methods_and_the_card() {
        assert_eq!(at("CN", "CNY"), [PayMethod::Alipay, PayMethod::WechatPay, PayMethod::Card]);
        assert_eq!(at("KR", "KRW"), [PayMethod::KakaoPay, PayMethod::Card]);
        assert_eq!(at("JP", "JPY"), [PayMethod::Konbini, PayMethod::Card]);
        assert_eq!(at("NL", "EUR"), [PayMethod::SepaDebit, PayMethod::Ideal, PayMethod::Card]);
        assert_eq!(at("BE", "EUR"), [PayMethod::SepaDebit, PayMethod::Bancontact, PayMethod::Card]);
        assert_eq!(at("FR", "EUR"), [PayMethod::SepaDebit, PayMethod::Card]);
        assert_eq!(at("KE", "KES"), [PayMethod::Mpesa, PayMethod::Card]);
        assert_eq!(at("US", "USD"), [PayMethod::Card]);
    }

    #[test]
    fn a_method_is_offered_only_in_a_currency_it_can_pay_in() {
        // A fan in Japan who chose dollars cannot pay a yen voucher; one in Kenya paying in
        // euros has no M-Pesa; euros alone do not make a debit possible outside SEPA.
        assert_eq!(at("JP", "USD"), [PayMethod::Card]);
        assert_eq!(at("KE", "EUR"), [PayMethod::Card]);
        assert_eq!(at("CN", "USD"), [PayMethod::Card]);
        assert_eq!(at("US", "EUR"), [PayMethod::Card]);
        assert_eq!(at("KR", "JPY"), [PayMethod::Card]);
    }

    #[test]
    fn codes_read_back_and_flows_are_the_methods_shapes() {
        for m in PayMethod::ALL {
            assert_eq!(PayMethod::parse(m.code()), Some(m));
        }
        assert_eq!(PayMethod::parse("bitcoin"), None);
        assert_eq!(PayMethod::Konbini.flow(), Flow::Voucher);
        assert_eq!(PayMethod::WechatPay.flow(), Flow::Qr);
        assert_eq!(PayMethod::Mpesa.flow(), Flow::PhonePush);
        assert_eq!(PayMethod::SepaDebit.flow(), Flow::Debit);
        assert_eq!(PayMethod::Ideal.flow(), Flow::Redirect);
        assert!(!PayMethod::Card.captures_at_once() && !PayMethod::KakaoPay.captures_at_once());
        assert!(PayMethod::Konbini.captures_at_once() && PayMethod::Mpesa.captures_at_once());
    }

    #[test]
    fn actions_keep_their_shape_through_json() {
        let v = PaymentAction::Voucher { number: "1234-5678-901".into(), expires_at: 1_800_000_000, url: None };
        assert_eq!(PaymentAction::from_json(&v.to_json()), Some(v.clone()));
        assert!(v.to_json().contains("\"type\":\"voucher\""));
        let q = PaymentAction::Qr { data: "weixin://wxpay/bizpayurl?pr=abc".into() };
        assert_eq!(PaymentAction::from_json(&q.to_json()), Some(q));
        assert_eq!(PaymentAction::from_json("{\"type\":\"teleport\"}"), None);
    }

    #[test]
    fn kenyan_mobile_numbers_are_read_in_every_usual_form() {
        for s in ["0712345678", "0712 345 678", "+254712345678", "254 712-345-678", "0112345678"] {
            let got = mpesa_phone(s).expect(s);
            assert_eq!(got.len(), 12, "{s}");
            assert!(got.starts_with("2547") || got.starts_with("2541"), "{s}");
        }
        for s in ["", "712345678", "+255712345678", "0212345678", "07123456789", "07123x5678"] {
            assert_eq!(mpesa_phone(s), Err(PhoneError::NotKenyanMobile), "{s}");
        }
        assert_eq!(last4("254712345678"), "5678");
        assert_eq!(last4("ab"), "ab");
    }
}
