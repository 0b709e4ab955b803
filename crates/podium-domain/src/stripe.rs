//! Stripe's webhook signatures, checked before an event is believed: the `Stripe-Signature`
//! header carries a timestamp `t` and one or more `v1` signatures (several while a secret is
//! rolled), each the hex HMAC-SHA256 of `{t}.{payload}` under the endpoint's signing secret.
//! An event older or newer than the tolerance is refused, so a captured one cannot be replayed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Seconds an event's timestamp may differ from now (Stripe's own libraries use five minutes).
pub const TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("the event's timestamp is {0} s away from now, more than the tolerance")]
    Stale(i64),
}

fn hmac_of(secret: &str, t: i64, payload: &[u8]) -> Result<HmacSha256, SignatureError> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    Ok(mac)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() & 1 == 1 || s.len() > 256 {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    s.as_bytes().chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// The header Stripe would send for `payload` signed at `t` (the fake provider in tests signs
/// with it too).
pub fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
    let digest = hmac_of(secret, t, payload).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Checks `header` against `payload` at `now` (Unix seconds): some `v1` signature must match
/// (compared in constant time) and `t` must be within [`TOLERANCE_SECS`]. Answers `t`.
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<i64, SignatureError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let drift = now.saturating_sub(t).saturating_abs();
    if drift > TOLERANCE_SECS {
        return Err(SignatureError::Stale(drift));
    }
    let expected = hmac_of(secret, t, payload)?;
    let matches = signatures.iter().filter_map(|s| unhex(s)).any(|sig| expected.clone().verify_slice(&sig).is_ok());
    if matches {
        Ok(t)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// An amount Stripe cannot take as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("a payment must be positive")]
    NotPositive,
    /// Three-decimal currencies (BHD, JOD, KWD, OMR, TND) are charged in steps of ten minor units.
    #[error("{currency} is charged in steps of 10 of its minor unit; {minor} is not one")]
    NotTens { currency: String, minor: i64 },
}

/// The integer Stripe's `amount` takes for `money`: the currency's smallest unit as ISO 4217
/// defines it, which is what Podium keeps (1000 for ¥1,000 and ₩1,000: Stripe's zero-decimal
/// currencies are ISO's exponent-0 ones; 1050 for €10.50), except that three-decimal
/// currencies must end in 0.
pub fn amount(money: crate::Money) -> Result<i64, AmountError> {
    if money.minor <= 0 {
        return Err(AmountError::NotPositive);
    }
    if money.currency.exponent() == 3 && money.minor % 10 != 0 {
        return Err(AmountError::NotTens { currency: money.currency.code().to_string(), minor: money.minor });
    }
    Ok(money.minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, Money};

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).expect("currency"))
    }

    #[test]
    fn amounts_are_the_minor_units_podium_keeps() {
        assert_eq!(amount(money(1_000, "JPY")), Ok(1_000), "¥1,000 is 1000, not 100000");
        assert_eq!(amount(money(25_000, "KRW")), Ok(25_000));
        assert_eq!(amount(money(1_050, "EUR")), Ok(1_050));
        assert_eq!(amount(money(12_340, "KWD")), Ok(12_340));
        assert_eq!(amount(money(12_345, "KWD")), Err(AmountError::NotTens { currency: "KWD".into(), minor: 12_345 }));
        assert_eq!(amount(money(0, "GBP")), Err(AmountError::NotPositive));
    }

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_796_000_000;

    #[test]
    fn a_signature_made_with_the_secret_is_believed() {
        assert_eq!(verify(SECRET, &sign(SECRET, NOW, BODY), BODY, NOW + 30), Ok(NOW));
    }

    #[test]
    fn a_known_vector_is_the_hex_hmac_of_timestamp_dot_payload() {
        // HMAC-SHA256(key "key", message "1.{}"), computed with Python's hmac module.
        let expected = "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224";
        assert_eq!(sign("key", 1, b"{}"), expected);
        assert_eq!(verify("key", expected, b"{}", 1), Ok(1));
    }

    #[test]
    fn any_of_several_signatures_may_match_while_a_secret_is_rolled() {
        let good = sign(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").map(|(_, s)| s).unwrap_or_default();
        let header = format!("t={NOW},v1={},v1={v1},v0=ignored", "ab".repeat(32));
        assert_eq!(verify(SECRET, &header, BODY, NOW), Ok(NOW));
    }

    #[test]
    fn a_forged_or_tampered_event_is_refused() {
        assert_eq!(verify("whsec_other", &sign(SECRET, NOW, BODY), BODY, NOW), Err(SignatureError::Mismatch));
        let tampered = br#"{"id":"evt_1","type":"charge.refunded"}"#;
        assert_eq!(verify(SECRET, &sign(SECRET, NOW, BODY), tampered, NOW), Err(SignatureError::Mismatch));
        // The timestamp is signed too: moving it breaks the signature.
        let moved = sign(SECRET, NOW, BODY).replacen(&NOW.to_string(), &(NOW + 1).to_string(), 1);
        assert_eq!(verify(SECRET, &moved, BODY, NOW), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &format!("t={NOW},v1=zz"), BODY, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn old_and_future_events_are_refused_outside_five_minutes() {
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(verify(SECRET, &header, BODY, NOW + 300), Ok(NOW), "exactly five minutes is in time");
        assert_eq!(verify(SECRET, &header, BODY, NOW + 301), Err(SignatureError::Stale(301)));
        assert_eq!(verify(SECRET, &header, BODY, NOW - 400), Err(SignatureError::Stale(400)));
    }

    #[test]
    fn a_header_without_timestamp_or_v1_is_malformed() {
        for header in ["", "v1=abcd", &format!("t={NOW}"), &format!("t=soon,v1={}", "00".repeat(32))] {
            assert_eq!(verify(SECRET, header, BODY, NOW), Err(SignatureError::Malformed), "{header:?}");
        }
    }
}
