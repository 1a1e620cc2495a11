//! Mail is sacred, under kill -9: `dakiya-cli fetch` in delete mode is killed at pseudo-random
//! moments (a fixed seed, printed) while it downloads, commits and deletes; after every kill the
//! store and the real Dovecot maildrop are checked, and a last uninterrupted fetch must leave
//! every message in the store exactly once, byte for byte, and nothing on the server.
//!
//! `DAKIYA_CRASH_RUNS` sets how many kills (default 12; `make bench` runs a longer series).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use dakiya_engine::{Engine, PasswordStorage, Pop3Mode, Security};
use dakiya_tests::fixtures::{as_served, User};

/// Delivered whenever the maildrop is empty.
const MESSAGES: usize = 200;
const DEFAULT_KILLS: usize = 12;
const SEED: u64 = 0x5eed_da1c;

fn cli_path() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/dakiya-cli");
    assert!(
        path.exists(),
        "build it first: cargo build --workspace --bins ({})",
        path.display()
    );
    path
}

/// A small deterministic generator, so a failing series can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

fn message(n: usize) -> Vec<u8> {
    let line = format!("line of message {n}: डाक सेवा, the postman comes at {n} o'clock\r\n");
    let mut text = format!("Subject: crash {n}\r\nMessage-ID: <crash-{n}@dakiya.test>\r\n\r\n");
    // Some lines start with a dot, so unstuffing is exercised under crashes too.
    for i in 0..(40 + n % 50) {
        if i % 7 == 0 {
            text.push('.');
        }
        text.push_str(&line);
    }
    text.into_bytes()
}

/// Everything the store holds, read with a fresh engine (the killed process left no lock).
fn stored(data_dir: &Path) -> Vec<Vec<u8>> {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let engine = Engine::open(data_dir, PasswordStorage::MemoryOnly).expect("the store opens");
        let list = engine
            .list_messages(dakiya_engine::store::Folder::Inbox, None, 0, 100_000)
            .await
            .expect("the list reads");
        let mut raws = Vec::new();
        for summary in list {
            raws.push(
                engine
                    .raw_message(summary.id)
                    .await
                    .expect("raw bytes read"),
            );
        }
        raws
    })
}

/// The invariants that must hold after any crash.
fn check(originals: &[Vec<u8>], user: &User, data_dir: &Path, run: &str) {
    let stored = stored(data_dir);
    let unique: HashSet<&Vec<u8>> = stored.iter().collect();
    assert_eq!(
        unique.len(),
        stored.len(),
        "{run}: a message is stored twice"
    );
    let on_server: HashSet<Vec<u8>> = user.mailbox.messages().into_iter().collect();
    for raw in &stored {
        assert!(
            originals.contains(raw),
            "{run}: a stored message is not byte-identical to any sent"
        );
    }
    for (n, original) in originals.iter().enumerate() {
        let safe = unique.contains(original) || on_server.iter().any(|m| as_served(m) == *original);
        assert!(
            safe,
            "{run}: message {n} is neither on the server nor in the store: lost"
        );
    }
}

