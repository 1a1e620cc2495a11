//! Planned RETRs pipelined (RFC 2449 §6.6): sent ahead only when the server offers it, read
//! in order and byte-exact, every other command after the replies due, and the session's rule
//! kept: after any error, timeout or abandoned call the connection is gone.

use std::time::{Duration, Instant};

use super::fake_server::{relaxed, serve, settings, short, stuffed, Peer};
use crate::{
    account::Security, error::ErrorKind, pop3::Pop3Session, pop3::Timeouts, tls::client_config,
};

const CAPA_PIPELINING: &str = "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n";
const CAPA_PLAIN: &str = "+OK\r\nUSER\r\nUIDL\r\n.\r\n";

const MESSAGES: [&[u8]; 4] = [
    b"Subject: one\r\n\r\n.\r\n..\r\n.hidden\r\n",
    b"",
    b"Subject: three\r\n\r\n+OK not a reply\r\n..\r\n",
    b"Subject: four\r\n\r\nend\r\n",
];

fn reply(n: u32) -> Vec<u8> {
    let mut wire = b"+OK message follows\r\n".to_vec();
    wire.extend_from_slice(&stuffed(MESSAGES[n as usize - 1]));
    wire
}

fn plan() -> impl Iterator<Item = (u32, u64)> {
    (1..=4u32).map(|n| (n, MESSAGES[n as usize - 1].len() as u64))
}

async fn logged_in(peer: &mut Peer, capa: &str) {
    peer.send("+OK ready\r\n").await;
    peer.expect("CAPA").await;
    peer.send(capa).await;
    peer.expect("USER asha").await;
    peer.send("+OK\r\n").await;
    peer.expect("PASS pw").await;
    peer.send("+OK\r\n").await;
}

async fn session(port: u16, timeouts: Timeouts) -> Pop3Session {
    let tls = client_config(None).unwrap();
    let mut session =
        Pop3Session::connect(&settings(port, Security::PlaintextDangerous), tls, timeouts)
            .await
            .unwrap();
    session.login("asha", "pw").await.unwrap();
    session
}

async fn retr(session: &mut Pop3Session, n: u32) -> Vec<u8> {
    let size = MESSAGES[n as usize - 1].len() as u64;
    session.retr(n, size).await.unwrap()
}

/// The server reads all four RETRs before it answers any (a lock-step client would hang).
/// A DELE in between waits for the replies due, which are then served without the network.
#[tokio::test]
async fn planned_retrs_go_ahead_and_dele_waits_for_the_replies_due() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=4 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send(reply(1)).await;
        peer.send(reply(2)).await;
        peer.send([reply(3), reply(4)].concat()).await;
        peer.expect("DELE 1").await;
        peer.send("+OK\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan());
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    assert_eq!(retr(&mut session, 2).await, MESSAGES[1]);
    session.dele(1).await.unwrap();
    assert_eq!(retr(&mut session, 3).await, MESSAGES[2]);
    assert_eq!(retr(&mut session, 4).await, MESSAGES[3]);
    session.quit().await.unwrap();
    let sent = server.await.unwrap();
    assert_eq!(sent.last().map(String::as_str), Some("QUIT"));
}

