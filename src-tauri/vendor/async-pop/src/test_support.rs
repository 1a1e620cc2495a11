//! An in-memory connection that hands out a scripted server byte stream at most `chunk` bytes
//! per read (then EOF) and records what the client writes: the way to test every reader at
//! every chunk size without sockets (DESIGN §3.3). Like a real server it answers only after
//! being asked: each command line written releases the next scripted reply.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub(crate) struct Chunked {
    input: Vec<u8>,
    position: usize,
    chunk: usize,
    /// Replies not yet released, in reverse order.
    pending: Vec<Vec<u8>>,
    pub(crate) written: Vec<u8>,
}

impl Chunked {
    /// All of `input` readable at once.
    pub(crate) fn new(input: &[u8], chunk: usize) -> Self {
        Self::scripted(vec![input.to_vec()], chunk)
    }

    /// `replies[0]` is readable at once (the greeting); each later one after one more line.
    pub(crate) fn scripted(mut replies: Vec<Vec<u8>>, chunk: usize) -> Self {
        replies.reverse();
        let input = replies.pop().unwrap_or_default();
        Chunked {
            input,
            position: 0,
            chunk,
            pending: replies,
            written: Vec::new(),
        }
    }
}

impl AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.position == this.input.len() && !this.pending.is_empty() {
            // The next reply waits for a command; a read now is the client peeking.
            return Poll::Pending;
        }
        let end = this.input.len().min(this.position + this.chunk);
        let available = &this.input[this.position..end];
        let take = available.len().min(buf.remaining());
        buf.put_slice(&available[..take]);
        this.position += take;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Chunked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.extend_from_slice(buf);
        for _ in buf.iter().filter(|&&b| b == b'\n') {
            if let Some(reply) = self.pending.pop() {
                self.input.extend_from_slice(&reply);
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
