//! Whole sessions in plain text (Security::PlaintextDangerous, loopback only).

use super::fake_server::{relaxed, serve, settings, stuffed, Peer};
use crate::{account::Security, error::ErrorKind, pop3::Pop3Session, tls::client_config};

const MESSAGES: [&[u8]; 3] = [
    b"From: a@example.com\r\nSubject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n..two\r\n...\r\nend\r\n",
    b"Subject: ends in a dot line\r\n\r\n..\r\n",
    b"",
];

fn uid(n: u32) -> String {
    format!("{n:08x}.uid-{n}")
}

async fn greeting_and_capa(peer: &mut Peer, capa: &str) {
    peer.send("+OK Dakiya test POP3 ready\r\n").await;
    peer.expect("CAPA").await;
    peer.send(capa).await;
}

#[tokio::test]
async fn happy_path_is_byte_exact_and_ends_with_quit() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(
            &mut peer,
            "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n",
        )
        .await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS s3cret pass").await;
        peer.send("+OK maildrop has 500 messages\r\n").await;
        peer.expect("UIDL").await;
        let mut reply = String::from("+OK unique-id listing follows\r\n");
        for n in 1..=500 {
            reply.push_str(&format!("{n} {}\r\n", uid(n)));
        }
        reply.push_str(".\r\n");
        peer.send(reply).await;
        peer.expect("LIST").await;
        let mut reply = String::from("+OK 500 messages\r\n");
        for n in 1..=500u32 {
            reply.push_str(&format!("{n} {}\r\n", 1000 + n));
        }
        reply.push_str(".\r\n");
        peer.send(reply).await;
        for (n, message) in MESSAGES.iter().enumerate() {
            peer.expect(&format!("RETR {}", n + 1)).await;
            peer.send("+OK message follows\r\n").await;
            peer.send(stuffed(message)).await;
        }
        peer.expect("DELE 1").await;
        peer.send("+OK message 1 deleted\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;

    let tls = client_config(None).unwrap();
    let mut session = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap();
    session.login("asha", "s3cret pass").await.unwrap();
    let uidl = session.uidl_all().await.unwrap().unwrap();
    assert_eq!(uidl.len(), 500);
    assert_eq!(uidl[0], (1, uid(1)));
    assert_eq!(uidl[499], (500, uid(500)));
    let list = session.list_all().await.unwrap();
    assert_eq!(list.len(), 500);
    assert_eq!(list[41], (42, 1042));
    for (n, message) in MESSAGES.iter().enumerate() {
        let got = session
            .retr(n as u32 + 1, message.len() as u64)
            .await
            .unwrap();
        assert_eq!(got, *message, "message {}", n + 1);
    }
    session.dele(1).await.unwrap();
    session.quit().await.unwrap();

    let sent = server.await.unwrap();
    assert_eq!(
        sent,
        [
            "CAPA",
            "USER asha",
            "PASS s3cret pass",
            "UIDL",
            "LIST",
            "RETR 1",
            "RETR 2",
            "RETR 3",
            "DELE 1",
            "QUIT"
        ]
    );
}

#[tokio::test]
async fn sasl_plain_when_offered_with_a_unicode_password() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(
            &mut peer,
            "+OK\r\nUSER\r\nSASL SCRAM-SHA-256 PLAIN LOGIN\r\n.\r\n",
        )
        .await;
        peer.expect("AUTH PLAIN").await;
        peer.send("+ \r\n").await;
        peer.expect("AGFzaGEAcGEgc3Mg4KS14KSw4KWN4KSh").await; // "\0asha\0pa ss वर्ड"
        peer.send("+OK Logged in.\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK\r\n").await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let mut session = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap();
    session.login("asha", "pa ss वर्ड").await.unwrap();
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// A wrong password is ErrorKind::Auth after exactly one attempt, whichever mechanism.
#[tokio::test]
async fn wrong_password_is_auth_after_one_attempt() {
    for sasl in [false, true] {
        let (port, server) = serve(move |mut peer| async move {
            if sasl {
                greeting_and_capa(&mut peer, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n").await;
                peer.expect("AUTH PLAIN").await;
                peer.send("+ \r\n").await;
                peer.line().await;
            } else {
                greeting_and_capa(&mut peer, "+OK\r\nUSER\r\n.\r\n").await;
                peer.expect("USER asha").await;
                peer.send("+OK\r\n").await;
                peer.expect("PASS wrong").await;
            }
            peer.send("-ERR [AUTH] Authentication failed.\r\n").await;
            peer.until_closed().await;
            peer
        })
        .await;
        let tls = client_config(None).unwrap();
        let mut session = Pop3Session::connect(
            &settings(port, Security::PlaintextDangerous),
            tls,
            relaxed(),
        )
        .await
        .unwrap();
        let error = session.login("asha", "wrong").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth, "{}", error.chain());
        // The session is finished: no second attempt can go out through it.
        let again = session.login("asha", "wrong").await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Internal);
        drop(session);

        let sent = server.await.unwrap();
        let attempts = sent
            .iter()
            .filter(|l| l.starts_with("PASS") || l.starts_with("AUTH"))
            .count();
        assert_eq!(attempts, 1, "{sent:?}");
        assert_eq!(sent.len(), 3, "nothing after the refusal: {sent:?}");
    }
}

