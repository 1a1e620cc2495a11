//! A one-connection POP3 server whose side of the conversation each test writes as
//! straight-line code; it can switch to TLS mid-way (for STLS) and reports every line received.

use std::{future::Future, sync::Arc, time::Duration};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpListener,
    task::JoinHandle,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
        ServerConfig,
    },
    TlsAcceptor,
};

use crate::{
    account::{Security, ServerSettings},
    pop3::Timeouts,
    tls::TrustedCertificate,
};

pub trait ServerIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ServerIo for T {}

pub struct Peer {
    stream: Option<BufReader<Box<dyn ServerIo>>>,
    pub received: Vec<String>,
}

impl Peer {
    fn io(&mut self) -> &mut BufReader<Box<dyn ServerIo>> {
        self.stream
            .as_mut()
            .expect("the stream is there between steps")
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let io = self.io();
        io.write_all(bytes.as_ref()).await.expect("server write");
        io.flush().await.expect("server flush");
    }

    /// The next line from the client, without CRLF; None once it closed.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let read = self.io().read_until(b'\n', &mut line).await.ok()?;
        if read == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        self.received.push(text.clone());
        Some(text)
    }

    pub async fn expect(&mut self, expected: &str) {
        let got = self.line().await;
        assert_eq!(
            got.as_deref(),
            Some(expected),
            "the client sent something else"
        );
    }

    /// Reads until the client closes (bounded, so a client bug fails instead of hanging).
    pub async fn until_closed(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while self.line().await.is_some() {}
        })
        .await;
    }

    /// The server's half of a TLS handshake on the connection as it is now.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) {
        assert!(
            self.try_start_tls(acceptor).await,
            "server TLS handshake failed"
        );
    }

    /// As [`Peer::start_tls`]; false when the client aborted the handshake.
    pub async fn try_start_tls(&mut self, acceptor: &TlsAcceptor) -> bool {
        let reader = self.stream.take().expect("stream");
        assert!(
            reader.buffer().is_empty(),
            "the client sent data before the handshake"
        );
        match acceptor.accept(reader.into_inner()).await {
            Ok(tls) => {
                self.stream = Some(BufReader::new(Box::new(tls)));
                true
            }
            Err(_) => false,
        }
    }
}

/// Starts a server running `script` on one connection; yields the lines the client sent.
pub async fn serve<F, Fut>(script: F) -> (u16, JoinHandle<Vec<String>>)
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: Future<Output = Peer> + Send,
{
    serve_tls(None, script).await
}

/// As [`serve`], but with TLS from the first byte when `acceptor` is given (port 995 style).
pub async fn serve_tls<F, Fut>(
    acceptor: Option<TlsAcceptor>,
    script: F,
) -> (u16, JoinHandle<Vec<String>>)
where
    F: FnOnce(Peer) -> Fut + Send + 'static,
    Fut: Future<Output = Peer> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        let stream: Box<dyn ServerIo> = Box::new(socket);
        let mut peer = Peer {
            stream: Some(BufReader::new(stream)),
            received: Vec::new(),
        };
        if let Some(acceptor) = acceptor {
            if !peer.try_start_tls(&acceptor).await {
                return peer.received;
            }
        }
        script(peer).await.received
    });
    (port, handle)
}

pub fn settings(port: u16, security: Security) -> ServerSettings {
    ServerSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: "asha".into(),
    }
}

/// Generous deadlines for tests that are not about deadlines.
pub fn relaxed() -> Timeouts {
    let five = Duration::from_secs(5);
    Timeouts {
        connect: five,
        tls: five,
        command: five,
        per_mib: Duration::from_secs(1),
    }
}

/// Short deadlines for tests that are.
pub fn short() -> Timeouts {
    let short = Duration::from_millis(300);
    Timeouts {
        connect: short,
        tls: short,
        command: short,
        per_mib: Duration::ZERO,
    }
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

/// A CA made for this run (DESIGN §3.1: trust a per-run CA, never turn verification off) and
/// a server certificate it signed for localhost and 127.0.0.1.
pub struct TestCa {
    pub trusted: TrustedCertificate,
    pub acceptor: TlsAcceptor,
}

pub fn test_ca() -> TestCa {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Dakiya POP3 test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");

    let leaf_key = KeyPair::generate().expect("server key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&leaf_key, &ca)
        .expect("server certificate");

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server config");
    TestCa {
        trusted: TrustedCertificate::from_pem(&ca.pem()).expect("CA PEM"),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
}
