//! Implicit TLS and STLS (RFC 2595) against a fake server whose certificate a per-run CA signed.

use super::fake_server::{relaxed, serve, serve_tls, settings, test_ca};
use crate::{
    account::Security,
    error::{ErrorKind, ErrorReason},
    pop3::Pop3Session,
    tls::client_config,
};

#[tokio::test]
async fn implicit_tls_session() {
    let ca = test_ca();
    let (port, server) = serve_tls(Some(ca.acceptor.clone()), |mut peer| async move {
        peer.send("+OK TLS POP3 ready\r\n").await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n").await;
        peer.expect("AUTH PLAIN").await;
        peer.send("+ \r\n").await;
        peer.line().await;
        peer.send("+OK\r\n").await;
        peer.expect("RETR 1").await;
        peer.send("+OK\r\nSubject: over TLS\r\n\r\n..\r\n.\r\n")
            .await;
        peer.expect("QUIT").await;
        peer.send("+OK\r\n").await;
        peer
    })
    .await;
    let tls = client_config(Some(&ca.trusted)).unwrap();
    let mut session = Pop3Session::connect(&settings(port, Security::Tls), tls, relaxed())
        .await
        .unwrap();
    session.login("asha", "pw").await.unwrap();
    assert_eq!(
        session.retr(1, 30).await.unwrap(),
        b"Subject: over TLS\r\n\r\n.\r\n"
    );
    session.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn stls_upgrades_then_asks_capa_again() {
    let ca = test_ca();
    let acceptor = ca.acceptor.clone();
    let (port, server) = serve(move |mut peer| async move {
        peer.send("+OK ready\r\n").await;
        peer.expect("CAPA").await;
        // Before TLS the server hides its SASL mechanisms (as Dovecot does without TLS).
        peer.send("+OK\r\nUSER\r\nSTLS\r\n.\r\n").await;
        peer.expect("STLS").await;
        peer.send("+OK Begin TLS negotiation now.\r\n").await;
        peer.start_tls(&acceptor).await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n").await;
        peer.expect("AUTH PLAIN").await;
        peer.send("+ \r\n").await;
        peer.line().await;
        peer.send("+OK\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK\r\n").await;
        peer
    })
    .await;
    let tls = client_config(Some(&ca.trusted)).unwrap();
    let mut session = Pop3Session::connect(&settings(port, Security::StartTls), tls, relaxed())
        .await
        .unwrap();
    session.login("asha", "pw").await.unwrap();
    session.quit().await.unwrap();
    let sent = server.await.unwrap();
    assert_eq!(sent[..4], ["CAPA", "STLS", "CAPA", "AUTH PLAIN"]);
}

/// The per-run CA is not among the system roots, so without the account's trusted
/// certificate the handshake must fail — for implicit TLS and after STLS alike.
#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let ca = test_ca();
    for security in [Security::Tls, Security::StartTls] {
        let acceptor = ca.acceptor.clone();
        let (port, server) = match security {
            Security::Tls => serve_tls(Some(acceptor), |peer| async move { peer }).await,
            _ => {
                serve(move |mut peer| async move {
                    peer.send("+OK ready\r\n").await;
                    peer.expect("CAPA").await;
                    peer.send("+OK\r\nUSER\r\nSTLS\r\n.\r\n").await;
                    peer.expect("STLS").await;
                    peer.send("+OK go ahead\r\n").await;
                    assert!(
                        !peer.try_start_tls(&acceptor).await,
                        "the client accepted the certificate"
                    );
                    peer
                })
                .await
            }
        };
        let tls = client_config(None).unwrap();
        let error = Pop3Session::connect(&settings(port, security), tls, relaxed())
            .await
            .unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::Tls,
            "{security:?}: {}",
            error.chain()
        );
        assert_eq!(error.reason(), Some(&ErrorReason::CertificateNotTrusted));
        server.await.unwrap();
    }
}
