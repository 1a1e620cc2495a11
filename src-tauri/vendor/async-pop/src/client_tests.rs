//! A whole session over [`Chunked`] at every chunk size: the server's replies arrive cut at
//! every possible place, including inside "\r\n.\r\n" (DESIGN §3.3).

use crate::{
    error::ErrorKind,
    response::{list::ListResponse, types::DataType, uidl::UidlResponse},
    test_support::Chunked,
    Client,
};

fn sizes() -> impl Iterator<Item = usize> {
    (1..=64).chain([100, 128, 200, 256, 300, 511, 512])
}

/// RFC 1939 §3 byte-stuffing, as a server does it.
fn stuffed(message: &[u8]) -> Vec<u8> {
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

const MESSAGES: [&[u8]; 4] = [
    b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n..two\r\nend\r\n",
    b"",
    b"Subject: last line is dots\r\n\r\n..\r\n",
    b"Subject: bare\n\nlf only\n.\n",
];

fn script() -> Vec<Vec<u8>> {
    let mut replies: Vec<Vec<u8>> = vec![
        b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n".to_vec(),
        b"+OK Capability list follows\r\nUSER\r\nUIDL\r\nSASL X-UNKNOWN\r\n.\r\n".to_vec(),
        b"+OK\r\n".to_vec(),
        b"+OK maildrop locked\r\n".to_vec(),
    ];
    let mut uidl = b"+OK\r\n".to_vec();
    for n in 1..=500 {
        uidl.extend_from_slice(format!("{n} uid-{n:05}-abcdefghij\r\n").as_bytes());
    }
    uidl.extend_from_slice(b".\r\n");
    replies.push(uidl);
    replies.push(b"+OK 500 1234567\r\n".to_vec());
    replies.push(b"+OK 4 messages\r\n1 40\r\n2 0\r\n3 31\r\n4 26\r\n.\r\n".to_vec());
    for message in MESSAGES {
        let mut reply = b"+OK message follows\r\n".to_vec();
        reply.extend_from_slice(&stuffed(message));
        replies.push(reply);
    }
    replies.push(b"+OK deleted\r\n".to_vec());
    replies
}

const SENT: &[u8] =
    b"CAPA\r\nUSER asha\r\nPASS s3cret pass\r\nUIDL\r\nSTAT\r\nLIST\r\nRETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\nDELE 2\r\n";

async fn run_session(chunk: usize) {
    let mut client = crate::new(Chunked::scripted(script(), chunk))
        .await
        .unwrap();
    assert!(client
        .greeting()
        .unwrap()
        .as_ref()
        .ends_with(b"mtview.ca.us>"));
    assert!(client.has_auth_mechanism("x-unknown"));
    client.login("asha", "s3cret pass").await.unwrap();

    let UidlResponse::Multiple(uidl) = client.uidl(None).await.unwrap() else {
        panic!()
    };
    assert_eq!(uidl.items().len(), 500);
    assert_eq!(uidl.items()[499].id().as_ref(), b"uid-00500-abcdefghij");

    let stat = client.stat().await.unwrap();
    assert_eq!(stat.size().value().unwrap(), 1_234_567);

    let ListResponse::Multiple(list) = client.list(None).await.unwrap() else {
        panic!()
    };
    assert_eq!(list.items().len(), 4);

    for (n, message) in MESSAGES.iter().enumerate() {
        let got = client.retr(n + 1).await.unwrap();
        assert_eq!(&got[..], *message, "chunk {chunk}, message {}", n + 1);
    }
    client.dele(2).await.unwrap();
    assert!(client.is_deleted(&2));

    let sent = &client.inner().as_ref().unwrap().get_ref().written;
    assert_eq!(
        String::from_utf8_lossy(sent),
        String::from_utf8_lossy(SENT),
        "chunk {chunk}"
    );
}

#[tokio::test]
async fn whole_session_at_every_chunk_size() {
    for chunk in sizes() {
        run_session(chunk).await;
    }
}

/// Replies that must fail cleanly (then leave the client refusing), never hang or panic.
#[tokio::test]
async fn malformed_replies_are_errors_at_every_chunk_size() {
    let greeting: &[u8] = b"+OK hi\r\n";
    let capa: &[u8] = b"+OK\r\n.\r\n";
    let cases: [(&[u8], &str); 9] = [
        (b"+OK\r\n1 uid\r\n", "no terminator, then EOF"),
        (b"", "EOF instead of a reply"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "not POP3"),
        (b"+OK\r\n1\r\n.\r\n", "uid missing"),
        (b"+OK\r\nx uid\r\n.\r\n", "number missing"),
        (b"+OK\r\n1 caf\xc3\xa9\r\n.\r\n", "non-ASCII uid"),
        (b"+OK\r\n.\r\n+OK extra\r\n", "more than one reply"),
        (b"+ challenge\r\n", "continuation outside AUTH"),
        (b"+OK\r\n\xff\xfe\r\n.\r\n", "binary line"),
    ];
    for chunk in sizes() {
        for (reply, why) in cases {
            let replies = vec![greeting.to_vec(), capa.to_vec(), reply.to_vec()];
            let mut client = crate::new(Chunked::scripted(replies, chunk)).await.unwrap();
            // Extra bytes that arrive after the reply surface at the next command at the latest.
            let first = match client.uidl(None).await {
                Ok(_) => client.noop().await.expect_err(why),
                Err(error) => error,
            };
            assert!(!first.is_server_error(), "{why}");
            let again = client.noop().await.expect_err(why);
            assert!(
                matches!(again.kind(), ErrorKind::NotConnected),
                "{why}: {again:?}"
            );
        }
    }
}

#[tokio::test]
async fn garbage_greeting_is_invalid_response() {
    for chunk in [1, 3, 64] {
        let error = crate::new(Chunked::new(b"SSH-2.0-OpenSSH_9.2\r\n", chunk))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn err_reply_keeps_the_session_usable() {
    let replies = [
        "+OK hi\r\n",
        "-ERR no CAPA here\r\n",
        "-ERR no such message\r\n",
        "+OK\r\n",
    ];
    let replies = replies.iter().map(|r| r.as_bytes().to_vec()).collect();
    let mut client: Client<Chunked> = crate::new(Chunked::scripted(replies, 5)).await.unwrap();
    assert!(client.capabilities().is_empty());
    let error = client.dele(9).await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::ServerError(text) if text == "no such message"));
    assert!(!client.is_deleted(&9));
    client.noop().await.unwrap();
}

/// Pipelined RETRs (RFC 2449 §6.6) at every chunk size: replies that arrive back to back are
/// cut apart exactly, whether a read ends inside one, between two or inside "\r\n.\r\n".
#[tokio::test]
async fn pipelined_retrs_at_every_chunk_size() {
    for chunk in sizes() {
        let mut replies: Vec<Vec<u8>> = vec![
            b"+OK hi\r\n".to_vec(),
            b"+OK\r\nUSER\r\nPIPELINING\r\n.\r\n".to_vec(),
            b"+OK\r\n".to_vec(),
            b"+OK maildrop locked\r\n".to_vec(),
        ];
        for message in MESSAGES {
            let mut reply = b"+OK message follows\r\n".to_vec();
            reply.extend_from_slice(&stuffed(message));
            replies.push(reply);
        }
        replies.push(b"+OK 4 123\r\n".to_vec());
        let mut client = crate::new(Chunked::scripted(replies, chunk)).await.unwrap();
        client.login("asha", "pass").await.unwrap();
        client.send_retrs(&[1, 2, 3]).await.unwrap();
        assert_eq!(&client.next_retr().await.unwrap()[..], MESSAGES[0]);
        client.send_retrs(&[4]).await.unwrap();
        for (n, message) in MESSAGES.iter().enumerate().skip(1) {
            let got = client.next_retr().await.unwrap();
            assert_eq!(&got[..], *message, "chunk {chunk}, message {}", n + 1);
        }
        client.stat().await.unwrap();
        let sent = &client.inner().as_ref().unwrap().get_ref().written;
        assert_eq!(
            String::from_utf8_lossy(sent),
            "CAPA\r\nUSER asha\r\nPASS pass\r\nRETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\nSTAT\r\n",
            "chunk {chunk}"
        );
    }
}
