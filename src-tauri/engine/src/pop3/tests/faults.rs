//! Servers that stall, hang up, talk nonsense or are not there: each an error of the right
//! kind, promptly, never a hang.

use std::time::{Duration, Instant};

use super::fake_server::{relaxed, serve, settings, short};
use crate::{
    account::Security,
    error::{ErrorKind, ErrorReason},
    pop3::Pop3Session,
    tls::client_config,
};

/// Longer than any deadline under test and far shorter than a hang.
const PROMPT: Duration = Duration::from_secs(3);

async fn logged_in_then<F, Fut>(
    timeouts: crate::pop3::Timeouts,
    after_login: F,
) -> (Pop3Session, tokio::task::JoinHandle<Vec<String>>)
where
    F: FnOnce(super::fake_server::Peer) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = super::fake_server::Peer> + Send,
{
    let (port, server) = serve(|mut peer| async move {
        peer.send("+OK ready\r\n").await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\n.\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS pw").await;
        peer.send("+OK\r\n").await;
        after_login(peer).await
    })
    .await;
    let tls = client_config(None).unwrap();
    let mut session =
        Pop3Session::connect(&settings(port, Security::PlaintextDangerous), tls, timeouts)
            .await
            .unwrap();
    session.login("asha", "pw").await.unwrap();
    (session, server)
}

#[tokio::test]
async fn stalled_retr_is_a_timeout_within_the_deadline() {
    let (mut session, server) = logged_in_then(short(), |mut peer| async move {
        peer.expect("RETR 1").await;
        peer.send("+OK\r\nSubject: slow\r\n").await; // and then nothing
        peer.until_closed().await;
        peer
    })
    .await;
    let started = Instant::now();
    let error = session.retr(1, 20_000).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{}", error.chain());
    assert!(
        took >= Duration::from_millis(300) && took < PROMPT,
        "{took:?}"
    );
    assert_eq!(
        error.message(),
        "the POP3 server did not answer RETR within 300 ms"
    );
    // The late reply can never be taken for the answer to another command.
    assert_eq!(
        session.dele(1).await.unwrap_err().kind(),
        ErrorKind::Internal
    );
    drop(session);
    assert_eq!(
        server.await.unwrap().last().map(String::as_str),
        Some("RETR 1")
    );
}

#[tokio::test]
async fn silent_server_is_a_greeting_timeout() {
    let (port, server) = serve(|mut peer| async move {
        peer.until_closed().await;
        peer
    })
    .await;
    let started = Instant::now();
    let tls = client_config(None).unwrap();
    let error = Pop3Session::connect(&settings(port, Security::PlaintextDangerous), tls, short())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{}", error.chain());
    assert!(error.message().contains("greeting"), "{}", error.message());
    assert!(started.elapsed() < PROMPT);
    server.await.unwrap();
}

#[tokio::test]
async fn hang_up_mid_retr_is_connection_closed() {
    let (mut session, server) = logged_in_then(relaxed(), |mut peer| async move {
        peer.expect("RETR 1").await;
        peer.send("+OK\r\nSubject: cut short\r\n\r\nhalf a li")
            .await;
        peer // dropped here: the server hangs up
    })
    .await;
    let started = Instant::now();
    let error = session.retr(1, 100).await.unwrap_err();
    assert!(started.elapsed() < PROMPT);
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert_eq!(error.reason(), Some(&ErrorReason::ConnectionClosed));
    assert_eq!(
        session.retr(1, 100).await.unwrap_err().kind(),
        ErrorKind::Internal
    );
    server.await.unwrap();
}

#[tokio::test]
async fn garbage_greeting_is_a_protocol_error() {
    let (port, server) = serve(|mut peer| async move {
        peer.send("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let error = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert!(
        server.await.unwrap().is_empty(),
        "nothing is sent to a server that is not POP3"
    );
}

#[tokio::test]
async fn nothing_listening_is_connection_refused_quickly() {
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let started = Instant::now();
    let tls = client_config(None).unwrap();
    let error = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < PROMPT);
    assert_eq!(error.kind(), ErrorKind::Network, "{}", error.chain());
    assert_eq!(error.reason(), Some(&ErrorReason::ConnectionRefused));
}

/// DESIGN §3.1: never downgrade. The connection is dropped before any credential is sent.
#[tokio::test]
async fn starttls_without_stls_is_refused_before_credentials() {
    for capa in [
        "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
        "-ERR unknown command\r\n",
    ] {
        let (port, server) = serve(move |mut peer| async move {
            peer.send("+OK ready\r\n").await;
            peer.expect("CAPA").await;
            peer.send(capa).await;
            peer.until_closed().await;
            peer
        })
        .await;
        let tls = client_config(None).unwrap();
        let error = Pop3Session::connect(&settings(port, Security::StartTls), tls, relaxed())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Tls, "{}", error.chain());
        assert_eq!(error.reason(), Some(&ErrorReason::StartTlsNotOffered));
        assert_eq!(server.await.unwrap(), ["CAPA"]);
    }
}

#[tokio::test]
async fn plaintext_to_a_remote_host_is_refused_without_connecting() {
    let mut remote = settings(110, Security::PlaintextDangerous);
    remote.host = "pop.example.com".into();
    let tls = client_config(None).unwrap();
    let error = Pop3Session::connect(&remote, tls, relaxed())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{}", error.chain());
}
