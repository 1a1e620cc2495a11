//! lettre's errors → the engine's kinds. lettre exposes only coarse predicates and the reply
//! code, so the code decides between "wrong password" and "refused the message", and a client
//! error under STARTTLS is checked against what the server really advertises.

use lettre::transport::smtp::Error as SmtpError;

use super::starttls_probe::offers_starttls;
use crate::account::{Security, ServerSettings};
use crate::error::{network_error, Error, ErrorKind, ErrorReason};

/// RFC 4954 §6 and RFC 5321 codes that mean the credentials were not accepted.
const AUTH_FAILURE_CODES: [u16; 4] = [530, 534, 535, 538];

/// lettre's `Display` already includes every cause, so the message quotes it once and the
/// lettre error is not chained again as a source.
pub(super) async fn classify(server: &ServerSettings, error: SmtpError) -> Error {
    let place = format!("the SMTP server {}:{}", server.host, server.port);
    if error.is_timeout() {
        return Error::new(
            ErrorKind::Timeout,
            format!("{place} did not answer in time: {error}"),
        );
    }
    if let Some(code) = error.status() {
        let number = u16::from(code);
        if AUTH_FAILURE_CODES.contains(&number) {
            return Error::new(
                ErrorKind::Auth,
                format!("{place} refused the user name or password: {error}"),
            );
        }
        // RFC 5321 §4.2.1: 4yz is a transient failure (try again later), 5yz a permanent one.
        let reason = if error.is_transient() || (400..500).contains(&number) {
            ErrorReason::ServerTemporaryFailure
        } else {
            ErrorReason::MessageRefused
        };
        return Error::new(ErrorKind::Protocol, format!("{place} refused: {error}"))
            .with_reason(reason);
    }
    if has_certificate_error(&error) {
        return Error::new(
            ErrorKind::Tls,
            format!("{place} sent a certificate that is not trusted: {error}"),
        )
        .with_reason(ErrorReason::CertificateNotTrusted);
    }
    if let Some(io) = find_io_error(&error) {
        use std::io::ErrorKind as Io;
        // A connection that breaks mid-conversation (an EOF or reset in DATA, say) is a
        // network failure like a refused connect: transient, retried with back-off.
        let doing = match io.kind() {
            Io::UnexpectedEof | Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe => {
                format!("the connection to {place} broke off")
            }
            _ => format!("connecting to {place}"),
        };
        return network_error(doing, std::io::Error::new(io.kind(), error.to_string()));
    }
    if error.is_tls() {
        return Error::new(ErrorKind::Tls, format!("TLS with {place} failed: {error}"));
    }
    if error.is_client()
        && server.security == Security::StartTls
        && offers_starttls(server).await == Some(false)
    {
        return super::start_tls_not_offered(server);
    }
    Error::new(ErrorKind::Protocol, format!("{place}: {error}"))
}

fn causes<'a>(error: &'a SmtpError) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(error), |cause| cause.source())
}

fn find_io_error(error: &SmtpError) -> Option<&std::io::Error> {
    causes(error)
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
        .filter(|io| {
            // rustls reports a bad certificate as an io::Error of kind InvalidData; that is TLS.
            io.kind() != std::io::ErrorKind::InvalidData
        })
}

fn has_certificate_error(error: &SmtpError) -> bool {
    causes(error).any(|cause| {
        let rustls = cause
            .downcast_ref::<tokio_rustls::rustls::Error>()
            .or_else(|| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
            });
        matches!(
            rustls,
            Some(tokio_rustls::rustls::Error::InvalidCertificate(_))
        )
    })
}