#[test]
fn kill_dash_nine_during_fetch_loses_and_duplicates_nothing() {
    let kills: usize = std::env::var("DAKIYA_CRASH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    let user = User::new("crash", "crash pass");
    let mut originals: Vec<Vec<u8>> = Vec::new();
    let deliver_round = |originals: &mut Vec<Vec<u8>>| {
        let first = originals.len();
        for n in first..first + MESSAGES {
            user.mailbox.deliver_raw(&message(n));
            originals.push(as_served(&message(n)));
        }
    };
    deliver_round(&mut originals);
    let data = tempfile::tempdir().expect("a data directory");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let engine = Engine::open(data.path(), PasswordStorage::MemoryOnly).expect("engine");
        let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::DeleteAfterDownload);
        engine
            .save_account(None, settings, Default::default())
            .await
            .expect("account saved");
    });
    drop(runtime);

    let fetch = || {
        Command::new(cli_path())
            .arg("--data-dir")
            .arg(data.path())
            .args(["--no-keyring", "fetch"])
            .env("DAKIYA_POP3_PASSWORD", &user.mailbox.password)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dakiya-cli starts")
    };
    let mut random = Lcg(SEED);
    eprintln!("crash series: seed {SEED:#x}, {kills} kills, {MESSAGES} messages");
    let mut killed_mid_fetch = 0;
    for run in 0..kills {
        // Keep every run busy: once the maildrop is drained, new mail arrives.
        if user.mailbox.messages().is_empty() {
            deliver_round(&mut originals);
        }
        let delay = Duration::from_millis(5 + random.next_below(150));
        let mut child = fetch();
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("the child's state").is_some();
        if !finished {
            child.kill().expect("kill -9");
            killed_mid_fetch += 1;
        }
        let _ = child.wait();
        check(
            &originals,
            &user,
            data.path(),
            &format!("run {run} (killed after {delay:?})"),
        );
    }
    let status = fetch().wait().expect("the last fetch runs");
    assert!(status.success(), "the uninterrupted fetch failed");
    check(&originals, &user, data.path(), "final");
    let stored = stored(data.path());
    assert_eq!(
        stored.len(),
        originals.len(),
        "every message must end up in the store"
    );
    assert!(
        user.mailbox.messages().is_empty(),
        "delete mode must leave the server empty"
    );
    eprintln!(
        "crash series: {killed_mid_fetch} of {kills} runs killed mid-fetch; {} messages, all stored once",
        originals.len()
    );
    assert!(
        killed_mid_fetch > 0,
        "no run was interrupted: the series tested nothing"
    );
}

/// A store that cannot grow (a full disk, here a file-size limit on the process) stops the
/// fetch with a clear error before any DELE of a message it could not commit: every message is
/// still on the server or stored byte for byte, and once there is room the next fetch gets the
/// rest without duplicates.
#[test]
fn a_store_that_cannot_grow_stops_the_fetch_before_any_dele() {
    const LARGE: usize = 40;
    let user = User::new("diskfull", "full pass");
    let originals: Vec<Vec<u8>> = (0..LARGE)
        .map(|n| {
            // About 300 KiB each, 12 MiB in all: twice what the store may grow to.
            let mut text = message(n);
            while text.len() < 300 * 1024 {
                text.extend_from_slice(&message(n)[40..]);
            }
            text
        })
        .collect();
    for original in &originals {
        user.mailbox.deliver_raw(original);
    }
    let originals: Vec<Vec<u8>> = originals.iter().map(|m| as_served(m)).collect();
    let data = tempfile::tempdir().expect("a data directory");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let engine = Engine::open(data.path(), PasswordStorage::MemoryOnly).expect("engine");
        let settings = user.settings(Security::Tls, Security::Tls, Pop3Mode::DeleteAfterDownload);
        engine
            .save_account(None, settings, Default::default())
            .await
            .expect("account saved");
    });
    drop(runtime);

    // `ulimit -f` makes every write past 6 MiB fail, as a full disk does; SIGXFSZ is ignored so
    // the write fails instead of killing the process (the ignore survives exec).
    let limited = Command::new("bash")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 6144; exec "$0" "$@""#)
        .arg(cli_path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--no-keyring", "fetch"])
        .env("DAKIYA_POP3_PASSWORD", &user.mailbox.password)
        .output()
        .expect("dakiya-cli runs");
    let stderr = String::from_utf8_lossy(&limited.stderr);
    eprintln!("the limited fetch said: {}", stderr.trim());
    assert!(!limited.status.success(), "the fetch cannot have fitted");
    assert!(
        stderr.contains("mail store") || stderr.contains("disk"),
        "the error names the store: {stderr}"
    );
    check(&originals, &user, data.path(), "after the failed fetch");
    let stored_before = stored(data.path()).len();
    assert!(stored_before < LARGE, "not everything can have been stored");
    assert_eq!(
        user.mailbox.messages().len(),
        LARGE - stored_before,
        "exactly the stored messages left the server"
    );

    let status = Command::new(cli_path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--no-keyring", "fetch"])
        .env("DAKIYA_POP3_PASSWORD", &user.mailbox.password)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("dakiya-cli runs");
    assert!(status.success(), "with room, the fetch completes");
    check(&originals, &user, data.path(), "after the second fetch");
    assert_eq!(stored(data.path()).len(), LARGE);
    assert!(user.mailbox.messages().is_empty());
}
