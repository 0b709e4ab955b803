//! Payments, the pure parts (DESIGN §3.7, §4): card numbers checked and reduced to a
//! fingerprint that is safe to keep (the number itself is never stored or logged), the sandbox
//! provider's test cards, and webhook signatures in the Standard Webhooks style
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("a card number has 12 to 19 digits")]
    Length,
    #[error("the card number is mistyped (its check digit does not match)")]
    CheckDigit,
    #[error("the sandbox accepts only its test cards, such as 4242 4242 4242 4242")]
    NotATestCard,
}

/// A card number with spaces and dashes removed, checked by length and the Luhn digit.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl std::fmt::Debug for CardNumber {
    /// Never prints the number: only its last four digits.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber(…{})", self.last4())
    }
}

impl CardNumber {
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Length);
        }
        if !luhn_valid(&digits) {
            return Err(CardError::CheckDigit);
        }
        Ok(CardNumber(digits))
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }

    /// The network, as receipts name it.
    pub fn brand(&self) -> &'static str {
        match self.0.as_bytes() {
            [b'4', ..] => "Visa",
            [b'5', b'1'..=b'5', ..] | [b'2', b'2'..=b'7', ..] => "Mastercard",
            [b'3', b'4' | b'7', ..] => "American Express",
            [b'3', b'5', ..] => "JCB",
            [b'6', b'2', ..] => "UnionPay",
            _ => "Card",
        }
    }

    /// A stable identifier of the card that reveals nothing of the number: HMAC-SHA256 under
    /// the provider's secret, hex, 32 characters. Per-fan limits count cards by it.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let mut out = hex_lower(&mac(secret, self.0.as_bytes()));
        out.truncate(32);
        out
    }
}

/// The Luhn check over a string of digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// What the sandbox does with a test card (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxCard {
    /// `4242 4242 4242 4242`: authorized and captured.
    Succeeds,
    /// `4000 0000 0000 0002`: declined by the issuer.
    Declined,
    /// `4000 0000 0000 9995`: declined for insufficient funds.
    InsufficientFunds,
    /// `4000 0025 0000 3155`: needs a second confirmation step before it is authorized.
    RequiresAction,
}

impl SandboxCard {
    pub fn of(card: &CardNumber) -> Result<SandboxCard, CardError> {
        match card.0.as_str() {
            // Two more cards that succeed, as other fans' cards (a drop's per-fan limit counts
            // each card apart).
            "4242424242424242" | "4000056655665556" | "5200828282828210" => Ok(SandboxCard::Succeeds),
            "4000000000000002" => Ok(SandboxCard::Declined),
            "4000000000009995" => Ok(SandboxCard::InsufficientFunds),
            "4000002500003155" => Ok(SandboxCard::RequiresAction),
            _ => Err(CardError::NotATestCard),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SandboxCard::Succeeds => "succeeds",
            SandboxCard::Declined => "declined",
            SandboxCard::InsufficientFunds => "insufficient_funds",
            SandboxCard::RequiresAction => "requires_action",
        }
    }

    pub fn parse(s: &str) -> Option<SandboxCard> {
        [SandboxCard::Succeeds, SandboxCard::Declined, SandboxCard::InsufficientFunds, SandboxCard::RequiresAction]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// The decline code a provider reports, when the card is declined.
    pub fn decline_code(self) -> Option<&'static str> {
        match self {
            SandboxCard::Declined => Some("card_declined"),
            SandboxCard::InsufficientFunds => Some("insufficient_funds"),
            SandboxCard::Succeeds | SandboxCard::RequiresAction => None,
        }
    }
}

fn mac(secret: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// The `webhook-signature` header value for a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the shared secret.
pub fn sign_webhook(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1,{}", B64.encode(mac(secret, &signed)))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook has no valid v1 signature")]
    BadSignature,
    #[error("the webhook's timestamp is {0} s away from now, more than the tolerance")]
    Stale(i64),
    #[error("the webhook's headers are incomplete")]
    Missing,
}

/// Seconds a webhook's timestamp may differ from now (replays older than this are refused).
pub const WEBHOOK_TOLERANCE_SECS: i64 = 5 * 60;

