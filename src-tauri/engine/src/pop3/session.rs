//! One POP3 session: connect, log in, list, retrieve, delete, QUIT (RFC 1939 §§3–6).

use std::{future::Future, sync::Arc, time::Duration};

use async_pop::response::{
    capability::Capability, list::ListResponse, types::DataType, uidl::UidlResponse,
};
use tokio_rustls::rustls::ClientConfig;

use super::{
    failure::{dropped, from_login, from_pop, greeting_timed_out, nonsense, timed_out},
    read_ahead::{Planned, ReadAhead, Route},
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
///
/// With [`Pop3Session::plan_retrs`] and a server that offers PIPELINING, RETRs for the next
/// planned messages are in flight while one is read. Every other command first reads the
/// replies still due (each under its RETR deadline) and keeps them for the `retr` calls that
/// follow, so no reply is ever taken for another's.
pub struct Pop3Session {
    client: Option<Client>,
    timeouts: Timeouts,
    host: String,
    ahead: ReadAhead,
}

impl std::fmt::Debug for Pop3Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3Session")
            .field("host", &self.host)
            .field("usable", &self.client.is_some())
            .field("retrs_in_flight", &self.ahead.in_flight.len())
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
            ahead: ReadAhead::default(),
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
    /// the server does not have UIDL (it is optional), leaving the session usable. Only a plain
    /// `-ERR` from a server whose CAPA does not list UIDL means that: a refusal with a response
    /// code (`[SYS/TEMP]`, `[IN-USE]`, RFC 2449 §8) or from a server that lists UIDL is a
    /// passing failure, and taking it for "no UIDL" would rename — and download again — every
    /// message on the server.
    pub async fn uidl_all(&mut self) -> Result<Option<Vec<(u32, String)>>> {
        let mut client = self.take_idle("UIDL").await?;
        let offered = client.has_capability([Capability::Uidl]);
        let reply = match tokio::time::timeout(self.timeouts.command, client.uidl(None)).await {
            Ok(Err(error))
                if !offered
                    && matches!(error.kind(), async_pop::ErrorKind::ServerError(text)
                        if !text.trim_start().starts_with('[')) =>
            {
                // `-ERR` is a whole reply: the conversation is still in step.
                tracing::info!(host = %self.host, "POP3: the server has no UIDL");
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
        let mut client = self.take_idle("LIST").await?;
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

    /// Tells the session which messages `retr` will be asked for next, in this order, with
    /// their LIST sizes, so that it can ask for the next few while one downloads (RFC 2449
    /// §6.6). Does nothing unless the server offers PIPELINING. Plan only messages that will
    /// be RETRed: a planned message passed over costs its download if it was already asked
    /// for (never one bigger than the window, ~1 MiB). RETR or TOP off the plan is correct,
    /// only not pipelined.
    pub fn plan_retrs(&mut self, messages: impl IntoIterator<Item = Planned>) {
        if self.client.as_ref().is_some_and(Client::can_pipeline) {
            self.ahead.plan(messages);
        }
    }

    /// The message's exact bytes: dot-unstuffed, final CRLF kept (RFC 1939 §§3, 5). The
    /// deadline is `command + per_mib × size_hint` in MiB ([`Timeouts::retr`]); `size_hint`
    /// is the size LIST gave. When pipelining, the deadline runs from when this message's
    /// reply is awaited (earlier replies were read by earlier calls), and grows by the sizes
    /// of any planned messages passed over that must be read first. A message off the plan
    /// (say, after a refused TOP) waits for the replies due, which stay for later calls.
    pub async fn retr(&mut self, number: u32, size_hint: u64) -> Result<Vec<u8>> {
        let mut client = self.take("RETR")?;
        let route = self.ahead.route(number);
        let message = match route {
            Route::Ready => match self.ahead.ready.pop_front() {
                Some((_, Ok(message))) => message,
                Some((_, Err(error))) => return Err(from_pop("RETR", error)),
                None => return Err(nonsense("RETR", "a reply read ahead went missing")),
            },
            Route::Pipelined { skip, send } => {
                let skipped: u64 = skip.iter().map(|(_, size)| size).sum();
                let limit = self.timeouts.retr(size_hint.saturating_add(skipped));
                let exchange = pipelined_retr(&mut client, skip.len(), &send, number);
                timed("RETR", limit, exchange).await?
            }
            Route::Unplanned => {
                self.read_due(&mut client).await?;
                let limit = self.timeouts.retr(size_hint);
                let exchange = client.retr(number as usize);
                Vec::from(timed("RETR", limit, exchange).await?)
            }
        };
        tracing::trace!(number, octets = message.len(), "POP3: retrieved");
        self.client = Some(client);
        Ok(message)
    }

    /// The message's headers, the blank line and its first `lines` body lines, exactly as
    /// [`Self::retr`] would give them (RFC 1939 §7). `None` when the server refuses TOP (it is
    /// optional), leaving the session usable.
    ///
    /// The deadline scales with `size_hint` (the LIST size) as for RETR: a start of 40 lines can
    /// be megabytes when the lines are long, and a fixed deadline would fail that message on
    /// every check, so no later mail would arrive.
    pub async fn top(
        &mut self,
        number: u32,
        lines: u32,
        size_hint: u64,
    ) -> Result<Option<Vec<u8>>> {
        let mut client = self.take_idle("TOP").await?;
        let limit = self.timeouts.retr(size_hint);
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
        let mut client = self.take_idle("DELE").await?;
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
        let mut client = self.take_idle("QUIT").await?;
        timed("QUIT", self.timeouts.command, client.quit()).await?;
        tracing::debug!(host = %self.host, "POP3: session ended");
        Ok(())
    }

    /// For RETR (and the login, before any RETR). Other commands, TOP included, go through
    /// [`Self::take_idle`]: while pipelined RETRs are due, async-pop refuses other commands,
    /// and that refusal would end the session.
    fn take(&mut self, step: &str) -> Result<Client> {
        self.client.take().ok_or_else(|| dropped(step))
    }

    /// The connection for a command other than RETR, once every pipelined RETR reply still
    /// due has been read (each under its own RETR deadline) and kept for `retr`: until then
    /// the server's answer to `step` would be queued behind them.
    async fn take_idle(&mut self, step: &str) -> Result<Client> {
        let mut client = self.take(step)?;
        self.read_due(&mut client).await?;
        Ok(client)
    }

    /// Reads every pipelined RETR reply still due into `ready`, each under its own RETR
    /// deadline. On failure the caller drops `client`: the session is over.
    async fn read_due(&mut self, client: &mut Client) -> Result<()> {
        while let Some(&(number, size)) = self.ahead.in_flight.front() {
            let limit = self.timeouts.retr(size);
            let reply = match tokio::time::timeout(limit, next_retr(client, number)).await {
                Ok(Ok(message)) => Ok(message),
                Ok(Err(error)) if error.is_server_error() => Err(error),
                Ok(Err(error)) => return Err(from_pop("RETR", error)),
                Err(_) => return Err(timed_out("RETR", limit)),
            };
            self.ahead.in_flight.pop_front();
            self.ahead.ready.push_back((number, reply));
        }
        Ok(())
    }
}

/// Reads and drops the replies to the first `count` RETRs in flight: messages planned, asked
/// for, then passed over by the caller. A `-ERR` among them concerns nobody.
async fn pass_over(client: &mut Client, count: usize) -> async_pop::Result<()> {
    for _ in 0..count {
        match client.next_retr().await {
            Ok(_) => {}
            Err(error) if error.is_server_error() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Passes over `skip` replies, sends `send` to keep the window full, then reads `number`.
async fn pipelined_retr(
    client: &mut Client,
    skip: usize,
    send: &[u32],
    number: u32,
) -> async_pop::Result<Vec<u8>> {
    pass_over(client, skip).await?;
    let send: Vec<usize> = send.iter().map(|&n| n as usize).collect();
    client.send_retrs(&send).await?;
    next_retr(client, number).await
}

/// The reply to the oldest RETR in flight, which must be `number`'s: our bookkeeping and the
/// client's disagreeing would file one message under another's number, so that is an error.
async fn next_retr(client: &mut Client, number: u32) -> async_pop::Result<Vec<u8>> {
    if client.retrs_due().next() != Some(number as usize) {
        return Err(async_pop::Error::new(
            async_pop::ErrorKind::UnexpectedResponse,
            format!("the RETR replies in flight are not in step (wanted message {number})"),
        ));
    }
    client.next_retr().await.map(Vec::from)
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
