//! E-mail through an SMTP relay with lettre: EHLO, STARTTLS when asked for, authentication
//! when a user is given, the envelope, dot-stuffing and the replies are lettre's; the message
//! is [`crate::rfc5322`]'s, the same bytes the file mailer writes.

use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use podium_app::mail::{Mailer, OutgoingMail};

/// Whether the connection is upgraded to TLS with STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartTls {
    /// Plain text: a relay on the same host or network, or a test server.
    #[default]
    None,
    /// Upgrade when the relay offers it.
    Opportunistic,
    /// Refuse to send unless the relay upgrades (what a relay on the internet needs).
    Required,
}

/// Where and how to reach the relay.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    /// `host:port` (the port defaults to 25).
    pub addr: String,
    /// The sender: the `From` header and the envelope's address.
    pub from: String,
    pub starttls: StartTls,
    /// A user and password to authenticate with (PLAIN or LOGIN, as the relay offers).
    pub credentials: Option<(String, String)>,
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    sender: Address,
}

/// The address inside `Name <address>`, or the whole text.
fn bare(addr: &str) -> &str {
    match (addr.find('<'), addr.rfind('>')) {
        (Some(a), Some(b)) if a < b => &addr[a + 1..b],
        _ => addr.trim(),
    }
}

impl SmtpMailer {
    pub fn new(o: &SmtpOptions) -> Result<Self, String> {
        let (host, port) = match o.addr.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| format!("{}: not a port", o.addr))?),
            None => (o.addr.clone(), 25),
        };
        let sender: Address = bare(&o.from).parse().map_err(|e| format!("{}: {e}", o.from))?;
        let tls = |host: &str| TlsParameters::new(host.to_string()).map_err(|e| e.to_string());
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(port)
            .hello_name(ClientId::Domain("podium".into()))
            .timeout(Some(Duration::from_secs(30)))
            .tls(match o.starttls {
                StartTls::None => Tls::None,
                StartTls::Opportunistic => Tls::Opportunistic(tls(&host)?),
                StartTls::Required => Tls::Required(tls(&host)?),
            });
        if let Some((user, password)) = &o.credentials {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(SmtpMailer { transport: builder.build(), from: o.from.clone(), sender })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, m: &OutgoingMail) -> Result<(), String> {
        let to: Address = bare(&m.to).parse().map_err(|e| format!("{}: {e}", m.to))?;
        let envelope = Envelope::new(Some(self.sender.clone()), vec![to]).map_err(|e| e.to_string())?;
        let data = crate::rfc5322(&self.from, m);
        self.transport.send_raw(&envelope, data.as_bytes()).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
