//! The message as sent: RFC 5322 headers over a `multipart/alternative` body — the plain text as
//! composed (8 bit, unchanged) and the HTML beside it — and the mailer that drops each message
//! as an `.eml` file.

use std::path::PathBuf;

use async_trait::async_trait;
use base64::Engine;
use podium_app::mail::{Mailer, OutgoingMail};

/// RFC 2047 encoding of a header with non-ASCII text.
fn header_text(s: &str) -> String {
    if s.is_ascii() {
        s.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
    }
}

/// The MIME body with both parts: its `Content-Type` header value and the body (CRLF line
/// ends). `boundary_seed` makes the boundary unique to the mail.
fn alternative(boundary_seed: &str, text: &str, html: &str) -> (String, String) {
    let boundary =
        format!("=_podium_{}", boundary_seed.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
    let encoded = base64::engine::general_purpose::STANDARD.encode(html.as_bytes());
    let wrapped: Vec<&str> =
        encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    let body = format!(
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --{boundary}--\r\n",
        text.replace('\n', "\r\n"),
        wrapped.join("\r\n"),
    );
    (format!("multipart/alternative; boundary=\"{boundary}\""), body)
}

/// The whole message from `from`, as an SMTP relay receives it and as `.eml` files hold it.
pub fn rfc5322(from: &str, m: &OutgoingMail) -> String {
    let date = m.date.format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
    let (content_type, body) = alternative(&m.id, &m.text, &m.html);
    format!(
        "From: {from}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@podium>\r\nMIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n\r\n{body}",
        m.to,
        header_text(&m.subject),
        m.id,
    )
}

/// Drops each message into a directory as `{queued at, Unix seconds}-{id}.eml`, so a retry
/// overwrites rather than duplicates: the demo's and the tests' mail transport.
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileMailer { dir: dir.into() }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, m: &OutgoingMail) -> Result<(), String> {
        let text = rfc5322("Podium <orders@podium.example>", m);
        let path = self.dir.join(format!("{}-{}.eml", m.date.unix_timestamp(), m.id));
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| e.to_string())?;
        tokio::fs::write(&path, text).await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            id: "mail-1".into(),
            to: "minji@example.com".into(),
            subject: "주문 PD-1".into(),
            text: "Hello\n\n  1 × Tee  ₩43,000\n.hidden dot\n".into(),
            html: "<p>x</p>".into(),
            date: time::macros::datetime!(2026-12-06 10:00 UTC),
        }
    }

    #[test]
    fn the_text_part_is_the_text_as_written_and_the_html_rides_beside_it() {
        let m = mail();
        let (ct, body) = alternative("mail-1", &m.text, &m.html);
        assert_eq!(ct, "multipart/alternative; boundary=\"=_podium_mail1\"");
        let parts: Vec<&str> = body.split("--=_podium_mail1").collect();
        assert_eq!(parts.len(), 4, "preamble, two parts, the closing delimiter");
        let plain = parts[1].split_once("\r\n\r\n").expect("part headers").1;
        assert_eq!(plain.strip_suffix("\r\n"), Some(m.text.replace('\n', "\r\n").as_str()));
        let encoded = parts[2].split_once("\r\n\r\n").expect("part headers").1.replace("\r\n", "");
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
        assert_eq!(decoded, b"<p>x</p>");
        assert!(parts[3].starts_with("--"), "the closing delimiter");
    }

    #[test]
    fn headers_name_the_reader_and_encode_a_korean_subject() {
        let text = rfc5322("Podium <orders@podium.example>", &mail());
        assert!(text.starts_with("From: Podium <orders@podium.example>\r\nTo: minji@example.com\r\n"));
        assert!(text.contains("Subject: =?UTF-8?B?"), "{text}");
        assert!(text.contains("Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n"), "{text}");
        assert!(text.contains("Message-ID: <mail-1@podium>\r\n"));
    }

    #[tokio::test]
    async fn a_file_per_mail_and_a_retry_overwrites_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = FileMailer::new(dir.path());
        mailer.send(&mail()).await.expect("sent");
        mailer.send(&mail()).await.expect("sent again");
        let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].file_name().to_string_lossy(), format!("{}-mail-1.eml", mail().date.unix_timestamp()));
    }
}
