//! `make bench`: fetch 2,000 × 20 KB messages from the local Dovecot into a fresh store (raw
//! bytes kept, envelope parsed, UIDLs committed) and, on the same maildrop, time fetchmail
//! (keep mode, into a BSMTP file) and a Python `poplib` RETR loop that only reads the bytes —
//! the simplest client there is; all three after one untimed pass (see `main`). Then one 50 MB
//! message: `dakiya-cli fetch` against `poplib`, with peak memory. Prints rates and ratios.
//! Figures are what this machine measures; nothing is asserted.

use std::path::{Path, PathBuf};
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

/// Where the release build puts `dakiya-cli` (`make bench` builds it first).
fn release_cli() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/dakiya-cli");
    assert!(
        path.exists(),
        "build it first: cargo build --release -p dakiya-engine --bins"
    );
    path
}

/// Runs `command` under GNU time; returns (wall seconds, peak resident KiB, stdout).
fn timed(command: &mut Command) -> (f64, u64, String) {
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(report.path())
        .arg(program)
        .args(args);
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            wrapped.env(key, value);
        }
    }
    let output = wrapped
        .output()
        .expect("GNU time runs (Debian package time)");
    assert!(
        output.status.success(),
        "{:?} failed: {}",
        command.get_program(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(report.path()).expect("time's report");
    let mut fields = text.split_whitespace();
    let seconds = fields
        .next()
        .and_then(|f| f.parse().ok())
        .expect("elapsed seconds");
    let kib = fields
        .next()
        .and_then(|f| f.parse().ok())
        .expect("peak KiB");
    (
        seconds,
        kib,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// fetchmail in keep mode, every message appended to one BSMTP file (no per-message process).
fn fetchmail(user: &User) -> Duration {
    let home = tempfile::tempdir().expect("a fetchmail home");
    let rc = home.path().join("fetchmailrc");
    let out = home.path().join("mail.bsmtp");
    let servers = user.servers;
    let config = format!(
        "set no syslog\npoll {host} protocol POP3 port {port} uidl\n  user \"{user}\" password \"{password}\"\n  ssl sslcertck sslcertfile \"{ca}\" sslcommonname \"localhost\"\n  keep fetchall no rewrite bsmtp \"{out}\"\n",
        host = servers.host(),
        port = servers.pop3_tls_port(),
        user = user.mailbox.username,
        password = user.mailbox.password,
        ca = servers.ca_pem_path().display(),
        out = out.display(),
    );
    std::fs::write(&rc, config).expect("write the fetchmailrc");
    let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions(&rc, private).expect("fetchmail wants its rc private");
    let started = Instant::now();
    let status = Command::new("fetchmail")
        .args(["--silent", "--nodetach", "-f"])
        .arg(&rc)
        .env("FETCHMAILHOME", home.path())
        .env("HOME", home.path())
        .status()
        .expect("fetchmail runs (Debian package fetchmail)");
    let elapsed = started.elapsed();
    assert!(status.success(), "fetchmail failed: {status}");
    elapsed
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
    let user = User::new("bench", "benchpass");
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

    // The first session on a maildrop written behind Dovecot's back pays for Dovecot's own
    // catch-up: it reads every message to learn its size (at the first UIDL or STAT) and
    // renames every file to set \Seen at QUIT. Measured: ~130 ms of Dakiya's ~0.5 s when
    // Dakiya went first, which fetchmail and poplib, running after it, never paid. One
    // untimed poplib pass first puts all three clients in front of the same server state.
    let output = Command::new("python3")
        .args(["-c", POPLIB_LOOP, servers.host()])
        .arg(servers.pop3_tls_port().to_string())
        .args([&mailbox.username, &mailbox.password])
        .arg(servers.ca_pem_path())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "poplib (warm-up) failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let warm_up: f64 = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(2)
        .and_then(|f| f.parse().ok())
        .expect("a time");

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
    // Search indexing runs behind the fetch; the clock stops when the last message is found.
    engine.wait_until_indexed().await;
    let dakiya_indexed = started.elapsed();
    let last = format!("Benchmark message {}", MESSAGES - 1);
    let found = engine.search(last.clone(), 5).await.expect("search runs");
    assert!(
        found
            .iter()
            .any(|hit| hit.summary.subject.starts_with(&last)),
        "the last message fetched must be searchable"
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

    let fetchmail = fetchmail(&user);

    let mib = raw_bytes as f64 / (1024.0 * 1024.0);
    let line = |name: &str, what: &str, count: usize, elapsed: Duration| {
        println!(
            "  {name:<10} {what:<52} {:>6.0} msg/s {:>6.1} MiB/s ({:.2} s)",
            rate(count, elapsed),
            mib / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
    };
    println!("POP3 fetch over TLS, keep mode, {MESSAGES} messages, {mib:.1} MiB, loopback:");
    println!(
        "  (untimed first pass, poplib on the fresh maildrop: {warm_up:.2} s; every client below meets the same warmed server)"
    );
    line(
        "dakiya",
        "RETR, parse, commit in batches (fsync), list: QUIT",
        MESSAGES,
        dakiya,
    );
    line(
        "dakiya",
        "… and every message in the search index",
        MESSAGES,
        dakiya_indexed,
    );
    line(
        "fetchmail",
        "RETR, append to one BSMTP file",
        MESSAGES,
        fetchmail,
    );
    line("poplib", "RETR loop, bytes discarded", poplib_count, poplib);
    for (what, elapsed) in [("stored", dakiya), ("indexed", dakiya_indexed)] {
        let dakiya_rate = rate(MESSAGES, elapsed);
        println!(
            "  ratios, {what:<7}: dakiya/fetchmail {:.2} (target ≥ 3), dakiya/poplib {:.2} (target ≥ 0.9)",
            dakiya_rate / rate(MESSAGES, fetchmail),
            dakiya_rate / rate(poplib_count, poplib)
        );
    }

    one_big_message().await;
}

/// One 50 MB message: the whole path, in its own process so peak memory is the fetch's own.
async fn one_big_message() {
    const BIG_BYTES: usize = 50 * 1024 * 1024;
    let user = User::new("bigone", "bigpass");
    let mut big = b"Subject: one big message\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let line =
        b"The postman carries a very large parcel today. \xe0\xa4\xa1\xe0\xa4\xbe\xe0\xa4\x95\r\n";
    while big.len() < BIG_BYTES {
        big.extend_from_slice(line);
    }
    user.mailbox.deliver_raw(&big);
    let data = tempfile::tempdir().expect("a data directory");
    let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::KeepOnServer);
    let cli_engine =
        dakiya_engine::Engine::open(data.path(), dakiya_engine::PasswordStorage::MemoryOnly)
            .expect("the CLI's store");
    cli_engine
        .save_account(None, settings, Default::default())
        .await
        .expect("account saved");
    drop(cli_engine);

    let mut cli = Command::new(release_cli());
    cli.arg("--data-dir")
        .arg(data.path())
        .args(["--no-keyring", "fetch"])
        .env("DAKIYA_POP3_PASSWORD", &user.mailbox.password);
    let (dakiya_seconds, dakiya_kib, _) = timed(&mut cli);

    let mut poplib = Command::new("python3");
    poplib
        .args(["-c", POPLIB_LOOP, user.servers.host()])
        .arg(user.servers.pop3_tls_port().to_string())
        .args([&user.mailbox.username, &user.mailbox.password])
        .arg(user.servers.ca_pem_path());
    let (poplib_seconds, poplib_kib, _) = timed(&mut poplib);
    let mib = big.len() as f64 / (1024.0 * 1024.0);
    println!("One {mib:.0} MiB message over TLS (whole process: start, fetch, store):");
    println!(
        "  dakiya-cli  {dakiya_seconds:>6.2} s  peak {:>6.1} MiB",
        dakiya_kib as f64 / 1024.0
    );
    println!(
        "  poplib      {poplib_seconds:>6.2} s  peak {:>6.1} MiB",
        poplib_kib as f64 / 1024.0
    );
    println!(
        "  time ratio dakiya/poplib {:.2} (target ≤ 2)",
        dakiya_seconds / poplib_seconds
    );
}
