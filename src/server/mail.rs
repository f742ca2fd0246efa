//! Outgoing email over SMTP (lettre): password-reset links and "your password was changed"
//! notices. Set up by `AIRTIME_SMTP_URL`; without it Airtime sends no mail, and the pages that
//! would send one say so.

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::{fmt, time::Duration};

/// One SMTP command may take this long; a whole message, `SEND_DEADLINE`.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);
const SEND_DEADLINE: Duration = Duration::from_secs(60);

/// `smtp://[user:password@]host[:port]` (add `?tls=required` for STARTTLS) or `smtps://…`.
/// It can hold the relay's password, so it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    pub const EXPECTED: &'static str =
        "smtp://host:port, smtp://user:password@host?tls=required or smtps://user:password@host";

    pub fn parse(url: &str) -> Result<Self, &'static str> {
        let url = url.trim();
        // lettre's own parser, so a URL accepted here is one the mailer can use.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| Self::EXPECTED)?;
        Ok(Self(url.to_string()))
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpUrl(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid recipient address")]
    Recipient,
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the SMTP server did not accept the message within {}s", SEND_DEADLINE.as_secs())]
    Timeout,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(url: &SmtpUrl, from: Mailbox) -> Result<Self, &'static str> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
            .map_err(|_| SmtpUrl::EXPECTED)?
            .timeout(Some(COMMAND_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// Sends one plain-text message. Callers run it off the request path: how long a relay
    /// takes must not tell a visitor whether an address has an account.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Recipient)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        tokio::time::timeout(SEND_DEADLINE, self.transport.send(message))
            .await
            .map_err(|_| MailError::Timeout)??;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_and_never_printed() {
        let url = SmtpUrl::parse("smtp://relay:s3cret@mail.example.com:2525").unwrap();
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(SmtpUrl::parse("smtps://user:pw@mail.example.com").is_ok());
        assert!(SmtpUrl::parse("smtp://mail.example.com?tls=required").is_ok());
        assert!(SmtpUrl::parse("http://mail.example.com").is_err());
        assert!(SmtpUrl::parse("mail.example.com:25").is_err());
    }
}
