//! A scripted POP3 server for the faults Dovecot cannot make: hanging up mid-message, stalling,
//! answering nonsense or with endless lines, dropping the connection instead of answering QUIT.
//! Plain TCP on 127.0.0.1 (the account uses `PlaintextDangerous`). Like a real server, it keeps
//! one maildrop across connections and removes DELE'd messages only when QUIT succeeds
//! (RFC 1939 §6).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A well-behaved server.
    None,
    /// On `RETR <fault_at>`: sends half the message, then closes the connection.
    HangUpMidMessage,
    /// On `RETR <fault_at>`: sends half the message, then goes silent.
    StallMidMessage,
    /// On `RETR <fault_at>`: answers with a line that is not POP3.
    Nonsense,
    /// Answers UIDL with a line of several MiB and no line end in sight.
    EndlessUidlLine,
    /// Closes the connection when QUIT arrives, so no deletion is committed.
    DropInsteadOfQuit,
    /// Has no UIDL (it is optional, RFC 1939 §7): `-ERR` to it, and CAPA does not list it.
    NoUidl,
    /// Has neither UIDL nor TOP.
    NoUidlNoTop,
    /// Has no UIDL and drops the connection at QUIT.
    NoUidlNoTopDropInsteadOfQuit,
}

impl Fault {
    fn has_uidl(self) -> bool {
        !matches!(
            self,
            Fault::NoUidl | Fault::NoUidlNoTop | Fault::NoUidlNoTopDropInsteadOfQuit
        )
    }

    fn has_top(self) -> bool {
        !matches!(
            self,
            Fault::NoUidlNoTop | Fault::NoUidlNoTopDropInsteadOfQuit
        )
    }
}

/// Messages on the server, `None` once deleted by a committed session.
type Maildrop = Arc<Mutex<Vec<Option<Vec<u8>>>>>;

pub struct FakePop3 {
    pub port: u16,
    maildrop: Maildrop,
    fault: Arc<Mutex<Fault>>,
    pipelining: Arc<AtomicBool>,
}

