//! Reaching a host for discovery: through the test resolver when one is set, else DNS; and
//! the TLS handshake, always verifying the certificate for the host name asked for.

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{pki_types::ServerName, ClientConfig};
use tokio_rustls::TlsConnector;

use super::DiscoveryOptions;
use crate::error::{network_error, Error, ErrorKind, ErrorReason, Result};

/// Connects to `host:port`, trying each address in turn. No deadline here: callers bound the
/// whole exchange.
pub(super) async fn tcp(host: &str, port: u16, options: &DiscoveryOptions) -> Result<TcpStream> {
    let addresses = match &options.resolver {
        Some(resolver) => match resolver.resolve(host, port) {
            Some(address) => vec![address],
            None => {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!("the server name {host} was not found"),
                )
                .with_reason(ErrorReason::UnknownHost))
            }
        },
        None => crate::net::resolve(host, port).await?,
    };
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    let error = last_error.unwrap_or_else(|| std::io::ErrorKind::NotConnected.into());
    Err(network_error(
        format!("could not connect to {host}:{port}"),
        error,
    ))
}

/// The TLS handshake; an untrusted or mismatched certificate is `ErrorKind::Tls`.
pub(super) async fn tls<S>(stream: S, host: &str, config: Arc<ClientConfig>) -> Result<TlsStream<S>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::config(format!("“{host}” is not a server name TLS can verify")))?;
    TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|error| network_error(format!("the TLS handshake with {host} failed"), error))
}

/// `limit` over `work`, naming what timed out.
pub(super) async fn within<T>(
    limit: std::time::Duration,
    what: impl std::fmt::Display,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("{what} did not answer within {} ms", limit.as_millis()),
        )),
    }
}
