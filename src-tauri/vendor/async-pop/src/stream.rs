//! One POP3 connection: writes a command, reads its whole reply. It refuses to go on once an
//! exchange did not finish cleanly — an I/O error, a malformed reply, or a future dropped
//! half-way (a timeout) — because the next reply read could belong to the previous command
//! (upstream kept the failed command queued and mixed replies up).

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tracing::trace;

use crate::{
    error::{err, ErrorKind, Result},
    reader::{LineReader, MultiLine},
    request::Request,
    response::{
        parse::{self, printable, Status},
        Response,
    },
};

/// RFC 2449 §4 caps a status line at 512 octets; 64 KiB leaves room for odd servers while a
/// server that never sends LF cannot fill memory. RETR and TOP bodies have no line limit.
const MAX_LINE: usize = 64 * 1024;

pub struct PopStream<S: AsyncRead + AsyncWrite + Unpin> {
    last_activity: Instant,
    reader: LineReader,
    stream: S,
    /// Commands (or the greeting) whose replies have not been read yet: more than one only
    /// while pipelining (RFC 2449 §6.6).
    awaiting: usize,
    /// An exchange started and did not finish cleanly: the connection is out of step.
    broken: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> PopStream<S> {
    /// Wraps a fresh connection; the server speaks first (RFC 1939 §4), so a greeting is due.
    pub fn new(stream: S) -> PopStream<S> {
        Self::with_greeting_due(stream, true)
    }

    pub(crate) fn with_greeting_due(stream: S, greeting_due: bool) -> PopStream<S> {
        Self {
            last_activity: Instant::now(),
            reader: LineReader::default(),
            stream,
            awaiting: usize::from(greeting_due),
            broken: false,
        }
    }

    pub fn last_activity(&self) -> Instant {
        self.last_activity
    }

    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// False once an exchange failed for any reason but a `-ERR` reply.
    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// Sends one command line.
    pub async fn encode(&mut self, request: &Request) -> Result<()> {
        if self.broken || self.awaiting > 0 {
            err!(
                ErrorKind::NotConnected,
                "The connection is out of step after an earlier failure and cannot be used"
            );
        }
        self.send(std::slice::from_ref(request)).await
    }

    /// Sends several command lines in one write without waiting for replies (RFC 2449 §6.6
    /// PIPELINING; the caller checks that the server offers it). Replies still due from
    /// earlier pipelined commands stay due: read them all, in order, with
    /// [`PopStream::read_response`].
    pub async fn encode_pipelined(&mut self, requests: &[Request]) -> Result<()> {
        if self.broken {
            err!(
                ErrorKind::NotConnected,
                "The connection failed earlier and cannot be used"
            );
        }
        self.send(requests).await
    }

    async fn send(&mut self, requests: &[Request]) -> Result<()> {
        let mut wire = Vec::new();
        for request in requests {
            wire.extend_from_slice(&request.to_wire()?);
            trace!(target: "async_pop", "C: {}", request.log_form());
        }
        self.broken = true;
        if self.awaiting == 0 {
            // With replies due, bytes waiting are those replies; with none due, they are not.
            self.reader.expect_silence(&mut self.stream).await?;
        }
        self.last_activity = Instant::now();
        self.stream.write_all(&wire).await?;
        self.stream.flush().await?;
        self.broken = false;
        self.awaiting += requests.len();
        Ok(())
    }

    /// How many replies are still due (more than one only while pipelining).
    pub fn replies_due(&self) -> usize {
        self.awaiting
    }

    /// Reads the whole reply to `request` (the oldest command whose reply is due, or the
    /// greeting). A `-ERR` reply becomes [`ErrorKind::ServerError`] and leaves the connection
    /// usable.
    pub async fn read_response(&mut self, request: &Request) -> Result<Response> {
        if self.broken {
            err!(
                ErrorKind::NotConnected,
                "The connection failed earlier and cannot be used"
            );
        }
        if self.awaiting == 0 {
            err!(
                ErrorKind::MissingRequest,
                "Trying to read a response without having sent a request"
            );
        }
        self.broken = true;
        let response = self.receive(request).await;
        if response.as_ref().is_ok() || response.as_ref().is_err_and(|e| e.is_server_error()) {
            self.broken = false;
            self.awaiting -= 1;
        }
        self.last_activity = Instant::now();
        response
    }

    async fn receive(&mut self, request: &Request) -> Result<Response> {
        let line = self.reader.read_line(&mut self.stream, MAX_LINE).await?;
        trace!(target: "async_pop", "S: {}", printable(parse::trim_line_end(&line)));
        let response = match parse::status(&line)? {
            Status::Negative(text) => {
                self.expect_nothing_more()?;
                return Err(crate::error::Error::new(
                    ErrorKind::ServerError(String::from_utf8_lossy(text).into_owned()),
                    format!("The server refused {}", request.command()),
                ));
            }
            #[cfg(feature = "sasl")]
            Status::Continuation(data) if request.allows_continuation() => {
                Response::Challenge(crate::base64::decode(data)?.into())
            }
            Status::Continuation(_) => err!(
                ErrorKind::InvalidResponse,
                "The server sent a SASL continuation in reply to {}",
                request.command()
            ),
            Status::Positive(text) if request.expects_multiline() => {
                let body = self.read_body(request).await?;
                parse::multi_line(request, text, body)?
            }
            Status::Positive(text) => parse::single_line(request, text)?,
        };
        self.expect_nothing_more()?;
        Ok(response)
    }

    async fn read_body(&mut self, request: &Request) -> Result<Vec<u8>> {
        use crate::command::Command;
        let limit = match request.command() {
            Command::Retr | Command::Top => usize::MAX,
            _ => MAX_LINE,
        };
        let mut body = MultiLine::default();
        loop {
            let line = self.reader.read_line(&mut self.stream, limit).await?;
            if body.push(&line) {
                trace!(target: "async_pop", "S: <{} lines>", body.lines());
                return Ok(body.into_body());
            }
        }
    }

    /// Bytes after the last reply due mean the server and we disagree about where replies end;
    /// reading on could file one message's bytes under another's number. While pipelined
    /// replies are still due, bytes after this one are the next reply.
    fn expect_nothing_more(&self) -> Result<()> {
        if self.awaiting <= 1 && self.reader.buffered() > 0 {
            err!(
                ErrorKind::InvalidResponse,
                "The server sent {} bytes more than its reply",
                self.reader.buffered()
            );
        }
        Ok(())
    }

    /// Hands back the raw connection for a TLS upgrade (RFC 2595 §4). Only between exchanges.
    pub(crate) fn into_inner(self) -> Result<S> {
        if self.broken || self.awaiting > 0 || self.reader.buffered() > 0 {
            err!(
                ErrorKind::InvalidResponse,
                "The connection is not between two exchanges"
            );
        }
        Ok(self.stream)
    }

    /// Best effort: lets TLS send close_notify; the session is over either way.
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}
