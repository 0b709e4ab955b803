//! Webhooks over HTTP/1.1 with hyper's client: the sandbox provider's signed events posted to
//! the marketplace's own endpoint, with a 10-second limit; a 2xx answer means accepted.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use podium_app::background::{SignedWebhook, WebhookPoster};

/// Posts to `http://{addr}{path}`.
pub struct HttpWebhookPoster {
    addr: String,
    path: String,
}

impl HttpWebhookPoster {
    pub fn new(addr: impl Into<String>, path: impl Into<String>) -> Self {
        HttpWebhookPoster { addr: addr.into(), path: path.into() }
    }

    async fn try_post(&self, w: &SignedWebhook) -> Result<bool, String> {
        let stream = tokio::net::TcpStream::connect(&self.addr).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        let driver = tokio::spawn(conn);
        let request = Request::post(self.path.as_str())
            .header(hyper::header::HOST, self.addr.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", w.headers.id.as_str())
            .header("webhook-timestamp", w.headers.timestamp.as_str())
            .header("webhook-signature", w.headers.signature.as_str())
            .body(Full::new(Bytes::from(w.body.clone())))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let accepted = response.status().is_success();
        // Read the answer to its end so the connection closes cleanly.
        let _ = response.into_body().collect().await;
        driver.abort();
        Ok(accepted)
    }
}

#[async_trait]
impl WebhookPoster for HttpWebhookPoster {
    async fn post(&self, w: &SignedWebhook) -> bool {
        match tokio::time::timeout(Duration::from_secs(10), self.try_post(w)).await {
            Ok(Ok(accepted)) => accepted,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, event = %w.event_id, "webhook delivery failed; it will be retried");
                false
            }
            Err(_) => false,
        }
    }
}
