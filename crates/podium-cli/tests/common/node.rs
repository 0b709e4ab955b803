//! `podium serve` processes for the multi-node and crash tests, and a bare HTTP/1.1 client.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{podium_command, Running};

pub struct Node {
    pub child: Running,
    pub addr: String,
    _data: tempfile::TempDir,
}

/// Starts `podium serve` on the database, with a fault to die at when given.
pub fn start(url: &str, fault: Option<&str>) -> Node {
    start_with(url, fault, &[])
}

/// Starts `podium serve` with more arguments.
pub fn start_with(url: &str, fault: Option<&str>, extra: &[&str]) -> Node {
    let data = tempfile::tempdir().expect("tmp");
    let mut cmd = podium_command();
    cmd.env_remove("PODIUM_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("PODIUM_LOG", "warn")
        .args(["serve", "--database-url", url, "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match fault {
        Some(f) => cmd.env("PODIUM_FAULT", f),
        None => cmd.env_remove("PODIUM_FAULT"),
    };
    let mut child = Running::spawn(&mut cmd).expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut addr = None;
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("Podium is serving http://") {
                    addr = rest.split('/').next().map(str::to_string);
                    break;
                }
            }
            _ => break,
        }
    }
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Node { child, addr: addr.expect("podium reported its address"), _data: data }
}

/// One HTTP/1.1 request over a raw socket: (status, body). A dropped connection is status 0.
pub async fn call(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else { return (0, Value::Null) };
    let body = body.map(Value::to_string).unwrap_or_default();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return (0, Value::Null);
    }
    let mut buf = Vec::new();
    if s.read_to_end(&mut buf).await.is_err() {
        return (0, Value::Null);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = text.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

pub fn checkout_body(card: &str) -> Value {
    json!({"email": "fan@example.com", "payment": {"method": "sandbox_card", "card_number": card},
           "shipping_address": {"name": "Kim", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": "KR", "customs_code": "P123456789012"}})
}

pub async fn cart(addr: &str, sku: &str) -> (u16, String) {
    let (_, c) = call(addr, "POST", "/api/v1/carts", Some(&json!({"country": "KR"})), &[]).await;
    let id = c["id"].as_str().expect("cart").to_string();
    let (status, _) =
        call(addr, "POST", &format!("/api/v1/carts/{id}/lines"), Some(&json!({"sku": sku, "quantity": 1})), &[]).await;
    (status, id)
}

/// Waits (up to 30 s) until the order is no longer waiting for payment; answers it.
pub async fn settled(store: &dyn podium_app::Store, order_id: &str) -> podium_app::orders::OrderRecord {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = store.order(order_id).await.expect("read").expect("order");
        if o.status.as_str() != "pending_payment" {
            return o;
        }
        assert!(Instant::now() < deadline, "the order was not reconciled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `podium ledger verify` balances and finds `consignments` captured consignments agreeing.
pub fn ledger_verifies(url: &str, consignments: usize) {
    let out = podium_command()
        .args(["ledger", "verify", "--database-url", url])
        .env("PODIUM_LOG", "warn")
        .output()
        .expect("verify runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said} {}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains(&format!("{consignments} captured consignments agree")), "{said}");
}
