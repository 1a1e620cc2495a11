//! One test per upstream bug fixed in this copy (VENDORED.md), each against a scripted server
//! on a real loopback socket.

mod support;

use std::time::Duration;

use async_pop::{
    response::{capability::Capability, list::ListResponse, types::DataType, uidl::UidlResponse},
    ErrorKind,
};
use support::{logged_in, serve, stuffed, within, CAPA_PLAIN, GREETING};

const LIMIT: Duration = Duration::from_secs(10);

async fn login(address: std::net::SocketAddr) -> async_pop::Client<tokio::net::TcpStream> {
    let mut client = async_pop::connect_plain(address).await.unwrap();
    client.login("asha", "secret").await.unwrap();
    client
}

/// Bug 1: after a reply longer than one 2 KiB read every later reply hung.
#[tokio::test]
async fn bug1_long_uidl_then_stat_list_retr_complete() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("UIDL").await;
        let mut reply = String::from("+OK\r\n");
        for n in 1..=500 {
            reply.push_str(&format!("{n} 00000{n:04}4f5e3a2b1c0d\r\n"));
        }
        reply.push_str(".\r\n");
        peer.send(reply).await;
        peer.expect("STAT").await;
        peer.send("+OK 500 10000\r\n").await;
        peer.expect("LIST").await;
        let mut reply = String::from("+OK\r\n");
        for n in 1..=500 {
            reply.push_str(&format!("{n} 20\r\n"));
        }
        reply.push_str(".\r\n");
        peer.send(reply).await;
        peer.expect("RETR 1").await;
        peer.send(b"+OK\r\nSubject: one\r\n\r\nbody\r\n.\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        let UidlResponse::Multiple(uidl) = client.uidl(None).await.unwrap() else {
            panic!()
        };
        assert_eq!(uidl.items().len(), 500);
        assert_eq!(client.stat().await.unwrap().counter().value().unwrap(), 500);
        let ListResponse::Multiple(list) = client.list(None).await.unwrap() else {
            panic!()
        };
        assert_eq!(list.items().len(), 500);
        assert_eq!(
            &client.retr(1).await.unwrap()[..],
            b"Subject: one\r\n\r\nbody\r\n"
        );
    })
    .await;
    server.await.unwrap();
}

/// Bug 2: a 0-byte read (EOF) looped forever at 100 % CPU.
#[tokio::test]
async fn bug2_hang_up_mid_retr_is_an_error_promptly() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("RETR 1").await;
        peer.send("+OK\r\nSubject: cut\r\n\r\nhalf a bo").await;
        peer // dropped: the connection closes
    })
    .await;
    let mut client = login(address).await;
    let error = within(Duration::from_secs(2), client.retr(1))
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::ConnectionClosed),
        "{error:?}"
    );
    // Bug 5: and the broken session is not used again.
    let again = client.noop().await.unwrap_err();
    assert!(matches!(again.kind(), ErrorKind::NotConnected), "{again:?}");
    server.await.unwrap();
}

/// Bug 3: RETR came back still dot-stuffed and without its final CRLF.
#[tokio::test]
async fn bug3_retr_is_dot_unstuffed_and_byte_exact() {
    let messages: Vec<&'static [u8]> = vec![
        b"Subject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\n..two dots\r\n...\r\nend\r\n",
        b"Subject: only dots at the end\r\n\r\n..\r\n",
        b"",
        b"Subject: no final line end on the server gets one\r\n\r\nx\r\n",
    ];
    let script = messages.clone();
    let (address, server) = serve(move |mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        for (n, message) in script.iter().enumerate() {
            peer.expect(&format!("RETR {}", n + 1)).await;
            peer.send("+OK message follows\r\n").await;
            peer.send(stuffed(message)).await;
        }
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        for (n, message) in messages.iter().enumerate() {
            let got = client.retr(n + 1).await.unwrap();
            assert_eq!(&got[..], *message, "message {}", n + 1);
        }
    })
    .await;
    server.await.unwrap();
}

