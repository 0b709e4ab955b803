//! Work every node runs in the background, over the ports: delivering the sandbox provider's
//! queued webhooks through a [`WebhookPoster`] (signed, to the marketplace's own endpoint, late
//! and out of order as a real provider would), and settling orders left waiting for payment.

use async_trait::async_trait;

use crate::payments::{SandboxProvider, WebhookHeaders};
use crate::{Clock, Store};

/// A webhook signed and ready to post.
#[derive(Debug, Clone)]
pub struct SignedWebhook {
    pub event_id: String,
    pub seq: i64,
    pub headers: WebhookHeaders,
    pub body: String,
}

/// Posts a webhook over HTTP; true when the endpoint accepted it (a 2xx answer).
#[async_trait]
pub trait WebhookPoster: Send + Sync {
    async fn post(&self, webhook: &SignedWebhook) -> bool;
}

/// Claims the webhooks due now (a lease of 30 s, so one node posts each) and signs them.
pub async fn due_webhooks(
    store: &dyn Store,
    clock: &dyn Clock,
    sandbox: &SandboxProvider,
    limit: i64,
) -> Vec<SignedWebhook> {
    let now = clock.now();
    match store.sandbox_due_webhooks(now, time::Duration::seconds(30), limit).await {
        Ok(due) => due
            .into_iter()
            .map(|w| {
                let (headers, body) = sandbox.sign(&w, now);
                SignedWebhook { event_id: w.event_id, seq: w.seq, headers, body }
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the webhook queue");
            Vec::new()
        }
    }
}

/// Delivers what is due; returns how many the endpoint accepted. Those are marked delivered
/// together once the batch is posted (a node that stops in between posts them again after
/// their lease: webhooks are applied once by event id, so a repeat does no harm).
pub async fn deliver_webhooks(
    store: &dyn Store,
    clock: &dyn Clock,
    sandbox: &SandboxProvider,
    poster: &dyn WebhookPoster,
) -> usize {
    let mut delivered = Vec::new();
    for w in due_webhooks(store, clock, sandbox, 50).await {
        if poster.post(&w).await {
            delivered.push((w.event_id, w.seq));
        }
    }
    if let Err(e) = store.sandbox_webhooks_delivered(&delivered, clock.now()).await {
        tracing::warn!(error = %e, "could not mark webhooks delivered");
    }
    delivered.len()
}

/// Settles orders left waiting for payment and completes delivered consignments whose return
/// window has passed (releasing their shops' money); returns how many changed.
pub async fn reconcile(store: &dyn Store, clock: &dyn Clock, provider: &dyn crate::payments::PaymentProvider) -> u64 {
    let now = clock.now();
    let settled = match crate::checkout::reconcile(store, provider, now).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "settling pending orders failed");
            0
        }
    };
    let completed = match crate::ledger::complete_due(store, now).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "completing delivered consignments failed");
            0
        }
    };
    settled + completed
}