/// RFC 2449 §8: [IN-USE] means another client holds the maildrop, not a wrong password.
#[tokio::test]
async fn in_use_is_not_an_auth_error() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "+OK\r\nUSER\r\nRESP-CODES\r\n.\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS right").await;
        peer.send("-ERR [IN-USE] Mailbox is locked by another session\r\n")
            .await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let mut session = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap();
    let error = session.login("asha", "right").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.chain());
    assert_eq!(
        error.reason(),
        Some(&crate::error::ErrorReason::MailboxInUse)
    );
    assert!(
        error.is_transient(),
        "an [IN-USE] maildrop is worth retrying later"
    );
    server.await.unwrap();
}

/// A line break in the password would smuggle a second command (here: DELE 1).
#[tokio::test]
async fn line_break_in_password_is_refused_before_sending() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "+OK\r\nUSER\r\n.\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let mut session = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap();
    let error = session.login("asha", "x\r\nDELE 1").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{}", error.chain());
    drop(session);
    assert_eq!(server.await.unwrap(), ["CAPA", "USER asha"]);
}

/// After a -ERR to DELE the session is over, though the connection could have gone on:
/// callers must not build on a half-failed session (DESIGN §4).
#[tokio::test]
async fn any_error_ends_the_session() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "-ERR no CAPA here\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS pw").await;
        peer.send("+OK\r\n").await;
        peer.expect("DELE 7").await;
        peer.send("-ERR no such message\r\n").await;
        peer.until_closed().await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let mut session = Pop3Session::connect(
        &settings(port, Security::PlaintextDangerous),
        tls,
        relaxed(),
    )
    .await
    .unwrap();
    session.login("asha", "pw").await.unwrap();
    let error = session.dele(7).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol);
    assert!(
        error.message().contains("no such message"),
        "{}",
        error.message()
    );
    let again = session.uidl_all().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Internal);
    assert!(again.message().contains("dropped"), "{}", again.message());
    assert_eq!(
        session.quit().await.unwrap_err().kind(),
        ErrorKind::Internal
    );
    assert_eq!(
        server.await.unwrap().last().map(String::as_str),
        Some("DELE 7")
    );
}

/// RFC 2449 §6.3: with PLAIN missing, SASL LOGIN is used — one attempt, user then password.
#[tokio::test]
async fn sasl_login_when_plain_is_not_offered() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "+OK\r\nSASL LOGIN\r\nUIDL\r\n.\r\n").await;
        peer.expect("AUTH LOGIN").await;
        peer.send("+ VXNlcm5hbWU6\r\n").await;
        peer.expect("YXNoYQ==").await;
        peer.send("+ UGFzc3dvcmQ6\r\n").await;
        peer.expect("czNjcmV0").await;
        peer.send("+OK logged in\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let settings = settings(port, Security::PlaintextDangerous);
    let mut session = Pop3Session::connect(&settings, tls, relaxed())
        .await
        .unwrap();
    session.login("asha", "s3cret").await.unwrap();
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// A temporary refusal of UIDL by a server that has it is an error, not "no UIDL": naming the
/// messages another way would download every one of them again.
#[tokio::test]
async fn a_temporary_uidl_refusal_is_an_error_not_a_missing_uidl() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n").await;
        peer.expect("USER asha").await;
        peer.send("+OK\r\n").await;
        peer.expect("PASS pw").await;
        peer.send("+OK\r\n").await;
        peer.expect("UIDL").await;
        peer.send("-ERR [SYS/TEMP] index busy, try later\r\n").await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let settings = settings(port, Security::PlaintextDangerous);
    let mut session = Pop3Session::connect(&settings, tls, relaxed())
        .await
        .unwrap();
    session.login("asha", "pw").await.unwrap();
    let error = session.uidl_all().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{}", error.message());
    drop(session);
    server.await.unwrap();
}

/// RFC 2195: CRAM-MD5 when the server offers it but not PLAIN — before LOGIN and USER, since
/// it keeps the password off the wire (the RFC's own example exchange).
#[tokio::test]
async fn cram_md5_when_plain_is_not_offered() {
    let (port, server) = serve(|mut peer| async move {
        greeting_and_capa(&mut peer, "+OK\r\nSASL LOGIN CRAM-MD5\r\nUSER\r\n.\r\n").await;
        peer.expect("AUTH CRAM-MD5").await;
        peer.send("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
            .await;
        peer.expect("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
            .await;
        peer.send("+OK logged in\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let settings = settings(port, Security::PlaintextDangerous);
    let mut session = Pop3Session::connect(&settings, tls, relaxed())
        .await
        .unwrap();
    session.login("tim", "tanstaaftanstaaf").await.unwrap();
    session.quit().await.unwrap();
    server.await.unwrap();
}

/// RFC 1939 §7: a server that offers neither SASL nor USER but stamps its greeting gets APOP
/// (the RFC's own example digest), and the password itself never crosses the wire.
#[tokio::test]
async fn apop_when_the_greeting_has_a_timestamp_and_user_is_not_offered() {
    let (port, server) = serve(|mut peer| async move {
        peer.send("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
            .await;
        peer.expect("CAPA").await;
        peer.send("+OK\r\nUIDL\r\nTOP\r\n.\r\n").await;
        peer.expect("APOP mrose c4c9334bac560ecc979e58001b3e22fb")
            .await;
        peer.send("+OK maildrop has 0 messages\r\n").await;
        peer.expect("QUIT").await;
        peer.send("+OK bye\r\n").await;
        peer
    })
    .await;
    let tls = client_config(None).unwrap();
    let settings = settings(port, Security::PlaintextDangerous);
    let mut session = Pop3Session::connect(&settings, tls, relaxed())
        .await
        .unwrap();
    session.login("mrose", "tanstaaf").await.unwrap();
    session.quit().await.unwrap();
    server.await.unwrap();
}
