//! Authenticity look-ups by fans: a code is counted each time it is verified, and flagged as
//! suspicious when too many different clients, or more than one country, verified it.

use podium_domain::authenticity::{self, Code, CodeError};
use podium_domain::Country;
use time::OffsetDateTime;

use crate::catalogue::ProductRecord;
use crate::licensing::CodeState;
use crate::ports::{Store, StoreResult};

/// What a verification answers.
#[derive(Debug, Clone)]
pub struct Verification {
    pub code: Code,
    pub suspicious: bool,
    pub state: CodeState,
    pub product: Option<ProductRecord>,
}

/// Who looks a code up: the country a trusted proxy names, and the client as a keyed hash of its
/// address, so that clients can be told apart without their addresses being stored.
#[derive(Debug, Clone)]
pub struct Looker {
    pub country: Option<Country>,
    pub client: String,
}

impl Looker {
    /// `key` is the marketplace's shared key (the same on every node, so a client is one client
    /// whichever node it reaches); `address` the client's address as the connection sees it.
    pub fn new(key: &[u8], address: &str, country: Option<Country>) -> Looker {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(b"podium:code-verifier:");
        mac.update(address.as_bytes());
        let client = hex::encode(&mac.finalize().into_bytes()[..16]);
        Looker { country, client }
    }
}

/// Verifies a code for `looker`, counting the look-up. The code is suspicious when more than
/// `max_clients` different clients, or more than one country, verified it; one client looking
/// often (within its rate limit) does not make it so.
pub async fn verify(
    store: &dyn Store,
    code: Code,
    looker: &Looker,
    at: OffsetDateTime,
    max_clients: u64,
) -> StoreResult<Option<Verification>> {
    let country = looker.country.map(|c| c.code().to_string()).unwrap_or_default();
    let Some(state) = store.record_verification(code.as_str(), &country, &looker.client, at).await? else {
        return Ok(None);
    };
    let suspicious = authenticity::is_suspicious(state.countries as usize, state.clients as u64, max_clients);
    let product = store.products_by_ids(std::slice::from_ref(&state.product_id)).await?.into_iter().next();
    Ok(Some(Verification { code, suspicious, state, product }))
}

/// What looking up a typed code found.
#[derive(Debug)]
pub enum LookUp {
    Found(Box<Verification>),
    /// No such code: the label may not be genuine.
    Unknown,
    /// Not a code at all, and why.
    Malformed(CodeError),
    /// The client looked up more than its share this minute; it may try again in this many seconds.
    Limited(i64),
}

/// Limits on look-ups: how many per client per minute, and how many different clients make a
/// code suspicious.
#[derive(Debug, Clone, Copy)]
pub struct LookUpLimits {
    pub per_minute: i64,
    pub suspicious_after: u64,
}

/// Looks up a code as a fan typed it, for `looker` (whose connection's address is `address`) at
/// `now`: every look-up counts against the client's per-minute limit (kept in the store, so no
/// node lets codes be enumerated), and a well-formed code is verified and counted.
pub async fn look_up(
    store: &dyn Store,
    looker: &Looker,
    address: &str,
    raw: &str,
    now: OffsetDateTime,
    limits: LookUpLimits,
) -> StoreResult<LookUp> {
    let key = format!("verify:{address}");
    let (hits, window_end) = store.hit_rate_limit(&key, time::Duration::minutes(1), now).await?;
    if hits > limits.per_minute {
        return Ok(LookUp::Limited((window_end - now).whole_seconds().max(1)));
    }
    let code = match Code::parse(raw) {
        Ok(c) => c,
        Err(e) => return Ok(LookUp::Malformed(e)),
    };
    Ok(match verify(store, code, looker, now, limits.suspicious_after).await? {
        Some(v) => LookUp::Found(Box::new(v)),
        None => LookUp::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_told_apart_by_a_keyed_hash_never_its_address() {
        let a = Looker::new(b"key one", "203.0.113.7", None);
        assert!(!a.client.contains("203.0.113.7"), "{}", a.client);
        assert!(a.client.len() == 32 && a.client.chars().all(|c| c.is_ascii_hexdigit()), "{}", a.client);
        assert_eq!(a.client, Looker::new(b"key one", "203.0.113.7", None).client, "the same client each time");
        assert_ne!(a.client, Looker::new(b"key one", "203.0.113.8", None).client, "another client");
        assert_ne!(a.client, Looker::new(b"key two", "203.0.113.7", None).client, "another marketplace's key");
    }
}
