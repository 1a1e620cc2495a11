//! One POP3 session: connect, log in, list, retrieve, delete, QUIT (RFC 1939 §§3–6).

use std::{future::Future, sync::Arc, time::Duration};

use async_pop::response::{
    capability::Capability, list::ListResponse, types::DataType, uidl::UidlResponse,
};
use tokio_rustls::rustls::ClientConfig;

use super::{
    failure::{dropped, from_login, from_pop, greeting_timed_out, nonsense, timed_out},
    timeouts::Timeouts,
    transport::{self, Stream},
};
use crate::{
    account::{Security, ServerSettings},
    error::{Error, ErrorKind, ErrorReason, Result},
};

type Client = async_pop::Client<Stream>;

/// A logged-in (or about to be) POP3 connection.
///
/// Every method takes the connection out for its exchange and puts it back only when the
/// exchange succeeded. After any error or timeout the connection is gone and every later call
/// fails without touching the network: a reply that arrives late must never be read as the
/// answer to the next command, and a dropped connection deletes nothing (RFC 1939 §6).
pub struct Pop3Session {
    client: Option<Client>,
    timeouts: Timeouts,
    host: String,
}

impl std::fmt::Debug for Pop3Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3Session")
            .field("host", &self.host)
            .field("usable", &self.client.is_some())
            .finish()
    }
}

/// Runs one exchange under `limit`, naming `step` in any error.
async fn timed<T>(
    step: &str,
    limit: Duration,
    exchange: impl Future<Output = async_pop::Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, exchange).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(from_pop(step, error)),
        Err(_) => Err(timed_out(step, limit)),
    }
}

impl Pop3Session {
    /// Connect (under `timeouts.connect`) → greeting (RFC 1939 §4) → CAPA (RFC 2449 §5; a
    /// `-ERR` means no capabilities) → for [`Security::StartTls`], STLS (RFC 2595 §4) → ready to
    /// log in. [`Security::Tls`] is implicit TLS; [`Security::PlaintextDangerous`] is no TLS at
    /// all (loopback tests only; the account layer refuses it for other hosts).
    ///
    /// StartTls never downgrades: if CAPA lacks STLS this fails with `ErrorKind::Tls` and
    /// `ErrorReason::StartTlsNotOffered`, closing the connection before any credential is sent.
    /// After the handshake CAPA is asked again, because RFC 2595 §4 makes the client forget
    /// what a server said before TLS. The handshake runs here with tokio-rustls on the raw
    /// stream that async-pop hands back after `+OK` to STLS.
    pub async fn connect(
        server: &ServerSettings,
        tls: Arc<ClientConfig>,
        timeouts: Timeouts,
    ) -> Result<Pop3Session> {
        let host = server.host.trim();
        if server.security == Security::PlaintextDangerous && !transport::is_loopback(host) {
            // The account layer refuses this already; a password must not leak if a caller
            // skipped validation.
            return Err(Error::config(format!(
                "the POP3 server {host} would be reached without encryption"
            )));
        }
        tracing::debug!(host, port = server.port, security = ?server.security, "POP3: connecting");
        let tcp = transport::connect(host, server.port, timeouts.connect).await?;
        let client = match server.security {
            Security::Tls => {
                let stream = transport::handshake(Box::new(tcp), host, tls, timeouts.tls).await?;
                greet(stream, &timeouts).await?
            }
            Security::PlaintextDangerous => greet(Box::new(tcp), &timeouts).await?,
            Security::StartTls => {
                let plain = greet(Box::new(tcp), &timeouts).await?;
                if !plain.has_capability([Capability::Stls]) {
                    // Dropping `plain` closes the connection before any credential is sent.
                    return Err(Error::new(
                        ErrorKind::Tls,
                        format!("the POP3 server {host} does not offer STLS, so the connection cannot be encrypted"),
                    )
                    .with_reason(ErrorReason::StartTlsNotOffered));
                }
                let (stream, greeting) = timed("STLS", timeouts.command, plain.stls()).await?;
                let stream = transport::handshake(stream, host, tls, timeouts.tls).await?;
                let mut client = async_pop::after_stls(stream, greeting);
                timed("CAPA", timeouts.command, client.refresh_capabilities()).await?;
                client
            }
        };
        tracing::debug!(host, capabilities = ?client.capabilities(), "POP3: ready to log in");
        Ok(Pop3Session {
            client: Some(client),
            timeouts,
            host: host.to_owned(),
        })
    }