/// RFC 2449 §6.6: without PIPELINING in CAPA the plan changes nothing: one RETR at a time.
#[tokio::test]
async fn without_the_capability_one_retr_at_a_time() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PLAIN).await;
        for n in 1..=2 {
            peer.expect(&format!("RETR {n}")).await;
            let early = tokio::time::timeout(Duration::from_millis(100), peer.line()).await;
            assert!(early.is_err(), "the client sent {early:?} before the reply");
            peer.send(reply(n)).await;
        }
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan().take(2));
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    assert_eq!(retr(&mut session, 2).await, MESSAGES[1]);
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// QUIT after a fetch stopped early (a Cancel between messages) reads the replies due first,
/// so the server's deletions still happen (RFC 1939 §6).
#[tokio::test]
async fn quit_reads_the_replies_due_first() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=4 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send([reply(1), reply(2), reply(3), reply(4)].concat())
            .await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan());
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// A planned message the caller passes over (say, fetched with TOP instead) is read and
/// dropped if it was already asked for; the next one is still the right one.
#[tokio::test]
async fn a_planned_message_passed_over_is_not_taken_for_the_next() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=4 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send([reply(1), reply(2), reply(3), reply(4)].concat())
            .await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan());
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    assert_eq!(retr(&mut session, 3).await, MESSAGES[2]);
    assert_eq!(retr(&mut session, 4).await, MESSAGES[3]);
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// Each reply keeps its own RETR deadline: one that stalls while others are in flight is a
/// timeout, and the session is gone (no DELE, no QUIT on that connection).
#[tokio::test]
async fn a_stalled_reply_in_flight_times_out_and_ends_the_session() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=4 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send(reply(1)).await;
        peer.send("+OK\r\nSubject: slow\r\n").await; // and then nothing
        peer.until_closed().await;
        peer
    })
    .await;
    let mut session = session(port, short()).await;
    session.plan_retrs(plan());
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    let started = Instant::now();
    let error = session.retr(2, 0).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{}", error.chain());
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    for error in [
        session.retr(3, 0).await.unwrap_err(),
        session.dele(1).await.unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::Internal, "{}", error.chain());
    }
    drop(session);
    assert_eq!(
        server.await.unwrap().last().map(String::as_str),
        Some("RETR 4")
    );
}

/// A RETR abandoned half-way — how sync.rs cancels a download — leaves nothing to read on: the
/// next call fails without touching the network, even though replies were in flight.
#[tokio::test]
async fn an_abandoned_retr_in_flight_ends_the_session() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=4 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send(reply(1)).await;
        peer.send("+OK\r\nSubject: half").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        peer.send([&b"\r\n.\r\n"[..], &reply(3), &reply(4)].concat())
            .await;
        peer.until_closed().await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan());
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let cancelling = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = cancel.send(());
    });
    tokio::select! {
        result = session.retr(2, 0) => panic!("not cancelled: {result:?}"),
        _ = cancelled => {}
    }
    cancelling.await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    for error in [
        session.retr(3, 0).await.unwrap_err(),
        session.dele(1).await.unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::Internal, "{}", error.chain());
    }
    assert_eq!(
        session.quit().await.unwrap_err().kind(),
        ErrorKind::Internal
    );
    assert_eq!(
        server.await.unwrap().last().map(String::as_str),
        Some("RETR 4")
    );
}

/// A RETR off the plan (the fallback after a refused TOP) waits for the replies due and keeps
/// them: the planned messages after it come without another download.
#[tokio::test]
async fn a_retr_off_the_plan_keeps_the_replies_due() {
    let (port, server) = serve(|mut peer| async move {
        logged_in(&mut peer, CAPA_PIPELINING).await;
        for n in 1..=3 {
            peer.expect(&format!("RETR {n}")).await;
        }
        peer.send([reply(1), reply(2), reply(3)].concat()).await;
        peer.expect("RETR 4").await;
        peer.send(reply(4)).await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let mut session = session(port, relaxed()).await;
    session.plan_retrs(plan().take(3));
    assert_eq!(retr(&mut session, 1).await, MESSAGES[0]);
    assert_eq!(retr(&mut session, 4).await, MESSAGES[3]);
    assert_eq!(retr(&mut session, 2).await, MESSAGES[1]);
    assert_eq!(retr(&mut session, 3).await, MESSAGES[2]);
    session.quit().await.unwrap();
    let sent = server.await.unwrap();
    assert_eq!(
        sent.iter().filter(|line| line.starts_with("RETR")).count(),
        4,
        "each message downloaded once: {sent:?}"
    );
}
