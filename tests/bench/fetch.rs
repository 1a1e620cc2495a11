//! `make bench`: fetch 2,000 × 20 KB messages from the local Dovecot into a fresh store (raw
//! bytes kept, envelope parsed, UIDL committed per message) and, on the same maildrop, time a
//! Python `poplib` RETR loop that only reads the bytes — the simplest client there is. Prints
//! both rates and their ratio. Figures are what this machine measures; nothing is asserted.

use std::process::Command;
use std::time::{Duration, Instant};

use dakiya_engine::{Pop3Mode, Security};
use dakiya_tests::fixtures::User;

const MESSAGES: usize = 2_000;
const MESSAGE_BYTES: usize = 20 * 1024;

/// English and Hindi text, wrapped at 76 columns, varied per message.
fn message(n: usize) -> Vec<u8> {
    let mut text = format!(
        "From: Bench Sender <bench@dakiya.test>\r\nTo: reader@dakiya.test\r\n\
         Subject: Benchmark message {n} — परीक्षण संदेश\r\nMessage-ID: <bench-{n}@dakiya.test>\r\n\
         Date: Sun, 29 Nov 2026 09:00:00 +0530\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    );
    let words = [
        "post",
        "डाक",
        "letter",
        "पत्र",
        "mail",
        "संदेश",
        "village",
        "गाँव",
        "road",
    ];
    let mut line = String::new();
    let mut i = n;
    while text.len() < MESSAGE_BYTES {
        line.push_str(words[i % words.len()]);
        line.push(' ');
        i = i.wrapping_mul(31).wrapping_add(7);
        if line.len() > 70 {
            text.push_str(line.trim_end());
            text.push_str("\r\n");
            line.clear();
        }
    }
    text.into_bytes()
}

const POPLIB_LOOP: &str = r#"
import poplib, ssl, sys, time
host, port, user, password, ca = sys.argv[1:6]
context = ssl.create_default_context(cafile=ca)
started = time.perf_counter()
pop = poplib.POP3_SSL(host, int(port), context=context, timeout=60)
pop.user(user)
pop.pass_(password)
count, _ = pop.stat()
total = 0
for number in range(1, count + 1):
    _, lines, octets = pop.retr(number)
    total += octets
pop.quit()
print(f"{count} {total} {time.perf_counter() - started:.6f}")
"#;

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let user = User::new("bench", "bench pass");
    let mailbox = &user.mailbox;
    eprintln!(
        "bench: delivering {MESSAGES} messages of ~{} KiB",
        MESSAGE_BYTES / 1024
    );
    let mut raw_bytes = 0;
    for n in 0..MESSAGES {
        let bytes = message(n);
        raw_bytes += bytes.len();
        mailbox.deliver_raw(&bytes);
    }
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let account = user.add_account(settings).await;
    let engine = &user.engine;
    let servers = user.servers;
    let started = Instant::now();
    let fetched = engine
        .fetch(account.id, &|_| {})
        .await
        .expect("the fetch succeeds");
    let dakiya = started.elapsed();
    assert_eq!(
        fetched.new_messages.len(),
        MESSAGES,
        "every message must be stored"
    );

    let output = Command::new("python3")
        .args(["-c", POPLIB_LOOP, servers.host()])
        .arg(servers.pop3_tls_port().to_string())
        .args([&mailbox.username, &mailbox.password])
        .arg(servers.ca_pem_path())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "poplib failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = report.split_whitespace().collect();
    let poplib_count: usize = fields
        .first()
        .and_then(|f| f.parse().ok())
        .expect("a count");
    let poplib_seconds: f64 = fields.get(2).and_then(|f| f.parse().ok()).expect("a time");
    let poplib = Duration::from_secs_f64(poplib_seconds);

    let mib = raw_bytes as f64 / (1024.0 * 1024.0);
    println!("POP3 fetch over TLS, keep mode, {MESSAGES} messages, {mib:.1} MiB, loopback:");
    println!(
        "  dakiya  (RETR → parse → SQLite commit per message): {:>7.0} msg/s  {:>6.1} MiB/s  ({:.2} s)",
        rate(MESSAGES, dakiya),
        mib / dakiya.as_secs_f64(),
        dakiya.as_secs_f64()
    );
    println!(
        "  poplib  (RETR loop, bytes discarded):               {:>7.0} msg/s  {:>6.1} MiB/s  ({:.2} s)",
        rate(poplib_count, poplib),
        mib / poplib.as_secs_f64(),
        poplib.as_secs_f64()
    );
    println!(
        "  ratio dakiya / poplib: {:.2}",
        rate(MESSAGES, dakiya) / rate(poplib_count, poplib)
    );
}
