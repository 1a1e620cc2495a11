//! SMTP submission (RFC 6409) with lettre: implicit TLS on 465 or STARTTLS on 587 (RFC 8314),
//! AUTH, and errors the user can act on.

mod errors;
mod starttls_probe;

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::account::{AccountSettings, Security, ServerSettings};
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use crate::mime::BuiltMessage;
use crate::tls::TrustedCertificate;

/// Deadline for connecting and for each SMTP reply.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

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
) -> Result<()> {
    let transport = transport(server, password, trusted, COMMAND_TIMEOUT)?;
    match transport.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::new(
            ErrorKind::Protocol,
            "the SMTP server did not answer NOOP",
        )),
        Err(error) => Err(errors::classify(server, error).await),
    }
}

/// Submits one message to the account's SMTP server. Returns once the server accepted it.
pub async fn submit(account: &AccountSettings, password: &str, built: &BuiltMessage) -> Result<()> {
    let server = &account.smtp;
    let transport = transport(
        server,
        password,
        account.trusted_certificate.as_ref(),
        COMMAND_TIMEOUT,
    )?;
    match transport.send(built.message.clone()).await {
        Ok(_response) => Ok(()),
        Err(error) => Err(errors::classify(server, error).await),
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
