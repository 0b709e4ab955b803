//! Idempotent requests: a piece of work runs once per (scope, key, request body), whichever node
//! receives the retry. The first request claims the key with a lease; a retry with the same body
//! gets the stored answer, one with another body is refused, and one that arrives while the first
//! still runs waits for it. Server errors are not kept, so such a request may be retried.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::checkout::sha256_hex;
use crate::orders::IdempotencyClaim;
use crate::{Clock, Store, StoreError};

/// How long a claim holds before another node may take the key over (the holder died).
pub const LEASE: time::Duration = time::Duration::seconds(60);

/// How long a retry waits for the first request to finish before giving up.
pub const WAIT: Duration = Duration::from_secs(15);

/// An answer to keep and replay: an HTTP-like status and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Whether it was stored by an earlier request with the same key (a replay).
    pub replayed: bool,
}

/// Why the work did not run and no stored answer exists to give.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("this key was used with a different request body")]
    Mismatch,
    #[error("the first request with this key is still running")]
    StillRunning,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs `work` once per (`scope`, `key`, `body`); without a key it simply runs. `work` answers
/// (status, body); answers of 500 and above are not kept.
pub async fn once<F, Fut>(
    store: &dyn Store,
    clock: &dyn Clock,
    scope: &str,
    key: Option<&str>,
    body: &[u8],
    work: F,
) -> Result<Answer, Refused>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = (u16, String)>,
{
    let Some(key) = key else {
        let (status, body) = work().await;
        return Ok(Answer { status, body, replayed: false });
    };
    let hash = sha256_hex(body);
    let started = Instant::now();
    loop {
        match store.claim_idempotency(scope, key, &hash, clock.now(), LEASE).await? {
            IdempotencyClaim::Done(status, body) => return Ok(Answer { status, body, replayed: true }),
            IdempotencyClaim::Mismatch => return Err(Refused::Mismatch),
            IdempotencyClaim::Running => {
                if started.elapsed() > WAIT {
                    return Err(Refused::StillRunning);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            IdempotencyClaim::Claimed => {
                let (status, out) = work().await;
                let answer = (status < 500).then_some((status, out.as_str()));
                if let Err(e) = store.finish_idempotency(scope, key, answer).await {
                    tracing::warn!(error = %e, "could not store the idempotent answer");
                }
                return Ok(Answer { status, body: out, replayed: false });
            }
        }
    }
}
