//! RFC 2449 §6.6 PIPELINING for RETR (added for Dakiya, VENDORED.md): commands sent ahead,
//! replies read in order, and every way it can go wrong leaving the session as safe as the
//! one-at-a-time path does. Each against a scripted server on a real loopback socket.

mod support;

use std::time::Duration;

use async_pop::ErrorKind;
use support::{logged_in, serve, stuffed, within, CAPA_PLAIN};

const LIMIT: Duration = Duration::from_secs(10);
const CAPA_PIPELINING: &str = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n";

const MESSAGES: [&[u8]; 3] = [
    b"Subject: one\r\n\r\n.\r\n..\r\n.leading dot\r\n",
    b"",
    b"Subject: three\r\n\r\n+OK not a reply\r\n",
];

fn reply(message: &[u8]) -> Vec<u8> {
    let mut wire = b"+OK message follows\r\n".to_vec();
    wire.extend_from_slice(&stuffed(message));
    wire
}

async fn login(address: std::net::SocketAddr) -> async_pop::Client<tokio::net::TcpStream> {
    let mut client = async_pop::connect_plain(address).await.unwrap();
    client.login("asha", "secret").await.unwrap();
    client
}

/// The server reads all three RETRs before it answers any, so a client that waited for each
/// reply would hang here; the replies arrive in one write and must be split exactly.
#[tokio::test]
async fn retrs_are_sent_ahead_and_read_in_order() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=3 {
            peer.expect(&format!("RETR {n}")).await;
        }
        let all: Vec<u8> = MESSAGES.iter().flat_map(|m| reply(m)).collect();
        peer.send(all).await;
        peer.expect("STAT").await;
        peer.send("+OK 3 100\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        assert!(client.can_pipeline());
        client.send_retrs(&[1, 2, 3]).await.unwrap();
        assert_eq!(client.retrs_due().collect::<Vec<_>>(), [1, 2, 3]);
        for (n, message) in MESSAGES.iter().enumerate() {
            assert_eq!(client.retrs_due().next(), Some(n + 1));
            let got = client.next_retr().await.unwrap();
            assert_eq!(&got[..], *message, "message {}", n + 1);
        }
        assert_eq!(client.retrs_due().len(), 0);
        client.stat().await.unwrap();
        client.quit().await.unwrap();
    })
    .await;
    server.await.unwrap();
}

/// More RETRs may be sent while earlier replies are still due (a sliding window).
#[tokio::test]
async fn the_window_can_be_topped_up_while_replies_are_due() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        peer.expect("RETR 1").await;
        peer.expect("RETR 2").await;
        peer.send(reply(MESSAGES[0])).await;
        peer.expect("RETR 3").await;
        peer.send(reply(MESSAGES[1])).await;
        peer.send(reply(MESSAGES[2])).await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.send_retrs(&[1, 2]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        client.send_retrs(&[3]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[1]);
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[2]);
        client.quit().await.unwrap();
    })
    .await;
    server.await.unwrap();
}

/// A `-ERR` answers one RETR; the replies after it still belong to the RETRs after it.
#[tokio::test]
async fn err_answers_only_its_own_retr() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=3 {
            peer.expect(&format!("RETR {n}")).await;
        }
        let mut all = reply(MESSAGES[0]);
        all.extend_from_slice(b"-ERR no such message\r\n");
        all.extend_from_slice(&reply(MESSAGES[2]));
        peer.send(all).await;
        peer.expect("NOOP").await;
        peer.send("+OK\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.send_retrs(&[1, 2, 3]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        assert!(client.next_retr().await.unwrap_err().is_server_error());
        assert_eq!(client.retrs_due().collect::<Vec<_>>(), [3]);
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[2]);
        client.noop().await.unwrap();
    })
    .await;
    server.await.unwrap();
}

/// RFC 2449 §6.6: no pipelining unless the server offers it. Nothing goes on the wire, and the
/// one-at-a-time path still works.
#[tokio::test]
async fn nothing_is_sent_ahead_without_the_capability() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        peer.expect("RETR 1").await;
        peer.send(reply(MESSAGES[0])).await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        assert!(!client.can_pipeline());
        let error = client.send_retrs(&[1, 2]).await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::FeatureUnsupported),
            "{error:?}"
        );
        assert_eq!(client.retrs_due().len(), 0);
        assert_eq!(&client.retr(1).await.unwrap()[..], MESSAGES[0]);
    })
    .await;
    server.await.unwrap();
}

