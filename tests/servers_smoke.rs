//! Proves the harness: a message sent over submission (STARTTLS + AUTH PLAIN, and implicit TLS)
//! lands in the Maildir, and POP3 (STLS and implicit TLS) sees it. The clients here are
//! deliberately tiny line-at-a-time exchanges; Dakiya's real clients live in the engine.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use dakiya_tests::servers::{MailServers, Mailbox};

/// A password with a space, an umlaut and Devanagari.
const PASSWORD: &str = "pass wörd पासवर्ड";
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// One line-oriented connection. Reads a byte at a time so nothing is buffered past a line
/// when STARTTLS/STLS switches the stream to TLS.
struct Conn {
    stream: Option<Stream>,
    tls: Arc<rustls::ClientConfig>,
}

impl Conn {
    fn connect(servers: &MailServers, port: u16, implicit_tls: bool) -> Conn {
        let tcp = TcpStream::connect((servers.host(), port)).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut conn = Conn {
            stream: Some(Stream::Plain(tcp)),
            tls: servers.tls_client_config(),
        };
        if implicit_tls {
            conn.start_tls();
        }
        conn
    }

    fn start_tls(&mut self) {
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            panic!("already TLS");
        };
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let tls = rustls::ClientConnection::new(Arc::clone(&self.tls), name).expect("tls");
        self.stream = Some(Stream::Tls(Box::new(rustls::StreamOwned::new(tls, tcp))));
    }

    fn send(&mut self, line: &str) {
        let bytes = format!("{line}\r\n");
        match self.stream.as_mut().expect("open") {
            Stream::Plain(s) => s.write_all(bytes.as_bytes()),
            Stream::Tls(s) => s.write_all(bytes.as_bytes()),
        }
        .expect("write");
    }

    fn line(&mut self) -> String {
        let mut bytes = Vec::new();
        let mut byte = [0u8; 1];
        while !bytes.ends_with(b"\r\n") {
            let n = match self.stream.as_mut().expect("open") {
                Stream::Plain(s) => s.read(&mut byte),
                Stream::Tls(s) => s.read(&mut byte),
            }
            .expect("read");
            assert_eq!(
                n,
                1,
                "connection closed after {:?}",
                String::from_utf8_lossy(&bytes)
            );
            bytes.push(byte[0]);
        }
        bytes.truncate(bytes.len() - 2);
        String::from_utf8(bytes).expect("UTF-8 reply")
    }

    /// A whole SMTP reply (all `NNN-` lines and the final `NNN `), checked against `code`.
    fn smtp(&mut self, code: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            assert!(
                line.starts_with(code),
                "expected {code}, got {line:?} after {lines:?}"
            );
            let last = line.as_bytes().get(3) == Some(&b' ') || line.len() == 3;
            lines.push(line);
            if last {
                return lines;
            }
        }
    }

    fn command(&mut self, line: &str, code: &str) -> Vec<String> {
        self.send(line);
        self.smtp(code)
    }

    fn pop3_ok(&mut self, line: &str) -> String {
        self.send(line);
        let reply = self.line();
        assert!(reply.starts_with("+OK"), "{line:?} -> {reply:?}");
        reply
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

fn auth_plain(mailbox: &Mailbox, password: &str) -> String {
    let token = format!("\0{}\0{password}", mailbox.username);
    format!("AUTH PLAIN {}", base64(token.as_bytes()))
}

fn send_message(conn: &mut Conn, from: &Mailbox, to: &Mailbox, subject: &str) {
    conn.command(&auth_plain(from, &from.password), "235");
    conn.command(&format!("MAIL FROM:<{}>", from.address), "250");
    // The harness only delivers to mailboxes it made.
    conn.command("RCPT TO:<nobody-here@dakiya.test>", "550");
    conn.command(&format!("RCPT TO:<{}>", to.address), "250");
    conn.command("DATA", "354");
    conn.send(&format!("From: <{}>", from.address));
    conn.send(&format!("To: <{}>", to.address));
    conn.send(&format!("Subject: {subject}"));
    conn.send("");
    conn.send("Hello from the harness smoke test.");
    conn.command(".", "250");
    conn.command("QUIT", "221");
}

fn assert_stat(conn: &mut Conn, mailbox: &Mailbox, count: usize) {
    conn.pop3_ok(&format!("USER {}", mailbox.username));
    conn.pop3_ok(&format!("PASS {}", mailbox.password));
    let stat = conn.pop3_ok("STAT");
    assert!(
        stat.starts_with(&format!("+OK {count} ")),
        "STAT for {}: {stat:?}",
        mailbox.username
    );
    conn.pop3_ok("QUIT");
}

#[test]
fn submission_delivers_and_pop3_sees_it() {
    let servers = MailServers::shared();
    let alice = servers.create_mailbox("alice", PASSWORD);
    let bob = servers.create_mailbox("bob", "bob's other pässword");

    // Submission with STARTTLS: no AUTH offered (nor accepted) before TLS.
    let mut smtp = Conn::connect(servers, servers.submission_starttls_port(), false);
    smtp.smtp("220");
    let ehlo = smtp.command("EHLO client.dakiya.test", "250");
    assert!(ehlo.iter().any(|l| l.ends_with("STARTTLS")), "{ehlo:?}");
    assert!(!ehlo.iter().any(|l| l.contains("AUTH")), "{ehlo:?}");
    smtp.command(&auth_plain(&alice, PASSWORD), "5");
    smtp.command("STARTTLS", "220");
    smtp.start_tls();
    let ehlo = smtp.command("EHLO client.dakiya.test", "250");
    assert!(ehlo.iter().any(|l| l.contains("AUTH PLAIN")), "{ehlo:?}");
    smtp.command(&auth_plain(&alice, "wrong password"), "535");
    send_message(&mut smtp, &alice, &alice, "over STARTTLS");

    let messages = alice.wait_for_messages(1, DELIVERY_TIMEOUT);
    assert_eq!(messages.len(), 1, "{}", servers.logs());
    let text = String::from_utf8_lossy(&messages[0]);
    assert!(text.contains("Subject: over STARTTLS"), "{text}");
    assert!(
        text.contains("Hello from the harness smoke test."),
        "{text}"
    );

    // Submissions (implicit TLS), to another mailbox.
    let mut smtps = Conn::connect(servers, servers.submission_tls_port(), true);
    smtps.smtp("220");
    smtps.command("EHLO client.dakiya.test", "250");
    send_message(&mut smtps, &bob, &bob, "over implicit TLS");
    let messages = bob.wait_for_messages(1, DELIVERY_TIMEOUT);
    assert_eq!(messages.len(), 1, "{}", servers.logs());

    // POP3 with STLS: CAPA lists STLS.
    let mut pop3 = Conn::connect(servers, servers.pop3_starttls_port(), false);
    assert!(pop3.line().starts_with("+OK"));
    pop3.send("CAPA");
    let mut capa = Vec::new();
    loop {
        let line = pop3.line();
        if line == "." {
            break;
        }
        capa.push(line);
    }
    assert!(capa.iter().any(|l| l == "STLS"), "{capa:?}");
    // No check that PASS is refused before STLS: Dovecot counts a connection whose remote IP
    // equals its local IP (all of loopback) as secured, whatever `ssl = required` says.
    pop3.pop3_ok("STLS");
    pop3.start_tls();
    assert_stat(&mut pop3, &alice, 1);

    // POP3S.
    let mut pop3s = Conn::connect(servers, servers.pop3_tls_port(), true);
    assert!(pop3s.line().starts_with("+OK"));
    assert_stat(&mut pop3s, &alice, 1);

    // A mailbox made while the daemons already have their tables open works at once: Postfix
    // reopens its recipient table, Dovecot re-reads its passwd-file.
    let dave = servers.create_mailbox("dave", PASSWORD);
    let mut smtp = Conn::connect(servers, servers.submission_starttls_port(), false);
    smtp.smtp("220");
    smtp.command("EHLO client.dakiya.test", "250");
    smtp.command("STARTTLS", "220");
    smtp.start_tls();
    smtp.command("EHLO client.dakiya.test", "250");
    send_message(&mut smtp, &dave, &dave, "to a new mailbox");
    assert_eq!(dave.wait_for_messages(1, DELIVERY_TIMEOUT).len(), 1);

    // A wrong password fails (quickly: the harness turns off Dovecot's failure delay).
    let mut pop3s = Conn::connect(servers, servers.pop3_tls_port(), true);
    assert!(pop3s.line().starts_with("+OK"));
    pop3s.pop3_ok(&format!("USER {}", bob.username));
    pop3s.send("PASS not bob's password");
    let reply = pop3s.line();
    assert!(reply.starts_with("-ERR"), "{reply:?}");
}

#[test]
fn raw_delivery_is_seen_over_pop3() {
    let servers = MailServers::shared();
    let carol = servers.create_mailbox("carol", PASSWORD);
    carol.deliver_raw(b"Subject: one\r\n\r\nfirst\r\n");
    carol.deliver_raw(b"Subject: two\r\n\r\nsecond\r\n");
    let messages = carol.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages[0].starts_with(b"Subject: one"));
    assert!(messages[1].starts_with(b"Subject: two"));

    let mut pop3s = Conn::connect(servers, servers.pop3_tls_port(), true);
    assert!(pop3s.line().starts_with("+OK"));
    assert_stat(&mut pop3s, &carol, 2);
}

#[test]
fn servers_trust_the_per_run_ca_for_localhost() {
    let servers = MailServers::shared();
    assert_eq!(servers.host(), "127.0.0.1");
    assert!(servers.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let on_disk = std::fs::read_to_string(servers.ca_pem_path()).expect("read ca.pem");
    assert_eq!(on_disk, servers.ca_pem());
    // "localhost" is checked by every TLS connection above; 127.0.0.1 here.
    let tcp = TcpStream::connect((servers.host(), servers.pop3_tls_port())).expect("connect");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let tls = rustls::ClientConnection::new(servers.tls_client_config(), name).expect("tls");
    let mut stream = rustls::StreamOwned::new(tls, tcp);
    let mut greeting = [0u8; 3];
    stream.read_exact(&mut greeting).expect("greeting over TLS");
    assert_eq!(&greeting, b"+OK");
}
