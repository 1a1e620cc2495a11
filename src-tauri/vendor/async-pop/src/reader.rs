//! The incremental reader. Upstream re-parsed the whole reply from byte 0 after every 2 KiB
//! read, kept a "bytes needed" hint that was never reset, and treated a 0-byte read as "try
//! again" — a hang after any long reply, 100 % CPU on hang-up, quadratic time and a 20 MiB cap.
//! Here every byte is scanned once: [`LineReader`] cuts complete lines off the front of the
//! buffer, remembering how far it already looked, and [`MultiLine`] undoes dot-stuffing line by
//! line until the terminating "." line (RFC 1939 §3).

use std::{future::poll_fn, pin::Pin, task::Poll};

use bytes::BytesMut;
use memchr::memchr;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use crate::{
    constants::LF,
    error::{err, ErrorKind, Result},
};

/// How much the buffer asks the socket for at once; large enough that a 10 MB RETR takes a few
/// hundred reads, small enough not to matter per connection.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Default)]
pub(crate) struct LineReader {
    buffer: BytesMut,
    /// Bytes at the front of `buffer` already known to hold no LF.
    scanned: usize,
}

impl LineReader {
    /// The next line including its terminator. A line ends at LF, so bare-LF servers work too.
    /// Fails with [`ErrorKind::ResponseTooLarge`] once more than `limit` bytes arrive without
    /// one, and with [`ErrorKind::ConnectionClosed`] when the peer closes first.
    pub(crate) async fn read_line<R: AsyncRead + Unpin>(
        &mut self,
        source: &mut R,
        limit: usize,
    ) -> Result<BytesMut> {
        loop {
            if let Some(offset) = memchr(LF, &self.buffer[self.scanned..]) {
                let end = self.scanned + offset + 1;
                self.scanned = 0;
                return Ok(self.buffer.split_to(end));
            }
            self.scanned = self.buffer.len();
            if self.scanned > limit {
                err!(
                    ErrorKind::ResponseTooLarge,
                    "The server sent a line longer than {limit} bytes"
                );
            }
            self.fill(source).await?;
        }
    }

    async fn fill<R: AsyncRead + Unpin>(&mut self, source: &mut R) -> Result<()> {
        if self.buffer.capacity() - self.buffer.len() < READ_CHUNK / 4 {
            self.buffer.reserve(READ_CHUNK);
        }
        if source.read_buf(&mut self.buffer).await? == 0 {
            err!(
                ErrorKind::ConnectionClosed,
                "The server closed the connection before its reply was complete"
            );
        }
        Ok(())
    }

    /// Before a command is sent with no reply due, nothing may be waiting: bytes here are an
    /// unasked-for reply that would be taken for the answer to the next command. Looks
    /// without waiting (one non-blocking read).
    pub(crate) async fn expect_silence<R: AsyncRead + Unpin>(
        &mut self,
        source: &mut R,
    ) -> Result<()> {
        if !self.buffer.is_empty() {
            err!(
                ErrorKind::InvalidResponse,
                "The server sent {} bytes nobody asked for",
                self.buffer.len()
            );
        }
        let mut probe = [0u8; 512];
        let peeked = poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut probe);
            match Pin::new(&mut *source).poll_read(cx, &mut buf) {
                Poll::Pending => Poll::Ready(Ok(None)),
                Poll::Ready(Ok(())) => Poll::Ready(Ok(Some(buf.filled().len()))),
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            }
        })
        .await?;
        match peeked {
            None => Ok(()),
            Some(0) => err!(
                ErrorKind::ConnectionClosed,
                "The server closed the connection"
            ),
            Some(extra) => err!(
                ErrorKind::InvalidResponse,
                "The server sent {extra} bytes nobody asked for"
            ),
        }
    }

    /// Bytes received but not yet handed out as lines.
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }
}

/// The body of a multi-line reply being assembled (RFC 1939 §3): each line that starts with
/// "." loses that first octet, and the line that is only "." ends the body. The CRLF before the
/// terminator belongs to the body's last line, so the result is byte for byte what the server
/// holds (the final CRLF included; an empty body is empty).
#[derive(Debug, Default)]
pub(crate) struct MultiLine {
    body: Vec<u8>,
    lines: usize,
}

