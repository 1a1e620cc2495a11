//! A scripted SMTP server for what Postfix will not do on demand: omit STARTTLS, stall, refuse
//! a recipient, hang up in the middle of DATA. Plain TCP on 127.0.0.1; it records every command
//! line it received so tests can prove what the client did not send.
//!
//! Besides the connection-wide [`SmtpBehaviour`], a test can refuse chosen recipients with
//! chosen replies ([`FakeSmtp::refuse_recipient`]) and advertise SMTPUTF8
//! ([`FakeSmtp::offer_smtputf8`]); both apply from the next command on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpBehaviour {
    /// EHLO lists AUTH but not STARTTLS.
    NoStartTls,
    /// Greets, then never answers EHLO.
    StallAfterGreeting,
    /// Accepts AUTH and MAIL, refuses the recipient with 550.
    RefuseRecipient,
    /// Refuses AUTH with 535.
    RefuseCredentials,
    /// Answers DATA with 354, reads a little, then closes the connection.
    HangUpInData,
    /// Accepts everything and keeps each message it was given.
    Accept,
    /// Reads the whole message, then answers 451: try again later.
    TempFailData,
    /// Answers DATA with 354, then reads and never answers.
    StallInData,
    /// Reads the whole message, data's end included, then closes without a reply.
    HangUpAfterDataEnd,
    /// Reads the whole message, then refuses it for good with 554.
    RefuseData,
}

/// What a test scripted beyond the behaviour; read at each command.
#[derive(Debug, Default)]
struct Script {
    /// Recipient address (as in RCPT TO, without brackets, compared case-insensitively) and
    /// the whole reply line to give it, e.g. "550 5.1.1 User unknown".
    refusals: Vec<(String, String)>,
    smtputf8: bool,
}

pub struct FakeSmtp {
    pub port: u16,
    received: Arc<Mutex<Vec<String>>>,
    behaviour: Arc<Mutex<SmtpBehaviour>>,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    script: Arc<Mutex<Script>>,
    connections: Arc<AtomicUsize>,
}

impl FakeSmtp {
    pub async fn start(behaviour: SmtpBehaviour) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let messages = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let script = Arc::new(Mutex::new(Script::default()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (log, kept, current, scripted, counted) = (
            Arc::clone(&received),
            Arc::clone(&messages),
            Arc::clone(&behaviour),
            Arc::clone(&script),
            Arc::clone(&connections),
        );
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let log = Arc::clone(&log);
                let kept = Arc::clone(&kept);
                let script = Arc::clone(&scripted);
                let behaviour = *current.lock().expect("behaviour");
                tokio::spawn(async move {
                    let _ = serve(stream, behaviour, log, kept, script).await;
                });
            }
        });
        FakeSmtp {
            port,
            received,
            behaviour,
            messages,
            script,
            connections,
        }
    }

    /// RCPT TO for `address` gets `reply` (a whole reply line such as "550 5.1.1 User
    /// unknown"), in every behaviour.
    pub fn refuse_recipient(&self, address: &str, reply: &str) {
        self.script
            .lock()
            .expect("script")
            .refusals
            .push((address.to_owned(), reply.to_owned()));
    }

    /// Every recipient is accepted again.
    pub fn accept_all_recipients(&self) {
        self.script.lock().expect("script").refusals.clear();
    }

    /// Whether EHLO lists SMTPUTF8 (RFC 6531); it does not unless asked.
    pub fn offer_smtputf8(&self, offered: bool) {
        self.script.lock().expect("script").smtputf8 = offered;
    }

    /// How many connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The MAIL FROM and RCPT TO lines received, in order: the envelope as sent.
    pub fn envelope_lines(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .filter(|line| {
                let upper = line.to_ascii_uppercase();
                upper.starts_with("MAIL FROM:") || upper.starts_with("RCPT TO:")
            })
            .collect()
    }

    /// How the next connections behave.
    pub fn set_behaviour(&self, behaviour: SmtpBehaviour) {
        *self.behaviour.lock().expect("behaviour") = behaviour;
    }

    /// Every message accepted (behaviour `Accept`), as sent (dot-unstuffed, CRLF).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().expect("messages").clone()
    }

    /// Every command line received, in order.
    pub fn received(&self) -> Vec<String> {
        self.received.lock().expect("log").clone()
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    behaviour: SmtpBehaviour,
    log: Arc<Mutex<Vec<String>>>,
    kept: Arc<Mutex<Vec<Vec<u8>>>>,
    script: Arc<Mutex<Script>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 fake.dakiya.test ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        log.lock().expect("log").push(line.clone());
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if let Some(reply) = scripted_reply(&verb, &line, behaviour, &script) {
            write.write_all(reply.as_bytes()).await?;
            continue;
        }
        let reply: &[u8] = match (verb.as_str(), behaviour) {
            ("EHLO", SmtpBehaviour::StallAfterGreeting) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            ("EHLO", _) => b"250-fake.dakiya.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
            ("AUTH", SmtpBehaviour::RefuseCredentials) => {
                b"535 5.7.8 Authentication credentials invalid\r\n"
            }
            ("AUTH", _) => b"235 2.7.0 Authentication successful\r\n",
            ("MAIL", _) => b"250 2.1.0 Ok\r\n",
            ("RCPT", SmtpBehaviour::RefuseRecipient) => {
                b"550 5.1.1 <nobody@dakiya.test>: Recipient address rejected: no such user\r\n"
            }
            ("RCPT", _) => b"250 2.1.5 Ok\r\n",
            ("DATA", SmtpBehaviour::HangUpInData) => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let _ = lines.next_line().await;
                return Ok(());
            }
            ("DATA", _) => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut message = Vec::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    let line = line.strip_prefix('.').unwrap_or(&line);
                    message.extend_from_slice(line.as_bytes());
                    message.extend_from_slice(b"\r\n");
                }
                match behaviour {
                    SmtpBehaviour::StallInData => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return Ok(());
                    }
                    SmtpBehaviour::TempFailData => {
                        b"451 4.3.0 Mailbox temporarily unavailable, try again later\r\n"
                    }
                    SmtpBehaviour::HangUpAfterDataEnd => return Ok(()),
                    SmtpBehaviour::RefuseData => b"554 5.6.0 Message content rejected\r\n",
                    _ => {
                        kept.lock().expect("messages").push(message);
                        b"250 2.0.0 Ok: queued\r\n"
                    }
                }
            }
            ("QUIT", _) => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            ("RSET" | "NOOP", _) => b"250 2.0.0 Ok\r\n",
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// The reply a test scripted for this command, if any: EHLO with SMTPUTF8, or a refused RCPT.
fn scripted_reply(
    verb: &str,
    line: &str,
    behaviour: SmtpBehaviour,
    script: &Mutex<Script>,
) -> Option<String> {
    let script = script.lock().expect("script");
    match verb {
        "EHLO" if script.smtputf8 && behaviour != SmtpBehaviour::StallAfterGreeting => Some(
            "250-fake.dakiya.test\r\n250-AUTH PLAIN LOGIN\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n"
                .to_owned(),
        ),
        "RCPT" => {
            let address = line.split_once('<')?.1.split_once('>')?.0;
            script
                .refusals
                .iter()
                .find(|(refused, _)| refused.to_lowercase() == address.to_lowercase())
                .map(|(_, reply)| format!("{reply}\r\n"))
        }
        _ => None,
    }
}
