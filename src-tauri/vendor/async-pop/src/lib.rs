//! # Pop3 client
//!
//! An async POP3 client (RFC 1939, with CAPA from RFC 2449, STLS from RFC 2595 and SASL from
//! RFC 5034) on tokio. This is Dakiya's fixed copy of async-pop 1.1.3; `VENDORED.md` lists
//! what changed and why.
//!
//! Sessions start from any connected stream: [`new`] reads the greeting and the capability
//! list, [`connect_plain`] opens a TCP connection first. TLS is the caller's: wrap the stream
//! before [`new`] for implicit TLS (port 995), or call [`Client::stls`], run the handshake on
//! the stream it returns, and continue with [`after_stls`].
//!
//! ```rust,ignore
//! let tcp = tokio::net::TcpStream::connect(("pop.example.com", 995)).await?;
//! let tls = tokio_rustls::TlsConnector::from(config).connect(server_name, tcp).await?;
//! let mut client = async_pop::new(tls).await?;
//! client.login("asha@example.com", "password").await?;
//! let message = client.retr(1).await?;
//! client.quit().await?;
//! ```

mod client;
mod command;
mod constants;
pub mod error;
mod reader;
pub mod request;
pub mod response;
mod stream;

#[cfg(feature = "sasl")]
mod base64;
#[cfg(feature = "sasl")]
pub mod sasl;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod test_support;

use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpStream, ToSocketAddrs},
};

pub use client::{Client, ClientState};
pub use command::Command;
pub use error::{Error, ErrorKind, Result};
pub use stream::PopStream;

use response::types::message::Text;

/// Starts a session on a connected stream: reads the greeting, then the capability list
/// (a server that answers CAPA with `-ERR` just has none).
pub async fn new<S: AsyncRead + AsyncWrite + Unpin + Send>(stream: S) -> Result<Client<S>> {
    let mut client = greet(stream).await?;
    client.refresh_capabilities().await?;
    Ok(client)
}

/// Starts a session on a connected stream and reads only the greeting (RFC 1939 §4), for
/// callers that time each step separately; follow with [`Client::refresh_capabilities`].
pub async fn greet<S: AsyncRead + AsyncWrite + Unpin + Send>(stream: S) -> Result<Client<S>> {
    let mut client = Client::from_stream(PopStream::new(stream), None);
    client.read_greeting().await?;
    Ok(client)
}

/// Continues a session on the TLS stream made from what [`Client::stls`] returned. No greeting
/// follows STLS, and RFC 2595 §4 requires forgetting the capabilities learnt in plain text:
/// call [`Client::refresh_capabilities`] next.
pub fn after_stls<S: AsyncRead + AsyncWrite + Unpin + Send>(
    stream: S,
    greeting: Text,
) -> Client<S> {
    Client::from_stream(PopStream::with_greeting_due(stream, false), Some(greeting))
}

/// Creates a new pop3 client using a plain connection.
///
/// DO NOT USE in a production environment. Your password will be sent over a plain tcp stream which hackers could intercept.
pub async fn connect_plain<A: ToSocketAddrs>(addr: A) -> Result<Client<TcpStream>> {
    let tcp_stream = TcpStream::connect(addr).await?;

    new(tcp_stream).await
}
