//! Serving Podium on a listener: HTTP/1.1 connections with the limits a node on the open
//! internet needs, so that slow or idle clients cannot hold its sockets.
//!
//! Each connection has a watchdog that knows where the connection is:
//!
//! - **idle** (before the first request, and between requests): closed after `idle_timeout`
//!   without a byte either way;
//! - **reading a request's headers** (from its first byte): closed unless they are complete
//!   within `header_timeout` — one header line every few seconds does not keep it open;
//! - **answering**: a request's body must arrive whole within `body_timeout` of its headers;
//!   the handler itself has no deadline here.
//!
//! At most `max_connections` are served at once; further ones wait in the listen queue until one
//! closes. Requests in flight are shed per route class by [`crate::shedding`]. On shutdown no new
//! connection is accepted, idle ones close, and requests in flight are answered first.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long clients may take, and how many connections are served at once.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// From the first byte of a request to the end of its headers.
    pub header_timeout: Duration,
    /// From the end of a request's headers to the end of its body.
    pub body_timeout: Duration,
    /// Without a byte either way while no request is under way (before the first one too).
    pub idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Head,
    Busy,
}

/// One connection's phase and the moment it must have moved on by (None: no deadline).
struct Watchdog {
    state: Mutex<(Phase, Option<Instant>)>,
    changed: Notify,
    limits: ServerLimits,
}

impl Watchdog {
    fn new(limits: ServerLimits) -> Watchdog {
        Watchdog {
            state: Mutex::new((Phase::Idle, Some(Instant::now() + limits.idle_timeout))),
            changed: Notify::new(),
            limits,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (Phase, Option<Instant>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase, deadline: Option<Instant>) {
        *self.state() = (phase, deadline);
        self.changed.notify_one();
    }

    /// Bytes arrived: on an idle connection, a request has begun and its headers are timed.
    fn read_some(&self) {
        let mut s = self.state();
        if s.0 == Phase::Idle {
            *s = (Phase::Head, Some(Instant::now() + self.limits.header_timeout));
            drop(s);
            self.changed.notify_one();
        }
    }

    /// Bytes left: an idle connection sending a response's end is not idle.
    fn wrote_some(&self) {
        let mut s = self.state();
        if s.0 == Phase::Idle {
            s.1 = Some(Instant::now() + self.limits.idle_timeout);
        }
    }

    fn request_started(&self, has_body: bool) {
        self.set(Phase::Busy, has_body.then(|| Instant::now() + self.limits.body_timeout));
    }

    fn body_done(&self) {
        let mut s = self.state();
        if s.0 == Phase::Busy {
            s.1 = None;
        }
    }

    fn response_ready(&self) {
        self.set(Phase::Idle, Some(Instant::now() + self.limits.idle_timeout));
    }

    /// Resolves when the connection has outstayed its phase.
    async fn expired(&self) -> Phase {
        loop {
            let (phase, deadline) = *self.state();
            match deadline {
                Some(d) if d <= Instant::now() => return phase,
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(d) => {}
                        _ = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// The socket, telling the watchdog when bytes come and go.
struct WatchedIo {
    inner: TcpStream,
    watchdog: Arc<Watchdog>,
}

impl AsyncRead for WatchedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watchdog.read_some();
        }
        r
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.watchdog.wrote_some();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.watchdog.wrote_some();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that tells the watchdog when it has arrived whole.
struct WatchedBody {
    inner: Incoming,
    watchdog: Arc<Watchdog>,
}

impl hyper::body::Body for WatchedBody {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.watchdog.body_done();
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits.max_connections.clamp(1, u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    // The watchdog times headers (hyper's own timer would also run while a connection is idle).
    http.keep_alive(true).header_read_timeout(None);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let watchdog = Arc::new(Watchdog::new(limits));
        let io = TokioIo::new(WatchedIo { inner: stream, watchdog: watchdog.clone() });
        let service = {
            let watchdog = watchdog.clone();
            let app = app.clone();
            hyper::service::service_fn(move |req: Request<Incoming>| {
                let watchdog = watchdog.clone();
                let app = app.clone();
                async move {
                    watchdog.request_started(!req.body().is_end_stream());
                    let (mut parts, body) = req.into_parts();
                    parts.extensions.insert(ConnectInfo(remote));
                    let body = axum::body::Body::new(WatchedBody { inner: body, watchdog: watchdog.clone() });
                    let response = app.oneshot(Request::from_parts(parts, body)).await;
                    watchdog.response_ready();
                    response
                }
            })
        };
        let conn = http.serve_connection(io, service);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, %remote, "connection ended");
                        }
                        break;
                    }
                    phase = watchdog.expired() => {
                        tracing::debug!(?phase, %remote, "closing a connection that outstayed its time");
                        break;
                    }
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection gives its slot back when it closes.
    let _ = slots.acquire_many(max as u32).await;
    Ok(())
}

/// A failed accept: the client gave up (go on), or the process is out of descriptors (wait a
/// moment rather than spin).
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
}
