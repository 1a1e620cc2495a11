//! `make bench`: flush an outbox of 500 × 20 KB messages to the local Postfix over submission
//! (STARTTLS + AUTH, one connection) and, on the same server, send the same number with `swaks`,
//! one message per process — what a script or a simple client does. Prints rates and the ratio.
//! Figures are what this machine measures; nothing is asserted but that every message was sent.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use dakiya_engine::{OutgoingMessage, Pop3Mode, Security, SendOutcome};
use dakiya_tests::fixtures::User;

const MESSAGES: usize = 500;
const BODY_BYTES: usize = 20 * 1024;

/// English and Hindi text in lines of about 70 characters.
fn body(n: usize) -> String {
    let words = ["post", "डाक", "letter", "पत्र", "mail", "संदेश", "road"];
    let mut text = String::with_capacity(BODY_BYTES + 100);
    let mut line = String::new();
    let mut i = n;
    while text.len() < BODY_BYTES {
        line.push_str(words[i % words.len()]);
        line.push(' ');
        i = i.wrapping_mul(31).wrapping_add(7);
        if line.len() > 70 {
            text.push_str(line.trim_end());
            text.push('\n');
            line.clear();
        }
    }
    text
}

#[tokio::main]
async fn main() {
    let user = User::new("sendbench", "sendpass");
    let settings = user.settings(Security::Tls, Security::StartTls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    let engine = &user.engine;
    let to = user.mailbox.address.clone();

    eprintln!(
        "bench: queueing {MESSAGES} messages of ~{} KiB",
        BODY_BYTES / 1024
    );
    for n in 0..MESSAGES {
        let message = OutgoingMessage {
            to: to.clone(),
            subject: format!("Send bench {n} — परीक्षण"),
            body: body(n),
            ..OutgoingMessage::default()
        };
        engine
            .queue_message(account.id, message, None)
            .await
            .expect("queued");
    }
    let started = Instant::now();
    let reports = engine.flush_outbox(false).await.expect("the flush runs");
    let dakiya = started.elapsed();
    let sent = reports
        .iter()
        .filter(|report| report.outcome == SendOutcome::Sent)
        .count();
    assert_eq!(
        sent, MESSAGES,
        "every message must be accepted: {reports:?}"
    );

    let servers = user.servers;
    let body_file = tempfile::NamedTempFile::new().expect("a body file");
    body_file
        .as_file()
        .write_all(body(1).replace('\n', "\r\n").as_bytes())
        .expect("write the body");
    let started = Instant::now();
    for n in 0..MESSAGES {
        let status = Command::new("swaks")
            .args(["--server", servers.host()])
            .args(["--port", &servers.submission_starttls_port().to_string()])
            .args(["--tls", "--auth", "PLAIN"])
            .args(["--auth-user", &user.mailbox.username])
            .args(["--auth-password", &user.mailbox.password])
            .args(["--from", &to, "--to", &to])
            .args(["--header", &format!("Subject: swaks bench {n}")])
            .arg("--body")
            .arg(format!("@{}", body_file.path().display()))
            .stdin(Stdio::null())
            .output()
            .expect("swaks runs (Debian package swaks)");
        assert!(
            status.status.success(),
            "swaks failed on message {n}: {}{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let swaks = started.elapsed();

    let rate = |elapsed: std::time::Duration| MESSAGES as f64 / elapsed.as_secs_f64();
    println!(
        "SMTP submission over STARTTLS + AUTH, {MESSAGES} messages of ~20 KiB, loopback Postfix:"
    );
    println!(
        "  dakiya  outbox flush, one connection          {:>7.1} msg/s ({:.2} s)",
        rate(dakiya),
        dakiya.as_secs_f64()
    );
    println!(
        "  swaks   one process and connection each      {:>7.1} msg/s ({:.2} s)",
        rate(swaks),
        swaks.as_secs_f64()
    );
    println!(
        "  ratio dakiya/swaks {:.1} (target ≥ 10)",
        rate(dakiya) / rate(swaks)
    );
}
