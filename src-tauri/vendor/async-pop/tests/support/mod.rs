//! A scripted POP3 server on 127.0.0.1: each test writes the server's side of the
//! conversation as straight-line code, and gets back every line the client sent.

#![allow(dead_code)] // each test file uses a different part of it

use std::{future::Future, net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{
        tcp::{OwnedReadHalf, OwnedWriteHalf},
        TcpListener,
    },
    task::JoinHandle,
};

pub struct Peer {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    pub received: Vec<String>,
}

impl Peer {
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.writer
            .write_all(bytes.as_ref())
            .await
            .expect("server write");
    }

    /// The next line from the client, without CRLF; None once it closed.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let read = self.reader.read_until(b'\n', &mut line).await.ok()?;
        if read == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        self.received.push(text.clone());
        Some(text)
    }

    /// Reads one line and insists it is `expected`.
    pub async fn expect(&mut self, expected: &str) {
        let got = self.line().await;
        assert_eq!(
            got.as_deref(),
            Some(expected),
            "the client sent something else"
        );
    }

    /// Waits until the client closes its side (or a generous limit passes).
    pub async fn until_closed(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while self.line().await.is_some() {}
        })
        .await;
    }
}

/// Starts a one-connection server running `script`; the handle yields what the client sent.
pub async fn serve<F, Fut>(script: F) -> (SocketAddr, JoinHandle<Vec<String>>)
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: Future<Output = Peer> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let (read, writer) = socket.into_split();
        let peer = Peer {
            reader: BufReader::new(read),
            writer,
            received: Vec::new(),
        };
        script(peer).await.received
    });
    (address, handle)
}

/// RFC 1939 §3 byte-stuffing of `message`, with the terminating line.
pub fn stuffed(message: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

/// Runs `future`, failing the test if it takes longer than `limit` (a hang, not a slow run).
pub async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .expect("hung instead of finishing")
}

pub const GREETING: &str = "+OK POP3 ready\r\n";
pub const CAPA_PLAIN: &str = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n";

/// Greeting, CAPA and USER/PASS as the server sees them.
pub async fn logged_in(peer: &mut Peer, capa: &str) {
    peer.send(GREETING).await;
    peer.expect("CAPA").await;
    peer.send(capa).await;
    peer.expect("USER asha").await;
    peer.send("+OK\r\n").await;
    peer.expect("PASS secret").await;
    peer.send("+OK maildrop ready\r\n").await;
}
