//! The byte stream under a session: TCP, optionally wrapped in TLS. Boxed so that a session is
//! one type whether it started in TLS, upgraded with STLS or (loopback tests only) stayed plain.

use std::{sync::Arc, time::Duration};

use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use tokio_rustls::{
    rustls::{pki_types::ServerName, ClientConfig},
    TlsConnector,
};

use super::timeouts::describe;
use crate::error::{network_error, Error, ErrorKind, Result};

pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(super) type Stream = Box<dyn Io>;

/// Resolves `host` and connects to the first address that answers, all within `limit`.
/// Resolution is its own step so that "no such host" is told apart from "refused".
pub(super) async fn connect(host: &str, port: u16, limit: Duration) -> Result<TcpStream> {
    let attempt = async {
        let addresses = crate::net::resolve(host, port).await?;
        let mut last_error = None;
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(stream) => return Ok(stream),
                Err(error) => {
                    tracing::debug!(%address, %error, "POP3: connection attempt failed");
                    last_error = Some(error);
                }
            }
        }
        let error = last_error.unwrap_or_else(|| std::io::ErrorKind::NotConnected.into());
        Err(network_error(
            format!("could not connect to the POP3 server {host}:{port}"),
            error,
        ))
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "could not connect to the POP3 server {host}:{port} within {}",
                describe(limit)
            ),
        )),
    }
}

pub(super) use crate::net::is_loopback;

/// The TLS handshake, verifying the certificate for `host` (a name or an IP address) against
/// `config`'s roots. An untrusted certificate is `ErrorKind::Tls`.
pub(super) async fn handshake(
    stream: Stream,
    host: &str,
    config: Arc<ClientConfig>,
    limit: Duration,
) -> Result<Stream> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::config(format!("“{host}” is not a server name TLS can verify")))?;
    let connector = TlsConnector::from(config);
    match tokio::time::timeout(limit, connector.connect(name, stream)).await {
        Ok(Ok(tls)) => Ok(Box::new(tls)),
        Ok(Err(error)) => Err(network_error(
            format!("the TLS handshake with {host} failed"),
            error,
        )),
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "the TLS handshake with {host} did not finish within {}",
                describe(limit)
            ),
        )),
    }
}
