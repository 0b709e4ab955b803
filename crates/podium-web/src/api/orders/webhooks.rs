//! Payment providers' signed webhooks: the sandbox's (Standard Webhooks headers) and Stripe's
//! (`Stripe-Signature`). Each is verified, applied once per event id, and settles the order
//! against the payment's current state at the provider, so late, repeated and reordered events
//! do no harm.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use podium_app::checkout;
use podium_app::payments::{PaymentProvider, WebhookEvent, WebhookHeaders};

use crate::api::orders::checkout_problem;
use crate::kit::error::{ApiError, Problem};
use crate::AppState;

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn refused(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad-webhook", "The webhook was refused", e.to_string())
}

async fn apply(
    state: &AppState,
    provider: &dyn PaymentProvider,
    event: WebhookEvent,
) -> Result<Json<serde_json::Value>, ApiError> {
    let first = checkout::on_webhook(state.store.as_ref(), provider, &event, state.clock.now())
        .await
        .map_err(|e| checkout_problem(e, None))?;
    Ok(Json(serde_json::json!({"received": event.id, "duplicate": !first})))
}

/// The sandbox provider's webhooks: verified (Standard Webhooks signature), applied once per
/// event id, the order settled against the payment's current state.
#[utoipa::path(post, path = "/api/v1/webhooks/sandbox", tag = "checkout",
    params(("webhook-id" = String, Header), ("webhook-timestamp" = String, Header), ("webhook-signature" = String, Header)),
    responses((status = 200, description = "Applied (or a duplicate, recognised)"), (status = 400, body = Problem, description = "Bad or stale signature")))]
pub async fn sandbox_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let hdrs = WebhookHeaders {
        id: header(&headers, "webhook-id"),
        timestamp: header(&headers, "webhook-timestamp"),
        signature: header(&headers, "webhook-signature"),
    };
    let event = state.sandbox.verify_webhook(&hdrs, &body, state.clock.now()).map_err(refused)?;
    apply(&state, state.sandbox.as_ref(), event).await
}

/// Stripe's webhooks (`payment_intent.succeeded`, `.payment_failed`, `.canceled`,
/// `charge.refunded`, `charge.dispute.created`, `charge.dispute.closed`): believed only with a
/// `Stripe-Signature` made with the endpoint's signing secret within five minutes (400 without
/// one); answered 404 when the marketplace does not take payments through Stripe.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", tag = "checkout",
    params(("Stripe-Signature" = String, Header)),
    responses((status = 200, description = "Applied (or a duplicate, recognised)"), (status = 400, body = Problem, description = "Bad or stale signature"),
              (status = 404, body = Problem, description = "Payments do not go through Stripe here")))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let signature = header(&headers, "stripe-signature");
    if signature.trim().is_empty() {
        return Err(refused("the Stripe-Signature header is missing"));
    }
    if state.payments.name() != "stripe" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "this marketplace does not take payments through Stripe",
        ));
    }
    let hdrs = WebhookHeaders { signature, ..WebhookHeaders::default() };
    let event = state.payments.verify_webhook(&hdrs, &body, state.clock.now()).map_err(refused)?;
    let provider = state.payments.clone();
    apply(&state, provider.as_ref(), event).await
}
