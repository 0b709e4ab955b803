//! The SMTP mailer against a small relay on a local port: what the relay receives is what a
//! mail reader would show, and a configured user authenticates first.

use base64::Engine;
use podium_app::mail::{Mailer, OutgoingMail};
use podium_outbound::{SmtpMailer, SmtpOptions, StartTls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message's dialogue: (AUTH line if any, RCPT TO, DATA).
async fn relay(offer_auth: bool) -> (String, tokio::task::JoinHandle<(String, String, String)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let (r, mut w) = socket.into_split();
        let mut lines = BufReader::new(r).lines();
        w.write_all(b"220 relay ESMTP\r\n").await.expect("greet");
        let (mut auth, mut rcpt, mut data, mut in_data) = (String::new(), String::new(), String::new(), false);
        while let Some(line) = lines.next_line().await.expect("read") {
            if in_data {
                if line == "." {
                    in_data = false;
                    w.write_all(b"250 queued\r\n").await.expect("write");
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let reply: &[u8] = if line.starts_with("EHLO") {
                if offer_auth {
                    b"250-relay\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                } else {
                    b"250-relay\r\n250 8BITMIME\r\n"
                }
            } else if line.starts_with("AUTH") {
                auth = line.clone();
                b"235 2.7.0 accepted\r\n"
            } else if let Some(to) = line.strip_prefix("RCPT TO:") {
                rcpt = to.to_string();
                b"250 ok\r\n"
            } else if line == "DATA" {
                in_data = true;
                b"354 go on\r\n"
            } else if line == "QUIT" {
                w.write_all(b"221 bye\r\n").await.expect("write");
                break;
            } else {
                b"250 ok\r\n"
            };
            w.write_all(reply).await.expect("write");
        }
        (auth, rcpt, data)
    });
    (addr, task)
}

fn mail() -> OutgoingMail {
    OutgoingMail {
        id: "m1".into(),
        to: "yui@example.jp".into(),
        subject: "ご注文 PD-7KQ2".into(),
        text: "お支払いが完了しました。\n.a line that starts with a dot\n".into(),
        html: "<p>お支払いが完了しました。</p>".into(),
        date: time::macros::datetime!(2026-12-06 10:00 UTC),
    }
}

#[tokio::test]
async fn a_relay_receives_the_message_as_composed() {
    let (addr, server) = relay(false).await;
    let options =
        SmtpOptions { addr, from: "orders@podium.example".into(), starttls: StartTls::None, credentials: None };
    SmtpMailer::new(&options).expect("options").send(&mail()).await.expect("sent");
    let (auth, rcpt, data) = server.await.expect("relay");
    assert_eq!(auth, "", "no user, no AUTH");
    assert_eq!(rcpt, "<yui@example.jp>");
    assert!(data.contains("From: orders@podium.example\n"), "{data}");
    assert!(data.contains("Subject: =?UTF-8?B?"), "{data}");
    assert!(data.contains("お支払いが完了しました。"), "{data}");
    assert!(data.contains("\n..a line that starts with a dot\n"), "dot-stuffed on the wire: {data}");
}

#[tokio::test]
async fn a_configured_user_authenticates_before_sending() {
    let (addr, server) = relay(true).await;
    let options = SmtpOptions {
        addr,
        from: "Podium <orders@podium.example>".into(),
        starttls: StartTls::None,
        credentials: Some(("podium".into(), "s3cret".into())),
    };
    SmtpMailer::new(&options).expect("options").send(&mail()).await.expect("sent");
    let (auth, rcpt, _) = server.await.expect("relay");
    let encoded = auth.strip_prefix("AUTH PLAIN ").unwrap_or_else(|| panic!("AUTH PLAIN expected, got {auth:?}"));
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
    assert_eq!(decoded, b"\0podium\0s3cret");
    assert_eq!(rcpt, "<yui@example.jp>");
}

#[tokio::test]
async fn required_starttls_refuses_a_relay_that_cannot_upgrade() {
    let (addr, _server) = relay(false).await;
    let options =
        SmtpOptions { addr, from: "orders@podium.example".into(), starttls: StartTls::Required, credentials: None };
    let sent = SmtpMailer::new(&options).expect("options").send(&mail()).await;
    assert!(sent.is_err(), "nothing goes out in the clear when TLS is required");
}
