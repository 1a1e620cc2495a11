//! Line-at-a-time reading for the probes, bounded in line length and count. Bytes are read
//! into our own buffer, so before a STLS/STARTTLS upgrade we can see that the server sent
//! nothing ahead of the handshake (RFC 3207 §4.2, the "STARTTLS injection" attack) and refuse.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{network_error, Error, ErrorKind, ErrorReason, Result};

/// A reply line longer than this is not POP3 or SMTP (RFC 2449 §4 allows 512 octets).
const MAX_LINE: usize = 4096;

pub(super) struct Wire<S> {
    stream: S,
    buffer: Vec<u8>,
    host: String,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub fn new(stream: S, host: &str) -> Self {
        Wire {
            stream,
            buffer: Vec::new(),
            host: host.to_owned(),
        }
    }

    /// One line without its line ending.
    pub async fn line(&mut self) -> Result<String> {
        loop {
            if let Some(end) = self.buffer.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            if self.buffer.len() > MAX_LINE {
                return Err(self.nonsense("a line longer than any reply"));
            }
            let mut chunk = [0u8; 1024];
            let read = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|error| network_error(format!("reading from {}", self.host), error))?;
            if read == 0 {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!("{} closed the connection", self.host),
                )
                .with_reason(ErrorReason::ConnectionClosed));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    pub async fn send(&mut self, command: &str) -> Result<()> {
        self.stream
            .write_all(command.as_bytes())
            .await
            .map_err(|error| network_error(format!("writing to {}", self.host), error))?;
        self.stream
            .flush()
            .await
            .map_err(|error| network_error(format!("writing to {}", self.host), error))
    }

    /// The stream for a TLS upgrade; refused if the server already sent more.
    pub fn into_stream(self) -> Result<S> {
        if !self.buffer.is_empty() {
            return Err(Error::new(
                ErrorKind::Tls,
                format!(
                    "{} sent data before the TLS handshake, which could be an attack",
                    self.host
                ),
            ));
        }
        Ok(self.stream)
    }

    pub fn nonsense(&self, what: &str) -> Error {
        Error::new(
            ErrorKind::Protocol,
            format!("{} answered {what}", self.host),
        )
    }
}
