//! A scripted POP3 server for the faults Dovecot cannot make: hanging up mid-message, stalling,
//! answering nonsense. Plain TCP on 127.0.0.1 (the account uses `PlaintextDangerous`).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server misbehaves once the client sends `RETR <fault_at>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Sends half the message, then closes the connection.
    HangUpMidMessage,
    /// Sends half the message, then goes silent (but keeps the connection open).
    StallMidMessage,
    /// Answers the RETR with a line that is not POP3.
    Nonsense,
}

/// Messages the fake maildrop holds; `fault_at` is the 1-based number whose RETR misbehaves.
pub struct FakePop3 {
    pub port: u16,
}

impl FakePop3 {
    pub async fn start(messages: Vec<Vec<u8>>, fault_at: u32, fault: Fault) -> FakePop3 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, messages, fault_at, fault).await;
                });
            }
        });
        FakePop3 { port }
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    messages: Vec<Vec<u8>>,
    fault_at: u32,
    fault: Fault,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"+OK fake POP3 ready\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let argument: u32 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        match verb.as_str() {
            "CAPA" => write.write_all(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n").await?,
            "USER" | "PASS" | "NOOP" => write.write_all(b"+OK\r\n").await?,
            "STAT" => {
                let size: usize = messages.iter().map(Vec::len).sum();
                write
                    .write_all(format!("+OK {} {size}\r\n", messages.len()).as_bytes())
                    .await?;
            }
            "UIDL" | "LIST" => {
                let mut reply = String::from("+OK\r\n");
                for (index, message) in messages.iter().enumerate() {
                    let number = index + 1;
                    if verb == "UIDL" {
                        reply.push_str(&format!("{number} fake-uid-{number}\r\n"));
                    } else {
                        reply.push_str(&format!("{number} {}\r\n", message.len()));
                    }
                }
                reply.push_str(".\r\n");
                write.write_all(reply.as_bytes()).await?;
            }
            "RETR" => {
                let Some(message) = messages.get(argument as usize - 1) else {
                    write.write_all(b"-ERR no such message\r\n").await?;
                    continue;
                };
                if argument == fault_at {
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
                    }
                }
                write.write_all(b"+OK\r\n").await?;
                write.write_all(&dot_stuff(message)).await?;
                write.write_all(b".\r\n").await?;
            }
            "DELE" => write.write_all(b"+OK deleted\r\n").await?,
            "QUIT" => {
                write.write_all(b"+OK bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"-ERR unknown\r\n").await?,
        }
    }
    Ok(())
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
