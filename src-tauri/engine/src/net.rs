//! What both protocols need before speaking: finding the host, and knowing which hosts never
//! leave the machine.

use std::net::SocketAddr;

use crate::error::{Error, ErrorKind, ErrorReason, Result};

/// Names that cannot leave the machine; the only hosts plain text is allowed for.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Resolves `host` as its own step, so that "no such host" is told apart from "refused".
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| unknown_host(host, Some(error)))?
        .collect();
    if addresses.is_empty() {
        return Err(unknown_host(host, None));
    }
    Ok(addresses)
}

fn unknown_host(host: &str, cause: Option<std::io::Error>) -> Error {
    let error = Error::new(
        ErrorKind::Network,
        format!("the server name {host} was not found"),
    )
    .with_reason(ErrorReason::UnknownHost);
    match cause {
        Some(cause) => error.with_source(cause),
        None => error,
    }
}
