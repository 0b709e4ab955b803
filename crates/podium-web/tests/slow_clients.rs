//! Slow and greedy clients against a real served port: raw sockets that send headers a line at a
//! time, say nothing, or never finish a body are closed within the configured timeouts; beyond
//! the connection cap, connections wait; with a route class's in-flight limit reached, requests
//! are turned away at once with 503 and `Retry-After`; and shutting down still answers the
//! request in flight.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::TestApp;
use podium_store::testing::Backend;
use podium_web::server::ServerLimits;
use podium_web::shedding::InFlightLimits;
use podium_web::WebConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Served {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    _app: TestApp,
}

/// A Podium on a fresh port with these limits.
async fn serve(limits: ServerLimits, in_flight: InFlightLimits) -> Served {
    let base = TestApp::new(Backend::Sqlite).await;
    let app = base.with_config(WebConfig { in_flight, ..WebConfig::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let router = app.router.clone();
    let server = tokio::spawn(podium_web::server::serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));
    Served { addr, stop: Some(stop), server, _app: app }
}

fn limits(header: u64, body: u64, idle: u64, max_connections: usize) -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_millis(header),
        body_timeout: Duration::from_millis(body),
        idle_timeout: Duration::from_millis(idle),
        max_connections,
    }
}

/// How long until the server closes the socket (reading and discarding whatever it sends), or
/// None when it is still open after `within`.
async fn closed_after(stream: &mut tokio::net::tcp::OwnedReadHalf, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + within).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

/// One response read off the socket: status line and headers (lower-cased names), and body.
struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one response with a `Content-Length`; None when none arrives within `within`.
async fn read_response(stream: &mut TcpStream, within: Duration) -> Option<Response> {
    let deadline = tokio::time::Instant::now() + within;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let r = Response { status, head, body: String::new() };
            let length: usize = r.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            if data.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned();
                return Some(Response { body, ..r });
            }
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => data.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
}

async fn get(addr: SocketAddr, path: &str) -> Option<Response> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: podium\r\nAccept-Language: en\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    read_response(&mut s, Duration::from_secs(5)).await
}