/// Verifies a webhook: any of the space-separated `v1,` signatures must match (providers send
/// several while they rotate secrets), compared in constant time, and the timestamp must be
/// within the tolerance of `now` (Unix seconds).
pub fn verify_webhook(
    secret: &[u8],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), WebhookError> {
    if id.is_empty() || signatures.is_empty() {
        return Err(WebhookError::Missing);
    }
    let ts: i64 = timestamp.trim().parse().map_err(|_| WebhookError::Missing)?;
    let drift = (now - ts).abs();
    if drift > WEBHOOK_TOLERANCE_SECS {
        return Err(WebhookError::Stale(drift));
    }
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(body);
    let Ok(mut expected) = HmacSha256::new_from_slice(secret) else { return Err(WebhookError::BadSignature) };
    expected.update(&signed);
    let ok = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| B64.decode(s).ok())
        .any(|sig| expected.clone().verify_slice(&sig).is_ok());
    if ok {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn card_numbers_are_checked_and_never_printed() {
        let card = CardNumber::parse("4242 4242 4242 4242").expect("valid");
        assert_eq!((card.last4(), card.brand()), ("4242", "Visa"));
        assert_eq!(format!("{card:?}"), "CardNumber(…4242)", "Debug shows the last four only");
        assert_eq!(CardNumber::parse("4242 4242 4242 4241"), Err(CardError::CheckDigit));
        assert_eq!(CardNumber::parse("4242"), Err(CardError::Length));
        assert_eq!(CardNumber::parse("4242-4242-4242-424x"), Err(CardError::Length));
        assert_eq!(CardNumber::parse("5555555555554444").map(|c| c.brand()), Ok("Mastercard"));
    }

    #[test]
    fn the_sandbox_test_cards_of_the_design() {
        let of = |n: &str| CardNumber::parse(n).and_then(|c| SandboxCard::of(&c));
        assert_eq!(of("4242424242424242"), Ok(SandboxCard::Succeeds));
        assert_eq!(of("4000056655665556"), Ok(SandboxCard::Succeeds));
        assert_eq!(of("5200828282828210"), Ok(SandboxCard::Succeeds));
        assert_eq!(of("4000000000000002"), Ok(SandboxCard::Declined));
        assert_eq!(of("4000000000009995"), Ok(SandboxCard::InsufficientFunds));
        assert_eq!(of("4000002500003155"), Ok(SandboxCard::RequiresAction));
        assert_eq!(of("5555555555554444"), Err(CardError::NotATestCard), "a real-looking card is refused");
        assert_eq!(SandboxCard::InsufficientFunds.decline_code(), Some("insufficient_funds"));
    }

    #[test]
    fn fingerprints_are_stable_per_secret_and_reveal_nothing() {
        let a = CardNumber::parse("4242424242424242").expect("card");
        let b = CardNumber::parse("4000000000000002").expect("card");
        assert_eq!(a.fingerprint(b"s1"), a.fingerprint(b"s1"));
        assert_ne!(a.fingerprint(b"s1"), b.fingerprint(b"s1"));
        assert_ne!(a.fingerprint(b"s1"), a.fingerprint(b"s2"));
        assert_eq!(a.fingerprint(b"s1").len(), 32);
        assert!(!a.fingerprint(b"s1").contains("4242"));
    }

    #[test]
    fn webhook_signatures_match_the_standard_webhooks_reference() {
        // The Standard Webhooks specification's example: secret (base64 of the key),
        // msg_p5jXN8AQM9LWM0D4loKWxJek, 1614265330, {"test": 2432232314}.
        let key = B64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let sig = sign_webhook(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let ok = verify_webhook(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &format!("v1,bm90aGluZw== {sig}"),
            br#"{"test": 2432232314}"#,
            1614265330 + 60,
        );
        assert_eq!(ok, Ok(()), "any of several signatures may match");
        let tampered = verify_webhook(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            br#"{"test": 2432232315}"#,
            1614265330,
        );
        assert_eq!(tampered, Err(WebhookError::BadSignature));
        let late = verify_webhook(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            br#"{"test": 2432232314}"#,
            1614265330 + 301,
        );
        assert_eq!(late, Err(WebhookError::Stale(301)));
        assert_eq!(verify_webhook(&key, "", "1", &sig, b"", 1), Err(WebhookError::Missing));
    }

    proptest! {
        #[test]
        fn any_single_mistyped_digit_is_caught(pos in 0usize..16, delta in 1u8..10) {
            let good = "4242424242424242";
            let mut bytes = good.as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert_eq!(CardNumber::parse(&typo), Err(CardError::CheckDigit));
        }

        #[test]
        fn a_signed_webhook_verifies_and_any_other_body_does_not(body in proptest::collection::vec(any::<u8>(), 0..200), flip in any::<usize>()) {
            let sig = sign_webhook(b"secret", "msg_1", 1_700_000_000, &body);
            prop_assert_eq!(verify_webhook(b"secret", "msg_1", "1700000000", &sig, &body, 1_700_000_000), Ok(()));
            let mut other = body.clone();
            if other.is_empty() { other.push(1) } else { let i = flip % other.len(); other[i] ^= 0x40; }
            prop_assert_eq!(verify_webhook(b"secret", "msg_1", "1700000000", &sig, &other, 1_700_000_000), Err(WebhookError::BadSignature));
        }
    }
}
