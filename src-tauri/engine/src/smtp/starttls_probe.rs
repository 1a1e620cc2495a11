//! lettre reports "STARTTLS not offered" only as a generic client error, so when that is the
//! likely cause we ask the server ourselves: EHLO and look for the STARTTLS keyword (RFC 3207).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::account::ServerSettings;

const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// A reply line longer than this is not SMTP; stop reading.
const MAX_LINE: usize = 4096;

/// `Some(true/false)` when the server's EHLO reply could be read; `None` when the probe failed.
pub(super) async fn offers_starttls(server: &ServerSettings) -> Option<bool> {
    timeout(PROBE_TIMEOUT, probe(server)).await.ok().flatten()
}

async fn probe(server: &ServerSettings) -> Option<bool> {
    let stream = TcpStream::connect((server.host.trim(), server.port))
        .await
        .ok()?;
    let mut stream = BufReader::new(stream);
    read_reply(&mut stream).await?;
    stream
        .get_mut()
        .write_all(b"EHLO dakiya.invalid\r\n")
        .await
        .ok()?;
    let lines = read_reply(&mut stream).await?;
    let _ = stream.get_mut().write_all(b"QUIT\r\n").await;
    Some(lines.iter().skip(1).any(|line| {
        line.get(4..)
            .is_some_and(|keyword| keyword.trim().eq_ignore_ascii_case("STARTTLS"))
    }))
}

/// Reads one (possibly multi-line) reply; `None` on error or a non-2xx code.
async fn read_reply(stream: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let read = (&mut *stream)
            .take(MAX_LINE as u64)
            .read_line(&mut line)
            .await
            .ok()?;
        if read == 0 || !line.starts_with('2') {
            return None;
        }
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last || lines.len() > 100 {
            return Some(lines);
        }
    }
}