impl FakePop3 {
    /// `fault_at` is the 1-based number whose RETR misbehaves (for the RETR faults).
    pub async fn start(messages: Vec<Vec<u8>>, fault_at: u32, fault: Fault) -> FakePop3 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let maildrop: Maildrop = Arc::new(Mutex::new(messages.into_iter().map(Some).collect()));
        let fault = Arc::new(Mutex::new(fault));
        let pipelining = Arc::new(AtomicBool::new(false));
        let (shared, shared_fault) = (Arc::clone(&maildrop), Arc::clone(&fault));
        let shared_pipelining = Arc::clone(&pipelining);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let maildrop = Arc::clone(&shared);
                let fault = *shared_fault.lock().expect("fault");
                let pipelining = shared_pipelining.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let _ = serve(stream, maildrop, fault_at, fault, pipelining).await;
                });
            }
        });
        FakePop3 {
            port,
            maildrop,
            fault,
            pipelining,
        }
    }

    /// Whether the next connections list PIPELINING in CAPA (RFC 2449 §6.6), as Dovecot does.
    /// The server reads one command at a time either way, so commands sent ahead just wait.
    pub fn set_pipelining(&self, offered: bool) {
        self.pipelining.store(offered, Ordering::SeqCst);
    }

    /// How the next connections behave.
    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().expect("fault") = fault;
    }

    /// The messages still on the server.
    pub fn remaining(&self) -> usize {
        self.maildrop
            .lock()
            .expect("maildrop")
            .iter()
            .flatten()
            .count()
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    maildrop: Maildrop,
    fault_at: u32,
    fault: Fault,
    pipelining: bool,
) -> std::io::Result<()> {
    // This session's view: the numbers of the messages present when it started.
    let present: Vec<(usize, Vec<u8>)> = maildrop
        .lock()
        .expect("maildrop")
        .iter()
        .enumerate()
        .filter_map(|(index, message)| message.clone().map(|m| (index, m)))
        .collect();
    let mut deleted: Vec<usize> = Vec::new();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"+OK fake POP3 ready\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let argument: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let message = argument.checked_sub(1).and_then(|index| present.get(index));
        match verb.as_str() {
            "CAPA" => {
                let mut capa = String::from("+OK\r\nUSER\r\n");
                if fault.has_uidl() {
                    capa.push_str("UIDL\r\n");
                }
                if fault.has_top() {
                    capa.push_str("TOP\r\n");
                }
                if pipelining {
                    capa.push_str("PIPELINING\r\n");
                }
                capa.push_str(".\r\n");
                write.write_all(capa.as_bytes()).await?;
            }
            "UIDL" if !fault.has_uidl() => write.write_all(b"-ERR no UIDL here\r\n").await?,
            "TOP" if !fault.has_top() => write.write_all(b"-ERR no TOP here\r\n").await?,
            "TOP" => {
                let Some((_, message)) = message else {
                    write.write_all(b"-ERR no such message\r\n").await?;
                    continue;
                };
                let lines: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                write.write_all(b"+OK\r\n").await?;
                write.write_all(&dot_stuff(&top(message, lines))).await?;
                write.write_all(b".\r\n").await?;
            }
            "USER" | "PASS" | "NOOP" => write.write_all(b"+OK\r\n").await?,
            "STAT" => {
                let size: usize = present.iter().map(|(_, m)| m.len()).sum();
                write
                    .write_all(format!("+OK {} {size}\r\n", present.len()).as_bytes())
                    .await?;
            }
            "UIDL" if fault == Fault::EndlessUidlLine => {
                write.write_all(b"+OK\r\n1 ").await?;
                let chunk = vec![b'u'; 64 * 1024];
                for _ in 0..128 {
                    write.write_all(&chunk).await?;
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            "UIDL" | "LIST" => {
                let mut reply = String::from("+OK\r\n");
                for (number, (index, message)) in present.iter().enumerate() {
                    let number = number + 1;
                    if verb == "UIDL" {
                        reply.push_str(&format!("{number} fake-uid-{index}\r\n"));
                    } else {
                        reply.push_str(&format!("{number} {}\r\n", message.len()));
                    }
                }
                reply.push_str(".\r\n");
                write.write_all(reply.as_bytes()).await?;
            }
            "RETR" => {
                let Some((_, message)) = message else {
                    write.write_all(b"-ERR no such message\r\n").await?;
                    continue;
                };
                if argument == fault_at as usize {
                    let half = &message[..message.len() / 2];
                    match fault {
                        Fault::HangUpMidMessage => {
                            write.write_all(b"+OK\r\n").await?;
                            write.write_all(half).await?;
                            return Ok(());
                        }
                        Fault::StallMidMessage => {
                            write.write_all(b"+OK\r\n").await?;
                            write.write_all(half).await?;
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return Ok(());
                        }
                        Fault::Nonsense => {
                            write.write_all(b"HELLO I AM NOT POP3\r\n").await?;
                            continue;
                        }
                        _ => {}
                    }
                }
                write.write_all(b"+OK\r\n").await?;
                write.write_all(&dot_stuff(message)).await?;
                write.write_all(b".\r\n").await?;
            }
            "DELE" => match message {
                Some((index, _)) => {
                    deleted.push(*index);
                    write.write_all(b"+OK deleted\r\n").await?;
                }
                None => write.write_all(b"-ERR no such message\r\n").await?,
            },
            "QUIT" => {
                if matches!(
                    fault,
                    Fault::DropInsteadOfQuit | Fault::NoUidlNoTopDropInsteadOfQuit
                ) {
                    return Ok(());
                }
                {
                    let mut committed = maildrop.lock().expect("maildrop");
                    for index in &deleted {
                        committed[*index] = None;
                    }
                }
                write.write_all(b"+OK bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"-ERR unknown\r\n").await?,
        }
    }
    Ok(())
}

/// The headers, the blank line and the first `lines` body lines (RFC 1939 §7).
pub fn top(message: &[u8], lines: usize) -> Vec<u8> {
    let body_start = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(message.len(), |at| at + 4);
    let mut end = body_start;
    for _ in 0..lines {
        match message[end..].iter().position(|&b| b == b'\n') {
            Some(at) => end += at + 1,
            None => {
                end = message.len();
                break;
            }
        }
    }
    message[..end].to_vec()
}

/// RFC 1939 §3: lines starting with "." get one more; messages must end in CRLF.
fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut at_line_start = true;
    for &byte in message {
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        at_line_start = byte == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}