/// Bug 9: an empty multi-line body hung.
#[tokio::test]
async fn bug9_empty_multiline_bodies_complete() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        for command in ["UIDL", "LIST", "RETR 1", "TOP 1 0"] {
            peer.expect(command).await;
            peer.send("+OK\r\n.\r\n").await;
        }
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        let UidlResponse::Multiple(uidl) = client.uidl(None).await.unwrap() else {
            panic!()
        };
        assert!(uidl.items().is_empty());
        let ListResponse::Multiple(list) = client.list(None).await.unwrap() else {
            panic!()
        };
        assert!(list.items().is_empty());
        assert!(client.retr(1).await.unwrap().is_empty());
        assert!(client.top(1, 0).await.unwrap().is_empty());
    })
    .await;
    server.await.unwrap();
}

/// Bug 4: 2 KiB growth with a re-parse from byte 0 per read, and a 20 MiB cap.
#[tokio::test]
async fn bug4_large_retr_is_fast_and_uncapped() {
    let line = [b'x'; 998];
    let mut message = Vec::new();
    while message.len() < 24 * 1024 * 1024 {
        message.extend_from_slice(&line);
        message.extend_from_slice(b"\r\n");
    }
    let wire = stuffed(&message);
    let (address, server) = serve(move |mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("RETR 1").await;
        peer.send("+OK\r\n").await;
        peer.send(&wire).await;
        peer
    })
    .await;
    let mut client = login(address).await;
    let got = within(Duration::from_secs(30), client.retr(1))
        .await
        .unwrap();
    assert_eq!(got.len(), message.len());
    assert!(got[..] == message[..]);
    server.await.unwrap();
}

/// Bug 5: after a -ERR the session goes on; after a malformed reply it refuses.
#[tokio::test]
async fn bug5_err_keeps_session_garbage_ends_it() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("DELE 9").await;
        peer.send("-ERR no such message\r\n").await;
        peer.expect("NOOP").await;
        peer.send("+OK\r\n").await;
        peer.expect("STAT").await;
        peer.send("+OK lots\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        assert!(client.dele(9).await.unwrap_err().is_server_error());
        client.noop().await.unwrap();
        let error = client.stat().await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse),
            "{error:?}"
        );
        let again = client.noop().await.unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::NotConnected), "{again:?}");
        drop(client);
    })
    .await;
    let sent = server.await.unwrap();
    assert_eq!(
        sent.last().map(String::as_str),
        Some("STAT"),
        "nothing after the garbage"
    );
}

/// Bug 5 (cancellation): a command abandoned half-way (a timeout) leaves the session unusable
/// instead of reading its late reply as the answer to the next command.
#[tokio::test]
async fn bug5_abandoned_command_is_not_followed_by_another() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("RETR 1").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        peer.send("+OK\r\nlate\r\n.\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let mut client = login(address).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(50), client.retr(1))
            .await
            .is_err()
    );
    let error = client.stat().await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::NotConnected), "{error:?}");
    drop(client);
    let sent = server.await.unwrap();
    assert_eq!(sent.last().map(String::as_str), Some("RETR 1"));
}

/// Bug 6: a capability with arguments or an unknown SASL mechanism failed CAPA, then login.
#[tokio::test]
async fn bug6_unknown_capabilities_do_not_break_login() {
    let capa = "+OK\r\nUSER\r\nSASL SCRAM-SHA-256-PLUS GS2-KRB5\r\nX-DOVECOT-SOMETHING 1 2\r\nLOGIN-DELAY 0\r\n.\r\n";
    let (address, server) = serve(move |mut peer| async move {
        logged_in(&mut peer, capa).await;
        peer
    })
    .await;
    within(LIMIT, async {
        let client = login(address).await;
        assert!(client.has_auth_mechanism("SCRAM-SHA-256-PLUS"));
        assert!(client.has_capability([Capability::User]));
    })
    .await;
    server.await.unwrap();
}

/// Bug 7: UIDL and TOP were refused locally unless CAPA listed them.
#[tokio::test]
async fn bug7_uidl_and_top_without_capa() {
    let (address, server) = serve(|mut peer| async move {
        peer.send(GREETING).await;
        peer.expect("CAPA").await;
        peer.send("-ERR unknown command\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS secret").await;
        peer.send("+OK\r\n").await;
        peer.expect("UIDL").await;
        peer.send("+OK\r\n1 abc\r\n.\r\n").await;
        peer.expect("TOP 1 0").await;
        peer.send("+OK\r\nSubject: x\r\n\r\n.\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        assert!(client.capabilities().is_empty());
        client.uidl(None).await.unwrap();
        assert_eq!(&client.top(1, 0).await.unwrap()[..], b"Subject: x\r\n\r\n");
    })
    .await;
    server.await.unwrap();
}

/// Bug 8: DELE did not record the deletion.
#[tokio::test]
async fn bug8_dele_is_recorded() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("DELE 1").await;
        peer.send("+OK message 1 deleted\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.dele(1).await.unwrap();
        assert!(client.is_deleted(&1));
        let error = client.retr(1).await.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::MessageIsDeleted));
        client.quit().await.unwrap();
    })
    .await;
    assert_eq!(
        server.await.unwrap().last().map(String::as_str),
        Some("QUIT")
    );
}