/// Another command's reply would come after the RETRs' and be taken for one of them: it is
/// refused (without harming the session) until every due reply is read.
#[tokio::test]
async fn other_commands_wait_until_every_reply_is_read() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        peer.expect("RETR 1").await;
        peer.send(reply(MESSAGES[0])).await;
        peer.expect("DELE 1").await;
        peer.send("+OK\r\n").await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.send_retrs(&[1]).await.unwrap();
        for error in [
            client.dele(1).await.unwrap_err(),
            client.stat().await.unwrap_err(),
            client.retr(1).await.unwrap_err(),
        ] {
            assert!(
                matches!(error.kind(), ErrorKind::IncorrectStateForCommand),
                "{error:?}"
            );
        }
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        let error = client.next_retr().await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::MissingRequest),
            "{error:?}"
        );
        client.dele(1).await.unwrap();
    })
    .await;
    let sent = server.await.unwrap();
    assert_eq!(sent.last().map(String::as_str), Some("DELE 1"));
}

/// The server hangs up half-way through the second reply: an error, the session is gone and
/// no reply is due any more.
#[tokio::test]
async fn hang_up_during_pipelined_replies_ends_the_session() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        peer.expect("RETR 1").await;
        peer.expect("RETR 2").await;
        let mut all = reply(MESSAGES[0]);
        all.extend_from_slice(b"+OK\r\nSubject: cut\r\n\r\nhalf a bo");
        peer.send(all).await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.send_retrs(&[1, 2]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        let error = client.next_retr().await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::ConnectionClosed),
            "{error:?}"
        );
        assert_eq!(client.retrs_due().len(), 0);
        let again = client.noop().await.unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::NotConnected), "{again:?}");
    })
    .await;
    server.await.unwrap();
}

/// Bytes after the last reply due are still an error (upstream bug 5's rule), however the
/// replies were asked for.
#[tokio::test]
async fn bytes_beyond_the_last_due_reply_end_the_session() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        peer.expect("RETR 1").await;
        peer.expect("RETR 2").await;
        let mut all = reply(MESSAGES[0]);
        all.extend_from_slice(&reply(MESSAGES[2]));
        all.extend_from_slice(b"+OK unasked\r\n");
        peer.send(all).await;
        peer.until_closed().await;
        peer
    })
    .await;
    within(LIMIT, async {
        let mut client = login(address).await;
        client.send_retrs(&[1, 2]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        let error = client.next_retr().await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse),
            "{error:?}"
        );
        let again = client.noop().await.unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::NotConnected), "{again:?}");
    })
    .await;
    let sent = server.await.unwrap();
    assert_eq!(sent.last().map(String::as_str), Some("RETR 2"));
}

/// A read abandoned half-way (a timeout, a Cancel) leaves the session refusing: the rest of
/// that reply and the later ones must never be read as answers to anything.
#[tokio::test]
async fn abandoned_pipelined_read_leaves_the_session_unusable() {
    let (address, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        peer.expect("RETR 1").await;
        peer.expect("RETR 2").await;
        peer.send("+OK\r\nSubject: slow\r\n").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        peer.send("\r\nbody\r\n.\r\n").await;
        peer.send(reply(MESSAGES[0])).await;
        peer.until_closed().await;
        peer
    })
    .await;
    let mut client = login(address).await;
    client.send_retrs(&[1, 2]).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(100), client.next_retr())
            .await
            .is_err(),
        "the slow reply should not have completed"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    for error in [
        client.next_retr().await.unwrap_err(),
        client.send_retrs(&[3]).await.unwrap_err(),
    ] {
        assert!(matches!(error.kind(), ErrorKind::NotConnected), "{error:?}");
    }
    assert_eq!(client.retrs_due().len(), 0);
    drop(client);
    let sent = server.await.unwrap();
    assert_eq!(sent.last().map(String::as_str), Some("RETR 2"));
}