    /// Logs in with the best method CAPA offers: SASL PLAIN (RFC 5034 §4, RFC 4616), CRAM-MD5
    /// (RFC 2195), LOGIN, then USER and PASS, or APOP (RFC 1939 §7). One attempt, never a silent fallback to another mechanism: each
    /// failure counts against the account on the server. `-ERR` to the credentials is
    /// `ErrorKind::Auth`; `-ERR [IN-USE]`, `[LOGIN-DELAY]` and `[SYS/…]` (RFC 2449 §8,
    /// RFC 3206) are `ErrorKind::Protocol`, because the password may well be right.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<()> {
        let mut client = self.take("the login")?;
        let limit = self.timeouts.command;
        match tokio::time::timeout(limit, client.login(username, password)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(from_login(error)),
            Err(_) => return Err(timed_out("the login", limit)),
        }
        tracing::debug!(host = %self.host, "POP3: logged in");
        self.client = Some(client);
        Ok(())
    }

    /// (message number, unique id) for every message, from UIDL (RFC 1939 §7); `None` when
    /// the server refuses UIDL (it is optional), leaving the session usable.
    pub async fn uidl_all(&mut self) -> Result<Option<Vec<(u32, String)>>> {
        let mut client = self.take("UIDL")?;
        let reply = match tokio::time::timeout(self.timeouts.command, client.uidl(None)).await {
            Ok(Err(error)) if matches!(error.kind(), async_pop::ErrorKind::ServerError(_)) => {
                // `-ERR` is a whole reply: the conversation is still in step.
                tracing::info!(host = %self.host, "POP3: the server refuses UIDL");
                self.client = Some(client);
                return Ok(None);
            }
            Ok(result) => result.map_err(|error| from_pop("UIDL", error))?,
            Err(_) => return Err(timed_out("UIDL", self.timeouts.command)),
        };
        let UidlResponse::Multiple(listing) = reply else {
            return Err(nonsense("UIDL", "a single listing instead of all of them"));
        };
        let mut all = Vec::with_capacity(listing.items().len());
        for item in listing.items() {
            let number = message_number("UIDL", item.index())?;
            let id = item.id().value().map_err(|error| nonsense("UIDL", error))?;
            all.push((number, id));
        }
        self.client = Some(client);
        Ok(Some(all))
    }

    /// (message number, size in octets) from LIST (RFC 1939 §5).
    pub async fn list_all(&mut self) -> Result<Vec<(u32, u64)>> {
        let mut client = self.take("LIST")?;
        let reply = timed("LIST", self.timeouts.command, client.list(None)).await?;
        let ListResponse::Multiple(listing) = reply else {
            return Err(nonsense("LIST", "a single listing instead of all of them"));
        };
        let mut all = Vec::with_capacity(listing.items().len());
        for item in listing.items() {
            let number = message_number("LIST", item.counter())?;
            let size = item
                .size()
                .value()
                .map_err(|error| nonsense("LIST", error))?;
            all.push((number, size as u64));
        }
        self.client = Some(client);
        Ok(all)
    }

    /// The message's exact bytes: dot-unstuffed, final CRLF kept (RFC 1939 §§3, 5). The
    /// deadline is `command + per_mib × size_hint` in MiB ([`Timeouts::retr`]); `size_hint`
    /// is the size LIST gave.
    pub async fn retr(&mut self, number: u32, size_hint: u64) -> Result<Vec<u8>> {
        let mut client = self.take("RETR")?;
        let limit = self.timeouts.retr(size_hint);
        let message = timed("RETR", limit, client.retr(number as usize)).await?;
        tracing::trace!(number, octets = message.len(), "POP3: retrieved");
        self.client = Some(client);
        Ok(Vec::from(message))
    }

    /// The message's headers, the blank line and its first `lines` body lines, exactly as
    /// [`Self::retr`] would give them (RFC 1939 §7). `None` when the server refuses TOP (it is
    /// optional), leaving the session usable.
    pub async fn top(&mut self, number: u32, lines: u32) -> Result<Option<Vec<u8>>> {
        let mut client = self.take("TOP")?;
        let limit = self.timeouts.command;
        match tokio::time::timeout(limit, client.top(number as usize, lines as usize)).await {
            Ok(Ok(message)) => {
                self.client = Some(client);
                Ok(Some(Vec::from(message)))
            }
            Ok(Err(error)) if matches!(error.kind(), async_pop::ErrorKind::ServerError(_)) => {
                tracing::info!(host = %self.host, number, "POP3: the server refuses TOP");
                self.client = Some(client);
                Ok(None)
            }
            Ok(Err(error)) => Err(from_pop("TOP", error)),
            Err(_) => Err(timed_out("TOP", limit)),
        }
    }

    /// Marks the message for deletion; the server removes it at QUIT (RFC 1939 §§5–6).
    pub async fn dele(&mut self, number: u32) -> Result<()> {
        let mut client = self.take("DELE")?;
        timed("DELE", self.timeouts.command, client.dele(number as usize)).await?;
        self.client = Some(client);
        Ok(())
    }

    /// Whether this session already sent DELE for the message.
    pub fn is_marked_deleted(&self, number: u32) -> bool {
        self.client
            .as_ref()
            .is_some_and(|client| client.is_deleted(&(number as usize)))
    }

    /// QUIT: the server commits deletions (RFC 1939 §6).
    pub async fn quit(mut self) -> Result<()> {
        let mut client = self.take("QUIT")?;
        timed("QUIT", self.timeouts.command, client.quit()).await?;
        tracing::debug!(host = %self.host, "POP3: session ended");
        Ok(())
    }

    fn take(&mut self, step: &str) -> Result<Client> {
        self.client.take().ok_or_else(|| dropped(step))
    }
}

/// The greeting, then the capability list; each under the command deadline.
async fn greet(stream: Stream, timeouts: &Timeouts) -> Result<Client> {
    let limit = timeouts.command;
    let mut client = match tokio::time::timeout(limit, async_pop::greet(stream)).await {
        Ok(result) => result.map_err(|error| from_pop("the greeting", error))?,
        Err(_) => return Err(greeting_timed_out(limit)),
    };
    timed("CAPA", timeouts.command, client.refresh_capabilities()).await?;
    Ok(client)
}

fn message_number(step: &str, number: &async_pop::response::types::number::Number) -> Result<u32> {
    let value = number.value().map_err(|error| nonsense(step, error))?;
    u32::try_from(value).map_err(|_| nonsense(step, format!("message number {value}")))
}