impl MultiLine {
    /// Adds one received line (terminator included); true when it was the end marker.
    pub(crate) fn push(&mut self, line: &[u8]) -> bool {
        if line == b".\r\n" || line == b".\n" {
            return true;
        }
        let unstuffed = match line.first() {
            Some(b'.') => &line[1..],
            _ => line,
        };
        self.body.extend_from_slice(unstuffed);
        self.lines += 1;
        false
    }

    pub(crate) fn lines(&self) -> usize {
        self.lines
    }

    pub(crate) fn into_body(self) -> Vec<u8> {
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Chunked;

    async fn body_of(wire: &[u8], chunk: usize) -> Result<Vec<u8>> {
        let mut source = Chunked::new(wire, chunk);
        let mut reader = LineReader::default();
        let mut body = MultiLine::default();
        loop {
            let line = reader.read_line(&mut source, usize::MAX).await?;
            if body.push(&line) {
                assert_eq!(
                    reader.buffered(),
                    0,
                    "nothing may be left after the terminator"
                );
                return Ok(body.into_body());
            }
        }
    }

    fn sizes() -> impl Iterator<Item = usize> {
        (1..=64).chain([100, 127, 128, 255, 256, 511, 512])
    }

    #[tokio::test]
    async fn dot_unstuffing_at_every_chunk_size() {
        let cases: [(&[u8], &[u8]); 7] = [
            (b".\r\n", b""),
            (b"a\r\n.\r\n", b"a\r\n"),
            (b"..\r\n.\r\n", b".\r\n"),
            (b"...\r\n.\r\n", b"..\r\n"),
            (b"..a\r\n.b\r\nc\r\n\r\n.\r\n", b".a\r\nb\r\nc\r\n\r\n"),
            (b"x\r\n..\r\n\r\n.\r\n", b"x\r\n.\r\n\r\n"),
            (b"bare\nlf\n..\n.\n", b"bare\nlf\n.\n"),
        ];
        for chunk in sizes() {
            for (wire, expected) in cases {
                let got = body_of(wire, chunk).await.unwrap();
                assert_eq!(
                    got,
                    expected,
                    "chunk {chunk}, wire {:?}",
                    String::from_utf8_lossy(wire)
                );
            }
        }
    }

    #[tokio::test]
    async fn terminator_split_across_reads_at_every_offset() {
        let message: Vec<u8> = (0..40)
            .flat_map(|i| format!(".line {i}\r\n").into_bytes())
            .collect();
        let mut wire: Vec<u8> = Vec::new();
        for line in message.split_inclusive(|&b| b == b'\n') {
            wire.push(b'.');
            wire.extend_from_slice(line);
        }
        wire.extend_from_slice(b".\r\n");
        for chunk in sizes() {
            assert_eq!(
                body_of(&wire, chunk).await.unwrap(),
                message,
                "chunk {chunk}"
            );
        }
    }

    #[tokio::test]
    async fn missing_terminator_is_connection_closed_not_a_hang() {
        for wire in [&b""[..], b"a\r\n", b"a\r\n.", b"a\r\n.\r", b"a\r\n..\r\n"] {
            for chunk in sizes() {
                let error = body_of(wire, chunk).await.unwrap_err();
                assert!(
                    matches!(error.kind(), ErrorKind::ConnectionClosed),
                    "{wire:?} {chunk}"
                );
            }
        }
    }

    #[tokio::test]
    async fn over_long_line_is_refused() {
        let wire = vec![b'x'; 10_000];
        for chunk in [1, 7, 512, 4096] {
            let mut source = Chunked::new(&wire, chunk);
            let error = LineReader::default()
                .read_line(&mut source, 1000)
                .await
                .unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::ResponseTooLarge));
        }
    }

    #[tokio::test]
    async fn large_body_is_linear_and_uncapped() {
        // 25 MiB: above upstream's 20 MiB cap. Quadratic re-parsing would take minutes here.
        let line = b"0123456789012345678901234567890123456789012345678901234567890123456789012\r\n";
        let lines = 25 * 1024 * 1024 / line.len() + 1;
        let mut wire = Vec::with_capacity(lines * line.len() + 3);
        for _ in 0..lines {
            wire.extend_from_slice(line);
        }
        wire.extend_from_slice(b".\r\n");
        let started = std::time::Instant::now();
        let body = body_of(&wire, 16 * 1024).await.unwrap();
        assert_eq!(body.len(), lines * line.len());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}
