//! How `podium serve` sends e-mail: to files in the data directory, or through an SMTP relay
//! (with STARTTLS and authentication when the relay needs them).

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use podium_app::mail::Mailer;

#[derive(clap::Args, Debug, Clone)]
pub struct MailArgs {
    /// Send e-mail through this SMTP relay (host:port). Without it, e-mails are written as .eml
    /// files in the data directory's `mail` folder.
    #[arg(long, env = "PODIUM_SMTP")]
    pub smtp: Option<String>,
    /// The From address of e-mails sent by SMTP.
    #[arg(long, env = "PODIUM_MAIL_FROM", default_value = "orders@podium.example")]
    pub mail_from: String,
    /// Upgrade the SMTP connection with STARTTLS: `none` (a relay on this host or network),
    /// `opportunistic` (when offered) or `required` (refuse to send in the clear).
    #[arg(long, env = "PODIUM_SMTP_STARTTLS", value_enum, default_value = "none")]
    pub smtp_starttls: StartTlsArg,
    /// Authenticate to the relay as this user (PLAIN or LOGIN, as the relay offers).
    #[arg(long, env = "PODIUM_SMTP_USER", requires = "smtp_password")]
    pub smtp_user: Option<String>,
    /// The SMTP user's password (prefer the environment variable to the command line).
    #[arg(long, env = "PODIUM_SMTP_PASSWORD", hide_env_values = true, requires = "smtp_user")]
    pub smtp_password: Option<String>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum StartTlsArg {
    None,
    Opportunistic,
    Required,
}

impl MailArgs {
    /// The mailer these options describe; `data_dir/mail` without a relay.
    pub fn mailer(&self, data_dir: &Path) -> Result<Arc<dyn Mailer>> {
        let Some(addr) = &self.smtp else {
            return Ok(Arc::new(podium_outbound::FileMailer::new(data_dir.join("mail"))));
        };
        let starttls = match self.smtp_starttls {
            StartTlsArg::None => podium_outbound::StartTls::None,
            StartTlsArg::Opportunistic => podium_outbound::StartTls::Opportunistic,
            StartTlsArg::Required => podium_outbound::StartTls::Required,
        };
        let credentials = self.smtp_user.clone().zip(self.smtp_password.clone());
        let options =
            podium_outbound::SmtpOptions { addr: addr.clone(), from: self.mail_from.clone(), starttls, credentials };
        let mailer = podium_outbound::SmtpMailer::new(&options).map_err(|e| anyhow::anyhow!("--smtp: {e}"))?;
        Ok(Arc::new(mailer))
    }
}
