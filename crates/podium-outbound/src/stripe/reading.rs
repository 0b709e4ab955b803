//! Reading Stripe's answers as Podium's payments: an intent's status, method, card or account,
//! what its `next_action` asks of the fan (a redirect, a QR code, a voucher), and the intent an
//! event concerns.

use podium_app::payments::{PaymentError, PaymentState, PaymentStatus, WebhookEvent};
use podium_domain::pay_method::{PayMethod, PaymentAction};
use serde_json::Value;
use time::OffsetDateTime;

use super::REFERENCE;

pub(super) fn ids_of(list: &Value, reference: &str) -> Vec<String> {
    list["data"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter(|i| i["metadata"][REFERENCE].as_str() == Some(reference))
                .filter_map(|i| i["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// An intent as Podium sees a payment.
pub(super) fn state_of(v: &Value) -> Result<PaymentState, PaymentError> {
    let id = v["id"].as_str().ok_or_else(|| PaymentError::Provider("Stripe answered an intent without id".into()))?;
    let amount = v["amount"].as_i64().unwrap_or(0);
    let charge = &v["latest_charge"];
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let error = &v["last_payment_error"];
    let error_code = [&error["decline_code"], &error["code"]].into_iter().find_map(|c| c.as_str()).map(String::from);
    let status = match v["status"].as_str().unwrap_or_default() {
        "requires_capture" => PaymentStatus::Authorized,
        "succeeded" if refunded > 0 => PaymentStatus::Refunded,
        "succeeded" => PaymentStatus::Captured,
        "canceled" => PaymentStatus::Voided,
        "requires_payment_method" => PaymentStatus::Declined,
        // A debit: the bank answers later, the fan has nothing to do.
        "processing" => PaymentStatus::Processing,
        // requires_action, requires_confirmation: waiting for the fan.
        _ => PaymentStatus::RequiresAction,
    };
    let captured =
        if status.charged() { v["amount_received"].as_i64().filter(|a| *a > 0).unwrap_or(amount) } else { 0 };
    // How the fan pays: the method's type where it is expanded, else the intent's only type.
    let pm = &v["payment_method"];
    let method = pm["type"]
        .as_str()
        .or_else(|| v["payment_method_types"][0].as_str())
        .and_then(PayMethod::parse)
        .unwrap_or(PayMethod::Card);
    let (next_action, action, due_at) = if v["status"].as_str() == Some("requires_action") {
        action_of(id, &v["next_action"])
    } else {
        (None, None, None)
    };
    // The card as Stripe describes it: a PaymentMethod's `card`, or a Card object itself; a
    // debit's account likewise.
    let card = if pm["card"].is_object() {
        &pm["card"]
    } else if pm["sepa_debit"].is_object() {
        &pm["sepa_debit"]
    } else {
        pm
    };
    let text = |k: &str| card[k].as_str().unwrap_or_default().to_string();
    let action = match (status, action) {
        (PaymentStatus::Processing, _) => Some(PaymentAction::Debit { account_last4: text("last4") }),
        (_, a) => a,
    };
    Ok(PaymentState {
        id: id.to_string(),
        reference: v["metadata"][REFERENCE].as_str().unwrap_or_default().to_string(),
        amount,
        currency: v["currency"].as_str().unwrap_or_default().to_ascii_uppercase(),
        status,
        decline_code: (status == PaymentStatus::Declined)
            .then(|| error_code.unwrap_or_else(|| "payment_method_required".into())),
        captured,
        refunded,
        brand: if method == PayMethod::Card { brand_name(&text("brand")) } else { method.brand().to_string() },
        last4: text("last4"),
        fingerprint: text("fingerprint"),
        created_at: OffsetDateTime::from_unix_timestamp(v["created"].as_i64().unwrap_or(0))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        next_action,
        method,
        action,
        due_at,
    })
}

/// What Stripe's `next_action` asks of the fan: a redirect (3-D Secure, a wallet's or bank's
/// page), a QR code (WeChat Pay), a voucher (Konbini), or Stripe.js (Podium's page runs it).
fn action_of(id: &str, next: &Value) -> (Option<String>, Option<PaymentAction>, Option<OffsetDateTime>) {
    let url = |v: &Value| v["url"].as_str().map(String::from);
    let redirect = url(&next["redirect_to_url"]).or_else(|| url(&next["alipay_handle_redirect"]));
    if let Some(u) = redirect {
        return (Some(u.clone()), Some(PaymentAction::Redirect { url: u }), None);
    }
    let qr = &next["wechat_pay_display_qr_code"];
    if let Some(data) = qr["data"].as_str() {
        return (None, Some(PaymentAction::Qr { data: data.to_string() }), None);
    }
    let k = &next["konbini_display_details"];
    if k.is_object() {
        let expires_at = k["expires_at"].as_i64().unwrap_or(0);
        // Every chain's payment code is the same payment; the first one named is shown.
        let stores = &k["stores"];
        let number = ["familymart", "lawson", "ministop", "seicomart"]
            .iter()
            .find_map(|s| {
                let st = &stores[*s];
                st["confirmation_number"].as_str().or_else(|| st["payment_code"].as_str())
            })
            .unwrap_or_default()
            .to_string();
        let voucher =
            PaymentAction::Voucher { number, expires_at, url: k["hosted_voucher_url"].as_str().map(String::from) };
        return (None, Some(voucher), OffsetDateTime::from_unix_timestamp(expires_at).ok());
    }
    let page = format!("/checkout/stripe/{id}/authenticate");
    (Some(page.clone()), Some(PaymentAction::Redirect { url: page }), None)
}

/// Stripe's brand names (`visa`, `amex`) as the sandbox shows them.
fn brand_name(brand: &str) -> String {
    match brand.to_ascii_lowercase().as_str() {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" | "american express" => "American Express".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        "discover" => "Discover".into(),
        "" => "Card".into(),
        other => other.to_string(),
    }
}

/// A Stripe event as Podium reads it: the intent it concerns, found on the object the event
/// carries (an intent, a charge, a refund or a dispute).
pub(super) fn event_of(event: &Value) -> Option<WebhookEvent> {
    let id = event["id"].as_str()?.to_string();
    let kind = event["type"].as_str()?.to_string();
    let object = &event["data"]["object"];
    let (payment_id, reference) = match object["object"].as_str() {
        Some("payment_intent") => (
            object["id"].as_str().unwrap_or_default().to_string(),
            object["metadata"][REFERENCE].as_str().unwrap_or_default().to_string(),
        ),
        _ => {
            let intent = &object["payment_intent"];
            let pi = intent.as_str().or_else(|| intent["id"].as_str()).unwrap_or_default().to_string();
            (pi, String::new())
        }
    };
    let dispute = (object["object"].as_str() == Some("dispute")).then(|| podium_app::disputes::Contested {
        id: object["id"].as_str().unwrap_or_default().to_string(),
        payment_id: payment_id.clone(),
        amount: object["amount"].as_i64().unwrap_or(0),
        reason: object["reason"].as_str().unwrap_or("general").to_string(),
        outcome: match object["status"].as_str() {
            Some(s @ ("won" | "lost" | "warning_closed")) => s.to_string(),
            _ => String::new(),
        },
    });
    let dispute = dispute.filter(|d| !d.id.is_empty());
    Some(WebhookEvent { id, kind, payment_id, reference, created_at: event["created"].as_i64().unwrap_or(0), dispute })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intents_read_as_payments() {
        let authorised = json!({
            "id": "pi_1", "amount": 1500, "currency": "jpy", "status": "requires_capture", "created": 1_796_000_000,
            "metadata": {"podium_reference": "order-1"},
            "payment_method": {"card": {"brand": "visa", "last4": "4242", "fingerprint": "fp1"}},
        });
        let p = state_of(&authorised).expect("state");
        assert_eq!(
            (p.status, p.amount, p.currency.as_str(), p.reference.as_str()),
            (PaymentStatus::Authorized, 1500, "JPY", "order-1")
        );
        assert_eq!((p.brand.as_str(), p.last4.as_str(), p.captured), ("Visa", "4242", 0));
        let declined =
            json!({"id": "pi_2", "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}});
        assert_eq!(state_of(&declined).expect("state").decline_code.as_deref(), Some("card_declined"));
        let action = json!({"id": "pi_3", "status": "requires_action", "next_action": {"type": "use_stripe_sdk"}});
        assert_eq!(
            state_of(&action).expect("state").next_action.as_deref(),
            Some("/checkout/stripe/pi_3/authenticate")
        );
        let refunded =
            json!({"id": "pi_4", "amount": 900, "status": "succeeded", "latest_charge": {"amount_refunded": 300}});
        let p = state_of(&refunded).expect("state");
        assert_eq!((p.status, p.captured, p.refunded), (PaymentStatus::Refunded, 900, 300));
    }

    #[test]
    fn events_name_their_intent_whatever_object_they_carry() {
        let refund = json!({"id": "evt_1", "type": "charge.refunded", "created": 5,
            "data": {"object": {"object": "charge", "id": "ch_1", "payment_intent": "pi_9"}}});
        let e = event_of(&refund).expect("event");
        assert_eq!((e.payment_id.as_str(), e.reference.as_str()), ("pi_9", ""));
        let paid = json!({"id": "evt_2", "type": "payment_intent.succeeded",
            "data": {"object": {"object": "payment_intent", "id": "pi_9", "metadata": {"podium_reference": "o"}}}});
        assert_eq!(event_of(&paid).expect("event").reference, "o");
        assert!(super::super::path_id("pi_1/../x").is_err());
    }

    // The shapes below are Stripe's documented answers (API version 2024-06-20) for the local
    // methods localstripe does not implement.

    #[test]
    fn a_konbini_intent_reads_as_a_voucher_with_its_number_and_expiry() {
        let konbini = json!({
            "id": "pi_k", "object": "payment_intent", "amount": 6413, "currency": "jpy", "status": "requires_action",
            "payment_method_types": ["konbini"], "metadata": {"podium_reference": "order-k"},
            "next_action": {"type": "konbini_display_details", "konbini_display_details": {
                "expires_at": 1_797_000_000,
                "hosted_voucher_url": "https://payments.stripe.com/konbini/voucher/test_YWNjdF8",
                "stores": {
                    "familymart": {"confirmation_number": "22222222222", "payment_code": "123456"},
                    "lawson": {"confirmation_number": "22222222222", "payment_code": "123456"},
                    "ministop": {"confirmation_number": "22222222222", "payment_code": "123456"},
                    "seicomart": {"confirmation_number": "22222222222", "payment_code": "123456"}}}}
        });
        let p = state_of(&konbini).expect("state");
        assert_eq!(
            (p.status, p.method, p.brand.as_str()),
            (PaymentStatus::RequiresAction, PayMethod::Konbini, "Konbini")
        );
        assert_eq!(p.next_action, None, "nothing to follow: the fan pays in a shop");
        assert_eq!(
            p.action,
            Some(PaymentAction::Voucher {
                number: "22222222222".into(),
                expires_at: 1_797_000_000,
                url: Some("https://payments.stripe.com/konbini/voucher/test_YWNjdF8".into()),
            })
        );
        assert_eq!(p.due_at.map(OffsetDateTime::unix_timestamp), Some(1_797_000_000));
    }

    #[test]
    fn wallets_and_banks_read_as_qr_codes_and_redirects() {
        let wechat = json!({"id": "pi_w", "status": "requires_action", "payment_method_types": ["wechat_pay"],
            "next_action": {"type": "wechat_pay_display_qr_code", "wechat_pay_display_qr_code": {
                "data": "weixin://wxpay/bizpayurl?pr=test", "image_url_png": "https://qr.stripe.com/test.png"}}});
        let p = state_of(&wechat).expect("state");
        assert_eq!(p.method, PayMethod::WechatPay);
        assert_eq!(p.action, Some(PaymentAction::Qr { data: "weixin://wxpay/bizpayurl?pr=test".into() }));
        assert_eq!(p.next_action, None);
        let alipay = json!({"id": "pi_a", "status": "requires_action", "payment_method": {"type": "alipay"},
            "next_action": {"type": "alipay_handle_redirect", "alipay_handle_redirect": {
                "url": "https://hooks.stripe.com/redirect/authenticate/src_test", "return_url": "https://shop/checkout/return"}}});
        let p = state_of(&alipay).expect("state");
        assert_eq!(p.method, PayMethod::Alipay);
        assert_eq!(p.next_action.as_deref(), Some("https://hooks.stripe.com/redirect/authenticate/src_test"));
        let ideal = json!({"id": "pi_i", "status": "requires_action", "payment_method": {"type": "ideal"},
            "next_action": {"type": "redirect_to_url", "redirect_to_url": {"url": "https://ideal.example/bank"}}});
        let p = state_of(&ideal).expect("state");
        assert_eq!((p.method, p.next_action.as_deref()), (PayMethod::Ideal, Some("https://ideal.example/bank")));
        assert_eq!(p.action, Some(PaymentAction::Redirect { url: "https://ideal.example/bank".into() }));
    }

    #[test]
    fn a_voucher_lasts_the_days_it_was_given() {
        let now = OffsetDateTime::from_unix_timestamp(1_796_000_000).expect("time");
        let days = |d: time::Duration| super::super::voucher_days(now + d, now);
        assert_eq!(days(time::Duration::days(3) - time::Duration::milliseconds(5)), 3, "not two");
        assert_eq!(days(time::Duration::days(3)), 3);
        assert_eq!(days(time::Duration::seconds(6)), 1, "at least one");
        assert_eq!(days(time::Duration::days(90)), 60, "Stripe's longest");
    }

    #[test]
    fn a_debit_in_processing_waits_for_the_bank() {
        let sepa = json!({"id": "pi_s", "status": "processing", "amount": 5761, "currency": "eur",
            "payment_method": {"type": "sepa_debit", "sepa_debit": {"last4": "3000", "fingerprint": "fpS"}}});
        let p = state_of(&sepa).expect("state");
        assert_eq!((p.status, p.method, p.last4.as_str()), (PaymentStatus::Processing, PayMethod::SepaDebit, "3000"));
        assert_eq!(p.action, Some(PaymentAction::Debit { account_last4: "3000".into() }));
        assert_eq!(p.fingerprint, "fpS", "the account's fingerprint counts like a card's");
        assert!(!p.status.charged());
    }
}