/// Bug 10: a failed AUTH PLAIN was silently retried with USER/PASS.
#[tokio::test]
async fn bug10_wrong_password_with_sasl_is_one_attempt() {
    let (address, server) = serve(|mut peer| async move {
        peer.send(GREETING).await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n").await;
        peer.expect("AUTH PLAIN").await;
        peer.send("+ \r\n").await;
        peer.expect("AGFzaGEAd3Jvbmc=").await; // "\0asha\0wrong"
        peer.send("-ERR [AUTH] Authentication failed.\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let mut client = async_pop::connect_plain(address).await.unwrap();
    let error = within(LIMIT, client.login("asha", "wrong"))
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::ServerError(text) if text.starts_with("[AUTH]")));
    drop(client);
    let sent = server.await.unwrap();
    assert_eq!(sent, ["CAPA", "AUTH PLAIN", "AGFzaGEAd3Jvbmc="]);
}

/// Bug 10: -ERR to USER stops before PASS; -ERR to PASS is not retried.
#[tokio::test]
async fn bug10_user_pass_is_one_attempt() {
    for refuse_user in [true, false] {
        let (address, server) = serve(move |mut peer| async move {
            peer.send(GREETING).await;
            peer.expect("CAPA").await;
            peer.send(CAPA_PLAIN).await;
            peer.expect("USER asha").await;
            if refuse_user {
                peer.send("-ERR no\r\n").await;
            } else {
                peer.send("+OK\r\n").await;
                peer.expect("PASS wrong").await;
                peer.send("-ERR [AUTH] no\r\n").await;
            }
            peer.until_closed().await;
            peer
        })
        .await;
        let mut client = async_pop::connect_plain(address).await.unwrap();
        assert!(within(LIMIT, client.login("asha", "wrong"))
            .await
            .unwrap_err()
            .is_server_error());
        drop(client);
        let sent = server.await.unwrap();
        assert_eq!(sent.len(), if refuse_user { 2 } else { 3 }, "{sent:?}");
    }
}

/// RFC 2595 §4: STLS hands back the raw stream; after it CAPA is asked again.
#[tokio::test]
async fn stls_hands_over_the_stream_and_capabilities_are_refreshed() {
    let (address, server) = serve(|mut peer| async move {
        peer.send(GREETING).await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nSTLS\r\nUSER\r\n.\r\n").await;
        peer.expect("STLS").await;
        peer.send("+OK Begin TLS negotiation now\r\n").await;
        // A real server runs the TLS handshake here; the test stays in plain text.
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let client = async_pop::connect_plain(address).await.unwrap();
        assert!(client.has_capability([Capability::Stls]));
        let (stream, greeting) = client.stls().await.unwrap();
        assert_eq!(greeting.as_ref(), b"POP3 ready");
        let mut client = async_pop::after_stls(stream, greeting);
        assert!(
            client.capabilities().is_empty(),
            "RFC 2595 §4: forget plain-text capabilities"
        );
        client.refresh_capabilities().await.unwrap();
        assert!(client.has_auth_mechanism("PLAIN"));
        assert!(!client.has_capability([Capability::Stls]));
    })
    .await;
    server.await.unwrap();
}

/// Bytes sent right after "+OK" to STLS would be read as if they had come over TLS.
#[tokio::test]
async fn stls_refuses_plaintext_sent_after_its_ok() {
    let (address, server) = serve(|mut peer| async move {
        peer.send(GREETING).await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nSTLS\r\n.\r\n").await;
        peer.expect("STLS").await;
        peer.send("+OK Begin TLS\r\n+OK injected\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let client = async_pop::connect_plain(address).await.unwrap();
    let error = within(LIMIT, client.stls()).await.err().unwrap();
    assert!(
        matches!(error.kind(), ErrorKind::InvalidResponse),
        "{error:?}"
    );
    server.await.unwrap();
}