/// A POST whose headers and first bytes of body are sent; the rest is up to the caller.
async fn unfinished_post(addr: SocketAddr, path: &str, content_type: &str, body: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: podium\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write head");
    s.write_all(&body.as_bytes()[..body.len() / 2]).await.expect("write part");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_idle_sockets_and_unfinished_bodies_are_closed_within_their_timeouts() {
    // Headers 1 s, bodies 1.5 s, idle 2 s: each client is closed by its own timeout.
    let served = serve(limits(1000, 1500, 2000, 64), InFlightLimits::default()).await;
    let addr = served.addr;

    // Slowloris: a header line every 300 ms, never the blank line that ends them.
    let slowloris = async {
        let (mut r, mut w) = TcpStream::connect(addr).await.expect("connect").into_split();
        w.write_all(b"GET / HTTP/1.1\r\nHost: podium\r\n").await.expect("write");
        let drip = tokio::spawn(async move {
            for i in 0..40 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if w.write_all(format!("X-Drip-{i}: still here\r\n").as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let closed = closed_after(&mut r, Duration::from_secs(6)).await;
        drip.abort();
        closed
    };
    // A socket that never says anything.
    let idle = async {
        let (mut r, _w) = TcpStream::connect(addr).await.expect("connect").into_split();
        closed_after(&mut r, Duration::from_secs(6)).await
    };
    // A kept-alive connection that goes quiet after its first answer.
    let kept_alive = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: podium\r\n\r\n").await.expect("write");
        let first = read_response(&mut s, Duration::from_secs(5)).await.expect("answered");
        assert_eq!(first.status, 200);
        let (mut r, _w) = s.into_split();
        closed_after(&mut r, Duration::from_secs(6)).await
    };
    // A body announced as 60 bytes of which a byte arrives every 300 ms.
    let body = async {
        let s = unfinished_post(addr, "/api/v1/sessions", "application/json", &"x".repeat(60)).await;
        let (mut r, mut w) = s.into_split();
        let drip = tokio::spawn(async move {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if w.write_all(b" ").await.is_err() {
                    break;
                }
            }
        });
        let closed = closed_after(&mut r, Duration::from_secs(6)).await;
        drip.abort();
        closed
    };
    let (slowloris, idle, kept_alive, body) = tokio::join!(slowloris, idle, kept_alive, body);

    let within = |closed: Option<Duration>, timeout_ms: u64, what: &str| {
        let t = closed.unwrap_or_else(|| panic!("{what}: still open after 6 s"));
        let timeout = Duration::from_millis(timeout_ms);
        assert!(t >= timeout - Duration::from_millis(250), "{what}: closed after {t:?}, before its {timeout:?}");
        assert!(t <= timeout + Duration::from_millis(1500), "{what}: closed only after {t:?} (timeout {timeout:?})");
    };
    within(slowloris, 1000, "headers sent a line at a time");
    within(idle, 2000, "an idle socket");
    within(kept_alive, 2000, "a kept-alive connection gone quiet");
    within(body, 1500, "a body that never completes");
    // The node still answers everyone else.
    assert_eq!(get(addr, "/healthz").await.expect("answer").status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_cap_connections_wait_until_one_closes() {
    let served = serve(limits(5000, 5000, 10_000, 2), InFlightLimits::default()).await;
    let addr = served.addr;
    // Two kept-alive connections take both places.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: podium\r\n\r\n").await.expect("write");
        assert_eq!(read_response(&mut s, Duration::from_secs(5)).await.expect("answered").status, 200);
        held.push(s);
    }
    // A third waits: no answer while both are open.
    let mut third = TcpStream::connect(addr).await.expect("the kernel queues the connection");
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: podium\r\nConnection: close\r\n\r\n").await.expect("write");
    assert!(
        read_response(&mut third, Duration::from_millis(800)).await.is_none(),
        "a third connection is not served while two are open"
    );
    // One closes: the third is served at once.
    drop(held.pop());
    let started = Instant::now();
    let answer = read_response(&mut third, Duration::from_secs(3)).await.expect("served once a place is free");
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_route_classes_in_flight_limit_reached_requests_are_shed_with_503_and_retry_after() {
    let served = serve(limits(5000, 10_000, 10_000, 64), InFlightLimits { pages: 1, api: 1 }).await;
    let addr = served.addr;
    // An API request in flight: its body is still arriving.
    let body = r#"{"email":"fan@podium.example","password":"not-the-password"}"#;
    let mut api_call = unfinished_post(addr, "/api/v1/sessions", "application/json", body).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shed = get(addr, "/api/v1/products").await.expect("an answer, at once");
    assert_eq!(shed.status, 503, "{}", shed.body.chars().take(300).collect::<String>());
    assert_eq!(shed.header("retry-after"), Some("2"));
    assert_eq!(shed.header("content-type"), Some("application/problem+json"));
    assert!(shed.body.contains("urn:podium:problem:busy"), "{}", shed.body);
    // Pages are another class, and health checks are never shed.
    assert_eq!(get(addr, "/").await.expect("page").status, 200);
    assert_eq!(get(addr, "/healthz").await.expect("health").status, 200);
    // A page in flight: pages are shed with a friendly page saying so.
    let form = "email=fan%40podium.example&password=x&csrf_token=x&next=%2F";
    let mut page_post = unfinished_post(addr, "/signin", "application/x-www-form-urlencoded", form).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = get(addr, "/?lang=en").await.expect("an answer, at once");
    assert_eq!(busy.status, 503);
    assert_eq!(busy.header("retry-after"), Some("2"));
    assert!(busy.body.contains("Podium is very busy"), "{}", busy.body);
    // When the requests in flight finish, the next ones are served.
    api_call.write_all(&body.as_bytes()[body.len() / 2..]).await.expect("rest of body");
    let answered = read_response(&mut api_call, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(answered.status, 401, "{}", answered.body);
    page_post.write_all(&form.as_bytes()[form.len() / 2..]).await.expect("rest of form");
    assert!(read_response(&mut page_post, Duration::from_secs(5)).await.is_some());
    assert_eq!(get(addr, "/api/v1/products").await.expect("answer").status, 200);
    assert_eq!(get(addr, "/").await.expect("answer").status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_answers_the_request_in_flight_then_stops() {
    let mut served = serve(limits(5000, 10_000, 10_000, 64), InFlightLimits::default()).await;
    let addr = served.addr;
    let body = r#"{"email":"fan@podium.example","password":"fan-demo-2026"}"#;
    let mut in_flight = unfinished_post(addr, "/api/v1/sessions", "application/json", body).await;
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: podium\r\n\r\n").await.expect("write");
    assert_eq!(read_response(&mut idle, Duration::from_secs(5)).await.expect("answered").status, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = served.stop.take().expect("running").send(());
    // An idle connection closes at once and no new one is accepted ...
    let (mut idle_r, _idle_w) = idle.into_split();
    assert!(closed_after(&mut idle_r, Duration::from_secs(2)).await.is_some(), "idle connections close");
    let refused = async {
        for _ in 0..20 {
            if TcpStream::connect(addr).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(refused.await, "the listener is closed");
    assert!(!served.server.is_finished(), "a request is still in flight");
    // ... while the request in flight is answered in full.
    in_flight.write_all(&body.as_bytes()[body.len() / 2..]).await.expect("rest of body");
    let answered = read_response(&mut in_flight, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(answered.status, 201, "{}", answered.body);
    assert!(answered.body.contains("token"), "{}", answered.body);
    let stopped = tokio::time::timeout(Duration::from_secs(5), &mut served.server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "the server stops once the last request is answered");
}
