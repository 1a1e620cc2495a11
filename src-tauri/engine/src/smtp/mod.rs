//! SMTP submission (RFC 6409) with lettre: implicit TLS on 465 or STARTTLS on 587 (RFC 8314),
//! AUTH, and errors the user can act on.

mod errors;
mod refusal;
mod starttls_probe;

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::Handover;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::account::{AccountSettings, Security, ServerSettings};
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use crate::tls::TrustedCertificate;

/// Deadline for connecting and for each SMTP reply.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A slow but working uplink; a message body gets at least this pace before we give up.
const SLOWEST_UPLOAD_BYTES_PER_SECOND: u64 = 32 * 1024;

/// lettre times only the TCP connect: a server that stops answering mid-conversation would
/// hold a send forever. So each conversation gets one deadline: the per-step timeout for the
/// greeting, TLS and login, and another for the envelope, plus time for the body at a slow
/// uplink's pace.
fn conversation_deadline(step: Duration, body_bytes: usize) -> Duration {
    let body = u64::try_from(body_bytes).unwrap_or(u64::MAX) / SLOWEST_UPLOAD_BYTES_PER_SECOND;
    step.saturating_mul(3)
        .saturating_add(Duration::from_secs(body))
}

async fn within<T>(
    server: &ServerSettings,
    deadline: Duration,
    conversation: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(deadline, conversation)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "the SMTP server {}:{} did not finish answering within {deadline:?}",
                    server.host, server.port
                ),
            ))
        })
}

/// lettre folds DNS failures into a generic connection error, so the name is looked up first.
async fn ensure_resolvable(server: &ServerSettings, timeout: Duration) -> Result<()> {
    let host = server.host.trim();
    match tokio::time::timeout(timeout, crate::net::resolve(host, server.port)).await {
        Ok(result) => result.map(drop),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("looking up the SMTP server {host} took longer than {timeout:?}"),
        )),
    }
}

fn transport(
    server: &ServerSettings,
    password: &str,
    trusted: Option<&TrustedCertificate>,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let host = server.host.trim().to_owned();
    let tls = match server.security {
        Security::PlaintextDangerous => Tls::None,
        security => {
            let mut parameters = TlsParameters::builder(host.clone());
            if let Some(trusted) = trusted {
                let certificate =
                    Certificate::from_pem(trusted.pem.as_bytes()).map_err(|error| {
                        Error::new(ErrorKind::Parse, "the trusted certificate cannot be read")
                            .with_source(error)
                    })?;
                parameters = parameters.add_root_certificate(certificate);
            }
            let parameters = parameters.build_rustls().map_err(|error| {
                Error::new(ErrorKind::Tls, "TLS could not be set up").with_source(error)
            })?;
            if security == Security::Tls {
                Tls::Wrapper(parameters)
            } else {
                Tls::Required(parameters)
            }
        }
    };
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(server.port)
            .tls(tls)
            .credentials(Credentials::new(
                server.username.clone(),
                password.to_owned(),
            ))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .timeout(Some(timeout))
            .build(),
    )
}

/// Connects, secures the connection and logs in, then says goodbye: the "Test connection" check.
pub async fn check_login(
    server: &ServerSettings,
    password: &str,
    trusted: Option<&TrustedCertificate>,
    timeout: Duration,
) -> Result<()> {
    ensure_resolvable(server, timeout).await?;
    let transport = transport(server, password, trusted, timeout)?;
    let conversation = async {
        match transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                ErrorKind::Protocol,
                "the SMTP server did not answer NOOP",
            )),
            Err(error) => Err(errors::classify(server, error).await),
        }
    };
    within(server, conversation_deadline(timeout, 0), conversation).await
}

/// A way to the account's SMTP server, kept for several messages: lettre's pool holds the
/// connection open (TLS and AUTH done once), so an outbox of many messages costs one login.
pub struct Submission<'a> {
    account: &'a AccountSettings,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
}

impl<'a> Submission<'a> {
    pub async fn open(
        account: &'a AccountSettings,
        password: &str,
        timeout: Duration,
    ) -> Result<Submission<'a>> {
        let server = &account.smtp;
        ensure_resolvable(server, timeout).await?;
        let transport = transport(
            server,
            password,
            account.trusted_certificate.as_ref(),
            timeout,
        )?;
        Ok(Submission {
            account,
            transport,
            timeout,
        })
    }

    /// The largest message the server takes (RFC 1870 SIZE, in bytes), if it says.
    pub async fn size_limit(&self) -> Result<Option<u64>> {
        let server = &self.account.smtp;
        let conversation = async {
            match self.transport.server_info().await {
                Ok(info) => Ok(info.max_message_size()),
                Err(error) => Err(errors::classify(server, error).await),
            }
        };
        within(server, conversation_deadline(self.timeout, 0), conversation).await
    }

    /// Hands one message, exactly these bytes, to the server for these envelope addresses
    /// (RFC 5321 MAIL FROM / RCPT TO: Bcc recipients are here, never in the headers).
    /// Returns once the server accepted it for every recipient. All or nothing: if the server
    /// refuses any recipient, the message goes to nobody and the error names each refused
    /// address with the server's reply.
    pub async fn submit(
        &self,
        envelope_from: &str,
        envelope_to: &[String],
        raw: &[u8],
    ) -> Result<()> {
        let server = &self.account.smtp;
        let address = |text: &str| {
            text.parse::<lettre::Address>()
                .map(crate::mime::ascii_domain)
                .map_err(|error| {
                    Error::new(
                        ErrorKind::Parse,
                        format!("“{text}” is not an e-mail address"),
                    )
                    .with_source(error)
                })
        };
        let recipients = envelope_to
            .iter()
            .map(|to| address(to))
            .collect::<Result<Vec<_>>>()?;
        let total = recipients.len();
        let envelope = lettre::address::Envelope::new(Some(address(envelope_from)?), recipients)
            .map_err(|error| {
                Error::new(ErrorKind::Config, "the message has no recipient").with_source(error)
            })?;
        let conversation = async {
            // lettre writes CRLF "." CRLF after the data; the message's own final CRLF is that
            // first CRLF, so it is left off here and the server stores exactly `raw`.
            let data = raw.strip_suffix(b"\r\n").unwrap_or(raw);
            match self
                .transport
                .send_raw_all_or_nothing(&envelope, data)
                .await
            {
                Ok(Handover::Accepted(_response)) => Ok(()),
                Ok(Handover::RecipientsRefused(refused)) => {
                    Err(refusal::recipients_refused(server, total, &refused))
                }
                Ok(Handover::NeedsSmtpUtf8(addresses)) => {
                    Err(refusal::needs_smtputf8(server, &addresses))
                }
                Err(error) => Err(errors::classify(server, error).await),
            }
        };
        within(
            server,
            conversation_deadline(self.timeout, raw.len()),
            conversation,
        )
        .await
    }
}

pub(crate) fn start_tls_not_offered(server: &ServerSettings) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!(
            "the SMTP server {}:{} does not offer STARTTLS",
            server.host, server.port
        ),
    )
    .with_reason(ErrorReason::StartTlsNotOffered)
}
